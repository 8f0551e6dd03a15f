"""A production-share proxy for minerals without usable trade data, so they still appear in risk rankings.

Gallium, indium, rhenium, silicon metal and potash have no HS92 code in the trade data; germanium's code
carries no flow after 2016. For such a mineral and year (no flow of any of its codes anywhere) the methods
that weigh suppliers have no sourcing to weigh. The proxy assumes the party sources like the world: its
supply mix is world production shares π_i (the "global supply" mix of the EU method, EC 2017 Guidelines,
used by the 2023 study wherever sourcing data were missing, and the mix critmin's stockpile sizing uses for
these minerals, :mod:`critmin.optimize.stockpile`)::

    geopolrisk  HHI · Σ_{i ∉ party} π_i·g_i          (the party's own share is domestic: g = 0)
    eu_sr       HHI_WGI,t(GS) · (1 − EoL_RIR) · SI_SR   (the method's global-supply-only variant)
    origin      Σ_{k ∈ share_of} π_k                    (the traced share of, e.g., China)

A rest-of-world production residual counts as a supplier without governance data (the missing-governance
policy applies, and the GeoPolRisk range spans it at g = 0 and 1). Proxy rows have status ``proxy``, the
flag ``production_share_proxy`` next to the reason (``no_trade_code`` or ``no_trade_flows``) and the method
in ``inputs['proxy']``; they replace the rows that would otherwise say "no data".
"""

from __future__ import annotations

from critmin.indicators.engine.core import MISSING_G, PROXY_SOURCE, _prov_sql

_PROXY = PROXY_SOURCE.replace("'", "''")


def apply(eng, methods: list[str]) -> None:
    if not methods:
        return
    cur = eng.cur
    cur.execute(
        """CREATE OR REPLACE TEMP TABLE _proxy_keys AS
           WITH cy AS (
               SELECT s.commodity, y.year, bool_or(s.has_trade) AS has_code,
                      coalesce(sum(w.n_flows), 0) AS n_flows
               FROM _cat_stage s CROSS JOIN _years y
               LEFT JOIN _world_flows w ON w.commodity = s.commodity AND w.stage = s.stage AND w.year = y.year
               GROUP BY ALL
           )
           SELECT s.commodity, s.stage, cy.year,
                  CASE WHEN cy.has_code THEN 'no_trade_flows' ELSE 'no_trade_code' END AS reason, s.hs_note
           FROM _cat_stage s JOIN cy USING (commodity)
           WHERE cy.n_flows = 0 AND (s.has_trade OR (NOT cy.has_code AND s.first_stage))"""
    )
    fill = MISSING_G[eng.opts.missing]
    fill_sql = "NULL" if fill is None else repr(float(fill))
    gsrc = getattr(eng, "g_source", None)
    if "geopolrisk" in methods or "origin" in methods:
        eng._governance()
        gsrc = eng.g_source.replace("'", "''")
        # an importer- and commodity-specific weight (coercion-aware) joins on party and commodity too
        g_extra = (
            "AND g.party = pa.party AND g.commodity = s.commodity"
            if eng.opts.risk_weight == "coercion"
            else ""
        )
        who = eng.share_of.label.replace("'", "''")
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _proxy_calc AS
                WITH k AS (
                    SELECT pk.*, p.p_stage, p.p_year, p.source, p.edition, p.basis, p.pick_flags
                    FROM _proxy_keys pk JOIN _pick p USING (commodity, stage, year)
                    WHERE p.p_stage IS NOT NULL
                ), prod AS (
                    SELECT k.commodity, k.stage, k.year, r.country, sum(r.tonnes) AS t
                    FROM k JOIN _prod r ON r.commodity = k.commodity AND r.stage = k.p_stage AND r.year = k.p_year
                    GROUP BY ALL
                ), tot AS (
                    SELECT commodity, stage, year, sum(t) AS world,
                           sum(t * t) FILTER (country <> 'ROW') AS sq
                    FROM prod GROUP BY ALL HAVING sum(t) > 0
                ), sh AS (
                    SELECT p.commodity, p.stage, p.year, p.country, p.t / tt.world AS pi
                    FROM prod p JOIN tot tt USING (commodity, stage, year)
                ), w AS (
                    SELECT s.*, pa.party, pm.member IS NOT NULL AS own,
                           CASE WHEN pm.member IS NOT NULL THEN 0.0 ELSE g.g END AS g_known,
                           pm.member IS NULL AND g.g IS NULL AS miss
                    FROM sh s CROSS JOIN _party_meta pa
                    LEFT JOIN _parties pm ON pm.party = pa.party AND pm.member = s.country
                    LEFT JOIN _g g ON g.year = s.year AND g.country = s.country {g_extra}
                ), ir AS (
                    SELECT commodity, stage, year, party,
                           sum(pi * coalesce(g_known, {fill_sql})) FILTER (NOT miss OR {fill_sql} IS NOT NULL)
                             / sum(pi) FILTER (NOT miss OR {fill_sql} IS NOT NULL) AS ir,
                           sum(pi * g_known) FILTER (NOT miss) AS ir_low,
                           sum(pi * g_known) FILTER (NOT miss) + coalesce(sum(pi) FILTER (miss), 0) AS ir_high,
                           sum(pi) FILTER (miss) AS missing_share,
                           sum(pi) FILTER (country IN (SELECT member FROM _who)) AS who_share,
                           to_json(map(list(country ORDER BY pi DESC, country)[1:3],
                                       list(round(pi, 4) ORDER BY pi DESC, country)[1:3])) AS top
                    FROM w GROUP BY ALL
                )
                SELECT k.*, ir.party, tt.sq / (tt.world * tt.world) AS hhi, ir.ir, ir.ir_low, ir.ir_high,
                       coalesce(ir.missing_share, 0) AS missing_share, coalesce(ir.who_share, 0) AS who_share,
                       ir.top, {_prov_sql("k")} AS production_source
                FROM k JOIN tot tt USING (commodity, stage, year) JOIN ir USING (commodity, stage, year)"""
        )
        if "geopolrisk" in methods:
            eng.proxy_parts.append(
                f"""SELECT party, commodity, stage, year, 'geopolrisk' AS method, hhi * ir AS value,
                           hhi * ir_low AS value_low, hhi * ir_high AS value_high, 'proxy' AS status,
                           json_object('proxy', '{_PROXY}', 'hhi', hhi,
                                       'import_risk_proxy', ir, 'top_producers', top::JSON,
                                       'rest_of_world_or_missing_g_share', missing_share,
                                       'production_stage', p_stage, 'production_year', p_year,
                                       'coverage_note', hs_note) AS inputs,
                           list_concat(['production_share_proxy', reason], pick_flags,
                                       CASE WHEN missing_share > 0 THEN ['missing_governance'] ELSE [] END) AS flags_l,
                           concat_ws('; ', production_source, '{gsrc}') AS provenance,
                           p_stage || ':' || source || ':' || basis AS method_key, 0 AS prio
                    FROM _proxy_calc"""
            )
        if "origin" in methods:
            eng.proxy_parts.append(
                f"""SELECT party, commodity, stage, year, 'origin' AS method, who_share AS value,
                           NULL AS value_low, NULL AS value_high, 'proxy' AS status,
                           json_object('proxy', '{_PROXY}', 'origin_of', '{who}', 'top_producers', top::JSON,
                                       'production_stage', p_stage, 'production_year', p_year,
                                       'coverage_note', hs_note) AS inputs,
                           list_concat(['production_share_proxy', reason], pick_flags) AS flags_l,
                           production_source AS provenance,
                           p_stage || ':' || source || ':' || basis AS method_key, 0 AS prio
                    FROM _proxy_calc"""
            )
    if "eu_sr" in methods:
        eng.proxy_parts.append(
            f"""SELECT e.party, e.commodity, e.stage, e.year, 'eu_sr' AS method, e.sr_gs AS value,
                       NULL AS value_low, NULL AS value_high, 'proxy' AS status,
                       json_object('proxy', 'global-supply-only variant of the EC 2017 method ({_PROXY})',
                                   'hhi_wgi_t_global', e.hhi_gs, 'eol_rir_value', e.eol,
                                   'si_sr_value', e.si, 'coverage_note', pk.hs_note) AS inputs,
                       list_concat(['production_share_proxy', pk.reason], e.flags_core) AS flags_l,
                       e.provenance, e.method_key, 0 AS prio
                FROM _eu_rows e JOIN (SELECT DISTINCT commodity, year, reason, first(hs_note) AS hs_note
                                      FROM _proxy_keys GROUP BY ALL) pk USING (commodity, year)
                WHERE e.sr IS NULL AND e.sr_gs IS NOT NULL"""
        )
