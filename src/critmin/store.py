"""The DuckDB store: one database file holding the embedded default data and anything the user ingests.

The store is created on first use from the embedded Parquet files (about a second). Every data row carries
``source`` and ``edition``; the ``sources`` table records, for each (source, edition) loaded, where it came
from (the embedded manifest or an ingested file with its sha256), its licence and row counts. The schema is
in :mod:`critmin.schema`.

Writes are copy-on-write (:meth:`Store.transaction`): the writer copies the store file next to it, writes the
copy in one transaction, checkpoints it and atomically renames it over the store. So

* a process killed at any point leaves the store exactly as it was (at worst a stale copy, removed by the
  next writer);
* readers are never locked out by a writer: they read the last committed state, and a :class:`Store` notices
  the new file at its next query;
* writers take turns through a lock file (``<store>.lock``, released by the kernel if the holder dies); a
  second writer waits up to ``$CRITMIN_LOCK_WAIT`` seconds (60 by default), saying whom it waits for.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import itertools
import json
import logging
import os
import shutil
import socket
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from critmin import upgrade
from critmin.errors import StoreError
from critmin.schema import (
    DATA_TABLES,
    META_DDL,
    PARTS_DDL,
    REFERENCE_TABLES,
    SCHEMA,
    SCHEMA_VERSION,
    SOURCES_DDL,
    column_names,
    embedded_filter,
    split_columns,
)

if TYPE_CHECKING:  # pragma: no cover - pandas is imported by duckdb's .df() when a caller asks for a frame
    import pandas as pd

log = logging.getLogger("critmin")

DEFAULT_LOCK_WAIT = 60.0  # seconds a writer waits for another writer (or a reader for a foreign lock)
_shadow_counter = itertools.count()

__all__ = [
    "DATA_TABLES",
    "EDITION_RANK",
    "SCHEMA",
    "SCHEMA_VERSION",
    "Store",
    "Unchanged",
    "as_store",
    "best_editions_sql",
    "default_db_path",
    "lock_wait",
]


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


class Unchanged(Exception):
    """Raise inside :meth:`Store.transaction` to end it without writing anything (not an error)."""


def default_db_path() -> Path:
    """``$CRITMIN_DB``, else ``$XDG_DATA_HOME/critmin/critmin.duckdb`` (``~/.local/share`` by default)."""
    env = os.environ.get("CRITMIN_DB")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "critmin" / "critmin.duckdb"


def lock_wait() -> float:
    """Seconds to wait for another process's write (``$CRITMIN_LOCK_WAIT``, default 60)."""
    raw = os.environ.get("CRITMIN_LOCK_WAIT", "")
    try:
        return max(0.0, float(raw)) if raw.strip() else DEFAULT_LOCK_WAIT
    except ValueError:
        return DEFAULT_LOCK_WAIT


def as_store(source=None, *, only_existing: bool = False) -> Store | None:
    """The :class:`Store` behind ``source``: a Store, a Dataset (its ``store``) or a store path; None is the
    default store (:func:`default_db_path`) — or, with ``only_existing``, None when that file does not exist
    yet (readers that fall back on a seed rather than build a store)."""
    from critmin.errors import CritminError

    if source is None:
        path = default_db_path()
        return None if only_existing and not path.exists() else Store(path)
    if isinstance(source, Store):
        return source
    if isinstance(getattr(source, "store", None), Store):
        return source.store
    if isinstance(source, str | Path):
        return Store(source)
    raise CritminError(f"expected a Dataset, a Store or a store path, got {type(source).__name__}")


def embedded_manifest() -> dict:
    from critmin.data import embedded_path

    return json.loads(embedded_path("manifest.json").read_text(encoding="utf-8"))


def _manifest_digest(manifest: dict) -> str:
    return hashlib.sha256(json.dumps(manifest["tables"], sort_keys=True).encode()).hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Files, locks and connections


def _file_id(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def _sql_str(text: str | Path) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _is_lock_error(exc: Exception) -> bool:
    msg = str(exc).lower()
    return "lock" in msg and ("could not set" in msg or "conflicting" in msg)


def _who() -> dict:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment (containers)
        user = str(os.getuid()) if hasattr(os, "getuid") else "?"
    return {
        "pid": os.getpid(),
        "user": user,
        "host": socket.gethostname(),
        "command": " ".join(Path(sys.argv[0]).name if i == 0 else a for i, a in enumerate(sys.argv))[:200],
        "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _describe(holder: dict | None) -> str:
    if not holder:
        return "another process"
    return (
        f"`{holder.get('command') or '?'}` (pid {holder.get('pid')}, user {holder.get('user')} on "
        f"{holder.get('host')}, since {holder.get('since')})"
    )


class _WriterLock:
    """An exclusive ``flock`` on ``<store>.lock``, taken by every writer; the holder is described in the file."""

    def __init__(self, path: Path, wait: float):
        self.path = path.with_name(path.name + ".lock")
        self.store = path
        self.wait = wait
        self._fh = None

    def holder(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return None

    def __enter__(self) -> _WriterLock:
        import fcntl

        try:
            self._fh = open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            raise StoreError(
                f"cannot write the store {self.store}: {exc.strerror or exc} ({self.path})"
            ) from None
        deadline = time.monotonic() + self.wait
        said = False
        while True:
            try:
                fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _describe(self.holder())
                if time.monotonic() >= deadline:
                    self._fh.close()
                    self._fh = None
                    raise StoreError(
                        f"the store {self.store} is being written by {holder}; waited {self.wait:g} s. "
                        "Try again when it has finished (or set CRITMIN_LOCK_WAIT to wait longer)"
                    ) from None
                if not said:
                    log.warning(
                        "waiting for %s to finish writing the store %s (up to %g s)",
                        holder,
                        self.store,
                        self.wait,
                    )
                    said = True
                time.sleep(0.1)
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(json.dumps(_who()))
        self._fh.flush()
        return self

    def __exit__(self, *exc) -> None:
        import fcntl

        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.seek(0)
                self._fh.truncate()
                self._fh.flush()
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def _shadow_prefix(path: Path) -> str:
    return f".{path.name}.writing-"


def _remove_file(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        shutil.rmtree(path.with_name(path.name + ".tmp"))


def _remove_stale_copies(path: Path) -> None:
    """Copies left by writers that were killed (only called while holding the writer lock), and reading links
    of readers killed between creating and removing them."""
    for p in path.parent.glob(_shadow_prefix(path) + "*"):
        if not p.name.endswith((".wal", ".tmp")):
            _remove_file(p)
    for p in path.parent.glob(_reader_prefix(path) + "*"):
        pid = p.name.removeprefix(_reader_prefix(path)).split("-")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            with contextlib.suppress(OSError):
                p.unlink()


def _fsync(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _publish(shadow: Path, path: Path) -> None:
    """Atomically replace ``path`` with the fully checkpointed ``shadow`` (and make the rename durable)."""
    if shadow.with_name(shadow.name + ".wal").exists():
        raise StoreError(f"the new store {shadow} was not fully checkpointed; the store {path} is unchanged")
    _fsync(shadow)
    os.replace(shadow, path)
    _fsync(path.parent, directory=True)
    # a write-ahead log next to the old file (left by an in-place writer that died) went into the copy
    with contextlib.suppress(FileNotFoundError):
        path.with_name(path.name + ".wal").unlink()


_reader_counter = itertools.count()


def _reader_prefix(path: Path) -> str:
    return f".{path.name}.reading-"


def _connect_read(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection of its own to the current ``path`` file.

    DuckDB keeps one database instance per file path and process and hands it to every later connection
    while any connection to it is open — after a writer replaced the file, that would be the old file. So the
    file is opened through a hard link of its own (removed at once; the open file stays readable), which
    gives a fresh instance of whatever file ``path`` names now.
    """
    link: Path | None = path.with_name(f"{_reader_prefix(path)}{os.getpid()}-{next(_reader_counter)}")
    if path.with_name(path.name + ".wal").exists():
        link = None  # a write-ahead log left by an in-place writer: it is found next to the real name only
    else:
        try:
            os.link(path, link)
        except FileNotFoundError:
            raise StoreError(f"the store {path} does not exist") from None
        except OSError:
            link = None  # a read-only folder or a file system without hard links: open the path itself
    deadline = time.monotonic() + lock_wait()
    said = False
    try:
        while True:
            try:
                con = duckdb.connect(str(link or path), read_only=True)
                break
            except duckdb.Error as exc:
                if not _is_lock_error(exc):
                    raise StoreError(f"cannot open the store {path}: {exc}") from None
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"cannot open the store {path}: another program holds it open for writing "
                        f"(not critmin's copy-on-write); waited {lock_wait():g} s — close that program and "
                        "try again"
                    ) from None
                if not said:
                    log.warning(
                        "the store %s is locked by another program; waiting up to %g s", path, lock_wait()
                    )
                    said = True
                time.sleep(0.2)
    finally:
        if link is not None:
            with contextlib.suppress(OSError):
                link.unlink()
    con.execute("SET enable_progress_bar = false")  # DuckDB would draw one on stdout for long queries
    return con


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class Store:
    """A DuckDB database file with critmin's schema.

    ``Store(path)`` creates the database from the embedded dataset if it does not exist (or if the
    embedded dataset or the schema changed since it was built); ``with_basis=True`` builds the basis tables
    (:meth:`ensure_basis`) in that same transaction, as :class:`critmin.Dataset` asks. Reading connections are
    read-only and never blocked by a writer; writes go through :meth:`transaction`.
    """

    def __init__(self, path: str | Path | None = None, *, read_only: bool = True, with_basis: bool = False):
        self.path = Path(path) if path else default_db_path()
        self.read_only = read_only  # kept for compatibility: connections are always read-only
        self._con: duckdb.DuckDBPyConnection | None = None
        self._file_id: tuple | None = None
        self._basis_checked: tuple | None = None  # the file ensure_basis last found current
        self._ensure_built(with_basis)

    # -- connection -------------------------------------------------------------------------------------
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection to the last committed state (reopened when a writer replaced the file)."""
        if self._con is not None:
            now = _file_id(self.path)
            if now is not None and now != self._file_id:
                self.close()
        if self._con is None:
            self._file_id = _file_id(self.path)
            self._con = _connect_read(self.path)
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
    def transaction(
        self, *, wait: float | None = None, memory_limit: str | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writable connection inside BEGIN/COMMIT on a copy of the store that replaces it on success.

        Any exception rolls back and leaves the store untouched (:class:`Unchanged` does so silently).
        ``wait`` is how long to wait for another writer (default :func:`lock_wait`); ``memory_limit`` caps
        DuckDB's memory (e.g. ``'256MB'``; it spills to a temporary folder beyond that).
        """
        self.close()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _WriterLock(self.path, lock_wait() if wait is None else wait):
            _remove_stale_copies(self.path)
            shadow = self.path.with_name(f"{_shadow_prefix(self.path)}{os.getpid()}-{next(_shadow_counter)}")
            try:
                if self.path.exists():
                    shutil.copyfile(self.path, shadow)
                    wal = self.path.with_name(self.path.name + ".wal")
                    if wal.exists():
                        shutil.copyfile(wal, shadow.with_name(shadow.name + ".wal"))
                try:
                    con = duckdb.connect(str(shadow))
                except duckdb.Error as exc:
                    raise StoreError(f"cannot open the store {self.path} for writing: {exc}") from None
                publish = True
                try:
                    con.execute("SET enable_progress_bar = false")
                    if memory_limit:
                        con.execute(f"SET memory_limit = {_sql_str(memory_limit)}")
                        con.execute("SET preserve_insertion_order = false")
                    con.execute("BEGIN TRANSACTION")
                    try:
                        yield con
                    except Unchanged:
                        publish = False
                        con.execute("ROLLBACK")
                    except BaseException:
                        with contextlib.suppress(duckdb.Error):
                            con.execute("ROLLBACK")
                        raise
                    else:
                        con.execute("COMMIT")
                        con.execute("CHECKPOINT")
                finally:
                    con.close()
                if publish:
                    _publish(shadow, self.path)
            finally:
                _remove_file(shadow)

    # -- building ---------------------------------------------------------------------------------------
    def _current_state(self, want: str | None = None) -> tuple[str | None, bool, str] | None:
        """(embedded digest, schema current, schema version) of the store file, from its ``meta``; None if it
        cannot be read. When the store is current (digest ``want``, this schema) the connection that read it
        is kept as the store's (opening the file again would cost a cold command tens of ms)."""
        fid = _file_id(self.path)
        try:
            con = _connect_read(self.path)
        except StoreError as exc:
            if "another program holds it" in str(exc):
                raise
            return None
        try:
            meta = upgrade.meta_values(con)
            state = (meta.get("embedded_digest"), upgrade.is_current(meta), upgrade.stored_version(meta))
        except duckdb.Error:
            state = None
        if (
            state is not None
            and state[0] == want
            and state[1]
            and fid is not None
            and fid == _file_id(self.path)
        ):
            self._con, self._file_id = con, fid
        else:
            con.close()
        return state

    def _ensure_built(self, with_basis: bool = False) -> None:
        manifest = embedded_manifest()
        digest = _manifest_digest(manifest)
        state = self._current_state(digest) if self.path.exists() else None
        if state is not None and state[0] == digest and state[1]:
            return
        # an older embedded dataset can be served until no one is writing the store; a missing store or one
        # of an older schema (its columns are not the ones this critmin reads) must be built or upgraded now
        must = state is None or not state[1]
        try:
            self.load_embedded(manifest, digest, wait=None if must else 0.0, with_basis=with_basis)
        except upgrade.UpgradeRefused:
            raise
        except StoreError as exc:
            if state is None:
                raise
            if must:
                raise StoreError(
                    f"{exc} (the store was built by an older critmin, schema {state[2]}, and must be "
                    f"upgraded to schema {SCHEMA_VERSION} before use)"
                ) from None
            warnings.warn(
                f"the store {self.path} was built from an older embedded dataset and cannot be refreshed "
                f"now ({exc}); serving it as it is — run critmin again later",
                stacklevel=3,
            )

    def load_embedded(
        self,
        manifest: dict | None = None,
        digest: str | None = None,
        *,
        wait: float | None = None,
        with_basis: bool = False,
    ) -> None:
        """(Re)load the embedded dataset in one transaction, keeping user-ingested rows; ``with_basis``
        rebuilds the basis tables in it too (they depend on what was loaded)."""
        manifest = manifest or embedded_manifest()
        digest = digest or _manifest_digest(manifest)
        built_basis = False
        with self.transaction(wait=wait) as con:
            meta = upgrade.meta_values(con)
            if meta.get("embedded_digest") == digest and upgrade.is_current(meta):
                raise Unchanged  # another process built it while this one waited
            load_embedded_into(con, manifest, digest, store=str(self.path))
            if with_basis:
                # the copy stays private until it is published, so committing the load inside it keeps the
                # all-or-nothing guarantee; the basis then reads checkpointed (compressed, zone-mapped)
                # tables instead of the transaction's uncommitted rows, ~15 % less CPU
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
                con.execute("BEGIN TRANSACTION")
                self._refresh_basis(con)
                built_basis = True
        if built_basis:
            self._basis_checked = _file_id(self.path)

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
        from critmin.data import basis_key as basis  # the check stays pandas-free; the build imports more

        def current(con) -> tuple[str | None, list]:
            try:
                want = basis.digest(con)
                rows = con.execute("SELECT value FROM meta WHERE key = 'trade_basis_digest'").fetchall()
            except duckdb.Error:
                return None, []
            return want, rows

        checked = getattr(self, "_basis_checked", None)
        if checked is not None and checked == _file_id(self.path):
            return  # found current (or rebuilt) on this very file: the digest costs ~20 ms, say it once
        want, rows = current(self.con)
        if rows and rows[0][0] == want:
            self._basis_checked = self._file_id
            return
        # stale tables: a reader does not wait for another writer, it keeps going on the last committed ones;
        # missing ones (a store never opened by a Dataset) must be built, after a bounded wait
        missing = not rows
        try:
            with self.transaction(wait=None if missing else 0.0) as con:
                want, rows = current(con)
                if rows and rows[0][0] == want:
                    raise Unchanged  # another process rebuilt them meanwhile
                self._refresh_basis(con)
            self._basis_checked = _file_id(self.path)
        except StoreError as exc:
            if missing:
                raise
            warnings.warn(
                f"the trade basis tables of {self.path} are out of date (new data were ingested) and cannot be "
                f"rebuilt now ({exc}); run critmin again when it has finished",
                stacklevel=3,
            )

    # -- queries ----------------------------------------------------------------------------------------
    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def status(self) -> pd.DataFrame:
        """Sources, editions, years and row counts of every data table."""
        parts = []
        for table in DATA_TABLES:
            parts.append(f"""SELECT '{table}' AS data_table, source, edition, count(*) AS rows,
                                    min(year) AS first_year, max(year) AS last_year FROM {table} GROUP BY ALL""")
        df = self.query(" UNION ALL ".join(parts) + " ORDER BY data_table, source, edition")
        origin = self.query(
            "SELECT data_table, source, edition, string_agg(DISTINCT origin, '+' ORDER BY origin) AS origin, "
            "any_value(licence) AS licence FROM sources GROUP BY ALL"
        )
        return df.merge(origin, on=["data_table", "source", "edition"], how="left")


def load_embedded_into(con, manifest: dict, digest: str, *, store: str = "the store") -> None:
    """Load the embedded dataset into the open write transaction ``con``, keeping user-ingested rows.

    Rows earlier embedded loads put there are replaced; the parts of an embedded (source, edition) that an
    ingested file replaced (``ingest_parts``) are neither deleted nor reloaded. Tables of an older schema are
    upgraded (:func:`critmin.upgrade.upgrade_tables`; ``store`` names the store in its errors).
    """
    from critmin.data import embedded_path

    con.execute(META_DDL)
    con.execute(SOURCES_DDL)
    for table, cols in SCHEMA.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
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
    for table in REFERENCE_TABLES:
        con.execute(f"DELETE FROM {table}")
    # only ingested rows are left: tables of an older schema can now be recreated with those carried over
    upgrade.upgrade_tables(con, store)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for table in SCHEMA:
        path = embedded_path(f"{table}.parquet")
        col_list = ", ".join(column_names(table))
        # parts of an embedded (source, edition) that an ingested file replaced are not reloaded
        keep = f"WHERE {embedded_filter(table)}" if table in DATA_TABLES else ""
        con.execute(
            f"INSERT INTO {table} ({col_list}) SELECT {col_list} FROM read_parquet(?) t {keep}", [str(path)]
        )
        if table not in DATA_TABLES:
            continue
        rows = con.execute(
            f"SELECT source, edition, count(*) FROM read_parquet(?) t {keep} GROUP BY ALL ORDER BY ALL",
            [str(path)],
        ).fetchall()
        for source, edition, n in rows:
            meta = manifest["sources"].get(_source_key(source), {})
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
    for key, value in {"embedded_digest": digest, **upgrade.schema_meta()}.items():
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


# kept for callers of the old private name
_split_columns = split_columns


def _source_key(source: str) -> str:
    s = source.lower()
    if s.startswith("unga"):
        return "unga"
    return {"baci": "baci", "wmd": "wmd", "usgs": "usgs", "iea": "iea", "wgi": "wgi"}.get(s, s)
