"""One call, one table: risk() and the ``critmin risk`` command; GeoPolRisk invariants (hypothesis)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from critmin.errors import UnknownValueError
from critmin.indicators import geopolrisk as gpr
from critmin.indicators import risk as rk
from critmin.indicators.concentration import hhi


# -- the table ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def table(ds):
    return rk.risk(
        ds, "JPN,ITA,JPN+ITA", years=2023, commodities="rare_earths,graphite,gallium,germanium,cobalt"
    )


def test_risk_returns_one_tidy_table_with_provenance(table):
    assert list(table.columns) == rk.COLUMNS
    assert set(table["method"]) == {"geopolrisk", "eu_sr", "hhi", "origin"}
    assert set(table["party"]) == {"JPN", "ITA", "JPN+ITA"}
    ok = table[table["status"] == "ok"]
    assert ok["value"].notna().all() and (ok["provenance"] != "").all()
    for text in table["inputs"]:
        json.loads(text)
    for text in table["flags"]:
        assert isinstance(json.loads(text), list)
    # one row per (party, commodity, stage, year, method)
    assert not table.duplicated(["party", "commodity", "stage", "year", "method"]).any()


def test_without_the_proxy_gallium_and_germanium_are_no_data_not_zero(ds):
    table = rk.risk(ds, "JPN", ("geopolrisk", "eu_sr", "hhi"), 2023, "gallium,germanium", proxy=False)
    ga = table[(table["commodity"] == "gallium") & (table["method"] == "geopolrisk")]
    assert (ga["status"] == "no data").all() and ga["value"].isna().all()
    assert all("no_trade_code" in json.loads(f) for f in ga["flags"])
    assert "8112" in json.loads(ga["inputs"].iloc[0])["coverage_note"]
    ge = table[(table["commodity"] == "germanium") & table["method"].isin(["geopolrisk", "eu_sr"])]
    assert (ge["status"] == "no data").all()
    assert all("no_trade_flows" in json.loads(f) for f in ge["flags"])
    # world concentration is still known for both
    h = table[table["commodity"].isin(["gallium", "germanium"]) & (table["method"] == "hhi")]
    assert (h["value"] > 0.8).all()


def test_risk_rows_agree_with_the_method_functions(ds, table):
    g = gpr.geopolrisk(ds, "JPN", "graphite", 2023).iloc[0]
    row = table[
        (table["party"] == "JPN") & (table["commodity"] == "graphite") & (table["method"] == "geopolrisk")
    ]
    assert row["value"].iloc[0] == pytest.approx(g["score"])
    eu = table[
        (table["party"] == "ITA") & (table["method"] == "eu_sr") & (table["commodity"] == "rare_earths")
    ]
    assert eu["flags"].str.contains("reported_stage").sum() == 1
    o = table[
        (table["party"] == "ITA") & (table["method"] == "origin") & (table["commodity"] == "rare_earths")
    ]
    inputs = json.loads(o["inputs"].iloc[0])
    assert o["value"].iloc[0] > inputs["direct_share"]  # traced China share exceeds the direct one


def test_time_series_has_every_year(ds):
    ts = rk.risk(ds, "JPN", ["geopolrisk", "hhi"], range(2018, 2025), "graphite")
    assert sorted(ts["year"].unique()) == list(range(2018, 2025))
    assert ts.loc[ts["method"] == "geopolrisk", "value"].notna().all()


def test_unknown_method_names_the_choices():
    with pytest.raises(UnknownValueError, match="geopolrisk"):
        rk.check_methods("geopolrisc")
    assert rk.check_methods("gpr,EU,nir") == ["geopolrisk", "eu_sr", "import_reliance"]


def test_risk_matrix_data_and_charts(ds, tmp_path):
    m = rk.risk_matrix(ds, "JPN", 2023, "rare_earths,graphite,cobalt,tungsten")
    assert {"hhi", "import_reliance", "geopolrisk", "origin"} <= set(m.columns)
    assert m["hhi"].between(0, 1).all() and m["import_reliance"].between(0, 1).all()
    html = rk.render_matrix(m, tmp_path / "m.html")
    text = html.read_text()
    assert "<script src=" not in text and "plotly" in text.lower()  # plotly.js embedded: works offline
    png = rk.render_matrix(m, tmp_path / "m.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(UnknownValueError):
        rk.render_matrix(m, tmp_path / "m.gif")


# -- the CLI -----------------------------------------------------------------------------------------------
def _run(store_path, *args):
    from critmin.cli.main import app

    return CliRunner().invoke(app, ["--db", str(store_path), *args])


def test_cli_writes_the_table(store_path, tmp_path):
    out = tmp_path / "risk.csv"
    res = _run(
        store_path,
        "risk",
        "--for",
        "JPN,JPN+ITA",
        "--method",
        "geopolrisk,hhi",
        "--year",
        "2023",
        "-c",
        "graphite",
        "--out",
        str(out),
        "-q",
    )
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert set(df["party"]) == {"JPN", "JPN+ITA"} and set(df["method"]) == {"geopolrisk", "hhi"}


def test_cli_matrix_and_errors(store_path, tmp_path):
    res = _run(
        store_path,
        "risk",
        "--matrix",
        "--for",
        "JPN",
        "--year",
        "2023",
        "-c",
        "graphite,tungsten",
        "--out",
        str(tmp_path / "m.svg"),
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "m.svg").read_text().lstrip().startswith("<?xml")
    from critmin.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["--db", str(store_path), "risk", "--for", "Jpan", "--year", "2023"])
    assert exc.value.code == 2


# -- EU supply risk of a year the stage's production series has not reached ------------------------------
def _latest_production_year(ds, commodity: str, stage: str, before: int):
    """The last year before ``before`` with production of the stage in the store (read from the table)."""
    return ds.store.con.execute(
        "SELECT max(year) FROM production WHERE commodity = ? AND stage = ? AND year < ?",
        [commodity, stage, before],
    ).fetchall()[0][0]


def test_eu_sr_of_a_year_past_the_production_series_is_its_latest_year_said(ds):
    # the embedded refining series (IEA) end in 2023; trade runs to 2024; niobium has no refined series
    coms = "rare_earths,lithium,niobium"
    latest = rk.risk(ds, "JPN,ITA", methods="eu_sr", years=[2022, 2024], commodities=coms, eu_sr_latest=True)
    assert list(latest.columns) == rk.COLUMNS + rk.EU_SR_LATEST_COLUMNS
    at_2023 = rk.risk(ds, "JPN,ITA", methods="eu_sr", years=2023, commodities=coms, eu_sr_latest=True)
    own = at_2023.set_index(["party", "commodity", "stage"])
    row = latest.set_index(["party", "commodity", "stage", "year"])
    for party in ("JPN", "ITA"):
        for com in ("rare_earths", "lithium"):
            r = row.loc[(party, com, "refined", 2024)]
            assert _latest_production_year(ds, com, "refined", 2024) == 2023
            # the year keeps no value of its own: the latest year's is beside it, never in its place
            assert pd.isna(r["value"]) and r["status"] == "no data"
            assert r["eu_sr_year"] == 2023
            assert r["eu_sr_latest"] == pytest.approx(own.loc[(party, com, "refined"), "value"], rel=1e-12)
            assert "EU SR 2023: " in r["provenance"] and "IEA" in r["provenance"]
            # before the series starts there is no earlier year: '—' stays
            assert _latest_production_year(ds, com, "refined", 2022) is None
            assert pd.isna(row.loc[(party, com, "refined", 2022), "eu_sr_year"])
        assert pd.isna(row.loc[(party, "niobium", "refined", 2024), "eu_sr_latest"])
    # a year with production of its own takes nothing else
    assert at_2023["value"].notna().sum() >= 4
    assert at_2023[rk.EU_SR_LATEST_COLUMNS].isna().all().all()
    assert (latest["eu_sr_year"].dropna() < latest.loc[latest["eu_sr_year"].notna(), "year"]).all()


def test_cli_shows_the_latest_years_eu_sr_with_its_year_and_writes_it(ds, store_path, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    own = rk.risk(ds, "JPN", methods="eu_sr", years=2023, commodities="rare_earths").set_index("stage")
    out = tmp_path / "risk.json"
    res = _run(
        store_path, "risk", "--for", "JPN", "-m", "eu_sr", "--year", "2024", "-c", "rare_earths,niobium",
        "--out", str(out),
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert f"{own.loc['refined', 'value']:.2f} (2023)" in text
    assert "its latest year with one" in text  # the note says what '(2023)' means
    lines = res.output.splitlines()
    assert max(map(len, lines)) <= 80
    niobium = next(i for i, line in enumerate(lines) if line.startswith("niobium · refined"))
    assert "—" in lines[niobium]
    rows = {(r["commodity"], r["stage"]): r for r in json.loads(out.read_text())}
    assert rows[("rare_earths", "refined")]["eu_sr_year"] == 2023
    assert rows[("rare_earths", "refined")]["value"] is None
    assert rows[("niobium", "refined")]["eu_sr_year"] is None


# -- GeoPolRisk invariants (hypothesis) ------------------------------------------------------------------------
flows = st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.01, 1e6, allow_nan=False), min_size=1, max_size=15))
def test_production_hhi_is_between_1_over_n_and_1(q):
    h = gpr.production_hhi(q)
    assert 1 / len(q) - 1e-12 <= h <= 1 + 1e-12
    assert h == pytest.approx(hhi(q))


@settings(max_examples=100, deadline=None)
@given(flows, st.data(), st.floats(0, 1e6, allow_nan=False))
def test_import_risk_is_between_0_and_1(f, data, p):
    g = data.draw(st.lists(st.floats(0, 1), min_size=len(f), max_size=len(f)))
    ir = gpr.import_risk(f, g, p)
    assert np.isnan(ir) or -1e-12 <= ir <= 1 + 1e-12


@settings(max_examples=100, deadline=None)
@given(flows, st.data(), st.floats(0, 1e5, allow_nan=False), st.floats(0, 1))
def test_raising_a_suppliers_instability_never_lowers_the_score(f, data, p, bump):
    g = np.array(data.draw(st.lists(st.floats(0, 1), min_size=len(f), max_size=len(f))))
    i = data.draw(st.integers(0, len(f) - 1))
    g2 = g.copy()
    g2[i] = min(1.0, g[i] + bump)
    h = 0.4
    a, b = (
        gpr.geopolrisk_score(h, gpr.import_risk(f, g, p)),
        gpr.geopolrisk_score(h, gpr.import_risk(f, g2, p)),
    )
    assert np.isnan(a) or b >= a - 1e-12


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["AUS", "CHN", "ZAF", "ITA"]), st.floats(0, 100, allow_nan=False)),
        min_size=1,
        max_size=8,
    )
)
def test_engine_a_bloc_of_one_equals_the_country(pairs):
    trade = pd.DataFrame(
        {
            "commodity": "x",
            "year": 2020,
            "exporter": [e for e, _ in pairs],
            "importer": "JPN",
            "value_kusd": [q * 2 for _, q in pairs],
            "tonnes": [q for _, q in pairs],
        }
    )
    prod = pd.DataFrame(
        {"commodity": "x", "year": 2020, "country": ["CHN", "AUS", "JPN"], "tonnes": [5.0, 3.0, 1.0]}
    )
    g = pd.Series({"AUS": 0.2, "CHN": 0.6, "ZAF": 0.55, "ITA": 0.3})
    out = gpr.geopolrisk_table(trade, prod, g, {"JPN": ["JPN"], "JPN (bloc)": ["JPN"]}).set_index("party")
    cols = ["hhi", "import_risk", "score", "price_usd_per_kg"]
    a, b = out.loc["JPN", cols].to_numpy(float), out.loc["JPN (bloc)", cols].to_numpy(float)
    assert np.allclose(a, b, equal_nan=True)


def test_dataset_bloc_of_one_equals_the_country(ds):
    a = gpr.geopolrisk(ds, "ITA", "graphite", 2023).iloc[0]
    b = gpr.geopolrisk(ds, "ITA+ITA", "graphite", 2023).iloc[0]
    assert b["score"] == pytest.approx(a["score"], rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["AUS", "CHN", "ZAF", "ITA", "JPN"]),
            st.sampled_from(["JPN", "ITA"]),
            st.one_of(st.none(), st.floats(0, 100, allow_nan=False)),
        ),
        min_size=1,
        max_size=10,
    ),
    st.sampled_from(["neutral", "worst", "best", "exclude"]),
)
def test_duckdb_and_pandas_engines_agree_on_random_networks(flows, missing):
    import duckdb

    from critmin.indicators.geopolrisk_sql import geopolrisk_sql

    trade = pd.DataFrame(
        {
            "commodity": "x",
            "year": 2020,
            "exporter": [e for e, _, _ in flows],
            "importer": [i for _, i, _ in flows],
            "value_kusd": 3.0,
            "tonnes": [np.nan if q is None else q for _, _, q in flows],
        }
    )
    trade = trade[trade["exporter"] != trade["importer"]]
    if trade.empty:
        return
    prod = pd.DataFrame(
        {
            "commodity": "x",
            "year": 2020,
            "country": ["CHN", "AUS", "JPN", "ROW"],
            "tonnes": [5.0, 3.0, 1.0, 2.0],
        }
    )
    g = pd.DataFrame(
        {"year": 2020, "country": ["AUS", "CHN", "ITA"], "g": [0.2, 0.6, 0.3]}
    )  # ZAF, JPN missing
    parties = {"JPN": ["JPN"], "ITA": ["ITA"], "JPN+ITA": ["ITA", "JPN"]}
    a = gpr.geopolrisk_table(trade, prod, g, parties, missing=missing).set_index("party").sort_index()
    con = duckdb.connect()
    for name, frame in (
        ("trade", trade),
        ("production", prod),
        ("g", g),
        ("parties", gpr.party_frame(parties)),
    ):
        con.register(name, frame)
    b = con.execute(geopolrisk_sql(con, missing=missing)).df().set_index("party").sort_index()
    for col in ("hhi", "import_risk", "score", "price_usd_per_kg", "missing_g_tonnes", "intra_bloc_tonnes"):
        np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-12, err_msg=col)
    assert a["status"].tolist() == b["status"].tolist()


def test_risk_table_names_the_origin_and_uses_the_code_only_for_long_names():
    from critmin.cli.risk import HEADING_NAME_CHARS, _origin_names

    assert _origin_names("CHN", 2023) == ("China", "China")
    assert _origin_names("china", 2023) == ("China", "China")
    label, name = _origin_names("VCT", 2023)  # Saint Vincent and the Grenadines
    assert len(name) > HEADING_NAME_CHARS and (label, name) == ("VCT", "Saint Vincent and the Grenadines")
