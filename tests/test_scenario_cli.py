"""``critmin scenario restrict`` and ``critmin scenario sweep`` on the embedded data."""

from __future__ import annotations

import json
import re

import pandas as pd
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()


def run(store, *args):
    return runner.invoke(app, ["--db", str(store), "scenario", *args], env={"COLUMNS": "200"})


def test_restrict_destination_ban_writes_json(store_path, tmp_path):
    out = tmp_path / "ree.json"
    res = run(
        store_path,
        "restrict",
        "--by",
        "CHN",
        "--commodity",
        "rare_earths",
        "--stage",
        "refined",
        "--share",
        "1.0",
        "--targets",
        "JPN",
        "--year",
        "2023",
        "--stocks",
        "JPN=60",
        "--out",
        str(out),
    )
    assert res.exit_code == 0, res.output
    assert "JPN Japan" in res.output
    doc = json.loads(out.read_text())
    w = doc["world"]
    assert w["restrictions"][0] == {"imposer": "CHN", "share": 1.0, "targets": ["JPN"], "label": None}
    lost = w["delta_stocks_tonnes"] + w["delta_consumption_tonnes"] - w["withheld_used_tonnes"]
    assert abs(lost + w["initial_shock_tonnes"]) < 1e-6
    assert w["supply_response"] == {"on": False} and w["rationing"] == "pro_rata"
    assert "supply response: off" in res.output
    jpn = next(c for c in doc["countries"] if c["country"] == "JPN")
    assert jpn["stocks_days"] == 60 and jpn["direct_loss_tonnes"] > 0
    assert doc["links"] and {"importer", "exporter", "delta_tonnes"} <= set(doc["links"][0])


def test_restrict_from_a_registry_measure(store_path):
    res = run(
        store_path,
        "restrict",
        "--measure",
        "IDN-2020-01-01-nickel-ore",
        "--commodity",
        "nickel",
        "--year",
        "2019",
    )
    assert res.exit_code == 0, res.output
    assert "IDN withheld" in res.output


def test_sweep_writes_summary_csv(store_path, tmp_path):
    out = tmp_path / "sweep.csv"
    res = run(
        store_path,
        "sweep",
        "--commodity",
        "graphite",
        "--stage",
        "mine",
        "--year",
        "2023",
        "--by",
        "CHN=0.8,MOZ=0.2",
        "--draws",
        "60",
        "--stocks",
        "JPN=30:90",
        "--share",
        "0.5:1",
        "--out",
        str(out),
    )
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert {
        "shortfall_p50_tonnes",
        "shortfall_p90_tonnes",
        "shortfall_p99_tonnes",
        "days_of_cover_p50",
    } <= set(df.columns)
    assert (df["draws"] == 60).all()


def test_bad_arguments_are_clean_errors(store_path):
    from critmin.errors import CritminError

    res = run(
        store_path, "restrict", "--by", "CHN", "--commodity", "graphite", "--year", "2023", "--stocks", "JPN"
    )
    assert isinstance(res.exception, CritminError) and "COUNTRY=VALUE" in str(res.exception)
    res = run(store_path, "restrict", "--commodity", "graphite", "--year", "2023")
    assert isinstance(res.exception, CritminError) and "--by" in str(res.exception)
    res = run(store_path, "sweep", "--commodity", "gallium", "--draws", "5")
    assert isinstance(res.exception, CritminError) and "trade" in str(res.exception)


def test_restrict_with_supply_response_says_so(store_path, tmp_path):
    out = tmp_path / "ree.json"
    args = ["restrict", "--by", "CHN", "--commodity", "graphite", "--stage", "mine", "--year", "2023"]
    res = run(store_path, *args, "--response", "--horizon-months", "9", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "supply response: on, 9 months" in res.output
    resp = json.loads(out.read_text())["world"]["supply_response"]
    assert resp["on"] is True and resp["horizon_months"] == 9 and resp["spare"] == "demonstrated"
    assert 0 < resp["extra_output_tonnes"] <= resp["capacity_tonnes"] + 1e-6
    res = run(store_path, *args, "--response", "--spare", "MOZ=1000", "--no-redirect")
    assert res.exit_code == 0, res.output
    assert "spare capacity 1,000 t (given)" in res.output
    bad = run(store_path, *args, "--response", "--horizon-months", "120")
    assert bad.exit_code != 0 and "horizon" in str(bad.exception)


def test_tables_fit_an_80_column_terminal(store_path):
    res = runner.invoke(
        app,
        ["--db", str(store_path), "scenario", "restrict", "--by", "CHN", "--commodity", "rare_earths",
         "--stage", "refined", "--targets", "JPN", "--year", "2023", "--stocks", "JPN=60"],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    table = res.output.split("\n\n")[0].splitlines()
    assert max(len(line.rstrip()) for line in table) <= 80
    assert not re.search(r"\d…", res.output)  # numbers are never cut ('20,0…'), only names


def test_the_default_network_year_is_the_analysis_year(store_path):
    """A scenario without --year runs on the same year as exposure and the briefing's stress test."""
    import critmin

    year = critmin.open(str(store_path)).analysis_year()
    r = runner.invoke(
        app,
        ["--db", str(store_path), "scenario", "restrict", "--by", "CHN", "-c", "graphite"],
        env={"COLUMNS": "120"},
    )
    assert r.exit_code == 0, r.output
    assert f"({year} network)" in r.stdout
