"""The two cases of issue 16, on the embedded data: China's rare-earth ban on Japan (2023) and the graphite
sweep (2023). Both failed before the cascade semantics were fixed (China cut third countries because of its
own import losses; the Philippines lost more than Japan; 18 countries lost more graphite than they consume)."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.scenarios.montecarlo import sweep
from critmin.scenarios.network import build_network
from critmin.scenarios.scenario import restrict


@pytest.fixture(scope="module")
def ree(ds):
    return build_network(ds, "rare_earths", "refined", 2023)


@pytest.fixture(scope="module")
def ree_ban(ree):
    return restrict(ree, by="CHN", share=1.0, targets=["JPN"], stocks={"JPN": 60})


def test_china_covers_its_own_import_losses_from_what_it_withholds(ree, ree_ban):
    links = ree_ban.links(min_change=0.0)
    from_china = links[(links.exporter == "CHN") & (links.importer != "JPN")]
    tiny = 1e-9 * ree_ban.world()["restricted_tonnes"]
    # China's exports to third countries do not fall because of China's own import loss
    assert (from_china["delta_tonnes"] >= -tiny).all()
    c = ree_ban.countries().set_index("country")
    chn = c.loc["CHN"]
    assert chn["retained_tonnes"] == pytest.approx(
        ree.flow[(ree.src == ree.index("CHN")) & (ree.dst == ree.index("JPN"))].sum()
    )
    assert chn["delta_imports_tonnes"] < 0  # Japan and others do cut what they sell to China ...
    assert chn["withheld_used_tonnes"] == pytest.approx(-chn["delta_imports_tonnes"], rel=1e-9)  # ... covered
    assert chn["withheld_used_tonnes"] < chn["retained_tonnes"]
    assert chn["shortfall_tonnes"] == pytest.approx(0.0, abs=tiny)


def test_the_target_loses_more_than_the_countries_it_supplies(ree_ban):
    c = ree_ban.countries().set_index("country")
    lost = c["shortfall_tonnes"] - c["delta_stocks_tonnes"]  # consumption lost + stocks drawn
    assert c.loc["JPN", "shortfall_tonnes"] > c.loc["PHL", "shortfall_tonnes"]
    assert lost.idxmax() == "JPN"
    # Japan rations: it keeps supplying its customers in proportion, so its exports do not drop to zero
    assert c.loc["JPN", "delta_exports_tonnes"] > -c.loc["JPN", "exports_tonnes"] * 0.9


def test_no_shortfall_exceeds_consumption_in_the_rare_earth_ban(ree_ban):
    c = ree_ban.countries()
    assert (c["shortfall_tonnes"] <= c["consumption_tonnes"].clip(lower=0) * (1 + 1e-9) + 1e-6).all()
    neg = c[c["consumption_tonnes"] < 0]
    assert len(neg) > 0 and (neg["shortfall_tonnes"].abs() < 1e-6).all()


@pytest.mark.parametrize("response", [False, True])
def test_graphite_sweep_never_takes_more_than_a_country_consumes(ds, response):
    net = build_network(ds, "graphite", "mine", 2023)
    mc = sweep(
        net,
        draws=1000,
        imposers="registry",
        share=(0.5, 1.0),
        substitution=(0.0, 0.2),
        seed=0,
        ds=ds,
        response=response,
    )
    cons = np.maximum(net.consumption, 0.0)
    assert mc.exceedances() == 0
    # exact to the cascade's convergence tolerance (1e-10 of the shock, booked to consumption at the end)
    tol = 1e-9 * np.abs(mc.shock).sum(axis=1).max()
    assert np.all(mc.shortfall <= cons[None, :] + tol)
    # Madagascar and Mozambique export more than WMD says they produce: nothing to lose in any draw
    for code in ("MDG", "MOZ"):
        i = net.index(code)
        assert net.consumption[i] < 0
        assert np.abs(mc.shortfall[:, i]).max() < tol
    assert mc.world()["shortfall_above_consumption"] == 0
    assert mc.world()["supply_response"]["on"] is response


def test_a_negligible_loss_does_not_switch_off_the_worlds_second_graphite_exporter(ds):
    """China cutting 75 % of its graphite exports (2023) takes ~5 t of Mozambique's 7 t of imports — 0.005 %
    of the 112,610 t it exports. Under the paper's all-or-nothing rule that made Mozambique 'shocked' and
    closed to extra draws, so the USA could not buy more there; with the continuous closure it can."""
    net = build_network(ds, "graphite", "mine", 2023)
    moz, usa = net.index("MOZ"), net.index("USA")
    link = (net.src == moz) & (net.dst == usa)
    paper = restrict(net, by="CHN", share=0.75, substitution=0.1, closure=0.0)
    default = restrict(net, by="CHN", share=0.75, substitution=0.1)
    lost = -default.initial.shock[moz]
    assert 0 < lost < 1e-4 * net.exports[moz]
    assert paper.result.dF[link].sum() <= 1e-9  # closed: not drawn on
    assert default.result.dF[link].sum() > 0.01 * default.initial.removed.sum()  # open: the USA draws on it
    short = {
        r: res.countries().set_index("country").loc["USA", "shortfall_tonnes"]
        for r, res in (("paper", paper), ("default", default))
    }
    assert short["default"] < short["paper"]
