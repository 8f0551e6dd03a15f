"""The coercion-aware supplier weight: its cost on the user's path and the figures docs/risk-methods.md and
docs/countermeasures.md quote.

1. ``critmin risk --for JPN,ITA,JPN+ITA --method all --year 2023 -q`` as a fresh process with
   ``--risk-weight wgi`` and ``--risk-weight coercion`` (wall, CPU, peak RSS; best of ``--runs``).
2. In process: GeoPolRisk for every importer in the trade data × the whole catalogue × 2018-2024 with either
   weight (the coercion weight is a relation per year, party, commodity and supplier: this is its largest use).
3. The expert check: China's and the United States' weights and components for Japan and Italy, 2023 (rare
   earths refined, graphite mine), GeoPolRisk under both weights, and the partner-sourcing optimum under both
   weights (2023 trade, the registry as of 31 Dec 2023) and, for Japan, on the latest trade year with the
   registry as of today.

Writes ``benchmarks/results/coercion.json``.

    python benchmarks/coercion.py [--runs 3] [--db PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "coercion.json"
sys.path.insert(0, str(HERE))
from risk_engine import timed  # noqa: E402  (the same fresh-process timing as the engine benchmark)

PARTIES = "JPN,ITA,JPN+ITA"
YEAR = 2023
CASES = (("rare_earths", "refined"), ("graphite", "mine"))


def cli_runs(db: str, runs: int) -> dict:
    env = {**os.environ, "CRITMIN_DB": db}
    out = {}
    for weight in ("wgi", "coercion"):
        cmd = [sys.executable, "-m", "critmin.cli.main", "risk", "--for", PARTIES, "--method", "all"]
        cmd += ["--year", str(YEAR), "--risk-weight", weight, "-q"]
        rs = [timed(cmd, env) for _ in range(runs)]
        out[weight] = {
            "command": "critmin " + " ".join(cmd[3:]),
            "wall_s_best": min(r["wall_s"] for r in rs),
            "wall_s_median": statistics.median(r["wall_s"] for r in rs),
            "cpu_s_best": min(r["cpu_s"] for r in rs),
            "peak_rss_mb_best": min(r["peak_rss_mb"] for r in rs),
        }
    return out


def sweep(ds) -> dict:
    from critmin.indicators.risk import risk_result

    importers = [r[0] for r in ds.con.execute("SELECT DISTINCT importer FROM trade ORDER BY 1").fetchall()]
    from critmin.reference import countries

    known = [c for c in importers if c in countries.index().names]
    out = {"importers": len(known), "years": "2018-2024", "method": "geopolrisk"}
    for weight in ("wgi", "coercion"):
        t, c = time.perf_counter(), time.process_time()
        res = risk_result(ds, known, ["geopolrisk"], range(2018, 2025), None, risk_weight=weight, proxy=False)
        n = res.count()
        res.close()
        out[weight] = {"rows": n, "wall_s": time.perf_counter() - t, "cpu_s": time.process_time() - c}
    return out


def figures(ds) -> dict:
    from critmin.indicators.coercion import supplier_weights
    from critmin.indicators.risk import risk
    from critmin.report.coercion import optimum_table

    weights = []
    for party in ("JPN", "ITA"):
        for cid, _ in CASES:
            w = supplier_weights(ds, party, cid, YEAR, suppliers=["CHN", "USA", "MYS", "AUS", "KOR"])
            weights += w.drop(columns=["provenance"]).to_dict("records")
    scores = []
    for weight in ("wgi", "coercion"):
        r = risk(ds, PARTIES, ["geopolrisk"], YEAR, "rare_earths,graphite,gallium", risk_weight=weight)
        scores += (
            r[["party", "commodity", "stage", "status", "value"]].assign(weight=weight).to_dict("records")
        )
    optimum = optimum_table(ds, ["JPN", "ITA", "JPN+ITA"], YEAR).to_dict("records")
    from critmin.optimize.sourcing import optimize_sourcing

    latest = ds.trade_years()[1]
    today = []
    for cid, stage in CASES:
        for weight in ("wgi", "coercion"):
            res = optimize_sourcing(ds, "JPN", cid, stage, latest, risk_weight=weight, as_of="today")
            s = res.summary.iloc[0]
            mix = res.mix.set_index("supplier")
            today.append(
                {
                    "party": "JPN",
                    "commodity": cid,
                    "stage": stage,
                    "year": latest,
                    "as_of": dt.date.today().isoformat(),
                    "weight": weight,
                    "risk_before": s["risk_before"],
                    "risk_after": s["risk_after"],
                    "chn_before": float(mix.loc["CHN", "current_share"]) if "CHN" in mix.index else 0.0,
                    "chn_after": float(mix.loc["CHN", "optimised_share"]) if "CHN" in mix.index else 0.0,
                    "top_after": s["top_supplier_after"],
                    "top_share_after": s["top_share_after"],
                    "g_chn": float(mix.loc["CHN", "risk_weight"]) if "CHN" in mix.index else None,
                    "g_usa": float(mix.loc["USA", "risk_weight"]) if "USA" in mix.index else None,
                }
            )
    return {
        "weights": weights,
        "geopolrisk": scores,
        "optimum_2023": optimum,
        "optimum_latest_as_of_today": today,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--db", default=os.environ.get("CRITMIN_DB"))
    args = ap.parse_args()
    import critmin

    ds = critmin.open(args.db)
    db = str(ds.store.path)
    load0 = os.getloadavg()[0]
    out = {
        "benchmark": "coercion",
        "method": __doc__.strip(),
        "cli": cli_runs(db, args.runs),
        "sweep": sweep(ds),
        "figures": figures(ds),
        "load_average": [load0, os.getloadavg()[0]],
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    for w, r in out["cli"].items():
        print(f"critmin risk --risk-weight {w}: {r['wall_s_best']:.2f} s wall, {r['cpu_s_best']:.2f} s CPU, "
              f"{r['peak_rss_mb_best']:.0f} MB")  # fmt: skip
    s = out["sweep"]
    for w in ("wgi", "coercion"):
        print(f"GeoPolRisk, {s['importers']} importers × catalogue × 2018-2024, {w}: {s[w]['rows']} rows, "
              f"{s[w]['wall_s']:.1f} s wall, {s[w]['cpu_s']:.1f} s CPU")  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
