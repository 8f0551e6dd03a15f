"""Study: does the learned sentence classifier earn its place beside the rules? (issue 14, item 2)

The design (:mod:`critmin.news.learned`): one L2 logistic regression per event type over word 1-2-grams of a
sentence (names and numbers replaced by their kind), used as a **recall source** — a sentence scored at or
above its type's threshold, in which no rule found an event of that type, is read by the rules' slot filling.

The question is answered on the corpus's **tuning part only**, by 5-fold cross-validation grouped by
*story* (articles about the same event are never split between training and test): in every fold the model
is trained on four fifths of the stories and the extractor, with that model, reads the fifth. Event-level
precision, recall and F1 under the development set's scoring rule are reported for rules alone and for
rules + model at each threshold, and the marginal true and false positives of the learned events by type —
so the thresholds the shipped model uses are chosen without the held-out part. The held-out part is not read
here; ``benchmarks/news_extraction.py`` scores the shipped design on it.

Writes ``benchmarks/results/news_classifier_study.json``.

    python benchmarks/news_classifier_study.py [--folds 5] [--c 1.0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.9)


def story_folds(articles, k: int) -> list[list[str]]:
    """``k`` folds of article ids; a story's articles stay in one fold (largest stories placed first, each into
    the fold with the fewest articles so far; ties by story name: deterministic)."""
    stories: dict[str, list[str]] = defaultdict(list)
    for a in articles:
        stories[a.meta["story"]].append(a.id)
    folds: list[list[str]] = [[] for _ in range(k)]
    for _story, ids in sorted(stories.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        min(folds, key=len).extend(ids)
    return folds


def _score(extracted: dict, gold: dict) -> dict:
    from critmin.news.evaluate import score

    r = score(extracted, gold)
    return {
        **{k: round(r[k], 4) for k in ("precision", "recall", "f1")},
        **{k: r[k] for k in ("tp", "fp", "fn", "dates_correct", "dates_scored")},
    }


def _marginal(events_by_article: dict, gold: dict, etype: str, threshold: float) -> tuple[int, int]:
    """(tp, fp) gained by keeping the learned events of ``etype`` scored >= threshold (others of the type off)."""

    def kept(t):
        return {
            aid: [
                e.to_dict()
                for e in evs
                if not (
                    e.rule.startswith("learned.") and (e._score or 0) < (t if e.event_type == etype else 2)
                )
            ]
            for aid, evs in events_by_article.items()
        }

    from critmin.news.evaluate import score

    with_it, without = score(kept(threshold), gold), score(kept(2.0), gold)
    return with_it["tp"] - without["tp"], with_it["fp"] - without["fp"]


def run(folds: int, c: float) -> dict:
    from critmin.news.corpus import load_corpus
    from critmin.news.extract import extract_events
    from critmin.news.learned import SentenceModel, sentence_rows, train
    from critmin.news.model import EVENT_TYPES

    tuning = load_corpus("tuning")
    articles = tuning.with_text
    gold = tuning.gold_for(articles)
    rows = sentence_rows(articles, tuning.gold)
    types = [t for t in EVENT_TYPES if any(t in r["labels"] for r in rows)]
    fold_ids = story_folds(articles, folds)
    rules_only: dict[str, list] = {}
    learned: dict[str, list] = {}  # events with every learned proposal >= min threshold, scores attached
    t0 = time.perf_counter()
    for ids in fold_ids:
        test = set(ids)
        spec = train([r for r in rows if r["article"] not in test], types, c=c)
        spec["thresholds"] = {t: min(THRESHOLDS) for t in types}
        m = SentenceModel(spec)
        for a in articles:
            if a.id in test:
                art = a.to_article()
                rules_only[a.id] = extract_events(art, sentence_model=None)
                learned[a.id] = extract_events(art, sentence_model=m)
    out = {
        "benchmark": "news_classifier_study",
        "model": "one L2 logistic regression per type over word 1-2-grams (names and numbers by kind)",
        "cv": f"{folds}-fold, grouped by story, tuning part only ({len(articles)} articles, {len(rows)} sentences)",
        "c": c,
        "event_sentences": {t: sum(t in r["labels"] for r in rows) for t in types},
        "rules_only": _score({k: [e.to_dict() for e in v] for k, v in rules_only.items()}, gold),
        "rules_plus_model": {},
        "marginal_by_type": {},
        "seconds": None,
    }
    for th in THRESHOLDS:
        kept = {
            aid: [e.to_dict() for e in evs if not e.rule.startswith("learned.") or (e._score or 0) >= th]
            for aid, evs in learned.items()
        }
        out["rules_plus_model"][str(th)] = _score(kept, gold)
    for t in types:
        out["marginal_by_type"][t] = {str(th): _marginal(learned, gold, t, th) for th in THRESHOLDS}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--c", type=float, default=1.0)
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "news_classifier_study.json")
    a = p.parse_args(argv)
    res = run(a.folds, a.c)
    a.out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    r = res["rules_only"]
    print(f"{res['cv']}")
    print(
        f"rules only:        P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f} (tp {r['tp']} fp {r['fp']})"
    )
    for th, r in res["rules_plus_model"].items():
        print(
            f"rules + model {th}: P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f} (tp {r['tp']} fp {r['fp']})"
        )
    for t, by in res["marginal_by_type"].items():
        print(f"  {t:20s} " + "  ".join(f"{th}: +{tp}/-{fp}" for th, (tp, fp) in by.items()))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
