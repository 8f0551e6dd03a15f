"""The DuckDB store: built from the embedded data, provenance on every row, read-only by default."""

from __future__ import annotations

import json

import duckdb
import pytest

from critmin.data import embedded_dir
from critmin.store import Store


def test_store_built_with_all_tables_and_provenance(store_path):
    with Store(store_path) as s:
        status = s.status()
        assert set(status["data_table"]) == {
            "trade",
            "production",
            "governance",
            "ideal_points",
            "supply_outlook",
            "demand_outlook",
        }
        assert set(status["source"]) >= {"BACI", "WMD", "USGS", "IEA", "WGI", "UNGA ideal points"}
        assert (status["origin"] == "embedded").all()
        assert status["licence"].notna().all()
        nulls = s.query("SELECT count(*) AS n FROM trade WHERE source IS NULL OR edition IS NULL")["n"].iloc[
            0
        ]
        assert nulls == 0


def test_row_counts_match_the_manifest(store_path):
    manifest = json.loads((embedded_dir() / "manifest.json").read_text())
    with Store(store_path) as s:
        for table in (
            "trade",
            "production",
            "governance",
            "ideal_points",
            "blocs",
            "countries",
            "supply_outlook",
        ):
            n = s.query(f"SELECT count(*) AS n FROM {table}")["n"].iloc[0]
            assert n == manifest["tables"][table]["rows"], table


def test_store_is_read_only_by_default(store_path):
    with Store(store_path) as s, pytest.raises(duckdb.Error):
        s.con.execute("DELETE FROM trade")


def test_failed_transaction_leaves_the_store_unchanged(tmp_store):
    s = Store(tmp_store)
    before = s.query("SELECT count(*) AS n FROM trade")["n"].iloc[0]
    with pytest.raises(RuntimeError), s.transaction() as con:
        con.execute("DELETE FROM trade WHERE year = 2023")
        raise RuntimeError("boom")
    assert s.query("SELECT count(*) AS n FROM trade")["n"].iloc[0] == before


def test_reopening_does_not_rebuild(tmp_store):
    mtime = tmp_store.stat().st_mtime_ns
    Store(tmp_store).close()
    assert tmp_store.stat().st_mtime_ns == mtime


def test_store_location_from_environment(monkeypatch, tmp_path):
    from critmin.store import default_db_path

    monkeypatch.setenv("CRITMIN_DB", str(tmp_path / "x.duckdb"))
    assert default_db_path() == tmp_path / "x.duckdb"
    monkeypatch.delenv("CRITMIN_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "critmin" / "critmin.duckdb"


def _pretend_outdated(path) -> None:
    with duckdb.connect(str(path)) as con:  # as if the embedded dataset changed since the build
        con.execute("UPDATE meta SET value = 'old' WHERE key = 'embedded_digest'")


def _digest(path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT value FROM meta WHERE key = 'embedded_digest'").fetchall()[0][0]


def test_outdated_store_is_refreshed_while_a_reader_holds_it_open(tmp_store):
    _pretend_outdated(tmp_store)
    holder = Store.__new__(Store)  # a reader that opened the store before the refresh
    holder.path, holder._con, holder._file_id = tmp_store, None, None
    old_con = holder.con
    Store(tmp_store).close()  # refreshes although the file is open (copy-on-write)
    assert _digest(tmp_store) != "old"
    # the reader's open connection still sees the state it opened; its next query sees the new file
    assert old_con.execute("SELECT value FROM meta WHERE key = 'embedded_digest'").fetchall()[0][0] == "old"
    assert (
        holder.con.execute("SELECT value FROM meta WHERE key = 'embedded_digest'").fetchall()[0][0] != "old"
    )
    holder.close()


def test_outdated_store_being_written_elsewhere_is_served_with_a_warning(tmp_store):
    import fcntl

    _pretend_outdated(tmp_store)
    with open(str(tmp_store) + ".lock", "a+") as lock:  # another process is writing
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.warns(UserWarning, match="older embedded dataset"):
            s = Store(tmp_store)
        assert s.query("SELECT count(*) AS n FROM trade")["n"].iloc[0] > 0
        s.close()
    Store(tmp_store).close()  # with the writer gone, the store is refreshed
    assert _digest(tmp_store) != "old"
