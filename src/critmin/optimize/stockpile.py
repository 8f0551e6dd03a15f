"""Stockpile sizing: how many days of consumption a country must hold so that, in a chosen share of export-
restriction scenarios, its shortfall stays below a target — and how the 60-day JOGMEC target compares.

Method. A Monte Carlo over restrictions (who restricts, with probabilities from the restriction registry
or given; what share of its exports it stops; optional substitution) is run for a grid of stock levels with
common random numbers (the same draws at every level), on the scenarios engineer's cascade
(:func:`critmin.scenarios.montecarlo.stock_sweep`: the Marchand et al. 2016 reserves-and-trade cascade on
the BACI network of the commodity stage). For stock level d (days of the country's apparent consumption
C = P + I − E, i.e. stocks R = d/365 · C) and draw k the country's shortfall is s_k(d) (tonnes lost from
consumption over the year). Then::

    coverage(d) = (1/K) Σ_k 1[s_k(d) <= τ · C]          τ = target shortfall (0, or 0.1 = 10% of C)
    d*(c)       = min { d : coverage(d) >= c }            c = chosen coverage, e.g. 0.95 (the p95 scenario)

With common random numbers a draw's shortfall does not increase with the stock level, so each draw k has
a threshold d_k = min { d : s_k(d) <= τ · C } (bisection to half a day, vectorised over draws, inside the
bracket a coarse grid gives), coverage(d) is the empirical distribution of the d_k, and d*(c) is its
⌈cK⌉-th smallest value — the stock that keeps the shortfall on target in the p(100·c) scenario. Flows are annual, so a restriction lasting T days is modelled as T/365 of the restricted share
(``duration_days``). Draws are conditional on a restriction happening.

Commodities with no HS92 trade code (gallium, indium, rhenium, silicon metal, potash in the embedded data)
have no trade network. For them the tool uses a **production-share proxy**: the country is assumed to buy
from producers in proportion to world production shares π_i (the "global supply mix" used when trade data
are missing), and a restriction by producer i of share σ removes σ·π_i of its supply with no re-routing,
so s_k(d)/C = max(σ_k π_{i_k} − d/365, 0). Without re-routing this is an upper bound on the days needed
(the cascade can only lower the shortfall by drawing on other suppliers); the result says which method ran.

Who restricts. By default the imposer of a draw is drawn from the restriction registry's history as known
on the as-of day, 31 December of the year unless given (measures per exporter on the commodity, each 1
while announced or in force and halving every 5 years after it ended, as the coercion weight dates them:
:func:`critmin.scenarios.montecarlo.registry_imposers`). With
``risk_weight='wgi'`` or ``'coercion'`` it is drawn from the country's own material suppliers of the stage
(imports ≥ USD 1 M and ≥ 1% of its imports of the stage, :mod:`critmin.indicators.materiality`; for the
proxy, producers with ≥ 1% of world output), each with probability proportional to its supplier weight —
WGI instability g, or the coercion-aware weight g^c of :mod:`critmin.indicators.coercion` (political
stability, UNGA distance to the country, the supplier's dated record of export restrictions on the
mineral)::

    P(k restricts | a restriction happens) = w_k / Σ_j w_j        j ∈ material suppliers

JOGMEC (Japan) historically targeted 60 days of consumption for rare metals (42 national + 18 private);
the 2020 International Resource Strategy allows up to ~180 days for high-risk minerals (IEA policy database).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmin.errors import CritminError, NoDataError, UnknownValueError

JOGMEC_TARGET_DAYS = 60.0
DEFAULT_LEVELS = (0, 30, 60, 90, 120, 180, 240, 365)
METHODS = ("auto", "cascade", "proxy")
WEIGHTED_IMPOSERS = ("wgi", "coercion")
TOL = 1e-6  # shortfalls below 1e-6 of consumption are the cascade's numerical residue


# -- pure functions -----------------------------------------------------------------------------------------
def scenario_coverage(
    shortfall_fraction: npt.ArrayLike, target: float = 0.0, tol: float = 1e-6
) -> np.ndarray:
    """coverage = mean over draws of 1[s/C <= τ]: (L, K) shortfall fractions → (L,) coverage per stock level.

    ``tol`` absorbs the cascade's numerical residue (shortfalls of 1e-9 of consumption count as zero).
    """
    s = np.atleast_2d(np.asarray(shortfall_fraction, dtype=float))
    return (s <= target + tol).mean(axis=1)


def first_level_reaching(levels: npt.ArrayLike, cover: npt.ArrayLike, c: float) -> float | None:
    """d* = the smallest level whose coverage is at least c (levels ascending); None if none reaches it."""
    lv = np.asarray(levels, dtype=float)
    cv = np.asarray(cover, dtype=float)
    ok = np.nonzero(cv >= c - 1e-12)[0]
    return float(lv[ok[0]]) if ok.size else None


def days_for_coverage(thresholds: npt.ArrayLike, c: float) -> float | None:
    """d*(c) from per-draw thresholds d_k (the least stock with an acceptable shortfall in draw k): the
    smallest d with (1/K) Σ_k 1[d_k <= d] >= c, i.e. the ⌈cK⌉-th smallest d_k (inf draws never qualify)."""
    d = np.sort(np.asarray(thresholds, dtype=float))
    if d.size == 0:
        return None
    k = int(np.ceil(c * d.size - 1e-9))
    v = d[max(k, 1) - 1]
    return float(v) if np.isfinite(v) else None


def proxy_shortfall(
    production_share: npt.ArrayLike, imposer: npt.ArrayLike, share: npt.ArrayLike, days: npt.ArrayLike
) -> np.ndarray:
    """Production-share proxy: s/C = max(σ_k · π_{i_k} − d/365, 0) for levels d (L,) and draws k (K,) → (L, K).

    π: world production shares of the producers; i_k: the restricting producer of draw k; σ_k: the share of
    its supply it stops (already scaled by the disruption's duration). No re-routing, so an upper bound.
    """
    pi = np.asarray(production_share, dtype=float)
    loss = np.asarray(share, dtype=float) * pi[np.asarray(imposer, dtype=np.int64)]
    d = np.asarray(days, dtype=float)[:, None] / 365.0
    return np.maximum(loss[None, :] - d, 0.0)


def weighted_imposers(weights: pd.Series) -> dict[str, float]:
    """P(k) = w_k / Σ w: imposer probabilities proportional to supplier weights (zero weights dropped)."""
    w = weights.dropna()
    w = w[w > 0]
    if w.empty or float(w.sum()) <= 0:
        raise NoDataError("no supplier with a positive weight to draw an imposer from")
    return {k: float(v / w.sum()) for k, v in w.sort_values(ascending=False).items()}


def material_suppliers(
    ds, country: str, commodity: str, stage: str, year: int, materiality=None
) -> list[str]:
    """The country's material suppliers of the stage in ``year`` (imports counted in the stage; the threshold
    of :mod:`critmin.indicators.materiality`, default USD 1 M and 1% of its imports of the stage)."""
    from critmin.indicators.materiality import DEFAULT as MATERIAL

    rule = materiality or MATERIAL
    t = ds.trade(commodity, stage, year)
    t = t[(t["importer"] == country) & (t["exporter"] != country)]
    v = t.groupby("exporter")["value_kusd"].sum()
    if v.empty:
        raise NoDataError(f"{country} imported no {commodity} ({stage}) in {year}: no supplier to weigh")
    keep = v[rule(v.to_numpy(), float(v.sum()))]
    if keep.empty:
        raise NoDataError(
            f"none of {country}'s suppliers of {commodity} ({stage}) in {year} is material ({rule.label})"
        )
    return sorted(keep.index)


def supplier_weight_series(
    ds, country: str, commodity: str, year: int, suppliers: list[str], risk_weight: str, *, as_of=None
) -> pd.Series:
    """WGI g or the coercion-aware g^c of ``country`` for ``suppliers`` in ``year`` (missing WGI: left out)."""
    from critmin.indicators import coercion

    w = coercion.supplier_weights(ds, country, commodity, year, as_of=as_of, suppliers=suppliers)
    col = "g_coercion" if coercion.check_risk_weight(risk_weight) == "coercion" else "g_wgi"
    return w.set_index("country")[col]


# -- result -------------------------------------------------------------------------------------------------
@dataclass
class StockpileResult:
    summary: pd.DataFrame  # one row
    curve: pd.DataFrame  # one row per stock level
    notes: list[str] = field(default_factory=list)

    @property
    def required_days(self) -> float:
        return float(self.summary["required_days"].iloc[0])


def _spec(v) -> tuple[float, float] | float:
    if isinstance(v, tuple | list):
        return (float(v[0]), float(v[1]))
    return float(v)


def _scale(spec, k: float):
    return (spec[0] * k, spec[1] * k) if isinstance(spec, tuple) else spec * k


def _pct(q: float) -> str:
    v = round(q * 100, 6)
    return f"{v:g}".replace(".", "_")


class _CascadeRunner:
    """Shortfall fractions of one country on the trade network, with common random numbers: the inputs of
    every draw are drawn once; only the country's own stock level changes between evaluations."""

    method = "cascade"

    def __init__(
        self,
        ds,
        country: str,
        commodity: str,
        stage: str,
        year: int,
        *,
        imposers,
        share,
        substitution,
        others_stock_days,
        draws: int,
        seed: int,
        executor=None,
        as_of=None,
    ):
        from critmin.scenarios.montecarlo import draw_inputs, normalise_imposers
        from critmin.scenarios.network import build_network

        self.net = build_network(ds, commodity, stage, year)
        try:
            self.i = self.net.index(country)
        except UnknownValueError as exc:
            raise NoDataError(
                f"{country} neither produces nor trades {commodity} ({stage}) in {year}: "
                f"no stockpile to size ({exc})"
            ) from None
        self.consumption = float(self.net.consumption[self.i])
        if self.consumption <= 0:
            raise NoDataError(
                f"{country}'s apparent consumption of {commodity} ({stage}) in {year} is "
                f"{self.consumption:,.0f} t (production + imports − exports): it is a net exporter "
                "or a re-export hub, so stocks in days of consumption are not defined"
            )
        self.country = self.net.countries[self.i]
        self.imposers = normalise_imposers(self.net, imposers, ds=ds, as_of=as_of)
        self.base = draw_inputs(
            self.net,
            draws,
            imposers=self.imposers,
            share=share,
            stocks=None,
            default_stock_days=others_stock_days,
            substitution=substitution,
            seed=seed,
        )
        self.executor = executor
        self.evaluated = 0

    def _run(self, idx: np.ndarray, days: np.ndarray) -> np.ndarray:
        from critmin.scenarios.montecarlo import Draws, run_draws

        b = self.base
        d = b.days[idx].copy()
        d[:, self.i] = days
        out = run_draws(
            self.net, Draws(b.imposer[idx], b.share[idx], d, b.substitution[idx]), executor=self.executor
        )
        self.evaluated += len(idx)
        return -out["dC"][:, self.i] / self.consumption

    def shortfall(self, levels) -> np.ndarray:
        """(L, K) shortfall fractions at each stock level for every draw."""
        k = len(self.base)
        lv = np.asarray(list(levels), dtype=float)
        idx = np.tile(np.arange(k), lv.size)
        return self._run(idx, np.repeat(lv, k)).reshape(lv.size, k)

    def thresholds(self, grid: list[float], frac: np.ndarray, target: float, tol: float = 0.5) -> np.ndarray:
        """Per draw, the smallest stock level (days) with shortfall <= target, to ``tol`` days (inf when even
        the largest level is not enough). Inside the bracket the grid gives, a secant step through the two
        highest failing levels (the shortfall falls linearly while stocks absorb the shock) is tried first,
        checked at ± tol/2; draws where it misses fall back to bisection. Vectorised over draws."""
        ok = frac <= target + TOL
        g = np.asarray(grid, dtype=float)
        first = np.where(ok.any(axis=0), ok.argmax(axis=0), -1)
        hi = np.where(first >= 0, g[np.maximum(first, 0)], np.inf)
        lo = np.where(first > 0, g[np.maximum(first - 1, 0)], hi)
        cols = np.arange(frac.shape[1])
        s_lo = frac[np.maximum(first - 1, 0), cols]
        s_prev = frac[np.maximum(first - 2, 0), cols]
        g_prev = g[np.maximum(first - 2, 0)]
        active = np.nonzero(np.isfinite(hi) & (hi - lo > tol))[0]
        if active.size:
            # secant: slope from the two highest failing levels (or from level lo and 0 shortfall at hi)
            a = active
            has_prev = first[a] >= 2
            slope = np.where(
                has_prev,
                (s_prev[a] - s_lo[a]) / np.maximum(lo[a] - g_prev[a], 1e-9),
                s_lo[a] / np.maximum(hi[a] - lo[a], 1e-9),
            )
            guess = lo[a] + np.where(
                slope > 0, (s_lo[a] - target) / np.where(slope > 0, slope, 1), hi[a] - lo[a]
            )
            guess = np.clip(guess, lo[a] + tol / 2, hi[a] - tol / 2)
            up, down = guess + tol / 2, guess - tol / 2
            good_up = self._run(a, up) <= target + TOL
            hi[a] = np.where(good_up, np.minimum(up, hi[a]), hi[a])
            lo[a] = np.where(good_up, lo[a], np.maximum(up, lo[a]))
            b = a[good_up & (down > lo[a])]
            if b.size:
                good_down = self._run(b, down[good_up & (down > lo[a])]) <= target + TOL
                hi[b] = np.where(good_down, down[good_up & (down > lo[a])], hi[b])
                lo[b] = np.where(good_down, lo[b], down[good_up & (down > lo[a])])
            active = active[hi[active] - lo[active] > tol]
        while active.size:
            mid = (lo[active] + hi[active]) / 2
            good = self._run(active, mid) <= target + TOL
            hi[active] = np.where(good, mid, hi[active])
            lo[active] = np.where(good, lo[active], mid)
            active = active[hi[active] - lo[active] > tol]
        return hi

    def provenance(self) -> dict:
        return {
            "basis": self.net.basis,
            "source": self.net.source,
            "edition": self.net.edition,
            "consumption_tonnes": self.consumption,
            "notes": list(self.net.notes),
        }


class _ProxyRunner:
    """The production-share proxy (no trade network)."""

    method = "production-share proxy"

    def __init__(
        self,
        ds,
        country: str,
        commodity: str,
        stage: str,
        year: int | None,
        *,
        imposers,
        share,
        draws: int,
        seed: int,
        as_of=None,
        **_,
    ):
        from critmin.reference import commodities as cat

        c = cat.get(commodity)
        # the stage's preferred series on the stage's content basis (data layer, docs/data.md)
        prod = ds.stage_production(c.id, stage)
        if prod.empty:
            raise NoDataError(
                f"{c.id} ({stage}) has neither trade nor production data: cannot size a stockpile"
            )
        years = sorted(prod["year"].unique())
        earlier = [v for v in years if year is None or v <= year]
        if not earlier:
            raise NoDataError(
                f"no {c.id} ({stage}) production data in or before {year} (years {years[0]}-{years[-1]})"
            )
        y = int(year) if year is not None and year in years else int(max(earlier))
        p = prod[(prod["year"] == y) & (prod["country"] != "ROW")].groupby("country")["tonnes"].sum()
        total = float(prod.loc[prod["year"] == y, "tonnes"].sum())
        if total <= 0:
            raise NoDataError(f"no {c.id} ({stage}) production recorded for {y}")
        self.producers = list(p.index)
        self.pi = (p / total).to_numpy(dtype=float)  # ROW stays in the denominator: nobody restricts it
        self.year, self.country, self.as_of = y, country, as_of
        self.prod = prod[prod["year"] == y]
        self.imposers = self._imposers(ds, c.id, imposers)
        rng = np.random.default_rng(seed)
        names = list(self.imposers)
        w = np.array([self.imposers[k] for k in names])
        pos = {k: i for i, k in enumerate(self.producers)}
        self.imp = np.array([pos[names[j]] for j in rng.choice(len(names), size=draws, p=w)], dtype=np.int64)
        if isinstance(share, tuple):
            self.share = (
                rng.uniform(share[0], share[1], draws) if share[0] < share[1] else np.full(draws, share[0])
            )
        else:
            self.share = np.full(draws, float(share))

    def _imposers(self, ds, commodity: str, imposers) -> dict[str, float]:
        from critmin.reference import countries

        if isinstance(imposers, str) and imposers in WEIGHTED_IMPOSERS:
            # producers with at least 1 % of world output, weighted by their supplier weight
            big = [
                k for k, pi in zip(self.producers, self.pi, strict=True) if pi >= 0.01 and k != self.country
            ]
            return weighted_imposers(
                supplier_weight_series(
                    ds, self.country, commodity, self.year, big, imposers, as_of=self.as_of
                )
            )
        if imposers is None or imposers == "registry":
            from critmin.scenarios.montecarlo import registry_imposers

            return registry_imposers(
                ds,
                commodity,
                self.producers,
                self.year,
                as_of=self.as_of,
                who=f"producer of {commodity} in {self.year}",
            )
        if isinstance(imposers, str):
            imposers = dict.fromkeys([s.strip() for s in imposers.split(",") if s.strip()], 1.0)
        elif not isinstance(imposers, dict):
            imposers = dict.fromkeys(imposers, 1.0)
        out = {}
        for k, v in imposers.items():
            code = countries.resolve(k)
            if code not in self.producers:
                raise UnknownValueError(f"producer of {commodity} in {self.year}", k, self.producers)
            out[code] = float(v)
        tot = sum(out.values())
        if tot <= 0:
            raise CritminError("imposer weights sum to 0")
        return {k: v / tot for k, v in out.items()}

    def shortfall(self, levels) -> np.ndarray:
        return proxy_shortfall(self.pi, self.imp, self.share, levels)

    def thresholds(self, grid, frac, target: float, tol: float = 0.5) -> np.ndarray:
        """Exact: s/C <= τ  ⇔  d >= 365 (σ π − τ)."""
        return 365.0 * np.maximum(self.share * self.pi[self.imp] - target, 0.0)

    def provenance(self) -> dict:
        src = self.prod["source"].iloc[0] if not self.prod.empty else ""
        ed = self.prod["edition"].iloc[0] if not self.prod.empty else ""
        return {
            "basis": str(self.prod["basis"].iloc[0]) if not self.prod.empty else "",
            "source": str(src),
            "edition": str(ed),
            "consumption_tonnes": np.nan,
            "notes": [
                f"production shares of {self.year} ({src} {ed}); the country's consumption is "
                "unknown, so results are in days and % of consumption only"
            ],
        }


def stockpile(
    ds,
    country: str,
    commodity: str,
    stage: str | None = None,
    year: int | None = None,
    *,
    coverage: float = 0.95,
    target: float = 0.0,
    draws: int = 500,
    levels=None,
    imposers=None,
    share=(0.5, 1.0),
    duration_days: float = 365.0,
    substitution=0.0,
    others_stock_days=0.0,
    seed: int = 0,
    method: str = "auto",
    refine: bool = True,
    executor=None,
    risk_weight: str | None = None,
    as_of=None,
) -> StockpileResult:
    """Days of stock ``country`` needs so that its shortfall stays at or below ``target`` (fraction of its
    consumption) in a share ``coverage`` of restriction scenarios; with the coverage-vs-days curve and the
    JOGMEC 60-day comparison. See the module docstring for the method and the no-trade fallback.

    ``imposers``: None/'registry', 'CHN', 'CHN,COD' or {ISO3: weight}; ``share``: fraction of the imposer's
    exports stopped (number or (low, high)); ``duration_days``: how long the restriction lasts (scales the
    share); ``substitution``: Marchand's f_c; ``others_stock_days``: other countries' stocks.
    ``method``: 'auto' (cascade when the stage has trade data, else the production-share proxy), 'cascade'
    or 'proxy'. ``refine``: find each draw's threshold to half a day (else the answer is a grid level).
    ``risk_weight``: 'wgi' or 'coercion' draws the imposer from the country's material suppliers in
    proportion to that supplier weight (module docstring); it replaces ``imposers``. ``as_of``: the day the
    restriction registry is read on, by the coercion weight and by the registry's imposer probabilities
    (default 31 December of the year: a measure announced later does not count, one lifted earlier fades).
    """
    from critmin.reference import blocs
    from critmin.reference import commodities as cat
    from critmin.scenarios.montecarlo import imposers_from

    if not 0 < coverage <= 1:
        raise UnknownValueError("coverage", coverage, hint="a share of scenarios in (0, 1], e.g. 0.95")
    if not 0 <= target < 1:
        raise UnknownValueError(
            "target shortfall", target, hint="a fraction of consumption in [0, 1), e.g. 0.1"
        )
    if not 0 < duration_days <= 365:
        raise UnknownValueError("duration_days", duration_days, hint="between 1 and 365 (flows are annual)")
    if method not in METHODS:
        raise UnknownValueError("stockpile method", method, METHODS)
    if risk_weight is not None:
        from critmin.indicators.coercion import check_risk_weight

        if imposers is not None:
            raise UnknownValueError(
                "imposers",
                imposers,
                hint="give either imposers or a risk weight (which draws them), not both",
            )
        imposers = check_risk_weight(risk_weight)
    p = blocs.party(country, year)
    if p.is_bloc:
        raise UnknownValueError("country", country, hint="stockpiles are sized per country; run each member")
    iso = p.members[0]
    c = cat.get(commodity)
    if stage is None:
        stage = c.trade_stages[0] if c.trade_stages else next(iter(c.stages))
    st = c.stage(stage)
    notes: list[str] = []
    share_spec = _scale(_spec(share), duration_days / 365.0)
    use_proxy = method == "proxy" or (method == "auto" and not st.hs92)
    if use_proxy:
        if method == "auto":
            notes.append(
                f"{c.id} ({stage}) has no HS92 code in the trade data"
                + (f" ({st.hs_note})" if st.hs_note else "")
                + ": production-share proxy used (no re-routing: an upper bound on the days needed)"
            )
        runner = _ProxyRunner(
            ds,
            iso,
            c.id,
            stage,
            year,
            imposers=imposers,
            share=share_spec,
            draws=draws,
            seed=seed,
            as_of=as_of,
        )
        year_used = runner.year
    else:
        year_used = ds.trade_years()[1] if year is None else int(year)
        if isinstance(imposers, str) and imposers in WEIGHTED_IMPOSERS:
            sup = material_suppliers(ds, iso, c.id, stage, year_used)
            imposers = weighted_imposers(
                supplier_weight_series(ds, iso, c.id, year_used, sup, imposers, as_of=as_of)
            )
        runner = _CascadeRunner(
            ds,
            iso,
            c.id,
            stage,
            year_used,
            imposers=imposers,
            share=share_spec,
            substitution=substitution,
            others_stock_days=others_stock_days,
            draws=draws,
            seed=seed,
            executor=executor,
            as_of=as_of,
        )
    grid = sorted(
        {float(x) for x in (levels if levels is not None else DEFAULT_LEVELS)} | {JOGMEC_TARGET_DAYS}
    )
    if min(grid) < 0:
        raise UnknownValueError("stock levels", grid, hint="days >= 0")
    frac = runner.shortfall(grid)
    cov = scenario_coverage(frac, target)
    if refine:
        need = days_for_coverage(runner.thresholds(grid, frac, target), coverage)
        need = float(np.ceil(need - 1e-9)) if need is not None else None
    else:
        need = first_level_reaching(grid, cov, coverage)
    if need is None:
        notes.append(f"even {max(grid):g} days do not reach {coverage:.0%} coverage")
    q = coverage
    curve = pd.DataFrame(
        {
            "country": iso,
            "commodity": c.id,
            "stage": stage,
            "year": year_used,
            "method": runner.method,
            "stock_days": grid,
            "coverage": cov,
            "shortfall_mean_pct": 100 * frac.mean(axis=1),
            f"shortfall_p{_pct(q)}_pct": 100 * np.quantile(frac, q, axis=1),
            "shortfall_max_pct": 100 * frac.max(axis=1),
        }
    )
    prov = runner.provenance()
    cons = prov["consumption_tonnes"]
    curve["stock_tonnes"] = np.asarray(grid) / 365.0 * cons if np.isfinite(cons) else np.nan
    curve["source"], curve["edition"] = prov["source"], prov["edition"]
    j = grid.index(JOGMEC_TARGET_DAYS)
    jog_cov = float(cov[j])
    summary = pd.DataFrame(
        [
            {
                "country": iso,
                "commodity": c.id,
                "stage": stage,
                "year": year_used,
                "method": runner.method,
                "coverage_target": coverage,
                "shortfall_target_pct": 100 * target,
                "required_days": need if need is not None else np.nan,
                "required_stock_tonnes": need / 365.0 * cons
                if need is not None and np.isfinite(cons)
                else np.nan,
                "jogmec_days": JOGMEC_TARGET_DAYS,
                "coverage_at_jogmec": jog_cov,
                "jogmec_sufficient": bool(jog_cov >= coverage - 1e-12),
                f"shortfall_p{_pct(q)}_pct_at_jogmec": float(100 * np.quantile(frac[j], q)),
                f"shortfall_p{_pct(q)}_pct_without_stock": float(100 * np.quantile(frac[0], q))
                if grid[0] == 0
                else np.nan,
                "draws": draws,
                "imposers": json.dumps({k: round(v, 4) for k, v in runner.imposers.items()}),
                "imposer_weights": risk_weight or imposers_from(imposers, year_used, as_of),
                "share": json.dumps(share),
                "duration_days": duration_days,
                "substitution": json.dumps(substitution),
                "others_stock_days": json.dumps(others_stock_days),
                "seed": seed,
                "consumption_tonnes": cons,
                "basis": prov["basis"],
                "source": prov["source"],
                "edition": prov["edition"],
                "notes": "; ".join(notes + prov["notes"]),
            }
        ]
    )
    return StockpileResult(summary, curve, notes + prov["notes"])


__all__ = [
    "DEFAULT_LEVELS",
    "JOGMEC_TARGET_DAYS",
    "WEIGHTED_IMPOSERS",
    "StockpileResult",
    "days_for_coverage",
    "first_level_reaching",
    "material_suppliers",
    "proxy_shortfall",
    "scenario_coverage",
    "stockpile",
    "supplier_weight_series",
    "weighted_imposers",
]
