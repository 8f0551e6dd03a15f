"""Origin tracing through re-exports (Kastner et al. 2011): hand cases, invariants, the rare-earth story."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from critmin.indicators import origin as org

EU27 = {
    "AUT",
    "BEL",
    "BGR",
    "CYP",
    "CZE",
    "DEU",
    "DNK",
    "ESP",
    "EST",
    "FIN",
    "FRA",
    "GRC",
    "HRV",
    "HUN",
    "IRL",
    "ITA",
    "LTU",
    "LUX",
    "LVA",
    "MLT",
    "NLD",
    "POL",
    "PRT",
    "ROU",
    "SVK",
    "SVN",
    "SWE",
}


def test_a_hub_passes_its_suppliers_origin_on():
    # 0 = China produces 100 and exports 60 to the hub 1; the hub (no production) sends 30 to 2 (no production)
    p = np.array([100.0, 0.0, 0.0])
    t = np.zeros((3, 3))
    t[0, 1] = 60.0
    t[1, 2] = 30.0
    s = org.origin_shares(p, t)
    d = org.direct_shares(p, t)
    assert d[1, 2] == 1.0 and d[0, 2] == 0.0  # the importer sees the hub
    assert s[0, 2] == pytest.approx(1.0) and s[1, 2] == pytest.approx(0.0)  # tracing finds China
    assert np.allclose(s.sum(axis=0), 1.0)


def test_a_mixed_hub_hand_computed():
    # producers A (P=80) and B (P=20); hub H produces 10 and imports 40 from A and 10 from B, exports 30 to C
    p = np.array([80.0, 20.0, 10.0, 0.0])
    t = np.zeros((4, 4))
    t[0, 2], t[1, 2], t[2, 3] = 40.0, 10.0, 30.0
    s = org.origin_shares(p, t)
    # H's supply X = 60: 40/60 A, 10/60 B, 10/60 own; C gets the same mix
    assert s[:, 3] == pytest.approx([40 / 60, 10 / 60, 10 / 60, 0.0])
    assert s[:, 2] == pytest.approx([40 / 60, 10 / 60, 10 / 60, 0.0])
    assert org.total_supply(p, t) == pytest.approx([80, 20, 60, 30])


def test_a_country_without_supply_has_no_origin():
    s = org.origin_shares([0.0, 5.0], [[0.0, 0.0], [0.0, 0.0]])
    assert np.isnan(s[:, 0]).all() and s[1, 1] == 1.0


def test_balance_production_attributes_unexplained_exports_to_the_exporter_within_the_cap():
    p = np.array([0.0, 0.0])
    t = np.array([[0.0, 100.0], [0.0, 0.0]])  # country 0 exports 100 with no production nor imports
    p2, implied = org.balance_production(p, t, cap=[10.0, 0.0])
    assert implied[0] == 100.0  # no supply at all: always its own origin
    p = np.array([0.0, 0.0, 50.0])
    t = np.zeros((3, 3))
    t[2, 0], t[0, 1] = 5.0, 100.0  # 0 imports 5, exports 100: excess 95, capped at its mine output 10
    p2, implied = org.balance_production(p, t, cap=[10.0, 0.0, 0.0])
    assert implied.tolist() == [10.0, 0.0, 0.0]
    assert org.origin_shares(p2, t)[:, 1] == pytest.approx([10 / 15, 0.0, 5 / 15])


# -- invariants (hypothesis) -------------------------------------------------------------------------------
# tonnes: zero or at least a kilogram (denormal-sized production makes I − A numerically singular)
_tonnes = st.one_of(st.just(0.0), st.floats(1e-3, 1e3, allow_nan=False))


def _network(n):
    return st.tuples(arrays(np.float64, n, elements=_tonnes), arrays(np.float64, (n, n), elements=_tonnes))


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 7).flatmap(_network))
def test_traced_shares_sum_to_one_and_are_non_negative(net):
    p, t = net
    p = p + 1.0  # every country produces something: origins are always defined
    s = org.origin_shares(p, t)
    assert np.allclose(s.sum(axis=0), 1.0, atol=1e-9)
    assert (s >= -1e-12).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 7).flatmap(_network), st.data())
def test_without_re_exports_origin_equals_direct(net, data):
    p, t = net
    n = p.size
    # split countries into exporters (produce, never import) and importers (never export)
    exporters = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    t = t.copy()
    t[~exporters, :] = 0.0
    t[:, exporters] = 0.0
    p = np.where(exporters, p + 1.0, p)
    s = org.origin_shares(p, t)
    d = org.direct_shares(p, t)
    ok = ~np.isnan(d).all(axis=0)
    assert np.allclose(s[:, ok], d[:, ok], atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 6).flatmap(_network))
def test_traced_columns_are_complete_or_undefined_never_partial(net):
    # after balancing, a column either sums to 1 or is undefined (NaN) — the latter only for a closed loop
    # of non-producers trading among themselves, which no production reaches (found by hypothesis)
    p, t = net
    p2, _ = org.balance_production(p, t)
    s = org.origin_shares(p2, t)
    x = org.total_supply(p2, t)
    for j in np.flatnonzero(x > 0):
        col = s[:, j]
        assert np.isnan(col).all() or (np.isclose(col.sum(), 1.0, atol=1e-9) and (col >= -1e-12).all())
    if (p2 > 0).all():
        assert np.allclose(s.sum(axis=0), 1.0, atol=1e-9)


# -- the embedded data: Italy and Japan, rare earths (refined stage) -----------------------------------------
def test_italy_direct_rare_earth_suppliers_are_eu_neighbours_but_trace_back_to_china(ds):
    tab = org.trace_origin(ds, "ITA", "rare_earths", 2023, stage="refined")
    direct_eu = tab.loc[tab["origin"].isin(EU27), "direct_share"].sum()
    direct_chn = tab.loc[tab["origin"] == "CHN", "direct_share"].sum()
    traced_eu = tab.loc[tab["origin"].isin(EU27), "traced_share"].sum()
    traced_chn = tab.loc[tab["origin"] == "CHN", "traced_share"].sum()
    assert direct_eu > 0.5 and direct_eu > direct_chn  # Austria, the Netherlands, France ...
    assert traced_eu < 0.05  # EU members refine no rare earths of their own
    assert traced_chn > direct_chn + 0.1
    assert tab["traced_share"].sum() == pytest.approx(1.0)
    # production and trade are both in t REO (the data layer's basis): no scaling to mine output needed
    flags = json.loads(tab["flags"].iloc[0])
    assert "gross_weight_as_production_basis" not in flags
    assert not any(f.startswith("production_scaled_to_mine_total") for f in flags)


def test_japan_rare_earths_traced_through_hubs(ds):
    tab = org.trace_origin(ds, "JPN", "rare_earths", 2023, stage="refined").set_index("origin")
    hubs = [h for h in ("FRA", "EST", "VNM", "AUT") if h in tab.index]
    assert hubs
    # hubs that refine no rare earths of their own shrink once traced; Malaysia's refined output is
    # Malaysian at this stage (Australia's concentrate to it is mine-stage trade, not a refined origin)
    assert tab.loc[hubs, "traced_share"].sum() < tab.loc[hubs, "direct_share"].sum()
    assert tab.loc["CHN", "traced_share"] > 0.35
    assert tab.loc["MYS", "traced_share"] > 0.05
    assert tab["traced_share"].get("AUS", 0.0) < 0.01
    assert tab["traced_share"].sum() == pytest.approx(1.0)


def test_a_bloc_is_traced_as_one_node_and_a_bloc_of_one_equals_the_country(ds):
    a = org.trace_origin(ds, "ITA", "graphite", 2023).set_index("origin")["traced_share"]
    b = org.trace_origin(ds, "ITA+ITA", "graphite", 2023)
    b = b.assign(origin=b["origin"].replace({"ITA+ITA": "ITA"})).set_index("origin")["traced_share"]
    assert np.allclose(a.sort_index().to_numpy(), b.sort_index().to_numpy(), atol=1e-12)
    jpn_ita = org.trace_origin(ds, "JPN+ITA", "graphite", 2023)
    assert jpn_ita["traced_share"].sum() == pytest.approx(1.0)
    assert not jpn_ita["origin"].isin(["JPN", "ITA"]).any()  # members are merged into the bloc node


def test_summary_reports_direct_and_traced_china_shares(ds):
    tab = org.trace_origin(ds, "ITA,JPN", "rare_earths", [2022, 2023], top=5)
    summ = org.origin_summary(tab)
    assert set(summ["party"]) == {"ITA", "JPN"} and set(summ["year"]) == {2022, 2023}
    assert (summ["traced_share"] > 0).all()
    assert (tab.groupby(["party", "year"])["traced_share"].sum() - 1).abs().max() < 1e-9
