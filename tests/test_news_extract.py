"""Rule-based event extraction on short synthetic sentences (written for these tests, not copied news)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.news.extract import extract_events
from critmin.news.gazetteer import countries_in, find, minerals_in
from critmin.news.model import Article
from critmin.news.segment import segment


def events(text, published=None):
    return extract_events(Article(text=text, published=published))


def one(text, published=None):
    evs = events(text, published)
    assert len(evs) == 1, [(e.event_type, e.actors, e.minerals) for e in evs]
    return evs[0]


# -- gazetteer ---------------------------------------------------------------------------------------------
def test_gazetteer_knows_names_demonyms_capitals_leaders_and_institutions():
    text = "Japanese officials, Beijing, Meloni, MOFCOM, the U.S., DRC, Britain and the European Union met."
    assert countries_in(text) == ["JPN", "CHN", "ITA", "USA", "COD", "GBR", "EUU"]


def test_gazetteer_does_not_read_lookalikes_as_countries():
    assert countries_in("Latin America, the Indian Ocean, Anglo American and USA Rare Earth") == []


def test_gazetteer_is_case_sensitive_for_countries():
    assert countries_in("us and them") == []
    assert countries_in("the US and them") == ["USA"]


def test_gazetteer_minerals_include_named_rare_earths_and_italian_names():
    assert minerals_in("Dysprosium and terbium, gallio e germanio, terre rare") == [
        "dysprosium",
        "terbium",
        "gallium",
        "germanium",
        "rare_earths",
    ]
    assert minerals_in("superhard materials and lithium battery materials") == [
        "superhard_materials",
        "lithium_battery_materials",
    ]


def test_gazetteer_italian_country_names_with_elision():
    assert countries_in("il ministro dell'Uzbekistan e l'Italia, con la Cina") == ["UZB", "ITA", "CHN"]


def test_groupings_are_found_as_groupings():
    kinds = {(m.text, m.kind, m.value) for m in find("The Quad and the G7 met.")}
    assert ("Quad", "grouping", "QUAD") in kinds
    assert ("G7", "grouping", "G7") in kinds


# -- segmentation ------------------------------------------------------------------------------------------
def test_segmentation_keeps_abbreviations_and_strips_datelines():
    text = "BEIJING (Reuters) - China said on Sept. 15 it would act. The U.S. Trade Representative replied.\nNext line"
    sents = segment(text)
    assert [s.text for s in sents] == [
        "China said on Sept. 15 it would act.",
        "The U.S. Trade Representative replied.",
        "Next line",
    ]
    for s in sents:
        assert text[s.start : s.end] == s.text


# -- export restrictions -----------------------------------------------------------------------------------
def test_export_ban_with_target_and_relative_date():
    ev = one(
        "China on Tuesday banned exports of gallium, germanium and antimony to the United States, the ministry said.",
        "2024-12-03",
    )
    assert ev.event_type == "export_restriction"
    assert ev.initiator == ["CHN"]
    assert ev.targets == ["USA"] and ev.counterparts == ["USA"]
    assert ev.minerals == ["gallium", "germanium", "antimony"]
    assert ev.date == "2024-12-03" and ev.date_precision == "day"
    assert ev.measure_type == "ban"


def test_export_controls_with_effective_date_and_status_announced():
    ev = one(
        "China will impose export controls on some lithium battery and graphite anode materials from Nov. 8, "
        "the commerce ministry said on Thursday.",
        "2025-10-09",
    )
    assert ev.minerals == ["lithium_battery_materials", "graphite"]
    assert ev.date == "2025-10-09"
    assert ev.effective_date == "2025-11-08"
    assert ev.status == "announced"


def test_a_list_after_a_dash_belongs_to_the_measure():
    ev = one(
        "China expanded its rare earth export controls on Thursday, adding five more elements - holmium, erbium, "
        "thulium, europium and ytterbium.",
        "2025-10-09",
    )
    assert ev.minerals == ["rare_earths", "holmium", "erbium", "thulium", "europium", "ytterbium"]


def test_hs_codes_and_end_uses_are_taken_as_stated():
    ev = one(
        "China imposed export controls on antimony ores (HS codes 2617.10 and 8110.10) for military end users on Monday.",
        "2024-09-16",
    )
    assert ev.hs_codes == ["261710", "811010"]
    assert ev.end_uses == "military end users"


def test_background_ban_with_a_past_month_and_year():
    ev = one(
        "Indonesia banned exports of nickel ore in January 2020 to encourage domestic smelting.", "2024-05-01"
    )
    assert (ev.initiator, ev.minerals, ev.date, ev.date_precision) == (
        ["IDN"],
        ["nickel"],
        "2020-01",
        "month",
    )
    assert ev.salience == "background"


def test_quota_sentence_inherits_the_mineral_and_the_country_of_the_lifted_ban():
    text = (
        "Congo is lifting its cobalt export ban starting October 16th. Congo will now control supply through "
        "strict annual export quotas, the regulator announced Sunday."
    )
    lifted, quota = events(text, "2025-09-22")
    assert lifted.event_type == "restriction_lifted" and lifted.effective_date == "2025-10-16"
    assert lifted.date == "2025-09-21"  # the reporting date of the paragraph
    assert (quota.event_type, quota.measure_type, quota.minerals) == (
        "export_restriction",
        "quota",
        ["cobalt"],
    )
    assert quota.initiator == ["COD"]  # bare 'Congo' in a DRC story


def test_pronoun_subject_takes_the_previous_country():
    evs = events(
        "Beijing tightened exports of some graphite products last December. Also, it imposed restrictions on "
        "exports of gallium products from last August.",
        "2024-08-15",
    )
    assert [(e.initiator, e.minerals, e.date, e.effective_date) for e in evs] == [
        (["CHN"], ["graphite"], "2023-12", None),
        (["CHN"], ["gallium"], None, "2023-08"),
    ]


def test_restriction_on_non_mineral_goods_is_not_an_event():
    assert (
        events("The United States imposed export restrictions on semiconductors to China.", "2024-01-01")
        == []
    )


def test_headline_and_lead_are_merged_keeping_the_dated_body_sentence():
    text = (
        "China to impose export controls on antimony\n\n"
        "China's commerce ministry said on Thursday that it would impose export controls on antimony, effective "
        "from Sept. 15."
    )
    ev = one(text, "2024-08-15")
    assert ev.date == "2024-08-15" and ev.effective_date == "2024-09-15"
    assert ev.evidence.startswith("China's commerce ministry")


# -- liftings ----------------------------------------------------------------------------------------------
def test_suspending_a_ban_is_a_lifting_with_an_end_date():
    ev = one(
        "Beijing said on Sunday it would suspend the ban on exports of gallium and germanium to the United States "
        "until November 2026.",
        "2025-11-09",
    )
    assert ev.event_type == "restriction_lifted"
    assert ev.targets == ["USA"]
    assert ev.status == "suspended"
    assert ev.end_date == "2026-11"


def test_suspending_exports_is_a_restriction():
    ev = one(
        "The DRC has announced a four-month suspension of cobalt exports, authorities said Monday.",
        "2025-02-25",
    )
    assert (ev.event_type, ev.measure_type, ev.date) == ("export_restriction", "suspension", "2025-02-24")


# -- agreements, partnerships, investment, stockpiles, other -------------------------------------------------
def test_agreement_between_two_countries():
    ev = one(
        "The United States and Australia signed a framework on Monday to secure the supply of critical minerals.",
        "2025-10-21",
    )
    assert (ev.event_type, ev.actors, ev.minerals, ev.date) == (
        "agreement",
        ["USA", "AUS"],
        ["critical_minerals"],
        "2025-10-20",
    )
    assert ev.status == "signed" and ev.symmetric


def test_groupings_are_expanded_to_members_on_the_event_date():
    ev = one("G7 leaders adopted a Critical Minerals Action Plan on Tuesday.", "2025-06-18")
    assert sorted(ev.actors) == ["CAN", "DEU", "FRA", "GBR", "ITA", "JPN", "USA"]


def test_eu_is_one_party():
    ev = one("The EU and Australia signed a memorandum of understanding on critical minerals.", "2024-05-29")
    assert ev.actors == ["EUU", "AUS"] and ev.measure_type == "MoU"


def test_partnership_upgrade_with_levels_and_also_date():
    text = (
        "Japan and Italy agreed on Friday to strengthen supply chains for critical minerals. The two countries "
        "also agreed to elevate their existing 'strategic' partnership to a 'special strategic' partnership."
    )
    agreement, upgrade = events(text, "2026-01-16")
    assert agreement.event_type == "agreement"
    assert upgrade.event_type == "partnership_upgrade"
    assert upgrade.actors == ["JPN", "ITA"]  # 'the two countries'
    assert (upgrade.previous_level, upgrade.level) == ("strategic", "special strategic")
    assert upgrade.date == "2026-01-16"  # 'also' + same occasion


def test_investment_with_amount_company_and_host():
    ev = one(
        "Japan's JOGMEC will invest A$200 million in Lynas Rare Earths to expand rare earth output in Australia."
    )
    assert ev.event_type == "investment"
    assert ev.initiator == ["JPN"] and ev.host_country == "AUS"
    assert ev.amount == "A$200 million"
    assert "Lynas Rare Earths" in ev.companies


def test_stockpile():
    ev = one(
        "India approved a national critical mineral stockpile on Wednesday for lithium and cobalt.",
        "2025-09-03",
    )
    assert (ev.event_type, ev.initiator, ev.minerals, ev.date) == (
        "stockpile",
        ["IND"],
        ["critical_minerals", "lithium", "cobalt"],  # the text names both
        "2025-09-03",
    )


def test_non_mineral_joint_body_is_other_and_not_mineral_relevant():
    ev = one("Japan and Italy will establish a consultative body to promote cooperation in space.")
    assert (ev.event_type, ev.mineral_relevant, ev.status) == ("other", False, "planned")


def test_agreement_without_minerals_is_not_an_event():
    assert events("Japan and Italy agreed to deepen defence cooperation.") == []


# -- what is not an event ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "China is considering export restrictions on rare earth processing technology, sources said.",
        "The EU and Chile are in talks on a lithium agreement.",
        "The DRC is weighing an extension of its cobalt export ban.",
        "The government could ban nickel exports next year, the minister said.",
        "Indonesia is expected to ban bauxite exports.",
        "Japan plans to sign a critical minerals agreement with Chile.",
        "Japan did not impose export restrictions on gallium.",
        "Washington urged Beijing to lift its ban on gallium exports.",
        "An evaluation will determine whether to lift the suspension of cobalt exports.",
        "China produces about 90% of the world's refined rare earths and 98% of its gallium.",
        "Cobalt prices rose 40% after the ban, and the DRC remains the largest producer.",
        "Will China ban graphite exports?",
        "Despite a formal ban on access to the mine, miners entered the site.",
    ],
)
def test_speculation_intent_negation_and_facts_are_not_events(text):
    assert events(text, "2025-01-01") == []


def test_relative_date_without_publication_date_is_unknown():
    ev = one("China on Tuesday banned exports of gallium to the United States.")
    assert ev.date is None


def test_italian_agreement_and_restriction():
    agreement = one("Italia e Giappone hanno firmato un accordo sulle materie prime critiche.")
    assert (agreement.event_type, agreement.actors, agreement.minerals) == (
        "agreement",
        ["ITA", "JPN"],
        ["critical_minerals"],
    )
    restriction = one("La Cina ha imposto restrizioni alle esportazioni di gallio e germanio.")
    assert (restriction.initiator, restriction.minerals) == (["CHN"], ["gallium", "germanium"])


def test_italian_meeting_without_agreement_is_not_an_event():
    text = (
        "Il consolidamento della cooperazione sulle materie prime critiche è stato al centro dell'incontro tra "
        "il ministro italiano e il ministro dell'Uzbekistan. L'Italia ha ribadito la disponibilità a collaborare."
    )
    assert events(text, "2025-09-10") == []


def test_explain_lists_rejected_triggers():
    why: list = []
    extract_events(Article(text="China could ban gallium exports."), explain=why)
    assert why and "speculative" in why[0][2]


# -- invariants ----------------------------------------------------------------------------------------------
SENTENCES = [
    "China on Tuesday banned exports of gallium to the United States.",
    "Japan and Italy agreed on Friday to strengthen supply chains for critical minerals.",
    "Cobalt prices rose after the ban.",
    "The DRC is weighing an extension of its cobalt export ban.",
    "Congo will now control supply through export quotas, the regulator announced Sunday.",
    "Beijing tightened exports of some graphite products last December.",
    "India approved a national critical mineral stockpile on Wednesday for lithium.",
    "The two countries also agreed to elevate their partnership to a comprehensive strategic partnership.",
    "Rare earths are used in magnets.",
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=8),
    st.sampled_from([" ", "\n", "\n\n"]),
    st.sampled_from([None, "2025-09-22"]),
)
def test_evidence_is_always_an_exact_quote_and_events_are_well_formed(parts, sep, pub):
    art = Article(text=sep.join(parts), published=pub)
    for ev in extract_events(art):
        assert art.text[ev.evidence_start : ev.evidence_end] == ev.evidence
        assert ev.actors, ev
        assert ev.event_type != "export_restriction" or ev.minerals
        assert ev.date is None or pub is not None or ev.date_basis == "explicit"
        assert len(set(ev.actors)) == len(ev.actors)


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(text):
    extract_events(Article(text=text, published="2025-01-01"))


@pytest.mark.parametrize(
    ("text", "pub", "etype", "actors", "mineral", "date"),
    [
        ("The agreement was signed on Monday by Japan and Chile and covers lithium.", "2025-03-11",
         "agreement", {"JPN", "CHL"}, "lithium", "2025-03-10"),
        ("A memorandum on rare earths between India and Australia was signed in Canberra on Friday.", "2025-03-14",
         "agreement", {"IND", "AUS"}, "rare_earths", "2025-03-14"),
        ("Exports of gallium and germanium were banned by China on Tuesday.", "2024-12-04",
         "export_restriction", {"CHN"}, "gallium", "2024-12-03"),
        # in force since August 2023: an effective date, never the act's date (the corpus annotation rule)
        ("Beijing has restricted exports of gallium and germanium since August 2023.", "2024-12-04",
         "export_restriction", {"CHN"}, "germanium", None),
        ("Pechino ha deciso di vietare l'esportazione di grafite verso gli Stati Uniti.", "2024-12-04",
         "export_restriction", {"CHN", "USA"}, "graphite", "2024-12"),  # fresh news: the publication month
        ("Roma e Tokyo hanno siglato un'intesa sulle terre rare.", None, "agreement", {"ITA", "JPN"}, "rare_earths",
         None),
    ],
)  # fmt: skip
def test_passive_and_italian_forms(text, pub, etype, actors, mineral, date):
    ev = one(text, pub)
    assert (ev.event_type, set(ev.actors), mineral in ev.minerals, ev.date) == (etype, actors, True, date)


# -- merging and bounds -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "value"),
    [
        ("$400 million", 4e8),
        ("US$ 400m", 4e8),
        ("A$1.2bn", 1.2e9),
        ("€ 100 milioni", 1e8),
        ("5,000", 5e3),
        (None, None),
    ],
)
def test_money_value_reads_the_number_an_amount_states(amount, value):
    from critmin.news.merge import money_value

    assert money_value(amount) == (pytest.approx(value) if value else value)


def test_one_sum_written_two_ways_is_one_investment_two_sums_are_two():
    same = events(
        "The Pentagon will invest $400 million in MP Materials to expand rare earth output.\n\n"
        "The US$400m investment makes the Pentagon the largest shareholder in the rare earths miner.",
        "2025-07-10",
    )
    assert len([e for e in same if e.event_type == "investment"]) == 1
    two = events(
        "The Pentagon will invest $400 million in MP Materials to expand rare earth output.\n\n"
        "Separately, the Energy Department lent $150 million to a rare earths refinery.",
        "2025-07-10",
    )
    assert len([e for e in two if e.event_type == "investment"]) == 2


def test_a_sentence_without_punctuation_is_cut_so_every_step_stays_linear():
    from critmin.news.segment import MAX_SENTENCE_CHARS

    text = "China Japan gallium export controls agreed " * 2000
    sents = segment(text)
    assert all(len(s.text) <= MAX_SENTENCE_CHARS for s in sents)
    assert "".join(s.text for s in sents).replace(" ", "") == text.replace(" ", "")


def test_a_repeated_sentence_is_read_once():
    text = "China banned exports of gallium to Japan on Monday. " * 50
    assert len(events(text, "2025-01-08")) == 1


@pytest.mark.parametrize("published", [None, "2025-03-07"])
def test_an_undated_event_has_no_date_precision(published):
    """A weekday needs a publication date to become a day; without one the event is undated, and says why,
    but claims no precision."""
    art = Article(
        text="China imposed export controls on gallium and germanium on Friday, the commerce ministry said.",
        published=published,
    )
    (ev,) = extract_events(art)
    if published is None:
        assert ev.date is None and ev.date_precision is None
        assert "publication date" in (ev.date_basis or "")
    else:
        assert ev.date == "2025-03-07" and ev.date_precision == "day"
