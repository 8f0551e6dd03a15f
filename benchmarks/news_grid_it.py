"""Benchmark: pass rate of the Italian coverage grid, by part and section.

The grid holds invented sentences generated from templates (issue 14); a cell passes when the extractor returns
exactly the event it states (or, for a negative cell, none of the kind it must not propose). Three parts,
reported in this order: the **held-out** part (``tests/news_grid_it_heldout2.yaml``), written without reading
the rule tables and scored once before any rule was written from it, never fitted; the old held-out part
(``tests/news_grid_it_heldout.yaml``), scored once the same way (0.68 on its first run, 0.70 when round 8
began), then opened for fitting in round 8; and the part the Italian rules were first fitted to
(``tests/news_grid_it.yaml``). The figure measures coverage of categories of phrasing, not of any article.
Writes ``benchmarks/results/news_grid_it.json``; each part's first run is kept there as its ``baseline``
(``--baseline`` records the current rules as the new one).

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
PARTS = ("heldout2", "heldout", "tuning")
LABELS = {
    "heldout2": "HELD-OUT (never fitted)",
    "heldout": "old held-out (fitted from round 8)",
    "tuning": "tuning",
}


def _grid_module():
    spec = importlib.util.spec_from_file_location("news_grid_it", REPO / "tests" / "test_news_grid_it.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _score(grid, part: str) -> dict:
    """Pass rate of one part of the grid, by section, with its failing cells."""
    spec = grid.grid_spec(grid.PARTS[part])
    cells = grid.expand(spec, part)
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
        "n_cells": n,
        "n_templates": sum(len(s["templates"]) for s in spec["sections"]),
        "passed": n_pass,
        "pass_rate": round(n_pass / n, 4),
        "by_section": {
            s: {"passed": passed[s], "cells": total[s], "pass_rate": round(passed[s] / total[s], 4)}
            for s in total
        },
        "failures": failures,
    }


def run() -> dict:
    grid = _grid_module()
    return {"benchmark": "news_grid_it", **{part: _score(grid, part) for part in PARTS}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="store_true", help="record this run as the baseline")
    parser.add_argument("--failures", action="store_true", help="print every failing cell")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    res = run()
    previous = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    for part in PARTS:
        now = res[part]
        before = previous.get(part, {}).get("baseline")
        keep = {k: now[k] for k in ("n_cells", "passed", "pass_rate", "by_section")}
        now["baseline"] = keep if args.baseline or before is None else before
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for part in PARTS:
        now, base = res[part], res[part]["baseline"]
        print(
            f"Italian grid, {LABELS[part]} part: {now['passed']}/{now['n_cells']} "
            f"cells pass ({now['pass_rate']:.3f}); first run {base['passed']}/{base['n_cells']} "
            f"({base['pass_rate']:.3f})"
        )
        for s, v in now["by_section"].items():
            b = base["by_section"].get(s)
            was = f"{b['passed']}/{b['cells']}" if b else "—"
            print(f"  {s:32s} {v['passed']:4d}/{v['cells']:<4d} {v['pass_rate']:.2f}   (first run {was})")
        if args.failures:
            for f in now["failures"]:
                print(f"  FAIL {f['cell']}: {f['text']!r}: {f['why']}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
