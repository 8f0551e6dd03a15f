"""The learned sentence classifier (critmin.news.learned): features that stand for the phrasing, not the story;
a logistic model trained by L-BFGS that separates what it was shown; and its use as a recall source that reads
no actor or mineral from context. Sentences are invented."""

from __future__ import annotations

import math

import pytest

from critmin.news.extract import extract_events
from critmin.news.gazetteer import gazetteer
from critmin.news.learned import SentenceModel, features, tokens, train
from critmin.news.model import Article


def _words(text):
    return tokens(text, gazetteer().find(text))


def test_names_and_numbers_are_replaced_by_their_kind():
    words = _words("Japan will lend $150 million to a lithium miner in Chile in 2025.")
    assert words.count("_country_") == 2 and "_mineral_" in words and "_money_" in words and "_year_" in words
    assert "japan" not in words and "lithium" not in words  # the model learns phrasing, not stories


def test_features_are_unigrams_bigrams_language_and_rule_families():
    f = features(["_country_", "bans", "exports"], "it", {"restriction.verb", "restriction.impose"})
    assert {"bans", "_country_ bans", "bans exports", "lang=it", "kw=restriction"} <= set(f)


def _rows():
    pos = [
        "Ruritania banned exports of lithium ore.",
        "The ministry banned exports of cobalt on Monday.",
        "Freedonia banned shipments of graphite to the US.",
    ]
    neg = [
        "Lithium prices rose in March.",
        "The company reported higher cobalt output.",
        "Graphite demand is expected to grow.",
    ]
    rows = [{"labels": {"export_restriction"}, "features": features(_words(t))} for t in pos]
    return rows + [{"labels": set(), "features": features(_words(t))} for t in neg]


def test_training_separates_what_it_was_shown():
    spec = train(_rows(), ["export_restriction"], c=10.0, min_df=1)
    m = SentenceModel(spec)
    ban = m.scores(features(_words("Elbonia banned exports of nickel.")))["export_restriction"]
    market = m.scores(features(_words("Nickel prices rose in May.")))["export_restriction"]
    assert ban > 0.5 > market
    assert all(0.0 <= p <= 1.0 and not math.isnan(p) for p in (ban, market))


def _always(etype: str) -> SentenceModel:
    """A model that proposes ``etype`` for every sentence (its bias alone)."""
    return SentenceModel({"types": [etype], "bias": {etype: 5.0}, "weights": {}, "thresholds": {etype: 0.5}})


def test_a_learned_event_is_read_by_the_rules_slot_filling():
    text = "Ruritania is in the news. Beijing choked off antimony exports on Tuesday."
    rules_only = extract_events(Article(text=text, published="2025-03-12"), sentence_model=None)
    assert [e for e in rules_only if e.event_type == "export_restriction"] == []  # no rule reads "choked off"
    (ev,) = extract_events(
        Article(text=text, published="2025-03-12"), sentence_model=_always("export_restriction")
    )
    assert ev.rule == "learned.export_restriction" and ev.initiator == ["CHN"] and ev.minerals == ["antimony"]
    assert ev.date == "2025-03-11"


@pytest.mark.parametrize(
    "text",
    [
        "China is a large producer. Antimony exports were choked off on Tuesday.",  # no actor of its own
        "China is a large producer. Beijing choked off exports on Tuesday.",  # no mineral of its own
        "Antimony prices jumped after Beijing choked off antimony exports.",  # a market report
    ],
)
def test_a_learned_event_needs_its_own_actor_and_mineral_and_no_market_report(text):
    evs = extract_events(
        Article(text=text, published="2025-03-12"), sentence_model=_always("export_restriction")
    )
    assert [e for e in evs if e.rule.startswith("learned.")] == []
