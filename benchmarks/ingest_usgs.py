"""Ingest benchmark: a 20 MB USGS MCS world-data CSV (the ``MCS2025_World_Data.csv`` layout), peak memory and time.

The official file is about 1 MB; issue 10 measured 1.1 GB of memory for a 20 MB file (a dict per cell, the
whole file in memory). A file in the official layout is generated with every MCS chapter name, every country
name critmin knows and ten production/capacity lines per pair, so most cells map to the catalogue. The store
is built in one process and the file ingested by a fresh one; its peak RSS is read from ``VmHWM`` (the high
water mark of that process alone). Target: below 300 MB. Writes benchmarks/results/ingest_usgs.json.

    python benchmarks/ingest_usgs.py          # 20 MB
    python benchmarks/ingest_usgs.py 5 20 40  # sizes in MB
"""

from __future__ import annotations

import csv
import json
import os
import platform
import sys
import time
from pathlib import Path

from harness import PEAK_RSS_MB, RESULTS_DIR, build_store, run_python, scratch, write_results

RESULTS = RESULTS_DIR / "ingest_usgs.json"

INGEST = """
import json, time
t = time.perf_counter()
from critmin.ingest.writer import ingest
r = ingest({db!r}, "usgs", {csv!r})
print(json.dumps({{"seconds": time.perf_counter() - t, "values_read": r.rows_read, "rows": r.rows,
                   "outside_catalogue": r.outside_catalogue, "peak_rss_mb": {peak}}}))
"""
TYPES = (
    "Mine production, {c} content",
    "Mine production, gross weight ({c})",
    "Refinery production, {c}",
    "Smelter production, {c}",
    "Plant capacity, {c}",
    "Mine production, concentrate grade {n}",
    "Refinery production, grade {n}",
    "Secondary production, {c}",
    "Reserves, {c}",
    "Capacity, expansion {n}",
)


def generate(path: Path, megabytes: float) -> int:
    """An MCS2025_World_Data.csv-layout file of about ``megabytes`` MB; returns its data rows."""
    from critmin.ingest.usgs import NAME_TO_CODE
    from critmin.reference.countries import index

    countries = sorted({n for n in index().names.values() if "," not in n})
    names = {code: name for name, code in sorted(NAME_TO_CODE.items(), reverse=True)}  # one name per chapter
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "SOURCE",
                "COMMODITY",
                "COUNTRY",
                "TYPE",
                "UNIT_MEAS",
                "PROD_2023",
                "PROD_EST_ 2024",
                "PROD_NOTES",
            ]
        )
        target = megabytes * 2**20
        rep = 0
        while fh.tell() < target:
            for name in sorted(names.values()):
                for t in TYPES:
                    typ = t.format(c=name, n=rep) + (f" (line {rep})" if rep else "")
                    for i, country in enumerate(countries):
                        w.writerow(
                            [
                                "MCS2025",
                                name.title(),
                                country,
                                typ,
                                "metric tons",
                                1000 + i,
                                f"e{1100 + i}",
                                "",
                            ]
                        )
                        rows += 1
                    if fh.tell() >= target:
                        return rows
            rep += 1
    return rows


def main(sizes: list[float]) -> dict:
    out: dict = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "target_peak_rss_mb": 300,
        "runs": [],
    }
    with scratch("critmin-bench-usgs-") as tmp:
        for mb in sizes:
            path = tmp / "MCS2025_World_Data.csv"
            n = generate(path, mb)
            db = build_store(tmp / "store.duckdb")
            run = run_python(INGEST.format(db=db, csv=str(path), peak=PEAK_RSS_MB))
            run.update({"file_mb": round(path.stat().st_size / 2**20, 1), "csv_rows": n})
            run["seconds"] = round(run["seconds"], 2)
            run["peak_rss_mb"] = round(run["peak_rss_mb"], 1)
            print(json.dumps(run))
            out["runs"].append(run)
            path.unlink()
            Path(db).unlink()
    write_results(RESULTS, out)
    return out


if __name__ == "__main__":
    t0 = time.perf_counter()
    main([float(a) for a in sys.argv[1:]] or [20.0])
