"""Exposure and concentration on the embedded data: facts an analyst expects, invariants, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from critmin.errors import NoDataError, UnknownValueError
from critmin.reference.blocs import Party


def test_china_share_of_rare_earth_mine_production_2022(ds):
    c = ds.concentration("rare_earths", stage="mine", years=2022)
    assert len(c) == 1
    row = c.iloc[0]
    assert 0.6 <= row["share_CHN"] <= 0.75
    assert row["leader"] == "CHN"
    assert row["source"] == "WMD" and row["basis"] == "REO"
    assert row["hhi_10000"] == pytest.approx(row["hhi"] * 10_000)


def test_usgs_gives_the_same_picture_for_rare_earths(ds):
    c = ds.concentration("rare_earths", stage="mine", years=2022, source="USGS")
    assert 0.6 <= c.iloc[0]["share_CHN"] <= 0.75
    assert c.iloc[0]["edition"] == "MCS 2024"  # the revised figure, not MCS 2023's estimate


def test_japan_top_rare_earth_supplier_2023_is_china(ds):
    imp = ds.bilateral("JPN", "rare_earths", 2023, stage="refined")
    shares = imp.set_index("partner")["value_kusd"] / imp["value_kusd"].sum()
    assert shares.idxmax() == "CHN"
    assert 0.4 <= shares.max() <= 0.7
    e = ds.exposure("JPN", 2023, commodities="rare_earths")
    row = e[e["stage"] == "refined"].iloc[0]
    assert row["supplier_1"] == "CHN"
    assert row["supplier_1_share"] == pytest.approx(shares.max())
    assert row["share_from_CHN"] == pytest.approx(shares.max())
    assert row["hs_codes"] == "284690,284610,280530"


def test_supplier_shares_sum_to_one(ds):
    imp = ds.bilateral(["JPN", "ITA", "JPN+ITA"], ["rare_earths", "graphite", "cobalt"], [2020, 2023])
    for _, g in imp.groupby(["party", "commodity", "stage", "year"]):
        s = g["value_kusd"] / g["value_kusd"].sum()
        assert s.sum() == pytest.approx(1.0)


def test_production_shares_sum_to_one(ds):
    p = ds.production("cobalt", "mine", 2023, source="WMD")
    assert (p["tonnes"] / p["tonnes"].sum()).sum() == pytest.approx(1.0)


def test_bloc_of_one_equals_the_country(ds):
    one = Party(label="SOLO", members=("JPN",), kind="bloc", name="Japan alone")
    a = ds.exposure([one], 2023).drop(columns=["party", "party_name", "members"])
    b = ds.exposure("JPN", 2023).drop(columns=["party", "party_name", "members"])
    pd.testing.assert_frame_equal(a, b)


def test_bloc_nets_out_intra_bloc_trade(ds):
    both = ds.exposure("JPN+ITA", 2023, commodities="cobalt").iloc[0]
    kept = ds.exposure("JPN+ITA", 2023, commodities="cobalt", intra_bloc=True).iloc[0]
    jpn = ds.exposure("JPN", 2023, commodities="cobalt").iloc[0]
    ita = ds.exposure("ITA", 2023, commodities="cobalt").iloc[0]
    assert kept["import_value_kusd"] == pytest.approx(jpn["import_value_kusd"] + ita["import_value_kusd"])
    intra = ds.trade("cobalt", "refined", 2023)
    intra = intra[intra["exporter"].isin(["JPN", "ITA"]) & intra["importer"].isin(["JPN", "ITA"])]
    assert both["import_value_kusd"] == pytest.approx(kept["import_value_kusd"] - intra["value_kusd"].sum())


def test_exposure_covers_every_commodity_and_says_when_trade_is_missing(ds):
    from critmin.reference import commodities

    e = ds.exposure(["JPN", "ITA"], 2023)
    assert set(e["commodity"]) == set(commodities.catalogue())
    ga = e[e["commodity"] == "gallium"].iloc[0]
    assert np.isnan(ga["import_value_kusd"])
    assert "no HS92 code" in ga["coverage"]
    assert ga["world_refined_china_share"] > 0.9  # gallium: ~98 % Chinese primary production
    ge = e[e["commodity"] == "germanium"].iloc[0]
    assert np.isnan(ge["import_value_kusd"]) and "no BACI flows" in ge["coverage"]


def test_exposure_has_units_and_provenance_columns(ds):
    e = ds.exposure("ITA", 2023, commodities="graphite")
    for col in (
        "import_value_kusd",
        "import_gross_tonnes",
        "import_content_tonnes",
        "content_basis",
        "material",
        "trade_source",
        "world_mine_source",
        "world_mine_year",
        "share_basis",
        "coverage",
    ):
        assert col in e.columns
    assert e.iloc[0]["trade_source"].startswith("BACI")
    assert "WMD" in e.iloc[0]["world_mine_source"]


def test_time_series(ds):
    e = ds.exposure("JPN", years=range(2018, 2025), commodities="graphite")
    assert list(e["year"]) == list(range(2018, 2025))
    assert e["import_value_kusd"].notna().all()


def test_net_import_reliance_japan_rare_earths_is_full(ds):
    row = ds.exposure("JPN", 2023, commodities="rare_earths").iloc[0]
    assert row["production_tonnes"] == 0
    assert row["import_reliance"] == 1.0
    assert row["import_reliance_note"] == "no domestic production"


def test_unknown_country_and_mineral_are_clear_errors(ds):
    with pytest.raises(UnknownValueError, match="JPN"):
        ds.exposure("Jpan", 2023)
    with pytest.raises(UnknownValueError, match="lithium"):
        ds.exposure("JPN", 2023, commodities="lithum")


def test_empty_year_is_a_clear_error(ds):
    with pytest.raises(NoDataError, match="1990"):
        ds.exposure("JPN", 1990)
    with pytest.raises(NoDataError):
        ds.concentration("rare_earths", "mine", years=1990)


def test_basis_tonnes(ds):
    v = ds.exposure("JPN", 2023, commodities="graphite").iloc[0]
    t = ds.exposure("JPN", 2023, commodities="graphite", basis="tonnes").iloc[0]
    assert v["share_basis"] == "value" and t["share_basis"] == "tonnes"
    assert v["supplier_1_share"] != t["supplier_1_share"]
    with pytest.raises(UnknownValueError):
        ds.exposure("JPN", 2023, basis="weight")


def test_production_on_one_content_basis_makes_sources_comparable(ds):
    wmd = ds.production("lithium", "mine", 2022, source="WMD", basis="Li")
    usgs = ds.production("lithium", "mine", 2022, source="USGS")
    assert set(wmd["basis_reported"]) == {"Li2O"} and set(wmd["basis"]) == {"Li"}
    w = wmd.set_index("country")["tonnes"]
    u = usgs.set_index("country")["tonnes"]
    # Australia's lithium output, WMD (Li2O converted) vs USGS (Li content): same order, within 25 %
    assert w["AUS"] == pytest.approx(u["AUS"], rel=0.25)


def test_a_missing_net_import_reliance_says_why(ds):
    """Where imports are recorded but net import reliance is left out, the note gives the reason — never
    'no domestic production' (which reads as 100%) nor a content note (which reads as computed)."""
    from critmin.report import _reliance_notes

    e = ds.exposure("JPN,ITA", 2024)
    gap = e[e["import_reliance"].isna() & (e["import_value_kusd"] > 0)]
    assert len(gap) >= 5  # e.g. niobium (refined): no production series; ITA zinc ore: re-exports
    for r in gap.itertuples(index=False):
        assert not r.import_reliance_note.startswith(("no domestic production", "content-adjusted")), r
    ita_zinc = e[(e["party"] == "ITA") & (e["commodity"] == "zinc")].iloc[0]
    assert ita_zinc["export_content_tonnes"] > ita_zinc["import_content_tonnes"]
    assert ita_zinc["import_reliance_note"].startswith("exports exceed imports")
    # the report says it under the table, one note per reason naming every such row
    notes = " ".join(_reliance_notes(e[e["party"] == "JPN"]))
    for c in e[(e["party"] == "JPN")].merge(gap)["commodity_name"]:
        assert c[:1].lower() + c[1:] in notes, c
