"""Segmentation of a news text into paragraphs and sentences, with offsets into the text.

One paragraph per line (hard-wrapped lines re-joined); datelines ("BEIJING, Oct 9 (Reuters) -") removed;
sentences split at ``.!?`` except after abbreviations (``data/cues.yaml``: ``abbreviations``), initials and
dotted forms ("U.S."); headlines (a short line without a full stop) and bullet items marked. A "sentence"
longer than :data:`MAX_SENTENCE_CHARS` (a page without punctuation, a table flattened to one line) is cut at
spaces, so the cost of every later step stays linear in the text's length.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from critmin.news import dates as dates_mod
from critmin.news.gazetteer import Mention
from critmin.news.rules import words

MAX_SENTENCE_CHARS = 1500

_SENT_END = re.compile(r"[.!?]+[\"”’')\]]*(?=\s+[\"“‘'(\[]?[A-Z0-9•ÀÈÉÌÒÙ])")
BULLET = re.compile(r"^\s*(?:[•●▪◦·∙‣*–-]|\d{1,2}[.)])\s+")
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z.'’ -]{1,40}|[A-Z][a-zà-ÿ]+(?:[ -][A-Z][a-zà-ÿ]+)?,\s+[A-Z][A-Za-z.]{1,20})"
    r"(?:,\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s+\d{4})?)?"  # "BEIJING, Oct 9" / "LIBREVILLE, May 29, 2025"
    r"\s*(?:\([^)\n]{1,40}\))?\s*(?:--|—|–|-)\s*(?=[\"“A-Z])"
    # "BRUSSELS, (Agency / Other Agency - 25th Mar, 2025) The Commission ...": a source line in brackets
    r"|^[A-Z][A-Z.'’ -]{1,40},?\s*\([^)\n]{1,100}\)\s*(?:--|—|–|-)?\s*(?=[\"“A-Z])"
)
_OPEN_END = re.compile(r"[.!?:;\"”’)]\s*$")
_LOWER_START = re.compile(r"\s*[a-zà-ÿ]")
_LAST_WORD = re.compile(r"([\w.]+)[.!?]+[\"”’')\]]*$")
_INITIALS = re.compile(r"(?:[a-z]\.)+[a-z]")
_FULL_STOP_END = re.compile(r"[.!?][\"”’')]*$")


@dataclass
class Sentence:
    start: int
    end: int
    text: str
    para: int
    index: int
    headline: bool = False
    bullet: bool = False
    mentions: list[Mention] = field(default_factory=list)
    dates: list[dates_mod.DateExpr] = field(default_factory=list)

    @property
    def lower(self) -> str:
        """The text in lower case (computed once)."""
        low = self.__dict__.get("_lower")
        if low is None:
            low = self.__dict__["_lower"] = self.text.lower()
        return low


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: one per line, with hard-wrapped lines joined."""
    spans: list[list[int]] = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.strip():
            spans.append([])  # a blank line ends a paragraph
            continue
        prev = spans[-1] if spans else []
        if (
            prev
            and not _OPEN_END.search(text, max(prev[0], prev[1] - 8), prev[1])
            and _LOWER_START.match(line)
            and not BULLET.match(line)
        ):
            prev[1] = end
        else:
            lead = len(line) - len(line.lstrip())
            spans.append([start + lead, end])
    return [(s[0], s[1]) for s in spans if s]


def _cuts(para: str, offset: int) -> list[int]:
    abbreviations = words("abbreviations")
    cuts = [offset]
    for m in _SENT_END.finditer(para, offset):
        word = _LAST_WORD.search(para, max(cuts[-1], m.start() - 40), m.end())
        w = word.group(1).lower().rstrip(".") if word else ""
        if w in abbreviations or (len(w) == 1 and w.isalpha()) or _INITIALS.fullmatch(w):
            continue
        cuts.append(m.end())
    cuts.append(len(para))
    return cuts


def _bounded(s: int, e: int, text: str) -> list[tuple[int, int]]:
    """A span cut at spaces into pieces of at most MAX_SENTENCE_CHARS."""
    out = []
    while e - s > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", s + MAX_SENTENCE_CHARS // 2, s + MAX_SENTENCE_CHARS)
        cut = cut if cut > s else s + MAX_SENTENCE_CHARS
        out.append((s, cut))
        s = cut
        while s < e and text[s].isspace():
            s += 1
    if e > s:
        out.append((s, e))
    return out


def segment(text: str) -> list[Sentence]:
    """Sentences of ``text`` with offsets into it."""
    out: list[Sentence] = []
    for p, (ps, pe) in enumerate(paragraphs(text)):
        para = text[ps:pe]
        bullet = bool(BULLET.match(para))
        m = _DATELINE.match(para)
        cuts = _cuts(para, m.end() if m else 0)
        sents = []
        for s, e in itertools.pairwise(cuts):
            chunk = para[s:e]
            lead = len(chunk) - len(chunk.lstrip())
            trail = len(chunk) - len(chunk.rstrip())
            s2, e2 = ps + s + lead, ps + e - trail
            if e2 > s2:
                sents.extend(_bounded(s2, e2, text))
        for s, e in sents:
            body = text[s:e]
            headline = (
                len(sents) == 1 and not bullet and not _FULL_STOP_END.search(body) and len(body.split()) <= 25
            )
            out.append(Sentence(s, e, body, p, len(out), headline=headline, bullet=bullet))
    return out
