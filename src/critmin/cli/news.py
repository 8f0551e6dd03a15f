"""``critmin news``: ingest news, list and review the events extracted from it.

Article text is untrusted: everything taken from an article is printed through :func:`_safe` (control
characters removed, rich markup escaped), never as markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

news_app = typer.Typer(
    help="News to events: read policy news (text, HTML, RSS/Atom, URLs) and turn it into dated, cited events "
    "that propose restriction-registry and partnership records for review.",
    no_args_is_help=True,
)

FORMATS = ("auto", "text", "html", "feed", "json")


def register(app: typer.Typer) -> None:
    app.add_typer(news_app, name="news")


def _store(ctx: typer.Context):
    from critmin.store import Store

    return Store((ctx.obj or {}).get("db"))


def _safe(value, limit: int | None = None) -> str:
    """Untrusted text for the terminal: control characters stripped, rich markup escaped."""
    from rich.markup import escape

    from critmin.news.model import clean_text

    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value) or "—"
    text = clean_text(str(value)).replace("\n", " ")
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return escape(text)


def _console(stderr: bool = False):
    from critmin.cli.render import console

    return console(stderr=stderr)


def _events_table(df, title: str):
    """Events as blocks that read in an 80-column terminal: one line of facts (id, type, date, actors,
    minerals, status), the evidence quoted below it, and the proposed record. Built from ``rich.text.Text``
    pieces, so article text is never parsed as markup."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    from critmin.news.model import clean_text

    def plain(value, limit=None) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return "—"
        if isinstance(value, list | tuple) or (hasattr(value, "tolist") and not isinstance(value, str)):
            value = ", ".join(str(v) for v in list(value)) or "—"
        text = clean_text(str(value)).replace("\n", " ")
        return text if not limit or len(text) <= limit else text[: limit - 1] + "…"

    blocks = [Text(title, style="bold")]
    for r in df.to_dict("records"):
        actors = list(dict.fromkeys([*list(r["initiator"]), *list(r["counterparts"])]))
        head = Text()
        head.append(plain(r["event_id"]), style="bold")
        head.append("  ")
        head.append(plain(r["event_type"]), style="cyan")
        head.append(f"  {plain(r['date'])}  {plain(actors)}  ")
        head.append(plain(r["minerals"]), style="green")
        head.append(f"  {plain(r['status'])}/{plain(r['review_status'])}", style="dim")
        lines = [
            head,
            Padding(Text(f"“{plain(r['evidence'], 240)}”", style="italic"), (0, 0, 0, 4), expand=False),
        ]
        linked = r["linked_id"] if r.get("linked_id") else r.get("link_note")
        if linked:
            lines.append(
                Padding(
                    Text(f"→ {plain(r.get('linked_table'))}: {plain(linked, 160)}"),
                    (0, 0, 0, 4),
                    expand=False,
                )
            )
        blocks.append(Group(*lines))
    return Group(*blocks)


OUTPUT_STYLES = ("table", "json", "csv")


def _plain(value):
    """A JSON-ready value: arrays and tuples as lists, NaN/NaT as None, numpy scalars as Python ones."""
    import math

    if value is None:
        return None
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _emit(df, style: str) -> None:
    """Events (or articles) to stdout as JSON (an array of objects) or CSV; list fields stay lists — JSON
    arrays, and JSON-encoded lists inside CSV cells — so a reader gets back exactly what was stored."""
    import csv
    import json
    import sys

    records = [{k: _plain(v) for k, v in r.items()} for r in df.to_dict("records")]
    if style == "json":
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(list(df.columns))
    for r in records:
        writer.writerow(
            [
                json.dumps(v, ensure_ascii=False) if isinstance(v, list) else ("" if v is None else v)
                for v in r.values()
            ]
        )


def _write(df, out: Path) -> None:
    from critmin.cli.common import write_table

    df = df.copy()
    for c in df.columns:
        if df[c].map(lambda v: isinstance(v, list)).any():
            df[c] = df[c].map(lambda v: ";".join(v) if isinstance(v, list) else v)
    write_table(df, out)
    _console(stderr=True).print(f"wrote {len(df)} rows to {_safe(out)}")


@news_app.command("ingest")
def ingest_cmd(
    ctx: typer.Context,
    sources: Annotated[
        list[str], typer.Argument(help="Files, directories, or explicit http(s):// URLs (pages or feeds).")
    ],
    published: Annotated[
        str | None,
        typer.Option(
            "--published",
            "-p",
            help="Publication date YYYY-MM-DD, or YYYY-MM when only the month is known (a day resolves "
            "'on Friday'; without one relative dates stay unknown).",
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Input format: auto, text, html, feed or json.")
    ] = "auto",
    link: Annotated[
        bool, typer.Option("--link/--no-link", help="Propose registry/partnership records (unreviewed).")
    ] = True,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", help="Refuse inputs larger than this.")
    ] = 5_000_000,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Network timeout in seconds (URLs only).")
    ] = 15.0,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the extracted events to .csv/.json/.parquet.")
    ] = None,
) -> None:
    """Read news and store its articles and events, e.g. ``critmin news ingest seed-article.txt --published 2026-01-16``.

    URLs are fetched only when given here, with a timeout and a size limit, never from private or loopback
    addresses. Re-ingesting the same article changes nothing.
    """
    from critmin.cli.common import check_output, progress
    from critmin.errors import UnknownValueError
    from critmin.news import store as news_store
    from critmin.news.text import check_published, read_source

    if fmt not in FORMATS:
        raise UnknownValueError("input format", fmt, FORMATS)
    published = check_published(published)
    if out:
        check_output(out)
    articles = []
    with progress("reading", total=len(sources)) as advance:
        for src in sources:
            articles.extend(
                read_source(src, published=published, kind=fmt, max_bytes=max_bytes, timeout=timeout)
            )
            advance(_safe(Path(src).name if not src.startswith("http") else src, 40))
    store = _store(ctx)
    with progress("extracting", total=len(articles)) as advance:
        report = news_store.ingest_articles(
            store, articles, link=link, progress=lambda step: advance(_safe(step, 40))
        )
    from rich.table import Table

    table = Table(title=f"{len(report.articles)} article(s)")
    for col in ("article", "published", "status", "events", "title"):
        table.add_column(col, overflow="fold")
    for a in report.articles:
        table.add_row(
            _safe(a["article_id"]),
            _safe(a["published"]),
            _safe(a["status"]),
            _safe(a["n_events"] if a["n_events"] is not None else "—"),
            _safe(a["title"], 80),
        )
    console = _console()
    console.print(table)
    ids = [ev.event_id for ev in report.events]
    if ids:
        df = news_store.events(store)
        df = df[df["event_id"].isin(ids)]
        if out:
            _write(df, out)
        else:
            console.print(_events_table(df, f"{len(df)} event(s) extracted (unreviewed)"))
            linked = int(df["linked_id"].notna().sum())
            if linked:
                console.print(
                    f"{linked} record(s) proposed; accept or reject with "
                    "[bold]critmin news review --accept ID / --reject ID[/]"
                )


@news_app.command("extract")
def extract_cmd(
    source: Annotated[str, typer.Argument(help="A file, directory or explicit http(s):// URL.")],
    published: Annotated[
        str | None, typer.Option("--published", "-p", help="Publication date YYYY-MM-DD (or YYYY-MM).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="auto, text, html, feed or json.")] = "auto",
    explain: Annotated[
        bool, typer.Option("--explain", help="Also show triggers that were rejected, and why.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the events to .csv/.json/.parquet.")
    ] = None,
) -> None:
    """Extract events without storing anything (a dry run of ``ingest``)."""
    import pandas as pd

    from critmin.cli.common import check_output
    from critmin.news.extract import extract_events, sentences_of
    from critmin.news.text import read_source

    if out:
        check_output(out)
    console = _console()
    rows = []
    for article in read_source(source, published=published, kind=fmt):
        why: list = []
        events = extract_events(article, explain=why)
        for ev in events:
            rows.append(
                {
                    **ev.to_dict(),
                    "review_status": "—",
                    "linked_table": None,
                    "linked_id": None,
                    "link_note": None,
                }
            )
        if explain and why:
            sents = sentences_of(article)
            for idx, rule, reason in why:
                console.print(f"  rejected {_safe(rule)}: {_safe(reason)} — {_safe(sents[idx].text, 120)}")
    df = pd.DataFrame(rows)
    if out:
        _write(df, out)
    elif df.empty:
        console.print("no events")
    else:
        console.print(_events_table(df, f"{len(df)} event(s)"))


@news_app.command("events")
def events_cmd(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="Events dated on or after YYYY-MM-DD (or YYYY-MM).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Events dated on or before YYYY-MM-DD (or YYYY-MM).")
    ] = None,
    event_type: Annotated[
        str | None,
        typer.Option(
            "--type",
            "-t",
            help="agreement, export_restriction, restriction_lifted, investment, stockpile, partnership_upgrade or other.",
        ),
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", "-c", help="Country (name or ISO3) as actor or target.")
    ] = None,
    mineral: Annotated[
        str | None,
        typer.Option("--mineral", "-m", help="Mineral (catalogue id/alias, or a named rare-earth element)."),
    ] = None,
    status: Annotated[
        str | None, typer.Option("--review-status", help="pending, accepted or rejected.")
    ] = None,
    undated: Annotated[
        bool, typer.Option("--undated", help="With --since/--until, also list events without a date.")
    ] = False,
    style: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="table (the terminal), json or csv (to stdout; list fields as JSON lists).",
        ),
    ] = "table",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write .csv/.json/.parquet instead of a table.")
    ] = None,
) -> None:
    """List extracted events, e.g. ``critmin news events --since 2025-01-01 --type export_restriction``;
    ``--format json`` or ``--format csv`` writes them to stdout for other programs."""
    from critmin.cli.common import check_output
    from critmin.errors import UnknownValueError
    from critmin.news import store as news_store

    if style not in OUTPUT_STYLES:
        raise UnknownValueError("output format", style, OUTPUT_STYLES)
    if out is not None and str(out) == "-":  # '--out -': the table to stdout, CSV unless --format json
        out, style = None, ("csv" if style == "table" else style)
    if out:
        check_output(out, stdout=True)
    df = news_store.events(
        _store(ctx),
        since=since,
        until=until,
        event_type=event_type,
        country=country,
        mineral=mineral,
        review_status=status,
        include_undated=undated,
    )
    if out:
        _write(df, out)
        return
    if style != "table":
        _emit(df, style)
        return
    if df.empty:
        _console().print("no events (ingest news with [bold]critmin news ingest[/])")
        return
    _console().print(_events_table(df, f"{len(df)} event(s)"))


@news_app.command("articles")
def articles_cmd(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write .csv/.json/.parquet instead of a table.")
    ] = None,
) -> None:
    """List ingested articles with their number of events."""
    from rich.table import Table

    from critmin.cli.common import check_output
    from critmin.news import store as news_store

    if out:
        check_output(out)
    df = news_store.articles(_store(ctx))
    if out:
        _write(df, out)
        return
    table = Table(title=f"{len(df)} article(s)")
    for col in ("article", "published", "publisher", "events", "title", "url"):
        table.add_column(col, overflow="fold")
    for r in df.to_dict("records"):
        table.add_row(
            _safe(r["article_id"]),
            _safe(r["published"]),
            _safe(r["publisher"], 40),
            _safe(r["n_events"]),
            _safe(r["title"], 80),
            _safe(r["url"], 80),
        )
    _console().print(table)


@news_app.command("show")
def show_cmd(
    ctx: typer.Context,
    article_id: Annotated[str, typer.Argument(help="Article id (or a unique prefix, or the dev-set id).")],
) -> None:
    """Show one article's plain text and the events extracted from it, with their evidence."""
    from rich.text import Text

    from critmin.news import store as news_store

    store = _store(ctx)
    a = news_store.article(store, article_id)
    console = _console()
    console.print(f"[bold]{_safe(a['title'] or a['article_id'])}[/]")
    console.print(
        f"{_safe(a['publisher'])} · published {_safe(a['published'])} ({_safe(a['published_basis'])}) · "
        f"{_safe(a['url'])}"
    )
    from critmin.news.model import clean_text

    console.print(Text(clean_text(a["text"])))  # a Text object is never parsed as markup
    df = news_store.events(store, article_id=a["article_id"])
    if not df.empty:
        console.print(_events_table(df, "events"))
        for r in df.to_dict("records"):
            console.print(
                f"{_safe(r['event_id'])}: rule {_safe(r['rule'])}, trigger “{_safe(r['trigger'])}”, "
                f"date basis: {_safe(r['date_basis'])}"
            )


@news_app.command("review")
def review_cmd(
    ctx: typer.Context,
    accept: Annotated[
        list[str] | None,
        typer.Option("--accept", "-a", help="Event id (or linked record id) to accept; repeatable."),
    ] = None,
    reject: Annotated[
        list[str] | None,
        typer.Option("--reject", "-r", help="Event id (or linked record id) to reject; repeatable."),
    ] = None,
    interactive: Annotated[
        bool, typer.Option("--interactive", "-i", help="Ask about each pending event in turn.")
    ] = False,
) -> None:
    """Accept or reject the records news events proposed. Without options, list what awaits review.

    Accepting marks the linked restriction/partnership record reviewed (scenarios and partnership queries then
    use it); rejecting gives it status 'rejected' so no query returns it.
    """
    from critmin.news import store as news_store
    from critmin.news.linking import review

    store = _store(ctx)
    console = _console()
    done = 0
    for ident in accept or []:
        row = review(store, ident, True)
        console.print(
            f"accepted {_safe(row['event_id'])} → {_safe(row['linked_table'])}:{_safe(row['linked_id'])}"
        )
        done += 1
    for ident in reject or []:
        row = review(store, ident, False)
        console.print(
            f"rejected {_safe(row['event_id'])} → {_safe(row['linked_table'])}:{_safe(row['linked_id'])}"
        )
        done += 1
    pending = news_store.events(store, review_status="pending")
    pending = pending[pending["linked_id"].notna()]
    if interactive:
        for r in pending.to_dict("records"):
            console.print(_events_table(pending[pending["event_id"] == r["event_id"]], "pending"))
            console.print(f"note: {_safe(r['link_note'])}")
            answer = typer.prompt("accept, reject or skip? [a/r/s]", default="s").strip().lower()
            if answer in ("a", "accept", "r", "reject"):
                review(store, r["event_id"], answer.startswith("a"))
                done += 1
        return
    if not done:
        if pending.empty:
            console.print("nothing awaits review")
        else:
            console.print(_events_table(pending, f"{len(pending)} proposal(s) awaiting review"))
            console.print(
                "accept with [bold]--accept ID[/], reject with [bold]--reject ID[/] (repeatable), "
                "or go through them with [bold]--interactive[/]"
            )


@news_app.command("reextract")
def reextract_cmd(
    ctx: typer.Context,
    article_ids: Annotated[list[str] | None, typer.Argument(help="Article ids (default: all).")] = None,
) -> None:
    """Run the current extractor again on stored articles (reviewed events are kept)."""
    from critmin.news import store as news_store

    report = news_store.reextract(_store(ctx), article_ids=article_ids or None)
    _console().print(f"re-extracted {len(report.articles)} article(s): {len(report.events)} pending event(s)")
