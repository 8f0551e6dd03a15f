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

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
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


def strip_footnotes(name: str) -> str:
    """'Other countries6' -> 'Other countries'; 'Korea, Republic of3' -> 'Korea, Republic of'."""
    return re.sub(r"(?<=[A-Za-z)])[\d,]+$", "", clean_label(name)).strip()


# ---------------------------------------------------------------------------------------------------------
# Reading the three layouts into one long frame


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """CSV records with the physical line on which each starts."""
    reader = csv.reader(io.StringIO(text))
    out, start = [], 1
    for rec in reader:
        out.append((start, rec))
        start = reader.line_num + 1
    return out


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


def _long_rows(records, label: str, code: str, edition_year: str | None, get) -> list[dict]:
    """Shared by the layouts: ``get(rec)`` yields (country, type, unit, qualifier, year, est, raw) tuples."""
    out = []
    for line, rec in records:
        for country, typ, unit, qual, year, est, raw, stat, rec_code, rec_ed in get(rec):
            value, e_prefix, problem = parse_number(raw)
            out.append(
                {
                    "line": line,
                    "file": label,
                    "commodity_code": rec_code or code,
                    "mcs_edition": rec_ed or edition_year,
                    "country": country,
                    "country_clean": strip_footnotes(country),
                    "type": clean_label(typ),
                    "statistic": stat,
                    "qualifier": qual,
                    "year": year,
                    "estimated": bool(est or e_prefix),
                    "unit": unit,
                    "value_raw": "" if raw is None else str(raw),
                    "value": value,
                    "problem": problem,
                }
            )
    return out


def read_world_file(data: bytes, label: str, name: str | None = None) -> tuple[pd.DataFrame, dict]:
    """One per-commodity ``mcsYYYY-<code>_world.csv`` -> long rows (production statistics only)."""
    name = name or label
    m = WORLD_FILE_RX.search(Path(name).name)
    if not m:
        raise DataError(
            "cannot tell the USGS commodity from the file name (expected mcsYYYY-<code>_world.csv, "
            "e.g. mcs2024-lithi_world.csv)",
            path=label,
        )
    file_year, code = m.group(1), m.group(2).lower()
    records = _rows(_decode(data))
    if not records:
        raise DataError("empty file", path=label)
    _, header = records[0]
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
    prod = [(i, _prod_header(h)) for i, h in enumerate(header)]
    prod = [(i, p) for i, p in prod if p]
    info = {"layout": "world", "code": code, "prod_columns": [header[i] for i, _ in prod]}

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

    rows = _long_rows(records[1:], label, code, file_year, get)
    return _frame(rows), info


def read_world_data_2025(data: bytes, label: str) -> tuple[pd.DataFrame, dict]:
    """``MCS2025_World_Data.csv``: SOURCE, COMMODITY, COUNTRY, TYPE, UNIT_MEAS, PROD_2023, PROD_EST_ 2024, ..."""
    records = _rows(_decode(data))
    header = [clean_label(h).upper().replace(" ", "") for h in records[0][1]]
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
    fm = re.search(r"MCS(\d{4})", Path(label).name, re.I)
    unknown_names: set[str] = set()

    def get(rec: list[str]):
        if len(rec) <= idx["COUNTRY"] or not clean_label(rec[idx["COUNTRY"]]):
            return
        name = clean_label(rec[idx["COMMODITY"]])
        code = code_for_name(name)
        if code is None:
            unknown_names.add(name)
            code = "?" + name
        ed = None
        if "SOURCE" in idx:
            em = re.search(r"MCS\s*(\d{4})", rec[idx["SOURCE"]], re.I)
            ed = em.group(1) if em else None
        for i, est, year in prod:
            raw = rec[i] if len(rec) > i else ""
            yield (
                rec[idx["COUNTRY"]],
                rec[idx["TYPE"]],
                clean_label(rec[idx["UNIT_MEAS"]]),
                None,
                year,
                est,
                raw,
                "production",
                code,
                ed,
            )

    rows = _long_rows(records[1:], label, "", fm.group(1) if fm else None, get)
    return _frame(rows), {"layout": "MCS2025_World_Data", "unknown_commodities": sorted(unknown_names)}


def read_commodities_data_2026(data: bytes, label: str) -> tuple[pd.DataFrame, dict]:
    """``MCS2026_Commodities_Data.csv``: Commodity, Country, Statistics, Statistics_detail, Unit, Year, Value."""
    records = _rows(_decode(data))
    header = [clean_label(h).lower() for h in records[0][1]]
    need = ("commodity", "country", "statistics", "statistics_detail", "unit", "year", "value")
    missing = [c for c in need if c not in header]
    if missing:
        raise DataError(f"missing column(s) {missing}", path=label, line=1, field=missing[0])
    idx = {c: header.index(c) for c in (*need, "notes") if c in header}
    fm = re.search(r"MCS(\d{4})", Path(label).name, re.I)
    unknown_names: set[str] = set()

    def get(rec: list[str]):
        if len(rec) <= idx["value"]:
            return
        detail = clean_label(rec[idx["statistics_detail"]])
        if re.search(r"(?i)[:,]\s*rounded", detail):
            return  # world totals, rounded: not country rows
        name = clean_label(rec[idx["commodity"]])
        code = code_for_name(name)
        if code is None:
            unknown_names.add(name)
            code = "?" + name
        year_raw = clean_label(rec[idx["year"]])
        year = int(year_raw) if re.fullmatch(r"\d{4}", year_raw) else None
        notes = rec[idx["notes"]] if "notes" in idx and len(rec) > idx["notes"] else ""
        est = bool(re.search(r"(?i)estimat", notes))
        yield (
            rec[idx["country"]],
            detail,
            clean_label(rec[idx["unit"]]),
            None,
            year,
            est,
            rec[idx["value"]],
            clean_label(rec[idx["statistics"]]).lower(),
            code,
            None,
        )

    rows = _long_rows(records[1:], label, "", fm.group(1) if fm else None, get)
    df = _frame(rows)
    return df, {"layout": "MCS2026_Commodities_Data", "unknown_commodities": sorted(unknown_names)}


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(LONG_COLUMNS))
    df["value"] = df["value"].astype("float64")
    df["estimated"] = df["estimated"].astype(bool)
    return df


def read_any(data: bytes, label: str) -> tuple[pd.DataFrame, dict]:
    """Pick the layout from the file name and header."""
    head = _decode(data[:4096]).splitlines()[0] if data else ""
    h = head.upper().replace(" ", "")
    if WORLD_FILE_RX.search(Path(label).name):
        return read_world_file(data, label)
    if "UNIT_MEAS" in h and "COMMODITY" in h:
        return read_world_data_2025(data, label)
    if "STATISTICS_DETAIL" in h:
        return read_commodities_data_2026(data, label)
    raise DataError(
        "not a USGS MCS world-data layout (expected mcsYYYY-<code>_world.csv, MCS2025_World_Data.csv "
        "or MCS2026_Commodities_Data.csv)",
        path=label,
        line=1,
    )


# ---------------------------------------------------------------------------------------------------------
# Mapping to the catalogue (shared with critmin.data.build)


@dataclass
class Mapped:
    rows: pd.DataFrame  # production rows without source/edition columns set (edition per row)
    bad: list[BadRow] = field(default_factory=list)
    outside: int = 0  # production cells not matched by any catalogue series
    withheld: int = 0  # matched cells with W/NA/XX/blank values
    unmapped: set[str] = field(default_factory=set)  # country names not recognised


def map_to_catalogue(long: pd.DataFrame, index=None, *, strict: bool = True) -> Mapped:
    """Production rows of the catalogue's USGS series from a long MCS frame.

    ``long`` has the columns of the shared derived file ``mcs_world_production_reserves_long.csv``
    (``commodity_code, mcs_edition, country_clean, type, statistic, year, estimated, unit, value``) and,
    when read by this module, ``line``/``file``/``problem`` for error messages. For each catalogue entry
    (``source: usgs``, ``code`` regex on the commodity code, ``type`` regex searched in the Type text):
    world-total rows are dropped, 'Other countries' becomes ``ROW``, units convert to tonnes, and rows are
    summed per (country, year, edition) (e.g. platinum + palladium). Unknown units or country names are bad
    rows when ``strict`` (ingest); otherwise (build) unknown names are collected in ``unmapped``.
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
    parts = []
    bad_lines: set = set()
    for c in cat.catalogue().values():
        for s in c.stages.values():
            for p in s.production:
                if p.source != "usgs":
                    continue
                rx = re.compile(p.type)
                mask = (
                    codes.str.fullmatch(p.code).to_numpy()
                    & types.map(lambda t, rx=rx: bool(rx.search(t))).to_numpy()
                )
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


# ---------------------------------------------------------------------------------------------------------
# The parser used by `critmin data ingest usgs FILE`


def _inputs(path: Path) -> list[tuple[str, bytes]]:
    """(label, bytes) of each CSV to read: the file, the world CSVs of a zip, or of a folder."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.csv") if WORLD_FILE_RX.search(p.name))
        if not files:
            raise DataError("the folder holds no mcsYYYY-<code>_world.csv file", path=str(path))
        return [(f"{path.name}/{p.relative_to(path)}", p.read_bytes()) for p in files]
    if path.suffix.lower() == ".zip":
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise DataError(f"not a readable zip file ({exc})", path=str(path)) from exc
        with zf:
            names = sorted(
                n
                for n in zf.namelist()
                if n.lower().endswith(".csv")
                and (
                    WORLD_FILE_RX.search(Path(n).name)
                    or re.search(r"(?i)MCS\d{4}_(World|Commodities)_Data", n)
                )
            )
            if not names:
                raise DataError("the zip holds no MCS world-data CSV", path=str(path))
            return [(f"{path.name}/{n}", zf.read(n)) for n in names]
    return [(path.name, path.read_bytes())]


def parse(
    path: str | Path,
    *,
    edition: str | None = None,
    progress: ProgressFn | None = None,
    rejects: Rejects | None = None,
) -> Parsed:
    """Parse USGS MCS world data (one CSV, a zip or a folder of per-commodity files) into production rows."""
    path = Path(path)
    rejects = rejects or Rejects()
    inputs = _inputs(path)
    frames, notes, unknown = [], [], set()
    for i, (label, data) in enumerate(inputs):
        df, info = read_any(data, label)
        frames.append(df)
        unknown.update(info.get("unknown_commodities", []))
        if progress:
            progress("reading", i + 1, len(inputs))
    long = pd.concat(frames, ignore_index=True)
    mapped = map_to_catalogue(long, strict=True)
    rejects.extend(mapped.bad)
    rows = mapped.rows
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
            eds = sorted(set(long["mcs_edition"].dropna().astype(str)))
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
        notes.append(f"commodity names not recognised (ignored): {', '.join(sorted(unknown))}")
    stats = {
        "read_unit": "values (country x year)",
        "rows_read": len(long),
        "outside_catalogue": mapped.outside,
        "withheld_or_na": mapped.withheld,
        "kept": len(rows),
        "files": len(inputs),
    }
    from critmin.ingest.common import COLUMNS

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
