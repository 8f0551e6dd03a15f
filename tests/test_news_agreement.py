"""The inter-annotator agreement study (benchmarks/news_agreement.py, corpus/news/agreement/).

Annotator B's events (``second.jsonl``) validate like the gold and quote their texts. The sample is drawn
from the tuning part only and is reproducible from its seed. Every A/B disagreement has its adjudication.
The scorer (:func:`critmin.news.evaluate.score`) behaves as the study assumes: tp is the same both ways
when the matching rule is symmetric, an annotation scored against itself gets F1 = 1, and a duplicate
counts as a false positive. The texts come from the local cache; tests that need a text skip, with the
reason, when the cache is absent.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.news import corpus as nc
from critmin.news.evaluate import score
from critmin.news.model import clean_text

REPO = Path(__file__).resolve().parents[1]
AGREEMENT = REPO / "corpus" / "news" / "agreement"


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("news_agreement", REPO / "benchmarks" / "news_agreement.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bench = _load_benchmark()


@pytest.fixture(scope="module")
def records():
    return {r["id"]: r for r in nc.read_articles()}


@pytest.fixture(scope="module")
def sample():
    return json.loads((AGREEMENT / "sample.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def second():
    lines = (AGREEMENT / "second.jsonl").read_text(encoding="utf-8").splitlines()
    return [(n, json.loads(x)) for n, x in enumerate(lines, start=1) if x.strip()]


# --- the sample --------------------------------------------------------------------------------------------


def test_sample_is_tuning_only(records, sample):
    assert len(sample["ids"]) == len(set(sample["ids"])) == 30
    assert {records[i]["split"] for i in sample["ids"]} == {"tuning"}


def test_sample_is_reproducible_from_its_seed(records, sample):
    batches = bench.sample_batches(nc.default_root())
    redrawn = bench.draw_sample(list(records.values()), batches, seed=sample["seed"])
    assert redrawn["ids"] == sample["ids"]
    langs = [records[i]["language"] for i in sample["ids"]]
    assert 8 <= langs.count("it") <= 12  # about a third Italian
    assert 2 <= sum(records[i]["role"] == "distractor" for i in sample["ids"]) <= 3


@given(st.lists(st.sampled_from(["tuning", "heldout"]), min_size=12, max_size=60), st.integers(0, 10**6))
@settings(max_examples=50, deadline=None)
def test_draw_sample_never_picks_a_heldout_article(splits, seed):
    records = [
        {
            "id": f"c{n:03d}",
            "split": s,
            "role": "event" if n % 5 else "distractor",
            "language": "it" if n % 3 else "en",
        }
        for n, s in enumerate(splits, start=1)
    ]
    tuning = {r["id"] for r in records if r["split"] == "tuning"}
    n_event = sum(r["role"] == "event" for r in records if r["id"] in tuning)
    n_distractor = len(tuning) - n_event
    size = {"event": min(3, n_event), "distractor": min(1, n_distractor)}
    size = {k: v for k, v in size.items() if v}
    if not size:
        return
    drawn = bench.draw_sample(records, [(1, 1, 999)], seed=seed, size=size)
    assert set(drawn["ids"]) <= tuning
    assert len(drawn["ids"]) == sum(size.values())


def test_largest_remainder_hand_computed():
    # quotas 2.0, 1.2, 0.8 of 4 seats: floors 2, 1, 0 and the one seat left goes to the largest remainder (0.8)
    assert bench.largest_remainder({"a": 5, "b": 3, "c": 2}, 4) == {"a": 2, "b": 1, "c": 1}
    assert bench.largest_remainder({"a": 1, "b": 1}, 1) == {"a": 1, "b": 0}  # tie: the first key


# --- annotator B's events ----------------------------------------------------------------------------------


def test_second_annotation_validates_like_gold(second, sample):
    actors = nc.actor_codes()
    seen = set()
    for n, ev in second:
        where = {"path": "corpus/news/agreement/second.jsonl", "line": n}
        aid = ev["article_id"]
        assert aid in sample["ids"], f"line {n}: {aid} is not in the sample"
        m = re.fullmatch(rf"{aid}-b(\d+)", ev["event_id"])
        assert m, f"line {n}: event_id {ev['event_id']!r} is not <article_id>-b<n>"
        assert ev["event_id"] not in seen
        seen.add(ev["event_id"])
        # the gold validator, with B's ids written as the gold's <article_id>-<n>
        nc.validate_event({**ev, "event_id": f"{aid}-{m.group(1)}"}, where, actors)


def test_second_annotation_evidence_quotes_the_text(second, records):
    texts = {}
    for aid in {ev["article_id"] for _, ev in second}:
        text, path = nc.read_text(records[aid], nc.default_root(), nc.cache_dir())
        if text is None:
            pytest.skip(f"the text cache is absent ({path} not found); set CRITMIN_NEWS_CACHE")
        texts[aid] = text
    bad = [ev["event_id"] for _, ev in second if clean_text(ev["evidence"]) not in texts[ev["article_id"]]]
    assert not bad, f"evidence not a substring of its text: {bad}"


def test_every_disagreement_is_adjudicated(sample, second):
    ids = sample["ids"]
    gold_a = {i: nc.read_gold().get(i, []) for i in ids}
    gold_b = {i: [ev for _, ev in second if ev["article_id"] == i] for i in ids}
    pairs, only_b, only_a = [], [], []
    for i in ids:
        p, sb, sa = bench.align(bench._relevant(gold_b[i]), bench._relevant(gold_a[i]), by_evidence=True)
        pairs, only_b, only_a = pairs + p, only_b + sb, only_a + sa
    found = bench.disagreements(pairs, only_b, only_a)
    adj = bench.adjudicate(found, AGREEMENT / "adjudication.jsonl")
    assert adj["complete"], f"unadjudicated {adj['unadjudicated']}, stale {adj['stale_rows']}"


# --- the scorer's properties -------------------------------------------------------------------------------

ACTORS = ["CHN", "USA", "JPN", "ITA"]
MINERALS = ["gallium", "cobalt", "lithium", "rare_earths"]
TYPES = ["export_restriction", "agreement", "investment"]


def _event(etype, actors, minerals, relevant=True):
    return {
        "event_type": etype,
        "initiator": actors[:1],
        "counterparts": actors[1:],
        "minerals": minerals,
        "mineral_relevant": relevant,
        "date": None,
    }


def events(min_minerals=0):
    return st.builds(
        _event,
        st.sampled_from(TYPES),
        st.lists(st.sampled_from(ACTORS), min_size=1, max_size=2, unique=True),
        st.lists(st.sampled_from(MINERALS), min_size=min_minerals, max_size=2, unique=True),
        st.booleans(),
    )


@given(st.lists(events(min_minerals=1), max_size=6), st.lists(events(min_minerals=1), max_size=6))
def test_tp_is_symmetric_when_every_event_lists_a_mineral(xs, ys):
    forward, backward = score({"a": xs}, {"a": ys}), score({"a": ys}, {"a": xs})
    assert forward["tp"] == backward["tp"]
    assert forward["precision"] == pytest.approx(backward["recall"])
    assert forward["f1"] == pytest.approx(backward["f1"])


def test_tp_is_not_symmetric_when_one_side_lists_no_mineral():
    # the rule checks minerals only where the reference lists some: an empty list matches anything one way only;
    # this is why the study reports B against A and A against B
    broad, narrow = _event("investment", ["EUU"], []), _event("investment", ["EUU"], ["rare_earths"])
    assert score({"a": [narrow]}, {"a": [broad]})["tp"] == 1
    assert score({"a": [broad]}, {"a": [narrow]})["tp"] == 0


@given(st.lists(events(), max_size=8))
def test_an_annotation_against_itself_scores_one(xs):
    res = score({"a": xs}, {"a": xs})
    assert res["f1"] == 1.0 and res["fp"] == res["fn"] == 0


@given(st.lists(events(), min_size=1, max_size=6), st.data())
def test_a_duplicate_is_a_false_positive(xs, data):
    relevant = [x for x in xs if x["mineral_relevant"]]
    if not relevant:
        return
    dup = dict(data.draw(st.sampled_from(relevant)))
    res = score({"a": [*xs, dup]}, {"a": xs})
    assert (res["tp"], res["fp"], res["fn"]) == (len(relevant), 1, 0)


@given(st.lists(events(), max_size=6), st.lists(events(), max_size=6))
def test_align_is_the_scorers_matching(xs, ys):
    pairs, spurious, missed = bench.align(bench._relevant(xs), bench._relevant(ys))
    res = score({"a": xs}, {"a": ys})
    assert (len(pairs), len(spurious), len(missed)) == (res["tp"], res["fp"], res["fn"])


def test_cohen_kappa_hand_computed():
    # A_o = 3/4; A's marginals 1/2, 1/2, B's 1/4, 3/4: A_e = 1/2 * 1/4 + 1/2 * 3/4 = 1/2; kappa = (3/4 - 1/2) / (1/2)
    k = bench.cohen_kappa(["m", "m", "b", "b"], ["m", "b", "b", "b"])
    assert (k["observed"], k["expected"], k["kappa"]) == (0.75, 0.5, 0.5)
    assert bench.cohen_kappa([True] * 5, [True] * 5)["kappa"] is None  # one label only: undefined
    assert bench.cohen_kappa(["x", "y"], ["y", "x"])["kappa"] == -1.0
