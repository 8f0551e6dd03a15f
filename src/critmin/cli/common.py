"""Helpers shared by the CLI modules: opening the dataset, writing tables, progress, formatting."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.render import OUTPUT_FORMATS, check_output  # noqa: F401 - the commands import them from here
from critmin.errors import CritminError, UnknownValueError
from critmin.formats import percent

#: ``--risk-weight`` and ``--as-of``, the same on ``risk``, ``optimize`` and ``stockpile``
RiskWeight = Annotated[
    str | None,
    typer.Option(
        "--risk-weight",
        help="Supplier weight: wgi (WGI political instability, the published GeoPolRisk weight) or coercion "
        "(adds UNGA distance to the importer and the supplier's dated record of export restrictions).",
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="With --risk-weight coercion: read the restriction record on this date (YYYY-MM-DD or 'today'; "
        "default 31 Dec of the analysis year).",
    ),
]


#: ``--as-of`` where the restriction registry also gives the imposer probabilities (stockpile, sweeps)
RegistryAsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Read the restriction registry on this date (YYYY-MM-DD or 'today'; default 31 Dec of the "
        "analysis year): the registry's imposer probabilities, and the record of --risk-weight coercion.",
    ),
]


def check_as_of(as_of: str | None, *, applies: bool, hint: str) -> None:
    """Validate ``--as-of`` before any work (a bad date fails here) and refuse it where nothing reads the
    restriction registry (``hint`` says what would)."""
    from critmin.errors import CritminError
    from critmin.indicators.coercion import as_of_date

    if as_of is None:
        return
    as_of_date(2000, as_of)
    if not applies:
        raise CritminError(f"--as-of dates the restriction registry, which nothing reads here: {hint}")


def risk_weight_options(
    risk_weight: str | None, as_of: str | None, *, registry_imposers: bool = False
) -> str | None:
    """Validate ``--risk-weight`` and ``--as-of`` before any work; the canonical weight (None if not given).

    ``registry_imposers``: the command will draw its imposers from the registry (so ``--as-of`` applies
    without the coercion weight)."""
    from critmin.indicators.coercion import check_risk_weight

    weight = None if risk_weight is None else check_risk_weight(risk_weight)
    check_as_of(
        as_of,
        applies=weight == "coercion" or registry_imposers,
        hint="add --risk-weight coercion, or draw the imposers from the registry",
    )
    return weight


def dataset(ctx: typer.Context):
    """The Dataset for the global ``--db`` option (built on first use)."""
    import critmin

    db = (ctx.obj or {}).get("db") if ctx is not None else None
    return critmin.open(db)


def write_table(df, path: Path) -> Path:
    """Write a tidy table as CSV, JSON (records) or Parquet, chosen by the file suffix.

    CSV has no list type: list cells (e.g. partners, flags) are written joined with ';'. CSV is written by
    :func:`critmin.untrusted.write_csv`: text cells that a spreadsheet would run as a formula (leading ``=``,
    ``+``, ``-``, ``@``, tab, CR) are prefixed with ``'`` (OWASP "CSV Injection").
    """
    from critmin.cli.render import stable_floats
    from critmin.untrusted import write_csv

    path = Path(path)
    suffix = check_output(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df = stable_floats(df)  # fixed significant digits: the same bytes run after run
    if suffix == ".csv":
        write_csv(df, path)
    elif suffix == ".json":
        df.to_json(path, orient="records", indent=1, date_format="iso", force_ascii=False)
    else:
        df.to_parquet(path, index=False)
    return path


@contextlib.contextmanager
def progress(description: str, total: int | None = None, *, transient: bool = True) -> Iterator:
    """A rich progress bar on stderr; yields ``advance(step_description)``."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
    ) as bar:
        task = bar.add_task(description, total=total)

        def advance(step: str | None = None, n: int = 1) -> None:
            if step:
                bar.update(task, description=f"{description}: {step}")
            bar.advance(task, n)

        yield advance


YEAR_BOUNDS = (1900, 2100)  # checked before a range is expanded, so '0-100000000' allocates nothing


def parse_years(year: int | None, years: str | None) -> tuple[int | None, list[int] | None]:
    """``--year 2023`` or ``--years 2018-2024`` / ``--years 2019,2021``."""
    if years is None:
        return year, None
    lo_ok, hi_ok = YEAR_BOUNDS
    out: list[int] = []
    for part in years.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-", 1)
            try:
                lo, hi = int(a), int(b)
            except ValueError:
                raise UnknownValueError("year range", part, hint="write e.g. 2018-2024") from None
            if lo > hi:
                raise CritminError(f"year range {part!r} is reversed: write it low to high, {hi}-{lo}")
            if not lo_ok <= lo <= hi <= hi_ok:
                raise UnknownValueError("year range", part, hint=f"within {lo_ok}-{hi_ok}, e.g. 2018-2024")
            out.extend(range(lo, hi + 1))
        elif part:
            try:
                y = int(part)
            except ValueError:
                raise UnknownValueError("year", part, hint="write e.g. 2023 or 2018-2024") from None
            if not lo_ok <= y <= hi_ok:
                raise UnknownValueError("year", part, hint=f"within {lo_ok}-{hi_ok}")
            out.append(y)
    return None, out


def fmt_share(x) -> str:
    return percent(x)


def fmt_num(x, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}f}"


def fmt_big(x) -> str:
    """Compact magnitude: 1.2k, 35.4M."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= div:
            return f"{x / div:.1f}{unit}"
    return f"{x:.0f}"


def note_commodities(spec: str | None) -> None:
    """Say on stderr when a commodity was read as another id ('rare_earth' -> rare_earths), so a guess is
    never silent."""
    if not spec or spec.strip().lower() == "all":
        return
    from critmin.cli.render import console, plain
    from critmin.reference import commodities as cat

    for token in (t.strip() for t in spec.split(",")):
        if token and token.lower() != (c := cat.get(token)).id:
            console(stderr=True).print(f"note: reading {plain(token)!r} as {c.id} ({c.name})")


#: suffixes of data files that are never a critmin store (a common slip: --db exposure.csv)
NOT_A_STORE = (".csv", ".json", ".parquet", ".xlsx", ".xls", ".txt", ".yaml", ".yml", ".zip", ".html", ".pdf")


def check_store_path(db: Path | None) -> Path | None:
    """The ``--db`` path, checked before anything opens it: a critmin store is a DuckDB file; an existing file
    that is not one, or a new name ending in a data-file suffix, is a clear error rather than a DuckDB one."""
    if db is None:
        return None
    from critmin.errors import StoreError

    path = Path(db)
    hint = "--db names critmin's DuckDB store (e.g. critmin.duckdb); data files go to `critmin data ingest`"
    if path.is_dir():
        raise StoreError(f"--db {path}: is a directory, not a store file ({hint})")
    if path.is_file() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            head = fh.read(16)
        if head[8:12] != b"DUCK":
            raise StoreError(f"--db {path}: not a DuckDB file ({hint})")
    elif path.suffix.lower() in NOT_A_STORE:
        raise StoreError(f"--db {path}: a {path.suffix} name for a new store ({hint})")
    return path
