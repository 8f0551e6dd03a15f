"""A coercion-aware supplier weight: how likely a supplier is to cut an importer off, not only how unstable
it is.

GeoPolRisk weighs each supplier by its political instability, g = clip((2.5 − PV)/5, 0, 1) from the World
Bank's WGI political stability (Gemechu et al. 2016). That measures turmoil, not the use of trade as a
weapon: in 2023 China (g = 0.53) and the United States (0.54) are equally "risky" suppliers of Japan under
it. The weight here adds the two things political stability leaves out, and is importer-specific:

* **geopolitical distance** d_ij = |θ_i − θ_j| between importer i's and supplier j's UNGA ideal points
  (Bailey, Strezhnev & Voeten 2017, J. Conflict Resolut. 61(2):430), a widely used measure of geopolitical
  distance (Airaudo et al. 2025, Fed IFDP 1408, on the measure and its sensitivity) in the work on
  geoeconomic fragmentation (IMF World Economic Outlook, April 2023, ch. 4: FDI increasingly concentrated
  among geopolitically aligned countries; Gopinath et al. 2024, IMF WP/24/76: trade and FDI between distant
  blocs down since 2022). It is rescaled by the spread of the session's ideal points (min–max normalisation,
  Nardo et al. 2008, OECD/JRC Handbook on
  Constructing Composite Indicators):  d̃_ij = min(d_ij / (θ_max − θ_min), 1);
* the supplier's **record of export restrictions** in critmin's dated registry
  (:mod:`critmin.scenarios.registry`), as known on an as-of date (31 December of the analysis year by
  default, so a 2023 analysis does not see 2025 measures). Each measure k of supplier j counts with

      w_k = scope_k · target_k · end_use_k · recency_k

  scope 1 when it names the mineral (or all critical minerals), ``other_mineral`` (0.5) when it restricts
  other minerals only; target 1 when it applies to all destinations or names the importer,
  ``other_target`` (0.5) when it targets other countries only; end_use ``end_use_only`` (0.5) when it is
  limited to named end uses (military users); recency 1 while the measure is announced or in force on the
  as-of date, then halving every ``half_life_years`` (5) after it ended. The record is the probability
  that at least one of the measures applies, treating them as independent signals:

      r_ijm = 1 − Π_k (1 − w_k)            (0 = no record; 1 = a measure on this mineral, against i, now)

The weight is a linear composite of the three components, each already on [0, 1] (Nardo et al. 2008),
with equal weights by default::

    g^c_ijm = w_s · s_j + w_d · d̃_ij + w_r · r_ijm        s_j = WGI instability,  w_s + w_d + w_r = 1

so g^c lies in [0, 1] like g and never falls when the supplier becomes less stable, more distant or
restricts more. For a bloc importer the weight is the mean of its members' weights (member-mean distance
and member-mean record; an import-weighted mean would make the weight depend on the flows it weighs).

Its purpose is that of the Measure of Country Reliability (Harsch & Lee 2025, "Defusing Weaponized
Interdependence: A New Approach to Measuring Country Reliability", Joint Force Quarterly 117:40-50): a
consistent score of how far a trade partner can be relied on, for friend-shoring decisions. The MCR's own
components are not reproduced here. UN voting distance alone does not separate China from the United States
for Japan (the United States is an outlier in UNGA voting: 2023 ideal points JPN 0.81, USA 2.50, CHN −0.80),
so it is the registry record that carries the coercion signal (docs/risk-methods.md shows the numbers).

Missing inputs: a supplier without a WGI estimate has no weight (the GeoPolRisk missing-governance policy
applies to it, as for g); a country without an ideal point (Taiwan, Kosovo; Hong Kong and Macao take
China's, which represents them at the UN) gets the policy's value for its distance component (neutral 0.5,
worst 1, best 0; 'exclude' drops the member).

The first part of this module holds pure functions over arrays; :func:`register` builds the weight as a
DuckDB relation for the risk engine (``_g`` per year, party, commodity and country) and
:func:`supplier_weights` returns it as a tidy table for the optimiser, stockpile sizing and the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from critmin import dates
from critmin.errors import NoDataError, UnknownValueError
from critmin.indicators.sql_inputs import pv_edition_sql, supplier_weight_sql
from critmin.indicators.sql_inputs import temp_table as _create

#: supplier weights the risk methods, the optimiser and stockpile sizing accept
RISK_WEIGHTS = ("wgi", "coercion")
#: countries without a UNGA seat of their own that take the ideal point of the state representing them
IDEAL_POINT_PROXY = {"HKG": "CHN", "MAC": "CHN"}
#: the distance component's value for a country without an ideal point, by missing-governance policy
MISSING_DISTANCE = {"neutral": 0.5, "worst": 1.0, "best": 0.0, "exclude": None}
ALL_COMMODITIES = "critical_minerals"  # the registry's wildcard (critmin.scenarios.registry.ALL_COMMODITIES)


@dataclass(frozen=True)
class CoercionParams:
    """The composite's weights and the record's factors (defaults documented in docs/risk-methods.md)."""

    w_stability: float = 1 / 3
    w_distance: float = 1 / 3
    w_record: float = 1 / 3
    half_life_years: float = 5.0
    other_mineral: float = 0.5
    other_target: float = 0.5
    end_use_only: float = 0.5

    def __post_init__(self) -> None:
        ws = (self.w_stability, self.w_distance, self.w_record)
        if any(not np.isfinite(w) or w < 0 for w in ws) or sum(ws) <= 0:
            raise UnknownValueError(
                "coercion weights",
                ws,
                hint="three non-negative weights (stability, distance, record), not all 0",
            )
        for name in ("other_mineral", "other_target", "end_use_only"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise UnknownValueError(name, v, hint="a factor in [0, 1]")
        if not self.half_life_years > 0:
            raise UnknownValueError("half_life_years", self.half_life_years, hint="a number of years > 0")

    @property
    def weights(self) -> tuple[float, float, float]:
        """(w_s, w_d, w_r) normalised to sum to 1."""
        t = self.w_stability + self.w_distance + self.w_record
        return (self.w_stability / t, self.w_distance / t, self.w_record / t)

    @property
    def label(self) -> str:
        ws, wd, wr = self.weights
        return (
            f"{ws:.2g}·WGI instability + {wd:.2g}·UNGA distance + {wr:.2g}·restriction record "
            f"(half-life {self.half_life_years:g} y)"
        )


DEFAULT = CoercionParams()


def check_risk_weight(risk_weight: str) -> str:
    """'wgi' or 'coercion' (case-insensitive); raises with the choices otherwise."""
    key = str(risk_weight).strip().lower()
    if key not in RISK_WEIGHTS:
        raise UnknownValueError(
            "supplier risk weight", risk_weight, RISK_WEIGHTS, hint="choose wgi or coercion"
        )
    return key


# ---------------------------------------------------------------------------------------------------------
# pure functions
# ---------------------------------------------------------------------------------------------------------
def scaled_distance(distance: npt.ArrayLike, spread: npt.ArrayLike) -> np.ndarray:
    """d̃ = min(d / (θ_max − θ_min), 1): ideal-point distance on [0, 1] (min–max normalisation by the
    session's spread of ideal points). NaN stays NaN (no ideal point)."""
    d = np.abs(np.asarray(distance, dtype=float))
    s = np.asarray(spread, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.minimum(d / s, 1.0)


def recency(years_since_end: npt.ArrayLike, half_life_years: float = DEFAULT.half_life_years) -> np.ndarray:
    """0.5 ** (age / half-life); age ≤ 0 (announced or in force on the as-of date) gives 1."""
    a = np.maximum(np.asarray(years_since_end, dtype=float), 0.0)
    return np.power(0.5, a / float(half_life_years))


def measure_weight(
    names_mineral: npt.ArrayLike,
    hits_importer: npt.ArrayLike,
    end_use_limited: npt.ArrayLike,
    years_since_end: npt.ArrayLike,
    params: CoercionParams = DEFAULT,
) -> np.ndarray:
    """w_k = scope · target · end_use · recency for each measure (arrays of equal length)."""
    scope = np.where(np.asarray(names_mineral, dtype=bool), 1.0, params.other_mineral)
    target = np.where(np.asarray(hits_importer, dtype=bool), 1.0, params.other_target)
    end_use = np.where(np.asarray(end_use_limited, dtype=bool), params.end_use_only, 1.0)
    return scope * target * end_use * recency(years_since_end, params.half_life_years)


def restriction_record(
    weights: npt.ArrayLike, groups: npt.ArrayLike | None = None, n_groups: int | None = None
):
    """r = 1 − Π_k (1 − w_k): the probability that at least one measure applies (independent signals).

    Without ``groups`` one record over all weights (a float); with integer ``groups`` (0 … n_groups−1) one
    record per group (an array; groups without a measure get 0)."""
    w = np.clip(np.asarray(weights, dtype=float), 0.0, 1.0)
    if groups is None:
        return float(1.0 - np.prod(1.0 - w))
    g = np.asarray(groups, dtype=np.int64)
    n = int(n_groups if n_groups is not None else (g.max() + 1 if g.size else 0))
    # Π (1 − w) per group as exp Σ log(1 − w), with w = 1 handled exactly
    full = np.zeros(n, dtype=bool)
    np.logical_or.at(full, g, w >= 1.0)
    logs = np.zeros(n)
    np.add.at(logs, g, np.log1p(-np.where(w >= 1.0, 0.0, w)))
    return np.where(full, 1.0, 1.0 - np.exp(logs))


def coercion_weight(
    instability: npt.ArrayLike,
    distance_scaled: npt.ArrayLike,
    record: npt.ArrayLike,
    params: CoercionParams = DEFAULT,
) -> np.ndarray:
    """g^c = w_s·s + w_d·d̃ + w_r·r (weights normalised to 1), on [0, 1]; NaN where an input is NaN."""
    ws, wd, wr = params.weights
    s, d, r = (np.clip(np.asarray(v, dtype=float), 0.0, 1.0) for v in (instability, distance_scaled, record))
    return ws * s + wd * d + wr * r


def coercion_weight_sql(s: str, d: str, r: str, params: CoercionParams = DEFAULT) -> str:
    """:func:`coercion_weight` as a DuckDB expression over three column expressions."""
    ws, wd, wr = params.weights
    # DuckDB's least/greatest skip NULLs: a missing input must stay missing, not become a bound
    clip = lambda e: f"CASE WHEN ({e}) IS NULL THEN NULL ELSE greatest(0.0, least(1.0, {e})) END"  # noqa: E731
    return f"({ws!r} * {clip(s)} + {wd!r} * {clip(d)} + {wr!r} * {clip(r)})"


# ---------------------------------------------------------------------------------------------------------
# the restriction record from the registry
# ---------------------------------------------------------------------------------------------------------
def _day(value) -> dt.date | None:
    return dates.day(value, "as-of date")


def as_of_date(year: int, as_of=None) -> dt.date:
    """The day the record is read on: ``as_of`` (a date, 'YYYY-MM-DD' or 'today'), else 31 December of
    ``year``."""
    if as_of is None:
        return dt.date(int(year), 12, 31)
    if isinstance(as_of, str) and as_of.strip().lower() == "today":
        return dt.date.today()
    d = _day(as_of)
    if d is None:
        raise UnknownValueError("as-of date", as_of, hint="use YYYY-MM-DD or 'today'")
    return d


def record_measures(records: Iterable[Mapping]) -> list[dict]:
    """The registry records that count as measures: reviewed, not rejected, not relaxations, dated.

    Each gets ``start`` (announcement, else entry into force: the day the importer learns of it) and
    ``end`` (``end_date``; a record that stopped applying at an unknown date ages from its start)."""
    out = []
    for r in records:
        if not r.get("reviewed") or r.get("status") == "rejected" or r.get("relaxes"):
            continue
        days = [d for d in (_day(r.get("announced_date")), _day(r.get("effective_date"))) if d]
        if not days:
            continue
        start = min(days)
        end = _day(r.get("end_date"))
        if end is None and r.get("status") in ("suspended", "lifted", "expired"):
            end = start
        out.append(
            {
                "id": r["id"],
                "imposer": r["imposer"],
                "commodities": tuple(r.get("commodities") or ()),
                "targets": tuple(r.get("targets") or ()),
                "end_use": bool(r.get("end_uses")),
                "start": start,
                "end": end,
            }
        )
    return out


def years_since_end(measure: Mapping, day: dt.date) -> float:
    """Years from a measure's end to ``day`` (0 while it is announced or in force on ``day``)."""
    end = measure["end"]
    return (day - end).days / 365.25 if end and end <= day else 0.0


def names_commodity(measure: Mapping, commodity: str) -> bool:
    """The measure restricts ``commodity`` by name or restricts all critical minerals."""
    return commodity in measure["commodities"] or ALL_COMMODITIES in measure["commodities"]


def dated_measure_counts(
    measures: Sequence[Mapping], commodity: str, day: dt.date, params: CoercionParams = DEFAULT
) -> dict[str, float]:
    """Each imposer's measures on ``commodity`` as the record reads them on ``day``: {imposer: Σ recency}.

    A measure counts from its start (:func:`record_measures`), 1 while announced or in force, then halving
    every ``params.half_life_years`` after it ended (:func:`recency`); a measure announced after ``day``
    does not count. The imposer probabilities of the Monte Carlo sweeps and stockpile sizing are these
    counts normalised, so a measure lifted years before the analysis year weighs less than one in force."""
    out: dict[str, float] = {}
    for m in measures:
        if m["start"] <= day and names_commodity(m, commodity):
            w = float(recency(years_since_end(m, day), params.half_life_years))
            out[m["imposer"]] = out.get(m["imposer"], 0.0) + w
    return out


def record_rows(
    measures: Sequence[Mapping],
    commodities: Iterable[str],
    as_of: Mapping[int, dt.date],
    params: CoercionParams = DEFAULT,
) -> list[tuple]:
    """Restriction records per (year, imposer, commodity): one row for importers no measure names
    (``importer`` None) and one per importer a targeted measure names. Rows: (year, imposer, commodity,
    importer, record, measure ids) for records > 0. ``as_of``: {year: the day the record is read on}."""
    comms = list(commodities)
    rows = []
    for year, day in as_of.items():
        seen = [m for m in measures if m["start"] <= day]
        by_imposer: dict[str, list[Mapping]] = {}
        for m in seen:
            by_imposer.setdefault(m["imposer"], []).append(m)
        for imposer, ms in by_imposer.items():
            age = np.array([years_since_end(m, day) for m in ms])
            end_use = np.array([m["end_use"] for m in ms])
            named = sorted({t for m in ms for t in m["targets"]})
            for c in comms:
                hit_c = np.array([names_commodity(m, c) for m in ms])
                for importer in [None, *named]:
                    hits = np.array([not m["targets"] or importer in m["targets"] for m in ms])
                    w = measure_weight(hit_c, hits, end_use, age, params)
                    r = restriction_record(w)
                    if r > 0:
                        ids = ",".join(m["id"] for m, wk in zip(ms, w, strict=True) if wk > 0)
                        rows.append((int(year), imposer, c, importer, r, ids))
    return rows


def registry_measures(source) -> list[dict]:
    """The measures of the registry that ``source`` (Dataset, Store or None) holds: seed plus store records."""
    from critmin.scenarios import registry

    return record_measures(registry.all_records(source))


# ---------------------------------------------------------------------------------------------------------
# assembly in DuckDB (risk engine) and as a tidy table (optimiser, stockpile, report)
# ---------------------------------------------------------------------------------------------------------
def register(
    cur,
    *,
    years: Iterable[int],
    commodities: Iterable[str],
    measures: Sequence[Mapping],
    params: CoercionParams = DEFAULT,
    missing: str = "neutral",
    as_of=None,
    g_wgi: str = "_g_wgi",
    parties: str = "_parties",
    grid: str | None = None,
    out: str = "_g",
) -> str:
    """Create ``out`` (year, party, commodity, country, g) and ``out``_detail (one row per party member) on
    cursor ``cur`` from the relations ``g_wgi`` (year, country, g: WGI instability) and ``parties`` (party,
    member) and the store's ``ideal_points``. ``grid`` optionally names a relation (year, party, commodity,
    country) of the weights wanted — the engine passes the suppliers it will look up; by default every
    country with a WGI estimate for every party, commodity and year. Returns a provenance note."""
    if missing not in MISSING_DISTANCE:
        raise UnknownValueError("missing-governance policy", missing, list(MISSING_DISTANCE))
    ys = sorted({int(y) for y in years})
    comms = list(dict.fromkeys(commodities))
    days = {y: as_of_date(y, as_of) for y in ys}
    rec = record_rows(measures, comms, days, params)
    _create(
        cur,
        f"{out}_rec",
        {
            "year": ("SMALLINT", [r[0] for r in rec]),
            "imposer": ("VARCHAR", [r[1] for r in rec]),
            "commodity": ("VARCHAR", [r[2] for r in rec]),
            "importer": ("VARCHAR", [r[3] for r in rec]),
            "record": ("DOUBLE", [r[4] for r in rec]),
            "measures": ("VARCHAR", [r[5] for r in rec]),
        },
    )
    _create(cur, f"{out}_years", {"year": ("SMALLINT", ys)})
    _create(cur, f"{out}_comms", {"commodity": ("VARCHAR", comms)})
    proxy = ", ".join(f"('{k}', '{v}')" for k, v in IDEAL_POINT_PROXY.items())
    # the latest session at or before each year; countries represented by another state take its point
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE {out}_ip AS
            WITH pick AS (
                SELECT y.year, max(i.year) AS ip_year FROM {out}_years y JOIN (SELECT DISTINCT year FROM ideal_points) i
                  ON i.year <= y.year GROUP BY ALL
            ), pts AS (
                SELECT p.year, p.ip_year, i.country, any_value(i.ideal_point) AS ideal_point
                FROM pick p JOIN ideal_points i ON i.year = p.ip_year GROUP BY ALL
            )
            SELECT * FROM pts
            UNION ALL
            SELECT p.year, p.ip_year, x.country, p.ideal_point
            FROM pts p JOIN (VALUES {proxy}) x(country, rep) ON p.country = x.rep
            WHERE x.country NOT IN (SELECT country FROM pts q WHERE q.year = p.year)"""
    )
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE {out}_spread AS
            SELECT year, any_value(ip_year) AS ip_year, max(ideal_point) - min(ideal_point) AS spread
            FROM {out}_ip GROUP BY ALL"""
    )
    fill = MISSING_DISTANCE[missing]
    fill_sql = "NULL" if fill is None else repr(float(fill))
    d_raw = "abs(im.ideal_point - ie.ideal_point)"
    d_sc = f"CASE WHEN {d_raw} IS NULL OR sp.spread IS NULL THEN NULL ELSE least({d_raw} / nullif(sp.spread, 0), 1.0) END"
    if grid is None:
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE {out}_grid AS
                SELECT w.year, pa.party, c.commodity, w.country
                FROM {g_wgi} w JOIN {out}_years yy ON yy.year = w.year CROSS JOIN {out}_comms c
                CROSS JOIN (SELECT DISTINCT party FROM {parties}) pa"""
        )
        grid = f"{out}_grid"
    g_member = coercion_weight_sql(
        "w.g", f"coalesce({d_sc}, {fill_sql})", "coalesce(rs.record, rd.record, 0.0)", params
    )
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE {out}_detail AS
            SELECT w.year, pa.party, pa.member, c.commodity, w.country, w.g AS instability,
                   {d_raw} AS distance, {d_sc} AS distance_scaled, sp.ip_year,
                   coalesce(rs.record, rd.record, 0.0) AS record, coalesce(rs.measures, rd.measures, '') AS measures,
                   CASE WHEN w.country = pa.member THEN NULL ELSE {g_member} END AS g
            FROM (SELECT DISTINCT year, party, commodity, country FROM {grid}) c
            JOIN {g_wgi} w ON w.year = c.year AND w.country = c.country
            JOIN {parties} pa ON pa.party = c.party
            LEFT JOIN {out}_spread sp ON sp.year = w.year
            LEFT JOIN {out}_ip im ON im.year = w.year AND im.country = pa.member
            LEFT JOIN {out}_ip ie ON ie.year = w.year AND ie.country = w.country
            LEFT JOIN {out}_rec rs ON rs.year = w.year AND rs.imposer = w.country AND rs.commodity = c.commodity
                                   AND rs.importer = pa.member
            LEFT JOIN {out}_rec rd ON rd.year = w.year AND rd.imposer = w.country AND rd.commodity = c.commodity
                                   AND rd.importer IS NULL
            WHERE w.g IS NOT NULL"""
    )
    # a bloc's weight: the mean of its members' (a member supplying its own bloc is risk-free anyway)
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE {out} AS
            SELECT year, party, commodity, country, avg(g) AS g FROM {out}_detail
            WHERE g IS NOT NULL GROUP BY ALL"""
    )
    ip = cur.execute(f"SELECT min(year), max(year), min(ip_year), max(ip_year) FROM {out}_spread").fetchall()[
        0
    ]
    src = cur.execute("SELECT any_value(source), any_value(edition) FROM ideal_points").fetchall()[0]
    if ip[0] is None:
        raise NoDataError(f"no UNGA ideal points for {ys[0]} or earlier")
    stale = f"; ideal points of {ip[3]} for later years" if ip[3] is not None and ip[3] < max(ys) else ""
    when = "31 Dec of each year" if as_of is None else f"{as_of_date(ys[0], as_of).isoformat()}"
    return (
        f"coercion-aware weight = {params.label}; {src[0]} (Bailey, Strezhnev & Voeten; {src[1]}){stale}; "
        f"restriction registry as of {when}"
    )


def supplier_weights(
    ds,
    party,
    commodity: str | Iterable[str],
    year: int,
    *,
    as_of=None,
    params: CoercionParams = DEFAULT,
    missing: str = "neutral",
    suppliers: Iterable[str] | None = None,
):
    """Both supplier weights of ``party`` (a country or bloc) for ``commodity`` in ``year``: a tidy table.

    Columns: party, year, commodity, country, country_name, instability (the WGI weight g), distance (mean
    ideal-point distance to the party's members), distance_scaled, record, measures (registry ids that
    count), ideal_point_year, g_wgi, g_coercion, missing_ideal_point, provenance. One row per country with
    a WGI estimate for the year (the latest year before it when the year has none), or per ``suppliers``.
    """
    import pandas as pd

    from critmin.reference import commodities as cat
    from critmin.reference import countries

    if isinstance(party, list | tuple):  # the buyers themselves (an optimiser's members)
        from critmin.reference.blocs import Party

        label = "+".join(party)
        p = Party(label, tuple(party), "bloc" if len(party) > 1 else "country", label)
    else:
        p = ds.party(party, year)
    comms = [cat.get(c).id for c in ([commodity] if isinstance(commodity, str) else commodity)]
    cur = ds.con.cursor()
    try:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _pv_edition AS {pv_edition_sql()}")
        have = [
            r[0]
            for r in cur.execute(f"SELECT DISTINCT year FROM ({supplier_weight_sql()}) ORDER BY 1").fetchall()
        ]
        if not have:
            raise NoDataError("the store has no WGI political-stability estimates")
        g_year = int(year) if int(year) in have else max((y for y in have if y <= int(year)), default=None)
        if g_year is None:
            raise NoDataError(f"no WGI political-stability estimates for {year} or earlier")
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _cw_wgi AS
                SELECT {int(year)}::SMALLINT AS year, country, g FROM ({supplier_weight_sql()}) WHERE year = {g_year}"""
        )
        _create(
            cur,
            "_cw_parties",
            {"party": ("VARCHAR", [p.label] * len(p.members)), "member": ("VARCHAR", list(p.members))},
        )
        grid = None
        if suppliers is not None:
            sup = list(dict.fromkeys(suppliers))
            _create(
                cur,
                "_cw_sup",
                {
                    "year": ("SMALLINT", [int(year)] * (len(sup) * len(comms))),
                    "party": ("VARCHAR", [p.label] * (len(sup) * len(comms))),
                    "commodity": ("VARCHAR", [c for c in comms for _ in sup]),
                    "country": ("VARCHAR", sup * len(comms)),
                },
            )
            grid = "_cw_sup"
        prov = register(
            cur,
            years=[int(year)],
            commodities=comms,
            measures=registry_measures(ds),
            params=params,
            missing=missing,
            as_of=as_of,
            g_wgi="_cw_wgi",
            parties="_cw_parties",
            grid=grid,
            out="_cw",
        )
        ed = cur.execute("SELECT edition FROM _pv_edition").fetchall()[0][0]
        df = cur.execute(
            """SELECT year, party, commodity, country, any_value(instability) AS instability,
                      avg(distance) AS distance, avg(distance_scaled) AS distance_scaled, avg(record) AS record,
                      string_agg(DISTINCT nullif(measures, ''), ',') AS measures, any_value(ip_year) AS ideal_point_year,
                      avg(g) AS g_coercion, bool_or(distance IS NULL) AS missing_ideal_point
               FROM _cw_detail WHERE g IS NOT NULL GROUP BY ALL ORDER BY commodity, g_coercion DESC, country"""
        ).df()
    finally:
        cur.close()
    df["measures"] = df["measures"].fillna("")
    df.insert(4, "country_name", [countries.name(c) for c in df["country"]])
    df["g_wgi"] = df["instability"]
    df["provenance"] = f"WGI PV {ed} ({g_year}); {prov}"
    cols = [
        "party", "year", "commodity", "country", "country_name", "instability", "distance", "distance_scaled",
        "record", "measures", "ideal_point_year", "g_wgi", "g_coercion", "missing_ideal_point", "provenance",
    ]  # fmt: skip
    return pd.DataFrame(df[cols]).reset_index(drop=True)


__all__ = [
    "DEFAULT",
    "RISK_WEIGHTS",
    "CoercionParams",
    "as_of_date",
    "check_risk_weight",
    "coercion_weight",
    "coercion_weight_sql",
    "dated_measure_counts",
    "measure_weight",
    "recency",
    "record_measures",
    "record_rows",
    "register",
    "restriction_record",
    "scaled_distance",
    "supplier_weights",
]
