"""Countermeasures benchmark: optimise the sourcing of every catalogue commodity (all trade stages) for every
G7 member, latest trade year, partners = G7 + Australia, max share 65 %.

Target (issue 5): < 10 s for the whole sweep. Runs in a fresh Python process on a fresh store; reports
the cold sweep (first call, includes loading the trade table and WGI) and a warm repeat, the number of LPs
solved and their status counts. Writes benchmarks/results/optimize_g7.json.
"""

from __future__ import annotations

import json

from harness import RESULTS_DIR, cold_and_warm, write_results

RESULTS = RESULTS_DIR / "optimize_g7.json"

SWEEP = """
import json, time
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
    "peak_rss_mb": {peak}}}))
"""


def main() -> None:
    result = cold_and_warm(
        "optimize_g7",
        SWEEP,
        phase="sweep",
        target="all catalogue commodities x G7 members < 10 s",
        target_s=10.0,
        figures=(
            "parties",
            "commodities",
            "rows",
            "lps",
            "status_counts",
            "year",
            "mean_risk_reduction",
            "peak_rss_mb",
        ),
    )
    write_results(RESULTS, result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
