"""``critmin report``: the HTML (and PDF) report on a set of countries' critical-mineral exposure."""

from __future__ import annotations

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
    year: Annotated[int | None, typer.Option(help="Trade year (default: latest in the data).")] = None,
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = Path("out/report.html"),
    pdf: Annotated[Path | None, typer.Option(help="Also write a PDF (needs WeasyPrint).")] = None,
) -> None:
    """Write a self-contained HTML report (optionally PDF): exposure, concentration, supply risk, scenarios,
    countermeasures and recent events for the given countries or blocs."""
    from rich.console import Console
    from rich.markup import escape

    from critmin import report as report_mod

    with progress("report", total=4) as step:
        step("opening the store", 0)
        ds = dataset(ctx)
        result = report_mod.build(ds, parties, year, out, pdf, progress=lambda m: step(m))
    console = Console()
    console.print(
        f"[green]wrote[/] {escape(str(result['html']))}"
        + (f" and {escape(str(result['pdf']))}" if result["pdf"] else "")
    )
    if result["missing"]:
        console.print("not included (module not installed): " + escape(", ".join(result["missing"])))
