"""Write a parsed official file into the store: one transaction, idempotent, all-or-nothing.

Within a single DuckDB transaction (:meth:`critmin.store.Store.transaction`):

1. if the file's sha256 is already recorded in ``sources`` for the target table, nothing happens
   ("already ingested");
2. the parsed rows are staged in a temporary table (streamed chunk by chunk, so memory stays bounded);
3. bad rows refuse the whole ingest (the transaction is rolled back and the store is unchanged) unless
   ``skip_bad``, which keeps the good rows and writes the bad ones to a rejects CSV;
4. rows of the same (source, edition) are replaced — within the *parts* of the table the file covers: the
   years of a BACI file, the (commodity, stage) pairs of a USGS/WMD file, the indicators of a WGI file — so a
   yearly BACI file replaces its year of a release and leaves the other years alone;
5. the ``sources`` row (origin ``ingest``, file name, sha256, rows, licence, citation, loaded_at) is added, and
   the row counts of earlier ``sources`` rows of the same (source, edition) are brought up to date (table
   ``ingest_parts`` records which parts each ingested file holds).

DuckDB writes nothing a reader can see before COMMIT and discards an uncommitted transaction when the
database is reopened, so a process killed at any point leaves the store as it was (tested by killing a
subprocess mid-ingest).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from critmin.errors import DataError, NoDataError
from critmin.ingest import check_source, parser
from critmin.ingest.common import COLUMNS, ProgressFn, Rejects, part_sql, sha256_file

PARTS_DDL = """CREATE TABLE IF NOT EXISTS ingest_parts (
    data_table VARCHAR, source VARCHAR, edition VARCHAR, sha256 VARCHAR, part VARCHAR)"""
STAGING = "_critmin_ingest_staging"
ORDER = {
    "trade": "year, hs6, exporter, importer",
    "production": "commodity, stage, year, country",
    "governance": "indicator, country, year",
}


@dataclass
class IngestReport:
    """What an ingest did (``status`` 'ingested' or 'already ingested')."""

    status: str
    source: str
    data_table: str
    file: str
    sha256: str
    edition: str | None = None
    rows: int = 0  # rows now in the store from this file
    replaced: int = 0  # rows of the same (source, edition) and parts that were deleted
    parts: list[str] = field(default_factory=list)
    rows_read: int = 0
    outside_catalogue: int = 0
    bad_rows: int = 0
    rejects_path: Path | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stats: dict = field(default_factory=dict)

    def __str__(self) -> str:
        if self.status == "already ingested":
            return (
                f"{self.file}: already ingested (sha256 {self.sha256[:12]}… is recorded for the "
                f"{self.data_table} table); nothing changed"
            )
        parts = _fmt_parts(self.parts)
        lines = [
            f"{self.file}: ingested {self.rows:,} {self.data_table} rows as {self.source} '{self.edition}' "
            f"({parts}) in {self.seconds:.1f} s",
            f"  read {self.rows_read:,} {self.stats.get('read_unit', 'rows')}; "
            f"{self.outside_catalogue:,} outside the catalogue; "
            f"replaced {self.replaced:,} rows of the same source, edition and {_PART_NAME[self.data_table]}",
        ]
        if self.bad_rows:
            lines.append(f"  skipped {self.bad_rows:,} bad rows, listed in {self.rejects_path}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["rejects_path"] = str(self.rejects_path) if self.rejects_path else None
        return d


_PART_NAME = {"trade": "years", "production": "(commodity, stage) pairs", "governance": "indicators"}


def _fmt_parts(parts: list[str]) -> str:
    if not parts:
        return "no parts"
    if all(p.isdigit() for p in parts):
        ys = sorted(int(p) for p in parts)
        return f"{ys[0]}" if len(ys) == 1 else f"{len(ys)} years {ys[0]}-{ys[-1]}"
    shown = ", ".join(parts[:6])
    return shown + (f" and {len(parts) - 6} more" if len(parts) > 6 else "")


def _source_meta(key: str) -> tuple[str | None, str | None]:
    from critmin.data.build import SOURCES

    s = SOURCES.get(key)
    return (s.licence, s.citation) if s else (None, None)


def _recorded(con, table: str, sha: str) -> bool:
    try:
        return bool(
            con.execute(
                "SELECT count(*) FROM sources WHERE data_table = ? AND sha256 = ?", [table, sha]
            ).fetchone()[0]
        )
    except Exception:  # a store without a sources table yet
        return False


def ingest(
    store_path,
    source: str,
    path,
    *,
    edition: str | None = None,
    skip_bad: bool = False,
    progress: ProgressFn | None = None,
    rejects_path: str | Path | None = None,
) -> IngestReport:
    """Ingest one official file (``source`` in baci, usgs, wgi, wmd) into the store at ``store_path``.

    ``edition`` overrides the edition read from the file (name); ``skip_bad`` ingests the good rows and writes
    the bad ones to ``rejects_path`` (default ``<file name>.rejects.csv`` in the current directory).
    ``progress(stage, done, total)`` is called while reading and writing. Raises :class:`DataError` listing
    the first bad rows when the file has any and ``skip_bad`` is false; the store is then unchanged.
    """
    from critmin.store import Store

    t0 = time.perf_counter()
    key = check_source(source)
    mod = parser(key)
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", path=str(path))
    say = progress or (lambda *_a: None)
    say("hashing", 0, None)
    sha = sha256_file(path) if path.is_file() else _sha256_dir(path)
    table = {"baci": "trade", "usgs": "production", "wgi": "governance", "wmd": "production"}[key]
    store = Store(store_path)
    try:
        if _recorded(store.con, table, sha):
            return IngestReport(
                "already ingested", mod.SOURCE, table, path.name, sha, seconds=time.perf_counter() - t0
            )
        store.close()
        final_rejects = Path(rejects_path) if rejects_path else Path.cwd() / f"{path.name}.rejects.csv"
        tmp_rejects = (
            final_rejects.with_name(final_rejects.name + f".{os.getpid()}.part") if skip_bad else None
        )
        rejects = Rejects(tmp_rejects)
        try:
            parsed = mod.parse(path, edition=edition, progress=progress, rejects=rejects)
            report = _write(store, parsed, path, sha, skip_bad, say)
        finally:
            rejects.close()
        if report.status == "ingested" and rejects.count and tmp_rejects is not None:
            shutil.move(tmp_rejects, final_rejects)
            report.rejects_path = final_rejects
        elif tmp_rejects is not None and tmp_rejects.exists():
            tmp_rejects.unlink()
        report.seconds = time.perf_counter() - t0
        return report
    finally:
        store.close()


def _sha256_dir(path: Path) -> str:
    """A folder of CSVs (USGS per-commodity files): hash of the sorted (name, sha256) list."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted(path.rglob("*.csv")):
        h.update(f"{p.relative_to(path)}\0{sha256_file(p)}\n".encode())
    return h.hexdigest()


def _write(store, parsed, path: Path, sha: str, skip_bad: bool, say) -> IngestReport:
    table, src, ed = parsed.table, parsed.source, parsed.edition
    cols = COLUMNS[table]
    col_list = ", ".join(cols)
    part = part_sql(table)
    licence, citation = _source_meta(parsed.key)
    with store.transaction() as con:
        con.execute(PARTS_DDL)
        if _recorded(con, table, sha):  # another process got there first
            return IngestReport("already ingested", src, table, path.name, sha, edition=ed)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGING} AS SELECT {col_list} FROM {table} LIMIT 0")
        staged = 0
        for chunk in parsed.chunks:
            if chunk.empty:
                continue
            con.register("_critmin_chunk", chunk[list(cols)])
            con.execute(f"INSERT INTO {STAGING} SELECT {col_list} FROM _critmin_chunk")
            con.unregister("_critmin_chunk")
            staged += len(chunk)
            say("staging", staged, None)
        rejects = parsed.rejects
        if rejects.count and not skip_bad:
            first = rejects.first[0]
            raise DataError(
                f"{rejects.count} bad row(s); nothing was ingested and the store is unchanged:\n"
                f"{rejects.summary()}\nFix the file, or rerun with --skip-bad to ingest the good rows and write "
                "the bad ones to a rejects CSV.",
                path=first.file,
                line=first.line,
                field=first.field,
            )
        if staged == 0:
            msg = (
                f"no rows of the catalogue in the file ({parsed.stats.get('rows_read', 0):,} rows read, "
                f"{parsed.stats.get('outside_catalogue', 0):,} outside the catalogue"
            )
            msg += f", {rejects.count} bad)" if rejects.count else ")"
            if rejects.count:
                msg += ":\n" + rejects.summary()
            raise NoDataError(f"{path.name}: {msg}; nothing was ingested")
        say("writing", 1, 4)
        parts = [
            r[0] for r in con.execute(f"SELECT DISTINCT {part} AS p FROM {STAGING} ORDER BY p").fetchall()
        ]
        con.execute("CREATE OR REPLACE TEMP TABLE _critmin_parts (part VARCHAR)")
        con.executemany("INSERT INTO _critmin_parts VALUES (?)", [[p] for p in parts])
        replaced = con.execute(
            f"DELETE FROM {table} WHERE source = ? AND edition = ? AND {part} IN (SELECT part FROM _critmin_parts)",
            [src, ed],
        ).fetchone()[0]
        say("writing", 2, 4)
        if table == "trade":
            # merged legacy codes (e.g. Belgium-Luxembourg -> BEL) can give duplicate keys: sum them
            select = (
                f"SELECT year, exporter, importer, hs6, sum(value_kusd), sum(tonnes), source, edition "
                f"FROM {STAGING} GROUP BY ALL ORDER BY {ORDER[table]}"
            )
        else:
            select = f"SELECT {col_list} FROM {STAGING} ORDER BY {ORDER[table]}"
        con.execute(f"INSERT INTO {table} ({col_list}) {select}")
        inserted = con.execute(
            f"SELECT count(*) FROM {table} WHERE source = ? AND edition = ? AND {part} IN "
            "(SELECT part FROM _critmin_parts)",
            [src, ed],
        ).fetchone()[0]
        say("writing", 3, 4)
        # parts claimed by this file are no longer held by earlier files of the same (source, edition)
        con.execute(
            "DELETE FROM ingest_parts WHERE data_table = ? AND source = ? AND edition = ? "
            "AND part IN (SELECT part FROM _critmin_parts)",
            [table, src, ed],
        )
        con.execute(
            "INSERT INTO ingest_parts SELECT ?, ?, ?, ?, part FROM _critmin_parts", [table, src, ed, sha]
        )
        _recount_sources(con, table, src, ed)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        con.execute(
            "INSERT INTO sources VALUES (?, ?, ?, 'ingest', ?, ?, ?, ?, ?, ?)",
            [src, ed, table, path.name, sha, inserted, licence, citation, now],
        )
        con.execute(f"DROP TABLE {STAGING}")
        con.execute("DROP TABLE _critmin_parts")
        say("committing", 4, 4)
    say("done", inserted, inserted)
    stats = parsed.stats
    return IngestReport(
        "ingested",
        src,
        table,
        path.name,
        sha,
        edition=ed,
        rows=int(inserted),
        replaced=int(replaced),
        parts=parts,
        rows_read=int(stats.get("rows_read", 0)),
        outside_catalogue=int(stats.get("outside_catalogue", 0)),
        bad_rows=rejects.count,
        notes=list(parsed.notes),
        stats=dict(stats),
    )


def _recount_sources(con, table: str, source: str, edition: str) -> None:
    """Bring the ``rows`` of the existing sources rows of (table, source, edition) up to date.

    An ingested file holds the rows of the parts recorded for its sha256 in ``ingest_parts``; the embedded
    dataset holds the rows of the parts no ingested file claims. A row left with nothing is deleted.
    """
    part = part_sql(table)
    claimed = "SELECT part FROM ingest_parts WHERE data_table = ? AND source = ? AND edition = ?"
    rows = con.execute(
        "SELECT DISTINCT origin, sha256 FROM sources WHERE data_table = ? AND source = ? AND edition = ?",
        [table, source, edition],
    ).fetchall()
    for origin, sha in rows:
        if origin == "ingest":
            n = con.execute(
                f"SELECT count(*) FROM {table} WHERE source = ? AND edition = ? AND {part} IN "
                f"({claimed} AND sha256 = ?)",
                [source, edition, table, source, edition, sha],
            ).fetchone()[0]
        else:
            n = con.execute(
                f"SELECT count(*) FROM {table} WHERE source = ? AND edition = ? AND {part} NOT IN "
                f"({claimed})",
                [source, edition, table, source, edition],
            ).fetchone()[0]
        where = (
            "data_table = ? AND source = ? AND edition = ? AND origin = ? AND sha256 IS NOT DISTINCT FROM ?"
        )
        args = [table, source, edition, origin, sha]
        if n:
            con.execute(f"UPDATE sources SET rows = ? WHERE {where}", [n, *args])
        else:
            con.execute(f"DELETE FROM sources WHERE {where}", args)


def embedded_filter(table: str, alias: str = "t") -> str:
    """SQL predicate true for rows of ``table`` (aliased ``alias``) that no ingested file claims.

    For :meth:`critmin.store.Store.load_embedded`: reloading the embedded dataset must neither delete nor
    duplicate the parts of an embedded (source, edition) that an ingested file replaced.
    """
    part = part_sql(table, alias)
    if part is None:
        return "TRUE"
    return (
        f"NOT EXISTS (SELECT 1 FROM ingest_parts p WHERE p.data_table = '{table}' AND p.source = {alias}.source "
        f"AND p.edition = {alias}.edition AND p.part = {part})"
    )
