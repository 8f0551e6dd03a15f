"""``critmin optimize``, ``critmin stockpile``, ``critmin partners`` and ``critmin partnerships ...``.

Thin wrappers over :mod:`critmin.optimize` and :mod:`critmin.reference.partnerships`; heavy imports happen
inside the commands so that ``critmin --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

partnerships_app = typer.Typer(
    help="Critical-minerals partnerships (seed table + your store): list, add, import, review, export.",
    no_args_is_help=True,
)


# -- output helpers ----------------------------------------------------------------------------------------
def _write_out(df, out: Path | None) -> None:
    if out is None:
        return
    from critmin.errors import DataError

    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = df.copy()
    if suffix in (".csv", ".parquet"):
        for col in frame.columns:
            if frame[col].map(lambda v: isinstance(v, list | tuple)).any():
                frame[col] = frame[col].map(
                    lambda v: ";".join(map(str, v)) if isinstance(v, list | tuple) else v
                )
    if suffix == ".csv":
        frame.to_csv(out, index=False)
    elif suffix == ".json":
        frame.to_json(out, orient="records", indent=2, force_ascii=False)
    elif suffix == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        raise DataError("--out must end in .csv, .json or .parquet", path=str(out))
    from rich.console import Console

    Console(stderr=True).print(f"wrote {len(df)} rows to {out}")


def _fmt(v) -> str:
    import math

    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"
    if isinstance(v, list | tuple):
        return ", ".join(map(str, v))
    return str(v)


def _print_table(df, title: str | None = None, columns: list[str] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    cols = columns or list(df.columns)
    table = Table(title=title, show_lines=False)
    for c in cols:
        table.add_column(c, overflow="fold")
    for row in df[cols].itertuples(index=False):
        table.add_row(*[_fmt(v) for v in row])
    Console().print(table)


def _store(ctx: typer.Context):
    from critmin.store import Store

    db = (ctx.obj or {}).get("db") if ctx is not None else None
    return Store(db)


# -- partnerships ------------------------------------------------------------------------------------------
@partnerships_app.command("list")
def partnerships_list(
    ctx: typer.Context,
    country: Annotated[
        str | None,
        typer.Option(
            "--country",
            "-c",
            help="Only partnerships of this country (directly or through a bloc such as EU27).",
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Only those in force on this date (YYYY-MM-DD or a year).")
    ] = None,
    mineral: Annotated[
        str | None, typer.Option("--mineral", "-m", help="Only those covering this mineral.")
    ] = None,
    unreviewed: Annotated[
        bool, typer.Option("--unreviewed", help="Include records not yet reviewed.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the table (.csv/.json/.parquet).")] = None,
) -> None:
    """List partnerships (seed + store)."""
    from critmin.reference import partnerships as pt

    df = pt.partnerships(
        _store(ctx), country=country, as_of=as_of, include_unreviewed=unreviewed, mineral=mineral
    )
    cols = [
        "id",
        "parties",
        "level",
        "previous_level",
        "minerals",
        "date",
        "end_date",
        "status",
        "source",
        "reviewed",
    ]
    if country:
        cols.append("via")
    _print_table(df, f"{len(df)} partnerships", cols)
    _write_out(df, out)


@partnerships_app.command("add")
def partnerships_add(
    ctx: typer.Context,
    parties: Annotated[str, typer.Option("--parties", "-p", help="Parties, comma-separated (JPN,ITA).")],
    level: Annotated[str, typer.Option("--level", "-l", help="e.g. strategic, framework, MoU.")],
    date: Annotated[str, typer.Option("--date", "-d", help="Signature/announcement date YYYY-MM-DD.")],
    minerals: Annotated[
        str, typer.Option("--minerals", help="Catalogue ids, comma-separated, or critical_minerals.")
    ] = "critical_minerals",
    previous_level: Annotated[str | None, typer.Option("--previous-level")] = None,
    status: Annotated[
        str, typer.Option("--status", help="announced|agreed|signed|in_force|ended")
    ] = "signed",
    end_date: Annotated[str | None, typer.Option("--end-date")] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    source_url: Annotated[str | None, typer.Option("--url", help="Source URL.")] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    evidence: Annotated[
        str | None, typer.Option("--evidence", help="Exact sentence from the source.")
    ] = None,
    id: Annotated[
        str | None,
        typer.Option(
            "--id", help="Record id (default: parties-level-year); an existing id updates that record."
        ),
    ] = None,
) -> None:
    """Add (or update) a partnership in your store."""
    from critmin.reference import partnerships as pt

    rec = {
        "id": id,
        "parties": parties.split(","),
        "level": level,
        "date": date,
        "minerals": minerals.split(","),
        "previous_level": previous_level,
        "status": status,
        "end_date": end_date,
        "title": title,
        "source_url": source_url,
        "notes": notes,
        "evidence": evidence,
        "source": "user",
    }
    new_id = pt.add_partnership(_store(ctx), {k: v for k, v in rec.items() if v is not None})
    typer.echo(f"saved partnership {new_id}")


@partnerships_app.command("import")
def partnerships_import(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="YAML (list or 'partnerships:' list) or CSV file.")],
) -> None:
    """Import partnerships from an editable file (all-or-nothing; errors name the line and field)."""
    from critmin.reference import partnerships as pt

    ids = pt.import_partnerships(_store(ctx), path)
    typer.echo(f"imported {len(ids)} partnerships from {path}")


@partnerships_app.command("export")
def partnerships_export(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="YAML file to write (edit it and `import` it back).")],
    unreviewed: Annotated[bool, typer.Option("--unreviewed")] = False,
) -> None:
    """Export the current table to an editable YAML file."""
    from critmin.reference import partnerships as pt

    n = pt.export_partnerships(_store(ctx), path, include_unreviewed=unreviewed)
    typer.echo(f"wrote {n} partnerships to {path}")


@partnerships_app.command("review")
def partnerships_review(
    ctx: typer.Context,
    id: Annotated[str, typer.Argument(help="Record id.")],
    reject: Annotated[bool, typer.Option("--reject", help="Reject instead of accepting.")] = False,
) -> None:
    """Accept (or --reject) a record, e.g. one the news pipeline extracted."""
    from critmin.reference import partnerships as pt

    pt.review_partnership(_store(ctx), id, accepted=not reject)
    typer.echo(f"{'rejected' if reject else 'accepted'} {id}")


def register(app: typer.Typer) -> None:
    app.add_typer(partnerships_app, name="partnerships")
