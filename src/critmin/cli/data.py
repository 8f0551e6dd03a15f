"""``critmin data``: build the embedded dataset, inspect and verify the store, ingest and update official data."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(
    help="The data behind critmin: build, status, verify, ingest official files, update.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")


def _console(width: int | None = None):
    """The terminal's console; when piped, no hard wrapping (tables get ``width`` columns)."""
    from rich.console import Console

    c = Console()
    if c.is_terminal:
        return c
    return Console(width=width) if width else Console(soft_wrap=True)


def _db(ctx: typer.Context):
    obj = ctx.find_root().obj or {}
    return obj.get("db")


@contextlib.contextmanager
def _ingest_progress(label: str):
    """A rich progress bar fed by the ingest's ``progress(stage, done, total)`` callback."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def callback(stage: str, done: int, total: int | None) -> None:
            if stage in ("reading", "downloading") and total and total > 1000:
                bar.update(task, description=f"{label}: {stage}", completed=done, total=total)
            else:
                bar.update(
                    task,
                    description=f"{label}: {stage}" + (f" ({done:,} rows)" if stage == "staging" else ""),
                )

        yield callback


@data_app.command("build")
def build_cmd(
    source_dir: Annotated[
        Path,
        typer.Option(
            "--from",
            help="The shared data folder holding the official files (e.g. ../shared/data).",
            exists=True,
            file_okay=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder (default: the package's embedded data folder)."),
    ] = None,
) -> None:
    """Build the embedded Parquet dataset (deterministic: same input, same bytes)."""

    from critmin.cli.common import progress
    from critmin.data.build import build

    with progress("building the embedded dataset", total=6) as step:
        manifest = build(source_dir, out, progress=lambda msg: step(msg))
    console = _console()
    for meta in manifest["tables"].values():
        console.print(
            f"{meta['file']:<22} {meta['rows']:>9,} rows  sha256 {meta['sha256'][:12]}…", highlight=False
        )
    if manifest.get("unmapped_country_names"):
        console.print(
            "[yellow]country names without ISO3 (dropped):[/] "
            + ", ".join(manifest["unmapped_country_names"])
        )


@data_app.command("status")
def status_cmd(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the table to .csv, .json or .parquet ('-': stdout)."),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="table (default), or csv/json to stdout.")
    ] = None,
) -> None:
    """Sources, editions, years, row counts, origin and licence of everything in the store."""
    from critmin.cli import render
    from critmin.cli.common import write_table
    from critmin.cli.render import Col
    from critmin.store import Store

    printed, path_out = render.output_plan(out, fmt)
    with Store(_db(ctx)) as store:
        df = store.status()
        path = store.path
    if path_out is not None:
        write_table(df, path_out)
    if printed in ("csv", "json"):
        render.emit(df, printed)
        return
    rows = [
        {
            **r,
            "years": f"{r['first_year']}–{r['last_year']}"
            if r["first_year"] != r["last_year"]
            else f"{r['first_year']}",
        }
        for r in df.to_dict("records")
    ]
    render.render(
        rows,
        [
            Col("data_table", "Table", "code", 0),
            Col("source", "Source", "name", 0, min_width=8),
            Col("edition", "Edition", "name", 0, min_width=8),
            Col("years", "Years", "code", 0),
            Col("rows", "Rows", "int", 0),
            Col("licence", "Licence", "name", 1, min_width=12),
            Col("origin", "Origin", "name", 2, min_width=12),
        ],
        title=f"critmin store {path}",
    )


AUDIT_BEGIN, AUDIT_END = "<!-- stage-audit:begin -->", "<!-- stage-audit:end -->"
BALANCE_BEGIN, BALANCE_END = "<!-- stage-balance:begin -->", "<!-- stage-balance:end -->"


def replace_between(text: str, begin: str, end: str, body: str, *, where: str = "the file") -> str:
    """``text`` with what lies between the ``begin`` and ``end`` markers replaced by ``body``."""
    if begin not in text or end not in text:
        raise typer.BadParameter(f"{where} has no {begin} ... {end} markers to write the table between")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}{end}{tail}"


@data_app.command("stages")
def stages_cmd(
    ctx: typer.Context,
    commodity: Annotated[str | None, typer.Option(help="Commodities (comma-separated); default all.")] = None,
    reasons: Annotated[bool, typer.Option(help="Show why each code sits in its stage.")] = False,
    balance: Annotated[
        int | None, typer.Option(help="Also check world apparent consumption against production for a year.")
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(
            help="Rewrite the tables between the stage-audit (and stage-balance) markers of a file."
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the audit to .csv, .json or .parquet.")] = None,
) -> None:
    """The stage audit: every HS92 code's stage, physical form, content factor and reason, and the stages
    without a code (docs/data.md). With --balance YEAR, world apparent consumption against production for
    every traded stage on its content basis."""
    from rich.markup import escape
    from rich.table import Table

    from critmin.cli.common import write_table
    from critmin.data.basis import (
        PRODUCTION_BASIS_COLUMNS,
        TRADE_BASIS_COLUMNS,
        columns_markdown,
        stage_audit,
        stage_audit_markdown,
    )
    from critmin.reference import commodities as cat

    audit = stage_audit()
    if commodity:
        audit = audit[audit["commodity"].isin([c.id for c in cat.resolve_many(commodity)])]
    bal = None
    if balance is not None:
        import critmin
        from critmin.scenarios.network import world_balance

        with critmin.open(_db(ctx)) as ds:
            bal = world_balance(ds, balance, commodity)
    if out is not None:
        write_table(audit, out)
    if markdown is not None:
        text = markdown.read_text(encoding="utf-8")
        text = replace_between(text, AUDIT_BEGIN, AUDIT_END, stage_audit_markdown(audit), where=str(markdown))
        for name, cols in (
            ("trade-basis", TRADE_BASIS_COLUMNS),
            ("production-basis", PRODUCTION_BASIS_COLUMNS),
        ):
            b, e = f"<!-- {name}-columns:begin -->", f"<!-- {name}-columns:end -->"
            if b in text:
                text = replace_between(text, b, e, columns_markdown(cols), where=str(markdown))
        if bal is not None:
            from critmin.scenarios.network import world_balance_markdown

            text = replace_between(
                text, BALANCE_BEGIN, BALANCE_END, world_balance_markdown(bal), where=str(markdown)
            )
        markdown.write_text(text, encoding="utf-8")
        typer.echo(f"wrote the stage audit{' and balance' if bal is not None else ''} into {markdown}")
        return
    t = Table(title="Stage audit: HS92 codes by value-chain stage", header_style="bold")
    for col, justify in (("Mineral", "left"), ("Stage", "left"), ("HS92", "left"), ("Form", "left"),
                         ("t/t", "right"), ("Basis", "left")):  # fmt: skip
        t.add_column(col, justify=justify)
    if reasons:
        t.add_column("Reason", ratio=1)
    for r in audit.itertuples(index=False):
        f = (
            ""
            if r.content_factor != r.content_factor
            else f"{r.content_factor:g}" + ("~" if r.approximate else "")
        )
        row = [r.commodity, r.stage, r.hs6 or "none", r.form or "", f, escape(str(r.basis or ""))]
        if reasons:
            row.append(escape(str(r.reason)))
        t.add_row(*row)
    console = _console(160 if reasons else 80)
    console.print(t)
    console.print("t/t: t of the basis per t traded (~ a typical grade); --reasons says why.")
    if bal is not None:
        b = Table(title=f"World apparent consumption vs production, {balance}", header_style="bold")
        for col in ("Mineral", "Stage", "Production t", "Consumption t", "Margin"):
            b.add_column(col, justify="left" if col in ("Mineral", "Stage") else "right")
        for r in bal.itertuples(index=False):
            m = f"{r.margin:.1%}" if r.margin == r.margin else "—"
            if r.within_margin is False:
                m = f"[red]{m}[/red]"
            b.add_row(
                r.commodity,
                r.stage,
                "—" if r.production_tonnes != r.production_tonnes else f"{r.production_tonnes:,.0f}",
                "—" if r.consumption_tonnes != r.consumption_tonnes else f"{r.consumption_tonnes:,.0f}",
                m,
            )
        console.print(b)


@data_app.command("verify")
def verify_cmd(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="List every check, not only the failures.")] = False,
) -> None:
    """Check the embedded Parquet against manifest.json and the store's row counts against the sources table.

    Exit code 1 when anything does not match.
    """
    from rich.markup import escape

    from critmin.ingest.verify import verify

    report = verify(_db(ctx))
    console = _console()
    if show_all:
        for name, ok, detail in report.checks:
            mark = "[green]ok[/]  " if ok else "[red]FAIL[/]"
            console.print(f"{mark} {escape(name)}: {escape(detail)}", highlight=False)
    n = len(report.checks)
    if report.ok:
        console.print(f"[green]all {n} checks passed[/]", highlight=False)
        return
    console.print(f"[red]{len(report.problems)} of {n} checks failed:[/]", highlight=False)
    for p in report.problems:
        console.print(f"  - {escape(p)}", highlight=False)
    raise typer.Exit(1)


@data_app.command("ingest")
def ingest_cmd(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="baci | usgs | wgi | wmd")],
    file: Annotated[
        Path,
        typer.Argument(
            help="The official file (or a BACI/USGS release zip, or a folder of USGS world CSVs)."
        ),
    ],
    edition: Annotated[
        str | None,
        typer.Option(
            help="Edition label (default: read from the file or its "
            "name, e.g. 'HS92 V202501', 'MCS 2024', '2024 release', "
            "'WMD 2026')."
        ),
    ] = None,
    skip_bad: Annotated[
        bool,
        typer.Option(
            "--skip-bad",
            help="Ingest the good rows and write the bad ones to "
            "a rejects CSV (default: refuse the whole file).",
        ),
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="Where --skip-bad writes the bad rows (default: "
            "`<file>.rejects.csv` in the current directory)."
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Let the file remove more of the rows it replaces than the guard allows (more than 20% of "
            "a part's rows, or a whole year or HS code). Without it such an ingest stops and names what "
            "would disappear.",
        ),
    ] = False,
) -> None:
    """Ingest an official file: validated, in one transaction, idempotent (the same file twice changes nothing),
    recorded in the history (undo with `critmin data undo ID`)."""
    from critmin.ingest import check_source
    from critmin.ingest.writer import ingest
    from critmin.untrusted import terminal_text

    key = check_source(source)
    with _ingest_progress(f"ingest {key}") as cb:
        report = ingest(
            _db(ctx),
            key,
            file,
            edition=edition,
            skip_bad=skip_bad,
            replace=replace,
            progress=cb,
            rejects_path=rejects,
        )
    _console().print(terminal_text(str(report), single_line=False), highlight=False)


@data_app.command("history")
def history_cmd(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option(help="Write the full history to .csv, .json or .parquet.")
    ] = None,
) -> None:
    """Every ingest that changed the store: when, who, which file (sha256), what it added and replaced."""
    from critmin.cli.common import write_table
    from critmin.ingest.history import history
    from critmin.ingest.writer import _fmt_parts
    from critmin.untrusted import terminal_text as tt

    df = history(_db(ctx))
    if out is not None:
        write_table(df, out)
    if df.empty:
        _console().print("nothing was ingested into this store yet (only the embedded data)")
        return
    # one block per ingest (nine columns do not fit 80 columns); --out writes every column
    console = _console()

    def when(stamp) -> str:
        return tt(str(stamp)[:16].replace("T", " ")) + " UTC"

    for r in df.itertuples(index=False):
        state = "[green]active[/]" if r.status == "active" else f"[yellow]undone[/] {when(r.undone_at)}"
        console.print(
            f"[bold]{r.id:>3}[/]  {when(r.ingested_at)}  {tt(r.user_name)}@{tt(r.host)}  "
            f"{state}\n     {tt(r.file)} (sha256 {str(r.sha256)[:12]}…)\n"
            f"     {tt(r.source)} '{tt(r.edition)}' {tt(_fmt_parts(list(r.parts)))}: {r.rows_added:,} rows added, "
            f"{r.rows_replaced:,} replaced",
            highlight=False,
        )
    console.print("undo one with: critmin data undo ID")


@data_app.command("undo")
def undo_cmd(
    ctx: typer.Context,
    ingest_id: Annotated[
        int, typer.Argument(metavar="ID", help="The ingest to undo (see `critmin data history`).")
    ],
) -> None:
    """Restore the store as it was before ingest ID: its rows go, the rows it replaced come back (one transaction).

    An ingest whose parts a later ingest replaced again is undone after that one (newest first)."""
    from critmin.ingest.history import undo
    from critmin.untrusted import terminal_text

    report = undo(_db(ctx), ingest_id)
    _console().print(terminal_text(str(report)), highlight=False)


@data_app.command("update")
def update_cmd(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Argument(help="baci | usgs | wgi | wmd (default: all)")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each host to answer.")] = 5.0,
    url: Annotated[
        str | None,
        typer.Option(
            help="Download from this URL instead of the known one (one SOURCE; "
            "the file name must carry the edition)."
        ),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="Show the known release URLs and exit.")] = False,
) -> None:
    """Download the official releases and ingest them (fails clearly when offline)."""
    from rich.markup import escape

    from critmin.ingest.update import describe, update
    from critmin.untrusted import terminal_text

    console = _console()
    if list_:
        for r in describe():
            console.print(
                f"[bold]{r['source']}[/]  {escape(r['name'])}\n      {escape(r['url'])}", highlight=False
            )
        return
    with _ingest_progress(f"update {source or 'all'}") as cb:
        reports = update(_db(ctx), source, timeout=timeout, url=url, progress=cb)
    for report in reports:
        console.print(terminal_text(str(report), single_line=False), highlight=False)
