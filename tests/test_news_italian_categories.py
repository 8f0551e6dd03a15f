"""Italian categories read the same way wherever they occur (issue 14, round 8): each test pins one category
that the Italian rule tables or the engine gained, with sentences invented for it (none is copied from an
article or from a grid template). The categories: tin named "stagno", sums in words, Italy's regions and
legal instruments as Italian state actors, a ministry of mines that is no mine, short Italian texts read as
Italian, production quotas, and what a request is not ("chiedere conto").
"""

from __future__ import annotations

import pytest

from critmin.news.extract import extract_events
from critmin.news.model import Article


def events(text: str, published: str = "2025-05-22"):
    return [e for e in extract_events(Article(text=text, published=published)) if e.mineral_relevant]


def one(text: str):
    evs = events(text)
    assert len(evs) == 1, [(e.event_type, e.initiator, e.minerals, e.rule) for e in evs]
    return evs[0]


@pytest.mark.parametrize(
    "text",
    [
        "La Bolivia ha sospeso le esportazioni di stagno.",
        "Il governo boliviano ha vietato l'export dello stagno grezzo.",
    ],
)
def test_stagno_is_tin(text):
    ev = one(text)
    assert ev.event_type == "export_restriction" and ev.minerals == ["tin"] and ev.initiator == ["BOL"]


@pytest.mark.parametrize(
    "text",
    [
        "Il governo giapponese ha concesso un prestito da un miliardo di euro alla miniera di nichel.",
        "La Bei ha approvato un finanziamento da due miliardi di euro per la raffineria di litio.",
        "Il governo giapponese ha erogato € 1,5 miliardi alla società che estrae cobalto.",
    ],
)
def test_sums_in_words_and_with_the_symbol_before_are_money(text):
    ev = one(text)
    assert ev.event_type == "investment"


def test_a_region_grants_a_permit_for_italy():
    ev = one("La Regione Toscana ha approvato il permesso di ricerca di litio della società.")
    assert ev.event_type == "other" and ev.initiator == ["ITA"] and ev.minerals == ["lithium"]


def test_italian_law_cited_by_its_instrument_is_italy_s_act():
    text = (
        "La Commissione europea ha pubblicato l'elenco dei progetti strategici sulle materie prime critiche. "
        "Sul piano nazionale è stato adottato il Decreto-Legge 3 marzo 2025, n. 12 sulle materie prime critiche."
    )
    laws = [e for e in events(text) if e.event_type == "other" and e.date == "2025-03-03"]
    assert [e.initiator for e in laws] == [["ITA"]]
    # the lower-case noun is anyone's decree
    ev = one("Il governo cileno ha approvato il decreto-legge sul litio.")
    assert ev.initiator == ["CHL"]


def test_a_ministry_of_mines_is_no_mine():
    text = (
        "Il prezzo del cobalto è salito dopo lo stop del ministero delle Miniere congolese alle esportazioni."
    )
    assert not [e for e in events(text) if e.salience == "main"]
    ev = one("Il ministero delle Miniere congolese ha sospeso il progetto della miniera di cobalto.")
    assert ev.event_type == "other" and ev.initiator == ["COD"]


def test_a_one_line_italian_note_is_read_as_italian():
    ev = one("L'esecutivo ha convertito in legge il decreto sul litio.")
    assert ev.event_type == "other" and ev.initiator == ["ITA"]


def test_production_quotas_are_other_acts_and_export_quotas_are_restrictions():
    ev = one("La Cina ha fissato la quota di estrazione di terre rare a 100.000 tonnellate.")
    assert ev.event_type == "other" and ev.initiator == ["CHN"]
    ev = one("La Cina ha fissato quote all'esportazione di terre rare.")
    assert ev.event_type == "export_restriction"


def test_asking_for_an_account_is_no_request():
    text = (
        "Un consigliere ha chiesto conto all'assessore della miniera di cobalto, dove la società ha ottenuto "
        "un permesso di ricerca dalla Regione Piemonte."
    )
    assert [e.event_type for e in events(text)] == ["other"]
    # a request for the act itself is no act
    assert not events(
        "Il consigliere chiede alla Regione Piemonte di rilasciare un permesso di ricerca di cobalto."
    )
