"""Export restrictions as cascade shocks, and one scenario run on a real network with tidy outputs.

An export restriction by country X with share s on targets T (all destinations when T is empty) removes
s · F_Xk from every link X → k, k ∈ T (a ban: s = 1; a licence regime or quota: 0 < s < 1). The importers'
lost inflows are the initial shock of the Marchand et al. (2016) cascade (:mod:`critmin.scenarios.cascade`),
and X is *blocked* from the start: it does not raise exports to anyone to make up (the asym rule). What X
withholds stays in X (reported as ``retained_tonnes``, outside the cascade's books). A destination-specific
ban (China → USA, Dec 2024; China → Japan, Jan 2026) removes only the links to the named targets.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.errors import CritminError
from critmin.scenarios.cascade import CascadeResult, cascade_edges, days_of_cover
from critmin.scenarios.network import Network, build_network

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
    return RestrictionShock(shock, net.flow - removed, removed, blocked, retained)


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

    def countries(self, *, affected_only: bool = False) -> pd.DataFrame:
        """Per country: stocks, direct loss, Δstocks, Δconsumption (shortfall), Δtrade, days of cover."""
        net, r, ini = self.network, self.result, self.initial
        dI = np.bincount(net.dst, weights=r.dF, minlength=net.n) + ini.shock
        dE = np.bincount(net.src, weights=r.dF, minlength=net.n) - ini.retained
        cons = net.consumption
        from critmin.reference import countries as cmod

        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(cons > 0, -100.0 * r.dC / np.where(cons > 0, cons, 1.0), np.nan)
        days = days_of_cover(self.stocks, r.dR, r.dC)
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
                "delta_stocks_tonnes": r.dR,
                "delta_consumption_tonnes": r.dC,
                "shortfall_tonnes": -r.dC,
                "shortfall_pct_of_consumption": pct,
                "delta_imports_tonnes": dI,
                "delta_exports_tonnes": dE,
                "days_of_cover": days,
                "stocks_exhausted": (self.stocks > 0)
                & (r.dR <= -self.stocks + 1e-9 * np.maximum(self.stocks, 1)),
                "basis": net.basis,
                "source": net.source,
                "edition": net.edition,
            }
        )
        if affected_only:
            tiny = 1e-9 * max(1.0, float(np.abs(ini.shock).sum()))
            df = df[(np.abs(r.dR) + np.abs(r.dC) + np.abs(dI) + np.abs(dE) + ini.retained) > tiny]
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

    def world(self) -> dict:
        """World totals (tonnes) and run diagnostics."""
        r, ini = self.result, self.initial
        hit = (r.dR + r.dC) < -1e-9 * max(1.0, float(np.abs(ini.shock).sum()))
        return {
            "scenario": self.name,
            "commodity": self.network.commodity,
            "stage": self.network.stage,
            "year": self.network.year,
            "restrictions": [
                {"imposer": x.imposer, "share": x.share, "targets": list(x.targets), "label": x.label}
                for x in self.restrictions
            ],
            "substitution_fraction": self.substitution,
            "restricted_tonnes": float(ini.removed.sum()),
            "initial_shock_tonnes": float(-ini.shock.sum()),
            "delta_stocks_tonnes": float(r.dR.sum()),
            "delta_consumption_tonnes": float(r.dC.sum()),
            "shortfall_tonnes": float(-r.dC.sum()),
            "world_consumption_tonnes": float(np.maximum(self.network.consumption, 0).sum()),
            "countries_hit": int(hit.sum()),
            "countries_with_shortfall": int((r.dC < -1e-9 * max(1.0, float(np.abs(ini.shock).sum()))).sum()),
            "rounds": int(r.rounds),
            "converged": bool(r.converged),
            "basis": self.network.basis,
            "source": self.network.source,
            "edition": self.network.edition,
            "notes": list(self.network.notes),
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
        return json.dumps(self.to_dict(**kw), indent=2)


def run(
    net: Network,
    restrictions: Sequence[Restriction],
    *,
    stocks: dict[str, float] | float | None = None,
    default_stock_days: float = 0.0,
    substitution: float = 0.0,
    alpha: float = 1e-5,
    name: str = "",
    max_rounds: int = 200,
) -> ScenarioResult:
    """Run the cascade for export restrictions on a built network (stocks in days of consumption)."""
    if not 0.0 <= substitution <= 1.0:
        raise CritminError(f"substitution fraction must be between 0 and 1, got {substitution}")
    days = net.stock_days(stocks, default_stock_days)
    R = days / 365.0 * np.maximum(net.consumption, 0.0)
    ini = restriction_shock(net, restrictions)
    res = cascade_edges(
        net.production,
        R,
        net.src,
        net.dst,
        ini.flow,
        ini.shock,
        f_c=substitution,
        alpha=alpha,
        blocked=ini.blocked,
        max_rounds=max_rounds,
    )
    return ScenarioResult(net, tuple(restrictions), days, R, substitution, alpha, ini, res, name=name)


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
) -> ScenarioResult:
    """One export-restriction scenario on the real network (or a given :class:`Network`).

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

        c = cat.get(commodity)
        stage = stage or (c.trade_stages[0] if c.trade_stages else next(iter(c.stages)))
        net = build_network(ds_or_network, c.id, stage, int(year))
    if restrictions is None:
        if by is None:
            raise CritminError("say who restricts: by='CHN' (or restrictions=[Restriction(...)])")
        imposers = [by] if isinstance(by, str) else list(by)
        from critmin.reference import countries as cmod

        tg = tuple(cmod.resolve(t) for t in (targets or ()))
        restrictions = [Restriction(cmod.resolve(b), share, tg) for b in imposers]
    if name is None:
        r0 = restrictions[0]
        name = (
            f"{'+'.join(r.imposer for r in restrictions)} {net.commodity} {net.stage} {net.year} "
            f"share={r0.share:g}" + (f" to {'+'.join(r0.targets)}" if r0.targets else "")
        )
    return run(
        net,
        restrictions,
        stocks=stocks,
        default_stock_days=default_stock_days,
        substitution=substitution,
        alpha=alpha,
        name=name,
    )
