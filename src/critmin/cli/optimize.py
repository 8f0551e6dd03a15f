"""``critmin optimize``, ``critmin stockpile``, ``critmin partners`` and ``critmin partnerships ...``.

Thin wrappers over :mod:`critmin.optimize` and :mod:`critmin.reference.partnerships`; heavy imports happen
inside the commands so that ``critmin --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import RegistryAsOf, RiskWeight, risk_weight_options
from critmin.formats import percent

partnerships_app = typer.Typer(
    help="Critical-minerals partnerships (seed table + your store): list, add, import, review, export.",
    no_args_is_help=True,
)


# -- output helpers ----------------------------------------------------------------------------------------
#: human column labels and kinds for the tables of this module (field -> (label, kind))
LABELS = {
    "id": ("Id", "code"),  # typed back into `partnerships review ID`: never wrapped
    "parties": ("Parties", "name"),
    "level": ("Level", "name"),
    "previous_level": ("Previous level", "name"),
    "minerals": ("Minerals", "name"),
    "date": ("Since", "code"),
    "end_date": ("Ended", "code"),
    "status": ("Status", "code"),
    "source": ("Source", "code"),
    "reviewed": ("Reviewed", "code"),
    "via": ("Via", "code"),
    "party": ("Party", "code"),
    "commodity": ("Mineral", "name"),
    "stage": ("Stage", "code"),
    "case": ("Case", "name"),
    "partners": ("Partners", "name"),
    "need_tonnes": ("Need t", "tonnes"),
    "risk_before": ("Import risk now", "num"),
    "risk_after": ("Import risk optimised", "num"),
    "partnership_gain": ("Gain from pooling", "num"),
    "cost_after_kusd": ("Cost optimised USD", "kusd"),
    "binding": ("Binding constraints", "name"),
    "explanation": ("Why not feasible", "name"),
    "supplier": ("Code", "code"),
    "supplier_name": ("Supplier", "name"),
    "instability_g": ("Instability g", "num"),
    "risk_weight": ("Coercion weight gᶜ", "num"),
    "capacity_tonnes": ("Capacity t", "tonnes"),
    "current_tonnes": ("Now t", "tonnes"),
    "optimised_tonnes": ("Optimised t", "tonnes"),
    "optimised_share": ("Optimised share", "pct"),
    "point": ("Point", "int"),
    "cost_kusd": ("Cost USD", "kusd"),
    "cost_change": ("Cost change", "pct"),
    "import_risk": ("Import risk", "num"),
    "other": ("Code", "code"),
    "other_name": ("Country", "name"),
    "other_ideal_point": ("Ideal point", "num"),
    "distance": ("Distance", "num"),
    "distance_lo": ("Distance low", "num"),
    "distance_hi": ("Distance high", "num"),
    "aligned": ("Aligned", "code"),
    "stock_days": ("Stock days", "days"),
    "coverage": ("Scenarios covered", "pct"),
    "shortfall_mean_pct": ("Mean shortfall %", "num"),
    "stock_tonnes": ("Stock t", "tonnes"),
}


def _write_out(df, out: Path | None) -> None:
    if out is None:
        return
    from critmin.cli.common import write_table

    write_table(df, out)
    from critmin.cli.render import console, plain

    console(stderr=True).print(f"wrote {len(df)} rows to {plain(out)}")


#: ``--format`` of ``optimize``, ``stockpile``, ``partners`` and ``partnerships list`` (``-f`` is ``--for``)
Format = Annotated[
    str | None,
    typer.Option("--format", help="table (default), or csv/json of the table --out writes, to stdout."),
]
#: ``--out`` of the same commands
Out = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write the table (.csv/.json/.parquet; '-': stdout)."),
]


def _as_data(df, printed: str | None, path: Path | None) -> bool:
    """Write ``df`` to ``path`` and, with ``--out -`` / ``--format csv|json``, to stdout as data
    (:func:`critmin.cli.render.output_plan`); True when that is all the command prints (stdout stays
    machine-readable: no headline, table or notes)."""
    from critmin.cli import render

    _write_out(df, path)
    if printed in ("csv", "json"):
        render.emit(df, printed)
    return printed != "table"


def _print_table(
    df,
    title: str | None = None,
    columns: list[str] | None = None,
    caption: str | None = None,
    min_widths: dict[str, int] | None = None,
):
    """``columns`` in order of importance (the first ones stay in a narrow terminal), shown in that order;
    ``min_widths``: the narrowest a name column may wrap to, where 8 would break its words."""
    from critmin.cli import render
    from critmin.cli.render import Col

    cols = []
    for k, c in enumerate(columns or list(df.columns)):
        label, kind = LABELS.get(c, (c.replace("_", " ").capitalize(), "name"))
        if c.startswith("shortfall_p") and c.endswith("_pct"):
            label, kind = (f"p{c[11:-4]} shortfall %", "num")
        digits = 1 if kind == "num" and label.endswith("%") else None  # percentages of consumption: 0.1 point
        low = (min_widths or {}).get(c, 8)
        cols.append(Col(c, label, kind, 0 if k < 2 else k, digits=digits, min_width=low))
    render.render(df, cols, title=title, caption=caption)


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
    out: Out = None,
    fmt: Format = None,
) -> None:
    """List partnerships (seed + store).

    ``--format csv|json`` (or ``--out -``) writes the table to stdout, and nothing else."""
    from critmin.cli import render
    from critmin.reference import partnerships as pt

    printed, path = render.output_plan(out, fmt)
    df = pt.partnerships(
        _store(ctx), country=country, as_of=as_of, include_unreviewed=unreviewed, mineral=mineral
    )
    if _as_data(df, printed, path):
        return
    cols = ["parties", "level", "date", "minerals", "status", *(["via"] if country else []), "id"]
    cols += ["previous_level", "end_date", "source", "reviewed"]
    # 'partnership', 'materials' whole
    _print_table(
        _shown_partnerships(df), f"{len(df)} partnerships", cols, min_widths={"level": 11, "minerals": 11}
    )


def _shown_partnerships(df):
    """Partnership rows as the terminal shows them: minerals as words; Via 'direct' when the country is a party
    itself, not a member of a party bloc."""
    return df.assign(
        minerals=df["minerals"].map(lambda ms: ", ".join(ms).replace("_", " ")),
        via=df["via"].fillna("direct"),
    )


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
def _pct(v) -> str:
    import math

    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def _mineral_name(cid: str) -> str:
    from critmin.reference import commodities as cat

    return cat.catalogue()[cid].name if cid in cat.catalogue() else cid


def _headline(ds, s, risk_weight: str) -> list[str]:
    """The optimisation in words, from its summary row: who, what, the constraints, the result."""
    import math

    from critmin.cli.render import compact
    from critmin.reference import commodities as cat

    try:
        name = ds.party(s["party"], int(s["year"])).name
    except Exception:  # a custom party label: its members say who it is
        name = s["members"]
    basis = f" {s['basis']}" if s.get("basis") else ""
    cap = s["max_share"]
    share = (
        f"at most {percent(cap)} of the need from one third country"
        if cap is not None and not (isinstance(cap, float) and math.isnan(cap))
        else "no cap on one supplier's share"
    )
    if s["objective"] != "import_risk":
        what = "Expected shortfall (share of the need)"
    elif risk_weight == "wgi":
        what = "Import risk (Σ g·x / F, g = WGI instability)"
    else:
        what = "Import risk (Σ gᶜ·x / F, coercion-aware weight)"

    def usd(kusd) -> str:
        return "—" if kusd is None or math.isnan(kusd) else f"USD {compact(1e3 * kusd)}"

    before, after = s["cost_before_kusd"], s["cost_after_kusd"]
    change = (
        f" ({percent(after / before - 1, sign=True)})"
        if before and not math.isnan(after) and before > 0
        else ""
    )
    return [
        f"{name} ({s['party']}): {cat.get(s['commodity']).name}, {s['stage']}, {s['year']}",
        f"Need {s['need_tonnes']:,.0f} t{basis} a year; suppliers allowed: {s['partners']}; {share}. "
        f"Result: {s['status']}.",
        f"{what}: {_pct(s['risk_before'])} now → {_pct(s['risk_after'])} optimised. Cost at the suppliers' "
        f"export unit values: {usd(before)} now → {usd(after)}{change}.",
    ]


def _stock_headline(ds, s) -> list[str]:
    """Stockpile sizing in words, from its summary row."""
    import json
    import math

    from critmin.reference import commodities as cat
    from critmin.reference import countries

    def name(code: str) -> str:
        try:
            return countries.name(code)
        except Exception:  # a code outside the catalogue: shown as given
            return code

    try:
        who = ds.party(s["country"], int(s["year"])).name
    except Exception:  # a code outside the catalogue: shown as given
        who = s["country"]
    weights = json.loads(s["imposers"] or "{}")
    imposers = ", ".join(f"{name(k)} {percent(v)}" for k, v in weights.items())
    share = json.loads(s["share"]) if str(s["share"]).startswith("[") else s["share"]
    share = (
        f"{percent(share[0]).removesuffix('%')}-{percent(share[1])}"
        if isinstance(share, list)
        else percent(share)
    )
    basis = f" {s['basis']}" if s.get("basis") else ""
    days = s["required_days"]
    need = f"{days:,.0f} days" if not math.isnan(days) else "more than a year of consumption"
    tonnes = s["required_stock_tonnes"]
    if not math.isnan(days) and not math.isnan(tonnes):
        need += f" (≈ {tonnes:,.0f} t{basis})"
    method = {"cascade": "trade cascade", "proxy": "production-share proxy"}.get(s["method"], s["method"])
    by = {"registry": "the restriction registry's history", "coercion": "the coercion-aware supplier weight"}
    return [
        f"{who} ({s['country']}): {cat.get(s['commodity']).name}, {s['stage']}, {s['year']}: stock to hold "
        f"against export restrictions ({method})",
        f"Who may restrict, weighted by {by.get(s['imposer_weights'], s['imposer_weights'])}: {imposers}; "
        f"share of their exports stopped {share}, for {s['duration_days']:g} days.",
        f"Stock needed to keep the shortfall at {s['shortfall_target_pct']:g}% of consumption in "
        f"{percent(s['coverage_target'])} of scenarios: {need}.",
        f"Japan's JOGMEC target, {s['jogmec_days']:g} days, covers {percent(s['coverage_at_jogmec'])} of "
        f"scenarios ({'enough' if s['jogmec_sufficient'] else 'not enough'}); with it the shortfall in the worst "
        f"{percent(1 - s['coverage_target'])} of scenarios is "
        f"{percent(s[next(c for c in s.index if c.endswith('_pct_at_jogmec'))] / 100, 1)} of consumption or more.",
    ]


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
        float | None, typer.Option("--max-cost-increase", help="Cost bound vs the current mix (0.1 = +10%).")
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
        Path | None,
        typer.Option("--out", "-o", help="Write the mix (or table) to .csv/.json/.parquet ('-': stdout)."),
    ] = None,
    fmt: Format = None,
) -> None:
    """Re-source an import need at least supply risk within capacities, share caps and a partner set.

    ``--format csv|json`` (or ``--out -``) writes the table ``--out`` would write to stdout, and nothing
    else: the mix of one mineral, the summary of several, or the alone-vs-pooled cases."""
    import critmin
    from critmin.cli import render
    from critmin.cli.render import say
    from critmin.optimize import sourcing as so

    printed, path = render.output_plan(out, fmt)
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
        with Progress(transient=True, console=render.console(stderr=True)) as bar:
            task = bar.add_task("optimising", total=n)
            df = so.optimize_many(
                ds, party, comms, year=year, partners=partners, progress=lambda: bar.advance(task), **kw
            )
        if _as_data(df, printed, path):
            return
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
        return
    if pooled:
        df = so.pooled(
            ds, party, commodity, stage, year, partners=partners, alone_capacity=alone_capacity, **kw
        )
        if _as_data(df, printed, path):
            return
        _print_table(
            df,
            f"{party}: each alone vs pooled ({_mineral_name(df['commodity'].iloc[0])}, {df['stage'].iloc[0]}, "
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
        from critmin.cli.render import console, say

        con = console()
        for r in df.itertuples(index=False):
            text = r.explanation or r.binding
            if text:
                label = "infeasible" if r.explanation else "binding"
                say(text, lead=f"{r.case} {label}: ", indent="  ", out=con)
        return
    if objective == "expected_shortfall":
        kw["objective"] = objective
        kw["scenarios"] = so.restriction_scenarios(ds, commodity, stage, year, imposers=imposers, as_of=as_of)
    res = so.optimize_sourcing(ds, party, commodity, stage, year, partners=partners, pareto=pareto, **kw)
    if _as_data(res.mix, printed, path):
        if res.status != "optimal":  # the mix alone would not say it: one line on stderr
            say(f"{res.status}: " + " ".join(res.explanation or []), out=render.console(stderr=True))
        return
    from critmin.cli.render import console

    con = console()
    s = res.summary.iloc[0]
    for line in _headline(ds, s, risk_weight):
        say(line, out=con)
    mix = res.mix.head(15)
    _print_table(
        mix,
        f"Current vs optimised mix (t {s.get('basis', '') or ''}; {min(15, len(res.mix))} of {len(res.mix)} suppliers)",
        [
            "supplier_name",
            "current_tonnes",
            "optimised_tonnes",
            "optimised_share",
            "capacity_tonnes",
            "instability_g" if risk_weight == "wgi" else "risk_weight",
            "supplier",
            "binding",
        ],
        caption="Now: today's purchases; capacity: what the supplier can sell the party (exports of its own "
        "output of the stage × expansion); "
        + (
            "instability g: WGI political stability rescaled to 0-1."
            if risk_weight == "wgi"
            else "coercion weight gᶜ: the supplier weight the optimiser minimises — WGI instability, UNGA "
            "distance from the party and restriction record, 0-1 (members of the party count 0)."
        ),
    )
    if res.explanation:
        say("Why it is infeasible:", out=con, style="bold red")
        for line in res.explanation:
            say(line, lead="  • ", indent="    ", out=con)
    elif s["binding"]:
        say(s["binding"], lead="Binding: ", out=con)
    if res.pareto is not None and not res.pareto.empty:
        _print_table(res.pareto, "Risk–cost front", ["point", "cost_kusd", "cost_change", "import_risk"])
    if s["notes"]:
        say(s["notes"], lead="Note: ", out=con, style="dim")


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
    out: Out = None,
    fmt: Format = None,
) -> None:
    """Who is aligned with a country (UNGA ideal points), and its partnerships in force.

    ``--format csv|json`` (or ``--out -``) writes the distance to every country to stdout, and nothing else."""
    import critmin
    from critmin.cli import render
    from critmin.optimize import alignment as al
    from critmin.reference import partnerships as pt

    printed, path = render.output_plan(out, fmt)
    ds = critmin.open((ctx.obj or {}).get("db"))
    df = al.alignment(ds, country, others, session=session, within=aligned_within)
    missing = f"no ideal point for: {', '.join(df.attrs['missing'])}" if df.attrs.get("missing") else ""
    if _as_data(df, printed, path):
        if missing:  # the table alone would not say it: one line on stderr
            render.say(missing, out=render.console(stderr=True))
        return
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
    if missing:
        render.say(missing)
    parts = pt.partnerships(ds, country=country, as_of=None)
    parts = parts[parts["active"]]
    if not parts.empty:
        _print_table(
            _shown_partnerships(parts),
            "partnerships in force",
            ["parties", "level", "date", "minerals", "id", "via"],
            min_widths={"level": 11, "minerals": 11},
        )


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
        Path | None,
        typer.Option("--out", "-o", help="Write the coverage curve (.csv/.json/.parquet; '-': stdout)."),
    ] = None,
    fmt: Format = None,
) -> None:
    """Days of stock needed so the shortfall stays on target in a share of restriction scenarios (vs JOGMEC 60).

    ``--format csv|json`` (or ``--out -``) writes the coverage curve to stdout, and nothing else."""
    import critmin
    from critmin.cli import render
    from critmin.optimize import stockpile as sp

    printed, path = render.output_plan(out, fmt)

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
    if _as_data(res.curve, printed, path):
        return
    from critmin.cli.render import console, say

    con = console()
    s = res.summary.iloc[0]
    for line in _stock_headline(ds, s):
        say(line, out=con)
    qc = next(c for c in res.curve.columns if c.startswith("shortfall_p"))
    _print_table(
        res.curve,
        f"Coverage vs days of stock ({s['draws']} draws)",
        ["stock_days", "coverage", "shortfall_mean_pct", qc, "stock_tonnes"],
    )
    if s["notes"]:
        say(s["notes"], lead="Note: ", out=con, style="dim")


def register(app: typer.Typer) -> None:
    app.add_typer(partnerships_app, name="partnerships")
    app.command("optimize")(optimize)
    app.command("partners")(partners_cmd)
    app.command("stockpile")(stockpile_cmd)
