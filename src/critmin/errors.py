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
