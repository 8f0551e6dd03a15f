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
