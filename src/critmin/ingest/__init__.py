"""Ingest official releases into the store: CEPII BACI, USGS MCS, World Bank WGI, World Mining Data.

>>> from critmin.ingest import ingest
>>> report = ingest(None, "baci", "BACI_HS92_Y2023_V202501.csv")   # doctest: +SKIP
>>> print(report)                                                    # doctest: +SKIP

Each parser validates the file (columns, types, units, country and HS codes, plausible years, non-negative
values) and returns tidy rows in the store schema; :func:`critmin.ingest.writer.ingest` writes them in one
transaction (idempotent; a killed process leaves the store unchanged).
"""

from __future__ import annotations

import importlib

from critmin.errors import UnknownValueError

# key -> (module, what it reads)
PARSERS: dict[str, tuple[str, str]] = {
    "baci": ("critmin.ingest.baci", "CEPII BACI yearly CSV (BACI_HS92_Y2023_V202501.csv) or release zip"),
    "usgs": (
        "critmin.ingest.usgs",
        "USGS MCS world data: mcsYYYY-<code>_world.csv (or a zip/folder of them), "
        "MCS2025_World_Data.csv, MCS2026_Commodities_Data.csv",
    ),
    "wgi": ("critmin.ingest.wgi", "World Bank WGI wgidataset.xlsx (2024 release layout) or a CSV export"),
    "wmd": ("critmin.ingest.wmd", "World Mining Data 6.4 Production_of_Mineral_Raw_Materials_...xlsx"),
}


def check_source(source: str) -> str:
    key = str(source).strip().lower()
    if key not in PARSERS:
        raise UnknownValueError("data source", source, list(PARSERS), hint="one of " + ", ".join(PARSERS))
    return key


def parser(source: str):
    """The parser module of a source key ('baci', 'usgs', 'wgi', 'wmd')."""
    return importlib.import_module(PARSERS[check_source(source)][0])


def parse(source: str, path, *, edition: str | None = None, progress=None, rejects=None):
    """Parse an official file without writing anything (returns :class:`critmin.ingest.common.Parsed`)."""
    return parser(source).parse(path, edition=edition, progress=progress, rejects=rejects)


def ingest(
    store_path,
    source: str,
    path,
    *,
    edition: str | None = None,
    skip_bad: bool = False,
    replace: bool = False,
    progress=None,
    rejects_path=None,
    location: str | None = None,
):
    """See :func:`critmin.ingest.writer.ingest`."""
    from critmin.ingest.writer import ingest as _ingest

    return _ingest(
        store_path,
        source,
        path,
        edition=edition,
        skip_bad=skip_bad,
        replace=replace,
        progress=progress,
        rejects_path=rejects_path,
        location=location,
    )


def undo(store_path, ingest_id: int):
    """See :func:`critmin.ingest.history.undo`."""
    from critmin.ingest.history import undo as _undo

    return _undo(store_path, ingest_id)


__all__ = ["PARSERS", "check_source", "ingest", "parse", "parser", "undo"]
