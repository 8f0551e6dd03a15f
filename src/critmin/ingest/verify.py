"""Integrity of the embedded dataset and of a store: ``critmin data verify``.

Checks, each reported as a line:

1. every embedded Parquet file named in ``manifest.json`` exists, its sha256 and row count match the manifest;
2. the store was built from this embedded dataset (``meta.embedded_digest``);
3. the store's reference tables (countries, hs_codes, blocs) hold the manifest's row counts;
4. for every (table, source, edition) the store's row count equals the sum of ``sources.rows``, and no
   ``sources`` row points at data that is not there;
5. every embedded (source, edition) holds as many rows as the embedded Parquet file, less the parts an
   ingested file replaced (see :mod:`critmin.ingest.writer`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from critmin.ingest.common import sha256_file

REFERENCE_TABLES = ("countries", "hs_codes", "blocs")
DATA_TABLES = ("trade", "production", "governance", "ideal_points", "supply_outlook", "demand_outlook")


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
    import duckdb

    from critmin.data import embedded_dir as default_dir
    from critmin.ingest.writer import embedded_filter
    from critmin.store import Store, _manifest_digest

    d = Path(embedded_dir) if embedded_dir else default_dir()
    report = verify_embedded(d)
    if not (d / "manifest.json").exists():
        return report
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    store = Store(store_path)
    path = store.path
    store.close()
    con = duckdb.connect(str(path), read_only=True)
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
    finally:
        con.close()
    return report
