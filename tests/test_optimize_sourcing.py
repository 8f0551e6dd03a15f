"""Partner sourcing on the embedded data: the optimised mix is feasible and explained, pooled buying, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from critmin.errors import NoDataError, UnknownValueError
from critmin.optimize import sourcing as so


@pytest.fixture(scope="module")
def ree(ds):
    return so.market(ds, "rare_earths", "refined", 2023)


def test_market_matches_the_trade_table(ds, ree):
    t = ds.trade("rare_earths", "refined", 2023)
    jpn = t[(t["importer"] == "JPN") & (t["exporter"] != "JPN")]
    # the need is in tonnes of the stage's content basis (REO), as the data layer counts it
    assert ree.basis == "REO"
    assert ree.imports["JPN"] == pytest.approx(jpn["content_tonnes"].sum(), rel=1e-9)
    # flows without a quantity get tonnes from their value (and are counted as estimated)
    aus = ree.flows[ree.flows["exporter"] == "AUS"]
    sent = t[(t["exporter"] == "AUS") & (t["importer"] != "AUS")]
    assert ree.exports["AUS"] == pytest.approx(sent["content_tonnes"].sum(), rel=1e-9)
    assert aus["estimated_tonnes"].sum() == pytest.approx(
        sent.loc[sent["tonnes_estimated"], "content_tonnes"].sum(), rel=1e-9
    )
    # unit cost in kUSD per tonne of REO content
    chn = t[(t["exporter"] == "CHN") & (t["importer"] != "CHN")]
    assert ree.unit_value["CHN"] == pytest.approx(chn["value_kusd"].sum() / chn["content_tonnes"].sum())
    # g is the GeoPolRisk rescaling of WGI PV
    pv = ds.governance("pv", 2023).set_index("country")["estimate"]
    assert ree.g["AUS"] == pytest.approx(np.clip((2.5 - pv["AUS"]) / 5, 0, 1))


def test_australian_concentrate_is_not_refined_capacity(ds, ree):
    """Issue 16: Australia's 28,616 t of concentrate to Malaysia (HS 280530) once gave it 31,258 t of
    refined "capacity". Capacity now comes from each supplier's own refined output on the REO basis."""
    flows = ree.flows.set_index(["exporter", "importer"])
    assert ("AUS", "MYS") not in flows.index
    assert ree.exports.get("AUS", 0.0) < 100  # a few tonnes of genuine refined product
    r = so.optimize_sourcing(
        ds, "JPN", "rare_earths", "refined", 2023, partners="G7,AUS", max_share=0.65, market_=ree
    )
    # the G7 and Australia refine almost no rare earths: the honest answer is that they cannot replace
    # China, with the shortfall in tonnes of REO
    assert r.status == "infeasible"
    (line,) = r.explanation
    assert "t REO" in line and "own refined output" in line
    su = r._setup
    cap = pd.Series(su.problem.cap, index=su.suppliers)
    current = pd.Series(su.x0.sum(axis=0), index=su.suppliers)
    own = ree.production.reindex(su.suppliers).fillna(0.0)
    # no supplier offers more than today's purchases plus its own refined output
    assert (cap <= np.maximum(current, own) + 1e-6).all()
    assert cap["AUS"] == pytest.approx(max(current["AUS"], own["AUS"]))


def test_japan_rare_earths_with_g7_australia_and_malaysia(ds, ree):
    r = so.optimize_sourcing(
        ds,
        "JPN",
        "rare_earths",
        "refined",
        2023,
        partners="G7,AUS,MYS",
        non_partners="current",
        max_share=0.65,
        market_=ree,
    )
    s = r.summary.iloc[0]
    assert s["status"] == "optimal" and s["basis"] == "REO"
    assert s["risk_after"] < s["risk_before"]
    mix = r.mix
    # meets the need, no third country above 65 %, nobody above capacity, non-partners no more than today
    assert mix["optimised_tonnes"].sum() == pytest.approx(s["need_tonnes"], rel=1e-9)
    used = mix[mix["optimised_tonnes"] > 1e-6]
    assert (used["optimised_share"] <= 0.65 + 1e-9).all()
    assert (used["optimised_tonnes"] <= used["capacity_tonnes"] * (1 + 1e-9)).all()
    others = used[~used["supplier"].isin(["AUS", "MYS", "CAN", "DEU", "FRA", "GBR", "ITA", "USA"])]
    assert (others["optimised_tonnes"] <= others["current_tonnes"] + 1e-6).all()
    # current risk equals the GeoPolRisk import risk Σ g f / F of the current mix
    cur = mix[mix["current_tonnes"] > 0]
    assert s["risk_before"] == pytest.approx(
        (cur["current_tonnes"] * cur["instability_g"]).sum() / cur["current_tonnes"].sum()
    )
    # costs on the same basis: USD per tonne of REO content times tonnes of REO content
    assert s["cost_before_kusd"] == pytest.approx(
        (mix["current_tonnes"] * mix["unit_value_kusd_per_tonne"]).sum(), rel=1e-9
    )
    # binding constraints in words
    assert "Malaysia held at the 65% maximum share" in s["binding"]


def test_infeasible_partner_set_is_explained(ds, ree):
    r = so.optimize_sourcing(ds, "JPN", "rare_earths", "refined", 2023, partners="CAN", market_=ree)
    assert r.status == "infeasible"
    (line,) = r.explanation
    need = r.summary["need_tonnes"].iloc[0]
    cap = float(pd.Series(r._setup.problem.cap, index=r._setup.suppliers)["CAN"])
    assert line.startswith("capacity: the allowed suppliers (CAN)")
    assert f"short by {need - cap:,.0f} t" in line
    assert "no refined output of their own" in line
    assert np.isnan(r.risk_after)


PARTNERS = {"partners": "G7,AUS,MYS", "non_partners": "current"}


def test_infeasible_cost_bound_is_explained(ds, ree):
    r = so.optimize_sourcing(
        ds, "JPN", "rare_earths", "refined", 2023, max_cost_increase=-0.9, market_=ree, **PARTNERS
    )
    assert r.status == "infeasible"
    assert r.explanation[0].startswith("cost bound: the cheapest mix")


def test_non_partners_may_keep_current_volumes(ds, ree):
    r = so.optimize_sourcing(ds, "JPN", "rare_earths", "refined", 2023, market_=ree, **PARTNERS)
    mix = r.mix.set_index("supplier")
    assert r.status == "optimal"
    assert mix.loc["CHN", "optimised_tonnes"] <= mix.loc["CHN", "current_tonnes"] + 1e-6
    excl = so.optimize_sourcing(ds, "JPN", "rare_earths", "refined", 2023, partners="G7,AUS,MYS", market_=ree)
    # without the non-partners' current volumes the partners cannot cover the need within 65 % each
    assert excl.status == "infeasible" and "max share" in excl.explanation[0]


def test_more_partners_and_capacity_never_raise_the_risk(ds, ree):
    base = so.optimize_sourcing(ds, "JPN", "rare_earths", "refined", 2023, market_=ree, **PARTNERS)
    wider = so.optimize_sourcing(
        ds,
        "JPN",
        "rare_earths",
        "refined",
        2023,
        partners="G7,AUS,MYS,KOR",
        non_partners="current",
        market_=ree,
    )
    bigger = so.optimize_sourcing(
        ds, "JPN", "rare_earths", "refined", 2023, expansion=1.5, market_=ree, **PARTNERS
    )
    looser = so.optimize_sourcing(
        ds, "JPN", "rare_earths", "refined", 2023, max_share=0.8, market_=ree, **PARTNERS
    )
    assert base.status == "optimal"
    for r in (wider, bigger, looser):
        assert r.risk_after <= base.risk_after + 1e-12


def test_pareto_front_spans_cheapest_to_safest(ds, ree):
    r = so.optimize_sourcing(ds, "JPN", "rare_earths", "refined", 2023, pareto=4, market_=ree, **PARTNERS)
    front = r.pareto
    assert len(front) == 4
    assert front["cost_kusd"].is_monotonic_increasing
    assert (np.diff(front["import_risk"]) <= 1e-9).all()
    assert front["import_risk"].iloc[-1] == pytest.approx(r.risk_after, abs=1e-9)


def test_expected_shortfall_moves_away_from_the_restricting_supplier(ds, ree):
    sc = pd.DataFrame(
        {
            "scenario": ["china ban", "china ban", "none"],
            "probability": [0.2, 0.2, 0.8],
            "supplier": ["CHN", "MYS", "CHN"],
            "loss_fraction": [1.0, 0.5, 0.0],
        }
    )
    r = so.optimize_sourcing(
        ds,
        "JPN",
        "rare_earths",
        "refined",
        2023,
        objective="expected_shortfall",
        scenarios=sc,
        max_share=None,
        market_=ree,
    )
    s = r.summary.iloc[0]
    # before: 0.2 × (China's share + half Malaysia's share) of the need
    mix = r.mix.set_index("supplier")
    need = s["need_tonnes"]
    expected = 0.2 * (mix.loc["CHN", "current_tonnes"] + 0.5 * mix.loc["MYS", "current_tonnes"]) / need
    assert s["risk_before"] == pytest.approx(expected)
    after = 0.2 * (mix.loc["CHN", "optimised_tonnes"] + 0.5 * mix.loc["MYS", "optimised_tonnes"]) / need
    assert s["risk_after"] == pytest.approx(after) and s["risk_after"] < s["risk_before"]
    # what is left with China and Malaysia is what other refiners cannot supply
    free = mix.drop(index=["CHN", "MYS"])
    assert free["optimised_tonnes"].sum() == pytest.approx(free["capacity_tonnes"].sum(), rel=1e-6)
    with pytest.raises(UnknownValueError, match="scenario"):
        so.optimize_sourcing(
            ds, "JPN", "rare_earths", "refined", 2023, objective="expected_shortfall", market_=ree
        )


def test_pooled_buying_japan_italy(ds, ree):
    df = so.pooled(
        ds,
        "JPN+ITA",
        "rare_earths",
        "refined",
        2023,
        partners="own",
        alone_capacity="residual",
        non_partners="current",
        market_=ree,
    )
    assert list(df["case"]) == ["ITA alone", "JPN alone", "each alone (combined)", "pooled"]
    pooled = df.set_index("case")
    need = pooled.loc["pooled", "need_tonnes"]
    assert need == pytest.approx(
        pooled.loc["ITA alone", "need_tonnes"] + pooled.loc["JPN alone", "need_tonnes"]
    )
    assert pooled.loc["pooled", "partners"] == "partners:ITA ∪ partners:JPN"
    gain = pooled.loc["pooled", "partnership_gain"]
    assert gain == pytest.approx(
        pooled.loc["each alone (combined)", "risk_after"] - pooled.loc["pooled", "risk_after"]
    )
    prop = so.pooled(ds, "JPN+ITA", "rare_earths", "refined", 2023, market_=ree, **PARTNERS)
    row = prop.set_index("case").loc["pooled"]
    assert row["partnership_gain"] >= -1e-12  # proportional capacity: pooling never does worse
    with pytest.raises(UnknownValueError, match="two or more members"):
        so.pooled(ds, "JPN", "rare_earths", "refined", 2023, market_=ree)


def test_full_capacity_alone_can_over_claim(ds):
    # Japan and Italy each plan as if the other did not buy: together they claim more than Canada exports
    df = so.pooled(
        ds, "JPN+ITA", "graphite", "mine", 2024, partners="own", non_partners="current", alone_capacity="full"
    ).set_index("case")
    row = df.loc["each alone (combined)"]
    assert row["status"] == "over-claimed"
    assert "over-claim Canada by" in row["binding"]
    assert np.isnan(df.loc["pooled", "partnership_gain"])
    assert df.loc["pooled", "status"] == "optimal"


def test_commodities_without_trade_say_why(ds):
    with pytest.raises(NoDataError, match="no HS92 code") as err:
        so.optimize_sourcing(ds, "JPN", "gallium")
    depth, deepest = 0, 0  # the catalogue's note is not wrapped in a second pair of brackets
    for ch in str(err.value):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        deepest = max(deepest, depth)
    assert depth == 0 and deepest == 1, str(err.value)
    with pytest.raises(NoDataError, match="stages with trade data: refined"):
        so.optimize_sourcing(ds, "JPN", "rare_earths", "mine")
    with pytest.raises(UnknownValueError, match="stage"):
        so.optimize_sourcing(ds, "JPN", "rare_earths", "smelted")
    with pytest.raises(NoDataError, match="no trade data for 1990"):
        so.optimize_sourcing(ds, "JPN", "rare_earths", "refined", 1990)


def test_bad_parameters_are_named(ds, ree):
    with pytest.raises(UnknownValueError, match="capacity mode"):
        so.optimize_sourcing(ds, "JPN", "rare_earths", "refined", 2023, capacity="exprots", market_=ree)
    with pytest.raises(UnknownValueError, match="objective"):
        so.optimize_sourcing(ds, "JPN", "rare_earths", "refined", 2023, objective="risk", market_=ree)
    with pytest.raises(UnknownValueError, match="country or bloc"):
        so.optimize_sourcing(ds, "JPN", "rare_earths", "refined", 2023, partners="G7,Atlantis", market_=ree)


def test_optimize_many_covers_every_commodity(ds):
    df = so.optimize_many(ds, "ITA", ["rare_earths", "gallium", "graphite"], year=2023, partners="G7")
    assert set(df["commodity"]) == {"rare_earths", "gallium", "graphite"}
    assert df.set_index("commodity").loc["gallium", "status"] == "no trade data"


def test_cli_optimize_and_pooled(store_path, tmp_path):
    from typer.testing import CliRunner

    from critmin.cli.main import app

    runner = CliRunner()
    out = tmp_path / "mix.csv"
    res = runner.invoke(
        app,
        [
            "--db",
            str(store_path),
            "optimize",
            "--for",
            "JPN",
            "--commodity",
            "rare_earths",
            "--stage",
            "refined",
            "--year",
            "2023",
            "--partners",
            "G7,AUS,MYS",
            "--non-partners",
            "current",
            "--max-share",
            "0.65",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Binding" in res.output and "Malaysia" in res.output
    mix = pd.read_csv(out)
    assert {"supplier", "current_tonnes", "optimised_tonnes"} <= set(mix.columns)
    res = runner.invoke(
        app,
        [
            "--db",
            str(store_path),
            "optimize",
            "--for",
            "JPN+ITA",
            "--commodity",
            "graphite",
            "--year",
            "2023",
            "--pooled",
            "--partners",
            "own",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "pooled" in res.output


def test_restriction_scenarios_from_the_registry(ds, ree):
    sc = so.restriction_scenarios(ds, "rare_earths", "refined", 2023)
    assert sc["probability"].sum() == pytest.approx(1.0)
    assert "CHN" in set(sc["supplier"]) and (sc["loss_fraction"] == 1.0).all()
    r = so.optimize_sourcing(
        ds, "JPN", "rare_earths", "refined", 2023, objective="expected_shortfall", scenarios=sc, market_=ree
    )
    mix = r.mix.set_index("supplier")
    assert r.risk_after < r.risk_before
    # among suppliers no scenario touches, the tie is broken by instability: the 65 % goes to the most stable
    top = mix["optimised_share"].idxmax()
    assert mix.loc[top, "optimised_share"] == pytest.approx(0.65)
