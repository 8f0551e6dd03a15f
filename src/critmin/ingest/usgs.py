"""USGS Mineral Commodity Summaries (MCS) world production tables.

Three official layouts are read (U.S. Geological Survey, MCS data releases, National Minerals Information
Center; public domain):

* per-commodity ``mcsYYYY-<code>_world.csv`` (MCS 2020-2024 data releases): columns ``Source, Country, Type,
  Prod_<unit>_<year>, Prod_<unit>_est_<year>, Prod_notes, Reserves_<unit>, ...``; the 5-letter commodity code
  comes from the file name (a zip or folder of these files is read as one release);
* ``MCS2025_World_Data.csv`` (one file, all commodities): ``SOURCE, COMMODITY, COUNTRY, TYPE, UNIT_MEAS,
  PROD_2023, PROD_EST_ 2024, ...``;
* ``MCS2026_Commodities_Data.csv`` (long): ``Commodity, Country, Statistics, Statistics_detail, Unit, Year,
  Value, Notes, ...``.

Cells use USGS conventions: ``W`` withheld, ``NA`` not available, ``XX`` not applicable, dashes for none,
``e`` prefix for estimates, thousands separators; country names carry footnote digits or letters
(``Other countries6``, ``Chinae``). Those special values are skipped, not errors.

Rows are mapped to the catalogue's (commodity, stage) with the ``production`` entries whose source is
``usgs`` in ``commodities.yaml`` (USGS commodity code + a regex on the ``Type`` text) by
:func:`map_to_catalogue`, which the embedded-data build uses too, so ingested and embedded USGS rows mean
the same thing.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterator
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
    clean_label,
    country_index,
    country_suggestions,
    csv_records,
    detect_encoding,
    first_occurrences,
    last_plausible_year,
    lookup_country,
    parse_number,
)

SOURCE = "USGS"

# Units as written in MCS headers (`Prod_kt_2022`) or UNIT_MEAS/Unit cells, in metric tons.
UNIT_TO_TONNES: dict[str, float] = {
    "t": 1.0,
    "kt": 1e3,
    "kg": 1e-3,
    "mt": 1e6,
    "mmt": 1e6,  # 'mt' = million t in MCS (mcs2024-feore)
    "metric tons": 1.0,
    "thousand metric tons": 1e3,
    "million metric tons": 1e6,
    "kilograms": 1e-3,
    "thousand kilograms": 1.0,
    "metric tons gross weight": 1.0,
}
# Rows that are aggregates, not countries.
AGGREGATE_RX = re.compile(
    r"^(world total|world|other countries|other|rest of world|total|top 3 share|"
    r"united states and canada|notes:|“base case”)",
    re.I,
)

WORLD_FILE_RX = re.compile(r"mcs(\d{4})-([a-z][a-z-]*)_world\.csv$", re.I)

# MCS chapter names (single-file layouts) -> the 5-letter codes of the per-commodity files.
NAME_TO_CODE: dict[str, str] = {
    "abrasives": "abras",
    "aluminum": "alumi",
    "aluminium": "alumi",
    "antimony": "antim",
    "arsenic": "arsen",
    "asbestos": "asbes",
    "barite": "barit",
    "bauxite": "bauxi",
    "bauxite and alumina": "bauxi",
    "beryllium": "beryl",
    "bismuth": "bismu",
    "boron": "boron",
    "bromine": "bromi",
    "cadmium": "cadmi",
    "cement": "cemen",
    "chromium": "chrom",
    "clays": "clays",
    "cobalt": "cobal",
    "copper": "coppe",
    "diamond": "diamo",
    "diatomite": "diato",
    "feldspar": "felds",
    "fluorspar": "fluor",
    "gallium": "galli",
    "garnet": "garne",
    "gemstones": "gemst",
    "germanium": "germa",
    "gemanium": "germa",
    "gold": "gold",
    "graphite": "graph",
    "gypsum": "gypsu",
    "helium": "heliu",
    "indium": "indiu",
    "iodine": "iodin",
    "iron ore": "feore",
    "iron and steel": "feste",
    "iron oxide pigments": "fepig",
    "kyanite": "kyani",
    "lead": "lead",
    "lime": "lime",
    "lithium": "lithi",
    "magnesium compounds": "mgcomp",
    "magnesium metal": "mgmet",
    "manganese": "manga",
    "mercury": "mercu",
    "mica": "mica",
    "molybdenum": "molyb",
    "nickel": "nicke",
    "niobium": "niobi",
    "nitrogen": "nitro",
    "peat": "peat",
    "perlite": "perli",
    "phosphate rock": "phosp",
    "platinum group metals": "plati",
    "potash": "potas",
    "pumice": "pumic",
    "rare earths": "raree",
    "rare earth": "raree",
    "rhenium": "rheni",
    "salt": "salt",
    "sand and gravel": "sandi",
    "selenium": "selen",
    "silicon": "simet",
    "silver": "silve",
    "soda ash": "sodaa",
    "stone": "stond",
    "strontium": "stron",
    "sulfur": "sulfu",
    "talc": "talc",
    "tantalum": "tanta",
    "tellurium": "tellu",
    "tin": "tin",
    "titanium": "titan",
    "titanium and titanium dioxide": "titan",
    "titanium mineral concentrates": "timin",
    "tungsten": "tungs",
    "vanadium": "vanad",
    "vermiculite": "vermi",
    "wollastonite": "wolla",
    "zeolites": "zeoli",
    "zinc": "zinc",
    "zirconium": "zirco",
    "zirconium and hafnium": "zirco",
}

LONG_COLUMNS = (
    "line",
    "file",
    "commodity_code",
    "mcs_edition",
    "country",
    "country_clean",
    "type",
    "statistic",
    "qualifier",
    "year",
    "estimated",
    "unit",
    "value_raw",
    "value",
    "problem",
)


def _norm_name(text: str) -> str:
    text = re.sub(r"\(.*?\)", " ", str(text).lower())
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


@functools.lru_cache(maxsize=4096)
def code_for_name(name: str) -> str | None:
    """USGS 5-letter code for an MCS chapter name ('Rare Earths' -> 'raree'); longest known prefix wins."""
    n = _norm_name(name)
    if n in NAME_TO_CODE:
        return NAME_TO_CODE[n]
    hits = [k for k in NAME_TO_CODE if n.startswith(k + " ")]
    return NAME_TO_CODE[max(hits, key=len)] if hits else None


def unit_factor(unit: str) -> float | None:
    u = clean_label(unit)
    if u in UNIT_TO_TONNES:
        return UNIT_TO_TONNES[u]
    return UNIT_TO_TONNES.get(u.lower().rstrip("."))


@functools.lru_cache(maxsize=1 << 16)
def strip_footnotes(name: str) -> str:
    """'Other countries6' -> 'Other countries'; 'Korea, Republic of3' -> 'Korea, Republic of'."""
    return re.sub(r"(?<=[A-Za-z)])[\d,]+$", "", clean_label(name)).strip()


# ---------------------------------------------------------------------------------------------------------
# Reading the three layouts into long cells, streamed chunk by chunk

CHUNK_CELLS = 50_000  # long cells (country x year values) per chunk: memory does not grow with the file
MAX_INPUT_BYTES = 512 << 20  # CSV text in one ingest (the official files are a few MB; refuses zip bombs)


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _prod_header(col: str) -> tuple[str, str | None, bool, int] | None:
    """'Prod_kt_est_2023' -> (unit, qualifier, estimated, year); None for other columns."""
    parts = clean_label(col).replace(" ", "").split("_")
    if len(parts) < 3 or parts[0].lower() != "prod" or not re.fullmatch(r"\d{4}", parts[-1]):
        return None
    year = int(parts[-1])
    middle = parts[1:-1]
    est = bool(middle) and middle[-1].lower() == "est"
    if est:
        middle = middle[:-1]
    if not middle or len(middle) > 2:
        return None
    return middle[-1], (middle[0] if len(middle) == 2 else None), est, year


@dataclass
class _Layout:
    """What a header row tells: how a record becomes cells (``get``), the file's commodity code and edition."""

    get: Callable[[list[str]], Iterator[tuple]]
    code: str
    edition_year: str | None
    info: dict


def _world_layout(header: list[str], label: str, name: str) -> _Layout:
    m = WORLD_FILE_RX.search(Path(name).name)
    if not m:
        raise DataError(
            "cannot tell the USGS commodity from the file name (expected mcsYYYY-<code>_world.csv, "
            "e.g. mcs2024-lithi_world.csv)",
            path=label,
        )
    file_year, code = m.group(1), m.group(2).lower()
    header = [clean_label(h) for h in header]
    lower = [h.lower() for h in header]
    if "country" not in lower:
        raise DataError(
            "missing column 'Country' (not an MCS world-data file?)", path=label, line=1, field="Country"
        )
    ci = lower.index("country")
    # one MCS 2024 file (fluorspar) has the type text as the third header instead of 'Type'
    ti = lower.index("type") if "type" in lower else ci + 1
    si = lower.index("source") if "source" in lower else None
    prod = [(i, p) for i, p in ((i, _prod_header(h)) for i, h in enumerate(header)) if p]

    def get(rec: list[str]):
        if len(rec) <= ci or not clean_label(rec[ci]):
            return
        country = rec[ci]
        typ = rec[ti] if len(rec) > ti else ""
        ed = None
        if si is not None and len(rec) > si:
            em = re.search(r"MCS\s*(\d{4})", rec[si], re.I)
            ed = em.group(1) if em else None
        for i, (unit, qual, est, year) in prod:
            raw = rec[i] if len(rec) > i else ""
            yield country, typ, unit, qual, year, est, raw, "production", None, ed

    info = {"layout": "world", "code": code, "prod_columns": [header[i] for i, _ in prod]}
    return _Layout(get, code, file_year, info)


def _world_data_2025_layout(header: list[str], label: str) -> _Layout:
    header = [clean_label(h).upper().replace(" ", "") for h in header]
    need = ("COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS")
    missing = [c for c in need if c not in header]
    if missing:
        raise DataError(f"missing column(s) {missing}", path=label, line=1, field=missing[0])
    idx = {c: header.index(c) for c in (*need, "SOURCE") if c in header}
    prod = []
    for i, h in enumerate(header):
        m = re.fullmatch(r"PROD_(EST_)?(\d{4})", h)
        if m:
            prod.append((i, bool(m.group(1)), int(m.group(2))))
    if not prod:
        raise DataError("no PROD_<year> columns", path=label, line=1, field="PROD_<year>")
    width = max(idx.values())
    fm = re.search(r"MCS(\d{4})", Path(label).name, re.I)
    unknown_names: set[str] = set()

    def get(rec: list[str]):
        if len(rec) <= width or not clean_label(rec[idx["COUNTRY"]]):
            return
        name = clean_label(rec[idx["COMMODITY"]])
        code = code_for_name(name)
        if code is None:
            unknown_names.add(name[:80])
            code = "?" + name[:80]
        ed = None
        if "SOURCE" in idx:
            em = re.search(r"MCS\s*(\d{4})", rec[idx["SOURCE"]], re.I)
            ed = em.group(1) if em else None
        unit = clean_label(rec[idx["UNIT_MEAS"]])
        for i, est, year in prod:
            raw = rec[i] if len(rec) > i else ""
            yield rec[idx["COUNTRY"]], rec[idx["TYPE"]], unit, None, year, est, raw, "production", code, ed

    info = {"layout": "MCS2025_World_Data", "unknown_commodities": unknown_names}
    return _Layout(get, "", fm.group(1) if fm else None, info)


def _commodities_data_2026_layout(header: list[str], label: str) -> _Layout:
    header = [clean_label(h).lower() for h in header]
    need = ("commodity", "country", "statistics", "statistics_detail", "unit", "year", "value")
    missing = [c for c in need if c not in header]
    if missing:
        raise DataError(f"missing column(s) {missing}", path=label, line=1, field=missing[0])
    idx = {c: header.index(c) for c in (*need, "notes") if c in header}
    width = max(idx[c] for c in need)
    fm = re.search(r"MCS(\d{4})", Path(label).name, re.I)
    unknown_names: set[str] = set()

    def get(rec: list[str]):
        if len(rec) <= width:
            return
        detail = clean_label(rec[idx["statistics_detail"]])
        if re.search(r"(?i)[:,]\s*rounded", detail):
            return  # world totals, rounded: not country rows
        name = clean_label(rec[idx["commodity"]])
        code = code_for_name(name)
        if code is None:
            unknown_names.add(name[:80])
            code = "?" + name[:80]
        year_raw = clean_label(rec[idx["year"]])
        year = int(year_raw) if re.fullmatch(r"\d{4}", year_raw) else None
        notes = rec[idx["notes"]] if "notes" in idx and len(rec) > idx["notes"] else ""
        est = bool(re.search(r"(?i)estimat", notes))
        stat = clean_label(rec[idx["statistics"]]).lower()
        unit = clean_label(rec[idx["unit"]])
        yield rec[idx["country"]], detail, unit, None, year, est, rec[idx["value"]], stat, code, None

    info = {"layout": "MCS2026_Commodities_Data", "unknown_commodities": unknown_names}
    return _Layout(get, "", fm.group(1) if fm else None, info)


def _layout(header: list[str], label: str, name: str | None = None, kind: str | None = None) -> _Layout:
    """Pick the layout from the file name and header (or force ``kind``: world, 2025, 2026)."""
    name = name or label
    h = ",".join(header).upper().replace(" ", "")
    if kind == "world" or (kind is None and WORLD_FILE_RX.search(Path(name).name)):
        return _world_layout(header, label, name)
    if kind == "2025" or (kind is None and "UNIT_MEAS" in h and "COMMODITY" in h):
        return _world_data_2025_layout(header, label)
    if kind == "2026" or (kind is None and "STATISTICS_DETAIL" in h):
        return _commodities_data_2026_layout(header, label)
    raise DataError(
        "not a USGS MCS world-data layout (expected mcsYYYY-<code>_world.csv, MCS2025_World_Data.csv "
        "or MCS2026_Commodities_Data.csv)",
        path=label,
        line=1,
    )


def _empty_cells() -> dict[str, list]:
    return {c: [] for c in LONG_COLUMNS}


def _cells(records: Iterator[tuple[int, list[str]]], label: str, layout: _Layout) -> Iterator[pd.DataFrame]:
    """Long cells of the records after the header, at most about :data:`CHUNK_CELLS` per frame."""
    buf, n = _empty_cells(), 0
    for line, rec in records:
        for country, typ, unit, qual, year, est, raw, stat, rec_code, rec_ed in layout.get(rec):
            value, e_prefix, problem = parse_number(raw)
            buf["line"].append(line)
            buf["file"].append(label)
            buf["commodity_code"].append(rec_code or layout.code)
            buf["mcs_edition"].append(rec_ed or layout.edition_year)
            buf["country"].append(country)
            buf["country_clean"].append(strip_footnotes(country))
            buf["type"].append(clean_label(typ))
            buf["statistic"].append(stat)
            buf["qualifier"].append(qual)
            buf["year"].append(year)
            buf["estimated"].append(bool(est or e_prefix))
            buf["unit"].append(unit)
            buf["value_raw"].append("" if raw is None else str(raw)[:80])
            buf["value"].append(value)
            buf["problem"].append(problem)
            n += 1
        if n >= CHUNK_CELLS:
            yield _frame(buf)
            buf, n = _empty_cells(), 0
    if n:
        yield _frame(buf)


def _frame(cells: dict[str, list]) -> pd.DataFrame:
    df = pd.DataFrame(cells, columns=list(LONG_COLUMNS))
    df["value"] = df["value"].astype("float64")
    df["estimated"] = df["estimated"].astype(bool)
    return df


def read_records(
    records: Iterator[tuple[int, list[str]]], label: str, name: str | None = None, kind: str | None = None
) -> tuple[Iterator[pd.DataFrame], dict]:
    """(lazy chunks of long cells, info) from CSV records (``(line, fields)``, header first)."""
    records = iter(records)
    first = next(records, None)
    if first is None:
        raise DataError("empty file", path=label)
    layout = _layout(first[1], label, name, kind)
    return _cells(records, label, layout), layout.info


def _read_bytes(data: bytes, label: str, name: str | None = None, kind: str | None = None):
    chunks, info = read_records(csv_records(io.StringIO(_decode(data), newline=""), label), label, name, kind)
    frames = list(chunks)
    info = {k: sorted(v) if isinstance(v, set) else v for k, v in info.items()}
    return (pd.concat(frames, ignore_index=True) if frames else _frame(_empty_cells())), info


def read_world_file(data: bytes, label: str, name: str | None = None) -> tuple[pd.DataFrame, dict]:
    """One per-commodity ``mcsYYYY-<code>_world.csv`` -> long rows (production statistics only)."""
    return _read_bytes(data, label, name or label, "world")


def read_world_data_2025(data: bytes, label: str) -> tuple[pd.DataFrame, dict]:
    """``MCS2025_World_Data.csv``: SOURCE, COMMODITY, COUNTRY, TYPE, UNIT_MEAS, PROD_2023, PROD_EST_ 2024, ..."""
    return _read_bytes(data, label, kind="2025")


def read_commodities_data_2026(data: bytes, label: str) -> tuple[pd.DataFrame, dict]:
    """``MCS2026_Commodities_Data.csv``: Commodity, Country, Statistics, Statistics_detail, Unit, Year, Value."""
    return _read_bytes(data, label, kind="2026")


def read_any(data: bytes, label: str) -> tuple[pd.DataFrame, dict]:
    """Pick the layout from the file name and header."""
    return _read_bytes(data, label)


# ---------------------------------------------------------------------------------------------------------
# Mapping to the catalogue (shared with critmin.data.build)


@dataclass
class Mapped:
    rows: pd.DataFrame  # production rows without source/edition columns set (edition per row)
    bad: list[BadRow] = field(default_factory=list)
    outside: int = 0  # production cells not matched by any catalogue series
    withheld: int = 0  # matched cells with W/NA/XX/blank values
    unmapped: set[str] = field(default_factory=set)  # country names not recognised


def map_to_catalogue(
    long: pd.DataFrame, index=None, *, strict: bool = True, seen: dict | None = None
) -> Mapped:
    """Production rows of the catalogue's USGS series from a long MCS frame.

    ``long`` has the columns of the shared derived file ``mcs_world_production_reserves_long.csv``
    (``commodity_code, mcs_edition, country_clean, type, statistic, year, estimated, unit, value``) and,
    when read by this module, ``line``/``file``/``problem`` for error messages. For each catalogue entry
    (``source: usgs``, ``code`` regex on the commodity code, ``type`` regex searched in the Type text):
    world-total rows are dropped, 'Other countries' becomes ``ROW``, units convert to tonnes, and rows are
    summed per (country, year, edition) (e.g. platinum + palladium). Unknown units or country names are bad
    rows when ``strict`` (ingest); otherwise (build) unknown names are collected in ``unmapped``.

    ``seen`` (ingest) maps each (series, file, commodity code, type, qualifier, year, country) already read to
    its line, across the chunks of a file: a repeat is a bad row ("duplicate of line N"), not added twice.
    """
    from critmin.reference import commodities as cat

    index = index or country_index()
    df = long[(long["statistic"] == "production") & long["year"].notna()].copy()
    if "line" not in df.columns:
        df["line"] = None
        df["file"] = ""
        df["problem"] = None
    result = Mapped(rows=pd.DataFrame())
    matched = np.zeros(len(df), dtype=bool)
    types = df["type"].fillna("").astype(str).str.strip()
    codes = df["commodity_code"].fillna("").astype(str)
    # the regexes are tried on the distinct (code, type) pairs, not on every cell
    pair = pd.Series(list(zip(codes, types, strict=True)), index=df.index, dtype=object)
    distinct = list(dict.fromkeys(pair))
    parts = []
    bad_lines: set = set()
    for c in cat.catalogue().values():
        for s in c.stages.values():
            for p in s.production:
                if p.source != "usgs":
                    continue
                code_rx, type_rx = re.compile(p.code), re.compile(p.type)
                hits = {k for k in distinct if code_rx.fullmatch(k[0]) and type_rx.search(k[1])}
                mask = pair.isin(hits).to_numpy() if hits else np.zeros(len(df), dtype=bool)
                if not mask.any():
                    continue
                matched |= mask
                sub = df[mask].copy()
                names = sub["country_clean"].fillna("").astype(str)
                sub = sub[~names.str.match(r"(?i)world")]
                names = sub["country_clean"].fillna("").astype(str)
                # cells that are not numbers and not USGS special values
                for r in sub[sub["problem"].notna()].itertuples():
                    if (r.file, r.line) not in bad_lines:
                        bad_lines.add((r.file, r.line))
                        result.bad.append(BadRow(r.file, r.line, f"{r.year} value", r.problem, r.value_raw))
                result.withheld += int((sub["value"].isna() & sub["problem"].isna()).sum())
                sub["factor"] = sub["unit"].map(lambda u: unit_factor(str(u)))
                for r in sub[sub["factor"].isna() & sub["value"].notna()].itertuples():
                    if strict:
                        result.bad.append(
                            BadRow(
                                r.file,
                                r.line,
                                "unit",
                                "unknown unit (expected t, kt, kg, Mt, metric tons, kilograms ...)",
                                str(r.unit),
                            )
                        )
                    else:
                        raise DataError(f"unexpected USGS unit {r.unit!r}", field="unit")
                for r in sub[sub["value"] < 0].itertuples():
                    result.bad.append(
                        BadRow(r.file, r.line, f"{r.year} value", "negative production", r.value_raw)
                    )
                sub = sub[sub["value"].isna() | (sub["value"] >= 0)]
                for r in sub[(sub["year"] < FIRST_YEAR) | (sub["year"] > last_plausible_year())].itertuples():
                    result.bad.append(BadRow(r.file, r.line, "year", "implausible year", str(r.year)))
                sub["tonnes"] = sub["value"] * sub["factor"]
                is_rest = names.reindex(sub.index).str.match(r"(?i)^other")
                countries = []
                for r, rest in zip(sub.itertuples(), is_rest, strict=True):
                    if rest:
                        countries.append("ROW")
                        continue
                    if AGGREGATE_RX.match(r.country_clean or ""):
                        countries.append(None)
                        continue
                    iso = lookup_country(r.country_clean, index)
                    if iso is None and pd.notna(r.tonnes):
                        result.unmapped.add(r.country_clean)
                        if strict and (r.file, r.line, "country") not in bad_lines:
                            bad_lines.add((r.file, r.line, "country"))
                            hint = country_suggestions(r.country_clean, index)
                            result.bad.append(
                                BadRow(
                                    r.file,
                                    r.line,
                                    "Country",
                                    "unknown country" + (f" — did you mean {hint}?" if hint else ""),
                                    r.country,
                                )
                            )
                    countries.append(iso)
                sub["country"] = countries
                sub = sub.dropna(subset=["country", "tonnes"])
                sub = sub[(sub["year"] >= FIRST_YEAR) & (sub["year"] <= last_plausible_year())]
                if seen is not None and not sub.empty:
                    sub = sub[_first_occurrences(sub, (c.id, s.name, p.code, p.type), seen, result.bad)]
                if sub.empty:
                    continue
                ed = sub["mcs_edition"].astype("string").str.replace(r"\.0$", "", regex=True)
                sub["edition"] = ("MCS " + ed).fillna("MCS ?")
                g = sub.groupby(["country", "year", "edition"], as_index=False).agg(
                    tonnes=("tonnes", "sum"), estimated=("estimated", "any")
                )
                g["year"] = g["year"].astype(int)
                g["commodity"], g["stage"], g["basis"], g["series"] = (
                    c.id,
                    s.name,
                    p.basis,
                    f"{p.code}: {p.type}",
                )
                parts.append(g)
    result.outside = int((~matched).sum())
    cols = ["commodity", "stage", "country", "year", "tonnes", "basis", "estimated", "series", "edition"]
    result.rows = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    return result


def _first_occurrences(sub: pd.DataFrame, series: tuple, seen: dict, bad: list[BadRow]) -> np.ndarray:
    """Rows of ``sub`` whose (series, file, code, type, qualifier, year, country) was not read before."""
    keys = zip(
        *(sub[c] for c in ("file", "commodity_code", "type", "qualifier")),
        sub["year"].astype(int),
        sub["country"],
        strict=True,
    )
    return first_occurrences(
        ((series, *k) for k in keys),
        sub["file"],
        sub["line"],
        sub["country_clean"],
        seen,
        bad,
        lambda first, _key: f"duplicate of line {first} (same country and type)",
    )


# ---------------------------------------------------------------------------------------------------------
# The parser used by `critmin data ingest usgs FILE`


@dataclass(frozen=True)
class Input:
    """One CSV to read: its label in messages, its file name (for the layout), how to open it, its size."""

    label: str
    name: str
    open: Callable[[], contextlib.AbstractContextManager]
    size: int


@contextlib.contextmanager
def _zip_member(path: Path, member: str):
    with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
        yield fh


def _inputs(path: Path) -> list[Input]:
    """The CSVs to read: the file, the world CSVs of a zip, or of a folder (at most :data:`MAX_INPUT_BYTES`)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.csv") if WORLD_FILE_RX.search(p.name))
        if not files:
            raise DataError("the folder holds no mcsYYYY-<code>_world.csv file", path=str(path))
        out = [
            Input(
                f"{path.name}/{p.relative_to(path)}",
                p.name,
                functools.partial(open, p, "rb"),
                p.stat().st_size,
            )
            for p in files
        ]
    elif path.suffix.lower() == ".zip":
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataError(f"not a readable zip file ({exc})", path=str(path)) from None
        with zf:
            infos = sorted(
                (
                    i
                    for i in zf.infolist()
                    if i.filename.lower().endswith(".csv")
                    and (
                        WORLD_FILE_RX.search(Path(i.filename).name)
                        or re.search(r"(?i)MCS\d{4}_(World|Commodities)_Data", i.filename)
                    )
                ),
                key=lambda i: i.filename,
            )
        if not infos:
            raise DataError("the zip holds no MCS world-data CSV", path=str(path))
        out = [
            Input(
                f"{path.name}/{i.filename}",
                Path(i.filename).name,
                functools.partial(_zip_member, path, i.filename),
                i.file_size,
            )
            for i in infos
        ]
    else:
        out = [Input(path.name, path.name, functools.partial(open, path, "rb"), path.stat().st_size)]
    total = sum(i.size for i in out)
    if total > MAX_INPUT_BYTES:
        raise DataError(
            f"the input unpacks to {total:,} bytes of CSV, above the {MAX_INPUT_BYTES:,}-byte limit (the "
            "official MCS files are a few MB)",
            path=str(path),
        )
    return out


@contextlib.contextmanager
def read_input(inp: Input) -> Iterator[tuple[Iterator[pd.DataFrame], dict]]:
    """Open one input and yield (lazy chunks of long cells, info): decoded in the file's encoding (UTF-8,
    else cp1252), refused when cut short, streamed record by record."""
    try:
        encoding = detect_encoding(inp.open, inp.label)
        with inp.open() as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, newline="")
            yield read_records(csv_records(text, inp.label), inp.label, inp.name)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise DataError(f"cannot read the file ({exc})", path=inp.label) from None


def _combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Mapped rows of all chunks, summed per series, country, year and edition (as within one chunk)."""
    cols = ["commodity", "stage", "country", "year", "tonnes", "basis", "estimated", "series", "edition"]
    if not parts:
        return pd.DataFrame(columns=cols)
    df = pd.concat(parts, ignore_index=True)
    if len(parts) > 1:
        df = df.groupby(
            ["commodity", "stage", "basis", "series", "country", "year", "edition"],
            as_index=False,
            sort=False,
        ).agg(tonnes=("tonnes", "sum"), estimated=("estimated", "any"))
    return df[cols]


def parse(
    path: str | Path,
    *,
    edition: str | None = None,
    progress: ProgressFn | None = None,
    rejects: Rejects | None = None,
) -> Parsed:
    """Parse USGS MCS world data (one CSV, a zip or a folder of per-commodity files) into production rows.

    Records are streamed and mapped to the catalogue chunk by chunk; only the catalogue's rows are kept, so
    memory depends on the catalogue, not on the size of the file.
    """
    path = Path(path)
    rejects = rejects or Rejects()
    inputs = _inputs(path)
    index = country_index()
    seen: dict = {}
    parts, notes, unknown, file_editions = [], [], set(), set()
    counts = {"rows_read": 0, "outside_catalogue": 0, "withheld_or_na": 0}
    for i, inp in enumerate(inputs):
        with read_input(inp) as (chunks, info):
            for long in chunks:
                mapped = map_to_catalogue(long, index, strict=True, seen=seen)
                rejects.extend(mapped.bad)
                if not mapped.rows.empty:
                    parts.append(mapped.rows)
                file_editions.update(long["mcs_edition"].dropna().astype(str))
                counts["rows_read"] += len(long)
                counts["outside_catalogue"] += mapped.outside
                counts["withheld_or_na"] += mapped.withheld
        unknown.update(info.get("unknown_commodities", ()))
        if progress:
            progress("reading", i + 1, len(inputs))
    rows = _combine(parts)
    editions = sorted(set(rows["edition"])) if not rows.empty else []
    if edition is None:
        if "MCS ?" in editions:
            editions = []
        if len(editions) > 1:
            raise DataError(
                f"the input mixes MCS editions {editions}; ingest them one at a time or pass --edition",
                path=str(path),
            )
        if not editions:
            eds = sorted(file_editions)
            edition = f"MCS {eds[0]}" if len(eds) == 1 else None
        else:
            edition = editions[0]
    if edition is None:
        raise DataError(
            "cannot tell the MCS edition (no Source column or MCSyyyy in the file name); "
            "pass --edition 'MCS 2025'",
            path=str(path),
        )
    rows = rows.assign(edition=edition, source=SOURCE)
    if unknown:
        shown = sorted(unknown)
        notes.append(
            "commodity names not recognised (ignored): "
            + ", ".join(shown[:20])
            + (f" and {len(shown) - 20} more" if len(shown) > 20 else "")
        )
    stats = {
        "read_unit": "values (country x year)",
        **counts,
        "kept": len(rows),
        "files": len(inputs),
    }
    rows = rows[list(COLUMNS["production"])]
    rows["year"] = rows["year"].astype("int16")
    rows["estimated"] = rows["estimated"].astype(bool)
    return Parsed(
        source=SOURCE,
        key="usgs",
        table="production",
        edition=edition,
        chunks=iter([rows]),
        rejects=rejects,
        stats=stats,
        notes=notes,
    )
