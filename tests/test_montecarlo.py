"""Monte Carlo sweeps: each draw is the same cascade as a single run; quantiles, seeds, stock sweeps."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from critmin.errors import CritminError, NoDataError, UnknownValueError
from critmin.scenarios.montecarlo import imposer_probabilities, stock_sweep, sweep
from critmin.scenarios.network import build_network, from_matrix
from critmin.scenarios.scenario import Restriction, run


@pytest.fixture(scope="module")
def graphite(ds):
    return build_network(ds, "graphite", "mine", 2023)


def test_every_draw_is_the_single_scenario_with_its_inputs(graphite):
    mc = sweep(
        graphite,
        draws=12,
        imposers={"CHN": 0.6, "MOZ": 0.4},
        share=(0.3, 1.0),
        targets=["USA", "JPN"],
        stocks={"JPN": (0, 90)},
        default_stock_days=(0, 20),
        substitution=(0, 0.3),
        seed=7,
        chunk_size=5,
    )
    p = mc.params()
    for i in (0, 5, 11):
        days = dict(zip(graphite.countries, mc.inputs.days[i], strict=True))
        one = run(
            graphite,
            [Restriction(p.imposer[i], p.share[i], ("USA", "JPN"))],
            stocks=days,
            substitution=p.substitution[i],
        )
        np.testing.assert_allclose(mc.dC[i], one.result.dC, atol=1e-6)
        np.testing.assert_allclose(mc.dR[i], one.result.dR, atol=1e-6)
    assert set(p.imposer) == {"CHN", "MOZ"}
    assert mc.converged.all()


def test_results_do_not_depend_on_chunking_and_follow_the_seed(graphite):
    kw = dict(draws=30, imposers="CHN", share=(0.5, 1.0), default_stock_days=(0, 60), substitution=(0, 0.2))
    a = sweep(graphite, seed=1, chunk_size=7, **kw)
    b = sweep(graphite, seed=1, chunk_size=30, **kw)
    c = sweep(graphite, seed=2, **kw)
    np.testing.assert_array_equal(a.dC, b.dC)
    assert not np.allclose(a.dC, c.dC)


def test_summary_quantiles_are_ordered_and_match_numpy(graphite):
    mc = sweep(graphite, draws=200, imposers="CHN", share=(0.2, 1.0), default_stock_days=(0, 60), seed=3)
    s = mc.summary().set_index("country")
    assert (s["shortfall_p50_tonnes"] <= s["shortfall_p90_tonnes"] + 1e-9).all()
    assert (s["shortfall_p90_tonnes"] <= s["shortfall_p99_tonnes"] + 1e-9).all()
    assert (s["days_of_cover_p1"] <= s["days_of_cover_p50"]).all()
    i = graphite.index("USA")
    assert s.loc["USA", "shortfall_p90_tonnes"] == pytest.approx(np.quantile(-mc.dC[:, i], 0.9))
    tiny = 1e-9 * np.abs(mc.shock).sum(axis=1).max()  # below this a shortfall is the cascade's rounding
    assert s.loc["USA", "p_shortfall"] == pytest.approx(float((-mc.dC[:, i] > tiny).mean()))
    w = mc.world()
    assert w["world_shortfall_p50_tonnes"] <= w["world_shortfall_p99_tonnes"]
    assert {"source", "edition"} <= set(s.columns)


def _measure(id, imposer, start, end=None, commodities=("graphite",), status="in_force", **kw) -> dict:
    """A reviewed registry record (the fields the dated reading uses)."""
    return {
        "id": id, "imposer": imposer, "commodities": list(commodities), "targets": [], "end_uses": None,
        "announced_date": None, "effective_date": start, "end_date": end, "status": status, "reviewed": True,
        "relaxes": [], **kw,
    }  # fmt: skip


def test_registry_history_gives_imposer_probabilities(graphite):
    # the seed's graphite licences (announced October 2023) are the only graphite history by 31 Dec 2023
    assert imposer_probabilities(graphite) == {"CHN": 1.0}
    recs = pd.DataFrame(
        [
            _measure("c1", "CHN", "2021-01-01"),
            _measure("c2", "CHN", "2022-01-01"),
            _measure("c3", "CHN", "2022-06-01", commodities=("critical_minerals",)),
            _measure("m1", "MOZ", "2023-01-01"),
            _measure("x1", "XXX", "2023-01-01"),  # not an exporter of the network
            _measure("c4", "CHN", "2021-01-01", commodities=("cobalt",)),  # another mineral
            _measure("u1", "MOZ", "2022-01-01", reviewed=False),  # a news proposal not yet reviewed
        ]
    )
    assert imposer_probabilities(graphite, recs) == {"CHN": 0.75, "MOZ": 0.25}
    lonely = from_matrix(
        ["AAA", "BBB"], [1, 0], np.array([[0, 1.0], [0, 0]]), commodity="graphite", year=2023
    )
    with pytest.raises(NoDataError, match="pass imposers explicitly"):
        imposer_probabilities(lonely, recs)


def test_imposer_probabilities_read_the_registry_on_the_analysis_year(graphite):
    # China's measure was lifted on 1 Jan 2020; Mozambique's has been in force since 2022
    recs = [
        _measure("c", "CHN", "2015-01-01", "2020-01-01", status="lifted"),
        _measure("m", "MOZ", "2022-01-01"),
    ]
    # a 2023 analysis (31 Dec 2023): China's lifted measure is 4.0 years old, weight 0.5 ** (4.0 / 5)
    w_chn = 0.5 ** ((dt.date(2023, 12, 31) - dt.date(2020, 1, 1)).days / 365.25 / 5)
    p = imposer_probabilities(graphite, recs)
    assert p == pytest.approx({"MOZ": 1 / (1 + w_chn), "CHN": w_chn / (1 + w_chn)})
    assert p["CHN"] < 0.5  # counted at full weight it would be 0.5
    # read in 2019, China's measure is in force and Mozambique's not yet announced
    assert imposer_probabilities(graphite, recs, as_of="2019-06-30") == {"CHN": 1.0}
    # before anything was announced there is no history to draw from
    with pytest.raises(NoDataError, match="as of 2014-12-31"):
        imposer_probabilities(graphite, recs, as_of="2014-12-31")


def test_sweep_reports_the_day_it_read_the_registry_on(graphite, ds):
    mc = sweep(graphite, draws=5, ds=ds, as_of="2024-06-30")
    assert mc.world()["imposers_from"].startswith("restriction registry as of 2024-06-30")
    assert sweep(graphite, draws=5, imposers="CHN").world()["imposers_from"] == "given"


def test_stock_sweep_uses_common_draws_and_stocks_help(graphite):
    df = stock_sweep(
        graphite,
        "JPN",
        [0, 30, 90],
        draws=40,
        imposers="CHN",
        share=(0.5, 1.0),
        substitution=(0, 0.2),
        seed=4,
    )
    assert len(df) == 120 and set(df.stock_level_days) == {0, 30, 90}
    wide = df.pivot(index="draw", columns="stock_level_days", values="shortfall_tonnes")
    shares = df.pivot(index="draw", columns="stock_level_days", values="share")
    assert (shares.nunique(axis=1) == 1).all()  # same draw, same inputs at every level
    assert (wide[90] <= wide[0] + 1e-6).all()
    assert df.groupby("stock_level_days")["shortfall_tonnes"].mean().is_monotonic_decreasing


def test_bad_inputs_are_refused(graphite):
    with pytest.raises(CritminError, match="share"):
        sweep(graphite, draws=5, imposers="CHN", share=(0.5, 1.5))
    with pytest.raises(UnknownValueError, match="Chna"):
        sweep(graphite, draws=5, imposers="Chna")
    with pytest.raises(CritminError, match="draws"):
        sweep(graphite, draws=0, imposers="CHN")
