"""Inputs shared by the supply-risk methods: stage-consistent production and trade from a Dataset.

Every method of :mod:`critmin.indicators.risk` needs, for a commodity, a value-chain stage and a year,
(1) production by country for that stage (world concentration, domestic production) and (2) bilateral
trade of the stage's HS92 codes on the same unit basis as that production. This module picks them and
says which choice it made, so no method mixes ore tonnes with metal content silently:

* production: the catalogue's preferred source for the stage and year; failing that the same stage in the
  nearest year within ``max_year_gap`` (flag ``production_year:<y>``); failing that the mine stage as a
  proxy (flag ``production_proxy_stage:mine``);
* trade: gross product weight (BACI tonnes) converted to the production basis with the catalogue's content
  factors when every HS code of the stage has one on that basis (``units = 'content:<basis>'``);
  otherwise the trade stays in gross weight (``units = 'gross weight'``) and the methods that add trade
  to production say so.
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
    """All production of one commodity, indexed for fast picks by (stage, year)."""

    def __init__(self, ds, commodity: str, max_year_gap: int = 2):
        self.c = cat.get(commodity)
        self.max_year_gap = max_year_gap
        self._by_stage: dict[str, pd.DataFrame] = {}
        for sname, st in self.c.stages.items():
            if not st.production:
                continue
            df = ds.production(self.c.id, sname)
            if df.empty:
                continue
            order = {p.source.upper(): i for i, p in enumerate(st.production)}
            df = df.assign(_rank=df["source"].str.upper().map(order).fillna(99))
            best = df.groupby("year")["_rank"].transform("min")
            self._by_stage[sname] = df[df["_rank"] == best].drop(columns="_rank")
        self._cache: dict[tuple[str, int], ProductionPick] = {}

    def stages_with_data(self) -> list[str]:
        return list(self._by_stage)

    def _basis(self, stage: str, source: str) -> str:
        for p in self.c.stages[stage].production:
            if p.source.upper() == source.upper():
                return p.basis
        return ""

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
    """Factors (t of ``basis`` per t of traded product) for every HS code of the stage, or None.

    Returns (factors, flags). None when some code has no factor on ``basis`` (the trade then stays in gross
    weight). Flags: ``approximate_content_factor`` when a factor is a typical grade rather than
    stoichiometric.
    """
    st = cat.get(commodity).stages[stage]
    flags: list[str] = []
    if basis is None or not st.hs92:
        return None, flags
    out = {}
    for hs in st.hs92:
        f = st.content.get(hs)
        if f is None or f.basis != basis:
            return None, flags
        out[hs] = f.factor
        if f.approximate and "approximate_content_factor" not in flags:
            flags.append("approximate_content_factor")
    return out, flags


def trade_on_basis(trade: pd.DataFrame, factors: dict[str, float] | None) -> pd.DataFrame:
    """Add ``tonnes_basis``: trade tonnes converted with ``factors`` (or gross tonnes when None)."""
    out = trade.copy()
    if factors is None:
        out["tonnes_basis"] = out["tonnes"].astype(float)
    else:
        out["tonnes_basis"] = out["tonnes"].astype(float) * out["hs6"].map(factors).astype(float)
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
