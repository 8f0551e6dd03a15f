"""Event dates that generalise (issue 14, "Dates" round): one test per category of wrong date found on the
corpus's tuning part, each with sentences invented for it (none is copied from an article), English and Italian
where both apply. The categories and their counts are in docs/news.md ("Dates round").
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.news.dates import find_dates, text_reference
from critmin.news.extract import extract_events
from critmin.news.merge import merge
from critmin.news.model import Article, Event
from critmin.news.slots import named_earlier_act

MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]  # fmt: skip
WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAYS_IT = ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"]


def events(text, published=None, language=None):
    return [
        e
        for e in extract_events(Article(text=text, published=published, language=language))
        if e.mineral_relevant
    ]


def one(evs, etype):
    (ev,) = [e for e in evs if e.event_type == etype]
    return ev


def _one_date(text, pub):
    (d,) = find_dates(text, pub)
    return d


# == 1. no publication date: the year the text fixes for itself ================================================
LIFTING_EN = (
    "Vietnam lifts rare earth export ban for Japan\n\n"
    "Vietnam will lift its ban on exports of rare earths to Japan until March 31 2032, the trade ministry said "
    "on Tuesday October 14.\n\nThe ban was first imposed in May 2030."
)
LIFTING_IT = (
    "Il Cile sospende il divieto di esportazione di litio verso la Cina fino al 30 giugno 2032, ha annunciato "
    "martedì 14 ottobre il ministero delle Miniere. Il divieto era stato introdotto nel maggio 2030."
)


@pytest.mark.parametrize(("text", "language"), [(LIFTING_EN, "en"), (LIFTING_IT, "it")])
def test_a_day_written_with_its_weekday_fixes_the_year_of_a_text_without_publication_date(text, language):
    # 14 October is a Tuesday in 2031 only, of the years around those the text names (2030, 2032)
    lifted = one(events(text, None, language), "restriction_lifted")
    assert lifted.date == "2031-10-14"
    assert "text year 2031" in lifted.date_basis


@pytest.mark.parametrize(
    ("text", "language", "mineral"),
    [
        (
            "Under Decree No. 45 of 2031, Gabon has banned exports of raw manganese. On Thursday the mines "
            "ministry also imposed export licences on cobalt concentrate.",
            "en",
            "cobalt",
        ),
        (
            "Con il decreto n. 12 del 2031 la Tanzania ha vietato le esportazioni di grafite grezza. Giovedì il "
            "ministero ha inoltre imposto licenze all'esportazione di nichel.",
            "it",
            "nickel",
        ),
    ],
)
def test_an_instruments_year_dates_the_acts_of_a_text_without_publication_date(text, language, mineral):
    evs = [e for e in events(text, None, language) if e.event_type == "export_restriction"]
    assert [e.date for e in evs] == ["2031", "2031"]  # the decree's own act, and "Thursday" in that year
    assert next(e for e in evs if mineral in e.minerals).date_precision == "year"


def test_a_plain_year_in_the_text_fixes_nothing():
    # "agreed in 2029" dates that grant, not the news: "on Tuesday" stays unknown without a publication date
    text = (
        "Canada's industry ministry on Tuesday approved a C$200 million loan for a graphite plant in Quebec. "
        "The loan adds to a grant agreed in 2029."
    )
    assert text_reference(text) is None
    assert one(events(text), "investment").date is None
    assert one(events(text, "2031-03-06"), "investment").date == "2031-03-04"


@pytest.mark.parametrize(
    ("text", "year"),
    [
        (
            "the ministry announced on Sunday November 9 a suspension until November 27 2026, after a 2024 ban",
            2025,
        ),
        ("il ministero ha annunciato domenica 9 novembre una sospensione fino al 27 novembre 2026", 2025),
        ("Announcement No. 61 of 2031 adds five metals", 2031),
        ("in base all'annuncio numero 7 del 2031", 2031),
        ("Notice 2031/7 covers tin; it amends Order 3 of 2029", 2031),  # the newest instrument
    ],
)
def test_text_reference(text, year):
    ref = text_reference(text)
    assert ref is not None and ref.precision == "year" and ref.value == str(year)


@pytest.mark.parametrize(
    "text",
    [
        "the loan agreed in 2029 was raised on Friday",  # a plain year
        "under Regulation (EU) 2031/1252",  # an EU act's number: its own year, not the news's
        "on Sunday November 9",  # a weekday and a day, but no year in the text to choose around
    ],
)
def test_texts_that_fix_no_year(text):
    assert text_reference(text) is None


@given(st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2095, 12, 31)))
def test_the_weekday_picks_the_one_year_near_those_the_text_names(day):
    text = (
        f"The ministry announced on {WEEKDAYS_EN[day.weekday()]} {MONTHS_EN[day.month - 1]} {day.day} a "
        f"suspension until January {day.year + 1}, after a ban imposed in March {day.year - 1}."
    )
    ref = text_reference(text)
    # the same weekday and day recur only 5, 6 or 11 years apart: one year in the span the text names, ±1
    assert ref is not None and ref.value == str(day.year)


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("signed on October 9", "2031-10-09", "day"),
        ("firmato il 9 ottobre", "2031-10-09", "day"),
        ("the ministry said on Friday", "2031", "year"),
        ("il ministero ha detto venerdì", "2031", "year"),
        ("announced today", "2031", "year"),
        ("controls tightened in March this year", "2031-03", "month"),
        ("i sette annunciati nell'aprile di quest'anno", "2031-04", "month"),
        ("this year", "2031", "year"),
        ("last year", "2030", "year"),
        ("tightened exports last December", None, "month"),  # needs the publication month
        ("earlier this month", None, "month"),
    ],
)
def test_a_year_reference_resolves_what_a_year_can(text, value, precision):
    d = _one_date(text, text_reference("Order 4 of 2031"))
    assert (d.value, d.precision) == (value, precision)


def test_the_text_year_dates_events_after_merging_never_deciding_what_is_one_event():
    # the same text with and without the weekday that fixes its year: the same events, dated or not
    fixed = events(LIFTING_EN)
    plain = events(LIFTING_EN.replace("Tuesday October 14", "October 14"))
    assert [(e.event_type, e.actors, e.minerals) for e in fixed] == [
        (e.event_type, e.actors, e.minerals) for e in plain
    ]
    assert one(plain, "restriction_lifted").date is None


def test_merge_reports_which_events_it_combined():
    def ev(start, date=None):
        return Event(event_type="export_restriction", initiator=["CHN"], minerals=["gallium"], date=date,
                     evidence_start=start, evidence_end=start + 10, trigger="ban")  # fmt: skip

    a, b, c = ev(0), ev(100, "2031-03-04"), ev(200)
    merged: dict = {}
    (kept,) = merge([a, b, c], set(), merged)
    assert kept is b  # the dated mention is kept as evidence
    assert merged[id(kept)] == [a, c]


# == 2. the day stands in a neighbouring sentence that refers to the event ======================================
@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "Chile has banned exports of raw lithium. But the ministry's decision was only published on Monday.",
            "en",
        ),
        (
            "Il governo cileno ha vietato le esportazioni di litio grezzo. Ma la decisione è stata comunicata "
            "lunedì dal ministero delle Miniere.",
            "it",
        ),
    ],
)
def test_a_next_sentence_after_a_connective_or_with_a_possessive_refers_back(text, language):
    ban = one(events(text, "2031-03-06", language), "export_restriction")
    assert ban.date == "2031-03-03"
    assert "neighbouring sentence" in ban.date_basis


@pytest.mark.parametrize(
    ("first", "second", "language"),
    [
        (
            "After talks on February 20 with Chinese buyers, Peru's finance ministry declared on March 3 a new "
            "tax on mining profits.",
            "Concurrently, Peru's mines ministry imposed a ban on exports of raw copper concentrate.",
            "en",
        ),
        (
            "Peru's finance ministry declared on March 3 a new tax on mining profits, on top of a levy that had "
            "already been raised earlier this year.",
            "At the same time, Peru's mines ministry imposed a ban on exports of raw copper concentrate.",
            "en",
        ),
        (
            "Dopo i colloqui del 20 febbraio con gli acquirenti cinesi, il ministero delle Finanze del Perù ha "
            "annunciato il 3 marzo una nuova tassa sugli utili minerari.",
            "Contestualmente, il Perù ha vietato le esportazioni di concentrato di rame grezzo.",
            "it",
        ),
    ],
)
def test_an_act_on_the_occasion_of_the_sentence_before_takes_that_sentences_act_date(first, second, language):
    # published in April: the March day is no lead day of the article, only the occasion the sentence names
    ban = one(events(f"{first}\n\n{second}", "2031-04-06", language), "export_restriction")
    assert ban.date == "2031-03-03"  # the act that sentence reports, not the talks it follows
    rest = second.split(", ", 1)[1]
    alone = one(
        events(f"{first}\n\n{rest[0].upper()}{rest[1:]}", "2031-04-06", language), "export_restriction"
    )
    assert alone.date == "2031-04"  # without the cue: the publication month


# == 3. "today" in the lead: the publication day is stated ======================================================
@pytest.mark.parametrize(
    ("headline", "body", "language"),
    [
        (
            "Chile and Japan sign lithium supply pact",
            "Today, officials of both countries announced the news in Santiago.",
            "en",
        ),
        (
            "Chile and Japan sign lithium supply pact",
            '"Today\'s announcement is good news for our miners."',
            "en",
        ),
        (
            "Italia e Cile firmano un accordo sul litio",
            "Oggi i due governi hanno annunciato l'intesa a Roma.",
            "it",
        ),
    ],
)
def test_today_in_the_lead_gives_the_announcement_its_publication_day(headline, body, language):
    context = (
        "The two countries have traded copper for decades."
        if language == "en"
        else "I due paesi commerciano rame da decenni."
    )
    text = f"{headline}\n\n{context}\n\n{body}"
    deal = one(events(text, "2031-03-06", language), "agreement")
    assert deal.date == "2031-03-06"
    assert "leads with" in deal.date_basis


def test_without_a_stated_day_fresh_news_keeps_the_publication_month():
    text = (
        "Italia e Cile firmano un accordo sul litio\n\nI due paesi commerciano rame da decenni.\n\n"
        "I due governi hanno presentato l'intesa a Roma."
    )
    assert one(events(text, "2031-03-06", "it"), "agreement").date == "2031-03"
    # a month-precise publication date cannot give a day
    text = "Chile and Japan sign lithium supply pact\n\nToday's announcement is good news for our miners."
    assert one(events(text, "2031-03"), "agreement").date == "2031-03"


# == 4. an earlier act named as what the news responds to: no article date ====================================
@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "Russia said on Friday it would ban exports of enriched uranium to the United States. The decision "
            "comes in response to Washington's ban on imports of Russian uranium.",
            "en",
        ),
        (
            "La Russia ha annunciato venerdì il divieto di esportazione di uranio arricchito verso gli Stati "
            "Uniti. La decisione arriva in risposta al divieto di importazione di uranio russo imposto da "
            "Washington.",
            "it",
        ),
    ],
)
def test_the_act_a_measure_responds_to_is_not_dated_by_the_news(text, language):
    evs = events(text, "2031-03-07", language)
    assert one(evs, "export_restriction").date == "2031-03-07"
    (earlier,) = [e for e in evs if e.initiator == ["USA"]]
    assert earlier.date is None  # not the paragraph's reporting day, not the publication month


@pytest.mark.parametrize(
    ("text", "trigger", "named"),
    [
        ("This comes as a direct response to Washington's imposition of a ban on imports", "ban", True),
        (
            "Pechino ha reagito per ritorsione contro i dazi, come risposta alle restrizioni imposte",
            "restrizioni",
            True,
        ),
        (
            "In response to US tariffs, China imposed a ban on gallium exports",
            "ban",
            False,
        ),  # the news itself
        ("China imposed a ban on gallium exports in response to US tariffs", "ban", False),
    ],
)
def test_named_earlier_act(text, trigger, named):
    ts = text.index(trigger)
    assert (named_earlier_act(text, ts, ts + len(trigger)) is not None) is named


# == 5. Italian forms of dates ==================================================================================
@pytest.mark.parametrize(
    ("text", "pub", "value"),
    [
        ("Roma, 19 lug. (Agenzia) - Il ministro incontra", "2031-07-19", "2031-07-19"),
        ("Milano, 4 nov. 2030 (Agenzia) -", None, "2030-11-04"),
        ("i sette annunciati nell'aprile di quest'anno", "2031-10-09", "2031-04"),
        ("le misure in vigore dall'aprile scorso", "2031-10-09", "2031-04"),
        (
            "il governo ha vietato giovedì scorso l'export",
            "2031-05-22",
            "2031-05-15",
        ),  # published on a Thursday
        ("the government banned exports last Thursday", "2031-05-22", "2031-05-15"),
    ],
)
def test_italian_and_english_date_forms(text, pub, value):
    assert _one_date(text, pub).value == value


@pytest.mark.parametrize("text", ["two years ago.", "a full set. Then", "il mar. di Sicilia"])
def test_italian_month_abbreviations_need_a_day_before_them(text):
    assert find_dates(text, "2031-07-19") == []


@given(st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2095, 12, 31)), st.integers(0, 6))
def test_giovedi_scorso_is_last_thursday(pub, wd):
    it = _one_date(f"il governo ha deciso {WEEKDAYS_IT[wd]} scorso", pub.isoformat())
    en = _one_date(f"the government decided last {WEEKDAYS_EN[wd]}", pub.isoformat())
    assert it.value == en.value
    assert 1 <= (pub - dt.date.fromisoformat(it.value)).days <= 7


def test_a_weekday_written_before_its_date_is_one_expression():
    (d,) = find_dates("the ministry announced on Sunday, November 9, 2031 that", "2031-11-10")
    assert (d.text, d.value, d.role) == ("Sunday, November 9, 2031", "2031-11-09", "act")
    (d,) = find_dates("takes effect from Saturday 8 November", "2031-11-03")
    assert (d.value, d.role) == ("2031-11-08", "effective")


# == Dates round 2 ===============================================================================================
# == 6. a date range: its end is never the act's date ============================================================
@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("the permit runs from June 5 this year to June 5, 2033", "2031-06-05", "2033-06-05"),
        ("quotas apply from 1 July to 31 December 2031", "2031-07-01", "2031-12-31"),
        # a start without its year falls on or before the end (a lone "from March 3" in May would look ahead)
        ("exports stay closed between March 3 and June 30", "2031-03-03", "2031-06-30"),
        ("il permesso vale dal 1° luglio al 31 dicembre 2031", "2031-07-01", "2031-12-31"),
        ("la sospensione vale tra il 3 marzo e il 9 aprile", "2031-03-03", "2031-04-09"),
        ("il divieto resta in vigore dal 2 agosto fino al 30 settembre", "2031-08-02", "2031-09-30"),
    ],
)
def test_a_range_has_a_start_and_an_end_and_no_act(text, start, end):
    found = find_dates(text, "2031-05-20")
    assert [(d.value, d.role) for d in found] == [(start, "effective"), (end, "end")]


@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)),
    st.integers(1, 400),
    st.sampled_from(["from {a} to {b}", "starting from {a} until {b}", "between {a} and {b}"]),
)
def test_any_written_range_gives_its_start_as_effective_and_its_end_as_end(a, days, shape):
    b = a + dt.timedelta(days=days)
    text = "the licence applies " + shape.format(
        a=f"{MONTHS_EN[a.month - 1]} {a.day}, {a.year}", b=f"{b.day} {MONTHS_EN[b.month - 1]} {b.year}"
    )
    found = find_dates(text, "2031-05-20")
    assert [(d.value, d.role) for d in found] == [(a.isoformat(), "effective"), (b.isoformat(), "end")]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "Zambia's mines ministry renewed Acme Cobalt's export permit for two years starting from June 5 this "
            "year to June 5, 2033.",
            "en",
        ),
        ("L'Indonesia vieterà le esportazioni di bauxite dal 1° luglio al 31 dicembre 2031.", "it"),
    ],
)
def test_a_measure_set_for_a_range_is_dated_by_its_news_not_by_the_ranges_end(text, language):
    (ev,) = events(text, "2031-05-20", language)
    assert ev.date == "2031-05"  # fresh news, no stated day: the publication month
    assert ev.effective_date[:4] == "2031" and ev.end_date[:4] in ("2031", "2033")
    assert ev.end_date > ev.effective_date


def test_a_date_after_to_is_no_end_without_a_start_before_it():
    (d,) = find_dates("prices rose to a record on Friday", "2031-05-23")
    assert (d.value, d.role) == ("2031-05-23", "act")
    reported = find_dates(
        "The ministry announced on June 4 that exports fell to 5 tonnes on June 9", "2031-06-12"
    )
    assert [d.role for d in reported] == ["act", "act"]


# == 7. a day and month "this year" ==============================================================================
@pytest.mark.parametrize(
    ("text", "pub", "value"),
    [
        ("the curbs announced on March 3 this year", "2031-10-09", "2031-03-03"),
        ("the licence granted on 3 March of this year", "2031-10-09", "2031-03-03"),
        ("le misure annunciate il 3 marzo di quest'anno", "2031-10-09", "2031-03-03"),
        ("il decreto del 12 novembre di quest'anno", "2031-02-09", "2031-11-12"),  # the year, however far
    ],
)
def test_a_day_and_month_this_year_takes_the_references_year(text, pub, value):
    (d,) = find_dates(text, pub)
    assert (d.value, d.precision) == (value, "day")


def test_a_day_and_month_this_year_takes_the_texts_own_year():
    ref = text_reference("Under Order 45 of 2031 the tin permits of 3 March this year stay.")
    (d,) = [d for d in find_dates("the tin permits of 3 March this year stay", ref)]
    assert d.value == "2031-03-03"


# == 8. an Italian participle dates the noun it describes, not the act reported ==================================
PARTICIPLE_IT = [
    # the project's filing date after the trigger, past a list of minerals (commas)
    "Il ministro dell'Ambiente ha firmato il decreto di compatibilità ambientale del progetto di ricerca di "
    "nichel, cobalto e rame presentato il 4 aprile 2029 dalla società Alpina Metalli.",
    # the plan's presentation in an aside after the trigger
    "Il governo ha approvato il piano nazionale per le terre rare, presentato il 12 gennaio dal ministero.",
]


@pytest.mark.parametrize("text", PARTICIPLE_IT)
def test_a_participle_date_after_the_trigger_is_the_nouns(text):
    (ev,) = events(text, "2031-02-10", "it")
    assert ev.date == "2031-02"  # the decree/approval: fresh news of the publication month
    assert ev.salience == "main"


def test_a_participle_date_inside_the_trigger_before_its_own_verb_is_the_nouns():
    text = "Il partenariato strategico sulle materie prime già lanciato nel 2028 dall'Italia con il Cile diventa «speciale»."
    assert all(e.date != "2028" for e in events(text, None, "it"))


@pytest.mark.parametrize(
    "text",
    [
        "Firmato il 3 febbraio l'accordo tra Italia e Cile sul litio.",  # a nominal headline: the act itself
        "L'Italia ha firmato il 3 febbraio un accordo con il Cile sul litio.",  # with its auxiliary: a verb
        "Il Cile e l'Italia hanno siglato il 3 febbraio un'intesa sul litio.",
        # the participle describes the act's own instrument
        "Il Perù ha vietato le esportazioni di litio con un'ordinanza firmata il 3 febbraio.",
    ],
)
def test_a_participle_that_is_the_act_keeps_its_date(text):
    (ev,) = events(text, "2031-02-10", "it")
    assert ev.date == "2031-02-03"


def test_an_english_object_participle_dates_the_object():
    (ev,) = events(
        "Chile approved the lithium mining plan presented on 4 April 2029 by Andes Lithium.", "2031-02-10"
    )
    assert ev.date == "2031-02"
