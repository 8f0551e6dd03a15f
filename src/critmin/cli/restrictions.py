"""``critmin restrictions``: list, show, add, import, export and review export measures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

restrictions_app = typer.Typer(
    help="The export-restriction registry (dated, cited export measures on critical minerals).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(restrictions_app, name="restrictions")


def _db(ctx: typer.Context):
    return (ctx.obj or {}).get("db")


def _store(ctx: typer.Context, *, writable: bool = False):
    from critmin.store import Store

    return Store(_db(ctx))


def _write_out(df, out: Path) -> None:
    from rich.console import Console

    from critmin.scenarios.registry import export_records

    export_records(df, out)
    Console(stderr=True).print(f"wrote {len(df)} records to {_t(out)}")


def _t(value, limit: int | None = None) -> str:
    """Record fields come from users and the news: shown as text, never as markup or terminal codes."""
    from critmin.untrusted import terminal_text

    return terminal_text(value, limit)


def _short(items) -> str:
    items = list(items)
    return _t(", ".join(items)) if items else "all"


@restrictions_app.command("list")
def list_cmd(
    ctx: typer.Context,
    in_force: Annotated[
        str | None, typer.Option("--in-force", help="Only measures applying on this date (YYYY-MM-DD).")
    ] = None,
    commodity: Annotated[
        str | None, typer.Option("--commodity", "-c", help="Catalogue commodity (id or alias).")
    ] = None,
    imposer: Annotated[
        str | None, typer.Option("--imposer", "-i", help="Imposing country (name or ISO3).")
    ] = None,
    unreviewed: Annotated[
        bool, typer.Option("--unreviewed", help="Include unreviewed (news) proposals.")
    ] = False,
    relaxations: Annotated[
        bool, typer.Option("--relaxations", help="Include relaxations (suspensions of measures).")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write .csv/.json/.yaml/.parquet instead of a table ('-': stdout)."),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="table (default), or csv/json to stdout.")
    ] = None,
) -> None:
    """List measures, e.g. ``critmin restrictions list --in-force 2025-06-01 --commodity graphite``."""
    from critmin.cli import render
    from critmin.cli.common import note_commodities
    from critmin.scenarios.registry import restrictions

    printed, path = render.output_plan(out, fmt, (".csv", ".json", ".yaml", ".yml", ".parquet"))
    note_commodities(commodity)
    df = restrictions(
        _store(ctx),
        in_force=in_force,
        commodity=commodity,
        imposer=imposer,
        include_unreviewed=unreviewed,
        relaxations=relaxations,
    )
    if path is not None:
        _write_out(df, path)
        return
    if printed in ("csv", "json"):
        render.emit(df, printed)
        return
    from critmin.scenarios.registry import all_records, lapse_notes

    records = all_records(_store(ctx))
    # short ids unique among every record `show` can find, not only the ones this filter shows
    title = "Export measures" + (f" in force on {in_force}" if in_force else "")
    show_measures(df, title, known_ids=[r["id"] for r in records])
    if in_force:
        for note in lapse_notes(records, in_force):
            render.say(f"note: {note}")


def show_measures(df, title: str, width: int | None = None, known_ids=()) -> None:
    """The registry as a terminal table: who, what, how, to whom, since when; ids for ``show``, each the
    shortest start unique among its rows and ``known_ids`` (every record ``show`` can find)."""
    from critmin.cli import render
    from critmin.cli.render import Col
    from critmin.scenarios.registry import short_ids

    records = df.to_dict("records")
    short = short_ids([*(r["id"] for r in records), *known_ids])
    ended = any(r["end_date"] for r in records)
    rows = [
        {
            "id": short[r["id"]],
            "imposer": r["imposer"],
            # (superhard materials, equipment: goods outside the mineral catalogue; `show` has the title)
            "minerals": ", ".join(r["commodities"]).replace("_", " ") or "none in catalogue",
            "measure": r["measure_type"],
            "targets": ", ".join(r["targets"]) or "all",
            "effective": r["effective_date"] or "",
            "end": r["end_date"] or "",
            "status": (r["status"] or "").replace("_", " ") + ("" if r["reviewed"] else " (unreviewed)"),
            "title": r["title"] or "",
        }
        for r in records
    ]
    render.render(
        rows,
        [
            Col("imposer", "By", "code", 0),
            Col("minerals", "Minerals", "name", 0, min_width=12),
            Col("measure", "Measure", "code", 2),
            Col("targets", "To", "name", 2, min_width=4),
            Col("effective", "Effective", "code", 0),
            # the shortest start of the id that is unique (never wrapped: it is typed back into `show`)
            Col("id", "Id (for show)", "code", 1),
            Col("status", "Status", "code", 3),
            *([Col("end", "Ended", "code", 4)] if ended else []),
            Col("title", "Title", "name", 5, min_width=20),
        ],
        title=title,
        caption="Official announcements, dated and cited (critmin restrictions show ID for the legal "
        "reference, HS codes and source; --format csv for every field).",
        width=width,
    )
    render.console(width).print(f"{len(df)} measures. Details: critmin restrictions show ID")


@restrictions_app.command("show")
def show_cmd(ctx: typer.Context, id: Annotated[str, typer.Argument(help="Record id.")]) -> None:
    """Every field of one record."""
    from critmin.cli import render
    from critmin.cli.render import Col
    from critmin.scenarios.registry import FIELDS, get_restriction

    rec = get_restriction(_store(ctx), id)
    rows = [
        {"field": f.replace("_", " "), "value": ", ".join(map(str, v)) if isinstance(v, list) else v}
        for f in FIELDS
        if (v := rec[f]) not in (None, "", [])
    ]
    render.render(
        rows,
        [Col("field", "Field", "code", 0), Col("value", "Value", "name", 0, min_width=20)],
        title=f"Export measure {rec['id']}",
    )


@restrictions_app.command("add")
def add_cmd(
    ctx: typer.Context,
    imposer: Annotated[str, typer.Option("--imposer", "-i", help="Imposing country (name or ISO3).")],
    commodity: Annotated[
        str, typer.Option("--commodity", "-c", help="Comma-separated commodities, or critical_minerals.")
    ],
    measure_type: Annotated[
        str, typer.Option("--type", help="licence | ban | quota | export_tax | suspension | other")
    ],
    effective: Annotated[str | None, typer.Option("--effective", help="Effective date YYYY-MM-DD.")] = None,
    announced: Annotated[str | None, typer.Option("--announced", help="Announcement date.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="First day it no longer applied.")] = None,
    targets: Annotated[
        str | None, typer.Option("--targets", help="Comma-separated target countries (default: all).")
    ] = None,
    hs: Annotated[
        str | None, typer.Option("--hs", help="Comma-separated HS/customs codes as stated.")
    ] = None,
    end_uses: Annotated[str | None, typer.Option("--end-uses", help="e.g. 'military end users'.")] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="announced | planned | in_force | suspended | lifted | expired"),
    ] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    legal_reference: Annotated[
        str | None, typer.Option("--legal-ref", help="e.g. 'MOFCOM Announcement No. 23 [2023]'.")
    ] = None,
    url: Annotated[str | None, typer.Option("--url", help="Source URL.")] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    id: Annotated[
        str | None, typer.Option("--id", help="Record id (default: imposer-date-type-commodities).")
    ] = None,
) -> None:
    """Add (or update, same id) a user record in the store."""
    from rich.console import Console

    from critmin.scenarios.registry import add_restriction

    rec = {
        "id": id,
        "imposer": imposer,
        "commodities": commodity,
        "measure_type": measure_type,
        "effective_date": effective,
        "announced_date": announced,
        "end_date": end,
        "targets": targets,
        "hs_codes": hs,
        "end_uses": end_uses,
        "status": status,
        "title": title,
        "legal_reference": legal_reference,
        "source_url": url,
        "notes": notes,
        "source": "user",
    }
    rid = add_restriction(_store(ctx), rec)
    Console().print(f"stored {_t(rid)}")


@restrictions_app.command("import")
def import_cmd(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="YAML, JSON or CSV file of records.")]
) -> None:
    """Add or update every record of a file (validated first; all or nothing)."""
    from rich.console import Console

    from critmin.scenarios.registry import import_restrictions

    got = import_restrictions(_store(ctx), file)
    Console().print(f"imported {len(got)} records from {_t(file)}")


@restrictions_app.command("export")
def export_cmd(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output .yaml/.csv/.json/.parquet.")] = Path(
        "restrictions.yaml"
    ),
    unreviewed: Annotated[bool, typer.Option("--unreviewed", help="Include unreviewed proposals.")] = False,
) -> None:
    """Write the whole registry (seed + store, relaxations included) to a file you can edit and re-import."""
    from critmin.scenarios.registry import restrictions

    df = restrictions(_store(ctx), include_unreviewed=unreviewed, relaxations=True)
    _write_out(df, out)


@restrictions_app.command("review")
def review_cmd(
    ctx: typer.Context,
    id: Annotated[str, typer.Argument(help="Record id.")],
    accept: Annotated[bool, typer.Option("--accept/--reject", help="Accept or reject the proposal.")] = True,
) -> None:
    """Accept (reviewed) or reject (excluded from queries) a record, e.g. one proposed from the news."""
    from rich.console import Console

    from critmin.scenarios.registry import review_restriction

    review_restriction(_store(ctx), id, accept)
    Console().print(f"{_t(id)}: {'accepted' if accept else 'rejected'}")
