"""The Marchand et al. (2016) cascade: the published toy vector, invariants over random networks, restrictions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from critmin.scenarios.cascade import cascade, cascade_edges, days_of_cover
from critmin.scenarios.network import from_matrix
from critmin.scenarios.scenario import Restriction, restriction_shock, run

# random networks with no stocks, no production and f_c = 0 can circulate a shock for more than max_rounds;
# the books still balance (the remainder is booked to consumption), which is what these tests check
pytestmark = pytest.mark.filterwarnings("ignore:cascade.*did not converge:RuntimeWarning")

# methods.md §4.1: 3 countries, verified against the authors' sim_cascade (R) at 1e-9
P3 = np.array([100.0, 20.0, 0.0])
R3 = np.array([10.0, 5.0, 2.0])
F3 = np.array([[0.0, 30.0, 20.0], [0.0, 0.0, 5.0], [0.0, 0.0, 0.0]])
SHOCK3 = np.array([-40.0, 0.0, 0.0])


def test_toy_vector_without_substitution():
    r = cascade(P3, R3, F3, SHOCK3, f_c=0.0, alpha=1e-5)
    assert int(r.rounds) == 3 and bool(r.converged)
    np.testing.assert_allclose(r.dR, [-10, -5, -2], atol=1e-9)
    np.testing.assert_allclose(r.dC, [0, -8, -15], atol=1e-9)
    np.testing.assert_allclose([r.dF[0, 1], r.dF[0, 2], r.dF[1, 2]], [-18, -12, -5], atol=1e-9)
    assert r.dR.sum() + r.dC.sum() == pytest.approx(-40, abs=1e-9)


def test_toy_vector_with_one_percent_substitution():
    r = cascade(P3, R3, F3, SHOCK3, f_c=0.01, alpha=1e-5)
    assert int(r.rounds) == 3
    np.testing.assert_allclose(r.dR, [-10, -5, -2], atol=1e-9)
    np.testing.assert_allclose(r.dC, [-0.3, -7.82, -14.88], atol=1e-9)
    np.testing.assert_allclose([r.dF[0, 1], r.dF[0, 2], r.dF[1, 2]], [-17.82, -11.88, -5], atol=1e-9)


def test_batched_run_equals_single_runs():
    src, dst = np.nonzero(F3)
    shocks = np.array([[-40.0, 0, 0], [0, -10.0, 0], [-5.0, -5.0, 0]])
    fcs = np.array([0.0, 0.01, 0.3])
    batch = cascade_edges(P3, R3, src, dst, F3[src, dst], shocks, f_c=fcs)
    for i in range(3):
        one = cascade(P3, R3, F3, shocks[i], f_c=fcs[i])
        np.testing.assert_allclose(batch.dC[i], one.dC, atol=1e-12)
        np.testing.assert_allclose(batch.dR[i], one.dR, atol=1e-12)
        assert batch.rounds[i] == one.rounds


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="f_c"):
        cascade(P3, R3, F3, SHOCK3, f_c=1.5)
    with pytest.raises(ValueError, match="non-negative"):
        cascade(P3, -R3, F3, SHOCK3)


def test_days_of_cover():
    # 60 t of stocks, the country loses 120 t a year after redistribution → 182.5 days
    assert days_of_cover(np.array([60.0]), np.array([-60.0]), np.array([-60.0]))[0] == pytest.approx(182.5)
    assert np.isinf(days_of_cover(np.array([60.0]), np.array([0.0]), np.array([0.0]))[0])


# -- random networks --------------------------------------------------------------------------------------
@st.composite
def networks(draw, max_n: int = 7):
    n = draw(st.integers(2, max_n))
    flows = draw(arrays(np.float64, (n, n), elements=st.floats(0, 100, allow_nan=False)))
    keep = draw(arrays(np.bool_, (n, n)))
    F = np.where(keep, flows, 0.0) * (1 - np.eye(n))
    P = draw(arrays(np.float64, n, elements=st.floats(0, 500, allow_nan=False)))
    R = draw(arrays(np.float64, n, elements=st.floats(0, 50, allow_nan=False)))
    return P, R, F


def _balance(P, R, F, shock, res, W=None, Q=None, C=None):
    """The invariants every run must keep, whatever the rules and buffers."""
    dI = res.dF.sum(axis=0)
    dE = res.dF.sum(axis=1)
    scale = max(1.0, np.abs(shock).sum(), F.sum())
    dW = res.dW if res.dW is not None else 0.0
    dQ = res.dQ if res.dQ is not None else 0.0
    buffers = res.dR + dW + dQ
    # Σ ΔW + ΔR + ΔQ + ΔC = Σ shock, and per country shock + ΔI − ΔE = ΔW + ΔR + ΔQ + ΔC (Marchand et al. 2016,
    # sim_diagnostics, with critmin's two extra buffers)
    assert (buffers + res.dC).sum() == pytest.approx(shock.sum(), abs=1e-9 * scale)
    np.testing.assert_allclose(shock + dI - dE, buffers + res.dC, atol=1e-9 * scale)
    # nothing is created: buffers never go below zero, flows never negative, no country gains
    assert np.all(res.dR >= -R - 1e-9 * scale)
    if W is not None:
        assert np.all(res.dW >= -W - 1e-9 * scale) and np.all(res.dW <= 1e-9 * scale)
    if Q is not None:
        assert np.all(res.dQ >= -Q - 1e-9 * scale) and np.all(res.dQ <= 1e-9 * scale)
    assert np.all(F + res.dF >= -1e-9 * scale)
    assert np.all(res.dC <= 1e-9 * scale)
    # a shortfall never exceeds the country's apparent consumption; a negative one is nothing to lose
    C0 = np.maximum(P + F.sum(axis=0) - F.sum(axis=1) if C is None else C, 0.0)
    assert np.all(-res.dC <= C0 + 1e-9 * scale)


@settings(max_examples=150, deadline=None)
@given(networks(), st.data(), st.floats(0, 1), st.floats(0, 1e-3))
def test_mass_is_conserved_for_production_shocks(net, data, f_c, alpha):
    P, R, F = net
    n = len(P)
    j = data.draw(st.integers(0, n - 1))
    frac = data.draw(st.floats(0, 1))
    shock = np.zeros(n)
    shock[j] = -frac * P[j]
    res = cascade(P, R, F, shock, f_c=f_c, alpha=alpha)
    _balance(P, R, F, shock, res)


@settings(max_examples=150, deadline=None)
@given(networks(), st.data(), st.floats(0, 1))
def test_mass_is_conserved_for_export_restrictions(net, data, f_c):
    P, R, F = net
    n = len(P)
    codes = [f"C{i}" for i in range(n)]
    network = from_matrix(codes, P, F)
    imposer = data.draw(st.integers(0, n - 1))
    share = data.draw(st.floats(0, 1))
    targets = data.draw(st.lists(st.sampled_from(codes), max_size=n, unique=True))
    res = run(
        network,
        [Restriction(codes[imposer], share, tuple(targets))],
        stocks=dict(zip(codes, R, strict=True)),
        substitution=f_c,
    )
    ini = res.initial
    flow_after = network.dense() - _dense(network, ini.removed)
    dense = _dense(network, res.result.dF)
    fake = type(
        "R", (), {"dR": res.result.dR, "dC": res.result.dC, "dF": dense, "dW": res.result.dW, "dQ": None}
    )
    _balance(P, res.stocks, flow_after, ini.shock, fake, W=ini.retained, C=network.consumption)
    # the restricting country is never asked for more
    assert np.all(dense[imposer] <= 1e-9 * max(1.0, F.sum()))


def _dense(network, edge_values):
    out = np.zeros((network.n, network.n))
    out[network.src, network.dst] = edge_values
    return out


@settings(max_examples=100, deadline=None)
@given(networks(), st.data(), st.floats(0, 1))
def test_a_ban_by_a_country_without_exports_changes_nothing(net, data, f_c):
    P, R, F = net
    n = len(P)
    j = data.draw(st.integers(0, n - 1))
    F[j, :] = 0.0
    codes = [f"C{i}" for i in range(n)]
    res = run(
        from_matrix(codes, P, F),
        [Restriction(codes[j], 1.0)],
        stocks=dict(zip(codes, R, strict=True)),
        substitution=f_c,
    )
    assert np.all(res.result.dR == 0) and np.all(res.result.dC == 0) and np.all(res.result.dF == 0)
    assert res.initial.removed.sum() == 0


def _world_loss(res) -> float:
    """What the world loses: Σ −(ΔR + ΔC) over every country, imposers included (tonnes)."""
    return float(-(res.result.dR + res.result.dC).sum())


@settings(max_examples=200, deadline=None)
@given(networks(), st.data(), st.floats(0, 1), st.sampled_from(["pro_rata", "trade_first"]), st.booleans())
def test_the_world_loses_what_is_withheld_less_what_the_imposer_takes_back(
    net, data, f_c, rationing, shared_stocks
):
    """The world-level property that holds for every network (checked over 5,000 examples per rule locally):
    the world loses at most what the imposer withholds, and at least the part it cannot take back out of its
    own imports, max(W₀ − I, 0). Hence a destination ban costs the world no more than a full ban whenever the
    imposer's imports are no larger than the extra volume the full ban withholds (in particular when it
    imports nothing). Without that condition the ordering can fail (next test)."""
    P, R, F = net
    n = len(P)
    codes = [f"C{i}" for i in range(n)]
    network = from_matrix(codes, P, F)
    imposer = data.draw(st.integers(0, n - 1))
    share = data.draw(st.floats(0, 1))
    targets = data.draw(st.lists(st.sampled_from(codes), min_size=1, max_size=n, unique=True))
    kw = dict(
        stocks=dict(zip(codes, R, strict=True)),
        substitution=f_c,
        rationing=rationing,
        shared_stocks=shared_stocks,
    )
    dest = run(network, [Restriction(codes[imposer], share, tuple(targets))], **kw)
    full = run(network, [Restriction(codes[imposer], share)], **kw)
    tol = 1e-9 * max(1.0, F.sum())
    imports = F[:, imposer].sum()
    for res in (dest, full):
        withheld = res.initial.removed.sum()
        assert _world_loss(res) <= withheld + tol
        assert _world_loss(res) >= max(withheld - imports, 0.0) - tol
        assert -res.result.dW.sum() <= min(withheld, imports) + tol  # taken back: at most what it imported
    non_target = np.array([c not in targets and i != imposer for i, c in enumerate(codes)])
    assert np.all(dest.initial.shock[non_target] == 0)
    assert np.all(dest.initial.shock >= full.initial.shock)
    if imports <= full.initial.removed.sum() - dest.initial.removed.sum():
        assert _world_loss(dest) <= _world_loss(full) + tol


def test_a_destination_ban_can_cost_the_world_more_than_a_full_ban():
    """The world-level ordering is NOT an invariant: where a loss ends — on someone's consumption, or back at
    the imposer, which covers it from what it withholds — depends on who is closed when. X sells 10 t to hub B
    (C = 0, re-exports 20 t to X) and 2 t to A (C = 92), and A sells 10 t to B.
    Ban on B alone: B draws its 10 t from A (still open); A, now short with no open supplier, shares the loss
    pro rata, 20/112 on its exports (back to B, which passes them to X) and 92/112 on its own use:
    the world loses 10·92/112 = 8.21 t. Full ban: A is hit (2 t ≫ 0.1 % of its 102 t) and closed at once, so B
    cannot draw on it and cuts its exports to X; A loses 2·92/102 = 1.80 t, and that is all the world loses.
    Random networks fail the ordering in ~0.2–0.4 % of cases under pro-rata rationing (docs/scenarios.md)."""
    F = np.zeros((3, 3))
    F[0, 2], F[0, 1], F[1, 2], F[2, 0] = 10.0, 2.0, 10.0, 20.0
    net = from_matrix(["X", "A", "B"], [20.0, 100.0, 0.0], F)
    np.testing.assert_allclose(net.consumption, [28, 92, 0])
    dest = run(net, [Restriction("X", 1.0, ("B",))])
    full = run(net, [Restriction("X", 1.0)])
    assert _world_loss(dest) == pytest.approx(10 * 92 / 112, abs=1e-9)
    assert _world_loss(full) == pytest.approx(2 * 92 / 102, abs=1e-9)
    assert -dest.result.dW[0] == pytest.approx(10 * 20 / 112, abs=1e-9)  # what X took back
    assert -full.result.dW[0] == pytest.approx(10 + 2 * 10 / 102, abs=1e-9)
    assert _world_loss(dest) > 4 * _world_loss(full)


def test_a_destination_ban_can_hurt_a_non_target_more_than_a_full_ban():
    """The per-country version ("a destination ban never hurts a non-target more than a full ban") is NOT
    an invariant of the cascade: the asym rule makes it non-monotone. Under the full ban non-target C2 is
    hit directly, becomes 'shocked' in round 1 and can no longer be drawn on; under the ban on C1 alone, C2
    stays open and target C1 pulls the shock through it. Random networks fail the per-country inequality
    in a few per cent of cases under pro-rata rationing (more under trade-first; docs/scenarios.md); pinned
    here so nobody mistakes it for an invariant."""
    F = np.array([[0, 2, 1, 0], [2, 0, 0, 0], [0, 1, 0, 0], [0, 1, 1, 0]], float)
    codes = [f"C{i}" for i in range(4)]
    net = from_matrix(codes, [1.0, 2.0, 3.0, 2.0], F)
    assert np.all(net.consumption >= 0)
    dest = run(net, [Restriction("C0", 1.0, ("C1",))], stocks=0)
    full = run(net, [Restriction("C0", 1.0)], stocks=0)
    assert bool(dest.result.converged) and bool(full.result.converged)
    short_dest, short_full = -dest.result.dC, -full.result.dC
    assert short_dest[2] == pytest.approx(8 / 9, abs=1e-9)
    assert short_full[2] == pytest.approx(4 / 5, abs=1e-9)
    assert short_dest[2] > short_full[2]


def test_restriction_shock_scales_and_targets_links():
    net = from_matrix(["CHN", "JPN", "USA"], [100, 0, 0], np.array([[0, 30, 20], [0, 0, 5], [0, 0, 0.0]]))
    ini = restriction_shock(net, [Restriction("CHN", 0.5, ("JPN",))])
    np.testing.assert_allclose(ini.shock, [0, -15, 0])
    assert ini.retained[0] == 15 and ini.blocked.tolist() == [True, False, False]
    ini = restriction_shock(net, [Restriction("CHN", 1.0)])
    np.testing.assert_allclose(ini.shock, [0, -30, -20])


def test_a_rounding_remainder_is_no_supply_gap():
    """The cascade's balancing leaves remainders of order 1e-11 t: they give unlimited cover, not zero days;
    a loss of a kilogram a year still empties an empty stock at once."""

    days = days_of_cover(np.array([0.0, 0.0, 10.0]), np.array([-2e-11, -1e-3, -365.0]), np.zeros(3))
    assert np.isinf(days[0]) and days[1] == 0.0 and days[2] == pytest.approx(10.0)
