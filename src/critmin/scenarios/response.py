"""Supply response over a horizon: producers that do not restrict bring spare capacity on line, and the
imposer redirects what it withholds to destinations it does not target.

The cascade (:mod:`critmin.scenarios.cascade`) moves a fixed world supply around; after the 2023 graphite
and 2024 antimony controls, the observed redistribution came largely from other producers' output
(docs/scenarios.md §5). This module gives the cascade an optional, short-run response, in the spirit of the
USGS assessment of year-long trade disruptions, where post-disruption quantities follow from price
elasticities of supply and demand and from available excess capacity (Nassar, Pineault et al. 2025, USGS
Open-File Report 2025-1047, doi:10.3133/ofr20251047):

1. **Price signal.** A restriction takes X t/yr off the market outside the imposers — the restricted volume,
   less, when the imposer redirects, what it can place with non-targets by displacing their other suppliers
   (A = the non-targets' imports from everyone but the imposer; X = max(restricted − A, 0)): a ban on a few
   destinations that the imposer can sell around hardly moves the world price. The relative price rise π
   that clears it with a short-run price elasticity of demand η < 0 (on D, the apparent consumption outside
   the imposers) and of supply ε > 0 (on each responder's production P_j, capped by its spare capacity K_j):

       D · (1 − (1 + π)^η) + Σ_j min(P_j · ((1 + π)^ε − 1), K_j) = X

   solved by bisection on log(1 + π), one π per scenario, capped at ``MAX_PRICE_RISE`` when even the whole
   spare capacity and demand cannot clear X (an equilibrium-displacement closure with constant elasticities;
   Muth 1964, Oxford Econ. Pap. 16:221; Alston, Norton & Pardey 1995, *Science under Scarcity*, ch. 4).
2. **Capacity on line over the horizon.** Output ramps up linearly over a lead time L, so over the first h
   months the average share of the full response is a(h) = h / (2L) for h ≤ L and 1 − L / (2h) beyond. The
   response capacity of producer j is Q_j = min(P_j · ((1 + π)^ε − 1), K_j) · a(h); imposers have none.
3. **Where it goes.** Q_j enters the cascade as a buffer of j after its stocks: it meets extra demand that
   importers pull from j (or j's own import losses) before j becomes 'shocked'. Output is raised only where
   trade pulls it — along existing links, in proportion to them.
4. **Redirect.** With ``redirect`` the imposer stays open to the destinations it does not target: their extra
   demand is met from the volume it withholds (existing links; no lead time). The restricted links stay
   closed. (Under a restriction on all destinations there is nobody to redirect to.)

**Spare capacity K_j.** ``'demonstrated'`` (default): the highest output of the previous ``lookback_years``
years in the same production series as the network, minus this year's output — idle capacity that has
produced recently. A producer at its peak gets 0 (we know of no capacity beyond what has produced), and so
does every producer of a series with one year only (e.g. IEA refining shares). A number s gives every
producer s · P_j; a dict {ISO3: tonnes} gives capacities directly.

**Defaults (conservative: they err towards a small response).** ε = 0.1 and η = −0.1: short-run price
elasticities of primary commodities are low on both sides (Fally & Sayre 2018, *Commodity Trade Matters*,
NBER Working Paper 24965); lead time 6 months for idle capacity to restart, horizon 12 months (the USGS
scenarios are year-long), lookback 5 years. All are assumptions a user should vary; the results state them.
New mines and capacity that has never produced are outside the model.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from critmin.errors import CritminError

MAX_PRICE_RISE = 100.0  # ×101: beyond this the closure has no economic meaning; π is capped here
MAX_HORIZON_MONTHS = 36.0  # a short-run model: past ~3 years new mines and demand shifts dominate


@dataclass(frozen=True)
class SupplyResponse:
    """Parameters of the optional supply response (module docstring). ``spare``: 'demonstrated', a share of
    each producer's output, or {ISO3: tonnes per year}."""

    horizon_months: float = 12.0
    supply_elasticity: float = 0.1
    demand_elasticity: float = -0.1
    lead_months: float = 6.0
    spare: str | float | dict = "demonstrated"
    lookback_years: int = 5
    redirect: bool = True

    def __post_init__(self):
        if not 0 < float(self.horizon_months) <= MAX_HORIZON_MONTHS:
            raise CritminError(
                f"horizon must be between 0 and {MAX_HORIZON_MONTHS:g} months (a short-run response), "
                f"got {self.horizon_months}"
            )
        if not 0 <= float(self.supply_elasticity) <= 5:
            raise CritminError(f"supply elasticity must be between 0 and 5, got {self.supply_elasticity}")
        if not -5 <= float(self.demand_elasticity) < 0:
            raise CritminError(
                f"demand elasticity must be negative (between -5 and 0), got {self.demand_elasticity}"
            )
        if float(self.lead_months) <= 0:
            raise CritminError(f"lead time must be > 0 months, got {self.lead_months}")
        if int(self.lookback_years) < 1:
            raise CritminError(f"lookback must be >= 1 year, got {self.lookback_years}")
        if isinstance(self.spare, str) and self.spare != "demonstrated":
            raise CritminError(f"spare capacity: 'demonstrated', a share or {{ISO3: t}}, got {self.spare!r}")
        if isinstance(self.spare, int | float) and not 0 <= float(self.spare) <= 10:
            raise CritminError(f"spare capacity share must be between 0 and 10, got {self.spare}")

    def describe(self) -> dict:
        d = asdict(self)
        if isinstance(self.spare, dict):
            d["spare"] = {k: float(v) for k, v in self.spare.items()}
        d["ramp_share"] = ramp_share(self.horizon_months, self.lead_months)
        return d


@dataclass
class ResponseInputs:
    """A :class:`SupplyResponse` resolved on one network: spare capacity K (n,) in the network's tonnes."""

    params: SupplyResponse
    spare_tonnes: np.ndarray
    spare_source: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def market_loss(restricted: np.ndarray, displaceable: np.ndarray, redirect: bool) -> np.ndarray:
    """Volume lost to the market outside the imposers (module docstring, step 1)."""
    restricted = np.asarray(restricted, dtype=float)
    return np.maximum(restricted - np.asarray(displaceable, dtype=float), 0.0) if redirect else restricted


def ramp_share(horizon_months: float, lead_months: float) -> float:
    """Average share of the full response on line over the first h months when output ramps up linearly over
    the lead time L: h / (2L) for h ≤ L, else 1 − L / (2h)."""
    h, lead = float(horizon_months), float(lead_months)
    return h / (2 * lead) if h <= lead else 1.0 - lead / (2 * h)


def clearing_price_rise(
    lost: np.ndarray,
    demand: float,
    production: np.ndarray,
    spare: np.ndarray,
    supply_elasticity: float,
    demand_elasticity: float,
    *,
    max_rise: float = MAX_PRICE_RISE,
    iterations: int = 50,
) -> np.ndarray:
    """Relative price rise π per scenario that clears ``lost`` (d,) t/yr (module docstring, eq. 1).

    ``demand``: apparent consumption outside the imposers; ``production``, ``spare``: (n,) or (d, n) of the
    responders (0 for imposers). Monotone in π, so bisection on log(1 + π) in [0, log(1 + max_rise)].
    """
    lost = np.atleast_1d(np.asarray(lost, dtype=float))
    P = np.atleast_2d(np.asarray(production, dtype=float))
    K = np.atleast_2d(np.asarray(spare, dtype=float))
    P, K = np.broadcast_arrays(P, K)
    able = ((P > 0) & (K > 0)).any(axis=0)  # only producers that can add output matter
    P, K = P[:, able], K[:, able]
    eps, eta = float(supply_elasticity), float(demand_elasticity)
    lo = np.zeros_like(lost)
    hi = np.full_like(lost, math.log1p(max_rise))
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        extra = np.minimum(P * np.expm1(eps * mid)[:, None], K).sum(axis=1)
        cleared = -demand * np.expm1(eta * mid) + extra
        short = cleared < lost
        lo = np.where(short, mid, lo)
        hi = np.where(short, hi, mid)
    return np.where(lost > 0, np.expm1(hi), 0.0)


def response_capacity(
    lost: np.ndarray,
    demand: float,
    production: np.ndarray,
    spare: np.ndarray,
    responders: np.ndarray,
    params: SupplyResponse,
) -> tuple[np.ndarray, np.ndarray]:
    """Extra output each producer can bring on line over the horizon, (d, n), and the price rise π (d,).

    Q_j = min(P_j ((1 + π)^ε − 1), K_j) · a(h) for responders (bool, (n,) or (d, n)), 0 elsewhere.
    """
    resp = np.atleast_2d(np.asarray(responders, dtype=bool))
    P = np.where(resp, np.asarray(production, dtype=float), 0.0)
    K = np.where(resp, np.asarray(spare, dtype=float), 0.0)
    pi = clearing_price_rise(lost, demand, P, K, params.supply_elasticity, params.demand_elasticity)
    full = np.minimum(P * np.expm1(params.supply_elasticity * np.log1p(pi))[:, None], K)
    return full * ramp_share(params.horizon_months, params.lead_months), pi


def capacity_by_scenario(
    production: np.ndarray,
    consumption: np.ndarray,
    inputs: ResponseInputs,
    imposer: np.ndarray,
    lost: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Response capacity (d, n) and price rise (d,) of scenarios whose imposers are ``imposer`` ((d, n) bool)
    and whose restricted volume is ``lost`` ((d,) t/yr). D is the apparent consumption (negative read as 0)
    outside each scenario's imposers; imposers do not respond."""
    imposer = np.atleast_2d(np.asarray(imposer, dtype=bool))
    lost = np.atleast_1d(np.asarray(lost, dtype=float))
    cons = np.maximum(np.asarray(consumption, dtype=float), 0.0)
    out, pis = np.zeros(imposer.shape), np.zeros(imposer.shape[0])
    # D differs with the imposer set; scenarios share a handful of distinct sets, so solve per set
    if imposer.shape[0] == 1:
        keys, inverse = imposer, np.zeros(1, dtype=np.int64)
    else:
        keys, inverse = np.unique(imposer, axis=0, return_inverse=True)
    for k in range(len(keys)):
        rows = np.nonzero(inverse.ravel() == k)[0]
        demand = float(cons[~keys[k]].sum())
        q, pi = response_capacity(
            lost[rows], demand, production, inputs.spare_tonnes, ~keys[k], inputs.params
        )
        out[rows], pis[rows] = q, pi
    return out, pis


def demonstrated_spare_capacity(ds, net, lookback_years: int = 5) -> tuple[np.ndarray, str, list[str]]:
    """K_j = max(output over the previous ``lookback_years`` years) − the network's output this year, from
    the production series the network uses (its source, on its basis); (n,) tonnes, a label, notes."""
    parts = [p.strip() for p in net.source.split(";")]
    K = np.zeros(net.n)
    if len(parts) < 2 or not parts[-1]:
        return (
            K,
            "none",
            [f"{net.commodity} {net.stage} {net.year} has no production series: no spare capacity"],
        )
    source = parts[-1]
    years = list(range(net.year - int(lookback_years), net.year))
    label = f"{source} {net.commodity} {net.stage} production {years[0]}-{net.year}"
    hist = ds.production(net.commodity, net.stage, years, source=source)
    hist = hist[hist["country"] != "ROW"]
    if hist.empty:
        return (
            K,
            label,
            [f"{source} has no {net.commodity} {net.stage} output before {net.year}: no spare capacity"],
        )
    reported = set(hist["basis"])
    if reported != {net.basis} and net.basis != "gross weight":
        try:
            hist = ds.production(net.commodity, net.stage, years, source=source, basis=net.basis)
            hist = hist[hist["country"] != "ROW"]
        except CritminError:
            return K, label, [f"{source} output ({', '.join(sorted(reported))}) does not convert to "
                              f"{net.basis}: no spare capacity"]  # fmt: skip
    if hist["year"].nunique() < 2:
        # one year of output (IEA refining: 2023 only) is the network's own year: no peak to fall back from
        return (
            K,
            label,
            [
                f"{source} has {net.commodity} {net.stage} output for {int(hist['year'].max())} only: no "
                "demonstrated spare capacity"
            ],
        )
    peak = hist.groupby("country")["tonnes"].max()
    pos = {k: i for i, k in enumerate(net.countries)}
    for code, t in peak.items():
        if code in pos:
            K[pos[code]] = max(float(t) - float(net.production[pos[code]]), 0.0)
    return K, label, []


def resolve(ds, net, params: SupplyResponse) -> ResponseInputs:
    """Spare capacity of every country of ``net`` under ``params.spare`` (needs ``ds`` for 'demonstrated')."""
    spare = params.spare
    if isinstance(spare, dict):
        K = np.zeros(net.n)
        for code, t in spare.items():
            if float(t) < 0:
                raise CritminError(f"spare capacity must be >= 0 t, got {code}={t}")
            K[net.index(code)] = float(t)
        return ResponseInputs(params, K, "given")
    if isinstance(spare, int | float):
        return ResponseInputs(params, float(spare) * net.production, f"{float(spare):g} × production")
    if ds is None:
        raise CritminError(
            "the 'demonstrated' spare capacity needs the dataset's production history: pass ds=, "
            "or give spare= as a share of output or {ISO3: tonnes}"
        )
    K, label, notes = demonstrated_spare_capacity(ds, net, params.lookback_years)
    return ResponseInputs(params, K, f"demonstrated, {label}", tuple(notes))
