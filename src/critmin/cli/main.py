"""The ``critmin`` command.

Each area of the CLI lives in its own module under ``critmin.cli`` and exposes ``register(app)``.
Modules import their heavy dependencies inside the command functions so that ``critmin --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from critmin.errors import CritminError

DEBUG_ENV = "CRITMIN_DEBUG"
_state = {"debug": False}  # --debug of the command being run
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


def _typer() -> typer.Typer:
    return typer.Typer(
        name="critmin",
        help="Critical-minerals supply-chain security: exposure, supply risk, disruption scenarios and "
        "countermeasures from real open data (BACI, World Mining Data, USGS, WGI, IEA).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="markdown",
    )


app = _typer()


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
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="On an error, show the full Python traceback (also CRITMIN_DEBUG=1).",
            envvar=DEBUG_ENV,
        ),
    ] = False,
) -> None:
    from critmin.cli.common import check_store_path

    _state["debug"] = debug  # read by main() when an exception reaches it
    ctx.obj = {"db": check_store_path(db), "debug": debug}


def _register_areas(target: typer.Typer, areas=AREAS) -> typer.Typer:
    target.callback()(_root)
    for area in areas:
        name = f"critmin.cli.{area}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(target)
    return target


_register_areas(app)


def _app_for(argv: list[str]) -> typer.Typer:
    """The app with only the area of the command being run, when its name is an area's (``critmin risk``):
    Typer builds every registered command's parameters on each run, which costs a cold command tens of ms.
    Anything else (``--help``, commands named otherwise) gets the whole app."""
    it = iter(argv)
    for tok in it:
        if tok == "--db":
            next(it, None)
        elif not tok.startswith("-"):
            if tok not in AREAS:
                return app
            one = _register_areas(_typer(), (tok,))
            names = {c.name for c in one.registered_commands} | {g.name for g in one.registered_groups}
            return one if tok in names else app
    return app


def _debugging() -> bool:
    return _state["debug"] or os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def error_message(exc: BaseException) -> str:
    """What the user is told about an exception that reached the command line (no traceback).

    critmin's own errors say what was wrong and what to do; anything else is named by its type with its
    first line and a pointer to ``--debug`` (an unexpected error is a bug worth reporting).
    """
    if isinstance(exc, CritminError):
        return str(exc)
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    if isinstance(exc, MemoryError):
        return "out of memory (the machine could not hold what this command needed; try a smaller input)"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return f"{exc.strerror or first or type(exc).__name__}{where}"
    kind = type(exc).__name__
    return (
        f"unexpected {kind}: {first or 'no message'} — this is a bug in critmin; rerun with --debug (or "
        f"{DEBUG_ENV}=1) for the traceback and please report it"
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the app and turns every exception into a one-line ``error:`` message on stderr.

    Exit codes: 2 for critmin's own errors (bad input, unknown value, no data, offline, locked store), 1 for
    anything unexpected, 130 when interrupted. ``--debug`` or ``CRITMIN_DEBUG=1`` re-raises for the traceback.
    """
    _state["debug"] = False
    try:
        _app_for(sys.argv[1:] if argv is None else argv)(args=argv, standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        if _debugging():
            raise
        _say("interrupted; nothing was written (every write is one transaction)")
        sys.exit(130)
    except BaseException as exc:
        if _debugging():
            raise
        _say(error_message(exc))
        sys.exit(2 if isinstance(exc, CritminError) else 1)


def _say(message: str) -> None:
    try:
        from rich.console import Console

        from critmin.untrusted import terminal_text

        text = "\n".join(terminal_text(line, single_line=True) for line in message.splitlines())
        Console(stderr=True).print(
            f"[bold red]error:[/] {text}", highlight=False, markup=True, soft_wrap=True
        )
    except Exception:  # the error display must never fail on top of the error
        print(f"error: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    main()
