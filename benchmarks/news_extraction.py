"""Benchmark: news-to-events extraction on the development set (and the seed article).

Prints precision, recall, F1 and date accuracy under the development set's scoring rule
(:mod:`critmin.news.evaluate`), and the extraction throughput (articles per second on one core, the
texts already in memory; best of several rounds after a warm-up, so the one-time gazetteer build is
excluded and reported separately). Writes ``benchmarks/results/news_extraction.json`` — ids, types,
actors, minerals and dates only, never article text (the development texts are copyrighted).

    python benchmarks/news_extraction.py [--dev ../shared/news-dev] [--seed ../shared/seed]
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
SHARED = Path(os.environ.get("CRITMIN_SHARED", REPO.parent / "shared"))


def _event_dict(ev) -> dict:
    d = ev.to_dict()
    return {
        k: d[k]
        for k in (
            "event_type",
            "initiator",
            "counterparts",
            "minerals",
            "date",
            "date_precision",
            "effective_date",
            "status",
            "measure_type",
            "salience",
            "mineral_relevant",
            "rule",
        )
    }


def run(dev: Path, seed: Path | None, rounds: int = 20) -> dict:
    from critmin.news.evaluate import load_dev_set, score
    from critmin.news.extract import EXTRACTOR_VERSION, extract_events
    from critmin.news.gazetteer import gazetteer
    from critmin.news.model import Article

    t0 = time.perf_counter()
    gazetteer()
    build_s = time.perf_counter() - t0
    articles, gold = load_dev_set(dev)
    extracted = {}
    for a in articles:
        extracted[a.external_id] = [_event_dict(e) for e in extract_events(a)]
    result = score(extracted, gold)

    # throughput: best of `rounds` passes over the development texts, one process, one thread
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for a in articles:
            extract_events(a)
        times.append(time.perf_counter() - t)
    best = min(times)
    median = sorted(times)[len(times) // 2]
    # end-to-end without the store: bytes -> Article -> events
    raw = [(p, p.read_bytes()) for p in sorted((dev / "articles").glob("*.json"))]
    from critmin.news.text import parse_bytes

    t = time.perf_counter()
    for _ in range(5):
        for p, data in raw:
            for a in parse_bytes(data, name=str(p)):
                extract_events(a)
    e2e = (time.perf_counter() - t) / 5

    out = {
        "benchmark": "news_extraction",
        "extractor_version": EXTRACTOR_VERSION,
        "dev_set": str(dev),
        "n_articles": len(articles),
        "n_gold_events": sum(len(v) for v in gold.values()),
        "n_gold_scored": sum(1 for v in gold.values() for g in v if g.get("mineral_relevant", True)),
        "n_extracted": sum(len(v) for v in extracted.values()),
        "precision": round(result["precision"], 4),
        "recall": round(result["recall"], 4),
        "f1": round(result["f1"], 4),
        "tp": result["tp"],
        "fp": result["fp"],
        "fn": result["fn"],
        "date_accuracy": None if result["date_accuracy"] is None else round(result["date_accuracy"], 4),
        "date_accuracy_dated": None
        if result["date_accuracy_dated"] is None
        else round(result["date_accuracy_dated"], 4),
        "dates_correct": result["dates_correct"],
        "dates_scored": result["dates_scored"],
        "by_type": result["by_type"],
        "events": result["events"],
        "throughput_articles_per_s": round(len(articles) / best, 1),
        "throughput_median_articles_per_s": round(len(articles) / median, 1),
        "end_to_end_articles_per_s": round(len(articles) / e2e, 1),
        "gazetteer_build_s": round(build_s, 3),
        "rounds": rounds,
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "targets": {"f1": 0.8, "precision": 0.85, "articles_per_s": 50},
    }
    if seed is not None and (seed / "seed-article.txt").exists():
        text = (seed / "seed-article.txt").read_text(encoding="utf-8")
        gold_seed = [
            json.loads(x)
            for x in (seed / "seed-events.jsonl").read_text(encoding="utf-8").splitlines()
            if x.strip()
        ]
        events = extract_events(Article(text=text, published="2026-01-16"))
        got = sorted(
            (e.event_type, tuple(sorted(e.actors)), tuple(sorted(e.minerals)), e.date) for e in events
        )
        want = sorted(
            (
                g["event_type"],
                tuple(sorted(set(g["initiator"]) | set(g["counterparts"]))),
                tuple(sorted(g["minerals"])),
                g["date"],
            )
            for g in gold_seed
        )
        out["seed_exact_match"] = got == want
        out["seed_events"] = [list(x) for x in got]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=SHARED / "news-dev")
    parser.add_argument("--seed", type=Path, default=SHARED / "seed")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "news_extraction.json")
    args = parser.parse_args(argv)
    if not (args.dev / "articles").is_dir():
        print(f"development set not found at {args.dev} (set --dev or CRITMIN_SHARED)", file=sys.stderr)
        return 2
    res = run(args.dev, args.seed, args.rounds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"articles {res['n_articles']}, gold events scored {res['n_gold_scored']}, extracted {res['n_extracted']}"
    )
    print(
        f"precision {res['precision']:.3f}  recall {res['recall']:.3f}  F1 {res['f1']:.3f}  "
        f"(tp {res['tp']}, fp {res['fp']}, fn {res['fn']})"
    )
    print(
        f"date accuracy {res['date_accuracy']:.3f} ({res['dates_correct']}/{res['dates_scored']} matched pairs)"
    )
    print(
        f"throughput {res['throughput_articles_per_s']} articles/s (best of {res['rounds']}; median "
        f"{res['throughput_median_articles_per_s']}); end to end from bytes {res['end_to_end_articles_per_s']}/s; "
        f"gazetteer build {res['gazetteer_build_s']} s"
    )
    if "seed_exact_match" in res:
        print(f"seed article: exact match with seed-events.jsonl = {res['seed_exact_match']}")
    for r in res["events"]:
        if r["result"] != "matched":
            print(f"  {r['result']}: {r['article_id']} {r['event_type']} {r['actors']} {r.get('minerals')}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
