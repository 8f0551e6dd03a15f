"""Monte Carlo sweeps of export-restriction cascades over uncertain inputs.

Each draw picks which supplier restricts (probabilities from the registry's history or given), the share of its
exports it stops, every country's stocks (days of consumption) and the substitution fraction f_c, then runs
the Marchand et al. (2016) cascade (:mod:`critmin.scenarios.cascade`). Draws are run in vectorised chunks,
in-process or on Dask (:mod:`critmin.scenarios.executors`); all random numbers are drawn up front from one
seed, so the result does not depend on the executor or the chunk size.

A value spec is either a number (fixed) or a ``(low, high)`` pair (uniform between them).

>>> from critmin.scenarios.montecarlo import sweep                                  # doctest: +SKIP
>>> res = sweep(net, draws=10_000, imposers="registry", share=(0.5, 1.0),
...             stocks={"JPN": (30, 90)}, substitution=(0.0, 0.2))                  # doctest: +SKIP
>>> res.summary().head()                                                             # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.errors import CritminError, NoDataError
from critmin.scenarios.cascade import _segment_sum, cascade_edges, days_of_cover
from critmin.scenarios.network import Network
from critmin.scenarios.scenario import net_targets

Spec = float | tuple[float, float]
QUANTILES = (0.5, 0.9, 0.99)


def _draw(rng: np.random.Generator, spec: Spec, size, name: str, lo: float = 0.0, hi: float = math.inf):
    if isinstance(spec, tuple | list):
        a, b = float(spec[0]), float(spec[1])
        if a > b:
            raise CritminError(f"{name}: low {a} is above high {b}")
    else:
        a = b = float(spec)
    if a < lo or b > hi:
        raise CritminError(f"{name} must be within [{lo}, {hi}], got {spec}")
    if a == b:
        return np.full(size, a)
    return rng.uniform(a, b, size)


def imposer_probabilities(net: Network, records: pd.DataFrame | None = None, *, ds=None) -> dict[str, float]:
    """P(imposer = k | a restriction happens), from the registry's history.

    Weight of k = number of restrictive registry measures imposed by k that cover this commodity (or all
    critical minerals), for every k that exports in this network; normalised to sum to 1. Raises
    :class:`NoDataError` when no exporter of the network has ever restricted this commodity.
    """
    from critmin.scenarios.registry import restrictions

    recs = records if records is not None else restrictions(ds, commodity=net.commodity)
    exporters = {net.countries[i] for i in np.unique(net.src)}
    counts = recs[recs["imposer"].isin(exporters)].groupby("imposer").size()
    if counts.empty:
        raise NoDataError(
            f"no exporter of {net.commodity} {net.stage} {net.year} has a measure on "
            f"{net.commodity} in the restriction registry; pass imposers= explicitly"
        )
    return {k: float(v / counts.sum()) for k, v in counts.sort_values(ascending=False).items()}


def normalise_imposers(net: Network, imposers, ds=None) -> dict[str, float]:
    if imposers is None or (isinstance(imposers, str) and imposers == "registry"):
        return imposer_probabilities(net, ds=ds)
    if isinstance(imposers, str):
        imposers = dict.fromkeys([s.strip() for s in imposers.split(",") if s.strip()], 1.0)
    elif not isinstance(imposers, dict):
        imposers = dict.fromkeys(imposers, 1.0)
    out = {}
    for k, w in imposers.items():
        if w < 0:
            raise CritminError(f"imposer probability must be >= 0, got {k}={w}")
        out[net.countries[net.index(k)]] = float(w)
    total = sum(out.values())
    if total <= 0:
        raise CritminError("imposer probabilities sum to 0")
    return {k: w / total for k, w in out.items()}


@dataclass
class Draws:
    """Inputs of every draw: imposer index (d,), share (d,), stock days (d, n), substitution (d,)."""

    imposer: np.ndarray
    share: np.ndarray
    days: np.ndarray
    substitution: np.ndarray

    def __len__(self) -> int:
        return len(self.imposer)

    def slice(self, a: int, b: int) -> Draws:
        return Draws(self.imposer[a:b], self.share[a:b], self.days[a:b], self.substitution[a:b])


def draw_inputs(
    net: Network,
    draws: int,
    *,
    imposers: dict[str, float],
    share: Spec = 1.0,
    stocks: dict[str, Spec] | None = None,
    default_stock_days: Spec = 0.0,
    substitution: Spec = 0.0,
    seed: int | None = 0,
) -> Draws:
    """All random inputs of a sweep, drawn up front from ``seed``."""
    if draws < 1:
        raise CritminError(f"draws must be >= 1, got {draws}")
    rng = np.random.default_rng(seed)
    names = list(imposers)
    p = np.array([imposers[k] for k in names])
    imp_idx = net.indices(names)[rng.choice(len(names), size=draws, p=p)]
    sh = _draw(rng, share, draws, "share", 0.0, 1.0)
    days = _draw(rng, default_stock_days, (draws, net.n), "default stock days")
    for code, spec in (stocks or {}).items():
        days[:, net.index(code)] = _draw(rng, spec, draws, f"stock days of {code}")
    fc = _draw(rng, substitution, draws, "substitution", 0.0, 1.0)
    return Draws(imp_idx.astype(np.int64), sh, days, fc)


def _pack(net: Network, targets: Iterable[str] | None) -> dict:
    tmask = np.ones(net.n, dtype=bool)
    if targets:
        tmask[:] = False
        tmask[net_targets(net, targets)] = True
    return {
        "P": net.production,
        "src": net.src,
        "dst": net.dst,
        "flow": net.flow,
        "cons_pos": np.maximum(net.consumption, 0.0),
        "target_on_edge": tmask[net.dst],
        "n": net.n,
    }


def run_chunk(pack: dict, chunk: Draws) -> dict:
    """Run one chunk of draws (vectorised); returns ΔR, ΔC (float64, d×n), rounds and convergence."""
    src, dst, flow, n = pack["src"], pack["dst"], pack["flow"], pack["n"]
    d = len(chunk)
    hit = (src[None, :] == chunk.imposer[:, None]) & pack["target_on_edge"][None, :]
    removed = chunk.share[:, None] * flow[None, :] * hit
    shock = -_segment_sum(removed, dst, n)
    blocked = np.zeros((d, n), dtype=bool)
    blocked[np.arange(d), chunk.imposer] = True
    R = chunk.days / 365.0 * pack["cons_pos"][None, :]
    res = cascade_edges(
        pack["P"], R, src, dst, flow[None, :] - removed, shock, f_c=chunk.substitution, blocked=blocked
    )
    return {
        "dR": res.dR,
        "dC": res.dC,
        "rounds": res.rounds,
        "converged": res.converged,
        "shock": shock,
        "restricted": removed.sum(axis=1),
    }


@dataclass
class SweepResult:
    """Per-draw outcomes (arrays d×n over the network's countries) and their summaries."""

    network: Network
    inputs: Draws
    imposers: dict[str, float]
    targets: tuple[str, ...]
    dR: np.ndarray
    dC: np.ndarray
    shock: np.ndarray
    restricted: np.ndarray
    rounds: np.ndarray
    converged: np.ndarray
    executor: str = "local"
    extra: dict = field(default_factory=dict)

    @property
    def shortfall(self) -> np.ndarray:
        """(d, n) tonnes of consumption lost (−ΔC)."""
        return -self.dC

    @property
    def stocks(self) -> np.ndarray:
        return self.inputs.days / 365.0 * np.maximum(self.network.consumption, 0.0)[None, :]

    @property
    def days_of_cover(self) -> np.ndarray:
        return days_of_cover(self.stocks, self.dR, self.dC)

    def params(self) -> pd.DataFrame:
        """One row per draw: imposer, share, substitution, restricted tonnes, rounds."""
        c = np.array(self.network.countries)
        return pd.DataFrame(
            {
                "draw": np.arange(len(self.inputs)),
                "imposer": c[self.inputs.imposer],
                "share": self.inputs.share,
                "substitution": self.inputs.substitution,
                "restricted_tonnes": self.restricted,
                "rounds": self.rounds,
                "converged": self.converged,
            }
        )

    def per_draw(self, country: str) -> pd.DataFrame:
        """One row per draw for one country: inputs and its shortfall, Δstocks and days of cover."""
        i = self.network.index(country)
        cons = max(float(self.network.consumption[i]), 0.0)
        df = self.params()
        df.insert(1, "country", self.network.countries[i])
        df["stocks_days"] = self.inputs.days[:, i]
        df["stocks_tonnes"] = self.stocks[:, i]
        df["direct_loss_tonnes"] = -self.shock[:, i]
        df["delta_stocks_tonnes"] = self.dR[:, i]
        df["shortfall_tonnes"] = self.shortfall[:, i]
        df["shortfall_pct_of_consumption"] = 100.0 * self.shortfall[:, i] / cons if cons > 0 else np.nan
        df["days_of_cover"] = self.days_of_cover[:, i]
        return df

    def summary(self, quantiles: Iterable[float] = QUANTILES) -> pd.DataFrame:
        """Per country: P(shortfall > 0), mean and quantiles (p50, p90, p99) of shortfall (tonnes and % of
        consumption), and days of cover at the median and the matching worst cases (p10, p1 of days)."""
        from critmin.reference import countries as cmod

        net = self.network
        qs = list(quantiles)
        short = self.shortfall
        tiny = 1e-9 * max(1.0, float(np.abs(self.shock).sum(axis=1).max()))
        cons = net.consumption
        out = pd.DataFrame(
            {
                "commodity": net.commodity,
                "stage": net.stage,
                "year": net.year,
                "country": list(net.countries),
                "country_name": [cmod.name(c) for c in net.countries],
                "consumption_tonnes": cons,
                "draws": len(self.inputs),
                "p_shortfall": (short > tiny).mean(axis=0),
                "shortfall_mean_tonnes": short.mean(axis=0),
            }
        )
        qv = np.quantile(short, qs, axis=0)
        for q, v in zip(qs, qv, strict=True):
            out[f"shortfall_p{_pct(q)}_tonnes"] = v
        with np.errstate(divide="ignore", invalid="ignore"):
            for q, v in zip(qs, qv, strict=True):
                out[f"shortfall_p{_pct(q)}_pct"] = np.where(
                    cons > 0, 100.0 * v / np.where(cons > 0, cons, 1), np.nan
                )
        days = self.days_of_cover
        for q in qs:
            lower = 1.0 - q
            # days are inf where a draw costs a country nothing: take an observed value, no interpolation
            out[f"days_of_cover_p{_pct(lower)}"] = np.quantile(days, lower, axis=0, method="lower")
        out["source"] = net.source
        out["edition"] = net.edition
        return out.sort_values(["shortfall_mean_tonnes", "p_shortfall"], ascending=False).reset_index(
            drop=True
        )

    def world(self, quantiles: Iterable[float] = QUANTILES) -> dict:
        qs = list(quantiles)
        tot = self.shortfall.sum(axis=1)
        return {
            "commodity": self.network.commodity,
            "stage": self.network.stage,
            "year": self.network.year,
            "draws": len(self.inputs),
            "imposers": self.imposers,
            "targets": list(self.targets),
            "executor": self.executor,
            "restricted_mean_tonnes": float(self.restricted.mean()),
            "world_shortfall_mean_tonnes": float(tot.mean()),
            **{f"world_shortfall_p{_pct(q)}_tonnes": float(np.quantile(tot, q)) for q in qs},
            "rounds_max": int(self.rounds.max()),
            "all_converged": bool(self.converged.all()),
            "basis": self.network.basis,
            "source": self.network.source,
            "edition": self.network.edition,
            "notes": list(self.network.notes),
        }

    def to_dict(self, *, top: int | None = None) -> dict:
        s = self.summary()
        if top:
            s = s.head(top)
        rows = [
            {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
            for r in s.to_dict("records")
        ]
        return {"world": self.world(), "countries": rows}

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(**kw), indent=2, default=float)


def _pct(q: float) -> str:
    v = round(q * 100, 6)
    return f"{v:g}" if v >= 1 else f"{v:g}".replace(".", "")


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def run_draws(
    net: Network,
    inputs: Draws,
    *,
    targets: Iterable[str] | None = None,
    executor=None,
    chunk_size: int = 250,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Run prepared draws in chunks on an executor; returns concatenated arrays."""
    from critmin.scenarios.executors import LocalExecutor

    executor = executor or LocalExecutor()
    spans = _chunks(len(inputs), max(1, int(chunk_size)))
    parts = executor.map(
        run_chunk,
        _pack(net, targets),
        [inputs.slice(a, b) for a, b in spans],
        sizes=[b - a for a, b in spans],
        progress=progress,
    )
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def sweep(
    net: Network,
    *,
    draws: int = 10_000,
    imposers=None,
    share: Spec = 1.0,
    targets: Iterable[str] | None = None,
    stocks: dict[str, Spec] | None = None,
    default_stock_days: Spec = 0.0,
    substitution: Spec = 0.0,
    seed: int | None = 0,
    executor=None,
    chunk_size: int = 250,
    progress: Callable[[int], None] | None = None,
    ds=None,
) -> SweepResult:
    """Monte Carlo over who restricts, how much, stocks and substitution (see the module docstring).

    ``imposers``: None/'registry' (probabilities from the registry), 'CHN', 'CHN,COD', a list, or a dict
    {ISO3: weight}. ``targets``: fixed target countries (None = all destinations). ``stocks``: {ISO3: spec}
    in days of consumption; other countries get ``default_stock_days``.
    """
    probs = normalise_imposers(net, imposers, ds=ds)
    tg = tuple(targets or ())
    inputs = draw_inputs(
        net,
        draws,
        imposers=probs,
        share=share,
        stocks=stocks,
        default_stock_days=default_stock_days,
        substitution=substitution,
        seed=seed,
    )
    out = run_draws(net, inputs, targets=tg, executor=executor, chunk_size=chunk_size, progress=progress)
    return SweepResult(
        net,
        inputs,
        probs,
        tg,
        out["dR"],
        out["dC"],
        out["shock"],
        out["restricted"],
        out["rounds"],
        out["converged"],
        executor=getattr(executor, "name", "local"),
    )


def stock_sweep(
    net: Network,
    country: str,
    days: Iterable[float],
    *,
    draws: int = 1000,
    imposers=None,
    share: Spec = 1.0,
    targets: Iterable[str] | None = None,
    stocks: dict[str, Spec] | None = None,
    default_stock_days: Spec = 0.0,
    substitution: Spec = 0.0,
    seed: int | None = 0,
    executor=None,
    chunk_size: int = 250,
    progress: Callable[[int], None] | None = None,
    ds=None,
) -> pd.DataFrame:
    """Shortfall distribution of one country for each stock level (days of its consumption).

    The same random draws (common random numbers) are used at every level, so differences between levels
    come from the stocks alone. Returns one row per (stock level, draw) with the draw's inputs and the
    country's shortfall_tonnes, shortfall_pct_of_consumption, delta_stocks_tonnes and days_of_cover.
    """
    levels = [float(x) for x in days]
    if not levels or min(levels) < 0:
        raise CritminError(f"stock levels must be >= 0 days, got {levels}")
    probs = normalise_imposers(net, imposers, ds=ds)
    tg = tuple(targets or ())
    base = draw_inputs(
        net,
        draws,
        imposers=probs,
        share=share,
        stocks=stocks,
        default_stock_days=default_stock_days,
        substitution=substitution,
        seed=seed,
    )
    i = net.index(country)
    L = len(levels)
    days_all = np.repeat(base.days[None, :, :], L, axis=0)
    days_all[:, :, i] = np.asarray(levels)[:, None]
    stacked = Draws(
        np.tile(base.imposer, L),
        np.tile(base.share, L),
        days_all.reshape(L * draws, net.n),
        np.tile(base.substitution, L),
    )
    out = run_draws(net, stacked, targets=tg, executor=executor, chunk_size=chunk_size, progress=progress)
    res = SweepResult(
        net,
        stacked,
        probs,
        tg,
        out["dR"],
        out["dC"],
        out["shock"],
        out["restricted"],
        out["rounds"],
        out["converged"],
        executor=getattr(executor, "name", "local"),
    )
    df = res.per_draw(net.countries[i])
    df.insert(0, "stock_level_days", np.repeat(levels, draws))
    df["draw"] = np.tile(np.arange(draws), L)
    df["commodity"], df["stage"], df["year"] = net.commodity, net.stage, net.year
    df["source"], df["edition"] = net.source, net.edition
    return df
