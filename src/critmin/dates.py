"""Calendar days at the boundary: one parser for the dates of registry records, ``--as-of`` options and files.

A low module (it knows only :mod:`critmin.errors`): the restriction registry, the coercion-aware weight and
anything else that reads a day from a user or a file call :func:`day` and word their own error around it.
"""

from __future__ import annotations

import datetime as dt

from critmin.errors import UnknownValueError

#: text read as "no date" (as written by spreadsheets, YAML, pandas and JSON exports)
MISSING = frozenset({"", "none", "null", "nan", "nat"})


def day(value, what: str = "date") -> dt.date | None:
    """The calendar day of ``value``: a date, a datetime (its date) or text starting with ISO 8601
    ``YYYY-MM-DD`` (a time after it, as in ``2023-08-01T00:00:00``, is ignored); None when missing (None,
    NaN, NaT or :data:`MISSING` text). Anything else raises :class:`UnknownValueError` naming ``what``."""
    if value is None:
        return None
    try:
        if value != value:  # NaN, pandas NaT (a datetime that is not a day)
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if text.lower() in MISSING:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise UnknownValueError(what, value, hint="use YYYY-MM-DD") from None


__all__ = ["MISSING", "day"]
