"""Ingest benchmark: BACI-like CSVs at growing sizes, peak memory and time of the ingest process.

Two kinds of file are generated (distinct exporter-importer-product flows, as in a real BACI file):

* ``realistic``: one year, ~5,000 HS codes of which the catalogue's are ~1% (real BACI HS92 yearly files hold
  ~11M rows, ~200 MB);
* ``all-kept``: every row a catalogue flow, spread over several years (2M flows a year) — the worst case for
  memory, since every row is staged, checked for duplicates, compared with the store and written.

The store is built in one process, then the file is ingested into it by a fresh Python process, so the wall
time and peak RSS (``VmHWM``: Python, pandas, pyarrow and DuckDB together) are the ingest's own. Target
(issue 10): below 400 MB for 8M rows. Writes benchmarks/results/ingest_baci.json.

    python benchmarks/ingest_baci.py                       # realistic 1M, 4M; all-kept 8M
    python benchmarks/ingest_baci.py realistic:11000000    # the size of a real yearly file
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from harness import PEAK_RSS_MB, RESULTS_DIR, build_store, run_python, scratch, write_results

RESULTS = RESULTS_DIR / "ingest_baci.json"
FLOWS_PER_YEAR = 2_000_000

INGEST = """
import json, time
t = time.perf_counter()
from critmin.ingest.writer import ingest
r = ingest({db!r}, "baci", {csv!r})
print(json.dumps({{"seconds": time.perf_counter() - t, "rows_read": r.rows_read, "rows": r.rows,
                   "outside_catalogue": r.outside_catalogue, "peak_rss_mb": {peak}}}))
"""


def _flows(rng, countries: np.ndarray, codes: np.ndarray, m: int) -> tuple[np.ndarray, ...]:
    """m distinct (exporter, importer, product) triples."""
    flat = rng.choice(len(countries) ** 2 * len(codes), m, replace=False)
    pair, k = np.divmod(flat, len(codes))
    i, j = np.divmod(pair, len(countries))
    return countries[i], countries[j], codes[k]


def generate(path: Path, n: int, kind: str, seed: int = 0) -> None:
    from critmin.reference.commodities import hs_index
    from critmin.reference.countries import index

    rng = np.random.default_rng(seed)
    catalogue = np.array(sorted(int(h) for h in hs_index()))
    countries = np.array(sorted(index().baci))
    if kind == "realistic":
        others = np.setdiff1d(rng.integers(10_000, 970_000, 6_000), catalogue)[:4_950]
        codes = np.concatenate([catalogue, others])
        years = [(2023, n)]
    else:
        codes = catalogue
        years = [
            (2024 - y, min(FLOWS_PER_YEAR, n - y * FLOWS_PER_YEAR)) for y in range(-(-n // FLOWS_PER_YEAR))
        ]
    with open(path, "w") as fh:
        fh.write("t,i,j,k,v,q\n")
        for year, m in years:
            i, j, k = _flows(rng, countries, codes, m)
            for lo in range(0, m, 1_000_000):
                hi = min(m, lo + 1_000_000)
                pd.DataFrame(
                    {
                        "t": year,
                        "i": i[lo:hi],
                        "j": j[lo:hi],
                        "k": k[lo:hi],
                        "v": rng.lognormal(3, 2, hi - lo).round(3),
                        "q": rng.lognormal(1, 2, hi - lo).round(3),
                    }
                ).to_csv(fh, header=False, index=False)


def main(cases: list[tuple[str, int]]) -> dict:
    out: dict = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "target_peak_rss_mb": 400,
        "runs": [],
    }
    with scratch("critmin-bench-ingest-") as tmp:
        for kind, n in cases:
            csv = tmp / "BACI_HS92_Y2023_V209901.csv"
            t = time.perf_counter()
            generate(csv, n, kind)
            gen_s = time.perf_counter() - t
            db = build_store(tmp / f"store-{kind}-{n}.duckdb")
            run = {"kind": kind, **run_python(INGEST.format(db=db, csv=str(csv), peak=PEAK_RSS_MB))}
            run.update(
                {
                    "rows_in_file": n,
                    "file_mb": round(csv.stat().st_size / 2**20, 1),
                    "generate_seconds": round(gen_s, 1),
                }
            )
            run["mb_per_second"] = round(run["file_mb"] / run["seconds"], 1)
            run["seconds"] = round(run["seconds"], 2)
            run["peak_rss_mb"] = round(run["peak_rss_mb"], 1)
            print(json.dumps(run))
            out["runs"].append(run)
            csv.unlink()
            Path(db).unlink()
    write_results(RESULTS, out)
    return out


def _case(arg: str) -> tuple[str, int]:
    kind, _, n = arg.rpartition(":")
    return (kind or "realistic", int(n))


if __name__ == "__main__":
    main(
        [_case(a) for a in sys.argv[1:]]
        or [("realistic", 1_000_000), ("realistic", 4_000_000), ("all-kept", 8_000_000)]
    )
