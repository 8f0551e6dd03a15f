"""Study: does a learned sentence classifier help the rule-based news extractor? (issue 14, item 2)

The design question: a sentence-level event classifier (TF-IDF word n-grams + logistic regression, Joachims
1998; scikit-learn) trained on the corpus's tuning part, used either

* as a **veto** — drop a rule event whose sentence the classifier gives a low event probability, or
* as a **recall source** — propose sentences the classifier scores high that no rule read.

Sentences are labelled from the tuning gold (a sentence that holds a mineral-relevant gold event's evidence is
an event sentence). Names are replaced by their kind (COUNTRY, MINERAL, COMPANY, GROUPING) and numbers by
NUM/MONEY, so the model learns the phrasing, not the stories. Scores are 5-fold cross-validated **by article**
on the tuning part; the held-out part is touched once, in aggregate only, to compare the two designs with the
model trained on the whole tuning part, as the issue asks ("keep whichever design scores best on the
held-out part").

Needs scikit-learn (not a dependency of critmin: the study decides whether it earns one). Writes
``benchmarks/results/news_classifier_study.json``.

    python benchmarks/news_classifier_study.py [--threshold 0.15]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
KIND_TOKEN = {
    "mineral": " MINERAL ",
    "product": " MINERAL ",
    "grouping": " GROUPING ",
    "company": " COMPANY ",
}


def normalise(sentence) -> str:
    """The sentence with names replaced by their kind and numbers by NUM/MONEY, lower case."""
    text, out, pos = sentence.text, [], 0
    for m in sentence.mentions:
        s, e = m.start - sentence.start, m.end - sentence.start
        out += [text[pos:s], KIND_TOKEN.get(m.kind, " COUNTRY ")]
        pos = e
    out.append(text[pos:])
    t = re.sub(r"[$€£¥]\s?\d[\d,.]*(?:\s?(?:million|billion|bn|m))?", " MONEY ", "".join(out))
    return re.sub(r"\d+", " NUM ", t).lower()


def sentence_rows(corpus):
    """(article id, sentence, is an event sentence, normalised text) for every sentence of the part."""
    from critmin.news.extract import _Extractor

    rows = []
    for a in corpus.with_text:
        article = a.to_article()
        spans = []
        for g in corpus.gold.get(a.id, []):
            k = article.text.find(g["evidence"]) if g["mineral_relevant"] else -1
            if k >= 0:
                spans.append((k, k + len(g["evidence"])))
        for s in _Extractor(article).sentences:
            label = any(x < s.end and s.start < y for x, y in spans)
            rows.append((a.id, s, label, normalise(s)))
    return rows


def _model():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000),
    )


def _score(events, gold, keep) -> dict:
    from critmin.news.evaluate import score

    kept = {
        aid: [e.to_dict() for e in evs if not e.mineral_relevant or keep(aid, e)]
        for aid, evs in events.items()
    }
    r = score(kept, gold)
    return {
        k: round(r[k], 4) if isinstance(r[k], float) else r[k]
        for k in ("precision", "recall", "f1", "tp", "fp", "fn")
    }


def run(threshold: float) -> dict:
    import numpy as np
    from sklearn.model_selection import GroupKFold

    from critmin.news.corpus import load_corpus
    from critmin.news.extract import extract_events

    tuning = load_corpus("tuning")
    rows = sentence_rows(tuning)
    texts = [r[3] for r in rows]
    y = np.array([r[2] for r in rows])
    groups = np.array([r[0] for r in rows])
    prob = np.zeros(len(rows))
    for train, test in GroupKFold(5).split(texts, y, groups):
        model = _model().fit([texts[i] for i in train], y[train])
        prob[test] = model.predict_proba([texts[i] for i in test])[:, 1]
    p_of = {(r[0], r[1].start): p for r, p in zip(rows, prob, strict=True)}
    events = {a.id: extract_events(a.to_article()) for a in tuning.with_text}
    gold = {a.id: tuning.gold.get(a.id, []) for a in tuning.with_text}
    veto = {
        str(t): _score(events, gold, lambda aid, e, t=t: p_of.get((aid, e.evidence_start), 1.0) >= t)
        for t in (0.0, *THRESHOLDS)
    }
    covered = {(aid, e.evidence_start) for aid, evs in events.items() for e in evs}
    adder = {}
    for t in (0.5, 0.6, 0.7, 0.8):
        cand = [r for r, p in zip(rows, prob, strict=True) if p >= t and (r[0], r[1].start) not in covered]
        adder[str(t)] = {"sentences_proposed": len(cand), "of_which_event_sentences": sum(r[2] for r in cand)}

    # the held-out part, once and in aggregate: rules alone vs rules + veto trained on the whole tuning part
    heldout = load_corpus("heldout")
    compare = {"status": "texts unavailable"}
    if heldout.with_text and heldout.gold:
        model = _model().fit(texts, y)
        h_rows = sentence_rows(heldout)
        h_prob = model.predict_proba([r[3] for r in h_rows])[:, 1]
        h_p = {(r[0], r[1].start): p for r, p in zip(h_rows, h_prob, strict=True)}
        h_events = {a.id: extract_events(a.to_article()) for a in heldout.with_text}
        h_gold = heldout.gold_for(heldout.with_text)
        compare = {
            "rules": _score(h_events, h_gold, lambda aid, e: True),
            f"rules_with_veto_{threshold}": _score(
                h_events, h_gold, lambda aid, e: h_p.get((aid, e.evidence_start), 1.0) >= threshold
            ),
        }
    return {
        "benchmark": "news_classifier_study",
        "model": "TF-IDF word 1-2-grams (names and numbers replaced by their kind) + logistic regression",
        "tuning_sentences": len(rows),
        "tuning_event_sentences": int(y.sum()),
        "cv": "5-fold GroupKFold by article on the tuning part",
        "veto_cv": veto,
        "adder_cv": adder,
        "heldout_aggregate": compare,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.15, help="veto threshold compared on held-out")
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results" / "news_classifier_study.json"
    )
    args = parser.parse_args(argv)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print(
            "this study needs scikit-learn (pip install scikit-learn); critmin itself does not",
            file=sys.stderr,
        )
        return 2
    res = run(args.threshold)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(f"tuning: {res['tuning_sentences']} sentences, {res['tuning_event_sentences']} with a gold event")
    for t, r in res["veto_cv"].items():
        print(
            f"  veto at {t}: P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f} (tp {r['tp']}, fp {r['fp']})"
        )
    for t, r in res["adder_cv"].items():
        print(
            f"  adder at {t}: {r['sentences_proposed']} sentences, {r['of_which_event_sentences']} with an event"
        )
    for name, r in res["heldout_aggregate"].items():
        if isinstance(r, dict):
            print(f"  HELD-OUT {name}: P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
