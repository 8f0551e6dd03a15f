"""The REST API (/api/v1): every endpoint answers the same numbers as the Python API, JSON and CSV; errors are
JSON with the CLI's messages; sizes are bounded; writes need the token; compute is bounded in draws and time."""

from __future__ import annotations

import io
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # starlette's TestClient asks for httpx2
    from fastapi.testclient import TestClient

from critmin.web.app import create_app
from critmin.web.service import Limits

BASE = "http://127.0.0.1"
TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def client(store_path):
    app = create_app(store_path)
    with TestClient(app, base_url=BASE) as c:
        yield c


@pytest.fixture()
def writer(tmp_store):
    app = create_app(tmp_store, token=TOKEN)
    with TestClient(app, base_url=BASE) as c:
        c.headers["Authorization"] = f"Bearer {TOKEN}"
        yield c


def table(r) -> pd.DataFrame:
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"table", "count", "columns", "data"}
    assert body["count"] == len(body["data"])
    return pd.DataFrame(body["data"], columns=body["columns"])


def csv_table(r) -> pd.DataFrame:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return pd.read_csv(io.StringIO(r.text))


def close(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(
        np.all((np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=1e-9, atol=0))
    )


# -- the contract ---------------------------------------------------------------------------------------
READ_URLS = [
    "/api/v1/commodities",
    "/api/v1/countries",
    "/api/v1/blocs?as_of=2024-01-01",
    "/api/v1/partnerships?country=ITA",
    "/api/v1/restrictions?in_force=2025-06-01",
    "/api/v1/news/events",
    "/api/v1/news/articles",
    "/api/v1/data/status",
    "/api/v1/data/sources",
    "/api/v1/concentration?commodity=graphite&stage=mine",
    "/api/v1/production?commodity=graphite&stage=mine&year=2023",
    "/api/v1/exposure?for=JPN&year=2023&commodity=graphite",
    "/api/v1/exposure?for=JPN,JPN%2BITA&year=2023",
    "/api/v1/bilateral?for=JPN&commodity=graphite&year=2023",
    "/api/v1/trade?commodity=graphite&year=2023&top=10",
    "/api/v1/risk?for=JPN&commodity=graphite&year=2023&method=hhi,import_reliance",
    "/api/v1/risk/matrix?for=JPN&commodity=graphite,lithium&year=2023",
    "/api/v1/origin?for=JPN&commodity=graphite&year=2023",
    "/api/v1/alignment?for=JPN&within=0.5",
]


def test_openapi_documents_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    ops = {(m.upper(), p) for p, ms in spec["paths"].items() for m in ms}
    for url in READ_URLS:
        assert ("GET", url.split("?")[0]) in ops
    for op in (
        "/api/v1/scenarios/restrict",
        "/api/v1/scenarios/sweep",
        "/api/v1/optimize",
        "/api/v1/optimize/pooled",
        "/api/v1/stockpile",
        "/api/v1/restrictions",
        "/api/v1/partnerships",
        "/api/v1/news/articles",
        "/api/v1/restrictions/{id}/review",
        "/api/v1/partnerships/{id}/review",
        "/api/v1/news/events/{event_id}/review",
    ):
        assert ("POST", op) in ops
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            codes = set(op["responses"])
            assert {"200" if method == "get" or "201" not in codes else "201", "422"} <= codes, (method, path)
            if "writes" in op.get("tags", []):
                assert "403" in codes
            if method == "get" and "format" in {p["name"] for p in op.get("parameters", [])}:
                assert "text/csv" in op["responses"]["200"]["content"], path


@pytest.mark.parametrize("url", READ_URLS)
def test_every_table_answers_json_and_the_same_csv(client, url):
    j = table(client.get(url))
    sep = "&" if "?" in url else "?"
    c = csv_table(client.get(url + sep + "format=csv"))
    assert list(c.columns) == list(j.columns)
    assert len(c) == len(j)
    by_accept = client.get(url, headers={"Accept": "text/csv"})
    assert by_accept.text == client.get(url + sep + "format=csv").text
    assert "attachment" in by_accept.headers["content-disposition"]
    for col in j.columns:
        if pd.api.types.is_numeric_dtype(j[col]) and pd.api.types.is_numeric_dtype(c[col]):
            assert close(j[col], c[col]), col


def test_accept_prefers_the_higher_quality():
    from critmin.web.responses import wants_csv

    assert wants_csv(None, "text/csv")
    assert not wants_csv(None, "application/json, text/csv;q=0.5")
    assert wants_csv(None, "application/json;q=0.4, text/csv")
    assert not wants_csv(None, "*/*")
    assert not wants_csv("json", "text/csv")
    assert wants_csv("csv", "application/json")


# -- the same numbers as the Python API ---------------------------------------------------------------------
def test_exposure_is_the_python_api_table(client, ds):
    got = table(client.get("/api/v1/exposure?for=JPN,JPN%2BITA&year=2023&commodity=graphite,rare_earths"))
    want = ds.exposure(["JPN", "JPN+ITA"], 2023, commodities="graphite,rare_earths")
    assert list(got.columns) == list(want.columns)
    assert list(got["party"]) == list(want["party"])
    numeric = [c for c in want.columns if pd.api.types.is_float_dtype(want[c])]
    assert {"import_value_kusd", "share_from_CHN", "supplier_hhi", "import_reliance"} <= set(numeric)
    for col in numeric:
        assert close(got[col], want[col]), col
    assert (got["trade_source"] == want["trade_source"]).all()


def test_default_year_is_the_python_api_default(client, ds):
    got = table(client.get("/api/v1/exposure?for=ITA&commodity=cobalt"))
    assert list(got["year"]) == list(ds.exposure("ITA", commodities="cobalt")["year"])


def test_concentration_and_production_are_the_python_api_tables(client, ds):
    got = table(client.get("/api/v1/concentration?commodity=lithium&stage=mine&years=2019-2023&share_of=AUS"))
    want = ds.concentration("lithium", "mine", [2019, 2020, 2021, 2022, 2023], share_of="AUS")
    assert close(got["hhi"], want["hhi"]) and close(got["share_AUS"], want["share_AUS"])
    got = table(client.get("/api/v1/production?commodity=lithium&stage=mine&year=2023&basis=Li"))
    want = ds.production("lithium", "mine", 2023, basis="Li")
    assert close(got["tonnes"], want["tonnes"]) and set(got["basis"]) == {"Li"}


def test_risk_is_the_python_api_table(client, ds):
    from critmin.indicators.risk import risk

    got = table(
        client.get(
            "/api/v1/risk?for=ITA&commodity=graphite,cobalt&year=2023&method=hhi,import_reliance,origin"
        )
    )
    want = risk(ds, "ITA", ["hhi", "import_reliance", "origin"], 2023, "graphite,cobalt", eu_sr_latest=True)
    assert list(got.columns) == list(want.columns)  # with the EU method's latest-year columns, as the CLI
    assert close(got["value"], want["value"])
    assert list(got["provenance"]) == list(want["provenance"])


def test_origin_bilateral_and_trade_are_the_python_api_tables(client, ds):
    from critmin.indicators.origin import trace_origin

    got = table(client.get("/api/v1/origin?for=JPN&commodity=cobalt&year=2022"))
    want = trace_origin(ds, "JPN", "cobalt", 2022)
    assert close(got["traced_share"], want["traced_share"])
    got = table(client.get("/api/v1/bilateral?for=JPN%2BITA&commodity=graphite&year=2023")).sort_values(
        "partner"
    )
    want = ds.bilateral("JPN+ITA", "graphite", 2023).sort_values("partner")  # row order is not part of it
    assert list(got["partner"]) == list(want["partner"])
    assert close(got["value_kusd"], want["value_kusd"])
    got = table(client.get("/api/v1/trade?commodity=graphite&year=2023&top=25"))
    want = ds.trade("graphite", None, 2023).sort_values("value_kusd", ascending=False).head(25)
    assert close(got["value_kusd"], want["value_kusd"])
    assert got["value_kusd"].is_monotonic_decreasing


def test_registry_tables_are_the_python_api_tables(client, ds):
    from critmin.reference.partnerships import partnerships
    from critmin.scenarios.registry import restrictions

    got = table(client.get("/api/v1/restrictions?in_force=2025-06-01&commodity=graphite"))
    assert list(got["id"]) == list(restrictions(ds, in_force="2025-06-01", commodity="graphite")["id"])
    assert isinstance(got["commodities"].iloc[0], list)  # lists stay lists in JSON
    csv = csv_table(client.get("/api/v1/restrictions?in_force=2025-06-01&commodity=graphite&format=csv"))
    assert csv["commodities"].iloc[0] == ";".join(got["commodities"].iloc[0])  # ...and are joined in CSV
    got = table(client.get("/api/v1/partnerships?country=JPN&as_of=2026-06-30"))
    assert list(got["id"]) == list(partnerships(ds, country="JPN", as_of="2026-06-30")["id"])
    one = client.get("/api/v1/restrictions/" + got["id"].iloc[0].replace("/", "%2F"))
    assert one.status_code in (200, 422)  # a partnership id is not a restriction id: 422 with close ids


def test_documents_resolve_parties_and_commodities(client):
    p = client.get("/api/v1/parties/JPN+ITA").json()
    assert p == {
        "label": "JPN+ITA",
        "name": "Japan + Italy",
        "kind": "bloc",
        "members": ["ITA", "JPN"],
        "year": None,
    }
    assert client.get("/api/v1/parties/G7?year=2023").json()["members"] == [
        "CAN",
        "DEU",
        "FRA",
        "GBR",
        "ITA",
        "JPN",
        "USA",
    ]
    c = client.get("/api/v1/commodities/REE").json()
    assert c["commodity"] == "rare_earths" and "refined" in c["trade_stages"]
    r = client.get("/api/v1/restrictions/CHN-2023-12-01-graphite").json()
    assert r["imposer"] == "CHN" and r["commodities"] == ["graphite"]


# -- errors -----------------------------------------------------------------------------------------------
def test_unknown_country_is_422_with_the_cli_message(client, ds):
    from critmin.errors import UnknownValueError

    with pytest.raises(UnknownValueError) as exc:
        ds.exposure("Jpan")
    r = client.get("/api/v1/exposure?for=Jpan")
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "unknown_value"
    assert body["message"] == str(exc.value)  # the CLI prints this same line
    assert "JPN (Japan)" in body["suggestions"]
    assert "Traceback" not in r.text


def test_a_plus_typed_into_a_query_gets_a_hint(client):
    body = client.get("/api/v1/exposure?for=JPN+ITA&commodity=graphite").json()
    assert body["status"] == 422 and "%2B" in body["message"]
    assert table(client.get("/api/v1/exposure?for=JPN%2BITA&commodity=graphite&year=2023"))[
        "party"
    ].tolist() == ["JPN+ITA"]


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/api/v1/exposure?for=JPN&year=abc", 422, "query parameter 'year'"),
        ("/api/v1/exposure?for=JPN&basis=weight", 422, "query parameter 'basis'"),
        ("/api/v1/exposure", 422, "query parameter 'for'"),
        ("/api/v1/exposure?for=JPN&commodity=unobtainium", 422, "unknown commodity 'unobtainium'"),
        ("/api/v1/exposure?for=JPN&years=2024-2018", 422, "year range"),
        ("/api/v1/exposure?for=JPN&years=1990-2024", 422, "at most 30 years"),
        ("/api/v1/exposure?for=JPN&year=1990", 404, "no trade data"),
        ("/api/v1/concentration?commodity=rare_earths&stage=product", 404, "no production data"),
        ("/api/v1/risk?for=JPN&method=vibes", 422, "unknown risk method 'vibes'"),
        ("/api/v1/risk?for=JPN,ITA,FRA,DEU&years=2020-2023", 422, "at most 6 party-years"),
        ("/api/v1/news/events?type=rumour", 422, "query parameter 'type'"),
        ("/api/v1/restrictions/no-such-measure", 422, "unknown restriction id"),
        ("/api/v1/no/such/endpoint", 404, "no such page or endpoint"),
    ],
)
def test_bad_requests_get_a_clear_json_error(client, url, status, words):
    r = client.get(url)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["status"] == status and words in body["message"]
    assert "Traceback" not in r.text and 'File "' not in r.text


def test_long_queries_and_large_bodies_are_refused(client):
    r = client.get("/api/v1/exposure?for=" + "JPN," * 2000)
    assert r.status_code == 414 and "too long" in r.json()["message"]
    big = b'{"commodity": "' + b"x" * 1_100_000 + b'"}'
    r = client.post("/api/v1/scenarios/restrict", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "exceeds the limit" in r.json()["message"]

    def chunks():  # no Content-Length: counted while reading
        for _ in range(20):
            yield b" " * 100_000

    r = client.post(
        "/api/v1/scenarios/restrict", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    r = client.get("/api/v1/exposure?for=" + ",".join(["JPN"] * 20))
    assert r.status_code == 422 and "at most 12" in r.json()["message"]


def test_malformed_bodies_are_4xx_with_a_message(client):
    r = client.post(
        "/api/v1/scenarios/restrict", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and "not valid JSON" in r.json()["message"]
    r = client.post(
        "/api/v1/scenarios/restrict", content=b"\xff\xfe4,", headers={"Content-Type": "application/json"}
    )
    assert r.status_code in (400, 422) and "JSON" in r.json()["message"]
    r = client.post("/api/v1/scenarios/restrict", json={"by": ["CHN"], "share": 1.5})
    assert r.status_code == 422 and "body field 'share'" in r.json()["message"]
    r = client.post("/api/v1/scenarios/sweep", json={"share": [1.0, 0.5], "by": ["CHN"]})
    assert r.status_code == 422 and "low 1.0 above high 0.5" in r.json()["message"]
    r = client.post("/api/v1/optimize", json={"for": "JPN", "commodity": "graphite", "colour": "red"})
    assert r.status_code == 422 and "colour" in r.json()["message"]


def test_security_headers_on_every_kind_of_response(client):
    for url in (
        "/api/v1/commodities",
        "/api/v1/commodities?format=csv",
        "/api/v1/exposure?for=Jpan",
        "/data",
        "/static/app.js",
        "/nope",
    ):
        h = client.get(url).headers
        csp = h["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "http:" not in csp and "https:" not in csp and "*" not in csp  # no other origin, no wildcard
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"


def test_an_internal_error_is_a_500_without_a_traceback(store_path, monkeypatch):
    from critmin.web import dashboard

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals /home/user/.ssh")

    monkeypatch.setattr(dashboard, "data_page", broken)
    monkeypatch.setattr("critmin.web.views.reference.commodity_table", broken)
    with TestClient(create_app(store_path), base_url=BASE, raise_server_exceptions=False) as c:
        for url in ("/data", "/api/v1/commodities"):
            r = c.get(url)
            assert r.status_code == 500
            assert r.json()["error"] == "internal_error" and "server log" in r.json()["message"]
            assert "secret" not in r.text and "Traceback" not in r.text
            assert "content-security-policy" in r.headers


def test_requests_for_another_host_are_refused(client):
    r = client.get("/api/v1/commodities", headers={"Host": "attacker.example:8765"})
    assert r.status_code == 400
    assert client.get("/api/v1/commodities", headers={"Host": "localhost:8765"}).status_code == 200


# -- writes ---------------------------------------------------------------------------------------------
WRITES = [
    ("/api/v1/restrictions", {"imposer": "CHN", "commodities": ["gallium"], "measure_type": "licence"}),
    ("/api/v1/restrictions/CHN-2023-12-01-graphite/review", {"accept": False}),
    ("/api/v1/partnerships", {"parties": ["JPN", "ITA"], "level": "test", "date": "2026-02-01"}),
    ("/api/v1/partnerships/JPN-ITA-strategic-2023/review", {"accept": False}),
    ("/api/v1/news/articles", {"text": "Japan and Italy agreed to cooperate on critical minerals."}),
    ("/api/v1/news/events/abc/review", {"accept": True}),
]


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_a_read_only_server_refuses_every_write(client, path, body):
    for kwargs in ({"json": body}, {"content": b"{broken", "headers": {"Content-Type": "application/json"}}):
        r = client.post(path, **kwargs)
        assert r.status_code == 403, r.text
        assert "read-only" in r.json()["message"]


@pytest.mark.parametrize(("path", "body"), WRITES[:1] + WRITES[4:5])
def test_writes_need_the_right_token(writer, path, body):
    for auth in (None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", TOKEN):
        headers = {"Authorization": auth} if auth else {}
        if auth is None:
            r = writer.post(path, json=body, headers={"Authorization": ""})
        else:
            r = writer.post(path, json=body, headers=headers)
        assert r.status_code == 403, (auth, r.text)
    assert writer.post(path, json=body).status_code == 201


def test_a_new_restriction_is_listed_at_once_and_review_removes_it(writer):
    before = table(writer.get("/api/v1/restrictions?imposer=IDN"))
    r = writer.post(
        "/api/v1/restrictions",
        json={
            "imposer": "Indonesia",
            "commodities": "bauxite",
            "measure_type": "ban",
            "effective_date": "2023-06-10",
            "title": "Bauxite export ban",
        },
    )
    assert r.status_code == 201
    rid = r.json()["id"]
    after = table(writer.get("/api/v1/restrictions?imposer=IDN"))
    assert len(after) == len(before) + 1 and rid in set(after["id"])  # the cached list was invalidated
    assert writer.post(f"/api/v1/restrictions/{rid}/review", json={"accept": False}).status_code == 200
    assert rid not in set(table(writer.get("/api/v1/restrictions?imposer=IDN"))["id"])
    bad = writer.post(
        "/api/v1/restrictions", json={"imposer": "Atlantis", "commodities": "gallium", "measure_type": "ban"}
    )
    assert bad.status_code == 422 and "Atlantis" in bad.json()["message"]


def test_partnerships_are_added_and_reviewed(writer):
    r = writer.post(
        "/api/v1/partnerships",
        json={
            "parties": ["Japan", "Italy"],
            "level": "working group",
            "date": "2026-03-01",
            "minerals": ["gallium"],
        },
    )
    assert r.status_code == 201
    pid = r.json()["id"]
    got = table(writer.get("/api/v1/partnerships?country=ITA"))
    assert pid in set(got["id"])
    assert writer.post(f"/api/v1/partnerships/{pid}/review", json={"accept": False}).status_code == 200
    assert pid not in set(table(writer.get("/api/v1/partnerships?country=ITA"))["id"])


def test_news_is_ingested_extracted_and_reviewed(writer):
    text = (
        "Japanese Prime Minister Sanae Takaichi said on Friday that she and her Italian counterpart agreed to "
        "strengthen supply chains for critical minerals.\n"
    )
    r = writer.post(
        "/api/v1/news/articles", json={"text": text, "published": "2026-01-16", "title": "Japan and Italy"}
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["articles"][0]["title"] == "Japan and Italy"
    events = table(writer.get("/api/v1/news/events?country=ITA"))
    assert (
        len(events) >= 1 and "agreement" in set(events["event_type"]) and "2026-01-16" in set(events["date"])
    )
    art = writer.get(f"/api/v1/news/articles/{doc['articles'][0]['article_id']}").json()
    assert art["text"].startswith("Japanese Prime Minister")
    eid = events["event_id"].iloc[0]
    r = writer.post(f"/api/v1/news/events/{eid}/review", json={"accept": True})
    assert r.status_code == 200 and r.json()["review_status"] == "accepted"
    assert writer.post("/api/v1/news/articles", json={}).status_code == 422  # text or url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/api/v1/commodities",
        "http://localhost/",
        "http://10.1.2.3/feed",
        "http://[::1]/",
        "file:///etc/passwd",
    ],
)
def test_news_urls_to_private_addresses_are_never_fetched(writer, url):
    r = writer.post("/api/v1/news/articles", json={"url": url})
    assert r.status_code == 422
    assert r.json()["error"] == "unsafe_url" and "refusing" in r.json()["message"]


# -- compute ----------------------------------------------------------------------------------------------
def test_a_restriction_scenario_is_the_python_result(client, ds):
    from critmin.scenarios import restrict

    body = {
        "commodity": "rare_earths",
        "stage": "refined",
        "year": 2023,
        "by": ["CHN"],
        "targets": ["JPN"],
        "stocks": {"Japan": 60},
    }
    r = client.post("/api/v1/scenarios/restrict", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    res = restrict(
        ds, by="CHN", commodity="rare_earths", stage="refined", year=2023, targets=["JPN"], stocks={"JPN": 60}
    )
    want = res.countries(affected_only=True)
    got = pd.DataFrame(doc["countries"])
    assert list(got["country"]) == list(want["country"])
    assert close(got["shortfall_tonnes"], want["shortfall_tonnes"])
    assert close(got["days_of_cover"].astype(float), want["days_of_cover"].replace([np.inf, -np.inf], np.nan))
    assert doc["world"]["shortfall_tonnes"] == pytest.approx(res.world()["shortfall_tonnes"], rel=1e-12)
    assert doc["world"]["source"] and doc["world"]["edition"]
    csv = csv_table(client.post("/api/v1/scenarios/restrict?format=csv", json=body))
    assert close(csv["shortfall_tonnes"], want["shortfall_tonnes"])


def test_a_sweep_is_the_python_result_for_the_same_seed(client, ds):
    from critmin.scenarios.montecarlo import sweep
    from critmin.scenarios.network import build_network

    body = {
        "commodity": "graphite",
        "stage": "mine",
        "year": 2023,
        "by": ["CHN"],
        "draws": 300,
        "seed": 7,
        "stocks": {"JPN": [30, 90]},
    }
    r = client.post("/api/v1/scenarios/sweep", json=body)
    assert r.status_code == 200, r.text
    got = pd.DataFrame(r.json()["summary"])
    net = build_network(ds, "graphite", "mine", 2023)
    want = sweep(
        net,
        draws=300,
        imposers=["CHN"],
        share=(0.5, 1.0),
        stocks={"JPN": (30.0, 90.0)},
        substitution=(0.0, 0.2),
        seed=7,
    ).summary()
    assert list(got["country"]) == list(want["country"])
    assert close(got["shortfall_p90_tonnes"], want["shortfall_p90_tonnes"])


def test_compute_is_bounded_in_draws_time_and_slots(store_path):
    tight = create_app(
        store_path, limits=Limits(max_draws=100, compute_seconds=1e-9, compute_wait_seconds=0.05)
    )
    with TestClient(tight, base_url=BASE) as c:
        r = c.post("/api/v1/scenarios/sweep", json={"by": ["CHN"], "commodity": "graphite", "draws": 500})
        assert r.status_code == 422 and "at most 100" in r.json()["message"]
        r = c.post("/api/v1/scenarios/sweep", json={"by": ["CHN"], "commodity": "graphite", "draws": 100})
        assert r.status_code == 503 and "limit" in r.json()["message"] and r.headers["retry-after"]
        with tight.state.service.compute_slot("a test holding the only slot"):
            r = c.post("/api/v1/optimize", json={"for": "JPN", "commodity": "graphite"})
        assert r.status_code == 429 and "busy" in r.json()["message"]
    too_many = TestClient(create_app(store_path), base_url=BASE).post(
        "/api/v1/scenarios/sweep", json={"draws": 1_000_000}
    )
    assert too_many.status_code == 422 and "draws" in too_many.json()["message"]


def test_optimisation_alone_and_pooled_are_the_python_results(client, ds):
    from critmin.optimize.sourcing import optimize_sourcing, pooled

    r = client.post(
        "/api/v1/optimize",
        json={
            "for": "JPN",
            "commodity": "rare_earths",
            "stage": "refined",
            "year": 2023,
            "partners": "G7,AUS",
        },
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    want = optimize_sourcing(ds, "JPN", "rare_earths", "refined", 2023, partners="G7,AUS")
    assert close(
        [doc["summary"]["risk_after"] if doc["summary"]["risk_after"] is not None else np.nan],
        [want.risk_after],
    )
    assert doc["summary"]["status"] == want.status
    assert doc["summary"]["binding"] == want.summary["binding"].iloc[0]
    assert doc["explanation"] == list(want.explanation)
    assert close(pd.DataFrame(doc["mix"])["optimised_tonnes"], want.mix["optimised_tonnes"])
    r = client.post(
        "/api/v1/optimize/pooled",
        json={"for": "JPN+ITA", "commodity": "rare_earths", "stage": "refined", "year": 2023},
    )
    got = pd.DataFrame(r.json()["data"])
    want = pooled(ds, "JPN+ITA", "rare_earths", "refined", 2023, partners="own")
    assert list(got["case"]) == list(want["case"])
    assert close(got["risk_after"], want["risk_after"])
    r = client.post("/api/v1/optimize/pooled", json={"for": "JPN", "commodity": "graphite"})
    assert r.status_code == 422 and "two or more members" in r.json()["message"]


def test_stockpile_sizing_is_the_python_result(client, ds):
    from critmin.optimize.stockpile import stockpile

    body = {"for": "JPN", "commodity": "gallium", "draws": 200, "coverage": 0.9}
    r = client.post("/api/v1/stockpile", json=body)
    assert r.status_code == 200, r.text
    want = stockpile(ds, "JPN", "gallium", draws=200, coverage=0.9)
    got = r.json()["summary"]
    assert (got["required_days"] is None and math.isnan(want.required_days)) or got[
        "required_days"
    ] == pytest.approx(want.required_days)
    assert close(pd.DataFrame(r.json()["curve"])["coverage"], want.curve["coverage"])
    # found by the schema tests: a year before any production data was a 500 (max() of nothing)
    r = client.post("/api/v1/stockpile", json={**body, "year": 1995})
    assert r.status_code == 404 and "in or before 1995" in r.json()["message"]


# -- small parts --------------------------------------------------------------------------------------------
def test_csv_cells_cannot_run_as_spreadsheet_formulas():
    from critmin.web.responses import frame_csv

    df = pd.DataFrame(
        {"title": ['=HYPERLINK("http://x")', "+1", "@SUM(A1)", "plain", None], "value": [-1.5, 2, 3, 4, 5]}
    )
    back = pd.read_csv(io.BytesIO(frame_csv(df)))
    # formula text is neutralised; a plain signed number ("+1") is a number, not a formula, and stays as it is
    assert list(back["title"][:4]) == ['\'=HYPERLINK("http://x")', "+1", "'@SUM(A1)", "plain"]
    assert back["value"].tolist() == [-1.5, 2, 3, 4, 5]  # numbers are numbers, minus signs kept


def test_the_response_cache_is_bounded():
    from critmin.web.service import Cached, ResponseCache

    cache = ResponseCache(max_entries=3, max_bytes=1_000)
    for i in range(5):
        cache.put(("k", i), Cached(200, b"x" * 100, "text/plain"))
    assert len(cache) == 3 and cache.get(("k", 0)) is None and cache.get(("k", 4)) is not None
    cache.put(("big",), Cached(200, b"x" * 900, "text/plain"))  # more than a quarter: not kept
    assert cache.get(("big",)) is None
    for i in range(3):
        cache.put(("m", i), Cached(200, b"x" * 240, "text/plain"))
    assert sum(len(cache.get(("m", i)).body) for i in range(3) if cache.get(("m", i))) <= 1_000


def test_parse_years_bounds_and_orders():
    from critmin.errors import UnknownValueError
    from critmin.web.params import parse_years

    assert parse_years("2019,2021-2022, 2019", 30) == [2019, 2021, 2022]
    assert parse_years(None, 30) is None and parse_years(" ", 30) is None
    for bad in ("2024-2018", "20x3", "1800", "2000-2040"):
        with pytest.raises(UnknownValueError):
            parse_years(bad, 30)


def test_figure_json_cannot_close_its_script_tag():
    from critmin.web.views.pages import figure_json

    text = str(
        figure_json({"data": [{"text": ["</script><script>alert(1)</script>", "a & b"]}], "x": float("nan")})
    )
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["data"][0]["text"][0] == "</script><script>alert(1)</script>"
    assert json.loads(text)["x"] is None


# -- the store, shared with other processes -----------------------------------------------------------------
def test_the_cli_can_write_while_the_server_runs_and_the_server_sees_it(tmp_store):
    import subprocess
    import sys

    with TestClient(create_app(tmp_store), base_url=BASE) as c:
        before = table(c.get("/api/v1/restrictions?imposer=ZAF"))
        assert before.empty
        r = subprocess.run(
            [sys.executable, "-m", "critmin.cli.main", "--db", str(tmp_store), "restrictions", "add",
             "--imposer", "ZAF", "--commodity", "manganese", "--type", "export_tax", "--effective", "2025-01-01"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        after = table(c.get("/api/v1/restrictions?imposer=ZAF"))
        assert list(after["commodities"]) == [["manganese"]]  # the cached empty answer was not reused


def test_a_store_held_by_a_writer_is_read_in_its_last_committed_state(tmp_store):
    """critmin writes on a copy of the store (copy-on-write): while another process holds the writer lock with
    an uncommitted change, the server answers from the last committed state, neither waiting nor failing."""
    import subprocess
    import sys

    code = (
        "import sys, time; from critmin.store import Store\n"
        f"s = Store({str(tmp_store)!r})\n"
        "with s.transaction() as con:\n"
        '    con.execute("DELETE FROM trade")\n'
        "    print('ok', flush=True); time.sleep(60)\n"
    )
    import critmin

    critmin.open(tmp_store).close()  # a store in use has been opened before (its derived tables are built)
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        with TestClient(create_app(tmp_store), base_url=BASE) as c:
            r = c.get("/api/v1/exposure?for=JPN&commodity=rare_earths&year=2023")
            assert r.status_code == 200, r.text
            assert (
                table(r)["import_value_kusd"].sum() > 0
            )  # the committed trade, not the deletion in progress
    finally:
        holder.kill()
        holder.wait()


# -- critmin serve ------------------------------------------------------------------------------------------
def test_serve_binds_loopback_read_only_and_checks_its_token(tmp_store, tmp_path):
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    short = tmp_path / "token"
    short.write_text("too-short\n")
    r = subprocess.run(
        [sys.executable, "-m", "critmin.cli.main", "--db", str(tmp_store), "serve", "--token-file", str(short)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2 and "at least 16 characters" in r.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**__import__("os").environ, "CRITMIN_TOKEN": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "critmin.cli.main", "--db", str(tmp_store), "serve", "--port", str(port), "--no-warm", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                body = json.loads(urllib.request.urlopen(base + "/api/v1/parties/JPN+ITA", timeout=5).read())
                break
            except OSError:
                time.sleep(0.1)
        assert body["members"] == ["ITA", "JPN"]
        listening = subprocess.run(["ss", "-ltn", f"sport = :{port}"], capture_output=True, text=True).stdout
        local = [line.split()[3] for line in listening.splitlines()[1:] if line.strip()]
        if local:  # iproute2 present: every listening socket of the port is on loopback
            assert all(a == f"127.0.0.1:{port}" for a in local), local
        req = urllib.request.Request(
            base + "/api/v1/restrictions",
            data=b"{}",
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 403
        req = urllib.request.Request(
            base + "/api/v1/commodities", headers={"Host": "critmin.attacker.example"}
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 400
    finally:
        proc.terminate()
        _out, errs = proc.communicate(timeout=30)
    assert "read-only on" in errs and f"127.0.0.1:{port}" in errs


def test_a_year_or_a_month_stands_for_its_last_day_wherever_a_date_is_asked(client):
    year = table(client.get("/api/v1/restrictions?in_force=2025"))
    assert list(year["id"]) == list(table(client.get("/api/v1/restrictions?in_force=2025-12-31"))["id"])
    month = table(client.get("/api/v1/blocs?as_of=2024-01"))
    assert len(month) == len(table(client.get("/api/v1/blocs?as_of=2024-01-31")))
    assert len(month) != len(table(client.get("/api/v1/blocs?as_of=2024-12-31")))  # MSP grew later in 2024
    assert client.get("/api/v1/news/events?since=2024&until=2026-06").status_code == 200
    r = client.get("/api/v1/restrictions?in_force=2025-02-30")
    assert r.status_code == 422 and r.json()["message"].startswith("unknown date '2025-02-30'")


def test_the_dashboard_counts_findings_as_the_briefing_does(ds):
    """The landing view's cards and findings count material imports only, as the briefing's text: Italy's
    USD 0.3 M of tungsten ore, 94% from China, is no finding on either."""
    from critmin.indicators.materiality import DEFAULT as material
    from critmin.report import _findings
    from critmin.web.dashboard import _trade_caption, exposure_cards, exposure_findings

    exp = ds.exposure("JPN,ITA,JPN+ITA", 2024)
    cards = exposure_cards(exp)
    for card, text, part in zip(
        cards, _findings(exp, "share_from_CHN"), (g for _, g in exp.groupby("party", sort=False)), strict=True
    ):
        n_china = int(card["lines"][1].split()[0])
        assert f"at least half of the import value of {n_china} of" in text, (card, text)
        ok = {
            f"{n.lower()} {s}"
            for n, s, v, m in zip(
                part["commodity_name"],
                part["stage"],
                part["import_value_kusd"],
                part["material"],
                strict=True,
            )
            if m and v >= material.min_value_kusd
        }
        line = next(f for f in exposure_findings(exp) if f.startswith(part["party_name"].iloc[0]))
        named = (
            [i.rsplit(" ", 1)[0] for i in line.split(" — ", 1)[-1].rstrip(".").split(", ")]
            if "—" in line
            else []
        )
        assert set(named) <= ok, (named, line)
    assert "tungsten mine" not in " ".join(exposure_findings(exp))
    assert "gross tonnes" not in _trade_caption(exp) and _trade_caption(exp).count("WMD 2026") == 1


# -- HEAD ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def live(store_copy, tmp_path_factory):
    """The app served by uvicorn on a free loopback port (a writable copy of the store, with the token), one
    news article posted."""
    import socket
    import threading
    import time
    import urllib.request

    uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed")
    path = store_copy(tmp_path_factory.mktemp("head") / "critmin.duckdb")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(path, token=TOKEN), log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(300):
        if srv.started:
            break
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    req = urllib.request.Request(
        base + "/api/v1/news/articles",
        data=json.dumps(
            {"text": "Japan and Italy agreed to cooperate on gallium supply.", "published": "2026-01-16"}
        ).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        article = json.loads(r.read())["articles"][0]["article_id"]
    yield {"port": port, "article": article}
    srv.should_exit = True
    thread.join(timeout=10)


def _ask(port: int, method: str, url: str, headers: dict | None = None, body: bytes | None = None):
    """(status, headers, body) of one request over a fresh connection (what a monitor or link checker does)."""
    import http.client

    con = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        con.request(method, url, body=body, headers=headers or {})
        r = con.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        con.close()


def test_every_get_page_and_api_route_answers_head_with_its_headers_and_no_body(live):
    port = live["port"]
    restriction = json.loads(_ask(port, "GET", "/api/v1/restrictions?limit=1")[2])["data"][0]["id"]
    # one URL per GET route of the API (its parameters filled); the test fails when a route is added untested
    api = {
        "/api/v1/commodities/{commodity}": "/api/v1/commodities/graphite",
        "/api/v1/parties/{spec}": "/api/v1/parties/JPN+ITA",
        "/api/v1/restrictions/{id}": f"/api/v1/restrictions/{restriction}",
        "/api/v1/news/articles/{article_id}": f"/api/v1/news/articles/{live['article']}",
        "/api/v1/production": "/api/v1/production?commodity=graphite&stage=mine",
        "/api/v1/exposure": "/api/v1/exposure?for=JPN&commodity=graphite",
        "/api/v1/bilateral": "/api/v1/bilateral?for=JPN&commodity=graphite",
        "/api/v1/trade": "/api/v1/trade?commodity=graphite&year=2023",
        "/api/v1/risk": "/api/v1/risk?for=JPN&commodity=graphite",
        "/api/v1/risk/matrix": "/api/v1/risk/matrix?for=JPN&commodity=graphite",
        "/api/v1/origin": "/api/v1/origin?for=JPN&commodity=graphite",
        "/api/v1/alignment": "/api/v1/alignment?for=JPN",
    }
    _, _, schema = _ask(port, "GET", "/api/v1/openapi.json")
    for path, ops in json.loads(schema)["paths"].items():
        if "get" in ops:
            api.setdefault(path, path)
    assert all("{" not in u for u in api.values()), api
    pages = ["/", "/profile", "/profile/JPN", "/mineral", "/mineral/graphite", "/scenario", "/sourcing",
             "/timeline", f"/news/{live['article']}", "/data", "/api", "/static/app.js"]  # fmt: skip
    for url in [*pages, *api.values(), "/api/v1/risk?for=JPN&commodity=graphite&format=csv"]:
        h_status, h_head, h_body = _ask(port, "HEAD", url)  # HEAD first: it runs the route, not a cached GET
        g_status, g_head, g_body = _ask(port, "GET", url)
        assert h_body == b"", url
        if g_status == 303:  # a form's redirect to its page ('/profile' → the default party's)
            assert h_status == 303 and h_head["location"] == g_head["location"], url
            continue
        assert (h_status, g_status) == (200, 200), (url, h_status, g_status)
        assert h_head["content-type"] == g_head["content-type"], url
        assert int(h_head["content-length"]) == len(g_body), url
        assert h_head.get("content-security-policy") == g_head.get("content-security-policy"), url
    # on the wire: the headers and not one byte after them (http.client would not read a HEAD's body)
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=60) as raw:
        raw.sendall(b"HEAD /api/v1/commodities HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b"".join(iter(lambda: raw.recv(65536), b""))
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and rest == b""
    # errors answer HEAD as GET does (status and headers, no body)
    for url in ("/nowhere", "/api/v1/commodities/unobtainium"):
        h_status, _, h_body = _ask(port, "HEAD", url)
        g_status, g_head, g_body = _ask(port, "GET", url)
        assert h_status == g_status >= 400 and h_body == b"" and g_body, url


def test_head_is_safe_writes_still_need_post_and_the_token(live):
    port = live["port"]
    # a write route answers HEAD as it answers GET: not allowed, nothing written
    before = json.loads(_ask(port, "GET", "/api/v1/restrictions?limit=1000")[2])["count"]
    restriction = json.loads(_ask(port, "GET", "/api/v1/restrictions?limit=1")[2])["data"][0]["id"]
    status, headers, body = _ask(port, "HEAD", f"/api/v1/restrictions/{restriction}/review")
    assert status == 405 and body == b"" and "POST" in headers.get("allow", "")
    assert json.loads(_ask(port, "GET", "/api/v1/restrictions?limit=1000")[2])["count"] == before
    status, _, _ = _ask(port, "POST", "/api/v1/restrictions", {"Content-Type": "application/json"}, b"{}")
    assert status == 403  # no token: refused as before
