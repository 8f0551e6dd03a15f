"""Pieces shared by the official-format parsers: the parse result, bad-row bookkeeping, number and name cleaning.

A parser turns one official file into chunks of tidy rows in the store schema
(:data:`critmin.store.SCHEMA`) and records every row it cannot accept as a :class:`BadRow` naming the file,
the 1-based line (or ``Sheet!row`` for workbooks), the field and the reason. The writer decides what to do
with bad rows (refuse the ingest, or skip them and write a rejects CSV).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

# Columns of each data table in store order (must match critmin.store.SCHEMA).
COLUMNS: dict[str, tuple[str, ...]] = {
    "trade": ("year", "exporter", "importer", "hs6", "value_kusd", "tonnes", "source", "edition"),
    "production": (
        "commodity",
        "stage",
        "country",
        "year",
        "tonnes",
        "basis",
        "estimated",
        "series",
        "source",
        "edition",
    ),
    "governance": (
        "country",
        "year",
        "indicator",
        "estimate",
        "stddev",
        "nsource",
        "pctrank",
        "source",
        "edition",
    ),
}

# An ingest replaces, within its (source, edition), only the parts of a table the file covers: a yearly BACI
# file replaces its year, a USGS commodity file its (commodity, stage), a WGI file its indicators.
PART_SQL: dict[str, str] = {
    "trade": "CAST({a}year AS VARCHAR)",
    "production": "{a}commodity || '/' || {a}stage",
    "governance": "{a}indicator",
}


def part_sql(table: str, alias: str = "") -> str | None:
    """SQL expression naming the part of ``table`` a row belongs to (None for tables ingest never writes)."""
    tpl = PART_SQL.get(table)
    return tpl.format(a=f"{alias}." if alias else "") if tpl else None


FIRST_YEAR = 1960  # earliest plausible data year in any source we read
MAX_LISTED = 10  # bad rows listed in an error message

ProgressFn = Callable[[str, int, int | None], None]


def last_plausible_year() -> int:
    return dt.date.today().year + 1


@dataclass(frozen=True)
class BadRow:
    file: str
    line: int | str | None
    field: str
    reason: str
    value: str = ""

    def where(self) -> str:
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
        return f"{loc} [{self.field}]"

    def __str__(self) -> str:
        shown = f" (got {self.value!r})" if self.value != "" else ""
        return f"{self.where()}: {self.reason}{shown}"


def line_order(row: BadRow) -> tuple:
    """Sort key: file, then sheet and row ('Cobalt!12') or line number."""
    line = row.line
    if isinstance(line, str) and "!" in line:
        sheet, _, n = line.rpartition("!")
        return (row.file, sheet, int(n) if n.isdigit() else 0)
    return (row.file, "", int(line) if isinstance(line, int) or str(line).isdigit() else 0)


class Rejects:
    """Collects bad rows: keeps the first few for messages, counts all, optionally streams them to a CSV."""

    FIELDS = ("file", "line", "field", "reason", "value")

    def __init__(self, path: Path | None = None, keep: int = MAX_LISTED):
        self.first: list[BadRow] = []
        self.count = 0
        self.keep = keep
        self.path = path
        self._fh = None
        self._writer = None

    def add(self, row: BadRow) -> None:
        self.count += 1
        if len(self.first) < self.keep:
            self.first.append(row)
        if self.path is not None:
            if self._writer is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
                self._writer = csv.writer(self._fh)
                self._writer.writerow(self.FIELDS)
            self._writer.writerow([row.file, row.line, row.field, row.reason, row.value])

    def extend(self, rows) -> None:
        """Add several bad rows, in file and line order."""
        for r in sorted(rows, key=line_order):
            self.add(r)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def summary(self) -> str:
        lines = [f"  {r}" for r in self.first]
        more = self.count - len(self.first)
        if more > 0:
            lines.append(f"  ... and {more} more")
        return "\n".join(lines)


@dataclass
class Parsed:
    """What a parser produced from one file (the chunks are generated lazily, so memory stays bounded)."""

    source: str  # store `source` label: 'BACI', 'USGS', 'WGI', 'WMD'
    key: str  # registry key: 'baci', 'usgs', 'wgi', 'wmd'
    table: str  # target data table
    edition: str
    chunks: Iterator[pd.DataFrame]
    rejects: Rejects
    stats: dict = field(default_factory=dict)  # counters filled while the chunks are consumed
    notes: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Numbers as printed in official tables

# USGS: W withheld, NA not available, XX not applicable, dashes = none/zero, bounds and words.
SPECIAL_VALUE = re.compile(
    r"^(w|na|n/a|xx|x|nan|--|—|–|-|\.\.|\.\.\.|#n/a|large|small|moderate|negligible|none|nil|"
    r"(less|more) than.*|[<>≤≥].*|\(\d+\)|included (with|in) .*|see .*|withheld.*|not available.*)$",
    re.I,
)


def parse_number(raw: object) -> tuple[float | None, bool, str | None]:
    """Parse an official table cell: ``(value, estimated, problem)``.

    ``value`` is None for blank and special cells (W, NA, XX, dashes, bounds such as ``<1``): those are not
    errors. A leading ``e`` marks a USGS estimate (``e1,200``); thousands separators are removed. ``problem``
    is a reason string when the cell is neither a number nor a known special value.
    """
    if raw is None:
        return None, False, None
    if isinstance(raw, int | float):
        if raw != raw:  # NaN
            return None, False, None
        return float(raw), False, None
    text = str(raw).replace("\xa0", " ").strip()
    if not text:
        return None, False, None
    estimated = False
    if text[0] in "eE" and len(text) > 1 and (text[1].isdigit() or text[1] in " ,."):
        estimated = True
        text = text[1:].strip()
    if SPECIAL_VALUE.match(text):
        return None, estimated, None
    clean = text.replace(",", "").replace(" ", "")
    try:
        return float(clean), estimated, None
    except ValueError:
        return None, estimated, "not a number"


def clean_label(text: object) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\xa0", " ").replace("\ufeff", "")).strip()


def country_index():
    from critmin.reference.countries import index

    return index()


def lookup_country(name: str, index) -> str | None:
    """ISO3 for a country name as printed in USGS/WMD tables (footnote digits/letters tolerated)."""
    raw = clean_label(name)
    if not raw:
        return None
    candidates = [raw, re.sub(r"[\d,]+$", "", raw).strip()]
    for c in list(candidates):
        candidates.append(re.sub(r"\s*\(.*\)$", "", c))  # 'Congo (Kinshasa)' is an alias; keep as fallback
        candidates.append(c.split(",")[0])
    for c in candidates:
        hit = index.get(c)
        if hit:
            return hit
        # USGS attaches footnote letters to names ('Chinae' = estimated, 'Russiae')
        if len(c) > 3 and c[-1] in "ep" and index.get(c[:-1]):
            return index.get(c[:-1])
    return None


def country_suggestions(name: str, index, n: int = 3) -> str:
    from critmin.errors import close_matches

    hits = close_matches(clean_label(name), list(index.names.values()), n=n)
    return ", ".join(hits)
