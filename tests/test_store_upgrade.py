"""A store built by an older critmin is upgraded when opened: rebuilt from the embedded data in one
transaction, ingested rows carried over where they can be, and a clear refusal (store untouched) where not."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from critmin import upgrade
from critmin.errors import StoreError
from critmin.schema import SCHEMA_VERSION
from critmin.store import Store

WGI_SAMPLE = Path(__file__).parent / "fixtures" / "ingest" / "wgidataset_2024release_sample.csv"
# hs_codes before the value-chain basis change: no form, basis, content factors, floor or reason
PRE_BASIS_HS_COLUMNS = (
    "form",
    "basis",
    "content_factor",
    "content_approximate",
    "ore_basis",
    "ore_content_factor",
    "unit_value_floor",
    "reason",
)


def _alter(path: Path, *sql: str, version: str | None = "1", digest: str | None = None) -> None:
    """Turn a built store into what an older critmin left: ``sql`` on its tables, its meta set back."""
    with duckdb.connect(str(path)) as con:
        for stmt in sql:
            con.execute(stmt)
        if version is not None:
            con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [version])
        if digest is not None:
            con.execute("UPDATE meta SET value = ? WHERE key = 'embedded_digest'", [digest])


def _meta(path: Path, key: str) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()[0]


def _rows(path: Path, sql: str) -> list:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


GOVERNANCE = "SELECT * FROM governance ORDER BY ALL"


def test_a_fresh_store_is_current(tmp_store):
    with duckdb.connect(str(tmp_store), read_only=True) as con:
        assert upgrade.layout_problems(con) == []
        assert upgrade.is_current(upgrade.meta_values(con))
    assert _meta(tmp_store, "schema_version") == str(SCHEMA_VERSION)
    assert _meta(tmp_store, "schema_digest") == upgrade.schema_digest()


def test_store_from_before_the_basis_change_is_rebuilt_on_open(tmp_store):
    # what a user of an older critmin had: hs_codes without form, an older embedded dataset, schema 1
    drop = [f"ALTER TABLE hs_codes DROP COLUMN {c}" for c in PRE_BASIS_HS_COLUMNS]
    _alter(tmp_store, *drop, digest="older")
    with duckdb.connect(str(tmp_store), read_only=True) as con:
        assert "hs_codes lacks form" in upgrade.layout_problems(con)[0]
    with Store(tmp_store) as s:
        forms = s.query("SELECT count(*) AS n FROM hs_codes WHERE form IS NOT NULL")["n"].iloc[0]
        assert forms == s.query("SELECT count(*) AS n FROM hs_codes")["n"].iloc[0] > 0
        s.ensure_basis()  # what critmin.open() does next: it read hs_codes.form and failed before
        assert s.query("SELECT count(*) AS n FROM trade_basis")["n"].iloc[0] > 0
    assert _meta(tmp_store, "schema_version") == str(SCHEMA_VERSION)
    assert _meta(tmp_store, "embedded_digest") != "older"


def test_a_schema_changed_without_a_version_bump_is_noticed(tmp_store):
    # the DDL digest differs although the version is this one: the columns are compared and fixed
    _alter(
        tmp_store,
        "ALTER TABLE hs_codes DROP COLUMN form",
        "UPDATE meta SET value = 'another' WHERE key = 'schema_digest'",
        version=None,
    )
    with Store(tmp_store) as s:
        assert "form" in set(s.query("DESCRIBE hs_codes")["column_name"])
    assert _meta(tmp_store, "schema_digest") == upgrade.schema_digest()


def test_a_store_from_before_the_schema_digest_is_upgraded(tmp_store):
    _alter(tmp_store, "DELETE FROM meta WHERE key IN ('schema_version', 'schema_digest')", version=None)
    with duckdb.connect(str(tmp_store), read_only=True) as con:
        assert upgrade.stored_version(upgrade.meta_values(con)) == "1"
    Store(tmp_store).close()
    assert _meta(tmp_store, "schema_version") == str(SCHEMA_VERSION)


def test_an_older_schema_version_alone_reloads_the_embedded_data(tmp_store):
    _alter(tmp_store, "DELETE FROM countries")  # same columns, but built by schema 1
    with Store(tmp_store) as s:
        assert s.query("SELECT count(*) AS n FROM countries")["n"].iloc[0] > 0
    assert _meta(tmp_store, "schema_version") == str(SCHEMA_VERSION)


def test_a_data_table_without_ingested_rows_is_recreated(tmp_store):
    content = "SELECT count(*), bit_xor(hash(year, exporter, importer, hs6, value_kusd, tonnes)) FROM trade"
    before = _rows(tmp_store, content)
    _alter(tmp_store, "ALTER TABLE trade DROP COLUMN tonnes")
    with Store(tmp_store):
        pass
    assert _rows(tmp_store, content) == before
    assert "tonnes" in {r[0] for r in _rows(tmp_store, "DESCRIBE trade")}


def _ingest_wgi(path: Path) -> None:
    from critmin.ingest import ingest

    report = ingest(path, "wgi", WGI_SAMPLE, replace=True)  # replaces two indicators of the embedded release
    assert report.status == "ingested"


def test_ingested_rows_are_carried_over_to_the_new_columns(tmp_store):
    _ingest_wgi(tmp_store)
    before = _rows(tmp_store, GOVERNANCE)
    sources = _rows(tmp_store, "SELECT source, edition, file, rows FROM sources WHERE origin = 'ingest'")
    history = _rows(tmp_store, "SELECT id, file, status FROM ingest_history")
    # an older critmin stored years as INTEGER: the rows are cast to SMALLINT on the way over
    _alter(tmp_store, "ALTER TABLE governance ALTER year TYPE INTEGER", digest="older")
    with Store(tmp_store) as s:
        types = s.query("DESCRIBE governance").set_index("column_name")["column_type"]
        assert types["year"] == "SMALLINT"
    assert _rows(tmp_store, GOVERNANCE) == before  # ingested parts kept, embedded parts reloaded
    assert (
        _rows(tmp_store, "SELECT source, edition, file, rows FROM sources WHERE origin = 'ingest'") == sources
    )
    assert _rows(tmp_store, "SELECT id, file, status FROM ingest_history") == history


def test_ingested_rows_that_cannot_be_carried_over_are_refused_and_the_store_kept(tmp_store):
    _ingest_wgi(tmp_store)
    _alter(tmp_store, "ALTER TABLE governance DROP COLUMN nsource", digest="older")
    sha = _sha(tmp_store)
    with pytest.raises(upgrade.UpgradeRefused) as err:
        Store(tmp_store)
    msg = str(err.value)
    assert "\n" not in msg
    assert "governance holds" in msg and "nsource" in msg and WGI_SAMPLE.name in msg
    assert "schema 1" in msg and f"schema {SCHEMA_VERSION}" in msg
    assert _sha(tmp_store) == sha  # nothing half-written, nothing dropped


def test_refusal_is_one_line_on_the_command_line(tmp_store):
    from typer.testing import CliRunner

    from critmin.cli.main import app, error_message

    _ingest_wgi(tmp_store)
    _alter(tmp_store, "ALTER TABLE governance DROP COLUMN nsource")
    result = CliRunner().invoke(app, ["--db", str(tmp_store), "data", "status"])
    assert isinstance(result.exception, StoreError)
    assert "\n" not in error_message(result.exception)


def test_a_declared_fill_carries_rows_over(tmp_store, monkeypatch):
    _ingest_wgi(tmp_store)
    ingested = _rows(tmp_store, "SELECT count(*) FROM governance WHERE edition IN "
                     "(SELECT edition FROM sources WHERE origin = 'ingest') AND indicator IN ('pv', 'cc')")[0][0]  # fmt: skip
    _alter(tmp_store, "ALTER TABLE governance DROP COLUMN nsource")
    monkeypatch.setitem(upgrade.CARRY_OVER_FILLS, ("governance", "nsource"), "NULL")
    with Store(tmp_store) as s:
        nulls = s.query("SELECT count(*) AS n FROM governance WHERE nsource IS NULL")["n"].iloc[0]
    assert nulls >= ingested > 0


def test_carry_over_select_by_hand():
    have = (("a", "INTEGER"), ("b", "VARCHAR"))
    want = (("b", "VARCHAR"), ("a", "SMALLINT"), ("c", "DOUBLE"))
    assert upgrade.carry_over_select("t", have, want) == (None, "nothing to put in its new column(s) c")
    assert (
        upgrade.carry_over_select("t", (*have, ("z", "DOUBLE")), have)[1] == "its column(s) z would be lost"
    )
    upgrade.CARRY_OVER_FILLS[("t", "c")] = "0"
    try:
        select, why = upgrade.carry_over_select("t", have, want)
    finally:
        del upgrade.CARRY_OVER_FILLS[("t", "c")]
    assert why is None
    assert select == '"b", CAST("a" AS SMALLINT), CAST((0) AS DOUBLE)'
