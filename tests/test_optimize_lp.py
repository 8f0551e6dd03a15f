"""The sourcing LP: hand-solvable cases, infeasibility diagnosis, CVaR, and invariants (hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.optimize import lp

G = [0.1, 0.5, 0.9]


def test_three_suppliers_fill_the_safest_first():
    # D = 100; the safest two fill their caps (50 + 40), the riskiest takes the rest: risk 5 + 20 + 9 = 34
    s = lp.solve(lp.Problem([100], [50, 40, 100], G, True, True))
    assert s.status == "optimal"
    np.testing.assert_allclose(s.x, [[50, 40, 10]], atol=1e-9)
    assert s.objective == pytest.approx(34.0)
    # shadow prices: one more tonne at supplier 1 displaces a tonne at g=0.9: -0.8; at supplier 2: -0.4
    np.testing.assert_allclose(s.cap_marginal, [-0.8, -0.4, 0.0], atol=1e-9)


def test_max_share_binds_on_the_safest_supplier():
    s = lp.solve(lp.Problem([100], [50, 40, 100], G, True, True, max_share=0.45))
    np.testing.assert_allclose(s.x, [[45, 40, 15]], atol=1e-9)
    assert s.objective == pytest.approx(38.0)
    assert s.share_marginal[0] == pytest.approx(-0.8)
    assert s.cap_marginal[0] == pytest.approx(0.0)


def test_partner_set_excludes_a_supplier():
    s = lp.solve(lp.Problem([100], [50, 40, 100], G, [True, False, True], True))
    np.testing.assert_allclose(s.x, [[50, 0, 50]], atol=1e-9)
    assert s.objective == pytest.approx(5 + 45)


def test_cost_bound_trades_risk_for_cost():
    # unit costs 3, 2, 1; least risk [50, 40, 10] costs 240; a budget of 200 forces cheaper supply
    p = lp.Problem([100], [50, 40, 100], G, True, True, unit_cost=[3, 2, 1], budget=200)
    s = lp.solve(p)
    assert float(np.sum(s.x * [3, 2, 1])) == pytest.approx(200)
    # spending 1 more kUSD on supplier 1 instead of 3 (2 kUSD more per tonne) lowers risk by 0.8 per tonne
    assert s.budget_marginal == pytest.approx(-0.4)
    np.testing.assert_allclose(s.x, [[50, 0, 50]], atol=1e-7)
    assert s.objective == pytest.approx(50.0)


def test_infeasible_capacity_says_by_how_much():
    s = lp.solve(lp.Problem([100], [20, 20, 20], G, True, True, max_share=0.45))
    assert s.status == "infeasible"
    (d,) = s.diagnosis
    assert d["constraint"] == "capacity"
    assert d["shortfall_tonnes"] == pytest.approx(40)
    assert d["available_tonnes"] == pytest.approx(60)


def test_infeasible_share_gives_the_smallest_share_that_works():
    s = lp.solve(lp.Problem([100], [100, 100, 100], G, True, True, max_share=0.3))
    (d,) = s.diagnosis
    assert d["constraint"] == "max_share"
    assert d["shortfall_tonnes"] == pytest.approx(10)
    assert d["feasible_share"] == pytest.approx(1 / 3, abs=2e-4)


def test_infeasible_budget_reports_the_cheapest_mix():
    s = lp.solve(lp.Problem([100], [50, 40, 100], G, True, True, unit_cost=[3, 2, 1], budget=90))
    (d,) = s.diagnosis
    assert d["constraint"] == "budget"
    assert d["min_cost_kusd"] == pytest.approx(100)
    assert d["excess_kusd"] == pytest.approx(10)


def test_cvar_of_shortfall_hand_case():
    # s1 (p=0.9): supplier A loses 10 %; s2 (p=0.1): supplier B loses everything.
    # mean loss: A 0.09 < B 0.10 -> all from A; CVaR_0.9 = max(0.1 a, 100 - a) -> a = 100/1.1
    loss = np.array([[0.1, 0.0], [0.0, 1.0]])
    prob = np.array([0.9, 0.1])
    mean = lp.solve(lp.Problem([100], [100, 100], prob @ loss, True, True))
    np.testing.assert_allclose(mean.x, [[100, 0]], atol=1e-9)
    cvar = lp.solve(
        lp.Problem(
            [100], [100, 100], prob @ loss, True, True, scenario_loss=loss, scenario_prob=prob, alpha=0.9
        )
    )
    assert cvar.x[0, 0] == pytest.approx(100 / 1.1, rel=1e-6)
    assert cvar.objective == pytest.approx(100 / 11, rel=1e-6)


def test_pooled_shared_capacity_hand_case():
    # two members, D = (60, 40); supplier 0 (g 0.1) can give 50 in total, supplier 1 (g 0.5) 100
    p = lp.Problem([60, 40], [50, 100], [0.1, 0.5], True, True)
    s = lp.solve(p)
    assert s.x.sum(axis=1) == pytest.approx([60, 40])
    assert s.x[:, 0].sum() == pytest.approx(50)
    assert s.objective == pytest.approx(50 * 0.1 + 50 * 0.5)


def test_pareto_front_is_monotone():
    p = lp.Problem([100], [50, 40, 100], G, True, True, unit_cost=[3, 2, 1])
    pts = lp.pareto(p, 5)
    costs = [q["cost_kusd"] for q in pts]
    risks = [q["risk_tonnes"] for q in pts]
    assert costs[0] == pytest.approx(100) and risks[0] == pytest.approx(90)
    assert costs[-1] == pytest.approx(240) and risks[-1] == pytest.approx(34)
    assert all(b <= a + 1e-7 for a, b in itertools.pairwise(risks))


# -- invariants ---------------------------------------------------------------------------------------------
@st.composite
def problems(draw, max_members=2, max_suppliers=6):
    m = draw(st.integers(1, max_members))
    n = draw(st.integers(2, max_suppliers))
    fl = st.floats(0.0, 1.0, allow_nan=False)
    demand = np.array(draw(st.lists(st.floats(1.0, 100.0), min_size=m, max_size=m)))
    cap = np.array(draw(st.lists(st.floats(0.0, 200.0), min_size=n, max_size=n)))
    risk = np.array(draw(st.lists(fl, min_size=n, max_size=n)))
    allowed = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    share = draw(st.one_of(st.none(), st.floats(0.2, 1.0)))
    cost = np.array(draw(st.lists(st.floats(0.5, 5.0), min_size=n, max_size=n)))
    budget = draw(st.one_of(st.none(), st.floats(50.0, 1000.0)))
    return lp.Problem(demand, cap, risk, allowed, True, share, cost, budget)


def _opt(p: lp.Problem) -> float:
    s = lp.solve(p)
    return s.objective if s.status == "optimal" else np.inf


def _copy(p: lp.Problem, **kw) -> lp.Problem:
    d = dict(
        demand=p.demand,
        cap=p.cap,
        risk=p.risk,
        allowed=p.allowed,
        third=p.third,
        max_share=p.max_share,
        unit_cost=p.unit_cost,
        budget=p.budget,
    )
    d.update(kw)
    return lp.Problem(**d)


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems(), st.floats(1.0, 3.0))
def test_relaxing_capacity_never_raises_the_optimum(p, k):
    assert _opt(_copy(p, cap=p.cap * k)) <= _opt(p) + 1e-6


@SETTINGS
@given(problems(), st.floats(0.0, 0.8))
def test_relaxing_the_share_cap_never_raises_the_optimum(p, extra):
    looser = None if p.max_share is None else min(1.0, p.max_share + extra)
    assert _opt(_copy(p, max_share=looser)) <= _opt(p) + 1e-6
    assert _opt(_copy(p, max_share=None)) <= _opt(p) + 1e-6


@SETTINGS
@given(problems())
def test_dropping_the_budget_never_raises_the_optimum(p):
    assert _opt(_copy(p, budget=None)) <= _opt(p) + 1e-6


@SETTINGS
@given(problems(), st.integers(0, 5))
def test_adding_a_partner_never_raises_the_optimum(p, j):
    allowed = p.allowed.copy()
    allowed[:, j % p.shape[1]] = True
    assert _opt(_copy(p, allowed=allowed)) <= _opt(p) + 1e-6


@SETTINGS
@given(problems())
def test_the_optimised_mix_meets_demand_and_respects_every_cap(p):
    s = lp.solve(p)
    if s.status != "optimal":
        assert s.diagnosis, "an infeasible problem is always explained"
        return
    tol = 1e-6 * max(1.0, p.demand.sum())
    np.testing.assert_allclose(s.x.sum(axis=1), p.demand, atol=tol)
    assert (s.x >= -tol).all()
    assert (s.x[~p.allowed] <= tol).all()
    assert (s.x.sum(axis=0) <= p.cap + tol).all()
    if p.max_share is not None:
        assert (s.x.sum(axis=0)[p.third] <= p.max_share * p.demand.sum() + tol).all()
    if p.budget is not None:
        assert float(np.sum(s.x * p.unit_cost[None, :])) <= p.budget * (1 + 1e-7) + tol
    assert s.objective == pytest.approx(lp.risk_of(s.x, p.risk), abs=tol)


@SETTINGS
@given(problems(max_members=1))
def test_infeasibility_diagnosis_matches_the_elastic_shortfall(p):
    s = lp.solve(_copy(p, budget=None))
    short, _ = lp.min_shortfall(p)
    if s.status == "optimal":
        assert short == pytest.approx(0.0, abs=1e-6 * p.demand.sum())
    else:
        assert short > 0
        assert sum(d["shortfall_tonnes"] for d in s.diagnosis) == pytest.approx(short, rel=1e-6, abs=1e-6)


@SETTINGS
@given(problems(max_members=3, max_suppliers=5))
def test_pooling_never_does_worse_than_each_member_alone_with_proportional_capacity(p):
    pooled = _opt(_copy(p, budget=None))
    total = p.demand.sum()
    alone = 0.0
    for k in range(p.shape[0]):
        q = lp.Problem(
            p.demand[k : k + 1], p.cap * p.demand[k] / total, p.risk[k], p.allowed[k], p.third, p.max_share
        )
        alone += _opt(q)
    assert pooled <= alone + 1e-6
