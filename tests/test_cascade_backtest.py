"""The back-test helper: observed cut, simulated vs observed redistribution tables."""

from __future__ import annotations

import pytest

from critmin.scenarios.backtest import backtest
from critmin.scenarios.network import build_network


def test_antimony_backtest_compares_like_with_like(ds):
    r = backtest(ds, "antimony", "mine", "CHN", 2023, 2024, stock_days=(0.0,), substitution=(0.0,))
    n23 = build_network(ds, "antimony", "mine", 2023)
    n24 = build_network(ds, "antimony", "mine", 2024)
    e23 = n23.flow[n23.src == n23.index("CHN")].sum()
    e24 = n24.flow[n24.src == n24.index("CHN")].sum()
    assert r["imposer_exports_t0_tonnes"] == pytest.approx(e23)
    assert r["observed_share_cut"] == pytest.approx(1 - e24 / e23)
    assert r["hs6"] == ["261710"] and r["basis"] == "Sb"
    calibrated, ban = r["runs"]
    assert calibrated["share"] == pytest.approx(r["observed_share_cut"]) and ban["share"] == 1.0
    # a ban removes exactly China's 2023 exports; the calibrated run the observed fraction of them
    assert ban["restricted_tonnes"] == pytest.approx(e23)
    assert calibrated["restricted_tonnes"] == pytest.approx(e23 - e24, rel=1e-9)
    top = ban["top_importers"][0]
    assert top["direct_sim_tonnes"] == pytest.approx(-top["imports_from_imposer_t0_tonnes"])
    for key in ("redistribution_by_importer", "exports_of_other_suppliers"):
        assert {"n", "pearson", "spearman", "sign_agreement"} <= set(ban[key])


def test_wape_of_a_no_change_forecast_is_one():
    import pandas as pd

    from critmin.scenarios.backtest import errors, wape

    obs = pd.Series([10.0, -30.0, 0.0])
    assert wape(pd.Series([0.0, 0.0, 0.0]), obs) == pytest.approx(1.0)
    assert wape(obs, obs) == 0.0
    # |12 − 10| + |−20 + 30| + |5 − 0| = 17 over Σ|obs| = 40
    e = errors(pd.Series([12.0, -20.0, 5.0]), obs)
    assert e["wape"] == pytest.approx(17 / 40) and e["mae_tonnes"] == pytest.approx(17 / 3)
    assert e["total_sim_tonnes"] == -3.0 and e["total_obs_tonnes"] == -20.0
    assert wape(obs, pd.Series([0.0, 0.0, 0.0])) is None


def test_backtest_runs_with_and_without_supply_response(ds):
    from critmin.scenarios.response import SupplyResponse

    r = backtest(ds, "graphite", "mine", "CHN", 2023, 2024, shares=(1.0,), responses=(None, SupplyResponse()))
    off, on = r["runs"]
    assert off["supply_response"] == {"on": False} and on["supply_response"]["on"] is True
    assert off["response_tonnes"] == 0 and on["response_tonnes"] > 0
    for run in (off, on):
        err = run["redistribution_by_importer"]["error"]
        assert err["total_obs_tonnes"] == pytest.approx(run["total_redistribution_obs_tonnes"])
        assert err["wape"] is not None and err["wape"] >= 0
    # with other producers' idle capacity, more reaches China's former customers than without
    assert on["total_redistribution_sim_tonnes"] > off["total_redistribution_sim_tonnes"]
