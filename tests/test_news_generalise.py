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


# == liftings phrased as permissions, resumptions and extensions ==============================================
@pytest.mark.parametrize(
    "text",
    [
        "China imposed export curbs on bauxite in 2023. Indonesia will allow bauxite exports to resume until June, "
        "the energy minister said.",
        "Indonesia banned copper concentrate exports last year. The government granted Freeport a six-month "
        "extension to export copper concentrate.",
        "Indonesia banned copper concentrate exports last year. The government decided to extend Freeport's export "
        "permit until the damaged smelter is repaired.",
        "Myanmar halted rare earth exports in May. Myanmar reopened its border crossings for rare earth shipments.",
    ],
)
def test_permissions_resumptions_and_extensions_are_liftings(text):
    lifts = of_type(events(text, "2025-06-02"), "restriction_lifted")
    assert len(lifts) == 1
    assert not of_type(events(text, "2025-06-02"), "export_restriction")[1:]  # the extension is not a new ban


def test_licences_granted_under_a_regime_are_not_a_new_restriction():
    text = "EU officials said that China has started issuing longer-term rare earth export licences to European firms."
    assert of_type(events(text, "2025-12-18"), "export_restriction") == []


# == investments: state lenders, letters of interest, one deal told twice ======================================
def test_a_state_lender_s_loan_agreement_is_its_investment():
    text = (
        "Loan for a copper mine in Chile\n\n"
        "The Japan Bank for International Cooperation (JBIC; Governor: a banker) signed on April 25 a loan "
        "agreement of up to USD248 million with a Chilean company."
    )
    (ev,) = of_type(events(text, "2025-04-28"), "investment")
    assert ev.initiator == ["JPN"] and ev.minerals == ["copper"]


def test_a_letter_of_interest_is_an_investment_despite_its_tentative_words():
    text = "The bank said the U.S. Export-Import Bank was prepared to finance up to $122 million for its magnesium plant."
    (ev,) = of_type(events(text, "2025-10-21"), "investment")
    assert ev.initiator == ["USA"]


def test_one_deal_told_twice_is_one_investment():
    text = (
        "The U.S. International Development Finance Corporation will lend $150 million to a nickel project in "
        "Brazil, the agency said on Tuesday.\n\nThe loan is part of a $500 million financing package for the "
        "project."
    )
    assert len(of_type(events(text, "2025-05-13"), "investment")) == 1


def test_a_stockpile_s_money_is_not_also_an_investment():
    text = (
        "Australia commits A$1.2bn to critical minerals reserve\n\n"
        "Australia will set aside A$1.2 billion (US$760 million) to establish a strategic reserve of critical "
        "minerals, the prime minister said on Thursday."
    )
    evs = events(text, "2025-04-24")
    assert [e.event_type for e in evs] == ["stockpile"]
    assert evs[0].actors == ["AUS"]  # "US$" is a currency, not the United States


@pytest.mark.parametrize(
    "text",
    [
        "The project has received A$1.5 billion in total investment from its owners.",
        "During 2022 and 2023, TechMet invested more than $250m into critical metals projects.",
        "The partnership allows these countries to co-invest in mining and refining projects for lithium.",
    ],
)
def test_funding_without_a_state_funder_or_as_an_ability_is_no_event(text):
    assert of_type(events("Japan backs lithium. " + text, "2025-03-10"), "investment") == []


# == whose act, which clause ===================================================================================
def test_a_country_used_as_an_adjective_is_the_subject():
    text = "A U.S. judge on Monday ordered regulators to reconsider the permit of Lithium Americas' lithium mine."
    (ev,) = of_type(events(text, "2025-03-03"), "other")
    assert ev.initiator == ["USA"]


def test_a_dated_act_after_a_semicolon_takes_the_sentence_subject():
    text = (
        "Congo extended its ban on cobalt exports by three months on Saturday.\n\n"
        "Congo is the largest supplier of cobalt; in February it had halted exports of the metal."
    )
    bans = of_type(events(text, "2025-06-22"), "export_restriction")
    assert sorted(b.date for b in bans) == ["2025-02", "2025-06-21"]


def test_a_further_measure_is_not_merged_with_the_first():
    text = (
        "On Thursday China tightened controls on exports of rare earth metals.\n\n"
        "In addition, China also imposed restrictions on exports of equipment used to refine rare earths."
    )
    assert len(of_type(events(text, "2025-04-05"), "export_restriction")) == 2


def test_a_headline_naming_only_the_generic_takes_the_story_mineral():
    text = (
        "Ruritanian neighbour latest country to halt raw export of critical mineral\n\n"
        "Gabon will cease exporting raw manganese from 2029. Manganese is the country's main export."
    )
    for ev in of_type(events(text, "2025-05-31"), "export_restriction"):
        assert "manganese" in ev.minerals


def test_several_agreements_named_with_their_partners():
    text = (
        "Il governo cinese aveva introdotto limitazioni sulle terre rare ad aprile (poi risolte con accordi "
        "bilaterali con Unione Europea e Stati Uniti)."
    )
    pairs = sorted(tuple(sorted(e.actors)) for e in of_type(events(text, "2025-10-09", "it"), "agreement"))
    assert pairs == [("CHN", "EUU"), ("CHN", "USA")]


# == acts named for minerals, votes, policies ==================================================================
@pytest.mark.parametrize(
    ("text", "actor"),
    [
        ("Indonesia's Constitutional Court rejected a challenge to the nickel mining law.", "IDN"),
        ("The European Parliament voted in favour of the Critical Raw Materials Act on Tuesday.", "EUU"),
        ("Japan's cabinet approved a revised basic policy on critical minerals.", "JPN"),
        ("The Australian government established a Critical Minerals Office in Canberra.", "AUS"),
        ("Mali's new mining code, adopted in 2023, raised the state's stake in lithium projects.", "MLI"),
        ("Via libera del Consiglio dei ministri al decreto sulle materie prime critiche.", "ITA"),
        ("Il Parlamento europeo ha approvato il Critical Raw Materials Act.", "EUU"),
    ],
)
def test_other_acts_of_states(text, actor):
    evs = of_type(
        events(text, "2025-05-20", "it" if " il " in text.lower() or "via libera" in text.lower() else None),
        "other",
    )
    assert len(evs) == 1 and actor in evs[0].actors, evs


# == round 3: precision categories found on unseen probe texts (invented sentences of each shape) ==============
@pytest.mark.parametrize(
    ("text", "cue_word"),
    [
        # advice after the trigger: an op-ed's recommendation
        (
            "To prepare for a long conflict, the National Defense Stockpile should contain enough critical "
            "minerals for three years.",
            "modal after trigger",
        ),
        # an eligibility is no funding yet
        (
            "The US Energy Department clarified that cobalt refineries are eligible for a $40 billion pool of "
            "federal loan guarantees.",
            "eligible",
        ),
        # a trend summarised is no act of its own
        (
            "Over the past decade, Kazakhstan has increasingly tightened export controls on vanadium.",
            "increasingly",
        ),
    ],
)
def test_advice_eligibility_and_trends_are_not_acts(text, cue_word):
    why = []
    assert extract_events(Article(text=text, published="2025-05-20"), explain=why) == []
    assert any(cue_word in reason for _, _, reason in why), why


def test_a_measure_named_in_an_undated_market_report_is_a_cause_not_an_act():
    text = (
        "Cobalt prices jumped, spreading beyond the metals directly affected by Congolese export restrictions, "
        "traders said."
    )
    assert of_type(events(text, "2025-05-20"), "export_restriction") == []
    # a dated act in a market report stays an event
    dated = "Antimony prices doubled after Beijing introduced export curbs on antimony in August."
    assert len(of_type(events(dated, "2025-05-20"), "export_restriction")) == 1


def test_a_headline_clause_before_a_colon_is_not_the_subject():
    text = "After US sanctions: China bans export of gallium to the United States"
    [ev] = of_type(events(text, "2025-05-20"), "export_restriction")
    assert ev.initiator == ["CHN"]


def test_a_bare_anaphor_names_the_event_already_reported():
    text = (
        "Norway will build a $2 billion strategic reserve of rare earths and graphite. "
        "The initiative, announced by the government on Monday, is meant to cushion supply shocks."
    )
    evs = events(text, "2025-05-20")
    assert [e.event_type for e in evs] == ["stockpile"], evs


def test_a_section_heading_is_the_topic_not_an_event():
    text = (
        "Export controls have become a tool of statecraft, as many governments now see it.\n"
        "Kazakhstan's Vanadium Export Controls\n"
        "In March 2021, Kazakhstan's trade ministry announced that exports of vanadium would require "
        "government-issued export licences."
    )
    [ev] = of_type(events(text, "2025-05-20"), "export_restriction")
    assert ev.date == "2021-03" and ev.measure_type == "licence", ev


def test_a_host_country_is_not_the_investor_of_a_company():
    text = "Acme Mining will invest $300 million in a joint venture to build a lithium mine in Chile."
    assert of_type(events(text, "2025-05-20"), "investment") == []
    # a state's money in the same shape keeps its funder
    state = "Japan will invest $300 million in a joint venture to build a lithium mine in Chile."
    [ev] = of_type(events(state, "2025-05-20"), "investment")
    assert ev.initiator == ["JPN"]


# == round 4: categories from the third tuning batch (agreements, rulings, bills, plans, company deals) =====
@pytest.mark.parametrize(
    "text",
    [
        "The Rajya Sabha on Wednesday passed the Minerals (Exploration and Licensing) Amendment Bill on lithium.",
        "The Union Cabinet cleared amendments to the Mines (Development and Regulation) Act to open lithium mining.",
    ],
)
def test_a_legislature_or_cabinet_named_for_its_country_passes_an_act_with_a_bracketed_name(text):
    [ev] = of_type(events(text, "2026-03-04"), "other")
    assert ev.initiator == ["IND"] and "lithium" in ev.minerals, ev


def test_one_legislative_act_restated_in_the_next_sentence_is_one_event():
    text = (
        "India's lower house on Tuesday passed a bill to boost the supply of lithium and cobalt.\n"
        "What the bill changes\n"
        "The Mines (Amendment) Bill, 2026, was passed after a brief debate."
    )
    [ev] = of_type(events(text, "2026-03-04"), "other")
    assert ev.date == "2026-03-03", ev


def test_an_acquisition_reads_across_the_sellers_stock_listing():
    text = (
        "Canada’s Acme Metals (TSX: ACM) is buying Borealis Mining Corp.’s (ASX: BMC) Zeta cobalt project "
        "in Australia for A$9 million."
    )
    [ev] = of_type(events(text), "investment")
    assert ev.initiator == ["CAN"] and ev.minerals == ["cobalt"], ev


@pytest.mark.parametrize(
    "text",
    [
        "From next month, antimony concentrates may not be exported from Ruritania without a licence, Vietnam's "
        "trade ministry said.",
        "Secondo il ministero vietnamita, i concentrati di antimonio non possono essere esportati senza "
        "autorizzazione.",
    ],
)
def test_a_prohibition_without_a_licence_is_a_licence_requirement(text):
    [ev] = of_type(events(text, "2026-03-04"), "export_restriction")
    assert ev.initiator == ["VNM"] and ev.minerals == ["antimony"], ev


def test_a_national_programme_starting_in_italian_is_a_plan_and_its_sum_is_its_envelope():
    text = (
        "Parte il Programma nazionale di ricerca del litio e della grafite dopo il via libera del governo "
        "italiano, con 4 milioni di euro per la prima fase di indagine."
    )
    evs = events(text, "2026-03-04")
    assert [e.event_type for e in evs] == ["other"], evs
    assert evs[0].initiator == ["ITA"] and {"lithium", "graphite"} <= set(evs[0].minerals)
    # a survey ('indagine') is not a trade investigation
    assert all(e.rule != "other.investigation" for e in evs)


def test_a_strategic_selection_in_the_passive_is_the_selectors_and_keeps_the_projects_country():
    text = (
        "Italy's new rare earth recycling line in Lazio is the largest in the country. "
        "The plant was selected by the European Commission as a strategic project last year. "
        "The Italian government will invest EUR 5 million in the plant."
    )
    invs = of_type(events(text, "2026-03-04"), "investment")
    assert [e.initiator for e in invs] == [["EUU"], ["ITA"]], invs
    # a mineral listed as strategic is not a project selection
    assert of_type(events("Lithium is listed as a strategic raw material by the EU."), "investment") == []


def test_a_notice_of_appeal_is_a_filing_not_an_intention():
    text = (
        "The United States' largest lithium mine faces new litigation. "
        "The United States tribes filed on Monday a notice of their intent to appeal and a motion for an "
        "emergency injunction against the lithium mine."
    )
    others = of_type(events(text, "2026-03-04"), "other")
    assert any(e.rule == "other.dispute" and e.date == "2026-03-02" for e in others), others


# == round 6: categories from batch 5's tuning half (invented sentences of each shape) =========================
@pytest.mark.parametrize(
    ("text", "actor", "mineral"),
    [
        # the project first, the state's act in the passive; the agent from context or named after "by"
        (
            "Zimbabwe is a large producer of lithium. Leases to mine copper near the national park have been "
            "cancelled by the government.",
            "ZWE",
            "copper",
        ),
        (
            "Chile holds vast lithium brines. The lithium mining project was suspended by the ministry.",
            "CHL",
            "lithium",
        ),
        # a definite "the project" takes the story's mineral
        (
            "Serbia holds large lithium deposits. The project had been halted in 2022 after protests.",
            "SRB",
            "lithium",
        ),
        (
            "La Serbia è ricca di litio. Il progetto della miniera era stato sospeso nel 2022.",
            "SRB",
            "lithium",
        ),
        (
            "Il Portogallo ha giacimenti di litio. Le licenze di esplorazione sono state revocate.",
            "PRT",
            "lithium",
        ),
        # a state letting a mine resume, in Italian
        (
            "La Serbia è ricca di litio. Il governo ha autorizzato la ripresa di una miniera di litio.",
            "SRB",
            "lithium",
        ),
        (
            "La Serbia è ricca di litio. Belgrado ha consentito la ripresa dei lavori su un progetto di estrazione del litio.",
            "SRB",
            "lithium",
        ),
    ],
)
def test_a_state_s_halt_or_restart_of_a_project_in_any_voice(text, actor, mineral):
    lang = "it" if " il " in text.lower() or " le " in text.lower() or "belgrado" in text.lower() else None
    (ev,) = of_type(events(text, "2025-03-10", lang), "other")
    assert ev.initiator == [actor] and mineral in ev.minerals, ev


@pytest.mark.parametrize(
    "text",
    [
        "Zimbabwe is a large producer of lithium. Work at the lithium mine was halted after a flood.",
        "Chile holds vast lithium brines. Operations at the lithium mine were suspended after an accident.",
        "Chile holds vast lithium brines. Export permits for lithium were suspended on Monday.",
        "La Serbia è ricca di litio. Il progetto della miniera è stato sospeso dopo un incidente.",
        # a bill is a bill, not a project approved
        "La Serbia è ricca di litio. Il Senato ha approvato il progetto di legge sulle cave.",
    ],
)
def test_a_halt_caused_by_an_accident_or_an_export_measure_is_no_project_act(text):
    lang = "it" if " il " in text.lower() else None
    project_rules = ("other.halt", "other.approval")
    assert [e for e in events(text, "2025-03-10", lang) if e.rule.startswith(project_rules)] == []


@pytest.mark.parametrize(
    ("text", "language", "minerals"),
    [
        # an earlier agreement named by its year as the frame of the sentence; its parties from the article
        (
            "India has told its state miner to stop rare earth exports to Japan. Under a 2012 bilateral "
            "agreement, the state miner has been supplying rare earths to a Japanese trader.",
            None,
            {"rare_earths"},
        ),
        (
            "Australia and Germany met on Monday. Under the 2019 memorandum between India and Japan, the "
            "miner supplies neodymium.",
            None,
            {"neodymium"},
        ),
        (
            "L'India ha fermato l'export di terre rare verso il Giappone. In base a un accordo governativo del "
            "2012, la società fornisce terre rare a un gruppo giapponese.",
            "it",
            {"rare_earths"},
        ),
        (
            "Secondo un accordo del 2012 tra India e Giappone, la società statale fornisce neodimio.",
            "it",
            {"neodymium"},
        ),
    ],
)
def test_an_agreement_named_by_its_year_is_a_background_agreement(text, language, minerals):
    (ev,) = of_type(events(text, "2025-06-10", language), "agreement")
    assert set(ev.actors) == {"IND", "JPN"} and minerals <= set(ev.minerals), ev
    assert ev.salience == "background" and ev.date in ("2012", "2019"), ev


def test_an_italian_agreement_named_again_with_where_it_was_signed_is_a_reference():
    text = (
        "Il progetto rientra nel nuovo quadro di cooperazione Usa-Arabia Saudita sulle terre rare firmato a "
        "Washington."
    )
    (ev,) = of_type(events(text, None, "it"), "agreement")
    assert set(ev.actors) == {"USA", "SAU"} and ev.salience == "background"


@pytest.mark.parametrize(
    "text",
    [
        "Under a 2012 law, miners in Chile pay royalties on lithium.",
        "In base a una legge del 2012, le società cilene pagano royalty sul litio.",
    ],
)
def test_a_law_named_by_its_year_is_no_agreement(text):
    assert of_type(events(text, "2025-06-10", "it" if "legge" in text else None), "agreement") == []


@pytest.mark.parametrize(
    ("text", "actor", "mineral"),
    [
        ("The US banned imports of Russian uranium in May.", "USA", "uranium"),
        ("Japan imposed an import ban on Russian palladium on Friday.", "JPN", "platinum_group_metals"),
        ("China halted imports of cobalt from Congo after the dispute.", "CHN", "cobalt"),
        ("Il governo americano ha vietato le importazioni di uranio russo ad agosto.", "USA", "uranium"),
    ],
)
def test_an_import_ban_is_an_other_act_of_the_importer(text, actor, mineral):
    evs = events(text, "2024-11-15", "it" if " il " in text.lower() else None)
    (ev,) = of_type(evs, "other")
    assert ev.initiator == [actor] and mineral in ev.minerals, ev
    assert of_type(evs, "export_restriction") == []


@pytest.mark.parametrize(
    "text",
    [
        "The EU raised tariffs on imports of Chinese graphite.",
        "The Export-Import Bank approved a resolution on critical minerals and rare earths.",
    ],
)
def test_import_tariffs_and_the_export_import_bank_are_no_import_ban(text):
    assert [e for e in events(text, "2024-11-15") if e.rule == "other.import_ban"] == []


@pytest.mark.parametrize(
    "text",
    [
        "Korea holds lithium reserves. The government's efforts to unify the stockpiling of rare metals have been "
        "delayed for years.",
        "Korea holds lithium reserves. The stockpiling of gallium was delayed again.",
        "Korea holds lithium reserves. The national reserve of gallium has been put on hold.",
        "Il governo italiano vuole scorte. Il piano per creare scorte strategiche di litio è stato rinviato.",
        "Last week, the miner said it was stockpiling neodymium and praseodymium for strategic customers.",
        "The Australian miner is stockpiling lithium concentrate for its customers.",
    ],
)
def test_a_stalled_reserve_or_a_company_s_own_stockpiling_is_no_stockpile(text):
    assert of_type(events(text, "2022-10-13", "it" if " il " in text.lower() else None), "stockpile") == []


def test_a_state_s_stockpiling_with_its_attribution_after_it_stays_an_act():
    (ev,) = of_type(
        events("Korea will stockpile gallium and germanium, the ministry said on Monday."), "stockpile"
    )
    assert ev.initiator == ["KOR"]


@pytest.mark.parametrize(
    ("text", "etype", "wanted"),
    [
        (
            "Ruritania's neighbour China has curbed exports of rare metals. The list announced on Friday includes "
            "samarium, terbium and yttrium.",
            "export_restriction",
            {"samarium", "terbium", "yttrium", "rare_earths"},
        ),
        (
            "Australia approved a $1 billion loan for a rare earths refinery on Monday. The refinery will produce "
            "neodymium, praseodymium and dysprosium.",
            "investment",
            {"neodymium", "praseodymium", "dysprosium"},
        ),
        (
            "Korea signed an agreement with Kazakhstan on critical minerals on Wednesday. The memorandum will let "
            "Korean firms explore for lithium, chromium and uranium.",
            "agreement",
            {"lithium", "chromium", "uranium"},
        ),
        (
            "La Cina ha limitato le esportazioni di terre rare. L'elenco comprende samario, terbio e ittrio.",
            "export_restriction",
            {"samarium", "terbium", "yttrium"},
        ),
    ],
)
def test_the_next_sentence_spelling_out_a_group_gives_the_event_its_minerals(text, etype, wanted):
    (ev,) = of_type(events(text, "2025-04-07", "it" if "La Cina" in text else None), etype)
    assert wanted <= set(ev.minerals), ev


@pytest.mark.parametrize(
    "text",
    [
        # the event names its minerals: the next sentence is about something else
        "China has curbed exports of gallium. The country also produces lithium, cobalt and nickel.",
        # rare earths take only rare-earth elements
        "China has curbed exports of rare earths. The list also names lithium and cobalt.",
        # too far: four sentences later
        "China has curbed exports of rare metals. Prices rose. Traders worried. Buyers waited. The metals "
        "include lithium and cobalt.",
    ],
)
def test_an_unrelated_or_distant_list_adds_no_minerals(text):
    (ev,) = of_type(events(text, "2025-04-07"), "export_restriction")
    assert not {"lithium", "cobalt", "nickel"} & set(ev.minerals), ev


@pytest.mark.parametrize(
    ("text", "actor", "mineral"),
    [
        # a date put between the verb and its object
        (
            "La Cina ha deciso di limitare a partire dal 4 aprile 2025 le esportazioni di terre rare.",
            "CHN",
            "rare_earths",
        ),
        ("Pechino sospenderà da lunedì le esportazioni di gallio.", "CHN", "gallium"),
        ("Il Congo ha bloccato dal 22 febbraio l'export di cobalto.", "COD", "cobalt"),
        # "ha deciso di" + a restriction verb is the measure, not an agreement, even with another country named
        (
            "La Cina ha deciso di limitare le esportazioni di terre rare in risposta alla guerra commerciale con "
            "gli Stati Uniti.",
            "CHN",
            "rare_earths",
        ),
    ],
)
def test_an_italian_restriction_with_a_date_before_its_object_or_after_a_decision(text, actor, mineral):
    evs = events(text, "2025-04-07", "it")
    (ev,) = of_type(evs, "export_restriction")
    assert ev.initiator == [actor] and mineral in ev.minerals
    assert of_type(evs, "agreement") == []


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        (
            "The EU signed a memorandum on critical raw materials with Chile and a partnership on lithium with "
            "Argentina.",
            [("ARG", "EUU"), ("CHL", "EUU")],
        ),
        (
            "The EU commissioner signed a memorandum on critical raw materials with Chile's mining minister, and a "
            "strategic partnership on lithium with Argentina's economy minister.",
            [("ARG", "EUU"), ("CHL", "EUU")],
        ),
        (
            "L'Italia ha firmato un accordo sul litio con il Cile e un'intesa sul rame con il Perù.",
            [("CHL", "ITA"), ("ITA", "PER")],
        ),
        # one agreement with two partners stays one
        ("The EU signed an agreement on lithium with Chile and Argentina.", [("ARG", "CHL", "EUU")]),
    ],
)
def test_two_coordinated_agreements_each_with_its_partner_are_two_pairs(text, pairs):
    evs = of_type(events(text, "2023-10-26", "it" if "L'Italia" in text else None), "agreement")
    assert sorted(tuple(sorted(e.actors)) for e in evs) == pairs


def test_splitting_pairs_after_the_title_named_the_parties():
    # the title's pair is looked up first (an agreement with one named party), then a sentence splits into pairs
    article = Article(
        title="Italy and Japan deepen cooperation",
        text="A memorandum on lithium was signed in Rome on Monday. Italy signed a memorandum on lithium with "
        "Chile and a partnership on copper with Peru.",
        published="2023-10-26",
    )
    pairs = sorted(tuple(sorted(e.actors)) for e in extract_events(article) if e.event_type == "agreement")
    assert ("CHL", "ITA") in pairs and ("ITA", "PER") in pairs


# == round 7: categories from batch 6's tuning half (invented sentences of each shape) =========================
@pytest.mark.parametrize(
    ("text", "language", "pairs"),
    [
        # a bloc's partnerships listed in the passive, the partners after "other countries, including"
        (
            "Comparable lithium partnerships have been established by Japan with other countries, including "
            "Peru, Mongolia and Zambia.",
            None,
            [("JPN", "MNG"), ("JPN", "PER"), ("JPN", "ZMB")],
        ),
        (
            "Copper agreements were signed by Germany with several partners, including Chile and Peru.",
            None,
            [("CHL", "DEU"), ("DEU", "PER")],
        ),
        # each partner with the year in brackets
        (
            "Australia has signed cobalt partnerships with India (2022), Indonesia (2023) and Vietnam (2024).",
            None,
            [("AUS", "IND"), ("AUS", "IDN"), ("AUS", "VNM")],
        ),
        # Italian: "istituire partenariati", each partner with its article (and year)
        (
            "Negli ultimi anni il Giappone ha istituito partenariati sul nichel con il Perù (2020), l'Argentina "
            "(2021) e la Mongolia (2022).",
            "it",
            [("ARG", "JPN"), ("JPN", "MNG"), ("JPN", "PER")],
        ),
        (
            "La Germania ha firmato protocolli sul rame con il Cile, l'Uruguay e lo Zambia.",
            "it",
            [("CHL", "DEU"), ("DEU", "URY"), ("DEU", "ZMB")],
        ),
    ],
)
def test_a_list_of_partnerships_is_one_agreement_per_partner(text, language, pairs):
    evs = of_type(events(text, "2025-05-20", language), "agreement")
    assert sorted(tuple(sorted(e.actors)) for e in evs) == sorted(pairs), evs


@pytest.mark.parametrize(
    "text",
    [
        # one agreement between several parties stays one
        "An agreement on lithium was signed by Japan, Peru and Chile on Monday.",
        # a list of places after "including" is not a list of partners when no deal is named
        "Japan imports lithium from other countries, including Peru and Chile.",
    ],
)
def test_lists_that_are_not_one_partnership_each(text):
    evs = of_type(events(text, "2025-05-20"), "agreement")
    assert len(evs) <= 1, evs


@pytest.mark.parametrize(
    ("text", "language", "mineral"),
    [
        # controls on the technologies of a mineral's processing are export controls (a technology catalogue)
        ("Beijing imposed new controls on graphite purification techniques on Friday.", None, "graphite"),
        (
            "China added battery cathode technology to the list of technologies restricted from export.",
            None,
            "lithium_battery_materials",
        ),
        (
            "La Cina ha introdotto controlli sulle tecnologie di separazione delle terre rare.",
            "it",
            "rare_earths",
        ),
        (
            "Pechino ha aggiornato le regole. Sono stati imposti controlli anche sulle tecniche di raffinazione "
            "del germanio.",
            "it",
            "germanium",
        ),
        (
            "La Cina ha inserito la tecnologia dei materiali catodici nell'elenco delle tecnologie soggette a "
            "restrizioni.",
            "it",
            "lithium_battery_materials",
        ),
    ],
)
def test_controls_on_a_mineral_s_technologies_are_export_restrictions(text, language, mineral):
    (ev,) = of_type(events(text, "2025-07-15", language), "export_restriction")
    assert ev.initiator == ["CHN"] and mineral in ev.minerals, ev


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("China imposed controls on lithium mining in Yunnan.", None),
        ("The company introduced new graphite purification techniques at its plant in China.", None),
        ("La Cina ha imposto controlli sulle miniere di terre rare.", "it"),
    ],
)
def test_controls_on_mines_or_a_company_s_techniques_are_not(text, language):
    assert not of_type(events(text, "2025-07-15", language), "export_restriction")


def test_each_partner_s_year_in_brackets_dates_its_pair():
    text = (
        "Negli ultimi anni il Giappone ha istituito partenariati sul nichel con il Perù (2020), l'Argentina (2021) "
        "e la Mongolia (2022)."
    )
    evs = of_type(events(text, "2025-05-20", "it"), "agreement")
    assert {e.counterparts[0]: (e.date, e.date_precision) for e in evs} == {
        "PER": ("2020", "year"),
        "ARG": ("2021", "year"),
        "MNG": ("2022", "year"),
    }


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "Similar lithium partnerships have been established by Japan with other countries, including Peru and "
            "Mongolia.",
            None,
        ),
        ("Il Giappone ha firmato accordi analoghi sul nichel con il Perù e la Mongolia.", "it"),
    ],
)
def test_similar_partnerships_are_earlier_acts(text, language):
    evs = of_type(events(text, "2025-05-20", language), "agreement")
    assert len(evs) == 2 and all(e.salience == "background" and e.date is None for e in evs), evs


@pytest.mark.parametrize(
    ("text", "language", "pair"),
    [
        # the idiom "made a deal with", the partner a company named by its nationality
        (
            "Ghana's government recently made a deal with an Indian company to build a graphite plant.",
            None,
            ("GHA", "IND"),
        ),
        # a ruling body "in power in" a country acts for it, in either language
        (
            "The military junta in power in Niger reached an agreement with a Russian group on uranium.",
            None,
            ("NER", "RUS"),
        ),
        (
            "Il governo al potere in Guinea ha firmato un accordo sulla bauxite con una società turca.",
            "it",
            ("GIN", "TUR"),
        ),
    ],
)
def test_deals_with_a_foreign_company_and_ruling_bodies_in_a_country(text, language, pair):
    (ev,) = of_type(events(text, "2025-09-02", language), "agreement")
    assert tuple(sorted(ev.actors)) == tuple(sorted(pair)), ev


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "Peru is a large copper producer. The Congress approved the creation of a royalty on copper mines.",
            None,
        ),
        ("Il Perù produce molto rame. Il Parlamento ha approvato una nuova royalty sul rame.", "it"),
    ],
)
def test_a_royalty_approved_is_an_other_act(text, language):
    (ev,) = of_type(events(text, "2025-09-02", language), "other")
    assert ev.initiator == ["PER"] and "copper" in ev.minerals, ev


def test_making_something_possible_is_no_deal():
    text = "The minister made the deal possible with a phone call to Chile about lithium."
    assert not of_type(events(text, "2025-09-02"), "agreement")


@pytest.mark.parametrize(
    ("text", "language", "actor", "mineral"),
    [
        # a state screening foreign investment: a blocked stake or takeover, a divestment order
        (
            "Canada is rich in lithium. The minister has blocked a Chinese fund from raising its stake in a "
            "lithium developer.",
            None,
            "CAN",
            "lithium",
        ),
        (
            "Australia blocked the takeover of a nickel miner by a Russian group on Friday.",
            None,
            "AUS",
            "nickel",
        ),
        (
            "The United Kingdom ordered a Chinese investor to divest its shares in a tungsten producer.",
            None,
            "GBR",
            "tungsten",
        ),
        (
            "Il governo tedesco ha bloccato l'acquisizione di una società del cobalto da parte di un gruppo cinese.",
            "it",
            "DEU",
            "cobalt",
        ),
        # a project vetoed by a state agency
        ("Chile's environment agency vetoed a planned copper mine on Tuesday.", None, "CHL", "copper"),
    ],
)
def test_blocked_stakes_divestments_and_vetoes_are_other_acts_not_investments(text, language, actor, mineral):
    evs = events(text, "2025-06-04", language)
    assert not of_type(evs, "investment"), evs
    (ev,) = of_type(evs, "other")
    assert ev.initiator == [actor] and mineral in ev.minerals, ev


@pytest.mark.parametrize(
    "text",
    [
        "Protesters blocked the road to the lithium mine in Chile on Monday.",
        "Chile's state miner completed the acquisition of a lithium project for $200 million.",
        "The miner said it has received a construction permit for its $2 billion copper project in Peru.",
    ],
)
def test_no_screening_act_and_no_money_received_for_a_permit(text):
    evs = events(text, "2025-06-04")
    assert not [e for e in of_type(evs, "other") if e.rule == "other.screening"], evs
    assert not [e for e in evs if e.event_type == "investment" and "permit" in text], evs


@pytest.mark.parametrize(
    ("text", "language", "actor", "mineral"),
    [
        # a mining permit granted to a company is the host state's act, whoever is the subject
        (
            "Chile holds vast copper reserves. The miner said on Monday it has received an environmental permit "
            "for its copper project.",
            None,
            "CHL",
            "copper",
        ),
        (
            "Namibia is a uranium producer. The company was granted a mining licence for the uranium deposit.",
            None,
            "NAM",
            "uranium",
        ),
        (
            "Il Portogallo ha giacimenti di litio. La società ha ottenuto il permesso di ricerca per il litio.",
            "it",
            "PRT",
            "lithium",
        ),
        # a national-security determination on imports
        (
            "The Commerce Department determined that imports of titanium sponge threaten U.S. national security.",
            None,
            "USA",
            "titanium",
        ),
    ],
)
def test_permits_granted_and_import_determinations_are_other_acts(text, language, actor, mineral):
    (ev,) = of_type(events(text, "2025-03-03", language), "other")
    assert ev.initiator == [actor] and mineral in ev.minerals, ev


def test_an_export_licence_granted_is_no_permit_act():
    text = "China is the main gallium producer. The exporter received export licences for gallium shipments."
    assert not of_type(events(text, "2025-03-03"), "other")


@pytest.mark.parametrize(
    "text",
    [
        "The US development finance agency approved two new investments in critical minerals projects.",
        "Japan's state lender approved $80 million in financing for a rare earths separation plant.",
    ],
)
def test_an_agency_approving_its_financing_is_an_investment(text):
    (ev,) = of_type(events(text, "2025-03-03"), "investment")
    assert ev.initiator in (["USA"], ["JPN"]), ev


@pytest.mark.parametrize(
    ("text", "kind", "actors"),
    [
        # "entered into" an agreement is signing it
        (
            "Peru and Japan have entered into a memorandum of cooperation on copper supply chains.",
            "agreement",
            ("JPN", "PER"),
        ),
        # debt finance is funding, not a debt ("$300m in debt finance from an export-credit agency")
        (
            "A Canadian graphite developer has secured approval for up to $250m in debt finance from the Export "
            "Development Canada agency for its graphite project.",
            "investment",
            ("CAN",),
        ),
    ],
)
def test_entering_into_an_agreement_and_debt_finance(text, kind, actors):
    (ev,) = of_type(events(text, "2025-04-10"), kind)
    assert set(actors) <= set(ev.actors), ev


def test_talks_entered_into_are_no_agreement():
    assert not of_type(
        events("Chile entered into talks about a lithium agreement with Japan.", "2025-04-10"), "agreement"
    )


@pytest.mark.parametrize(
    "text",
    [
        # the stockpile manager buying or seeking offers is stockpiling, the stockpile unnamed
        "The Defense Logistics Agency on Tuesday issued notices seeking information for scandium and gallium.",
        "DLA filings point to planned purchases of up to $300 million of antimony and cobalt.",
    ],
)
def test_the_stockpile_manager_s_purchases_are_stockpiling(text):
    (ev,) = of_type(events(text, "2025-02-12"), "stockpile")
    assert ev.initiator == ["USA"], ev


def test_a_state_ordering_miners_to_suspend_mining_is_a_halt():
    text = "Brazil produces niobium. The government ordered two companies to suspend mining at niobium mines."
    (ev,) = of_type(events(text, "2025-02-12"), "other")
    assert ev.initiator == ["BRA"] and "niobium" in ev.minerals, ev
