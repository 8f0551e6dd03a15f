"""The parts of the policy watch: feeds file, polite fetching, scope rules, pure helpers, state, loop."""

from __future__ import annotations

import http.server
import threading
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.errors import CritminError, DataError, UnknownValueError
from critmin.news.fetch import HostRateLimit, fetch_url
from critmin.watch import parse_feeds, read_feeds
from critmin.watch.impact import hs_reaches, lhs_column, reaches, share_reached
from critmin.watch.run import parse_interval, signature
from critmin.watch.scope import MIN_SUPPLY_KUSD, skip_reason, top_suppliers, touches


# -- feeds file -------------------------------------------------------------------------------------------
def test_feeds_plain_text_with_names_comments_and_fragments():
    feeds = parse_feeds(
        "# watch list\n"
        "https://wire.example.org/feed.xml   Minerals   wire\n"
        "\n"
        "https://ministry.example.com/notes#latest  # the ministry\n"
    )
    assert [(f.url, f.name) for f in feeds] == [
        ("https://wire.example.org/feed.xml", "Minerals wire"),
        ("https://ministry.example.com/notes#latest", "ministry.example.com/notes"),
    ]


def test_feeds_yaml_with_kinds():
    feeds = parse_feeds(
        "feeds:\n  - https://a.example.org/rss\n  - url: https://b.example.org/page.html\n    kind: page\n"
        "    name: B page\n",
        path="f.yaml",
    )
    assert [(f.name, f.kind, f.parser_kind) for f in feeds] == [
        ("a.example.org/rss", "auto", "auto"),
        ("B page", "page", "html"),
    ]


@pytest.mark.parametrize(
    ("text", "path", "expect"),
    [
        ("https://a.example.org/x\nftp://b.example.org/y\n", "f.txt", "f.txt:2 [url]: refusing URL"),
        ("https://user:pw@a.example.org/x\n", "f.txt", "f.txt:1 [url]: refusing URL"),
        ("- url: https://a.example.org/x\n  kind: podcast\n", "f.yaml", "f.yaml:1 [kind]: unknown feed kind"),
        ("- url: https://a.example.org/x\n  every: 6h\n", "f.yaml", "f.yaml:1 [every]: unknown feed field"),
        ("https://a.example.org/x\nhttps://a.example.org/x/\n", "f.txt", "listed twice"),
        ("# nothing\n", "f.txt", "no feeds listed"),
        ("- url: [unclosed\n", "f.yaml", "invalid YAML"),
    ],
)
def test_feeds_file_errors_name_file_line_and_field(text, path, expect):
    with pytest.raises(DataError) as err:
        parse_feeds(text, path=path)
    assert expect in str(err.value)


def test_missing_feeds_file(tmp_path):
    with pytest.raises(DataError, match="feeds file not found"):
        read_feeds(tmp_path / "nope.txt")


# -- polite fetching ----------------------------------------------------------------------------------------
def test_rate_limit_waits_per_host():
    now = [100.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    rate = HostRateLimit(2.0, clock=lambda: now[0], sleep=sleep)
    assert rate.wait("a.example.org") == 0
    assert rate.wait("b.example.org") == 0  # another host: no wait
    now[0] += 0.5
    assert rate.wait("A.example.org") == pytest.approx(1.5)  # host names are case-insensitive
    assert rate.wait("a.example.org") == pytest.approx(2.0)
    assert slept == pytest.approx([1.5, 2.0])
    with pytest.raises(ValueError):
        HostRateLimit(-1)


class _Conditional(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        _Conditional.seen.append(dict(self.headers))
        if (
            self.headers.get("If-None-Match") == '"v1"'
            or self.headers.get("If-Modified-Since") == "Mon, 02 Mar 2026"
        ):
            self.send_response(304)
            self.end_headers()
            return
        body = b"<rss><channel><title>x</title></channel></rss>"
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", '"v1"')
        self.send_header("Last-Modified", "Mon, 02 Mar 2026")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def conditional_server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Conditional)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/feed"
    srv.shutdown()
    srv.server_close()


def test_conditional_get_returns_not_modified(conditional_server):
    local = ["127.0.0.1/32"]
    first = fetch_url(conditional_server, allow_networks=local)
    assert first.status == 200 and not first.not_modified
    assert (first.etag, first.last_modified) == ('"v1"', "Mon, 02 Mar 2026")
    again = fetch_url(conditional_server, allow_networks=local, etag=first.etag)
    assert again.not_modified and again.data == b"" and again.etag == '"v1"'
    by_date = fetch_url(conditional_server, allow_networks=local, last_modified=first.last_modified)
    assert by_date.not_modified and by_date.last_modified == "Mon, 02 Mar 2026"


def test_stored_validators_cannot_inject_headers(conditional_server):
    _Conditional.seen.clear()
    res = fetch_url(conditional_server, allow_networks=["127.0.0.1/32"], etag='"v1"\r\nX-Injected: 1')
    assert res.status == 200  # the bad validator was not sent
    assert "X-Injected" not in _Conditional.seen[-1] and "If-None-Match" not in _Conditional.seen[-1]


def test_loopback_still_refused_without_the_explicit_setting(conditional_server):
    from critmin.news.fetch import UnsafeURLError

    with pytest.raises(UnsafeURLError, match="loopback"):
        fetch_url(conditional_server, etag='"v1"')


# -- scope --------------------------------------------------------------------------------------------------
class _P:
    def __init__(self, label, members):
        self.label, self.members, self.name = label, tuple(members), label


PARTIES = [_P("JPN", ["JPN"]), _P("ITA", ["ITA"]), _P("JPN+ITA", ["JPN", "ITA"])]


def _imports():
    # JPN graphite: CHN 900, MDG 60, LKA 30, BRA 10 (kUSD → USD 0.9 m ...), so only CHN passes MIN_SUPPLY_KUSD
    rows = [
        ("JPN", "graphite", "mine", p, v)
        for p, v in (("CHN", 900e3), ("MDG", 60e3), ("LKA", 30e3), ("BRA", 0.5e3))
    ]
    rows += [("ITA", "graphite", "mine", p, v) for p, v in (("DEU", 5e3), ("CHN", 2e3))]
    return pd.DataFrame(rows, columns=["party", "commodity", "stage", "partner", "value_kusd"])


def test_top_suppliers_hand_computed():
    sup = top_suppliers(_imports())
    got = {(s.party, s.supplier): (s.rank, round(s.share, 6)) for s in sup}
    total_jpn = 900e3 + 60e3 + 30e3 + 0.5e3
    assert got == {
        ("JPN", "CHN"): (1, round(900e3 / total_jpn, 6)),
        ("JPN", "MDG"): (2, round(60e3 / total_jpn, 6)),
        ("JPN", "LKA"): (3, round(30e3 / total_jpn, 6)),
        ("ITA", "DEU"): (1, round(5e3 / 7e3, 6)),
        ("ITA", "CHN"): (2, round(2e3 / 7e3, 6)),
    }
    assert all(s.value_kusd >= MIN_SUPPLY_KUSD for s in sup)


def _event(**kw):
    base = {
        "event_type": "export_restriction",
        "initiator": [],
        "counterparts": [],
        "targets": [],
        "minerals": ["graphite"],
        "host_country": None,
        "salience": "main",
        "mineral_relevant": True,
    }
    return {**base, **kw}


def test_touches_named_and_through_a_top_supplier():
    sup = top_suppliers(_imports())
    eu = ("ITA", "DEU", "FRA")
    # a ban by Madagascar: Japan's second graphite supplier
    t = touches(_event(initiator=["MDG"]), PARTIES[:2], sup, eu)
    assert [(x.party, x.how, x.who) for x in t] == [("JPN", "supplier", "MDG")]
    # the same ban on rare earths touches nobody (Madagascar is not a rare-earth supplier here)
    assert touches(_event(initiator=["MDG"], minerals=["rare_earths"]), PARTIES, sup, eu) == []
    # a measure targeting the EU names Italy
    t = touches(_event(initiator=["CHN"], targets=["EUU"], counterparts=["EUU"]), PARTIES, sup, eu)
    assert {(x.party, x.how, x.role) for x in t} >= {
        ("ITA", "named", "target"),
        ("JPN+ITA", "named", "target"),
    }
    # for a restriction only the imposer acts: a target that supplies Japan does not make Japan touched
    assert (
        touches(_event(initiator=["USA"], targets=["MDG"], counterparts=["MDG"]), PARTIES[:1], sup, eu) == []
    )
    # for an agreement every party acts
    t = touches(_event(event_type="agreement", initiator=["USA"], counterparts=["MDG"]), PARTIES[:1], sup, eu)
    assert [(x.party, x.who) for x in t] == [("JPN", "MDG")]


def test_skip_reasons():
    assert skip_reason(_event()) is None
    assert "investment" in skip_reason(_event(event_type="investment"))
    assert skip_reason(_event(salience="background")).startswith("background")
    assert skip_reason(_event(mineral_relevant=False)) == "not about minerals"


# -- pure helpers -------------------------------------------------------------------------------------------
def test_hs_reaches_matches_the_heading():
    codes = ["250410", "250490", "380110"]
    assert hs_reaches(codes, []).tolist() == [True, True, True]
    assert hs_reaches(codes, ["2504.10"]).tolist() == [True, True, False]
    assert hs_reaches(codes, ["3801"]).tolist() == [False, False, True]


def test_reaches_and_share_hand_computed():
    member = np.array(["JPN", "JPN", "ITA", "ITA"])
    partner = np.array(["CHN", "MDG", "CHN", "CHN"])
    hs6 = np.array(["250410", "250410", "250490", "380110"])
    values = np.array([90.0, 6.0, 3.0, 1.0])
    to_japan = {"imposer": "CHN", "targets": ["JPN"], "hs_codes": [], "end_uses": None}
    everyone = {"imposer": "CHN", "targets": [], "hs_codes": ["2504"], "end_uses": None}
    military = {"imposer": "CHN", "targets": [], "hs_codes": [], "end_uses": "military end users"}
    assert reaches(to_japan, member, partner, hs6).tolist() == [True, False, False, False]
    assert reaches(everyone, member, partner, hs6).tolist() == [True, False, True, False]
    assert not reaches(military, member, partner, hs6).any()
    m = [reaches(r, member, partner, hs6) for r in (to_japan, everyone)]
    assert share_reached(values, m[:1]) == pytest.approx(0.90)
    assert share_reached(values, m) == pytest.approx(0.93)  # rows reached twice count once
    assert np.isnan(share_reached(np.zeros(4), m))


@given(st.integers(2, 400), st.text(min_size=1, max_size=20), st.integers(0, 2**31))
def test_lhs_column_has_one_point_per_stratum_and_is_keyed(n, key, seed):
    u = lhs_column(n, key, seed)
    assert sorted(np.floor(u * n).astype(int).tolist()) == list(range(n))
    assert np.array_equal(u, lhs_column(n, key, seed))


def test_lhs_columns_of_different_keys_differ():
    assert not np.array_equal(lhs_column(50, "a"), lhs_column(50, "b"))


def test_signature_is_the_measure_not_the_article():
    rec = {
        "imposer": "CHN",
        "commodities": ["graphite"],
        "targets": ["JPN"],
        "measure_type": "licence",
        "effective_date": "2026-03-01",
        "relaxes": [],
    }
    ev = {"event_type": "export_restriction"}
    assert signature(ev, rec) == signature(ev, dict(rec, id="other-article-record"))
    assert signature(ev, rec) != signature(ev, dict(rec, targets=[]))


@pytest.mark.parametrize(("text", "seconds"), [("6h", 21600), ("30m", 1800), ("1d", 86400), ("1h30m", 5400)])
def test_parse_interval(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["6", "fast", "30s", "6h then"])
def test_parse_interval_refuses(text):
    with pytest.raises(UnknownValueError):
        parse_interval(text)


# -- the loop -----------------------------------------------------------------------------------------------
def test_loop_runs_every_interval_and_survives_a_failed_run(monkeypatch, tmp_store, tmp_path):
    from critmin.watch import run as run_mod

    calls, errors, waits = [], [], []
    now = [0.0]

    def fake_run(ds, config, progress=None):
        calls.append(now[0])
        now[0] += 5.0  # a run takes 5 s
        if len(calls) == 2:
            raise CritminError("store locked")
        return run_mod.RunResult({"feeds": []}, {})

    def sleep(s):
        now[0] += s

    monkeypatch.setattr(run_mod, "run_once", fake_run)
    cfg = run_mod.WatchConfig(feeds=[], parties="JPN", out=tmp_path)
    done = run_mod.watch_loop(
        tmp_store,
        cfg,
        60.0,
        max_runs=3,
        sleep=sleep,
        clock=lambda: now[0],
        on_error=errors.append,
        on_wait=waits.append,
    )
    assert calls == [0.0, 60.0, 120.0]  # start to start
    assert done == 2 and [str(e) for e in errors] == ["store locked"]
    assert waits[0] == pytest.approx(55.0)


def test_one_run_per_store_at_a_time(tmp_path):
    from critmin.watch.run import store_lock

    db = tmp_path / "x.duckdb"
    with (
        store_lock(db),
        pytest.raises(CritminError, match="another critmin watch is running"),
        store_lock(db),
    ):
        pass
    with store_lock(db):  # released
        pass
