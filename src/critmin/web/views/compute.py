"""Compute endpoints (POST, JSON bodies, read-only): a restriction scenario, a Monte Carlo sweep, partner
sourcing alone and pooled, stockpile sizing. Bounded in size (draws) and wall time, one at a time.

Each answers a JSON document with its tables; ``?format=csv`` (or ``Accept: text/csv``) gives the main
table: the countries of a scenario, the per-country summary of a sweep, the optimised mix, the alone-vs-pooled
table, the stockpile coverage curve.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from critmin.web import responses as rs
from critmin.web.params import Format
from critmin.web.service import DeadlineExecutor, Limits
from critmin.web.views.common import COMPUTE_RESPONSES, send, service

router = APIRouter()
DEFAULTS = Limits()

Name = Annotated[str, Field(min_length=1, max_length=100)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Days = Annotated[float, Field(ge=0, le=3650)]


def _ordered(v: list[float]) -> list[float]:
    if v[0] > v[1]:
        raise ValueError(f"a range is [low, high]; got low {v[0]} above high {v[1]}")
    return v


FractionRange = Annotated[list[Fraction], Field(min_length=2, max_length=2), AfterValidator(_ordered)]
DaysRange = Annotated[list[Days], Field(min_length=2, max_length=2), AfterValidator(_ordered)]
FractionSpec = Fraction | FractionRange
# countries as a JSON list or, as on the command line, one comma-separated string ("CHN,RUS")
Countries = Annotated[list[Name], Field(max_length=60)] | Annotated[str, Field(max_length=600)]
DaysSpec = Days | DaysRange
StageName = Literal["mine", "refined", "product"]
YearIn = Annotated[int | None, Field(ge=1995, le=2100, description="Trade year (default: as the CLI).")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _names(v) -> list[str]:
    return [t.strip() for t in v.split(",") if t.strip()] if isinstance(v, str) else list(v or [])


def _spec(v):
    """A JSON range [low, high] as the tuple the scenario functions take."""
    return tuple(v) if isinstance(v, list) else v


def _network_year(ds, year: int | None) -> int:
    """The CLI's default for scenarios: the analysis year (the latest trade year, as exposure and the briefing)."""
    return int(year) if year is not None else ds.analysis_year()


def _answer(request: Request, fmt: str | None, doc: dict, table, name: str) -> Response:
    if rs.wants_csv(fmt, request.headers.get("accept")):
        return send(rs.table(table, name, csv=True))
    return send(rs.document(doc))


class RestrictIn(Body):
    commodity: Name = "rare_earths"
    stage: StageName | None = Field(None, description="Default: the first stage with trade codes.")
    year: YearIn = None
    by: Countries | None = Field(None, description="Restricting countries.")
    measure: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="A registry record id instead of `by`."
    )
    share: Fraction | None = Field(
        None, description="Fraction of exports stopped (default 1, or the record's)."
    )
    targets: Countries = Field(
        default_factory=list, description="Target countries (default: all destinations)."
    )
    stocks: Annotated[dict[Name, Days], Field(max_length=60)] = Field(
        default_factory=dict, description="Days per country."
    )
    default_stock_days: Days = 0.0
    substitution: Fraction = Field(
        0.0, description="Marchand f_c: share of each residual shock absorbed by consumption."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "commodity": "rare_earths",
                    "stage": "refined",
                    "year": 2023,
                    "by": ["CHN"],
                    "targets": ["JPN"],
                    "stocks": {"JPN": 60},
                }
            ]
        },
    )


def run_restrict(ds, body: RestrictIn):
    """The cascade of one restriction (``critmin scenario restrict``)."""
    from critmin.errors import CritminError
    from critmin.reference import countries
    from critmin.scenarios.scenario import Restriction, restrict

    year = _network_year(ds, body.year)
    stocks = {countries.resolve(k): v for k, v in body.stocks.items()}
    restrictions = None
    if body.measure:
        from critmin.scenarios.registry import get_restriction

        restrictions = [Restriction.from_record(get_restriction(ds, body.measure), body.share)]
    elif not _names(body.by):
        raise CritminError("say who restricts: by=['CHN'] (or measure=REGISTRY_ID)")
    return restrict(
        ds,
        by=_names(body.by),
        commodity=body.commodity,
        stage=body.stage,
        year=year,
        share=1.0 if body.share is None else body.share,
        targets=_names(body.targets),
        restrictions=restrictions,
        stocks=stocks,
        default_stock_days=body.default_stock_days,
        substitution=body.substitution,
    )


@router.post("/scenarios/restrict", responses=COMPUTE_RESPONSES, tags=["compute"])
def scenario_restrict(request: Request, body: RestrictIn, fmt: Format = None):
    """One export restriction pushed through the trade network (Marchand et al. 2016): per country the
    direct loss, stock drawdown, shortfall (tonnes and % of consumption), change in imports and days of
    cover; world totals with sources."""
    svc = service(request)
    with svc.compute_slot("the scenario"), svc.using() as ds:
        res = run_restrict(ds, body)
        doc = res.to_dict()
        table = res.countries(affected_only=True)
    return _answer(request, fmt, doc, table, "scenario_countries")


class SweepIn(Body):
    commodity: Name = "rare_earths"
    stage: StageName | None = None
    year: YearIn = None
    by: (
        Literal["registry"]
        | Annotated[list[Name], Field(min_length=1, max_length=10)]
        | Annotated[dict[Name, Annotated[float, Field(ge=0, le=1e6)]], Field(min_length=1, max_length=10)]
    ) = Field(
        "registry", description="'registry' (probabilities from its history), a list, or {ISO3: weight}."
    )
    share: FractionSpec = Field(
        [0.5, 1.0], description="Restricted share: a number or [low, high] (uniform)."
    )
    targets: Countries = Field(default_factory=list)
    stocks: Annotated[dict[Name, DaysSpec], Field(max_length=60)] = Field(default_factory=dict)
    default_stock_days: DaysSpec = 0.0
    substitution: FractionSpec = Field([0.0, 0.2])
    draws: int = Field(1000, ge=1, le=DEFAULTS.max_draws)
    seed: int = Field(0, ge=0, le=2**32 - 1)


@router.post("/scenarios/sweep", responses=COMPUTE_RESPONSES, tags=["compute"])
def scenario_sweep(request: Request, body: SweepIn, fmt: Format = None):
    """Monte Carlo over who restricts, how much, stocks and substitution (``critmin scenario sweep``, in
    process): per country P(shortfall), p50/p90/p99 shortfall and days of cover."""
    from critmin.errors import UnknownValueError
    from critmin.reference import commodities as cat
    from critmin.reference import countries
    from critmin.scenarios.montecarlo import normalise_imposers, sweep
    from critmin.scenarios.network import build_network

    svc = service(request)
    if body.draws > svc.limits.max_draws:
        raise UnknownValueError("draws", body.draws, hint=f"at most {svc.limits.max_draws} on this server")
    with svc.compute_slot(f"the sweep of {body.draws:,} draws") as deadline:
        with svc.using() as ds:
            c = cat.get(body.commodity)
            stage = body.stage or (c.trade_stages[0] if c.trade_stages else next(iter(c.stages)))
            net = build_network(ds, c.id, stage, _network_year(ds, body.year))
            by = body.by if isinstance(body.by, str | dict) else list(body.by)
            probs = normalise_imposers(net, by, ds=ds)  # reads the registry: inside the store lock
            stocks = {countries.resolve(k): _spec(v) for k, v in body.stocks.items()}
            targets = [countries.resolve(t) for t in _names(body.targets)]
        # the draws need only the network: other requests may use the store meanwhile
        res = sweep(
            net,
            draws=body.draws,
            imposers=probs,
            share=_spec(body.share),
            targets=targets,
            stocks=stocks,
            default_stock_days=_spec(body.default_stock_days),
            substitution=_spec(body.substitution),
            seed=body.seed,
            executor=DeadlineExecutor(deadline),
        )
        summary = res.summary()
        doc = {"world": res.world(), "summary": rs.records(summary)}
    return _answer(request, fmt, doc, summary, "sweep_summary")


class SourcingIn(Body):
    party: Name = Field(alias="for", description="Importer: a country or bloc (JPN, EU27, JPN+ITA).")
    commodity: Name
    stage: StageName | None = None
    year: YearIn = None
    partners: Annotated[str, Field(max_length=300)] | None = Field(
        None, description="Allowed suppliers: blocs, countries, aligned:JPN:1.0, partners:JPN, -CHN."
    )
    max_share: Annotated[float, Field(gt=0, le=1)] | None = Field(
        0.65, description="Largest share of the need per third country (EU CRMA: 0.65); 1 or null = no cap."
    )
    expansion: Annotated[float, Field(ge=0, le=100)] = 1.0
    redirect: Fraction = 1.0
    capacity: Literal["exports", "net_exports"] = "exports"
    non_partners: Literal["exclude", "current"] = "exclude"
    max_cost_increase: Annotated[float, Field(ge=0, le=100)] | None = None

    def options(self) -> dict:
        return {
            "max_share": None if self.max_share is None or self.max_share >= 1 else self.max_share,
            "expansion": self.expansion,
            "redirect": self.redirect,
            "capacity": self.capacity,
            "non_partners": self.non_partners,
            "max_cost_increase": self.max_cost_increase,
        }


class OptimizeIn(SourcingIn):
    objective: Literal["import_risk", "expected_shortfall"] = "import_risk"
    imposers: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="With expected_shortfall: who may restrict (default: the registry's history)."
    )
    pareto: Annotated[int, Field(ge=2, le=21)] | None = Field(
        None, description="Points of the risk-cost front."
    )

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [{"for": "JPN", "commodity": "rare_earths", "stage": "refined", "partners": "G7,AUS"}]
        },
    )


def run_optimize(ds, body: OptimizeIn):
    """Partner sourcing at least risk (``critmin optimize``)."""
    from critmin.optimize import sourcing as so

    kw = body.options()
    if body.objective == "expected_shortfall":
        kw["objective"] = body.objective
        kw["scenarios"] = so.restriction_scenarios(
            ds, body.commodity, body.stage, body.year, imposers=body.imposers
        )
    return so.optimize_sourcing(
        ds,
        body.party,
        body.commodity,
        body.stage,
        body.year,
        partners=body.partners,
        pareto=body.pareto,
        **kw,
    )


@router.post("/optimize", responses=COMPUTE_RESPONSES, tags=["compute"])
def optimize(request: Request, body: OptimizeIn, fmt: Format = None):
    """Re-source an import need at least supply risk within capacities, a share cap and a partner set: the
    current and optimised mix, binding constraints in words, or why it is infeasible."""
    svc = service(request)
    with svc.compute_slot("the optimisation"), svc.using() as ds:
        res = run_optimize(ds, body)
    doc = {
        "summary": rs.records(res.summary)[0],
        "mix": rs.records(res.mix),
        "member_mix": rs.records(res.member_mix),
        "constraints": rs.records(res.constraints),
        "explanation": list(res.explanation),
        "pareto": rs.records(res.pareto) if res.pareto is not None else None,
    }
    return _answer(request, fmt, doc, res.mix, "optimised_mix")


class PooledIn(SourcingIn):
    partners: Annotated[str, Field(max_length=300)] | None = Field(
        "own", description="'own' = each member's partnership counterparts; or one spec for everybody."
    )
    alone_capacity: Literal["proportional", "residual", "full"] = "proportional"

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"examples": [{"for": "JPN+ITA", "commodity": "graphite", "stage": "mine"}]},
    )


def run_pooled(ds, body: PooledIn):
    """Each member alone vs buying together (``critmin optimize --pooled``)."""
    from critmin.optimize.sourcing import pooled

    return pooled(
        ds,
        body.party,
        body.commodity,
        body.stage,
        body.year,
        partners=body.partners,
        alone_capacity=body.alone_capacity,
        **body.options(),
    )


@router.post("/optimize/pooled", responses=COMPUTE_RESPONSES, tags=["compute"])
def optimize_pooled(request: Request, body: PooledIn, fmt: Format = None):
    """What buying together adds: each member optimised alone vs the members optimised jointly, with the
    gain from pooling."""
    svc = service(request)
    with svc.compute_slot("the pooled optimisation"), svc.using() as ds:
        df = run_pooled(ds, body)
    return _answer(request, fmt, {"table": "pooled", "data": rs.records(df)}, df, "pooled")


class StockpileIn(Body):
    party: Name = Field(alias="for", description="Country holding the stock.")
    commodity: Name
    stage: StageName | None = None
    year: YearIn = None
    coverage: Annotated[float, Field(gt=0, le=1)] = 0.95
    target: Annotated[float, Field(ge=0, lt=1)] = 0.0
    draws: int = Field(500, ge=1, le=DEFAULTS.max_stockpile_draws)
    imposers: Annotated[str, Field(max_length=200)] | None = None
    share: FractionSpec = Field([0.5, 1.0])
    duration_days: Annotated[float, Field(gt=0, le=365)] = 365.0
    substitution: FractionSpec = 0.0
    others_days: DaysSpec = 0.0
    method: Literal["auto", "cascade", "proxy"] = "auto"
    seed: int = Field(0, ge=0, le=2**32 - 1)

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"examples": [{"for": "JPN", "commodity": "gallium", "coverage": 0.95}]},
    )


@router.post("/stockpile", responses=COMPUTE_RESPONSES, tags=["compute"])
def stockpile(request: Request, body: StockpileIn, fmt: Format = None):
    """Days of stock a country needs so its shortfall stays on target in a share of restriction scenarios,
    with the coverage curve and the JOGMEC 60-day comparison (``critmin stockpile``)."""
    from critmin.errors import UnknownValueError
    from critmin.optimize.stockpile import stockpile as size

    svc = service(request)
    if body.draws > svc.limits.max_stockpile_draws:
        raise UnknownValueError(
            "draws", body.draws, hint=f"at most {svc.limits.max_stockpile_draws} on this server"
        )
    with svc.compute_slot(f"the stockpile sizing ({body.draws} draws)") as deadline, svc.using() as ds:
        res = size(
            ds,
            body.party,
            body.commodity,
            body.stage,
            body.year,
            coverage=body.coverage,
            target=body.target,
            draws=body.draws,
            imposers=body.imposers,
            share=_spec(body.share),
            duration_days=body.duration_days,
            substitution=_spec(body.substitution),
            others_stock_days=_spec(body.others_days),
            method=body.method,
            seed=body.seed,
            executor=DeadlineExecutor(deadline),
        )
    doc = {"summary": rs.records(res.summary)[0], "curve": rs.records(res.curve), "notes": list(res.notes)}
    return _answer(request, fmt, doc, res.curve, "stockpile_curve")
