"""``critmin data`` commands: build, status, verify, ingest, update."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.errors import DataError, OfflineError, UnknownValueError

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
runner = CliRunner()


def run(store, *args):
    # a wide terminal: every column of the status table, none wrapped
    return runner.invoke(app, ["--db", str(store), "data", *args], env={"COLUMNS": "250"})


def test_status_lists_sources_editions_and_licences(tmp_store, tmp_path):
    out = tmp_path / "status.json"
    res = run(tmp_store, "status", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "HS92 2025 release" in res.output and "Etalab Open Licence 2.0" in res.output
    rows = json.loads(out.read_text())
    assert {r["source"] for r in rows} >= {"BACI", "WMD", "USGS", "IEA", "WGI"}
    assert {"data_table", "edition", "rows", "first_year", "last_year", "origin", "licence"} <= set(rows[0])


def test_ingest_then_status_shows_the_ingested_edition(tmp_store):
    res = run(tmp_store, "ingest", "baci", str(FIXTURES / "BACI_HS92_Y2023_V202501.csv"))
    assert res.exit_code == 0, res.output
    assert "ingested 8 trade rows as BACI 'HS92 V202501'" in res.output
    assert "2 outside the catalogue" in res.output
    again = run(tmp_store, "ingest", "BACI", str(FIXTURES / "BACI_HS92_Y2023_V202501.csv"))
    assert again.exit_code == 0 and "already ingested" in again.output
    status = run(tmp_store, "status")
    assert "HS92 V202501" in status.output and "ingest" in status.output


def test_ingest_with_edition_and_skip_bad(tmp_store, tmp_path):
    f = tmp_path / "wgi.csv"
    f.write_text(
        (FIXTURES / "wgidataset_2024release_sample.csv").read_text()
        + "XYZpv2023,XYZ,Nowhere,2023,pv,1,1,1,1,1,1\n"
    )
    rej = tmp_path / "bad.csv"
    res = run(
        tmp_store,
        "ingest",
        "wgi",
        str(f),
        "--edition",
        "2024 release (test)",
        "--skip-bad",
        "--rejects",
        str(rej),
    )
    assert res.exit_code == 0, res.output
    assert "'2024 release (test)'" in res.output and "skipped 1 bad rows" in res.output
    assert "XYZ" in rej.read_text()


def test_unknown_source_suggests_close_matches(tmp_store):
    res = run(tmp_store, "ingest", "bacci", str(FIXTURES / "BACI_HS92_Y2023_V202501.csv"))
    assert isinstance(res.exception, UnknownValueError)
    assert "did you mean baci" in str(res.exception)


def test_malformed_file_is_refused(tmp_store, tmp_path):
    f = tmp_path / "BACI_HS92_Y2023_V202501.csv"
    f.write_text("t,i,j,k,v,q\n2023,156,392,284690,ten,1\n")
    res = run(tmp_store, "ingest", "baci", str(f))
    assert isinstance(res.exception, DataError)
    assert f"{f.name}:2 [v]" in str(res.exception)


def test_verify_passes_then_fails_after_tampering(tmp_store):
    res = run(tmp_store, "verify")
    assert res.exit_code == 0, res.output
    assert "checks passed" in res.output
    con = duckdb.connect(str(tmp_store))
    con.execute("DELETE FROM governance WHERE indicator = 'va' AND year = 2010")
    con.close()
    res = run(tmp_store, "verify")
    assert res.exit_code == 1
    assert "WGI '2024 release'" in res.output and "the sources table says" in res.output


def test_update_list_and_offline(tmp_store):
    res = run(tmp_store, "update", "--list")
    assert res.exit_code == 0 and "cepii.fr" in res.output and "bmf.gv.at" in res.output
    res = run(tmp_store, "update", "wmd", "--timeout", "2")
    if res.exit_code == 0:
        pytest.skip("the machine is online")
    assert isinstance(res.exception, OfflineError)
    assert "critmin data ingest wmd FILE" in str(res.exception)


def test_data_group_is_registered():
    res = runner.invoke(app, ["data", "--help"])
    assert res.exit_code == 0
    for cmd in ("build", "status", "verify", "ingest", "update"):
        assert cmd in res.output


@pytest.mark.slow
@pytest.mark.shared
def test_build_is_deterministic(shared_dir, tmp_path):
    """Same input, same bytes: build twice (once through the CLI) and compare every file."""
    from critmin.data.build import build

    a, b = tmp_path / "a", tmp_path / "b"
    res = runner.invoke(app, ["data", "build", "--from", str(shared_dir / "data"), "--out", str(a)])
    assert res.exit_code == 0, res.output
    build(shared_dir / "data", b)
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir())
    assert {"manifest.json", "ATTRIBUTION.md", "trade.parquet", "production.parquet"} <= set(files)
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
