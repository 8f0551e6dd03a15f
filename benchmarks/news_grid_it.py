"""Benchmark: pass rate of the Italian coverage grid (``tests/news_grid_it.yaml``), by section and in all.

The grid holds invented sentences generated from templates (issue 14); a cell passes when the extractor returns
exactly the event it states (or, for a negative cell, none of the kind it must not propose). The figure is a
measure of coverage of the category of phrasing, not of any article. Writes
``benchmarks/results/news_grid_it.json``; the first run's figures are kept there as ``baseline`` (pass
``--baseline`` to record the current rules as the new baseline).

    python benchmarks/news_grid_it.py [--baseline] [--failures]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results" / "news_grid_it.json"


def _grid_module():
    spec = importlib.util.spec_from_file_location("news_grid_it", REPO / "tests" / "test_news_grid_it.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def run() -> dict:
    grid = _grid_module()
    cells = grid.expand()
    passed, total = Counter(), Counter()
    failures = []
    for cell in cells:
        why = grid.run_cell(cell)
        total[cell.section] += 1
        if why is None:
            passed[cell.section] += 1
        else:
            failures.append({"cell": cell.id, "text": cell.text, "why": why})
    n_pass, n = sum(passed.values()), len(cells)
    return {
        "benchmark": "news_grid_it",
        "n_cells": n,
        "n_templates": sum(len(s["templates"]) for s in grid.grid_spec()["sections"]),
        "passed": n_pass,
        "pass_rate": round(n_pass / n, 4),
        "by_section": {
            s: {"passed": passed[s], "cells": total[s], "pass_rate": round(passed[s] / total[s], 4)}
            for s in total
        },
        "failures": failures,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="store_true", help="record this run as the baseline")
    parser.add_argument("--failures", action="store_true", help="print every failing cell")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    res = run()
    previous = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    keep = {k: res[k] for k in ("n_cells", "passed", "pass_rate", "by_section")}
    res["baseline"] = keep if args.baseline or "baseline" not in previous else previous["baseline"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    base = res["baseline"]
    print(
        f"Italian grid: {res['passed']}/{res['n_cells']} cells pass ({res['pass_rate']:.3f}); baseline "
        f"{base['passed']}/{base['n_cells']} ({base['pass_rate']:.3f})"
    )
    for s, v in res["by_section"].items():
        b = base["by_section"].get(s)
        was = f"{b['passed']}/{b['cells']}" if b else "—"
        print(f"  {s:32s} {v['passed']:4d}/{v['cells']:<4d} {v['pass_rate']:.2f}   (baseline {was})")
    if args.failures:
        for f in res["failures"]:
            print(f"  FAIL {f['cell']}: {f['text']!r}: {f['why']}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
