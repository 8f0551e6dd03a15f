"""One test per output quirk of issue 11: extensions vs formats, stdout, ranges, long lists, stores, names,
integer counts, float noise and byte-identical exports."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()


def cli(store_path, *args, env=None):
    return runner.invoke(app, ["--db", str(store_path), *args], env=env)


def main(*args, env=None):
    """The real entry point (errors become one line on stderr, exit code 2)."""
    return subprocess.run(
        [sys.executable, "-m", "critmin.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


# report --out r.pdf writing a PDF: tests/test_report.py::test_summary_on_page_one_with_ranked_actions


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "r.pdf.txt"], "unknown report file type '.txt'"),
        (["--out", "r.html", "--pdf", "r.txt"], "a PDF is written: name it r.pdf"),
    ],
)
def test_report_names_are_checked_before_any_work(store_path, tmp_path, args, message):
    r = main(
        "--db",
        str(store_path),
        "report",
        "--for",
        "JPN",
        *[str(tmp_path / a) if "." in a else a for a in args],
    )
    assert r.returncode == 2 and message in " ".join(r.stderr.split())
    assert not list(tmp_path.iterdir())  # nothing written


def test_table_to_stdout_with_out_dash_and_format(store_path):
    a = cli(store_path, "exposure", "--for", "JPN", "-c", "graphite", "--out", "-")
    b = cli(store_path, "exposure", "--for", "JPN", "-c", "graphite", "--format", "csv")
    assert a.exit_code == b.exit_code == 0
    assert a.stdout == b.stdout and a.stdout.startswith("party,party_name,members,commodity")
    j = cli(store_path, "exposure", "--for", "JPN", "-c", "graphite", "--format", "json")
    assert json.loads(j.stdout)[0]["commodity"] == "graphite"


def test_extension_must_agree_with_format(store_path, tmp_path):
    r = main(
        "--db",
        str(store_path),
        "exposure",
        "--for",
        "JPN",
        "--out",
        str(tmp_path / "e.csv"),
        "--format",
        "json",
    )
    assert r.returncode == 2 and "names a csv file but --format is json" in " ".join(r.stderr.split())
    r = main("--db", str(store_path), "exposure", "--for", "JPN", "--out", str(tmp_path / "e.txt"))
    assert r.returncode == 2 and "'.txt'" in r.stderr
    assert not list(tmp_path.iterdir())


def test_reversed_year_range_is_said(store_path):
    r = main("--db", str(store_path), "exposure", "--for", "JPN", "--years", "2024-2018")
    assert (
        r.returncode == 2
        and "year range '2024-2018' is reversed: write it low to high, 2018-2024" in r.stderr
    )


def test_long_lists_of_missing_years_are_shortened(store_path):
    r = main("--db", str(store_path), "exposure", "--for", "JPN", "-c", "tin", "--years", "1900-2099")
    assert r.returncode == 2
    assert "no trade data for years 1900-1994, 2025-2099" in " ".join(r.stderr.split())
    assert len(r.stderr) < 300


def test_errors_shorten_long_lists():
    from critmin.errors import shorten, year_spans

    assert shorten(range(20), 3) == "0, 1, 2 … and 17 more"
    assert year_spans([2025, 1990, 1991, 1992, 2030]) == "years 1990-1992, 2025, 2030"
    assert year_spans([2031]) == "year 2031"


@pytest.mark.parametrize("name", ["e.csv", "new.json"])
def test_a_data_file_as_db_is_a_clear_error(tmp_path, name):
    db = tmp_path / name
    if name.endswith(".csv"):
        db.write_text("a,b\n1,2\n")
    r = main("--db", str(db), "exposure", "--for", "JPN", "-c", "tin")
    assert r.returncode == 2 and f"--db {db}" in " ".join(r.stderr.split()) and "Traceback" not in r.stderr
    assert not (tmp_path / "new.json").exists()


def test_a_guessed_commodity_is_said(store_path):
    r = main("--db", str(store_path), "exposure", "--for", "JPN", "-c", "rare_earth", "--format", "csv")
    assert r.returncode == 0
    assert "note: reading 'rare_earth' as rare_earths (Rare earth elements)" in r.stderr
    assert "note:" not in r.stdout


def test_counts_are_integers(ds, store_path, tmp_path):
    e = ds.exposure("JPN", 2024, commodities="rare_earths,gallium")
    assert str(e["n_suppliers"].dtype) == "Int64" and e["n_suppliers"].isna().any()  # gallium: no trade code
    out = tmp_path / "e.csv"
    r = cli(store_path, "exposure", "--for", "JPN", "-c", "rare_earths", "--out", str(out), "-q")
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, dtype=str)
    assert all(v.isdigit() for v in df["n_suppliers"].dropna())  # '29', not '29.0'


def test_no_float_noise_and_byte_identical_exports(store_path, tmp_path):
    files = []
    for seed in ("1", "2"):
        out = tmp_path / f"e{seed}.csv"
        r = main("--db", str(store_path), "exposure", "--for", "JPN,ITA,JPN+ITA", "--out", str(out), "-q",
                 env={"PYTHONHASHSEED": seed})  # fmt: skip
        assert r.returncode == 0, r.stderr
        files.append(out.read_bytes())
    assert files[0] == files[1]
    text = files[0].decode()
    numbers = re.findall(r"(?<![\w.])-?\d+\.\d+(?:e-?\d+)?", text)
    assert numbers and all(len(re.sub(r"\D", "", n.split("e")[0]).lstrip("0")) <= 10 for n in numbers)


OPTIMIZE = ["optimize", "--for", "JPN", "-c", "rare_earths", "--stage", "refined", "--year", "2024"]
STOCKPILE = ["stockpile", "--for", "JPN", "-c", "gallium", "--draws", "50"]
PARTNERS = ["partners", "--for", "JPN", "--with", "G7,AUS,CHN"]
PARTNERSHIPS = ["partnerships", "list", "--country", "ITA"]
DATA_COMMANDS = [OPTIMIZE, STOCKPILE, PARTNERS, PARTNERSHIPS]
DATA_IDS = ["optimize", "stockpile", "partners", "partnerships-list"]


@pytest.mark.parametrize(
    ("args", "header"),
    [
        (OPTIMIZE, "party,commodity,stage,year,supplier,supplier_name"),
        (STOCKPILE, "country,commodity,stage,year,method,stock_days"),
        (PARTNERS, "country,other,other_name,session,year,ideal_point"),
        (PARTNERSHIPS, "id,parties,kind,level,previous_level,minerals"),
    ],
    ids=DATA_IDS,
)
def test_optimize_and_stockpile_write_their_table_to_stdout(store_path, tmp_path, args, header):
    a = cli(store_path, *args, "--out", "-")
    b = cli(store_path, *args, "--format", "csv")
    assert a.exit_code == b.exit_code == 0, a.output
    assert a.stdout == b.stdout and a.stdout.startswith(header)  # data only: no headline, table or note
    out = tmp_path / "t.csv"
    f = cli(store_path, *args, "--out", str(out))
    assert f.exit_code == 0 and out.read_text() == a.stdout  # the same table --out writes
    rows = json.loads(cli(store_path, *args, "--format", "json").stdout)
    assert list(rows[0]) == list(pd.read_csv(out).columns) and len(rows) == len(pd.read_csv(out))


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=DATA_IDS)
def test_optimize_and_stockpile_check_extension_against_format(store_path, tmp_path, args):
    r = main("--db", str(store_path), *args, "--out", str(tmp_path / "m.csv"), "--format", "json")
    assert r.returncode == 2 and "names a csv file but --format is json" in " ".join(r.stderr.split())
    assert not list(tmp_path.iterdir())


def test_partnerships_list_writes_list_cells_joined_and_is_data_only(store_path):
    # every record of the table, its minerals list joined with ';' as every CSV critmin writes
    a = cli(store_path, *PARTNERSHIPS, "--out", "-")
    df = pd.read_csv(io.StringIO(a.stdout))
    assert len(df) == int(cli(store_path, *PARTNERSHIPS).stdout.split()[0])  # the title: "14 partnerships"
    assert df["minerals"].str.contains(";").any() and not df["minerals"].str.startswith("[").any()
    assert df.loc[df["id"] == "EU27-CHL-strategic-partnership-2023", "via"].item() == "EU27"


@pytest.mark.parametrize(
    "args",
    [
        ["optimize", "--for", "JPN", "-c", "rare_earths", "--stage", "refined", "--year", "2024"],
        STOCKPILE,
        ["outlook", "--for", "JPN+ITA", "--commodity", "rare_earths", "--stage", "refined", "--scenario", "APS",
         "--years", "2030"],
        ["data", "stages", "--reasons"],
    ],
    ids=["optimize", "stockpile", "outlook", "data-stages"],
)  # fmt: skip
def test_command_prose_writes_percentages_as_the_tables_do(store_path, args):
    """Headlines, answers and reasons: '65%' (critmin.formats.percent), as every table writes a share."""
    r = cli(store_path, *args, env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert re.search(r"\d%", r.stdout)
    assert not re.findall(r".{30}\d[ \u00a0]%", r.stdout)


def _descriptions(help_text: str) -> list[list[str]]:
    """The description column of the commands panel, one list of lines per command."""
    out: list[list[str]] = []
    panel = help_text.split("─ Commands ─", 1)[1].split("╰", 1)[0]
    for line in panel.splitlines()[1:]:
        body = line.strip().strip("│").rstrip()
        if not body.strip():
            continue
        desc = body.strip().partition("  ")[2]
        if body.startswith(" ") and len(body) - len(body.lstrip()) > 3:  # a continuation line
            out[-1].append(body.strip())
        else:
            out.append([desc.strip()])
    return out


@pytest.mark.parametrize("group", [[], ["news"], ["data"], ["partnerships"], ["restrictions"]])
def test_command_help_is_reflowed_at_80_columns(group):
    """Docstrings are wrapped by the terminal, not by their source lines: every line of a command's
    description but its last is full (the next word would not have fitted)."""
    r = subprocess.run(
        [sys.executable, "-m", "critmin.cli.main", *group, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"},
    )
    assert r.returncode == 0, r.stderr
    assert max(len(x) for x in r.stdout.splitlines()) <= 80
    descriptions = _descriptions(r.stdout)
    assert descriptions
    width = max(len(x) for d in descriptions for x in d)
    for lines in descriptions:
        for line, nxt in itertools.pairwise(lines):
            assert len(line) + 1 + len(nxt.split()[0]) > width, (line, nxt)
