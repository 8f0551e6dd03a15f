"""Benchmark: inter-annotator agreement (IAA) on the news corpus, and the extractor against each annotator.

How well do two annotators who follow the same rules (``../shared/news-dev/README.md``, applied as in
``corpus/news/README.md``) agree on which critical-mineral policy events an article reports? If they agree
less than the extractor's target asks of it, the target is above the human ceiling.

Step 1 — **selection** (``python benchmarks/news_agreement.py select``): a fixed, stratified random sample of
30 *tuning* articles (never a held-out one), strata = collection batch × language, drawn separately for event
articles (27) and distractors (3), each stratum's share by largest remainder; ids written to
``corpus/news/agreement/sample.json``.

Step 2 — **blind second annotation**: ``corpus/news/agreement/second.jsonl`` (annotator B, event ids
``<id>-b<n>``), written from the texts alone and committed before the gold was opened.

Step 3 — **agreement** (``python benchmarks/news_agreement.py``, the default): annotator B scored against
annotator A (``corpus/news/gold.jsonl``) with :func:`critmin.news.evaluate.score`, both ways (the matching rule
is not symmetric when one side lists no minerals), overall and by event type, salience and language; date
agreement over matched pairs; agreement on ``mineral_relevant`` and on salience over matched pairs (observed
and Cohen's kappa); the extractor on the same articles scored against A, against B and against the
*consensus* (A's events that B also found). F1 intervals are percentile bootstraps over articles. Writes
``benchmarks/results/news_agreement.json`` — ids, types, actors, counts and causes, never article text.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AGREEMENT = REPO / "corpus" / "news" / "agreement"
SAMPLE_SEED = 20261114
SAMPLE_SIZE = {"event": 27, "distractor": 3}
BOOTSTRAP_SEED = 20261115
BOOTSTRAP_ROUNDS = 2000
# Causes of a disagreement between annotators (step 4); the adjudication file names one per disagreement.
CAUSES = {
    "missed": "one annotator missed an event the rules require",
    "granularity": "one event against several",
    "background": "a background mention counted as an event or not",
    "type": "event type chosen differently",
    "actors": "actor chosen differently",
    "minerals": "mineral scope",
    "date": "date of the act",
    "salience": "main against background",
}


def _batches(root: Path) -> list[tuple[int, int, int]]:
    """(batch, first article number, last article number) of ``batches.json``."""
    spec = json.loads((root / "batches.json").read_text(encoding="utf-8"))
    return [(b["batch"], int(b["first_id"][1:]), int(b["last_id"][1:])) for b in spec["batches"]]


SAMPLE_BATCHES = (1, 2, 3)  # the collection batches the sample was drawn from (later batches came after it)


def sample_batches(root: Path) -> list[tuple[int, int, int]]:
    """The batches the agreement sample is drawn from: batches collected later do not change the draw."""
    return [b for b in _batches(root) if b[0] in SAMPLE_BATCHES]


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
    known = [(lo, hi) for _, lo, hi in batches]  # only the batches given (the sample's: 1-3)
    tuning = sorted(
        (
            r
            for r in records
            if r["split"] == "tuning" and any(lo <= int(r["id"][1:]) <= hi for lo, hi in known)
        ),
        key=lambda r: r["id"],
    )
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
    sample = draw_sample(records, sample_batches(corpus_root))
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


def read_events(path: Path, article_ids) -> dict[str, list[dict]]:
    """Events of a JSONL file in the gold schema, by article id, for ``article_ids`` only (every id present)."""
    out: dict[str, list[dict]] = {i: [] for i in article_ids}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            ev = json.loads(line)
            if ev["article_id"] in out:
                out[ev["article_id"]].append(ev)
    return out


def _evidence_overlap(a: dict, b: dict) -> float:
    return difflib.SequenceMatcher(None, a.get("evidence") or "", b.get("evidence") or "").ratio()


def align(
    extracted: list[dict], gold: list[dict], *, by_evidence: bool = False
) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """(matched pairs (extracted, gold), unmatched extracted, unmatched gold) of one article.

    The one-to-one greedy matching of :func:`critmin.news.evaluate.score` (:func:`~critmin.news.evaluate.pairs`):
    extracted events in text order, each taking the first unused gold event it matches. With ``by_evidence``
    each takes, among the unused gold events it matches, the one whose evidence quote is most alike
    (``difflib`` ratio; ties: the first) — the pairing a reader would make, used to compare two annotators'
    events attribute by attribute (the scorer's pairing can pair a background event with a main one when
    both fit). Events of every ``mineral_relevant`` value take part; filter first to score as the scorer does.
    """
    from critmin.news.evaluate import pairs

    matching = pairs(extracted, gold, prefer=_evidence_overlap if by_evidence else None)
    used = {hit for _, hit in matching if hit is not None}
    return (
        [(extracted[k], gold[hit]) for k, hit in matching if hit is not None],
        [extracted[k] for k, hit in matching if hit is None],
        [g for i, g in enumerate(gold) if i not in used],
    )


def cohen_kappa(labels_a: list, labels_b: list) -> dict:
    """Observed agreement and Cohen's kappa of two coders' labels on the same items.

    kappa = (A_o - A_e) / (1 - A_e), A_e = sum_k p_a(k) p_b(k) from each coder's own marginals (Cohen 1960;
    Artstein & Poesio 2008, section 2.4). ``kappa`` is None when A_e = 1 (both coders used one and the same
    label only: agreement beyond chance is undefined).
    """
    n = len(labels_a)
    if n != len(labels_b):
        raise ValueError(f"coders labelled {n} and {len(labels_b)} items")
    if n == 0:
        return {"n": 0, "observed": None, "expected": None, "kappa": None}
    observed = sum(a == b for a, b in zip(labels_a, labels_b, strict=True)) / n
    ca, cb = Counter(labels_a), Counter(labels_b)
    expected = sum(ca[k] * cb[k] for k in ca) / n**2
    kappa = None if expected == 1 else (observed - expected) / (1 - expected)
    return {
        "n": n,
        "observed": round(observed, 4),
        "expected": round(expected, 4),
        "kappa": None if kappa is None else round(kappa, 4),
    }


def prf(tp: int, fp: int, fn: int) -> dict:
    """Precision, recall and F1 of counts (1.0 for an empty side, as :func:`critmin.news.evaluate.score`)."""
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def _relevant(events: list[dict]) -> list[dict]:
    return [e for e in events if e.get("mineral_relevant", True)]


def _counts(extracted: dict, gold: dict, ids) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for i in ids:
        pairs, spurious, missed = align(_relevant(extracted[i]), _relevant(gold[i]))
        tp, fp, fn = tp + len(pairs), fp + len(spurious), fn + len(missed)
    return tp, fp, fn


def bootstrap_f1(
    extracted: dict, gold: dict, ids, rounds: int = BOOTSTRAP_ROUNDS, seed: int = BOOTSTRAP_SEED
):
    """95% percentile interval of F1 over articles resampled with replacement (the article is the unit:
    the events of one article are not independent; Efron & Tibshirani 1993, ch. 13)."""
    per = {i: _counts(extracted, gold, [i]) for i in ids}
    rng = random.Random(seed)
    ids = list(ids)
    f1s = []
    for _ in range(rounds):
        tp = fp = fn = 0
        for i in rng.choices(ids, k=len(ids)):
            tp, fp, fn = tp + per[i][0], fp + per[i][1], fn + per[i][2]
        f1s.append(prf(tp, fp, fn)["f1"])
    f1s.sort()
    return [f1s[int(0.025 * rounds)], f1s[int(0.975 * rounds) - 1]]


def compare(extracted: dict, gold: dict, ids, languages: dict) -> dict:
    """One side scored against the other (:func:`critmin.news.evaluate.score`): overall with a bootstrap
    interval, by salience (the reference's salience for recall, the scored side's for precision), by event type
    and language, and the scorer's date accuracy over matched pairs."""
    from critmin.news.evaluate import score

    res = score({i: extracted[i] for i in ids}, {i: gold[i] for i in ids})
    tp, fp, fn = _counts(extracted, gold, ids)
    if (tp, fp, fn) != (res["tp"], res["fp"], res["fn"]):  # align() must be the scorer's own matching
        raise AssertionError(f"align {tp, fp, fn} != score {res['tp'], res['fp'], res['fn']}")
    out = {**prf(tp, fp, fn), "f1_95ci": bootstrap_f1(extracted, gold, ids)}
    out["date_accuracy"] = None if res["date_accuracy"] is None else round(res["date_accuracy"], 4)
    out["dates_correct"], out["dates_scored"] = res["dates_correct"], res["dates_scored"]
    found, made = Counter(), Counter()  # (salience, hit?) of reference events / of scored events
    for i in ids:
        pairs, spurious, missed = align(_relevant(extracted[i]), _relevant(gold[i]))
        found.update((g["salience"], True) for _, g in pairs)
        found.update((g["salience"], False) for g in missed)
        made.update((e.get("salience", "main"), True) for e, _ in pairs)
        made.update((e.get("salience", "main"), False) for e in spurious)
    out["by_salience"] = {}
    for s in ("main", "background"):
        n_ref, n_made = found[s, True] + found[s, False], made[s, True] + made[s, False]
        out["by_salience"][s] = {
            "n_reference": n_ref,
            "n_scored": n_made,
            "recall": round(found[s, True] / n_ref, 4) if n_ref else None,
            "precision": round(made[s, True] / n_made, 4) if n_made else None,
        }
    out["by_type"] = {t: prf(c["tp"], c["fp"], c["fn"]) for t, c in sorted(res["by_type"].items())}
    out["by_language"] = {
        lang: prf(*_counts(extracted, gold, [i for i in ids if languages[i] == lang]))
        for lang in sorted(set(languages.values()))
    }
    return out


def _actor_set(ev: dict) -> list[str]:
    return sorted(set(ev["initiator"]) | set(ev["counterparts"]))


def pair_attributes(pairs: list[tuple[dict, dict]]) -> dict:
    """Agreement of matched pairs (b, a) attribute by attribute: date (identical string, so precision counts),
    actor set, mineral set, salience, status (free text in the schema; not scored)."""
    from critmin.news.evaluate import date_correct

    n = len(pairs)
    out = {"n_pairs": n}
    tests = {
        "date": lambda b, a: b["date"] == a["date"],
        "actors": lambda b, a: _actor_set(b) == _actor_set(a),
        "minerals": lambda b, a: sorted(b["minerals"]) == sorted(a["minerals"]),
        "salience": lambda b, a: b["salience"] == a["salience"],
        "status": lambda b, a: b["status"] == a["status"],
    }
    for name, same in tests.items():
        k = sum(same(b, a) for b, a in pairs)
        out[name] = {"identical": k, "share": round(k / n, 4) if n else None}
    out["date"]["both_undated"] = undated = sum(b["date"] is None and a["date"] is None for b, a in pairs)
    out["date"]["identical_among_dated_by_either"] = [out["date"]["identical"] - undated, n - undated]
    out["date"]["scorer_b_vs_a_correct"] = sum(date_correct(b["date"], a["date"]) for b, a in pairs)
    out["salience"]["kappa"] = cohen_kappa(
        [a["salience"] for _, a in pairs], [b["salience"] for b, _ in pairs]
    )
    return out


def disagreements(pairs, only_b, only_a) -> list[dict]:
    """Every disagreement of B with A, one row each: an event one annotator has and the other has not
    (``kind`` "event"; a type disagreement shows as one event on each side), or a scored attribute of a matched
    pair that differs (``kind`` "date", "actors", "minerals", "salience")."""
    rows = [{"kind": "event", "a": None, "b": e["event_id"]} for e in only_b]
    rows += [{"kind": "event", "a": g["event_id"], "b": None} for g in only_a]
    for b, a in pairs:
        for kind, differs in (
            ("date", b["date"] != a["date"]),
            ("actors", _actor_set(b) != _actor_set(a)),
            ("minerals", sorted(b["minerals"]) != sorted(a["minerals"])),
            ("salience", b["salience"] != a["salience"]),
        ):
            if differs:
                rows.append({"kind": kind, "a": a["event_id"], "b": b["event_id"]})
    return rows


def adjudicate(found: list[dict], path: Path) -> dict:
    """Match the computed disagreements with the adjudication file (one JSON row per disagreement, covering one
    or two of them: ``kind``, ``a``, ``b``, ``cause``, ``verdict``, ``clarification``, ``reason``) and count
    causes and verdicts. An adjudication row covers a disagreement when kind and the event ids it names agree."""
    rows = (
        [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        if path.exists()
        else []
    )
    unknown = [r["cause"] for r in rows if r["cause"] not in CAUSES]
    if unknown:
        raise ValueError(f"{path}: unknown cause(s) {unknown}; expected one of {sorted(CAUSES)}")

    def covers(row, d):
        return (
            row["kind"] == d["kind"]
            and all(d[s] is None or d[s] in (row["a"], row["b"]) for s in "ab")
            and (d["a"] or d["b"]) in (row["a"], row["b"])
        )

    open_ = [d for d in found if not any(covers(r, d) for r in rows)]
    stale = [r for r in rows if not any(covers(r, d) for d in found)]
    return {
        "n_differences": len(found),  # unmatched events and differing attributes, as computed
        "n_disagreements": len(
            rows
        ),  # adjudicated units (a type clash is one unit over two unmatched events)
        "complete": not open_ and not stale,
        "unadjudicated": open_,
        "stale_rows": stale,
        "by_cause": dict(Counter(r["cause"] for r in rows).most_common()),
        "by_verdict": dict(Counter(r["verdict"] for r in rows).most_common()),
        "gold_a_errors": [
            {"a": r["a"], "b": r["b"], "reason": r["reason"]} for r in rows if r.get("gold_a_error")
        ],
        "rows": [{k: r[k] for k in ("kind", "a", "b", "cause", "verdict", "clarification")} for r in rows],
    }


def agreement(corpus_root: Path, sample_path: Path, second_path: Path, adjudication_path: Path) -> dict:
    """The study (step 3): annotator B against A, the disagreements and their causes, then the extractor
    against A, B and the consensus."""
    from critmin.news.corpus import load_corpus
    from critmin.news.extract import EXTRACTOR_VERSION, extract_events

    sample = json.loads(sample_path.read_text(encoding="utf-8"))
    ids = sample["ids"]
    corpus = load_corpus("tuning", corpus_root)
    by_id = {a.id: a for a in corpus.articles}
    if set(ids) - set(by_id):  # the sample is all tuning: a held-out id is refused, never read
        raise ValueError(f"sample ids outside the tuning part: {sorted(set(ids) - set(by_id))}")
    languages = {i: by_id[i].language for i in ids}
    gold_a = {i: corpus.gold.get(i, []) for i in ids}
    gold_b = read_events(second_path, ids)
    out: dict = {
        "sample": {"n_articles": len(ids), "ids": ids, "by_language": dict(Counter(languages.values()))},
        "annotators": {},
    }
    for name, g, f in (
        ("A", gold_a, "corpus/news/gold.jsonl"),
        ("B", gold_b, "corpus/news/agreement/second.jsonl"),
    ):
        out["annotators"][name] = {
            "file": f,
            "n_events": sum(map(len, g.values())),
            "n_mineral_relevant": sum(len(_relevant(v)) for v in g.values()),
            "n_background": sum(e["salience"] == "background" for v in g.values() for e in v),
            "articles_without_events": sorted(i for i in ids if not _relevant(g[i])),
        }
    out["b_vs_a"] = compare(gold_b, gold_a, ids, languages)  # A as reference
    out["a_vs_b"] = compare(gold_a, gold_b, ids, languages)  # B as reference
    pairs, only_b, only_a, consensus = [], [], [], {}
    for i in ids:
        p, sb, sa = align(_relevant(gold_b[i]), _relevant(gold_a[i]), by_evidence=True)
        pairs, only_b, only_a = pairs + p, only_b + sb, only_a + sa
        consensus[i] = [a for _, a in p]
    out["pairs"] = pair_attributes(pairs)
    all_pairs = [p for i in ids for p in align(gold_b[i], gold_a[i], by_evidence=True)[0]]
    out["pairs"]["mineral_relevant"] = cohen_kappa(
        [a["mineral_relevant"] for _, a in all_pairs], [b["mineral_relevant"] for b, _ in all_pairs]
    )
    found = disagreements(pairs, only_b, only_a)
    out["adjudication"] = adjudicate(found, adjudication_path)
    contested = {i: [g for g in _relevant(gold_a[i]) if g not in consensus[i]] for i in ids}
    out["consensus"] = {
        "definition": "A's version of the events both annotators have (pairs matched by the scorer's rule)",
        "n_events": sum(map(len, consensus.values())),
        "a_only": sorted(g["event_id"] for g in only_a),
        "b_only": sorted(e["event_id"] for e in only_b),
    }
    extracted = {i: [e.to_dict() for e in extract_events(by_id[i].to_article())] for i in ids}
    tp_contested = _counts(extracted, contested, ids)[0]
    out["extractor"] = {
        "version": EXTRACTOR_VERSION,
        "vs_a": compare(extracted, gold_a, ids, languages),
        "vs_b": compare(extracted, gold_b, ids, languages),
        "vs_consensus": compare(extracted, consensus, ids, languages),
        "found_of_a_only": [tp_contested, len(only_a)],
    }
    return out


def _summary(res: dict) -> str:
    def line(name, d):
        ci = d["f1_95ci"]
        return (
            f"{name:<28} P {d['precision']:.3f}  R {d['recall']:.3f}  F1 {d['f1']:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]"
            f"  (tp {d['tp']}, fp {d['fp']}, fn {d['fn']})"
        )

    p, adj, ext = res["pairs"], res["adjudication"], res["extractor"]
    sal = res["b_vs_a"]["by_salience"]
    lines = [
        f"{res['sample']['n_articles']} tuning articles {res['sample']['by_language']}; events A "
        f"{res['annotators']['A']['n_mineral_relevant']}, B {res['annotators']['B']['n_mineral_relevant']}",
        line("B against A", res["b_vs_a"]),
        line("A against B", res["a_vs_b"]),
        "  recall/precision of B by salience: "
        + ", ".join(f"{s} R {v['recall']} P {v['precision']}" for s, v in sal.items()),
        "  by type (tp/fp/fn): "
        + ", ".join(f"{t} {v['tp']}/{v['fp']}/{v['fn']}" for t, v in res["b_vs_a"]["by_type"].items()),
        "  by language F1: "
        + ", ".join(f"{k} {v['f1']:.3f}" for k, v in res["b_vs_a"]["by_language"].items()),
        f"  matched pairs {p['n_pairs']}: same date {p['date']['identical']}, same actors "
        f"{p['actors']['identical']}, same minerals {p['minerals']['identical']}, same salience "
        f"{p['salience']['identical']} (kappa {p['salience']['kappa']['kappa']}), same status {p['status']['identical']}",
        f"  disagreements {adj['n_disagreements']} ({adj['n_differences']} differences; adjudication complete: "
        f"{adj['complete']}): {adj['by_cause']}; verdicts {adj['by_verdict']}",
        line("extractor against A", ext["vs_a"]),
        line("extractor against B", ext["vs_b"]),
        line("extractor against consensus", ext["vs_consensus"]),
        f"  extractor found {ext['found_of_a_only'][0]} of the {ext['found_of_a_only'][1]} events only A has",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", nargs="?", default="agreement", choices=["select", "agreement"])
    p.add_argument("--corpus", type=Path, default=REPO / "corpus" / "news")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "news_agreement.json")
    args = p.parse_args(argv)
    if args.step == "select":
        doc = select(args.corpus, AGREEMENT / "sample.json")
        print(f"{doc['n']} tuning articles ({doc['by_language']}) -> {AGREEMENT / 'sample.json'}")
        return 0
    res = agreement(
        args.corpus, AGREEMENT / "sample.json", AGREEMENT / "second.jsonl", AGREEMENT / "adjudication.jsonl"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(_summary(res))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
