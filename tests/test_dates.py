"""critmin.dates: the one parser of calendar days (registry records, --as-of, files)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.dates import day
from critmin.errors import DataError, UnknownValueError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-08-01", dt.date(2023, 8, 1)),
        (" 2023-08-01T12:30:00Z ", dt.date(2023, 8, 1)),  # a timestamp's day
        (dt.datetime(2024, 12, 31, 23, 59), dt.date(2024, 12, 31)),
        (dt.date(2020, 2, 29), dt.date(2020, 2, 29)),
        (None, None),
        (float("nan"), None),
        ("", None),
        ("NaT", None),
        ("null", None),
    ],
)
def test_day_reads_dates_datetimes_and_iso_text(value, expected):
    assert day(value) == expected


def test_pandas_missing_values_are_no_date():
    pd = pytest.importorskip("pandas")
    assert day(pd.NaT) is None and day(pd.Timestamp("2023-12-01 10:00")) == dt.date(2023, 12, 1)


@pytest.mark.parametrize("bad", ["2023-02-30", "01/08/2023", "2023", "soon"])
def test_a_bad_day_names_what_and_the_value(bad):
    with pytest.raises(UnknownValueError, match=f"unknown as-of date '{bad}'"):
        day(bad, "as-of date")


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_iso_text_round_trips(d):
    assert day(d.isoformat()) == d and day(dt.datetime.combine(d, dt.time(13))) == d


def test_the_three_former_parsers_word_their_errors_around_it():
    from critmin.indicators.coercion import as_of_date
    from critmin.scenarios.registry import _as_date, is_in_force

    assert _as_date("2023-08-01T00:00", "effective_date", {"path": None, "line": 3}) == "2023-08-01"
    with pytest.raises(DataError, match="effective_date '2023-13-01' is not an ISO date"):
        _as_date("2023-13-01", "effective_date", {"path": "r.yaml", "line": 4})
    rec = {"status": "in_force", "effective_date": "2023-08-01", "end_date": None}
    assert is_in_force(rec, dt.datetime(2023, 8, 1, 9)) and not is_in_force(rec, "2023-07-31")
    with pytest.raises(UnknownValueError, match="unknown date"):
        is_in_force(rec, None)
    assert as_of_date(2023) == dt.date(2023, 12, 31) and as_of_date(2023, "2024-01-02") == dt.date(2024, 1, 2)
    with pytest.raises(UnknownValueError, match="as-of date"):
        as_of_date(2023, "")
