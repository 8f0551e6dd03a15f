"""Outlook benchmark: the full outlook to 2040 for every G7 member.

Per G7 member: the projected need and the partner-sourcing LP under the 65 % cap for the six IEA minerals
(mine and refined stages) × the three scenarios (STEPS, APS, NZE) × the three projection years (2030, 2035,
2040) — 6 × 2 × 3 × 3 × 7 = 756 cases — plus the projected concentration and world balance table.

Target (issue 13): < 5 s. Runs in fresh Python processes on a fresh store (three runs, the best kept);
reports the cold run (first call: loads the outlook tables, trade and WGI) and a warm repeat, the number of
cases, how many LPs HiGHS solved (a case is solved only when the closed form says a plan exists; equal LPs
are shared) and the status counts. Writes benchmarks/results/outlook.json.
"""

from __future__ import annotations

import json

from harness import RESULTS_DIR, cold_and_warm, write_results

RESULTS = RESULTS_DIR / "outlook.json"

RUN = """
import json, time
t0 = time.perf_counter()
import critmin
from critmin.optimize import lp
from critmin.outlook import sourcing
from critmin.reference import blocs
solved = {{"n": 0}}
_solve = lp.solve
def counting(*a, **k):
    solved["n"] += 1
    return _solve(*a, **k)
lp.solve = counting
ds = critmin.open({db!r})
g7 = list(blocs.members("G7"))
t1 = time.perf_counter()
conc = ds.outlook()
df = sourcing.outlook_options(ds, g7, None, None, ("STEPS", "APS", "NZE"), (2030, 2035, 2040))
t2 = time.perf_counter()
lps_cold = solved["n"]
sourcing._LP_CACHE.clear()
conc = ds.outlook()
df2 = sourcing.outlook_options(ds, g7, None, None, ("STEPS", "APS", "NZE"), (2030, 2035, 2040))
t3 = time.perf_counter()
print(json.dumps({{
    "import_and_open_s": t1 - t0, "outlook_cold_s": t2 - t1, "outlook_warm_s": t3 - t2,
    "parties": len(g7), "cases": len(df), "concentration_rows": len(conc), "lps_solved": lps_cold,
    "status_counts": {{k: int(v) for k, v in df["status"].value_counts().items()}},
    "feasible_share_of_cases": float((df["status"] == "feasible").mean()),
    "peak_rss_mb": {peak}}}))
"""


def main() -> None:
    result = cold_and_warm(
        "outlook",
        RUN,
        phase="outlook",
        target="6 minerals x 2 stages x 3 scenarios x 3 years x G7 members (756 cases) < 5 s",
        target_s=5.0,
        figures=(
            "parties",
            "cases",
            "concentration_rows",
            "lps_solved",
            "status_counts",
            "feasible_share_of_cases",
            "peak_rss_mb",
        ),
    )
    write_results(RESULTS, result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
