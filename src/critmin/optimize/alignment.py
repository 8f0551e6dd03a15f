"""Geopolitical alignment from UN General Assembly votes, and partner sets for the sourcing optimiser.

Alignment between two countries is the distance between their UNGA ideal points (Bailey, Strezhnev &
Voeten 2017, "Estimating Dynamic State Preferences from United Nations Voting Data", J. Conflict Resolut.
61(2):430-456): one dimension, higher = closer to the US-led liberal order, comparable across sessions::

    d_ij = |θ_i − θ_j|        aligned(i, j)  ⇔  d_ij <= threshold (user-set; default 1.0)

The 90% posterior interval of each ideal point (q05, q95) gives an interval for the distance
(``distance_lo``/``distance_hi``): the smallest and largest |a − b| with a and b inside their intervals.

A *partner set* (who a party may buy from) is written as comma-separated tokens, combined by union, with
``-TOKEN`` removing countries:

* a country or bloc as :func:`critmin.reference.blocs.party` reads it: ``AUS``, ``Japan``, ``G7``, ``EU``,
  ``G7+AUS``, a user bloc;
* ``aligned:JPN:1.0`` — every country whose ideal point is within 1.0 of Japan's (latest session);
* ``partners:JPN`` — every country with a partnership with Japan in force today (``critmin partnerships``;
  members of a bloc that is a party, e.g. EU27, count); ``partners:JPN@2024-06-30`` — in force on that day;
* ``all`` — every country;

e.g. ``G7,AUS,-USA`` or ``aligned:JPN:0.8,partners:ITA``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmin.errors import NoDataError, UnknownValueError

DEFAULT_ALIGNED_WITHIN = 1.0
FIRST_SESSION_YEAR = 1945  # UNGA session s opens in September of year 1945 + s


def ideal_distance(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
    """d = |θ_a − θ_b|: the distance between UNGA ideal points (Bailey, Strezhnev & Voeten 2017)."""
    return np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))


def distance_interval(a_lo, a_hi, b_lo, b_hi) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest |a − b| with a ∈ [a_lo, a_hi], b ∈ [b_lo, b_hi] (interval arithmetic)."""
    a_lo, a_hi, b_lo, b_hi = (np.asarray(v, dtype=float) for v in (a_lo, a_hi, b_lo, b_hi))
    lo = np.maximum(0.0, np.maximum(a_lo - b_hi, b_lo - a_hi))
    hi = np.maximum(np.abs(a_hi - b_lo), np.abs(b_hi - a_lo))
    return lo, hi


def resolve_session(ds, session: int | None = None) -> int:
    """The session to use: the latest in the data, a session number (1-78) or a calendar year (>= 1946)."""
    lo, hi = ds.con.execute("SELECT min(session), max(session) FROM ideal_points").fetchone()
    if lo is None:
        raise NoDataError("the store has no UNGA ideal points")
    if session is None:
        return int(hi)
    s = int(session)
    if s > 1900:
        s -= FIRST_SESSION_YEAR
    if not lo <= s <= hi:
        raise NoDataError(
            f"no UNGA ideal points for session {session}: the store has sessions {lo}-{hi} "
            f"({lo + FIRST_SESSION_YEAR}-{hi + FIRST_SESSION_YEAR})"
        )
    return s


def _points(ds, session: int) -> pd.DataFrame:
    df = ds.ideal_points(session)
    return df.drop_duplicates("country").set_index("country")


def _point(points: pd.DataFrame, iso3: str, session: int) -> pd.Series:
    if iso3 not in points.index:
        from critmin.reference import countries

        raise NoDataError(
            f"no UNGA ideal point for {iso3} ({countries.name(iso3)}) in session {session} "
            f"({session + FIRST_SESSION_YEAR}); only UN member states that voted are covered"
        )
    return points.loc[iso3]


def alignment(
    ds,
    country: str,
    others: str | list[str] | None = None,
    *,
    session: int | None = None,
    within: float = DEFAULT_ALIGNED_WITHIN,
) -> pd.DataFrame:
    """Distance in ideal points between ``country`` and ``others`` (default: every country in the session).

    Columns: country, other, other_name, session, year, ideal_point, other_ideal_point, distance,
    distance_lo, distance_hi, aligned (distance <= ``within``), within, source, edition. Sorted by distance.
    """
    from critmin.reference import countries

    if within is None or within < 0 or not np.isfinite(within):
        raise UnknownValueError("alignment threshold", within, hint="give a distance >= 0, e.g. 1.0")
    s = resolve_session(ds, session)
    pts = _points(ds, s)
    iso = countries.resolve(country)
    me = _point(pts, iso, s)
    if others is None:
        others_iso = [c for c in pts.index if c != iso]
    else:
        tokens = others.split(",") if isinstance(others, str) else list(others)
        others_iso = []
        for t in tokens:
            others_iso.extend(partner_set(ds, t, session=s))
        others_iso = [c for c in dict.fromkeys(others_iso) if c != iso]
    have = [c for c in others_iso if c in pts.index]
    o = pts.loc[have]
    d = ideal_distance(me["ideal_point"], o["ideal_point"].to_numpy())
    lo, hi = distance_interval(me["q05"], me["q95"], o["q05"].to_numpy(), o["q95"].to_numpy())
    out = pd.DataFrame(
        {
            "country": iso,
            "other": have,
            "other_name": [countries.name(c) for c in have],
            "session": s,
            "year": s + FIRST_SESSION_YEAR,
            "ideal_point": float(me["ideal_point"]),
            "other_ideal_point": o["ideal_point"].to_numpy(),
            "distance": d,
            "distance_lo": lo,
            "distance_hi": hi,
            "aligned": d <= within,
            "within": float(within),
            "source": o["source"].to_numpy(),
            "edition": o["edition"].to_numpy(),
        }
    )
    missing = [c for c in others_iso if c not in pts.index]
    out.attrs["missing"] = missing
    return out.sort_values(["distance", "other"]).reset_index(drop=True)


def aligned_with(
    ds,
    country: str,
    within: float = DEFAULT_ALIGNED_WITHIN,
    *,
    session: int | None = None,
    include_self: bool = True,
) -> tuple[str, ...]:
    """ISO3 codes of the countries within ``within`` of ``country``'s ideal point (itself included)."""
    from critmin.reference import countries

    df = alignment(ds, country, session=session, within=within)
    out = set(df.loc[df["aligned"], "other"])
    if include_self:
        out.add(countries.resolve(country))
    return tuple(sorted(out))


def _all_countries(ds) -> tuple[str, ...]:
    return tuple(
        ds.con.execute("SELECT iso3 FROM countries WHERE NOT is_aggregate ORDER BY iso3").df()["iso3"]
    )


def partner_set(
    ds, spec: str | list[str] | None, *, year: int | str | None = None, session: int | None = None
) -> tuple[str, ...]:
    """Resolve a partner-set spec (see the module docstring) to sorted ISO3 codes. None or '' = all."""
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return _all_countries(ds)
    tokens = [t.strip() for t in (spec.split(",") if isinstance(spec, str) else spec) if str(t).strip()]
    keep: set[str] = set()
    drop: set[str] = set()
    positive = False
    for tok in tokens:
        target = keep
        if tok.startswith("-"):
            target, tok = drop, tok[1:].strip()
        else:
            positive = True
        target.update(_token(ds, tok, year=year, session=session))
    if not positive:
        keep = set(_all_countries(ds))
    return tuple(sorted(keep - drop))


def _token(ds, tok: str, *, year, session) -> set[str]:
    from critmin.reference import blocs, countries

    low = tok.lower()
    if low in ("all", "*", "world"):
        return set(_all_countries(ds))
    if low.startswith("aligned:"):
        parts = tok.split(":")
        if len(parts) not in (2, 3):
            raise UnknownValueError("partner-set token", tok, hint="write aligned:JPN or aligned:JPN:1.0")
        try:
            within = float(parts[2]) if len(parts) == 3 else DEFAULT_ALIGNED_WITHIN
        except ValueError:
            raise UnknownValueError("alignment threshold", parts[2], hint="a number such as 1.0") from None
        return set(aligned_with(ds, parts[1], within, session=session))
    if low.startswith("partners:"):
        from critmin.reference import partnerships as pt

        body = tok.split(":", 1)[1]
        who_text, _, when = body.partition("@")
        who = countries.resolve(who_text)
        # partnerships in force today unless a date is given (partners:JPN@2024-06-30 or @2024)
        as_of = when.strip() or dt.date.today().isoformat()
        df = pt.partnerships(ds, country=who, as_of=as_of)
        out: set[str] = set()
        for parties in df["parties"]:
            for p in parties:
                if blocs.canonical(p):
                    out.update(blocs.members(p, pt._day(as_of)))
                else:
                    out.add(p)
        out.discard(who)
        return out
    return set(blocs.party(tok, year).members)


__all__ = [
    "DEFAULT_ALIGNED_WITHIN",
    "aligned_with",
    "alignment",
    "distance_interval",
    "ideal_distance",
    "partner_set",
    "resolve_session",
]
