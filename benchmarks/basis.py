"""The one-basis data layer: time and peak memory of the first ``critmin.open()`` (store built from the
embedded data, then trade_basis/production_basis), of rebuilding the basis tables in an existing store, a
typical SQL read of them, and what the rules moved out; world apparent consumption against production per
stage (2023).

Each timed phase runs in a fresh Python process; wall seconds depend on what else the machine runs, so CPU
seconds (user + system of the process) are given too. Writes benchmarks/results/basis.json, keeping the
figures of earlier runs (by git commit) under "history" so that a change can be compared with the one before.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from pathlib import Path

from harness import PEAK_RSS_MB, RESULTS_DIR, run_python, scratch, write_results

HERE = Path(__file__).resolve().parent
RESULTS = RESULTS_DIR / "basis.json"

REFRESH = """
import duckdb, json, os, time
from critmin.store import Store
con = duckdb.connect({db!r})
con.execute("DELETE FROM meta WHERE key = 'trade_basis_digest'")
con.close()
s = Store({db!r})
t, c = time.perf_counter(), os.times()
s.ensure_basis()
c2 = os.times()
print(json.dumps({{"seconds": time.perf_counter() - t, "cpu_s": c2.user + c2.system - c.user - c.system,
                   "peak_rss_mb": {peak}}}))
"""

FIRST_OPEN = """
import json, os, time
t, c = time.perf_counter(), os.times()
import critmin
ds = critmin.open({db!r})
c2 = os.times()
print(json.dumps({{"seconds": time.perf_counter() - t, "cpu_s": c2.user + c2.system - c.user - c.system,
                   "peak_rss_mb": {peak}, "store_mb": os.path.getsize({db!r}) / 1e6}}))
"""

QUERY = """
import duckdb, json, time
con = duckdb.connect({db!r}, read_only=True)
t = time.perf_counter()
n = con.execute('''SELECT commodity, stage, year, importer, exporter, sum(content_tonnes), sum(value_kusd)
                   FROM trade_basis WHERE stage IS NOT NULL GROUP BY ALL''').fetchall()
print(json.dumps({{"seconds": time.perf_counter() - t, "groups": len(n)}}))
"""


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "src"], capture_output=True, text=True, cwd=HERE
        )
    except OSError:
        return "?"
    return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def _timed(runs: list[dict], what: str) -> dict:
    return {
        "what": what,
        "median": statistics.median(r["seconds"] for r in runs),
        "runs": [round(r["seconds"], 3) for r in runs],
        "cpu_s_median": statistics.median(r["cpu_s"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "peak_rss_mb_runs": [round(r["peak_rss_mb"]) for r in runs],
    }


def main() -> None:
    import critmin
    from critmin.scenarios.network import BALANCE_MARGIN, world_balance

    with scratch("critmin-basis-") as tmp:
        db = str(tmp / "bench.duckdb")
        with critmin.open(db) as ds:
            flags = ds.con.execute(
                "SELECT flag, count(*), sum(gross_tonnes), sum(value_kusd) FROM trade_basis GROUP BY flag"
            ).fetchall()
            moved = ds.con.execute(
                """SELECT commodity, exporter, flag, sum(gross_tonnes) AS t FROM trade_basis
                   WHERE flag <> 'ok' AND year = 2023 GROUP BY ALL ORDER BY t DESC LIMIT 8"""
            ).fetchall()
            bal = world_balance(ds, 2023)
        opens = []
        for i in range(3):
            opens.append(run_python(FIRST_OPEN.format(db=str(tmp / f"first-{i}.duckdb"), peak=PEAK_RSS_MB)))
            Path(tmp / f"first-{i}.duckdb").unlink()
        refresh = [run_python(REFRESH.format(db=db, peak=PEAK_RSS_MB)) for _ in range(3)]
        query = [run_python(QUERY.format(db=db)) for _ in range(3)]
        have = bal[bal["margin"].notna()]
        ree = bal[(bal["commodity"] == "rare_earths") & (bal["stage"] == "refined")].iloc[0]
        out = {
            "machine": {"python": platform.python_version(), "platform": platform.platform()},
            "first_open_s": {
                **_timed(
                    opens,
                    "critmin.open() on a new store: built from the embedded data, basis tables included",
                ),
                "store_mb": round(opens[0]["store_mb"], 1),
            },
            "refresh_s": _timed(
                refresh, "rebuild trade_basis (678k flows) and production_basis in an existing store"
            ),
            "sql_read_s": {
                "what": "content tonnes and value by commodity, stage, year, importer, exporter (all flows)",
                "median": statistics.median(q["seconds"] for q in query),
                "groups": query[0]["groups"],
            },
            "flows_by_flag": {f: {"flows": n, "gross_tonnes": t, "value_kusd": v} for f, n, t, v in flags},
            "largest_moved_out_2023": [
                {"commodity": c, "exporter": e, "flag": f, "gross_tonnes": round(t)} for c, e, f, t in moved
            ],
            "world_balance_2023": {
                "margin_documented": BALANCE_MARGIN,
                "stages_with_production": len(have),
                "within_margin": int(have["within_margin"].astype(bool).sum()),
                "beyond_margin": sorted(
                    f"{r.commodity}/{r.stage} {r.margin:.1%}"
                    for r in have.itertuples()
                    if not r.within_margin
                ),
                "rare_earths_refined": {
                    "production_t_REO": round(float(ree["production_tonnes"])),
                    "apparent_consumption_t_REO": round(float(ree["consumption_tonnes"])),
                    "margin": round(float(ree["margin"]), 4),
                    "before_issue_16": "205,813 t of apparent consumption against 74,500 t of production",
                },
            },
        }
        try:
            history = json.loads(RESULTS.read_text(encoding="utf-8")).get("history", [])
        except (OSError, ValueError):
            history = []
        commit = os.environ.get("BENCH_LABEL") or _commit()  # e.g. a baseline run with PYTHONPATH=old/src
        history = [h for h in history if h.get("commit") != commit]
        history.append(
            {
                "commit": commit,
                "first_open_s": round(out["first_open_s"]["median"], 3),
                "first_open_cpu_s": round(out["first_open_s"]["cpu_s_median"], 3),
                "first_open_peak_rss_mb": round(out["first_open_s"]["peak_rss_mb"]),
                "refresh_s": round(out["refresh_s"]["median"], 3),
                "refresh_cpu_s": round(out["refresh_s"]["cpu_s_median"], 3),
                "refresh_peak_rss_mb": round(out["refresh_s"]["peak_rss_mb"]),
            }
        )
        out["history"] = history
    write_results(RESULTS, out)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
