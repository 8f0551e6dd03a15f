"""Stockpile sizing: pure formulas, the production-share proxy (gallium), the cascade path, errors, CLI."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.errors import NoDataError, UnknownValueError
from critmin.optimize import stockpile as sp


def test_scenario_coverage_hand_case():
    frac = np.array([[0.3, 0.0, 0.1, 0.0], [0.0, 0.0, 0.05, 0.0]])
    np.testing.assert_allclose(sp.scenario_coverage(frac, 0.0), [0.5, 0.75])
    np.testing.assert_allclose(sp.scenario_coverage(frac, 0.1), [0.75, 1.0])


def test_days_for_coverage_is_the_ceil_ck_th_threshold():
    d = [20.0, 0.0, np.inf, 10.0]
    assert sp.days_for_coverage(d, 0.5) == 10.0
    assert sp.days_for_coverage(d, 0.75) == 20.0
    assert sp.days_for_coverage(d, 0.25) == 0.0
    assert sp.days_for_coverage(d, 1.0) is None


def test_proxy_shortfall_hand_case():
    # producer 0 has 80 % of world output; a 50 % cut removes 40 % of supply; 73 days (= 0.2 y) cover half
    out = sp.proxy_shortfall([0.8, 0.2], [0, 1], [0.5, 1.0], [0.0, 73.0])
    np.testing.assert_allclose(out, [[0.4, 0.2], [0.2, 0.0]])


@given(st.lists(st.floats(0, 365), min_size=1, max_size=50), st.floats(0.01, 1.0))
def test_threshold_quantile_reaches_the_coverage(d, c):
    need = sp.days_for_coverage(d, c)
    arr = np.asarray(d)
    assert np.mean(arr <= need) >= c - 1e-12
    smaller = arr[arr < need]
    if smaller.size:
        assert np.mean(arr <= smaller.max()) < c


def test_gallium_uses_the_production_share_proxy(ds):
    r = sp.stockpile(ds, "JPN", "gallium", coverage=0.95, imposers="CHN", share=(0.5, 1.0), draws=400, seed=3)
    s = r.summary.iloc[0]
    assert s["method"] == "production-share proxy"
    assert "no HS92 code" in s["notes"] and "upper bound" in s["notes"]
    # independent recomputation: d* = 365 × the ⌈0.95 K⌉-th smallest σ·π_CHN
    prod = ds.production("gallium", "refined", int(s["year"]), source=s["source"])
    pi = prod.loc[prod["country"] == "CHN", "tonnes"].sum() / prod["tonnes"].sum()
    rng = np.random.default_rng(3)
    rng.choice(1, size=400, p=[1.0])  # the imposer draw comes first
    sigma = rng.uniform(0.5, 1.0, 400)
    expected = np.ceil(365 * np.sort(sigma * pi)[int(np.ceil(0.95 * 400)) - 1] - 1e-9)
    assert s["required_days"] == expected
    assert not s["jogmec_sufficient"] and s["coverage_at_jogmec"] == 0.0
    assert np.isnan(s["consumption_tonnes"])


def test_cascade_required_days_are_consistent_with_the_curve(ds):
    r = sp.stockpile(ds, "JPN", "rare_earths", "refined", 2023, coverage=0.9, draws=40, imposers="CHN")
    s, curve = r.summary.iloc[0], r.curve
    assert s["method"] == "cascade"
    assert curve["coverage"].is_monotonic_increasing
    d = s["required_days"]
    ok = curve[curve["coverage"] >= 0.9]["stock_days"]
    # the refined answer lies between the last grid level that fails and the first that works
    assert d <= ok.min() and d > curve[curve["coverage"] < 0.9]["stock_days"].max()
    assert s["coverage_at_jogmec"] == pytest.approx(curve.set_index("stock_days").loc[60.0, "coverage"])
    assert s["required_stock_tonnes"] == pytest.approx(d / 365 * s["consumption_tonnes"])
    coarse = sp.stockpile(
        ds, "JPN", "rare_earths", "refined", 2023, coverage=0.9, draws=40, imposers="CHN", refine=False
    )
    assert coarse.required_days == ok.min()


def test_more_coverage_needs_more_stock_and_a_looser_target_less(ds):
    kw = dict(draws=40, imposers="CHN", seed=1)
    base = sp.stockpile(ds, "JPN", "rare_earths", "refined", 2023, coverage=0.8, **kw).required_days
    more = sp.stockpile(ds, "JPN", "rare_earths", "refined", 2023, coverage=0.99, **kw).required_days
    loose = sp.stockpile(
        ds, "JPN", "rare_earths", "refined", 2023, coverage=0.8, target=0.1, **kw
    ).required_days
    short = sp.stockpile(
        ds, "JPN", "rare_earths", "refined", 2023, coverage=0.8, duration_days=90, **kw
    ).required_days
    assert more >= base >= loose
    assert short < base


def test_errors_are_clear(ds):
    with pytest.raises(UnknownValueError, match="stockpiles are sized per country"):
        sp.stockpile(ds, "JPN+ITA", "rare_earths", "refined", 2023, draws=10)
    with pytest.raises(UnknownValueError, match="coverage"):
        sp.stockpile(ds, "JPN", "rare_earths", "refined", 2023, coverage=1.5)
    with pytest.raises(NoDataError, match="net exporter"):
        sp.stockpile(ds, "MYS", "rare_earths", "refined", 2023, draws=10, imposers="CHN")
    with pytest.raises(UnknownValueError, match="producer of gallium"):
        sp.stockpile(ds, "JPN", "gallium", imposers="FRA", draws=10)


def test_cli_stockpile_gallium(store_path, tmp_path):
    from typer.testing import CliRunner

    from critmin.cli.main import app

    out = tmp_path / "curve.csv"
    res = CliRunner().invoke(
        app,
        [
            "--db",
            str(store_path),
            "stockpile",
            "--for",
            "JPN",
            "--commodity",
            "gallium",
            "--coverage",
            "0.95",
            "--draws",
            "200",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "production-share proxy" in res.output and "JOGMEC target, 60 days" in res.output
    assert out.read_text().startswith("country,commodity,stage,year,method,stock_days,coverage")


def test_registry_imposers_are_read_on_the_analysis_year(ds):
    # gallium (production-share proxy): China's licences were announced in July 2023. Read at the end of
    # 2022 the registry has no gallium history yet; a reading that ignored dates would still find China
    r = sp.stockpile(ds, "JPN", "gallium", draws=20, as_of="2023-12-31")
    s = r.summary.iloc[0]
    assert s["imposers"] == '{"CHN": 1.0}'
    assert s["imposer_weights"].startswith("restriction registry as of 2023-12-31")
    with pytest.raises(NoDataError, match="as of 2022-12-31"):
        sp.stockpile(ds, "JPN", "gallium", draws=20, as_of="2022-12-31")
    # the cascade path (graphite, mine stage) reads it the same way
    with pytest.raises(NoDataError, match="as of 2020-06-30"):
        sp.stockpile(ds, "JPN", "graphite", "mine", 2023, draws=20, as_of="2020-06-30")


def test_cli_as_of_applies_to_registry_imposers_and_not_to_given_ones(store_path):
    from typer.testing import CliRunner

    from critmin.cli.main import app

    base = ["--db", str(store_path), "stockpile", "--for", "JPN", "--commodity", "gallium", "--draws", "20"]
    ok = CliRunner().invoke(app, [*base, "--as-of", "2024-06-30"])
    assert ok.exit_code == 0, ok.output
    assert "registry as of 2024-06-30" in ok.output
    refused = CliRunner().invoke(app, [*base, "--imposers", "CHN", "--as-of", "2024-06-30"])
    assert refused.exit_code != 0
    assert "nothing reads here" in str(refused.exception)
