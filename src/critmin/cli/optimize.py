"""``critmin optimize``, ``critmin stockpile``, ``critmin partners`` and ``critmin partnerships ...``.

Thin wrappers over :mod:`critmin.optimize` and :mod:`critmin.reference.partnerships`; heavy imports happen
inside the commands so that ``critmin --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import RegistryAsOf, RiskWeight, risk_weight_options

partnerships_app = typer.Typer(
    help="Critical-minerals partnerships (seed table + your store): list, add, import, review, export.",
    no_args_is_help=True,
)


# -- output helpers ----------------------------------------------------------------------------------------
def _write_out(df, out: Path | None) -> None:
    if out is None:
        return
    from critmin.cli.common import write_table

    write_table(df, out)
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
    from critmin.untrusted import terminal_text

    for row in df[cols].itertuples(index=False):
        # partnership fields come from users and the news: text, never markup or terminal codes
        table.add_row(*[terminal_text(_fmt(v)) for v in row])
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
    from critmin.untrusted import plain_text

    typer.echo(f"saved partnership {plain_text(new_id)}")


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
    from critmin.untrusted import plain_text

    typer.echo(f"{'rejected' if reject else 'accepted'} {plain_text(id)}")


# -- optimize ------------------------------------------------------------------------------------------------
def _money(v) -> str:
    import math

    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.0f}"


def _pct(v) -> str:
    import math

    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def optimize(
    ctx: typer.Context,
    party: Annotated[
        str, typer.Option("--for", "-f", help="Importer: a country or bloc (JPN, EU, JPN+ITA).")
    ],
    commodity: Annotated[
        str,
        typer.Option(
            "--commodity", "-c", help="Catalogue commodity (or a comma list, or 'all' for a summary table)."
        ),
    ],
    stage: Annotated[
        str | None, typer.Option("--stage", "-s", help="Stage (default: the first traded one).")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", "-y", help="Trade year (default: latest).")] = None,
    partners: Annotated[
        str | None,
        typer.Option(
            "--partners",
            "-p",
            help="Allowed suppliers: blocs, countries, "
            "aligned:JPN:1.0, partners:JPN, -CHN; 'own' with --pooled.",
        ),
    ] = None,
    max_share: Annotated[
        float | None,
        typer.Option(
            "--max-share", help="Largest share of the need per third country (EU CRMA: 0.65); 1 = no cap."
        ),
    ] = 0.65,
    expansion: Annotated[
        float, typer.Option("--expansion", help="Supplier capacity = expansion × exports.")
    ] = 1.0,
    redirect: Annotated[
        float, typer.Option("--redirect", help="Share of a supplier's other sales the party can win (0-1).")
    ] = 1.0,
    capacity: Annotated[str, typer.Option("--capacity", help="exports | net_exports")] = "exports",
    non_partners: Annotated[
        str, typer.Option("--non-partners", help="exclude | current (keep at most today's purchases).")
    ] = "exclude",
    max_cost_increase: Annotated[
        float | None, typer.Option("--max-cost-increase", help="Cost bound vs the current mix (0.1 = +10 %).")
    ] = None,
    pareto: Annotated[
        int | None, typer.Option("--pareto", help="Also compute N points of the risk-cost front.")
    ] = None,
    objective: Annotated[
        str,
        typer.Option("--objective", help="import_risk | expected_shortfall (over restriction scenarios)."),
    ] = "import_risk",
    imposers: Annotated[
        str | None,
        typer.Option(
            "--imposers", help="With expected_shortfall: who may restrict (default: the registry's history)."
        ),
    ] = None,
    risk_weight: RiskWeight = "wgi",
    as_of: RegistryAsOf = None,
    pooled: Annotated[
        bool, typer.Option("--pooled", help="For a bloc: each member alone vs pooled buying.")
    ] = False,
    alone_capacity: Annotated[
        str, typer.Option("--alone-capacity", help="With --pooled: proportional | residual | full.")
    ] = "proportional",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the mix (or table) to .csv/.json/.parquet.")
    ] = None,
) -> None:
    """Re-source an import need at least supply risk within capacities, share caps and a partner set."""
    import critmin
    from critmin.optimize import sourcing as so

    from_registry = imposers is None or imposers.strip().lower() == "registry"
    risk_weight = risk_weight_options(
        risk_weight, as_of, registry_imposers=objective == "expected_shortfall" and from_registry
    )
    ds = critmin.open((ctx.obj or {}).get("db"))
    share = None if max_share is None or max_share >= 1 else max_share
    kw = dict(
        max_share=share,
        expansion=expansion,
        redirect=redirect,
        capacity=capacity,
        non_partners=non_partners,
        max_cost_increase=max_cost_increase,
        risk_weight=risk_weight,
        as_of=as_of,
    )
    many = commodity.strip().lower() == "all" or "," in commodity
    if many:
        from rich.progress import Progress

        from critmin.reference import commodities as cat

        comms = None if commodity.strip().lower() == "all" else commodity
        n = len(cat.resolve_many(comms))
        with Progress(transient=True) as bar:
            task = bar.add_task("optimising", total=n)
            df = so.optimize_many(
                ds, party, comms, year=year, partners=partners, progress=lambda: bar.advance(task), **kw
            )
        _print_table(
            df,
            f"{party}: optimised sourcing",
            [
                "party",
                "commodity",
                "stage",
                "status",
                "need_tonnes",
                "risk_before",
                "risk_after",
                "binding",
                "explanation",
            ],
        )
        _write_out(df, out)
        return
    if pooled:
        df = so.pooled(
            ds, party, commodity, stage, year, partners=partners, alone_capacity=alone_capacity, **kw
        )
        _print_table(
            df,
            f"{party}: each alone vs pooled ({df['commodity'].iloc[0]}, {df['stage'].iloc[0]}, "
            f"{df['year'].iloc[0]})",
            [
                "case",
                "status",
                "partners",
                "need_tonnes",
                "risk_before",
                "risk_after",
                "partnership_gain",
                "cost_after_kusd",
            ],
        )
        from rich.console import Console

        con = Console()
        for r in df.itertuples(index=False):
            text = r.explanation or r.binding
            if text:
                label = "infeasible" if r.explanation else "binding"
                con.print(f"[bold]{r.case}[/] {label}: {text}", highlight=False)
        _write_out(df, out)
        return
    if objective == "expected_shortfall":
        kw["objective"] = objective
        kw["scenarios"] = so.restriction_scenarios(ds, commodity, stage, year, imposers=imposers, as_of=as_of)
    res = so.optimize_sourcing(ds, party, commodity, stage, year, partners=partners, pareto=pareto, **kw)
    from rich.console import Console

    con = Console()
    s = res.summary.iloc[0]
    con.print(
        f"[bold]{s['party']}[/] — {s['commodity']} ({s['stage']}), {s['year']}: need {s['need_tonnes']:,.0f} t; "
        f"partners: {s['partners']}; max share {s['max_share'] if s['max_share'] else 'none'}; "
        f"status [bold]{s['status']}[/]"
    )
    what = (
        "expected shortfall (share of need)"
        if s["objective"] != "import_risk"
        else (
            "import risk (Σ g·x / F)" if risk_weight == "wgi" else "import risk (Σ gᶜ·x / F, coercion-aware)"
        )
    )
    con.print(
        f"{what}: "
        f"{_pct(s['risk_before'])} now → {_pct(s['risk_after'])} optimised; "
        f"cost at unit values: {s['cost_before_kusd']:,.0f} → {_money(s['cost_after_kusd'])} kUSD"
    )
    mix = res.mix.head(15)
    _print_table(
        mix,
        "current vs optimised mix (tonnes)",
        [
            "supplier",
            "supplier_name",
            "instability_g" if risk_weight == "wgi" else "risk_weight",
            "capacity_tonnes",
            "current_tonnes",
            "optimised_tonnes",
            "optimised_share",
            "binding",
        ],
    )
    if res.explanation:
        con.print("[bold red]infeasible:[/]")
        for line in res.explanation:
            con.print(f"  • {line}", highlight=False)
    elif s["binding"]:
        con.print("[bold]binding:[/] " + s["binding"], highlight=False)
    if res.pareto is not None and not res.pareto.empty:
        _print_table(res.pareto, "risk–cost front", ["point", "cost_kusd", "cost_change", "import_risk"])
    if s["notes"]:
        con.print(f"[dim]{s['notes']}[/]")
    _write_out(res.mix, out)


# -- partners (alignment) -----------------------------------------------------------------------------------
def partners_cmd(
    ctx: typer.Context,
    country: Annotated[str, typer.Option("--for", "-f", help="Country to measure alignment from.")],
    aligned_within: Annotated[
        float,
        typer.Option("--aligned-within", "-d", help="Distance in UNGA ideal points counted as aligned."),
    ] = 1.0,
    session: Annotated[
        int | None, typer.Option("--session", help="UNGA session (1-78) or year; default latest.")
    ] = None,
    others: Annotated[
        str | None, typer.Option("--with", help="Only these countries/blocs (default: all).")
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", help="List non-aligned countries too.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the table (.csv/.json/.parquet).")] = None,
) -> None:
    """Who is aligned with a country (UNGA ideal points), and its partnerships in force."""
    import critmin
    from critmin.optimize import alignment as al
    from critmin.reference import partnerships as pt

    ds = critmin.open((ctx.obj or {}).get("db"))
    df = al.alignment(ds, country, others, session=session, within=aligned_within)
    shown = df if show_all or others else df[df["aligned"]]
    if not df.empty:
        first = df.iloc[0]
        title = (
            f"{first['country']} (ideal point {first['ideal_point']:.2f}, session {first['session']} = "
            f"{first['year']}): {int(df['aligned'].sum())} of {len(df)} countries within {aligned_within:g}"
        )
    else:
        title = "no countries"
    _print_table(
        shown,
        title,
        ["other", "other_name", "other_ideal_point", "distance", "distance_lo", "distance_hi", "aligned"],
    )
    if df.attrs.get("missing"):
        typer.echo(f"no ideal point for: {', '.join(df.attrs['missing'])}")
    parts = pt.partnerships(ds, country=country, as_of=None)
    parts = parts[parts["active"]]
    if not parts.empty:
        _print_table(parts, "partnerships in force", ["id", "parties", "level", "date", "minerals", "via"])
    _write_out(df, out)


# -- stockpile ---------------------------------------------------------------------------------------------
def _range(text: str | None):
    """'0.5-1.0' or '0.5:1' -> (0.5, 1.0); '0.8' -> 0.8."""
    from critmin.errors import UnknownValueError

    if text is None:
        return None
    t = text.strip().replace(":", "-")
    try:
        if "-" in t[1:]:
            a, b = t.split("-", 1) if not t.startswith("-") else (t, "")
            return (float(a), float(b))
        return float(t)
    except ValueError:
        raise UnknownValueError("range", text, hint="a number (0.8) or a range (0.5-1.0)") from None


def stockpile_cmd(
    ctx: typer.Context,
    country: Annotated[str, typer.Option("--for", "-f", help="Country holding the stock (JPN).")],
    commodity: Annotated[str, typer.Option("--commodity", "-c", help="Catalogue commodity.")],
    coverage: Annotated[
        float, typer.Option("--coverage", help="Share of scenarios to cover (0.95 = p95).")
    ] = 0.95,
    target: Annotated[
        float, typer.Option("--target", help="Acceptable shortfall, fraction of consumption (0 or 0.1).")
    ] = 0.0,
    stage: Annotated[str | None, typer.Option("--stage", "-s")] = None,
    year: Annotated[int | None, typer.Option("--year", "-y")] = None,
    draws: Annotated[int, typer.Option("--draws", help="Monte Carlo draws.")] = 500,
    imposers: Annotated[
        str | None,
        typer.Option(
            "--imposers", help="Who may restrict: CHN or CHN,COD (default: from the restriction registry)."
        ),
    ] = None,
    share: Annotated[
        str, typer.Option("--share", help="Share of exports stopped: 1 or a range 0.5-1.0.")
    ] = "0.5-1.0",
    duration: Annotated[
        float, typer.Option("--duration-days", help="Length of the restriction (days, <= 365).")
    ] = 365.0,
    substitution: Annotated[
        str, typer.Option("--substitution", help="Marchand f_c: a number or range.")
    ] = "0",
    others_days: Annotated[str, typer.Option("--others-days", help="Other countries' stocks (days).")] = "0",
    method: Annotated[str, typer.Option("--method", help="auto | cascade | proxy")] = "auto",
    risk_weight: RiskWeight = None,
    as_of: RegistryAsOf = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the coverage curve (.csv/.json/.parquet).")
    ] = None,
) -> None:
    """Days of stock needed so the shortfall stays on target in a share of restriction scenarios (vs JOGMEC 60)."""
    import critmin
    from critmin.optimize import stockpile as sp

    from_registry = imposers is None or imposers.strip().lower() == "registry"
    risk_weight = risk_weight_options(
        risk_weight, as_of, registry_imposers=from_registry and risk_weight is None
    )
    ds = critmin.open((ctx.obj or {}).get("db"))
    res = sp.stockpile(
        ds,
        country,
        commodity,
        stage,
        year,
        coverage=coverage,
        target=target,
        draws=draws,
        imposers=imposers,
        share=_range(share),
        duration_days=duration,
        substitution=_range(substitution),
        others_stock_days=_range(others_days),
        method=method,
        seed=seed,
        risk_weight=risk_weight,
        as_of=as_of,
    )
    from rich.console import Console

    con = Console()
    s = res.summary.iloc[0]
    need = (
        "more than " + f"{res.curve['stock_days'].max():g}"
        if s["required_days"] != s["required_days"]
        else (f"{s['required_days']:g}")
    )
    tonnes = (
        f" (≈ {s['required_stock_tonnes']:,.0f} t)"
        if s["required_stock_tonnes"] == s["required_stock_tonnes"]
        else ""
    )
    con.print(
        f"[bold]{s['country']}[/] — {s['commodity']} ({s['stage']}), {s['year']}, method: {s['method']}; "
        f"imposers ({s['imposer_weights']}) {s['imposers']}, share {s['share']}, {s['draws']} draws",
        highlight=False,
    )
    con.print(
        f"stock needed for shortfall ≤ {s['shortfall_target_pct']:g} % of consumption in "
        f"{s['coverage_target']:.0%} of scenarios: [bold]{need} days[/]{tonnes}",
        highlight=False,
    )
    verdict = "enough" if s["jogmec_sufficient"] else "not enough"
    qcol = next(c for c in res.summary.columns if c.endswith("_pct_at_jogmec"))
    con.print(
        f"JOGMEC 60 days: covers {s['coverage_at_jogmec']:.0%} of scenarios ({verdict}); shortfall at that "
        f"percentile {s[qcol]:.1f} % of consumption",
        highlight=False,
    )
    qc = next(c for c in res.curve.columns if c.startswith("shortfall_p"))
    _print_table(
        res.curve,
        "coverage vs days of stock",
        ["stock_days", "coverage", "shortfall_mean_pct", qc, "stock_tonnes"],
    )
    if s["notes"]:
        con.print(f"[dim]{s['notes']}[/]", highlight=False)
    _write_out(res.curve, out)


def register(app: typer.Typer) -> None:
    app.add_typer(partnerships_app, name="partnerships")
    app.command("optimize")(optimize)
    app.command("partners")(partners_cmd)
    app.command("stockpile")(stockpile_cmd)
