"""``critmin scenario``: export-restriction cascades (one run) and Monte Carlo sweeps (in-process or Dask)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

scenario_app = typer.Typer(
    help="Disruption scenarios: push export restrictions through the trade network (Marchand et al. 2016).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(scenario_app, name="scenario")


def _spec(text: str, what: str):
    """'0.5' → 0.5; '0.5:1' → (0.5, 1.0)."""
    from critmin.errors import CritminError

    try:
        if ":" in text:
            lo, hi = text.split(":", 1)
            return (float(lo), float(hi))
        return float(text)
    except ValueError:
        raise CritminError(f"{what}: expected a number or LOW:HIGH, got {text!r}") from None


def _pairs(text: str | None, what: str) -> dict:
    """'JPN=60,USA=30:90' → {'JPN': 60.0, 'USA': (30.0, 90.0)} (country names resolved to ISO3)."""
    from critmin.errors import CritminError
    from critmin.reference import countries

    out: dict = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise CritminError(f"{what}: expected COUNTRY=VALUE (e.g. JPN=60), got {part.strip()!r}")
        k, v = part.split("=", 1)
        out[countries.resolve(k.strip())] = _spec(v.strip(), f"{what} {k.strip()}")
    return out


def _countries(text: str | None) -> list[str]:
    from critmin.reference import countries

    return [countries.resolve(t.strip()) for t in (text or "").split(",") if t.strip()]


def _network(ctx, commodity: str, stage: str | None, year: int | None):
    import critmin
    from critmin.reference import commodities as cat
    from critmin.scenarios.network import build_network

    c = cat.get(commodity)
    if stage is None:
        if not c.trade_stages:
            from critmin.errors import NoDataError

            raise NoDataError(f"{c.id} has no stage with HS92 trade codes, so no trade network")
        stage = c.trade_stages[0]
    ds = critmin.open((ctx.obj or {}).get("db"))
    if year is None:
        year = ds.trade_years()[1] - 1  # the last year is often incomplete in BACI
    return ds, build_network(ds, c.id, stage, int(year))


def _write(obj, out: Path, table=None) -> None:
    from rich.console import Console

    from critmin.cli.common import write_table

    # .json holds the whole result (world totals + table); .csv/.parquet the table
    if out.suffix.lower() == ".json":
        out.write_text(obj if isinstance(obj, str) else str(obj), encoding="utf-8")
    else:
        write_table(table, out)
    Console(stderr=True).print(f"wrote {out}")


def _fmt(x: float, digits: int = 0) -> str:
    import math

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, float) and math.isinf(x):
        return "∞"
    return f"{x:,.{digits}f}"


@scenario_app.command("restrict")
def restrict_cmd(
    ctx: typer.Context,
    by: Annotated[str | None, typer.Option("--by", help="Restricting country (or comma list).")] = None,
    commodity: Annotated[str, typer.Option("--commodity", "-c", help="Catalogue commodity.")] = "rare_earths",
    stage: Annotated[
        str | None, typer.Option("--stage", help="mine | refined (default: first traded stage).")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Network year (default: latest complete).")
    ] = None,
    share: Annotated[float, typer.Option("--share", help="Fraction of its exports stopped (ban = 1).")] = 1.0,
    targets: Annotated[
        str | None, typer.Option("--targets", help="Comma list of target countries (default all).")
    ] = None,
    measure: Annotated[
        str | None, typer.Option("--measure", help="Use a registry record id as the restriction.")
    ] = None,
    stocks: Annotated[
        str | None, typer.Option("--stocks", help="Days of consumption, e.g. JPN=60,USA=30.")
    ] = None,
    default_stocks: Annotated[
        float, typer.Option("--default-stocks", help="Stock days of other countries.")
    ] = 0.0,
    substitution: Annotated[
        float,
        typer.Option(
            "--substitution", help="f_c: share of each residual shock absorbed by consumption (0-1)."
        ),
    ] = 0.0,
    top: Annotated[int, typer.Option("--top", help="Rows to show.")] = 15,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=".json (world + countries + links) or .csv/.parquet (countries)."),
    ] = None,
) -> None:
    """One export-restriction cascade, e.g. ``critmin scenario restrict --by CHN --commodity rare_earths
    --stage refined --share 1.0 --targets JPN --year 2023 --stocks JPN=60``."""
    from rich.console import Console
    from rich.table import Table

    from critmin.errors import CritminError
    from critmin.scenarios.scenario import Restriction, restrict

    stock_days = _pairs(stocks, "--stocks")
    if any(isinstance(v, tuple) for v in stock_days.values()):
        raise CritminError(
            "--stocks: ranges (LOW:HIGH) are for 'scenario sweep'; give one number per country"
        )
    ds, net = _network(ctx, commodity, stage, year)
    restrictions = None
    if measure:
        from critmin.scenarios.registry import get_restriction

        rec = get_restriction(ds, measure)
        restrictions = [Restriction.from_record(rec, share if share != 1.0 else None)]
    elif by is None:
        raise CritminError("say who restricts: --by CHN (or --measure REGISTRY_ID)")
    res = restrict(
        net,
        by=[b.strip() for b in by.split(",")] if by else None,
        share=share,
        targets=_countries(targets),
        restrictions=restrictions,
        stocks=stock_days,
        default_stock_days=default_stocks,
        substitution=substitution,
    )
    df = res.countries(affected_only=True)
    if out:
        _write(res.to_json(), out, df)
    w = res.world()
    console = Console()
    table = Table(title=f"{res.name}: {net.basis} t/yr, {w['rounds']} rounds", show_lines=False)
    for col in (
        "country",
        "consumption t",
        "stocks d",
        "direct loss t",
        "Δstocks t",
        "shortfall t",
        "shortfall %",
        "Δimports t",
        "days of cover",
    ):
        table.add_column(col, justify="left" if col == "country" else "right")
    for r in df.head(top).itertuples(index=False):
        table.add_row(
            f"{r.country} {r.country_name}"[:28],
            _fmt(r.consumption_tonnes),
            _fmt(r.stocks_days),
            _fmt(r.direct_loss_tonnes),
            _fmt(r.delta_stocks_tonnes),
            _fmt(r.shortfall_tonnes),
            _fmt(r.shortfall_pct_of_consumption, 1),
            _fmt(r.delta_imports_tonnes),
            _fmt(r.days_of_cover),
        )
    console.print(table)
    console.print(
        f"restricted {w['restricted_tonnes']:,.0f} t; world: Δstocks {w['delta_stocks_tonnes']:,.0f} t, "
        f"shortfall {w['shortfall_tonnes']:,.0f} t ({w['countries_with_shortfall']} countries); "
        f"sources {w['source']} ({w['edition']})"
    )
    for note in w["notes"]:
        console.print(f"[dim]note: {note}[/]")


@scenario_app.command("sweep")
def sweep_cmd(
    ctx: typer.Context,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="'registry' (probabilities from the registry's history), CHN, CHN,RUS or CHN=0.8,RUS=0.2.",
        ),
    ] = "registry",
    commodity: Annotated[str, typer.Option("--commodity", "-c")] = "rare_earths",
    stage: Annotated[str | None, typer.Option("--stage")] = None,
    year: Annotated[int | None, typer.Option("--year")] = None,
    share: Annotated[
        str, typer.Option("--share", help="Restricted share: number or LOW:HIGH (uniform).")
    ] = "0.5:1",
    targets: Annotated[
        str | None, typer.Option("--targets", help="Comma list of targets (default all).")
    ] = None,
    stocks: Annotated[
        str | None, typer.Option("--stocks", help="Days per country, e.g. JPN=30:90,USA=60.")
    ] = None,
    default_stocks: Annotated[
        str, typer.Option("--default-stocks", help="Days for other countries: number or LOW:HIGH.")
    ] = "0",
    substitution: Annotated[str, typer.Option("--substitution", help="f_c: number or LOW:HIGH.")] = "0:0.2",
    draws: Annotated[int, typer.Option("--draws", "-n")] = 10_000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    dask: Annotated[
        bool, typer.Option("--dask", help="Run on a local Dask cluster (127.0.0.1, dashboard off).")
    ] = False,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Use an existing Dask scheduler, e.g. tcp://host:8786.")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Workers of the --dask LocalCluster.")] = 2,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Draws per task.")] = 250,
    top: Annotated[int, typer.Option("--top")] = 15,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help=".json (world + summary) or .csv/.parquet (summary).")
    ] = None,
) -> None:
    """Monte Carlo over who restricts, how much, stocks and substitution → p50/p90/p99 shortfall per country."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from critmin.scenarios.executors import get_executor
    from critmin.scenarios.montecarlo import sweep

    if "=" in by:
        imposers = {k: float(v) for k, v in _pairs(by, "--by").items()}
    elif by.strip().lower() == "registry":
        imposers = "registry"
    else:
        imposers = _countries(by)
    ds, net = _network(ctx, commodity, stage, year)
    console = Console()
    with (
        get_executor(dask=dask, scheduler=scheduler, n_workers=workers) as ex,
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as progress,
    ):
        task = progress.add_task(f"{net.commodity} {net.stage} {net.year} ({ex.name})", total=draws)
        res = sweep(
            net,
            draws=draws,
            imposers=imposers,
            share=_spec(share, "--share"),
            targets=_countries(targets),
            stocks=_pairs(stocks, "--stocks"),
            default_stock_days=_spec(default_stocks, "--default-stocks"),
            substitution=_spec(substitution, "--substitution"),
            seed=seed,
            executor=ex,
            chunk_size=chunk_size,
            progress=lambda k: progress.advance(task, k),
            ds=ds,
        )
    summary = res.summary()
    if out:
        _write(res.to_json(), out, summary)
    w = res.world()
    who = ", ".join(f"{k} {v:.0%}" for k, v in w["imposers"].items())
    table = Table(
        title=f"{net.commodity} {net.stage} {net.year}: {draws:,} draws, imposer {who} ({net.basis} t/yr)"
    )
    for col in ("country", "P(short)", "p50 t", "p90 t", "p99 t", "p90 %", "days p50", "days p10", "days p1"):
        table.add_column(col, justify="left" if col == "country" else "right")
    for r in summary.head(top).itertuples(index=False):
        table.add_row(
            f"{r.country} {r.country_name}"[:28],
            f"{r.p_shortfall:.0%}",
            _fmt(r.shortfall_p50_tonnes),
            _fmt(r.shortfall_p90_tonnes),
            _fmt(r.shortfall_p99_tonnes),
            _fmt(r.shortfall_p90_pct, 1),
            _fmt(r.days_of_cover_p50),
            _fmt(r.days_of_cover_p10),
            _fmt(r.days_of_cover_p1),
        )
    console.print(table)
    console.print(
        f"world shortfall p50 {w['world_shortfall_p50_tonnes']:,.0f} t, p90 "
        f"{w['world_shortfall_p90_tonnes']:,.0f} t, p99 {w['world_shortfall_p99_tonnes']:,.0f} t; "
        f"sources {w['source']} ({w['edition']})"
    )
