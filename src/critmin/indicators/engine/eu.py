"""EU CRM supply risk (European Commission 2017 method) for every party, commodity stage and year in one query.

Equations of :mod:`critmin.indicators.eu_crm` (EC 2017 Guidelines, doi:10.2873/769526; Grohol & Veeh 2023)::

    HHI_WGI,t = Σ_c S_c² · WGI_c · t_c                      global supply (GS) and the party's sourcing mix
    SR        = [HHI_WGI,t(GS)·IR/2 + HHI_WGI,t(sourcing)·(1 − IR/2)] · (1 − EoL_RIR) · SI_SR

The party's sourcing mix is its own production at the stage plus its imports from outside the party by
origin, on the production basis where the stage's codes have content factors for it. ``window`` > 1 sums
production and trade over the years ending at the year and averages WGI (the study averages 2016-2020).
"""

from __future__ import annotations

EU_STAGES = ("mine", "refined")


def register_tc(eng) -> None:
    """``_tc`` (commodity, stage, year, party, country, scope, t, measures; party NULL = every party),
    ``_tc_note`` and ``_eu_given`` (IR, EoL-RIR and SI_SR given by the caller) from the options and the
    restriction registry (:func:`critmin.indicators.eu_crm.trade_factors_from_registry`)."""
    from critmin.indicators.eu_crm import (
        _lookup,
        measures_in_force,
        normalise_tc,
        trade_factors_from_registry,
    )
    from critmin.indicators.sql_inputs import temp_table as _create

    opts = eng.opts
    rows, notes, given = [], [], []
    records: dict[int, list[dict] | None] = {}
    for c in eng.comms:
        for s in EU_STAGES:
            if s not in c.stages:
                continue
            user = normalise_tc(opts.t_c, c.id, s)
            for y in eng.years:
                if user is not None:
                    tc, note = user, "given"
                    party_rows: list[tuple[str, dict]] = []
                else:
                    if y not in records:
                        records[y] = measures_in_force(eng.source, y)
                    recs = records[y]
                    mine = None if recs is None else [r for r in recs if c.id in list(r["commodities"])]
                    # measures for every destination are the same for every party; destination-specific
                    # ones add sourcing factors for the parties they target
                    tc, note = trade_factors_from_registry(mine, c.id, s, (), restricted_t=opts.restricted_t)
                    party_rows = []
                    if mine and any(r["targets"] for r in mine):
                        have = {(r["country"], r["scope"]) for r in tc}
                        for p in eng.parties:
                            extra, _ = trade_factors_from_registry(
                                mine, c.id, s, p.members, restricted_t=opts.restricted_t
                            )
                            party_rows += [
                                (p.label, r) for r in extra if (r["country"], r["scope"]) not in have
                            ]
                notes.append((c.id, s, y, note))
                rows += [
                    (c.id, s, y, None, r["country"], r["scope"], float(r["t"]), r["measures"]) for r in tc
                ]
                rows += [
                    (c.id, s, y, lab, r["country"], r["scope"], float(r["t"]), r["measures"])
                    for lab, r in party_rows
                ]
            given.append(
                (
                    c.id,
                    s,
                    _lookup(opts.ir, c.id, s),
                    _lookup(opts.eol_rir, c.id, s),
                    _lookup(opts.si_sr, c.id, s),
                )
            )
    cols = ("commodity", "stage", "year", "party", "country", "scope", "t", "measures")
    types = ("VARCHAR", "VARCHAR", "SMALLINT", "VARCHAR", "VARCHAR", "VARCHAR", "DOUBLE", "VARCHAR")
    _create(
        eng.cur,
        "_tc_rows",
        {n: (t, [r[i] for r in rows]) for i, (n, t) in enumerate(zip(cols, types, strict=True))},
    )
    eng.cur.execute(
        """CREATE OR REPLACE TEMP TABLE _tc AS
           SELECT commodity, stage, year, party, country, scope, max(t) AS t FROM _tc_rows GROUP BY ALL"""
    )
    ncols = ("commodity", "stage", "year", "note")
    ntypes = ("VARCHAR", "VARCHAR", "SMALLINT", "VARCHAR")
    _create(
        eng.cur,
        "_tc_note",
        {n: (t, [r[i] for r in notes]) for i, (n, t) in enumerate(zip(ncols, ntypes, strict=True))},
    )
    gcols = ("commodity", "stage", "ir", "eol", "si")
    gtypes = ("VARCHAR", "VARCHAR", "DOUBLE", "DOUBLE", "DOUBLE")
    _create(
        eng.cur,
        "_eu_given",
        {
            n: (t, [None if r[i] is None else (r[i] if i < 2 else float(r[i])) for r in given])
            for i, (n, t) in enumerate(zip(gcols, gtypes, strict=True))
        },
    )


#: intermediate relations materialised as temp tables before the final query (one big query holds every
#: join's hash table at once; steps keep the peak memory of a command-line run low)
MATERIALISED = (
    "keys", "win", "picks", "pmeta", "prod", "ptot", "ywin", "gov", "govmeta", "gs", "tr", "nflows", "imp", "exp",
    "own", "own_tot", "imp_tot", "keyinfo", "base", "mixable", "mix", "mixtot", "src", "imputed_prod", "imputed_imp", "tcs",
    "calc",
)  # fmt: skip


def eu_statements(eng) -> list[str]:
    """The EU rows (``_eu_rows``) as a few statements: :data:`MATERIALISED` relations of :func:`eu_sql` first."""
    import re

    sql = eu_sql(eng)
    _, _, final = sql.partition("\nWITH ")
    parts = re.split(r"\n\), (\w+) AS \(\n", "\n), keys AS (\n" + final.split(" AS (\n", 1)[1])
    # parts: ['', name1, body1, name2, body2, ..., nameN, bodyN) + final select]
    names, bodies = parts[1::2], parts[2::2]
    last_body, _, tail = bodies[-1].rpartition("\n)\n")
    bodies[-1] = last_body
    rename = {n: f"_eu_{n}" for n in MATERIALISED}

    keywords = {"ON", "USING", "WHERE", "GROUP", "LEFT", "JOIN", "CROSS", "ORDER", "QUALIFY", "UNION"}

    def ref(text: str) -> str:
        def sub(m: re.Match) -> str:
            alias = m.group(3)
            if alias and alias.upper() not in keywords:
                return f"{m.group(1)} {rename[m.group(2)]} {alias}"
            return f"{m.group(1)} {rename[m.group(2)]} {m.group(2)}" + (f" {alias}" if alias else "")

        names_re = "|".join(rename)
        return re.sub(rf"\b(FROM|JOIN) ({names_re})\b(?:[ \t]+(\w+))?", sub, text)

    out, ctes = [], []
    for n, b in zip(names, bodies, strict=True):
        if n in rename:
            out.append(f"CREATE OR REPLACE TEMP TABLE {rename[n]} AS {ref(b)}")
        else:
            ctes.append(f"{n} AS (\n{ref(b)}\n)")
    out.append("CREATE OR REPLACE TEMP TABLE _eu_rows AS WITH " + ",\n".join(ctes) + "\n" + ref(tail))
    return out


def eu_sql(eng) -> str:
    """SQL of the EU rows: one per party × commodity × stage (mine, refined) × year, with SR, IR and flags."""
    from critmin.indicators.materiality import DEFAULT

    MIN_VALUE_KUSD = float(DEFAULT.min_value_kusd)
    w = int(eng.opts.window)
    lo = w - 1
    missing = eng.opts.missing.replace("'", "")
    ed = eng.opts.wgi_edition.replace("'", "''")
    tsrc = eng.trade_source.replace("'", "''")
    gsrc = eng.wgi_source.replace("'", "''")
    stages = ", ".join(f"'{s}'" for s in EU_STAGES)
    return f"""
WITH keys AS (
    SELECT s.commodity, s.stage, s.has_trade, s.stage_basis, s.approx, s.eol_rir AS cat_eol, y.year,
           g.ir AS ir_given, g.eol AS eol_given, g.si AS si_given
    FROM _cat_stage s CROSS JOIN _years y
    LEFT JOIN _eu_given g USING (commodity, stage)
    WHERE s.stage IN ({stages})
), win AS (
    SELECT k.commodity, k.stage, k.year, CAST(k.year - o.o AS SMALLINT) AS wy
    FROM keys k CROSS JOIN range(0, {w}) o(o)
), picks AS (
    -- the method takes the stage's own production of each window year (no proxy stage, no other year)
    SELECT w.commodity, w.stage, w.year, w.wy, a.source, a.edition, a.basis
    FROM win w JOIN _prod_avail a ON a.commodity = w.commodity AND a.stage = w.stage AND a.year = w.wy
), pmeta AS (
    SELECT commodity, stage, year, count(*) AS n_picks, list(wy ORDER BY wy) AS pick_years,
           arg_max(basis, wy) AS basis,
           arg_max(source || ' ' || edition || ' (' || stage || ', ' || wy || ', ' || basis || ')', wy)
               AS production_source
    FROM picks GROUP BY ALL
), prod AS (
    -- annual averages over the window's years with data (production and trade stay comparable when a year
    -- of production is missing; the study averages 2016-2020)
    SELECT p.commodity, p.stage, p.year, r.country, sum(r.tonnes) / any_value(m.n_picks) AS t
    FROM picks p JOIN _prod r ON r.commodity = p.commodity AND r.stage = p.stage AND r.year = p.wy
    JOIN pmeta m ON m.commodity = p.commodity AND m.stage = p.stage AND m.year = p.year
    GROUP BY ALL
), ptot AS (
    SELECT commodity, stage, year, sum(t) AS total FROM prod GROUP BY ALL
), ywin AS (
    SELECT DISTINCT year, wy FROM win
), gov AS (
    SELECT y.year, g.country, avg(g.wgi) AS wgi, bool_or(g.imputed) AS imputed
    FROM ywin y JOIN _wgi10 g ON g.year = y.wy
    GROUP BY ALL
), govmeta AS (
    SELECT y.year, list(DISTINCT g.wgi_year ORDER BY g.wgi_year) AS wgi_years,
           list(DISTINCT g.year ORDER BY g.year) AS win_years
    FROM ywin y JOIN _wgi10 g ON g.year = y.wy
    GROUP BY ALL
), gs AS (
    -- global supply does not depend on the party (global t_c come from measures against every destination)
    SELECT p.commodity, p.stage, p.year,
           coalesce(sum((p.t / t.total) * (p.t / t.total) * g.wgi * coalesce(tc.t, 1.0))
                    FILTER (p.country <> 'ROW'), 0.0) AS hhi_gs,
           count(*) FILTER (p.country <> 'ROW' AND p.t > 0) AS n_gs
    FROM prod p JOIN ptot t USING (commodity, stage, year)
    LEFT JOIN gov g ON g.year = p.year AND g.country = p.country
    LEFT JOIN _tc tc ON tc.commodity = p.commodity AND tc.stage = p.stage AND tc.year = p.year
                    AND tc.party IS NULL AND tc.country = p.country AND tc.scope = 'global'
    WHERE t.total > 0
    GROUP BY ALL
), tr AS (
    SELECT w.commodity, w.stage, w.year, f.exporter, f.importer, f.value_kusd,
           CASE WHEN cv.factor IS NOT NULL THEN f.tonnes_content * cv.factor ELSE f.tonnes_gross END AS tb
    FROM win w JOIN _flows f ON f.commodity = w.commodity AND f.stage = w.stage AND f.year = w.wy AND f.counted
    LEFT JOIN pmeta m ON m.commodity = w.commodity AND m.stage = w.stage AND m.year = w.year
    LEFT JOIN _conv cv ON cv.commodity = w.commodity AND cv.stage = w.stage AND cv.to_basis = m.basis
), nflows AS (
    SELECT commodity, stage, year, count(*) AS n FROM tr GROUP BY ALL
), imp AS (
    SELECT tr.commodity, tr.stage, tr.year, pa.party, tr.exporter AS country, coalesce(sum(tr.tb), 0.0) / {w} AS t,
           coalesce(sum(tr.value_kusd), 0.0) / {w} AS v
    FROM tr JOIN _parties pa ON pa.member = tr.importer
    WHERE NOT EXISTS (SELECT 1 FROM _parties i WHERE i.party = pa.party AND i.member = tr.exporter)
    GROUP BY ALL
), exp AS (
    SELECT tr.commodity, tr.stage, tr.year, pa.party, coalesce(sum(tr.tb), 0.0) / {w} AS e_t
    FROM tr JOIN _parties pa ON pa.member = tr.exporter
    WHERE NOT EXISTS (SELECT 1 FROM _parties i WHERE i.party = pa.party AND i.member = tr.importer)
    GROUP BY ALL
), own AS (
    SELECT p.commodity, p.stage, p.year, pa.party, p.country, p.t
    FROM prod p JOIN _parties pa ON pa.member = p.country
), own_tot AS (
    SELECT commodity, stage, year, party, sum(t) AS dom FROM own GROUP BY ALL
), imp_tot AS (
    SELECT commodity, stage, year, party, sum(t) AS i_t, sum(v) AS i_v FROM imp GROUP BY ALL
), keyinfo AS (
    -- what does not depend on the party, joined once per key
    SELECT k.*, coalesce(m.n_picks, 0) AS n_picks, m.pick_years, m.basis, m.production_source,
           cv.factor IS NOT NULL AS content_ok, coalesce(cv.conv_approx, false) AS conv_approx,
           coalesce(nf.n, 0) AS n_flows, gs.hhi_gs, coalesce(gs.n_gs, 0) AS n_gs,
           gm.wgi_years, gm.win_years, tn.note AS tc_note
    FROM keys k
    LEFT JOIN pmeta m USING (commodity, stage, year)
    LEFT JOIN _conv cv ON cv.commodity = k.commodity AND cv.stage = k.stage AND cv.to_basis = m.basis
    LEFT JOIN nflows nf ON nf.commodity = k.commodity AND nf.stage = k.stage AND nf.year = k.year
    LEFT JOIN gs ON gs.commodity = k.commodity AND gs.stage = k.stage AND gs.year = k.year
    LEFT JOIN govmeta gm ON gm.year = k.year
    LEFT JOIN _tc_note tn ON tn.commodity = k.commodity AND tn.stage = k.stage AND tn.year = k.year
), base AS (
    SELECT k.*, pa.party, coalesce(ot.dom, 0.0) AS dom,
           CASE WHEN k.has_trade THEN coalesce(it.i_t, 0.0) END AS i_t,
           coalesce(it.i_v, 0.0) AS i_v_year,
           CASE WHEN k.has_trade THEN coalesce(e.e_t, 0.0) END AS e_t
    FROM keyinfo k CROSS JOIN _party_meta pa
    LEFT JOIN own_tot ot ON ot.commodity = k.commodity AND ot.stage = k.stage AND ot.year = k.year
                         AND ot.party = pa.party
    LEFT JOIN imp_tot it ON it.commodity = k.commodity AND it.stage = k.stage AND it.year = k.year
                         AND it.party = pa.party
    LEFT JOIN exp e ON e.commodity = k.commodity AND e.stage = k.stage AND e.year = k.year AND e.party = pa.party
), mixable AS (
    SELECT *, (content_ok OR dom = 0) AS can_mix,
           has_trade AND (content_ok OR dom = 0) AND (i_t > 0 OR dom > 0) AS use_mix
    FROM base
), mix AS (
    SELECT o.commodity, o.stage, o.year, o.party, o.country, o.t FROM own o
    UNION ALL
    SELECT i.commodity, i.stage, i.year, i.party, i.country, i.t FROM imp i
), mixtot AS (
    SELECT commodity, stage, year, party, sum(t) AS total FROM mix GROUP BY ALL
), src AS (
    SELECT x.commodity, x.stage, x.year, x.party,
           coalesce(sum((x.t / mt.total) * (x.t / mt.total) * g.wgi * coalesce(greatest(ta.t, tp.t), 1.0))
                    FILTER (x.country <> 'ROW'), 0.0) AS hhi_src,
           count(*) FILTER (x.country <> 'ROW' AND x.t > 0) AS n_src,
           to_json(map(list(x.country ORDER BY x.t DESC, x.country)[1:3],
                       list(round(x.t / mt.total, 4) ORDER BY x.t DESC, x.country)[1:3])) AS top_sources
    FROM mix x JOIN mixtot mt USING (commodity, stage, year, party)
    LEFT JOIN gov g ON g.year = x.year AND g.country = x.country
    LEFT JOIN _tc ta ON ta.commodity = x.commodity AND ta.stage = x.stage AND ta.year = x.year
                    AND ta.party IS NULL AND ta.country = x.country AND ta.scope = 'sourcing'
    LEFT JOIN _tc tp ON tp.commodity = x.commodity AND tp.stage = x.stage AND tp.year = x.year
                    AND tp.party = x.party AND tp.country = x.country AND tp.scope = 'sourcing'
    WHERE mt.total > 0
    GROUP BY ALL
), imputed_prod AS (
    -- governance imputed for a producer of the window (the same for every party)
    SELECT DISTINCT p.commodity, p.stage, p.year
    FROM prod p JOIN gov g ON g.year = p.year AND g.country = p.country WHERE g.imputed
), imputed_imp AS (
    SELECT DISTINCT i.commodity, i.stage, i.year, i.party
    FROM imp i JOIN gov g ON g.year = i.year AND g.country = i.country WHERE g.imputed
), tcs AS (
    SELECT t.commodity, t.stage, t.year, pa.party,
           to_json(map(list(t.country ORDER BY t.country), list(t.t ORDER BY t.country))) AS suppliers
    FROM (SELECT commodity, stage, year, party, country, max(t) AS t FROM _tc WHERE t <> 1.0 GROUP BY ALL) t
    JOIN _party_meta pa ON t.party IS NULL OR t.party = pa.party
    GROUP BY ALL
), calc AS (
    SELECT b.*,
           CASE WHEN b.use_mix THEN s.hhi_src END AS hhi_src0,
           CASE WHEN b.use_mix THEN coalesce(s.n_src, 0) ELSE 0 END AS n_src,
           CASE WHEN b.use_mix THEN s.top_sources ELSE '{{}}' END AS top_sources,
           CASE WHEN b.has_trade AND b.can_mix THEN
               CASE WHEN (b.i_t - b.e_t + CASE WHEN b.content_ok THEN b.dom ELSE 0 END) > 0 THEN
                   greatest(0.0, least(1.0, (b.i_t - b.e_t)
                       / (b.i_t - b.e_t + CASE WHEN b.content_ok THEN b.dom ELSE 0 END))) END
           END AS ir_raw,
           (ip.commodity IS NOT NULL OR ii.commodity IS NOT NULL) AS any_imputed, tcs.suppliers AS tc_suppliers
    FROM mixable b
    LEFT JOIN src s ON s.commodity = b.commodity AND s.stage = b.stage AND s.year = b.year AND s.party = b.party
    LEFT JOIN imputed_prod ip ON ip.commodity = b.commodity AND ip.stage = b.stage AND ip.year = b.year
    LEFT JOIN imputed_imp ii ON ii.commodity = b.commodity AND ii.stage = b.stage AND ii.year = b.year
                            AND ii.party = b.party
    LEFT JOIN tcs ON tcs.commodity = b.commodity AND tcs.stage = b.stage AND tcs.year = b.year
                 AND tcs.party = b.party
), ir AS (
    SELECT *,
           ir_given IS NULL AND has_trade AND can_mix AND ir_raw IS NULL AND (i_t > 0 OR e_t > 0) AND i_t <= e_t
               AS net_exporter,
           CASE WHEN ir_given IS NOT NULL THEN 'given' WHEN has_trade AND can_mix THEN 'computed'
                ELSE 'unavailable' END AS ir_src0,
           has_trade AND n_flows = 0 AS no_flows,
           coalesce(eol_given, cat_eol, 0.0) AS eol,
           coalesce(si_given, 1.0) AS si
    FROM calc
), fin AS (
    SELECT *,
           CASE WHEN ir_given IS NOT NULL THEN ir_given
                WHEN no_flows AND ir_src0 = 'computed' THEN NULL
                WHEN net_exporter THEN 0.0 ELSE ir_raw END AS ir,
           CASE WHEN no_flows AND ir_src0 = 'computed' THEN 'unavailable' ELSE ir_src0 END AS ir_src,
           CASE WHEN no_flows THEN NULL ELSE hhi_src0 END AS hhi_src
    FROM ir
), sr AS (
    SELECT *,
           (hhi_gs * ir / 2 + hhi_src * (1 - ir / 2)) * (1 - eol) * si AS sr,
           hhi_gs * (1 - eol) * si AS sr_gs,
           hhi_src * (1 - eol) * si AS sr_src,
           list_distinct([
               CASE WHEN NOT has_trade THEN 'no_trade_code' END,
               CASE WHEN no_flows THEN 'no_trade_flows' END]) AS flags_coverage,
           list_distinct([
               CASE WHEN n_picks < {w} THEN 'production_years:' || coalesce(array_to_string(pick_years, ','), 'none') END,
               CASE WHEN wgi_years <> win_years THEN 'wgi_years:' || array_to_string(wgi_years, ',') END,
               CASE WHEN content_ok AND (approx OR conv_approx) THEN 'approximate_content_factor' END,
               -- a score computed from a few dollars of imports is arithmetic, not exposure (materiality)
               CASE WHEN has_trade AND i_t > 0 AND i_v_year < {MIN_VALUE_KUSD} THEN 'immaterial_imports' END,
               CASE WHEN has_trade AND NOT can_mix THEN 'trade_production_basis_mismatch' END,
               CASE WHEN has_trade AND NOT content_ok AND i_t > 0 AND dom = 0 THEN 'gross_weight' END,
               CASE WHEN net_exporter THEN 'net_exporter_ir_0' END,
               CASE WHEN eol_given IS NULL AND cat_eol IS NULL THEN 'eol_rir_default' END,
               CASE WHEN si_given IS NULL THEN 'si_sr_default' END,
               CASE WHEN any_imputed THEN 'missing_governance' END
           ]) AS flags_core
    FROM fin
), rep AS (
    SELECT *, max(sr) OVER (PARTITION BY party, commodity, year) AS sr_reported
    FROM sr
)
SELECT party, commodity, stage, year, has_trade,
       CASE WHEN isfinite(sr) THEN sr END AS sr,
       CASE WHEN sr IS NOT NULL AND isfinite(sr) THEN 'ok' ELSE 'no data' END AS status,
       list_concat(flags_coverage, flags_core,
                   CASE WHEN sr IS NOT NULL AND sr = sr_reported THEN ['reported_stage'] ELSE [] END) AS flags_l,
       flags_core,
       json_object(
           'window', win_years_req, 'production', production_source, 'trade', CASE WHEN has_trade THEN '{tsrc}' END,
           'basis', CASE WHEN content_ok THEN basis ELSE 'gross weight' END,
           'wgi', '{ed} ' || CAST(wgi_years AS VARCHAR), 'missing_wgi', '{missing}',
           't_c', tc_note, 't_c_suppliers', coalesce(tc_suppliers, '{{}}')::JSON,
           'ir', ir_src, 'eol_rir', CASE WHEN eol_given IS NOT NULL THEN 'given'
                                        WHEN cat_eol IS NOT NULL THEN 'catalogue (EU 2023)' ELSE 'default 0' END,
           'si_sr', CASE WHEN si_given IS NOT NULL THEN 'given' ELSE 'default 1' END,
           'n_global_producers', n_gs, 'n_sources', n_src, 'top_sources', top_sources::JSON,
           'hhi_wgi_t_global', hhi_gs, 'hhi_wgi_t_sourcing', hhi_src,
           'import_reliance', ir, 'eol_rir_value', eol, 'si_sr_value', si,
           'sr_global_only', sr_gs, 'sr_sourcing_only', sr_src,
           'sr_reported', sr_reported) AS inputs,
       concat_ws('; ', nullif(production_source, ''), CASE WHEN has_trade THEN nullif('{tsrc}', '') END, '{gsrc}')
           AS provenance,
       coalesce(stage || ':' || split_part(production_source, ' (', 1) || ':' || basis, '') AS method_key,
       ir,
       CASE WHEN ir IS NOT NULL THEN 'ok' ELSE 'no data' END AS ir_status,
       json_object('imports_tonnes', i_t, 'exports_tonnes', e_t,
                   'domestic_tonnes', dom, 'basis', CASE WHEN content_ok THEN basis ELSE 'gross weight' END,
                   'ir', ir_src) AS ir_inputs,
       list_concat(flags_coverage, flags_core) AS ir_flags,
       hhi_gs, hhi_src, sr_gs, sr_src, eol, si, dom, i_t, e_t, basis, content_ok
FROM (SELECT *, generate_series(year - {lo}, year) AS win_years_req FROM rep)
"""
