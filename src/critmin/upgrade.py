"""Bringing a store built by an older critmin (or altered by hand) up to this critmin's schema.

A store is *current* when its ``meta`` says this critmin's schema version
(:data:`critmin.schema.SCHEMA_VERSION`) and schema digest (:func:`schema_digest`, a hash of the DDL of every
table critmin creates, so a change without a version bump is caught too). :class:`critmin.store.Store`
checks both whenever it opens a store, along with the embedded dataset's digest, from ``meta`` alone (no
catalogue queries on the path of every command). A store that is not current is reloaded from the embedded
data in one copy-on-write transaction, inside which :func:`upgrade_tables` compares each table's columns
(``information_schema``) with those this critmin creates and recreates the ones that differ:

* reference tables (countries, hs_codes, blocs), filled only from the embedded dataset, are created anew;
* data and bookkeeping tables (trade, production, ..., sources, ingest_parts, ingest_history and the undo
  tables) are created anew once their embedded rows are deleted. The rows left — those the user ingested —
  are copied over, column by column and cast to the new type, when every old column is still in the new
  table and every new column is in the old one or has a fill in :data:`CARRY_OVER_FILLS`. Otherwise nothing
  is changed: :class:`UpgradeRefused` says in one line which files to ingest again into a new store.
"""

from __future__ import annotations

import functools
import hashlib
import json

import duckdb

from critmin.errors import StoreError
from critmin.schema import REFERENCE_TABLES, SCHEMA, SCHEMA_VERSION, core_ddls

# (table, new column) -> SQL expression giving rows ingested under an older schema a value for the column.
# Declare one here with every schema change that adds a column to a table users ingest into, when the
# column can be derived for old rows; columns without a fill make such rows impossible to carry over.
CARRY_OVER_FILLS: dict[tuple[str, str], str] = {}

# tables that must exist in a built store (the others are created by the first ingest)
REQUIRED_TABLES = ("meta", "sources", "ingest_parts", *SCHEMA)

Layout = dict[str, tuple[tuple[str, str], ...]]


class UpgradeRefused(StoreError):
    """The store holds ingested rows that cannot be carried over to this critmin's schema."""


def _layout(con: duckdb.DuckDBPyConnection, tables) -> Layout:
    """(column, type) of each of ``tables`` that exists in ``con``'s main schema, in column order."""
    names = list(tables)
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_catalog = current_database() AND list_contains(?, table_name) "
        "ORDER BY table_name, ordinal_position",
        [names],
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        out.setdefault(table, []).append((column, dtype))
    return {t: tuple(cols) for t, cols in out.items()}


@functools.cache
def expected_layout() -> Layout:
    """The columns this critmin creates, as DuckDB itself reports them (an empty in-memory database)."""
    ddls = core_ddls()
    con = duckdb.connect(":memory:")
    try:
        for ddl in ddls.values():
            con.execute(ddl)
        return _layout(con, ddls)
    finally:
        con.close()


def _difference(table: str, have: tuple, want: tuple) -> str:
    old, new = dict(have), dict(want)
    parts = []
    if missing := [c for c in new if c not in old]:
        parts.append("lacks " + ", ".join(missing))
    if extra := [c for c in old if c not in new]:
        parts.append("has no longer used " + ", ".join(extra))
    if retyped := [f"{c} {old[c]} (now {t})" for c, t in new.items() if c in old and old[c] != t]:
        parts.append("has " + ", ".join(retyped))
    return f"{table} " + ("; ".join(parts) if parts else "has its columns in another order")


def layout_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """How the store's tables differ from this critmin's (empty when they do not), e.g. 'hs_codes lacks form'."""
    want = expected_layout()
    have = _layout(con, want)
    out = []
    for table, cols in want.items():
        if table not in have:
            if table in REQUIRED_TABLES:
                out.append(f"no table {table}")
        elif have[table] != cols:
            out.append(_difference(table, have[table], cols))
    return out


@functools.cache
def schema_digest() -> str:
    """Hash of this critmin's schema: its version and the DDL of every table it creates."""
    payload = json.dumps({"version": SCHEMA_VERSION, "ddl": core_ddls()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def schema_meta() -> dict[str, str]:
    """The ``meta`` entries a store built by this critmin holds."""
    return {"schema_version": str(SCHEMA_VERSION), "schema_digest": schema_digest()}


def meta_values(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The store's ``meta`` table as a dict (empty before it had one). The table is looked up first: a failed
    query would abort an open transaction."""
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main' "
        "AND table_catalog = current_database()"
    ).fetchone()[0]
    if not has_meta:
        return {}
    return dict(con.execute("SELECT key, value FROM meta").fetchall())


def stored_version(meta: dict[str, str]) -> str:
    """The schema version a store's ``meta`` says ('1' for stores from before the version was checked)."""
    return meta.get("schema_version") or "1"


def is_current(meta: dict[str, str]) -> bool:
    """A store's ``meta`` says this critmin's schema version and digest."""
    return all(meta.get(k) == v for k, v in schema_meta().items())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fill_key(table: str) -> str:
    """The table whose fills apply: an undo table (ingest_saved_trade) takes those of its data table."""
    base = table.removeprefix("ingest_saved_")
    return {"parts": "ingest_parts"}.get(base, base)


def carry_over_select(table: str, have: tuple, want: tuple) -> tuple[str | None, str | None]:
    """(select list turning rows of the old columns ``have`` into the new ``want``, None) or (None, why not)."""
    old, new = dict(have), dict(want)
    if gone := [c for c in old if c not in new]:
        return None, f"its column(s) {', '.join(gone)} would be lost"
    exprs, unfilled = [], []
    for column, dtype in want:
        fill = CARRY_OVER_FILLS.get((_fill_key(table), column))
        if column in old:
            exprs.append(_quote(column) if old[column] == dtype else f"CAST({_quote(column)} AS {dtype})")
        elif fill is not None:
            exprs.append(f"CAST(({fill}) AS {dtype})")
        else:
            unfilled.append(column)
    if unfilled:
        return None, f"nothing to put in its new column(s) {', '.join(unfilled)}"
    return ", ".join(exprs), None


def _ingested_files(con: duckdb.DuckDBPyConnection) -> list[str]:
    try:
        rows = con.execute(
            "SELECT DISTINCT file FROM sources WHERE origin = 'ingest' AND file IS NOT NULL ORDER BY file"
        ).fetchall()
    except duckdb.Error:
        return []
    return [r[0] for r in rows]


def upgrade_tables(con: duckdb.DuckDBPyConnection, store: str) -> list[str]:
    """Recreate every table of ``con`` (a write transaction) whose columns differ from this critmin's,
    carrying over the rows left in it: call it once the embedded rows are deleted, so that those rows are
    the ingested ones. Returns the tables recreated. Raises :class:`UpgradeRefused` before changing anything
    when some rows cannot be carried over."""
    want = expected_layout()
    ddls = core_ddls()
    have = _layout(con, want)
    plans: list[tuple[str, str | None]] = []
    refused = []
    for table, cols in want.items():
        if table not in have or have[table] == cols:
            continue
        n = 0 if table in REFERENCE_TABLES else con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if not n:
            plans.append((table, None))
            continue
        select, why = carry_over_select(table, have[table], cols)
        if why:
            refused.append(f"{table} holds {n:,} row(s) from ingests and {why}")
        plans.append((table, select))
    if refused:
        files = _ingested_files(con)
        again = ", ".join(files) if files else "your files"
        raise UpgradeRefused(
            f"the store {store} was built by an older critmin (schema {stored_version(meta_values(con))}) and cannot "
            f"be upgraded to schema {SCHEMA_VERSION}: {'; '.join(refused)}; nothing was changed — keep it "
            f"for the critmin that built it, or ingest {again} again into a new store (--db or CRITMIN_DB)"
        )
    for table, select in plans:
        try:
            if select is not None:
                con.execute(f"CREATE TEMP TABLE _critmin_carry AS SELECT {select} FROM {table}")
            con.execute(f"DROP TABLE {table}")
            con.execute(ddls[table])
            if select is not None:
                con.execute(f"INSERT INTO {table} SELECT * FROM _critmin_carry")
                con.execute("DROP TABLE _critmin_carry")
        except duckdb.Error as exc:  # e.g. an ingested value that does not cast to the new type
            first = str(exc).strip().splitlines()[0]
            raise UpgradeRefused(
                f"the store {store} cannot be upgraded to schema {SCHEMA_VERSION}: carrying {table} over "
                f"failed ({first}); nothing was changed"
            ) from None
    return [t for t, _ in plans]
