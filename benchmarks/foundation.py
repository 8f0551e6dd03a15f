"""Foundation benchmark: store build, the G20 x all-commodities x 2018-2024 exposure sweep, CLI start-up.

Each phase runs in a fresh Python process so its wall time and peak RSS are its own.
Targets (issue 2): store build < 10 s, full exposure sweep < 2 s, peak RSS < 1 GB, ``critmin --help`` < 0.5 s.
Writes benchmarks/results/foundation.json.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness import PEAK_RSS_MB, RESULTS_DIR, machine, run_python, scratch, write_results

RESULTS = RESULTS_DIR / "foundation.json"

BUILD = """
import json, time
t = time.perf_counter()
from critmin.store import Store
Store({db!r}).close()
print(json.dumps({{"seconds": time.perf_counter() - t, "peak_rss_mb": {peak}}}))
"""

SWEEP = """
import json, time
t0 = time.perf_counter()
import critmin
from critmin.reference import blocs, commodities
ds = critmin.open({db!r})
g20 = list(blocs.members("G20"))
t1 = time.perf_counter()
df = ds.exposure(g20, years=range(2018, 2025))
t2 = time.perf_counter()
df2 = ds.exposure(g20, years=range(2018, 2025))
t3 = time.perf_counter()
print(json.dumps({{"import_and_open_s": t1 - t0, "sweep_cold_s": t2 - t1, "sweep_warm_s": t3 - t2,
                   "rows": len(df), "parties": len(g20), "commodities": len(commodities.catalogue()),
                   "years": 7, "peak_rss_mb": {peak}}}))
"""


def main() -> None:
    with scratch("critmin-bench-") as tmp:
        db = str(tmp / "bench.duckdb")
        builds = []
        for i in range(3):
            path = str(tmp / f"build{i}.duckdb")
            builds.append(run_python(BUILD.format(db=path, peak=PEAK_RSS_MB)))
        run_python(BUILD.format(db=db, peak=PEAK_RSS_MB))
        sweeps = [run_python(SWEEP.format(db=db, peak=PEAK_RSS_MB)) for _ in range(3)]
        critmin_bin = shutil.which("critmin") or str(Path(sys.executable).parent / "critmin")
        helps = []
        for _ in range(7):
            t = time.perf_counter()
            subprocess.run([critmin_bin, "--help"], capture_output=True, check=True)
            helps.append(time.perf_counter() - t)
        cold = [s["import_and_open_s"] + s["sweep_cold_s"] for s in sweeps]
        result = {
            "machine": machine(),
            "store_build_s": {
                "median": statistics.median(b["seconds"] for b in builds),
                "runs": [round(b["seconds"], 3) for b in builds],
                "target": 10.0,
            },
            "store_build_peak_rss_mb": max(b["peak_rss_mb"] for b in builds),
            "exposure_sweep": {
                "what": "all G20 member countries x all catalogue commodities x trade stages x 2018-2024",
                "rows": sweeps[0]["rows"],
                "parties": sweeps[0]["parties"],
                "commodities": sweeps[0]["commodities"],
                "sweep_cold_s_median": statistics.median(s["sweep_cold_s"] for s in sweeps),
                "sweep_warm_s_median": statistics.median(s["sweep_warm_s"] for s in sweeps),
                "process_total_s_median": statistics.median(cold),
                "target_s": 2.0,
                "peak_rss_mb": max(s["peak_rss_mb"] for s in sweeps),
                "rss_target_mb": 1024,
            },
            "cli_help_s": {"median": statistics.median(helps), "max": max(helps), "target": 0.5},
        }
    write_results(RESULTS, result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
