"""``critmin outlook``, the CRMA benchmark table and the report section."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.outlook.crma import crma_benchmarks, largest_share, processing_share

runner = CliRunner()


def _run(store_path, *args):
    return runner.invoke(app, ["--db", str(store_path), "outlook", *args], env={"COLUMNS": "80"})


def test_concentration_table_and_out_file(store_path, tmp_path):
    out = tmp_path / "o.csv"
    r = _run(store_path, "--commodity", "rare_earths", "--stage", "refined", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "refined magnet rare earths" in r.output and "76.3" in r.output and "CHN 92%" in r.output
    assert "not a critmin forecast" in r.output
    assert max(len(line) for line in r.output.splitlines()) <= 80
    df = pd.read_csv(out)
    assert set(df["year"]) == {2023, 2030, 2035, 2040} and set(df["scenario"]) == {"STEPS", "APS", "NZE"}
    assert {"hhi", "top3_share", "share_CHN", "balance_kt", "coverage", "source", "edition"} <= set(
        df.columns
    )


def test_party_case_prints_the_answer_and_the_plan(store_path, tmp_path):
    out = tmp_path / "case.json"
    r = _run(
        store_path,
        "--for",
        "JPN+ITA",
        "-c",
        "rare_earths",
        "-s",
        "refined",
        "--scenario",
        "APS",
        "--years",
        "2030",
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "JPN+ITA cannot meet the 65% cap for refined magnet rare earths in 2030 under APS" in text
    assert "Plan by supplier" in text and "Malaysia" in text
    assert pd.read_json(out)["party"].iloc[0] == "JPN+ITA"
    assert (tmp_path / "case-plan.json").exists()


def test_many_cases_and_crma(store_path, tmp_path):
    r = _run(store_path, "--for", "JPN,ITA", "-c", "graphite", "--scenario", "APS")
    assert r.exit_code == 0, r.output
    assert r.output.count("• ") == 2 * 2 * 2  # parties × stages × years
    out = tmp_path / "crma.parquet"
    r = _run(store_path, "--crma", "--for", "EU27,JPN", "-c", "cobalt", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "EU CRMA benchmarks" in r.output and "not computable" in " ".join(r.output.split())
    assert len(pd.read_parquet(out)) == 2 * 2


def _error(store_path, capsys, *args) -> tuple[int, str]:
    from critmin.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["--db", str(store_path), "outlook", *args])
    return exc.value.code, " ".join(capsys.readouterr().err.split())


def test_bad_input_is_one_clear_line(store_path, capsys):
    code, err = _error(store_path, capsys, "--scenario", "APZ")
    assert code == 2 and "unknown IEA scenario 'APZ' — did you mean APS" in err
    code, err = _error(store_path, capsys, "--for", "JPN", "--need-kt", "3")
    assert code == 2 and "--need-kt" in err
    code, err = _error(store_path, capsys, "-c", "gallium")
    assert code == 2 and "mineral with an IEA outlook" in err
    code, err = _error(store_path, capsys, "--out", "x.txt")
    assert code == 2 and "output file type '.txt'" in err and "x.csv, .json or .parquet" in err


# -- CRMA -------------------------------------------------------------------------------------------------------
def test_crma_pure_functions():
    who, share = largest_share(
        np.array([60.0, 20.0, 10.0, 10.0]), np.array(["CHN", "JPN", "AUS", "ROW"]), {"JPN"}
    )
    assert who == "CHN" and share == pytest.approx(60 / 80)
    assert processing_share(18.8, 4.7) == pytest.approx(0.8)
    assert np.isnan(processing_share(0.0, -1.0))


def test_crma_table_on_the_embedded_data(ds):
    df = crma_benchmarks(ds, "EU27,JPN", "cobalt,rare_earths").set_index(["party", "commodity", "stage"])
    assert len(df) == 2 * 2 * 2
    eu = df.loc[("EU27", "cobalt", "refined")]

    # EU refining: Finland (IEA) over Finland + net extra-EU imports of refined cobalt (contained)
    def flows(direction):
        f = ds.bilateral("EU27", "cobalt", 2023, stage="refined", by_hs=True, direction=direction)
        return f["content_tonnes"].sum() / 1e3  # the stage's basis (Co) is the IEA's

    fin = ds.supply_outlook("cobalt", "refined", 2023).set_index("country").loc["FIN", "supply_kt"]
    assert eu["processing_share_2023"] == pytest.approx(fin / (fin + flows("imports") - flows("exports")))
    assert eu["own_output_2023_kt"] == pytest.approx(fin)
    jpn = df.loc[("JPN", "rare_earths", "refined")]
    assert jpn["top_supplier_2023"] == "CHN"
    assert bool(jpn["single_country_met_2023"]) == bool(jpn["top_share_2023"] <= 0.65)
    assert jpn["basis"] == "lower bound" and "lower bound" in jpn["notes"]
    assert jpn["top_supplier_2030"] == "CHN" and jpn["top_share_2030"] == pytest.approx(80.8 / 105.6)
    assert df.loc[("JPN", "cobalt", "mine"), "top_supplier_2023"] is None  # no trade code on the IEA basis


# -- report ----------------------------------------------------------------------------------------------------
def test_report_outlook_section(ds):
    from critmin.report.outlook import outlook_sections

    exp = ds.exposure("JPN,ITA", 2023)
    secs = outlook_sections(ds, "JPN,ITA", 2023, exp)
    assert [s.id for s in secs] == ["outlook-2030", "outlook-concentration"]
    first = secs[0]
    assert "not a critmin forecast" in first.paragraphs[0]
    # one bullet per party and mineral, one idea per line under it (issue 11: no wall of text)
    heads = [p["head"] for p in first.points]
    assert any(h.startswith("Japan (JPN) · ") and h.endswith(", 2030 APS:") for h in heads)
    assert all(re.match(r"(can|cannot) ", p["text"]) for p in first.points)
    short = [p for p in first.points if p["text"].startswith("cannot") and "kt need" in p["text"]]
    assert short and all(
        re.search(r"short by [\d.,]+ k?t \(\d+% of its [\d.,]+ kt need\)", p["text"]) for p in short
    )
    lines = [x for p in first.points for x in p["sub"]]
    assert lines and all(len(x) < 160 and x.count("; ") == 0 for x in lines)
    assert not any("shared pro rata" in x for x in lines)  # said once, in the section's text
    assert any(x.startswith("Closes if ") for x in lines) and not first.notes
    parties = {row[0] for row in first.table["rows"]}
    assert parties == {"JPN", "ITA"}
    assert len(secs[1].table["rows"]) == 12
