"""Date expressions in news text and their resolution against the publication date."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.news.dates import WEEKDAYS, at_precision, find_dates, first_day


def _one(text, pub=None):
    found = find_dates(text, pub)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "pub", "value", "role"),
    [
        ("the minister said on Friday that", "2026-01-16", "2026-01-16", "act"),  # Friday itself
        ("authorities said Monday.", "2025-02-25", "2025-02-24", "act"),
        ("the regulator announced Sunday.", "2025-09-22", "2025-09-21", "act"),
        ("starting on August 1, export controls", "2023-07-04", "2023-08-01", "effective"),
        ("effective from Sept. 15.", "2024-08-15", "2024-09-15", "effective"),
        ("lifting its ban starting October 16th.", "2025-09-22", "2025-10-16", "effective"),
        ("tightened exports last December.", "2024-08-15", "2023-12", "act"),
        ("used in chips from last August.", "2024-08-15", "2023-08", "effective"),
        ("The ban, in place since February after", "2025-09-22", "2025-02", "since"),
        ("issued on April 4, 2025, an announcement", None, "2025-04-04", "act"),
        ("today signed an agreement", "2023-03-28", "2023-03-28", "act"),
        ("signed yesterday", "2023-03-28", "2023-03-27", "act"),
        ("which they aim to deploy by 2035", "2026-01-16", "2035", "deadline"),
        ("from Nov. 7 until", "2025-11-07", "2025-11-07", "effective"),
        ("until Nov. 10, 2026", "2025-11-07", "2026-11-10", "end"),
        ("il 10 settembre 2025 a Roma", None, "2025-09-10", "act"),
        ("lo scorso dicembre", "2025-09-10", "2024-12", "act"),
        ("stanziato lo scorso dicembre 30 mln di euro", "2025-05-22", "2024-12", "act"),  # Italian: day first
        ("banned exports in 2020", None, "2020", "act"),
        ("last year", "2024-08-15", "2023", "act"),
    ],
)
def test_resolved_dates(text, pub, value, role):
    d = _one(text, pub)
    assert (d.value, d.role) == (value, role)


def test_relative_dates_stay_unknown_without_a_publication_date():
    for text in ("said on Friday", "last December", "today", "starting on August 1", "this month"):
        d = _one(text)
        assert d.value is None, text
        assert "publication date" in d.basis


def test_a_bare_month_name_needs_a_preposition():
    assert find_dates("May could sign the deal", "2025-09-01") == []
    assert _one("signed in May", "2025-09-01").value == "2025-05"
    assert find_dates("they may sign", "2025-09-01") == []


def test_years_without_a_preposition_are_not_dates():
    assert find_dates("With 2026 marking the 160th anniversary", "2026-01-16") == []


def test_precision_helpers():
    assert at_precision("2025-04-04", "month") == "2025-04"
    assert at_precision(None, "day") is None
    assert first_day("2023-08") == "2023-08-01"
    assert first_day("2023") == "2023-01-01"
    assert first_day("2023-08-05") == "2023-08-05"


@given(
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)),
    st.sampled_from(list(WEEKDAYS)[:7]),
)
def test_a_past_weekday_is_the_latest_such_day_on_or_before_publication(pub, weekday):
    d = _one(f"the ministry said on {weekday} that", pub.isoformat())
    day = dt.date.fromisoformat(d.value)
    assert day <= pub
    assert (pub - day).days < 7
    assert day.weekday() == WEEKDAYS[weekday]


@given(
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)),
    st.integers(1, 12),
    st.integers(1, 28),
)
def test_an_effective_day_without_year_is_never_long_before_publication(pub, month, day):
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]  # fmt: skip
    d = _one(f"controls apply starting on {months[month - 1]} {day}", pub.isoformat())
    value = dt.date.fromisoformat(d.value)
    assert value >= pub - dt.timedelta(days=60)
    assert (value.month, value.day) == (month, day)


# -- month-precision publication dates ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("the ministry said on Friday", None),  # a weekday needs the day
        ("the ban announced today", None),
        ("tightened exports last December", "2024-12"),
        ("signed on 3 October", "2025-10-03"),
        ("signed on 3 December", "2024-12-03"),  # after the publication month: the year before
        ("effective from 1 January", "2026-01-01"),  # an effective date looks forward
        ("earlier this month", "2025-10"),
    ],
)
def test_month_precision_publication_resolves_what_it_can(text, value):
    assert _one(text, "2025-10").value == value


# -- the scanner is linear (issue 10 item 10): same answers as the obvious quadratic resolution ----------------
def _naive_spans(text):
    """Reference: for every pattern in order, keep matches that overlap no kept match (quadratic)."""
    from critmin.news.dates import _PATTERNS, _PREP_MONTH

    kept = []
    for kind, pat in _PATTERNS:
        for m in pat.finditer(text):
            s, e = m.span()
            if any(s < k.end() and k.start() < e for _, k in kept):
                continue
            if (
                kind == "rel_month"
                and not m.group("q")
                and not m.group(0).endswith(("scorso", "prossimo"))
                and not _PREP_MONTH.search(text[max(0, s - 40) : s])
                and text[e : e + 2] not in ("'s", "’s")
            ):
                continue
            kept.append((kind, m))
    return sorted((m.start(), m.end(), kind) for kind, m in kept)


PIECES = ["on Friday", "since March", "May's", "March’s", "March 3", "3 March 2024", "in 2020", "last month", "May", " ", ", ",
          "in May 2021", "until", "from", "2024-05-06", "ieri", "lo scorso dicembre", "x"]  # fmt: skip


@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_linear_scanner_equals_the_quadratic_reference(parts):
    from critmin.news.dates import _matches

    text = " ".join(parts)
    assert sorted((m.start(), m.end(), k) for k, m in _matches(text)) == _naive_spans(text)


def test_many_dates_in_one_long_text_are_all_found():
    text = " ".join(f"on {d} March 2024 and since {2000 + d % 20}," for d in range(1, 29)) * 400
    found = find_dates(text, "2025-01-01")
    assert len(found) == 28 * 400 * 2
    assert found[0].value == "2024-03-01" and found[1].role == "since"
