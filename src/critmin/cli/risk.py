"""``critmin risk``: GeoPolRisk, EU CRM supply risk, production concentration and origin tracing side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import check_output, dataset, parse_years, progress, write_table

CHART_FORMATS = (".html", ".png", ".svg", ".pdf")


def register(app: typer.Typer) -> None:
    app.command("risk")(risk_command)


def risk_command(
    ctx: typer.Context,
    parties: Annotated[
        str,
        typer.Option(
            "--for", help="Importers: ISO3 codes, names, blocs (G7, EU ...) or unions like JPN+ITA."
        ),
    ],
    method: Annotated[
        str,
        typer.Option(
            "--method",
            "-m",
            help="Methods, comma-separated: geopolrisk, geopolrisk_cf, eu_sr, hhi, import_hhi, import_reliance, "
            "origin.",
        ),
    ] = "geopolrisk,eu_sr,hhi,origin",
    year: Annotated[int | None, typer.Option(help="Year (default: latest trade year).")] = None,
    years: Annotated[str | None, typer.Option(help="Time series, e.g. 2018-2024.")] = None,
    commodity: Annotated[
        str | None, typer.Option("--commodity", "-c", help="Commodities (default: the whole catalogue).")
    ] = None,
    missing: Annotated[
        str, typer.Option(help="Governance missing for an exporter: neutral (0.5), worst, best or exclude.")
    ] = "neutral",
    units: Annotated[
        str,
        typer.Option(help="GeoPolRisk basis: 'content' (no ore/metal mixing) or 'gross' (as geopolrisk-py)."),
    ] = "content",
    share_of: Annotated[
        str, typer.Option(help="Origin whose traced share the origin method reports.")
    ] = "CHN",
    matrix: Annotated[
        bool, typer.Option("--matrix", help="Render the risk matrix (concentration vs dependence) to --out.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Table: .csv/.json/.parquet; with --matrix a chart: .html (offline), .png, .svg, .pdf."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not print the table.")] = False,
) -> None:
    """Supply-risk methods side by side in one tidy table: party, commodity, stage, year, method, value,
    inputs used, flags and provenance."""
    from rich.console import Console
    from rich.markup import escape

    from critmin.errors import UnknownValueError
    from critmin.indicators import risk as risk_mod

    year, year_list = parse_years(year, years)
    ys = year_list if year_list is not None else year
    console = Console() if Console().is_terminal else Console(width=160)
    if matrix:
        if out is None:
            raise UnknownValueError(
                "chart file", "", CHART_FORMATS, hint="--matrix needs --out FILE.html|png|svg"
            )
        if out.suffix.lower() not in CHART_FORMATS:
            raise UnknownValueError(
                "chart format", out.suffix or str(out), CHART_FORMATS, hint="use .html, .png, .svg or .pdf"
            )
        with progress("risk matrix", total=3) as step:
            ds = dataset(ctx)
            step("computing")
            labels = [p.strip() for p in parties.split(",") if p.strip()]
            if len(labels) != 1:
                raise UnknownValueError("party for --matrix", parties, hint="give one country or bloc")
            m = risk_mod.risk_matrix(ds, labels[0], ys, commodity, missing=missing)
            step("drawing")
            risk_mod.render_matrix(m, out)
            step()
        console.print(f"[green]wrote[/] {escape(str(out))} ({len(m)} commodity stages)")
        return
    methods = risk_mod.check_methods(method)
    if out is not None:
        check_output(out)
    with progress("risk", total=len(methods) + 1) as step:
        ds = dataset(ctx)
        df = risk_mod.risk(
            ds,
            parties,
            methods,
            ys,
            commodity,
            share_of=share_of,
            missing=missing,
            units=units,
            progress=lambda msg: step(msg),
        )
        if out is not None:
            write_table(df, out)
        step()
    if not quiet:
        _print(console, df)
    if out is not None:
        console.print(f"[green]wrote[/] {escape(str(out))} ({len(df)} rows)")


def _print(console, df) -> None:
    import json

    from rich.markup import escape
    from rich.table import Table

    from critmin.cli.common import fmt_num

    wide = df.pivot_table(
        index=["party", "commodity", "stage", "year"],
        columns="method",
        values="value",
        aggfunc="first",
        sort=False,
    )
    flags = df.groupby(["party", "commodity", "stage", "year"], sort=False)["flags"].agg(
        lambda s: sorted({f.split(":")[0] for x in s for f in json.loads(x or "[]")})
    )
    reported = df[(df["method"] == "eu_sr") & df["flags"].str.contains("reported_stage")]
    rep = set(zip(reported["party"], reported["commodity"], reported["stage"], reported["year"], strict=True))
    for party, part in wide.groupby(level=0, sort=False):
        name = df.loc[df["party"] == party, "party_name"].iloc[0]
        t = Table(
            title=f"{escape(str(name))} ({escape(party)}) — supply risk", header_style="bold", pad_edge=False
        )
        t.add_column("Mineral · stage", no_wrap=True)
        multi_year = part.index.get_level_values(3).nunique() > 1
        if multi_year:
            t.add_column("Year", justify="right")
        cols = list(part.columns)
        for c in cols:
            t.add_column(c.replace("_", " "), justify="right")
        t.add_column("Flags")
        for idx, r in part.iterrows():
            _, com, stage, yr = idx
            row = [f"{com.replace('_', ' ')} · {stage}"]
            if multi_year:
                row.append(str(yr))
            for c in cols:
                v = r[c]
                cell = fmt_num(v, 2 if c in ("eu_sr", "geopolrisk_cf") else 3)
                if c == "origin" and v == v:
                    cell = f"{100 * v:.0f}%"
                if c == "eu_sr" and idx in rep:
                    cell += "*"
                row.append(cell)
            fl = [f for f in flags.loc[idx] if f not in ("reported_stage",)]
            row.append(escape(", ".join(fl)))
            t.add_row(*row)
        console.print(t)
    console.print(
        "  eu_sr*: the stage the EU method reports (the higher SR). origin: share of supply traced to "
        "the chosen origin. Full inputs and provenance per row with --out.",
        highlight=False,
    )
