"""Ingest history and undo: every ingest recorded; ``data undo ID`` restores the store exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.errors import CritminError, UnknownValueError
from critmin.ingest import ingest, undo
from critmin.ingest.history import history
from critmin.ingest.verify import verify

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
BACI_2023 = FIXTURES / "BACI_HS92_Y2023_V202501.csv"
runner = CliRunner()
BOOKKEEPING = ("ingest_history",)  # the log of what happened: it records the undo too


def content(db: Path) -> dict:
    """Every row of every table but the history log: count and order-independent hash per table."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
            if t in BOOKKEEPING:
                continue
            cols = ", ".join(f'"{r[0]}"' for r in con.execute(f"DESCRIBE {t}").fetchall())
            n, h = con.execute(f"SELECT count(*), bit_xor(hash({cols})) FROM {t}").fetchone()
            if t.startswith("ingest_saved_") and n == 0:
                continue  # created empty by the first ingest
            out[t] = (n, h)
        return out
    finally:
        con.close()


def baci_file(tmp_path: Path, name: str, rows: list[str]) -> Path:
    folder = tmp_path / f"f{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    f = folder / name
    f.write_text("t,i,j,k,v,q\n" + "".join(r + "\n" for r in rows))
    return f


@pytest.mark.parametrize(
    ("source", "path", "edition"),
    [
        ("baci", BACI_2023, "HS92 2025 release"),  # replaces 2023 of the embedded release
        ("usgs", FIXTURES / "mcs2024-lithi_world.csv", None),  # replaces lithium of the embedded MCS 2024
        (
            "wgi",
            FIXTURES / "wgidataset_2024release_sample.csv",
            None,
        ),  # replaces pv and cc of the 2024 release
    ],
)
def test_ingest_then_undo_gives_back_the_same_store(tmp_store, source, path, edition):
    before = content(tmp_store)
    report = ingest(tmp_store, source, path, edition=edition, replace=True)
    assert report.status == "ingested" and report.replaced > 0 and report.history_id == 1
    assert content(tmp_store) != before
    assert verify(tmp_store).ok
    done = undo(tmp_store, 1)
    assert done.removed_rows == report.rows and done.restored_rows == report.replaced
    assert content(tmp_store) == before  # row for row, sources and ingest_parts included
    assert verify(tmp_store).ok
    h = history(tmp_store)
    assert h["status"].tolist() == ["undone"] and h["undone_at"].notna().all()
    again = ingest(tmp_store, source, path, edition=edition, replace=True)  # not "already ingested"
    assert again.status == "ingested" and again.history_id == 2


def test_history_records_who_when_which_file_and_what_changed(tmp_store):
    ingest(tmp_store, "baci", BACI_2023)
    h = history(tmp_store).iloc[0]
    assert h["id"] == 1 and h["file"] == BACI_2023.name and h["location"] == str(BACI_2023.resolve())
    assert len(h["sha256"]) == 64 and h["user_name"] and h["host"] and h["ingested_at"].startswith("20")
    assert list(h["parts"]) == ["2023"] and h["rows_added"] == 8 and h["rows_replaced"] == 0
    assert h["data_table"] == "trade" and h["source"] == "BACI" and h["edition"] == "HS92 V202501"
    assert json.loads(h["options"])["replace"] is False and h["status"] == "active"


def test_later_ingests_of_the_same_parts_are_undone_first(tmp_store, tmp_path):
    before = content(tmp_store)
    first = ingest(tmp_store, "baci", BACI_2023)
    after_first = content(tmp_store)
    fixed = baci_file(tmp_path, BACI_2023.name, ["2023,156,392,284690,999,1"])
    second = ingest(tmp_store, "baci", fixed, replace=True)
    with pytest.raises(CritminError, match=rf"later ingest\(s\) {second.history_id} .* undo them first"):
        undo(tmp_store, first.history_id)
    undo(tmp_store, second.history_id)
    assert content(tmp_store) == after_first
    undo(tmp_store, first.history_id)
    assert content(tmp_store) == before
    with pytest.raises(CritminError, match="already undone"):
        undo(tmp_store, first.history_id)


def test_ingests_of_other_parts_are_undone_in_any_order(tmp_store, tmp_path):
    before = content(tmp_store)
    y22 = baci_file(
        tmp_path, "BACI_HS92_Y2022_V202501.csv", ["2022,156,392,284690,10,1", "2022,156,392,280530,4,1"]
    )
    a = ingest(tmp_store, "baci", y22)
    b = ingest(tmp_store, "baci", BACI_2023)  # same edition, another year
    undo(tmp_store, a.history_id)  # the older one first: its year is nobody else's
    assert verify(tmp_store).ok
    with duckdb.connect(str(tmp_store), read_only=True) as con:
        years = con.execute("SELECT DISTINCT year FROM trade WHERE edition = 'HS92 V202501'").fetchall()
        files = con.execute("SELECT file, rows FROM sources WHERE edition = 'HS92 V202501'").fetchall()
    assert years == [(2023,)] and files == [(BACI_2023.name, 8)]
    undo(tmp_store, b.history_id)
    assert content(tmp_store) == before


def test_unknown_ingest_id_is_named_with_the_known_ones(tmp_store):
    with pytest.raises(UnknownValueError, match="nothing ingested yet"):
        undo(tmp_store, 3)
    ingest(tmp_store, "baci", BACI_2023)
    with pytest.raises(UnknownValueError, match=r"unknown ingest id 7 .*did you mean 1"):
        undo(tmp_store, 7)


def test_undo_after_the_embedded_dataset_changed_reloads_the_embedded_rows(tmp_store):
    before = content(tmp_store)
    ingest(tmp_store, "baci", BACI_2023, edition="HS92 2025 release", replace=True)
    with duckdb.connect(
        str(tmp_store)
    ) as con:  # as if the ingest had been made over an older embedded dataset
        con.execute("UPDATE ingest_history SET embedded_digest = 'older'")
    report = undo(tmp_store, 1)
    assert report.embedded_reloaded and "reloaded" in str(report)
    assert verify(tmp_store).ok
    after = content(tmp_store)
    assert {t: after[t] for t in ("trade", "production", "governance")} == {
        t: before[t] for t in ("trade", "production", "governance")
    }


def test_history_and_undo_commands(tmp_store, tmp_path):
    db = ["--db", str(tmp_store)]
    res = runner.invoke(app, [*db, "data", "history"])
    assert res.exit_code == 0 and "nothing was ingested" in res.output
    res = runner.invoke(app, [*db, "data", "ingest", "baci", str(BACI_2023)])
    assert res.exit_code == 0 and "recorded as ingest 1" in res.output and "critmin data undo 1" in res.output
    out = tmp_path / "h.json"
    res = runner.invoke(app, [*db, "data", "history", "--out", str(out)], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and BACI_2023.name in res.output and "active" in res.output
    assert json.loads(out.read_text())[0]["rows_added"] == 8
    res = runner.invoke(app, [*db, "data", "undo", "1"])
    assert res.exit_code == 0 and "undid ingest 1" in res.output
    res = runner.invoke(app, [*db, "data", "history"], env={"COLUMNS": "200"})
    assert "undone" in res.output


def test_verify_names_store_rows_that_differ_from_the_embedded_data(tmp_store):
    assert verify(tmp_store).ok
    with duckdb.connect(str(tmp_store)) as con:
        con.execute(
            "UPDATE trade SET value_kusd = value_kusd * 2 WHERE year = 2020 AND exporter = 'CHN' "
            "AND importer = 'JPN' AND hs6 = '280530'"
        )
        con.execute("UPDATE countries SET name = 'Nippon' WHERE iso3 = 'JPN'")
    problems = verify(tmp_store).problems
    trade = [p for p in problems if "trade BACI 'HS92 2025 release' rows match" in p]
    assert (
        len(trade) == 1
        and "1 row(s) in the store, not in the embedded file (e.g. 2020 CHN JPN 280530)" in trade[0]
    )
    assert any("store countries content" in p and "JPN" in p for p in problems)
    # counts alone (the old check) do not see an edited value
    assert not any("the sources table says" in p for p in problems)
