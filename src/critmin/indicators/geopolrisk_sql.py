"""GeoPolRisk as one DuckDB query: the engine for large sweeps (all materials × importers × years).

Same equations, inputs and outputs as :func:`critmin.indicators.geopolrisk.geopolrisk_table` (Gemechu et al.
2016, eq. 1; Helbig et al. 2016, eq. 2; Koyamparambath et al. 2024, eqs. 2-3), computed inside DuckDB so a
sweep needs neither pandas nor a Python loop: the tests check both engines give the same numbers. This
module imports only duckdb (pandas is never imported), which keeps a command-line sweep's start-up short.

Input relations (tables, views or registered data frames) and their columns:

* ``trade``: <keys>, exporter, importer, value_kusd, tonnes  (tonnes on the basis wanted for F);
* ``production``: <keys>, country, tonnes  (a country ``ROW`` counts in the world total, not in the HHI);
* ``g``: year, country, g  (exporter instability 0-1; NULL or absent = missing governance);
* ``parties``: party, member.
"""

from __future__ import annotations

from collections.abc import Sequence

CU_REFERENCE_MIDPOINT = 0.409412948


def instability_sql(column: str = "estimate") -> str:
    """SQL for g = clip((2.5 − PV)/5, 0, 1), :func:`critmin.indicators.geopolrisk.wgi_to_instability` in DuckDB
    (NULL stays NULL)."""
    return f"greatest(0.0, least(1.0, (2.5 - {column}) / 5.0))"


_FILL = {"neutral": "0.5", "worst": "1.0", "best": "0.0", "exclude": "NULL"}


def geopolrisk_sql(
    con,
    *,
    trade: str = "trade",
    production: str = "production",
    g: str = "g",
    parties: str = "parties",
    keys: Sequence[str] = ("commodity", "year"),
    missing: str = "neutral",
    cu_reference: float = CU_REFERENCE_MIDPOINT,
) -> str:
    """SQL computing GeoPolRisk per party × ``keys``; run it with ``con.execute(sql)`` or wrap it in a view.

    Columns: <keys>, party, hhi, world_tonnes, domestic_tonnes, numerator_tonnes, imports_tonnes,
    import_value_kusd, import_value_all_kusd, missing_g_tonnes, intra_bloc_tonnes, import_risk, score,
    price_usd_per_kg, midpoint_usd_per_kg, cf_kg_cu_eq_per_kg, status ('ok' | 'no imports' | 'no data').
    ``missing``: 'neutral' (0.5), 'worst' (1), 'best' (0) or 'exclude' (flows left out of N and F).
    """
    if missing not in _FILL:
        from critmin.errors import UnknownValueError

        raise UnknownValueError(
            "missing-governance policy", missing, list(_FILL), hint="choose " + ", ".join(_FILL)
        )
    for name in (trade, production, g, parties, *keys):
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a plain SQL identifier: {name!r}")
    k = ", ".join(keys)
    kp = ", ".join(f"p.{c}" for c in keys)
    kt = ", ".join(f"t.{c}" for c in keys)
    on_keys = " AND ".join(f"a.{c} = b.{c}" for c in keys)
    fill = _FILL[missing]
    return f"""
WITH prod AS (
    SELECT {k}, country, sum(coalesce(tonnes, 0)) AS t FROM {production} GROUP BY ALL
), world AS (
    SELECT {k}, sum(t) AS world_tonnes,
           sum(CASE WHEN country <> 'ROW' THEN t * t ELSE 0 END) / nullif(sum(t) * sum(t), 0) AS hhi
    FROM prod GROUP BY ALL
), dom AS (
    SELECT {kp}, pa.party, sum(p.t) AS domestic_tonnes
    FROM prod p JOIN {parties} pa ON pa.member = p.country
    WHERE p.country <> 'ROW' GROUP BY ALL
), flows AS (
    SELECT {kt}, pa.party, t.value_kusd AS v, t.tonnes AS q, (inside.member IS NOT NULL) AS intra,
           CASE WHEN inside.member IS NOT NULL THEN 0.0 ELSE coalesce(gg.g, {fill}) END AS ge,
           (inside.member IS NULL AND gg.g IS NULL) AS miss
    FROM {trade} t
    JOIN {parties} pa ON pa.member = t.importer
    LEFT JOIN {parties} inside ON inside.party = pa.party AND inside.member = t.exporter
    LEFT JOIN {g} gg ON gg.year = t.year AND gg.country = t.exporter
), imp AS (
    SELECT {k}, party,
           sum(CASE WHEN q IS NOT NULL AND ge IS NOT NULL THEN q * ge ELSE 0 END) AS numerator_tonnes,
           sum(CASE WHEN q IS NOT NULL AND ge IS NOT NULL THEN q ELSE 0 END) AS imports_tonnes,
           sum(CASE WHEN q IS NOT NULL AND ge IS NOT NULL THEN v ELSE 0 END) AS import_value_kusd,
           sum(CASE WHEN ge IS NOT NULL THEN coalesce(v, 0) ELSE 0 END) AS import_value_all_kusd,
           sum(CASE WHEN miss AND q IS NOT NULL THEN q ELSE 0 END) AS missing_g_tonnes,
           sum(CASE WHEN intra AND q IS NOT NULL THEN q ELSE 0 END) AS intra_bloc_tonnes
    FROM flows GROUP BY ALL
), grid AS (
    SELECT DISTINCT {k}, party FROM (SELECT {k} FROM world UNION SELECT {k} FROM imp) CROSS JOIN
        (SELECT DISTINCT party FROM {parties})
), joined AS (
    SELECT a.*, w.hhi, w.world_tonnes, coalesce(d.domestic_tonnes, 0) AS domestic_tonnes,
           coalesce(i.numerator_tonnes, 0) AS numerator_tonnes, coalesce(i.imports_tonnes, 0) AS imports_tonnes,
           coalesce(i.import_value_kusd, 0) AS import_value_kusd,
           coalesce(i.import_value_all_kusd, 0) AS import_value_all_kusd,
           coalesce(i.missing_g_tonnes, 0) AS missing_g_tonnes, coalesce(i.intra_bloc_tonnes, 0) AS intra_bloc_tonnes
    FROM grid a
    LEFT JOIN world w ON {on_keys.replace("b.", "w.")}
    LEFT JOIN dom d ON {on_keys.replace("b.", "d.")} AND d.party = a.party
    LEFT JOIN imp i ON {on_keys.replace("b.", "i.")} AND i.party = a.party
), risk AS (
    SELECT *, numerator_tonnes / nullif(imports_tonnes + domestic_tonnes, 0) AS import_risk,
           import_value_kusd / nullif(imports_tonnes, 0) AS price_usd_per_kg
    FROM joined
)
SELECT *, hhi * import_risk AS score, hhi * import_risk * price_usd_per_kg AS midpoint_usd_per_kg,
       hhi * import_risk * price_usd_per_kg / {float(cu_reference)!r} AS cf_kg_cu_eq_per_kg,
       CASE WHEN imports_tonnes > 0 THEN 'ok' WHEN domestic_tonnes > 0 THEN 'no imports' ELSE 'no data' END AS status
FROM risk
ORDER BY ALL
"""
