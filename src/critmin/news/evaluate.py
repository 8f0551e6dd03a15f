"""Scoring extracted events against gold events (the development set's rule, ``news-dev/README.md``).

An extracted event matches a gold event when the type is equal, the actor sets (initiator ∪ counterparts)
overlap and — where the gold lists minerals — at least one mineral is shared. Matching is one-to-one and
greedy in text order (each gold event is matched at most once, each extracted event at most once), so a
duplicate extraction counts as a false positive. Precision, recall and F1 are over events with
``mineral_relevant: true`` (gold) and over extracted events the extractor marks mineral-relevant. Date
accuracy is reported separately over matched pairs: the extracted date cut to the gold's precision equals
the gold date (a null gold date must be matched by a null extracted date).
"""

from __future__ import annotations

from collections import defaultdict


def _actors(ev: dict) -> set[str]:
    return set(ev.get("initiator") or []) | set(ev.get("counterparts") or [])


def matches(extracted: dict, gold: dict) -> bool:
    """The dev set's matching rule for one pair of events."""
    if extracted["event_type"] != gold["event_type"]:
        return False
    if not _actors(extracted) & _actors(gold):
        return False
    gold_minerals = set(gold.get("minerals") or [])
    return not gold_minerals or bool(gold_minerals & set(extracted.get("minerals") or []))


def date_correct(extracted: str | None, gold: str | None) -> bool:
    """Exact at the gold precision (YYYY, YYYY-MM or YYYY-MM-DD); null only matches null."""
    if gold is None:
        return extracted is None
    if extracted is None:
        return False
    return extracted[: len(gold)] == gold


def score(extracted: dict[str, list[dict]], gold: dict[str, list[dict]]) -> dict:
    """Scores per article and overall. Both arguments map an article id to its events (dicts in the gold schema).

    Returns ``precision``, ``recall``, ``f1``, ``date_accuracy`` (over matched pairs), ``date_accuracy_dated``
    (over matched pairs whose gold date is not null), counts and the list of matched/missed/spurious events.
    """
    tp = fp = fn = 0
    dates_ok = dates_n = dated_ok = dated_n = 0
    rows = []
    for aid in sorted(set(extracted) | set(gold)):
        golds = [g for g in gold.get(aid, []) if g.get("mineral_relevant", True)]
        exts = [e for e in extracted.get(aid, []) if e.get("mineral_relevant", True)]
        used: set[int] = set()
        for e in exts:
            hit = next((i for i, g in enumerate(golds) if i not in used and matches(e, g)), None)
            if hit is None:
                fp += 1
                rows.append(
                    {
                        "article_id": aid,
                        "result": "spurious",
                        "event_type": e["event_type"],
                        "actors": sorted(_actors(e)),
                        "minerals": e.get("minerals"),
                        "date": e.get("date"),
                    }
                )
                continue
            used.add(hit)
            tp += 1
            g = golds[hit]
            ok = date_correct(e.get("date"), g.get("date"))
            dates_n += 1
            dates_ok += ok
            if g.get("date") is not None:
                dated_n += 1
                dated_ok += ok
            rows.append(
                {
                    "article_id": aid,
                    "result": "matched",
                    "gold_id": g.get("event_id"),
                    "event_type": e["event_type"],
                    "actors": sorted(_actors(e)),
                    "minerals": e.get("minerals"),
                    "date": e.get("date"),
                    "gold_date": g.get("date"),
                    "date_correct": ok,
                }
            )
        for i, g in enumerate(golds):
            if i not in used:
                fn += 1
                rows.append(
                    {
                        "article_id": aid,
                        "result": "missed",
                        "gold_id": g.get("event_id"),
                        "event_type": g["event_type"],
                        "actors": sorted(_actors(g)),
                        "minerals": g.get("minerals"),
                        "gold_date": g.get("date"),
                    }
                )
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    by_type: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    for r in rows:
        key = {"matched": "tp", "spurious": "fp", "missed": "fn"}[r["result"]]
        by_type[r["event_type"]][key] += 1
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "date_accuracy": dates_ok / dates_n if dates_n else None,
        "date_accuracy_dated": dated_ok / dated_n if dated_n else None,
        "dates_correct": dates_ok,
        "dates_scored": dates_n,
        "by_type": dict(by_type),
        "events": rows,
    }


def load_dev_set(folder) -> tuple[list, dict[str, list[dict]]]:
    """(articles, gold events by article id) of a development-set folder (``articles/NN.json`` + ``gold.jsonl``)."""
    import json
    from pathlib import Path

    from critmin.news.text import read_source

    folder = Path(folder)
    articles = read_source(folder / "articles")
    gold: dict[str, list[dict]] = defaultdict(list)
    gold_path = folder / "gold.jsonl"
    if gold_path.exists():
        for line in gold_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                g = json.loads(line)
                gold[str(g["article_id"])].append(g)
    return articles, dict(gold)
