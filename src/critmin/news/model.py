"""The two records of the news pipeline: an :class:`Article` (plain text + provenance) and an :class:`Event`."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

EVENT_TYPES = (
    "agreement",
    "export_restriction",
    "restriction_lifted",
    "investment",
    "stockpile",
    "partnership_upgrade",
    "other",
)
# Event types whose actors act together (the scoring compares initiator ∪ counterparts as one set).
SYMMETRIC_TYPES = ("agreement", "partnership_upgrade", "other")

# C0/C1 control characters except tab and newline, plus the bidi overrides that can disguise text in a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def clean_text(text: str) -> str:
    """Plain, printable text: NFC, ANSI escape sequences and control characters removed, \\r\\n → \\n,
    spaces at line ends stripped. Applied once, at ingest; evidence offsets refer to the cleaned text."""
    text = unicodedata.normalize("NFC", str(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _ANSI.sub("", text)
    text = _CONTROL.sub("", text)
    text = text.replace("\u00a0", " ")
    lines = [ln.rstrip() for ln in text.split("\n")]
    return "\n".join(lines).strip("\n")


def content_hash(text: str) -> str:
    """sha256 of the cleaned text (the article's identity: re-ingesting the same text changes nothing)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Article:
    """One news text in plain form, with what is known about where it came from.

    ``published`` is an ISO date (``YYYY-MM-DD``) or None; relative dates in the text ("on Friday") are
    resolved against it and stay unknown without it. ``article_id`` defaults to the first 16 hex digits of
    the content hash.
    """

    text: str
    url: str | None = None
    title: str | None = None
    publisher: str | None = None
    published: str | None = None
    published_basis: str | None = None
    language: str | None = None
    kind: str = "text"  # text | html | feed | json
    source: str | None = None  # the path or URL it was read from
    external_id: str | None = None  # e.g. the development set's "01"
    article_id: str | None = None
    sha256: str | None = None

    def __post_init__(self) -> None:
        self.text = clean_text(self.text)
        if self.title is not None:
            self.title = clean_text(self.title).replace("\n", " ").strip() or None
        if self.publisher is not None:
            self.publisher = clean_text(self.publisher).replace("\n", " ").strip() or None
        self.sha256 = content_hash(self.text)
        if self.article_id is None:
            self.article_id = self.sha256[:16]
        if self.language is None:
            from critmin.news.text import detect_language

            self.language = detect_language(self.text)


@dataclass
class Event:
    """One extracted event, in the development set's gold schema plus explainability fields.

    ``date`` is at its precision (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) or None when the text does not
    allow it; ``evidence`` is the sentence quoted exactly (``article.text[evidence_start:evidence_end]``);
    ``rule`` names the rule that fired and ``trigger`` the words it matched.
    """

    event_type: str
    initiator: list[str]
    counterparts: list[str] = field(default_factory=list)
    minerals: list[str] = field(default_factory=list)
    event_id: str | None = None
    article_id: str | None = None
    salience: str = "main"
    mineral_relevant: bool = True
    symmetric: bool = False
    date: str | None = None
    date_precision: str | None = None
    date_basis: str | None = None
    effective_date: str | None = None
    end_date: str | None = None
    status: str | None = None
    measure_type: str | None = None
    measure: str | None = None
    level: str | None = None
    previous_level: str | None = None
    hs_codes: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    end_uses: str | None = None
    companies: list[str] = field(default_factory=list)
    host_country: str | None = None
    amount: str | None = None
    evidence: str = ""
    evidence_start: int = 0
    evidence_end: int = 0
    rule: str = ""
    trigger: str = ""
    language: str = "en"
    _headline: bool = field(default=False, repr=False, compare=False)
    _score: float | None = field(
        default=None, repr=False, compare=False
    )  # the sentence model's, if it proposed it
    _additional: bool = field(
        default=False, repr=False, compare=False
    )  # "also", "inoltre": a further measure

    @property
    def actors(self) -> list[str]:
        """Initiator then counterparts, without repeats."""
        return list(dict.fromkeys([*self.initiator, *self.counterparts]))

    def to_dict(self) -> dict:
        """The public fields as a plain dict (lists copied)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if not k.startswith("_")}
