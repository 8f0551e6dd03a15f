"""Benchmark: pass rate of the English coverage grid of the news extractor (issue 14).

Expands ``tests/news_grid_en.yaml`` (invented sentences: every event type's phrasings crossed with actors,
minerals and dates, plus negative cells) and reports the share of cells the extractor reads as expected,
overall and by group, with the failing cells' reasons. Writes ``benchmarks/results/news_grid_en.json``;
``--label`` names the run (the file keeps one entry per label, e.g. ``before`` and ``after`` a change).

    python benchmarks/news_grid_en.py [--label after] [--show 20]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results" / "news_grid_en.json"


def _grid_module():
    spec = importlib.util.spec_from_file_location("news_grid_en", REPO / "tests" / "test_news_grid_en.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def run() -> dict:
    grid = _grid_module()
    t0 = time.process_time()
    results = [(cell, grid.failure(cell, grid.PUBLISHED)) for cell in grid.CELLS]
    cpu = time.process_time() - t0
    total, passed = Counter(), Counter()
    for cell, why in results:
        total[cell.group] += 1
        passed[cell.group] += why is None
    parts = {}
    for split in grid.SPLITS:
        part = [why for cell, why in results if cell.split == split]
        ok = sum(why is None for why in part)
        parts[split] = {
            "cells": len(part),
            "passed": ok,
            "pass_rate": round(ok / len(part), 4) if part else None,
            "templates": len({(c.group, c.template) for c in grid.CELLS if c.split == split}),
        }
    return {
        **parts,
        "known_gaps": sum(c.gap is not None for c in grid.CELLS),
        "by_group": {
            g: {"cells": total[g], "passed": passed[g], "pass_rate": round(passed[g] / total[g], 4)}
            for g in total
        },
        "cpu_s": round(cpu, 2),
        "failures": [{"id": c.id, "text": c.text, "why": why} for c, why in results if why],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="current")
    parser.add_argument("--show", type=int, default=0, help="print this many failing cells")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    res = run()
    doc = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    doc.setdefault("benchmark", "news_grid_en")
    doc.setdefault("runs", {})[args.label] = res
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for split in ("heldout2", "heldout", "tuning"):
        p = res[split]
        print(
            f"grid {split}: {p['passed']}/{p['cells']} cells pass ({p['pass_rate']:.1%}), {p['templates']} templates"
        )
    print(f"{res['known_gaps']} known gaps; {res['cpu_s']} CPU s")
    for g, v in res["by_group"].items():
        print(f"  {g:32s} {v['passed']:4d}/{v['cells']:<4d} {v['pass_rate']:.0%}")
    for f in res["failures"][: args.show]:
        print(f"  FAIL {f['id']}: {f['text']}\n       {f['why']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
