"""Benchmark: a 10,000-draw Monte Carlo sweep for one commodity, in-process.

Target (issue 16): the 10,000-draw graphite sweep with supply response < 30 s in-process on this 2-core
machine, and no country's shortfall above its consumption in any draw. Graphite (mine, 2023, full
~230-country network): imposer from the registry's history, restricted share U(0.5, 1), stocks U(0, 30) days
everywhere and U(30, 90) for Japan, f_c U(0, 0.2); without and with the supply response (defaults:
12 months, ε 0.1, η −0.1, demonstrated spare capacity). Also rare earths (refined) with the response.
Writes benchmarks/results/sweep.json.
"""

from __future__ import annotations

import os
import resource
import sys
import time

import numpy as np

from harness import RESULTS_DIR, machine, write_results

RESULTS = RESULTS_DIR / "sweep.json"
DRAWS = 10_000


def main(db: str | None = None) -> dict:
    import critmin
    from critmin.scenarios.montecarlo import sweep
    from critmin.scenarios.network import build_network

    ds = critmin.open(db)
    rows = []
    for commodity, stage, imposers, response in (
        ("graphite", "mine", "registry", False),
        ("graphite", "mine", "registry", True),
        ("rare_earths", "refined", "registry", True),
    ):
        net = build_network(ds, commodity, stage, 2023, countries="all")
        load0 = os.getloadavg()[0]
        t, cpu = time.perf_counter(), time.process_time()
        res = sweep(
            net,
            draws=DRAWS,
            imposers=imposers,
            share=(0.5, 1.0),
            stocks={"JPN": (30, 90)},
            default_stock_days=(0, 30),
            substitution=(0.0, 0.2),
            seed=0,
            ds=ds,
            response=response,
        )
        secs, cpu_secs = time.perf_counter() - t, time.process_time() - cpu
        t = time.perf_counter()
        summary = res.summary()
        summ_s = time.perf_counter() - t
        jpn = summary.set_index("country").loc["JPN"]
        rows.append(
            {
                "commodity": commodity,
                "stage": stage,
                "year": 2023,
                "draws": DRAWS,
                "supply_response": response,
                "countries": net.n,
                "links": net.m,
                "imposers": res.imposers,
                "seconds": secs,
                "cpu_seconds": cpu_secs,
                "draws_per_second": DRAWS / secs,
                "summary_seconds": summ_s,
                "rounds_max": int(res.rounds.max()),
                "rounds_mean": float(res.rounds.mean()),
                "all_converged": bool(res.converged.all()),
                "loadavg_before": load0,
                "shortfall_above_consumption": res.exceedances(),
                "max_shortfall_share_of_consumption": float(
                    np.max(
                        res.shortfall[:, net.consumption > 0] / net.consumption[net.consumption > 0][None, :]
                    )
                ),
                "shortfall_max_tonnes_where_consumption_negative": float(
                    np.abs(res.shortfall[:, net.consumption < 0]).max(initial=0.0)
                ),
                "JPN": {
                    k: float(jpn[k])
                    for k in (
                        "p_shortfall",
                        "shortfall_p50_tonnes",
                        "shortfall_p90_tonnes",
                        "shortfall_p99_tonnes",
                        "days_of_cover_p50",
                        "days_of_cover_p10",
                    )
                },
                "world": {k: v for k, v in res.world().items() if k.startswith("world_")},
                "response": res.supply_response(),
            }
        )
        print(
            f"{commodity} {stage} response={response}: {DRAWS} draws in {secs:.1f} s ({DRAWS / secs:.0f}/s, "
            f"CPU {cpu_secs:.1f} s), "
            f"rounds max {rows[-1]['rounds_max']}, load {load0:.1f}, "
            f"shortfall > consumption in {rows[-1]['shortfall_above_consumption']} (draw, country) pairs"
        )
    out = {
        "benchmark": "sweep",
        "target": "10,000-draw graphite sweep with supply response < 30 s in-process on 2 cores; "
        "no shortfall above consumption in any draw",
        "executor": "local (in-process, vectorised NumPy, chunks of 250 draws)",
        "cases": rows,
        "target_met": all(r["seconds"] < 30 for r in rows if r["commodity"] == "graphite")
        and all(r["shortfall_above_consumption"] == 0 for r in rows),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    write_results(RESULTS, out)
    return out


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
