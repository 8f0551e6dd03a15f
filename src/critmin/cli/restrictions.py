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
        Path | None, typer.Option("--out", "-o", help="Write .csv/.json/.yaml/.parquet instead of a table.")
    ] = None,
) -> None:
    """List measures, e.g. ``critmin restrictions list --in-force 2025-06-01 --commodity graphite``."""
    from rich.console import Console
    from rich.table import Table

    from critmin.scenarios.registry import restrictions

    df = restrictions(
        _store(ctx),
        in_force=in_force,
        commodity=commodity,
        imposer=imposer,
        include_unreviewed=unreviewed,
        relaxations=relaxations,
    )
    if out:
        _write_out(df, out)
        return
    title = "Export measures" + (f" in force on {_t(in_force)}" if in_force else "")
    table = Table(title=title, show_lines=False)
    table.add_column("id", no_wrap=True)
    for col in ("imposer", "commodities", "type", "targets", "effective", "end", "status"):
        table.add_column(col, overflow="fold")
    for r in df.itertuples(index=False):
        table.add_row(
            _t(r.id),
            _t(r.imposer),
            _short(r.commodities),
            _t(r.measure_type),
            _short(r.targets),
            _t(r.effective_date or ""),
            _t(r.end_date or ""),
            _t(r.status) + ("" if r.reviewed else " (unreviewed)"),
        )
    console = Console()
    console.print(table)
    console.print(f"{len(df)} measures. Details: critmin restrictions show ID")


@restrictions_app.command("show")
def show_cmd(ctx: typer.Context, id: Annotated[str, typer.Argument(help="Record id.")]) -> None:
    """Every field of one record."""
    from rich.console import Console
    from rich.table import Table

    from critmin.scenarios.registry import FIELDS, get_restriction

    rec = get_restriction(_store(ctx), id)
    table = Table(show_header=False, title=_t(rec["id"]))
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for f in FIELDS:
        v = rec[f]
        table.add_row(f, _t(", ".join(v) if isinstance(v, list) else ("" if v is None else str(v))))
    Console().print(table)


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
