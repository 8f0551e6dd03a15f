"""Ingest history: every ingest that changed the store, and ``critmin data undo ID``.

Each ingest is recorded in ``ingest_history`` (id, who — user and host —, when, file name and location,
sha256, the parts it replaced, rows added / replaced / removed, the options used, the critmin version and the
embedded dataset it was made over). Before replacing anything, the ingest copies what it replaces into the
``ingest_saved_*`` tables: the rows of the parts it covers, the ``sources`` rows and the ``ingest_parts``
claims of its (table, source, edition). :func:`undo` puts them back in one transaction, so the store's
content is exactly what it was before the ingest (tested row for row).

An ingest can be undone while no later ingest replaced any of the same parts of the same (source,
edition) — otherwise those are undone first, newest first, as with a stack.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from critmin.errors import CritminError, UnknownValueError
from critmin.schema import COLUMNS, HISTORY_DDL, part_sql, saved_table


def _who() -> tuple[str, str]:
    from critmin.store import _who as who

    w = who()
    return w["user"], w["host"]


def save_before(con, table: str, source: str, edition: str) -> int:
    """Keep what an ingest of the parts in ``_critmin_parts`` is about to replace; returns its history id."""
    hid = con.execute("SELECT coalesce(max(id), 0) + 1 FROM ingest_history").fetchone()[0]
    part = part_sql(table)
    cols = ", ".join(COLUMNS[table])
    con.execute(
        f"INSERT INTO {saved_table(table)} SELECT ?, {cols} FROM {table} WHERE source = ? AND edition = ? "
        f"AND {part} IN (SELECT part FROM _critmin_parts)",
        [hid, source, edition],
    )
    con.execute(
        f"INSERT INTO {saved_table('sources')} SELECT ?, * FROM sources "
        "WHERE data_table = ? AND source = ? AND edition = ?",
        [hid, table, source, edition],
    )
    con.execute(
        f"INSERT INTO {saved_table('parts')} SELECT ?, * FROM ingest_parts "
        "WHERE data_table = ? AND source = ? AND edition = ? AND part IN (SELECT part FROM _critmin_parts)",
        [hid, table, source, edition],
    )
    return int(hid)


def record(
    con,
    hid: int,
    *,
    table: str,
    source: str,
    edition: str,
    file: str,
    location: str,
    sha: str,
    parts: list[str],
    added: int,
    replaced: int,
    removed: int,
    options: str,
    when: str,
) -> None:
    import critmin

    user, host = _who()
    rows = con.execute("SELECT value FROM meta WHERE key = 'embedded_digest'").fetchall()
    con.execute(
        "INSERT INTO ingest_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', NULL, NULL)",
        [
            hid,
            table,
            source,
            edition,
            file,
            location,
            sha,
            parts,
            added,
            replaced,
            removed,
            options,
            user,
            host,
            when,
            critmin.__version__,
            rows[0][0] if rows else None,
        ],
    )


def _has_history(con) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'ingest_history'"
        ).fetchone()[0]
    )


HISTORY_COLUMNS = [
    "id",
    "ingested_at",
    "user_name",
    "host",
    "data_table",
    "source",
    "edition",
    "file",
    "location",
    "sha256",
    "parts",
    "rows_added",
    "rows_replaced",
    "rows_removed",
    "status",
    "undone_at",
    "undone_by",
    "options",
    "critmin_version",
]


def history(store_path=None) -> pd.DataFrame:
    """Every recorded ingest, oldest first (empty when nothing was ever ingested)."""
    from critmin.store import Store

    with Store(store_path) as store:
        if not _has_history(store.con):
            return pd.DataFrame(columns=HISTORY_COLUMNS)
        return store.query(f"SELECT {', '.join(HISTORY_COLUMNS)} FROM ingest_history ORDER BY id")


@dataclass
class UndoReport:
    id: int
    data_table: str
    source: str
    edition: str
    file: str
    parts: list[str]
    removed_rows: int  # rows of the ingest taken out
    restored_rows: int  # rows it had replaced, put back
    embedded_reloaded: bool = False

    def __str__(self) -> str:
        from critmin.ingest.writer import _fmt_parts

        s = (
            f"undid ingest {self.id} ({self.file}: {self.source} '{self.edition}', {_fmt_parts(self.parts)}): "
            f"removed its {self.removed_rows:,} {self.data_table} rows and restored the {self.restored_rows:,} "
            "rows it had replaced"
        )
        if self.embedded_reloaded:
            s += "; the embedded dataset changed since, so its rows were reloaded from the current one"
        return s


def undo(store_path, ingest_id: int, *, wait: float | None = None) -> UndoReport:
    """Restore the store as it was before ingest ``ingest_id`` (one transaction; see the module docstring)."""
    from critmin.ingest.writer import recount_sources
    from critmin.store import Store, _manifest_digest, embedded_manifest, load_embedded_into

    store = Store(store_path)
    try:
        with store.transaction(wait=wait) as con:
            con.execute(HISTORY_DDL)
            row = con.execute(
                "SELECT data_table, source, edition, file, sha256, parts, status, undone_at, embedded_digest "
                "FROM ingest_history WHERE id = ?",
                [int(ingest_id)],
            ).fetchall()
            if not row:
                ids = [str(r[0]) for r in con.execute("SELECT id FROM ingest_history ORDER BY id").fetchall()]
                raise UnknownValueError(
                    "ingest id",
                    ingest_id,
                    ids,
                    hint="see `critmin data history`" if ids else "nothing ingested yet",
                    suggestions=ids[::-1][:3],  # the latest ingests
                )
            table, source, edition, file, sha, parts, status, undone_at, digest = row[0]
            if status != "active":
                raise CritminError(f"ingest {ingest_id} ({file}) was already undone on {undone_at}")
            later = con.execute(
                "SELECT id, file FROM ingest_history WHERE id > ? AND status = 'active' AND data_table = ? "
                "AND source = ? AND edition = ? AND list_has_any(parts, ?) ORDER BY id DESC",
                [int(ingest_id), table, source, edition, parts],
            ).fetchall()
            if later:
                shown = ", ".join(f"{i} ({f})" for i, f in later)
                raise CritminError(
                    f"ingest {ingest_id} ({file}) cannot be undone yet: later ingest(s) {shown} replaced the same "
                    f"{source} '{edition}' data; undo them first, newest first (`critmin data undo {later[0][0]}`)"
                )
            part = part_sql(table)
            cols = ", ".join(COLUMNS[table])
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _critmin_parts AS SELECT unnest(?::VARCHAR[]) AS part", [parts]
            )
            removed = con.execute(
                f"DELETE FROM {table} WHERE source = ? AND edition = ? AND {part} IN (SELECT part FROM _critmin_parts)",
                [source, edition],
            ).fetchone()[0]
            restored = con.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {saved_table(table)} WHERE history_id = ?",
                [int(ingest_id)],
            ).fetchone()[0]
            con.execute(
                "DELETE FROM ingest_parts WHERE data_table = ? AND source = ? AND edition = ? "
                "AND part IN (SELECT part FROM _critmin_parts)",
                [table, source, edition],
            )
            con.execute(
                f"INSERT INTO ingest_parts SELECT * EXCLUDE (history_id) FROM {saved_table('parts')} "
                "WHERE history_id = ?",
                [int(ingest_id)],
            )
            con.execute(
                "DELETE FROM sources WHERE data_table = ? AND source = ? AND edition = ? AND origin = 'ingest' "
                "AND sha256 = ?",
                [table, source, edition, sha],
            )
            # sources rows the ingest left without rows (and so deleted) come back as they were
            con.execute(
                f"""INSERT INTO sources SELECT * EXCLUDE (history_id) FROM {saved_table("sources")} s
                    WHERE s.history_id = ? AND NOT EXISTS (
                        SELECT 1 FROM sources c WHERE c.data_table = s.data_table AND c.source = s.source
                        AND c.edition = s.edition AND c.origin = s.origin
                        AND c.sha256 IS NOT DISTINCT FROM s.sha256)""",
                [int(ingest_id)],
            )
            recount_sources(con, table, source, edition)
            manifest = embedded_manifest()
            now_digest = _manifest_digest(manifest)
            reloaded = False
            if digest is not None and digest != now_digest:
                # the rows put back may come from an older embedded dataset: reload the embedded parts
                load_embedded_into(con, manifest, now_digest)
                reloaded = True
            for t in (table, "sources", "parts"):
                con.execute(f"DELETE FROM {saved_table(t)} WHERE history_id = ?", [int(ingest_id)])
            user, host = _who()
            con.execute(
                "UPDATE ingest_history SET status = 'undone', undone_at = ?, undone_by = ? WHERE id = ?",
                [dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), f"{user}@{host}", int(ingest_id)],
            )
            con.execute("DROP TABLE _critmin_parts")
    finally:
        store.close()
    return UndoReport(
        int(ingest_id), table, source, edition, file, list(parts), int(removed), int(restored), reloaded
    )


__all__ = ["HISTORY_COLUMNS", "UndoReport", "history", "record", "save_before", "undo"]
