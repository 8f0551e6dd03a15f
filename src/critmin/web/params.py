"""Query parameters shared by the API and the pages, validated at the boundary with the CLI's wording."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

from critmin.errors import UnknownValueError

# OpenAPI-visible parameter types (lengths bounded so a request cannot smuggle in a huge list)
Parties = Annotated[
    str,
    Query(
        alias="for",
        min_length=1,
        max_length=300,
        description="Importers: ISO3 codes, country names, blocs (G7, EU27, MSP, ...) or unions like JPN+ITA, "
        "comma-separated.",
        examples=["JPN,ITA,JPN+ITA"],
    ),
]
Party = Annotated[
    str,
    Query(
        alias="for",
        min_length=1,
        max_length=100,
        description="One country or bloc: ISO3 code, name, bloc or union (JPN+ITA).",
        examples=["JPN+ITA"],
    ),
]
Year = Annotated[
    int | None,
    Query(
        ge=1900,
        le=2100,
        description="Year (default: the latest year with trade and refined-stage data).",
        examples=[2023],
    ),
]
Years = Annotated[
    str | None,
    Query(
        max_length=100,
        pattern=r"^[0-9,\- ]*$",
        description="A time series instead of one year: 2018-2024 or 2019,2021.",
    ),
]
Commodities = Annotated[
    str | None,
    Query(
        max_length=600,
        description="Commodities: catalogue ids or names, comma-separated (default: the whole catalogue).",
        examples=["rare_earths,graphite"],
    ),
]
Commodity = Annotated[
    str,
    Query(
        min_length=1,
        max_length=60,
        description="One catalogue commodity (id or name).",
        examples=["graphite"],
    ),
]
Stage = Annotated[
    Literal["mine", "refined", "product"] | None,
    Query(description="Value-chain stage (default: every stage)."),
]
Format = Annotated[
    Literal["json", "csv"] | None,
    Query(alias="format", description="Response format; also chosen by the Accept header (text/csv)."),
]
Date = Annotated[
    str | None,
    Query(
        max_length=10,
        pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
        description="A date YYYY-MM-DD, or a month YYYY-MM or a year YYYY: its last day (its first for 'since').",
        examples=["2025-06-01"],
    ),
]


def day(text: str | None, *, end: bool = True) -> str | None:
    """A Date parameter as one day: '2024' -> '2024-12-31' ('2024-01-01' when ``end`` is False), '2024-02' ->
    '2024-02-29', a full date checked; an impossible one is refused in words."""
    import calendar
    import datetime as dt
    import re

    if text is None or not text.strip():
        return None
    t = text.strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", t)
    try:
        if not m:
            raise ValueError
        y, mo, d = int(m.group(1)), m.group(2), m.group(3)
        if d is not None:
            return dt.date(y, int(mo), int(d)).isoformat()
        months = (int(mo), int(mo)) if mo is not None else (1, 12)
        month = months[1] if end else months[0]
        last = calendar.monthrange(y, month)[1]
        return dt.date(y, month, last if end else 1).isoformat()
    except ValueError:
        raise UnknownValueError("date", text, hint="write YYYY-MM-DD, YYYY-MM or YYYY") from None


def parse_years(years: str | None, max_years: int) -> list[int] | None:
    """'2018-2024' or '2019,2021' → a sorted list of years (at most ``max_years``)."""
    if years is None or not years.strip():
        return None
    out: set[int] = set()
    for part in years.split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            a = int(lo)
            b = int(hi) if sep else a
        except ValueError:
            raise UnknownValueError("years", part, hint="write e.g. 2023, 2018-2024 or 2019,2021") from None
        if not (1900 <= a <= 2100 and 1900 <= b <= 2100) or b < a:
            raise UnknownValueError("year range", part, hint="years between 1900 and 2100, low-high")
        if b - a + 1 > max_years:
            raise UnknownValueError("year range", part, hint=f"at most {max_years} years per request")
        out.update(range(a, b + 1))
        if len(out) > max_years:
            raise UnknownValueError("years", years, hint=f"at most {max_years} years per request")
    return sorted(out) or None


def split_list(text: str | None, what: str, limit: int) -> list[str]:
    items = [t.strip() for t in (text or "").split(",") if t.strip()]
    if len(items) > limit:
        raise UnknownValueError(what, text, hint=f"at most {limit} per request")
    return items
