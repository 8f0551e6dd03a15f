"""Whole short articles of the genre (written for these tests after real 2023–2025 events, not copied):
each must yield exactly the listed mineral-relevant events (type, actor set, a required mineral, date)."""

from __future__ import annotations

import pytest

from critmin.news.extract import extract_events
from critmin.news.model import Article

CASES = {
    "china-oct-2025-package": (
        "China expands rare earth export controls\n\n"
        "BEIJING, Oct 9 (Reuters) - China dramatically expanded its rare earths export controls on Thursday, adding "
        "five new elements as Beijing tightens its grip on the sector ahead of talks between President Xi Jinping "
        "and U.S. President Donald Trump.\n"
        "The commerce ministry also said it would impose export controls on superhard materials, lithium batteries "
        "and graphite anode materials from November 8.\n"
        "China accounts for more than 90% of global processed rare earths.\n"
        "Trump said on Friday he might impose massive tariffs on Chinese goods in response.",
        "2025-10-09",
        [
            ("export_restriction", {"CHN"}, "rare_earths", "2025-10-09"),
            ("export_restriction", {"CHN"}, "superhard_materials", "2025-10-09"),
        ],
    ),
    "china-nov-2025-suspension": (
        "China's commerce ministry said on Friday it would suspend the export controls on rare earths and lithium "
        "battery materials announced on October 9 until November 10, 2026.\n"
        "The ministry also suspended its ban on exports of gallium, germanium and antimony to the United States, "
        "which had been in place since December 2024.\n"
        "The two leaders agreed to a one-year trade truce last week.",
        "2025-11-07",
        [
            ("restriction_lifted", {"CHN"}, "rare_earths", "2025-11-07"),
            ("restriction_lifted", {"CHN", "USA"}, "gallium", "2025-11-07"),
        ],
    ),
    "gabon-manganese": (
        "Gabon to ban manganese ore exports from 2029\n\n"
        "LIBREVILLE, May 29 - Gabon will ban exports of raw manganese ore from January 2029 to encourage local "
        "processing, the presidency said on Thursday.\n"
        "Gabon is the world's second-largest producer of manganese.",
        "2025-05-29",
        [("export_restriction", {"GAB"}, "manganese", "2025-05-29")],
    ),
    "us-ukraine-deal": (
        "The United States and Ukraine on Wednesday signed a deal that will give Washington preferential access "
        "to new Ukrainian minerals deals.\n"
        "Ukraine holds deposits of lithium, graphite and titanium.\n"
        "Ukraine's economy minister Yulia Svyrydenko signed the deal in Washington with Treasury Secretary "
        "Scott Bessent.",
        "2025-05-01",
        [("agreement", {"USA", "UKR"}, "critical_minerals", "2025-04-30")],
    ),
    "pentagon-mp-materials": (
        "Pentagon to become largest shareholder in rare earths miner MP Materials\n\n"
        "The U.S. Department of Defense will invest $400 million in MP Materials' preferred stock, MP said on "
        "Thursday.\nShares of MP Materials jumped 50% in premarket trading.",
        "2025-07-10",
        [("investment", {"USA"}, "rare_earths", "2025-07-10")],
    ),
    "philippines-weighs-ban": (
        "The Philippine Senate approved a bill that could ban exports of raw minerals within five years.\n"
        "The Philippines is the world's second-largest nickel producer after Indonesia, which banned ore exports "
        "in 2020.",
        "2025-06-01",
        [("export_restriction", {"IDN"}, "nickel", "2020")],
    ),
    "indonesia-bauxite": (
        "Indonesia's ban on exports of bauxite took effect on Saturday, June 10, as the government pushes miners "
        "to build smelters at home, the energy ministry said.\n"
        "The ban was announced by President Joko Widodo in December last year.",
        "2023-06-12",
        [("export_restriction", {"IDN"}, "bauxite", "2022-12")],
    ),
    "vietnam-australia": (
        "Australia and Vietnam elevated their relationship to a comprehensive strategic partnership on Thursday "
        "during a visit by Vietnamese Prime Minister Pham Minh Chinh to Canberra.\n"
        "The two countries also signed agreements on critical minerals cooperation and energy.",
        "2024-03-07",
        [
            ("partnership_upgrade", {"AUS", "VNM"}, None, "2024-03-07"),
            ("agreement", {"AUS", "VNM"}, "critical_minerals", "2024-03-07"),
        ],
    ),
    "japan-chile-headline-minerals": (
        "Japan, Chile sign lithium pact\n\n"
        "Japan and Chile signed a memorandum of cooperation on Tuesday in Santiago.",
        "2025-03-12",
        [("agreement", {"JPN", "CHL"}, "lithium", "2025-03-11")],
    ),
    "headline-lead-and-background": (
        "China bans gallium exports to US\n\n"
        "China on Tuesday banned exports of the metals to the United States, escalating trade tensions.\n"
        "The ban on exports of gallium, germanium and antimony to the United States takes effect immediately, "
        "the ministry said.\n"
        "Beijing's move to ban gallium exports came a day after Washington's new chip curbs.\n"
        "China first restricted gallium exports in 2023.",
        "2024-12-03",
        [
            ("export_restriction", {"CHN", "USA"}, "gallium", "2024-12-03"),
            ("export_restriction", {"CHN"}, "gallium", "2023"),
        ],
    ),
    "msp-join": (
        "India has joined the Minerals Security Partnership, a US-led initiative to secure supply chains of "
        "critical minerals, the foreign ministry said on Wednesday.",
        "2023-06-21",
        [("agreement", {"IND", "USA"}, "critical_minerals", "2023-06-21")],
    ),
    "korea-stockpile": (
        "South Korea will expand its strategic stockpile of critical minerals to 100 days of imports by 2030, "
        "the industry ministry said on Monday, including rare earths and lithium.",
        "2024-02-26",
        [("stockpile", {"KOR"}, "lithium", "2024-02-26")],
    ),
    "italian-lifting": (
        "Il ministero del Commercio cinese ha annunciato domenica la sospensione del divieto di esportazione di "
        "gallio, germanio e antimonio verso gli Stati Uniti, in vigore da dicembre 2024, fino al 27 novembre 2026.",
        "2025-11-09",
        [("restriction_lifted", {"CHN", "USA"}, "gallium", "2025-11-09")],
    ),
    "italian-mou": (
        "Materie prime critiche, firmato accordo Italia-Giappone\n\n"
        "ROMA (ITALPRESS) - Italia e Giappone hanno firmato oggi a Roma un memorandum d'intesa sulla cooperazione "
        "nel settore delle materie prime critiche, ha annunciato il ministro delle Imprese Adolfo Urso.",
        "2025-05-12",
        [("agreement", {"ITA", "JPN"}, "critical_minerals", "2025-05-12")],
    ),
    "official-announcement-with-numbered-items": (
        "Announcement of the Ministry of Commerce on strengthening export control of dual-use items to the "
        "United States\n\n"
        "In accordance with the Export Control Law of the People's Republic of China, it is decided to strengthen "
        "the export control of relevant dual-use items to the United States. The matters are announced as "
        "follows:\n"
        "1. The export of dual-use items to U.S. military users is prohibited.\n"
        "2. In principle, the export of gallium, germanium and antimony related dual-use items to the United "
        "States shall not be permitted.\n"
        "Ministry of Commerce\nDecember 3, 2024",
        "2024-12-03",
        [("export_restriction", {"CHN", "USA"}, "antimony", "2024-12-03")],
    ),
    "licence-with-a-gap": (
        "China will require exporters of some graphite products to apply for export permits from December 1, "
        "the commerce ministry said on Friday.",
        "2023-10-20",
        [("export_restriction", {"CHN"}, "graphite", "2023-10-20")],
    ),
    "related-news-links-are-not-this-story": (
        "Congo extends cobalt export suspension\n\n"
        "Kinshasa said on Saturday it would extend its suspension of cobalt exports by three months.\n\n"
        "Prices rose.\n\nRelated news\nChina bans gallium exports to US\n20.09.2024 - 23:00\n"
        "Indonesia to ban bauxite exports\n",
        "2025-06-21",
        [("export_restriction", {"COD"}, "cobalt", "2025-06-21")],
    ),
    # distractors: no mineral-relevant event
    "market-report": (
        "Rare earth prices jump on Chinese curbs\n\n"
        "Prices of dysprosium and terbium jumped 20% this week as China's export curbs squeezed supply, traders "
        "said.\nChina accounts for 90% of rare earth refining. Carmakers warned of shortages.",
        "2025-05-02",
        [],
    ),
    "talks-only": (
        "U.S. and Japanese officials discussed cooperation on critical minerals in Tokyo on Monday.\n"
        "The two sides agreed to continue talks.",
        "2025-02-10",
        [],
    ),
    "unilateral-initiative": (
        "Japan announced a new initiative on Friday to secure supplies of lithium for its battery industry.",
        "2025-02-14",
        [],
    ),
    "threat": (
        "President Vladimir Putin said on Wednesday that Russia should consider limiting exports of uranium, "
        "titanium and nickel in response to Western sanctions.",
        "2024-09-11",
        [],
    ),
    # an intention is not an event; a plan unveiled is (the corpus annotation counts "announced plans to
    # stockpile" as a stockpile decision)
    "plans": (
        "The U.S. Defense Logistics Agency plans to buy up to $500 million of cobalt for the national defense "
        "stockpile.\nThe EU unveils plan to stockpile critical raw materials.",
        "2025-10-13",
        [("stockpile", {"EUU"}, "critical_minerals", "2025-10")],
    ),
    "lithium-slump": (
        "Australian lithium producer Pilbara Minerals said on Tuesday it would cut production as lithium prices "
        "fell to a four-year low.\nChina's imports of spodumene from Australia fell 20% last month.",
        "2024-02-20",
        [],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_article_yields_exactly_the_expected_events(name):
    text, pub, expected = CASES[name]
    events = [e for e in extract_events(Article(text=text, published=pub)) if e.mineral_relevant]
    got = [(e.event_type, set(e.actors), e.minerals, e.date) for e in events]
    assert len(got) == len(expected), got
    for (etype, actors, minerals, date), (want_type, want_actors, want_mineral, want_date) in zip(
        got, expected, strict=True
    ):
        assert etype == want_type, got
        assert want_actors <= actors, got
        assert want_mineral is None or want_mineral in minerals, got
        assert date == want_date, got
