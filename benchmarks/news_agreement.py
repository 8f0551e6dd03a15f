"""Benchmark: inter-annotator agreement (IAA) on the news corpus, and the extractor against each annotator.

How well do two annotators who follow the same rules (``../shared/news-dev/README.md``, applied as in
``corpus/news/README.md``) agree on which critical-mineral policy events an article reports? If they agree
less than the extractor's target asks of it, the target is above the human ceiling.

Step 1 — **selection** (``python benchmarks/news_agreement.py select``): a fixed, stratified random sample of
30 *tuning* articles (never a held-out one), strata = collection batch × language, drawn separately for event
articles (27) and distractors (3), each stratum's share by largest remainder; ids written to
``corpus/news/agreement/sample.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AGREEMENT = REPO / "corpus" / "news" / "agreement"
SAMPLE_SEED = 20261114
SAMPLE_SIZE = {"event": 27, "distractor": 3}


def _batches(root: Path) -> list[tuple[int, int, int]]:
    """(batch, first article number, last article number) of ``batches.json``."""
    spec = json.loads((root / "batches.json").read_text(encoding="utf-8"))
    return [(b["batch"], int(b["first_id"][1:]), int(b["last_id"][1:])) for b in spec["batches"]]


def batch_of(article_id: str, batches: list[tuple[int, int, int]]) -> int:
    """The collection batch of a corpus id (``c123``)."""
    n = int(article_id[1:])
    return next(b for b, lo, hi in batches if lo <= n <= hi)


def largest_remainder(sizes: dict, total: int) -> dict:
    """Seats per stratum proportional to ``sizes`` summing to ``total`` (Hamilton's largest-remainder method;
    ties broken by stratum key, so the allocation is deterministic)."""
    whole = sum(sizes.values())
    quotas = {k: total * v / whole for k, v in sizes.items()}
    seats = {k: int(q) for k, q in quotas.items()}
    rest = total - sum(seats.values())
    for k in sorted(quotas, key=lambda k: (-(quotas[k] - seats[k]), k))[:rest]:
        seats[k] += 1
    return seats


def draw_sample(records: list[dict], batches, seed: int = SAMPLE_SEED, size: dict | None = None) -> dict:
    """A stratified random sample of tuning articles: ids and the allocation per (role, batch, language).

    Only ``split == "tuning"`` records are eligible; held-out articles are never looked at.
    """
    size = size or SAMPLE_SIZE
    rng = random.Random(seed)
    tuning = sorted((r for r in records if r["split"] == "tuning"), key=lambda r: r["id"])
    strata: dict[tuple, list[str]] = {}
    for r in tuning:
        strata.setdefault((r["role"], batch_of(r["id"], batches), r["language"]), []).append(r["id"])
    chosen, allocation = [], []
    for role, n in size.items():
        sizes = {k: len(v) for k, v in strata.items() if k[0] == role}
        for key, k in sorted(largest_remainder(sizes, n).items()):
            ids = rng.sample(strata[key], k)
            chosen += ids
            allocation.append(
                {"role": key[0], "batch": key[1], "language": key[2], "n_tuning": len(strata[key]), "n": k}
            )
    return {"seed": seed, "ids": sorted(chosen), "allocation": allocation}


def select(corpus_root: Path, out: Path) -> dict:
    """Draw the sample and write it to ``out`` (``sample.json``)."""
    from critmin.news.corpus import read_articles

    records = read_articles(corpus_root)
    sample = draw_sample(records, _batches(corpus_root))
    by_id = {r["id"]: r for r in records}
    langs = Counter(by_id[i]["language"] for i in sample["ids"])
    doc = {
        "description": (
            "Articles of the inter-annotator agreement study (benchmarks/news_agreement.py select): a "
            "stratified random sample of the tuning part, strata collection batch x language, drawn "
            "separately for event articles and distractors (largest-remainder allocation)."
        ),
        "split": "tuning",
        **sample,
        "n": len(sample["ids"]),
        "by_language": dict(sorted(langs.items())),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return doc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=["select"], help="select: draw the sample")
    p.add_argument("--corpus", type=Path, default=REPO / "corpus" / "news")
    args = p.parse_args(argv)
    if args.step == "select":
        doc = select(args.corpus, AGREEMENT / "sample.json")
        print(f"{doc['n']} tuning articles ({doc['by_language']}) -> {AGREEMENT / 'sample.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
