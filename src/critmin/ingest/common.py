"""Pieces shared by the official-format parsers: the parse result, bad-row bookkeeping, number and name cleaning.

A parser turns one official file into chunks of tidy rows in the store schema
(:data:`critmin.schema.SCHEMA`) and records every row it cannot accept as a :class:`BadRow` naming the file,
the 1-based line (or ``Sheet!row`` for workbooks), the field and the reason. The writer decides what to do
with bad rows (refuse the ingest, or skip them and write a rejects CSV).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import DataError
from critmin.schema import COLUMNS, PART_SQL, part_sql  # noqa: F401 - the parsers' view of the schema
from critmin.untrusted import csv_row

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
        value = str(self.value)
        value = value if len(value) <= 80 else value[:79] + "…"
        shown = f" (got {value!r})" if value != "" else ""
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
            # the values come from the file being rejected: neutralised for spreadsheets
            self._writer.writerow(csv_row([row.file, row.line, row.field, row.reason, row.value]))

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
    # chunk columns staged besides the store's: '_file' and '_line' (where each row comes from) and raw codes
    extra_columns: tuple[str, ...] = ()
    # staged columns identifying one row of the file: two rows with equal values are duplicates (the writer
    # refuses them with both lines); None when the parser checks duplicates itself
    duplicate_key: tuple[str, ...] | None = None
    duplicate_key_name: str | None = None


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
        try:
            value = float(raw)
        except OverflowError:  # an integer cell of hundreds of digits
            return None, False, "not a finite number"
        return (value, False, None) if math.isfinite(value) else (None, False, "not a finite number")
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
    if not _DECIMAL.fullmatch(clean):  # float() would also take 'inf', 'infinity', '1_000' and hex-ish text
        return None, estimated, "not a number"
    value = float(clean)
    if not math.isfinite(value):
        return None, estimated, "not a finite number"
    return value, estimated, None


_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


_SPACES = re.compile(r"\s+")


def clean_label(text: object) -> str:
    """A label with runs of white space (no-break spaces included) made one space, BOM removed, stripped."""
    if isinstance(text, str) and len(text) < 200:
        return _clean_short(text)
    return _SPACES.sub(" ", str(text).replace("\xa0", " ").replace("\ufeff", "")).strip()


@functools.lru_cache(maxsize=1 << 16)
def _clean_short(text: str) -> str:  # the same few thousand labels repeat over a file's cells
    return _SPACES.sub(" ", text.replace("\xa0", " ").replace("\ufeff", "")).strip()


def first_occurrences(keys, files, lines, values, seen: dict, bad: list[BadRow], reason) -> np.ndarray:
    """Mask of the rows whose key was not read before (``seen`` maps key -> first line, across chunks).

    A repeat becomes a bad row in field ``Country`` with ``reason(first_line, key)`` — one per line, however
    many of its cells (years) repeat.
    """
    keys = list(keys)
    keep = np.ones(len(keys), dtype=bool)
    reported = set()
    for i, (key, f, line, value) in enumerate(zip(keys, files, lines, values, strict=True)):
        first = seen.setdefault(key, line)
        if first == line:
            continue
        keep[i] = False
        if (f, line) not in reported:
            reported.add((f, line))
            bad.append(BadRow(f, line, "Country", reason(first, key), value))
    return keep


def country_index():
    from critmin.reference.countries import index

    return index()


def lookup_country(name: str, index) -> str | None:
    """ISO3 for a country name as printed in USGS/WMD tables (footnote digits/letters tolerated)."""
    raw = clean_label(name)
    if not raw:
        return None
    candidates = [raw, re.sub(r"[\d,]+$", "", raw).strip()]
    if (fixed := repair_mojibake(raw)) != raw:  # a UTF-8 name read as cp1252 upstream
        candidates.insert(1, fixed)
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


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as cp1252/Latin-1 ('CuraÃ§ao' -> 'Curaçao'); other text is returned as is.

    Such text is recognisable: re-encoding it as cp1252 (or Latin-1) gives valid UTF-8 that is shorter.
    """
    if not text or not any(ch in text for ch in "ÃÂÅÄÆÐÑØâ"):
        return text
    for enc in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(enc).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if len(fixed) < len(text):
            return fixed
    return text


# ---------------------------------------------------------------------------------------------------------
# Reading untrusted files without surprises: encodings, CSV records, truncation, workbooks

MAX_CSV_FIELD = 131_072  # Python's csv default; no official table has a cell anywhere near this long


def detect_encoding(open_binary: Callable[[], object], label: str, encodings=("utf-8-sig", "cp1252")) -> str:
    """The first of ``encodings`` the whole stream decodes with (Latin-1 as the last resort), in one pass per
    candidate over 1 MB blocks. Raises :class:`DataError` when the stream does not end with a line break
    (a cut-short file: its last row would be taken as complete)."""
    import codecs

    def last_byte(decoder) -> bytes:
        last = b""
        with open_binary() as fh:
            while block := fh.read(1 << 20):
                if decoder is not None:
                    decoder.decode(block)
                last = block[-1:]
            if decoder is not None:
                decoder.decode(b"", final=True)
        return last

    chosen, last = None, b""
    for enc in encodings:
        try:
            last = last_byte(codecs.getincrementaldecoder(enc)())
        except UnicodeDecodeError:
            continue
        chosen = enc
        break
    if chosen is None:
        chosen, last = "latin-1", last_byte(None)
    if last not in (b"", b"\n", b"\r"):
        raise DataError(
            "the file does not end with a line break: it looks cut short (an interrupted download or copy?) "
            "and its last row would be read as complete; download it again",
            path=label,
        )
    return chosen


def csv_records(text, label: str, *, first_line: int = 1) -> Iterator[tuple[int, list[str]]]:
    """CSV records of a text stream with the physical line each starts on; CSV errors (a field over
    :data:`MAX_CSV_FIELD` characters, a NUL byte, an unterminated quote) become a :class:`DataError` naming the
    line."""
    reader = csv.reader(text)
    start = first_line
    try:
        for rec in reader:
            yield start, rec
            start = first_line + reader.line_num
    except csv.Error as exc:
        raise DataError(
            f"not a readable CSV file ({exc}; no official table has such a line)", path=label, line=start
        ) from None


def check_workbook(path: Path, *, max_bytes: int = 512 << 20) -> None:
    """Refuse an .xlsx whose XML declares a DTD (entity expansion, "billion laughs", external entities) or
    whose parts unpack to more than ``max_bytes`` (a zip bomb), before any XML parser sees it."""
    import zipfile

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"not a readable xlsx workbook ({exc})", path=path.name) from None
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > max_bytes:
            raise DataError(
                f"the workbook unpacks to {total:,} bytes, above the {max_bytes:,}-byte limit", path=path.name
            )
        for info in infos:
            if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            tail = b""
            try:
                with zf.open(info) as fh:
                    while block := fh.read(1 << 20):
                        window = tail + block
                        if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                            raise DataError(
                                f"the workbook part {info.filename} declares a DTD (<!DOCTYPE/<!ENTITY>), which "
                                "Excel never writes; refused as unsafe XML",
                                path=path.name,
                            )
                        tail = block[-16:]
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise DataError(f"damaged workbook part {info.filename} ({exc})", path=path.name) from None
