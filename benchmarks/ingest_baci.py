"""Ingest benchmark: a BACI-like yearly CSV at growing sizes (real BACI HS92 yearly files hold ~11M rows,
~200 MB, of which ~1% are the catalogue's HS codes).

For each size a CSV is generated (written in chunks), then ingested into a fresh store in a separate Python
process, so the wall time and peak RSS are the ingest's own. Peak RSS should not grow with the file size
(the file is streamed in 8 MB blocks). Writes benchmarks/results/ingest_baci.json.

    python benchmarks/ingest_baci.py            # 1M and 4M rows
    python benchmarks/ingest_baci.py 11000000   # the size of a real yearly file
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "ingest_baci.json"

INGEST = """
import json, resource, time
from critmin.store import Store
Store({db!r}).close()
t = time.perf_counter()
from critmin.ingest.writer import ingest
r = ingest({db!r}, "baci", {csv!r})
print(json.dumps({{"seconds": time.perf_counter() - t, "rows_read": r.rows_read, "rows": r.rows,
                   "outside_catalogue": r.outside_catalogue,
                   "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def generate(path: Path, n: int, seed: int = 0) -> None:
    """n flows between the BACI countries over ~5,000 HS codes, the catalogue's ~1% of them."""
    from critmin.reference.commodities import hs_index
    from critmin.reference.countries import index

    rng = np.random.default_rng(seed)
    catalogue = np.array(sorted(int(h) for h in hs_index()))
    others = np.setdiff1d(rng.integers(10_000, 970_000, 6_000), catalogue)[:4_950]
    codes = np.concatenate([catalogue, others])
    countries = np.array(sorted(index().baci))
    with open(path, "w") as fh:
        fh.write("t,i,j,k,v,q\n")
        left = n
        while left:
            m = min(left, 1_000_000)
            df = pd.DataFrame(
                {
                    "t": 2023,
                    "i": rng.choice(countries, m),
                    "j": rng.choice(countries, m),
                    "k": rng.choice(codes, m),
                    "v": (rng.lognormal(3, 2, m)).round(3),
                    "q": (rng.lognormal(1, 2, m)).round(3),
                }
            )
            df.to_csv(fh, header=False, index=False)
            left -= m


def main(sizes: list[int]) -> dict:
    out: dict = {"python": platform.python_version(), "cpus": os.cpu_count(), "runs": []}
    tmp = Path(tempfile.mkdtemp(prefix="critmin-bench-ingest-"))
    try:
        for n in sizes:
            csv = tmp / "BACI_HS92_Y2023_V209901.csv"
            t = time.perf_counter()
            generate(csv, n)
            gen_s = time.perf_counter() - t
            db = tmp / f"store-{n}.duckdb"
            res = subprocess.run(
                [sys.executable, "-c", INGEST.format(db=str(db), csv=str(csv))],
                capture_output=True,
                text=True,
                check=True,
            )
            run = json.loads(res.stdout.strip().splitlines()[-1])
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
            db.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000_000, 4_000_000])
