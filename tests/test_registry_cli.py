"""``critmin restrictions`` commands on a fresh store."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()


def run(store, *args):
    return runner.invoke(app, ["--db", str(store), "restrictions", *args])


def test_list_in_force_writes_json(tmp_store, tmp_path):
    out = tmp_path / "r.json"
    res = run(tmp_store, "list", "--in-force", "2025-06-01", "--commodity", "graphite", "--out", str(out))
    assert res.exit_code == 0, res.output
    got = {r["id"] for r in json.loads(out.read_text())}
    assert got == {
        "CHN-2023-12-01-graphite",
        "CHN-2024-12-03-usa-graphite",
        "CHN-2024-12-03-usa-military-end-use",
    }


def test_add_show_review_and_export_import(tmp_store, tmp_path):
    res = run(
        tmp_store,
        "add",
        "--imposer",
        "Zimbabwe",
        "--commodity",
        "lithium",
        "--type",
        "ban",
        "--effective",
        "2022-12-20",
        "--title",
        "Raw lithium ore export ban",
    )
    assert res.exit_code == 0, res.output
    assert "ZWE-2022-12-20-ban-lithium" in res.output
    res = run(tmp_store, "show", "ZWE-2022-12-20-ban-lithium")
    assert "Raw lithium ore export ban" in res.output
    assert run(tmp_store, "review", "ZWE-2022-12-20-ban-lithium", "--reject").exit_code == 0
    res = run(tmp_store, "list", "--imposer", "ZWE")
    assert "0 measures" in res.output
    path = tmp_path / "all.yaml"
    assert run(tmp_store, "export", "--out", str(path)).exit_code == 0
    res = run(tmp_store, "import", str(path))
    from critmin.scenarios.registry import seed_records

    # every seed record (the rejected user record is not exported)
    assert res.exit_code == 0 and f"imported {len(seed_records())} records" in res.output


def test_bad_input_is_a_clean_error(tmp_store):
    from critmin.errors import UnknownValueError

    res = run(tmp_store, "list", "--commodity", "galium")
    assert isinstance(res.exception, UnknownValueError) and "gallium" in str(res.exception)


def test_list_in_force_says_when_a_suspension_has_run_out(tmp_store):
    res = run(tmp_store, "list", "--in-force", "2026-12-01")
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "ran until 2026-11-10" in text and "ran until 2026-11-27" in text
    assert "ran until" not in run(tmp_store, "list", "--in-force", "2026-06-01").output
