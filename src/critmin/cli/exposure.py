"""``critmin exposure``: which critical minerals a country or bloc imports, from whom, how concentrated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import dataset, note_commodities, parse_years, progress, write_table
from critmin.formats import percent


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
    year: Annotated[
        int | None,
        typer.Option(help="Analysis year (default: the latest year of trade data, as critmin report)."),
    ] = None,
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
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the full table to .csv, .json or .parquet ('-': stdout)."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="table (default), or csv/json to stdout for other programs."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not print the table.")] = False,
) -> None:
    """Exposure to every critical mineral: imports, top suppliers, supplier HHI, China's share, net import
    reliance and world production concentration (mine and refined stages).

    The table fits the terminal (least important columns left out at 80 columns); piped, it is printed
    whole; ``--format csv`` (or ``--out -``) writes every column to stdout.
    """
    from critmin.cli import render

    printed, path = render.output_plan(out, fmt)
    year, year_list = parse_years(year, years)
    note_commodities(commodity)
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
        if path is not None:
            write_table(df, path)
        step()
    if printed in ("csv", "json"):
        render.emit(df, printed)
        return
    if printed == "table" and not quiet:
        for _, part in df.groupby("party", sort=False):
            show_party(part)
    if path is not None:
        render.console(stderr=True).print(
            f"wrote {render.plain(path)} ({len(df)} rows, {len(df.columns)} columns)"
        )


def show_party(part, width: int | None = None) -> None:
    """One party's exposure as a terminal table (largest imports first; immaterial rows dimmed)."""
    from critmin.cli import render
    from critmin.cli.render import Col
    from critmin.indicators.disagreement import MARGIN
    from critmin.indicators.materiality import DEFAULT as material

    share_col = next(c for c in part.columns if c.startswith("share_from_"))
    who = share_col.removeprefix("share_from_")
    multi = part["year"].nunique() > 1
    if not multi:
        part = part.sort_values("import_value_kusd", ascending=False, na_position="last", kind="stable")
    notes: dict[str, int] = {}
    rows = []
    for r in part.to_dict("records"):
        pieces = [t.strip() for t in str(r["disagreement"] or "").split(";")] + [r["coverage"] or ""]
        if not r["material"] and r["import_value_kusd"] and r["import_value_kusd"] > 0:
            pieces.append(f"below materiality ({material.label}): not a finding")
        if r["material"] and r["import_reliance"] != r["import_reliance"]:
            # '—' under a material import's net import reliance says why (the CSV's import_reliance_note)
            pieces.append("net import reliance: " + str(r["import_reliance_note"]).split("; production ")[0])
        marks = [notes.setdefault(p, len(notes) + 1) for p in pieces if p]
        r["_note"] = ",".join(str(k) for k in dict.fromkeys(marks))
        r["_name"] = f"{r['commodity_name']} · {r['stage']}"
        r["_from"] = _marked(r[share_col], r["basis_disagrees"])
        r["_mine"] = _marked(
            r["world_mine_china_share"], r["world_mine_china_share_alt"] == r["world_mine_china_share_alt"]
        )
        r["_ref"] = _marked(
            r["world_refined_china_share"],
            r["world_refined_china_share_alt"] == r["world_refined_china_share_alt"],
        )
        for k in (1, 2, 3):
            s = r[f"supplier_{k}"]
            r[f"_s{k}"] = f"{s} {percent(r[f'supplier_{k}_share'])}" if isinstance(s, str) else ""
        r["_t"] = (
            f"{render.compact(r['import_content_tonnes'])} {r['content_basis']}"
            if r["import_content_tonnes"] == r["import_content_tonnes"]
            else "—"
        )
        rows.append(r)
    cols = [
        Col("_name", "Mineral · stage", "name", 0, min_width=14),
        *([Col("year", "Year", "code", 0)] if multi else []),
        Col("import_value_kusd", "Imports USD", "kusd", 0),
        Col("_from", f"From {who}", "pct", 0),
        Col("_s1", "1st supplier", "code", 1),
        Col("import_reliance", "Net import reliance", "pct", 2),
        Col("_mine", "World mine CHN", "pct", 3),
        Col("_ref", "World refined CHN", "pct", 3),
        Col("_t", "Imports t content", "code", 4),
        Col("supplier_hhi", "Supplier HHI", "hhi", 5),
        Col("_s2", "2nd supplier", "code", 6),
        Col("_s3", "3rd supplier", "code", 7),
        Col("world_mine_hhi", "World mine HHI", "hhi", 8),
        Col("world_refined_hhi", "World refined HHI", "hhi", 8),
        Col("_note", "Note", "code", 0),
    ]
    first = part.iloc[0]
    years = ", ".join(str(y) for y in sorted(part["year"].unique()))
    render.render(
        rows,
        cols,
        title=f"{first['party_name']} ({first['party']}): critical-mineral imports {years}",
        notes=[f"[{k}] {text}" for text, k in notes.items()],
        caption=_caption(part, who, MARGIN),
        width=width,
        styles=lambda r: None if r["material"] else "dim",
    )


def _marked(share, flag) -> str:
    """A share with '*' when another basis or source disagrees (the note says how)."""
    from critmin.cli.render import format_value

    text = format_value(share, "pct")
    return text + "*" if flag and text != "—" else text


def _caption(part, who: str, margin: float) -> str:
    from critmin.formats import group_sources

    # each source and edition once, with what it gives: 'WMD 2026 (Ag, Al, ...)' (as the report writes it)
    srcs = group_sources(
        s for col in ("world_mine_source", "world_refined_source") for s in part[col].dropna().unique()
    )
    years = sorted({int(y) for col in ("world_mine_year", "world_refined_year") for y in part[col].dropna()})
    return (
        f"Trade: {part['trade_source'].iloc[0]} (CEPII), FOB current USD; tonnes of content on each stage's "
        f"basis. Shares of import {part['share_basis'].iloc[0]}. World production: {'; '.join(srcs)}, "
        f"years {', '.join(map(str, years))}. HHI 0-1. Net import reliance = (I−E)/(P+I−E), USGS. "
        f"*: by the other basis, or in another production source, the share is more than "
        f"{100 * margin:.0f} points away (see the note). Rows below materiality are dimmed."
    )
