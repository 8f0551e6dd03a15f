"""Countries: an ISO3 master with BACI numeric codes, WGI legacy codes, WMD special codes and aliases.

We keep our own table rather than depend on ``country_converter``: coco 1.3.2 crashes on import with
pandas 3 (Namibia's ISO2 "NA" parses as missing), it is GPL-3.0, and it does not know the BACI/WMD/WGI
special codes (S19 Taiwan, R20, ZAR, ROM, KSV ...) our sources use. The table is built from the official
dictionaries by ``critmin data build`` and shipped as ``countries.parquet``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources
from typing import TYPE_CHECKING

import yaml

from critmin.errors import UnknownValueError, close_matches

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def norm(text: str) -> str:
    """Normalise a name for matching: ASCII, lower case, punctuation collapsed."""
    text = str(text).replace("’", "'")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


@functools.cache
def hand_aliases() -> dict[str, list[str]]:
    text = resources.files("critmin.reference").joinpath("country_aliases.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: start-up time
    return {k: [str(v) for v in vals] for k, vals in data.items()}


@functools.cache
def table() -> pd.DataFrame:
    """The country master (one row per ISO3), from the embedded dataset."""
    import pandas as pd

    from critmin.data import embedded_path

    path = embedded_path("countries.parquet")
    return pd.read_parquet(path).set_index("iso3", drop=False)


@functools.cache
def _rows() -> tuple[dict, ...]:
    """The country master as plain records, read with DuckDB (name lookups need no pandas, which keeps the
    command line's start-up short)."""
    import duckdb

    from critmin.data import embedded_path

    rel = duckdb.sql(f"SELECT * FROM read_parquet('{embedded_path('countries.parquet')}')")
    cols = rel.columns
    return tuple(dict(zip(cols, r, strict=True)) for r in rel.fetchall())


class CountryIndex:
    """Name/code -> ISO3 lookup built from a country table (used at run time and during the build)."""

    def __init__(self, countries: pd.DataFrame | list[dict] | tuple[dict, ...]):
        self.countries = countries
        rows = countries.to_dict("records") if hasattr(countries, "to_dict") else list(countries)
        self.names = {r["iso3"]: r["name"] for r in rows}
        lookup: dict[str, str] = {}
        for row in rows:
            aliases = row["aliases"]
            keys = [row["iso3"], row["name"], *(list(aliases) if aliases is not None else [])]
            if isinstance(row["iso2"], str) and row["iso2"]:
                keys.append(row["iso2"])
            for k in keys:
                lookup.setdefault(norm(k), row["iso3"])
        # the hand list wins over generic dictionaries (e.g. 'Congo' = Rep. of the Congo)
        for iso3, names in hand_aliases().items():
            for k in names:
                lookup[norm(k)] = iso3
            lookup.setdefault(norm(iso3), iso3)
        self.lookup = lookup
        self.baci: dict[int, str] = {}
        for row in rows:
            for code in row["baci_codes"] if row["baci_codes"] is not None else []:
                self.baci[int(code)] = row["iso3"]

    def get(self, text: str) -> str | None:
        return self.lookup.get(norm(text))

    def resolve(self, text: str) -> str:
        iso3 = self.get(text)
        if iso3 is None:
            candidates = close_matches(norm(text), self.lookup, n=6)
            shown = list(
                dict.fromkeys(f"{self.lookup[c]} ({self.names.get(self.lookup[c], c)})" for c in candidates)
            )[:3]
            raise UnknownValueError("country", text, suggestions=shown)
        return iso3


@functools.cache
def index() -> CountryIndex:
    return CountryIndex(_rows())


def resolve(text: str) -> str:
    """ISO3 code for a country name, ISO2/ISO3 code, legacy code or alias; raises with close matches."""
    return index().resolve(text)


def name(iso3: str) -> str:
    """Display name of an ISO3 code (the code itself when unknown)."""
    return index().names.get(iso3, iso3)


def from_baci(code: int) -> str | None:
    return index().baci.get(int(code))
