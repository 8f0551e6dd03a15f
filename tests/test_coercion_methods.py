"""The coercion-aware weight wherever suppliers are weighed: the GeoPolRisk engine, the sourcing optimiser,
stockpile sizing, the command line and the report; and the registry records it reads."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from critmin.errors import UnknownValueError
from critmin.indicators import coercion as co
from critmin.indicators.risk import risk


# -- GeoPolRisk in the engine ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def both(ds):
    kw = dict(methods=["geopolrisk"], years=2023, commodities="rare_earths,graphite,gallium")
    return {w: risk(ds, "JPN,ITA,JPN+ITA", risk_weight=w, **kw) for w in ("wgi", "coercion")}


def test_the_engine_weighs_each_flow_by_the_importers_coercion_weight(ds, both):
    row = (
        both["coercion"].query("party == 'JPN' and commodity == 'rare_earths' and stage == 'refined'").iloc[0]
    )
    inp = json.loads(row["inputs"])
    assert inp["supplier_weight"] == "coercion"
    t = ds.trade("rare_earths", "refined", 2023)
    q = t[(t["importer"] == "JPN") & (t["exporter"] != "JPN")].groupby("exporter")["content_tonnes"].sum()
    g = co.supplier_weights(ds, "JPN", "rare_earths", 2023).set_index("country")["g_coercion"]
    numerator = float((q * g.reindex(q.index).fillna(0.5)).sum())
    assert inp["numerator_tonnes"] == pytest.approx(numerator, rel=1e-9)
    expected = inp["hhi"] * numerator / (inp["imports_tonnes"] + inp["domestic_tonnes"])
    assert row["value"] == pytest.approx(expected, rel=1e-9)
    assert "coercion-aware weight" in row["provenance"] and "restriction registry as of" in row["provenance"]


def test_the_wgi_weight_is_unchanged_and_the_default(ds, both):
    default = risk(ds, "JPN,ITA,JPN+ITA", ["geopolrisk"], 2023, "rare_earths,graphite,gallium")
    # DuckDB sums in parallel: equal up to the last bits
    pd.testing.assert_frame_equal(
        default.drop(columns="inputs"), both["wgi"].drop(columns="inputs"), rtol=1e-12
    )
    assert both["wgi"]["inputs"].map(lambda s: json.loads(s).get("supplier_weight")).dropna().eq("wgi").all()
    assert (both["wgi"]["value"] != both["coercion"]["value"]).any()


def test_the_production_share_proxy_uses_the_coercion_weight_too(ds, both):
    # gallium has no trade code: the proxy weighs producers; China's Ga/Ge licences (Aug 2023) raise its weight
    w = {k: v.query("commodity == 'gallium'").set_index("party")["value"] for k, v in both.items()}
    assert (both["coercion"].query("commodity == 'gallium'")["status"] == "proxy").all()
    assert (w["coercion"] > w["wgi"]).all()


def test_a_bad_weight_fails_before_any_work(ds):
    with pytest.raises(UnknownValueError, match="did you mean coercion"):
        risk(ds, "JPN", ["geopolrisk"], 2023, "graphite", risk_weight="coerce")


# -- the sourcing optimiser ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graphite(ds):
    from critmin.optimize.sourcing import optimize_sourcing

    return {
        w: optimize_sourcing(ds, "JPN", "graphite", "mine", 2023, risk_weight=w) for w in ("wgi", "coercion")
    }


def test_the_optimiser_minimises_the_coercion_weight_of_the_party(ds, graphite):
    res = graphite["coercion"]
    s = res.summary.iloc[0]
    assert s["supplier_weight"] == "coercion" and s["status"] == "optimal"
    g = co.supplier_weights(ds, "JPN", "graphite", 2023).set_index("country")["g_coercion"]
    mix = res.mix.set_index("supplier")
    known = mix.index.intersection(g.index)
    assert mix.loc[known, "risk_weight"].to_numpy() == pytest.approx(g.reindex(known).to_numpy(), rel=1e-12)
    # import risk = Σ w x / F on the same weights, before and after
    x0 = mix["current_tonnes"]
    assert s["risk_before"] == pytest.approx(float((x0 * mix["risk_weight"]).sum() / x0.sum()), rel=1e-9)


def test_japans_graphite_optimum_leaves_china_only_under_the_coercion_weight(graphite):
    chn = {w: r.mix.set_index("supplier").loc["CHN", "optimised_share"] for w, r in graphite.items()}
    # WGI rates China (0.53) below Tanzania, Brazil, Madagascar ...: the optimum keeps it at the 65 % cap
    assert chn["wgi"] == pytest.approx(0.65, abs=1e-6)
    assert chn["coercion"] < 0.05
    assert graphite["coercion"].risk_after < graphite["wgi"].risk_after


def test_pooled_buying_takes_the_weight_through(ds):
    from critmin.optimize.sourcing import pooled

    df = pooled(ds, "JPN+ITA", "rare_earths", "refined", 2023, risk_weight="coercion")
    assert set(df["case"]) == {"JPN alone", "ITA alone", "each alone (combined)", "pooled"}
    assert (df.loc[df["case"] == "pooled", "partnership_gain"].fillna(0) >= -1e-9).all()


# -- stockpile sizing -----------------------------------------------------------------------------------------------
def test_imposers_are_drawn_in_proportion_to_the_weight_of_material_suppliers(ds):
    from critmin.optimize import stockpile as sp

    sup = sp.material_suppliers(ds, "JPN", "rare_earths", "refined", 2023)
    assert "CHN" in sup
    probs = {}
    for w in ("wgi", "coercion"):
        weights = sp.supplier_weight_series(ds, "JPN", "rare_earths", 2023, sup, w)
        probs[w] = sp.weighted_imposers(weights)
        assert sum(probs[w].values()) == pytest.approx(1.0)
        assert probs[w]["CHN"] == pytest.approx(weights["CHN"] / weights.sum())
    assert probs["coercion"]["CHN"] > 1.5 * probs["wgi"]["CHN"]


def test_stockpile_records_which_weight_drew_the_imposers(ds):
    from critmin.optimize import stockpile as sp

    res = sp.stockpile(ds, "JPN", "rare_earths", "refined", 2023, draws=40, risk_weight="coercion")
    s = res.summary.iloc[0]
    assert s["imposer_weights"] == "coercion"
    assert set(json.loads(s["imposers"])) == set(
        sp.material_suppliers(ds, "JPN", "rare_earths", "refined", 2023)
    )
    with pytest.raises(UnknownValueError, match="not both"):
        sp.stockpile(ds, "JPN", "rare_earths", "refined", 2023, draws=10, risk_weight="wgi", imposers="CHN")


# -- the command line -----------------------------------------------------------------------------------------------
def test_critmin_risk_with_the_coercion_weight_runs_without_pandas(ds, store_path, tmp_path):
    out = tmp_path / "risk.csv"
    code = (
        "import sys\n"
        "from critmin.cli.main import main\n"
        "try:\n"
        f"    main(['--db', {str(store_path)!r}, 'risk', '--for', 'JPN,JPN+ITA', '-m', 'geopolrisk', '--year', "
        f"'2023', '-c', 'rare_earths,gallium', '--risk-weight', 'coercion', '--out', {str(out)!r}, '-q'])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "assert 'pandas' not in sys.modules, 'pandas was imported'\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    df = pd.read_csv(out)
    assert df["inputs"].map(lambda s: json.loads(s).get("supplier_weight")).dropna().eq("coercion").all()


def test_cli_options_on_risk_optimize_and_stockpile(ds, store_path):  # ds: the store's basis tables are built
    from typer.testing import CliRunner

    from critmin.cli.main import app

    run = lambda *a: CliRunner().invoke(app, ["--db", str(store_path), *a])  # noqa: E731
    r = run(
        "risk",
        "--for",
        "JPN",
        "--year",
        "2023",
        "-c",
        "graphite",
        "-m",
        "geopolrisk",
        "--risk-weight",
        "coercion",
    )
    assert r.exit_code == 0, r.output
    assert "coercion-aware supplier weight" in " ".join(r.output.split())
    r = run(
        "optimize", "--for", "JPN", "-c", "graphite", "-s", "mine", "-y", "2023", "--risk-weight", "coercion"
    )
    assert r.exit_code == 0, r.output
    assert "gᶜ·x / F, coercion-aware" in r.output
    r = run("stockpile", "--for", "JPN", "-c", "gallium", "--draws", "50", "--risk-weight", "coercion")
    assert r.exit_code == 0, r.output
    assert "weighted by the coercion-aware supplier weight" in " ".join(r.output.split())
    r = run("optimize", "--for", "JPN", "-c", "graphite", "--risk-weight", "friendly")
    assert isinstance(r.exception, UnknownValueError) and "risk weight 'friendly'" in str(r.exception)
    r = run("risk", "--for", "JPN", "-c", "graphite", "--risk-weight", "coercion", "--as-of", "2023-13-01")
    assert isinstance(r.exception, UnknownValueError) and "as-of date" in str(r.exception)
    r = run("optimize", "--for", "JPN", "-c", "graphite", "--as-of", "2023-12-31")
    assert "add --risk-weight coercion" in str(r.exception)


# -- the report -----------------------------------------------------------------------------------------------------
def test_the_report_shows_both_weights_where_suppliers_are_weighed(ds):
    from critmin.report.briefing import Briefing
    from critmin.report.coercion import coercion_sections
    from critmin.report.extras import PROVIDERS

    assert any(p.__name__ == "coercion_sections" for _, p in PROVIDERS)
    exp = Briefing(ds, "JPN,ITA", 2023).exp
    secs = {s.id: s for s in coercion_sections(ds, "JPN,ITA", 2023, exp)}
    assert {"supplier-weights", "coercion-risk", "coercion-optimum"} <= set(secs)
    t = secs["supplier-weights"].table
    assert {"WGI g", "Coercion-aware gᶜ", "UNGA distance", "Restriction record"} <= set(t["columns"])
    china = [r for r in t["rows"] if r[2] == "China" and r[0] == "JPN"]
    usa = [r for r in t["rows"] if r[2] == "United States" and r[0] == "JPN"]
    assert china and usa
    gc = t["columns"].index("Coercion-aware gᶜ")
    assert all(float(c[gc]) > float(u[gc]) + 0.2 for c, u in zip(china, usa, strict=True))
    weights = {r[2] for r in secs["coercion-optimum"].table["rows"]}
    assert weights == {"wgi", "coercion"}


# -- the registry records the weight reads --------------------------------------------------------------------------
def test_the_earlier_chinese_measures_are_dated_cited_and_never_in_force_now():
    from critmin.scenarios import registry

    recs = {r["id"]: r for r in registry.seed_records()}
    halt = recs["CHN-2010-09-21-rare-earths-japan-halt"]
    quotas = recs["CHN-2012-01-01-rare-earths-tungsten-molybdenum-quotas"]
    assert halt["targets"] == ["JPN"] and halt["end_date"] == "2010-11-20"
    assert quotas["end_date"] == "2015-05-01" and "DS431" in quotas["legal_reference"]
    for r in (halt, quotas):
        assert r["source_url"].startswith("https://") and r["reviewed"]
        assert not registry.is_in_force(r, "2016-01-01")
    in_force = registry.restrictions(in_force="2023-12-31")
    assert not set(in_force["id"]) & {halt["id"], quotas["id"]}


def test_a_relaxation_in_2025_does_not_relax_measures_that_ended_years_before(tmp_store):
    from critmin.news.linking import relaxed_restrictions
    from critmin.news.model import Event
    from critmin.store import Store

    ev = Event(
        event_type="restriction_lifted",
        date="2025-11-07",
        initiator=["CHN"],
        minerals=["rare earths"],
        measure_type="licence",
    )
    with Store(tmp_store) as st:
        ids = relaxed_restrictions(st, ev, ["rare_earths"])
    assert "CHN-2025-04-04-rare-earths-medium-heavy" in ids
    assert not {
        "CHN-2010-09-21-rare-earths-japan-halt",
        "CHN-2012-01-01-rare-earths-tungsten-molybdenum-quotas",
    } & set(ids)
