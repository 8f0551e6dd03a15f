"""What every API view shares: the service of the app, cached table responses, the error models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from critmin.web import responses as rs
from critmin.web.service import Cached, Service


class ErrorOut(BaseModel):
    """Every error: a machine-readable code, the HTTP status and the same one-line message as the CLI."""

    error: str = Field(description="unknown_value, no_data, invalid_request, forbidden, ...")
    status: int
    message: str
    suggestions: list[str] | None = Field(None, description="Closest known values, for an unknown name.")
    details: list[dict[str, Any]] | None = None


class TableOut(BaseModel):
    """A tidy table: the columns of the Python API's DataFrame and one record per row."""

    table: str
    count: int
    columns: list[str]
    meta: dict[str, Any] | None = None
    data: list[dict[str, Any]]


def _err(description: str) -> dict:
    return {"model": ErrorOut, "description": description}


ERRORS = {
    400: _err("Malformed request (e.g. a body that is not JSON)"),
    404: _err("No data for a valid query, or no such record"),
    413: _err("Request body too large"),
    414: _err("Query string too long"),
    422: _err("Invalid or unknown parameter (with close matches)"),
}
TABLE_RESPONSES = {
    200: {
        "description": "The table as JSON (default) or CSV (`Accept: text/csv` or `?format=csv`)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    },
    **ERRORS,
}
COMPUTE_RESPONSES = {
    **TABLE_RESPONSES,
    429: _err("Every compute slot is busy; retry later"),
    503: _err("The computation ran past the server's time limit"),
}
WRITE_ERRORS = {**ERRORS, 403: _err("Read-only server, or a missing or wrong token")}


def service(request: Request) -> Service:
    return request.app.state.service


def send(c: Cached) -> Response:
    return Response(c.body, status_code=c.status, media_type=c.media_type, headers=c.headers or None)


def cache_key(request: Request, csv: bool) -> tuple:
    items = tuple(sorted((k, v) for k, v in request.query_params.multi_items() if k != "format"))
    return (request.url.path, items, csv)


def arguments(scope: dict) -> tuple:
    """An endpoint's validated arguments (its ``locals()`` on entry) as a key: requests that differ only in
    spelling — a default given explicitly, an unknown extra parameter, the parameter order — share a result."""
    return tuple(sorted((k, repr(v)) for k, v in scope.items() if k not in ("request", "fmt")))


async def table_response(
    request: Request,
    name: str,
    fmt: str | None,
    compute: Callable[[Any], pd.DataFrame],
    args: tuple,
    *,
    meta: dict | None = None,
) -> Response:
    """The table ``compute(ds)`` as JSON or CSV, from the cache when the store has not changed (the frame
    itself is kept too, so JSON and CSV of one query are computed once)."""
    svc = service(request)
    csv = rs.wants_csv(fmt, request.headers.get("accept"))

    def produce() -> Cached:
        with svc.using() as ds:
            df = svc.memo(("table", name, args), lambda: compute(ds))
        return rs.table(df, name, csv=csv, meta=meta)

    return send(await svc.cached(("table", name, args, csv), produce))


async def document_response(
    request: Request, name: str, compute: Callable[[Any], Any], args: tuple
) -> Response:
    """A JSON document ``compute(ds)``, cached like tables."""
    svc = service(request)

    def produce() -> Cached:
        with svc.using() as ds:
            return rs.document(compute(ds))

    return send(await svc.cached(("document", name, args), produce))
