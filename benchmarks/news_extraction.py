"""Benchmark: news-to-events extraction, scored on texts it was not tuned on first.

Scores the extractor under the development set's rule (:mod:`critmin.news.evaluate`) on, in this order:

1. the **held-out** part of the project's corpus (``corpus/news``, split ``heldout``) — the number that
   counts; reported as aggregates only (precision, recall, F1, dates, recall by event type, language and
   collection batch — ``corpus/news/batches.json``), never event by event, so that nobody tunes on it
   through this file;
2. the **tuning** part (split ``tuning``), with every matched, missed and spurious event listed;
3. the development set ``../shared/news-dev`` and the seed article ``../shared/seed``.

It also measures throughput: articles per second on one core, texts in memory, best of several rounds
after a warm-up (the one-time gazetteer build is excluded and reported separately).

Corpus texts that may not be redistributed are read from the local cache (``$CRITMIN_NEWS_CACHE``, default
``~/.cache/critmin/news-corpus``); a part whose texts are absent is reported as unavailable, not scored.
Writes ``benchmarks/results/news_extraction.json`` — ids, types, actors, minerals and dates, never text.

    python benchmarks/news_extraction.py [--corpus corpus/news] [--dev ../shared/news-dev] [--seed ../shared/seed]
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
TARGETS = {
    "heldout_f1": 0.85,
    "heldout_precision": 0.85,
    "heldout_date_accuracy": 0.8,
    "articles_per_s": 100,
}


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _summary(result: dict) -> dict:
    """The aggregate figures of one :func:`critmin.news.evaluate.score` result (no per-event rows)."""
    by_type = {}
    for etype, c in sorted(result["by_type"].items()):
        by_type[etype] = {
            **c,
            "recall": _ratio(c["tp"], c["tp"] + c["fn"]),
            "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
        }
    return {
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
        "by_type": by_type,
    }


def _batch_of(root: Path) -> dict[int, tuple[int, int]]:
    """Collection batches of the corpus (``batches.json``: batch -> first/last article number); {} when absent."""
    path = Path(root) / "batches.json"
    if not path.exists():
        return {}
    spec = json.loads(path.read_text(encoding="utf-8"))
    return {b["batch"]: (int(b["first_id"][1:]), int(b["last_id"][1:])) for b in spec["batches"]}


def score_part(corpus, extracted: dict[str, list[dict]], *, detail: bool, rejected=None) -> dict:
    """Scores of one corpus part: overall, by collection batch, by event type, by language, distractors; rows
    only if ``detail``. The batch breakdown shows whether a score holds on articles collected after the tuning;
    ``diagnosis`` counts why events were missed or spurious (:func:`critmin.news.evaluate.diagnose`) — counts
    only, so the held-out part can be diagnosed without reading it."""
    from critmin.news.evaluate import add_diagnoses, diagnose, score

    present = corpus.with_text
    out = {
        "split": corpus.split,
        "n_articles": len(corpus.articles),
        "n_with_text": len(present),
        "n_gold_events": sum(len(v) for v in corpus.gold.values()),
    }
    if not present:
        out["status"] = f"texts unavailable (no cache at {corpus.cache})"
        return out
    event_ids = [a.id for a in present if a.meta["role"] == "event"]
    if not any(i in corpus.gold for i in event_ids):
        out["status"] = "gold not committed yet"
        return out
    out["status"] = "scored" if len(present) == len(corpus.articles) else "scored (some texts missing)"
    gold = corpus.gold_for(present)
    out["n_gold_scored"] = sum(1 for v in gold.values() for g in v if g["mineral_relevant"])
    out["n_extracted"] = sum(1 for a in present for e in extracted[a.id] if e["mineral_relevant"])
    result = score({a.id: extracted[a.id] for a in present}, gold)
    out.update(_summary(result))
    out["by_language"] = {}
    for lang in sorted({a.language for a in present}):
        ids = [a.id for a in present if a.language == lang]
        sub = score({i: extracted[i] for i in ids}, {i: gold[i] for i in ids})
        out["by_language"][lang] = {"n_articles": len(ids), **_summary(sub)}
        del out["by_language"][lang]["by_type"]
    out["by_batch"] = {}
    for batch, (lo, hi) in sorted(_batch_of(corpus.root).items()):
        ids = [a.id for a in present if lo <= int(a.id[1:]) <= hi]
        if not ids:
            continue
        sub = score({i: extracted[i] for i in ids}, {i: gold[i] for i in ids})
        n_gold = sum(1 for i in ids for g in gold[i] if g["mineral_relevant"])
        out["by_batch"][str(batch)] = {"n_articles": len(ids), "n_gold_scored": n_gold, **_summary(sub)}
        del out["by_batch"][str(batch)]["by_type"]
    distractors = [a.id for a in present if a.meta["role"] == "distractor"]
    out["distractors"] = {
        "n": len(distractors),
        "with_spurious_events": sum(
            1 for i in distractors if any(e["mineral_relevant"] for e in extracted[i])
        ),
    }
    diagnosis: dict = {}
    for a in present:
        add_diagnoses(
            diagnosis, diagnose(a.text, gold[a.id], extracted[a.id], (rejected or {}).get(a.id, []))
        )
    out["diagnosis"] = diagnosis
    if detail:
        out["events"] = result["events"]
    return out


def _extract_all(articles) -> tuple[dict[str, list[dict]], dict[str, list[tuple[int, int, str]]]]:
    """Events per article, and the (start, end, reason) of the sentences where a trigger was rejected."""
    from critmin.news.extract import extract_events
    from critmin.news.segment import segment

    events, rejected = {}, {}
    for a in articles:
        why: list = []
        events[a.id] = [e.to_dict() for e in extract_events(a.to_article(), explain=why)]
        spans = {s.index: (s.start, s.end) for s in segment(a.text)}
        rejected[a.id] = [(*spans[i], reason) for i, _rule, reason in why if i in spans]
    return events, rejected


def _throughput(articles, rounds: int) -> dict:
    """Best and median articles/s over ``rounds`` in-process passes (one thread), after one warm-up pass."""
    from critmin.news.extract import extract_events

    for a in articles:
        extract_events(a)
    times, cpu = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        for a in articles:
            extract_events(a)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    best, median = min(times), sorted(times)[len(times) // 2]
    return {
        "n_articles": len(articles),
        "n_chars": sum(len(a.text) for a in articles),
        "articles_per_s": round(len(articles) / best, 1),
        "median_articles_per_s": round(len(articles) / median, 1),
        # per core: articles per second of CPU time (wall time also counts other jobs on a shared machine)
        "cpu_articles_per_s": round(len(articles) / min(cpu), 1),
        "rounds": rounds,
    }


def _dev_and_seed(dev: Path | None, seed: Path | None) -> tuple[dict, list]:
    from critmin.news.evaluate import load_dev_set, score
    from critmin.news.extract import extract_events
    from critmin.news.model import Article

    out: dict = {}
    dev_articles: list = []
    if dev is not None and (dev / "articles").is_dir():
        dev_articles, gold = load_dev_set(dev)
        extracted = {a.external_id: [e.to_dict() for e in extract_events(a)] for a in dev_articles}
        result = score(extracted, gold)
        out["dev_set"] = {
            "path": str(dev),
            "n_articles": len(dev_articles),
            "n_gold_scored": sum(1 for v in gold.values() for g in v if g.get("mineral_relevant", True)),
            **_summary(result),
            "events": result["events"],
        }
    else:
        out["dev_set"] = {"status": f"not found at {dev}"}
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
        out["seed"] = {"exact_match": got == want, "events": [list(x) for x in got]}
    else:
        out["seed"] = {"status": f"not found at {seed}"}
    return out, dev_articles


def run(corpus_root: Path | None, dev: Path | None, seed: Path | None, rounds: int = 10) -> dict:
    from critmin.news.corpus import load_corpus
    from critmin.news.extract import EXTRACTOR_VERSION
    from critmin.news.gazetteer import gazetteer

    t0 = time.perf_counter()
    gazetteer()
    build_s = time.perf_counter() - t0
    parts = {split: load_corpus(split, root=corpus_root) for split in ("heldout", "tuning")}
    runs = {split: _extract_all(c.with_text) for split, c in parts.items()}
    extracted = {split: r[0] for split, r in runs.items()}
    rejected = {split: r[1] for split, r in runs.items()}
    out = {
        "benchmark": "news_extraction",
        "extractor_version": EXTRACTOR_VERSION,
        "corpus": str(parts["tuning"].root),
        "text_cache": str(parts["tuning"].cache),
        "heldout": score_part(
            parts["heldout"], extracted["heldout"], detail=False, rejected=rejected["heldout"]
        ),
        "tuning": score_part(parts["tuning"], extracted["tuning"], detail=True, rejected=rejected["tuning"]),
    }
    extra, dev_articles = _dev_and_seed(dev, seed)
    out.update(extra)
    corpus_articles = [a.to_article() for c in parts.values() for a in c.with_text]
    out["throughput"] = {
        "corpus": _throughput(corpus_articles, rounds) if corpus_articles else None,
        "dev_set": _throughput(dev_articles, rounds) if dev_articles else None,
        "gazetteer_build_s": round(build_s, 3),
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
    out["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    out["targets"] = TARGETS
    return out


def _line(name: str, part: dict) -> str:
    if "f1" not in part:
        return f"{name}: {part.get('status')}"
    langs = ", ".join(
        f"{lang} R {v['recall']:.2f} ({v['tp']}/{v['tp'] + v['fn']})"
        for lang, v in part["by_language"].items()
    )
    types = ", ".join(
        f"{t} {v['tp']}/{v['tp'] + v['fn']}" for t, v in part["by_type"].items() if v["tp"] + v["fn"]
    )
    dates = f"{part['date_accuracy']:.2f}" if part["date_accuracy"] is not None else "n/a"
    batches = "; ".join(
        f"batch {b}: {v['n_articles']} articles, P {v['precision']:.2f} R {v['recall']:.2f} F1 {v['f1']:.2f} "
        f"dates {v['date_accuracy'] if v['date_accuracy'] is None else round(v['date_accuracy'], 2)}"
        for b, v in part.get("by_batch", {}).items()
    )
    return (
        f"{name}: {part['n_with_text']} articles, {part['n_gold_scored']} gold events — precision "
        f"{part['precision']:.3f}  recall {part['recall']:.3f}  F1 {part['f1']:.3f}  (tp {part['tp']}, fp "
        f"{part['fp']}, fn {part['fn']}); dates {dates} ({part['dates_correct']}/{part['dates_scored']})\n"
        f"  recall by type: {types}\n  by language: {langs}; distractors with spurious events: "
        f"{part['distractors']['with_spurious_events']}/{part['distractors']['n']}"
        + (f"\n  by batch: {batches}" if batches else "")
        + _diagnosis_lines(part.get("diagnosis"))
    )


def _diagnosis_lines(d: dict | None) -> str:
    """Why events were missed / spurious, as counts (largest first)."""
    if not d:
        return ""

    def row(counts: dict) -> str:
        return ", ".join(
            f"{k.replace('_', ' ')} {n}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n
        )

    sal = ", ".join(
        f"{k} {d['matched_by_salience'].get(k, 0)}/{d['matched_by_salience'].get(k, 0) + n}"
        for k, n in sorted(d["missed_by_salience"].items())
    )
    return (
        f"\n  missed because: {row(d['missed'])}\n  spurious because: {row(d['spurious'])}"
        f"\n  recall by salience: {sal}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None, help="corpus folder (default corpus/news)")
    parser.add_argument("--dev", type=Path, default=SHARED / "news-dev")
    parser.add_argument("--seed", type=Path, default=SHARED / "seed")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "news_extraction.json")
    args = parser.parse_args(argv)
    res = run(args.corpus, args.dev, args.seed, args.rounds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(_line("HELD-OUT", res["heldout"]))
    print(_line("tuning", res["tuning"]))
    dev = res["dev_set"]
    if "f1" in dev:
        print(
            f"dev set: {dev['n_articles']} articles — precision {dev['precision']:.3f}  recall {dev['recall']:.3f}  "
            f"F1 {dev['f1']:.3f}; dates {dev['dates_correct']}/{dev['dates_scored']}"
        )
    else:
        print(f"dev set: {dev['status']}")
    if "exact_match" in res["seed"]:
        print(f"seed article: exact match with seed-events.jsonl = {res['seed']['exact_match']}")
    tp = res["throughput"]
    for name in ("corpus", "dev_set"):
        if tp[name]:
            print(
                f"throughput ({name}, {tp[name]['n_articles']} articles): {tp[name]['articles_per_s']} articles/s "
                f"(best of {tp[name]['rounds']}; median {tp[name]['median_articles_per_s']}); "
                f"{tp[name]['cpu_articles_per_s']} articles per CPU second"
            )
    print(f"gazetteer build {tp['gazetteer_build_s']} s")
    for r in res["tuning"].get("events", []):
        if r["result"] != "matched":
            print(
                f"  tuning {r['result']}: {r['article_id']} {r['event_type']} {r['actors']} {r.get('minerals')}"
            )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
