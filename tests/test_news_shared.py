"""The must-show cases on the real texts in ../shared (skipped when absent; the texts are never copied here).

* the seed article (published 2026-01-16) yields exactly the events of seed-events.jsonl (type, actors,
  minerals, date), and its JPN–ITA partnership upgrade reaches the partnerships table;
* the development set scores F1 ≥ 0.8 with precision ≥ 0.85 under its README's scoring rule.
"""

from __future__ import annotations

import json

import pytest

from critmin.news.extract import extract_events
from critmin.news.model import Article


def _seed(shared_dir):
    text = (shared_dir / "seed" / "seed-article.txt").read_text(encoding="utf-8")
    gold = [
        json.loads(x)
        for x in (shared_dir / "seed" / "seed-events.jsonl").read_text().splitlines()
        if x.strip()
    ]
    return text, gold


def _key(event_type, actors, minerals, date):
    return (event_type, tuple(sorted(set(actors))), tuple(sorted(minerals)), date)


def test_seed_article_yields_exactly_the_gold_events(shared_dir):
    text, gold = _seed(shared_dir)
    events = extract_events(Article(text=text, published="2026-01-16"))
    got = sorted(_key(e.event_type, e.actors, e.minerals, e.date) for e in events)
    want = sorted(
        _key(g["event_type"], g["initiator"] + g["counterparts"], g["minerals"], g["date"]) for g in gold
    )
    assert got == want
    for e in events:
        assert text[e.evidence_start : e.evidence_end] == e.evidence


def test_seed_article_without_publication_date_leaves_every_date_unknown(shared_dir):
    text, gold = _seed(shared_dir)
    events = extract_events(Article(text=text))
    assert len(events) == len(gold)
    assert all(e.date is None for e in events)


def test_seed_partnership_upgrade_reaches_the_partnerships_table(shared_dir, tmp_store):
    from critmin.news import store as news_store
    from critmin.news.linking import review
    from critmin.reference import partnerships as pt
    from critmin.store import Store

    st = Store(tmp_store)
    news_store.ingest(st, shared_dir / "seed" / "seed-article.txt", published="2026-01-16")
    df = pt.partnerships(st, country="JPN", include_unreviewed=True)
    news = df[(df["source"] == "news") & (df["level"] == "special strategic")]
    assert len(news) == 1
    rec = news.iloc[0]
    assert set(rec["parties"]) == {"JPN", "ITA"}
    assert (rec["previous_level"], rec["date"], rec["reviewed"]) == ("strategic", "2026-01-16", False)
    assert "special strategic" in rec["evidence"]
    event = news_store.events(st, event_type="partnership_upgrade").iloc[0]
    assert event["linked_id"] == rec["id"]
    assert (
        "corroborates JPN-ITA-special-strategic-2026" in event["link_note"]
    )  # the hand-compiled seed record
    review(st, event["event_id"], True)
    df = pt.partnerships(st, country="ITA", as_of="2026-02-01")
    assert rec["id"] in set(df["id"])


@pytest.fixture(scope="module")
def dev_scores(shared_dir):
    from critmin.news.evaluate import load_dev_set, score

    folder = shared_dir / "news-dev"
    if not (folder / "articles").is_dir():
        pytest.skip(f"needs the development set at {folder}")
    articles, gold = load_dev_set(folder)
    extracted = {a.external_id: [e.to_dict() for e in extract_events(a)] for a in articles}
    return score(extracted, gold), extracted


def test_dev_set_meets_the_targets(dev_scores):
    result, _ = dev_scores
    assert result["precision"] >= 0.85, result["events"]
    assert result["f1"] >= 0.8, result["events"]
    assert result["date_accuracy"] >= 0.8


def test_dev_set_distractors_yield_no_mineral_events(dev_scores):
    _, extracted = dev_scores
    for article_id in ("35", "38"):  # a mining accident; an Italian meeting without any agreement
        assert [e for e in extracted[article_id] if e["mineral_relevant"]] == []


def test_scoring_rule_on_a_hand_made_case():
    from critmin.news.evaluate import score

    gold = {"a": [{"event_id": "a-1", "event_type": "export_restriction", "initiator": ["CHN"], "counterparts": [],
                   "minerals": ["gallium"], "date": "2023-07", "mineral_relevant": True},
                  {"event_id": "a-2", "event_type": "other", "initiator": ["JPN"], "counterparts": ["ITA"],
                   "minerals": [], "date": None, "mineral_relevant": False}]}  # fmt: skip
    extracted = {"a": [
        {"event_type": "export_restriction", "initiator": ["CHN"], "counterparts": [], "minerals": ["gallium"],
         "date": "2023-07-04", "mineral_relevant": True},
        {"event_type": "export_restriction", "initiator": ["CHN"], "counterparts": [], "minerals": ["gallium"],
         "date": None, "mineral_relevant": True},  # a duplicate: a false positive
        {"event_type": "agreement", "initiator": ["USA"], "counterparts": [], "minerals": [], "date": None,
         "mineral_relevant": True},
    ]}  # fmt: skip
    r = score(extracted, gold)
    assert (r["tp"], r["fp"], r["fn"]) == (1, 2, 0)
    assert r["precision"] == pytest.approx(1 / 3) and r["recall"] == 1.0
    assert r["f1"] == pytest.approx(0.5)
    assert r["date_accuracy"] == 1.0  # 2023-07-04 is right at the gold's month precision
