"""``critmin scenario``: export-restriction cascades (one run) and Monte Carlo sweeps (in-process or Dask)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import RegistryAsOf, check_as_of

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
        year = ds.analysis_year()  # the one year of exposure and the briefing (whose stress test is this)
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


def _response(
    on: bool,
    horizon: float,
    elasticity: float,
    demand_elasticity: float,
    lead: float,
    spare: str,
    redirect: bool,
):
    """The --response options as a SupplyResponse (None when off)."""
    if not on:
        return None
    from critmin.scenarios.response import SupplyResponse

    spare_spec: object = spare.strip()
    if spare_spec != "demonstrated":
        spare_spec = (
            {k: float(v) for k, v in _pairs(spare, "--spare").items()}
            if "=" in spare
            else _spec(spare, "--spare")
        )
    return SupplyResponse(
        horizon_months=horizon,
        supply_elasticity=elasticity,
        demand_elasticity=demand_elasticity,
        lead_months=lead,
        spare=spare_spec,
        redirect=redirect,
    )


def _response_line(info: dict, imposers: str) -> str:
    """One line saying whether the supply response was on and, if so, what it did."""
    if not info.get("on"):
        return "supply response: off (--response lets other producers and the imposer's redirection respond)"
    extra = info.get("extra_output_tonnes", info.get("extra_output_mean_tonnes", 0.0))
    moved = (
        f"{'mean ' if 'extra_output_mean_tonnes' in info else ''}+{extra:,.0f} t from other producers"
        if extra > 0.5
        else "no extra output from other producers"
    )
    if info.get("redirected_tonnes"):
        moved += f", {info['redirected_tonnes']:,.0f} t redirected by {imposers}"
    pr = info.get("price_rise", info.get("price_rise_p50", 0.0))
    return (
        f"supply response: on, {info['horizon_months']:g} months ({info['ramp_share']:.0%} of full output "
        f"on line, lead {info['lead_months']:g} months), ε {info['supply_elasticity']:g}, "
        f"η {info['demand_elasticity']:g}, price signal +{pr:.0%}; spare capacity "
        f"{info['spare_capacity_tonnes']:,.0f} t ({info['spare_capacity_source']}): {moved}"
    )


#: what the less obvious columns mean, printed under the tables
COLUMN_NOTE = (
    "Tonnes per year on the network's basis. Δstocks: stocks drawn (−). Shortfall: consumption lost after "
    "stocks and re-routing, never more than consumption. Days of cover: how long the stocks last at the "
    "year's remaining supply gap (∞: no gap)."
)


def _table(title: str, columns: list[str], rows: list[list[str]], caption: str | None = COLUMN_NOTE) -> None:
    """Print a table of pre-formatted cells through the shared renderer: numbers are never cut; the country
    name wraps; columns after the fourth give way first in a narrow terminal."""
    from critmin.cli import render
    from critmin.cli.render import Col

    keys = [f"c{i}" for i in range(len(columns))]
    cols = [
        Col(k, label.replace("\n", " "), "name" if label == "country" else "num", 0 if i < 4 else i)
        for i, (k, label) in enumerate(zip(keys, columns, strict=True))
    ]
    cols[0] = Col("c0", "Country", "name", 0, min_width=10) if columns[0] == "country" else cols[0]
    render.render([dict(zip(keys, r, strict=True)) for r in rows], cols, title=title, caption=caption)


RESPONSE_OPTIONS = {
    "response": typer.Option(
        "--response/--no-response",
        help="Let producers that do not restrict add output (spare capacity, short-run elasticity) and the "
        "imposer redirect to non-targets (docs/scenarios.md §3).",
    ),
    "horizon": typer.Option("--horizon-months", help="Horizon of the supply response, months (≤ 36)."),
    "elasticity": typer.Option("--elasticity", help="Short-run price elasticity of supply."),
    "demand_elasticity": typer.Option(
        "--demand-elasticity", help="Short-run price elasticity of demand (< 0)."
    ),
    "lead": typer.Option("--lead-months", help="Months for idle capacity to reach full output."),
    "spare": typer.Option(
        "--spare", help="Spare capacity: demonstrated | share of output | ISO3=t,... (e.g. MOZ=50000)."
    ),
    "redirect": typer.Option(
        "--redirect/--no-redirect", help="With --response: the imposer sells withheld volume to non-targets."
    ),
    "rationing": typer.Option(
        "--rationing",
        help="pro_rata (short countries share losses with their customers) | trade_first (Marchand 2016).",
    ),
}


RO = RESPONSE_OPTIONS


@scenario_app.command("restrict")
def restrict_cmd(
    ctx: typer.Context,
    by: Annotated[str | None, typer.Option("--by", help="Restricting country (or comma list).")] = None,
    commodity: Annotated[str, typer.Option("--commodity", "-c", help="Catalogue commodity.")] = "rare_earths",
    stage: Annotated[
        str | None, typer.Option("--stage", help="mine | refined (default: first traded stage).")
    ] = None,
    year: Annotated[
        int | None,
        typer.Option("--year", help="Network year (default: the analysis year, the latest trade year)."),
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
    rationing: Annotated[str, RO["rationing"]] = "pro_rata",
    response: Annotated[bool, RO["response"]] = False,
    horizon: Annotated[float, RO["horizon"]] = 12.0,
    elasticity: Annotated[float, RO["elasticity"]] = 0.1,
    demand_elasticity: Annotated[float, RO["demand_elasticity"]] = -0.1,
    lead: Annotated[float, RO["lead"]] = 6.0,
    spare: Annotated[str, RO["spare"]] = "demonstrated",
    redirect: Annotated[bool, RO["redirect"]] = True,
    top: Annotated[int, typer.Option("--top", help="Rows to show.")] = 15,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=".json (world + countries + links) or .csv/.parquet (countries)."),
    ] = None,
) -> None:
    """One export-restriction cascade, e.g. ``critmin scenario restrict --by CHN --commodity rare_earths
    --stage refined --share 1.0 --targets JPN --year 2023 --stocks JPN=60``."""
    from critmin.cli import render
    from critmin.errors import CritminError
    from critmin.scenarios.scenario import Restriction, check_rationing, restrict

    if out:
        from critmin.cli.common import check_output

        check_output(out)
    check_rationing(rationing)
    stock_days = _pairs(stocks, "--stocks")
    if any(isinstance(v, tuple) for v in stock_days.values()):
        raise CritminError(
            "--stocks: ranges (LOW:HIGH) are for 'scenario sweep'; give one number per country"
        )
    resp = _response(response, horizon, elasticity, demand_elasticity, lead, spare, redirect)
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
        rationing=rationing,
        response=resp,
        ds=ds,
    )
    df = res.countries(affected_only=True)
    if out:
        _write(res.to_json(), out, df)
    w = res.world()
    console = render.console()
    rows = [
        [
            f"{r.country} {r.country_name}",
            _fmt(r.consumption_tonnes),
            _fmt(r.stocks_days),
            _fmt(r.direct_loss_tonnes),
            _fmt(r.delta_stocks_tonnes),
            _fmt(r.shortfall_tonnes),
            _fmt(r.shortfall_pct_of_consumption, 1),
            _fmt(r.days_of_cover),
        ]
        for r in df.head(top).itertuples(index=False)
    ]
    _table(
        f"{res.name}: {net.basis}, t/yr, {w['rounds']} rounds",
        [
            "country",
            "consump.\nt",
            "stocks\ndays",
            "direct\nloss t",
            "Δstocks\nt",
            "short-\nfall t",
            "short-\nfall %",
            "days of\ncover",
        ],
        rows,
    )
    imposers = "+".join(x.imposer for x in res.restrictions)
    held = f"{imposers} withheld {w['restricted_tonnes']:,.0f} t"
    if w["withheld_used_tonnes"] > 0:
        held += f" and covered {w['withheld_used_tonnes']:,.0f} t of its own import losses from it"
    console.print(
        f"{held}; world: Δstocks {w['delta_stocks_tonnes']:,.0f} t, shortfall {w['shortfall_tonnes']:,.0f} t "
        f"({w['countries_with_shortfall']} countries); rationing {w['rationing']}; "
        f"sources {w['source']} ({w['edition']})",
        highlight=False,
    )
    console.print(_response_line(w["supply_response"], imposers), highlight=False)
    _print_notes(console, w)


def _print_notes(console, world: dict) -> None:
    neg = world.get("negative_consumption_countries") or []
    if neg:
        console.print(
            f"[dim]note: {len(neg)} countries export more than they produce and import ({', '.join(neg[:8])}"
            f"{', …' if len(neg) > 8 else ''}): read as unrecorded supply, they pass losses on and have "
            "no shortfall[/]",
            highlight=False,
        )
    for note in world["notes"]:
        if neg and "export more than they produce" in note:
            continue  # said above, with what the cascade does with them
        console.print(f"[dim]note: {note}[/]", highlight=False)


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
    rationing: Annotated[str, RO["rationing"]] = "pro_rata",
    response: Annotated[bool, RO["response"]] = False,
    horizon: Annotated[float, RO["horizon"]] = 12.0,
    elasticity: Annotated[float, RO["elasticity"]] = 0.1,
    demand_elasticity: Annotated[float, RO["demand_elasticity"]] = -0.1,
    lead: Annotated[float, RO["lead"]] = 6.0,
    spare: Annotated[str, RO["spare"]] = "demonstrated",
    redirect: Annotated[bool, RO["redirect"]] = True,
    draws: Annotated[int, typer.Option("--draws", "-n")] = 10_000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    as_of: RegistryAsOf = None,
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

    from critmin.cli import render
    from critmin.scenarios.executors import get_executor
    from critmin.scenarios.montecarlo import check_sweep_size, sweep
    from critmin.scenarios.scenario import check_rationing

    if out:
        from critmin.cli.common import check_output

        check_output(out)
    check_rationing(rationing)
    check_sweep_size(draws, 1)  # the full check needs the network's size; refuse the absurd before loading
    if "=" in by:
        imposers = {k: float(v) for k, v in _pairs(by, "--by").items()}
    elif by.strip().lower() == "registry":
        imposers = "registry"
    else:
        imposers = _countries(by)
    check_as_of(as_of, applies=imposers == "registry", hint="use it with --by registry")
    resp = _response(response, horizon, elasticity, demand_elasticity, lead, spare, redirect)
    ds, net = _network(ctx, commodity, stage, year)
    check_sweep_size(draws, net.n)
    console = render.console()
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
            rationing=rationing,
            response=resp,
            as_of=as_of,
        )
    summary = res.summary()
    if out:
        _write(res.to_json(), out, summary)
    w = res.world()
    who = ", ".join(f"{k} {v:.0%}" for k, v in w["imposers"].items())
    rows = [
        [
            f"{r.country} {r.country_name}",
            f"{r.p_shortfall:.0%}",
            _fmt(r.shortfall_p50_tonnes),
            _fmt(r.shortfall_p90_tonnes),
            _fmt(r.shortfall_p99_tonnes),
            _fmt(r.shortfall_p90_pct, 1),
            _fmt(r.days_of_cover_p50),
            _fmt(r.days_of_cover_p10),
            _fmt(r.days_of_cover_p1),
        ]
        for r in summary.head(top).itertuples(index=False)
    ]
    _table(
        f"{net.commodity} {net.stage} {net.year}: {draws:,} draws, imposer {who} ({net.basis}, t/yr)",
        [
            "country",
            "P(short)",
            "shortfall p50 t",
            "shortfall p90 t",
            "shortfall p99 t",
            "shortfall p90, % of use",
            "days of cover p50",
            "days of cover p10",
            "days of cover p1",
        ],
        rows,
        caption="P(short): share of draws with a shortfall. pXX: the XXth percentile over draws (t per year "
        "on the network's basis; % of consumption). Days of cover: how long stocks last at the supply gap "
        "(p10: in the worst 10% of draws).",
    )
    console.print(
        f"world shortfall p50 {w['world_shortfall_p50_tonnes']:,.0f} t, p90 "
        f"{w['world_shortfall_p90_tonnes']:,.0f} t, p99 {w['world_shortfall_p99_tonnes']:,.0f} t; draws where "
        f"a shortfall exceeds consumption: {w['shortfall_above_consumption']}; rationing {w['rationing']}; "
        f"sources {w['source']} ({w['edition']})",
        highlight=False,
    )
    console.print(_response_line(w["supply_response"], "the imposer"), highlight=False)
    _print_notes(console, {**w, "negative_consumption_countries": _negative(net)})


def _negative(net) -> list[str]:
    return [net.countries[i] for i in range(net.n) if net.consumption[i] < -1e-9]
