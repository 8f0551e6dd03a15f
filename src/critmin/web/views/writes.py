"""Write endpoints: add and review restrictions and partnerships, ingest news (text, or a URL through the
news pipeline's safe fetch), review news events.

The server is read-only unless it was started with a token (``CRITMIN_TOKEN`` or ``--token-file``); every
write then needs ``Authorization: Bearer <token>``. Without a token configured, or with a missing or wrong
one, writes answer 403. Records are validated by the same functions as ``critmin restrictions add`` /
``critmin partnerships add`` / ``critmin news ingest`` and written in one transaction each.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from critmin.errors import CritminError
from critmin.reference.partnerships import STATUSES as PARTNERSHIP_STATUSES
from critmin.scenarios.registry import MEASURE_TYPES, STATUSES
from critmin.web import responses as rs
from critmin.web.views.common import WRITE_ERRORS, send, service

router = APIRouter()
bearer = HTTPBearer(auto_error=False, description="The token the server was started with (CRITMIN_TOKEN).")


class Forbidden(CritminError):
    """A write without a valid token (or on a read-only server)."""


def require_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None
) -> None:
    svc = service(request)
    if svc.token is None:
        raise Forbidden(
            "this server is read-only: start `critmin serve` with CRITMIN_TOKEN or --token-file to allow writes"
        )
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), svc.token.encode()):
        raise Forbidden("a write needs the server's token: send 'Authorization: Bearer <token>'")


Writer = Annotated[None, Depends(require_token)]
Text = Annotated[str, Field(max_length=2_000)]
Short = Annotated[str, Field(max_length=200)]
IsoDate = Annotated[str, Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")]
Names = Annotated[list[Short], Field(max_length=60)] | Short


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewIn(Body):
    accept: bool = Field(description="true accepts (marks reviewed), false rejects (no query returns it).")


class RestrictionIn(Body):
    imposer: Short
    commodities: Names = Field(description="Catalogue ids or names, or critical_minerals.")
    measure_type: Literal[MEASURE_TYPES]
    effective_date: IsoDate | None = None
    announced_date: IsoDate | None = None
    end_date: IsoDate | None = None
    targets: Names | None = Field(None, description="Target countries (default: all destinations).")
    hs_codes: Names | None = None
    end_uses: Short | None = None
    status: Literal[STATUSES] | None = None
    title: Short | None = None
    legal_reference: Short | None = None
    source_url: Short | None = None
    notes: Text | None = None
    id: Short | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "imposer": "CHN",
                    "commodities": ["gallium"],
                    "measure_type": "licence",
                    "effective_date": "2023-08-01",
                }
            ]
        },
    )


class PartnershipIn(Body):
    parties: Annotated[list[Short], Field(min_length=2, max_length=60)]
    level: Short = Field(description="e.g. strategic, framework, MoU.")
    date: IsoDate
    minerals: Names = "critical_minerals"
    previous_level: Short | None = None
    status: Literal[PARTNERSHIP_STATUSES] = "signed"
    end_date: IsoDate | None = None
    title: Short | None = None
    source_url: Short | None = None
    notes: Text | None = None
    evidence: Text | None = None
    id: Short | None = None


class ArticleIn(Body):
    text: Annotated[str, Field(max_length=900_000)] | None = Field(
        None, description="The article (text, HTML, RSS/Atom or JSON)."
    )
    url: Annotated[str, Field(max_length=2_000)] | None = Field(
        None, description="Fetch this http(s) URL instead (never private or loopback addresses)."
    )
    title: Short | None = None
    published: IsoDate | None = Field(None, description="Publication date: resolves 'on Friday'.")
    format: Literal["auto", "text", "html", "feed", "json"] = "auto"
    link: bool = Field(True, description="Propose registry/partnership records (unreviewed).")


def _created(doc: dict) -> Response:
    return send(rs.document(doc, status=201))


@router.post("/restrictions", status_code=201, responses=WRITE_ERRORS, tags=["writes"])
def add_restriction(request: Request, body: RestrictionIn, _: Writer):
    """Add (or update, same id) a user record in the restriction registry."""
    from critmin.scenarios.registry import add_restriction as add

    rec = {**body.model_dump(), "source": "user"}
    rid = service(request).write(lambda store: add(store, rec))
    return _created({"id": rid})


@router.post("/restrictions/{id}/review", responses=WRITE_ERRORS, tags=["writes"])
def review_restriction(request: Request, id: Annotated[str, Path(max_length=200)], body: ReviewIn, _: Writer):
    """Accept or reject a registry record (e.g. one proposed from the news)."""
    from critmin.scenarios.registry import review_restriction as review

    service(request).write(lambda store: review(store, id, body.accept))
    return send(rs.document({"id": id, "accepted": body.accept}))


@router.post("/partnerships", status_code=201, responses=WRITE_ERRORS, tags=["writes"])
def add_partnership(request: Request, body: PartnershipIn, _: Writer):
    """Add (or update) a partnership in the store."""
    from critmin.reference import partnerships as pt

    rec = {k: v for k, v in {**body.model_dump(), "source": "user"}.items() if v is not None}
    pid = service(request).write(lambda store: pt.add_partnership(store, rec))
    return _created({"id": pid})


@router.post("/partnerships/{id}/review", responses=WRITE_ERRORS, tags=["writes"])
def review_partnership(request: Request, id: Annotated[str, Path(max_length=200)], body: ReviewIn, _: Writer):
    """Accept or reject a partnership record."""
    from critmin.reference import partnerships as pt

    service(request).write(lambda store: pt.review_partnership(store, id, body.accept))
    return send(rs.document({"id": id, "accepted": body.accept}))


@router.post(
    "/news/articles",
    status_code=201,
    responses={**WRITE_ERRORS, 502: WRITE_ERRORS[403] | {"description": "The URL could not be fetched"}},
    tags=["writes"],
)
def ingest_article(request: Request, body: ArticleIn, _: Writer):
    """Ingest one article given as text, or fetched from an explicit URL through the safe fetch (timeout,
    size limit, public addresses only), extract its events and propose records for review."""
    from critmin.news import store as news_store
    from critmin.news.text import parse_bytes, read_source

    svc = service(request)
    if (body.text is None) == (body.url is None):
        raise CritminError("give either text or url")
    limit = svc.limits.max_body_bytes
    if body.url is not None:
        # the fetch runs outside the store lock: a slow site must not stall other requests
        articles = read_source(
            body.url, published=body.published, kind=body.format, max_bytes=limit, timeout=10.0
        )
    else:
        articles = parse_bytes(
            body.text.encode("utf-8"),
            name=body.title or "api",
            published=body.published,
            kind=body.format,
            max_bytes=limit,
        )
    if body.title:
        for a in articles:
            a.title = body.title
    report = svc.write(lambda store: news_store.ingest_articles(store, articles, link=body.link))
    return _created(
        {
            "articles": report.articles,
            "events": [ev.to_dict() for ev in report.events],
            "links": report.links,
        }
    )


@router.post("/news/events/{event_id}/review", responses=WRITE_ERRORS, tags=["writes"])
def review_event(request: Request, event_id: Annotated[str, Path(max_length=200)], body: ReviewIn, _: Writer):
    """Accept or reject a news event (and the registry/partnership record it proposed)."""
    from critmin.news.linking import review

    row = service(request).write(lambda store: review(store, event_id, body.accept))
    return send(
        rs.document(
            {
                "event_id": row["event_id"],
                "linked_table": row.get("linked_table"),
                "linked_id": row.get("linked_id"),
                "review_status": row["review_status"],
            }
        )
    )
