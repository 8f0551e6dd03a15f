"""The learned candidate-event study (benchmarks/news_candidate_study.py) on an invented article.

Candidates are (sentence, type, actor) with a mineral; a candidate is positive when it matches a gold event
quoted from its sentence, negative when it matches none, and unused for training when it matches an event
quoted elsewhere. Decoding keeps the rules' events and adds a candidate only when it matches no kept event.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.news.corpus import CorpusArticle
from critmin.news.evaluate import matches

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("ncand", REPO / "benchmarks" / "news_candidate_study.py")
study = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(study)

TEXT = (
    "Gallium curbs and a rare earth pact\n\n"
    "China imposed export controls on gallium and germanium on Monday, the commerce ministry said.\n\n"
    "Japan and Italy signed a memorandum on rare earth supply chains in Rome on Tuesday.\n\n"
    "Prices of gallium rose in Rotterdam trading, analysts in Germany said."
)
GOLD = [
    {
        "event_type": "export_restriction",
        "initiator": ["CHN"],
        "counterparts": [],
        "minerals": ["gallium", "germanium"],
        "mineral_relevant": True,
        "evidence": "China imposed export controls on gallium and germanium on Monday",
        "date": None,
    },
    {
        "event_type": "agreement",
        "initiator": ["JPN"],
        "counterparts": ["ITA"],
        "minerals": ["rare_earths"],
        "mineral_relevant": True,
        "evidence": "Japan and Italy signed a memorandum on rare earth supply chains",
        "date": None,
    },
]


def _article() -> CorpusArticle:
    meta = {
        "id": "x001",
        "url": "https://example.org/x001",
        "title": "Gallium curbs and a rare earth pact",
        "outlet": "Example Wire",
        "published": "2025-03-05",
        "published_basis": "dateline",
        "language": "en",
        "split": "tuning",
        "story": "x",
    }
    return CorpusArticle(meta=meta, text=TEXT)


def test_labels_follow_the_scoring_rule_and_the_quoted_sentence():
    rows, rules = study.candidates(_article(), GOLD)
    positive = {(r["event_type"], r["initiator"][0]) for r in rows if r["label"] == 1}
    assert positive == {("export_restriction", "CHN"), ("agreement", "JPN"), ("agreement", "ITA")}
    # the market sentence names Germany and gallium: candidates, all negative
    market = [r for r in rows if "Prices of gallium" in r["text"]]
    assert market and all(r["label"] == 0 for r in market)
    # every candidate carries its type's conjoined features and the shared ones
    for r in rows:
        assert f"type={r['event_type']}" in r["features"]
        assert any(f.startswith(f"{r['event_type']}|g=") for f in r["features"])
    assert all(isinstance(e, dict) and "event_type" in e for e in rules)


def test_candidates_without_gold_are_unlabelled():
    rows, _ = study.candidates(_article(), None)
    assert rows and all(r["label"] is None for r in rows)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=200), st.sampled_from(study.THRESHOLDS), st.booleans())
def test_decode_keeps_rules_and_never_adds_a_matching_duplicate(ps, threshold, with_rules):
    rows, rules = study.candidates(_article(), GOLD)
    probs = np.resize(np.array(ps), len(rows))
    out = study.decode(rows, probs, threshold, {"x001": rules}, with_rules)["x001"]
    if with_rules:
        assert out[: len(rules)] == rules
    added = out[len(rules) :] if with_rules else out
    assert len(added) <= sum(p >= threshold for p in probs)
    for i, a in enumerate(out):
        for b in out[i + 1 :]:
            if a in added or b in added:
                assert not matches(a, b) and not matches(b, a)
