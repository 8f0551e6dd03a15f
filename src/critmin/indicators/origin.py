"""Origin tracing through re-exports (Kastner et al. 2011).

Method: Kastner T., Kastner M. & Nonhebel S. (2011) "Tracing distant environmental impacts of agricultural
products from a consumer perspective", Ecol. Econ. 70(6):1032-1040, doi:10.1016/j.ecolecon.2011.01.012 —
the "cross-categorizing trade flows: origin-tracing" algorithm (their eqs. 1-4), here on a bilateral
trade matrix of one commodity stage.

For a commodity and year with production P (by country) and bilateral trade T (T_ij = flow from exporter i
to importer j, same unit basis)::

    X_j  = P_j + Σ_i T_ij                        total supply of country j (production + imports)
    A_ij = T_ij / X_j                            share of j's supply imported from i
    S    = diag(P / X) · (I − A)^-1              S_kj = share of j's supply that was produced in k

Every country's supply is a mix of its own production and its imports, and its exports draw on that mix in
proportion, so S traces a flow back through any number of re-exporting hubs to where it was produced.
Each column of S sums to 1; when nobody re-exports (no country both imports and exports), S equals the
direct supply shares D_kj = (P_j·δ_kj + T_kj) / X_j.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from critmin.errors import NoDataError, UnknownValueError

if TYPE_CHECKING:  # pragma: no cover - pandas is imported where a frame is built (the engine needs none)
    import pandas as pd

    from critmin.api import Dataset


# ---------------------------------------------------------------------------------------------------------
# pure formulas
# ---------------------------------------------------------------------------------------------------------
def total_supply(production: npt.ArrayLike, trade: npt.ArrayLike) -> np.ndarray:
    """X_j = P_j + Σ_i T_ij (Kastner et al. 2011, eq. 1): production plus imports."""
    p = np.asarray(production, dtype=float)
    t = np.asarray(trade, dtype=float)
    return p + t.sum(axis=0)


def technical_coefficients(production: npt.ArrayLike, trade: npt.ArrayLike) -> np.ndarray:
    """A_ij = T_ij / X_j (Kastner et al. 2011, eq. 2); columns of countries without supply are zero."""
    t = np.asarray(trade, dtype=float)
    x = total_supply(production, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x[None, :] > 0, t / x[None, :], 0.0)


def origin_shares(
    production: npt.ArrayLike, trade: npt.ArrayLike, columns: Iterable[int] | None = None
) -> np.ndarray:
    """S = diag(P/X)·(I − A)^-1 (Kastner et al. 2011, eqs. 3-4): origin k of each country j's supply.

    ``trade[i, j]`` is the flow from exporter i to importer j (diagonal ignored). Column j sums to 1 when
    X_j > 0 (NaN column otherwise). A set of countries that only trade among themselves and produce
    nothing has no defined origin: those columns are NaN. ``columns`` restricts the result to those
    importers (n × len(columns)), solving (I − A)·z = e_j only for them (sparse LU).
    """
    p = np.nan_to_num(np.asarray(production, dtype=float), nan=0.0)
    t = np.nan_to_num(np.asarray(trade, dtype=float), nan=0.0).copy()
    if (p < 0).any() or (t < 0).any():
        raise ValueError("production and trade must be non-negative")
    np.fill_diagonal(t, 0.0)
    n = p.size
    x = total_supply(p, t)
    a = technical_coefficients(p, t)
    cols = np.arange(n) if columns is None else np.asarray(list(columns), dtype=int)
    # S = diag(P/X)·Z with Z = (I − A)^-1; column j of Z solves (I − A) z = e_j
    rhs = np.zeros((n, cols.size))
    rhs[cols, np.arange(cols.size)] = 1.0
    z = _solve(np.eye(n) - a, rhs)
    ratio = np.where(x > 0, p / np.where(x > 0, x, 1.0), 0.0)
    s = ratio[:, None] * z
    s = np.where(np.abs(s) < 1e-15, 0.0, s)
    sums = s.sum(axis=0)
    bad = (x[cols] <= 0) | ~np.isclose(sums, 1.0, atol=1e-9) | (s < -1e-12).any(axis=0)
    s[:, bad] = np.nan
    return s


def _solve(m: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve m·z = rhs; sparse LU for large sparse systems, least squares when m is singular."""
    n = m.shape[0]
    if n > 60:
        import scipy.sparse as sp
        import scipy.sparse.linalg as spla

        try:
            lu = spla.splu(sp.csc_matrix(m))
            return lu.solve(rhs)
        except RuntimeError:  # exactly singular: a closed loop of non-producers
            return np.linalg.lstsq(m, rhs, rcond=None)[0]
    try:
        return np.linalg.solve(m, rhs)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(m, rhs, rcond=None)[0]


def balance_production(
    production: npt.ArrayLike, trade: npt.ArrayLike, cap: npt.ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """P' = P + min(max(0, E − P − I), cap): production implied by exports larger than supply.

    Trade and production data never balance exactly (stocks, timing, a stage without its own production
    data, as cobalt intermediates shipped by the DRC). In Kastner's scheme a country's exports carry the
    origin mix of its supply whatever their size, so 687 kt of DRC intermediates would inherit the origin
    of the DRC's 1 t of imports. ``cap`` (e.g. the country's own mine output of the commodity) bounds the
    excess attributed to the exporter itself; ``None`` means no bound. A country that exports with no
    supply at all would be a source without origin: its exports are always attributed to itself.
    Returns (P', implied).
    """
    p = np.nan_to_num(np.asarray(production, dtype=float), nan=0.0)
    t = np.nan_to_num(np.asarray(trade, dtype=float), nan=0.0).copy()
    np.fill_diagonal(t, 0.0)
    exports, imports = t.sum(axis=1), t.sum(axis=0)
    excess = np.maximum(0.0, exports - p - imports)
    implied = (
        excess if cap is None else np.minimum(excess, np.nan_to_num(np.asarray(cap, dtype=float), nan=0.0))
    )
    no_supply = (p + imports <= 0) & (exports > 0)
    implied = np.where(no_supply, exports, implied)
    return p + implied, implied


def member_shares(
    production: npt.ArrayLike, implied: float, cap: npt.ArrayLike, exports: npt.ArrayLike
) -> np.ndarray:
    """f_m = (P_m + I·g_m) / (Σ P + I): each member's part of a bloc traced as one merged node.

    A bloc (EU27, JPN+ITA) is one node whose production is its members' production P_m, plus the production
    I implied by balancing (:func:`balance_production`), which is bounded by the members' mine output and
    so split by it, g_m = cap_m / Σ cap, else (no mine output) by their exports out of the bloc. The bloc's
    own traced share is its members' in these proportions: the merged node pools the members' supply, so
    each member's output reaches every destination in the same mix (Kastner et al. 2011 on aggregated
    regions). Returns zeros when the bloc produces nothing.
    """
    p = np.nan_to_num(np.asarray(production, dtype=float), nan=0.0)
    c = np.nan_to_num(np.asarray(cap, dtype=float), nan=0.0)
    e = np.nan_to_num(np.asarray(exports, dtype=float), nan=0.0)
    g = c / c.sum() if c.sum() > 0 else (e / e.sum() if e.sum() > 0 else np.zeros_like(p))
    own = p + implied * g
    total = own.sum()
    return own / total if total > 0 else np.zeros_like(p)


def trace_batch(
    trade: np.ndarray,
    production: np.ndarray,
    cap: np.ndarray,
    who: np.ndarray,
    net: np.ndarray,
    col: np.ndarray,
    balance: str = "mine",
    columns: bool = False,
    who_implied: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Origin tracing for a stack of networks at once (padded with zeros), on their exporters only.

    ``trade`` (K, m, n): T_ij from the first m nodes (every node that exports in any of the networks) to
    all n; ``production``, ``cap`` and ``who`` are (K, n): ``who`` is the part of each node's production
    that belongs to the origins whose traced share is wanted (1 or 0 for a country, a fraction for a bloc
    merged into one node), ``who_implied`` (default ``who``) the same for production implied by balancing;
    ``net``/``col`` (Q,) pick the wanted columns (network, importer). ``balance`` as :func:`trace_origin`:
    'mine' (excess exports attributed to the exporter up to ``cap``, see :func:`balance_production`),
    'full' or 'none' (Kastner's scheme unchanged).

    A country that exports nothing is nobody's supplier, so only the exporters' block M = I − A_core is
    solved. With r = P/X, the traced share of ``who`` in column j and the column sum are
    Σ_k who_k r_k Z_kj and Σ_k r_k Z_kj: one solve of Mᵀ y = [r·who, r] gives both for every column, an
    importer j outside the block reading them through its imports, y·A_core,j (+ its own r_j).
    ``columns``: also the full traced columns S_·j = r ⊙ M⁻¹ e_j (or M⁻¹ A_core,j) and the direct shares D.
    Returns traced_who, colsum, x (X_j), implied, who (the wanted part of P + implied) (K, n) and, with
    ``columns``, s and d (Q, n).
    """
    k, m, n = trade.shape
    exports = np.zeros((k, n))
    exports[:, :m] = trade.sum(axis=2)
    imports = trade.sum(axis=1)
    if balance == "none":
        implied = np.zeros_like(production)
    else:
        excess = np.maximum(0.0, exports - production - imports)
        implied = excess if balance == "full" else np.minimum(excess, cap)
        implied = np.where((production + imports <= 0) & (exports > 0), exports, implied)
    p = production + implied
    wi = who if who_implied is None else who_implied
    who = np.where(p > 0, (production * who + implied * wi) / np.where(p > 0, p, 1.0), who)
    x = p + imports
    safe = np.where(x > 0, x, 1.0)
    ratio = np.where(x > 0, p / safe, 0.0)
    mat = np.eye(m)[None] - np.where(x[:, None, :m] > 0, trade[:, :, :m] / safe[:, None, :m], 0.0)
    core = col < m
    a_in = np.where((x[net, col] > 0)[:, None], trade[net, :, col] / safe[net, col][:, None], 0.0)
    own = ratio[net, col]
    out = {"x": x, "implied": implied, "who": who}
    if not columns:
        rhs = np.stack([ratio[:, :m] * who[:, :m], ratio[:, :m]], axis=2)
        y = _solve_batch(np.swapaxes(mat, 1, 2), rhs)
        via = np.einsum("qi,qik->qk", a_in, y[net])
        inside = y[net, np.minimum(col, m - 1), :]
        out["traced_who"] = np.where(core, inside[:, 0], via[:, 0] + own * who[net, col])
        out["colsum"] = np.where(core, inside[:, 1], via[:, 1] + own)
        return out
    # one right-hand side per wanted column of each network: e_j, or the importer's import vector
    q = len(net)
    order = np.lexsort((col, net))
    slot = np.empty(q, dtype=np.int64)
    slot[order] = _slots(net[order])
    b = np.zeros((k, m, int(slot.max()) + 1 if q else 1))
    rhs_cols = np.where(core[:, None], 0.0, a_in)
    rhs_cols[np.nonzero(core)[0], col[core]] = 1.0
    b[net, :, slot] = rhs_cols
    z = _solve_batch(mat, b)
    s = np.zeros((q, n))
    s[:, :m] = ratio[net, :m] * z[net, :, slot]
    s[np.nonzero(~core)[0], col[~core]] += own[~core]
    s = np.where(np.abs(s) < 1e-15, 0.0, s)
    out["s"] = s
    out["traced_who"] = (s * who[net]).sum(axis=1)
    out["colsum"] = s.sum(axis=1)
    d = np.zeros((q, n))
    d[:, :m] = trade[net, :, col]
    d[np.arange(q), col] += p[net, col]
    xq = x[net, col]
    out["d"] = np.where((xq > 0)[:, None], d / np.where(xq > 0, xq, 1.0)[:, None], np.nan)
    return out


def _slots(net_sorted: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within each run of equal network ids (sorted)."""
    idx = np.arange(len(net_sorted))
    starts = np.r_[0, np.nonzero(np.diff(net_sorted))[0] + 1] if len(net_sorted) else np.zeros(0, dtype=int)
    first = np.zeros(len(net_sorted), dtype=np.int64)
    first[starts] = starts
    first = np.maximum.accumulate(first)
    return idx - first


def _solve_batch(m: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve each system of a stack; least squares for singular ones (a closed loop of non-producers, whose
    columns then fail the checks and are reported as undefined) while the rest stays batched."""
    try:
        return np.linalg.solve(m, rhs)
    except np.linalg.LinAlgError:
        sign, logdet = np.linalg.slogdet(m)
        bad = (sign == 0) | ~np.isfinite(logdet)
        out = np.empty(rhs.shape)
        good = np.nonzero(~bad)[0]
        if len(good):
            out[good] = np.linalg.solve(m[good], rhs[good])
        for i in np.nonzero(bad)[0]:
            out[i] = np.linalg.lstsq(m[i], rhs[i], rcond=None)[0]
        return out


def direct_shares(production: npt.ArrayLike, trade: npt.ArrayLike) -> np.ndarray:
    """D_kj = (P_j·δ_kj + T_kj) / X_j: the direct suppliers of j's supply (own production on the diagonal)."""
    p = np.nan_to_num(np.asarray(production, dtype=float), nan=0.0)
    t = np.nan_to_num(np.asarray(trade, dtype=float), nan=0.0).copy()
    np.fill_diagonal(t, 0.0)
    x = total_supply(p, t)
    d = t + np.diag(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x[None, :] > 0, d / x[None, :], np.nan)


# ---------------------------------------------------------------------------------------------------------
# on a Dataset
# ---------------------------------------------------------------------------------------------------------
def node_pos(nodes: list[str]) -> dict[str, int]:
    return {n: i for i, n in enumerate(nodes)}


def _network(
    prod: pd.DataFrame, trade: pd.DataFrame, merge: dict[str, str]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Node list, production vector and trade matrix, with ``merge`` mapping member → bloc node."""
    p = prod.assign(node=prod["country"].map(lambda c: merge.get(c, c)))
    t = trade.assign(
        src=trade["exporter"].map(lambda c: merge.get(c, c)),
        dst=trade["importer"].map(lambda c: merge.get(c, c)),
    )
    t = t[t["src"] != t["dst"]]  # flows inside a merged bloc are not imports of the bloc
    nodes = sorted(set(p["node"]) | set(t["src"]) | set(t["dst"]))
    idx = {c: i for i, c in enumerate(nodes)}
    pv = np.zeros(len(nodes))
    pg = p.groupby("node")["tonnes"].sum()
    pv[[idx[c] for c in pg.index]] = pg.to_numpy(float)
    tm = np.zeros((len(nodes), len(nodes)))
    tg = t.groupby(["src", "dst"])["tonnes"].sum()
    if len(tg):
        src = [idx[a] for a, _ in tg.index]
        dst = [idx[b] for _, b in tg.index]
        np.add.at(tm, (src, dst), tg.to_numpy(float))
    return nodes, pv, tm


def trace_origin(
    ds: Dataset,
    parties,
    commodity: str,
    years: int | Iterable[int] | None = None,
    *,
    stage: str | None = None,
    production_stage: str | None = None,
    top: int | None = None,
    balance: str = "mine",
    scale_to_mine: bool | None = None,
) -> pd.DataFrame:
    """Direct supplier shares vs origin shares traced through re-exports, per party and year.

    Production: the stage's own series when there is one (the nearest year within 2 years), else the mine
    stage (flag ``production_proxy_stage:mine``); ``production_stage='mine'`` forces the mine stage. For the
    refined rare-earth stage (HS 2846, 280530) that means the IEA's 2023 refining shares of magnet rare-earth
    oxides. Trade is put on the production basis with the catalogue's content factors where every HS code
    has one, else kept in gross weight (flag ``gross_weight_as_production_basis``: gross tonnes of traded
    compounds are treated as tonnes of the production basis). Production reported as a residual "rest of
    world" (``ROW``) has no country node and is left out (flag ``row_production_share``).

    ``balance`` (see :func:`balance_production`): 'mine' (default) lets a country whose exports exceed its
    production plus imports be the origin of the excess up to its own mine output of the commodity (a
    processing hub refining its own ore: DRC cobalt, Myanmar rare earths); the rest of the excess carries
    the origin of its imports, as in Kastner et al. 'full' attributes the whole excess to the exporter,
    'none' is Kastner's scheme unchanged. Exporters with no supply at all are always their own origin.
    Origins with implied production have ``implied_production`` True and the rows the flag
    ``implied_production``.

    ``scale_to_mine`` (default: when trade stays in gross weight and the stage has its own production
    series, as for refined rare earths) keeps the stage's country shares but scales their total to world
    mine output of the year (flag ``production_scaled_to_mine_total``).

    A bloc (JPN+ITA, EU27) is traced as one node: its members' production and extra-bloc trade are merged;
    the node's own share is reported per producing member (:func:`member_shares`). ``own`` marks the rows of
    the party's own production (the country itself, or the bloc's members).
    Columns: party, commodity, stage, year, origin, direct_share, traced_share, implied_production, own,
    supply_tonnes, flags, production_source, trade_source. ``top`` keeps the ``top`` largest traced origins
    per party and year (the rest summed as 'other').
    """
    import pandas as pd

    from critmin.indicators.geopolrisk import _years_list, flags_json, trade_provenance
    from critmin.indicators.risk_inputs import content_factors, production_index, stage_trade, trade_on_basis
    from critmin.reference import commodities as cat

    if balance not in ("mine", "full", "none"):
        raise UnknownValueError(
            "balance", balance, ("mine", "full", "none"), hint="choose mine, full or none"
        )
    c = cat.get(commodity)
    ys = _years_list(ds, years)
    ps = ds.parties(parties, max(ys))
    stages = [stage] if stage else c.trade_stages
    if not stages:
        raise NoDataError(
            f"{c.id} has no HS92 code in the trade data: {next(iter(c.stages.values())).hs_note}"
        )
    s = stages[0] if stage is None else cat.check_stage(stage)
    if not c.stage(s).hs92:
        raise NoDataError(f"{c.id} {s}: {c.stages[s].hs_note or 'no HS92 code in the trade data'}")
    pidx = production_index(ds, c.id)
    trade = stage_trade(ds, c.id, s, ys)
    tsrc = trade_provenance(ds)
    rows = []
    for y in ys:
        pick = pidx.pick(production_stage or s, y)
        flags = list(pick.flags)
        if production_stage and production_stage != s:
            flags.append(f"production_proxy_stage:{production_stage}")
        factors, fflags = content_factors(c.id, s, pick.basis)
        fflags = fflags if factors is not None else []  # the grade matters only once converted
        flags += fflags
        if factors is None:
            flags.append("gross_weight_as_production_basis")
        ty = trade_on_basis(trade[trade["year"] == y], factors)
        ty = ty.assign(tonnes=ty["tonnes_basis"]).dropna(subset=["tonnes"])

        def empty(p, supply_tonnes: float, why: str, y=y, flags=flags, pick=pick) -> dict:
            """The row of a party without a traced origin this year (``why`` joins the flags)."""
            return {
                "party": p.label, "commodity": c.id, "stage": s, "year": y, "origin": None,
                "direct_share": np.nan, "traced_share": np.nan, "supply_tonnes": supply_tonnes,
                "flags": flags_json([*flags, why]), "production_source": pick.provenance, "trade_source": tsrc,
            }  # fmt: skip

        if ty.empty:
            for p in ps:
                rows.append(empty(p, np.nan, "no_trade_flows"))
            continue
        prod = pick.frame
        if scale_to_mine or (scale_to_mine is None and factors is None and pick.production_stage != "mine"):
            # the stage's own series is on another basis than the traded products (e.g. IEA magnet-REE
            # refining vs gross tonnes of rare-earth compounds): keep its country shares, scale the total to
            # world mine output of the same year so production and trade are of the same order
            mine = pidx.pick("mine", y) if "mine" in c.stages else None
            stage_total = float(prod["tonnes"].sum())
            if mine is not None and mine.found and stage_total > 0:
                prod = prod.assign(tonnes=prod["tonnes"] * float(mine.frame["tonnes"].sum()) / stage_total)
                flags.append(f"production_scaled_to_mine_total:{mine.source} {mine.production_year}")
        mine_pick = pidx.pick("mine", y) if "mine" in c.stages else None
        mine_frame = (
            mine_pick.frame
            if mine_pick is not None and mine_pick.found and mine_pick.production_stage == "mine"
            else pd.DataFrame(columns=["country", "tonnes"])
        )
        is_row = prod["country"] == "ROW"
        if is_row.any() and prod["tonnes"].sum() > 0:
            flags.append(
                f"row_production_share:{prod.loc[is_row, 'tonnes'].sum() / prod['tonnes'].sum():.3f}"
            )
        prod = prod[~is_row]
        # one solve for all single countries; one per bloc (merged node)
        groups: dict[tuple, list] = {}
        for p in ps:
            key = tuple(p.members) if p.is_bloc else ()
            groups.setdefault(key, []).append(p)
        for key, plist in groups.items():
            merge = {m: "+".join(key) for m in key}
            nodes, pv, tm = _network(prod, ty, merge)
            if balance == "none":
                implied = np.zeros_like(pv)
            else:
                cap = None
                if balance == "mine":
                    cap = np.zeros_like(pv)
                    pos = node_pos(nodes)
                    mnodes = [merge.get(cc, cc) for cc in mine_frame["country"]]
                    mg = pd.Series(mine_frame["tonnes"].to_numpy(float), index=mnodes).groupby(level=0).sum()
                    for cc, v in mg.items():
                        if cc in pos:
                            cap[pos[cc]] = v
                pv, implied = balance_production(pv, tm, cap)
            idx = {cc: i for i, cc in enumerate(nodes)}
            want = sorted(
                {idx[n] for n in (["+".join(key)] if key else [p.label for p in plist]) if n in idx}
            )
            sm_cols = origin_shares(pv, tm, want)
            sm = np.full((len(nodes), len(nodes)), np.nan)
            sm[:, want] = sm_cols
            dm = direct_shares(pv, tm)
            xv = total_supply(pv, tm)
            for p in plist:
                node = "+".join(key) if key else p.label
                if node not in idx or xv[idx[node]] <= 0:
                    rows.append(empty(p, 0.0, "no_supply"))
                    continue
                j = idx[node]
                df = pd.DataFrame(
                    {
                        "origin": nodes,
                        "direct_share": dm[:, j],
                        "traced_share": sm[:, j],
                        "implied_production": implied > 0,
                    }
                )
                df = df.assign(own=df["origin"] == node)
                if key:
                    # the merged node is the bloc's own production: one row per producing member
                    df = _split_bloc_node(df, key, prod, mine_frame, ty, float(implied[j]))
                df = df[(df["direct_share"] > 0) | (df["traced_share"] > 0)]
                df = df.sort_values(["traced_share", "direct_share"], ascending=False)
                if top is not None and len(df) > top:
                    # keep the largest origins by either measure, sum the rest
                    keep = set(df.nlargest(top, "traced_share")["origin"]) | set(
                        df.nlargest(top, "direct_share")["origin"]
                    )
                    kept = df[df["origin"].isin(keep)]
                    rest = df[~df["origin"].isin(keep)][["direct_share", "traced_share"]].sum().to_dict()
                    other = pd.DataFrame(
                        [{"origin": "other", **rest, "implied_production": False, "own": False}]
                    )
                    df = pd.concat([kept, other])
                fl = list(flags)
                if (df["implied_production"] & (df["traced_share"] > 0)).any():
                    fl.append("implied_production")
                if np.isnan(sm[:, j]).any():
                    fl.append("origin_undefined")
                df = df.assign(
                    party=p.label,
                    commodity=c.id,
                    stage=s,
                    year=y,
                    supply_tonnes=float(xv[j]),
                    flags=flags_json(fl),
                    production_source=pick.provenance,
                    trade_source=tsrc,
                )
                rows.extend(df.to_dict("records"))
    cols = [
        "party",
        "commodity",
        "stage",
        "year",
        "origin",
        "direct_share",
        "traced_share",
        "implied_production",
        "own",
        "supply_tonnes",
        "flags",
        "production_source",
        "trade_source",
    ]
    return pd.DataFrame(rows, columns=cols)


def _split_bloc_node(df: pd.DataFrame, members, prod, mine, trade, implied: float) -> pd.DataFrame:
    """Replace the merged bloc node's row (``own``) by one row per member, split by :func:`member_shares`."""
    import pandas as pd

    row = df[df["own"]]
    if row.empty:
        return df
    ms = list(members)
    inside = set(ms)
    out_of_bloc = trade[trade["exporter"].isin(inside) & ~trade["importer"].isin(inside)]
    f = member_shares(
        prod.groupby("country")["tonnes"].sum().reindex(ms, fill_value=0.0).to_numpy(float),
        implied,
        mine.groupby("country")["tonnes"].sum().reindex(ms, fill_value=0.0).to_numpy(float),
        out_of_bloc.groupby("exporter")["tonnes"].sum().reindex(ms, fill_value=0.0).to_numpy(float),
    )
    r = row.iloc[0]
    split = pd.DataFrame(
        {
            "origin": ms,
            "direct_share": r["direct_share"] * f,
            "traced_share": r["traced_share"] * f,
            "implied_production": bool(r["implied_production"]),
            "own": True,
        }
    )
    return pd.concat([df[~df["own"]], split[f > 0]], ignore_index=True)


def origin_summary(table: pd.DataFrame, share_of: Iterable[str] = ("CHN",)) -> pd.DataFrame:
    """Per party/commodity/stage/year: direct and traced share of ``share_of`` origins, HHIs, top origins.

    The party's own production counts as one origin (named after the party) in the HHIs and top lists, a
    bloc's members together, as the engine does."""
    import pandas as pd

    share_of = set(share_of)
    out = []
    for key, g in table.groupby(["party", "commodity", "stage", "year"], sort=False):
        g = g.dropna(subset=["origin"])
        if g.empty:
            continue
        sel = g["origin"].isin(share_of)
        if g["traced_share"].isna().all():
            continue
        shares = ["direct_share", "traced_share"]
        # concentration counts the party's own production as one source, as for a single country
        one = (
            g.assign(origin=g["origin"].where(~g["own"].astype(bool), key[0]))
            .groupby("origin", sort=False)
            .agg({"direct_share": "sum", "traced_share": "sum", "implied_production": "any"})
            .reset_index()
        )
        out.append(
            {
                "party": key[0],
                "commodity": key[1],
                "stage": key[2],
                "year": key[3],
                "direct_share": float(g.loc[sel, "direct_share"].sum()),
                "traced_share": float(g.loc[sel, "traced_share"].sum()),
                "direct_hhi": float((one["direct_share"] ** 2).sum()),
                "traced_hhi": float((one["traced_share"] ** 2).sum()),
                "implied_share": float(g.loc[g["implied_production"].astype(bool), "traced_share"].sum()),
                **{
                    f"top_{c.removesuffix('_share')}": json.dumps(
                        one.nlargest(5, c).set_index("origin")[c].round(4).to_dict()
                    )
                    for c in shares
                },
                "supply_tonnes": float(g["supply_tonnes"].iloc[0]),
                "flags": g["flags"].iloc[0],
                "production_source": g["production_source"].iloc[0],
                "trade_source": g["trade_source"].iloc[0],
            }
        )
    return pd.DataFrame(out)
