"""Origin tracing (Kastner et al. 2011) for every party, traded commodity stage and year, batched in numpy.

The networks — one per (commodity, stage, year, production variant) and per bloc (a bloc is one merged
node) — are built in one DuckDB query and solved together in padded stacks: S = diag(P/X)·(I − A)⁻¹
(:func:`critmin.indicators.origin.origin_shares`). Countries that export nothing cannot be anyone else's
origin, so each system is solved on its exporters only (the *core*, usually well under half the nodes);
a non-exporter j's origin mix follows from its suppliers' mixes, S_·j = (P_j/X_j)·e_j + Σ_i A_ij S_·i
(the same identity, Kastner et al. 2011, eq. 3, read column by column).

Besides the default (the catalogue's production pick, ``balance='mine'``) every network is solved with the
other balancing options (``none``, ``full``) and the other production series of the stage (each source within
±2 years; the mine stage for a processing stage), and the party's traced share across all of them is
reported as ``value_low``/``value_high`` with the variants in ``inputs['range']``.
"""

from __future__ import annotations

import numpy as np

from critmin.indicators.engine.core import BALANCES, PRODUCTION_YEAR_GAP, _prov_sql

DEFAULT_BALANCE = "mine"
#: padded stacks are solved in chunks of about this many matrix cells (memory stays in tens of MB)
CHUNK_CELLS = 150_000
#: and at most this many networks (a singular system makes its whole stack fall back to a slower path)
CHUNK_NETWORKS = 24


def _variants_sql() -> str:
    """Production variants per traded (commodity, stage, year): pvar 0 is the default pick."""
    gap = PRODUCTION_YEAR_GAP
    return f"""CREATE OR REPLACE TEMP TABLE _ovar AS
WITH keys AS (
    SELECT s.commodity, s.stage, y.year, s.stage_basis, s.approx
    FROM _cat_stage s CROSS JOIN _years y WHERE s.has_trade
), dflt AS (
    -- kept without a production pick too: exporters without supply are then their own origin
    SELECT k.*, p.p_stage, p.source, p.edition, p.p_year, p.basis, p.pick_flags, false AS forced_mine
    FROM keys k JOIN _pick p USING (commodity, stage, year)
), alt_src AS (
    -- every other source of the stage's own series, nearest year within the gap (ties: earlier year)
    SELECT k.*, a.stage AS p_stage, a.source, a.edition, a.year AS p_year, a.basis,
           list_distinct([CASE WHEN a.year <> k.year THEN 'production_year:' || a.year END])
               AS pick_flags,
           false AS forced_mine
    FROM keys k
    JOIN (SELECT DISTINCT commodity, stage, year, source, edition, basis FROM _prod_src) a
      ON a.commodity = k.commodity AND a.stage = k.stage AND abs(a.year - k.year) <= {gap}
    QUALIFY row_number() OVER (PARTITION BY k.commodity, k.stage, k.year, a.source
                               ORDER BY abs(a.year - k.year), a.year) = 1
), alt_mine AS (
    -- the mine stage as the production of a processing stage (``trace_origin(production_stage='mine')``)
    SELECT k.*, p.p_stage, p.source, p.edition, p.p_year, p.basis,
           list_concat(p.pick_flags, ['production_proxy_stage:mine']) AS pick_flags, true AS forced_mine
    FROM keys k JOIN _pick p ON p.commodity = k.commodity AND p.stage = 'mine' AND p.year = k.year
    WHERE k.stage <> 'mine' AND p.p_stage IS NOT NULL
), allv AS (
    SELECT *, 0 AS prio FROM dflt
    UNION ALL SELECT *, 1 FROM alt_src
    UNION ALL SELECT *, 2 FROM alt_mine
), uniq AS (
    SELECT * FROM allv
    QUALIFY row_number() OVER (PARTITION BY commodity, stage, year, p_stage, source, p_year ORDER BY prio) = 1
), tot AS (
    SELECT commodity, stage, source, year, sum(tonnes) AS total,
           sum(tonnes) FILTER (country = 'ROW') AS row_t
    FROM _prod_src GROUP BY ALL
), mine AS (
    SELECT p.commodity, p.year, p.source AS m_source, p.p_year AS m_year, t.total AS m_total
    FROM _pick p JOIN tot t ON t.commodity = p.commodity AND t.stage = 'mine' AND t.year = p.p_year
                            AND t.source = p.source
    WHERE p.stage = 'mine' AND p.p_stage IS NOT NULL
)
SELECT u.commodity, u.stage, u.year,
       row_number() OVER (PARTITION BY u.commodity, u.stage, u.year ORDER BY u.prio, u.source, u.p_stage) - 1
           AS pvar,
       u.p_stage, u.source, u.edition, u.p_year, u.basis, u.forced_mine,
       cv.factor IS NOT NULL AS content_ok, coalesce(cv.factor, 1.0) AS conv,
       -- the stage's own series on another basis than the traded products (IEA magnet-REE refining vs gross
       -- tonnes of compounds): keep its country shares, scale the total to world mine output of the year
       CASE WHEN cv.factor IS NULL AND u.p_stage <> 'mine'
                 AND m.m_total IS NOT NULL AND t.total > 0 THEN m.m_total / t.total ELSE 1.0 END AS scale,
       list_concat(u.pick_flags,
           [CASE WHEN cv.factor IS NOT NULL AND (u.approx OR cv.conv_approx) THEN 'approximate_content_factor' END,
            CASE WHEN cv.factor IS NULL THEN 'gross_weight_as_production_basis' END]) AS pflags,
       -- what was done to the production before it met the trade (not said when there is no trade)
       [CASE WHEN cv.factor IS NULL AND u.p_stage <> 'mine' AND m.m_total IS NOT NULL AND t.total > 0
             THEN 'production_scaled_to_mine_total:' || m.m_source || ' ' || m.m_year END,
        CASE WHEN t.row_t IS NOT NULL AND t.total > 0
             THEN 'row_production_share:' || printf('%.3f', t.row_t / t.total) END] AS xflags,
       {_prov_sql("u")} AS production_source,
       u.p_stage || ':' || u.source || ':' || u.basis AS method_key
FROM uniq u
LEFT JOIN mine m ON m.commodity = u.commodity AND m.year = u.year
LEFT JOIN tot t ON t.commodity = u.commodity AND t.stage = u.p_stage AND t.source = u.source AND t.year = u.p_year
LEFT JOIN _conv cv ON cv.commodity = u.commodity AND cv.stage = u.stage AND cv.to_basis = u.basis"""


def _network_sql(groups: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    """Networks (``_onet``), nodes (``_onode``, exporters first), flows, production and balancing caps."""
    return [
        """CREATE OR REPLACE TEMP TABLE _onet AS
           SELECT row_number() OVER (ORDER BY v.commodity, v.stage, v.year, v.pvar, g.grp) - 1 AS nid, v.*, g.grp
           FROM _ovar v CROSS JOIN _ogroups g""",
        """CREATE OR REPLACE TEMP TABLE _oflow_l AS
           SELECT n.nid, coalesce(ms.node, f.exporter) AS src, coalesce(md.node, f.importer) AS dst,
                  sum(CASE WHEN n.content_ok THEN f.tonnes_content * n.conv ELSE f.tonnes_gross END) AS t,
                  -- exported by members of the wanted origins (a merged bloc node's excess is theirs pro rata)
                  coalesce(sum(CASE WHEN n.content_ok THEN f.tonnes_content * n.conv ELSE f.tonnes_gross END)
                           FILTER (f.exporter IN (SELECT member FROM _who)), 0) AS t_who
           FROM _onet n JOIN _flows f ON f.commodity = n.commodity AND f.stage = n.stage AND f.year = n.year
                                     AND f.counted
           LEFT JOIN _omerge ms ON ms.grp = n.grp AND ms.member = f.exporter
           LEFT JOIN _omerge md ON md.grp = n.grp AND md.member = f.importer
           WHERE (CASE WHEN n.content_ok THEN f.tonnes_content ELSE f.tonnes_gross END) IS NOT NULL
           GROUP BY ALL""",
        """CREATE OR REPLACE TEMP TABLE _onflows AS
           SELECT n.nid, count(f.nid) AS n_flows FROM _onet n LEFT JOIN _oflow_l f USING (nid) GROUP BY ALL""",
        """CREATE OR REPLACE TEMP TABLE _oprod_l AS
           SELECT n.nid, coalesce(m.node, r.country) AS node, sum(r.tonnes * n.scale) AS t,
                  coalesce(sum(r.tonnes * n.scale) FILTER (r.country IN (SELECT member FROM _who)), 0) AS t_who
           FROM _onet n JOIN _prod_src r ON r.commodity = n.commodity AND r.stage = n.p_stage
                                        AND r.source = n.source AND r.year = n.p_year
           LEFT JOIN _omerge m ON m.grp = n.grp AND m.member = r.country
           WHERE r.country <> 'ROW'
           GROUP BY ALL""",
        """CREATE OR REPLACE TEMP TABLE _ocap_l AS
           SELECT n.nid, coalesce(m.node, r.country) AS node, sum(r.tonnes) AS t,
                  coalesce(sum(r.tonnes) FILTER (r.country IN (SELECT member FROM _who)), 0) AS t_who
           FROM _onet n JOIN _pick p ON p.commodity = n.commodity AND p.stage = 'mine' AND p.year = n.year
           JOIN _prod_src r ON r.commodity = n.commodity AND r.stage = 'mine' AND r.source = p.source
                           AND r.year = p.p_year
           LEFT JOIN _omerge m ON m.grp = n.grp AND m.member = r.country
           WHERE p.p_stage = 'mine'
           GROUP BY ALL""",
        """CREATE OR REPLACE TEMP TABLE _onode AS
           WITH x AS (
               SELECT nid, src AS node FROM _oflow_l WHERE src <> dst
               UNION SELECT nid, dst FROM _oflow_l WHERE src <> dst
               UNION SELECT nid, node FROM _oprod_l
           ), core AS (
               SELECT nid, src AS node FROM _oflow_l WHERE src <> dst GROUP BY ALL HAVING sum(t) > 0
           )
           SELECT x.nid, x.node, c.node IS NOT NULL AS is_core,
                  row_number() OVER (PARTITION BY x.nid ORDER BY c.node IS NULL, x.node) - 1 AS idx
           FROM x LEFT JOIN core c USING (nid, node)""",
    ]


def _one_blas_thread():
    """Many small solves: BLAS threads only add overhead (and thrash on a shared machine)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency; without it the solves are just slower
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _groups(eng) -> list[tuple[str, tuple[str, ...]]]:
    """('' = every single country, no merging) and one merged-node group per bloc."""
    out: list[tuple[str, tuple[str, ...]]] = []
    if any(not p.is_bloc for p in eng.parties):
        out.append(("", ()))
    for p in eng.parties:
        if p.is_bloc:
            out.append((p.label, p.members))
    return out


def run(eng) -> None:
    """Create ``_origin_rows`` (one per party × traded commodity stage × year) on the engine's cursor."""
    from critmin.indicators.sql_inputs import temp_table as _create

    cur = eng.cur
    groups = _groups(eng)
    _create(cur, "_ogroups", {"grp": ("VARCHAR", [g for g, _ in groups])})
    _create(
        cur,
        "_omerge",
        {
            "grp": ("VARCHAR", [g for g, ms in groups for _ in ms]),
            "member": ("VARCHAR", [m for _, ms in groups for m in ms]),
            "node": ("VARCHAR", [g for g, ms in groups for _ in ms]),
        },
    )
    cur.execute(_variants_sql())
    for sql in _network_sql(groups):
        cur.execute(sql)
    nets = cur.execute(
        """SELECT n.nid, n.grp, coalesce(c.m, 0) AS m, coalesce(c.n, 0) AS n, f.n_flows
           FROM _onet n JOIN _onflows f USING (nid)
           LEFT JOIN (SELECT nid, count(*) FILTER (is_core) AS m, count(*) AS n FROM _onode GROUP BY nid) c
             USING (nid)
           ORDER BY n.nid"""
    ).fetchnumpy()
    nodes = cur.execute("SELECT nid, idx, node FROM _onode ORDER BY nid, idx").fetchnumpy()
    flows = cur.execute(
        """SELECT f.nid, s.idx AS i, d.idx AS j, f.t, f.t_who FROM _oflow_l f
           JOIN _onode s ON s.nid = f.nid AND s.node = f.src JOIN _onode d ON d.nid = f.nid AND d.node = f.dst
           WHERE f.src <> f.dst"""
    ).fetchnumpy()
    prod = cur.execute(
        "SELECT p.nid, o.idx, p.t, p.t_who FROM _oprod_l p JOIN _onode o ON o.nid = p.nid AND o.node = p.node"
    ).fetchnumpy()
    cap = cur.execute(
        "SELECT c.nid, o.idx, c.t, c.t_who FROM _ocap_l c JOIN _onode o ON o.nid = c.nid AND o.node = c.node"
    ).fetchnumpy()
    want = _wanted(eng)
    with _one_blas_thread():
        res = solve_networks(nets, nodes, flows, prod, cap, want)
    res.update({"want_nid": want["nid"], "want_party": want["party"], "want_j": want["j"]})
    eng.drop("_oflow_l", "_oprod_l", "_ocap_l", "_onode")
    _store(eng, res)
    eng.drop("_osol", "_otop", "_onet", "_onflows", "_ovar", "_ogroups", "_omerge", "_orng", "_odef")


def _wanted(eng) -> dict[str, np.ndarray]:
    """(network, party, node index) triples — the columns to trace; index -1 when the party is not in the
    network (no supply). A country is its own node in the singles' networks, a bloc its merged node."""
    w = eng.cur.execute(
        """SELECT n.nid, pm.party, coalesce(o.idx, -1) AS j
           FROM _onet n
           JOIN _party_meta pm ON (n.grp = '' AND NOT pm.is_bloc) OR (pm.is_bloc AND n.grp = pm.party)
           LEFT JOIN _parties m ON NOT pm.is_bloc AND m.party = pm.party
           LEFT JOIN _onode o ON o.nid = n.nid AND o.node = CASE WHEN pm.is_bloc THEN pm.party ELSE m.member END
           ORDER BY n.nid, pm.porder"""
    ).fetchnumpy()
    return {
        "nid": np.asarray(w["nid"], dtype=np.int64),
        "party": np.asarray(w["party"], dtype=object),
        "j": np.asarray(w["j"], dtype=np.int64),
    }


def solve_networks(nets, nodes, flows, prod, cap, want) -> dict[str, np.ndarray]:
    """Origin shares for the wanted (network, node) columns under every balancing option.

    ``flows``, ``prod`` and ``cap`` carry ``t_who``, the part of each flow, production and mine output that
    belongs to members of the wanted origins: a node's weight in the traced share is the wanted origins'
    part of its production (1 or 0 for a country; for a bloc merged into one node, its members' part, so
    EU27's own refining counts towards ``--share-of EU27`` or ``FIN``), see :func:`wanted_weights`.

    Returns arrays over the rows of ``want`` (q) and :data:`BALANCES` (b): the traced share of ``who`` and
    its validity for every (q, b); for the default balance the supply X_j, the direct share of ``who``, the
    traced and direct HHIs, the implied-production share and the top-5 origins of both vectors.
    """
    from critmin.indicators.origin import trace_batch

    n_net = len(nets["nid"])
    m_of = np.asarray(nets["m"], dtype=np.int64)
    n_of = np.asarray(nets["n"], dtype=np.int64)
    node_nid = np.asarray(nodes["nid"], dtype=np.int64)
    node_lab = np.asarray(nodes["node"], dtype=object)
    offset = np.zeros(n_net + 1, dtype=np.int64)
    np.add.at(offset, node_nid + 1, 1)
    offset = np.cumsum(offset)
    q_nid, q_j = want["nid"], want["j"]
    nq, nb = len(q_nid), len(BALANCES)
    out = {
        "traced_who": np.full((nq, nb), np.nan),
        "valid": np.zeros((nq, nb), dtype=bool),
        "supply": np.full(nq, np.nan),
        "direct_who": np.full(nq, np.nan),
        "traced_hhi": np.full(nq, np.nan),
        "direct_hhi": np.full(nq, np.nan),
        "implied_share": np.full(nq, np.nan),
        "any_implied": np.zeros(nq, dtype=bool),
        "undefined": np.zeros(nq, dtype=bool),
        "labels": node_lab,
    }
    for key in ("traced", "direct"):
        out[f"top_{key}_idx"] = np.full((nq, 5), -1, dtype=np.int64)
        out[f"top_{key}"] = np.full((nq, 5), np.nan)
    f_nid = np.asarray(flows["nid"], dtype=np.int64)
    f_i, f_j = np.asarray(flows["i"], dtype=np.int64), np.asarray(flows["j"], dtype=np.int64)
    f_t, f_w = np.asarray(flows["t"], dtype=float), np.asarray(flows["t_who"], dtype=float)
    p_nid, p_idx, p_t, p_w = (np.asarray(prod[c]) for c in ("nid", "idx", "t", "t_who"))
    c_nid, c_idx, c_t, c_w = (np.asarray(cap[c]) for c in ("nid", "idx", "t", "t_who"))
    # networks with a column to trace and at least one flow, by core size, in chunks of similar size
    active = _distinct(q_nid[q_j >= 0])
    active = active[(np.asarray(nets["n_flows"])[active] > 0)]
    active = active[np.lexsort((n_of[active], m_of[active]))]
    for chunk in _chunks(active, m_of, n_of):
        k = len(chunk)
        m = max(int(m_of[chunk].max()), 1)
        n = int(n_of[chunk].max())
        pos = np.full(n_net, -1, dtype=np.int64)
        pos[chunk] = np.arange(k)
        t = np.zeros((k, m, n))
        sel = pos[f_nid] >= 0
        np.add.at(t, (pos[f_nid[sel]], f_i[sel], f_j[sel]), f_t[sel])
        ew = np.zeros((k, n))  # exports of the wanted origins' members, by exporting node
        np.add.at(ew, (pos[f_nid[sel]], f_i[sel]), f_w[sel])
        p, pw = np.zeros((k, n)), np.zeros((k, n))
        sel = pos[p_nid] >= 0
        at = (pos[p_nid[sel]], p_idx[sel].astype(np.int64))
        np.add.at(p, at, p_t[sel].astype(float))
        np.add.at(pw, at, p_w[sel].astype(float))
        cp, cw = np.zeros((k, n)), np.zeros((k, n))
        sel = pos[c_nid] >= 0
        at = (pos[c_nid[sel]], c_idx[sel].astype(np.int64))
        np.add.at(cp, at, c_t[sel].astype(float))
        np.add.at(cw, at, c_w[sel].astype(float))
        in_net = np.arange(n)[None, :] < n_of[chunk][:, None]
        exports = np.pad(t.sum(axis=2), ((0, 0), (0, n - m)))
        who_p, who_i = wanted_weights(p, pw, cp, cw, exports, ew)
        who_x = _ratio(ew, exports)  # the wanted part of each node's exports
        qsel = np.nonzero((pos[q_nid] >= 0) & (q_j >= 0))[0]
        qk, qj = pos[q_nid[qsel]], q_j[qsel]
        for b, balance in enumerate(BALANCES):
            default = balance == DEFAULT_BALANCE
            r = trace_batch(t, p, cp, who_p, qk, qj, balance, columns=default, who_implied=who_i)
            xj = r["x"][qk, qj]
            ok = (xj > 0) & np.isclose(r["colsum"], 1.0, atol=1e-9) & np.isfinite(r["colsum"])
            if default:
                s_cols = r["s"]
                ok &= ~(s_cols < -1e-12).any(axis=1)
                s_ok = np.where(ok[:, None], s_cols, np.nan)
                d = r["d"]
                out["supply"][qsel] = xj
                out["undefined"][qsel] = ~ok & (xj > 0)
                # direct suppliers are wanted for what they ship (a hub in the wanted bloc counts), the
                # party itself for what it produces
                wd = who_x[qk]
                wd[np.arange(len(qk)), qj] = r["who"][qk, qj]
                out["direct_who"][qsel] = np.clip((np.nan_to_num(d) * wd).sum(axis=1), 0.0, 1.0)
                out["traced_hhi"][qsel] = (s_ok**2).sum(axis=1)
                out["direct_hhi"][qsel] = (np.nan_to_num(d) ** 2).sum(axis=1)
                imp = r["implied"][qk] > 0
                out["implied_share"][qsel] = np.where(imp, s_ok, 0.0).sum(axis=1)
                out["any_implied"][qsel] = (imp & (np.nan_to_num(s_ok) > 0)).any(axis=1)
                for key, vec in (("traced", s_ok), ("direct", d)):
                    v = np.where(in_net[qk] & (np.nan_to_num(vec) > 0), np.nan_to_num(vec), -1.0)
                    top = _top(v, 5)
                    val = np.take_along_axis(v, top, axis=1)
                    out[f"top_{key}_idx"][qsel] = np.where(val > 0, offset[chunk[qk]][:, None] + top, -1)
                    out[f"top_{key}"][qsel] = np.where(val > 0, val, np.nan)
            # a share: fractional weights leave round-off (−1e-17, 1 + 2e-16), and −0.0 would print as "-0%"
            traced = np.where(ok, np.clip(r["traced_who"], 0.0, 1.0) + 0.0, np.nan)
            out["traced_who"][qsel, b] = traced
            out["valid"][qsel, b] = ok
    return out


def wanted_weights(
    production: np.ndarray,
    production_who: np.ndarray,
    cap: np.ndarray,
    cap_who: np.ndarray,
    exports: np.ndarray,
    exports_who: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The wanted origins' part of each node's production (K, n) and of production implied by balancing.

    A country node is wholly wanted or not (1 or 0). A bloc merged into one node produces what its members
    produce, so its own supply is the wanted origins' in proportion to their production; production implied
    by exports larger than supply (:func:`critmin.indicators.origin.balance_production`) is split by the
    members' mine output, the cap it is bounded by, else by their exports out of the bloc — the rule of
    :func:`critmin.indicators.origin.member_shares`, summed over the wanted members.
    """
    who_p = _ratio(production_who, production)
    who_i = np.where(cap > 0, _ratio(cap_who, cap), _ratio(exports_who, exports))
    return who_p, who_i


def _ratio(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole, 0 where whole is 0 (the weight of a node that has none of the quantity never counts)."""
    return np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), 0.0)


def _distinct(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (``np.unique`` without its masked-array check, which imports numpy.ma: ~15 ms
    of a cold command)."""
    a = np.sort(a)
    return a[np.concatenate(([True], a[1:] != a[:-1]))] if a.size else a


def _top(v: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k largest values of each row, largest first (ties: lower index first)."""
    k = min(k, v.shape[1])
    part = (
        np.argpartition(-v, k - 1, axis=1)[:, :k]
        if v.shape[1] > k
        else np.tile(np.arange(v.shape[1]), (len(v), 1))
    )
    vals = np.take_along_axis(v, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, axis=1)


def _chunks(active: np.ndarray, m_of: np.ndarray, n_of: np.ndarray):
    """Consecutive runs of ``active`` (sorted by size) whose padded stack stays under CHUNK_CELLS."""
    start = 0
    while start < len(active):
        stop = start + 1
        while stop < len(active):
            mm = max(int(m_of[active[start : stop + 1]].max()), 1)
            nn = int(n_of[active[start : stop + 1]].max())
            if (stop - start + 1) * mm * max(mm, nn) > CHUNK_CELLS or stop - start >= CHUNK_NETWORKS:
                break
            stop += 1
        yield active[start:stop]
        start = stop


def _store(eng, res) -> None:
    """``_origin_rows`` from the solved arrays and the network metadata (flags, provenance, range)."""
    cur = eng.cur
    nq = len(res["supply"])
    labels = res["labels"]

    def lab(idx: np.ndarray) -> np.ndarray:
        out = np.empty(idx.shape, dtype=object)
        ok = idx >= 0
        out[ok] = labels[idx[ok]]
        out[~ok] = None
        return out

    tops = []
    for key in ("traced", "direct"):
        idx = res[f"top_{key}_idx"]
        val = res[f"top_{key}"]
        rows = np.repeat(np.arange(nq), 5)
        rank = np.tile(np.arange(5), nq)
        tops.append(
            {
                "q": rows,
                "kind": np.full(rows.size, key, dtype=object),
                "rank": rank,
                "origin": lab(idx.ravel()),
                "share": np.nan_to_num(val.ravel(), nan=-1.0),
            }
        )
    top = {k: np.concatenate([t[k] for t in tops]) for k in tops[0]}
    cur.register("_otop_np", top)
    sol = {
        "q": np.arange(nq, dtype=np.int64),
        "nid": res["want_nid"],
        "party": res["want_party"],
        "has_node": res["want_j"] >= 0,
        "supply": np.nan_to_num(res["supply"], nan=-1.0),
        "direct_who": np.nan_to_num(res["direct_who"], nan=-1.0),
        "traced_hhi": np.nan_to_num(res["traced_hhi"], nan=-1.0),
        "direct_hhi": np.nan_to_num(res["direct_hhi"], nan=-1.0),
        "implied_share": np.nan_to_num(res["implied_share"], nan=-1.0),
        "any_implied": res["any_implied"],
        "undefined": res["undefined"],
    }
    for b, balance in enumerate(BALANCES):
        sol[f"v_{balance}"] = np.nan_to_num(res["traced_who"][:, b], nan=-1.0)
        sol[f"ok_{balance}"] = res["valid"][:, b]
    cur.register("_osol_np", sol)
    cur.execute("CREATE OR REPLACE TEMP TABLE _osol AS SELECT * FROM _osol_np")
    cur.execute(
        """CREATE OR REPLACE TEMP TABLE _otop AS
           SELECT q, kind, '{' || string_agg('"' || origin || '":' || CAST(round(share, 4) AS VARCHAR), ','
                                                ORDER BY rank) || '}' AS top
           FROM _otop_np WHERE origin IS NOT NULL AND share > 0 GROUP BY ALL"""
    )
    cur.unregister("_otop_np")
    cur.unregister("_osol_np")
    balances = ", ".join(f"('{b}', {i})" for i, b in enumerate(BALANCES))
    tsrc = eng.trade_source.replace("'", "''")
    who = eng.share_of.label.replace("'", "''")
    # in steps: one big query would hold every join's hash table at once (the command line's memory is small)
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE _orng AS
WITH v AS (
    -- every (variant, balance) value of a party's traced share, for the range
    SELECT s.party, n.commodity, n.stage, n.year, n.pvar, n.production_source, b.balance,
           CASE b.balance WHEN 'mine' THEN CASE WHEN s.ok_mine THEN s.v_mine END
                          WHEN 'none' THEN CASE WHEN s.ok_none THEN s.v_none END
                          ELSE CASE WHEN s.ok_full THEN s.v_full END END AS value
    FROM _osol s JOIN _onet n USING (nid) CROSS JOIN (VALUES {balances}) b(balance, bi)
)
SELECT party, commodity, stage, year, min(value) AS lo, max(value) AS hi,
       to_json(list(json_object('production', production_source, 'balance', balance, 'value', value)
                    ORDER BY pvar, balance) FILTER (value IS NOT NULL)) AS variants
FROM v GROUP BY ALL"""
    )
    cur.execute(
        """CREATE OR REPLACE TEMP TABLE _odef AS
           SELECT s.*, n.commodity, n.stage, n.year, n.pflags, list_concat(n.pflags, n.xflags) AS vflags,
                  n.production_source, n.method_key, f.n_flows, tt.top AS top_traced, td.top AS top_direct
           FROM _osol s JOIN _onet n USING (nid) JOIN _onflows f USING (nid)
           LEFT JOIN _otop tt ON tt.q = s.q AND tt.kind = 'traced'
           LEFT JOIN _otop td ON td.q = s.q AND td.kind = 'direct'
           WHERE n.pvar = 0"""
    )
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE _origin_rows AS
WITH keys AS (
    SELECT s.commodity, s.stage, y.year, pm.party FROM _cat_stage s CROSS JOIN _years y
    CROSS JOIN _party_meta pm WHERE s.has_trade
)
SELECT k.party, k.commodity, k.stage, k.year,
       CASE WHEN d.ok_mine THEN d.v_mine END AS value,
       CASE WHEN d.ok_mine THEN r.lo END AS value_low,
       CASE WHEN d.ok_mine THEN r.hi END AS value_high,
       CASE WHEN d.ok_mine THEN 'ok' ELSE 'no data' END AS status,
       CASE WHEN d.q IS NULL THEN list_concat(coalesce(np.pick_flags, []), ['no_trade_flows'])
            WHEN d.n_flows = 0 THEN list_concat(d.pflags, ['no_trade_flows'])
            WHEN NOT d.has_node OR d.supply <= 0 THEN list_concat(d.vflags, ['no_supply'])
            ELSE list_concat(d.vflags, list_distinct([
                CASE WHEN d.any_implied THEN 'implied_production' END,
                CASE WHEN d.undefined THEN 'origin_undefined' END]))
       END AS flags_l,
       CASE WHEN d.ok_mine THEN json_object(
           'origin_of', '{who}', 'direct_share', d.direct_who,
           'traced_hhi', d.traced_hhi, 'direct_hhi', d.direct_hhi,
           'top_traced', coalesce(d.top_traced, '{{}}')::JSON, 'top_direct', coalesce(d.top_direct, '{{}}')::JSON,
           'supply_tonnes', d.supply, 'implied_share', d.implied_share,
           'balance', 'mine', 'range', r.variants::JSON)
       ELSE '{{}}' END AS inputs,
       CASE WHEN d.ok_mine THEN concat_ws('; ', nullif(d.production_source, ''), '{tsrc}') ELSE '' END
           AS provenance,
       coalesce(d.method_key, '') AS method_key
FROM keys k
LEFT JOIN _odef d ON d.party = k.party AND d.commodity = k.commodity AND d.stage = k.stage AND d.year = k.year
LEFT JOIN _orng r ON r.party = k.party AND r.commodity = k.commodity AND r.stage = k.stage AND r.year = k.year
LEFT JOIN _pick np ON np.commodity = k.commodity AND np.stage = k.stage AND np.year = k.year"""
    )
