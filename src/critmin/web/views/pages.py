"""The dashboard: server-rendered pages (Jinja2, autoescaped) with plotly.js charts, fully offline.

Every page is cached per store version like the API's tables; ``?download=<table id>`` on any page answers
that table as CSV (the full tidy frame, not the rounded cells shown).
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from collections.abc import Callable
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from critmin import __version__
from critmin.errors import UnknownValueError
from critmin.web import dashboard
from critmin.web import responses as rs
from critmin.web.params import day
from critmin.web.service import Cached
from critmin.web.views.common import cache_key, send, service

router = APIRouter(include_in_schema=False)

NAV = [
    ("home", "/", "Japan + Italy"),
    ("profile", "/profile/JPN", "Country / bloc"),
    ("mineral", "/mineral/rare_earths", "Minerals"),
    ("scenario", "/scenario", "Scenarios"),
    ("sourcing", "/sourcing", "Sourcing"),
    ("timeline", "/timeline", "Restrictions & news"),
    ("data", "/data", "Data"),
    ("api", "/api", "API"),
]
Text = Annotated[str | None, Query(max_length=200)]
YearText = Annotated[str | None, Query(max_length=10, description="A four-digit year, e.g. 2023.")]
Download = Annotated[str | None, Query(max_length=40, description="A table id of the page: its CSV.")]


@functools.cache
def _env():
    import jinja2

    def load(name: str) -> str:
        return resources.files("critmin.web").joinpath("templates", name).read_text(encoding="utf-8")

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(load), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters["fig"] = figure_json
    return env


def figure_json(fig: dict):
    """A figure as JSON safe inside <script type="application/json"> (no '<', '>' or '&' left to parse)."""
    from markupsafe import Markup

    text = json.dumps(rs.clean(fig), ensure_ascii=False, allow_nan=False)
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))


def render(request: Request, template: str, **context) -> str:
    query = dict(request.query_params)
    query.pop("download", None)

    def download_url(table_id: str) -> str:
        return request.url.path + "?" + urllib.parse.urlencode({**query, "download": table_id})

    return (
        _env()
        .get_template(template)
        .render(nav=NAV, version=__version__, path=request.url.path, download_url=download_url, **context)
    )


def _year(text: str | None) -> int | None:
    """A form's year: empty means the default; anything but four digits is refused in words."""
    if text is None or not text.strip():
        return None
    if not re.fullmatch(r"\d{4}", text.strip()):
        raise UnknownValueError("year", text, hint="a four-digit year, e.g. 2023, or empty for the latest")
    return int(text)


async def page_response(request: Request, build: Callable, *, compute: str | None = None) -> Response:
    """The page ``build(ds, memo)`` as HTML, or one of its tables as CSV (``?download=``), cached."""
    svc = service(request)
    download = request.query_params.get("download")
    items = tuple(sorted((k, v) for k, v in request.query_params.multi_items() if k != "download"))

    def produce() -> Cached:
        def make():
            with svc.using() as ds:
                return svc.memo(("page", request.url.path, items), lambda: build(ds, svc.memo))

        if compute:
            with svc.compute_slot(compute):
                page = make()
        else:
            page = make()
        if download:
            t = page.table(download)
            return rs.table(
                t.frame,
                t.id,
                csv=True,
                filename=f"critmin-{request.url.path.strip('/').replace('/', '-') or 'home'}-{t.id}",
            )
        html = render(request, "page.html", page=page)
        return Cached(200, html.encode("utf-8"), "text/html; charset=utf-8")

    return send(await svc.cached((*cache_key(request, bool(download)), download), produce))


def corrected_url(path: str, query: list[tuple[str, str]], value: str, code: str) -> str | None:
    """The same page with the unknown ``value`` replaced by ``code`` wherever it stands as a whole item (a
    path segment, a query value, or one member of a list or union like 'JPN+Itly'); None if it stands
    nowhere."""
    found = False

    def fix(text: str) -> str:
        nonlocal found
        parts = re.split(r"([+,])", text)
        out = [code if p.strip() == value else p for p in parts]
        found = found or out != parts
        return "".join(out)

    segments = [urllib.parse.quote(fix(urllib.parse.unquote(seg)), safe="+") for seg in path.split("/")]
    items = [(k, fix(v)) for k, v in query if k != "download"]
    if not found:
        return None
    return "/".join(segments) + ("?" + urllib.parse.urlencode(items) if items else "")


def error_page(request: Request, status: int, body: dict, value: object = None) -> Response:
    """The error as a page: the CLI's message, its suggestions as links to the corrected page."""
    message = str(body.get("message", ""))
    suggestions = list(body.get("suggestions") or [])
    links = []
    if value is not None and str(value).strip():
        query = list(request.query_params.multi_items())
        for s in suggestions:
            url = corrected_url(request.url.path, query, str(value), s.split(" (")[0])
            if url is None:
                break
            links.append((s, url))
    said = " — did you mean " + ", ".join(suggestions) + "?"
    if links and len(links) == len(suggestions) and said in message:
        before, after = message.split(said, 1)
    else:
        before, after, links = message, "", []
    html = render(request, "error.html", status=status, error=body, before=before, after=after, links=links)
    return HTMLResponse(html, status_code=status)


@router.get("/")
async def home(request: Request, year: YearText = None, download: Download = None):
    y = _year(year)
    return await page_response(request, lambda ds, memo: dashboard.landing(ds, y, memo))


def _redirect(request: Request, base: str, value: str, drop: str) -> RedirectResponse:
    """From a form's GET (``/profile?for=X&year=Y``) to the page's own URL (``/profile/X?year=Y``)."""
    rest = {k: v for k, v in request.query_params.items() if k != drop and v}
    url = base + urllib.parse.quote(value, safe="+") + ("?" + urllib.parse.urlencode(rest) if rest else "")
    return RedirectResponse(url, status_code=303)


@router.get("/profile")
async def profile_form(
    request: Request, party: Annotated[str | None, Query(alias="for", max_length=100)] = None
):
    return _redirect(request, "/profile/", (party or "").strip() or "JPN+ITA", "for")


@router.get("/profile/{party}")
async def profile(
    request: Request,
    party: Annotated[str, Path(max_length=100)],
    year: YearText = None,
    commodity: Annotated[str | None, Query(max_length=60)] = None,
    download: Download = None,
):
    y = _year(year)
    return await page_response(
        request, lambda ds, memo: dashboard.profile(ds, party, y, commodity or None, memo)
    )


@router.get("/mineral")
async def mineral_form(request: Request, commodity: Annotated[str | None, Query(max_length=60)] = None):
    return _redirect(request, "/mineral/", (commodity or "").strip() or "rare_earths", "commodity")


@router.get("/mineral/{commodity}")
async def mineral(
    request: Request,
    commodity: Annotated[str, Path(max_length=60)],
    stage: Annotated[str | None, Query(max_length=10)] = None,
    year: YearText = None,
    download: Download = None,
):
    y = _year(year)
    return await page_response(
        request, lambda ds, memo: dashboard.mineral(ds, commodity, stage or None, y, memo)
    )


def _float(text: str | None, default: float, what: str, lo: float = 0.0, hi: float = 1.0) -> float:
    if text is None or not text.strip():
        return default
    try:
        v = float(text)
    except ValueError:
        raise UnknownValueError(what, text, hint=f"a number between {lo:g} and {hi:g}") from None
    if not lo <= v <= hi:
        raise UnknownValueError(what, text, hint=f"a number between {lo:g} and {hi:g}")
    return v


@router.get("/scenario")
async def scenario(
    request: Request,
    commodity: Text = None,
    stage: Text = None,
    year: YearText = None,
    by: Text = None,
    share: Text = None,
    targets: Text = None,
    stocks: Text = None,
    substitution: Text = None,
    download: Download = None,
):
    form = {
        "run": commodity is not None,
        "commodity": commodity or "rare_earths",
        "stage": stage or "",
        "year": _year(year),
        "by": by if by is not None else "CHN",
        "share": _float(share, 1.0, "restricted share"),
        "targets": targets or "",
        "stocks": stocks if stocks is not None else "JPN=60",
        "substitution": _float(substitution, 0.0, "substitution"),
    }
    return await page_response(
        request,
        lambda ds, memo: dashboard.scenario(ds, form, memo),
        compute="the scenario" if form["run"] else None,
    )


@router.get("/sourcing")
async def sourcing(
    request: Request,
    party: Annotated[str | None, Query(alias="for", max_length=100)] = None,
    commodity: Text = None,
    stage: Text = None,
    year: YearText = None,
    partners: Text = None,
    max_share: Text = None,
    download: Download = None,
):
    form = {
        "run": party is not None,
        "party": party or "JPN+ITA",
        "commodity": commodity or "graphite",
        "stage": stage or "",
        "year": _year(year),
        "partners": partners or "",
        "max_share": _float(max_share, 0.65, "maximum share", 0.01, 1.0),
    }
    return await page_response(
        request,
        lambda ds, memo: dashboard.sourcing(ds, form, memo),
        compute="the optimisation" if form["run"] else None,
    )


@router.get("/timeline")
async def timeline(
    request: Request,
    since: Annotated[str | None, Query(max_length=10, description="YYYY, YYYY-MM or YYYY-MM-DD.")] = None,
    country: Annotated[str | None, Query(max_length=100)] = None,
    download: Download = None,
):
    first = day(since, end=False)
    return await page_response(request, lambda ds, memo: dashboard.timeline(ds, first, country or None, memo))


@router.get("/news/{article_id}")
async def article(
    request: Request, article_id: Annotated[str, Path(min_length=4, max_length=80)], download: Download = None
):
    return await page_response(request, lambda ds, memo: dashboard.article(ds, article_id))


@router.get("/data")
async def data(request: Request, download: Download = None):
    return await page_response(request, lambda ds, memo: dashboard.data_page(ds))


@router.get("/api")
async def api_reference(request: Request):
    """The endpoints of the OpenAPI document, listed offline (Swagger UI would load from a CDN)."""
    spec = request.app.openapi()
    ops = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                (p["name"], p.get("in", ""), p.get("description", "") or "")
                for p in op.get("parameters", [])
                if p.get("name") != "format"
            ]
            ops.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": (op.get("description") or "").split("\n\n")[0],
                    "tag": (op.get("tags") or [""])[0],
                    "params": params,
                    "body": "requestBody" in op,
                }
            )
    html = render(request, "api.html", ops=ops, spec=spec)
    return HTMLResponse(html)


@router.get("/static/vendor/plotly.min.js")
async def plotly_js():
    """plotly.js from the installed plotly package (no CDN)."""
    try:
        path = resources.files("plotly").joinpath("package_data", "plotly.min.js")
    except ModuleNotFoundError:
        return Response(
            "/* plotly is not installed: pip install 'critmin[web]' */",
            media_type="text/javascript",
            status_code=404,
        )
    return FileResponse(
        str(path), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )
