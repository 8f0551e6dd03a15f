"""Networks built from the embedded data, and restriction scenarios on them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from critmin.errors import NoDataError, UnknownValueError
from critmin.scenarios.network import build_network
from critmin.scenarios.scenario import restrict


@pytest.fixture(scope="module")
def graphite(ds):
    return build_network(ds, "graphite", "mine", 2023)


def test_network_matches_baci_and_production(ds, graphite):
    tr = ds.trade("graphite", "mine", 2023)
    known = tr.dropna(subset=["tonnes"])
    # flows are BACI tonnes summed over HS 250410/250490 (factor 1.0); missing quantities are imputed on top
    assert graphite.flow.sum() >= known.loc[known.exporter != known.importer, "tonnes"].sum() - 1e-6
    assert graphite.basis == "graphite" and "BACI" in graphite.source
    chn = graphite.index("CHN")
    prod = ds.production("graphite", "mine", 2023, source="WMD")
    assert graphite.production[chn] == pytest.approx(float(prod.loc[prod.country == "CHN", "tonnes"].sum()))
    np.testing.assert_allclose(
        graphite.consumption, graphite.production + graphite.imports - graphite.exports
    )
    assert "ROW" not in graphite.countries


def test_content_factor_converts_antimony_concentrates(ds):
    net = build_network(ds, "antimony", "mine", 2023)
    tr = ds.trade("antimony", "mine", 2023).dropna(subset=["tonnes"])
    assert net.basis == "Sb"
    # 0.5 t Sb per tonne of concentrate (catalogue), so the network carries about half the gross tonnes
    assert net.flow.sum() == pytest.approx(0.5 * tr.loc[tr.exporter != tr.importer, "tonnes"].sum(), rel=0.05)


def test_full_network_has_every_trading_country(ds):
    net = build_network(ds, "graphite", "mine", 2023, countries="all")
    assert net.n > 220


def test_bad_requests_say_what_is_wrong(ds, graphite):
    with pytest.raises(NoDataError, match="no HS92 code"):
        build_network(ds, "gallium", "refined", 2023)
    with pytest.raises(NoDataError, match=r"no BACI flows"):
        build_network(ds, "graphite", "mine", 1990)
    with pytest.raises(UnknownValueError, match="Japn"):
        graphite.index("Japn")


def test_destination_ban_on_real_network_balances_and_uses_stocks(graphite):
    r = restrict(graphite, by="CHN", targets=["USA"], stocks={"USA": 60})
    w = r.world()
    usa = r.countries().set_index("country").loc["USA"]
    # the initial shock is China's exports to the USA, all of it
    chn_usa = graphite.flow[
        (graphite.src == graphite.index("CHN")) & (graphite.dst == graphite.index("USA"))
    ].sum()
    assert w["initial_shock_tonnes"] == pytest.approx(chn_usa)
    # what the world lost: stocks, consumption, and China's own import losses covered from what it withholds
    lost = w["delta_stocks_tonnes"] + w["delta_consumption_tonnes"] - w["withheld_used_tonnes"]
    assert lost == pytest.approx(-chn_usa, rel=1e-9)
    assert usa["direct_loss_tonnes"] == pytest.approx(chn_usa)
    assert usa["stocks_tonnes"] == pytest.approx(60 / 365 * usa["consumption_tonnes"])
    assert usa["delta_stocks_tonnes"] < 0 and w["converged"]
    # the US made up part of the loss with imports from others
    links = r.links()
    assert (links[(links.importer == "USA") & (links.exporter != "CHN")]["delta_tonnes"] > 0).any()
    doc = json.loads(r.to_json())
    assert doc["world"]["commodity"] == "graphite" and doc["countries"][0]["country"]


def test_more_stocks_never_raise_the_targets_shortfall(graphite):
    prev = np.inf
    for days in (0, 30, 60, 120):
        r = restrict(graphite, by="CHN", targets=["JPN"], stocks={"JPN": days})
        jpn = r.countries().set_index("country").loc["JPN", "shortfall_tonnes"]
        assert jpn <= prev + 1e-6
        prev = jpn
