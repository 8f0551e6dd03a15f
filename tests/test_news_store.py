"""Storing news, linking events to the registries, review, and the ``critmin news`` commands."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from critmin.errors import UnknownValueError
from critmin.news import store as news_store
from critmin.news.linking import review
from critmin.news.text import parse_bytes
from critmin.store import Store

# written for these tests (fictional events)
TEXT = (
    "Chile and South Korea agreed on Monday to elevate their ties to a comprehensive strategic partnership.\n"
    "The two countries also signed a memorandum of understanding on lithium supply chains.\n"
    "Separately, Zimbabwe banned exports of raw lithium ore on Tuesday, the mines ministry said.\n"
    "Analysts said lithium prices could rise.\n"
)
PUB = "2025-03-05"


def _q(fn, path, *args, **kw):
    """Run a query on a short-lived Store and close it (DuckDB refuses a writer while a reader is open)."""
    st = Store(path)
    try:
        return fn(st, *args, **kw)
    finally:
        st.close()


def _ingest(path, text=TEXT, published=PUB, **kw):
    # one Store object per test: DuckDB refuses a writer while another read-only connection is open
    store = path if isinstance(path, Store) else Store(path)
    try:
        return news_store.ingest_articles(
            store, parse_bytes(text.encode(), name="t.txt", published=published), **kw
        )
    finally:
        if store is not path:
            store.close()


def test_ingest_stores_articles_and_events_and_is_idempotent(tmp_store):
    report = _ingest(tmp_store)
    assert [a["status"] for a in report.articles] == ["new"]
    df = _q(news_store.events, tmp_store)
    assert sorted(df["event_type"]) == ["agreement", "export_restriction", "partnership_upgrade"]
    restriction = df[df["event_type"] == "export_restriction"].iloc[0]
    assert restriction["initiator"] == ["ZWE"] and restriction["date"] == "2025-03-04"
    assert restriction["evidence"] in TEXT and restriction["title"] is None
    again = _ingest(tmp_store)
    assert [a["status"] for a in again.articles] == ["unchanged"]
    assert len(_q(news_store.events, tmp_store)) == 3
    assert len(_q(news_store.articles, tmp_store)) == 1


def test_a_publication_date_given_later_is_recorded_and_dates_resolved(tmp_store):
    _ingest(tmp_store, published=None)
    assert _q(news_store.events, tmp_store)["date"].isna().all()
    report = _ingest(tmp_store)
    assert [a["status"] for a in report.articles] == ["updated"]
    assert set(_q(news_store.events, tmp_store)["date"]) == {"2025-03-03", "2025-03-04"}


def test_links_are_unreviewed_proposals_until_accepted(tmp_store):
    from critmin.reference import partnerships as pt
    from critmin.scenarios import registry

    st = Store(tmp_store)
    report = _ingest(st)
    notes = {ln["event_id"]: ln for ln in report.links}
    assert all(ln["table"] in ("restrictions", "partnerships") for ln in notes.values())
    rec = registry.restrictions(st, include_unreviewed=True, imposer="ZWE")
    news_rec = rec[rec["source"] == "news"]
    assert len(news_rec) == 1
    r = news_rec.iloc[0]
    assert (r["commodities"], r["measure_type"], r["announced_date"], r["reviewed"]) == (
        ["lithium"],
        "ban",
        "2025-03-04",
        False,
    )
    assert r["evidence"] in TEXT and r["article_id"]
    assert registry.restrictions(st, imposer="ZWE").query("source == 'news'").empty  # unreviewed: hidden
    parts = pt.partnerships(st, country="CHL", include_unreviewed=True)
    news_parts = parts[parts["source"] == "news"]
    assert sorted(news_parts["level"]) == ["MoU", "comprehensive strategic"]
    assert pt.partnerships(st, country="CHL").query("source == 'news'").empty

    ev = news_store.events(st, event_type="export_restriction").iloc[0]
    row = review(st, ev["event_id"], True)
    assert row["review_status"] == "accepted"
    assert len(registry.restrictions(st, imposer="ZWE").query("source == 'news'")) == 1

    upgrade = news_store.events(st, event_type="partnership_upgrade").iloc[0]
    review(st, upgrade["linked_id"], False)  # by record id
    parts = pt.partnerships(st, country="CHL", include_unreviewed=True)
    assert "comprehensive strategic" not in set(parts["level"])
    statuses = dict(zip(*news_store.events(st)[["event_type", "review_status"]].T.values, strict=True))
    assert statuses == {
        "export_restriction": "accepted",
        "partnership_upgrade": "rejected",
        "agreement": "pending",
    }


def test_relinking_the_same_article_does_not_duplicate_records(tmp_store):
    from critmin.scenarios import registry

    _ingest(tmp_store)
    _q(news_store.reextract, tmp_store)
    recs = _q(registry.restrictions, tmp_store, include_unreviewed=True, imposer="ZWE")
    assert len(recs[recs["source"] == "news"]) == 1
    assert len(_q(news_store.events, tmp_store)) == 3


def test_event_filters(tmp_store):
    _ingest(tmp_store)
    st = Store(tmp_store)
    assert len(news_store.events(st, since="2025-03-04")) == 1
    assert len(news_store.events(st, until="2025-03-03")) == 2
    assert len(news_store.events(st, country="Korea")) == 2
    assert len(news_store.events(st, country="ZWE", mineral="Li")) == 1
    assert news_store.events(st, since="2026-01-01").empty
    with pytest.raises(UnknownValueError, match="event type"):
        news_store.events(st, event_type="ban")
    with pytest.raises(UnknownValueError, match="news event id"):
        review(st, "no-such-event", True)


def test_empty_store_has_no_events(tmp_store):
    assert _q(news_store.events, tmp_store).empty
    assert _q(news_store.articles, tmp_store).empty


# -- the CLI -------------------------------------------------------------------------------------------------
def _cli(args, db):
    from critmin.cli.main import app

    return CliRunner().invoke(app, ["--db", str(db), *args], env={"COLUMNS": "400"})


def test_cli_ingest_events_and_review(tmp_store, tmp_path):
    src = tmp_path / "news.txt"
    src.write_text(TEXT, encoding="utf-8")
    res = _cli(["news", "ingest", str(src), "--published", PUB], tmp_store)
    assert res.exit_code == 0, res.output
    assert "3 event(s) extracted" in res.output and "partnership_upgrade" in res.output
    res = _cli(["news", "events", "--since", "2025-01-01", "--type", "export_restriction"], tmp_store)
    assert res.exit_code == 0 and "ZWE" in res.output and "CHL" not in res.output
    out = tmp_path / "events.csv"
    res = _cli(["news", "events", "--out", str(out)], tmp_store)
    assert res.exit_code == 0 and out.read_text().count("\n") == 4
    event_id = _q(news_store.events, tmp_store, event_type="export_restriction").iloc[0]["event_id"]
    res = _cli(["news", "review"], tmp_store)
    assert "3 proposal(s) awaiting review" in res.output
    res = _cli(["news", "review", "--accept", event_id], tmp_store)
    assert res.exit_code == 0 and f"accepted {event_id}" in res.output
    res = _cli(["news", "review"], tmp_store)
    assert "2 proposal(s) awaiting review" in res.output
    res = _cli(["news", "articles"], tmp_store)
    assert res.exit_code == 0 and "1 article(s)" in res.output


def test_cli_rejects_bad_input_with_clear_errors(tmp_store, tmp_path, capsys):
    from critmin.cli.main import main

    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"%PDF-1.5 binary")
    for args, message in (
        (["news", "ingest", str(bad)], "binary input (PDF)"),
        (["news", "ingest", str(tmp_path / "missing.txt")], "file not found"),
        (["news", "ingest", str(bad), "--published", "yesterday"], "YYYY-MM-DD"),
        (["news", "ingest", "http://127.0.0.1:9/feed"], "refusing"),
        (["news", "events", "--type", "ban"], "unknown event type"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(["--db", str(tmp_store), *args])
        assert exc.value.code == 2, args
        assert message in " ".join(capsys.readouterr().err.split()), args


def test_untrusted_text_is_never_rendered_as_markup_or_escapes(tmp_store, tmp_path):
    hostile = (
        "[/] Breaking [link=http://evil]news[/link]\n\n"
        "China banned exports of gallium [bold red]PWNED[/bold red] <script>alert(1)</script> "
        "\x1b[2J\x1b]0;title\x07 to the United States on Tuesday.\n"
    )
    src = tmp_path / "hostile.txt"
    src.write_bytes(hostile.encode())
    res = _cli(["news", "ingest", str(src), "--published", "2024-12-04"], tmp_store)
    assert res.exit_code == 0, res.output
    assert "[bold red]PWNED[/bold red]" in res.output  # shown literally, not interpreted
    assert "\x1b" not in res.output and "\x07" not in res.output
    stored = _q(news_store.articles, tmp_store)
    art = _q(news_store.article, tmp_store, stored.iloc[0]["article_id"])
    assert "\x1b" not in art["text"] and "<script>" in art["text"]  # stored as plain text, never as HTML
    res = _cli(["news", "show", art["article_id"][:8]], tmp_store)
    assert res.exit_code == 0 and "[bold red]PWNED[/bold red]" in res.output


def test_cli_extract_dry_run_stores_nothing(tmp_store, tmp_path):
    src = tmp_path / "news.txt"
    src.write_text(TEXT, encoding="utf-8")
    res = _cli(["news", "extract", str(src), "--published", PUB, "--explain"], tmp_store)
    assert res.exit_code == 0 and "3 event(s)" in res.output
    assert _q(news_store.events, tmp_store).empty


def test_cli_interactive_review(tmp_store, tmp_path):
    from critmin.cli.main import app

    src = tmp_path / "news.txt"
    src.write_text(TEXT, encoding="utf-8")
    assert _cli(["news", "ingest", str(src), "--published", PUB], tmp_store).exit_code == 0
    res = CliRunner().invoke(
        app,
        ["--db", str(tmp_store), "news", "review", "--interactive"],
        input="a\nr\ns\n",
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    statuses = sorted(_q(news_store.events, tmp_store)["review_status"])
    assert statuses == ["accepted", "pending", "rejected"]


def test_cli_events_as_json_and_csv_on_stdout_with_list_fields_as_lists(tmp_store, tmp_path):
    import csv
    import io
    import json

    src = tmp_path / "news.txt"
    src.write_text(TEXT, encoding="utf-8")
    assert _cli(["news", "ingest", str(src), "--published", PUB], tmp_store).exit_code == 0
    res = _cli(["news", "events", "--format", "json"], tmp_store)
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 3
    ban = next(r for r in rows if r["event_type"] == "export_restriction")
    assert ban["initiator"] == ["ZWE"] and ban["minerals"] == ["lithium"] and ban["targets"] == []
    res = _cli(["news", "events", "--format", "csv", "--type", "export_restriction"], tmp_store)
    assert res.exit_code == 0, res.output
    (row,) = list(csv.DictReader(io.StringIO(res.stdout)))
    assert json.loads(row["initiator"]) == ["ZWE"] and json.loads(row["minerals"]) == ["lithium"]
    assert row["date"] == "2025-03-04"


def test_cli_publication_month_then_day(tmp_store, tmp_path):
    src = tmp_path / "news.txt"
    src.write_text(TEXT, encoding="utf-8")
    assert _cli(["news", "ingest", str(src), "--published", "2025-03"], tmp_store).exit_code == 0
    assert _q(news_store.articles, tmp_store).iloc[0]["published"] == "2025-03"
    res = _cli(["news", "events", "--since", "2025-03", "--until", "2025-03", "--format", "json"], tmp_store)
    assert res.exit_code == 0, res.output
    # a day given later narrows the month and re-extracts: "on Tuesday" now resolves
    assert _cli(["news", "ingest", str(src), "--published", PUB], tmp_store).exit_code == 0
    ban = _q(news_store.events, tmp_store, event_type="export_restriction").iloc[0]
    assert ban["date"] == "2025-03-04"


def test_cli_event_listing_fits_80_columns_and_shows_markup_literally(tmp_store, tmp_path):
    from critmin.cli.main import app

    src = tmp_path / "news.txt"
    src.write_text(TEXT.replace("raw lithium ore", "raw lithium ore [bold]x[/bold]"), encoding="utf-8")
    assert _cli(["news", "ingest", str(src), "--published", PUB], tmp_store).exit_code == 0
    res = CliRunner().invoke(app, ["--db", str(tmp_store), "news", "events"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    assert "[bold]x[/bold]" in res.output
