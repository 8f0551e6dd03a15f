"""The critmin web app: a REST API under /api/v1 (OpenAPI 3 at /api/v1/openapi.json) and a dashboard of
server-rendered pages with offline charts (plotly.js from the installed plotly package, a bundled world map).

    >>> from critmin.web import create_app
    >>> app = create_app("critmin.duckdb")          # doctest: +SKIP
    >>> # uvicorn.run(app, host="127.0.0.1", port=8765)

Errors are JSON ``{"error", "status", "message", "suggestions"}`` with the CLI's one-line message (pages show
the same message in HTML); nothing answers with a traceback.
"""

from __future__ import annotations

import hmac
import logging
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from critmin import __version__
from critmin.errors import CritminError, DataError, NoDataError, OfflineError, StoreError, UnknownValueError
from critmin.web.front import FrontCache
from critmin.web.guard import LOOPBACK_HOSTS, Guard
from critmin.web.service import ComputeTimeout, Limits, ServerBusy, Service

log = logging.getLogger("critmin.web")
API = "/api/v1"


def _status(exc: Exception) -> tuple[int, str]:
    from critmin.news.fetch import UnsafeURLError
    from critmin.web.views.writes import Forbidden

    for cls, status, code in (
        (Forbidden, 403, "forbidden"),
        (UnknownValueError, 422, "unknown_value"),
        (UnsafeURLError, 422, "unsafe_url"),
        (NoDataError, 404, "no_data"),
        (DataError, 422, "invalid_data"),
        (ServerBusy, 429, "busy"),
        (ComputeTimeout, 503, "timeout"),
        (OfflineError, 502, "unreachable"),
        (StoreError, 503, "store_unavailable"),
        (CritminError, 422, "invalid_request"),
    ):
        if isinstance(exc, cls):
            return status, code
    return 500, "internal_error"


def error_body(status: int, code: str, message: str, **extra) -> dict:
    body = {"error": code, "status": status, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _respond(
    request: Request, status: int, body: dict, headers: dict | None = None, value: object = None
) -> Response:
    """JSON for the API and for writes; a page for a page (``value``: the unknown value, which the page
    replaces by each suggestion to link to it)."""
    if _is_api(request) or request.method != "GET":
        return JSONResponse(body, status_code=status, headers=headers)
    from critmin.web.views.pages import error_page

    return error_page(request, status, body, value)


def _location(loc) -> str:
    # pydantic adds the branch of a union to the location ('constrained-float', 'list[...]'): not a field name
    parts = [str(p) for p in loc if isinstance(p, int) or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(p))]
    if parts and parts[0] in ("query", "path", "body", "header"):
        where = {
            "query": "query parameter",
            "path": "path parameter",
            "body": "body field",
            "header": "header",
        }[parts[0]]
        name = ".".join(parts[1:])
        return f"{where} {name!r}" if name else "request body"
    return ".".join(parts) or "request"


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        # a check of ours ('value_error', e.g. a range given high-low) says more than a union's type mismatch
        errors = sorted(exc.errors(), key=lambda e: e.get("type") != "value_error")
        details = [
            {
                "location": [str(p) for p in e.get("loc", ())],
                "message": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in errors
        ]
        if errors:
            first = errors[0]
            message = f"{_location(first.get('loc', ()))}: {first.get('msg', 'invalid')}"
            if first.get("type") == "json_invalid":
                message = "the request body is not valid JSON"
            if len(errors) > 1:
                message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        else:
            message = "invalid request"
        return _respond(request, 422, error_body(422, "invalid_request", message, details=details))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        messages = {
            404: f"no such page or endpoint: {request.url.path}",
            405: f"method {request.method} not allowed here",
        }
        message = messages.get(exc.status_code, str(exc.detail))
        return _respond(
            request,
            exc.status_code,
            error_body(exc.status_code, "http_error", message),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(CritminError)
    async def critmin_error(request: Request, exc: CritminError):
        status, code = _status(exc)
        suggestions = list(exc.suggestions) if isinstance(exc, UnknownValueError) else None
        headers = {"Retry-After": "5"} if status in (429, 503) else None
        message = str(exc)
        if isinstance(exc, UnknownValueError) and " " in str(exc.value) and "+" in request.url.query:
            # 'for=JPN+ITA' typed into a URL arrives as 'JPN ITA': a query string decodes '+' as a space
            message += " (in a URL query string '+' means a space: write JPN%2BITA for the union JPN+ITA)"
        return _respond(
            request,
            status,
            error_body(status, code, message, suggestions=suggestions),
            headers,
            value=exc.value if isinstance(exc, UnknownValueError) else None,
        )


class WriteGate:
    """Refuses writes without the token before their body is read (so even a malformed write gets 403)."""

    def __init__(self, app, service: Service, write_paths):
        self.app, self.service, self.write_paths = app, service, write_paths

    async def __call__(self, scope, receive, send):
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and any(r.match(scope["path"]) for r in self.write_paths)
        ):
            token = self.service.token
            auth = dict(scope.get("headers", ())).get(b"authorization", b"").decode("latin-1")
            given = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
            if token is None or not hmac.compare_digest(given.encode(), token.encode()):
                from critmin.web.guard import _json_error

                message = (
                    "this server is read-only: start `critmin serve` with CRITMIN_TOKEN or --token-file to allow writes"
                    if token is None
                    else "a write needs the server's token: send 'Authorization: Bearer <token>'"
                )
                start, body = _json_error(403, "forbidden", message)
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class HeadAsGet:
    """Answers HEAD on every GET page and route as GET would, without the body (RFC 9110 §9.3.2): monitors and
    link checkers ask HEAD. FastAPI routes answer GET only (405 to HEAD), so the request is run as a GET — the
    same cache, guard and headers (Content-Length included) — and the body is dropped. HEAD is safe: it reaches
    no write (the write routes are POST)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message):
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # a streamed body: only its end is sent, empty
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def create_app(
    db: str | Path | None = None,
    *,
    token: str | None = None,
    limits: Limits | None = None,
    allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS,
) -> FastAPI:
    """The ASGI app over the store at ``db``. ``token`` enables writes; ``allowed_hosts`` (default: loopback
    names) are the Host headers it answers (None: any)."""
    from fastapi.staticfiles import StaticFiles

    from critmin.web.views import compute, indicators, pages, reference, writes

    service = Service(db, token=token, limits=limits)
    app = FastAPI(
        title="critmin",
        version=__version__,
        summary="Critical-minerals supply-chain security from real open data: exposure, supply risk, "
        "disruption scenarios and countermeasures.",
        description="Every number comes from the same Python functions as the `critmin` CLI. Tables answer JSON "
        "by default and CSV on `Accept: text/csv` or `?format=csv`. Writes need the server's token.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN: the dashboard's /api page lists the endpoints instead
        redoc_url=None,
        license_info={"name": "MIT"},
    )
    app.state.service = service
    _install_errors(app)
    for router in (reference.router, indicators.router, compute.router, writes.router):
        app.include_router(router, prefix=API)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(packages=[("critmin.web", "static")]), name="static")
    # the write routes, as the app sees them (under the API prefix)
    write_paths = [
        re.compile("^" + re.escape(API) + r.path_regex.pattern.removeprefix("^"))
        for r in writes.router.routes
    ]
    app.add_middleware(WriteGate, service=service, write_paths=write_paths)
    app.add_middleware(FrontCache, service=service)
    app.add_middleware(
        Guard,
        max_body_bytes=service.limits.max_body_bytes,
        max_query_chars=service.limits.max_query_chars,
        allowed_hosts=allowed_hosts,
    )
    app.add_middleware(HeadAsGet)  # outermost: HEAD sees every header a GET gets
    return app
