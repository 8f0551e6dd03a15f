"""``critmin exposure``: which critical minerals a country or bloc imports, from whom, how concentrated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import (
    check_output,
    dataset,
    fmt_big,
    fmt_num,
    fmt_share,
    parse_years,
    progress,
    write_table,
)


def register(app: typer.Typer) -> None:
    app.command("exposure")(exposure)


def exposure(
    ctx: typer.Context,
    parties: Annotated[
        str,
        typer.Option(
            "--for",
            help="Importers: ISO3 codes, country names, blocs (G7, EU, MSP, "
            "...) or unions like JPN+ITA, comma-separated.",
        ),
    ],
    year: Annotated[int | None, typer.Option(help="Trade year (default: latest in the data).")] = None,
    years: Annotated[
        str | None, typer.Option(help="Time series instead of one year, e.g. 2018-2024.")
    ] = None,
    commodity: Annotated[
        str | None,
        typer.Option("--commodity", "-c", help="Commodities (ids or names, comma-separated; default all)."),
    ] = None,
    basis: Annotated[str, typer.Option(help="Shares of import 'value' (kUSD) or 'tonnes'.")] = "value",
    share_from: Annotated[
        str, typer.Option(help="Country or bloc whose share of imports is reported.")
    ] = "CHN",
    intra_bloc: Annotated[
        bool, typer.Option("--intra-bloc", help="Keep trade between members of a bloc.")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Write the full table to .csv, .json or .parquet.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not print the table.")] = False,
) -> None:
    """Exposure to every critical mineral: imports, top suppliers, supplier HHI, China's share, net import
    reliance and world production concentration (mine and refined stages)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    year, year_list = parse_years(year, years)
    if out is not None:
        check_output(out)
    with progress("exposure", total=3) as step:
        step("opening the store", 0)
        ds = dataset(ctx)
        step("loading trade and production")
        df = ds.exposure(
            parties,
            year,
            years=year_list,
            commodities=commodity,
            basis=basis,
            intra_bloc=intra_bloc,
            share_from=share_from,
        )
        step("done")
        if out is not None:
            write_table(df, out)
        step()
    console = Console() if Console().is_terminal else Console(width=150)
    share_col = next(c for c in df.columns if c.startswith("share_from_"))
    if not quiet:
        for label, part in df.groupby("party", sort=False):
            notes: dict[str, int] = {}
            t = Table(
                title=f"{escape(part['party_name'].iloc[0])} ({escape(label)}) — critical-mineral imports "
                f"{', '.join(str(y) for y in sorted(part['year'].unique()))}",
                caption=_caption(part),
                caption_justify="left",
                header_style="bold",
                pad_edge=False,
            )
            t.add_column("Mineral · stage", no_wrap=True)
            if part["year"].nunique() > 1:
                t.add_column("Year", justify="right")
            t.add_column("Imports\nUSD", justify="right")
            t.add_column("Imports\nt content", justify="right")
            t.add_column("Top suppliers (% of imports)", no_wrap=True)
            t.add_column("Supplier\nHHI", justify="right")
            t.add_column(f"From\n{share_col[11:]}", justify="right")
            t.add_column("Net import\nreliance", justify="right")
            t.add_column("World mine\nHHI/CHN", justify="right")
            t.add_column("World refin.\nHHI/CHN", justify="right")
            t.add_column("Note", justify="right")
            for r in part.itertuples(index=False):
                sup = "  ".join(
                    f"{getattr(r, f'supplier_{k}')} {100 * getattr(r, f'supplier_{k}_share'):.0f}"
                    for k in (1, 2, 3)
                    if isinstance(getattr(r, f"supplier_{k}"), str)
                )
                note = ""
                if r.coverage:
                    note = f"[{notes.setdefault(r.coverage, len(notes) + 1)}]"
                row = [f"{escape(r.commodity_name)} · {r.stage}"]
                if part["year"].nunique() > 1:
                    row.append(str(r.year))
                row += [
                    fmt_big(r.import_value_kusd * 1e3) if r.import_value_kusd == r.import_value_kusd else "—",
                    f"{fmt_big(r.import_content_tonnes)} {r.content_basis}"
                    if r.import_content_tonnes == r.import_content_tonnes
                    else "—",
                    escape(sup) or "—",
                    fmt_num(r.supplier_hhi),
                    fmt_share(getattr(r, share_col)),
                    fmt_share(r.import_reliance),
                    _world(r.world_mine_hhi, r.world_mine_china_share),
                    _world(r.world_refined_hhi, r.world_refined_china_share),
                    note,
                ]
                t.add_row(*row)
            console.print(t)
            for text, k in notes.items():
                console.print(f"  [{k}] {escape(text)}", highlight=False)
            console.print()
    if out is not None:
        console.print(f"[green]wrote[/] {escape(str(out))} ({len(df)} rows, {len(df.columns)} columns)")


def _world(hhi, chn) -> str:
    if hhi is None or hhi != hhi:  # NaN
        return "—"
    return f"{hhi:.2f}/{fmt_share(chn)}"


def _caption(part) -> str:
    srcs = sorted(
        {s for col in ("world_mine_source", "world_refined_source") for s in part[col].dropna().unique()}
    )
    years = sorted({int(y) for col in ("world_mine_year", "world_refined_year") for y in part[col].dropna()})
    return (
        "Trade: " + str(part["trade_source"].iloc[0]) + " (CEPII; FOB current USD; gross tonnes). "
        "World production: " + "; ".join(srcs) + f", years {', '.join(map(str, years))}. "
        "HHI 0–1; shares of import "
        + str(part["share_basis"].iloc[0])
        + "; net import reliance = (I−E)/(P+I−E), USGS definition."
    )
