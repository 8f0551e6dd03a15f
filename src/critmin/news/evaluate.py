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
from collections.abc import Callable


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


def pairs(
    extracted: list[dict], gold: list[dict], *, prefer: Callable[[dict, dict], float] | None = None
) -> list[tuple[int, int | None]]:
    """The scorer's one-to-one greedy matching in text order: (extracted index, gold index or None) per
    extracted event, each taking the first unused gold event it :func:`matches`.

    With ``prefer`` each extracted event takes, among the unused gold events it matches, the one with the
    highest ``prefer(extracted_event, gold_event)`` (ties: the first) — e.g. the most alike evidence quote,
    the pairing a reader makes when comparing two annotators (benchmarks/news_agreement.py). Events of every
    ``mineral_relevant`` value take part; filter first to match as :func:`score` does.
    """
    used: set[int] = set()
    out = []
    for k, e in enumerate(extracted):
        if prefer is None:  # the first fit: stop looking there
            hit = next((i for i, g in enumerate(gold) if i not in used and matches(e, g)), None)
        else:
            fits = [i for i, g in enumerate(gold) if i not in used and matches(e, g)]
            hit = max(fits, key=lambda i: (prefer(e, gold[i]), -i)) if fits else None
        if hit is not None:
            used.add(hit)
        out.append((k, hit))
    return out


_pairs = pairs  # the former private name, kept for callers written against it


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
        pairs = _pairs(exts, golds)
        used = {hit for _, hit in pairs if hit is not None}
        for e, hit in zip(exts, (hit for _, hit in pairs), strict=True):
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


# .. why an event was missed or spurious (aggregate diagnosis) ....................................
#
# A missed gold event is located by its evidence quote; what the extractor did with that sentence names the
# cause. The causes are counted, never listed with text, so the held-out part can be diagnosed without anyone
# reading it (benchmarks/news_extraction.py). Offsets are character offsets into the article text.

MISS_CAUSES = (
    "no_trigger",  # no rule matched the sentence at all: a phrasing or event category the rules lack
    "trigger_rejected",  # a rule matched, then modality or a missing slot dropped it
    "other_type",  # an event of another type came from the sentence
    "actor",  # the right type, no actor in common
    "mineral",  # the right type and actors, no shared mineral
    "not_relevant",  # the right type, marked not mineral-relevant
    "merged",  # the right event came out but was matched to another gold event (one event for several)
    "evidence_not_found",  # the gold evidence is not in the text (a corpus fault)
)
SPURIOUS_CAUSES = (
    "no_gold_in_article",  # a distractor or an article with no mineral-relevant event
    "no_gold_here",  # no gold event quotes this sentence
    "gold_other_type",  # the gold event of this sentence has another type
    "gold_not_relevant",  # the gold event here is marked not mineral-relevant
    "actor",  # a gold event of this type here, with other actors
    "mineral",  # ... with the actors but other minerals
    "duplicate",  # the gold event here was already matched: the extractor split one event
)


def _where(text: str, gold: dict) -> int:
    """Offset of a gold event's evidence in the text (its first 40 characters), -1 when absent."""
    quote = (gold.get("evidence") or "")[:40]
    return text.find(quote) if quote else -1


def _near(pos: int, start: int, end: int, slack: int = 50) -> bool:
    return pos >= 0 and start - slack <= pos <= end + slack


def diagnose(
    text: str,
    gold: list[dict],
    extracted: list[dict],
    rejected_spans: list[tuple[int, int, str]] = (),
) -> dict[str, dict[str, int]]:
    """Counts of causes for one article's missed and spurious events (:data:`MISS_CAUSES`,
    :data:`SPURIOUS_CAUSES`), by the scoring of :func:`score`.

    ``extracted`` are event dicts with ``evidence_start``/``evidence_end``; ``rejected_spans`` are the
    ``(start, end, reason)`` of sentences where a trigger matched but was rejected (``extract_events(...,
    explain=...)``). Also counts ``missed_by_salience``/``matched_by_salience`` (main, background) and, for
    rejected triggers, ``rejected_reasons`` (the reason up to its first parenthesis).
    """
    exts = [e for e in extracted if e.get("mineral_relevant", True)]
    relevant_gold = [g for g in gold if g.get("mineral_relevant", True)]
    pairs = _pairs(exts, relevant_gold)  # the scorer's matching, once
    out: dict[str, dict[str, int]] = {
        "missed": dict.fromkeys(MISS_CAUSES, 0),
        "spurious": dict.fromkeys(SPURIOUS_CAUSES, 0),
        "missed_by_salience": {},
        "matched_by_salience": {},
        "rejected_reasons": {},
    }

    def bump(table: str, key: str) -> None:
        out[table][key] = out[table].get(key, 0) + 1

    used = {hit for _, hit in pairs if hit is not None}
    for _, hit in pairs:
        if hit is not None:
            bump("matched_by_salience", relevant_gold[hit].get("salience") or "main")
    for k, g in enumerate(relevant_gold):
        if k not in used:
            bump("missed_by_salience", g.get("salience") or "main")
            bump("missed", _miss_cause(text, g, extracted, rejected_spans, out))
    for i, hit in pairs:
        if hit is not None:
            continue
        e = exts[i]
        if not relevant_gold:
            bump("spurious", "no_gold_in_article")
            continue
        here = [
            g for g in gold if _near(_where(text, g), e.get("evidence_start", 0), e.get("evidence_end", 0))
        ]
        same = [g for g in here if g["event_type"] == e["event_type"]]
        if not here:
            cause = "no_gold_here"
        elif not same:
            cause = "gold_other_type"
        elif all(not g.get("mineral_relevant", True) for g in same):
            cause = "gold_not_relevant"
        elif not any(_actors(g) & _actors(e) for g in same):
            cause = "actor"
        elif not any(matches(e, g) for g in same):
            cause = "mineral"
        else:  # it matches a gold event of this sentence, which another extracted event had matched first
            cause = "duplicate"
        bump("spurious", cause)
    return out


def _miss_cause(text: str, g: dict, extracted: list[dict], rejected_spans, out: dict) -> str:
    pos = _where(text, g)
    if pos < 0:
        return "evidence_not_found"
    here = [e for e in extracted if _near(pos, e.get("evidence_start", 0), e.get("evidence_end", 0))]
    if not here:
        reasons = [r for s, t, r in rejected_spans if s - 5 <= pos <= t]
        if not reasons:
            return "no_trigger"
        reason = reasons[0].split("(")[0].strip()[:60]
        out["rejected_reasons"][reason] = out["rejected_reasons"].get(reason, 0) + 1
        return "trigger_rejected"
    same = [e for e in here if e["event_type"] == g["event_type"]]
    if not same:
        return "other_type"
    if all(not e.get("mineral_relevant", True) for e in same):
        return "not_relevant"
    relevant = [e for e in same if e.get("mineral_relevant", True)]
    if not any(_actors(e) & _actors(g) for e in relevant):
        return "actor"
    if not any(matches(e, g) for e in relevant):
        return "mineral"
    return "merged"


def add_diagnoses(total: dict, one: dict) -> dict:
    """Sums :func:`diagnose` results (``total`` is updated in place and returned)."""
    for table, counts in one.items():
        dest = total.setdefault(table, {})
        for key, n in counts.items():
            dest[key] = dest.get(key, 0) + n
    return total
