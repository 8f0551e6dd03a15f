"""The dashboard's pages as a reader sees them (HTML through the app, no browser): the same findings, counts
and numbers as the briefing and the Python API for the same query, words rather than codes, errors that lead
somewhere. What only a browser can show (layout, drawing, keyboard) is in test_web_browser.py."""

from __future__ import annotations

import html
import io
import re
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # starlette's TestClient asks for httpx2
    from fastapi.testclient import TestClient

from critmin.indicators.materiality import is_material
from critmin.web.app import create_app


@pytest.fixture(scope="module")
def pages(store_path):
    with TestClient(create_app(store_path), base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture(scope="module")
def landing(pages) -> str:
    r = pages.get("/")
    assert r.status_code == 200, r.text
    return r.text


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment)).strip()


def section(page: str, section_id: str) -> str:
    m = re.search(rf'<section id="{section_id}">(.*?)</section>', page, re.S)
    assert m, f"no section {section_id}"
    return m.group(1)


def test_headline_findings_and_counts_are_material_imports_only(landing, ds):
    year = ds.analysis_year()
    exp = ds.exposure("JPN,ITA,JPN+ITA", year)
    value = exp["import_value_kusd"].fillna(0)
    total = value.groupby([exp["party"], exp["commodity"]]).transform("sum")
    material = is_material(value, total) & (value > 0)
    body = section(landing, "exposure")
    cards = {
        text_of(t): [text_of(x) for x in re.findall(r'<span class="card-line">(.*?)</span>', rest)]
        for t, rest in re.findall(r'<span class="card-title">(.*?)</span>(.*?)</a>', body, re.S)
    }
    paragraphs = [text_of(p) for p in re.findall(r"<p>(.*?)</p>", body, re.S)]
    for party, part in exp.groupby("party"):
        mat = part[material[part.index]]
        lines = cards[f"{part['party_name'].iloc[0]} ({party})"]
        assert lines[0].endswith(f"; {len(mat)} material")
        assert lines[1].startswith(f"{int((mat['share_from_CHN'] >= 0.5).sum())} of those at least half")
    # a sliver of trade is no finding: the data hold such stages (e.g. Italy's tungsten ore), none is named
    small = exp[~material & (value > 0) & (exp["share_from_CHN"] >= 0.5)]
    assert len(small)
    for r in small.itertuples():
        said = next(p for p in paragraphs if p.startswith(f"{r.party_name}:"))
        assert f"{r.commodity_name.lower()} {r.stage}" not in said.lower(), said


def test_immaterial_rows_of_an_exposure_table_are_greyed(pages, ds):
    page = pages.get("/profile/JPN").text
    table = re.search(r'<div class="table" id="table-exposure">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r"<tr( class=\"dim\")?><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td>", table)
    exp = ds.exposure("JPN", ds.analysis_year()).set_index(["commodity_name", "stage"])
    assert rows
    for dim, name, stage in rows:
        assert bool(dim) == (not exp.loc[(html.unescape(name), stage), "material"]), (name, stage)


def table_rows(page: str, table_id: str) -> list[list[str]]:
    m = re.search(rf'<div class="table" id="table-{table_id}">(.*?)</table>', page, re.S)
    assert m, f"no table {table_id}"
    body = m.group(1).split("<tbody>", 1)[1]
    return [
        [text_of(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_the_landing_stress_test_and_actions_are_the_briefings(pages, landing, ds):
    from critmin.report.briefing import Briefing

    year = ds.analysis_year()
    brief = Briefing(ds, "JPN,ITA,JPN+ITA", year)
    keys = ["party", "commodity", "stage"]
    got = pd.read_csv(io.StringIO(pages.get("/?download=scenario").text)).set_index(keys).sort_index()
    want = brief.scenario_table.set_index(keys).sort_index()
    assert len(want) and list(got.index) == list(want.index)
    for col in ("consumption_tonnes", "shortfall_tonnes", "shortfall_response_tonnes", "days_of_cover"):
        assert np.allclose(got[col], want[col], rtol=1e-9, equal_nan=True), col
    got = pd.read_csv(io.StringIO(pages.get("/?download=actions").text))
    want = brief.actions
    assert list(got["action"]) == list(want["action"]) and list(got["party"]) == list(want["party"])
    assert np.allclose(got["closes_tonnes"], want["closes_tonnes"], rtol=1e-9)
    # no row says a country's stocks run out at once while it loses nothing
    for row in table_rows(landing, "scenario"):
        shortfall, days = row[5], row[8]
        assert not (shortfall == "0 t" and days == "0"), row


def figure(page: str, chart_id: str) -> dict:
    import json

    m = re.search(rf'<script type="application/json" id="fig-{chart_id}">(.*?)</script>', page, re.S)
    assert m, f"no figure {chart_id}"
    return json.loads(m.group(1))


def test_the_time_series_draws_imports_in_usd_and_the_hhi_on_its_own_scale(pages, ds):
    page = pages.get("/profile/JPN?commodity=graphite").text
    fig = figure(page, "series-mine")
    year = ds.analysis_year()
    ser = ds.exposure("JPN", years=range(year - 14, year + 1), commodities="graphite")
    ser = ser[ser["stage"] == "mine"]
    bars = next(t for t in fig["data"] if t["type"] == "bar")
    assert fig["layout"]["yaxis2"]["title"]["text"] == "USD"
    assert np.allclose(bars["y"], ser["import_value_kusd"] * 1e3, rtol=1e-9)  # USD, not thousands
    assert bars["text"][-1].startswith("USD ")  # hover as in the tables
    hhi = next(t for t in fig["data"] if "HHI" in t["name"])
    assert np.allclose(hhi["y"], ser["supplier_hhi"], equal_nan=True)
    assert "%" not in fig["layout"]["yaxis"].get("tickformat", "")  # an HHI of 0.27 is not '27%'


def test_registry_tables_speak_words_and_say_where_each_measure_stands(pages, ds):
    from critmin.scenarios.registry import ENDED, restrictions

    rows = table_rows(pages.get("/timeline").text, "restrictions")
    regs = restrictions(ds, relaxations=True)
    assert len(rows) == len(regs)
    minerals, measures, targets, status = (
        list(col) for col in zip(*[(r[1], r[2], r[3], r[6]) for r in rows], strict=True)
    )
    assert not [
        m for m in minerals + measures + status if "_" in m
    ]  # 'rare_earths', 'in_force', 'export_tax'
    assert "Rare earth elements" in minerals and "all critical minerals" in minerals
    assert targets.count("all destinations") == sum(len(t) == 0 for t in regs["targets"])
    never = regs[
        regs["status"].isin(ENDED) & regs["end_date"].notna() & (regs["end_date"] < regs["effective_date"])
    ]
    assert len(never)  # the October 2025 package, suspended before its dates
    for r in rows:
        if (r[4], r[5]) in set(zip(never["effective_date"], never["end_date"], strict=True)):
            assert r[6].endswith("before taking effect"), r


@pytest.fixture(scope="module")
def with_news(store_copy, tmp_path_factory):
    """The app on a copy of the store holding one untitled article (as the seed article is)."""
    path = store_copy(tmp_path_factory.mktemp("news") / "critmin.duckdb")
    token = "pages-test-token-0123456789"
    with TestClient(create_app(path, token=token), base_url="http://127.0.0.1") as c:
        r = c.post(
            "/api/v1/news/articles",
            json={
                "text": "Japan and Italy agreed on Friday to strengthen supply chains for critical minerals.",
                "published": "2026-01-16",
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        yield c, r.json()["articles"][0]["article_id"]


def test_every_news_event_links_to_its_article_even_untitled(with_news):
    c, article = with_news
    page = c.get("/timeline").text
    events = re.search(r'<div class="table" id="table-events">(.*?)</table>', page, re.S).group(1)
    assert (
        events.count(f'href="/news/{article}"') == events.count("<tr>") - 1
    )  # each event row, not the header
    assert f"untitled article {article}" in text_of(events)
    assert "CSV (1 row)" in page  # the articles table: one article


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("/profile/Jpan", "/profile/JPN"),
        ("/profile/JPN+Itly?year=2023", "/profile/JPN+ITA?year=2023"),
        ("/mineral/graphit", "/mineral/graphite"),
        ("/sourcing?for=Jpan&commodity=graphite", "/sourcing?for=JPN&commodity=graphite"),
    ],
)
def test_an_unknown_name_leads_to_the_page_it_meant(pages, url, link):
    r = pages.get(url)
    assert r.status_code == 422
    message = re.search(r'<p class="error" id="error-message">(.*?)</p>', r.text, re.S).group(1)
    assert f'href="{html.escape(link)}"' in message  # the suggestion is a link to the corrected page
    assert text_of(r.text).count("did you mean") + text_of(r.text).count("Did you mean") == 1  # said once
    assert pages.get(link).status_code == 200


def test_a_malformed_year_is_refused_in_words(pages):
    r = pages.get("/profile/JPN?year=20x4")
    assert r.status_code == 422
    said = text_of(re.search(r'id="error-message">(.*?)</p>', r.text, re.S).group(1))
    assert "four-digit year" in said and "pattern" not in said, said


def test_the_mineral_page_picks_its_year_like_the_other_pages(pages, ds):
    year = ds.analysis_year()
    page = pages.get("/mineral/graphite").text
    field = re.search(r'<form class="controls" action="/mineral".*?</form>', page, re.S).group(0)
    assert f'<input name="year" value="{year}" size="5" maxlength="4" inputmode="numeric">' in field
    # a year picked: the producers of that year, as the store has them (hand-summed here)
    conc = ds.concentration("graphite", "mine")
    picked = int(conc["year"].min()) + 1
    prod = ds.production("graphite", "mine", picked)
    r0 = conc[conc["year"] == picked].iloc[0]
    world = prod[(prod["source"] == r0["source"]) & (prod["edition"] == r0["edition"])]["tonnes"].sum()
    page = pages.get(f"/mineral/graphite?year={picked}").text
    assert f'value="{picked}"' in page
    producers = text_of(section(page, "producers"))
    assert f"Producers, {picked}" in producers and f"World output {world:,.0f} t" in producers
    # the form's GET keeps the year on its way to the page's own URL
    r = pages.get(f"/mineral?commodity=graphite&stage=mine&year={picked}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/mineral/graphite?stage=mine&year={picked}"


def test_a_stage_whose_series_ends_early_shows_its_latest_year_said(pages, ds):
    year = ds.analysis_year()
    last = int(ds.concentration("rare_earths", "refined")["year"].max())
    assert last < year  # the IEA refining series ends before the trade data
    page = pages.get("/mineral/rare_earths?stage=refined").text
    assert f'value="{year}"' in page
    assert f"series ends in {last}: the producers are of {last}, the latest year before {year}" in text_of(
        page
    )
    assert f"Producers, {last}" in text_of(section(page, "producers"))
    assert f"Trade flows, {year}" in text_of(section(page, "trade"))


def test_a_mineral_year_without_data_names_the_nearest_as_a_link(pages, ds):
    have = sorted(int(y) for y in ds.concentration("graphite", "mine")["year"])
    for asked, nearest in ((have[0] - 5, have[0]), (ds.analysis_year() + 3, have[-1])):
        r = pages.get(f"/mineral/graphite?year={asked}")
        assert r.status_code == 422
        message = re.search(r'<p class="error" id="error-message">(.*?)</p>', r.text, re.S).group(1)
        assert f"unknown year &#39;{asked}&#39;" in message or f"unknown year '{asked}'" in text_of(message)
        assert f'href="/mineral/graphite?year={nearest}"' in message
        assert pages.get(f"/mineral/graphite?year={nearest}").status_code == 200
    r = pages.get("/mineral/graphite?year=20x4")
    assert r.status_code == 422 and "four-digit year" in text_of(r.text)


@pytest.mark.parametrize("since", ["2025", "2025-06", "2025-06-01"])
def test_the_timeline_filters_from_a_year_a_month_or_a_day(with_news, since):
    r = with_news[0].get(f"/timeline?since={since}")
    assert r.status_code == 200, text_of(r.text)[:300]
    ends = [row[5] for row in table_rows(r.text, "restrictions")]
    assert ends and all(e == "" or e >= since for e in ends)  # nothing that ended before


def test_an_impossible_timeline_date_is_refused_in_words(with_news):
    r = with_news[0].get("/timeline?since=2025-13-40")
    assert r.status_code == 422
    said = text_of(re.search(r'id="error-message">(.*?)</p>', r.text, re.S).group(1))
    assert said.startswith("unknown date '2025-13-40'") and "YYYY-MM" in said, said
