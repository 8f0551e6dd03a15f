"""Write a parsed official file into the store: one transaction, idempotent, all-or-nothing, undoable.

Within a single store transaction (:meth:`critmin.store.Store.transaction`, copy-on-write):

1. if the file's sha256 is already recorded in ``sources`` for the target table, nothing happens
   ("already ingested");
2. the parsed rows are staged in a temporary table (streamed chunk by chunk under a DuckDB memory limit, so
   memory stays bounded whatever the file size);
3. bad rows refuse the whole ingest (the store is unchanged) unless ``skip_bad``, which keeps the good rows and
   writes the bad ones to a rejects CSV. Bad rows include duplicated keys (with the line of the first
   occurrence) and non-finite numbers, checked again on the staged rows whatever the parser did;
4. rows of the same (source, edition) are replaced — within the *parts* of the table the file covers: the
   years of a BACI file, the (commodity, stage) pairs of a USGS/WMD file, the indicators of a WGI file — so a
   yearly BACI file replaces its year of a release and leaves the other years alone. **Guard**: when the file
   would remove more than :data:`MAX_LOSS_SHARE` of the keys of a part it replaces, or a whole HS code / year
   of a part, the ingest stops and names what would disappear, unless ``replace`` is given;
5. the rows and bookkeeping the ingest replaces are kept in the ingest history (:mod:`critmin.ingest.history`),
   so ``critmin data undo ID`` restores them exactly; the ``sources`` row (origin ``ingest``, file name,
   sha256, rows, licence, citation, loaded_at) is added and the row counts of earlier ``sources`` rows of the
   same (source, edition) are brought up to date (table ``ingest_parts`` records which parts each ingested
   file holds).

A process killed at any point leaves the store as it was (the transaction writes a copy that replaces the
store only once committed; tested by killing a subprocess mid-ingest).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from critmin.errors import DataError, NoDataError
from critmin.formats import percent
from critmin.ingest import check_source, parser
from critmin.ingest.common import BadRow, ProgressFn, Rejects, sha256_file
from critmin.schema import (
    COLUMNS,
    GROUP_NAME,
    HISTORY_DDL,
    KEYS,
    PARTS_DDL,
    embedded_filter,  # noqa: F401 - re-exported for callers of the old location
    group_sql,
    part_sql,
    saved_ddls,
)
from critmin.store import Unchanged

STAGING = "_critmin_ingest_staging"
ORDER = {
    "trade": "year, hs6, exporter, importer",
    "production": "commodity, stage, year, country",
    "governance": "indicator, country, year",
}
NUMERIC = {
    "trade": ("value_kusd", "tonnes"),
    "production": ("tonnes",),
    "governance": ("estimate", "stddev", "nsource", "pctrank"),
}
MAX_LOSS_SHARE = 0.20  # an ingest removing more of a part's keys than this needs --replace
INGEST_MEMORY = "96MB"  # DuckDB memory limit while ingesting (it spills to a temporary folder beyond)


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
    removed: int = 0  # of those, keys the file does not hold again
    parts: list[str] = field(default_factory=list)
    rows_read: int = 0
    outside_catalogue: int = 0
    bad_rows: int = 0
    rejects_path: Path | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stats: dict = field(default_factory=dict)
    history_id: int | None = None

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
            f"replaced {self.replaced:,} rows of the same source, edition and {_PART_NAME[self.data_table]}"
            + (f" ({self.removed:,} of them not in the file)" if self.removed else ""),
        ]
        if self.bad_rows:
            lines.append(f"  skipped {self.bad_rows:,} bad rows, listed in {self.rejects_path}")
        lines.extend(f"  note: {n}" for n in self.notes)
        if self.history_id is not None:
            lines.append(
                f"  recorded as ingest {self.history_id} (undo with `critmin data undo {self.history_id}`)"
            )
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
    replace: bool = False,
    progress: ProgressFn | None = None,
    rejects_path: str | Path | None = None,
    location: str | None = None,
) -> IngestReport:
    """Ingest one official file (``source`` in baci, usgs, wgi, wmd) into the store at ``store_path``.

    ``edition`` overrides the edition read from the file (name); ``skip_bad`` ingests the good rows and writes
    the bad ones to ``rejects_path`` (default ``<file name>.rejects.csv`` in the current directory);
    ``replace`` lets the file remove more of the rows it replaces than the guard allows (see the module
    docstring). ``location`` is recorded in the history instead of the file's path (e.g. the download URL).
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
    try:
        sha = sha256_file(path) if path.is_file() else _sha256_dir(path)
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror or exc})", path=str(path)) from None
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
            options = {"edition": edition, "skip_bad": skip_bad, "replace": replace}
            where = location or str(path.resolve())
            report = _write(store, parsed, path, sha, skip_bad, replace, say, where, options)
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


# ---------------------------------------------------------------------------------------------------------
# Staging and checks


def _stage(con, parsed, say) -> int:
    """Stream the parsed chunks into the staging table (store columns, the parser's extra ones, ``_seq``);
    returns the rows staged."""
    import pandas as pd

    table = parsed.table
    cols = COLUMNS[table]
    extra = tuple(parsed.extra_columns)
    types = ", ".join(f"NULL::VARCHAR AS {c}" for c in extra)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGING} AS SELECT {', '.join(cols)}{', ' if extra else ''}{types}, "
        f"0::BIGINT AS _seq FROM {table} LIMIT 0"
    )
    select = ", ".join(cols + extra)
    staged = 0
    for chunk in parsed.chunks:
        if chunk.empty:
            continue
        frame = chunk[list(cols + extra)].copy()
        for c in extra:
            frame[c] = frame[c].astype("string")
        frame["_seq"] = pd.RangeIndex(staged, staged + len(frame))
        # read through DuckDB's replacement scan of the local name: con.register() inside a transaction
        # keeps every registered frame alive until COMMIT, so memory would grow with the file
        _critmin_chunk = frame
        con.execute(f"INSERT INTO {STAGING} SELECT {select}, _seq FROM _critmin_chunk")
        staged += len(frame)
        del _critmin_chunk, frame
        say("staging", staged, None)
    return staged


def _where(row_file, row_line) -> tuple[str | None, object]:
    line = row_line
    if isinstance(line, str) and line.isdigit():
        line = int(line)
    return row_file, line


def _check_duplicates(con, parsed, label: str, skip_bad: bool) -> None:
    """Rows whose raw key (``parsed.duplicate_key``) repeats an earlier row are bad rows (first one kept)."""
    key = parsed.duplicate_key
    if not key:
        return
    k = ", ".join(key)
    n = con.execute(
        f"SELECT count(*) FROM (SELECT {k} FROM {STAGING} GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    if not n:
        return
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _critmin_dups AS
            WITH d AS (SELECT {k} FROM {STAGING} GROUP BY ALL HAVING count(*) > 1)
            SELECT s._seq, s._file, s._line,
                   first(s._line ORDER BY s._seq) OVER (PARTITION BY {", ".join("s." + c for c in key)}) AS first_line,
                   concat_ws(' ', {", ".join(f"CAST(s.{c} AS VARCHAR)" for c in key)}) AS key_text,
                   row_number() OVER (PARTITION BY {", ".join("s." + c for c in key)} ORDER BY s._seq) AS rn
            FROM {STAGING} s SEMI JOIN d USING ({k})"""
    )
    described = parsed.duplicate_key_name or ", ".join(key)
    result = con.execute(
        "SELECT _file, _line, first_line, key_text FROM _critmin_dups WHERE rn > 1 ORDER BY _seq"
    )
    while batch := result.fetchmany(10_000):
        for dup_file, line, first, text in batch:
            f, ln = _where(dup_file or label, line)
            parsed.rejects.add(BadRow(f, ln, "row", f"duplicate of line {first} (same {described})", text))
    if skip_bad:
        con.execute(f"DELETE FROM {STAGING} WHERE _seq IN (SELECT _seq FROM _critmin_dups WHERE rn > 1)")
    con.execute("DROP TABLE _critmin_dups")


def _check_finite(con, parsed, label: str, skip_bad: bool) -> None:
    """No infinite or NaN number reaches the store, whatever a parser let through."""
    cols = NUMERIC[parsed.table]
    cond = " OR ".join(f"({c} IS NOT NULL AND NOT isfinite({c}))" for c in cols)
    has_where = "_line" in parsed.extra_columns
    where_cols = "_file, _line" if has_where else "NULL, NULL"
    shown = ", ".join(f"CAST({c} AS VARCHAR)" for c in cols)
    rows = con.execute(
        f"SELECT {where_cols}, concat_ws(' ', {shown}) FROM {STAGING} WHERE {cond} ORDER BY _seq"
    ).fetchall()
    if not rows:
        return
    for f, line, text in rows:
        f, ln = _where(f or label, line)
        parsed.rejects.add(BadRow(f, ln, "/".join(cols), "not a finite number", text))
    if skip_bad:
        con.execute(f"DELETE FROM {STAGING} WHERE {cond}")


def _guard(con, table: str, src: str, ed: str, label: str) -> tuple[list[str], int]:
    """Parts this ingest would hollow out: (problems, keys removed in all).

    Compares, for each part the file covers, the keys already in the store for (source, edition) with the
    staged keys: more than :data:`MAX_LOSS_SHARE` of them absent, or a whole group (an HS code of a BACI
    year, a year of a production series or governance indicator) absent, is a problem.
    """
    part, grp, key = part_sql(table, "o"), group_sql(table, "o"), KEYS[table]
    k = ", ".join(key)
    old = (
        f"SELECT {part} AS part, {grp} AS grp, {', '.join('o.' + c for c in key)} FROM {table} o "
        f"WHERE o.source = ? AND o.edition = ? AND {part} IN (SELECT part FROM _critmin_parts)"
    )
    stats = con.execute(
        f"""WITH old AS ({old}), new AS (SELECT DISTINCT {k}, TRUE AS present FROM {STAGING})
            SELECT part, count(*) AS before, count(*) FILTER (WHERE new.present IS NULL) AS lost
            FROM old LEFT JOIN new USING ({k}) GROUP BY part ORDER BY part""",
        [src, ed],
    ).fetchall()
    s_part, s_grp = part_sql(table, "s"), group_sql(table, "s")
    gone = dict(
        con.execute(
            f"""WITH old AS ({old}),
                     gone AS (SELECT DISTINCT part, grp FROM old
                              EXCEPT SELECT DISTINCT {s_part}, {s_grp} FROM {STAGING} s)
                SELECT part, list(grp ORDER BY grp) FROM gone GROUP BY part""",
            [src, ed],
        ).fetchall()
    )
    problems, removed = [], 0
    for p, before, lost in stats:
        removed += lost
        share = lost / before if before else 0.0
        groups = gone.get(p) or []
        if share <= MAX_LOSS_SHARE and not groups:
            continue
        what = f"{src} '{ed}' {_PART_LABEL[table]}{p}: {lost:,} of {before:,} rows ({percent(share)}) are not in the file"
        if groups:
            shown = ", ".join(str(g) for g in groups[:8]) + (
                f" and {len(groups) - 8} more" if len(groups) > 8 else ""
            )
            what += f"; {GROUP_NAME[table]} {shown} would disappear"
        problems.append(what)
    return problems, removed


_PART_LABEL = {"trade": "year ", "production": "", "governance": "indicator "}


# ---------------------------------------------------------------------------------------------------------
# The transaction


def _write(
    store, parsed, path: Path, sha: str, skip_bad: bool, replace: bool, say, location: str, options: dict
) -> IngestReport:
    from critmin.ingest import history  # the module (critmin.ingest has no attribute of that name)

    table, src, ed = parsed.table, parsed.source, parsed.edition
    cols = COLUMNS[table]
    col_list = ", ".join(cols)
    part = part_sql(table)
    licence, citation = _source_meta(parsed.key)
    label = path.name
    already = False
    with store.transaction(memory_limit=INGEST_MEMORY) as con:
        con.execute(PARTS_DDL)
        con.execute(HISTORY_DDL)
        for ddl in saved_ddls().values():
            con.execute(ddl)
        if _recorded(con, table, sha):  # another process got there first
            already = True
            raise Unchanged
        staged = _stage(con, parsed, say)
        rejects = parsed.rejects
        if staged:
            _check_duplicates(con, parsed, label, skip_bad)
            _check_finite(con, parsed, label, skip_bad)
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
        staged = con.execute(f"SELECT count(*) FROM {STAGING}").fetchone()[0]
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
        problems, removed = _guard(con, table, src, ed, label)
        if problems and not replace:
            listed = "\n".join(f"  {p}" for p in problems)
            raise DataError(
                "this file would remove data that is in the store; nothing was ingested and the store is "
                f"unchanged:\n{listed}\nIs the file truncated or partial? If it is complete and meant to "
                "replace these rows, rerun with --replace (an ingest can be undone with `critmin data undo`).",
                path=label,
            )
        hid = history.save_before(con, table, src, ed)
        replaced = con.execute(
            f"DELETE FROM {table} WHERE source = ? AND edition = ? AND {part} IN (SELECT part FROM _critmin_parts)",
            [src, ed],
        ).fetchone()[0]
        say("writing", 2, 4)
        if table == "trade":
            # merged legacy codes (e.g. Belgium-Luxembourg -> BEL) give the same ISO3 key: sum them
            select = (
                f"SELECT year, exporter, importer, hs6, sum(value_kusd), sum(tonnes), source, edition "
                f"FROM {STAGING} WHERE {part} = ? GROUP BY ALL ORDER BY {ORDER[table]}"
            )
        else:
            select = f"SELECT {col_list} FROM {STAGING} WHERE {part} = ? ORDER BY {ORDER[table]}"
        for p in parts:  # part by part (a year of BACI): the sort and sums stay within the memory limit
            con.execute(f"INSERT INTO {table} ({col_list}) {select}", [p])
        con.execute(f"DROP TABLE {STAGING}")
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
        recount_sources(con, table, src, ed)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        con.execute(
            "INSERT INTO sources VALUES (?, ?, ?, 'ingest', ?, ?, ?, ?, ?, ?)",
            [src, ed, table, path.name, sha, inserted, licence, citation, now],
        )
        options = {**options, "bad_rows_skipped": rejects.count, "guard": problems}
        history.record(
            con,
            hid,
            table=table,
            source=src,
            edition=ed,
            file=path.name,
            location=location,
            sha=sha,
            parts=parts,
            added=int(inserted),
            replaced=int(replaced),
            removed=int(removed),
            options=json.dumps(options, sort_keys=True),
            when=now,
        )
        con.execute("DROP TABLE _critmin_parts")
        say("committing", 4, 4)
    if already:
        return IngestReport("already ingested", src, table, path.name, sha, edition=ed)
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
        removed=int(removed),
        parts=parts,
        rows_read=int(stats.get("rows_read", 0)),
        outside_catalogue=int(stats.get("outside_catalogue", 0)),
        bad_rows=rejects.count,
        notes=list(parsed.notes),
        stats=dict(stats),
        history_id=hid,
    )


def recount_sources(con, table: str, source: str, edition: str) -> None:
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


_recount_sources = recount_sources  # the old private name
