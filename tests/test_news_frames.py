"""Structural frames around the coverage grid's sentences (issue 14: "tune for the category, not the sentence").

The grid (``tests/news_grid_en.yaml``) checks phrasings one clean main clause at a time; news wraps them. Each
frame here puts every sampled positive grid cell inside a structure real reports use — a framing phrase before
the subject that names places ("In a move watched across Asia and Europe, ..."), a reporting frame
("Officials said that ..."), a trailing attribution or subordinate clause that names other countries
(", in a decision that follows talks with Japan and the European Union"), a market sentence before it — and
expects the same reading: same type, actors, minerals. All frames are invented. Before the structural changes
of round 5 the framing phrase with places passed 10 % of cells (its names were read as the actor), the
trailing clause with countries 84 % (they joined the agreement's parties).
"""

from __future__ import annotations

import dataclasses

import pytest

from test_news_grid_en import CELLS, PUBLISHED, failure

_KEEP_CAPITAL = {"The", "A", "An", "Its", "In", "On", "It", "Their", "This"}


def _lower_first(text: str) -> str:
    word = text.split()[0]
    return text[:1].lower() + text[1:] if word in _KEEP_CAPITAL else text


def _stem(text: str) -> str:
    return text.rstrip(".")


FRAMES = {
    "framing phrase naming places": lambda t: (
        "In a move closely watched by manufacturers across Asia and Europe, " + _lower_first(t)
    ),
    "leading phrase naming a capital": lambda t: "Amid rising tensions with Washington, " + _lower_first(t),
    "leading phrase naming a meeting place": lambda t: (
        "Following talks in Tokyo last week, " + _lower_first(t)
    ),
    "leading purpose phrase": lambda t: (
        "As part of a broader push to secure supply chains, " + _lower_first(t)
    ),
    "leading phrase naming buyers": lambda t: "In a move watched by manufacturers, " + _lower_first(t),
    "in a statement": lambda t: "In a statement, " + _lower_first(t),
    "however": lambda t: "However, " + _lower_first(t),
    "according to a notice": lambda t: (
        "According to a notice published on the ministry's website, " + _lower_first(t)
    ),
    "trailing attribution": lambda t: _stem(t) + ", according to a statement from the ministry.",
    "trailing clause with a modal": lambda t: (
        _stem(t) + ", a move that analysts in London said could hit supplies."
    ),
    "trailing relative clause": lambda t: _stem(t) + ", which is used in batteries and electronics.",
    "trailing 'as' clause naming a capital": lambda t: _stem(t) + " as tensions with Washington escalate.",
    "trailing attribution naming a capital": lambda t: _stem(t) + ", officials in Jakarta said.",
    "trailing clause naming other countries": lambda t: (
        _stem(t) + ", in a decision that follows months of talks with Japan and the European Union."
    ),
    "trailing citing clause naming a country": lambda t: (
        _stem(t) + ", citing national security concerns raised by the United States."
    ),
    "trailing comparison with another country": lambda t: (
        _stem(t) + ", two weeks after Australia announced a similar step."
    ),
    "reported: officials said that": lambda t: "Officials said on Wednesday that " + _lower_first(t),
    "reported: the ministry said that": lambda t: "The ministry said in a statement that " + _lower_first(t),
    "a market sentence before": lambda t: "Prices of copper fell in London. " + t,
}

# every 17th positive cell of the grid (deterministic; all event types)
_POSITIVE = [
    c
    for c in CELLS
    if c.split == "tuning" and c.gap is None and c.expect != "none" and not c.expect.startswith("not ")
]
_SAMPLE = [c for i, c in enumerate(_POSITIVE) if i % 17 == 0]


def _framed(cell, frame):
    # the frame may move the act date's anchor: the date is the grid's concern, not this test's
    return dataclasses.replace(cell, text=frame(cell.text), date=None)


def test_the_sample_covers_every_event_type():
    assert len(_SAMPLE) >= 200
    assert {c.expect for c in _SAMPLE} >= {
        "export_restriction",
        "restriction_lifted",
        "agreement",
        "investment",
        "stockpile",
        "other",
    }


@pytest.mark.parametrize("name", list(FRAMES))
def test_a_frame_does_not_change_the_reading(name):
    frame = FRAMES[name]
    failures = []
    for cell in _SAMPLE:
        why = failure(_framed(cell, frame), PUBLISHED)
        if why is not None:
            failures.append(f"{frame(cell.text)}  ->  {why}")
    assert not failures, f"{len(failures)} of {len(_SAMPLE)} cells read differently:\n" + "\n".join(
        failures[:10]
    )


def test_a_date_and_place_before_the_context_subject_is_a_known_gap():
    """ "On Wednesday in Brussels, Chile is ..." before an agentless act: the context sentence's subject sits past
    the 30 characters the context actor is looked for in, and Brussels (a place) is not it; the article's most
    named country wins instead. Only two-sentence cells may fail; a fix makes this test fail and is welcome."""
    frame = lambda t: "On Wednesday in Brussels, " + _lower_first(t)  # noqa: E731
    failing = [c for c in _SAMPLE if failure(_framed(c, frame), PUBLISHED) is not None]
    assert all(". " in c.text for c in failing)
    assert failing, "the gap is closed: move this frame to FRAMES"


# -- two acts in one sentence ---------------------------------------------------------------------------------
_ONE_CLAUSE = [c for c in _SAMPLE if ". " not in c.text and c.text.endswith(".")]


def _pairs():
    """Deterministic pairs of one-sentence cells of different types and actors."""
    out = []
    for i, a in enumerate(_ONE_CLAUSE):
        b = _ONE_CLAUSE[(i * 7 + 3) % len(_ONE_CLAUSE)]
        if a.expect != b.expect and not set(a.actors) & set(b.actors):
            out.append((a, b))
    return out


def _read_as(ev, cell) -> bool:
    if ev.event_type != cell.expect or not ev.mineral_relevant:
        return False
    if cell.check == "initiator" and ev.initiator != list(cell.actors):
        return False
    if cell.check == "actors" and set(ev.actors) != set(cell.actors):
        return False
    return cell.minerals is None or cell.minerals <= set(ev.minerals)


JOINS = {
    "semicolon": lambda a, b: _stem(a) + "; " + _lower_first(b),
    "comma and": lambda a, b: _stem(a) + ", and " + _lower_first(b),
    "comma while": lambda a, b: _stem(a) + ", while " + _lower_first(b),
}


@pytest.mark.parametrize("join", list(JOINS))
def test_two_acts_of_different_countries_in_one_sentence_are_two_events(join):
    """ "Australia nationalised its graphite industry, and the United States struck a lithium deal with Ukraine":
    each clause keeps its own actor, minerals and type. Before round 5 a ", and" sentence kept both acts in 37 %
    of pairs (one clause's subject, minerals or agreement swallowed the other's); the remaining misses are long
    nominal subjects ("the imposition of export controls on indium by Kinshasa was announced")."""
    from critmin.news.extract import extract_events
    from critmin.news.model import Article

    pairs = _pairs()
    assert len(pairs) >= 100
    missed = []
    for a, b in pairs:
        text = JOINS[join](a.text, b.text)
        events = extract_events(Article(text=text, published=PUBLISHED))
        if not (any(_read_as(e, a) for e in events) and any(_read_as(e, b) for e in events)):
            missed.append(text)
    rate = 1 - len(missed) / len(pairs)
    assert rate >= 0.9, f"{len(missed)} of {len(pairs)} pairs lost an act:\n" + "\n".join(missed[:8])


# -- Italian frames over the Italian grid -------------------------------------------------------------------
def _italian_sample():
    import test_news_grid_it as grid_it

    cells = [
        c
        for c in grid_it.expand(grid_it.grid_spec(grid_it.GRID), "tuning")
        if c.event_type is not None and c.text.endswith(".") and grid_it.run_cell(c) is None
    ]
    return grid_it, cells[::7]


_IT_KEEP = {"Il", "La", "Lo", "I", "Gli", "Le", "Un", "Una", "Uno", "In", "Nel", "Con", "Da", "Dal", "Per"}


def _it_lower_first(text: str) -> str:
    word = text.split()[0]
    if word in _IT_KEEP or word.startswith(("L'", "L’")):
        return text[:1].lower() + text[1:]
    return text


FRAMES_IT = {
    "framing phrase naming places (a margine di)": lambda t: (
        "A margine del vertice di Bruxelles con Giappone e Stati Uniti, " + _it_lower_first(t)
    ),
    "leading phrase naming a capital (dopo)": lambda t: (
        "Dopo mesi di tensioni con Washington, " + _it_lower_first(t)
    ),
    "framing purpose phrase (nel quadro di)": lambda t: (
        "Nel quadro di una strategia per rafforzare le filiere, " + _it_lower_first(t)
    ),
    "according to a note (secondo)": lambda t: (
        "Secondo una nota pubblicata sul sito del ministero, " + _it_lower_first(t)
    ),
    "reported (ha comunicato che)": lambda t: "Il ministero ha comunicato che " + _it_lower_first(t),
}


@pytest.mark.parametrize("name", list(FRAMES_IT))
def test_an_italian_frame_does_not_change_the_reading(name):
    """Before round 5's Italian framing phrases ("Dopo …,", "A margine di …,") 3-4 % of cells kept their reading
    (the phrase's capital became the actor); a state body as an agreement's party after such a phrase ("il
    ministero degli Esteri e la Mongolia hanno stretto un accordo") is the one known gap."""
    grid_it, cells = _italian_sample()
    frame = FRAMES_IT[name]
    failures = []
    for cell in cells:
        text = frame(cell.text)
        events = grid_it.extracted(text, cell.published)
        why = grid_it.failure(dataclasses.replace(cell, text=text, date=None), events)
        if why is not None and "ministero degli Esteri e" not in text:
            failures.append(f"{text}  ->  {why}")
    assert len(cells) >= 150
    assert not failures, f"{len(failures)} of {len(cells)}:\n" + "\n".join(failures[:10])
