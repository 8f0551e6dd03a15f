"""Export restrictions as cascade shocks, and one scenario run on a real network with tidy outputs.

An export restriction by country X with share s on targets T (all destinations when T is empty) removes
s · F_Xk from every link X → k, k ∈ T (a ban: s = 1; a licence regime or quota: 0 < s < 1). The importers'
lost inflows are the initial shock of the Marchand et al. (2016) cascade (:mod:`critmin.scenarios.cascade`).
What X withholds stays in X (``retained_tonnes``) and is X's buffer: it covers X's own import losses before X
cuts anyone else. X is *blocked* from the start (it does not raise exports to anyone to make up) unless the
supply response redirects: then X stays open to the destinations it does not target and meets their extra
demand from the withheld volume, while the restricted links stay closed (:mod:`critmin.scenarios.response`).
A destination-specific ban (China → USA, Dec 2024; China → Japan, Jan 2026) removes only the links to the
named targets.

Shortfalls: ``shortfall_tonnes`` = −ΔC, the consumption a country loses; 0 ≤ shortfall ≤ max(C, 0) for every
country, C = P + I − E its apparent consumption. What a re-export hub stops passing on shows in its
``delta_exports_tonnes`` (and as the shortfall of the countries it supplied), not as its own shortfall. A
country with C < 0 is flagged (``consumption_flag``): its exports exceed its production and imports (a draw
on unrecorded stocks, missing production, or a data/basis error), so it has no consumption to lose.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.errors import CritminError
from critmin.scenarios.cascade import CLOSURE, RATIONING, CascadeResult, cascade_edges, days_of_cover
from critmin.scenarios.network import Network, build_network
from critmin.scenarios.response import (
    ResponseInputs,
    SupplyResponse,
    capacity_by_scenario,
    market_loss,
    resolve,
)

FULL_SHARE_TYPES = ("ban", "suspension")


@dataclass(frozen=True)
class Restriction:
    """One export restriction: ``imposer`` (ISO3) cuts ``share`` of its exports to ``targets`` (empty = all)."""

    imposer: str
    share: float = 1.0
    targets: tuple[str, ...] = ()
    label: str | None = None

    def __post_init__(self):
        if not 0.0 <= float(self.share) <= 1.0:
            raise CritminError(f"restricted share must be between 0 and 1, got {self.share}")
        object.__setattr__(self, "targets", tuple(self.targets or ()))

    @classmethod
    def from_record(cls, record: dict, share: float | None = None) -> Restriction:
        """From a registry record: a ban or export suspension removes everything (share 1) unless ``share``
        is given; a licence regime, quota or tax needs an explicit ``share`` (the registry does not say how
        much trade a licence regime stops)."""
        mtype = record["measure_type"]
        if share is None:
            if mtype not in FULL_SHARE_TYPES:
                raise CritminError(f"{record['id']} is a {mtype}: pass share= (fraction of exports it stops)")
            share = 1.0
        return cls(record["imposer"], float(share), tuple(record.get("targets") or ()), label=record["id"])


@dataclass
class RestrictionShock:
    shock: np.ndarray  # (n,) initial supply change (negative = lost imports)
    flow: np.ndarray  # (m,) flows after the cut
    removed: np.ndarray  # (m,) tonnes removed per link
    blocked: np.ndarray  # (n,) bool: imposers
    retained: np.ndarray  # (n,) tonnes kept at home by each imposer
    closed: np.ndarray  # (m,) bool: restricted links (never drawn on)


def restriction_shock(net: Network, restrictions: Sequence[Restriction]) -> RestrictionShock:
    """The initial shock of one or more export restrictions on a network (see the module docstring)."""
    keep = np.ones(net.m)
    blocked = np.zeros(net.n, dtype=bool)
    for r in restrictions:
        i = net.index(r.imposer)
        blocked[i] = True
        mask = net.src == i
        if r.targets:
            mask &= np.isin(net.dst, net_targets(net, r.targets))
        keep[mask] *= 1.0 - float(r.share)
    removed = net.flow * (1.0 - keep)
    shock = -np.bincount(net.dst, weights=removed, minlength=net.n)
    retained = np.bincount(net.src, weights=removed, minlength=net.n)
    return RestrictionShock(shock, net.flow - removed, removed, blocked, retained, keep < 1.0)


def targeted(net: Network, restrictions: Sequence[Restriction]) -> np.ndarray:
    """(n,) bool: countries some restriction targets (every country when one targets all destinations)."""
    out = np.zeros(net.n, dtype=bool)
    for r in restrictions:
        if not r.targets:
            return np.ones(net.n, dtype=bool)
        out[net_targets(net, r.targets)] = True
    return out


def net_targets(net: Network, targets: Iterable[str]) -> np.ndarray:
    """Indices of target countries present in the network (a target that does not import is simply absent)."""
    from critmin.reference import countries as cmod

    pos = {c: i for i, c in enumerate(net.countries)}
    out = []
    for t in targets:
        code = t if t in pos else cmod.resolve(t)
        if code in pos:
            out.append(pos[code])
    return np.array(out, dtype=np.int64)


def consumption_flags(consumption: np.ndarray, tiny: float = 1e-9) -> np.ndarray:
    """Per country: '' or a note that apparent consumption is negative (read as unrecorded supply)."""
    return np.array(
        [
            f"negative apparent consumption ({c:,.0f} t): exports exceed production + imports "
            "(unrecorded stock draw or production, or a data/basis error); nothing to lose"
            if c < -tiny
            else ""
            for c in consumption
        ],
        dtype=object,
    )


@dataclass
class ScenarioResult:
    """One cascade run: the network, its inputs and the totals; tidy tables via methods."""

    network: Network
    restrictions: tuple[Restriction, ...]
    stock_days: np.ndarray
    stocks: np.ndarray
    substitution: float
    alpha: float
    initial: RestrictionShock
    result: CascadeResult
    name: str = ""
    extra: dict = field(default_factory=dict)
    rationing: str = "pro_rata"
    shared_stocks: bool = False
    response: ResponseInputs | None = None
    response_capacity: np.ndarray | None = None  # (n,) t/yr producers could add over the horizon
    price_rise: float = 0.0
    closure: float = CLOSURE  # share of its supply a country loses before it is fully closed to extra draws

    def _trade_changes(self) -> tuple[np.ndarray, np.ndarray]:
        net, r, ini = self.network, self.result, self.initial
        dI = np.bincount(net.dst, weights=r.dF, minlength=net.n) + ini.shock
        dE = np.bincount(net.src, weights=r.dF, minlength=net.n) - ini.retained
        return dI, dE

    def countries(self, *, affected_only: bool = False) -> pd.DataFrame:
        """Per country: stocks, direct loss, withheld volume used, response, Δstocks, shortfall (−ΔC, never
        more than the country's apparent consumption), Δtrade, days of cover, consumption flag."""
        net, r, ini = self.network, self.result, self.initial
        dI, dE = self._trade_changes()
        cons = net.consumption
        from critmin.reference import countries as cmod

        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(cons > 0, -100.0 * r.dC / np.where(cons > 0, cons, 1.0), np.nan)
        days = days_of_cover(self.stocks, r.dR, r.dC)
        cap = self.response_capacity if self.response_capacity is not None else np.zeros(net.n)
        df = pd.DataFrame(
            {
                "scenario": self.name,
                "commodity": net.commodity,
                "stage": net.stage,
                "year": net.year,
                "country": list(net.countries),
                "country_name": [cmod.name(c) for c in net.countries],
                "production_tonnes": net.production,
                "imports_tonnes": net.imports,
                "exports_tonnes": net.exports,
                "consumption_tonnes": cons,
                "stocks_days": self.stock_days,
                "stocks_tonnes": self.stocks,
                "direct_loss_tonnes": -ini.shock,
                "retained_tonnes": ini.retained,
                "withheld_used_tonnes": -r.dW,
                "response_capacity_tonnes": cap,
                "response_tonnes": -r.dQ,
                "delta_stocks_tonnes": r.dR,
                "delta_consumption_tonnes": r.dC,
                "shortfall_tonnes": -r.dC,
                "shortfall_pct_of_consumption": pct,
                "delta_imports_tonnes": dI,
                "delta_exports_tonnes": dE,
                "days_of_cover": days,
                "stocks_exhausted": (self.stocks > 0)
                & (r.dR <= -self.stocks + 1e-9 * np.maximum(self.stocks, 1)),
                "consumption_flag": consumption_flags(cons),
                "basis": net.basis,
                "source": net.source,
                "edition": net.edition,
            }
        )
        if affected_only:
            tiny = 1e-9 * max(1.0, float(np.abs(ini.shock).sum()))
            moved = np.abs(r.dR) + np.abs(r.dC) + np.abs(dI) + np.abs(dE) + ini.retained + np.abs(r.dQ)
            df = df[moved > tiny]
        return df.sort_values(["shortfall_tonnes", "direct_loss_tonnes"], ascending=False).reset_index(
            drop=True
        )

    def links(self, *, min_change: float = 1e-9) -> pd.DataFrame:
        """Change of every bilateral flow (imports of each country by partner): before, after, delta."""
        net, r, ini = self.network, self.result, self.initial
        c = np.array(net.countries)
        delta = r.dF - ini.removed
        df = pd.DataFrame(
            {
                "scenario": self.name,
                "commodity": net.commodity,
                "stage": net.stage,
                "year": net.year,
                "importer": c[net.dst],
                "exporter": c[net.src],
                "flow_before_tonnes": net.flow,
                "flow_after_tonnes": net.flow + delta,
                "delta_tonnes": delta,
                "restricted_tonnes": ini.removed,
                "cascade_delta_tonnes": r.dF,
                "source": net.source,
                "edition": net.edition,
            }
        )
        df = df[np.abs(delta) > min_change * max(1.0, float(np.abs(ini.shock).sum()))]
        return df.sort_values(["importer", "delta_tonnes"]).reset_index(drop=True)

    def supply_response(self) -> dict:
        """Whether the supply response was on, its parameters and what it delivered (tonnes per year)."""
        if self.response is None:
            return {"on": False}
        r, net = self.result, self.network
        imposer = self.initial.blocked | (self.initial.retained > 0)
        redirected = np.maximum(r.dF, 0.0)[imposer[net.src]].sum()
        return {
            "on": True,
            **self.response.params.describe(),
            "spare_capacity_source": self.response.spare_source,
            "spare_capacity_tonnes": float(self.response.spare_tonnes.sum()),
            "price_rise": float(self.price_rise),
            "capacity_tonnes": float(self.response_capacity.sum()),
            "extra_output_tonnes": float(-r.dQ.sum()),
            "redirected_tonnes": float(redirected),
            "notes": list(self.response.notes),
        }

    def world(self) -> dict:
        """World totals (tonnes) and run diagnostics."""
        r, ini, net = self.result, self.initial, self.network
        scale = 1e-9 * max(1.0, float(np.abs(ini.shock).sum()))
        hit = (r.dR + r.dC) < -scale
        negative = [net.countries[i] for i in np.nonzero(net.consumption < -1e-9)[0]]
        return {
            "scenario": self.name,
            "commodity": net.commodity,
            "stage": net.stage,
            "year": net.year,
            "restrictions": [
                {"imposer": x.imposer, "share": x.share, "targets": list(x.targets), "label": x.label}
                for x in self.restrictions
            ],
            "substitution_fraction": self.substitution,
            "rationing": self.rationing,
            "stocks_use": "shared (others may draw on them)" if self.shared_stocks else "own use",
            "closure_share": self.closure,
            "supply_response": self.supply_response(),
            "restricted_tonnes": float(ini.removed.sum()),
            "initial_shock_tonnes": float(-ini.shock.sum()),
            "withheld_used_tonnes": float(-r.dW.sum()),
            "response_tonnes": float(-r.dQ.sum()),
            "delta_stocks_tonnes": float(r.dR.sum()),
            "delta_consumption_tonnes": float(r.dC.sum()),
            "shortfall_tonnes": float(-r.dC.sum()),
            "world_consumption_tonnes": float(np.maximum(net.consumption, 0).sum()),
            "countries_hit": int(hit.sum()),
            "countries_with_shortfall": int((r.dC < -scale).sum()),
            "negative_consumption_countries": negative,
            "rounds": int(r.rounds),
            "converged": bool(r.converged),
            "basis": net.basis,
            "source": net.source,
            "edition": net.edition,
            "notes": list(net.notes),
        }

    def to_dict(self, *, affected_only: bool = True) -> dict:
        def clean(v):
            if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
                return None
            if isinstance(v, np.floating | np.integer | np.bool_):
                return clean(v.item())
            return v

        countries = [
            {k: clean(v) for k, v in row.items()}
            for row in self.countries(affected_only=affected_only).to_dict("records")
        ]
        links = [{k: clean(v) for k, v in row.items()} for row in self.links().to_dict("records")]
        return {"world": self.world(), "countries": countries, "links": links}

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(**kw), indent=2, default=float)


def check_rationing(rationing: str) -> str:
    if rationing not in RATIONING:
        from critmin.errors import UnknownValueError

        raise UnknownValueError("rationing rule", rationing, RATIONING)
    return rationing


def run(
    net: Network,
    restrictions: Sequence[Restriction],
    *,
    stocks: dict[str, float] | float | None = None,
    default_stock_days: float = 0.0,
    substitution: float = 0.0,
    alpha: float = 1e-5,
    name: str = "",
    max_rounds: int = 1000,
    rationing: str = "pro_rata",
    shared_stocks: bool = False,
    response: SupplyResponse | ResponseInputs | None = None,
    ds=None,
    closure: float = CLOSURE,
) -> ScenarioResult:
    """Run the cascade for export restrictions on a built network (stocks in days of consumption).

    ``rationing``: 'pro_rata' (default: a short country shares what it cannot replace between its own use
    and its export customers) or 'trade_first' (Marchand et al. 2016 as published). ``shared_stocks``:
    False (default: stocks cover the holder's own consumption; it raises no exports while drawing them) or
    True (the paper: others may draw on them). ``response``: None (off) or a :class:`SupplyResponse` (``ds``
    is needed for its 'demonstrated' spare capacity). ``closure``: share of the supply it handles a country
    must lose to be fully closed to extra draws (:mod:`critmin.scenarios.cascade`, step 2; 0 = the paper's
    all-or-nothing rule).
    """
    if not 0.0 <= substitution <= 1.0:
        raise CritminError(f"substitution fraction must be between 0 and 1, got {substitution}")
    check_rationing(rationing)
    days = net.stock_days(stocks, default_stock_days)
    consumption = net.consumption
    R = days / 365.0 * np.maximum(consumption, 0.0)
    ini = restriction_shock(net, restrictions)
    inputs = resolve(ds, net, response) if isinstance(response, SupplyResponse) else response
    Q, pi = np.zeros(net.n), 0.0
    blocked, closed = ini.blocked, None
    if inputs is not None:
        # what the imposers could place with non-targets instead, displacing their other suppliers
        others = ~ini.blocked[net.src] & ~ini.blocked[net.dst] & ~targeted(net, restrictions)[net.dst]
        lost = market_loss(ini.removed.sum(), net.flow[others].sum(), inputs.params.redirect)
        Q2, pis = capacity_by_scenario(net.production, consumption, inputs, ini.blocked, np.array([lost]))
        Q, pi = Q2[0], float(pis[0])
        if inputs.params.redirect:
            blocked, closed = np.zeros(net.n, dtype=bool), ini.closed
    res = cascade_edges(
        net.production,
        R,
        net.src,
        net.dst,
        ini.flow,
        ini.shock,
        f_c=substitution,
        alpha=alpha,
        blocked=blocked,
        withheld=ini.retained,
        response=Q,
        closed=closed,
        consumption=consumption,
        rationing=rationing,
        share_stocks=shared_stocks,
        closure=closure,
        max_rounds=max_rounds,
    )
    return ScenarioResult(
        net,
        tuple(restrictions),
        days,
        R,
        substitution,
        alpha,
        ini,
        res,
        name=name,
        rationing=rationing,
        shared_stocks=shared_stocks,
        response=inputs,
        response_capacity=Q if inputs is not None else None,
        price_rise=pi,
        closure=closure,
    )


def scenario_name(restrictions, commodity: str, stage: str, year: int) -> str:
    """A reader's title: 'China bans exports of rare earth elements, refined stage, to Japan (2023 network)';
    a partial cut says its share ('cuts 50% of its exports')."""
    from critmin.reference import commodities as cat
    from critmin.reference import countries as cmod

    def who(codes) -> str:
        return " and ".join(_country_name(cmod, c) for c in codes)

    r0 = restrictions[0]
    try:
        mineral = cat.get(commodity).name
    except CritminError:
        mineral = commodity.replace("_", " ")
    subject = who([r.imposer for r in restrictions])
    if len(restrictions) == 1:
        action = "bans" if r0.share >= 1 else f"cuts {r0.share:.0%} of its"
    else:
        action = "ban" if r0.share >= 1 else f"cut {r0.share:.0%} of their"
    mineral = mineral[:1].lower() + mineral[1:] if mineral[1:2].islower() else mineral
    text = f"{subject} {action} exports of {mineral}, {stage} stage"
    if r0.targets:
        text += f", to {who(r0.targets)}"
    return f"{text} ({year} network)"


def _country_name(cmod, code: str) -> str:
    try:
        return cmod.name(code)
    except CritminError:
        return code


def restrict(
    ds_or_network,
    by: str | Sequence[str] | None = None,
    *,
    commodity: str | None = None,
    stage: str | None = None,
    year: int | None = None,
    share: float = 1.0,
    targets: Iterable[str] | None = None,
    restrictions: Sequence[Restriction] | None = None,
    stocks: dict[str, float] | float | None = None,
    default_stock_days: float = 0.0,
    substitution: float = 0.0,
    alpha: float = 1e-5,
    name: str | None = None,
    rationing: str = "pro_rata",
    shared_stocks: bool = False,
    response: SupplyResponse | bool | None = None,
    ds=None,
    closure: float = CLOSURE,
) -> ScenarioResult:
    """One export-restriction scenario on the real network (or a given :class:`Network`).

    ``response=True`` turns on the supply response with its default parameters (or pass a
    :class:`SupplyResponse`); its 'demonstrated' spare capacity reads the production history of the dataset
    given first (or ``ds=`` when a network is given).

    >>> import critmin
    >>> from critmin.scenarios import restrict
    >>> r = restrict(critmin.open(), by="CHN", commodity="rare_earths", stage="refined", year=2023,
    ...              targets=["JPN"], stocks={"JPN": 60})                       # doctest: +SKIP
    >>> r.countries().head()                                                    # doctest: +SKIP
    """
    if isinstance(ds_or_network, Network):
        net = ds_or_network
    else:
        if commodity is None or year is None:
            raise CritminError("commodity and year are required to build the network")
        from critmin.reference import commodities as cat

        ds = ds_or_network
        c = cat.get(commodity)
        stage = stage or (c.trade_stages[0] if c.trade_stages else next(iter(c.stages)))
        net = build_network(ds, c.id, stage, int(year))
    if restrictions is None:
        if by is None:
            raise CritminError("say who restricts: by='CHN' (or restrictions=[Restriction(...)])")
        imposers = [by] if isinstance(by, str) else list(by)
        from critmin.reference import countries as cmod

        tg = tuple(cmod.resolve(t) for t in (targets or ()))
        restrictions = [Restriction(cmod.resolve(b), share, tg) for b in imposers]
    if name is None:
        name = scenario_name(restrictions, net.commodity, net.stage, net.year)
    if response is True:
        response = SupplyResponse()
    elif response is False:
        response = None
    return run(
        net,
        restrictions,
        stocks=stocks,
        default_stock_days=default_stock_days,
        substitution=substitution,
        alpha=alpha,
        name=name,
        rationing=rationing,
        shared_stocks=shared_stocks,
        response=response,
        ds=ds,
        closure=closure,
    )
