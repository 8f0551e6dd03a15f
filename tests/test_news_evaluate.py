"""The scorer (the development set's matching rule) and the diagnosis of missed and spurious events.

Every text and event here is invented; offsets are computed from the text, never typed in.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from critmin.news.evaluate import MISS_CAUSES, SPURIOUS_CAUSES, _pairs, add_diagnoses, diagnose, pairs, score

TEXT = (
    "Freedonia banned exports of cobalt on Monday. "
    "Sylvania and Freedonia signed a memorandum on lithium. "
    "Prices of nickel rose by four percent. "
    "Officials recalled the ban on tin exports imposed by Sylvania in 2019."
)


def _sentence(fragment: str) -> tuple[int, int]:
    start = TEXT.index(fragment)
    end = TEXT.index(".", start) + 1
    return start, end


def gold(n, etype, actors, minerals, evidence, *, salience="main", relevant=True, counterparts=()):
    return {
        "event_id": f"g{n}",
        "event_type": etype,
        "initiator": list(actors),
        "counterparts": list(counterparts),
        "minerals": list(minerals),
        "evidence": evidence,
        "salience": salience,
        "mineral_relevant": relevant,
        "date": None,
    }


def ext(etype, actors, minerals, fragment, *, relevant=True, counterparts=()):
    start, end = _sentence(fragment)
    return {
        "event_type": etype,
        "initiator": list(actors),
        "counterparts": list(counterparts),
        "minerals": list(minerals),
        "evidence_start": start,
        "evidence_end": end,
        "mineral_relevant": relevant,
        "date": None,
    }


G_BAN = gold(1, "export_restriction", ["FRD"], ["cobalt"], "Freedonia banned exports of cobalt")
G_MOU = gold(2, "agreement", ["SYL"], ["lithium"], "Sylvania and Freedonia signed", counterparts=["FRD"])
G_OLD = gold(
    3,
    "export_restriction",
    ["SYL"],
    ["tin"],
    "the ban on tin exports imposed by Sylvania",
    salience="background",
)


def test_a_perfect_extraction_has_no_causes():
    exts = [
        ext("export_restriction", ["FRD"], ["cobalt"], "Freedonia banned"),
        ext("agreement", ["SYL"], ["lithium"], "Sylvania and", counterparts=["FRD"]),
    ]
    d = diagnose(TEXT, [G_BAN, G_MOU], exts)
    assert sum(d["missed"].values()) == 0 and sum(d["spurious"].values()) == 0
    assert d["matched_by_salience"] == {"main": 2}


def test_each_miss_cause_from_what_came_out_of_the_sentence():
    # nothing at all from the background sentence; a rejected trigger in the agreement's sentence
    start, end = _sentence("Sylvania and")
    d = diagnose(TEXT, [G_MOU, G_OLD], [], [(start, end, "speculative/intent (could)")])
    assert d["missed"]["no_trigger"] == 1 and d["missed"]["trigger_rejected"] == 1
    assert d["rejected_reasons"] == {"speculative/intent": 1}
    assert d["missed_by_salience"] == {"main": 1, "background": 1}
    # another type from the sentence; the right type with another actor; the right actor, another mineral
    assert (
        diagnose(TEXT, [G_BAN], [ext("other", ["FRD"], ["cobalt"], "Freedonia banned")])["missed"][
            "other_type"
        ]
        == 1
    )
    wrong_actor = ext("export_restriction", ["SYL"], ["cobalt"], "Freedonia banned")
    assert diagnose(TEXT, [G_BAN], [wrong_actor])["missed"]["actor"] == 1
    wrong_mineral = ext("export_restriction", ["FRD"], ["tin"], "Freedonia banned")
    assert diagnose(TEXT, [G_BAN], [wrong_mineral])["missed"]["mineral"] == 1
    irrelevant = ext("export_restriction", ["FRD"], ["cobalt"], "Freedonia banned", relevant=False)
    assert diagnose(TEXT, [G_BAN], [irrelevant])["missed"]["not_relevant"] == 1
    lost = gold(9, "export_restriction", ["FRD"], [], "a sentence the text does not hold")
    assert diagnose(TEXT, [lost], [])["missed"]["evidence_not_found"] == 1


def test_one_extracted_event_for_two_gold_events_is_a_merge():
    second = gold(4, "export_restriction", ["FRD"], ["cobalt"], "Freedonia banned exports of cobalt on")
    d = diagnose(TEXT, [G_BAN, second], [ext("export_restriction", ["FRD"], ["cobalt"], "Freedonia banned")])
    assert d["missed"]["merged"] == 1


def test_each_spurious_cause():
    market = ext("export_restriction", ["FRD"], ["nickel"], "Prices of nickel")
    assert diagnose(TEXT, [G_BAN], [market])["spurious"]["no_gold_here"] == 1
    assert diagnose(TEXT, [], [market])["spurious"]["no_gold_in_article"] == 1
    typed = ext("investment", ["SYL"], ["lithium"], "Sylvania and")
    assert diagnose(TEXT, [G_MOU], [typed])["spurious"]["gold_other_type"] == 1
    other_actor = ext("agreement", ["XXA"], ["lithium"], "Sylvania and")
    assert diagnose(TEXT, [G_MOU], [other_actor])["spurious"]["actor"] == 1
    other_mineral = ext("agreement", ["SYL"], ["cobalt"], "Sylvania and")
    assert diagnose(TEXT, [G_MOU], [other_mineral])["spurious"]["mineral"] == 1
    twice = [ext("agreement", ["SYL"], ["lithium"], "Sylvania and")] * 2
    d = diagnose(TEXT, [G_MOU], twice)
    assert d["spurious"]["duplicate"] == 1 and score({"a": twice}, {"a": [G_MOU]})["fp"] == 1
    irrelevant_gold = dict(G_MOU, mineral_relevant=False)
    d = diagnose(TEXT, [G_BAN, irrelevant_gold], [ext("agreement", ["SYL"], ["lithium"], "Sylvania and")])
    assert d["spurious"]["gold_not_relevant"] == 1


CANDIDATES = [
    ext("export_restriction", ["FRD"], ["cobalt"], "Freedonia banned"),
    ext("export_restriction", ["SYL"], ["tin"], "Officials recalled"),
    ext("agreement", ["SYL"], ["lithium"], "Sylvania and", counterparts=["FRD"]),
    ext("other", ["FRD"], ["cobalt"], "Freedonia banned"),
    ext("export_restriction", ["FRD"], ["nickel"], "Prices of nickel"),
    ext("agreement", ["XXA"], ["lithium"], "Sylvania and"),
]


@given(
    st.lists(st.sampled_from(CANDIDATES), max_size=6),
    st.lists(st.sampled_from([G_BAN, G_MOU, G_OLD]), max_size=3, unique_by=lambda g: g["event_id"]),
)
def test_causes_account_for_every_miss_and_every_false_positive(exts, golds):
    """Every missed gold event gets exactly one cause, and so does every spurious extraction."""
    result = score({"a": exts}, {"a": golds})
    d = diagnose(TEXT, golds, exts)
    assert set(d["missed"]) == set(MISS_CAUSES) and set(d["spurious"]) == set(SPURIOUS_CAUSES)
    assert sum(d["missed"].values()) == result["fn"] == sum(d["missed_by_salience"].values())
    assert sum(d["spurious"].values()) == result["fp"]
    assert sum(d["matched_by_salience"].values()) == result["tp"]
    total = add_diagnoses(add_diagnoses({}, d), d)
    assert sum(total["missed"].values()) == 2 * result["fn"]


def test_matching_takes_the_first_fit_or_the_preferred_one():
    """Two gold bans by FRD both fit one extracted ban: the scorer takes the first; ``prefer`` the one it
    ranks higher, and on a tie the first again."""
    early = gold(1, "export_restriction", ["FRD"], [], "an earlier ban")
    this = gold(2, "export_restriction", ["FRD"], ["cobalt"], "Freedonia banned exports of cobalt")
    ban = ext("export_restriction", ["FRD"], ["cobalt"], "Freedonia banned")
    assert pairs([ban], [early, this]) == [(0, 0)]
    assert pairs([ban], [early, this], prefer=lambda e, g: "cobalt" in g["evidence"]) == [(0, 1)]
    assert pairs([ban], [early, this], prefer=lambda e, g: 0.0) == [(0, 0)]
    assert pairs([ban, ban, ban], [early, this]) == [(0, 0), (1, 1), (2, None)]  # one-to-one
    assert _pairs is pairs  # the former private name still answers


@given(
    st.lists(st.sampled_from(CANDIDATES), max_size=6),
    st.lists(st.sampled_from([G_BAN, G_MOU, G_OLD]), max_size=3, unique_by=lambda g: g["event_id"]),
)
def test_matching_is_the_scorers_and_a_constant_preference_changes_nothing(exts, golds):
    matching = pairs(exts, golds)
    assert matching == pairs(exts, golds, prefer=lambda e, g: 1.0)
    assert (
        sum(hit is not None for _, hit in matching) == score({"a": exts}, {"a": golds})["tp"]
    )  # all relevant
    hits = [hit for _, hit in matching if hit is not None]
    assert len(hits) == len(set(hits))  # each gold event matched at most once
