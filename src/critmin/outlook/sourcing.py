"""Can a party's partners supply it in 2030 and 2035? Its projected need against projected capacities, shared
with the rest of the world, under the EU CRMA's 65% cap.

For party P (a country or a bloc buying jointly), mineral c, stage s, IEA scenario σ and year y:

* **need** N = M₀ · D(σ, y)/D(σ, 2023) (kt contained, :mod:`critmin.outlook.need`);
* **suppliers** i: the producers the IEA names for (c, s, y) and its "rest of world" aggregate, with their
  base-case output S_i(y) (kt). A member's own output is left out: the need is the import need, what is left
  after domestic output serves domestic use;
* **competition rule** (``sharing``) — how much of supplier i's output the party can count on:

  - ``pro_rata`` (default): every supplier's output is shared among all buyers in proportion to their
    demand: c_i = k · S_i(y) · N / D_stage(σ, y), with D_stage the scenario's world demand at the stage
    (:func:`critmin.outlook.concentration.stage_demand`) and k the party's priority (``claim_multiple``,
    1 = its fair share; offtake agreements can raise it). Under this rule feasibility does not depend on the
    size of the need: N cancels, so the answer holds even where the need is not in the trade data;
  - ``first_call``: the party may buy a supplier's whole output, c_i = S_i(y) — an upper bound (the rest of
    the world's demand is ignored);

* **partners**: who may supply. ``None``/'all' = every producer; otherwise a partner set
  (:func:`critmin.optimize.alignment.partner_set`; 'own' = the members' partnership counterparts) plus the
  countries in ``also_from`` (default China), which may still supply within the cap. The IEA's "rest of
  world" is allowed only when every producer is, and as an aggregate of producers each smaller than the
  smallest named one it is not held to the single-country cap;
* **65% cap** (Regulation (EU) 2024/1252, art. 1(2)(c)): no third country supplies more than 65% of N.

The linear programme is critmin's partner-sourcing LP (:mod:`critmin.optimize.lp`, SciPy HiGHS) with one
buyer: minimise Σ g_i x_i (WGI political instability, so the plan is the least-risk one) subject to
Σ x_i = N, x_i ≤ c_i, x_i ≤ 0.65 N for third countries. When it is infeasible, :func:`critmin.optimize.lp.diagnose`
splits the shortfall into what world supply leaves uncovered without the cap ("world supply") and what the
cap adds ("65% cap"); the shortfall is then the extra supply from uncapped partners the party would need.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.errors import NoDataError, UnknownValueError
from critmin.indicators.tables import REST_OF_WORLD
from critmin.optimize import lp
from critmin.optimize.sourcing import DEFAULT_MAX_SHARE
from critmin.outlook import iea
from critmin.outlook.concentration import stage_demand
from critmin.outlook.need import MATERIAL_KUSD, base_imports, need_assumption

SHARING = ("pro_rata", "first_call")
ROW_RISK = 0.5  # the rest of world's instability: neutral, as for a supplier without a WGI estimate
TOL = 1e-7


# -- pure functions ------------------------------------------------------------------------------------------
def pro_rata_claims(supply_kt, need_kt: float, stage_demand_kt: float, multiple: float = 1.0) -> np.ndarray:
    """c_i = k · S_i · N / D_stage: the party's share of each supplier's output when every buyer gets output in
    proportion to its demand (k = 1) or the party has priority k."""
    s = np.asarray(supply_kt, dtype=float)
    if stage_demand_kt <= 0:
        return np.zeros_like(s)
    return multiple * s * float(need_kt) / float(stage_demand_kt)


def coverable(claims, limits) -> float:
    """Σ_i min(c_i, L_i): the most a single buyer can source when supplier i offers c_i and may supply at
    most L_i (the share cap in kt, or ∞). With one buyer this is the LP's optimum of Σ x."""
    return float(np.sum(np.minimum(np.asarray(claims, dtype=float), np.asarray(limits, dtype=float))))


def multiple_needed(claims, limits, need: float, scalable) -> float | None:
    """The smallest k ≥ 1 with Σ_scalable min(k·c_i, L_i) + Σ_other min(c_i, L_i) ≥ need, or None if no k does.

    f(k) is piecewise linear and non-decreasing, with a breakpoint where supplier i reaches its limit
    (k = L_i / c_i); between breakpoints its slope is Σ c_i over the suppliers still below their limit.
    """
    c = np.asarray(claims, dtype=float)
    lim = np.asarray(limits, dtype=float)
    sc = np.asarray(scalable, dtype=bool) & (c > 0)
    cs, ls = c[sc], lim[sc]
    fixed = float(np.sum(np.minimum(c[~sc], lim[~sc])))

    def f(k: float) -> float:
        return fixed + float(np.sum(np.minimum(k * cs, ls)))

    target = need * (1 - 1e-12)
    if f(1.0) >= target:
        return 1.0
    if not np.isinf(ls).any() and fixed + float(ls.sum()) < target:
        return None
    bk = ls / cs
    lo = 1.0
    for hi in [*np.sort(np.unique(bk[(bk > 1.0) & np.isfinite(bk)])), np.inf]:
        slope = float(cs[bk > lo].sum())
        if slope > 0:
            k = lo + (need - f(lo)) / slope
            if k <= hi * (1 + 1e-12):
                return float(k)
        lo = hi
    return None


# -- setting up the cases ------------------------------------------------------------------------------------
@dataclass
class OutlookSourcing:
    """What :func:`sourcing_outlook` returns: one case, tidy tables plus the answer in words."""

    summary: pd.DataFrame  # one row
    plan: pd.DataFrame  # one row per supplier
    constraints: pd.DataFrame  # binding constraints, in words
    answer: str
    notes: list[str] = field(default_factory=list)


@dataclass
class _Context:
    """Everything fetched once for many cases."""

    ds: object
    supply: pd.DataFrame
    demand: pd.DataFrame
    g: pd.Series
    governance_source: str
    base_supply: dict = field(default_factory=dict)  # (c, s) -> 2023 world output
    demand_base: dict = field(default_factory=dict)  # (c, s) -> 2023 demand on the stage's line

    @functools.cached_property
    def g_of(self) -> dict[str, float]:
        # a plain dict: a pandas lookup per case copies the series' attrs each time
        return {k: float(v) for k, v in self.g.items() if v == v}

    @functools.cached_property
    def by_case(self) -> dict:
        out = {}
        for (c, s, y), part in self.supply.groupby(["commodity", "stage", "year"], sort=False):
            out[(c, s, int(y))] = (part["country"].to_numpy(), part["supply_kt"].to_numpy(dtype=float))
        return out


def _context(ds) -> _Context:
    from critmin.indicators.geopolrisk import instability

    supply = ds.supply_outlook()
    demand = ds.demand_outlook()
    if supply.empty or demand.empty:
        raise NoDataError("the store holds no IEA outlook tables; rebuild it (critmin data build)")
    gov_year = int(ds.governance("pv")["year"].max())
    g = instability(ds, gov_year)
    ctx = _Context(ds, supply, demand, g, f"{g.attrs.get('source', 'WGI')} PV {gov_year}")
    for (c, s), part in supply[supply["year"] == iea.BASE_YEAR].groupby(["commodity", "stage"]):
        ctx.base_supply[(c, s)] = float(part["supply_kt"].sum())
        line = iea.DEMAND_LINES[(c, s)]
        d = demand[
            (demand["commodity"] == c) & (demand["sector"] == line.sector) & (demand["year"] == iea.BASE_YEAR)
        ]
        ctx.demand_base[(c, s)] = float(d["demand_kt"].iloc[0])
    return ctx


def _partner_sets(ds, parties, partners, also_from) -> dict[str, tuple[set | None, str]]:
    """party label -> (allowed third countries or None for every producer, label)."""
    from critmin.optimize.alignment import partner_set

    if partners is None or (isinstance(partners, str) and partners.strip().lower() in ("", "all")):
        return {p.label: (None, "all producers") for p in parties}
    extra = set(ds.party(also_from).members) if also_from else set()
    out = {}
    for p in parties:
        if isinstance(partners, str) and partners.strip().lower() == "own":
            spec = ",".join(f"partners:{m}" for m in p.members)
            label = "own partners"
        else:
            spec, label = partners, partners if isinstance(partners, str) else ",".join(partners)
        allowed = set(partner_set(ds, spec)) | extra
        out[p.label] = (allowed, label + (f" + {','.join(sorted(extra))} within the cap" if extra else ""))
    return out


def _name(iso3: str) -> str:
    if iso3 == REST_OF_WORLD:
        return "rest of world"
    from critmin.reference import countries

    try:
        return countries.name(iso3)
    except Exception:
        return iso3


def _fmt_kt(x: float) -> str:
    if x != x:
        return "—"
    if abs(x) >= 100:
        return f"{x:,.0f} kt"
    if abs(x) >= 1:
        return f"{x:,.1f} kt"
    return f"{x * 1e3:,.0f} t"


# -- one case ------------------------------------------------------------------------------------------------
def solve_within_cap(p: lp.Problem, limits: np.ndarray) -> tuple[lp.Solution, float, float, float | None]:
    """The least-risk plan (HiGHS) and, when there is none, the shortfall split into world supply and cap.

    With one buyer the shortfall has a closed form (:func:`coverable`): without the cap N − Σ c_i, with it
    N − Σ min(c_i, L_i) — what :func:`critmin.optimize.lp.diagnose` finds with three LPs (tested equal).
    The LP is solved only when the closed form says a plan exists, which keeps the full G7 outlook fast.
    """
    n = float(p.demand[0])
    claims = np.where(p.allowed[0], p.cap, 0.0)
    short_world = max(n - float(claims.sum()), 0.0)
    short_total = max(n - coverable(claims, limits), 0.0)
    tol = lp.TOL * max(1.0, n)
    if short_total <= tol:
        sol = _lp_solve(p)
        if sol.status == "optimal":
            return sol, 0.0, 0.0, None
    short_cap = max(short_total - short_world, 0.0)
    cap_needed = lp.smallest_feasible_share(p) if short_cap > tol and p.max_share is not None else None
    empty = np.full(p.shape, np.nan)
    sol = lp.Solution("infeasible", empty, float("nan"), np.zeros(p.shape[1]), np.zeros(p.shape[1]), 0.0)
    return sol, short_world if short_world > tol else 0.0, short_cap if short_cap > tol else 0.0, cap_needed


def _lp_solve(p: lp.Problem) -> lp.Solution:
    """lp.solve, memoised on the problem's data: under pro rata the LP does not depend on the need's size, so
    parties with the same allowed producers (e.g. JPN and JPN+ITA) share one solve."""
    key = (
        p.demand.tobytes(),
        p.cap.tobytes(),
        p.risk.tobytes(),
        p.allowed.tobytes(),
        p.third.tobytes(),
        p.max_share,
    )
    hit = _LP_CACHE.get(key)
    if hit is None:
        hit = lp.solve(p)
        if len(_LP_CACHE) > 4096:
            _LP_CACHE.clear()
        _LP_CACHE[key] = hit
    return hit


_LP_CACHE: dict = {}


def _solve_case(
    ctx: _Context,
    party,
    commodity: str,
    stage: str,
    scenario: str,
    year: int,
    imports: dict,
    growth: float,
    allowed_set: set | None,
    partners_label: str,
    *,
    sharing: str,
    max_share: float | None,
    claim_multiple: float,
    need_override: float | None,
    detail: bool,
    need_growth: float | None = None,
) -> tuple[dict, pd.DataFrame | None, pd.DataFrame | None]:
    """``growth``: the world's demand growth at the stage; ``need_growth``: the party's (its sector mix), if
    it differs."""
    members = set(party.members)
    need_growth = growth if need_growth is None else need_growth
    countries, out_kt = ctx.by_case[(commodity, stage, year)]
    keep = np.array([c not in members for c in countries])
    sup, s_kt = countries[keep], out_kt[keep]
    line = iea.DEMAND_LINES[(commodity, stage)]
    s0, d0 = ctx.base_supply[(commodity, stage)], ctx.demand_base[(commodity, stage)]
    d_stage = float(stage_demand(s0, d0, growth, line.comparable))
    need_kt = float(need_override) if need_override is not None else imports["imports_kt"] * need_growth
    known = need_kt == need_kt
    if sharing == "first_call" and not known:
        raise NoDataError(
            f"{party.label}'s need of {iea.stage_label(commodity, stage)} is not in the trade data "
            f"({imports['need_basis_note']}); 'first_call' needs it — give need_kt"
        )
    # pro rata, N cancels: the LP is solved for one unit of need and scaled (the same LP then serves every
    # party with the same allowed producers); first call works in kt
    n = need_kt if sharing == "first_call" and need_kt > 0 else 1.0
    claims = pro_rata_claims(s_kt, n, d_stage, claim_multiple) if sharing == "pro_rata" else s_kt.copy()
    is_row = sup == REST_OF_WORLD
    allowed = np.ones(sup.size, dtype=bool) if allowed_set is None else np.isin(sup, list(allowed_set))
    if allowed_set is not None:
        allowed &= ~is_row
    third = ~is_row
    risk = np.array([ROW_RISK if r else ctx.g_of.get(c, ROW_RISK) for c, r in zip(sup, is_row, strict=True)])
    p = lp.Problem(np.array([n]), claims, risk, allowed[None, :], third, max_share)
    limits = np.where(third & (max_share is not None), (max_share or 1.0) * n, np.inf)
    sol, short_world, short_cap, cap_needed = solve_within_cap(p, limits)
    feasible = sol.status == "optimal"
    short = short_world + short_cap
    capped = allowed & third & (claims > limits * (1 + 1e-9))
    scalable = allowed & ~capped
    k_needed = (
        multiple_needed(np.where(allowed, claims, 0.0), limits, n, scalable)
        if not feasible and sharing == "pro_rata"
        else (1.0 if feasible else None)
    )
    # new output at uncapped partners that closes the gap; pro rata the party gets k · N / D_stage of it
    extra_world = short * (d_stage / (n * claim_multiple) if sharing == "pro_rata" else 1.0)
    partner_out = float(s_kt[scalable].sum())
    x = sol.x[0] if feasible else np.full(sup.size, np.nan)
    if not feasible and detail and allowed.any():
        # no plan meets the need: show the one that covers most of it within the caps
        x = lp.min_shortfall(p)[1][0]
    scale = need_kt / n if known else np.nan  # kt per LP unit
    share_plan = x / n
    order = np.argsort(-np.nan_to_num(share_plan))
    lead = sup[order[0]] if feasible and sup.size else None
    own = float(out_kt[~keep].sum())
    dominant = [sup[i] for i in np.nonzero(capped)[0]]
    binding = _binding_words(
        _Solved(sup, claims, x, limits, allowed, feasible, n, scale, known, short_world, short_cap, dominant),
        year=year,
        scenario=scenario,
        sharing=sharing,
        max_share=max_share,
    )
    label = iea.stage_label(commodity, stage)
    summary = {
        "party": party.label,
        "members": ",".join(party.members),
        "commodity": commodity,
        "stage": stage,
        "stage_label": label,
        "scenario": scenario,
        "year": year,
        "sharing": sharing,
        "partners": partners_label,
        "max_share": max_share,
        "claim_multiple": claim_multiple,
        "imports_2023_kt": imports["imports_kt"],
        "imports_2023_value_kusd": imports["imports_value_kusd"],
        "need_value_kusd": imports["need_value_kusd"],
        "material": imports["material"],
        "own_output_kt": own,
        "demand_growth": growth,
        "need_growth": need_growth,
        "need_kt": need_kt if known else np.nan,
        "need_basis": "given" if need_override is not None else imports["need_basis"],
        "world_supply_kt": float(out_kt.sum()),
        "stage_demand_kt": d_stage,
        "world_coverage": float(out_kt.sum()) / d_stage if d_stage > 0 else np.nan,
        "allowed_supply_kt": float(s_kt[allowed].sum()),
        "claims_share_of_need": float(claims[allowed].sum()) / n,
        "status": "feasible" if feasible else ("no allowed producer" if not allowed.any() else "infeasible"),
        "shortfall_share": short / n,
        "shortfall_kt": short * scale,
        "short_world_supply_kt": short_world * scale,
        "short_cap_kt": short_cap * scale,
        "short_world_supply_share": short_world / n,
        "short_cap_share": short_cap / n,
        "cap_needed": cap_needed,
        "extra_partner_output_kt": extra_world if not feasible else 0.0,
        "partner_output_kt": partner_out,
        "claim_multiple_needed": k_needed,
        "largest_supplier": lead,
        "largest_supplier_share": float(share_plan[order[0]]) if feasible and sup.size else np.nan,
        "china_share_plan": float(share_plan[sup == "CHN"].sum()) if feasible else np.nan,
        "capped_suppliers": ",".join(dominant),
        "binding": "; ".join(binding),
        "answer": "",
        "assumptions": "",
        "governance_source": ctx.governance_source,
        "source": f"{iea.SOURCE_LABEL}; {iea.WHAT_PROJECTIONS_ARE}",
    }
    summary["answer"] = _answer(summary, party, known, scenario)
    summary["assumptions"] = "; ".join(
        [
            need_assumption(need_growth != growth) if need_override is None else "need given by the user",
            _sharing_words(sharing, claim_multiple, scenario),
            "members' own output left out (import need)",
            "rest of world: an aggregate, not held to the single-country cap",
        ]
    )
    if not detail:
        return summary, None, None
    plan = pd.DataFrame(
        {
            "party": party.label,
            "commodity": commodity,
            "stage": stage,
            "scenario": scenario,
            "year": year,
            "supplier": sup,
            "supplier_name": [_name(s) for s in sup],
            "allowed": allowed,
            "projected_output_kt": s_kt,
            "claim_kt": claims * scale,
            "claim_share_of_need": claims / n,
            "cap_kt": np.where(np.isfinite(limits), limits * scale, np.nan),
            "plan_kt": x * scale,
            "plan_share": share_plan,
            "instability_g": risk,
        }
    ).sort_values(["plan_share", "projected_output_kt"], ascending=False, na_position="last")
    cons = pd.DataFrame({"party": party.label, "constraint": binding})
    return summary, plan.reset_index(drop=True), cons


def _sharing_words(sharing: str, k: float, scenario: str) -> str:
    if sharing == "first_call":
        return "first call: the party may buy every allowed producer's whole output (upper bound)"
    pri = "" if k == 1 else f", with {k:g}× priority"
    return (
        f"pro rata: each producer's output is shared among all buyers in proportion to {scenario} demand"
        f"{pri}; world demand at the stage = 2023 world use × the scenario's demand growth"
    )


@dataclass
class _Solved:
    """One solved case, per supplier (arrays) and in total, in LP units (one unit = the need under pro rata)."""

    sup: np.ndarray
    claims: np.ndarray
    x: np.ndarray
    limits: np.ndarray
    allowed: np.ndarray
    feasible: bool
    n: float
    scale: float  # kt per LP unit (NaN when the need is unknown)
    known: bool
    short_world: float
    short_cap: float
    dominant: list[str]


def _binding_words(
    c: _Solved, *, year: int, scenario: str, sharing: str, max_share: float | None
) -> list[str]:
    """The binding constraints in words: suppliers at their claim or at the cap; else why there is no plan."""
    sup, claims, x, limits, allowed, n = c.sup, c.claims, c.x, c.limits, c.allowed, c.n
    scale, known, short_world, short_cap, dominant = c.scale, c.known, c.short_world, c.short_cap, c.dominant

    def amount(v: float) -> str:
        return _fmt_kt(v * scale) if known else f"{v / n:.0%} of the need"

    share_word = "pro-rata share" if sharing == "pro_rata" else "whole output"
    out = []
    if c.feasible:
        for i in np.argsort(-np.nan_to_num(x)):
            if not allowed[i] or x[i] <= TOL * n:
                continue
            at_claim = claims[i] - x[i] <= 1e-6 * max(n, claims[i])
            at_cap = np.isfinite(limits[i]) and limits[i] - x[i] <= 1e-6 * n
            if at_cap:
                out.append(f"{_name(sup[i])} held at the {max_share:.0%} cap ({amount(x[i])})")
            elif at_claim:
                out.append(
                    f"{_name(sup[i])}'s {share_word} of its projected {year} output used in full ({amount(x[i])})"
                )
        return out
    if not allowed.any():
        return ["no allowed producer of this stage in the IEA table"]
    if short_world > 0:
        cov = coverable(np.where(allowed, claims, 0.0), np.full(claims.size, np.inf)) / n
        what = (
            f"shared pro rata with the rest of the world's {scenario} demand"
            if sharing == "pro_rata"
            else "all of it"
        )
        out.append(
            f"world supply: the allowed producers' projected {year} output ({what}) covers {cov:.0%} of the need"
            f" (short {amount(short_world)} without any cap)"
        )
    if short_cap > 0:
        others = coverable(np.where(allowed & ~np.isin(sup, dominant), claims, 0.0), limits) / n
        who = " and ".join(_name(d) for d in dominant) or "the largest producer"
        out.append(
            f"{max_share:.0%} cap: {who} may supply at most {max_share:.0%}; the other allowed producers' "
            f"{share_word} covers {others:.0%} of the need (short {amount(short_cap)} more)"
        )
    return out


@dataclass(frozen=True)
class AnswerParts:
    """The answer of one case in parts, one idea each (the report lists them as bullets; :func:`_answer`
    joins them into the sentence ``critmin outlook`` prints)."""

    caveat: str  # what to know before reading the answer ('' when nothing)
    outcome: str  # can / cannot meet the cap, with the shortfall in kt and % of the need
    why: list[str]  # the binding constraints, in words
    fixes: list[str]  # what would close the gap ('the gap closes if ...')


def answer_parts(s) -> AnswerParts:
    """The parts of a case's answer from its summary row (:func:`sourcing_outlook`, :func:`outlook_options`)."""
    who, year = s["party"], s["year"]
    known = s["need_kt"] == s["need_kt"]  # NaN: the need is not in the trade data
    cap = f"{s['max_share']:.0%} cap" if s["max_share"] is not None else "no cap"
    if known and not s["material"] and s["need_basis"] != "given":
        caveat = (
            f"{who} imports little (USD {s['need_value_kusd'] / 1e3:,.1f} M in 2023, below the USD "
            f"{MATERIAL_KUSD / 1e3:,.0f} M materiality threshold)"
        )
    elif not known:
        caveat = f"{who}'s import need is not in the trade data (pro rata, the answer holds for any need)"
        if s["own_output_kt"] > 0:
            caveat += f"; its own output: {_fmt_kt(s['own_output_kt'])} in {year} (IEA base case)"
    else:
        caveat = ""
    if s["status"] == "feasible":
        need = f" (need {_fmt_kt(s['need_kt'])})" if known else ""
        largest = f"largest supplier {_name(s['largest_supplier'])} {s['largest_supplier_share']:.0%}"
        return AnswerParts(caveat, f"can meet the {cap}{need}: {largest}", [], [])
    if s["status"] == "no allowed producer":
        return AnswerParts(
            caveat, "cannot source it from its allowed producers: none is in the IEA table", [], []
        )
    short = (
        f"short by {_fmt_kt(s['shortfall_kt'])} ({s['shortfall_share']:.0%} of its {_fmt_kt(s['need_kt'])} need)"
        if known
        else f"short by {s['shortfall_share']:.0%} of its need"
    )
    outcome = (
        f"cannot meet the {cap}: {short}"
        if s["short_cap_share"] > 0
        else f"cannot cover its need, even without the cap: {short}"
    )
    fixes = []
    if s["extra_partner_output_kt"] > 0:
        base = s["partner_output_kt"]
        pct = f" (+{s['extra_partner_output_kt'] / base:.0%} on their {_fmt_kt(base)})" if base > 0 else ""
        capped = [_name(c) for c in s["capped_suppliers"].split(",") if c]
        whose = f"producers other than {' and '.join(capped)}" if capped else "the allowed producers"
        fixes.append(f"{whose} produced {_fmt_kt(s['extra_partner_output_kt'])} more in {year}{pct}")
    k = s["claim_multiple_needed"]
    if k is not None and k == k and k > 1 and s["sharing"] == "pro_rata":
        fixes.append(
            f"{who} secured {k:.2f}× its pro-rata share of their output (offtake agreements)"
            if k < 1.1
            else f"{who} secured {k:.1f}× its pro-rata share of their output (offtake agreements)"
        )
    if s["cap_needed"] is not None and s["short_world_supply_share"] <= 0:
        fixes.append(f"the cap were {math.ceil(s['cap_needed'] * 100)}%")
    return AnswerParts(caveat, outcome, [b for b in s["binding"].split("; ") if b], fixes)


def _answer(s: dict, party, known: bool, scenario: str) -> str:
    """The answer in one sentence: '{who} can meet the 65% cap for {stage} in {year} under {scenario} ...'."""
    p = answer_parts(s)
    who = party.label
    what = f"{s['stage_label']} in {s['year']} under {scenario}"
    lead = f"{p.caveat}; " if p.caveat else ""
    if s["status"] == "feasible":
        verb, rest = p.outcome.split(": ", 1)
        return f"{lead}{who} {verb} for {what}: {rest}."
    if s["status"] == "no allowed producer":
        return f"{lead}{who} cannot source {what} from its allowed producers: none is in the IEA table."
    verb, short = p.outcome.rsplit(": ", 1)
    if verb.startswith("cannot meet"):
        text = f"{lead}{who} {verb} for {what}: {short}; {s['binding']}"
    else:
        text = f"{lead}{who} cannot cover its need of {what}, even without the cap: {short}; {s['binding']}"
    if p.fixes:
        text += "; the gap closes if " + ", or if ".join(p.fixes)
    return text + "."


# -- the public functions --------------------------------------------------------------------------------------
def _check(sharing: str, max_share, claim_multiple: float) -> None:
    if sharing not in SHARING:
        raise UnknownValueError("competition rule", sharing, SHARING, hint="pro_rata or first_call")
    if max_share is not None and not 0 < max_share <= 1:
        raise UnknownValueError("max share", max_share, hint="a fraction in (0, 1], e.g. 0.65")
    if claim_multiple <= 0:
        raise UnknownValueError("claim multiple", claim_multiple, hint="a positive number, 1 = fair share")


def outlook_options(
    ds,
    parties,
    commodities=None,
    stages=None,
    scenarios=("STEPS", "APS"),
    years=(2030, 2035),
    *,
    partners: str | None = None,
    also_from: str | None = "CHN",
    sharing: str = "pro_rata",
    max_share: float | None = DEFAULT_MAX_SHARE,
    claim_multiple: float = 1.0,
    sector_mix: dict | None = None,
    progress=None,
    _ctx: _Context | None = None,
) -> pd.DataFrame:
    """One row per party × mineral × stage × scenario × year: the projected need and whether the partners'
    projected output can meet it within the cap, with the binding constraints and the answer in words.

    See the module docstring for the model; columns as :attr:`OutlookSourcing.summary`.
    """
    _check(sharing, max_share, claim_multiple)
    ctx = _ctx or _context(ds)
    ps = ds.parties(parties)
    comms = iea.check_minerals(commodities)
    sts = iea.check_stages(stages)
    scs = iea.check_scenarios(scenarios)
    ys = iea.check_years(years, iea.PROJECTION_YEARS)
    allowed = _partner_sets(ds, ps, partners, also_from)
    rows = []
    for c in comms:
        for s in sts:
            imp = base_imports(ds, ps, c, s).set_index("party")
            grow = {sc: iea.growth(ctx.demand, c, s, sc, ys) for sc in scs}
            mine = (
                {sc: iea.growth(ctx.demand, c, s, sc, ys, sector_mix) for sc in scs} if sector_mix else grow
            )
            for p in ps:
                im = imp.loc[p.label].to_dict()
                for sc in scs:
                    for k, y in enumerate(ys):
                        summary, _, _ = _solve_case(
                            ctx,
                            p,
                            c,
                            s,
                            sc,
                            y,
                            im,
                            float(grow[sc][k]),
                            *allowed[p.label],
                            sharing=sharing,
                            max_share=max_share,
                            claim_multiple=claim_multiple,
                            need_override=None,
                            detail=False,
                            need_growth=float(mine[sc][k]),
                        )
                        rows.append(summary)
            if progress:
                progress()
    return pd.DataFrame(rows)


def sourcing_outlook(
    ds,
    party: str,
    commodity: str,
    stage: str = "refined",
    scenario: str = "APS",
    year: int = 2030,
    *,
    partners: str | None = None,
    also_from: str | None = "CHN",
    sharing: str = "pro_rata",
    max_share: float | None = DEFAULT_MAX_SHARE,
    claim_multiple: float = 1.0,
    need_kt: float | None = None,
    sector_mix: dict | None = None,
) -> OutlookSourcing:
    """One case in full: summary, the least-risk plan by supplier, the binding constraints and the answer,
    e.g. ``sourcing_outlook(ds, "JPN+ITA", "rare_earths", "refined", "APS", 2030)``."""
    _check(sharing, max_share, claim_multiple)
    ctx = _context(ds)
    p = ds.party(party)
    c = iea.check_minerals(commodity)[0]
    s = iea.check_stages(stage)[0]
    sc = iea.check_scenarios(scenario)[0]
    y = iea.check_years(year, iea.PROJECTION_YEARS)[0]
    allowed = _partner_sets(ds, [p], partners, also_from)[p.label]
    im = base_imports(ds, [p], c, s).iloc[0].to_dict()
    g = float(iea.growth(ctx.demand, c, s, sc, [y])[0])
    g_need = float(iea.growth(ctx.demand, c, s, sc, [y], sector_mix)[0]) if sector_mix else g
    summary, plan, cons = _solve_case(
        ctx,
        p,
        c,
        s,
        sc,
        y,
        im,
        g,
        *allowed,
        sharing=sharing,
        max_share=max_share,
        claim_multiple=claim_multiple,
        need_override=need_kt,
        detail=True,
        need_growth=g_need,
    )
    notes = [im["need_basis_note"]] if im.get("need_basis_note") else []
    return OutlookSourcing(pd.DataFrame([summary]), plan, cons, summary["answer"], notes)


__all__ = [
    "SHARING",
    "OutlookSourcing",
    "coverable",
    "multiple_needed",
    "outlook_options",
    "pro_rata_claims",
    "solve_within_cap",
    "sourcing_outlook",
]
