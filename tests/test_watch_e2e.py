"""End to end: a real HTTP server on 127.0.0.1 serves invented feeds whose items change between runs.

Loopback is refused by default; the watch reaches the test server only because the tests pass
``allow_networks=("127.0.0.1/32",)`` (``--allow-network 127.0.0.1/32``) — the explicit setting for a trusted
network. Feeds (``tests/fixtures/watch``): the wire (RSS, ETag), the ministry notes (Atom, Last-Modified) and
the agency bulletin, which fails with HTTP 500 on the first run and answers on the second.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from pathlib import Path

import pytest

pytest.importorskip("feedparser")
pytest.importorskip("jinja2")

from critmin.watch import Limits, WatchConfig, parse_feeds
from critmin.watch.run import run_once

FIXTURES = Path(__file__).parent / "fixtures" / "watch"
PARTIES = "JPN,ITA,JPN+ITA"
AS_OF = "2026-03-06"
LOCAL = ("127.0.0.1/32",)
pytestmark = pytest.mark.slow


class FeedServer:
    """Serves version ``run`` of each feed; records the validators each request carried."""

    def __init__(self):
        self.run = 1
        self.requests: list[tuple[str, str | None, str | None]] = []

    def files(self) -> dict[str, str | None]:
        v = min(self.run, 2)
        return {
            "/wire.xml": f"wire-{v}.xml",
            "/ministry.atom": f"ministry-{v}.atom",
            "/agency.xml": "agency-2.xml" if self.run >= 2 else None,
        }


def _handler(state: FeedServer):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            state.requests.append(
                (self.path, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"))
            )
            files = state.files()
            if self.path not in files:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            name = files[self.path]
            if name is None:
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = (FIXTURES / name).read_bytes()
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            modified = "Wed, 04 Mar 2026 11:00:00 GMT" if state.run >= 2 else "Fri, 13 Feb 2026 10:00:00 GMT"
            if self.path == "/wire.xml" and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            if self.path == "/ministry.atom" and self.headers.get("If-Modified-Since") == modified:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            ctype = "application/atom+xml" if name.endswith(".atom") else "application/rss+xml; charset=utf-8"
            self.send_header("Content-Type", ctype)
            if self.path == "/wire.xml":
                self.send_header("ETag", etag)
            if self.path == "/ministry.atom":
                self.send_header("Last-Modified", modified)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture(scope="module")
def server():
    state = FeedServer()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{srv.server_address[1]}"
    yield state
    srv.shutdown()
    srv.server_close()


def _feeds(base: str):
    text = f"""# the watch's feeds (invented test fixtures)
{base}/wire.xml       Minerals Policy Wire
{base}/ministry.atom  Industry Ministry Notes
{base}/agency.xml     Resource Agency Bulletin
"""
    return parse_feeds(text, path="feeds.txt")


def _config(server, out: Path) -> WatchConfig:
    return WatchConfig(
        feeds=_feeds(server.base),
        parties=PARTIES,
        out=out,
        limits=Limits(timeout_s=5, min_interval_s=0.02, allow_networks=LOCAL),
        draws=8,
        as_of=AS_OF,
    )


@pytest.fixture(scope="module")
def runs(server, tmp_path_factory, store_copy):
    """Three runs on one store: feeds version 1, version 2, version 2 again after a restart."""
    import critmin

    root = tmp_path_factory.mktemp("watch-e2e")
    db = store_copy(root / "critmin.duckdb")
    out = root / "digests"
    ds = critmin.open(db)
    server.run = 1
    first = run_once(ds, _config(server, out))
    server.run = 2
    n_requests = len(server.requests)
    second = run_once(ds, _config(server, out))
    second_requests = server.requests[n_requests:]
    ds.close()
    restarted = critmin.open(db)  # a new process would open the store afresh
    third = run_once(restarted, _config(server, out))
    restarted.close()
    return {
        "db": db,
        "out": out,
        "first": first,
        "second": second,
        "third": third,
        "second_requests": second_requests,
    }


def _entry(digest: dict, event_type: str, initiator: str) -> dict:
    hits = [e for e in digest["entries"] if e["event_type"] == event_type and initiator in e["initiator"]]
    assert len(hits) == 1, [e["headline"] for e in digest["entries"]]
    return hits[0]


def _links(items) -> set[str]:
    return {i["link"] for i in items}


def test_first_digest_reports_the_measures_and_the_failing_feed(runs):
    d = runs["first"].digest
    status = {f["name"]: f["status"] for f in d["feeds"]}
    assert status == {
        "Minerals Policy Wire": "ok",
        "Industry Ministry Notes": "ok",
        "Resource Agency Bulletin": "failed",
    }
    failed = next(f for f in d["feeds"] if f["status"] == "failed")
    assert "HTTP 500" in failed["error"] and failed["retry"]
    kinds = sorted((e["event_type"], tuple(e["initiator"])) for e in d["entries"])
    assert kinds == [("agreement", ("JPN",)), ("export_restriction", ("CHN",)), ("stockpile", ("ITA",))]
    # newest first
    dates = [e["date"] or e["published"] for e in d["entries"]]
    assert dates == sorted(dates, reverse=True)
    md = Path(runs["first"].paths["md"]).read_text()
    assert "Resource Agency Bulletin" in md and "HTTP 500" in md


def test_a_measure_on_japans_graphite_changes_japans_numbers(runs, ds):
    e = _entry(runs["first"].digest, "export_restriction", "CHN")
    assert e["targets"] == ["JPN"] and "graphite" in e["minerals"]
    assert e["record"]["table"] == "restrictions" and e["record"]["reviewed"] is False
    assert "critmin news review --accept" in Path(runs["first"].paths["md"]).read_text()
    jpn = {c["quantity"]: c for c in e["changes"] if c["party"] == "JPN" and c["commodity"] == "graphite"}
    # the share of Japan's graphite imports the new measure reaches is China's share, from the trade table
    imp = ds.bilateral("JPN", "graphite", 2023, stage="mine")
    china = imp.loc[imp["partner"] == "CHN", "value_kusd"].sum() / imp["value_kusd"].sum()
    assert jpn["imports_under_new_measure"]["with"] == pytest.approx(china, rel=1e-9)
    # the measure stacks on China's 2023 graphite licence: Japan's scenario shortfall rises, its cover falls
    short = jpn["shortfall_p50_tonnes"]
    assert short["changed"] and short["with"] > short["without"] > 0
    days = jpn["days_of_cover_p50"]
    assert days["with"] < days["without"]
    assert "Marchand" in short["provenance"] and "BACI" in jpn["imports_under_new_measure"]["provenance"]
    # Italy is not a target: the entry touches JPN (and the JPN+ITA bloc), not ITA alone
    assert {t["party"] for t in e["touches"]} == {"JPN", "JPN+ITA"}


def test_distractors_yield_no_entry_but_a_line_each(runs):
    d1, d2 = runs["first"].digest, runs["second"].digest
    titles = [e["title"] for d in (d1, d2) for e in d["entries"]]
    for distractor in ("Lithium prices slip", "Mining conference", "Zimbabwe bans raw lithium"):
        assert not any(distractor in (t or "") for t in titles)
    reasons = {s["item"]: s["reason"] for d in (d1, d2) for s in d["skipped"]}
    assert any("Lithium prices" in k and v == "no event extracted" for k, v in reasons.items())
    zwe = [v for k, v in reasons.items() if "Zimbabwe" in k]
    assert zwe and "touches none of JPN, ITA, JPN+ITA" in zwe[0]


def test_second_digest_has_exactly_the_new_items(runs):
    d1, d2 = runs["first"].digest, runs["second"].digest
    new_links = _links(d2["items"])
    assert new_links == {
        "https://wire.example.org/2026/03/03/vietnam-rare-earth-quotas",
        "https://wire.example.org/2026/03/02/zimbabwe-lithium-ore",
        "https://ministry.example.com/notes/2026-03-04-brazil",
        "https://agency.example.org/bulletin/2026-03-05-madagascar",  # the failed feed, retried
    }
    assert not new_links & _links(d1["items"])
    assert d2["counts"]["already_seen"] == 5
    kinds = sorted((e["event_type"], tuple(e["initiator"])) for e in d2["entries"])
    assert kinds == [
        ("agreement", ("ITA",)),
        ("export_restriction", ("MDG",)),
        ("export_restriction", ("VNM",)),
    ]
    assert {e["url"] for e in d2["entries"]} <= new_links
    assert all(f["status"] == "ok" for f in d2["feeds"])
    # Madagascar, Japan's second graphite supplier, touches Japan through its supply
    mdg = _entry(d2, "export_restriction", "MDG")
    how = [t for t in mdg["touches"] if t["party"] == "JPN"]
    assert how and how[0]["how"] == "supplier" and how[0]["who"] == "MDG"


def test_feeds_are_fetched_with_their_validators(runs):
    reqs = {path: (etag, modified) for path, etag, modified in runs["second_requests"]}
    assert reqs["/wire.xml"][0] and reqs["/wire.xml"][0].startswith('"')
    assert reqs["/ministry.atom"][1] == "Fri, 13 Feb 2026 10:00:00 GMT"
    assert reqs["/agency.xml"] == (None, None)  # never answered before: nothing to validate


def test_a_restart_repeats_nothing_and_unchanged_feeds_are_not_modified(runs):
    d3 = runs["third"].digest
    assert d3["entries"] == [] and d3["items"] == []
    status = {f["name"]: f["status"] for f in d3["feeds"]}
    assert status["Minerals Policy Wire"] == "not_modified"
    assert status["Industry Ministry Notes"] == "not_modified"
    assert status["Resource Agency Bulletin"] == "ok"  # no validators: read again, its item already seen
    assert d3["counts"]["already_seen"] == 1


def test_state_and_digests_are_in_the_store(runs):
    from critmin.store import Store
    from critmin.watch import state

    with Store(runs["db"]) as st:
        stored = state.digests(st, PARTIES)
        assert [d["digest_id"] for d in stored] == [
            runs[k].digest["digest_id"] for k in ("third", "second", "first")
        ]
        n_items = st.con.execute("SELECT count(*) FROM watch_items").fetchall()[0][0]
        assert n_items == 9
        feeds = st.con.execute(
            "SELECT url, last_status, consecutive_failures, etag IS NOT NULL, last_modified FROM watch_feeds ORDER BY url"
        ).fetchall()
    by = {u.rsplit("/", 1)[1]: rest for u, *rest in feeds}
    assert by["wire.xml"][0] == "not_modified" and by["wire.xml"][2]
    assert by["ministry.atom"][3] == "Wed, 04 Mar 2026 11:00:00 GMT"
    assert by["agency.xml"][:2] == ["ok", 0]


def test_lost_digest_files_are_written_again(runs):
    from critmin.store import Store
    from critmin.watch.run import catch_up

    first = runs["first"]
    Path(first.paths["json"]).unlink()
    Path(first.paths["html"]).unlink()
    cfg = WatchConfig(feeds=[], parties=PARTIES, out=runs["out"])
    with Store(runs["db"]) as st:
        written = catch_up(st, cfg)
    assert Path(first.paths["json"]) in written
    assert json.loads(Path(first.paths["json"]).read_text()) == first.digest
    # latest.* still show the newest run
    assert (
        json.loads((runs["out"] / "latest.json").read_text())["digest_id"]
        == runs["third"].digest["digest_id"]
    )


def test_a_run_that_dies_before_committing_misses_nothing(server, tmp_path, monkeypatch, store_copy):
    import critmin
    from critmin.watch import run as run_mod

    db = store_copy(tmp_path / "critmin.duckdb")
    server.run = 2
    ds = critmin.open(db)
    cfg = _config(server, tmp_path / "out")
    cfg.feeds = [f for f in cfg.feeds if f.name == "Resource Agency Bulletin"]

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(run_mod, "commit_run", boom)
    with pytest.raises(OSError):
        run_once(ds, cfg)
    monkeypatch.undo()
    res = run_once(ds, cfg)
    assert [e["event_type"] for e in res.digest["entries"]] == ["export_restriction"]
    assert res.digest["counts"]["already_seen"] == 0
    ds.close()


def test_cli_once_writes_the_digest_and_prints_a_summary(server, tmp_path, store_copy):
    from typer.testing import CliRunner

    from critmin.cli.main import app

    db = store_copy(tmp_path / "critmin.duckdb")
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{server.base}/wire.xml Minerals Policy Wire\n{server.base}/nowhere.xml Gone\n")
    server.run = 1
    args = [
        "--db",
        str(db),
        "watch",
        "--feeds",
        str(feeds),
        "--for",
        PARTIES,
        "--once",
        "--out",
        str(tmp_path / "out"),
        "--allow-network",
        "127.0.0.1/32",
        "--as-of",
        AS_OF,
        "--draws",
        "4",
        "--min-interval",
        "0.02",
    ]
    res = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert "FAILED Gone" in res.output and "HTTP 404" in res.output
    assert "China: export licence requirement on graphite to Japan" in res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    assert (tmp_path / "out" / "latest.html").exists()
    # loopback is refused without the explicit setting: every feed fails, exit code 1
    res = CliRunner().invoke(app, [a for a in args if a not in ("--allow-network", "127.0.0.1/32")])
    assert res.exit_code == 1 and "loopback" in res.output
