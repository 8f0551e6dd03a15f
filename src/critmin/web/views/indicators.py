"""Read endpoints over the indicators: concentration, production, exposure, bilateral flows, world trade
flows, supply risk (every method of ``critmin risk``), the risk matrix, origin tracing and alignment."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from critmin.errors import UnknownValueError
from critmin.web.params import (
    Commodities,
    Commodity,
    Format,
    Parties,
    Party,
    Stage,
    Year,
    Years,
    parse_years,
    split_list,
)
from critmin.web.views.common import TABLE_RESPONSES, TableOut, arguments, service, table_response

router = APIRouter()

Who = Annotated[str, Query(max_length=100, description="Country or bloc whose share is reported.")]


def _year_args(request: Request, year: int | None, years: str | None) -> list[int] | int | None:
    ys = parse_years(years, service(request).limits.max_years)
    return ys if ys is not None else year


def _check_parties(request: Request, spec: str) -> None:
    split_list(spec, "country or bloc list", service(request).limits.max_parties)


def _check_risk_commodities(request: Request, commodity: str | None) -> None:
    """Supply-risk methods cost a computation per commodity: the server may bound how many at once."""
    from critmin.reference import commodities as cat

    limit = service(request).limits.max_risk_commodities
    n = len(cat.resolve_many(commodity))
    if n > limit:
        raise UnknownValueError(
            "commodity list",
            commodity or "all",
            hint=f"this server computes supply risk for at most {limit} commodities per request",
        )


@router.get("/concentration", response_model=TableOut, responses=TABLE_RESPONSES, tags=["indicators"])
async def concentration(
    request: Request,
    commodity: Commodities = None,
    stage: Stage = None,
    year: Year = None,
    years: Years = None,
    share_of: Who = "CHN",
    top: Annotated[int, Query(ge=1, le=10)] = 3,
    source: Annotated[Literal["wmd", "usgs", "iea"] | None, Query()] = None,
    fmt: Format = None,
):
    """World production concentration by commodity, stage and year: HHI (0-1 and ×10,000), top-N share, the
    share of ``share_of``, the leader, with basis, source and edition."""
    args = arguments(locals())
    ys = _year_args(request, year, years)
    return await table_response(
        request,
        "concentration",
        fmt,
        lambda ds: ds.concentration(commodity, stage, ys, source=source, share_of=share_of, top=top),
        args,
    )


@router.get("/production", response_model=TableOut, responses=TABLE_RESPONSES, tags=["indicators"])
async def production(
    request: Request,
    commodity: Commodity,
    stage: Annotated[Literal["mine", "refined", "product"], Query()],
    year: Year = None,
    years: Years = None,
    source: Annotated[Literal["wmd", "usgs", "iea"] | None, Query()] = None,
    basis: Annotated[
        str | None, Query(max_length=40, description="Convert to one content basis, e.g. Li.")
    ] = None,
    fmt: Format = None,
):
    """Production by country (tonnes of the series' content basis), one edition per source and year; a
    country 'ROW' is a residual rest-of-world aggregate."""
    args = arguments(locals())
    ys = _year_args(request, year, years)
    return await table_response(
        request, "production", fmt, lambda ds: ds.production(commodity, stage, ys, source, basis=basis), args
    )


@router.get("/exposure", response_model=TableOut, responses=TABLE_RESPONSES, tags=["indicators"])
async def exposure(
    request: Request,
    parties: Parties,
    year: Year = None,
    years: Years = None,
    commodity: Commodities = None,
    basis: Annotated[Literal["value", "tonnes"], Query()] = "value",
    share_from: Who = "CHN",
    intra_bloc: Annotated[bool, Query()] = False,
    fmt: Format = None,
):
    """Exposure of importers to every critical mineral (the table of ``critmin exposure``): imports, top
    suppliers, supplier HHI, the share from ``share_from``, net import reliance, world concentration."""
    args = arguments(locals())
    _check_parties(request, parties)
    ys = parse_years(years, service(request).limits.max_years)
    return await table_response(
        request,
        "exposure",
        fmt,
        lambda ds: ds.exposure(
            parties,
            year,
            years=ys,
            commodities=commodity,
            basis=basis,
            intra_bloc=intra_bloc,
            share_from=share_from,
        ),
        args,
    )


@router.get("/bilateral", response_model=TableOut, responses=TABLE_RESPONSES, tags=["indicators"])
async def bilateral(
    request: Request,
    parties: Parties,
    commodity: Commodities = None,
    stage: Stage = None,
    year: Year = None,
    years: Years = None,
    direction: Annotated[Literal["imports", "exports"], Query()] = "imports",
    intra_bloc: Annotated[bool, Query()] = False,
    by_hs: Annotated[bool, Query()] = False,
    fmt: Format = None,
):
    """Imports (or exports) of each party by partner: value_kusd (thousand USD, FOB) and gross tonnes (BACI)."""
    args = arguments(locals())
    _check_parties(request, parties)
    ys = _year_args(request, year, years)

    def compute(ds):
        y = ys if ys is not None else ds.trade_years()[1]
        return ds.bilateral(
            parties, commodity, y, stage=stage, intra_bloc=intra_bloc, direction=direction, by_hs=by_hs
        )

    return await table_response(request, "bilateral", fmt, compute, args)


@router.get("/trade", response_model=TableOut, responses=TABLE_RESPONSES, tags=["indicators"])
async def trade(
    request: Request,
    commodity: Commodity,
    stage: Stage = None,
    year: Year = None,
    top: Annotated[int, Query(ge=1, le=5000, description="The largest flows by value.")] = 100,
    fmt: Format = None,
):
    """World bilateral flows of a commodity's HS92 codes in one year, largest first (BACI: value_kusd FOB,
    gross tonnes)."""
    args = arguments(locals())

    def compute(ds):
        y = year if year is not None else ds.trade_years()[1]
        df = ds.trade(commodity, stage, y)
        return df.sort_values("value_kusd", ascending=False).head(top).reset_index(drop=True)

    return await table_response(request, "trade", fmt, compute, args)


Method = Annotated[
    str,
    Query(
        max_length=200,
        description="Methods, comma-separated: geopolrisk, geopolrisk_cf, eu_sr, hhi, import_hhi, import_reliance, origin.",
    ),
]
Missing = Annotated[
    Literal["neutral", "worst", "best", "exclude"], Query(description="Governance missing for an exporter.")
]


@router.get("/risk", response_model=TableOut, responses=TABLE_RESPONSES, tags=["indicators"])
async def risk(
    request: Request,
    parties: Parties,
    method: Method = "geopolrisk,eu_sr,hhi,origin",
    year: Year = None,
    years: Years = None,
    commodity: Commodities = None,
    missing: Missing = "neutral",
    units: Annotated[Literal["content", "gross"], Query()] = "content",
    share_of: Who = "CHN",
    fmt: Format = None,
):
    """Supply-risk methods side by side (the table of ``critmin risk``): party, commodity, stage, year,
    method, value, unit, status, inputs (JSON), flags (JSON), provenance; eu_sr_latest and eu_sr_year: for an
    EU supply-risk row without a value because the stage's production series ends before its year, the value
    of its latest year with one, and that year."""
    args = arguments(locals())
    from critmin.indicators import risk as risk_mod

    svc = service(request)
    methods = risk_mod.check_methods(method)
    _check_risk_commodities(request, commodity)
    labels = split_list(parties, "country or bloc list", svc.limits.max_parties)
    ys = _year_args(request, year, years)
    n_years = len(ys) if isinstance(ys, list) else 1
    if len(labels) * n_years > svc.limits.max_risk_cells:
        raise UnknownValueError(
            "risk request",
            f"{len(labels)} parties × {n_years} years",
            hint=f"at most {svc.limits.max_risk_cells} party-years per request; split it",
        )
    return await table_response(
        request,
        "risk",
        fmt,
        lambda ds: risk_mod.risk(
            ds,
            parties,
            methods,
            ys,
            commodity,
            share_of=share_of,
            missing=missing,
            units=units,
            eu_sr_latest=True,
        ),
        args,
    )


@router.get("/risk/matrix", response_model=TableOut, responses=TABLE_RESPONSES, tags=["indicators"])
async def risk_matrix(
    request: Request,
    party: Party,
    year: Year = None,
    commodity: Commodities = None,
    missing: Missing = "neutral",
    fmt: Format = None,
):
    """The risk matrix of one party: world production HHI (x) against net import reliance (y) per mineral
    and stage, with the GeoPolRisk score and the traced China share."""
    args = arguments(locals())
    from critmin.indicators import risk as risk_mod

    _check_risk_commodities(request, commodity)
    return await table_response(
        request,
        "risk_matrix",
        fmt,
        lambda ds: risk_mod.risk_matrix(ds, party, year, commodity, missing=missing),
        args,
    )


@router.get("/origin", response_model=TableOut, responses=TABLE_RESPONSES, tags=["indicators"])
async def origin(
    request: Request,
    parties: Parties,
    commodity: Commodity,
    stage: Stage = None,
    year: Year = None,
    years: Years = None,
    top: Annotated[int | None, Query(ge=1, le=50)] = None,
    balance: Annotated[Literal["mine", "full", "none"], Query()] = "mine",
    fmt: Format = None,
):
    """Origin tracing through re-exports (Kastner et al. 2011): direct supplier shares next to the shares
    traced to the producing country, per party and year."""
    args = arguments(locals())
    from critmin.indicators.origin import trace_origin

    _check_parties(request, parties)
    ys = _year_args(request, year, years)
    return await table_response(
        request,
        "origin",
        fmt,
        lambda ds: trace_origin(ds, parties, commodity, ys, stage=stage, top=top, balance=balance),
        args,
    )


@router.get("/alignment", response_model=TableOut, responses=TABLE_RESPONSES, tags=["countermeasures"])
async def alignment(
    request: Request,
    country: Annotated[str, Query(alias="for", min_length=1, max_length=100, examples=["JPN"])],
    within: Annotated[
        float, Query(ge=0, le=10, description="Distance in ideal points counted as aligned.")
    ] = 1.0,
    session: Annotated[int | None, Query(ge=1, le=100, description="UNGA session (default: latest).")] = None,
    others: Annotated[str | None, Query(alias="with", max_length=300)] = None,
    fmt: Format = None,
):
    """Distance in UNGA ideal points (Bailey, Strezhnev & Voeten 2017) from one country to the others."""
    args = arguments(locals())
    from critmin.optimize.alignment import alignment as align

    return await table_response(
        request, "alignment", fmt, lambda ds: align(ds, country, others, session=session, within=within), args
    )
