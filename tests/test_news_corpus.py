"""The news corpus (corpus/news/): records validate, the split is stable, evidence quotes its text.

Texts that may not be redistributed live in a local cache outside the repository (``$CRITMIN_NEWS_CACHE``,
default ``~/.cache/critmin/news-corpus``); tests that need them skip with the reason when it is absent.
The few public-domain texts kept in ``corpus/news/texts/`` are checked everywhere.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.errors import DataError, UnknownValueError
from critmin.news import corpus as nc


@pytest.fixture(scope="module")
def records():
    return nc.read_articles()


@pytest.fixture(scope="module")
def gold(records):
    return nc.read_gold(article_ids={r["id"] for r in records})


@pytest.fixture(scope="module")
def batches():
    """corpus/news/batches.json: the collection batches (id ranges) and the split seed."""
    return json.loads((nc.default_root() / "batches.json").read_text(encoding="utf-8"))


def _batch_of(record_id: str, batches: dict) -> int:
    n = int(record_id[1:])
    found = [b["batch"] for b in batches["batches"] if int(b["first_id"][1:]) <= n <= int(b["last_id"][1:])]
    assert len(found) == 1, f"{record_id} belongs to {len(found)} batches"
    return found[0]


def batchwise_split(records: list[dict], batches: dict) -> dict[str, str]:
    """The split batches.json prescribes: batches in order; an article whose story appeared in an earlier batch
    takes that story's part, the others are assigned by ``assign_split`` over their own batch, or all to the
    batch's fixed ``split`` when it has one (a batch collected to grow one part)."""
    out: dict[str, str] = {}
    story_part: dict[str, str] = {}
    for b in sorted(batches["batches"], key=lambda b: b["batch"]):
        members = [r for r in records if _batch_of(r["id"], batches) == b["batch"]]
        inherited = {r["id"]: story_part[r["story"]] for r in members if r["story"] in story_part}
        fresh = [r for r in members if r["id"] not in inherited]
        out.update(inherited)
        if "split" in b:
            out.update({r["id"]: b["split"] for r in fresh})
        else:
            out.update(nc.assign_split(fresh, batches["seed"]))
        for r in members:
            story_part.setdefault(r["story"], out[r["id"]])
    return out


def _cached(split: str):
    """The split with texts, skipping (with the reason) when the local text cache is absent."""
    cache = nc.cache_dir()
    corpus = nc.load_corpus(split)
    outside = [a for a in corpus.articles if not a.meta["text_in_repo"]]
    if outside and all(a.text is None for a in outside):
        pytest.skip(
            f"news corpus text cache not found at {cache} (set CRITMIN_NEWS_CACHE); texts that may not be "
            "redistributed are kept out of the repository"
        )
    return corpus


def test_corpus_is_large_and_varied_enough(records):
    assert len(records) >= 60
    assert len({r["outlet"] for r in records}) >= 15
    langs = Counter(r["language"] for r in records)
    assert langs["en"] >= 20 and langs["it"] >= 15
    assert sum(r["role"] == "distractor" for r in records) >= 8
    years = {int(r["published"][:4]) for r in records if r["published"]}
    assert min(years) >= 2019 and max(years) <= 2026


def test_every_record_names_its_licence_and_repository_texts_are_the_licensed_ones(records):
    for r in records:
        text_file = nc.default_root() / "texts" / f"{r['id']}.txt"
        assert text_file.exists() == r["text_in_repo"], r["id"]
        if r["text_in_repo"]:
            assert r["licence"].startswith(("public domain", "CC BY")), r["id"]
            assert r["split"] == "tuning", "held-out texts stay out of the repository"


def test_gold_events_belong_to_event_articles_and_distractors_have_none(records, gold, batches):
    role = {r["id"]: r["role"] for r in records}
    for aid, events in gold.items():
        assert role[aid] == "event", aid
        assert [e["event_id"] for e in events] == [f"{aid}-{n}" for n in range(1, len(events) + 1)]
    for b in batches["batches"]:
        for split in nc.SPLITS:
            ids = [
                r["id"]
                for r in records
                if r["split"] == split and r["role"] == "event" and _batch_of(r["id"], batches) == b["batch"]
            ]
            if not any(i in gold for i in ids):
                continue  # that part of the batch is not annotated yet (tuning gold is committed first)
            assert [i for i in ids if i not in gold] == [], (
                f"batch {b['batch']} {split}: event articles without gold"
            )


def test_recorded_split_is_the_seeded_assignment(records, batches):
    assert batches["seed"] == nc.SPLIT_SEED
    assert batchwise_split(records, batches) == {r["id"]: r["split"] for r in records}


def test_first_batch_split_is_unchanged_by_later_batches(records, batches):
    first = [r for r in records if _batch_of(r["id"], batches) == 1]
    assert len(first) == 101
    assert nc.assign_split(first) == {r["id"]: r["split"] for r in first}


def test_batches_cover_every_record_once_in_id_order(records, batches):
    ranges = sorted((int(b["first_id"][1:]), int(b["last_id"][1:])) for b in batches["batches"])
    assert all(lo <= hi for lo, hi in ranges)
    assert all(prev[1] + 1 == nxt[0] for prev, nxt in pairwise(ranges)), "gaps or overlaps"
    ids = sorted(int(r["id"][1:]) for r in records)
    assert ids == list(range(ranges[0][0], ranges[-1][1] + 1))
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)


def test_each_batch_halves_its_new_stories(records, batches):
    """Within a batch, the articles of new stories are split evenly per language (up to a few articles)."""
    seen: set[str] = set()
    for b in sorted(batches["batches"], key=lambda b: b["batch"]):
        members = [r for r in records if _batch_of(r["id"], batches) == b["batch"]]
        fresh = [r for r in members if r["story"] not in seen]
        if "split" in b:  # collected for one part only
            assert {r["split"] for r in members} == {b["split"]}, b["batch"]
            seen |= {r["story"] for r in members}
            continue
        for lang in nc.LANGUAGES:
            n = Counter(r["split"] for r in fresh if r["language"] == lang)
            # stories stay whole and each stratum is halved first (language only breaks ties), so in a large
            # batch with many odd-sized strata a language may lean by a few articles more
            slack = max(4, round(0.12 * (n["tuning"] + n["heldout"])))
            assert abs(n["tuning"] - n["heldout"]) <= slack, (b["batch"], lang, n)
        seen |= {r["story"] for r in members}


def test_a_one_part_batch_holds_no_story_of_the_other_part(records, batches):
    """A batch that grows the tuning part must not carry a held-out story into it (stories stay whole)."""
    for b in batches["batches"]:
        if "split" not in b:
            continue
        members = [r for r in records if _batch_of(r["id"], batches) == b["batch"]]
        other = {r["story"] for r in records if r["split"] != b["split"]}
        assert [r["id"] for r in members if r["story"] in other] == [], b["batch"]


def test_no_article_is_collected_twice(records):
    """Every URL and every text (sha256 of the cleaned text) occurs once: a page re-collected in a later batch would
    be scored on text the rules may already have been tuned on."""
    for fld in ("url", "sha256"):
        twice = [v for v, n in Counter(r[fld] for r in records).items() if n > 1]
        assert twice == [], fld


def test_a_heldout_only_batch_is_new_to_the_corpus(records, batches):
    """A batch collected for the held-out part only is a fresh measure: none of its stories occurs in an earlier
    batch (of either part), so no earlier article, tuned on or scored before, tells of its events."""
    for b in batches["batches"]:
        if b.get("split") != "heldout":
            continue
        earlier = {r["story"] for r in records if _batch_of(r["id"], batches) < b["batch"]}
        members = [r for r in records if _batch_of(r["id"], batches) == b["batch"]]
        assert members and [r["id"] for r in members if r["story"] in earlier] == [], b["batch"]


def test_batchwise_split_keeps_earlier_batches_and_stories():
    """An invented two-batch corpus: the first batch's split never depends on the second, and a later article of an
    earlier story lands on that story's side."""
    first = [
        {"id": f"c{i:03d}", "story": f"s{i // 2}", "language": "en", "stratum": "en/a"} for i in range(1, 11)
    ]
    second = [
        {"id": "c011", "story": "s0", "language": "it", "stratum": "it/b"},
        {"id": "c012", "story": "new", "language": "it", "stratum": "it/b"},
        {"id": "c013", "story": "new2", "language": "it", "stratum": "it/b"},
    ]
    spec = {
        "seed": 7,
        "batches": [
            {"batch": 1, "first_id": "c001", "last_id": "c010"},
            {"batch": 2, "first_id": "c011", "last_id": "c013"},
        ],
    }
    both = batchwise_split(first + second, spec)
    assert {k: v for k, v in both.items() if int(k[1:]) <= 10} == nc.assign_split(first, 7)
    assert both["c011"] == both["c001"]
    assert {both["c012"], both["c013"]} == set(nc.SPLITS)


def test_split_keeps_stories_whole_and_halves_each_language(records, batches):
    parts = {}
    for r in records:
        assert parts.setdefault(r["story"], r["split"]) == r["split"], r["story"]
    one_part = {b["batch"] for b in batches["batches"] if "split" in b}
    halved = [r for r in records if _batch_of(r["id"], batches) not in one_part]
    for lang in nc.LANGUAGES:
        n = Counter(r["split"] for r in halved if r["language"] == lang)
        # each batch's lean (a few articles) adds up over batches: at most 5 % of the language's articles
        assert abs(n["tuning"] - n["heldout"]) <= max(4, round(0.05 * (n["tuning"] + n["heldout"]))), (
            lang,
            n,
        )


def test_stratum_is_the_language_and_main_event_type(records, gold):
    for r in records:
        if r["id"] in gold or r["role"] == "distractor":
            want = f"{r['language']}/{nc.main_event_type(gold.get(r['id'], []))}"
            assert r["stratum"] == want, r["id"]


@given(
    st.lists(
        st.tuples(
            st.integers(0, 12), st.sampled_from(["en", "it"]), st.sampled_from(["en/a", "en/b", "it/a"])
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 2**32),
)
def test_assign_split_is_deterministic_keeps_stories_and_balances_strata(rows, seed):
    records = [
        {"id": f"c{i:03d}", "story": f"s{story}", "language": lang, "stratum": stratum}
        for i, (story, lang, stratum) in enumerate(rows)
    ]
    # a story's stratum is its first member's; give members of one story one stratum and language
    first = {}
    for r in records:
        f = first.setdefault(r["story"], r)
        r["stratum"], r["language"] = f["stratum"], f["language"]
    out = nc.assign_split(records, seed)
    assert out == nc.assign_split(list(reversed(records)), seed)
    assert set(out.values()) <= set(nc.SPLITS) and set(out) == {r["id"] for r in records}
    for s in {r["story"] for r in records}:
        assert len({out[r["id"]] for r in records if r["story"] == s}) == 1
    biggest = max(Counter(r["story"] for r in records).values())
    for stratum in {r["stratum"] for r in records}:
        n = Counter(out[r["id"]] for r in records if r["stratum"] == stratum)
        assert abs(n["tuning"] - n["heldout"]) <= biggest


def test_repository_texts_hold_their_evidence():
    corpus = nc.load_corpus("tuning")
    in_repo = [a for a in corpus.articles if a.meta["text_in_repo"]]
    assert in_repo and all(a.text is not None for a in in_repo)
    ids = {a.id for a in in_repo}
    assert [p for p in corpus.problems() if p.split(":")[0].rsplit("-", 1)[0] in ids] == []


@pytest.mark.parametrize("split", nc.SPLITS)
def test_cached_texts_are_intact_and_hold_every_evidence_quote(split):
    corpus = _cached(split)
    assert corpus.missing_text == []
    assert corpus.problems() == []
    for a in corpus.articles:
        art = a.to_article()
        assert art.external_id == a.id and art.text == a.text and art.language == a.language


def test_load_corpus_needs_a_known_split():
    with pytest.raises(UnknownValueError, match="heldout"):
        nc.load_corpus("held-out")


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CRITMIN_NEWS_CACHE", str(tmp_path / "c"))
    assert nc.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("CRITMIN_NEWS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert nc.cache_dir() == tmp_path / "x" / "critmin" / "news-corpus"


@pytest.fixture()
def corpus_copy(tmp_path):
    """A writable copy of corpus/news (metadata, gold, repository texts) and an empty cache."""
    root = tmp_path / "news"
    shutil.copytree(nc.default_root(), root)
    (tmp_path / "cache").mkdir()
    return root, tmp_path / "cache"


def _rewrite(path, n, change):
    lines = path.read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[n - 1])
    change(rec)
    lines[n - 1] = json.dumps(rec, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("articles.jsonl", lambda r: r.update(split="dev"), r"articles.jsonl:2 \[split\].*'dev'"),
        ("articles.jsonl", lambda r: r.update(published="2025-13"), r"articles.jsonl:2 \[published\]"),
        ("articles.jsonl", lambda r: r.pop("licence"), r"articles.jsonl:2 \[licence\]: missing"),
        ("gold.jsonl", lambda r: r.update(event_type="ban"), r"gold.jsonl:2 \[event_type\].*'ban'"),
        (
            "gold.jsonl",
            lambda r: r.update(minerals=["rare_earth"]),
            r"\[minerals\].*did you mean rare_earths",
        ),
        ("gold.jsonl", lambda r: r.update(initiator=["XXX"]), r"gold.jsonl:2 \[initiator\].*'XXX'"),
        ("gold.jsonl", lambda r: r.update(date="2024-05", date_precision="day"), r"\[date_precision\]"),
        ("gold.jsonl", lambda r: r.update(article_id="c999", event_id="c999-1"), r"\[article_id\].*c999"),
    ],
)
def test_malformed_records_are_refused_with_file_line_and_field(corpus_copy, file, change, message):
    root, cache = corpus_copy
    _rewrite(root / file, 2, change)
    with pytest.raises((DataError, UnknownValueError), match=message):
        nc.load_corpus("all", root=root, cache=cache)


def test_an_edited_text_is_refused_rather_than_scored(corpus_copy):
    root, cache = corpus_copy
    rec = next(r for r in nc.read_articles(root) if r["text_in_repo"])
    path = root / "texts" / f"{rec['id']}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("the", "a", 1), encoding="utf-8")
    with pytest.raises(DataError, match=rf"{rec['id']}\.txt: text does not match the sha256"):
        nc.load_corpus("tuning", root=root, cache=cache)


def test_absent_texts_load_as_missing_not_as_errors(corpus_copy):
    root, cache = corpus_copy
    corpus = nc.load_corpus("heldout", root=root, cache=cache)
    assert corpus.with_text == [] and len(corpus.missing_text) == len(corpus.articles)
    with pytest.raises(DataError, match="not available"):
        corpus.articles[0].to_article()
