"""Benchmark: extraction time on 1 MB articles (issue 10 item 10: a 920 KB article once ran past 120 s).

Every step of the extractor must be linear in the length of the text. Four synthetic 1 MB shapes, built in
memory from invented sentences (no article text is stored or written):

* ``varied``    — distinct invented policy sentences, none alike (nothing to skip or cache: the honest
  worst case, with a trigger in nearly every sentence);
* ``prose``     — policy news paragraphs repeated (a page pasted many times);
* ``dates``     — a text dense with date expressions ("on 3 March 2024, ... since 2020, ...");
* ``one_line``  — one paragraph without sentence punctuation (a flattened table or page);
* ``names``     — country and mineral names back to back (the gazetteer's worst case).

Writes ``benchmarks/results/news_large_article.json``: CPU and wall seconds per shape (best of ``--rounds``;
CPU time is what one core spends, wall time also counts other processes on a shared machine), characters,
sentences, events, and the target (< 2 s per 1 MB article).

    python benchmarks/news_large_article.py [--mb 1.0] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PROSE = (
    "Ruritania banned exports of cobalt and lithium to Freedonia on Tuesday, the mines ministry said. "
    "Japan and Italy agreed on 3 March 2024 to strengthen supply chains for critical minerals. "
    "The ban, in place since February, was lifted on Monday. The agency will invest $50 million in a "
    "graphite refinery in Canada. India approved a national stockpile of rare earths on Wednesday.\n\n"
)
DATES = "on 3 March 2024, since 2020, last December, from Sept. 15 until 1 October 2025, on Friday, "
ONE_LINE = "China Japan gallium germanium export controls ban agreed signed with the United States and "
NAMES = "China, Japan, Italy, the United States, gallium, germanium, rare earths, the EU, the G7, MOFCOM, "


COUNTRIES = ["China", "Japan", "Italy", "Indonesia", "Chile", "Australia", "Canada", "Brazil", "India", "Zimbabwe",
             "the United States", "the EU", "Namibia", "Peru", "Kazakhstan", "Vietnam"]  # fmt: skip
MINERALS = ["gallium", "germanium", "antimony", "graphite", "cobalt", "lithium", "nickel", "rare earths", "tungsten",
            "bauxite", "copper", "manganese"]  # fmt: skip
TEMPLATES = [
    "{a} banned exports of {m} to {b} on {d} {mo}, the ministry said.",
    "{a} and {b} signed a memorandum on {m} supply chains on {d} {mo}.",
    "The agency will invest ${n} million in a {m} refinery in {b}, officials said on {d} {mo}.",
    "{a} lifted its ban on {m} exports from {d} {mo} after talks with {b}.",
    "Analysts said {m} prices rose {n} per cent in {mo} as demand from {b} grew.",
    "{a} approved a national stockpile of {m} and {m2} on {d} {mo}.",
    "Officials from {a} met counterparts from {b} to discuss {m} and other topics.",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]


def varied(n_chars: int, seed: int = 14) -> str:
    """Distinct policy sentences, none alike: every step works on every sentence, nothing is skipped or cached."""
    import random

    rng = random.Random(seed)
    parts, size = [], 0
    while size < n_chars:
        t = rng.choice(TEMPLATES).format(
            a=rng.choice(COUNTRIES), b=rng.choice(COUNTRIES), m=rng.choice(MINERALS), m2=rng.choice(MINERALS),
            d=rng.randint(1, 28), mo=rng.choice(MONTHS), n=rng.randint(2, 999),
        )  # fmt: skip
        parts.append(t + ("\n\n" if rng.random() < 0.2 else " "))
        size += len(parts[-1])
    return "".join(parts)[:n_chars]


def shapes(n_chars: int) -> dict[str, str]:
    def fill(unit: str) -> str:
        return (unit * (n_chars // len(unit) + 1))[:n_chars]

    return {
        "varied": varied(n_chars),
        "prose": fill(PROSE),
        "dates": fill(DATES),
        "one_line": fill(ONE_LINE),
        "names": fill(NAMES),
    }


def run(n_chars: int, rounds: int) -> dict:
    from critmin.news.extract import extract_events
    from critmin.news.gazetteer import gazetteer
    from critmin.news.model import Article
    from critmin.news.segment import segment

    gazetteer()  # built once per process; not part of an article's time
    extract_events(Article(text=PROSE, published="2025-03-05"))
    out = {}
    for name, text in shapes(n_chars).items():
        article = Article(text=text, published="2025-03-05")
        best_cpu = best_wall = float("inf")
        events = []
        for _ in range(rounds):
            t, w = time.process_time(), time.perf_counter()
            events = extract_events(article)
            best_cpu = min(best_cpu, time.process_time() - t)
            best_wall = min(best_wall, time.perf_counter() - w)
        out[name] = {
            "chars": len(article.text),
            "sentences": len(segment(article.text)),
            "events": len(events),
            "cpu_seconds": round(best_cpu, 3),
            "wall_seconds": round(best_wall, 3),
        }
    return out


def _scaling(n_chars: int) -> dict:
    """CPU seconds of the varied shape at a quarter and at the full size: linear time gives a ratio near 4."""
    from critmin.news.extract import extract_events
    from critmin.news.model import Article

    out = {}
    for label, size in (("quarter", n_chars // 4), ("full", n_chars)):
        article = Article(text=varied(size), published="2025-03-05")
        t = time.process_time()
        extract_events(article)
        out[f"{label}_cpu_seconds"] = round(time.process_time() - t, 3)
    out["ratio_full_to_quarter"] = round(out["full_cpu_seconds"] / max(out["quarter_cpu_seconds"], 1e-9), 2)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results" / "news_large_article.json"
    )
    args = parser.parse_args(argv)
    res = run(int(args.mb * 1_000_000), args.rounds)
    scaling = _scaling(int(args.mb * 1_000_000))
    worst = max(r["cpu_seconds"] for r in res.values())
    doc = {
        "benchmark": "news_large_article",
        "shapes": res,
        "worst_cpu_seconds": worst,
        "worst_wall_seconds": max(r["wall_seconds"] for r in res.values()),
        "target_seconds": 2.0,
        "meets_target": worst < 2.0,
        "rounds": args.rounds,
        "linearity_varied": scaling,
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    for name, r in res.items():
        print(
            f"{name:9s} {r['chars']:>9,} chars {r['sentences']:>7,} sentences {r['events']:>6,} events "
            f"cpu {r['cpu_seconds']:6.3f} s  wall {r['wall_seconds']:6.3f} s"
        )
    print(
        f"varied shape, quarter vs full size: {scaling['quarter_cpu_seconds']} vs {scaling['full_cpu_seconds']} CPU s "
        f"(ratio {scaling['ratio_full_to_quarter']}; 4 is linear)"
    )
    print(f"worst {worst:.3f} CPU s (target < 2 s per 1 MB article); wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
