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
    b = org.trace_origin(ds, "ITA+ITA", "graphite", 2023).set_index("origin")["traced_share"]
    assert np.allclose(a.sort_index().to_numpy(), b.sort_index().to_numpy(), atol=1e-12)
    jpn_ita = org.trace_origin(ds, "JPN+ITA", "feldspar", 2023)
    assert jpn_ita["traced_share"].sum() == pytest.approx(1.0)
    # the merged node's own production is reported member by member (Italy mines feldspar, Japan little)
    own = jpn_ita[jpn_ita["own"]].set_index("origin")["traced_share"]
    assert set(own.index) <= {"JPN", "ITA"} and own["ITA"] > 0.3
    assert jpn_ita.loc[~jpn_ita["own"], "origin"].isin(["JPN", "ITA"]).sum() == 0


# -- a bloc as one node, and the share of a bloc's own production (--share-of EU27) ------------------------
# CHN produces 100 and ships 50 to NLD and 20 to USA; NLD produces nothing and re-exports 40 to ITA and 10
# to USA; DEU produces 30 and ships 10 to ITA and 5 to USA. The bloc is DEU+ITA+NLD.
HAND_PROD = {"CHN": 100.0, "DEU": 30.0}
HAND_TRADE = [("CHN", "NLD", 50.0), ("CHN", "USA", 20.0), ("NLD", "ITA", 40.0), ("NLD", "USA", 10.0),
              ("DEU", "ITA", 10.0), ("DEU", "USA", 5.0)]  # fmt: skip
HAND_BLOC = ("DEU", "ITA", "NLD")


def _hand_frames():
    import pandas as pd

    prod = pd.DataFrame({"country": list(HAND_PROD), "tonnes": list(HAND_PROD.values())})
    trade = pd.DataFrame(HAND_TRADE, columns=["exporter", "importer", "tonnes"])
    return prod, trade


def test_a_member_re_exporting_to_another_member_is_inside_the_bloc_hand_computed():
    prod, trade = _hand_frames()
    nodes, p, t = org._network(prod, trade, {m: "BLOC" for m in HAND_BLOC})
    i = org.node_pos(nodes)
    assert nodes == ["BLOC", "CHN", "USA"]
    # NLD→ITA and DEU→ITA are the bloc's own business; CHN→NLD is what the bloc imports from China
    assert t[i["CHN"], i["BLOC"]] == 50.0 and t[i["BLOC"], i["USA"]] == 15.0 and t.sum() == 85.0
    s = org.origin_shares(p, t)
    # the bloc's supply X = 30 own + 50 imported: 62.5 % Chinese, 37.5 % its own — all of it German
    assert s[i["CHN"], i["BLOC"]] == pytest.approx(50 / 80)
    assert s[i["BLOC"], i["BLOC"]] == pytest.approx(30 / 80)
    f = org.member_shares([HAND_PROD.get(m, 0.0) for m in HAND_BLOC], 0.0, [0.0] * 3, [5.0, 0.0, 10.0])
    assert f.tolist() == [1.0, 0.0, 0.0]
    # unmerged, the USA's 10 t from the Dutch hub are Chinese: 5/35 of its supply is the bloc's, 15/35 direct
    nodes, p, t = org._network(prod, trade, {})
    i = org.node_pos(nodes)
    s, d = org.origin_shares(p, t)[:, i["USA"]], org.direct_shares(p, t)[:, i["USA"]]
    bloc = [i[m] for m in HAND_BLOC]
    assert s[bloc].sum() == pytest.approx(5 / 35) and d[bloc].sum() == pytest.approx(15 / 35)
    assert s[i["CHN"]] == pytest.approx(30 / 35)


def _engine_arrays(networks, who):
    """The arrays the engine's SQL hands to ``solve_networks`` for hand networks: (nodes, production,
    flows, members of each node, party) per network; exporters first, as the engine orders them."""
    nets = {"nid": [], "m": [], "n": [], "n_flows": []}
    nodes = {"nid": [], "idx": [], "node": []}
    flows = {"nid": [], "i": [], "j": [], "t": [], "t_who": []}
    prod = {"nid": [], "idx": [], "t": [], "t_who": []}
    want = {"nid": [], "party": [], "j": []}
    for nid, (labels, production, trade, members, party) in enumerate(networks):
        exporters = {f[0] for f in trade}
        order = sorted(labels, key=lambda lab: (lab not in exporters, lab))
        idx = {lab: k for k, lab in enumerate(order)}
        nets["nid"].append(nid), nets["m"].append(len(exporters)), nets["n"].append(len(order))
        nets["n_flows"].append(len(trade))
        for lab in order:
            nodes["nid"].append(nid), nodes["idx"].append(idx[lab]), nodes["node"].append(lab)
        for a, b, tonnes, tonnes_who in trade:
            for key, v in zip(flows, (nid, idx[a], idx[b], tonnes, tonnes_who), strict=True):
                flows[key].append(v)
        for lab, tonnes in production.items():
            part = sum(tonnes_m for m, tonnes_m in members.get(lab, {lab: tonnes}).items() if m in who)
            for key, v in zip(prod, (nid, idx[lab], tonnes, part), strict=True):
                prod[key].append(v)
        want["nid"].append(nid), want["party"].append(party), want["j"].append(idx[party])
    arr = lambda d: {k: np.asarray(v) for k, v in d.items()}  # noqa: E731
    cap = {"nid": np.zeros(0, int), "idx": np.zeros(0, int), "t": np.zeros(0), "t_who": np.zeros(0)}
    return arr(nets), arr(nodes), arr(flows), arr(prod), cap, arr(want)


@pytest.mark.parametrize(
    ("who", "bloc_own", "usa_traced", "usa_direct"),
    [(set(HAND_BLOC), 30 / 80, 5 / 35, 15 / 35), ({"DEU"}, 30 / 80, 5 / 35, 5 / 35),
     ({"NLD"}, 0.0, 0.0, 10 / 35), ({"CHN"}, 50 / 80, 30 / 35, 20 / 35)],
)  # fmt: skip
def test_the_engine_counts_a_merged_blocs_own_production_towards_its_members(
    who, bloc_own, usa_traced, usa_direct
):
    """The cause of '--share-of EU27 reads 0 %': the bloc's merged node was no member of the bloc."""
    from critmin.indicators.engine.origin import solve_networks

    exported = lambda a, b, t: (a, b, t, t if a in who else 0.0)  # noqa: E731
    merged = (
        ["BLOC", "CHN", "USA"],
        {"CHN": 100.0, "BLOC": 30.0},
        # the bloc's 15 t to the USA: 5 from DEU, 10 from NLD
        [exported("CHN", "BLOC", 50.0), exported("CHN", "USA", 20.0),
         ("BLOC", "USA", 15.0, 5.0 * ("DEU" in who) + 10.0 * ("NLD" in who))],
        {"BLOC": {"DEU": 30.0}},
        "BLOC",
    )  # fmt: skip
    single = (
        ["CHN", "DEU", "ITA", "NLD", "USA"],
        HAND_PROD,
        [exported(a, b, t) for a, b, t in HAND_TRADE],
        {},
        "USA",
    )
    res = solve_networks(*_engine_arrays([merged, single], who))
    assert res["traced_who"][0] == pytest.approx(
        [bloc_own] * 3
    )  # every balancing option (nothing to balance)
    assert res["direct_who"][0] == pytest.approx(bloc_own)
    assert res["traced_who"][1] == pytest.approx([usa_traced] * 3)
    assert res["direct_who"][1] == pytest.approx(usa_direct)


def test_member_shares_split_implied_production_by_mine_output_else_exports():
    # members produce 0 and 30; the bloc's balancing implies 20 more
    assert org.member_shares([0.0, 30.0], 20.0, [10.0, 0.0], [5.0, 15.0]) == pytest.approx([0.4, 0.6])
    assert org.member_shares([0.0, 30.0], 20.0, [0.0, 0.0], [5.0, 15.0]) == pytest.approx([0.1, 0.9])
    assert org.member_shares([0.0, 0.0], 0.0, [0.0, 0.0], [0.0, 0.0]).tolist() == [0.0, 0.0]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(*(arrays(np.float64, n, elements=_tonnes) for _ in range(3)), st.just(n))
    ),
    _tonnes,
    st.data(),
)
def test_the_engines_wanted_weights_are_member_shares_summed(arrs, implied, data):
    from critmin.indicators.engine.origin import wanted_weights

    prod, cap, exports, n = arrs
    if implied > 0 and cap.sum() == 0 and exports.sum() == 0:
        exports = exports + 1.0  # implied production comes from exports
    who = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    f = org.member_shares(prod, implied, cap, exports)
    # the engine sees the bloc's totals and its wanted members' totals, one node of one network
    whole_and_part = [(np.array([[a.sum()]]), np.array([[(a * who).sum()]])) for a in (prod, cap, exports)]
    w_p, w_i = wanted_weights(*(x for pair in whole_and_part for x in pair))
    total = prod.sum() + implied
    if total > 0:
        assert (w_p[0, 0] * prod.sum() + w_i[0, 0] * implied) / total == pytest.approx(f[who].sum(), abs=1e-9)


def test_summary_reports_direct_and_traced_china_shares(ds):
    tab = org.trace_origin(ds, "ITA,JPN", "rare_earths", [2022, 2023], top=5)
    summ = org.origin_summary(tab)
    assert set(summ["party"]) == {"ITA", "JPN"} and set(summ["year"]) == {2022, 2023}
    assert (summ["traced_share"] > 0).all()
    assert (tab.groupby(["party", "year"])["traced_share"].sum() - 1).abs().max() < 1e-9


def _figure(cell: str, pattern: str) -> float:
    import re

    return float(re.search(pattern, cell).group(1).replace(",", ""))


def test_eu27_refined_rare_earths_china_share_against_published_figures(ds, shared_dir):
    """EU27, refined rare earths, 2024: the direct China share against Eurostat's import weight (D4 of the
    reference notes) and the traced share between it and the 2023 CRM study's EU sourcing (D3: LREE 85 %)."""
    import re

    from critmin.indicators.risk import risk

    notes = (shared_dir / "notes" / "reference-figures.md").read_text(encoding="utf-8")
    d3, d4 = (next(ln for ln in notes.splitlines() if ln.startswith(f"| {k} ")) for k in ("D3", "D4"))
    eurostat_china = _figure(d4, r"China ([\d.]+) %") / 100
    study_lree = float(re.search(r"\| 100 % / (\d+) %", d3).group(1)) / 100
    row = risk(ds, "EU27", ("origin",), 2024, "rare_earths").iloc[0]
    inputs = json.loads(row["inputs"])
    assert row["status"] == "ok"
    assert inputs["direct_share"] == pytest.approx(eurostat_china, abs=0.05)  # 45.9 % vs 46.3 %
    # re-exports (Japan, Norway, Vietnam ...) trace back to China: traced above direct, below the study's
    # sourcing share, which also counts Chinese concentrate refined elsewhere and magnets
    assert inputs["direct_share"] + 0.05 < row["value"] < study_lree
    assert row["value_low"] > inputs["direct_share"]
