"""Projected concentration, world balance, demand growth and a party's need (critmin.outlook)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from critmin.errors import UnknownValueError
from critmin.outlook import iea
from critmin.outlook.concentration import projected_concentration, stage_demand, world_balance


def _supply(rows):
    df = pd.DataFrame(rows, columns=["commodity", "stage", "country", "year", "supply_kt"])
    df["projection"] = df["year"] > 2023
    df["basis"], df["source"], df["edition"], df["case"] = "Cu", "IEA", "May 2024", "base case"
    return df


def test_concentration_hand_case_rest_of_world_not_squared():
    # named 50, 30, 10 of a 100 kt world (rest of world 10): HHI = .25 + .09 + .01 = .35; top-3 = .90
    s = _supply(
        [
            ("copper", "mine", c, 2030, q)
            for c, q in (("CHL", 50.0), ("PER", 30.0), ("CHN", 10.0), ("ROW", 10.0))
        ]
    )
    out = projected_concentration(s, {"CHN"}).iloc[0]
    assert out["hhi"] == pytest.approx(0.35) and out["hhi_10000"] == pytest.approx(3500)
    assert out["top3_share"] == pytest.approx(0.90)
    assert out["leader"] == "CHL" and out["leader_share"] == pytest.approx(0.5)
    assert out["share_CHN"] == pytest.approx(0.10) and out["share_CHN_max"] == pytest.approx(0.10)
    assert out["world_kt"] == pytest.approx(100) and out["rest_of_world_kt"] == pytest.approx(10)


def test_concentration_of_an_unnamed_country_is_unknown_with_a_bound():
    s = _supply([("nickel", "mine", c, 2030, q) for c, q in (("IDN", 60.0), ("PHL", 15.0), ("ROW", 25.0))])
    out = projected_concentration(s, {"CHN"}).iloc[0]
    assert np.isnan(out["share_CHN"])
    # China is in the rest of world and smaller than the smallest named producer: at most min(15, 25) / 100
    assert out["share_CHN_max"] == pytest.approx(0.15)


def test_stage_demand_calibrates_on_the_smaller_of_2023_output_and_demand():
    # a 2023 surplus (output 120 > demand 100) is not use: 100 × growth 1.5
    assert stage_demand(120.0, 100.0, 1.5) == pytest.approx(150.0)
    # mined output below demand (scrap met the rest): 80 × 1.5
    assert stage_demand(80.0, 100.0, 1.5) == pytest.approx(120.0)
    # not like for like (natural graphite vs all grades): 2023 use = 2023 output
    assert stage_demand(80.0, 300.0, 2.0, comparable=False) == pytest.approx(160.0)


def test_world_balance_hand_case():
    sup = _supply(
        [("copper", "refined", c, y, q) for y, q in ((2023, 100.0), (2030, 130.0)) for c in ["CHN"]]
    )
    dem = pd.DataFrame(
        {
            "commodity": "copper",
            "sector": "Total demand",
            "sector_kind": "total",
            "scenario": "APS",
            "year": [2023, 2030],
            "demand_kt": [90.0, 180.0],
        }
    )
    b = world_balance(sup, dem, ["APS"]).set_index("year")
    assert b.loc[2030, "balance_kt"] == pytest.approx(-50.0)
    assert b.loc[2030, "demand_growth"] == pytest.approx(2.0) and b.loc[
        2030, "supply_growth"
    ] == pytest.approx(1.3)
    assert b.loc[2030, "stage_demand_kt"] == pytest.approx(180.0)  # min(100, 90) × 2
    assert b.loc[2030, "coverage"] == pytest.approx(130 / 180)


def test_growth_by_sector_mix_hand_case():
    dem = pd.DataFrame(
        {
            "commodity": "lithium",
            "scenario": "APS",
            "sector": ["Electric vehicles"] * 2 + ["Other uses"] * 2 + ["Total demand"] * 2,
            "sector_kind": ["sector"] * 4 + ["total"] * 2,
            "year": [2023, 2030] * 3,
            "demand_kt": [10.0, 40.0, 20.0, 30.0, 30.0, 70.0],
        }
    )
    assert iea.growth(dem, "lithium", "refined", "APS", [2030])[0] == pytest.approx(70 / 30)
    # a party using 80 % in EVs (×4) and 20 % elsewhere (×1.5): 0.8·4 + 0.2·1.5 = 3.5
    mix = {"Electric vehicles": 0.8, "Other uses": 0.2}
    assert iea.growth(dem, "lithium", "refined", "APS", [2030], mix)[0] == pytest.approx(3.5)
    with pytest.raises(UnknownValueError, match="Electric vehicles"):
        iea.growth(dem, "lithium", "refined", "APS", [2030], {"Electric vehicle": 1.0})
    with pytest.raises(UnknownValueError, match="summing to 1"):
        iea.growth(dem, "lithium", "refined", "APS", [2030], {"Electric vehicles": 0.5})


def test_outlook_for_all_six_minerals_2023_to_2040(ds):
    o = ds.outlook()
    assert len(o.drop_duplicates(["commodity", "stage"])) == 12
    assert len(o) == 12 * 3 * 4
    assert o["hhi"].between(0, 1).all() and (o["top3_share"] >= o["leader_share"] - 1e-12).all()
    named = o["share_CHN"].notna()
    assert (o.loc[named, "share_CHN"] <= o.loc[named, "leader_share"] + 1e-12).all()
    # a stage the IEA names no Chinese producer for: unknown, bounded
    cobalt = o[(o["commodity"] == "cobalt") & (o["stage"] == "mine")]
    assert cobalt["share_CHN"].isna().all() and (cobalt["share_CHN_max"] < cobalt["leader_share"]).all()
    # the balance is the difference of the two IEA tables
    ree = o[(o["commodity"] == "rare_earths") & (o["stage"] == "refined") & (o["scenario"] == "APS")]
    ree = ree.set_index("year")
    dem = ds.demand_outlook("rare_earths", "APS")
    total = dem[dem["sector"] == "Total demand"].set_index("year")["demand_kt"]
    assert ree.loc[2030, "balance_kt"] == pytest.approx(105.6 - total[2030])
    assert o[(o["commodity"] == "graphite") & (o["stage"] == "mine")]["balance_kt"].isna().all()


def test_outlook_rejects_unknown_inputs_with_close_matches(ds):
    with pytest.raises(UnknownValueError, match="IEA outlook"):
        ds.outlook("gallium")
    with pytest.raises(UnknownValueError, match="APS"):
        ds.outlook(scenarios="APZ")
    with pytest.raises(UnknownValueError, match="outlook year"):
        ds.outlook(years=2031)


# -- a party's need -------------------------------------------------------------------------------------------
def test_need_on_the_iea_basis_from_imports(ds):
    from critmin.outlook.need import base_imports

    ps = ds.parties("JPN,ITA,JPN+ITA")
    ree = base_imports(ds, ps, "rare_earths", "refined").set_index("party")
    metals = ds.bilateral("JPN", "rare_earths", 2023, stage="refined", by_hs=True)
    metals = metals[metals["hs6"] == "280530"]["tonnes"].sum() / 1e3
    assert ree.loc["JPN", "imports_kt"] == pytest.approx(metals)
    assert ree.loc["JPN", "need_basis"] == "lower bound"
    assert ree.loc["JPN+ITA", "imports_kt"] >= ree.loc["JPN", "imports_kt"]
    cu = base_imports(ds, ps, "copper", "mine").set_index("party")
    gross = ds.bilateral("JPN", "copper", 2023, stage="mine")["tonnes"].sum()
    assert cu.loc["JPN", "imports_kt"] == pytest.approx(gross * 0.26 / 1e3)
    assert not cu.loc["ITA", "material"] and cu.loc["JPN", "material"]
    # nickel ore now has the catalogue's laterite grade (0.015 t Ni per t, docs/data.md): approximate
    ni = base_imports(ds, ps, "nickel", "mine").set_index("party")
    assert (ni["need_basis"] == "approximate content factor").all()
    assert ni.loc["JPN", "imports_kt"] == pytest.approx(ni.loc["JPN", "imports_gross_tonnes"] * 0.015 / 1e3)
