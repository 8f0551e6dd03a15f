"""Countermeasures benchmark: optimise the sourcing of every catalogue commodity (all trade stages) for every
G7 member, latest trade year, partners = G7 + Australia, max share 65 %.

Target (issue 5): < 10 s for the whole sweep. Runs in a fresh Python process on a fresh store; reports
the cold sweep (first call, includes loading the trade table and WGI) and a warm repeat, the number of LPs
solved and their status counts. Writes benchmarks/results/optimize_g7.json.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "optimize_g7.json"

SWEEP = """
import json, resource, time
t0 = time.perf_counter()
import critmin
from critmin.optimize import sourcing
from critmin.reference import blocs, commodities
ds = critmin.open({db!r})
g7 = list(blocs.members("G7"))
t1 = time.perf_counter()
df = sourcing.optimize_many(ds, g7, None, partners="G7,AUS", max_share=0.65)
t2 = time.perf_counter()
df2 = sourcing.optimize_many(ds, g7, None, partners="G7,AUS", max_share=0.65)
t3 = time.perf_counter()
lp = df[~df["status"].isin(["no trade data", "no data"])]
print(json.dumps({{
    "import_and_open_s": t1 - t0, "sweep_cold_s": t2 - t1, "sweep_warm_s": t3 - t2,
    "parties": len(g7), "commodities": len(commodities.catalogue()), "rows": len(df), "lps": len(lp),
    "status_counts": {{k: int(v) for k, v in df["status"].value_counts().items()}},
    "year": int(lp["year"].max()),
    "mean_risk_reduction": float(lp.loc[lp["status"] == "optimal", "risk_reduction"].mean()),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="critmin-bench-opt-"))
    try:
        db = str(tmp / "bench.duckdb")
        subprocess.run(
            [sys.executable, "-c", f"from critmin.store import Store; Store({db!r}).close()"], check=True
        )
        runs = []
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", SWEEP.format(db=db)], capture_output=True, text=True, check=True
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["sweep_cold_s"])
        result = {
            "benchmark": "optimize_g7",
            "target": "all catalogue commodities x G7 members < 10 s",
            "sweep_cold_s_runs": [round(r["sweep_cold_s"], 3) for r in runs],
            "sweep_cold_s_best": round(best["sweep_cold_s"], 3),
            "sweep_warm_s_best": round(min(r["sweep_warm_s"] for r in runs), 3),
            "import_and_open_s": round(best["import_and_open_s"], 3),
            "meets_target": best["sweep_cold_s"] < 10.0,
            **{
                k: best[k]
                for k in (
                    "parties",
                    "commodities",
                    "rows",
                    "lps",
                    "status_counts",
                    "year",
                    "mean_risk_reduction",
                    "peak_rss_mb",
                )
            },
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
            },
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
