"""Round 8 (issue 14): the categories of state acts that batch 7's tuning half showed the rules lacked — trade
remedies, mining titles renewed or revoked, production quotas, decrees adopted, plans approved, critical-mineral
lists released, state companies created, state takeovers, agreements signed as the end of a visit or amended —
each pinned with sentences invented for it (none is copied from an article), English and Italian, with the near
misses that must stay no event (a company's own affairs, a request, a speculation, an export measure).
"""

from __future__ import annotations

import pytest

from critmin.news.extract import extract_events
from critmin.news.model import Article


def events(text, published="2025-06-10"):
    return [e for e in extract_events(Article(text=text, published=published)) if e.mineral_relevant]


def others(text):
    return [e for e in events(text) if e.event_type == "other"]


# == trade remedies: the importing state's duties, determinations and investigations ===========================
@pytest.mark.parametrize(
    ("text", "actor", "mineral"),
    [
        (
            "The Commerce Department said on Monday it will impose provisional anti-dumping duties of 80% on "
            "Chinese imports of graphite anode material.",
            "USA",
            "graphite",
        ),
        (
            "The European Commission has imposed definitive safeguard measures on imports of ferrosilicon.",
            "EUU",
            "silicon",
        ),
        (
            "On 3 March the US Department of Commerce announced its final affirmative determinations in the "
            "countervailing duty investigation of tungsten from Vietnam.",
            "USA",
            "tungsten",
        ),
        (
            "India's trade ministry launched anti-dumping and countervailing duty investigations into imports "
            "of cobalt oxide from China.",
            "IND",
            "cobalt",
        ),
        (
            "La Commissione europea ha imposto dazi antidumping sulle importazioni di magnesio dalla Cina.",
            "EUU",
            "magnesium",
        ),
        (
            "On Tuesday the US International Trade Commission ruled that imports of silicon metal from Brazil "
            "injure domestic producers.",
            "USA",
            "silicon",
        ),
    ],
)
def test_trade_remedies_are_the_importing_state_s_other_acts(text, actor, mineral):
    [ev] = others(text)
    assert actor in ev.initiator and mineral in ev.minerals


@pytest.mark.parametrize(
    "text",
    [
        "Graphite producers asked the government to impose anti-dumping duties on Chinese anode material.",
        "The miner said anti-dumping duties on silicon metal could hurt its sales to the United States.",
        # (a police probe is still read as an investigation by the older rule other.investigation: left)
        "The police launched an investigation into the accident at the cobalt mine in Zambia.",
    ],
)
def test_a_request_a_speculation_or_a_police_probe_is_no_trade_remedy(text):
    assert [e for e in others(text) if e.rule.startswith("other.r8_")] == []


# == mining titles renewed, extended, enlarged or revoked by the state ==========================================
@pytest.mark.parametrize(
    ("text", "actor"),
    [
        (
            "Malaysia's licensing board renewed the operating licence of the rare earths plant for three years.",
            "MYS",
        ),
        ("Indonesia's energy ministry revoked 40 nickel mining permits last month.", "IDN"),
        ("Il ministero italiano ha rinnovato il permesso di ricerca per il cobalto in Piemonte.", "ITA"),
        (
            "La Regione Piemonte ha accolto la richiesta di ampliamento dell'area di ricerca mineraria di cobalto.",
            "ITA",
        ),
    ],
)
def test_mining_titles_renewed_or_revoked_are_the_state_s_acts(text, actor):
    [ev] = others(text)
    assert actor in ev.initiator


@pytest.mark.parametrize(
    "text",
    [
        "The Australian miner withdrew its permit application for the lithium project in Portugal.",
        "Indonesia renewed the export licence of the copper smelter for another year.",
    ],
)
def test_a_company_s_application_or_an_export_licence_is_no_mining_title_act(text):
    assert [e for e in others(text) if e.rule == "other.r8_licence_act"] == []


# == production quotas, decrees, plans, lists, state companies, takeovers ======================================
@pytest.mark.parametrize(
    ("text", "actor", "mineral"),
    [
        (
            "China cut its rare earth mining quota by 10% for the first half of the year.",
            "CHN",
            "rare_earths",
        ),
        (
            "Indonesia will reduce the validity of nickel mining production quotas to one year.",
            "IDN",
            "nickel",
        ),
        (
            "La Cina ha fissato la quota per la separazione di terre rare a 90.000 tonnellate.",
            "CHN",
            "rare_earths",
        ),
        (
            "In Italia è stato adottato il Decreto-Legge 5 marzo 2024, n. 12 sulle materie prime critiche.",
            "ITA",
            "critical_minerals",
        ),
        (
            "Japan's Fifth Minerals Strategy, approved by the Cabinet in May, sets targets for copper supply.",
            "JPN",
            "copper",
        ),
        (
            "India's mines minister released a report holding the list of twenty critical minerals.",
            "IND",
            "critical_minerals",
        ),
        ("Il governo cileno ha costituito la società statale del litio.", "CHL", "lithium"),
        ("Niger's junta seized control of the uranium mine run by the French group.", "NER", "uranium"),
    ],
)
def test_quotas_decrees_plans_lists_state_companies_and_takeovers(text, actor, mineral):
    [ev] = others(text)
    assert actor in ev.initiator and mineral in ev.minerals


@pytest.mark.parametrize(
    "text",
    [
        "Indonesia cut export quotas for nickel ore.",  # an export measure, read by the restriction rules
        "The lithium miner exceeded its production quota last year.",
        "Analysts said the list of critical minerals in India is too long.",
        "The miner created a new state-of-the-art copper plant in Chile.",
    ],
)
def test_export_quotas_a_company_s_quota_comment_and_plants_are_no_such_acts(text):
    assert [e for e in others(text) if e.rule.startswith("other.r8_")] == []


# == agreements signed as the end of a visit, or amended ========================================================
@pytest.mark.parametrize(
    "text",
    [
        "Chile's mining minister ended her visit to Japan with the signing of a memorandum of cooperation on "
        "lithium with Japan's industry ministry.",
        "Japan has added cooperation on lithium to its mining cooperation agreement with Chile.",
    ],
)
def test_a_signing_that_ends_a_visit_and_an_amended_agreement_are_agreements(text):
    [ev] = [e for e in events(text) if e.event_type == "agreement"]
    assert {"JPN", "CHL"} <= {*ev.initiator, *ev.counterparts} and "lithium" in ev.minerals


# == export taxes raised or regulated: export restrictions ======================================================
@pytest.mark.parametrize(
    ("text", "mineral"),
    [
        ("Indonesia has raised export tax rates for copper concentrate to 10%.", "copper"),
        ("L'Indonesia ha aumentato i dazi all'esportazione del nichel.", "nickel"),
    ],
)
def test_export_taxes_raised_are_export_restrictions(text, mineral):
    [ev] = [e for e in events(text) if e.event_type == "export_restriction"]
    assert ev.initiator == ["IDN"] and mineral in ev.minerals


def test_an_expected_export_tax_is_no_restriction():
    assert events("Analysts expect Indonesia to raise export taxes on copper concentrate.") == []
