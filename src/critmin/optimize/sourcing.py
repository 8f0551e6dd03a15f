"""Partner sourcing: re-source a party's current import need to minimise supply risk, within what suppliers
can export, a maximum share per third country, an allowed partner set and an optional cost bound.

For party P (a country, or a bloc whose members buy jointly), commodity c, stage s and year t:

* **need** D_m: member m's imports of c at stage s in year t, in tonnes of the stage's content basis (REO,
  Co, Li ...: the data layer's ``trade_basis``, so ore and intermediates shipped under refined codes are not
  part of a refined need; a flow with no quantity gets tonnes from its value at the median unit value of
  its HS code that year, counted in ``estimated_tonnes``);
* **current mix** x0_mi: those imports by supplier;
* **risk** of supplier i: g_i = clip((2.5 − PV_i)/5, 0, 1) (GeoPolRisk instability, contract 3,
  :func:`critmin.indicators.geopolrisk.instability`), 0 for a fellow member of the party; with
  ``risk_weight='coercion'`` the party-specific coercion-aware weight g^c_i of
  :mod:`critmin.indicators.coercion` (instability, UNGA distance to the party, the supplier's record of
  export restrictions on the mineral); or, with ``objective='expected_shortfall'``, the expected share of
  i's deliveries lost over a scenario set;
* **exportable capacity** cap_i = x0_i + redirect · max(expansion · B_i − x0_i, 0): today's purchases stay
  available, and what more i can sell comes from its own output of the stage: B_i = min(E_i, P_i), i's
  exports of the stage in year t to every destination (``capacity='exports'``) or its net exports
  max(E_i − I_i, 0) (``capacity='net_exports'``), never more than its production of the stage P_i (on the
  same basis, the stage's network: :func:`critmin.scenarios.network.build_network`). Re-exports of other
  countries' output are not new supply, and a miner's concentrate is not refined capacity. Where the stage
  has no production series (vanadium, niobium, tantalum, tungsten and PGM refined) B_i is the exports
  alone, and the summary says so. A fellow member always offers net exports only;
* **unit cost** u_i: i's average export unit value in year t, kUSD per tonne of the stage's content basis,
  for the cost bound and the front.

The LP and its solution are in :mod:`critmin.optimize.lp`; this module assembles the data, words the
binding constraints and the infeasibility diagnosis, and compares pooled buying with each member alone.
Import risk before/after is Σ g_i x_i / F (Gemechu et al. 2016, eq. 1, without domestic production:
re-sourcing does not change it).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.errors import NoDataError, UnknownValueError
from critmin.formats import percent
from critmin.optimize import lp

OBJECTIVES = ("import_risk", "expected_shortfall")
CAPACITY_MODES = ("exports", "net_exports")
NON_PARTNERS = ("exclude", "current")
ES_TIE_BREAK = 1e-4  # weight of g in the expected-shortfall objective (tie-break only)
DEFAULT_MAX_SHARE = 0.65  # EU Critical Raw Materials Act (Reg. (EU) 2024/1252, art. 1(2)(c)) benchmark


# -- the market for one commodity, stage and year ------------------------------------------------------------
@dataclass
class Market:
    """World trade of one commodity/stage/year, aggregated over HS codes, with g and unit values."""

    commodity: str
    stage: str
    year: int
    flows: pd.DataFrame  # exporter, importer, tonnes, value_kusd, estimated_tonnes
    exports: pd.Series  # exporter -> tonnes
    imports: pd.Series  # importer -> tonnes
    unit_value: pd.Series  # exporter -> kUSD/t
    g: pd.Series  # ISO3 -> instability
    g_year: int
    trade_source: str
    governance_source: str
    notes: list[str] = field(default_factory=list)
    basis: str = "gross weight"  # the stage's content basis of every tonne above
    production: pd.Series | None = None  # ISO3 -> t of the stage (basis), None: no production series


def _check_stage(commodity: str, stage: str | None) -> tuple[str, str]:
    from critmin.reference import commodities as cat

    c = cat.get(commodity)
    if stage is None:
        if not c.trade_stages:
            raise NoDataError(_no_trade_message(c))
        stage = c.trade_stages[0]
    st = c.stage(stage)
    if not st.hs92:
        raise NoDataError(_no_trade_message(c, stage, st.hs_note))
    return c.id, stage


def _no_trade_message(c, stage: str | None = None, note: str | None = None) -> str:
    what = f"{c.id} ({stage})" if stage else c.id
    note = note or next((s.hs_note for s in c.stages.values() if s.hs_note), None)
    # the catalogue's note explains itself (and holds its own brackets): said after a colon, not inside more
    msg = f"{what}: {note.rstrip('. ')}" if note else f"{what} has no HS92 code of its own in the trade data"
    if c.trade_stages:
        msg += f"; stages with trade data: {', '.join(c.trade_stages)}"
    else:
        msg += "; the sourcing optimiser needs bilateral trade, so it cannot run for this commodity"
    return msg


_G_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _instability(ds, year: int, missing: str) -> tuple[pd.Series, int]:
    """g for the trade year (else the latest WGI year before it), cached per Dataset."""
    from critmin.indicators import geopolrisk as gpr

    cache = _G_CACHE.setdefault(ds, {})
    key = (int(year), missing)
    if key not in cache:
        gov_years = ds.governance("pv")["year"]
        if (gov_years == year).any():
            g_year = int(year)
        elif (gov_years <= year).any():
            g_year = int(gov_years[gov_years <= year].max())
        else:
            raise NoDataError(f"no WGI political-stability estimates for {year} or earlier")
        cache[key] = (gpr.instability(ds, g_year, missing=missing), g_year)
    return cache[key]


def market(
    ds, commodity: str, stage: str | None = None, year: int | None = None, *, missing: str = "neutral"
) -> Market:
    """Assemble the market (flows, exports, imports, unit values, g) for one commodity, stage and year."""

    cid, stage = _check_stage(commodity, stage)
    lo, hi = ds.trade_years()
    year = hi if year is None else int(year)
    if not lo <= year <= hi:
        raise NoDataError(f"no trade data for {year}: the store has {lo}-{hi}")
    t = ds.trade(cid, stage, year)
    notes: list[str] = []
    if t.empty:
        raise NoDataError(f"no trade recorded for {cid} ({stage}) in {year}")
    t = t[(t["exporter"] != t["importer"]) & t["content_tonnes"].notna()].copy()
    basis = str(t["basis"].iloc[0]) if len(t) else "gross weight"
    # tonnes of the stage's content basis; quantities BACI lacks were estimated from values (data layer)
    t["tonnes"] = t["content_tonnes"].astype(float)
    t["estimated_tonnes"] = np.where(t["tonnes_estimated"], t["tonnes"], 0.0)
    est = t["tonnes_estimated"].to_numpy(dtype=bool)
    share = t.loc[est, "tonnes"].sum() / max(t["tonnes"].sum(), 1e-12) if est.any() else 0.0
    if share >= 0.0005:
        notes.append(f"{share:.1%} of traded tonnes estimated from values (flows without a quantity)")
    flagged = ds.trade(cid, stage, year, flagged=True)
    flagged = flagged[flagged["flag"] != "ok"]
    if len(flagged):
        notes.append(
            f"{flagged['gross_tonnes'].sum():,.0f} t gross ({flagged['value_kusd'].sum() / 1e3:,.0f} M USD) of "
            "the stage's codes judged ore or intermediate are not counted (docs/data.md)"
        )
    flows = t.groupby(["exporter", "importer"], as_index=False).agg(
        tonnes=("tonnes", "sum"),
        value_kusd=("value_kusd", "sum"),
        estimated_tonnes=("estimated_tonnes", "sum"),
    )
    exports = flows.groupby("exporter")["tonnes"].sum()
    imports = flows.groupby("importer")["tonnes"].sum()
    ev = flows.groupby("exporter")["value_kusd"].sum()
    unit_value = (ev / exports).where(exports > 0)
    unit_value = unit_value.fillna(unit_value.median())
    production = _stage_production(ds, cid, stage, year)
    if production is not None:
        notes.extend(production.attrs.get("notes", []))
    if production is None:
        notes.append(
            f"no {stage} production series for {cid}: supplier capacity is taken from exports alone "
            "(re-exports included)"
        )
    # governance: the trade year, else the latest year before it
    g, g_year = _instability(ds, year, missing)
    if g_year != year:
        notes.append(f"WGI political stability of {g_year} used for {year}")
    return Market(
        cid,
        stage,
        year,
        flows,
        exports,
        imports,
        unit_value,
        g,
        g_year,
        trade_source=f"{t['source'].iloc[0]} {t['edition'].iloc[0]}",
        governance_source=f"{g.attrs.get('source', 'WGI')} {g.attrs.get('edition', '')}".strip(),
        notes=notes,
        basis=basis,
        production=production,
    )


def _stage_production(ds, commodity: str, stage: str, year: int) -> pd.Series | None:
    """Each country's production of the stage on its basis, as the stage's network has it but without the
    rest-of-world residual the network spreads over unnamed net exporters: capacity needs a producer the
    series names (Laos's mixed carbonates must not become refined capacity). None when the stage has no
    production that year."""
    from critmin.scenarios.network import build_network

    net = build_network(ds, commodity, stage, year, allocate_rest=False)
    if not net.production.any():
        return None
    out = pd.Series(net.production, index=list(net.countries))
    out.attrs["notes"] = [n for n in net.notes if n.startswith("production of ")]
    return out


# -- scenario sets ------------------------------------------------------------------------------------------
def scenario_matrix(
    scenarios: pd.DataFrame, suppliers: list[str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(S×N loss fractions, S probabilities, scenario names) from a tidy table with columns scenario,
    probability, supplier, loss_fraction (suppliers not listed in a scenario lose nothing)."""
    need = {"scenario", "probability", "supplier", "loss_fraction"}
    missing = need - set(scenarios.columns)
    if missing:
        raise UnknownValueError(
            "scenario table column",
            ", ".join(sorted(missing)),
            sorted(need),
            hint="columns: scenario, probability, supplier, loss_fraction",
        )
    sc = scenarios.copy()
    if ((sc["loss_fraction"] < 0) | (sc["loss_fraction"] > 1)).any():
        raise UnknownValueError(
            "loss_fraction",
            sc.loc[(sc["loss_fraction"] < 0) | (sc["loss_fraction"] > 1), "loss_fraction"].iloc[0],
            hint="must be in [0, 1]",
        )
    names = list(dict.fromkeys(sc["scenario"]))
    prob = sc.groupby("scenario", sort=False)["probability"].first().reindex(names).to_numpy(dtype=float)
    if (prob < 0).any() or prob.sum() <= 0:
        raise UnknownValueError("scenario probabilities", prob.tolist(), hint="non-negative, not all zero")
    prob = prob / prob.sum()
    col = {s: k for k, s in enumerate(suppliers)}
    loss = np.zeros((len(names), len(suppliers)))
    row = {s: k for k, s in enumerate(names)}
    for r in sc.itertuples(index=False):
        if r.supplier in col:
            loss[row[r.scenario], col[r.supplier]] = float(r.loss_fraction)
    return loss, prob, names


def restriction_scenarios(
    ds,
    commodity: str,
    stage: str | None = None,
    year: int | None = None,
    *,
    imposers=None,
    share: float = 1.0,
    as_of=None,
) -> pd.DataFrame:
    """A scenario set for ``objective='expected_shortfall'``: one scenario per possible imposer, in which it
    stops ``share`` of its exports, with the probability that it is the one restricting.

    ``imposers``: None/'registry' — probabilities from the restriction registry's history for this
    commodity as known on ``as_of`` (default 31 December of ``year``;
    :func:`critmin.scenarios.montecarlo.imposer_probabilities`, conditional on a restriction happening);
    'CHN,COD' (equal weights) or {ISO3: weight}. Only the direct loss counts here (the LP chooses
    the suppliers; the cascade's re-routing is what the choice is meant to make unnecessary).
    """
    from critmin.scenarios.montecarlo import normalise_imposers
    from critmin.scenarios.network import build_network

    cid, stage = _check_stage(commodity, stage)
    year = ds.trade_years()[1] if year is None else int(year)
    if not 0 < share <= 1:
        raise UnknownValueError("restricted share", share, hint="a fraction in (0, 1]")
    probs = normalise_imposers(build_network(ds, cid, stage, year), imposers, ds=ds, as_of=as_of)
    return pd.DataFrame(
        {
            "scenario": [f"{k} restricts" for k in probs],
            "probability": list(probs.values()),
            "supplier": list(probs),
            "loss_fraction": float(share),
        }
    )


# -- results ------------------------------------------------------------------------------------------------
@dataclass
class SourcingResult:
    """What :func:`optimize_sourcing` returns: tidy tables plus the words for them."""

    summary: pd.DataFrame  # one row
    mix: pd.DataFrame  # one row per supplier (summed over members)
    member_mix: pd.DataFrame  # one row per member × supplier with a flow (bloc parties)
    constraints: pd.DataFrame  # binding constraints, in words
    explanation: list[str]  # infeasibility (empty when optimal)
    pareto: pd.DataFrame | None = None
    _setup: object = field(default=None, repr=False)

    @property
    def status(self) -> str:
        return str(self.summary["status"].iloc[0])

    @property
    def risk_before(self) -> float:
        return float(self.summary["risk_before"].iloc[0])

    @property
    def risk_after(self) -> float:
        return float(self.summary["risk_after"].iloc[0])


def _possessive(name: str) -> str:
    return name + ("'" if name.endswith("s") else "'s")


def _name(iso3: str) -> str:
    from critmin.reference import countries

    try:
        return countries.name(iso3)
    except Exception:
        return iso3


@dataclass
class _Setup:
    members: list[str]
    suppliers: list[str]
    problem: lp.Problem
    x0: np.ndarray  # (M, N)
    g: np.ndarray  # (N,)
    expected_loss: np.ndarray | None
    base_cap: np.ndarray
    allowed_set: set[str]
    non_partner: np.ndarray  # (N,) suppliers outside the partner set kept at their current volumes
    scenario_names: list[str]


def _setup(
    mk: Market,
    members: list[str],
    allowed: set[str] | None,
    *,
    max_share: float | None,
    expansion: float,
    redirect: float,
    capacity: str,
    max_cost_increase: float | None,
    max_cost_kusd: float | None,
    objective: str,
    scenarios: pd.DataFrame | None,
    alpha: float | None,
    cap_override: np.ndarray | None = None,
    suppliers: list[str] | None = None,
    pool: list[str] | None = None,
    non_partners: str = "exclude",
    g_override: pd.Series | None = None,
) -> _Setup:
    if capacity not in CAPACITY_MODES:
        raise UnknownValueError("capacity mode", capacity, CAPACITY_MODES)
    if objective not in OBJECTIVES:
        raise UnknownValueError("objective", objective, OBJECTIVES)
    if expansion < 0 or not 0 <= redirect <= 1:
        raise UnknownValueError(
            "expansion/redirect", (expansion, redirect), hint="expansion >= 0 and redirect in [0, 1]"
        )
    mset = set(members)
    pset = set(pool) if pool else mset  # the buying pool: its members offer net exports only
    if suppliers is None:
        suppliers = sorted((set(mk.exports.index[mk.exports > 0]) | mset) - {"ZA1"})
    n = len(suppliers)
    f = mk.flows
    x0 = np.zeros((len(members), n))
    col = {s: k for k, s in enumerate(suppliers)}
    sub = f[f["importer"].isin(mset) & f["exporter"].isin(col)]
    if not sub.empty:
        row_of = {m: k for k, m in enumerate(members)}
        np.add.at(
            x0,
            (sub["importer"].map(row_of).to_numpy(), sub["exporter"].map(col).to_numpy()),
            sub["tonnes"].to_numpy(dtype=float),
        )
    demand = x0.sum(axis=1)
    exports = mk.exports.reindex(suppliers).fillna(0.0).to_numpy()
    imports = mk.imports.reindex(suppliers).fillna(0.0).to_numpy()
    net = np.maximum(exports - imports, 0.0)
    if mk.production is not None:
        # what a supplier can sell more of is its own output of the stage, not re-exports or another stage
        own = mk.production.reindex(suppliers).fillna(0.0).to_numpy(dtype=float)
        exports, net = np.minimum(exports, own), np.minimum(net, own)
    base = exports if capacity == "exports" else net
    is_member = np.array([s in mset for s in suppliers])
    in_pool = np.array([s in pset for s in suppliers])
    base = np.where(in_pool, net, base) * expansion
    x0_tot = x0.sum(axis=0)
    # today's purchases stay available; more comes only from the supplier's own capacity
    cap = x0_tot + redirect * np.maximum(base - x0_tot, 0.0)
    cap = np.where(in_pool, base * redirect, cap)
    if cap_override is not None:
        cap = np.asarray(cap_override, dtype=float)
    g = (mk.g if g_override is None else g_override).reindex(suppliers).fillna(0.5).to_numpy(dtype=float)
    allowed_cols = np.array([(allowed is None or s in allowed or s in pset) for s in suppliers])
    partner_cols = allowed_cols.copy()
    if non_partners not in NON_PARTNERS:
        raise UnknownValueError("non-partner policy", non_partners, NON_PARTNERS)
    if non_partners == "current":
        # suppliers outside the partner set keep at most what they sell the party today
        cap = np.where(allowed_cols, cap, np.minimum(cap, x0_tot))
        allowed_cols = allowed_cols | (x0_tot > 0)
    non_partner_cols = ~partner_cols & allowed_cols
    allow = np.tile(allowed_cols, (len(members), 1))
    for k, m in enumerate(members):
        if m in col:
            allow[k, col[m]] = False
    loss = prob = None
    names: list[str] = []
    expected = None
    if objective == "expected_shortfall":
        if scenarios is None or len(scenarios) == 0:
            raise UnknownValueError(
                "scenario set",
                None,
                hint="objective 'expected_shortfall' needs scenarios "
                "(columns scenario, probability, supplier, loss_fraction)",
            )
        loss, prob, names = scenario_matrix(scenarios, suppliers)
        expected = prob @ loss
        # ties (suppliers no scenario touches) are broken by GeoPolRisk instability, lexicographically
        risk_vec = expected + ES_TIE_BREAK * g
    else:
        risk_vec = g
    risk = np.tile(risk_vec, (len(members), 1))
    if objective == "import_risk":
        risk[:, is_member] = 0.0  # fellow members are risk-free (GeoPolRisk bloc convention)
    unit_cost = mk.unit_value.reindex(suppliers).fillna(mk.unit_value.median()).to_numpy(dtype=float)
    budget = None
    if max_cost_kusd is not None:
        budget = float(max_cost_kusd)
    if max_cost_increase is not None:
        current = float(np.sum(x0 * unit_cost[None, :]))
        b = current * (1.0 + float(max_cost_increase))
        budget = b if budget is None else min(budget, b)
    problem = lp.Problem(
        demand,
        cap,
        risk,
        allow,
        ~is_member,
        max_share,
        unit_cost,
        budget,
        loss if (objective == "expected_shortfall" and alpha is not None) else None,
        prob if (objective == "expected_shortfall" and alpha is not None) else None,
        alpha if objective == "expected_shortfall" else None,
    )
    return _Setup(
        list(members),
        suppliers,
        problem,
        x0,
        g,
        expected,
        base,
        set(np.array(suppliers)[allowed_cols]),
        non_partner_cols,
        names,
    )


def _risk_vector(su: _Setup, objective: str) -> np.ndarray:
    return su.g if objective == "import_risk" else su.expected_loss


def _ir(x: np.ndarray, risk_row: np.ndarray, members_mask: np.ndarray, objective: str) -> float:
    """Import risk (or expected shortfall share) of a mix x (M, N): Σ r_i x_i / Σ x (members risk-free)."""
    tot = float(x.sum())
    if tot <= 0:
        return float("nan")
    r = np.where(members_mask, 0.0, risk_row) if objective == "import_risk" else risk_row
    return float(np.sum(x.sum(axis=0) * r)) / tot


def _constraint_rows(
    su: _Setup, sol: lp.Solution, mk: Market, *, expansion: float, redirect: float, capacity: str, party: str
) -> pd.DataFrame:
    p = su.problem
    need = float(p.demand.sum())
    xs = sol.x.sum(axis=0)
    rows = []
    what = "exports" if capacity == "exports" else "net exports"
    for i, s in enumerate(su.suppliers):
        if not p.allowed[:, i].any():
            continue
        used = float(xs[i])
        lim = float(p.cap[i])
        tight_cap = lim - used <= 1e-6 * max(1.0, lim)
        mu = float(sol.cap_marginal[i])
        if tight_cap and (used > 0 or mu < 0):
            limiting = mu < -1e-12
            base = (
                f"{expansion:g} × its {mk.year} {what}"
                + (f" of its own {mk.stage} output" if mk.production is not None else "")
                + (f", {redirect:.0%} of it redirectable" if redirect < 1 else "")
            )
            if su.non_partner[i]:
                text = f"{_name(s)} (not a partner) kept at no more than today's {lim:,.0f} t"
            elif su.base_cap[i] <= su.x0.sum(axis=0)[i] + 1e-9:
                text = f"{_name(s)} kept at today's {lim:,.0f} t {mk.basis}: " + (
                    f"no {mk.stage} output of its own beyond that in {mk.year}"
                    if mk.production is not None
                    else f"its {mk.year} {what} leave no more"
                )
            else:
                text = f"limited by {_possessive(_name(s))} exportable capacity ({lim:,.0f} t {mk.basis} = {base})"
            if limiting:
                text += f"; 1,000 t more would lower the risk by {-mu * 1000 / need:.4f}"
            rows.append(
                {
                    "constraint": "capacity",
                    "supplier": s,
                    "supplier_name": _name(s),
                    "limit_tonnes": lim,
                    "used_tonnes": used,
                    "limiting": limiting,
                    "risk_change_per_1000_tonnes": mu * 1000 / need if need else np.nan,
                    "text": text,
                }
            )
        if p.max_share is not None and p.third[i]:
            lim_s = p.max_share * need
            mu_s = float(sol.share_marginal[i])
            if lim_s - used <= 1e-6 * max(1.0, lim_s):
                limiting = mu_s < -1e-12
                text = (
                    f"{_name(s)} held at the {p.max_share:.0%} maximum share of {party}'s need "
                    f"({lim_s:,.0f} t)"
                )
                if limiting:
                    text += f"; each extra percentage point would lower the risk by {-mu_s * 0.01:.4f}"
                rows.append(
                    {
                        "constraint": "max_share",
                        "supplier": s,
                        "supplier_name": _name(s),
                        "limit_tonnes": lim_s,
                        "used_tonnes": used,
                        "limiting": limiting,
                        "risk_change_per_1000_tonnes": mu_s * 1000 / need if need else np.nan,
                        "text": text,
                    }
                )
    if p.budget is not None and p.unit_cost is not None:
        cost = float(np.sum(sol.x * p.unit_cost[None, :]))
        if p.budget - cost <= 1e-6 * max(1.0, p.budget):
            mu = sol.budget_marginal
            text = f"limited by the cost bound ({p.budget:,.0f} kUSD)"
            if mu < -1e-12:
                text += f"; 1,000 kUSD more would lower the risk by {-mu * 1000 / need:.4f}"
            rows.append(
                {
                    "constraint": "budget",
                    "supplier": None,
                    "supplier_name": None,
                    "limit_tonnes": np.nan,
                    "used_tonnes": np.nan,
                    "limiting": mu < -1e-12,
                    "risk_change_per_1000_tonnes": np.nan,
                    "text": text,
                }
            )
    cols = [
        "constraint",
        "supplier",
        "supplier_name",
        "limit_tonnes",
        "used_tonnes",
        "limiting",
        "risk_change_per_1000_tonnes",
        "text",
    ]
    df = pd.DataFrame(rows, columns=cols)
    if not df.empty:
        df = df.sort_values(["limiting", "used_tonnes"], ascending=[False, False], na_position="first")
    return df.reset_index(drop=True)


def _binding_summary(constraints: pd.DataFrame, n: int = 3) -> str:
    """The limiting constraints that matter most (largest volumes first), in words."""
    lim = constraints[constraints["limiting"].astype(bool)]
    if lim.empty:
        return ""
    lim = lim.assign(_v=lim["used_tonnes"].fillna(np.inf)).sort_values("_v", ascending=False)
    texts = [t.split(";")[0] for t in lim["text"].head(n)]
    if len(lim) > n:
        texts.append(f"and {len(lim) - n} smaller supplier limit(s)")
    return "; ".join(texts)


def explain(
    su: _Setup,
    sol: lp.Solution,
    *,
    party: str,
    partners_label: str,
    expansion: float,
    capacity: str,
    year: int,
    market_: Market | None = None,
) -> list[str]:
    """The infeasibility diagnosis in words: which constraint, by how much."""
    p = su.problem
    need = float(p.demand.sum())
    out = []
    what = "exports" if capacity == "exports" else "net exports"
    for d in sol.diagnosis:
        if d["constraint"] == "capacity":
            short = d["shortfall_tonnes"]
            basis = f" {market_.basis}" if market_ is not None else ""
            own = (
                f" of their own {market_.stage} output"
                if market_ is not None and market_.production is not None
                else ""
            )
            line = (
                f"capacity: the allowed suppliers ({partners_label}) can export at most "
                f"{d['available_tonnes']:,.0f} t{basis} ({expansion:g} × their {year} {what}{own}, "
                f"today's purchases included), {party} needs {need:,.0f} t{basis}: short by {short:,.0f} t "
                f"({short / need:.1%} of the need)"
            )
            own_cap = float(su.base_cap[p.allowed.any(axis=0)].sum())
            if expansion > 0 and own_cap > 0 and d["available_tonnes"] > 0:
                line += f"; an expansion factor of about {expansion * need / d['available_tonnes']:.2f} would close it"
            elif market_ is not None and market_.production is not None:
                line += f"; they have no {market_.stage} output of their own to offer more"
            out.append(line)
        elif d["constraint"] == "max_share":
            line = (
                f"max share: with {d['suppliers']} allowed third-country supplier(s) a cap of "
                f"{d['max_share']:.0%} per supplier leaves {d['shortfall_tonnes']:,.0f} t of the need uncovered"
            )
            if d.get("feasible_share") is not None:
                line += f"; the smallest cap that works is {percent(math.ceil(d['feasible_share'] * 1000) / 1000, 1)}"
            else:
                line += "; no share cap works without more capacity"
            out.append(line)
        elif d["constraint"] == "budget":
            out.append(
                f"cost bound: the cheapest mix that meets the need within the caps costs "
                f"{d['min_cost_kusd']:,.0f} kUSD, {d['excess_kusd']:,.0f} kUSD "
                f"({d['excess_kusd'] / d['budget_kusd']:.1%}) above the bound of {d['budget_kusd']:,.0f} kUSD"
            )
    if not out and sol.status != "optimal":
        out.append(f"the solver reported: {sol.message}")
    return out


def optimize_sourcing(
    ds,
    party: str,
    commodity: str,
    stage: str | None = None,
    year: int | None = None,
    *,
    partners: str | list[str] | None = None,
    max_share: float | None = DEFAULT_MAX_SHARE,
    expansion: float = 1.0,
    redirect: float = 1.0,
    capacity: str = "exports",
    max_cost_increase: float | None = None,
    max_cost_kusd: float | None = None,
    objective: str = "import_risk",
    scenarios: pd.DataFrame | None = None,
    alpha: float | None = None,
    pareto: int | None = None,
    missing: str = "neutral",
    market_: Market | None = None,
    _cap_override: np.ndarray | None = None,
    _members: list[str] | None = None,
    _suppliers: list[str] | None = None,
    non_partners: str = "exclude",
    _pool: list[str] | None = None,
    _partners_label: str = "",
    risk_weight: str = "wgi",
    as_of=None,
    coercion=None,
) -> SourcingResult:
    """Re-source ``party``'s import need of ``commodity`` at ``stage`` in ``year`` at least risk.

    ``partners``: who may supply (a partner-set spec, see :func:`critmin.optimize.alignment.partner_set`,
    or a set of ISO3 codes; default every country); members of the party always may. ``max_share``: the largest share of the need
    any one third country may supply (None = no cap). ``expansion``, ``redirect``, ``capacity``: exportable
    capacity (module docstring). ``max_cost_increase``: cost bound relative to the current mix's cost at
    suppliers' unit values (0.1 = +10%); ``max_cost_kusd``: an absolute bound. ``objective``:
    'import_risk' (GeoPolRisk Σ g x / F) or 'expected_shortfall' over ``scenarios`` (tidy: scenario,
    probability, supplier, loss_fraction; ``alpha`` turns the mean into CVaR_alpha). ``pareto``: number of
    points of the risk–cost front to compute. ``non_partners``: 'exclude' (default: only the partner set
    supplies) or 'current' (suppliers outside it may keep, not exceed, what they sell the party today —
    friend-shoring as far as partners' capacity allows). ``risk_weight``: 'wgi' (g, political instability)
    or 'coercion' (the party's coercion-aware weight, :mod:`critmin.indicators.coercion`, with the
    restriction record read on ``as_of``, default 31 December of the year; ``coercion``: its parameters).
    """
    from critmin.indicators.coercion import check_risk_weight
    from critmin.optimize.alignment import partner_set

    mk = market_ if market_ is not None else market(ds, commodity, stage, year, missing=missing)
    who = ds.party(party, mk.year)
    members = list(_members) if _members is not None else list(who.members)
    if partners is None:
        allowed, partners_label = None, "all countries"
    elif isinstance(partners, set | frozenset):
        allowed, partners_label = set(partners), _partners_label
    else:
        allowed = set(partner_set(ds, partners, year=mk.year))
        partners_label = partners if isinstance(partners, str) else ",".join(partners)
    risk_weight = check_risk_weight(risk_weight)
    g_override, governance_source = None, mk.governance_source
    if risk_weight == "coercion":
        g_override, governance_source = _coercion_g(ds, mk, members, missing, as_of, coercion)
    su = _setup(
        mk,
        members,
        allowed,
        max_share=max_share,
        expansion=expansion,
        redirect=redirect,
        capacity=capacity,
        max_cost_increase=max_cost_increase,
        max_cost_kusd=max_cost_kusd,
        objective=objective,
        scenarios=scenarios,
        alpha=alpha,
        cap_override=_cap_override,
        suppliers=_suppliers,
        pool=_pool,
        non_partners=non_partners,
        g_override=g_override,
    )
    p = su.problem
    need = float(p.demand.sum())
    label = who.label if _members is None else "+".join(members)
    member_mask = np.array([s in set(members) for s in su.suppliers])
    rvec = _risk_vector(su, objective)
    risk_before = _ir(su.x0, rvec, member_mask, objective)
    if need <= 0:
        sol = lp.Solution(
            "no imports",
            np.zeros_like(su.x0),
            0.0,
            np.zeros(len(su.suppliers)),
            np.zeros(len(su.suppliers)),
            0.0,
        )
    else:
        sol = lp.solve(p)
    optimal = sol.status == "optimal"
    x = sol.x if optimal else np.full_like(su.x0, np.nan)
    risk_after = _ir(x, rvec, member_mask, objective) if optimal else float("nan")
    cost_before = float(np.sum(su.x0 * p.unit_cost[None, :]))
    cost_after = float(np.sum(x * p.unit_cost[None, :])) if optimal else float("nan")
    explanation = (
        explain(
            su,
            sol,
            party=label,
            partners_label=partners_label,
            expansion=expansion,
            capacity=capacity,
            year=mk.year,
            market_=mk,
        )
        if sol.status == "infeasible"
        else []
    )
    constraints = (
        _constraint_rows(su, sol, mk, expansion=expansion, redirect=redirect, capacity=capacity, party=label)
        if optimal
        else pd.DataFrame(
            columns=[
                "constraint",
                "supplier",
                "supplier_name",
                "limit_tonnes",
                "used_tonnes",
                "limiting",
                "risk_change_per_1000_tonnes",
                "text",
            ]
        )
    )
    # mix table (summed over members)
    x0s, xs = su.x0.sum(axis=0), (x.sum(axis=0) if optimal else np.full(len(su.suppliers), np.nan))
    binding = {}
    for r in constraints.itertuples(index=False):
        if r.supplier:
            binding.setdefault(r.supplier, []).append(r.constraint)
    keep = (x0s > 0) | (np.nan_to_num(xs) > 1e-9)
    sup = [s for s, k in zip(su.suppliers, keep, strict=True) if k]
    mix = pd.DataFrame(
        {
            "party": label,
            "commodity": mk.commodity,
            "stage": mk.stage,
            "year": mk.year,
            "supplier": sup,
            "supplier_name": [_name(s) for s in sup],
            "allowed": (p.allowed.any(axis=0) | member_mask)[keep],
            "member": member_mask[keep],
            "instability_g": mk.g.reindex(su.suppliers).fillna(0.5).to_numpy(dtype=float)[keep],
            "risk_weight": np.where(member_mask & (objective == "import_risk"), 0.0, rvec)[keep],
            "capacity_tonnes": p.cap[keep],
            "stage_production_tonnes": (
                mk.production.reindex(sup).to_numpy(dtype=float) if mk.production is not None else np.nan
            ),
            "current_tonnes": x0s[keep],
            "optimised_tonnes": xs[keep],
            "current_share": x0s[keep] / need if need > 0 else np.nan,
            "optimised_share": xs[keep] / need if need > 0 else np.nan,
            "change_tonnes": (xs - x0s)[keep],
            "unit_value_kusd_per_tonne": p.unit_cost[keep],
            "basis": mk.basis,
            "binding": [",".join(binding.get(s, [])) for s in sup],
            "trade_source": mk.trade_source,
            "governance_source": governance_source,
        }
    )
    mix = mix.sort_values(["optimised_tonnes", "current_tonnes"], ascending=False, na_position="last")
    mix = mix.reset_index(drop=True)
    mrows = []
    kk, ii = np.nonzero((su.x0 > 0) | (np.nan_to_num(x) > 1e-9))
    for k, i in zip(kk, ii, strict=True):
        mrows.append((label, members[k], su.suppliers[i], su.x0[k, i], x[k, i] if optimal else np.nan))
    member_mix = pd.DataFrame(
        mrows, columns=["party", "member", "supplier", "current_tonnes", "optimised_tonnes"]
    )
    top = lambda v: float(np.nanmax(v) / need) if need > 0 and np.size(v) else np.nan  # noqa: E731
    cur_third = np.where(member_mask, 0.0, x0s)
    opt_third = np.where(member_mask, 0.0, xs) if optimal else xs
    summary = pd.DataFrame(
        [
            {
                "party": label,
                "members": ",".join(members),
                "commodity": mk.commodity,
                "stage": mk.stage,
                "year": mk.year,
                "objective": objective,
                "supplier_weight": risk_weight,
                "status": sol.status,
                "need_tonnes": need,
                "basis": mk.basis,
                "risk_before": risk_before,
                "risk_after": risk_after,
                "risk_reduction": risk_before - risk_after if optimal else np.nan,
                "cost_before_kusd": cost_before,
                "cost_after_kusd": cost_after,
                "n_suppliers_before": int((x0s > 0).sum()),
                "n_suppliers_after": int((xs > 1e-9).sum()) if optimal else np.nan,
                "top_share_before": top(cur_third),
                "top_share_after": top(opt_third) if optimal else np.nan,
                "top_supplier_before": su.suppliers[int(np.argmax(cur_third))] if need > 0 else None,
                "top_supplier_after": su.suppliers[int(np.nanargmax(opt_third))]
                if optimal and need > 0
                else None,
                "partners": partners_label,
                "non_partners": non_partners,
                "n_allowed": int((p.allowed.any(axis=0)).sum()),
                "max_share": max_share,
                "expansion": expansion,
                "redirect": redirect,
                "capacity": capacity,
                "cost_bound_kusd": p.budget,
                "binding": _binding_summary(constraints) if optimal else "",
                "explanation": "; ".join(explanation),
                "notes": "; ".join(mk.notes),
                "trade_source": mk.trade_source,
                "governance_source": governance_source,
            }
        ]
    )
    result = SourcingResult(summary, mix, member_mix, constraints, explanation)
    result._setup = su
    if pareto and optimal and objective == "import_risk" and need > 0:
        pts = lp.pareto(
            lp.Problem(p.demand, p.cap, p.risk, p.allowed, p.third, p.max_share, p.unit_cost), n=int(pareto)
        )
        result.pareto = pd.DataFrame(
            [
                {
                    "party": label,
                    "commodity": mk.commodity,
                    "stage": mk.stage,
                    "year": mk.year,
                    "point": k,
                    "cost_kusd": q["cost_kusd"],
                    "cost_change": q["cost_kusd"] / cost_before - 1 if cost_before else np.nan,
                    "import_risk": _ir(q["x"], rvec, member_mask, objective),
                }
                for k, q in enumerate(pts)
            ]
        )
    return result


def _coercion_g(ds, mk: Market, members: list[str], missing: str, as_of, params) -> tuple[pd.Series, str]:
    """The coercion-aware weight of the buyers ``members`` (member mean for several) for every supplier of
    the market, with the missing-governance policy for suppliers without a WGI estimate; and provenance."""
    from critmin.indicators import coercion
    from critmin.indicators.geopolrisk import MISSING_POLICIES

    sup = sorted(set(mk.exports.index) | set(mk.flows["importer"]) | set(members))
    w = coercion.supplier_weights(
        ds, members, mk.commodity, mk.year, as_of=as_of, params=params or coercion.DEFAULT,
        missing=missing, suppliers=sup,
    )  # fmt: skip
    g = w.set_index("country")["g_coercion"].reindex(sup)
    fill = MISSING_POLICIES[missing]
    g = g.fillna(0.5 if fill != fill else fill)
    prov = (
        str(w["provenance"].iloc[0]) if len(w) else "coercion-aware weight (no supplier with a WGI estimate)"
    )
    return g, prov


# -- pooled buying --------------------------------------------------------------------------------------------
ALONE_CAPACITY = ("proportional", "residual", "full")


def pooled(
    ds,
    party: str,
    commodity: str,
    stage: str | None = None,
    year: int | None = None,
    *,
    partners: str | dict | None = None,
    alone_capacity: str = "proportional",
    **kw,
) -> pd.DataFrame:
    """What buying together adds: each member optimised alone vs the members optimised jointly.

    Rows: one per member alone, 'each alone (combined)' and 'pooled'. Pooled, the members share every
    supplier's capacity, the share cap applies to their joint need, fellow members are risk-free suppliers
    (GeoPolRisk bloc convention) and each may buy from any member's partners. Alone, a member buys within
    its own partner set and the share cap applies to its own need; the capacity it can count on is
    (``alone_capacity``):

    * 'proportional' (default): what the member buys from each supplier today plus the supplier's spare
      capacity × the member's share of the joint need. The members' capacities add up to the pooled one, so
      the combined plan is feasible for the pooled problem and ``partnership_gain`` ≥ 0;
    * 'residual': what the other members do not buy today (the others keep their current purchases);
    * 'full': all of it, as if the others did not buy — the combined plan can over-claim a supplier; the
      row says by how much, and no gain is reported (an over-claimed plan cannot be carried out).

    ``partners``: one spec for everybody, a {member: spec} mapping, or 'own' = each member's partnership
    counterparts (``partners:JPN``, ``partners:ITA``) — the pooled set is the union.
    ``partnership_gain`` = risk of the combined plan − risk of the pooled plan (both on the bloc
    convention): what the partnership adds.
    """
    from critmin.optimize.alignment import partner_set

    if alone_capacity not in ALONE_CAPACITY:
        raise UnknownValueError("alone_capacity", alone_capacity, ALONE_CAPACITY)
    mk = kw.pop("market_", None) or market(ds, commodity, stage, year, missing=kw.get("missing", "neutral"))
    who = ds.party(party, mk.year)
    members = list(who.members)
    if len(members) < 2:
        raise UnknownValueError(
            "bloc", party, hint="pooled buying needs a party with two or more members, e.g. JPN+ITA"
        )
    suppliers = sorted((set(mk.exports.index[mk.exports > 0]) | set(members)) - {"ZA1"})
    if partners is None:
        specs = dict.fromkeys(members)
    elif isinstance(partners, dict):
        unknown = set(partners) - set(members)
        if unknown:
            raise UnknownValueError("party member", sorted(unknown)[0], members)
        specs = {m: partners.get(m) for m in members}
    elif isinstance(partners, str) and partners.strip().lower() == "own":
        specs = {m: f"partners:{m}" for m in members}
    else:
        specs = dict.fromkeys(members, partners)
    sets = {
        m: (None if spec is None else set(partner_set(ds, spec, year=mk.year))) for m, spec in specs.items()
    }
    union = None if any(v is None for v in sets.values()) else set().union(*sets.values())
    labels = {m: ("all countries" if spec is None else str(spec)) for m, spec in specs.items()}
    union_label = " ∪ ".join(dict.fromkeys(labels.values())) if union is not None else "all countries"
    pooled_res = optimize_sourcing(
        ds,
        party,
        mk.commodity,
        mk.stage,
        mk.year,
        partners=None if union is None else union,
        _partners_label=union_label,
        market_=mk,
        _suppliers=suppliers,
        **kw,
    )
    psu = pooled_res._setup
    need = pd.Series(psu.problem.demand, index=members)
    total = float(need.sum())
    col = {s: k for k, s in enumerate(suppliers)}
    rows = []
    combined = np.zeros(len(suppliers))
    combined_ok = True
    alone = {}
    for k, m in enumerate(members):
        if alone_capacity == "proportional":
            # its own purchases today plus a share of every supplier's spare capacity in proportion to its
            # need: the members' capacities add up to the pooled one
            x0_all = psu.x0.sum(axis=0)
            kept = np.where(
                x0_all > 0, np.minimum(1.0, psu.problem.cap / np.where(x0_all > 0, x0_all, 1.0)), 0.0
            )
            spare = np.maximum(psu.problem.cap - x0_all, 0.0)
            cap = psu.x0[k] * kept + spare * (need[m] / total if total > 0 else 0.0)
        elif alone_capacity == "residual":
            cap = np.maximum(psu.problem.cap - (psu.x0.sum(axis=0) - psu.x0[k]), 0.0)
        else:
            cap = psu.problem.cap.copy()
        # alone, a member may still buy from its partners in the party, at their own risk
        r = optimize_sourcing(
            ds,
            m,
            mk.commodity,
            mk.stage,
            mk.year,
            partners=None if sets[m] is None else sets[m],
            _partners_label=labels[m],
            market_=mk,
            _cap_override=cap,
            _members=[m],
            _suppliers=suppliers,
            _pool=members,
            **kw,
        )
        alone[m] = r
        s = r.summary.iloc[0]
        rows.append({"case": f"{m} alone", "members": m, **_row(s)})
        if s["status"] == "optimal":
            for t in r.member_mix.itertuples(index=False):
                combined[col[t.supplier]] += t.optimised_tonnes
        elif s["need_tonnes"] > 0:
            combined_ok = False
    full_g = psu.problem.risk[0]  # bloc convention: fellow members risk-free
    comb_risk = (
        float(np.sum(combined * full_g) / combined.sum()) if combined_ok and combined.sum() > 0 else np.nan
    )
    over = combined - psu.problem.cap
    note = ""
    status = "optimal" if combined_ok else "infeasible"
    if combined_ok and (over > 1e-6 * np.maximum(1.0, psu.problem.cap)).any():
        worst = np.argsort(-over)[:3]
        parts = [f"{_name(suppliers[i])} by {over[i]:,.0f} t" for i in worst if over[i] > 1e-6]
        note = "the separate plans together over-claim " + ", ".join(parts)
        status = "over-claimed"
    ps = pooled_res.summary.iloc[0]
    rows.append(
        {
            "case": "each alone (combined)",
            "members": ",".join(members),
            "status": status,
            "need_tonnes": total,
            "risk_before": ps["risk_before"],
            "risk_after": comb_risk,
            "cost_before_kusd": ps["cost_before_kusd"],
            "cost_after_kusd": sum(a.summary["cost_after_kusd"].iloc[0] for a in alone.values())
            if combined_ok
            else np.nan,
            "binding": note,
            "explanation": "; ".join(e for a in alone.values() for e in a.explanation),
        }
    )
    rows.append({"case": "pooled", "members": ",".join(members), **_row(ps)})
    out = pd.DataFrame(rows)
    out.insert(0, "party", pooled_res.summary["party"].iloc[0])
    out.insert(1, "commodity", mk.commodity)
    out.insert(2, "stage", mk.stage)
    out.insert(3, "year", mk.year)
    out["partners"] = [labels[m] for m in members] + [union_label, union_label]
    out["partnership_gain"] = np.nan
    if combined_ok and status == "optimal" and ps["status"] == "optimal":
        out.loc[out["case"] == "pooled", "partnership_gain"] = comb_risk - ps["risk_after"]
    out["alone_capacity"] = alone_capacity
    out["max_share"] = ps["max_share"]
    out["trade_source"] = mk.trade_source
    out["governance_source"] = mk.governance_source
    return out


def _row(s: pd.Series) -> dict:
    return {
        "status": s["status"],
        "need_tonnes": s["need_tonnes"],
        "risk_before": s["risk_before"],
        "risk_after": s["risk_after"],
        "cost_before_kusd": s["cost_before_kusd"],
        "cost_after_kusd": s["cost_after_kusd"],
        "binding": s["binding"],
        "explanation": s["explanation"],
    }


def optimize_many(
    ds, parties: str | list[str], commodities=None, *, year: int | None = None, progress=None, **kw
) -> pd.DataFrame:
    """One summary row per party × commodity × trade stage (the market is built once per commodity/stage).
    Commodities without trade data get a row with status 'no trade data' and the reason."""
    from critmin.optimize.alignment import partner_set
    from critmin.reference import commodities as cat

    comms = cat.resolve_many(commodities)
    ps = ds.parties(parties, year)
    partners = kw.pop("partners", None)
    resolved: dict[int, set[str]] = {}
    rows = []
    for c in comms:
        stages = c.trade_stages
        if not stages:
            for p in ps:
                rows.append(
                    {
                        "party": p.label,
                        "commodity": c.id,
                        "stage": next(iter(c.stages)),
                        "status": "no trade data",
                        "explanation": _no_trade_message(c),
                    }
                )
            if progress:
                progress()
            continue
        for s in stages:
            try:
                mk = market(ds, c.id, s, year, missing=kw.get("missing", "neutral"))
            except NoDataError as exc:
                for p in ps:
                    rows.append(
                        {
                            "party": p.label,
                            "commodity": c.id,
                            "stage": s,
                            "status": "no data",
                            "explanation": str(exc),
                        }
                    )
                continue
            if partners is not None and not isinstance(partners, set | frozenset) and mk.year not in resolved:
                resolved[mk.year] = set(partner_set(ds, partners, year=mk.year))
            extra = (
                {}
                if partners is None
                else {
                    "partners": resolved.get(mk.year, partners),
                    "_partners_label": partners if isinstance(partners, str) else ",".join(sorted(partners)),
                }
            )
            for p in ps:
                r = optimize_sourcing(ds, p, c.id, s, mk.year, market_=mk, **extra, **kw)
                rows.append(r.summary.iloc[0].to_dict())
        if progress:
            progress()
    return pd.DataFrame(rows)


__all__ = [
    "CAPACITY_MODES",
    "DEFAULT_MAX_SHARE",
    "OBJECTIVES",
    "Market",
    "SourcingResult",
    "market",
    "optimize_many",
    "optimize_sourcing",
    "pooled",
    "restriction_scenarios",
    "scenario_matrix",
]
