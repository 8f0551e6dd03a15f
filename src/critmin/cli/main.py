"""The ``critmin`` command.

Each area of the CLI lives in its own module under ``critmin.cli`` and exposes ``register(app)``.
Modules import their heavy dependencies inside the command functions so that ``critmin --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from critmin.errors import CritminError

# Every area module that may exist; a missing one is skipped (so a partial install still runs).
AREAS = (
    "data",
    "exposure",
    "risk",
    "restrictions",
    "scenario",
    "optimize",
    "outlook",
    "news",
    "watch",
    "web",
    "serve",
    "report",
)

app = typer.Typer(
    name="critmin",
    help="Critical-minerals supply-chain security: exposure, supply risk, disruption scenarios and "
    "countermeasures from real open data (BACI, World Mining Data, USGS, WGI, IEA).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="DuckDB store to use (default: $CRITMIN_DB or the user data directory).",
            envvar="CRITMIN_DB",
        ),
    ] = None,
) -> None:
    ctx.obj = {"db": db}


def _register_areas() -> None:
    for area in AREAS:
        name = f"critmin.cli.{area}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(app)


_register_areas()


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the app and turns critmin's own errors into a one-line message and exit code 2."""
    try:
        app(args=argv, standalone_mode=True)
    except CritminError as exc:
        from rich.console import Console
        from rich.markup import escape

        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
