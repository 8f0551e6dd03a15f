"""critmin's own exceptions, raised at the boundary with the offending value and what was expected."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class CritminError(Exception):
    """Base class of every error critmin raises on purpose."""


class UnknownValueError(CritminError, ValueError):
    """A user-supplied name (country, bloc, commodity, stage, method, ...) is not known.

    The message names the value and, where there are any, the closest known values.
    """

    def __init__(
        self,
        kind: str,
        value: object,
        choices: Iterable[str] = (),
        hint: str | None = None,
        suggestions: list[str] | None = None,
    ):
        self.kind = kind
        self.value = value
        self.suggestions = suggestions if suggestions is not None else close_matches(str(value), choices)
        msg = f"unknown {kind} {value!r}"
        if self.suggestions:
            msg += " — did you mean " + ", ".join(self.suggestions) + "?"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)


class DataError(CritminError):
    """Input data are malformed: names the file, row (1-based line) and field where known."""

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, field: str | None = None
    ):
        self.path, self.line, self.field = path, line, field
        where = ""
        if path:
            where = str(path)
            if line is not None:
                where += f":{line}"
            if field:
                where += f" [{field}]"
            where += ": "
        super().__init__(where + message)


class NoDataError(CritminError):
    """The query is valid but the data hold nothing for it (e.g. an empty year)."""


class OfflineError(CritminError):
    """A network operation was asked for and the network (or the host) cannot be reached."""


class StoreError(CritminError):
    """The DuckDB store is missing, corrupt or does not match its manifest."""


def close_matches(value: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Closest known values to ``value`` (case-insensitive), best first."""
    choices = list(dict.fromkeys(str(c) for c in choices))
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(value.lower(), list(lowered), n=n, cutoff=0.6)
    if not hits:
        # substring matches catch abbreviations such as 'rare' -> 'rare_earths'
        v = value.lower()
        hits = [c for c in lowered if v and (v in c or c in v)][:n]
    return [lowered[h] for h in hits]


def shorten(items: Iterable, limit: int = 8, sep: str = ", ") -> str:
    """A list for an error message: the first ``limit`` items, then '… and N more' (never 130 years)."""
    items = [str(i) for i in items]
    if len(items) <= limit:
        return sep.join(items)
    return sep.join(items[:limit]) + f" … and {len(items) - limit} more"


def year_spans(years: Iterable[int]) -> str:
    """Years as runs: [1990, 1991, 1992, 2025] -> 'years 1990-1992, 2025' (at most 8 runs listed)."""
    ys = sorted({int(y) for y in years})
    runs: list[tuple[int, int]] = []
    for y in ys:
        if runs and y == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], y)
        else:
            runs.append((y, y))
    text = shorten([f"{a}-{b}" if b > a else str(a) for a, b in runs])
    return ("year " if len(ys) == 1 else "years ") + text
