"""The partner-sourcing linear programme (arrays in, arrays out), solved with SciPy's HiGHS.

Problem (one party with members m = 1..M buying from suppliers i = 1..N)::

    minimise    Σ_m Σ_i r_mi · x_mi                                   (risk-weighted tonnes)
    subject to  Σ_i x_mi           = D_m            for every member m   (meet the import need)
                Σ_m x_mi          <= cap_i          for every supplier i (exportable capacity)
                Σ_m x_mi          <= s · Σ_m D_m    for every third country i (max share, EU CRMA: s = 0.65)
                Σ_m Σ_i u_i x_mi  <= B                                   (optional cost bound)
                x_mi = 0 where supplier i is not allowed for member m      (partner set; i ≠ m)
                x_mi >= 0

With r_mi = g_i (GeoPolRisk instability of supplier i; zero for a fellow member of the party, as in the
GeoPolRisk bloc convention) the objective divided by Σ D is the import risk Σ g_i f_i / F of
Gemechu et al. (2016, eq. 1). With r_mi = Σ_s p_s L_si (the expected share of supplier i's deliveries lost
over a scenario set with probabilities p_s and loss fractions L_si) it is the expected shortfall; with
``alpha`` set it is the conditional value at risk of the shortfall (Rockafellar & Uryasev 2000, eq. 17):

    minimise  η + 1/(1 − α) Σ_s p_s z_s,   z_s >= Σ_mi L_si x_mi − η,   z_s >= 0.

Infeasibility is explained by an elastic version of the problem (a shortfall variable per member) solved
with and without each family of constraints, so the message can say which constraint and by how much.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog

TOL = 1e-7


@dataclass
class Problem:
    """The LP data. Shapes: demand (M,), cap (N,), risk (N,) or (M, N), allowed (M, N), third (N,), unit_cost (N,)."""

    demand: np.ndarray
    cap: np.ndarray
    risk: np.ndarray
    allowed: np.ndarray
    third: np.ndarray
    max_share: float | None = None
    unit_cost: np.ndarray | None = None
    budget: float | None = None
    scenario_loss: np.ndarray | None = None  # (S, N) loss fractions, for the CVaR objective
    scenario_prob: np.ndarray | None = None  # (S,)
    alpha: float | None = None

    def __post_init__(self) -> None:
        self.demand = np.asarray(self.demand, dtype=float).reshape(-1)
        self.cap = np.asarray(self.cap, dtype=float).reshape(-1)
        m, n = self.demand.size, self.cap.size
        risk = np.asarray(self.risk, dtype=float)
        self.risk = np.broadcast_to(risk, (m, n)).copy() if risk.ndim <= 1 else risk
        self.allowed = np.broadcast_to(np.asarray(self.allowed, dtype=bool), (m, n)).copy()
        self.third = np.broadcast_to(np.asarray(self.third, dtype=bool), (n,)).copy()
        if self.unit_cost is not None:
            self.unit_cost = np.asarray(self.unit_cost, dtype=float).reshape(-1)
        if self.risk.shape != (m, n):
            raise ValueError(f"risk has shape {self.risk.shape}, expected {(m, n)}")
        if (self.demand < 0).any() or (self.cap < 0).any():
            raise ValueError("demand and capacities must be non-negative")
        if np.isnan(self.risk[self.allowed]).any():
            raise ValueError("risk is NaN for an allowed supplier")
        if self.max_share is not None and not 0 < self.max_share <= 1:
            raise ValueError(f"max_share must be in (0, 1], got {self.max_share}")
        if self.alpha is not None and not 0 <= self.alpha < 1:
            raise ValueError(f"alpha must be in [0, 1), got {self.alpha}")

    @property
    def shape(self) -> tuple[int, int]:
        return self.demand.size, self.cap.size


@dataclass
class Solution:
    status: str  # 'optimal' | 'infeasible' | 'error'
    x: np.ndarray  # (M, N) tonnes; NaN when not optimal
    objective: float  # risk-weighted tonnes (or CVaR in tonnes)
    cap_marginal: np.ndarray  # d objective / d cap_i (<= 0)
    share_marginal: np.ndarray  # d objective / d (share limit in tonnes of supplier i) (<= 0)
    budget_marginal: float
    message: str = ""
    diagnosis: list[dict] = field(default_factory=list)


def _build(
    p: Problem,
    *,
    objective: str = "risk",
    elastic: bool = False,
    use_caps: bool = True,
    use_shares: bool = True,
    use_budget: bool = True,
    extra_ub: list | None = None,
):
    """The LP matrices. Variables: x over allowed (m, i) pairs, then CVaR (η, z_s), then shortfalls u_m."""
    m_, n_ = p.shape
    mm, ii = np.nonzero(p.allowed)
    nx = mm.size
    cvar = objective == "risk" and p.alpha is not None and p.scenario_loss is not None
    s_ = p.scenario_loss.shape[0] if cvar else 0
    nvar = nx + (1 + s_ if cvar else 0) + (m_ if elastic else 0)
    c = np.zeros(nvar)
    if objective == "risk":
        if cvar:
            c[nx] = 1.0
            c[nx + 1 : nx + 1 + s_] = np.asarray(p.scenario_prob, dtype=float) / (1.0 - p.alpha)
        else:
            c[:nx] = p.risk[mm, ii]
    elif objective == "cost":
        c[:nx] = p.unit_cost[ii]
    elif objective == "shortfall":
        c[nvar - m_ :] = 1.0
    # equality: demand
    rows = np.concatenate([mm] + ([np.arange(m_)] if elastic else []))
    cols = np.concatenate([np.arange(nx)] + ([np.arange(nvar - m_, nvar)] if elastic else []))
    a_eq = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(m_, nvar))
    b_eq = p.demand.copy()
    ub_blocks, b_ub, tags = [], [], []
    if use_caps:
        a = sparse.csr_matrix((np.ones(nx), (ii, np.arange(nx))), shape=(n_, nvar))
        ub_blocks.append(a)
        b_ub.append(p.cap)
        tags += [("cap", i) for i in range(n_)]
    if use_shares and p.max_share is not None:
        third = np.nonzero(p.third)[0]
        sel = np.isin(ii, third)
        row_of = {i: k for k, i in enumerate(third)}
        a = sparse.csr_matrix(
            (np.ones(sel.sum()), ([row_of[i] for i in ii[sel]], np.nonzero(sel)[0])), shape=(third.size, nvar)
        )
        ub_blocks.append(a)
        b_ub.append(np.full(third.size, p.max_share * p.demand.sum()))
        tags += [("share", i) for i in third]
    if use_budget and p.budget is not None and p.unit_cost is not None:
        a = sparse.csr_matrix((p.unit_cost[ii], (np.zeros(nx, dtype=int), np.arange(nx))), shape=(1, nvar))
        ub_blocks.append(a)
        b_ub.append(np.array([p.budget]))
        tags.append(("budget", -1))
    if cvar:
        # z_s >= Σ L_si x - η   <=>   Σ L_si x - η - z_s <= 0
        loss = np.asarray(p.scenario_loss, dtype=float)[:, ii]
        a = sparse.hstack(
            [
                sparse.csr_matrix(loss),
                sparse.csr_matrix(-np.ones((s_, 1))),
                -sparse.eye(s_),
                sparse.csr_matrix((s_, nvar - nx - 1 - s_)),
            ]
        ).tocsr()
        ub_blocks.append(a)
        b_ub.append(np.zeros(s_))
        tags += [("cvar", s) for s in range(s_)]
    for a_row, b in extra_ub or []:
        row = np.zeros(nvar)
        row[:nx] = a_row[mm, ii]
        ub_blocks.append(sparse.csr_matrix(row))
        b_ub.append(np.array([b]))
        tags.append(("extra", -1))
    a_ub = sparse.vstack(ub_blocks).tocsr() if ub_blocks else None
    bub = np.concatenate(b_ub) if b_ub else None
    bounds = [(0, None)] * nvar
    if cvar:
        bounds[nx] = (None, None)
    return c, a_ub, bub, a_eq, b_eq, bounds, tags, (mm, ii)


def _run(p: Problem, **kw):
    c, a_ub, b_ub, a_eq, b_eq, bounds, tags, (mm, ii) = _build(p, **kw)
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    return res, tags, (mm, ii)


def solve(p: Problem, *, objective: str = "risk", extra_ub: list | None = None) -> Solution:
    """Minimise risk (or cost) subject to demand, capacities, shares and the budget; explain infeasibility."""
    m_, n_ = p.shape
    if not p.allowed.any():
        if p.demand.sum() <= 0:
            return Solution("optimal", np.zeros((m_, n_)), 0.0, np.zeros(n_), np.zeros(n_), 0.0)
        return Solution(
            "infeasible",
            np.full((m_, n_), np.nan),
            float("nan"),
            np.zeros(n_),
            np.zeros(n_),
            0.0,
            message="no allowed supplier",
            diagnosis=diagnose(p),
        )
    res, tags, (mm, ii) = _run(p, objective=objective, extra_ub=extra_ub)
    if res.status != 0:
        status = "infeasible" if res.status == 2 else "error"
        sol = Solution(
            status,
            np.full((m_, n_), np.nan),
            float("nan"),
            np.zeros(n_),
            np.zeros(n_),
            0.0,
            message=res.message,
        )
        if status == "infeasible":
            sol.diagnosis = diagnose(p)
        return sol
    x = np.zeros((m_, n_))
    x[mm, ii] = res.x[: mm.size]
    x[x < 0] = 0.0
    cap_m, share_m, budget_m = np.zeros(n_), np.zeros(n_), 0.0
    marg = res.ineqlin.marginals if res.ineqlin is not None else np.array([])
    for (kind, i), mu in zip(tags, marg, strict=False):
        if kind == "cap":
            cap_m[i] = mu
        elif kind == "share":
            share_m[i] = mu
        elif kind == "budget":
            budget_m = float(mu)
    return Solution("optimal", x, float(res.fun), cap_m, share_m, budget_m, message=res.message)


def min_shortfall(p: Problem, *, use_caps: bool = True, use_shares: bool = True) -> tuple[float, np.ndarray]:
    """The smallest total unmet need (tonnes) under the given constraint families (no cost bound)."""
    res, _, (mm, ii) = _run(
        p, objective="shortfall", elastic=True, use_caps=use_caps, use_shares=use_shares, use_budget=False
    )
    if res.status != 0:  # cannot happen: x = 0, u = D is always feasible
        raise RuntimeError(f"elastic LP failed: {res.message}")
    m_, n_ = p.shape
    x = np.zeros((m_, n_))
    x[mm, ii] = res.x[: mm.size]
    return float(res.fun), x


def min_cost(p: Problem) -> float:
    """The cheapest cost of meeting the need under capacities and shares (NaN if that is infeasible)."""
    if p.unit_cost is None or not p.allowed.any():
        return float("nan")
    res, _, _ = _run(p, objective="cost", use_budget=False)
    return float(res.fun) if res.status == 0 else float("nan")


def smallest_feasible_share(p: Problem, tol: float = 1e-3) -> float | None:
    """The smallest max-share that makes the need coverable (bisection), or None if no share in (0, 1] does."""
    if p.max_share is None:
        return None
    if p.shape[0] == 1:
        return _share_needed_single(p)
    q = _with_share(p, 1.0)
    if min_shortfall(q)[0] > TOL * max(1.0, p.demand.sum()):
        return None
    lo, hi = p.max_share, 1.0
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if min_shortfall(_with_share(p, mid))[0] > TOL * max(1.0, p.demand.sum()):
            lo = mid
        else:
            hi = mid
    return hi


def _share_needed_single(p: Problem) -> float | None:
    """One member: the smallest s with Σ_third min(cap_i, s·D) + Σ_other cap_i >= D (exact, by sorting)."""
    d = float(p.demand[0])
    ok = p.allowed[0]
    caps_third = np.sort(p.cap[ok & p.third])
    rest = d - float(p.cap[ok & ~p.third].sum())
    if rest <= 0:
        return 0.0
    if caps_third.sum() < rest * (1 - 1e-12):
        return None
    # f(s) = Σ min(c_i, sD) is piecewise linear and increasing; walk the breakpoints c_(k)
    n = caps_third.size
    below = 0.0  # Σ of caps smaller than the current breakpoint
    for k in range(n):
        # for s·D in [c_(k-1), c_(k)]: f = below + (n - k)·s·D
        level = (rest - below) / (n - k)
        if level <= caps_third[k] + 1e-12:
            return min(1.0, level / d)
        below += caps_third[k]
    return None


def _with_share(p: Problem, s: float) -> Problem:
    return Problem(
        p.demand,
        p.cap,
        p.risk,
        p.allowed,
        p.third,
        s,
        p.unit_cost,
        p.budget,
        p.scenario_loss,
        p.scenario_prob,
        p.alpha,
    )


def diagnose(p: Problem) -> list[dict]:
    """Why the problem is infeasible: one dict per cause with ``constraint``, ``shortfall_tonnes`` and figures.

    Causes, in order: the allowed suppliers' capacity is below the need even without share caps
    ('capacity'); the share cap removes what capacity there is ('max_share', with the smallest share that
    would do); demand coverable but the cost bound is below the cheapest mix ('budget').
    """
    need = float(p.demand.sum())
    tol = TOL * max(1.0, need)
    out: list[dict] = []
    short_all, _ = min_shortfall(p)
    if short_all > tol:
        short_caps, _ = min_shortfall(p, use_shares=False)
        short_shares, _ = min_shortfall(p, use_caps=False)
        if short_caps > tol:
            allowed_cap = float(p.cap[p.allowed.any(axis=0)].sum())
            out.append(
                {
                    "constraint": "capacity",
                    "shortfall_tonnes": short_caps,
                    "need_tonnes": need,
                    "available_tonnes": allowed_cap,
                }
            )
        if short_all - short_caps > tol:
            out.append(
                {
                    "constraint": "max_share",
                    "shortfall_tonnes": short_all - short_caps,
                    "need_tonnes": need,
                    "max_share": p.max_share,
                    "feasible_share": smallest_feasible_share(p),
                    "suppliers": int((p.allowed.any(axis=0) & p.third).sum()),
                    "share_only_shortfall_tonnes": short_shares,
                }
            )
        return out
    if p.budget is not None and p.unit_cost is not None:
        cheapest = min_cost(p)
        out.append(
            {
                "constraint": "budget",
                "budget_kusd": p.budget,
                "min_cost_kusd": cheapest,
                "excess_kusd": cheapest - p.budget,
            }
        )
    return out


def pareto(p: Problem, n: int = 11) -> list[dict]:
    """Risk–cost front: the least risk for budgets from the cheapest mix to the cheapest least-risk mix."""
    if p.unit_cost is None:
        raise ValueError("a Pareto front needs unit costs")
    base = Problem(p.demand, p.cap, p.risk, p.allowed, p.third, p.max_share, p.unit_cost, None)
    c_min = min_cost(base)
    if np.isnan(c_min):
        return []
    best = solve(base)
    # the cheapest among the least-risk mixes: min cost s.t. risk <= best + tolerance
    r_lim = best.objective + 1e-9 * max(1.0, abs(best.objective))
    cheap_best = solve(base, objective="cost", extra_ub=[(base.risk, r_lim)])
    c_max = float(np.sum(cheap_best.x * base.unit_cost[None, :])) if cheap_best.status == "optimal" else c_min
    points = []
    for b in np.linspace(c_min, c_max, n) if c_max > c_min else [c_min]:
        q = Problem(
            p.demand, p.cap, p.risk, p.allowed, p.third, p.max_share, p.unit_cost, b * (1 + 1e-9) + 1e-9
        )
        s = solve(q)
        if s.status == "optimal":
            points.append(
                {
                    "budget_kusd": float(b),
                    "cost_kusd": float(np.sum(s.x * p.unit_cost[None, :])),
                    "risk_tonnes": s.objective,
                    "x": s.x,
                }
            )
    return points


def risk_of(x: npt.ArrayLike, risk: npt.ArrayLike) -> float:
    """Σ r_mi x_mi (risk-weighted tonnes) of a given mix."""
    x = np.asarray(x, dtype=float)
    return float(np.sum(np.nan_to_num(x) * np.broadcast_to(np.asarray(risk, dtype=float), x.shape)))
