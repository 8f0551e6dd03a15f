"""``critmin watch``: poll news feeds and write a digest of new measures and what they change.

Everything printed that comes from outside (feed names, errors quoting servers) goes out as plain
``rich.text.Text``, never parsed as markup; article text is not printed here at all (it is in the digest,
escaped).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command(name="watch", no_args_is_help=True)(watch)


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _line(console, text: str, style: str | None = None, indent: int = 0) -> None:
    from rich.text import Text

    from critmin.news.model import clean_text

    t = Text(" " * indent + " ".join(clean_text(text).split()), style=style or "")
    console.print(t, overflow="fold")


def print_run(console, res) -> None:
    """The terminal summary of one run: counts, failed feeds, entries with what changed, the files."""
    d = res.digest
    c = d["counts"]
    _line(
        console,
        f"critmin watch {d['watch']} — run {d['digest_id']} (as of {d['as_of']}; trade {d['year']})",
        "bold",
    )
    _line(
        console,
        f"feeds: {c['feeds']} ({c['feeds_ok']} read, {c['feeds_not_modified']} not modified, "
        f"{c['feeds_failed']} failed); items: {c['new_items']} new, {c['already_seen']} seen before",
    )
    for f in d["feeds"]:
        if f["status"] == "failed":
            _line(console, f"FAILED {f['name']}: {f['error']} (retried next run)", "red")
    for n, e in enumerate(d["entries"], start=1):
        _line(console, f"{n:>2}. {e['headline']}", "bold")
        # what changed, plus the share of imports the new measure reaches (a level, not a change)
        key = [ch for ch in e["changes"] if ch["changed"] or ch["quantity"] == "imports_under_new_measure"]
        changed = key or e["changes"][:1]
        for ch in changed:
            _line(console, f"{ch['party']}: {ch['text']}", indent=4)
        if e.get("record"):
            _line(
                console,
                f"proposed {e['record']['id']} (unreviewed): critmin news review --accept {e['event_id']}",
                "dim",
                indent=4,
            )
    if not d["entries"]:
        _line(console, "no new measure or agreement touching the watched parties")
    if d["skipped"]:
        _line(console, f"read and not reported: {len(d['skipped'])} (one line each in the digest)", "dim")
    for p in res.caught_up:
        _line(console, f"rewrote missing digest file {p}", "dim")
    paths = res.paths
    _line(console, f"digest: {paths['html']} (+ .md, .json)")


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h {m:02d}m" if h else (f"{m}m {s:02d}s" if m else f"{s}s")


def watch(
    ctx: typer.Context,
    feeds: Annotated[
        Path,
        typer.Option(
            "--feeds", help="Feeds file: one http(s) URL per line (optional name after it) or YAML."
        ),
    ],
    parties: Annotated[str, typer.Option("--for", help="Parties to watch, e.g. JPN,ITA,JPN+ITA or G7.")],
    once: Annotated[
        bool, typer.Option("--once", help="Run once and exit (what cron or a systemd timer calls).")
    ] = False,
    interval: Annotated[
        str | None,
        typer.Option("--interval", help="Run in the foreground every INTERVAL (e.g. 6h, 30m, 1d)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the digests (JSON, Markdown, HTML).")] = Path(
        "watch-digests"
    ),
    name: Annotated[
        str | None,
        typer.Option("--name", help="Name of the watch's state in the store (default: the --for spec)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Read the registry and partnerships as of YYYY-MM-DD (default today)."),
    ] = None,
    stock_days: Annotated[
        float, typer.Option("--stock-days", help="Stocks of the watched parties in the scenarios, in days.")
    ] = 60.0,
    draws: Annotated[
        int, typer.Option("--draws", help="Monte Carlo draws per scenario (Latin hypercube).")
    ] = 32,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per connect/read of a feed.")] = 15.0,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", help="Largest response accepted, in bytes.")
    ] = 5_000_000,
    min_interval: Annotated[
        float, typer.Option("--min-interval", help="Seconds between two requests to the same host.")
    ] = 1.0,
    allow_network: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-network",
            help="A trusted internal network (CIDR) whose addresses may be fetched; none by default.",
        ),
    ] = None,
    max_runs: Annotated[int | None, typer.Option("--max-runs", hidden=True)] = None,
) -> None:
    """Watch news feeds for new export restrictions, liftings, agreements, partnership changes and stockpiles
    touching the watched parties or their top suppliers; write one digest per run with what each would change.

    Example: ``critmin watch --feeds feeds.txt --for JPN,ITA,JPN+ITA --once --out out/watch``."""
    from critmin.errors import UnknownValueError
    from critmin.news.text import check_published
    from critmin.watch import Limits, WatchConfig, read_feeds
    from critmin.watch.run import parse_interval, run_once, watch_loop

    if once and interval:
        raise UnknownValueError(
            "mode", "--once --interval", hint="give --once (cron) or --interval 6h, not both"
        )
    seconds = parse_interval(interval) if interval else None
    day = check_published(as_of) if as_of else None
    for net in allow_network or []:
        _check_network(net)
    config = WatchConfig(
        feeds=read_feeds(feeds),
        parties=parties,
        out=out,
        name=name,
        limits=Limits(timeout, max_bytes, min_interval, allow_networks=tuple(allow_network or ())),
        stock_days=stock_days,
        draws=draws,
        as_of=day,
    )
    import critmin

    ds = critmin.open((ctx.obj or {}).get("db"))
    ds.parties(parties)  # unknown names fail here, before any fetch
    out_console, err = _console(), _console(stderr=True)
    if seconds is None:
        with err.status("critmin watch: starting") as status:
            res = run_once(ds, config, progress=lambda msg: status.update(_plain(f"critmin watch: {msg}")))
        print_run(out_console, res)
        if res.digest["counts"]["feeds"] and len(res.failed_feeds) == res.digest["counts"]["feeds"]:
            raise typer.Exit(1)
        return
    _loop(ds, config, seconds, max_runs, out_console, err, watch_loop)


def _plain(text: str):
    from rich.text import Text

    return Text(" ".join(text.split())[:100])


def _check_network(text: str) -> None:
    import ipaddress

    from critmin.errors import UnknownValueError

    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise UnknownValueError("network", text, hint="write a CIDR such as 10.1.2.0/24") from None


def _loop(ds, config, seconds, max_runs, out_console, err, watch_loop) -> None:
    import datetime as dt

    tty = err.is_terminal
    status = err.status("critmin watch: starting") if tty else None
    if status:
        status.start()

    def progress(msg):
        if status:
            status.update(_plain(f"critmin watch: {msg}"))

    def on_run(res):
        if status:
            status.stop()
        print_run(out_console, res)
        if status:
            status.start()

    def on_wait(left):
        nxt = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=left)).strftime("%H:%M UTC")
        if status:
            status.update(_plain(f"critmin watch: next run at {nxt} (in {_duration(left)}); Ctrl-C stops"))

    def on_error(exc):
        _line(err, f"run failed: {exc} (tried again at the next interval)", "red")

    if not tty:
        _line(err, f"critmin watch: every {_duration(seconds)}; Ctrl-C stops")
    try:
        watch_loop(
            ds,
            config,
            seconds,
            max_runs=max_runs,
            on_run=on_run,
            on_wait=on_wait,
            on_error=on_error,
            progress=progress,
        )
    except KeyboardInterrupt:
        _line(err, "critmin watch: stopped")
        sys.exit(130)
    finally:
        if status:
            status.stop()
