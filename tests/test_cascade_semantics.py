"""Cascade semantics that hold for every country (issue 16): the imposer absorbs its own import losses from
what it withholds, a shortfall never exceeds consumption, negative apparent consumption loses nothing,
countries close to extra draws continuously (no jump from a negligible flow), and pro-rata rationing — hand-computed cases and hypothesis properties over random networks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from critmin.scenarios.cascade import CLOSURE, cascade, cascade_edges, openness
from critmin.scenarios.network import from_matrix
from critmin.scenarios.response import ResponseInputs, SupplyResponse
from critmin.scenarios.scenario import Restriction, run

pytestmark = pytest.mark.filterwarnings("ignore:cascade.*did not converge:RuntimeWarning")

# X restricts its exports to J; J also buys from K and re-exports 40 to P (hand-computed below)
CODES = ["X", "J", "K", "P"]
F_CHAIN = np.array([[0, 100, 0, 0], [0, 0, 0, 40], [0, 50, 0, 0], [0, 0, 0, 0]], float)
P_CHAIN = [100.0, 0.0, 50.0, 0.0]


def test_pro_rata_shares_a_targets_loss_with_its_customers():
    """J (C = 110, re-exports 40 to P) loses 100 t. Round 1: J draws 50 more from K (M = −50) and shares the
    remaining 50 pro rata, 40/150 on its exports (−13⅓ t to P) and 110/150 on its own use (−36⅔ t). K, now
    short and with no use of its own, cuts the 50 back; J, with nobody left to draw on, shares that 50 at
    26⅔/100: −13⅓ t more to P, −36⅔ t own use. J loses 73⅓ t (⅔ of its use), P 26⅔ t (⅔ of its use)."""
    net = from_matrix(CODES, P_CHAIN, F_CHAIN)
    r = run(net, [Restriction("X", 1.0, ("J",))], rationing="pro_rata")
    np.testing.assert_allclose(-r.result.dC, [0, 220 / 3, 0, 80 / 3], atol=1e-9)
    short = r.countries().set_index("country")["shortfall_pct_of_consumption"]
    assert short["J"] == pytest.approx(short["P"]) == pytest.approx(200 / 3)


def test_trade_first_passes_the_targets_loss_downstream():
    """Marchand et al. (2016) as published: J moves its whole 90 t of trade volume first (cuts all 40 t of
    exports, draws 50 t from K), so P loses everything it consumed while the target keeps most of its own."""
    net = from_matrix(CODES, P_CHAIN, F_CHAIN)
    r = run(net, [Restriction("X", 1.0, ("J",))], rationing="trade_first")
    np.testing.assert_allclose(-r.result.dC, [0, 60, 0, 40], atol=1e-9)


def test_the_imposer_covers_its_own_import_loss_from_what_it_withholds():
    """X exports 60 to J (banned) and 40 to U; J re-exports 30 back to X. J's cut of 30 is covered by X's
    60 t withheld: X's exports to U do not move and U loses nothing. Without that buffer (the earlier
    semantics), blocked X passed the 30 t on to U."""
    codes = ["X", "J", "U"]
    F = np.array([[0, 60, 40], [30, 0, 0], [0, 0, 0]], float)
    net = from_matrix(codes, [100.0, 0.0, 0.0], F)
    r = run(net, [Restriction("X", 1.0, ("J",))])
    links = r.links().set_index(["exporter", "importer"])
    assert ("X", "U") not in links.index  # unchanged
    c = r.countries().set_index("country")
    assert c.loc["X", "withheld_used_tonnes"] == pytest.approx(30)
    assert c.loc["U", "shortfall_tonnes"] == pytest.approx(0, abs=1e-12)
    assert c.loc["X", "shortfall_tonnes"] == pytest.approx(0, abs=1e-12)
    ini = r.initial
    old = cascade_edges(
        net.production,
        0.0,
        net.src,
        net.dst,
        ini.flow,
        ini.shock,
        blocked=ini.blocked,
        rationing="trade_first",
    )
    assert -old.dC[2] == pytest.approx(30)


def test_negative_apparent_consumption_is_unrecorded_supply_with_nothing_to_lose():
    """H exports 50 but produces 0 and imports 30 (C = −20): it is pulled on like anyone else, but what it
    cannot pass on is not its shortfall; every other country keeps shortfall ≤ consumption."""
    F = np.array([[0, 30, 0, 20], [0, 0, 50, 0], [0, 0, 0, 0], [0, 0, 0, 0]], float)
    net = from_matrix(["S", "H", "A", "B"], [50.0, 0.0, 0.0, 0.0], F)
    assert net.consumption[1] == -20
    r = run(net, [Restriction("S", 1.0)])
    c = r.countries().set_index("country")
    assert c.loc["H", "shortfall_tonnes"] == 0.0
    assert "negative apparent consumption" in c.loc["H", "consumption_flag"]
    assert c.loc["A", "consumption_flag"] == ""
    assert (c["shortfall_tonnes"] <= c["consumption_tonnes"].clip(lower=0) + 1e-9).all()
    assert r.world()["negative_consumption_countries"] == ["H"]


def test_stocks_serve_their_holder_unless_shared():
    """X (banned everywhere) sold 10 t to J and 10 t to K; J also sells 5 t to K and holds 100 t of stocks.
    Shared (the paper): K draws 5 t more from J, whose stocks pay for it (K loses 5, J's stocks 15). Own use
    (critmin's default): J, living off its stocks, raises no exports; K loses its 10 t."""
    F = np.array([[0, 10, 10], [0, 0, 5], [0, 0, 0]], float)
    net = from_matrix(["X", "J", "K"], [20.0, 0.0, 0.0], F)
    stocks = {"J": 100 / net.consumption[1] * 365}
    shared = run(net, [Restriction("X", 1.0)], stocks=stocks, shared_stocks=True)
    own = run(net, [Restriction("X", 1.0)], stocks=stocks)
    np.testing.assert_allclose(-shared.result.dC, [0, 0, 5], atol=1e-9)
    np.testing.assert_allclose(shared.result.dR, [0, -15, 0], atol=1e-9)
    np.testing.assert_allclose(-own.result.dC, [0, 0, 10], atol=1e-9)
    np.testing.assert_allclose(own.result.dR, [0, -10, 0], atol=1e-9)
    assert own.world()["stocks_use"] == "own use"


def test_consumption_floor_keeps_the_paper_toy_vector():
    # the floor and the buffers change nothing where they do not bind (methods.md §4.1 vector)
    P = np.array([100.0, 20.0, 0.0])
    F = np.array([[0.0, 30.0, 20.0], [0.0, 0.0, 5.0], [0.0, 0.0, 0.0]])
    r = cascade(P, np.array([10.0, 5.0, 2.0]), F, np.array([-40.0, 0, 0]), withheld=np.zeros(3))
    np.testing.assert_allclose(r.dC, [0, -8, -15], atol=1e-9)


def test_unknown_rationing_is_refused():
    from critmin.errors import UnknownValueError

    net = from_matrix(CODES, P_CHAIN, F_CHAIN)
    with pytest.raises(UnknownValueError, match="pro_rata"):
        run(net, [Restriction("X", 1.0)], rationing="prorata")
    with pytest.raises(ValueError, match="rationing"):
        cascade(np.ones(2), np.zeros(2), np.eye(2)[::-1], np.zeros(2), rationing="fair")


def test_openness_falls_linearly_to_zero_at_the_closure_share():
    # V = 200 t handled, θ = 1 %: closed at a 2 t loss; 0.5 t lost → 75 % of its links open; imposers closed
    lost = np.array([0.0, 0.5, 2.0, 7.0, 0.0, 1e-30, 0.0])
    volume = np.array([200.0, 200, 200, 200, 200, 0, 0])
    closed = np.array([False, False, False, False, True, False, False])
    np.testing.assert_allclose(openness(lost, volume, 0.01, closed), [1, 0.75, 0, 0, 0, 0, 1])
    # the paper's rule: any loss closes
    np.testing.assert_allclose(openness(lost, volume, 0.0, closed), [1, 0, 0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match="closure"):
        cascade(np.ones(2), np.zeros(2), np.eye(2)[::-1], np.zeros(2), closure=-0.1)


def test_the_paper_rule_is_the_limit_of_no_closure_share():
    # methods.md §4.1 vector (verified against the authors' R code) under both closure rules: every country
    # that loses anything there loses ≥ 13 % of its supply, far beyond θ
    P, F = np.array([100.0, 20.0, 0.0]), np.array([[0.0, 30.0, 20.0], [0.0, 0.0, 5.0], [0.0, 0.0, 0.0]])
    for closure in (0.0, CLOSURE):
        r = cascade(P, np.array([10.0, 5.0, 2.0]), F, np.array([-40.0, 0, 0]), closure=closure)
        np.testing.assert_allclose(r.dC, [0, -8, -15], atol=1e-9)
        np.testing.assert_allclose(r.dR, [-10, -5, -2], atol=1e-9)


def test_a_negligible_flow_does_not_switch_a_country_off():
    """Two bans on C1 that differ only by a 2.65·10⁻⁸⁶ t flow to C2 (the full ban removes it, the ban on C0 and
    C3 does not). Under the paper's all-or-nothing rule that flow makes C2 'shocked' in round 1, closed to
    target C3's draws, and C0's shortfall jumps from 0.50 t to 0.64 t (27 %). With the continuous closure the
    two bans give the same answer."""
    F = np.array([[0, 0, 1, 0], [0, 0, 2.65e-86, 1], [1, 0, 0, 1], [1, 1, 1, 0]], float)
    net = from_matrix(["C0", "C1", "C2", "C3"], [0.0, 0.0, 0.0, 1.0], F)
    dest, full = [Restriction("C1", 1.0, ("C0", "C3"))], [Restriction("C1", 1.0)]
    a, b = run(net, dest), run(net, full)
    np.testing.assert_allclose(a.result.dC, b.result.dC, atol=1e-12)
    np.testing.assert_allclose(a.result.dF, b.result.dF, atol=1e-12)
    a0, b0 = run(net, dest, closure=0.0), run(net, full, closure=0.0)
    assert -a0.result.dC[0] - -b0.result.dC[0] > 0.1


# -- properties over random networks ------------------------------------------------------------------
@st.composite
def networks(draw, max_n: int = 7):
    n = draw(st.integers(2, max_n))
    flows = draw(arrays(np.float64, (n, n), elements=st.floats(0, 100, allow_nan=False)))
    keep = draw(arrays(np.bool_, (n, n)))
    F = np.where(keep, flows, 0.0) * (1 - np.eye(n))
    P = draw(arrays(np.float64, n, elements=st.floats(0, 500, allow_nan=False)))
    return P, F


def _check(P, F, shock, res, *, R, W=0.0, Q=0.0, C=None):
    """Every invariant: conservation, buffer bounds, non-negative flows, 0 ≤ shortfall ≤ max(C, 0)."""
    n = len(P)
    scale = 1e-9 * max(1.0, np.abs(shock).sum(), F.sum(), np.sum(W), np.sum(Q))
    dI, dE = res.dF.sum(axis=0), res.dF.sum(axis=1)
    buffers = res.dW + res.dR + res.dQ
    assert (buffers + res.dC).sum() == pytest.approx(shock.sum(), abs=scale)
    np.testing.assert_allclose(shock + dI - dE, buffers + res.dC, atol=scale)
    for d, pool in ((res.dW, W), (res.dQ, Q)):
        assert np.all(d <= scale) and np.all(d >= -np.broadcast_to(pool, n) - scale)
    assert np.all(res.dR >= -np.broadcast_to(R, n) - scale)
    assert np.all(F + res.dF >= -scale)
    C0 = np.maximum(P + F.sum(axis=0) - F.sum(axis=1) if C is None else C, 0.0)
    assert np.all(res.dC <= scale), "no country gains consumption"
    assert np.all(-res.dC <= C0 + scale), "a shortfall never exceeds consumption"


@settings(max_examples=200, deadline=None)
@given(networks(), st.data(), st.floats(0, 1), st.sampled_from(["pro_rata", "trade_first"]))
def test_production_shocks_keep_every_invariant_with_all_buffers(net, data, f_c, rationing):
    P, F = net
    n = len(P)
    R = data.draw(arrays(np.float64, n, elements=st.floats(0, 50)))
    W = data.draw(arrays(np.float64, n, elements=st.floats(0, 50)))
    Q = data.draw(arrays(np.float64, n, elements=st.floats(0, 50)))
    frac = data.draw(arrays(np.float64, n, elements=st.floats(0, 1)))
    blocked = data.draw(arrays(np.bool_, n))
    shock = -frac * P
    src, dst = np.nonzero(F)
    closed = data.draw(arrays(np.bool_, len(src)))
    share_stocks = data.draw(st.booleans())
    closure = data.draw(st.sampled_from([0.0, CLOSURE, 1.0]))  # the paper's rule, the default, a slow close
    res = cascade_edges(
        P,
        R,
        src,
        dst,
        F[src, dst],
        shock,
        f_c=f_c,
        blocked=blocked,
        withheld=W,
        response=Q,
        closed=closed,
        rationing=rationing,
        share_stocks=share_stocks,
        closure=closure,
    )
    # a run stopped at max_rounds books its unresolved remainder to consumption (with a warning): the
    # invariants are those of a converged cascade (a slow case is pinned below)
    assume(bool(np.all(res.converged)))
    dense = np.zeros_like(F)
    dense[src, dst] = res.dF
    _check(P, F, shock, type("R", (), {**res.__dict__, "dF": dense}), R=R, W=W, Q=Q)
    # a closed link is never drawn on: it can only shrink
    assert np.all(res.dF[closed] <= 1e-9 * max(1.0, F.sum()))


@settings(max_examples=200, deadline=None)
@given(networks(), st.data(), st.floats(0, 1), st.sampled_from(["pro_rata", "trade_first"]), st.booleans())
def test_export_restrictions_keep_every_invariant(net, data, f_c, rationing, respond):
    P, F = net
    n = len(P)
    codes = [f"C{i}" for i in range(n)]
    network = from_matrix(codes, P, F)
    imposer = data.draw(st.integers(0, n - 1))
    share = data.draw(st.floats(0, 1))
    targets = data.draw(st.lists(st.sampled_from(codes), max_size=n, unique=True))
    stocks = data.draw(arrays(np.float64, n, elements=st.floats(0, 120)))
    response = None
    if respond:
        spare = data.draw(arrays(np.float64, n, elements=st.floats(0, 200)))
        response = ResponseInputs(SupplyResponse(redirect=data.draw(st.booleans())), spare, "given")
    res = run(
        network,
        [Restriction(codes[imposer], share, tuple(targets))],
        stocks=dict(zip(codes, stocks, strict=True)),
        substitution=f_c,
        rationing=rationing,
        response=response,
        shared_stocks=data.draw(st.booleans()),
    )
    ini, r = res.initial, res.result
    dense = np.zeros_like(F)
    dense[network.src, network.dst] = r.dF
    flow_after = F.copy()
    flow_after[network.src, network.dst] -= ini.removed
    Q = res.response_capacity if res.response_capacity is not None else 0.0
    fake = type("R", (), {"dR": r.dR, "dC": r.dC, "dF": dense, "dW": r.dW, "dQ": r.dQ})
    _check(P, flow_after, ini.shock, fake, R=res.stocks, W=ini.retained, Q=Q, C=network.consumption)
    tol = 1e-9 * max(1.0, F.sum())
    # the imposer has no supply response, never loses consumption of its own while its withheld volume
    # lasts, and never cuts anyone else before that
    assert abs(r.dQ[imposer]) <= tol
    if -r.dW[imposer] < ini.retained[imposer] - tol:
        assert -r.dC[imposer] <= tol
        assert np.all(r.dF[network.src == imposer] >= -tol)
    # restricted links are never drawn on; without redirection the imposer never exports more
    assert np.all(r.dF[ini.closed] <= tol)
    if response is None or not response.params.redirect:
        assert np.all(r.dF[network.src == imposer] <= tol)
    # supply response comes only from producers, and only up to what they could add
    assert np.all(-r.dQ <= Q + tol)


@settings(max_examples=200, deadline=None)
@given(networks(), st.data(), st.floats(0, 1), st.sampled_from(["pro_rata", "trade_first"]), st.booleans())
def test_a_negligible_flow_changes_no_outcome(net, data, f_c, rationing, shared_stocks):
    """Continuity: a link of 10⁻¹² of world trade from the imposer changes no country's shortfall, stocks or
    flows by more than 10⁻⁸ of world trade (the worst found over 5,000 examples is ~10⁻¹¹). Under the paper's
    all-or-nothing closure the same link can move a shortfall by half of world trade."""
    P, F = net
    n = len(P)
    codes = [f"C{i}" for i in range(n)]
    imposer, k = data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
    stocks = dict(zip(codes, data.draw(arrays(np.float64, n, elements=st.floats(0, 120))), strict=True))
    scale = max(1.0, F.sum())
    F2 = F.copy()
    F2[imposer, k] += 1e-12 * scale
    ban = [Restriction(codes[imposer], data.draw(st.floats(0, 1)))]
    kw = dict(stocks=stocks, substitution=f_c, rationing=rationing, shared_stocks=shared_stocks)
    a, b = run(from_matrix(codes, P, F), ban, **kw), run(from_matrix(codes, P, F2), ban, **kw)
    for x, y in ((a.result.dC, b.result.dC), (a.result.dR, b.result.dR), (a.result.dW, b.result.dW)):
        assert np.abs(x - y).max() <= 1e-8 * scale
    dense = np.zeros((2, n, n))
    dense[0][a.network.src, a.network.dst] = a.result.dF
    dense[1][b.network.src, b.network.dst] = b.result.dF
    assert np.abs(dense[0] - dense[1]).max() <= 1e-8 * scale


def test_a_slowly_converging_cascade_converges_within_the_default_rounds():
    """Found by the property test: six countries all trading 75 t with each other, two of them pure
    re-exporters (no consumption), the paper's closure rule and no shared stocks need 216 rounds. Stopped at the
    former 200-round default, the remainder booked to consumption gave the re-exporters a 0.008 t shortfall of
    zero consumption."""
    P = np.array([0.0, 0.0, 175.0, 106.0, 106.0, 106.0])
    F = np.full((6, 6), 75.0) * (1 - np.eye(6))
    R, W, Q = (
        np.array([0.0, 0, 3, 2, 2, 2]),
        np.array([1.0, 43, 5, 5, 5, 5]),
        np.array([0.0, 1, 42, 50, 50, 50]),
    )
    shock = -0.5625 * P
    src, dst = np.nonzero(F)
    kw = dict(withheld=W, response=Q, rationing="trade_first", share_stocks=False, closure=0.0)
    res = cascade_edges(P, R, src, dst, F[src, dst], shock, **kw)
    assert res.converged and 200 < res.rounds < 1000
    dense = np.zeros_like(F)
    dense[src, dst] = res.dF
    _check(P, F, shock, type("R", (), {**res.__dict__, "dF": dense}), R=R, W=W, Q=Q)
