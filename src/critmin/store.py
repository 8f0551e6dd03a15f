"""The DuckDB store: one database file holding the embedded default data and anything the user ingests.

The store is created on first use from the embedded Parquet files (a few seconds). Every data row carries
``source`` and ``edition``; the ``sources`` table records, for each (source, edition) loaded, where it came
from (the embedded manifest or an ingested file with its sha256), its licence and row counts.

Writes happen in one transaction each: a process killed mid-write leaves the store as it was (DuckDB
discards an uncommitted transaction on recovery).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from critmin.errors import StoreError

if TYPE_CHECKING:  # pragma: no cover - pandas is imported by duckdb's .df() when a caller asks for a frame
    import pandas as pd

SCHEMA_VERSION = 1

# Tables loaded from the embedded dataset, with their column types. Ingest writes the same schema.
SCHEMA: dict[str, str] = {
    "countries": """iso3 VARCHAR PRIMARY KEY, name VARCHAR, iso2 VARCHAR, baci_codes INTEGER[], wgi_code VARCHAR,
                    wmd_code VARCHAR, cow_code INTEGER, is_aggregate BOOLEAN, aliases VARCHAR[]""",
    "hs_codes": """hs6 VARCHAR, description VARCHAR, commodity VARCHAR, stage VARCHAR, form VARCHAR, basis VARCHAR,
                   content_factor DOUBLE, content_approximate BOOLEAN, ore_basis VARCHAR, ore_content_factor DOUBLE,
                   unit_value_floor DOUBLE, reason VARCHAR""",
    "trade": """year SMALLINT, exporter VARCHAR, importer VARCHAR, hs6 VARCHAR, value_kusd DOUBLE, tonnes DOUBLE,
                source VARCHAR, edition VARCHAR""",
    "production": """commodity VARCHAR, stage VARCHAR, country VARCHAR, year SMALLINT, tonnes DOUBLE, basis VARCHAR,
                     estimated BOOLEAN, series VARCHAR, source VARCHAR, edition VARCHAR""",
    "governance": """country VARCHAR, year SMALLINT, indicator VARCHAR, estimate DOUBLE, stddev DOUBLE,
                     nsource DOUBLE, pctrank DOUBLE, source VARCHAR, edition VARCHAR""",
    "ideal_points": """country VARCHAR, cow_code SMALLINT, session SMALLINT, year SMALLINT, ideal_point DOUBLE,
                       q05 DOUBLE, q95 DOUBLE, n_votes INTEGER, agree_usa DOUBLE, agree_chn DOUBLE,
                       agree_rus DOUBLE, source VARCHAR, edition VARCHAR""",
    "blocs": """bloc VARCHAR, bloc_name VARCHAR, country VARCHAR, joined VARCHAR, "left" VARCHAR, source VARCHAR,
                note VARCHAR""",
    # IEA outlook: supply by country (2023 + base-case projections) and demand by sector and scenario, kt
    "supply_outlook": """commodity VARCHAR, stage VARCHAR, country VARCHAR, year SMALLINT, supply_kt DOUBLE,
                         projection BOOLEAN, "case" VARCHAR, basis VARCHAR, series VARCHAR, note VARCHAR,
                         source VARCHAR, edition VARCHAR""",
    "demand_outlook": """commodity VARCHAR, sector VARCHAR, sector_kind VARCHAR, scenario VARCHAR, year SMALLINT,
                         demand_kt DOUBLE, projection BOOLEAN, basis VARCHAR, series VARCHAR, source VARCHAR,
                         edition VARCHAR""",
}
DATA_TABLES = ("trade", "production", "governance", "ideal_points", "supply_outlook", "demand_outlook")
SOURCES_DDL = """CREATE TABLE IF NOT EXISTS sources (
    source VARCHAR, edition VARCHAR, data_table VARCHAR, origin VARCHAR, file VARCHAR, sha256 VARCHAR,
    rows BIGINT, licence VARCHAR, citation VARCHAR, loaded_at VARCHAR)"""
META_DDL = "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)"


# Which edition wins when a (source, year) is loaded more than once: ingested data beat the embedded
# default, a later load beats an earlier one, and between embedded editions the later edition name wins
# (e.g. MCS 2024's revised 2022 figure over MCS 2023's estimate). ``s`` is the sources table.
EDITION_RANK = (
    "(CASE s.origin WHEN 'ingest' THEN '1' ELSE '0' END) || '|' || "
    "coalesce(s.loaded_at, '') || '|' || s.edition"
)


def best_editions_sql(table: str, keys: str) -> str:
    """SQL selecting, per ``keys`` (e.g. 'source, year'), the winning edition of ``table``."""
    dkeys = ", ".join(f"d.{k.strip()}" for k in keys.split(","))
    return f"""SELECT {dkeys}, arg_max(d.edition, {EDITION_RANK.replace("s.edition", "d.edition")}) AS edition
               FROM (SELECT DISTINCT {keys}, edition FROM {table}) d
               LEFT JOIN sources s ON s.data_table = '{table}' AND s.source = d.source AND s.edition = d.edition
               GROUP BY {dkeys}"""


def default_db_path() -> Path:
    """``$CRITMIN_DB``, else ``$XDG_DATA_HOME/critmin/critmin.duckdb`` (``~/.local/share`` by default)."""
    env = os.environ.get("CRITMIN_DB")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "critmin" / "critmin.duckdb"


def embedded_manifest() -> dict:
    from critmin.data import embedded_path

    return json.loads(embedded_path("manifest.json").read_text(encoding="utf-8"))


def _manifest_digest(manifest: dict) -> str:
    return hashlib.sha256(json.dumps(manifest["tables"], sort_keys=True).encode()).hexdigest()


class Store:
    """A DuckDB database file with critmin's schema.

    ``Store(path)`` creates the database from the embedded dataset if it does not exist (or if the
    embedded dataset changed since it was built). Reading connections are opened read-only so several
    processes can query at once; writes go through :meth:`transaction`.
    """

    def __init__(self, path: str | Path | None = None, *, read_only: bool = True):
        self.path = Path(path) if path else default_db_path()
        self.read_only = read_only
        self._con: duckdb.DuckDBPyConnection | None = None
        self._ensure_built()

    # -- connection -------------------------------------------------------------------------------------
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            try:
                self._con = duckdb.connect(str(self.path), read_only=self.read_only)
            except duckdb.Error as exc:
                raise StoreError(f"cannot open the store {self.path}: {exc}") from exc
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writable connection inside BEGIN/COMMIT; rolled back on any exception."""
        self.close()
        try:
            con = duckdb.connect(str(self.path), read_only=False)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the store {self.path} for writing: {exc}") from exc
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    # -- building ---------------------------------------------------------------------------------------
    def _current_digest(self) -> str | None:
        try:
            con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error:
            return None
        try:
            rows = con.execute("SELECT value FROM meta WHERE key = 'embedded_digest'").fetchall()
            row = rows[0] if rows else None
            return row[0] if row else None
        except duckdb.Error:
            return None
        finally:
            con.close()

    def _ensure_built(self) -> None:
        manifest = embedded_manifest()
        digest = _manifest_digest(manifest)
        current = self._current_digest() if self.path.exists() else None
        if current == digest:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.load_embedded(manifest, digest)
        except StoreError:
            if current is None:
                raise
            # Another connection holds the file (e.g. a running dashboard): keep serving the existing store,
            # which is complete but built from an older embedded dataset, and say so.
            warnings.warn(
                f"the store {self.path} was built from an older embedded dataset and cannot be refreshed "
                "while another process or connection has it open; close it and run critmin again",
                stacklevel=3,
            )

    def load_embedded(self, manifest: dict | None = None, digest: str | None = None) -> None:
        """(Re)load the embedded dataset in one transaction, keeping user-ingested rows."""
        from critmin.data import embedded_path

        manifest = manifest or embedded_manifest()
        digest = digest or _manifest_digest(manifest)
        with self.transaction() as con:
            con.execute(META_DDL)
            con.execute(SOURCES_DDL)
            for table, cols in SCHEMA.items():
                con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
            # replace what earlier embedded loads put there; keep the rows ingested files replaced or added
            from critmin.ingest.writer import PARTS_DDL, embedded_filter

            con.execute(PARTS_DDL)
            embedded = con.execute(
                "SELECT DISTINCT data_table, source, edition FROM sources WHERE origin = 'embedded'"
            ).fetchall()
            for table, source, edition in embedded:
                con.execute(
                    f"DELETE FROM {table} t WHERE source = ? AND edition = ? AND {embedded_filter(table)}",
                    [source, edition],
                )
            con.execute("DELETE FROM sources WHERE origin = 'embedded'")
            for table in ("countries", "hs_codes", "blocs"):
                con.execute(f"DELETE FROM {table}")
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            for table in SCHEMA:
                path = embedded_path(f"{table}.parquet")
                cols = [c.strip().split()[0] for c in _split_columns(SCHEMA[table])]
                col_list = ", ".join(cols)
                # parts of an embedded (source, edition) that an ingested file replaced are not reloaded
                keep = f"WHERE {embedded_filter(table)}" if table in DATA_TABLES else ""
                con.execute(
                    f"INSERT INTO {table} ({col_list}) SELECT {col_list} FROM read_parquet(?) t {keep}",
                    [str(path)],
                )
                if table in DATA_TABLES:
                    rows = con.execute(
                        f"SELECT source, edition, count(*) FROM read_parquet(?) t {keep} GROUP BY ALL ORDER BY ALL",
                        [str(path)],
                    ).fetchall()
                    for source, edition, n in rows:
                        key = _source_key(source)
                        meta = manifest["sources"].get(key, {})
                        con.execute(
                            "INSERT INTO sources VALUES (?, ?, ?, 'embedded', ?, ?, ?, ?, ?, ?)",
                            [
                                source,
                                edition,
                                table,
                                f"embedded/{table}.parquet",
                                manifest["tables"][table]["sha256"],
                                n,
                                meta.get("licence"),
                                meta.get("citation"),
                                now,
                            ],
                        )
            for key, value in (("embedded_digest", digest), ("schema_version", str(SCHEMA_VERSION))):
                con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    # -- trade and production on the stage basis (critmin.data.basis) -------------------------------------------
    @staticmethod
    def _refresh_basis(con: duckdb.DuckDBPyConnection) -> None:
        from critmin.data import basis

        basis.refresh(con)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('trade_basis_digest', ?)", [basis.digest(con)])

    def ensure_basis(self) -> None:
        """Build ``trade_basis`` and ``production_basis`` (:mod:`critmin.data.basis`) if they are missing or
        stale (new data ingested, a new catalogue). :class:`critmin.Dataset` calls this when it opens the
        store; SQL users of a store opened otherwise call it first. A few seconds, once per change."""
        from critmin.data import basis

        self.close()
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            want = basis.digest(con)
            rows = con.execute("SELECT value FROM meta WHERE key = 'trade_basis_digest'").fetchall()
        except duckdb.Error:
            want, rows = None, []
        finally:
            con.close()
        if rows and rows[0][0] == want:
            return
        try:
            with self.transaction() as con:
                self._refresh_basis(con)
        except StoreError:
            warnings.warn(
                f"the trade basis tables of {self.path} are out of date (new data were ingested) and cannot be "
                "rebuilt while another process or connection has the store open; close it and run critmin again",
                stacklevel=3,
            )

    # -- queries ----------------------------------------------------------------------------------------
    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def status(self) -> pd.DataFrame:
        """Sources, editions, years and row counts of every data table."""
        parts = []
        for table in DATA_TABLES:
            year = "year"
            parts.append(f"""SELECT '{table}' AS data_table, source, edition, count(*) AS rows,
                                    min({year}) AS first_year, max({year}) AS last_year FROM {table} GROUP BY ALL""")
        df = self.query(" UNION ALL ".join(parts) + " ORDER BY data_table, source, edition")
        origin = self.query(
            "SELECT data_table, source, edition, string_agg(DISTINCT origin, '+' ORDER BY origin) AS origin, "
            "any_value(licence) AS licence FROM sources GROUP BY ALL"
        )
        return df.merge(origin, on=["data_table", "source", "edition"], how="left")


def _split_columns(cols: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in cols:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return [c.strip() for c in out]


def _source_key(source: str) -> str:
    s = source.lower()
    if s.startswith("unga"):
        return "unga"
    return {"baci": "baci", "wmd": "wmd", "usgs": "usgs", "iea": "iea", "wgi": "wgi"}.get(s, s)
