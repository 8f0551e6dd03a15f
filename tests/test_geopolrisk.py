"""GeoPolRisk: the formulas, the governance lookup and the vectorised engine."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from critmin.errors import NoDataError, UnknownValueError
from critmin.indicators import geopolrisk as gpr


# -- pure formulas, hand-computed -------------------------------------------------------------------------
def test_wgi_to_instability_maps_the_wgi_range_onto_0_1_and_clips():
    g = gpr.wgi_to_instability([2.5, 0.0, -2.5, 3.0, -3.1, np.nan])
    assert g[:5].tolist() == [0.0, 0.5, 1.0, 0.0, 1.0]
    assert np.isnan(g[5])


def test_import_risk_worked_example_from_methods_notes():
    # methods.md §3.2: imports 100 t (g=0.8) + 50 t (g=0.2), domestic 50 t -> WTA = 90/200
    assert gpr.import_risk([100, 50], [0.8, 0.2], domestic=50) == pytest.approx(0.45, abs=1e-15)
    assert gpr.geopolrisk_score(0.5, 0.45) == pytest.approx(0.225)
    assert gpr.midpoint(0.225, 10.0) == pytest.approx(2.25)


def test_import_risk_without_any_supply_is_no_data_not_zero():
    assert math.isnan(gpr.import_risk([], []))
    assert math.isnan(gpr.import_risk([0.0], [0.7]))
    # domestic production only: a real zero risk
    assert gpr.import_risk([0.0], [0.7], domestic=10) == 0.0


def test_import_risk_leaves_out_exporters_without_g():
    assert gpr.import_risk([100, 100], [0.4, np.nan]) == pytest.approx(0.4)


def test_import_risk_rejects_negative_flows():
    with pytest.raises(ValueError):
        gpr.import_risk([-1.0], [0.5])


def test_production_hhi_and_cf():
    assert gpr.production_hhi([80, 20]) == pytest.approx(0.68)
    assert math.isnan(gpr.production_hhi([0, 0]))
    assert gpr.characterization_factor(0.409412948) == pytest.approx(1.0)
    assert gpr.characterization_factor(2.0, cu_reference=4.0) == pytest.approx(0.5)


def test_unit_price_is_value_over_quantity_of_rows_with_a_quantity():
    assert gpr.unit_price([10.0, 5.0, 7.0], [2.0, 3.0, np.nan]) == pytest.approx(3.0)
    assert math.isnan(gpr.unit_price([1.0], [np.nan]))


def test_unknown_missing_policy_names_the_choices():
    with pytest.raises(UnknownValueError, match="neutral"):
        gpr.check_missing_policy("neutrall")


# -- governance from the dataset ---------------------------------------------------------------------------
def test_instability_applies_the_missing_policy_and_lists_the_imputed_countries(ds):
    neutral = gpr.instability(ds, 2022)
    worst = gpr.instability(ds, 2022, missing="worst")
    excl = gpr.instability(ds, 2022, missing="exclude")
    assert neutral.between(0, 1).all()
    assert neutral.attrs["missing"], "some countries of the country table have no WGI estimate"
    m = neutral.attrs["missing"][0]
    assert neutral[m] == 0.5 and worst[m] == 1.0 and math.isnan(excl[m])
    # a country with data: China 2022 from the raw estimate
    est = ds.governance("pv", 2022).set_index("country")["estimate"]["CHN"]
    assert neutral["CHN"] == pytest.approx((2.5 - est) / 5)
    assert neutral.attrs["edition"] == "2025 release (PV only)"


def test_instability_for_a_year_without_estimates_is_a_clear_error(ds):
    with pytest.raises(NoDataError, match="1990"):
        gpr.instability(ds, 1990)


# -- the engine on a tiny hand-computed bloc case ------------------------------------------------------------
def _toy():
    trade = pd.DataFrame(
        {
            "commodity": "x",
            "year": 2020,
            "exporter": ["CHN", "AUS", "ITA", "CHN"],
            "importer": ["JPN", "JPN", "JPN", "ITA"],
            "value_kusd": [100.0, 50.0, 10.0, 30.0],
            "tonnes": [10.0, 10.0, 5.0, 10.0],
        }
    )
    prod = pd.DataFrame(
        {"commodity": "x", "year": 2020, "country": ["CHN", "AUS", "JPN"], "tonnes": [60.0, 30.0, 10.0]}
    )
    g = pd.Series({"CHN": 0.6, "AUS": 0.2, "ITA": 0.3, "JPN": 0.25})
    return trade, prod, g


def test_engine_bloc_counts_intra_bloc_imports_as_risk_free_but_keeps_them_in_f():
    trade, prod, g = _toy()
    out = gpr.geopolrisk_table(trade, prod, g, {"JPN": ["JPN"], "JPN+ITA": ["ITA", "JPN"]}).set_index("party")
    hhi = 0.6**2 + 0.3**2 + 0.1**2
    # JPN: N = 10*.6 + 10*.2 + 5*.3 = 9.5; F = 25; p = 10
    assert out.loc["JPN", "import_risk"] == pytest.approx(9.5 / 35)
    assert out.loc["JPN", "score"] == pytest.approx(hhi * 9.5 / 35)
    assert out.loc["JPN", "price_usd_per_kg"] == pytest.approx(160 / 25)
    # JPN+ITA: ITA->JPN is intra-bloc (g=0, kept in F); N = 6 + 2 + 0 + 6 = 14; F = 35; p = 10
    assert out.loc["JPN+ITA", "import_risk"] == pytest.approx(14 / 45)
    assert out.loc["JPN+ITA", "intra_bloc_tonnes"] == 5.0
    assert out.loc["JPN+ITA", "status"] == "ok"


def test_engine_reports_no_data_rather_than_zero_when_nothing_is_imported_or_produced():
    trade, prod, g = _toy()
    out = gpr.geopolrisk_table(trade, prod, g, {"KOR": ["KOR"], "AUS": ["AUS"]}).set_index("party")
    assert out.loc["KOR", "status"] == "no data" and math.isnan(out.loc["KOR", "score"])
    assert out.loc["AUS", "status"] == "no imports" and out.loc["AUS", "score"] == 0.0


def test_engine_missing_policies_change_only_the_unknown_exporter():
    trade, prod, g = _toy()
    g = g.drop("AUS")
    res = {
        m: gpr.geopolrisk_table(trade, prod, g, {"JPN": ["JPN"]}, missing=m).iloc[0]
        for m in ("neutral", "worst", "best", "exclude")
    }
    assert res["neutral"]["import_risk"] == pytest.approx((6 + 5 + 1.5) / 35)
    assert res["worst"]["import_risk"] == pytest.approx((6 + 10 + 1.5) / 35)
    assert res["best"]["import_risk"] == pytest.approx((6 + 0 + 1.5) / 35)
    assert res["exclude"]["import_risk"] == pytest.approx((6 + 1.5) / 25)
    assert res["neutral"]["missing_g_exporters"] == "AUS" and res["neutral"]["missing_g_tonnes"] == 10


# -- golden case: geopolrisk-py's reference workbook (USA 2022) -------------------------------------------
def test_reproduces_the_geopolrisk_py_reference_case_to_1e_9(shared_dir):
    folder = shared_dir / "data" / "geopolrisk-testcase"
    expected = pd.read_csv(folder / "expected.csv")
    tr = pd.read_csv(folder / "trade.csv", dtype={"exporter_code": str, "importer_code": str})
    trade = pd.DataFrame(
        {
            "commodity": tr["raw_material"],
            "year": tr["year"],
            "exporter": tr["exporter_code"],
            "importer": tr["importer_code"],
            "value_kusd": tr["value_kusd"],
            "tonnes": tr["quantity_t"],
        }
    )
    prods = []
    for mat in ("Nickel", "Manganese", "Graphite"):
        p = pd.read_csv(folder / f"production_{mat.lower()}.csv", dtype={"country_code": str})
        p = p[~p["is_total_row"]]
        prods.append(
            pd.DataFrame({"commodity": mat, "year": 2022, "country": p["country_code"], "tonnes": p["2022"]})
        )
    wgi = pd.read_csv(folder / "wgi_normalized.csv", dtype={"country_code": str}).dropna(
        subset=["country_code"]
    )
    # Guyana appears twice upstream; it exports none of these, so keep the first row
    g = wgi.drop_duplicates("country_code").set_index("country_code")["2022"]
    # the workbook gives 0 to an exporter missing from its WGI sheet (Taiwan, code 490): policy 'best'
    out = gpr.geopolrisk_table(trade, pd.concat(prods), g, {"842": ["842"]}, missing="best")
    out = out.set_index("commodity").loc[expected["raw_material"]]
    cols = {
        "hhi": "hhi",
        "domestic_production_t": "domestic_tonnes",
        "numerator": "numerator_tonnes",
        "total_trade_t": "imports_tonnes",
        "import_risk_wta": "import_risk",
        "geopolrisk_score": "score",
        "price_usd_per_kg": "price_usd_per_kg",
        "midpoint_usd_per_kg": "midpoint_usd_per_kg",
        "cf_kg_cu_eq_per_kg": "cf_kg_cu_eq_per_kg",
    }
    for theirs, ours in cols.items():
        np.testing.assert_allclose(
            out[ours].to_numpy(float), expected[theirs].to_numpy(float), rtol=1e-9, err_msg=theirs
        )
    assert out["missing_g_exporters"].loc["Graphite"] == "490"


# -- the DuckDB engine gives the same numbers ----------------------------------------------------------------
def _sql(trade, prod, g, parties, keys=("commodity", "year"), missing="neutral"):
    import duckdb

    from critmin.indicators.geopolrisk_sql import geopolrisk_sql

    con = duckdb.connect()
    if isinstance(g, pd.Series):
        years = sorted(trade["year"].unique())
        g = pd.DataFrame([(y, c, v) for y in years for c, v in g.items()], columns=["year", "country", "g"])
    con.register("trade", trade)
    con.register("production", prod)
    con.register("g", g)
    con.register("parties", gpr.party_frame(parties))
    return con.execute(geopolrisk_sql(con, keys=keys, missing=missing)).df()


@pytest.mark.parametrize("missing", ["neutral", "worst", "best", "exclude"])
def test_duckdb_engine_equals_the_pandas_engine(missing):
    trade, prod, g = _toy()
    g = g.drop("AUS")
    parties = {"JPN": ["JPN"], "JPN+ITA": ["ITA", "JPN"], "KOR": ["KOR"], "AUS": ["AUS"]}
    a = gpr.geopolrisk_table(trade, prod, g, parties, missing=missing).set_index("party").sort_index()
    b = _sql(trade, prod, g, parties, missing=missing).set_index("party").sort_index()
    for col in (
        "hhi",
        "domestic_tonnes",
        "numerator_tonnes",
        "imports_tonnes",
        "import_risk",
        "score",
        "price_usd_per_kg",
        "cf_kg_cu_eq_per_kg",
        "missing_g_tonnes",
        "intra_bloc_tonnes",
        "import_value_all_kusd",
    ):
        np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-12, err_msg=col)
    assert a["status"].tolist() == b["status"].tolist()


def test_duckdb_engine_reproduces_the_reference_case(shared_dir):
    folder = shared_dir / "data" / "geopolrisk-testcase"
    expected = pd.read_csv(folder / "expected.csv").set_index("raw_material")
    tr = pd.read_csv(folder / "trade.csv", dtype={"exporter_code": str, "importer_code": str})
    trade = pd.DataFrame(
        {
            "commodity": tr["raw_material"],
            "year": tr["year"],
            "exporter": tr["exporter_code"],
            "importer": tr["importer_code"],
            "value_kusd": tr["value_kusd"],
            "tonnes": tr["quantity_t"],
        }
    )
    prods = []
    for mat in ("Nickel", "Manganese", "Graphite"):
        p = pd.read_csv(folder / f"production_{mat.lower()}.csv", dtype={"country_code": str})
        p = p[~p["is_total_row"]]
        prods.append(
            pd.DataFrame({"commodity": mat, "year": 2022, "country": p["country_code"], "tonnes": p["2022"]})
        )
    wgi = pd.read_csv(folder / "wgi_normalized.csv", dtype={"country_code": str}).dropna(
        subset=["country_code"]
    )
    g = wgi.drop_duplicates("country_code").set_index("country_code")["2022"]
    out = _sql(trade, pd.concat(prods), g, {"842": ["842"]}, missing="best").set_index("commodity")
    for theirs, ours in (
        ("geopolrisk_score", "score"),
        ("cf_kg_cu_eq_per_kg", "cf_kg_cu_eq_per_kg"),
        ("hhi", "hhi"),
        ("import_risk_wta", "import_risk"),
        ("price_usd_per_kg", "price_usd_per_kg"),
    ):
        np.testing.assert_allclose(
            out.loc[expected.index, ours].to_numpy(float),
            expected[theirs].to_numpy(float),
            rtol=1e-9,
            err_msg=theirs,
        )


def test_instability_sql_matches_the_python_rescaling():
    import duckdb

    from critmin.indicators.geopolrisk_sql import instability_sql

    pv = [-3.0, -2.5, -0.7, 0.0, 1.2, 2.5, 2.9]
    got = duckdb.sql(f"SELECT {instability_sql('x')} AS g FROM unnest({pv}) t(x)").fetchall()
    assert [r[0] for r in got] == pytest.approx(gpr.wgi_to_instability(pv).tolist(), abs=1e-15)


# -- on the dataset: options ------------------------------------------------------------------------------
def test_units_content_puts_ore_tonnes_on_metal_content(ds):
    # nickel ore is traded as wet laterite: the catalogue's grade (0.015 t Ni per t) puts it on the Ni basis
    strict = gpr.geopolrisk(ds, "USA", "nickel", 2022).iloc[0]
    peer = gpr.geopolrisk(ds, "USA", "nickel", 2022, units="gross").iloc[0]
    assert strict["status"] == "ok" and strict["units"] == "content:Ni"
    assert "approximate_content_factor" in strict["flags"]
    assert peer["status"] == "ok" and "mixed_units" in peer["flags"]
    t = ds.trade("nickel", "mine", 2022)
    usa = t[(t["importer"] == "USA") & (t["exporter"] != "USA")]
    assert strict["imports_tonnes"] == pytest.approx(usa["content_tonnes"].sum(), rel=1e-9)
    assert strict["imports_tonnes"] == pytest.approx(0.015 * usa["gross_tonnes"].sum(), rel=1e-9)


def test_content_basis_is_used_when_factors_exist(ds):
    row = gpr.geopolrisk(ds, "JPN", "manganese", 2023).iloc[0]
    assert row["units"] == "content:Mn" and "approximate_content_factor" in row["flags"]
    assert row["production_source"].startswith("WMD")


def test_copper_reference_makes_copper_cf_one(ds):
    df = gpr.geopolrisk(ds, "JPN,ITA", "copper,graphite", 2023, cu_reference="copper")
    cu = df[df["commodity"] == "copper"]
    assert np.allclose(cu["cf_kg_cu_eq_per_kg"], 1.0)
    with pytest.raises(UnknownValueError):
        gpr.geopolrisk(ds, "JPN", "copper", 2023, cu_reference="zinc")


def test_germanium_after_2016_is_no_data_not_zero(ds):
    df = gpr.geopolrisk(ds, "JPN,ITA,USA", "germanium", [2015, 2023])
    new = df[df["year"] == 2023]
    assert (new["status"] == "no data").all() and new["score"].isna().all()
    assert all("no_trade_flows" in f for f in new["flags"])
    assert "2016" in new["coverage_note"].iloc[0]
    old = df[(df["year"] == 2015) & (df["party"] == "USA")].iloc[0]
    assert old["status"] == "ok" and old["score"] > 0
