"""``critmin report``: the briefing (HTML and/or PDF) on a set of countries' critical-mineral exposure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import dataset, progress


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    ctx: typer.Context,
    parties: Annotated[
        str, typer.Option("--for", help="Countries/blocs, e.g. JPN,ITA,JPN+ITA.")
    ] = "JPN,ITA,JPN+ITA",
    year: Annotated[
        int | None,
        typer.Option(
            help="Analysis year for every figure (default: the latest year of trade data, as exposure)."
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="File to write: .html (self-contained) or .pdf.")
    ] = Path("out/report.html"),
    pdf: Annotated[Path | None, typer.Option(help="Also write a PDF (.pdf; needs WeasyPrint).")] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date for restrictions and partnerships in force (default: today)."),
    ] = None,
) -> None:
    """Write the briefing: page one is an executive summary per party (the minerals that matter, who supplies
    them, restrictions in force, what a one-year Chinese export stop would cost, what would help — ranked);
    then exposure, supply risk, the stress test, countermeasures, outlook, restrictions, partnerships, news,
    world production and an appendix with every mineral."""
    from critmin import report as report_mod
    from critmin.cli.render import console, plain
    from critmin.errors import UnknownValueError

    report_mod.check_outputs(out, pdf)  # before any work: a wrong extension is a one-line error
    when = None
    if as_of:
        try:
            when = dt.date.fromisoformat(as_of)
        except ValueError:
            raise UnknownValueError("date", as_of, hint="YYYY-MM-DD") from None
    with progress("report", total=6) as step:
        step("opening the store", 0)
        ds = dataset(ctx)
        result = report_mod.build(
            ds, parties, year, out, pdf, progress=lambda m: step(m), as_of=when, parallel=None
        )
    written = [str(p) for p in (result["html"], result["pdf"]) if p]
    con = console()
    con.print(f"wrote {plain(' and '.join(written))} (analysis year {result['year']})")
    if result["missing"]:
        con.print("not included (module not installed): " + plain(", ".join(result["missing"])))
