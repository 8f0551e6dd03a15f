"""Read endpoints over the reference tables, the registries and the news: /api/v1/commodities, countries,
blocs, parties, partnerships, restrictions, news, data."""

from __future__ import annotations

from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query, Request

from critmin.news.model import EVENT_TYPES
from critmin.news.store import REVIEW_STATUSES
from critmin.web.params import Date, Format, day
from critmin.web.views.common import (
    ERRORS,
    TABLE_RESPONSES,
    TableOut,
    arguments,
    document_response,
    table_response,
)

router = APIRouter()

Country = Annotated[
    str | None, Query(max_length=100, description="Country (name or ISO3).", examples=["ITA"])
]
Mineral = Annotated[str | None, Query(max_length=60, description="Catalogue commodity (id or name).")]
Flag = Annotated[bool, Query()]


def commodity_table() -> pd.DataFrame:
    """One row per commodity and stage of the catalogue."""
    from critmin.reference import commodities as cat

    rows = []
    for c in cat.catalogue().values():
        for s in c.stages.values():
            rows.append(
                {
                    "commodity": c.id,
                    "name": c.name,
                    "symbol": c.symbol,
                    "stage": s.name,
                    "description": s.description,
                    "hs92": list(s.hs92),
                    "hs_note": s.hs_note,
                    "production_sources": [f"{p.source} ({p.basis})" for p in s.production],
                    "eu_crm_2023": bool(c.lists.get("eu_crm_2023", False)),
                    "us_2025": bool(c.lists.get("us_2025", False)),
                    "eol_rir": c.eol_rir,
                }
            )
    return pd.DataFrame(rows)


@router.get("/commodities", response_model=TableOut, responses=TABLE_RESPONSES, tags=["reference"])
async def commodities(request: Request, fmt: Format = None):
    """The catalogue: every critical mineral and stage with its HS92 codes and production series."""
    args = arguments(locals())
    return await table_response(request, "commodities", fmt, lambda ds: commodity_table(), args)


@router.get("/commodities/{commodity}", responses=ERRORS, tags=["reference"])
async def commodity(request: Request, commodity: Annotated[str, Path(max_length=60)]):
    """One commodity: name, aliases, stages, HS92 codes, content factors, production series."""
    args = arguments(locals())
    from critmin.reference import commodities as cat

    def doc(ds):
        c = cat.get(commodity)
        return {
            "commodity": c.id,
            "name": c.name,
            "symbol": c.symbol,
            "aliases": list(c.aliases),
            "eol_rir": c.eol_rir,
            "lists": c.lists,
            "trade_stages": c.trade_stages,
            "stages": [
                {
                    "stage": s.name,
                    "description": s.description,
                    "hs92": list(s.hs92),
                    "hs_note": s.hs_note,
                    "content": {
                        h: {"factor": f.factor, "basis": f.basis, "approximate": f.approximate}
                        for h, f in s.content.items()
                    },
                    "content_note": s.content_note,
                    "production": [{"source": p.source, "basis": p.basis} for p in s.production],
                }
                for s in c.stages.values()
            ],
        }

    return await document_response(request, "commodity", doc, args)


@router.get("/countries", response_model=TableOut, responses=TABLE_RESPONSES, tags=["reference"])
async def countries(request: Request, fmt: Format = None):
    """Countries with ISO3/ISO2 codes, the codes used by BACI, WGI, WMD and COW, and aliases."""
    args = arguments(locals())
    from critmin.reference import countries as cmod

    return await table_response(
        request, "countries", fmt, lambda ds: cmod.table().reset_index(drop=True), args
    )


@router.get("/blocs", response_model=TableOut, responses=TABLE_RESPONSES, tags=["reference"])
async def blocs(request: Request, as_of: Date = None, fmt: Format = None):
    """Bloc memberships (G7, EU27, G20, OECD, MSP, QUAD, BRICS, SCO, NATO), dated; ``as_of`` keeps the members
    on that day."""
    args = arguments(locals())
    from critmin.reference import blocs as bmod

    def compute(ds):
        df = bmod.table().copy()
        if as_of:
            on = day(as_of)
            df = df[(df["joined"].isna() | (df["joined"] <= on)) & (df["left"].isna() | (df["left"] > on))]
        return df.reset_index(drop=True)

    return await table_response(request, "blocs", fmt, compute, args)


@router.get("/parties/{spec}", responses=ERRORS, tags=["reference"])
async def party(
    request: Request,
    spec: Annotated[str, Path(max_length=100, examples=["JPN+ITA"])],
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
):
    """Resolve a country or bloc (``JPN``, ``Japan``, ``G7``, ``JPN+ITA``): label, name, kind and members (bloc
    membership as of 31 December of ``year``)."""
    args = arguments(locals())

    def doc(ds):
        p = ds.party(spec, year)
        return {"label": p.label, "name": p.name, "kind": p.kind, "members": list(p.members), "year": year}

    return await document_response(request, "party", doc, args)


@router.get("/partnerships", response_model=TableOut, responses=TABLE_RESPONSES, tags=["registries"])
async def partnerships(
    request: Request,
    country: Country = None,
    as_of: Date = None,
    mineral: Mineral = None,
    unreviewed: Flag = False,
    fmt: Format = None,
):
    """Critical-minerals partnerships (seed table + the store); ``country`` includes those through a bloc."""
    args = arguments(locals())
    from critmin.reference import partnerships as pt

    return await table_response(
        request,
        "partnerships",
        fmt,
        lambda ds: pt.partnerships(
            ds, country=country, as_of=day(as_of), mineral=mineral, include_unreviewed=unreviewed
        ),
        args,
    )


@router.get("/restrictions", response_model=TableOut, responses=TABLE_RESPONSES, tags=["registries"])
async def restrictions(
    request: Request,
    in_force: Date = None,
    commodity: Mineral = None,
    imposer: Country = None,
    unreviewed: Flag = False,
    relaxations: Flag = False,
    fmt: Format = None,
):
    """Export measures of the registry (dated, cited); ``in_force`` keeps those applying on that date."""
    args = arguments(locals())
    from critmin.scenarios.registry import restrictions as reg

    return await table_response(
        request,
        "restrictions",
        fmt,
        lambda ds: reg(
            ds,
            in_force=day(in_force),
            commodity=commodity,
            imposer=imposer,
            include_unreviewed=unreviewed,
            relaxations=relaxations,
        ),
        args,
    )


@router.get("/restrictions/{id}", responses=ERRORS, tags=["registries"])
async def restriction(request: Request, id: Annotated[str, Path(max_length=200)]):
    """One export measure by id (every field)."""
    args = arguments(locals())
    from critmin.scenarios.registry import get_restriction

    return await document_response(request, "restriction", lambda ds: get_restriction(ds, id), args)


EventType = Literal[EVENT_TYPES]  # the news model's types, one source of truth


@router.get("/news/events", response_model=TableOut, responses=TABLE_RESPONSES, tags=["news"])
async def news_events(
    request: Request,
    since: Date = None,
    until: Date = None,
    type: Annotated[EventType | None, Query()] = None,
    country: Country = None,
    mineral: Mineral = None,
    review_status: Annotated[Literal[REVIEW_STATUSES] | None, Query()] = None,
    undated: Flag = False,
    fmt: Format = None,
):
    """Events extracted from ingested news, newest first, with the exact evidence sentence."""
    args = arguments(locals())
    from critmin.news import store as news_store

    return await table_response(
        request,
        "news_events",
        fmt,
        lambda ds: news_store.events(
            ds.store,
            since=day(since, end=False),
            until=day(until),
            event_type=type,
            country=country,
            mineral=mineral,
            review_status=review_status,
            include_undated=undated,
        ),
        args,
    )


@router.get("/news/articles", response_model=TableOut, responses=TABLE_RESPONSES, tags=["news"])
async def news_articles(request: Request, fmt: Format = None):
    """Ingested articles (without their text) and the number of events of each."""
    args = arguments(locals())
    from critmin.news import store as news_store

    return await table_response(request, "news_articles", fmt, lambda ds: news_store.articles(ds.store), args)


@router.get("/news/articles/{article_id}", responses=ERRORS, tags=["news"])
async def news_article(request: Request, article_id: Annotated[str, Path(min_length=4, max_length=80)]):
    """One article with its plain text (untrusted: render it as text, never as HTML)."""
    args = arguments(locals())
    from critmin.news import store as news_store

    return await document_response(
        request, "news_article", lambda ds: news_store.article(ds.store, article_id), args
    )


@router.get("/data/status", response_model=TableOut, responses=TABLE_RESPONSES, tags=["data"])
async def data_status(request: Request, fmt: Format = None):
    """Sources, editions, years, row counts, origin and licence of everything in the store."""
    args = arguments(locals())
    return await table_response(request, "data_status", fmt, lambda ds: ds.store.status(), args)


@router.get("/data/sources", response_model=TableOut, responses=TABLE_RESPONSES, tags=["data"])
async def data_sources(request: Request, fmt: Format = None):
    """Every (source, edition) loaded into the store: file, sha256, rows, licence, citation."""
    args = arguments(locals())
    return await table_response(request, "data_sources", fmt, lambda ds: ds.sources(), args)
