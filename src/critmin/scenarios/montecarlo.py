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
from critmin.scenarios.response import (
    ResponseInputs,
    SupplyResponse,
    capacity_by_scenario,
    market_loss,
    resolve,
)
from critmin.scenarios.scenario import check_rationing, consumption_flags, net_targets

Spec = float | tuple[float, float]
QUANTILES = (0.5, 0.9, 0.99)
# draws × countries float64 arrays a sweep keeps (inputs: stock days; results: ΔR, ΔC, ΔW, ΔQ, shock) plus the
# temporaries of the summary (shortfall, stocks, days of cover, quantiles)
ARRAYS_PER_DRAW_AND_COUNTRY = 10
MAX_SWEEP_BYTES = 4 * 2**30


def check_sweep_size(draws: int, countries: int, max_bytes: float | None = None) -> None:
    """Refuse, before anything is allocated, a sweep whose draws × countries arrays exceed ``max_bytes``."""
    if draws < 1:
        raise CritminError(f"draws must be >= 1, got {draws}")
    limit = float(MAX_SWEEP_BYTES if max_bytes is None else max_bytes)
    need = float(draws) * countries * 8 * ARRAYS_PER_DRAW_AND_COUNTRY
    if need > limit:
        fit = int(limit // (countries * 8 * ARRAYS_PER_DRAW_AND_COUNTRY))
        raise CritminError(
            f"{draws:,} draws × {countries} countries need about {need / 2**30:,.1f} GiB of result arrays, "
            f"over the {limit / 2**30:,.1f} GiB limit: use at most {fit:,} draws"
        )


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


def registry_imposers(
    source,
    commodity: str,
    candidates: Iterable[str],
    year: int,
    *,
    as_of=None,
    records=None,
    who: str | None = None,
) -> dict[str, float]:
    """P(imposer = k | a restriction happens) for k in ``candidates``, from the restriction registry's history
    read on the as-of day (31 December of ``year``, or ``as_of``) as the coercion weight reads it.

    Weight of k = its restrictive, reviewed measures on ``commodity`` (or all critical minerals) announced by
    that day, each 1 while announced or in force and halving every 5 years after it ended
    (:func:`critmin.indicators.coercion.dated_measure_counts`); normalised to sum to 1. ``source``: the
    Dataset or Store whose registry is read; ``records``: registry records (dicts or a frame) instead.
    Raises :class:`NoDataError` when no candidate has a measure on the commodity by that day.
    """
    from critmin.indicators import coercion

    if records is None:
        measures = coercion.registry_measures(source)
    else:
        rows = records.to_dict("records") if hasattr(records, "to_dict") else records
        measures = coercion.record_measures(rows)
    day = coercion.as_of_date(year, as_of)
    pool = set(candidates)
    counts = {k: v for k, v in coercion.dated_measure_counts(measures, commodity, day).items() if k in pool}
    total = sum(counts.values())
    if total <= 0:
        raise NoDataError(
            f"no {who or 'candidate imposer'} has a measure on {commodity} in the restriction registry as of "
            f"{day}; pass imposers explicitly (e.g. CHN)"
        )
    return {k: counts[k] / total for k in sorted(counts, key=lambda k: (-counts[k], k))}


def imposer_probabilities(net: Network, records=None, *, ds=None, as_of=None) -> dict[str, float]:
    """P(imposer = k | a restriction happens) over the network's exporters, from the registry read on the
    as-of day (31 December of the network's year by default): :func:`registry_imposers`."""
    exporters = {net.countries[i] for i in np.unique(net.src)}
    return registry_imposers(
        ds,
        net.commodity,
        exporters,
        net.year,
        as_of=as_of,
        records=records,
        who=f"exporter of {net.commodity} ({net.stage}) in {net.year}",
    )


def imposers_from(imposers, year: int, as_of=None) -> str:
    """Where a sweep's imposer probabilities come from, for its provenance."""
    if imposers is None or (isinstance(imposers, str) and imposers == "registry"):
        from critmin.indicators.coercion import as_of_date

        return f"restriction registry as of {as_of_date(year, as_of).isoformat()} (measures by recency)"
    return "given"


def normalise_imposers(net: Network, imposers, ds=None, as_of=None) -> dict[str, float]:
    """Imposer probabilities {ISO3: p} from None/'registry' (:func:`imposer_probabilities`, read on
    ``as_of``), 'CHN,COD', a list or a dict of weights."""
    if imposers is None or (isinstance(imposers, str) and imposers == "registry"):
        return imposer_probabilities(net, ds=ds, as_of=as_of)
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
    check_sweep_size(draws, net.n)
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


def _pack(
    net: Network,
    targets: Iterable[str] | None,
    rationing: str = "pro_rata",
    response: ResponseInputs | None = None,
    shared_stocks: bool = False,
) -> dict:
    tmask = np.ones(net.n, dtype=bool)
    if targets:
        tmask[:] = False
        tmask[net_targets(net, targets)] = True
    return {
        "P": net.production,
        "src": net.src,
        "dst": net.dst,
        "flow": net.flow,
        "consumption": net.consumption,
        "cons_pos": np.maximum(net.consumption, 0.0),
        "target_on_edge": tmask[net.dst],
        "n": net.n,
        "rationing": rationing,
        "response": response,
        "shared_stocks": shared_stocks,
    }


def run_chunk(pack: dict, chunk: Draws) -> dict:
    """Run one chunk of draws (vectorised); returns ΔR, ΔC, ΔW, ΔQ (float64, d×n), rounds and convergence."""
    src, dst, flow, n = pack["src"], pack["dst"], pack["flow"], pack["n"]
    d = len(chunk)
    hit = (src[None, :] == chunk.imposer[:, None]) & pack["target_on_edge"][None, :]
    removed = chunk.share[:, None] * flow[None, :] * hit
    shock = -_segment_sum(removed, dst, n)
    withheld = _segment_sum(removed, src, n)
    blocked = np.zeros((d, n), dtype=bool)
    blocked[np.arange(d), chunk.imposer] = True
    R = chunk.days / 365.0 * pack["cons_pos"][None, :]
    restricted = removed.sum(axis=1)
    inputs: ResponseInputs | None = pack.get("response")
    Q, price_rise, closed = None, np.zeros(d), None
    if inputs is not None:
        # what the imposer could place with non-targets instead, displacing their other suppliers
        others = ~pack["target_on_edge"][None, :] & ~blocked[:, src] & ~blocked[:, dst]
        lost = market_loss(restricted, (flow[None, :] * others).sum(axis=1), inputs.params.redirect)
        Q, price_rise = capacity_by_scenario(pack["P"], pack["consumption"], inputs, blocked, lost)
        if inputs.params.redirect:
            closed = hit & (chunk.share[:, None] > 0)
            blocked = None
    res = cascade_edges(
        pack["P"],
        R,
        src,
        dst,
        flow[None, :] - removed,
        shock,
        f_c=chunk.substitution,
        blocked=blocked,
        withheld=withheld,
        response=Q,
        closed=closed,
        consumption=pack["consumption"],
        rationing=pack.get("rationing", "pro_rata"),
        share_stocks=pack.get("shared_stocks", False),
    )
    return {
        "dR": res.dR,
        "dC": res.dC,
        "dW": res.dW,
        "dQ": res.dQ,
        "rounds": res.rounds,
        "converged": res.converged,
        "shock": shock,
        "restricted": restricted,
        "price_rise": price_rise,
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
    dW: np.ndarray | None = None
    dQ: np.ndarray | None = None
    price_rise: np.ndarray | None = None
    rationing: str = "pro_rata"
    response: ResponseInputs | None = None
    shared_stocks: bool = False
    imposers_from: str = "given"

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
                "price_rise": self.price_rise if self.price_rise is not None else 0.0,
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
        df["withheld_used_tonnes"] = -self.dW[:, i] if self.dW is not None else 0.0
        df["response_tonnes"] = -self.dQ[:, i] if self.dQ is not None else 0.0
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
                "shortfall_max_tonnes": short.max(axis=0),
                "response_mean_tonnes": -self.dQ.mean(axis=0) if self.dQ is not None else 0.0,
                "consumption_flag": consumption_flags(cons),
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

    def exceedances(self, rtol: float = 1e-9) -> int:
        """Number of (draw, country) pairs whose shortfall exceeds the country's apparent consumption (or is
        positive where that consumption is ≤ 0) — 0 by construction of the cascade; reported as a check."""
        cons = np.maximum(self.network.consumption, 0.0)[None, :]
        tol = rtol * max(1.0, float(np.abs(self.shock).sum(axis=1).max()))
        return int((self.shortfall > cons + tol).sum())

    def supply_response(self) -> dict:
        """Whether the supply response was on, its parameters and what it delivered (means over draws)."""
        if self.response is None:
            return {"on": False}
        pr = self.price_rise if self.price_rise is not None else np.zeros(len(self.inputs))
        return {
            "on": True,
            **self.response.params.describe(),
            "spare_capacity_source": self.response.spare_source,
            "spare_capacity_tonnes": float(self.response.spare_tonnes.sum()),
            "price_rise_p50": float(np.quantile(pr, 0.5)),
            "extra_output_mean_tonnes": float(-self.dQ.sum(axis=1).mean()),
            "notes": list(self.response.notes),
        }

    def world(self, quantiles: Iterable[float] = QUANTILES) -> dict:
        qs = list(quantiles)
        tot = self.shortfall.sum(axis=1)
        return {
            "commodity": self.network.commodity,
            "stage": self.network.stage,
            "year": self.network.year,
            "draws": len(self.inputs),
            "imposers": self.imposers,
            "imposers_from": self.imposers_from,
            "targets": list(self.targets),
            "executor": self.executor,
            "rationing": self.rationing,
            "stocks_use": "shared (others may draw on them)" if self.shared_stocks else "own use",
            "supply_response": self.supply_response(),
            "restricted_mean_tonnes": float(self.restricted.mean()),
            "world_shortfall_mean_tonnes": float(tot.mean()),
            **{f"world_shortfall_p{_pct(q)}_tonnes": float(np.quantile(tot, q)) for q in qs},
            "shortfall_above_consumption": self.exceedances(),
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
    rationing: str = "pro_rata",
    response: ResponseInputs | None = None,
    shared_stocks: bool = False,
) -> dict:
    """Run prepared draws in chunks on an executor; returns concatenated arrays."""
    from critmin.scenarios.executors import LocalExecutor

    executor = executor or LocalExecutor()
    spans = _chunks(len(inputs), max(1, int(chunk_size)))
    parts = executor.map(
        run_chunk,
        _pack(net, targets, check_rationing(rationing), response, shared_stocks),
        [inputs.slice(a, b) for a, b in spans],
        sizes=[b - a for a, b in spans],
        progress=progress,
    )
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _resolve_response(net: Network, response, ds) -> ResponseInputs | None:
    if response is None or response is False:
        return None
    if response is True:
        response = SupplyResponse()
    return resolve(ds, net, response) if isinstance(response, SupplyResponse) else response


def _result(
    net, inputs, probs, tg, out, executor, rationing, response, shared_stocks, imposers_from="given"
) -> SweepResult:
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
        dW=out["dW"],
        dQ=out["dQ"],
        price_rise=out["price_rise"],
        rationing=rationing,
        response=response,
        shared_stocks=shared_stocks,
        imposers_from=imposers_from,
    )


def _draw_sweep(
    net: Network, draws: int, imposers, *, ds, as_of, rationing: str, seed, **spec
) -> tuple[dict[str, float], Draws]:
    """Validate, resolve the imposer probabilities and draw every input up front (:func:`draw_inputs`)."""
    check_rationing(rationing)
    probs = normalise_imposers(net, imposers, ds=ds, as_of=as_of)
    return probs, draw_inputs(net, draws, imposers=probs, seed=seed, **spec)


def _run_sweep(
    net: Network,
    inputs: Draws,
    probs: dict[str, float],
    targets,
    response,
    shared_stocks: bool,
    source: str,
    *,
    ds,
    executor,
    chunk_size: int,
    progress,
    rationing: str,
) -> SweepResult:
    """Run drawn inputs through the cascade (:func:`run_draws`) and wrap the outcome."""
    tg = tuple(targets or ())
    resp = _resolve_response(net, response, ds)
    out = run_draws(
        net,
        inputs,
        targets=tg,
        executor=executor,
        chunk_size=chunk_size,
        progress=progress,
        rationing=rationing,
        response=resp,
        shared_stocks=shared_stocks,
    )
    return _result(net, inputs, probs, tg, out, executor, rationing, resp, shared_stocks, source)


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
    rationing: str = "pro_rata",
    response: SupplyResponse | ResponseInputs | bool | None = None,
    shared_stocks: bool = False,
    as_of=None,
) -> SweepResult:
    """Monte Carlo over who restricts, how much, stocks and substitution (see the module docstring).

    ``imposers``: None/'registry' (probabilities from the registry read on ``as_of``, by default 31 December
    of the network's year: :func:`registry_imposers`), 'CHN', 'CHN,COD', a list, or a dict {ISO3: weight}.
    ``targets``: fixed target countries (None = all destinations). ``stocks``: {ISO3: spec}
    in days of consumption; other countries get ``default_stock_days``. ``rationing``: 'pro_rata' or
    'trade_first' (:mod:`critmin.scenarios.cascade`); ``shared_stocks``: whether others may draw on a
    country's stocks (default False: stocks are for the holder's own use). ``response``: None/False (off), True (defaults) or a
    :class:`~critmin.scenarios.response.SupplyResponse`; its price signal and capacity are per draw.
    """
    check_sweep_size(draws, net.n)
    spec = dict(share=share, stocks=stocks, default_stock_days=default_stock_days, substitution=substitution)
    probs, inputs = _draw_sweep(
        net, draws, imposers, ds=ds, as_of=as_of, rationing=rationing, seed=seed, **spec
    )
    run = dict(executor=executor, chunk_size=chunk_size, progress=progress, rationing=rationing)
    return _run_sweep(
        net,
        inputs,
        probs,
        targets,
        response,
        shared_stocks,
        imposers_from(imposers, net.year, as_of),
        ds=ds,
        **run,
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
    rationing: str = "pro_rata",
    response: SupplyResponse | ResponseInputs | bool | None = None,
    shared_stocks: bool = False,
    as_of=None,
) -> pd.DataFrame:
    """Shortfall distribution of one country for each stock level (days of its consumption).

    The same random draws (common random numbers) are used at every level, so differences between levels
    come from the stocks alone. Returns one row per (stock level, draw) with the draw's inputs and the
    country's shortfall_tonnes, shortfall_pct_of_consumption, delta_stocks_tonnes and days_of_cover.
    """
    levels = [float(x) for x in days]
    if not levels or min(levels) < 0:
        raise CritminError(f"stock levels must be >= 0 days, got {levels}")
    check_sweep_size(draws * len(levels), net.n)
    spec = dict(share=share, stocks=stocks, default_stock_days=default_stock_days, substitution=substitution)
    probs, base = _draw_sweep(
        net, draws, imposers, ds=ds, as_of=as_of, rationing=rationing, seed=seed, **spec
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
    run = dict(executor=executor, chunk_size=chunk_size, progress=progress, rationing=rationing)
    res = _run_sweep(
        net,
        stacked,
        probs,
        targets,
        response,
        shared_stocks,
        imposers_from(imposers, net.year, as_of),
        ds=ds,
        **run,
    )
    df = res.per_draw(net.countries[i])
    df.insert(0, "stock_level_days", np.repeat(levels, draws))
    df["draw"] = np.tile(np.arange(draws), L)
    df["commodity"], df["stage"], df["year"] = net.commodity, net.stage, net.year
    df["source"], df["edition"] = net.source, net.edition
    return df
