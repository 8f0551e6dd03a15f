"""The optional supply response: ramp, price closure, spare capacity, and what it does in a cascade."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.errors import CritminError
from critmin.scenarios.montecarlo import sweep
from critmin.scenarios.network import build_network, from_matrix
from critmin.scenarios.response import (
    SupplyResponse,
    clearing_price_rise,
    demonstrated_spare_capacity,
    market_loss,
    ramp_share,
    resolve,
    response_capacity,
)
from critmin.scenarios.scenario import Restriction, restrict, run


def test_ramp_share_is_the_average_of_a_linear_ramp():
    # output ramps 0 → 1 over L = 6 months; average over the first h months
    assert ramp_share(3, 6) == pytest.approx(0.25)  # ∫₀³ t/6 dt / 3
    assert ramp_share(6, 6) == pytest.approx(0.5)
    assert ramp_share(12, 6) == pytest.approx(0.75)  # (3 + 6) / 12
    assert ramp_share(24, 6) == pytest.approx(0.875)


def test_price_rise_with_demand_only_has_a_closed_form():
    # no spare capacity: D (1 − (1+π)^η) = X  →  π = (1 − X/D)^(1/η) − 1
    pi = clearing_price_rise(np.array([10.0, 0.0]), 100.0, np.array([50.0]), np.array([0.0]), 0.1, -0.1)
    assert pi[0] == pytest.approx(0.9 ** (-10) - 1, rel=1e-9)
    assert pi[1] == 0.0


@settings(max_examples=100, deadline=None)
@given(
    st.floats(1, 1000),
    st.floats(10, 5000),
    st.lists(st.floats(0, 500), min_size=1, max_size=5),
    st.floats(0.01, 1),
    st.floats(-1, -0.01),
)
def test_price_rise_clears_the_lost_volume_and_grows_with_it(lost, demand, prod, eps, eta):
    P = np.array(prod)
    K = 0.5 * P
    pi = clearing_price_rise(np.array([lost, 2 * lost]), demand, P, K, eps, eta)
    assert pi[1] >= pi[0] >= 0
    cleared = demand * (1 - (1 + pi[0]) ** eta) + np.minimum(P * ((1 + pi[0]) ** eps - 1), K).sum()
    if pi[0] < 100 * (1 - 1e-6):  # below the cap the market clears
        assert cleared == pytest.approx(lost, rel=1e-6)


def test_response_is_capped_by_spare_capacity_and_imposers_do_not_respond():
    P = np.array([1000.0, 100.0, 100.0])
    K = np.array([500.0, 5.0, 50.0])
    params = SupplyResponse(horizon_months=12, lead_months=6)
    Q, pi = response_capacity(np.array([300.0]), 200.0, P, K, np.array([False, True, True]), params)
    assert Q[0, 0] == 0.0
    full = np.minimum(P * ((1 + pi[0]) ** 0.1 - 1), K)
    np.testing.assert_allclose(Q[0, 1:], 0.75 * full[1:])
    assert Q[0, 1] == pytest.approx(0.75 * 5.0)  # the elasticity asks for more than 5 t: capped


def test_market_loss_nets_out_what_the_imposer_can_sell_around():
    assert market_loss(100.0, 30.0, redirect=True) == 70.0
    assert market_loss(100.0, 300.0, redirect=True) == 0.0
    assert market_loss(100.0, 300.0, redirect=False) == 100.0


def test_bad_parameters_are_refused():
    with pytest.raises(CritminError, match="horizon"):
        SupplyResponse(horizon_months=0)
    with pytest.raises(CritminError, match="demand elasticity"):
        SupplyResponse(demand_elasticity=0.2)
    with pytest.raises(CritminError, match="spare"):
        SupplyResponse(spare="lots")
    net = from_matrix(["A", "B"], [10.0, 0.0], np.array([[0, 5.0], [0, 0]]))
    with pytest.raises(CritminError, match="ds="):
        resolve(None, net, SupplyResponse())


def test_demonstrated_spare_capacity_is_the_recent_peak_minus_this_year(ds):
    net = build_network(ds, "graphite", "mine", 2023)
    K, label, notes = demonstrated_spare_capacity(ds, net, lookback_years=5)
    assert "WMD" in label and not notes
    prod = ds.production("graphite", "mine", range(2018, 2024), source="WMD")
    wide = prod.pivot_table(index="country", columns="year", values="tonnes", aggfunc="sum")
    for code in ("MOZ", "MDG", "BRA", "CHN"):
        peak = wide.loc[code, list(range(2018, 2023))].max()
        assert K[net.index(code)] == pytest.approx(max(peak - wide.loc[code, 2023], 0.0))
    assert K[net.index("MOZ")] > 0 and np.all(K >= 0)


def test_a_one_year_series_has_no_demonstrated_spare_capacity(ds):
    net = build_network(ds, "rare_earths", "refined", 2023)  # IEA refining shares: 2023 only
    K, _, notes = demonstrated_spare_capacity(ds, net)
    assert K.sum() == 0 and "no spare capacity" in notes[0]
    # a year later the one year (2023) stands in for 2024 and is also the whole history: still none, said
    net = build_network(ds, "lithium", "refined", 2024)
    K, _, notes = demonstrated_spare_capacity(ds, net)
    assert K.sum() == 0 and notes and "2023 only" in notes[0]


def test_response_lowers_the_graphite_ban_and_comes_from_producers_with_spare_capacity(ds):
    net = build_network(ds, "graphite", "mine", 2023)
    off = restrict(net, by="CHN", share=1.0)
    on = restrict(net, by="CHN", share=1.0, response=True, ds=ds)
    w = on.world()
    info = w["supply_response"]
    assert info["on"] is True and off.world()["supply_response"] == {"on": False}
    assert 0 < info["extra_output_tonnes"] <= info["capacity_tonnes"] + 1e-6
    assert w["shortfall_tonnes"] < off.world()["shortfall_tonnes"]
    c = on.countries().set_index("country")
    out = c[c["response_tonnes"] > 1e-6]
    assert "CHN" not in out.index
    K = resolve(ds, net, SupplyResponse()).spare_tonnes
    assert (out["response_tonnes"] <= K[[net.index(k) for k in out.index]] + 1e-6).all()
    # a full ban leaves nobody to redirect to
    assert info["redirected_tonnes"] == pytest.approx(0.0, abs=1e-6)


def test_redirect_sends_withheld_volume_to_non_targets_over_open_links(ds):
    net = build_network(ds, "rare_earths", "refined", 2023)
    off = restrict(net, by="CHN", targets=["JPN"], stocks={"JPN": 60})
    on = restrict(net, by="CHN", targets=["JPN"], stocks={"JPN": 60}, response=True, ds=ds)
    links = on.links(min_change=0.0)
    assert links.loc[(links.exporter == "CHN") & (links.importer == "JPN"), "flow_after_tonnes"].max() < 1e-9
    info = on.world()["supply_response"]
    assert info["redirected_tonnes"] > 0
    assert info["price_rise"] == pytest.approx(0.0)  # non-targets can absorb all of it: no price signal
    jpn_on = on.countries().set_index("country").loc["JPN", "shortfall_tonnes"]
    jpn_off = off.countries().set_index("country").loc["JPN", "shortfall_tonnes"]
    assert jpn_on < jpn_off


def test_sweep_with_response_equals_single_runs(ds):
    net = build_network(ds, "graphite", "mine", 2023)
    mc = sweep(net, draws=6, imposers="CHN", share=(0.3, 1.0), seed=5, ds=ds, response=True)
    inputs = resolve(ds, net, SupplyResponse())
    for i in range(6):
        one = run(
            net,
            [Restriction("CHN", float(mc.inputs.share[i]))],
            stocks=dict(zip(net.countries, mc.inputs.days[i], strict=True)),
            substitution=float(mc.inputs.substitution[i]),
            response=inputs,
        )
        np.testing.assert_allclose(mc.dC[i], one.result.dC, atol=1e-6)
        np.testing.assert_allclose(mc.dQ[i], one.result.dQ, atol=1e-6)
        assert mc.price_rise[i] == pytest.approx(one.price_rise)
    assert mc.world()["supply_response"]["on"] is True


def test_a_scenario_is_titled_in_words_not_ids():
    from critmin.scenarios.scenario import Restriction, scenario_name

    assert (
        scenario_name([Restriction("CHN", 1.0, ("JPN",))], "rare_earths", "refined", 2023)
        == "China bans exports of rare earth elements, refined stage, to Japan (2023 network)"
    )
    two = [Restriction("CHN", 0.5, ()), Restriction("RUS", 0.5, ())]
    assert scenario_name(two, "graphite", "mine", 2024).startswith(
        "China and Russia cut 50% of their exports of"
    )
