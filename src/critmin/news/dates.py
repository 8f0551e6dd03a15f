"""Date expressions in news sentences, resolved against the publication date.

Every expression found gets a *role* from the words just before it:

* ``effective`` — "starting on August 1", "effective from Sept. 15", "from last August", "as of", "takes effect";
* ``end`` — "until", "through", "expiring on";
* ``since`` — "in place since February";
* ``deadline`` — "by 2035" (a target, never the date of an act);
* ``act`` — anything else ("on Friday", "said Monday", "on April 4, 2025", "last December", "today").

Relative expressions ("on Friday", "last December", "today", a month without a year) are resolved against
the publication date: a past act takes the most recent matching day on or before it, an effective or end date
the next one on or after it. Without a publication date they resolve to None — the date stays unknown rather
than guessed — unless the text fixes its own year (:func:`text_reference`: a day written with its weekday, or
the year in an instrument's number), in which case a day and month take that year and a weekday or "today"
that year alone. A weekday written before its date ("on Sunday, November 9") is one expression with it.
Values carry their precision: ``YYYY-MM-DD`` (day), ``YYYY-MM`` (month) or ``YYYY`` (year).
English and Italian month and weekday names are recognised. The expressions, their role cues and the names
are a table (``data/dates.yaml``); this module is the scanner that applies them.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
from dataclasses import dataclass, replace
from importlib import resources

import yaml


def _table() -> dict:
    text = resources.files("critmin.news").joinpath("data/dates.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


_T = _table()
_EN_MONTHS: dict[str, int] = _T["months"]["en"]
_IT_MONTHS: dict[str, int] = _T["months"]["it"]
_IT_ABBREVIATED: dict[str, int] = _T["months"]["it_abbreviated"]
MONTHS = {**_IT_ABBREVIATED, **_EN_MONTHS, **_IT_MONTHS}
WEEKDAYS: dict[str, int] = {**_T["weekdays"]["en"], **_T["weekdays"]["it"]}


def _alternation(names, flags: str = "", dot: bool = False) -> str:
    group = "|".join(sorted(names, key=len, reverse=True))
    return (f"(?{flags}:{group})" if flags else f"(?:{group})") + (r"\.?" if dot else "")


# English month names are proper names (case-sensitive: "may" is a verb); abbreviations take a dot
_FULL = [m for m in _EN_MONTHS if len(m) > 4 or m in ("May", "June", "July")]
_MONTH_NAMES_EN = "|".join(
    [_alternation(_FULL), _alternation([m for m in _EN_MONTHS if m not in _FULL], dot=True)]
)
_MONTH_NAMES = _MONTH_NAMES_EN + "|" + _alternation(_IT_MONTHS, "i")
_SLOTS = {
    "{month_en}": f"(?P<month>{_MONTH_NAMES_EN})",  # month before day: English only (Italian writes the day first)
    "{month_after_day}": f"(?P<month>{_MONTH_NAMES}|{_alternation(_IT_ABBREVIATED, 'i')}\\.)",
    "{month}": f"(?P<month>{_MONTH_NAMES})",
    "{day}": r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|°)?",
    "{year}": r"(?P<year>(?:19|20)\d\d)",
    "{weekday}": _alternation(_T["weekdays"]["en"]) + "|" + _alternation(_T["weekdays"]["it"], "i"),
    "{this_year}": r"(?P<this_year>\s+(?:of\s+)?this\s+year\b|\s+(?:di|del)\s+quest['’]anno)",
}


def _compile(pattern: str) -> re.Pattern:
    for slot, src in _SLOTS.items():
        pattern = pattern.replace(slot, src)
    return re.compile(pattern)


_PATTERNS: list[tuple[str, re.Pattern]] = [(p["kind"], _compile(p["pattern"])) for p in _T["patterns"]]
_PREP_MONTH = re.compile(_T["month_preposition"])
_ROLES = [(role, re.compile(p)) for role, p in _T["roles"].items()]
_YEAR_ROLES: dict[str, str] = _T["year_roles"]
_PAST_TENSE = re.compile(_T["past_tense_before"])
_INSTRUMENT_YEAR = re.compile(_T["instrument_year"])
_RANGE_END = re.compile(_T["range"]["end_gap"])
_RANGE_AND = re.compile(_T["range"]["between_gap"])
_RANGE_OPEN = re.compile(_T["range"]["between_open"])


@dataclass(frozen=True)
class DateExpr:
    """A date expression in a sentence (offsets relative to the text searched)."""

    start: int
    end: int
    text: str
    value: str | None  # YYYY-MM-DD | YYYY-MM | YYYY | None (unresolvable without a publication date)
    precision: str | None  # day | month | year
    role: str  # act | effective | end | since | deadline
    kind: str  # explicit | relative
    basis: str

    @property
    def is_reporting(self) -> bool:
        """A day-precise anchor of the news itself ("on Friday", "today", "on April 4, 2025")."""
        return self.precision == "day" and self.role == "act"


@dataclass(frozen=True)
class Publication:
    """When an article was published: a day, or only a month (``2025-10``). Relative expressions need a day
    ("on Friday"); a month and a year ("last December", "on 3 March") resolve against either. A text without a
    publication date may fix its own year (:func:`text_reference`): a ``year`` reference, against which a day
    and month take that year and a weekday or "today" the year alone."""

    first: dt.date  # the first day it can be
    last: dt.date  # the last day it can be
    precision: str  # day | month | year
    basis: str = ""  # where a reference that is not the publication date comes from

    @property
    def value(self) -> str:
        return self.first.isoformat()[: {"day": 10, "month": 7}.get(self.precision, 4)]

    @property
    def described(self) -> str:
        """How a resolved date names its reference (for ``DateExpr.basis``)."""
        return self.basis or f"publication date {self.value}"

    @property
    def day(self) -> dt.date | None:
        return self.first if self.precision == "day" else None


_MONTH_VALUE = re.compile(r"^((?:19|20)\d\d)-(0[1-9]|1[0-2])$")


def parse_publication(value) -> Publication | None:
    """A :class:`Publication` from ``YYYY-MM-DD`` (or a date/datetime, or an ISO timestamp) or ``YYYY-MM``;
    None when the value is missing or not a date."""
    if value is None:
        return None
    if isinstance(value, Publication):
        return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return Publication(value, value, "day")
    text = str(value).strip()
    m = _MONTH_VALUE.match(text)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        first = dt.date(y, mo, 1)
        nxt = dt.date(y + mo // 12, mo % 12 + 1, 1)
        return Publication(first, nxt - dt.timedelta(days=1), "month")
    try:
        d = dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
    return Publication(d, d, "day")


def parse_date(value) -> dt.date | None:
    """The day of a day-precise publication date, else None."""
    pub = parse_publication(value)
    return pub.day if pub else None


def _month_number(text: str) -> int:
    t = text.rstrip(".")
    return MONTHS.get(t) or MONTHS.get(t.lower()) or MONTHS[t.capitalize()]


def _role(before: str) -> str:
    """act | effective | end | since | deadline, from the words just before a date (``data/dates.yaml``)."""
    return next((role for role, pat in _ROLES if pat.search(before)), "act")


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _shift_month(y: int, m: int, k: int) -> tuple[int, int]:
    idx = y * 12 + (m - 1) + k
    return idx // 12, idx % 12 + 1


def _resolve(
    kind: str, m: re.Match, role: str, pub: Publication | None, past: bool = False
) -> tuple[str | None, str | None, str, str]:
    """(value, precision, kind, basis) of one match; ``past``: the verb before it is in the past tense."""
    g = m.groupdict()
    pubtxt = pub.described if pub else "no publication date"
    said = m.group(0).strip()
    # an effective/end date looks forward ("starting on Monday") unless the verb is past ("took effect on Saturday")
    future = role in ("effective", "end", "deadline") and not past
    if kind == "iso":
        d = _safe_date(int(g["year"]), int(g["mnum"]), int(g["day"]))
        return (d.isoformat() if d else None), "day", "explicit", "explicit"
    if kind in ("mdy", "dmy"):
        month = _month_number(g["month"])
        day = int(g["day"])
        if g.get("year"):
            d = _safe_date(int(g["year"]), month, day)
            return (d.isoformat() if d else None), "day", "explicit", "explicit"
        if pub is None:
            return None, "day", "relative", "day and month without a year; no publication date"
        d = _safe_date(pub.first.year, month, day)
        if g.get("this_year"):  # "March 3 this year": the reference's year, either way
            return (d.isoformat() if d else None), "day", "relative", f"'{said}' + {pubtxt}"
        if d is None:
            return None, "day", "relative", "invalid day"
        if future and d < pub.first - dt.timedelta(days=60):
            d = _safe_date(pub.first.year + 1, month, day)
        elif not future and d > pub.last + dt.timedelta(days=7):
            d = _safe_date(pub.first.year - 1, month, day)
        return (d.isoformat() if d else None), "day", "relative", f"year from the {pubtxt}"
    if kind == "my":
        return f"{int(g['year']):04d}-{_month_number(g['month']):02d}", "month", "explicit", "explicit"
    if kind == "rel_month":
        if pub is None:
            return None, "month", "relative", f"'{said}' needs a publication date"
        value = _relative_month(g, said.lower(), future, pub)
        if value is None:
            return (
                None,
                "month",
                "relative",
                f"'{said}' needs a publication month ({pubtxt} gives the year only)",
            )
        return value, "month", "relative", f"'{said}' + {pubtxt}"
    if kind in ("weekday", "deictic"):
        if pub is not None and pub.precision == "year":
            # "giovedì" in a text whose year is fixed, but not its day: the act falls in that year
            return pub.value, "year", "relative", f"'{said}' in the {pubtxt}"
        if pub is None or pub.day is None:
            need = "a publication date" if pub is None else "a day-precise publication date"
            return None, "day", "relative", f"'{said}' needs {need}"
        if kind == "weekday":
            d = _weekday(g, future, pub.day)
            return d.isoformat(), "day", "relative", f"relative ('{said}') + {pubtxt}"
        shift = _DEICTIC_SHIFT[g["word"].lower()]
        d = pub.day + dt.timedelta(days=shift)
        return d.isoformat(), "day", "relative", f"relative ('{g['word']}') + {pubtxt}"
    if kind == "rel_period":
        q = " ".join(filter(None, [(g.get("q") or "").lower(), (g.get("q2") or "").lower()]))
        unit = g["unit"].lower()
        if q.strip() in ("il", "lo", "l'") and not g.get("q2"):
            return None, None, "relative", "not a date"
        if pub is None:
            return None, None, "relative", f"'{said}' needs a publication date"
        k = -1 if ("last" in q or "scorso" in q) else (1 if ("next" in q or "prossimo" in q) else 0)
        if unit in ("month", "mese") and pub.precision == "year":
            return (
                None,
                "month",
                "relative",
                f"'{said}' needs a publication month ({pubtxt} gives the year only)",
            )
        if unit in ("month", "mese"):
            y, mo = _shift_month(pub.first.year, pub.first.month, k)
            return f"{y:04d}-{mo:02d}", "month", "relative", f"'{said}' + {pubtxt}"
        return f"{pub.first.year + k:04d}", "year", "relative", f"'{said}' + {pubtxt}"
    if kind == "year":
        return g["year"], "year", "explicit", "explicit"
    raise AssertionError(kind)


_DEICTIC_SHIFT = {"today": 0, "oggi": 0, "yesterday": -1, "ieri": -1, "tomorrow": 1, "domani": 1}


def _relative_month(g: dict, said: str, future: bool, pub: Publication) -> str | None:
    """'last December', 'in March', 'marzo scorso' → YYYY-MM relative to the publication month; against a
    year reference only 'this March', 'earlier this year'-style months resolve (None otherwise)."""
    month = _month_number(g["month"])
    q = (g.get("q") or "").strip().lower()
    year, pub_month = pub.first.year, pub.first.month
    if g.get("this_year") or (
        pub.precision == "year" and q.startswith(("this", "earlier this", "later this"))
    ):
        return f"{year:04d}-{month:02d}"  # "March this year", "nell'aprile di quest'anno"
    if pub.precision == "year":
        return None
    if q in ("last", "lo scorso", "scorso") or said.endswith("scorso"):
        y = year if month < pub_month else year - 1
    elif q in ("next", "prossimo") or said.endswith("prossimo"):
        y = year if month > pub_month else year + 1
    elif q.startswith(("this", "earlier this", "later this")):
        y = year
    elif future:
        y = year if month >= pub_month else year + 1
    else:
        y = year if month <= pub_month else year - 1
    return f"{y:04d}-{month:02d}"


def _weekday(g: dict, future: bool, day: dt.date) -> dt.date:
    """'on Friday', 'last Monday', 'next Tuesday' → the day, looking back for acts and forward for effects."""
    wd = WEEKDAYS.get(g["wd"]) if g["wd"] in WEEKDAYS else WEEKDAYS[g["wd"].lower()]
    q = (g.get("q") or g.get("after") or "").strip().lower()  # "last Thursday", "giovedì scorso"
    if q in ("next", "prossimo") or (future and q not in ("last", "this past", "scorso")):
        delta = (wd - day.weekday()) % 7 or (7 if q in ("next", "prossimo") else 0)
        return day + dt.timedelta(days=delta)
    delta = (day.weekday() - wd) % 7
    if delta == 0 and q in ("last", "this past", "scorso"):
        delta = 7
    return day - dt.timedelta(days=delta)


def _matches(text: str) -> list[tuple[str, re.Match]]:
    """Non-overlapping date matches, left to right; where two overlap, the earlier pattern of
    :data:`_PATTERNS` wins. Linear: every pattern's matches are merged with the kept ones in one pass."""
    kept: list[tuple[str, re.Match]] = []
    for kind, pat in _PATTERNS:
        new: list[tuple[str, re.Match]] = []
        i = 0
        for m in pat.finditer(text):
            s, e = m.span()
            while i < len(kept) and kept[i][1].end() <= s:
                i += 1
            if i < len(kept) and kept[i][1].start() < e:
                continue  # overlaps a match of an earlier pattern
            # a bare month name is a date only after a preposition ("in March", "since February") or as a
            # possessive ("February's decision")
            if (
                kind == "rel_month"
                and not m.group("q")
                and not m.group(0).endswith(("scorso", "prossimo"))
                and not _PREP_MONTH.search(text, max(0, s - 40), s)
                and text[e : e + 2] not in ("'s", "’s")
            ):
                continue
            new.append((kind, m))
        if new:
            kept = list(heapq.merge(kept, new, key=lambda km: km[1].start()))
    return kept


def find_dates(text: str, published=None) -> list[DateExpr]:
    """Date expressions in ``text`` (left to right, non-overlapping), resolved against ``published``
    (``YYYY-MM-DD``, ``YYYY-MM`` or a :class:`Publication`). Linear in the length of ``text``."""
    pub = parse_publication(published)
    out: list[DateExpr] = []
    prev_kind = None
    found = _matches(text)
    for i, (kind, m) in enumerate(found):
        s = m.start()
        before = text[max(0, s - 40) : s]
        role = _role(before)
        if kind == "year":
            prep = m.group("prep").lower()
            role = _YEAR_ROLES.get(prep, role)
        role = _range_role(text, found, i, out, role)
        past = role in ("effective", "end") and bool(_PAST_TENSE.search(before[-30:]))
        same = bool(out) and _SAME_DATE_GAP.fullmatch(text, out[-1].end, s) is not None
        if same:
            # "took effect on Saturday, June 10": one date written twice
            role = out[-1].role
            past = past or bool(_PAST_TENSE.search(text[max(0, out[-1].start - 30) : out[-1].start]))
        value, precision, vkind, basis = _resolve(kind, m, role, pub, past)
        if basis == "not a date":
            continue
        start = s
        if same and prev_kind == "weekday" and kind in ("mdy", "dmy", "iso"):
            # "on Sunday November 9": the weekday names the day its date gives (with or without the year)
            start = out.pop().start
        out.append(DateExpr(start, m.end(), text[start : m.end()], value, precision, role, vkind, basis))
        prev_kind = kind
        if role == "end" and len(out) > 1 and out[-2].role == "effective":
            out[-2] = _range_start(out[-2], out[-1])
    return out


def _range_start(start: DateExpr, end: DateExpr) -> DateExpr:
    """The start of a range whose day and month carry no year falls on or before its end ("between March 3
    and June 30" read in May: the March before that June, though a lone "from March 3" would look ahead)."""
    if start.kind != "relative" or start.precision != "day" or not (start.value and end.value):
        return start
    if start.value <= end.value[:10].ljust(10, "9"):
        return start
    earlier = _safe_date(int(start.value[:4]) - 1, int(start.value[5:7]), int(start.value[8:10]))
    if earlier is None or earlier.isoformat() > end.value[:10].ljust(10, "9"):
        return start
    return replace(start, value=earlier.isoformat(), basis=f"{start.basis}, on or before the range's end")


def _range_role(text: str, found: list[tuple[str, re.Match]], i: int, out: list[DateExpr], role: str) -> str:
    """The role of the ``i``-th date when it bounds a range: ``end`` after "to"/"al" following a start date
    ("from March 3 to March 3, 2026", "dal 1° luglio al 31 dicembre") or after "and"/"e" in "between ... and"
    ("tra il 3 marzo e il 9 aprile"); ``effective`` for the start of a "between" range. Else ``role``: the end
    of a range is never the date of the act that sets it."""
    m = found[i][1]
    prev = out[-1] if out else None
    if (
        prev is not None
        and prev.role in ("effective", "since")
        and _RANGE_END.fullmatch(text, prev.end, m.start())
    ):
        return "end"
    if (
        _opens_range(text, m.start())
        and i + 1 < len(found)
        and _RANGE_AND.fullmatch(text, m.end(), found[i + 1][1].start())
    ):
        return "effective"
    if (
        prev is not None
        and prev.role == "effective"
        and _RANGE_AND.fullmatch(text, prev.end, m.start())
        and _opens_range(text, prev.start)
    ):
        return "end"
    return role


def _opens_range(text: str, start: int) -> bool:
    """Whether "between" / "tra il" stands just before the date at ``start``."""
    return _RANGE_OPEN.search(text[max(0, start - 12) : start]) is not None


_WEEKDAY_NAME = re.compile(r"\b(?:" + _SLOTS["{weekday}"] + r")\b")
_DAY_MONTH = [(kind, pat) for kind, pat in _PATTERNS if kind in ("mdy", "dmy")]


def _weekday_day_years(text: str) -> list[tuple[int, str]]:
    """(year, expression) for every day and month written with its weekday but no year ("Sunday November 9")
    that falls on that weekday in exactly one year within a year of those the text names."""
    pairs = []
    for w in _WEEKDAY_NAME.finditer(text):
        gap = _SAME_DATE_GAP.match(text, w.end())
        day = next((m for _, pat in _DAY_MONTH if (m := pat.match(text, gap.end())) is not None), None)
        if day is not None and not day.group("year"):
            pairs.append((w, day))
    if not pairs:
        return []  # most texts: no date scan of the whole text
    named = [int(m.group("year")) for _, m in _matches(text) if m.groupdict().get("year")]
    if not named:
        return []
    span = range(min(named) - 1, max(named) + 2)
    out = []
    for w, m in pairs:
        wd = WEEKDAYS.get(w.group(0)) if w.group(0) in WEEKDAYS else WEEKDAYS[w.group(0).lower()]
        month, day = _month_number(m.group("month")), int(m.group("day"))
        years = [y for y in span if (d := _safe_date(y, month, day)) is not None and d.weekday() == wd]
        if len(years) == 1:
            out.append((years[0], text[w.start() : m.end()]))
    return out


def text_reference(text: str) -> Publication | None:
    """The year a text without a publication date fixes for itself, as a year-precision :class:`Publication`
    (None when it fixes none). The corpus annotation rules take the year from the text "where the text alone
    fixes the year of a day-and-month date", and from an instrument's number, to which "this year" in the same
    text resolves (``corpus/news/README.md``; ``ANNOTATION-NOTES.md``, clarification 7). In that order:

    1. a day and month written with their weekday ("announced on Sunday November 9", in a text that also names
       2024 and 2026) fall on that weekday in one year only near the years the text names — the latest such;
    2. the latest year in the number of an instrument ("Announcement No. 61 of 2025", "Order 45 of 2031",
       "n. 6 del 2025"; an amended "No. 6 of 2024" is older), the text's own act being the newest.

    A plain year ("agreed in 2022") fixes nothing: the news may be years later.
    """
    fixed = _weekday_day_years(text)
    if fixed:
        year, said = max(fixed)
        basis = f"text year {year} ('{said}' falls on that weekday in {year} only)"
    else:
        years = [
            (int(m.group("year") or m.group("year2")), " ".join(m.group(0).split()))
            for m in _INSTRUMENT_YEAR.finditer(text)
        ]
        if not years:
            return None
        year, said = max(years)
        basis = f"text year {year} (the instrument '{said}')"
    return Publication(dt.date(year, 1, 1), dt.date(year, 12, 31), "year", basis)


_SAME_DATE_GAP = re.compile(r",?\s*")


def at_precision(value: str | None, precision: str | None) -> str | None:
    """``value`` cut to ``precision`` (day → 10 chars, month → 7, year → 4)."""
    if value is None:
        return None
    n = {"day": 10, "month": 7, "year": 4}.get(precision or "day", 10)
    return value[:n]


def first_day(value: str | None) -> str | None:
    """A full ISO date for a value of any precision (``2023-08`` → ``2023-08-01``; ``2023`` → ``2023-01-01``)."""
    if value is None:
        return None
    if len(value) == 4:
        return f"{value}-01-01"
    if len(value) == 7:
        return f"{value}-01"
    return value
