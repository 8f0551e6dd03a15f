"""The digest of a run over fixture feeds: JSON, Markdown and HTML, with hostile text escaped everywhere.

The HTML of this run is kept as a test artefact in ``out/test-artefacts/watch/`` (or
``$CRITMIN_TEST_ARTEFACTS/watch``) to be looked at; with ``CRITMIN_TEST_SCREENSHOTS=1`` and Chromium
installed the test also takes a screenshot of it (headless, no network).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("feedparser")
pytest.importorskip("jinja2")

from critmin.news.text import parse_bytes
from critmin.watch import Feed, WatchConfig
from critmin.watch import run as run_mod
from critmin.watch.digest import md_escape, md_link, render_html, render_markdown, safe_url
from critmin.watch.poll import FeedResult

FIXTURES = Path(__file__).parent / "fixtures" / "watch"
REPO = Path(__file__).resolve().parents[1]
ARTEFACTS = Path(os.environ.get("CRITMIN_TEST_ARTEFACTS", REPO / "out" / "test-artefacts")) / "watch"


def _fake_poll(names):
    def poll_all(feeds, states, limits, progress=None):
        out = []
        for feed, name in zip(feeds, names, strict=True):
            data = (FIXTURES / name).read_bytes()
            res = FeedResult(
                feed, "ok", 200, articles=parse_bytes(data, name=feed.url, url=feed.url), bytes=len(data)
            )
            out.append(res)
            if progress:
                progress(feed, res)
        return out

    return poll_all


@pytest.fixture(scope="module")
def digest_run(tmp_path_factory, store_copy):
    import critmin

    root = tmp_path_factory.mktemp("watch-digest")
    db = store_copy(root / "critmin.duckdb")
    feeds = [
        Feed("https://wire.example.org/rss", "Minerals Policy Wire"),
        Feed("https://ministry.example.com/notes.atom", "Industry Ministry Notes"),
        Feed("https://hostile.example.org/rss", "Hostile <b>feed</b>"),
        Feed("https://compliance.example.org/rss", "Trade Compliance Digest"),
    ]
    mp = pytest.MonkeyPatch()
    mp.setattr(
        run_mod, "poll_all", _fake_poll(["wire-1.xml", "ministry-1.atom", "hostile.xml", "mirror.xml"])
    )
    ds = critmin.open(db)
    try:
        res = run_mod.run_once(
            ds, WatchConfig(feeds, "JPN,ITA,JPN+ITA", out=root / "out", draws=8, as_of="2026-03-06")
        )
    finally:
        mp.undo()
        ds.close()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(res.paths["html"], ARTEFACTS / "digest.html")
    shutil.copy(res.paths["md"], ARTEFACTS / "digest.md")
    return res


def test_json_digest_is_self_describing(digest_run):
    d = json.loads(Path(digest_run.paths["json"]).read_text())
    assert d == digest_run.digest
    assert d["schema"] == "critmin-watch-digest/1" and d["as_of"] == "2026-03-06" and d["year"] == 2023
    for e in d["entries"]:
        assert e["evidence"] and e["touches"] and e["changes"]
        for ch in e["changes"]:
            assert ch["text"] and ("unit" in ch)
            if ch["kind"] != "context":
                assert ch["provenance"], ch
    assert {p["label"] for p in d["parties"]} == {"JPN", "ITA", "JPN+ITA"}
    latest = json.loads((Path(digest_run.paths["json"]).parent / "latest.json").read_text())
    assert latest["digest_id"] == d["digest_id"]


def test_hostile_item_is_an_entry_but_its_markup_never_runs(digest_run):
    d = digest_run.digest
    hostile = [e for e in d["entries"] if e["feed"] == "Hostile <b>feed</b>"]
    assert hostile, [e["headline"] for e in d["entries"]]
    html = Path(digest_run.paths["html"]).read_text()
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "<script" not in html.lower()
    assert re.search(r"<[^>]+\son\w+\s*=", html) is None  # no event-handler attribute
    assert 'href="javascript' not in html.lower()
    assert "<img" not in html and "<iframe" not in html
    # the publisher's and the feed's names arrive with markup: shown as text
    assert "Hostile &lt;script&gt;alert(1)&lt;/script&gt; Feed" in html
    assert "Hostile &lt;b&gt;feed&lt;/b&gt;" in html
    assert hostile[0]["url"] == "javascript:alert(4)" and "alert(4)" not in html  # not a link, not shown
    md = Path(digest_run.paths["md"]).read_text()
    assert re.search(r"(?<!\\)\]\(javascript", md) is None  # "](" only escaped: never a link
    assert re.search(r"(?<!\\)<(script|img|iframe|b)", md) is None
    assert "\\[click\\]" in md


def test_markdown_and_html_list_the_same_entries_newest_first(digest_run):
    d = digest_run.digest
    md, html = render_markdown(d), render_html(d)
    heads = [e["headline"] for e in d["entries"]]
    assert [h for h in heads if md_escape(h) in md] == heads
    pos = [html.index(f"{i}. ") for i in range(1, len(heads) + 1)]
    assert pos == sorted(pos)
    dates = [e["date"] or e["published"] for e in d["entries"]]
    assert dates == sorted(dates, reverse=True)


def test_html_artefact_and_screenshot(digest_run):
    page = ARTEFACTS / "digest.html"
    assert page.exists() and page.stat().st_size > 2000
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if os.environ.get("CRITMIN_TEST_SCREENSHOTS") != "1" or not chromium:
        pytest.skip("screenshot only with CRITMIN_TEST_SCREENSHOTS=1 and Chromium installed")
    shot = ARTEFACTS / "digest.png"
    profile = ARTEFACTS / "chromium-profile"
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1100,2400",
        f"--screenshot={shot}",
        page.as_uri(),
    ]
    subprocess.run(cmd, check=True, timeout=120, capture_output=True)
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://wire.example.org/a?b=1", True),
        ("http://x.example.org/", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//evil.example/x", False),
        ("https://x.example.org/a b<c>", True),
        (None, False),
    ],
)
def test_safe_url(url, ok):
    got = safe_url(url)
    assert (got is not None) == ok
    if got:
        assert not set(got) & set(" <>\"'")


def test_markdown_escapes_syntax_but_keeps_words_readable():
    assert (
        md_escape("rare_earths [x](javascript:y) *b* <i>")
        == "rare_earths \\[x\\](javascript:y) \\*b\\* \\<i\\>"
    )
    assert md_escape("# not a heading") == "\\# not a heading"
    assert md_escape("line\nbreak\x1b[31m") == "line break"
    assert md_link("t", "javascript:alert(1)") == "t"
    assert md_link("t", "https://a.example.org/x y") == "[t](<https://a.example.org/x%20y>)"


def test_one_measure_in_two_outlets_is_one_entry_with_both_sources(digest_run):
    d = digest_run.digest
    licences = [e for e in d["entries"] if e["measure_type"] == "licence" and e["initiator"] == ["CHN"]]
    assert len(licences) == 1
    [e] = licences
    sources = {e["url"], *(o["url"] for o in e["also_reported_by"])}
    assert sources == {
        "https://wire.example.org/2026/02/10/graphite-licences-japan",
        "https://compliance.example.org/2026/02/10/graphite-japan",
    }
    assert "Also reported by" in Path(digest_run.paths["md"]).read_text()
    outcomes = {i["link"]: i["outcome"] for i in d["items"]}
    assert outcomes["https://compliance.example.org/2026/02/10/graphite-japan"] == "entry"
