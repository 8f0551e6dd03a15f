"""Input relations the SQL indicator code builds on a DuckDB cursor: temporary tables from Python lists, the
winning WGI edition and the GeoPolRisk supplier weight g.

Shared by the risk engine (:mod:`critmin.indicators.engine`) and the coercion-aware weight
(:mod:`critmin.indicators.coercion`), which the engine calls: both import this module and neither imports
the other for it. Imports only what the store layer gives (no pandas), for a short command-line start-up.
"""

from __future__ import annotations

from critmin.indicators.geopolrisk_sql import instability_sql


def temp_table(cur, name: str, columns: dict[str, tuple[str, list]]) -> None:
    """A temp table from Python lists (None → NULL): ``columns`` = {name: (SQL type, values)}."""
    cols = ", ".join(f"unnest(${i + 1}::{t}[]) AS {c}" for i, (c, (t, _)) in enumerate(columns.items()))
    params = [list(v) for _, v in columns.values()]
    if params and not params[0]:
        decl = ", ".join(f"{c} {t}" for c, (t, _) in columns.items())
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({decl})")
        return
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols}", params)


def pv_edition_sql() -> str:
    """SQL selecting the winning edition of WGI political stability (ingested beats embedded, then later)."""
    from critmin.store import EDITION_RANK

    return f"""SELECT arg_max(d.edition, {EDITION_RANK.replace("s.edition", "d.edition")}) AS edition
               FROM (SELECT DISTINCT source, edition FROM governance WHERE indicator = 'pv') d
               LEFT JOIN sources s ON s.data_table = 'governance' AND s.source = d.source AND s.edition = d.edition"""


def supplier_weight_sql(edition: str | None = None) -> str:
    """GeoPolRisk supplier weight g = clip((2.5 − PV)/5, 0, 1) per (year, country) from the store's WGI
    political stability (Gemechu et al. 2016; :func:`critmin.indicators.geopolrisk.wgi_to_instability`).
    Countries without an estimate are absent (the missing-governance policy applies to them). Without
    ``edition`` it reads the relation ``_pv_edition`` (:func:`pv_edition_sql`)."""
    ed = f"'{edition}'" if edition else "(SELECT edition FROM _pv_edition)"
    return f"""SELECT year, country, any_value({instability_sql("estimate")}) AS g
               FROM governance WHERE indicator = 'pv' AND edition = {ed} AND estimate IS NOT NULL
               GROUP BY ALL"""


__all__ = ["pv_edition_sql", "supplier_weight_sql", "temp_table"]
