"""The IEA outlook tables: the workbook reader, the embedded tables, and equality with the IEA workbook."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.errors import DataError

WORKBOOK = "iea-critical-minerals/CM_Data_Explorer_May2024.xlsx"


# -- embedded tables (no ../shared needed) ---------------------------------------------------------------------
def test_supply_outlook_has_six_minerals_two_stages_four_years(ds):
    s = ds.supply_outlook()
    assert set(s["commodity"]) == {"copper", "cobalt", "lithium", "nickel", "graphite", "rare_earths"}
    assert set(s["stage"]) == {"mine", "refined"}
    assert sorted(s["year"].unique()) == [2023, 2030, 2035, 2040]
    assert (s["projection"] == (s["year"] > 2023)).all()
    assert (
        set(s["case"]) == {"base case"} and set(s["source"]) == {"IEA"} and set(s["edition"]) == {"May 2024"}
    )
    assert (s["supply_kt"] >= 0).all()
    # every series has the same producers in every year (the IEA projects each named producer)
    n = s.groupby(["commodity", "stage", "year"]).size().unstack()
    assert (n.nunique(axis=1) == 1).all()


def test_magnet_ree_refining_matches_the_published_figures(ds):
    """IEA (2024): 2023 magnet-REE refining China 70.3 of 76.3 kt; 2030 base case China 80.8, Malaysia 13.0,
    Australia 3.7, United States 3.6 of 105.6 kt (workbook sheet 2, rows 60-65)."""
    s = ds.supply_outlook("rare_earths", "refined").set_index(["year", "country"])["supply_kt"]
    assert s[(2023, "CHN")] == pytest.approx(70.3)
    assert s.loc[2023].sum() == pytest.approx(76.3)
    for country, kt in {"CHN": 80.8, "MYS": 13.0, "AUS": 3.7, "USA": 3.6}.items():
        assert s[(2030, country)] == pytest.approx(kt)
    assert s.loc[2030].sum() == pytest.approx(105.6)
    assert set(ds.supply_outlook("rare_earths")["basis"]) == {"magnet REE content (Nd, Pr, Dy, Tb)"}


def test_rest_of_world_no_longer_counts_a_named_producer_twice(ds):
    """Sheet 2's nickel-mining 'Rest of world' is Total minus the first five producers, so Australia (the
    sixth) was counted twice; the embedded rows add up to the published Total (3,450.5 kt in 2023)."""
    s = ds.supply_outlook("nickel", "mine")
    y23 = s[s["year"] == 2023]
    assert y23["supply_kt"].sum() == pytest.approx(3450.5)
    assert y23.set_index("country").loc["AUS", "supply_kt"] == pytest.approx(111.4)
    row = y23.set_index("country").loc["ROW"]
    assert row["supply_kt"] == pytest.approx(675.3 - 111.4)
    assert "Australia" in row["note"]


def test_production_table_takes_its_2023_iea_rows_from_the_same_workbook(ds):
    prod = ds.production("nickel", "mine", 2023, source="IEA").set_index("country")["tonnes"]
    sup = ds.supply_outlook("nickel", "mine", 2023).set_index("country")["supply_kt"]
    assert (prod.sort_index() / 1e3).to_dict() == pytest.approx(sup.sort_index().to_dict())


def test_demand_outlook_sectors_add_up_and_2023_is_common_to_the_scenarios(ds):
    d = ds.demand_outlook()
    assert set(d["scenario"]) == {"STEPS", "APS", "NZE"}
    assert sorted(d["year"].unique()) == [2023, 2030, 2035, 2040, 2045, 2050]
    base = d[d["year"] == 2023].pivot_table(
        index=["commodity", "sector"], columns="scenario", values="demand_kt"
    )
    assert np.allclose(base["STEPS"], base["APS"]) and np.allclose(base["STEPS"], base["NZE"])
    for (c, sc, y), g in d.groupby(["commodity", "scenario", "year"]):
        by = g.set_index("sector")["demand_kt"]
        clean = g[(g["sector_kind"] == "sector") & (g["sector"] != "Other uses")]["demand_kt"].sum()
        assert clean == pytest.approx(by["Total clean technologies"], rel=1e-4, abs=0.06), (c, sc, y)
        assert by["Total clean technologies"] + by["Other uses"] == pytest.approx(
            by["Total demand"], rel=1e-4
        )
    li = d[(d["commodity"] == "lithium")]
    assert set(li["basis"]) == {"Li"}


# -- the workbook itself (../shared) ----------------------------------------------------------------------------
def _cells(path, sheet):
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    wb.close()
    return rows


def test_embedded_supply_equals_the_iea_workbook(shared_dir, ds):
    """Every producer figure in sheet 2, read cell by cell, equals the store; each block's stored rows add up to
    the workbook's Total row and the top-3 share of the store equals the workbook's where it ranks producers
    by size (battery-grade graphite 2023 leaves out Germany, listed after its rest-of-world arithmetic)."""
    from critmin.reference.countries import index

    rows = _cells(shared_dir / "data" / WORKBOOK, "2 Total supply for key minerals")
    store = ds.supply_outlook()
    series = dict(zip(store["series"], zip(store["commodity"], store["stage"], strict=True), strict=False))
    years = [2023, 2030, 2035, 2040]
    checked = 0
    conc = ds.outlook(scenarios="APS")
    for label_col in (0, 6):
        block = None
        for r in rows:
            label = r[label_col]
            vals = r[label_col + 1 : label_col + 5]
            if isinstance(label, str) and " - " in label and all(v is None for v in vals):
                mineral, stage = label.split(" - ", 1)
                block = series.get(f"{mineral}: {stage}")
                continue
            if block is None or not isinstance(label, str) or any(v is None for v in vals):
                continue
            part = store[(store["commodity"] == block[0]) & (store["stage"] == block[1])]
            if label.startswith("Total"):
                for y, v in zip(years, vals, strict=True):
                    assert part.loc[part["year"] == y, "supply_kt"].sum() == pytest.approx(v, abs=0.051)
            elif label == "Top 3 share":
                c = conc[(conc["commodity"] == block[0]) & (conc["stage"] == block[1])].set_index("year")
                for y, v in zip(years, vals, strict=True):
                    if (block, y) == (("graphite", "refined"), 2023):
                        assert c.loc[y, "top3_share"] > v
                    else:
                        assert c.loc[y, "top3_share"] == pytest.approx(v, abs=1e-9)
            elif label != "Rest of world":
                iso = index().get(label)
                got = part[part["country"] == iso].set_index("year")["supply_kt"]
                for y, v in zip(years, vals, strict=True):
                    assert got[y] == v, (block, label, y)
                    checked += 1
    assert checked == len(store[store["country"] != "ROW"])


def test_embedded_demand_equals_the_iea_workbook(shared_dir, ds):
    rows = _cells(shared_dir / "data" / WORKBOOK, "1 Total demand for key minerals")
    d = ds.demand_outlook().set_index(["commodity", "sector", "scenario", "year"])["demand_kt"]
    header_scen, header_year = rows[3], rows[4]
    cols, scen = [], None
    names = {
        "Stated Policies scenario": "STEPS",
        "Announced Pledges scenario": "APS",
        "Net Zero Emissions by 2050 scenario": "NZE",
    }
    for k, y in enumerate(header_year):
        if header_scen[k] in names:
            scen = names[header_scen[k]]
        if isinstance(y, int):
            cols.append((k, scen, y))
    mineral_ids = {
        "Copper": "copper",
        "Cobalt": "cobalt",
        "Lithium": "lithium",
        "Nickel": "nickel",
        "Magnet rare earth elements": "rare_earths",
        "Graphite (all grades: natural and synthetic)": "graphite",
    }
    mineral, checked = None, 0
    for r in rows[5:]:
        label = r[0]
        if label in mineral_ids:
            mineral = mineral_ids[label]
            continue
        if mineral is None or not isinstance(label, str) or label.startswith(("Share", "Notes")):
            continue
        sector = " ".join(label.split())
        for k, sc, y in cols:
            for s in [sc] if sc else ["STEPS", "APS", "NZE"]:
                assert d[(mineral, sector, s, y)] == r[k]
                checked += 1
    assert checked == len(d)


# -- the reader's checks -------------------------------------------------------------------------------------
def _supply_workbook(path, rest_2023=7.0, sixth=None):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2 Total supply for key minerals"
    ws.append([])
    ws.append(["Total supply for key energy transition minerals, base case (kt)"])
    ws.append([])
    ws.append([None, 2023, 2030, 2035, 2040])
    ws.append([])
    ws.append(["Copper - Mining"])
    ws.append(["Chile", 5.0, 5.0, 4.0, 4.0])
    ws.append(["Peru", 3.0, 3.0, 2.0, 1.0])
    ws.append(["China", 2.0, 2.0, 2.0, 2.0])
    if sixth:
        ws.append([sixth, 1.0, 1.0, 1.0, 1.0])
    ws.append(["Rest of world", rest_2023, 7.0, 6.0, 5.0])
    ws.append(["Total", 17.0, 17.0, 14.0, 12.0])
    ws.append(["Top 3 share", 10 / 17, 10 / 17, 8 / 14, 7 / 12])
    wb.save(path)
    return path


def test_reader_refuses_a_block_that_does_not_add_up(tmp_path):
    from critmin.data import iea

    path = _supply_workbook(tmp_path / "iea.xlsx", rest_2023=9.0)
    with pytest.raises(DataError) as err:
        iea.read_supply(path)
    msg = str(err.value)
    assert "2 Total supply for key minerals!11" in msg and "[2023]" in msg and "19.000" in msg


def test_reader_takes_a_twice_counted_producer_out_of_rest_of_world(tmp_path):
    from critmin.data import iea

    # Rest of world (7 kt) already holds Bolivia's 1 kt: producers + rest sum to 18, the Total says 17
    path = _supply_workbook(tmp_path / "iea.xlsx", sixth="Bolivia")
    df = iea.read_supply(path)
    row = df[(df["row_type"] == "rest_of_world") & (df["year"] == 2023)].iloc[0]
    assert row["supply_kt"] == 6.0 and "Bolivia" in row["note"]
    assert df[df["year"] == 2023]["supply_kt"].sum() == pytest.approx(17.0)


def test_reader_names_a_missing_sheet(tmp_path):
    import openpyxl

    from critmin.data import iea

    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(DataError, match="sheet '2 Total supply for key minerals' not found"):
        iea.read_supply(path)
