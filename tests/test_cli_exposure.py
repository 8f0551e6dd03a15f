"""The ``critmin`` command: help, exposure table and output files, clean errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()


def test_help_lists_the_commands():
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0
    assert "exposure" in r.output


def test_exposure_prints_a_table_and_writes_files(store_path, tmp_path):
    for suffix in ("csv", "json", "parquet"):
        out = tmp_path / f"e.{suffix}"
        r = runner.invoke(
            app,
            [
                "--db",
                str(store_path),
                "exposure",
                "--for",
                "JPN,ITA",
                "--year",
                "2023",
                "-c",
                "rare_earths,graphite",
                "--out",
                str(out),
            ],
        )
        assert r.exit_code == 0, r.output
        assert "Japan (JPN)" in r.output and "Italy (ITA)" in r.output
        assert out.exists()
    df = pd.read_csv(tmp_path / "e.csv")
    assert set(df["party"]) == {"JPN", "ITA"}
    assert len(json.loads((tmp_path / "e.json").read_text())) == len(df)
    assert len(pd.read_parquet(tmp_path / "e.parquet")) == len(df)


def test_unknown_country_is_one_clear_line_and_exit_2(store_path):
    r = subprocess.run(
        [sys.executable, "-m", "critmin.cli.main", "--db", str(store_path), "exposure", "--for", "Jpan"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "unknown country or bloc 'Jpan'" in r.stderr and "JPN (Japan)" in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_output_suffix(store_path, tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "critmin.cli.main",
            "--db",
            str(store_path),
            "exposure",
            "--for",
            "JPN",
            "-c",
            "graphite",
            "--out",
            str(tmp_path / "x.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and ".csv" in r.stderr


def test_the_caption_names_each_production_source_once(ds):
    """At 80 columns a caption listing 'WMD 2026 (Ag); WMD 2026 (Al); ...' for 40 bases ran to 14 lines; each
    source and edition is named once with what it gives, as in the report."""
    from critmin.cli.exposure import _caption

    text = _caption(ds.exposure("JPN", 2024), "CHN", 0.1)
    for src in ("WMD 2026", "IEA May 2024", "USGS MCS 2024"):
        assert text.count(src) == 1, src
    assert "WMD 2026 (Ag, Al," in text
