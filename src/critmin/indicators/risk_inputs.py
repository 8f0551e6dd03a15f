"""Inputs shared by the supply-risk methods: stage-consistent production and trade from a Dataset.

Every method of :mod:`critmin.indicators.risk` needs, for a commodity, a value-chain stage and a year,
(1) production by country for that stage (world concentration, domestic production) and (2) bilateral
trade of the stage on the same basis as that production. Both come from the data layer's one basis per
stage (:mod:`critmin.data.basis`): ``production_basis`` (the stage's preferred series, converted to the
stage's content basis) and ``trade_basis`` (flows counted in the stage, in content tonnes of that basis; ore
and intermediates shipped under refined codes are not part of a refined stage). This module picks them and
says which choice it made:

* production: the stage's series for the year; failing that the same stage in the nearest year within
  ``max_year_gap`` (flag ``production_year:<y>``); failing that the mine stage as a proxy (flag
  ``production_proxy_stage:mine``);
* trade: content tonnes of the stage basis, converted to the picked production's basis when it differs
  (the mine proxy) and a conversion exists (``units = 'content:<basis>'``); otherwise gross weight
  (``units = 'gross weight'``), and the methods that add trade to production say so.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.reference import commodities as cat


@dataclass
class ProductionPick:
    """Production chosen for one (commodity, stage, year)."""

    commodity: str
    stage: str  # the stage asked for
    year: int  # the year asked for
    frame: pd.DataFrame  # country, tonnes
    production_stage: str | None = None
    production_year: int | None = None
    source: str | None = None
    edition: str | None = None
    basis: str | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.production_stage is not None

    @property
    def provenance(self) -> str:
        if not self.found:
            return ""
        return f"{self.source} {self.edition} ({self.production_stage}, {self.production_year}, {self.basis})"


class ProductionIndex:
    """All production of one commodity on each stage's basis, indexed for fast picks by (stage, year)."""

    def __init__(self, ds, commodity: str, max_year_gap: int = 2):
        self.c = cat.get(commodity)
        self.max_year_gap = max_year_gap
        self._by_stage: dict[str, pd.DataFrame] = {}
        for sname in self.c.stages:
            df = ds.stage_production(self.c.id, sname)
            if not df.empty:
                self._by_stage[sname] = df
        self._cache: dict[tuple[str, int], ProductionPick] = {}

    def stages_with_data(self) -> list[str]:
        return list(self._by_stage)

    def _basis(self, stage: str, source: str) -> str:
        return str(self.c.stages[stage].basis or "")

    def _take(self, pick: ProductionPick, stage: str, year: int) -> ProductionPick:
        df = self._by_stage[stage]
        rows = df[df["year"] == year]
        pick.frame = rows[["country", "tonnes"]].reset_index(drop=True)
        pick.production_stage, pick.production_year = stage, int(year)
        pick.source, pick.edition = str(rows["source"].iloc[0]), str(rows["edition"].iloc[0])
        pick.basis = self._basis(stage, pick.source)
        if stage != pick.stage:
            pick.flags.append(f"production_proxy_stage:{stage}")
        if int(year) != pick.year:
            pick.flags.append(f"production_year:{int(year)}")
        return pick

    def _nearest(self, stage: str, year: int, gap: int | None) -> int | None:
        if stage not in self._by_stage:
            return None
        years = np.array(sorted(self._by_stage[stage]["year"].unique()), dtype=int)
        if not len(years):
            return None
        d = np.abs(years - year)
        # ties go to the earlier year (the figure that existed at the time)
        i = int(np.lexsort((years, d))[0])
        if gap is not None and d[i] > gap:
            return None
        return int(years[i])

    def pick(self, stage: str, year: int) -> ProductionPick:
        """Production for ``stage`` in ``year`` following the module's fallback order."""
        key = (stage, int(year))
        if key in self._cache:
            return self._cache[key]
        pick = ProductionPick(self.c.id, stage, int(year), pd.DataFrame(columns=["country", "tonnes"]))
        order = [stage] + (["mine"] if stage != "mine" and "mine" in self.c.stages else [])
        for s in order:
            y = self._nearest(s, int(year), self.max_year_gap)
            if y is not None:
                self._take(pick, s, y)
                break
        else:
            # last resort: the stage's nearest year at any distance
            y = self._nearest(stage, int(year), None)
            if y is not None:
                self._take(pick, stage, y)
            else:
                pick.flags.append("no_production_data")
        self._cache[key] = pick
        return pick


def content_factors(
    commodity: str, stage: str, basis: str | None
) -> tuple[dict[str, float] | None, list[str]]:
    """Factors taking the stage's content tonnes (``trade_basis.content_tonnes``) to ``basis``, per HS code.

    1.0 when ``basis`` is the stage's own basis; a unit conversion (:mod:`critmin.reference.units`) when the
    picked production is on another basis (the mine stage as a proxy); None when no conversion exists (the
    trade then stays in gross weight). Flags: ``approximate_content_factor`` when a code's factor is a
    typical grade or the conversion is approximate.
    """
    from critmin.errors import UnknownValueError
    from critmin.reference import units

    st = cat.get(commodity).stages[stage]
    flags: list[str] = []
    if basis is None or not st.hs92 or st.basis is None:
        return None, flags
    try:
        f, approx = units.factor(st.basis, basis)
    except UnknownValueError:
        return None, flags
    if approx or any(h.approximate for h in st.codes):
        flags.append("approximate_content_factor")
    return dict.fromkeys(st.hs92, f), flags


def trade_on_basis(trade: pd.DataFrame, factors: dict[str, float] | None) -> pd.DataFrame:
    """Add ``tonnes_basis``: the flows' content tonnes converted with ``factors`` (:func:`content_factors`),
    or gross tonnes when None."""
    out = trade.copy()
    gross = out["gross_tonnes"] if "gross_tonnes" in out else out["tonnes"]
    if factors is None:
        out["tonnes_basis"] = gross.astype(float)
    else:
        out["tonnes_basis"] = out["content_tonnes"].astype(float) * out["hs6"].map(factors).astype(float)
    return out


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cached(ds, key: tuple, compute):
    """Memoise ``compute()`` per Dataset (read-only inputs such as governance tables reused across calls)."""
    try:
        store = _CACHE.setdefault(ds, {})
    except TypeError:  # not weak-referenceable: no cache
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


def production_index(ds, commodity: str, max_year_gap: int = 2) -> ProductionIndex:
    """A cached :class:`ProductionIndex` (one per Dataset, commodity and year gap)."""
    return cached(ds, ("pidx", commodity, max_year_gap), lambda: ProductionIndex(ds, commodity, max_year_gap))


def stage_trade(ds, commodity: str, stage: str, years=None) -> pd.DataFrame:
    """``ds.trade(commodity, stage)`` for all years, cached per Dataset, then filtered to ``years``."""
    df = cached(ds, ("trade", commodity, stage), lambda: ds.trade(commodity, stage))
    if years is None:
        return df
    return df[df["year"].isin(list(years))]
