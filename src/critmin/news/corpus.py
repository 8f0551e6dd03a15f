"""The project's news corpus (``corpus/news/``): articles, gold events, the tuning/held-out split, the text cache.

``corpus/news/articles.jsonl`` holds one metadata record per article (URL, outlet, dates, language, licence,
``split``, ``story``, ``sha256`` of the text) and ``gold.jsonl`` the gold events in the development set's
schema (``../shared/news-dev/README.md``). Texts whose licence allows it (U.S. federal works, European
Commission pages) sit in ``corpus/news/texts/<id>.txt``; all others live only in a local cache outside the
repository, ``$CRITMIN_NEWS_CACHE`` (default ``$XDG_CACHE_HOME/critmin/news-corpus``, i.e.
``~/.cache/critmin/news-corpus``), one ``<id>.txt`` per article. A text is used only when its sha256 (of the
cleaned text, :func:`critmin.news.model.content_hash`) matches the record, so an edited or different copy
is refused rather than silently scored.

The split is fixed once (:func:`assign_split`, seed :data:`SPLIT_SEED`): stories (articles about the same
event) never straddle the two parts, and each language × main-event-type stratum is halved. Tune only on
``tuning``; ``heldout`` is for scoring. :func:`load_corpus` therefore asks for the split explicitly.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from critmin.errors import DataError, UnknownValueError
from critmin.news.model import EVENT_TYPES, Article, clean_text, content_hash

SPLITS = ("tuning", "heldout")
SPLIT_SEED = 20260214
LANGUAGES = ("en", "it")
ROLES = ("event", "distractor")
SALIENCE = ("main", "background")
ACTOR_EXTRA = ("EUU",)  # the European Union as one actor (ISO3 user-assigned code)
# Normalised mineral tokens: those of the development set's README, the rare-earth elements, and a few
# further commodities that policy news names (each a lower-case element or commodity name).
_MINERALS = """critical_minerals rare_earths samarium gadolinium terbium dysprosium lutetium scandium yttrium
neodymium praseodymium holmium erbium thulium europium ytterbium lanthanum cerium gallium germanium antimony graphite
tungsten tellurium bismuth indium molybdenum cobalt nickel lithium manganese magnesium copper aluminium bauxite
superhard_materials lithium_battery_materials tantalum niobium boron titanium uranium chromium vanadium
platinum_group_metals potash silicon"""
MINERAL_TOKENS = frozenset(_MINERALS.split())
_DATE = re.compile(r"^\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?$")
_ID = re.compile(r"^c\d{3}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")

ARTICLE_FIELDS = {
    "id": str,
    "url": str,
    "title": str,
    "title_basis": str,
    "outlet": str,
    "outlet_kind": str,
    "published": (str, type(None)),
    "published_basis": str,
    "language": str,
    "role": str,
    "starts_mid_article": bool,
    "truncated_end": bool,
    "licence": str,
    "licence_basis": str,
    "text_in_repo": bool,
    "sha256": str,
    "n_chars": int,
    "story": str,
    "stratum": str,
    "split": str,
    "notes": str,
}
EVENT_FIELDS = {
    "event_id": str,
    "article_id": str,
    "event_type": str,
    "salience": str,
    "mineral_relevant": bool,
    "initiator": list,
    "counterparts": list,
    "symmetric": bool,
    "minerals": list,
    "minerals_context": list,
    "date": (str, type(None)),
    "date_precision": (str, type(None)),
    "date_basis": (str, type(None)),
    "effective_date": (str, type(None)),
    "end_date": (str, type(None)),
    "status": (str, type(None)),
    "measure_type": (str, type(None)),
    "measure": (str, type(None)),
    "scope": list,
    "hs_codes": list,
    "targets": (list, type(None)),
    "companies": list,
    "stage": list,
    "host_country": (str, type(None)),
    "amount": (str, type(None)),
    "evidence": str,
    "note": (str, type(None)),
}
_PRECISION = {4: "year", 7: "month", 10: "day"}


def default_root() -> Path:
    """``$CRITMIN_NEWS_CORPUS`` or ``corpus/news`` of the source checkout this module runs from."""
    env = os.environ.get("CRITMIN_NEWS_CORPUS")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "corpus" / "news"


def cache_dir() -> Path:
    """Where the texts that may not be redistributed are kept: ``$CRITMIN_NEWS_CACHE`` or the user cache."""
    env = os.environ.get("CRITMIN_NEWS_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "critmin" / "news-corpus"


@dataclass(frozen=True)
class CorpusArticle:
    """One corpus article: its metadata record and, when available and intact, its text."""

    meta: dict
    text: str | None = None
    text_path: Path | None = None

    @property
    def id(self) -> str:
        return self.meta["id"]

    @property
    def split(self) -> str:
        return self.meta["split"]

    @property
    def language(self) -> str:
        return self.meta["language"]

    def to_article(self) -> Article:
        """The :class:`~critmin.news.model.Article` the extractor reads (``external_id`` = corpus id).

        ``published`` is passed at the precision the record knows (``YYYY-MM-DD`` or ``YYYY-MM``).
        """
        if self.text is None:
            raise DataError(f"the text of {self.id} is not available", path=str(self.text_path or self.id))
        m = self.meta
        return Article(
            text=self.text,
            url=m["url"],
            title=m["title"],
            publisher=m["outlet"],
            published=m["published"],
            published_basis=m["published_basis"],
            language=m["language"],
            kind="text",
            source=str(self.text_path),
            external_id=m["id"],
        )


@dataclass
class Corpus:
    """Articles of one split (or all) with their gold events; texts that could not be found are ``None``."""

    root: Path
    cache: Path
    split: str
    articles: list[CorpusArticle]
    gold: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def with_text(self) -> list[CorpusArticle]:
        return [a for a in self.articles if a.text is not None]

    @property
    def missing_text(self) -> list[str]:
        return [a.id for a in self.articles if a.text is None]

    def gold_for(self, articles) -> dict[str, list[dict]]:
        """Gold events of the given articles (dict keyed by article id, articles without events included)."""
        return {a.id: self.gold.get(a.id, []) for a in articles}

    def problems(self) -> list[str]:
        """Consistency problems that need the texts: evidence not found in its text, and gold for no article."""
        out = []
        texts = {a.id: a.text for a in self.articles}
        for aid, events in self.gold.items():
            if aid not in texts:
                out.append(f"{aid}: gold events for an article outside this corpus/split")
                continue
            if texts[aid] is None:
                continue
            for ev in events:
                if clean_text(ev["evidence"]) not in texts[aid]:
                    out.append(
                        f"{ev['event_id']}: evidence is not a substring of the text: {ev['evidence'][:60]!r}"
                    )
        return out


def _check_fields(rec: dict, spec: dict, where: dict) -> None:
    if not isinstance(rec, dict):
        raise DataError(f"a record is a JSON object, got {type(rec).__name__}", **where)
    missing = [k for k in spec if k not in rec]
    if missing:
        raise DataError(f"missing field(s) {', '.join(missing)}", field=missing[0], **where)
    extra = [k for k in rec if k not in spec]
    if extra:
        raise UnknownValueError("field", extra[0], spec, hint=f"{where['path']}:{where['line']}")
    for k, t in spec.items():
        if not isinstance(rec[k], t) or (t is int and isinstance(rec[k], bool)):
            raise DataError(f"{k!r} has type {type(rec[k]).__name__}", field=k, **where)


def _one_of(value, choices, kind: str, where: dict, fld: str) -> None:
    if value not in choices:
        err = UnknownValueError(kind, value, choices)
        raise DataError(str(err), field=fld, **where)


def _check_date(value, where: dict, fld: str) -> None:
    if value is not None and not _DATE.match(value):
        raise DataError(f"{value!r} is not YYYY, YYYY-MM or YYYY-MM-DD", field=fld, **where)


def validate_article(rec: dict, where: dict) -> None:
    """Raise :class:`DataError` (file, line, field) unless ``rec`` is a well-formed article record."""
    _check_fields(rec, ARTICLE_FIELDS, where)
    if not _ID.match(rec["id"]):
        raise DataError(f"id {rec['id']!r} is not of the form c123", field="id", **where)
    _one_of(rec["language"], LANGUAGES, "language", where, "language")
    _one_of(rec["role"], ROLES, "role", where, "role")
    _one_of(rec["split"], SPLITS, "split", where, "split")
    _check_date(rec["published"], where, "published")
    if not _SHA.match(rec["sha256"]):
        raise DataError("sha256 is not 64 lower-case hex digits", field="sha256", **where)
    if not rec["url"].startswith(("http://", "https://")):
        raise DataError(f"url {rec['url']!r} is not an http(s) URL", field="url", **where)
    for k in ("outlet", "licence", "licence_basis", "story", "stratum"):
        if not rec[k].strip():
            raise DataError(f"{k!r} is empty", field=k, **where)


def validate_event(rec: dict, where: dict, actors: frozenset[str]) -> None:
    """Raise :class:`DataError` unless ``rec`` is a gold event in the development set's schema."""
    _check_fields(rec, EVENT_FIELDS, where)
    _one_of(rec["event_type"], EVENT_TYPES, "event type", where, "event_type")
    _one_of(rec["salience"], SALIENCE, "salience", where, "salience")
    aid, n = rec["event_id"].rsplit("-", 1) if "-" in rec["event_id"] else ("", "")
    if aid != rec["article_id"] or not n.isdigit():
        raise DataError(f"event_id {rec['event_id']!r} is not <article_id>-<n>", field="event_id", **where)
    for fld in ("initiator", "counterparts"):
        for code in rec[fld]:
            _one_of(code, actors, "ISO3 actor code", where, fld)
    if not rec["initiator"]:
        raise DataError("an event needs at least one initiator", field="initiator", **where)
    for tok in rec["minerals"] + rec["minerals_context"]:
        _one_of(tok, MINERAL_TOKENS, "mineral token", where, "minerals")
    for fld in ("date", "effective_date", "end_date"):
        _check_date(rec[fld], where, fld)
    want = _PRECISION.get(len(rec["date"])) if rec["date"] else None
    if rec["date_precision"] != want:
        raise DataError(f"date_precision {rec['date_precision']!r} does not fit date {rec['date']!r}",
                        field="date_precision", **where)  # fmt: skip
    if rec["date"] and not rec["date_basis"]:
        raise DataError("a dated event needs a date_basis", field="date_basis", **where)
    if not rec["evidence"].strip():
        raise DataError("evidence is empty", field="evidence", **where)


def _read_jsonl(path: Path) -> list[tuple[int, dict]]:
    if not path.exists():
        raise DataError("file not found", path=str(path))
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((n, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise DataError(f"invalid JSON: {exc.msg}", path=str(path), line=n) from None
    return out


def actor_codes() -> frozenset[str]:
    """Valid actor codes: the ISO3 codes of critmin's country master plus ``EUU``."""
    from critmin.reference import countries

    return frozenset(countries.table()["iso3"]) | frozenset(ACTOR_EXTRA)


def read_articles(root: Path | None = None) -> list[dict]:
    """The validated records of ``articles.jsonl`` (ids unique)."""
    path = Path(root or default_root()) / "articles.jsonl"
    records, seen = [], set()
    for n, rec in _read_jsonl(path):
        where = {"path": str(path), "line": n}
        validate_article(rec, where)
        if rec["id"] in seen:
            raise DataError(f"duplicate id {rec['id']!r}", field="id", **where)
        seen.add(rec["id"])
        records.append(rec)
    return records


def read_gold(root: Path | None = None, article_ids=None) -> dict[str, list[dict]]:
    """Validated gold events of ``gold.jsonl`` by article id (every event refers to a known article)."""
    path = Path(root or default_root()) / "gold.jsonl"
    actors = actor_codes()
    gold: dict[str, list[dict]] = defaultdict(list)
    seen = set()
    for n, rec in _read_jsonl(path):
        where = {"path": str(path), "line": n}
        validate_event(rec, where, actors)
        if article_ids is not None and rec["article_id"] not in article_ids:
            raise DataError(f"unknown article {rec['article_id']!r}", field="article_id", **where)
        if rec["event_id"] in seen:
            raise DataError(f"duplicate event_id {rec['event_id']!r}", field="event_id", **where)
        seen.add(rec["event_id"])
        gold[rec["article_id"]].append(rec)
    return dict(gold)


def read_text(meta: dict, root: Path, cache: Path) -> tuple[str | None, Path]:
    """(text, path) of one article: the repository copy if its licence allows one, else the cache copy.

    ``None`` when the file is absent; a present file whose cleaned text does not hash to the record's
    ``sha256`` raises :class:`DataError` naming the file.
    """
    path = (root / "texts" if meta["text_in_repo"] else cache) / f"{meta['id']}.txt"
    if not path.exists():
        return None, path
    text = clean_text(path.read_text(encoding="utf-8"))
    if content_hash(text) != meta["sha256"]:
        raise DataError(
            "text does not match the sha256 recorded in articles.jsonl (an edited or different copy)",
            path=str(path),
        )
    return text, path


def load_corpus(split: str, root: Path | None = None, cache: Path | None = None) -> Corpus:
    """Articles (with texts where available) and gold events of ``split``: 'tuning', 'heldout' or 'all'.

    The split is a required argument on purpose: tune on 'tuning', score on 'heldout'.
    """
    if split not in (*SPLITS, "all"):
        raise UnknownValueError("corpus split", split, (*SPLITS, "all"))
    root = Path(root or default_root())
    cache = Path(cache or cache_dir())
    records = read_articles(root)
    gold = read_gold(root, {r["id"] for r in records})
    chosen = [r for r in records if split == "all" or r["split"] == split]
    articles = []
    for r in chosen:
        text, path = read_text(r, root, cache)
        articles.append(CorpusArticle(meta=r, text=text, text_path=path))
    ids = {r["id"] for r in chosen}
    return Corpus(root, cache, split, articles, {k: v for k, v in gold.items() if k in ids})


def main_event_type(events: list[dict]) -> str:
    """The stratum event type of an article: its first scored main event's type, else its first scored event's,
    else 'distractor'."""
    scored = [e for e in events if e["mineral_relevant"]]
    main = [e for e in scored if e["salience"] == "main"]
    return (main or scored)[0]["event_type"] if scored else "distractor"


def assign_split(records: list[dict], seed: int = SPLIT_SEED) -> dict[str, str]:
    """Article id -> 'tuning' | 'heldout', from the records' ``story``, ``stratum`` and ``language`` only.

    Stories are kept whole. Within each stratum (sorted), story groups are taken in a seeded random order
    and each goes to the part with fewer articles of that stratum so far (ties: fewer articles of that
    language, then a seeded coin), which halves every stratum and every language up to one story.
    """
    rng = random.Random(seed)
    stories: dict[str, list[dict]] = defaultdict(list)
    for r in sorted(records, key=lambda r: r["id"]):
        stories[r["story"]].append(r)
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for name, members in sorted(stories.items()):
        by_stratum[members[0]["stratum"]].append(name)
    per_stratum: dict[str, Counter] = defaultdict(Counter)
    per_language: dict[str, Counter] = defaultdict(Counter)
    out: dict[str, str] = {}
    for stratum in sorted(by_stratum):
        names = by_stratum[stratum]
        rng.shuffle(names)
        for name in names:
            members = stories[name]
            lang = members[0]["language"]
            key = [(per_stratum[stratum][s], per_language[lang][s], rng.random()) for s in SPLITS]
            part = SPLITS[min(range(len(SPLITS)), key=key.__getitem__)]
            for r in members:
                out[r["id"]] = part
                per_stratum[stratum][part] += 1
                per_language[r["language"]][part] += 1
    return out
