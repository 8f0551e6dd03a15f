"""The vectorised risk engine: the same rows as the method-by-method reference, ranges that contain the
default, method breaks in time series, the production-share proxy, and a command line without pandas."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from critmin.indicators import engine
from critmin.indicators import risk as rk
from critmin.indicators.origin import trace_origin
from critmin.indicators.risk_reference import reference_risk

KEY = ["party", "commodity", "stage", "year", "method"]
# a cross-section of the catalogue: ore and refined stages, content factors and mine proxies, a code without
# flows (germanium), no code at all (gallium), a shared code (tellurium), bloc and countries
CROSS = "rare_earths,graphite,cobalt,lithium,nickel,tungsten,antimony,germanium,gallium,tellurium,manganese"


def _flags(text: str) -> set[str]:
    # the reference has no time-series view: method breaks are the engine's addition
    return {f for f in json.loads(text) if not f.startswith("method_break")}


def _compare(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    m = a.merge(b, on=KEY, how="outer", suffixes=("_e", "_r"), indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", [*KEY, "_merge"]]
    x, y = m["value_e"].to_numpy(float), m["value_r"].to_numpy(float)
    same = (np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= 1e-9 * np.maximum(1.0, np.abs(y)))
    assert same.all(), m.loc[~same, [*KEY, "value_e", "value_r"]]
    assert (m["status_e"] == m["status_r"]).all(), m.loc[
        m["status_e"] != m["status_r"], [*KEY, "status_e", "status_r"]
    ]
    bad = [
        i for i, (p, q) in enumerate(zip(m["flags_e"], m["flags_r"], strict=True)) if _flags(p) != _flags(q)
    ]
    assert not bad, m.iloc[bad][[*KEY, "flags_e", "flags_r"]]
    return m


# -- the cross-engine test --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_engine_gives_the_reference_rows_to_1e_9(ds):
    a = rk.risk(ds, "JPN,ITA,JPN+ITA", engine.METHODS, [2021, 2023], CROSS, proxy=False)
    b = reference_risk(ds, "JPN,ITA,JPN+ITA", engine.METHODS, [2021, 2023], CROSS)
    m = _compare(a, b)
    assert len(m) > 300 and set(m["method"]) == set(engine.METHODS)
    # the comparison is not vacuous: most rows carry a number
    assert m["value_e"].notna().mean() > 0.5


def test_engine_gives_the_reference_rows_in_the_peer_units_and_for_a_bloc(ds):
    a = rk.risk(
        ds, "USA,G7", ("geopolrisk", "geopolrisk_cf"), 2022, "nickel,cobalt,rare_earths", units="gross"
    )
    b = reference_risk(
        ds, "USA,G7", ("geopolrisk", "geopolrisk_cf"), 2022, "nickel,cobalt,rare_earths", units="gross"
    )
    m = _compare(a, b)
    ni = m[(m["party"] == "USA") & (m["commodity"] == "nickel") & (m["method"] == "geopolrisk")].iloc[0]
    # geopolrisk-py's convention: gross ore tonnes added to the Ni content of US mine output
    assert "mixed_units" in json.loads(ni["flags_e"])
    assert json.loads(ni["inputs_e"])["units"] == "gross weight"


def test_engine_gives_the_reference_rows_when_the_origin_overlaps_a_bloc(ds):
    # --share-of EU27 for EU27 itself, for a bloc with members in it (JPN+ITA, G7) and for a country
    for who in ("EU27", "FIN"):
        a = rk.risk(ds, "JPN,JPN+ITA,EU27,G7", ("origin",), 2023, "rare_earths,cobalt,feldspar", share_of=who)
        b = reference_risk(
            ds, "JPN,JPN+ITA,EU27,G7", ("origin",), 2023, "rare_earths,cobalt,feldspar", share_of=who
        )
        m = _compare(a, b)
        direct = [json.loads(i or "{}").get("direct_share") for i in m["inputs_e"]]
        ref = [json.loads(i or "{}").get("direct_share") for i in m["inputs_r"]]
        assert np.allclose(np.array(direct, float), np.array(ref, float), atol=1e-9, equal_nan=True)


def _origin(ds, party, commodity, who, year=2023):
    t = rk.risk(ds, party, ("origin",), year, commodity, share_of=who)
    return float(t["value"].iloc[0])


def test_a_blocs_share_of_its_own_supply_is_what_its_members_produce(ds):
    # EU refined cobalt: Finland's and Belgium's refineries (it read 0 % while the bloc's merged node was
    # nobody's member)
    own = _origin(ds, "EU27", "cobalt", "EU27")
    assert 0.3 < own < 1.0
    assert _origin(ds, "EU27", "cobalt", "FIN") == pytest.approx(own)  # the refined series: Kokkola alone
    assert own + _origin(ds, "EU27", "cobalt", "CHN") <= 1.0 + 1e-9
    # additive over members: Italy + the other 26 = the EU's own feldspar
    eu = ds.party("EU27", 2023).members
    rest = "+".join(m for m in eu if m != "ITA")
    own, ita = _origin(ds, "EU27", "feldspar", "EU27"), _origin(ds, "EU27", "feldspar", "ITA")
    assert 0 < ita < own
    assert ita + _origin(ds, "EU27", "feldspar", rest) == pytest.approx(own, abs=1e-9)
    # a member of a bloc party counts for its own production: Italy mines feldspar, Japan next to none
    ita = _origin(ds, "JPN+ITA", "feldspar", "ITA")
    assert 0.3 < ita < _origin(ds, "JPN+ITA", "feldspar", "EU27")  # + French and German feldspar
    tab = trace_origin(ds, "JPN+ITA", "feldspar", 2023)
    assert tab.loc[tab["own"] & (tab["origin"] == "ITA"), "traced_share"].sum() == pytest.approx(ita)


def test_a_blocs_china_share_is_not_changed_by_counting_its_own_production(ds):
    # China is in none of these blocs: the figures of docs/risk-methods.md stay as they were
    t = rk.risk(ds, "JPN,ITA,JPN+ITA", ("origin",), 2023, "rare_earths").set_index("party")["value"]
    assert t.round(2).to_dict() == {"JPN": 0.63, "ITA": 0.61, "JPN+ITA": 0.63}


def test_units_gross_is_not_units_content(ds):
    content = rk.risk(ds, "AUS", "geopolrisk", 2018, "copper", proxy=False).iloc[0]
    gross = rk.risk(ds, "AUS", "geopolrisk", 2018, "copper", units="gross", proxy=False).iloc[0]
    assert json.loads(content["inputs"])["units"].startswith("content:")
    assert json.loads(gross["inputs"])["units"] == "gross weight"
    assert content["value"] != pytest.approx(gross["value"], rel=1e-6)


def test_eu_reproduction_engine_equals_reference(ds):
    from critmin.indicators.eu_crm import reproduce_2023

    a = reproduce_2023(ds).set_index(["material", "stage"])
    b = reproduce_2023(ds, engine="pandas").set_index(["material", "stage"])
    x, y = a["sr"].to_numpy(float), b.loc[a.index, "sr"].to_numpy(float)
    assert ((np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= 1e-9 * np.maximum(1.0, np.abs(y)))).all()


# -- uncertainty shown -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def series(ds):
    return rk.risk(
        ds, "ITA,JPN+ITA", ("origin", "geopolrisk", "hhi"), range(2018, 2025), "rare_earths,graphite"
    )


def test_every_range_contains_its_default(series):
    r = series[series["value_low"].notna()]
    assert len(r) > 20
    assert (r["value_low"] <= r["value"] + 1e-12).all() and (r["value"] <= r["value_high"] + 1e-12).all()
    # where no range is computed, none is shown
    assert series.loc[series["method"] == "hhi", ["value_low", "value_high"]].isna().all().all()


def test_origin_range_spans_balancing_options_and_production_sources(series):
    row = series[
        (series["party"] == "ITA")
        & (series["commodity"] == "rare_earths")
        & (series["method"] == "origin")
        & (series["year"] == 2023)
    ].iloc[0]
    variants = json.loads(row["inputs"])["range"]
    values = [v["value"] for v in variants]
    assert row["value_low"] == pytest.approx(min(values)) and row["value_high"] == pytest.approx(max(values))
    assert {v["balance"] for v in variants} >= {"mine", "full"}
    assert len({v["production"] for v in variants}) >= 2  # the IEA refining series and the mine stage
    assert row["value_high"] - row["value_low"] > 0.05  # the choice matters, and it is shown
    default = [v for v in variants if v["balance"] == "mine" and "refined" in v["production"]]
    assert default and default[0]["value"] == pytest.approx(row["value"])


def test_a_production_series_switch_is_flagged_on_the_rows_of_the_series(ds, series):
    ree = series[
        (series["party"] == "ITA") & (series["commodity"] == "rare_earths") & (series["stage"] == "refined")
    ]
    for method in ("origin", "geopolrisk"):
        rows = ree[ree["method"] == method].set_index("year")
        breaks = {
            y: [f for f in json.loads(f) if f.startswith("method_break")] for y, f in rows["flags"].items()
        }
        # the mine stage stands in before the IEA's 2023 refining series is within reach (2021-2024)
        assert breaks[2019] == ["method_break:mine:WMD:REO"]
        assert breaks[2023] == ["method_break:refined:IEA:REO"]
    graphite = series[(series["commodity"] == "graphite") & (series["method"] == "geopolrisk")]
    assert not any("method_break" in f for f in graphite["flags"])
    # one year alone is no series: no break to flag
    one = rk.risk(ds, "ITA", "origin", 2019, "rare_earths")
    assert "method_break" not in one["flags"].iloc[0]


# -- proxies for minerals without trade data --------------------------------------------------------------------
@pytest.fixture(scope="module")
def proxies(ds):
    return rk.risk(
        ds, "JPN,ITA,JPN+ITA", ("geopolrisk", "eu_sr", "origin"), 2023, "gallium,germanium,indium,silicon"
    )


def test_minerals_without_trade_codes_are_ranked_by_a_flagged_sourced_proxy(proxies):
    for c in ("gallium", "germanium", "indium", "silicon"):
        rows = proxies[proxies["commodity"] == c]
        assert len(rows) >= 3, c
        got = rows[rows["status"] == "proxy"]
        assert len(got) >= 3 and got["value"].notna().all(), c
        for r in got.itertuples(index=False):
            flags = json.loads(r.flags)
            assert "production_share_proxy" in flags
            assert {"no_trade_code", "no_trade_flows"} & set(flags)
            assert "proxy" in json.loads(r.inputs)  # the method, in words
            assert r.provenance  # the production series it comes from


def test_the_origin_proxy_is_the_world_production_share(ds, proxies):
    prod = ds.stage_production("gallium", "refined", 2023)
    share = prod.loc[prod["country"] == "CHN", "tonnes"].sum() / prod["tonnes"].sum()
    got = proxies[(proxies["commodity"] == "gallium") & (proxies["method"] == "origin")]
    assert got["value"].to_numpy() == pytest.approx(share, rel=1e-12)


def test_the_geopolrisk_proxy_weighs_producers_outside_the_party_by_their_share(ds, proxies):
    from critmin.indicators.geopolrisk import instability

    prod = ds.stage_production("gallium", "refined", 2023).groupby("country")["tonnes"].sum()
    pi = prod / prod.sum()
    g = instability(ds, 2023)  # neutral 0.5 for a producer without an estimate (and the ROW residual)
    gi = pi.index.map(lambda c: g.get(c, 0.5) if c != "ROW" else 0.5).to_numpy(float)
    hhi = float((pi.drop("ROW", errors="ignore") ** 2).sum())
    outside = (pi.index != "JPN").astype(float)
    expected = hhi * float((pi.to_numpy() * gi * outside).sum())
    got = proxies[(proxies["commodity"] == "gallium") & (proxies["method"] == "geopolrisk")]
    assert got.set_index("party").loc["JPN", "value"] == pytest.approx(expected, rel=1e-9)


def test_proxies_can_be_turned_off(ds):
    t = rk.risk(ds, "JPN", ("geopolrisk", "origin"), 2023, "gallium", proxy=False)
    assert not (t["status"] == "proxy").any()


# -- the command line -------------------------------------------------------------------------------------------
def test_critmin_risk_runs_without_pandas_and_writes_every_column(ds, store_path, tmp_path):
    # ``ds``: the store as a user has it after its first use (the one-off stage-basis build needs pandas)
    out = tmp_path / "risk.csv"
    code = (
        "import sys\n"
        "from critmin.cli.main import main\n"
        "try:\n"
        f"    main(['--db', {str(store_path)!r}, 'risk', '--for', 'JPN,JPN+ITA', '-m', 'all', '--year', '2023',"
        f" '-c', 'rare_earths,gallium', '--out', {str(out)!r}, '-q'])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "assert 'pandas' not in sys.modules, 'pandas was imported'\n"
        "assert 'scipy' not in sys.modules, 'scipy was imported'\n"
        # Typer >= 0.29 coerces parameters through pydantic (+0.1 s, +14 MB a run); numpy.ma comes with np.unique
        "assert 'pydantic' not in sys.modules, 'pydantic was imported'\n"
        "assert 'numpy.ma' not in sys.modules, 'numpy.ma was imported'\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    df = pd.read_csv(out)
    assert list(df.columns) == engine.COLUMNS + rk.EU_SR_LATEST_COLUMNS
    assert {"JPN", "JPN+ITA"} == set(df["party"])
    assert (df.loc[df["commodity"] == "gallium", "status"] == "proxy").any()


def test_critmin_risk_prints_ranges_and_proxies(store_path):
    from typer.testing import CliRunner

    from critmin.cli.main import app

    res = CliRunner().invoke(
        app, ["--db", str(store_path), "risk", "--for", "ITA", "--year", "2023", "-c", "rare_earths,gallium"]
    )
    assert res.exit_code == 0, res.output
    assert "~" in res.output and "proxy" in res.output  # the gallium proxy is marked
    assert "–" in res.output  # an origin range (low–high)


@pytest.mark.parametrize("suffix", [".json", ".parquet"])
def test_the_engine_writes_json_and_parquet(ds, tmp_path, suffix):
    res = rk.risk_result(ds, "JPN", ("hhi", "origin"), 2023, "graphite")
    try:
        res.write(tmp_path / f"r{suffix}")
        n = res.count()
    finally:
        res.close()
    back = (
        pd.read_json(tmp_path / f"r{suffix}")
        if suffix == ".json"
        else pd.read_parquet(tmp_path / f"r{suffix}")
    )
    assert len(back) == n and list(back.columns) == engine.COLUMNS


def test_a_store_opened_without_a_dataset_gets_its_basis_tables(tmp_store):
    # `critmin risk` reads a Store (no pandas-heavy Dataset): on a new store trade_basis did not exist yet
    from critmin.store import Store

    with Store(tmp_store) as s:
        assert not s.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'trade_basis'"
        ).fetchone()[0]
        res = rk.risk_result(s, "JPN", "hhi,import_hhi", 2023, "graphite")
        df = res.df()
        res.close()
    assert (df["status"] == "ok").any()


def test_critmin_risk_works_as_the_first_command_on_a_fresh_store(tmp_path):
    """The CLI opens the store without a Dataset: the stage-basis tables must be built on the way, not
    missing (regression: 'Table with name trade_basis does not exist')."""
    from typer.testing import CliRunner

    from critmin.cli.main import app

    db = tmp_path / "fresh.duckdb"
    res = CliRunner().invoke(
        app,
        ["--db", str(db), "risk", "--for", "JPN", "--method", "hhi", "--year", "2023", "-c", "rare_earths"],
    )
    assert res.exit_code == 0, res.output
    assert "rare earths" in res.output
