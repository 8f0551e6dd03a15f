"""Categories of phrasing the extractor must read the same way wherever they occur (issue 14: "tune for the
category, not the sentence"). Each test pins one category with sentences invented for it (none is copied from
an article): what makes an investment a funding act rather than a company's results, what makes a licence an
export measure, who owns a measure, when a date belongs to another act, and the Italian forms of each.
"""

from __future__ import annotations

import pytest

from critmin.news.extract import extract_events
from critmin.news.model import Article


def events(text, published=None, language=None):
    return [
        e
        for e in extract_events(Article(text=text, published=published, language=language))
        if e.mineral_relevant
    ]


def of_type(evs, etype):
    return [e for e in evs if e.event_type == etype]


CONTEXT = (
    "Zimbabwe is a large producer of lithium and platinum. "  # an article's own country for agentless clauses
)


# == export licences, not any licence =======================================================================
@pytest.mark.parametrize(
    "text",
    [
        "Export licences are now required for antimony ores and metals, Beijing's commerce ministry said.",
        "Beijing will require foreign firms to obtain approval to export magnets containing Chinese dysprosium.",
    ],
)
def test_licence_requirements_on_exports_are_restrictions(text):
    (ev,) = of_type(events(text, "2025-04-10"), "export_restriction")
    assert ev.initiator == ["CHN"]


@pytest.mark.parametrize(
    "text",
    [
        "Miners must obtain permits from the environment ministry before drilling for lithium.",
        "Companies will need a licence to build a cobalt refinery.",
    ],
)
def test_mining_and_building_permits_are_not_export_measures(text):
    assert of_type(events(CONTEXT + text, "2025-04-10"), "export_restriction") == []


# == investments: funding acts, not money in general ===========================================================
def test_agreeing_to_buy_a_stake_is_an_investment_not_an_agreement():
    evs = events("Glencore agreed to buy a 10% stake in a Canadian copper miner on Monday.", "2025-04-10")
    assert [e.event_type for e in evs] == ["investment"]
    assert evs[0].initiator == ["CHE"]


@pytest.mark.parametrize(
    ("text", "actor"),
    [
        ("CMOC completed its $2.5 billion acquisition of a cobalt mine in Congo on Friday.", "CHN"),
        (
            "The Pentagon agreed to buy $400 million of preferred stock in MP Materials, the rare earths miner.",
            "USA",
        ),
        ("The European Union will mobilise €2 billion for critical raw materials projects in Africa.", "EUU"),
    ],
)
def test_acquisitions_and_mobilised_funds_are_investments(text, actor):
    (ev,) = of_type(events(text, "2025-04-10"), "investment")
    assert actor in ev.actors


@pytest.mark.parametrize(
    "text",
    [
        "The state-owned company received $1.2 billion in dividends from its lithium unit.",
        "Analysts estimate that the rare earth magnet industry will need $15 billion in new investment.",
        "Battery makers have signed contracts worth $5 billion for nickel supplies.",
        "The company will spend $50 million on drilling at its lithium deposit next year.",
        "The miner received $200 million in offtake prepayments for its lithium.",
    ],
)
def test_revenue_estimates_and_company_spending_are_not_investment_events(text):
    assert of_type(events(CONTEXT + text, "2025-04-10"), "investment") == []


# == a company's own business is not a policy act ==============================================================
@pytest.mark.parametrize(
    "text",
    [
        "CATL suspended production at a lepidolite mine in Jiangxi whose licence had expired.",
        "The miner halted production at its nickel mine after a landslide.",
        "The company unveiled a plan to double its lithium output by 2030.",
    ],
)
def test_a_company_halting_or_planning_is_not_an_other_event(text):
    assert of_type(events(CONTEXT + text, "2025-04-10"), "other") == []


def test_a_government_halting_a_project_is_an_other_event():
    (ev,) = of_type(
        events("Ruritania is in the news. Serbia revoked the licences for a lithium mining project."), "other"
    )
    assert ev.initiator == ["SRB"]


# == acts named as in force, plans named again ================================================================
def test_a_law_in_force_is_a_background_other_event_with_its_scope():
    text = (
        "The Commission approved the list on Tuesday. "
        "The list is the first result of the Critical Raw Materials Act, which came into force in May 2024."
    )
    (law,) = [e for e in of_type(events(text, "2025-03-26"), "other") if e.rule == "other.law_in_force"]
    assert law.initiator == ["EUU"] and law.minerals == ["critical_minerals"]
    assert law.date is None and law.effective_date == "2024-05"  # in force since: never the act's date


def test_a_national_strategy_named_again_is_one_country_s_plan():
    text = (
        "Canada's critical minerals strategy, launched in December, promises support for lithium and nickel."
    )
    (ev,) = of_type(events(text, "2023-03-01"), "other")
    assert ev.initiator == ["CAN"] and ev.date == "2022-12" and ev.salience == "background"


def test_an_executive_order_named_with_its_month_is_a_background_other_event():
    text = "The awards follow the President's executive order in March to boost U.S. mineral production."
    (ev,) = of_type(events("The U.S. awarded $40 million for antimony. " + text, "2025-08-14"), "other")
    assert ev.initiator == ["USA"] and ev.date == "2025-03"


# == whose measure, and which date ============================================================================
def test_a_possessive_right_before_the_measure_names_its_owner():
    text = (
        "The awards follow Trump's executive order in March and China's December ban on exports of antimony "
        "to the United States."
    )
    (ban,) = of_type(events(text, "2025-08-14"), "export_restriction")
    assert ban.initiator == ["CHN"] and ban.targets == ["USA"] and ban.date == "2024-12"


def test_a_year_before_the_noun_dates_the_measure():
    text = "Indonesia is the top producer. The rule follows a 2020 ban on nickel ore exports by Indonesia."
    (ban,) = of_type(events(text, "2025-03-04"), "export_restriction")
    assert ban.date == "2020"


def test_coordinated_minerals_with_their_own_dates_are_measures_of_their_own():
    text = (
        "The Senate approved a bill on Monday that will prohibit raw mineral exports, similar to what Indonesia "
        "put in place in 2020 when it stopped the exportation of nickel ore, and bauxite in 2022."
    )
    bans = of_type(events(text, "2025-02-05"), "export_restriction")
    assert sorted((b.initiator[0], tuple(b.minerals), b.date) for b in bans) == [
        ("IDN", ("bauxite",), "2022"),
        ("IDN", ("nickel",), "2020"),
    ]


def test_a_neighbour_sentence_about_an_earlier_act_gives_no_date():
    text = (
        "China will suspend its ban on exports of gallium to the US until November 2026, the ministry said.\n\n"
        "The ban was initially introduced in December 2024 and prohibited the export of gallium."
    )
    (lift,) = of_type(events(text), "restriction_lifted")
    assert lift.date is None  # December 2024 is when the ban came, not the suspension


def test_a_reported_present_perfect_is_fresh_news():
    text = "Separately, state miner MIND ID said it had signed a deal to buy a 20% stake in a nickel smelter."
    (ev,) = of_type(events(text, "2025-03-04"), "investment")
    assert ev.salience == "main" and ev.date == "2025-03"  # the publication month, as for fresh news


def test_an_act_in_a_clause_after_after_is_earlier():
    text = "The rule comes three years after Indonesia banned exports of bauxite, officials said."
    (ev,) = of_type(events(text, "2025-03-04"), "export_restriction")
    assert ev.salience == "background" and ev.date is None


# == Italian forms ==============================================================================================
@pytest.mark.parametrize(
    ("text", "etype", "actor"),
    [
        ("Lo Zimbabwe ha messo al bando l'esportazione di litio grezzo.", "export_restriction", "ZWE"),
        ("Da settembre le esportazioni di antimonio saranno soggette a licenza, ha annunciato Pechino.",
         "export_restriction", "CHN"),
        ("La Cina ha inserito il tungsteno nella lista dei beni soggetti a controllo delle esportazioni.",
         "export_restriction", "CHN"),
        ("Nuove restrizioni cinesi sull'export di terre rare", "export_restriction", "CHN"),
        ("La Bei ha concesso un prestito da 100 milioni di euro alla raffineria di litio.", "investment", "EUU"),
        ("Cdp entra nel capitale della società italiana che produce grafite.", "investment", "ITA"),
        ("Il governo italiano ha deciso di costituire una riserva nazionale di materie prime critiche.",
         "stockpile", "ITA"),
        ("Roma e Algeri hanno sottoscritto un protocollo d'intesa sulle materie prime critiche.", "agreement", "DZA"),
        ("Intesa raggiunta tra Ue e Cile sul litio.", "agreement", "CHL"),
        ("Il Mimit e Cdp hanno avviato un protocollo d'intesa sulle materie prime critiche.", "other", "ITA"),
    ],
)  # fmt: skip
def test_italian_forms(text, etype, actor):
    evs = of_type(events(text, "2025-05-05", language="it"), etype)
    assert len(evs) == 1 and actor in evs[0].actors, evs


def test_italian_month_after_ad_dates_a_background_measure():
    text = (
        "Il ministero del Commercio cinese ha annunciato nuove limitazioni per l'esportazione delle terre rare. "
        "Il governo cinese aveva già introdotto delle limitazioni ad aprile."
    )
    bans = of_type(events(text, "2025-10-09", language="it"), "export_restriction")
    assert sorted(b.date for b in bans) == ["2025-04", "2025-10"]  # two acts, not one
