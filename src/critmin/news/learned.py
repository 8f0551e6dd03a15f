"""A learned sentence classifier beside the rules: which event types a sentence states.

The trigger rules (:mod:`critmin.news.rules`) read the phrasings they were written for; news brings others
("EXIM was prepared to finance up to $122 million for the plant", "la Commissione ha adottato un elenco di
47 progetti strategici"). This module scores every sentence for every event type with a linear model over
word n-grams (Joachims 1998, "Text categorization with support vector machines", ECML; here L2-regularised
logistic regression, one model per type, Hastie, Tibshirani & Friedman 2009, *The Elements of Statistical
Learning*, §4.4). Names are replaced by their kind (``_country_``, ``_mineral_``, ``_agency_`` ...) and
numbers by ``_money_``/``_num_``/``_year_``, so the model learns how events are phrased, not which stories
the corpus holds. The extractor (:mod:`critmin.news.extract`) uses it as a **recall source**: a sentence the
model scores above its type's threshold, in which no rule found an event of that type, is read by the same
slot filling as a rule's trigger (actors, minerals, dates, modality); the event's ``rule`` is
``learned.<type>``.

The model is a small artefact, ``data/sentence_model.json`` (vocabulary, weights, thresholds, provenance),
built from the annotations of the corpus's **tuning** part only by :func:`build` (``python -m
critmin.news.learned``); scoring needs nothing but this file (no download, no scikit-learn). Training uses
numpy and scipy (L-BFGS).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections import Counter
from importlib import resources
from pathlib import Path

from critmin.errors import DataError
from critmin.news.rules import rulebook

MODEL_FILE = "sentence_model.json"
KIND_TOKEN = {
    "country": "_country_",
    "demonym": "_country_",
    "capital": "_country_",
    "eu": "_country_",
    "congo": "_country_",
    "leader": "_leader_",
    "institution": "_agency_",
    "grouping": "_group_",
    "company": "_company_",
    "mineral": "_mineral_",
    "product": "_mineral_",
}
_MONEY = re.compile(
    r"(?:(?:US|A|C|AU|NZ|HK|S)?\$|€|£|¥|\b(?:USD|EUR|AUD|CAD|JPY|GBP|CNY|RMB)\s?)\s?\d[\d,.]*"
    r"(?:\s?(?:million|billion|trillion|bn|mn|m|b|miliardi|milioni|miliardo|milione)\b)?"
    r"|\b\d[\d,.]*\s?(?:million|billion|trillion|bn|mn|miliardi|milioni)\b(?:\s(?:di\s)?(?:dollars|euros?|yen|euro|dollari))?",
    re.I,
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_NUM = re.compile(r"\d[\d,.]*")
_WORD = re.compile(r"[a-zà-ÿ_]+")


def tokens(text: str, mentions, offset: int = 0) -> list[str]:
    """The sentence's words with names replaced by their kind and numbers by their class, lower case."""
    parts, pos = [], 0
    for m in mentions:
        s, e = m.start - offset, m.end - offset
        if s < pos or s < 0 or e > len(text):
            continue
        parts += [text[pos:s], f" {KIND_TOKEN.get(m.kind, '_country_')} "]
        pos = e
    parts.append(text[pos:])
    t = _MONEY.sub(" _money_ ", "".join(parts))
    t = _YEAR.sub(" _year_ ", t)
    t = _NUM.sub(" _num_ ", t)
    return _WORD.findall(t.lower())


def features(words: list[str], language: str = "en", rules: set[str] | frozenset = frozenset()) -> list[str]:
    """Unigrams and bigrams of the normalised words, the language, and the trigger rules whose keywords the
    sentence holds (``rules``: rule ids, from :meth:`critmin.news.rules.KeywordIndex.names`)."""
    out = list(words)
    out += [f"{a} {b}" for a, b in itertools.pairwise(words)]
    out.append(f"lang={language}")
    out += [f"kw={r.split('.')[0]}" for r in rules]
    if "_mineral_" in words:
        out.append("has_mineral")
    if words.count("_country_") + words.count("_agency_") + words.count("_leader_") >= 2:
        out.append("two_actors")
    return out


class SentenceModel:
    """One linear model per event type over sentence features (see the module docstring)."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.types: list[str] = list(spec["types"])
        self.thresholds: dict[str, float] = dict(spec["thresholds"])
        self.bias: dict[str, float] = dict(spec["bias"])
        # feature -> weights by type (only the features the training kept)
        self.weights: dict[str, list[float]] = {f: list(w) for f, w in spec["weights"].items()}

    def scores(self, feats: list[str]) -> dict[str, float]:
        """P(the sentence states an event of type t) for every type."""
        z = [self.bias[t] for t in self.types]
        for f in set(feats):
            w = self.weights.get(f)
            if w is not None:
                for k, v in enumerate(w):
                    z[k] += v
        return {
            t: 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, zk)))) for t, zk in zip(self.types, z, strict=True)
        }

    def proposed(self, feats: list[str]) -> list[tuple[str, float]]:
        """The types whose score reaches their threshold, best first."""
        s = self.scores(feats)
        hits = [(t, p) for t, p in s.items() if p >= self.thresholds.get(t, 1.1)]
        return sorted(hits, key=lambda tp: -tp[1])


@functools.cache
def model() -> SentenceModel | None:
    """The shipped model (``data/sentence_model.json``), or None when it has not been built."""
    try:
        text = resources.files("critmin.news").joinpath(f"data/{MODEL_FILE}").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return SentenceModel(json.loads(text))
    except (KeyError, ValueError, TypeError) as exc:
        raise DataError(f"malformed sentence model: {exc}", path=MODEL_FILE) from None


# -- training (numpy/scipy; used by `build` and the benchmark's cross-validation) --------------------------------
def sentence_rows(articles, gold: dict[str, list[dict]]) -> list[dict]:
    """One row per sentence of the given corpus articles: its features and the gold event types whose evidence
    overlaps it (mineral-relevant events only)."""
    from critmin.news.extract import _Extractor

    rows = []
    for a in articles:
        article = a.to_article()
        spans = []
        for g in gold.get(a.id, []):
            k = article.text.find(g["evidence"]) if g["mineral_relevant"] else -1
            if k >= 0:
                spans.append((k, k + len(g["evidence"]), g["event_type"]))
        ex = _Extractor(article)
        for s in ex.sentences:
            labels = {t for x, y, t in spans if x < s.end and s.start < y}
            rules = rulebook().keywords.names(s.lower)
            feats = features(tokens(s.text, s.mentions, s.start), article.language or "en", rules)
            rows.append({"article": a.id, "start": s.start, "labels": labels, "features": feats})
    return rows


def _fit_binary(X, y, sample_weight, c: float):
    """L2-regularised logistic regression (weights, bias) by L-BFGS."""
    import numpy as np
    from scipy.optimize import minimize

    d = X.shape[1]
    ys = np.where(y, 1.0, -1.0)

    def loss(theta):
        w, b = theta[:d], theta[d]
        z = X @ w + b
        m = ys * z
        # log(1 + exp(-m)), stable
        lo = np.logaddexp(0.0, -m)
        f = float(np.dot(sample_weight, lo)) + 0.5 / c * float(w @ w)
        s = -ys * sample_weight * (1.0 / (1.0 + np.exp(m)))
        g = np.empty(d + 1)
        g[:d] = X.T @ s + w / c
        g[d] = s.sum()
        return f, g

    res = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x[:d], float(res.x[d])


def vocabulary(rows: list[dict], min_df: int = 2) -> dict[str, int]:
    """Feature -> column for the features at least ``min_df`` rows hold (sorted: deterministic columns)."""
    df = Counter(f for r in rows for f in set(r["features"]))
    return {f: i for i, f in enumerate(sorted(f for f, k in df.items() if k >= min_df))}


def binary_matrix(rows: list[dict], index: dict[str, int]):
    """The rows' features as a 0/1 sparse matrix (CSR) over ``index``'s columns; unknown features dropped."""
    import numpy as np
    from scipy.sparse import csr_matrix

    data, ind, ptr = [], [], [0]
    for r in rows:
        cols = sorted({index[f] for f in r["features"] if f in index})
        ind += cols
        data += [1.0] * len(cols)
        ptr.append(len(ind))
    return csr_matrix(
        (np.array(data), np.array(ind, dtype=np.int64), np.array(ptr)), shape=(len(rows), len(index))
    )


def balanced_weights(y):
    """Sample weights that make the few positives weigh as much, in all, as the many negatives."""
    import numpy as np

    pos = max(1, int(y.sum()))
    return np.where(y, len(y) / (2.0 * pos), len(y) / (2.0 * max(1, len(y) - pos)))


def train(rows: list[dict], types: list[str], c: float = 1.0, min_df: int = 2) -> dict:
    """A model spec (vocabulary, weights, biases; thresholds 0.5) from sentence rows."""
    import numpy as np

    index = vocabulary(rows, min_df)
    X = binary_matrix(rows, index)
    W = np.zeros((len(index), len(types)))
    bias = {}
    for k, t in enumerate(types):
        y = np.array([t in r["labels"] for r in rows])
        # balanced classes: the few event sentences weigh as much as the many others
        w, b = _fit_binary(X, y, balanced_weights(y), c)
        W[:, k] = w
        bias[t] = b
    # features whose weights are all small change no score that matters: dropped (a smaller artefact)
    keep = {f: [round(float(v), 3) for v in W[i]] for f, i in index.items() if np.abs(W[i]).max() >= 0.02}
    return {"types": list(types), "bias": bias, "weights": keep, "thresholds": {t: 0.5 for t in types}}


def build(out: Path | None = None, c: float = 1.0, thresholds: dict[str, float] | None = None) -> dict:
    """Train on the corpus's tuning part and write the artefact (``data/sentence_model.json`` by default)."""
    from critmin.news.corpus import load_corpus
    from critmin.news.model import EVENT_TYPES

    tuning = load_corpus("tuning")
    if tuning.missing_text:
        raise DataError(
            f"{len(tuning.missing_text)} tuning texts are missing from the cache", path=str(tuning.cache)
        )
    rows = sentence_rows(tuning.with_text, tuning.gold)
    types = [t for t in EVENT_TYPES if any(t in r["labels"] for r in rows)]
    spec = train(rows, types, c=c)
    if thresholds:
        spec["thresholds"].update(thresholds)
    spec["provenance"] = {
        "trained_on": "corpus/news split 'tuning' (held-out never read)",
        "n_articles": len(tuning.with_text),
        "n_sentences": len(rows),
        "n_event_sentences": {t: sum(t in r["labels"] for r in rows) for t in types},
        "c": c,
        "method": "one L2 logistic regression per type over word 1-2-grams (names and numbers by kind)",
    }
    path = out or Path(__file__).with_name("data") / MODEL_FILE
    path.write_text(
        json.dumps(spec, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8"
    )
    return spec


if __name__ == "__main__":  # pragma: no cover - a build step
    import argparse

    p = argparse.ArgumentParser(description="Build data/sentence_model.json from the tuning annotations.")
    p.add_argument("--c", type=float, default=1.0)
    p.add_argument("--threshold", action="append", default=[], help="type=value (repeatable)")
    a = p.parse_args()
    th = {k: float(v) for k, v in (x.split("=", 1) for x in a.threshold)}
    spec = build(c=a.c, thresholds=th)
    print(f"wrote {MODEL_FILE}: {len(spec['weights'])} features, types {spec['types']}")
