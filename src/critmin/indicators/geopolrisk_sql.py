"""GeoPolRisk as one DuckDB query: the engine for large sweeps (all materials × importers × years).

Same equations, inputs and outputs as :func:`critmin.indicators.geopolrisk.geopolrisk_table` (Gemechu et al.
2016, eq. 1; Helbig et al. 2016, eq. 2; Koyamparambath et al. 2024, eqs. 2-3), computed inside DuckDB so a
sweep needs neither pandas nor a Python loop: the tests check both engines give the same numbers. This
module imports only duckdb (pandas is never imported), which keeps a command-line sweep's start-up short.

Input relations (tables, views or registered data frames) and their columns:

* ``trade``: <keys>, exporter, importer, value_kusd, tonnes  (tonnes on the basis wanted for F);
* ``production``: <keys>, country, tonnes  (a country ``ROW`` counts in the world total, not in the HHI);
* ``g``: year, country, g  (exporter instability 0-1; NULL or absent = missing governance); with a ``party``
  column (``g_party``) an importer-specific weight, and with a ``commodity`` column one per commodity (the
  coercion-aware weight of :mod:`critmin.indicators.coercion`);
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
    g_party: bool = False,
    order: bool = True,
) -> str:
    """SQL computing GeoPolRisk per party × ``keys``; run it with ``con.execute(sql)`` or wrap it in a view.

    Columns: <keys>, party, hhi, world_tonnes, domestic_tonnes, numerator_tonnes, imports_tonnes,
    import_value_kusd, price_tonnes, import_value_all_kusd, value_without_quantity_kusd, missing_g_tonnes,
    missing_g_exporters, intra_bloc_tonnes, n_flows, n_flows_world, import_risk, import_risk_low,
    import_risk_high, score, score_low, score_high, price_usd_per_kg, midpoint_usd_per_kg,
    cf_kg_cu_eq_per_kg, status.

    ``missing``: 'neutral' (0.5), 'worst' (1), 'best' (0) or 'exclude' (flows left out of N and F); the
    ``_low``/``_high`` columns give the same figure with every exporter without g at 0 and at 1 (the range
    the policy spans). ``g_party``: the ``g`` relation has a ``party`` column (an importer-specific weight,
    e.g. one that depends on the importer's distance to the supplier); otherwise g is per (year, country).
    ``trade`` may carry ``tonnes_gross`` (product weight, for the price, when ``tonnes`` is a content basis).
    ``order``: sort the result (off inside the risk engine, which orders its final table once).
    ``status``: 'ok' (imports with a quantity), 'no imports' (domestic production covers supply: a real
    zero), 'no data' (nothing imported or produced, imports known only by value, or no flow of the key's
    codes anywhere in the trade data: a coverage gap, not zero risk).
    """
    if missing not in _FILL:
        from critmin.errors import UnknownValueError

        raise UnknownValueError(
            "missing-governance policy", missing, list(_FILL), hint="choose " + ", ".join(_FILL)
        )
    for name in (trade, production, g, parties, *keys):
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a plain SQL identifier: {name!r}")
    has_gross = "tonnes_gross" in {r[0] for r in con.execute(f"DESCRIBE {trade}").fetchall()}
    g_by_commodity = "commodity" in keys and "commodity" in {
        r[0] for r in con.execute(f"DESCRIBE {g}").fetchall()
    }
    qp = "t.tonnes_gross" if has_gross else "t.tonnes"
    k = ", ".join(keys)
    kp = ", ".join(f"p.{c}" for c in keys)
    kt = ", ".join(f"t.{c}" for c in keys)
    on_keys = " AND ".join(f"a.{c} = b.{c}" for c in keys)
    fill = _FILL[missing]
    g_on = (
        "gg.year = t.year AND gg.country = t.exporter"
        + (" AND gg.party = pa.party" if g_party else "")
        + (" AND gg.commodity = t.commodity" if g_by_commodity else "")
    )
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
), cover AS (
    SELECT {k}, count(*) AS n_flows_world FROM {trade} GROUP BY ALL
), flows AS (
    SELECT {kt}, pa.party, t.exporter, t.value_kusd AS v, t.tonnes AS q, {qp} AS qp,
           (inside.member IS NOT NULL) AS intra,
           CASE WHEN inside.member IS NOT NULL THEN 0.0 ELSE gg.g END AS g_known,
           (inside.member IS NULL AND gg.g IS NULL) AS miss
    FROM {trade} t
    JOIN {parties} pa ON pa.member = t.importer
    LEFT JOIN {parties} inside ON inside.party = pa.party AND inside.member = t.exporter
    LEFT JOIN {g} gg ON {g_on}
), flows_g AS (
    SELECT *, CASE WHEN miss THEN {fill} ELSE g_known END AS ge FROM flows
), imp AS (
    SELECT {k}, party,
           coalesce(sum(q * ge) FILTER (q IS NOT NULL AND ge IS NOT NULL), 0) AS numerator_tonnes,
           coalesce(sum(q) FILTER (q IS NOT NULL AND ge IS NOT NULL), 0) AS imports_tonnes,
           coalesce(sum(v) FILTER (q IS NOT NULL AND ge IS NOT NULL AND qp IS NOT NULL), 0) AS import_value_kusd,
           coalesce(sum(qp) FILTER (q IS NOT NULL AND ge IS NOT NULL AND qp IS NOT NULL), 0) AS price_tonnes,
           coalesce(sum(coalesce(v, 0)) FILTER (ge IS NOT NULL), 0) AS import_value_all_kusd,
           coalesce(sum(coalesce(v, 0)) FILTER (q IS NULL), 0) AS value_without_quantity_kusd,
           coalesce(sum(q) FILTER (miss AND q IS NOT NULL), 0) AS missing_g_tonnes,
           coalesce(sum(q * g_known) FILTER (NOT miss AND q IS NOT NULL), 0) AS known_numerator_tonnes,
           coalesce(sum(q) FILTER (NOT miss AND q IS NOT NULL), 0) AS known_tonnes,
           coalesce(sum(q) FILTER (intra AND q IS NOT NULL), 0) AS intra_bloc_tonnes,
           string_agg(DISTINCT exporter, ',' ORDER BY exporter) FILTER (miss) AS missing_g_exporters,
           count(*) AS n_flows
    FROM flows_g GROUP BY ALL
), grid AS (
    SELECT DISTINCT {k}, party FROM (SELECT {k} FROM world UNION SELECT {k} FROM imp) CROSS JOIN
        (SELECT DISTINCT party FROM {parties})
), joined AS (
    SELECT a.*, w.hhi, w.world_tonnes, coalesce(d.domestic_tonnes, 0) AS domestic_tonnes,
           coalesce(i.numerator_tonnes, 0) AS numerator_tonnes, coalesce(i.imports_tonnes, 0) AS imports_tonnes,
           coalesce(i.import_value_kusd, 0) AS import_value_kusd, coalesce(i.price_tonnes, 0) AS price_tonnes,
           coalesce(i.import_value_all_kusd, 0) AS import_value_all_kusd,
           coalesce(i.value_without_quantity_kusd, 0) AS value_without_quantity_kusd,
           coalesce(i.missing_g_tonnes, 0) AS missing_g_tonnes, coalesce(i.intra_bloc_tonnes, 0) AS intra_bloc_tonnes,
           coalesce(i.known_numerator_tonnes, 0) AS known_numerator_tonnes,
           coalesce(i.known_tonnes, 0) AS known_tonnes, i.missing_g_exporters,
           coalesce(i.n_flows, 0) AS n_flows, coalesce(c.n_flows_world, 0) AS n_flows_world
    FROM grid a
    LEFT JOIN world w ON {on_keys.replace("b.", "w.")}
    LEFT JOIN dom d ON {on_keys.replace("b.", "d.")} AND d.party = a.party
    LEFT JOIN imp i ON {on_keys.replace("b.", "i.")} AND i.party = a.party
    LEFT JOIN cover c ON {on_keys.replace("b.", "c.")}
), risk AS (
    SELECT *,
           CASE WHEN n_flows_world > 0 THEN numerator_tonnes / nullif(imports_tonnes + domestic_tonnes, 0) END
               AS import_risk,
           CASE WHEN n_flows_world > 0 THEN known_numerator_tonnes
               / nullif(known_tonnes + missing_g_tonnes + domestic_tonnes, 0) END AS import_risk_low,
           CASE WHEN n_flows_world > 0 THEN (known_numerator_tonnes + missing_g_tonnes)
               / nullif(known_tonnes + missing_g_tonnes + domestic_tonnes, 0) END AS import_risk_high,
           import_value_kusd / nullif(price_tonnes, 0) AS price_usd_per_kg
    FROM joined
)
SELECT *, hhi * import_risk AS score, hhi * import_risk_low AS score_low, hhi * import_risk_high AS score_high,
       hhi * import_risk * price_usd_per_kg AS midpoint_usd_per_kg,
       hhi * import_risk * price_usd_per_kg / {float(cu_reference)!r} AS cf_kg_cu_eq_per_kg,
       CASE WHEN n_flows_world = 0 THEN 'no data'
            WHEN imports_tonnes > 0 THEN 'ok'
            WHEN value_without_quantity_kusd > 0 THEN 'no data'
            WHEN domestic_tonnes > 0 THEN 'no imports'
            ELSE 'no data' END AS status
FROM risk
{"ORDER BY ALL" if order else ""}
"""
