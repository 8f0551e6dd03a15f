"""Integrity of the embedded dataset and of a store: ``critmin data verify``.

Checks, each reported as a line:

1. every embedded Parquet file named in ``manifest.json`` exists, its sha256 and row count match the manifest;
2. the store was built from this embedded dataset (``meta.embedded_digest``);
3. the store's reference tables (countries, hs_codes, blocs) hold the manifest's row counts;
4. for every (table, source, edition) the store's row count equals the sum of ``sources.rows``, and no
   ``sources`` row points at data that is not there;
5. every embedded (source, edition) holds as many rows as the embedded Parquet file, less the parts an
   ingested file replaced (see :mod:`critmin.ingest.writer`);
6. the embedded rows in the store are the embedded file's rows, value for value (a row edited, deleted or
   added in the store by hand is reported with examples), and so are the reference tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from critmin.ingest.common import sha256_file
from critmin.schema import DATA_TABLES, KEYS, REFERENCE_TABLES, column_names, column_types, embedded_filter

EXAMPLES = 3  # differing rows shown per (table, source, edition)
SHOWN_KEYS = {
    **KEYS,
    "ideal_points": ("country", "session"),
    "supply_outlook": ("commodity", "stage", "country", "year", '"case"'),
    "demand_outlook": ("commodity", "sector", "scenario", "year"),
    "countries": ("iso3",),
    "hs_codes": ("hs6",),
    "blocs": ("bloc", "country", "joined"),
}


@dataclass
class VerifyReport:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [f"{name}: {detail}" for name, ok, detail in self.checks if not ok]

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append((name, bool(ok), detail))


def verify_embedded(embedded_dir: Path | None = None, report: VerifyReport | None = None) -> VerifyReport:
    """Embedded Parquet files against ``manifest.json`` (sha256 and row counts)."""
    import pyarrow.parquet as pq

    from critmin.data import embedded_dir as default_dir

    report = report or VerifyReport()
    d = Path(embedded_dir) if embedded_dir else default_dir()
    mpath = d / "manifest.json"
    if not mpath.exists():
        report.add("manifest", False, f"{mpath} is missing")
        return report
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    for _, meta in sorted(manifest["tables"].items()):
        path = d / meta["file"]
        if not path.exists():
            report.add(f"embedded {meta['file']}", False, "file missing")
            continue
        sha = sha256_file(path)
        report.add(
            f"embedded {meta['file']} sha256",
            sha == meta["sha256"],
            "matches the manifest"
            if sha == meta["sha256"]
            else f"sha256 {sha[:12]}… differs from the manifest's {meta['sha256'][:12]}…",
        )
        n = pq.ParquetFile(path).metadata.num_rows
        report.add(
            f"embedded {meta['file']} rows",
            n == meta["rows"],
            f"{n:,} rows" if n == meta["rows"] else f"{n:,} rows, the manifest says {meta['rows']:,}",
        )
    return report


def verify(store_path=None, *, embedded_dir: Path | None = None) -> VerifyReport:
    """All checks (see module docstring) for the store at ``store_path`` (default store if None)."""
    from critmin.data import embedded_dir as default_dir
    from critmin.store import Store, _manifest_digest

    d = Path(embedded_dir) if embedded_dir else default_dir()
    report = verify_embedded(d)
    if not (d / "manifest.json").exists():
        return report
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    store = Store(store_path)
    path = store.path
    con = store.con
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'embedded_digest'").fetchone()
        digest = _manifest_digest(manifest)
        report.add(
            "store built from this embedded dataset",
            bool(row) and row[0] == digest,
            str(path)
            if row and row[0] == digest
            else f"{path} was built from another embedded dataset (digest {row[0][:12] if row else 'none'}…)",
        )
        for table in REFERENCE_TABLES:
            if table not in manifest["tables"]:
                continue
            n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            want = manifest["tables"][table]["rows"]
            report.add(
                f"store {table} rows", n == want, f"{n:,}" if n == want else f"{n:,} rows, manifest {want:,}"
            )
        has_parts = bool(
            con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'ingest_parts'"
            ).fetchone()[0]
        )
        for table in DATA_TABLES:
            counts = dict(
                ((s, e), n)
                for s, e, n in con.execute(
                    f"SELECT source, edition, count(*) FROM {table} GROUP BY ALL"
                ).fetchall()
            )
            recorded = dict(
                ((s, e), n)
                for s, e, n in con.execute(
                    "SELECT source, edition, sum(rows) FROM sources WHERE data_table = ? GROUP BY ALL",
                    [table],
                ).fetchall()
            )
            for key in sorted(set(counts) | set(recorded)):
                have, want = counts.get(key, 0), int(recorded.get(key) or 0)
                label = f"store {table} {key[0]} '{key[1]}' rows"
                if key not in recorded:
                    report.add(label, False, f"{have:,} rows without a sources entry")
                else:
                    report.add(
                        label,
                        have == want,
                        f"{have:,}" if have == want else f"{have:,} rows, the sources table says {want:,}",
                    )
            # embedded rows vs the embedded Parquet, less the parts replaced by ingested files
            meta = manifest["tables"].get(table)
            if not meta:
                continue
            pfile = str(d / meta["file"])
            filt = f"WHERE {embedded_filter(table)}" if has_parts else ""
            parquet = dict(
                ((s, e), n)
                for s, e, n in con.execute(
                    f"SELECT source, edition, count(*) FROM read_parquet(?) t {filt} GROUP BY ALL", [pfile]
                ).fetchall()
            )
            emb = dict(
                ((s, e), n)
                for s, e, n in con.execute(
                    "SELECT source, edition, sum(rows) FROM sources WHERE data_table = ? AND origin = 'embedded' "
                    "GROUP BY ALL",
                    [table],
                ).fetchall()
            )
            for key in sorted(set(parquet) | set(emb)):
                have, want = int(emb.get(key) or 0), parquet.get(key, 0)
                report.add(
                    f"embedded {table} {key[0]} '{key[1]}' in the store",
                    have == want,
                    f"{have:,}"
                    if have == want
                    else f"sources records {have:,} embedded rows, the embedded file holds {want:,}",
                )
            _compare_content(con, report, table, pfile, filt)
        for table in REFERENCE_TABLES:
            if table in manifest["tables"]:
                _compare_content(con, report, table, str(d / manifest["tables"][table]["file"]), "")
    finally:
        store.close()
    return report


def _compare_content(con, report: VerifyReport, table: str, pfile: str, filt: str) -> None:
    """Check 6: the store's embedded rows of ``table`` against the embedded Parquet, row for row.

    Within each embedded (source, edition), outside the parts ingested files replaced (``filt``), the row
    count and the sum of the row hashes of both sides must agree; where they do not, the rows are compared as
    multisets of row hashes (an edited row shows up on both sides) and a few differing ones are named.
    Reference tables are compared whole.
    """
    casted = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in column_types(table))
    cols = ", ".join(column_names(table))
    data = table in DATA_TABLES
    if data:
        where = f"AND {filt.removeprefix('WHERE ')}" if filt else ""
        mine = (
            f"SELECT {cols} FROM {table} t WHERE EXISTS (SELECT 1 FROM sources s WHERE s.data_table = '{table}' "
            f"AND s.origin = 'embedded' AND s.source = t.source AND s.edition = t.edition) {where}"
        )
        theirs = f"SELECT {casted} FROM read_parquet(?) t {filt}"
        group = "source, edition"
    else:
        mine, theirs, group = (
            f"SELECT {cols} FROM {table}",
            f"SELECT {casted} FROM read_parquet(?)",
            "NULL, NULL",
        )
    prints = {}
    for side, sql, params in (("mine", mine, []), ("theirs", theirs, [pfile])):
        for src, ed, n, h in con.execute(
            f"SELECT {group}, count(*), sum(hash({cols})::HUGEINT) FROM ({sql}) GROUP BY ALL", params
        ).fetchall():
            prints.setdefault((src, ed), {})[side] = (n, h)
    if data:
        labels = con.execute(
            "SELECT DISTINCT source, edition FROM sources WHERE data_table = ? AND origin = 'embedded'",
            [table],
        ).fetchall()
        for key in labels:
            prints.setdefault(tuple(key), {})
    shown = "concat_ws(' ', " + ", ".join(f"CAST({c} AS VARCHAR)" for c in SHOWN_KEYS[table]) + ")"
    for (src, ed), fp in sorted(prints.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        name = (
            f"embedded {table} {src} '{ed}' rows match the embedded file"
            if data
            else f"store {table} content"
        )
        if fp.get("mine") == fp.get("theirs"):
            report.add(name, True, "identical")
            continue
        only = "WHERE source = ? AND edition = ?" if data else ""
        args = [src, ed, pfile, src, ed] if data else [pfile]  # in the order of the ? below
        # rows as multisets of row hashes: a count differing between the sides is a row added, lost or edited
        diff = con.execute(
            f"""WITH m AS (SELECT hash({cols}) AS h, {shown} AS k FROM ({mine}) {only}),
                     t AS (SELECT hash({cols}) AS h, {shown} AS k FROM ({theirs}) {only}),
                     mc AS (SELECT h, count(*) AS n, min(k) AS k FROM m GROUP BY h),
                     tc AS (SELECT h, count(*) AS n, min(k) AS k FROM t GROUP BY h),
                     d AS (SELECT coalesce(mc.k, tc.k) AS k, coalesce(mc.n, 0) - coalesce(tc.n, 0) AS n
                           FROM mc FULL JOIN tc USING (h))
                SELECT n > 0, sum(abs(n)), list(k ORDER BY k)[:{EXAMPLES}] FROM d WHERE n <> 0 GROUP BY ALL
                ORDER BY 1 DESC""",
            args,
        ).fetchall()
        found = [
            f"{n:,} row(s) {'in the store, not in the embedded file' if extra else 'in the embedded file, not in the store'}"
            f" (e.g. {'; '.join(keys)})"
            for extra, n, keys in diff
        ]
        report.add(name, False, "; ".join(found) or "the row hashes differ")
