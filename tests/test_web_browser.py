"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright against ``critmin serve``'s
app on 127.0.0.1. Each page loads without console errors and without a request to any other host; charts and
maps draw real SVG paths; the scenario form returns a result; a table downloads as CSV; a news article holding
``<script>`` shows it as text. Screenshots of every page go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed")
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)",
        allow_module_level=True,
    )

from critmin.web.app import create_app  # noqa: E402

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
TOKEN = "browser-test-token-0123456789"
HOSTILE = (
    "Japan and Italy agreed on Friday to strengthen supply chains for critical minerals.\n"
    "<script>window.__pwned = 1; alert('xss')</script> <img src=x onerror=\"window.__pwned = 2\">\n"
)
HOSTILE_TITLE = "<b>Bold</b> <script>window.__pwned = 3</script>"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a free loopback port, with a news article that tries to run script."""
    path = tmp_path_factory.mktemp("browser") / "critmin.duckdb"
    app = create_app(path, token=TOKEN)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if srv.started:
            break
        time.sleep(0.05)
    req = urllib.request.Request(
        base + "/api/v1/news/articles",
        data=json.dumps({"text": HOSTILE, "title": HOSTILE_TITLE, "published": "2026-01-16"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        article_id = json.loads(r.read())["articles"][0]["article_id"]
    yield {"base": base, "article": article_id}
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Visit:
    """One page load with everything the browser reported."""

    def __init__(self, browser, base: str, width: int = 1280, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open(self, url: str):
        self.page.goto(self.base + url, timeout=300_000)
        self.settle()
        return self.page

    def settle(self, timeout: float = 120.0):
        self.page.wait_for_load_state("networkidle", timeout=300_000)
        # every figure drawn (app.js marks each plot once plotly.js has drawn it). Polled from here: Playwright's
        # wait_for_function builds its predicate with eval, which the page's CSP (rightly) forbids.
        end = time.monotonic() + timeout
        drawn = (
            "Array.from(document.querySelectorAll('[data-figure]')).every(e => e.dataset.rendered === 'true')"
        )
        while not self.page.evaluate(drawn):
            assert time.monotonic() < end, "charts not drawn in time"
            time.sleep(0.1)

    def outside(self) -> list[str]:
        return [u for u in self.requests if not (u.startswith(self.base + "/") or u.startswith("data:"))]

    def shoot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}-top.png"))

    def close(self):
        self.context.close()


@pytest.fixture()
def visit(browser, server):
    v = Visit(browser, server["base"])
    yield v
    v.close()


PAGES = [
    ("home", "/", True),
    ("profile", "/profile/JPN+ITA", True),
    ("mineral", "/mineral/graphite", True),
    ("mineral-refined", "/mineral/rare_earths?stage=refined", True),
    ("sourcing", "/sourcing?for=JPN%2BITA&commodity=rare_earths&stage=refined", False),
    ("timeline", "/timeline", False),
    ("data", "/data", False),
    ("api", "/api", False),
]


@pytest.mark.parametrize(("name", "url", "has_map"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_loads_clean_offline_and_draws_its_charts(visit, name, url, has_map):
    page = visit.open(url)
    visit.shoot(name)
    assert visit.errors == [], visit.errors
    assert visit.outside() == [], visit.outside()
    figures = page.locator("[data-figure]").count()
    drawn = page.evaluate(
        """Array.from(document.querySelectorAll('[data-figure]')).map(el =>
             Array.from(el.querySelectorAll('svg path')).filter(p => (p.getAttribute('d') || '').length > 4).length)"""
    )
    assert all(n > 0 for n in drawn), drawn  # every chart has drawn shapes, not an empty frame
    # no chart offers to send its data elsewhere (plotly.js 4's "Share chart..." opens cloud.plotly.com)
    buttons = page.evaluate(
        "Array.from(document.querySelectorAll('.modebar-btn')).map(b => b.getAttribute('data-title') || '')"
    )
    assert not [b for b in buttons if any(w in b.lower() for w in ("share", "cloud", "studio"))], buttons
    if name not in ("data", "api"):
        assert figures > 0
        for caption in page.locator("figure.chart p.source").all_inner_texts():
            assert caption.startswith("Source: ") and len(caption) > 20  # every chart names its source
    if has_map:
        countries = page.evaluate(
            "Array.from(document.querySelectorAll('path.choroplethlocation')).filter(p => (p.getAttribute('d') || '').length > 10).length"
        )
        assert countries >= 3, countries  # the bundled world map, coloured country by country
    for link in page.locator("a.csv").all():
        assert "download=" in link.get_attribute("href")  # every table offers its CSV


def test_the_scenario_form_returns_a_result(visit):
    page = visit.open("/scenario")
    assert page.locator("#result").count() == 0
    page.select_option("#f-commodity", "graphite")
    page.select_option("#f-stage", "mine")
    page.fill("#f-by", "CHN")
    page.fill("#f-stocks", "JPN=30")
    page.fill("#f-year", "2023")
    page.click("#f-run")
    visit.settle()
    visit.shoot("scenario")
    assert "commodity=graphite" in page.url
    assert page.locator("#result").count() == 1
    heading = page.locator("#result h2").inner_text()
    assert "China bans exports of graphite (natural), mine stage (2023 network)" in heading
    cells = page.locator("#table-countries tbody tr").first.locator("td").all_inner_texts()
    assert len(cells) == 10 and cells[0] and cells[6].endswith(" t")  # country ... shortfall in tonnes
    assert page.locator("#table-countries").inner_text().count("JPN") >= 1
    assert page.locator("path.choroplethlocation").count() > 10
    assert visit.errors == [] and visit.outside() == []


def test_the_mineral_form_takes_a_year(visit):
    page = visit.open("/mineral/graphite")
    year = page.locator('form[action="/mineral"] input[name="year"]')
    latest = int(year.input_value())
    assert f"Producers, {latest}" in page.locator("#producers h2").inner_text()
    year.fill(str(latest - 2))
    page.locator('form[action="/mineral"] button[type="submit"]').click()
    visit.settle()
    assert page.url.endswith(f"/mineral/graphite?stage=mine&year={latest - 2}")
    assert page.locator('form[action="/mineral"] input[name="year"]').input_value() == str(latest - 2)
    assert f"Producers, {latest - 2}" in page.locator("#producers h2").inner_text()
    assert visit.errors == [] and visit.outside() == []


def test_a_table_downloads_as_csv(visit, server):
    page = visit.open("/mineral/graphite")
    with page.expect_download() as info:
        page.locator("#table-concentration a.csv").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    df = pd.read_csv(io.StringIO(text))
    assert {"year", "hhi", "share_CHN", "source", "edition"} <= set(df.columns)
    assert df["hhi"].between(0, 1).all() and len(df) >= 5
    shown = page.locator("#table-concentration tbody tr").count()
    assert shown == len(df)  # the page shows the rows the CSV holds
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(download.path(), ARTIFACTS / "concentration-graphite.csv")


def test_news_text_with_script_renders_as_text(visit, server):
    page = visit.open(f"/news/{server['article']}")
    visit.shoot("news-article")
    text = page.locator("#article-text").inner_text()
    assert "<script>window.__pwned = 1; alert('xss')</script>" in text  # shown, not run
    assert "<img src=x" in text
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("main script").count() == 0 and page.locator("main img").count() == 0
    assert HOSTILE_TITLE in page.locator("h1").inner_text()
    page = visit.open("/timeline")
    assert HOSTILE_TITLE in page.locator("#table-articles").inner_text()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert visit.dialogs == [] and visit.errors == []


def _overlaps(boxes: list[list[float]]) -> list[tuple[str, str]]:
    return [
        (a[4], b[4])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


def test_the_risk_matrix_names_its_points_without_overlap(visit):
    page = visit.open("/profile/JPN")
    boxes = page.evaluate(
        """Array.from(document.querySelectorAll('#chart-matrix .annotation-text, #chart-matrix .textpoint text'))
             .filter(t => (t.textContent || '').trim())
             .map(t => { const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, t.textContent]; })"""
    )
    assert len(boxes) >= 3, boxes  # the highest GeoPolRisk scores are named on the chart
    assert _overlaps(boxes) == []


def test_on_a_phone_charts_keep_a_legible_plotting_area(browser, server):
    v = Visit(browser, server["base"], width=390, height=844)
    try:
        page = v.open("/")
        v.shoot("home-390")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page never scrolls sideways
        areas = page.evaluate(
            "Array.from(document.querySelectorAll('.plot .nsewdrag')).map(r => r.getBoundingClientRect().width)"
        )
        assert areas and min(areas) >= 250, areas  # bars and points get room; the figure scrolls instead
        boxes = page.evaluate(
            """Array.from(document.querySelectorAll('#chart-matrix .annotation-text'))
                 .map(t => { const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, t.textContent]; })"""
        )
        assert _overlaps(boxes) == []
        assert v.errors == []
    finally:
        v.close()


def test_keyboard_and_screen_reader_basics(visit):
    page = visit.open("/profile/JPN")
    page.keyboard.press("Tab")  # the first stop skips the navigation
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    tree = page.locator("main").aria_snapshot()
    titles = page.locator(".table-head h3").all_inner_texts()
    assert titles
    for title in titles:  # every table is named by its title (a reader lists tables by name)
        assert f'- table "{title}"' in tree, title
    assert page.locator('nav a[aria-current="page"]').inner_text() == "Country / bloc"


def test_the_exposure_table_fits_a_desktop_window(visit):
    for url in ("/", "/profile/JPN"):
        page = visit.open(url)
        scroll = page.locator("#table-exposure .scroll")
        overflow = scroll.evaluate("e => e.scrollWidth - e.clientWidth")
        assert overflow <= 0, (url, overflow)  # no column hidden behind a sideways scroll at 1280 px
        cells = page.locator("#table-exposure tbody tr").first.locator("td").all_inner_texts()
        assert any(re.fullmatch(r"[\d,]+ t \S+", c) for c in cells), cells  # tonnes beside their basis
