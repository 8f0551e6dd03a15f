"""``critmin outlook``: the IEA outlook to 2040 — projected concentration and world balance, a party's
projected need and whether its partners can supply it within the 65% cap, and the EU CRMA 2030 benchmarks.

Thin over :mod:`critmin.outlook` and :meth:`critmin.api.Dataset.outlook`; heavy imports happen inside the
command so that ``critmin --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import dataset, parse_years
from critmin.formats import percent


def register(app: typer.Typer) -> None:
    app.command("outlook")(outlook)


def _pct(v) -> str:
    return percent(v)


def _kt(v) -> str:
    if v is None or v != v:
        return "—"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}" if abs(v) >= 1 else f"{v:,.2f}"


def _table(title: str, columns: list[tuple[str, str]], rows: list[list[str]], caption: str = ""):
    """A renderable table through the shared renderer: left-justified columns are names (they wrap),
    right-justified ones numbers (never cut); the columns after the third give way first when narrow."""
    from critmin.cli import render
    from critmin.cli.render import Col

    keys = [f"c{i}" for i in range(len(columns))]
    cols = [
        Col(k, name, "name" if justify == "left" else "num", 0 if i < 3 else i, min_width=8)
        for i, (k, (name, justify)) in enumerate(zip(keys, columns, strict=True))
    ]
    data = [dict(zip(keys, r, strict=True)) for r in rows]
    return render.table(data, cols, title=title, caption=caption or None, width=render.terminal_width())[0]


def _basis(b: str) -> str:
    return "Nd+Pr+Dy+Tb" if b.startswith("magnet REE") else b


def _show_concentration(console, df, label: str) -> None:
    from critmin.outlook import iea

    scens = [s for s in iea.SCENARIOS if s in set(df["scenario"])]
    cover = df.pivot_table(index=["commodity", "stage", "year"], columns="scenario", values="coverage")
    conc = df.drop_duplicates(["commodity", "stage", "year"])
    for (c, s), part in conc.groupby(["commodity", "stage"], sort=False):
        rows = []
        for r in part.itertuples(index=False):
            share = getattr(r, f"share_{label}")
            rows.append(
                [
                    str(r.year) + ("" if r.projection else "*"),
                    _kt(r.world_kt),
                    f"{r.hhi:.2f}",
                    _pct(r.top3_share),
                    f"{r.leader} {_pct(r.leader_share)}",
                    _pct(share) if share == share else f"≤{_pct(getattr(r, f'share_{label}_max'))}",
                    *[_pct(cover.loc[(c, s, r.year), sc]) if r.projection else "" for sc in scens],
                ]
            )
        note = iea.DEMAND_LINES[(c, s)].note
        console.print(
            _table(
                f"{iea.stage_label(c, s)}, kt {_basis(part['basis'].iloc[0])}",
                [
                    ("year", "left"),
                    ("world", "right"),
                    ("HHI", "right"),
                    ("top-3", "right"),
                    ("leader", "left"),
                    (label, "right"),
                    *[(sc, "right") for sc in scens],
                ],
                rows,
                caption=note,
            )
        )
    console.print(
        "* observed. HHI over the producers the IEA names (rest of world not squared: a lower bound); "
        f"≤: {label} not named, at most that share. {', '.join(scens)}: projected supply as a share of the "
        "scenario's demand at the stage (2023 world use × demand growth). "
        + iea.WHAT_PROJECTIONS_ARE
        + ". "
        + iea.SOURCE_LABEL
        + ".",
        highlight=False,
    )


def _show_options(console, df) -> None:
    rows = [
        [
            r.party,
            f"{r.stage_label}",
            f"{r.scenario} {r.year}",
            _kt(r.need_kt),
            "yes" if r.status == "feasible" else "no",
            _pct(r.shortfall_share) if r.status != "feasible" else "",
        ]
        for r in df.itertuples(index=False)
    ]
    console.print(
        _table(
            f"Can the partners supply the need within the {df['max_share'].iloc[0]:.0%} cap?",
            [
                ("party", "left"),
                ("stage", "left"),
                ("case", "left"),
                ("need kt", "right"),
                ("ok", "left"),
                ("short", "right"),
            ],
            rows,
            caption=f"partners: {', '.join(df['partners'].unique())}; {df['assumptions'].iloc[0]}.",
        )
    )
    for r in df.itertuples(index=False):
        console.print(f"• {r.answer}", highlight=False)


def _show_crma(console, df) -> None:
    year = next(int(c.split("_")[-1]) for c in df.columns if c.startswith("cap_met_"))
    rows = []
    for r in df.to_dict("records"):
        top23 = f"{r['top_supplier_2023']} {_pct(r['top_share_2023'])}" if r["top_supplier_2023"] else "—"
        top30 = f"{r[f'top_supplier_{year}']} {_pct(r[f'top_share_{year}'])}"
        cap = {True: "yes", False: "no", None: "—"}[r[f"cap_met_{year}"]]
        proc = (
            f"{_pct(r['processing_share_2023'])}→{_pct(r[f'processing_share_{year}'])}"
            if r["processing_share_2023"] == r["processing_share_2023"]
            else "—"
        )
        rows.append([r["party"], r["stage_label"], top23, top30, cap, _pct(r[f"need_covered_{year}"]), proc])
    console.print(
        _table(
            f"EU CRMA benchmarks: 2023 and {year} ({df['scenario'].iloc[0]})",
            [
                ("party", "left"),
                ("stage", "left"),
                ("top 2023", "left"),
                (f"top {year}", "left"),
                ("≤65%", "left"),
                ("covered", "right"),
                ("processing", "right"),
            ],
            rows,
            caption="top: largest third-country share of imports (2023, contained basis) and of the pro-rata "
            f"world mix ({year}); ≤65%: a mix within the cap exists; covered: share of the need the partners' "
            "pro-rata output covers within the cap; processing: own refined output / consumption (≥ 40%). "
            + df.attrs.get("not_computable", ""),
        )
    )


def _parse_mix(text: str | None) -> dict[str, float] | None:
    """'Electric vehicles=0.6,Other uses=0.4' -> {'Electric vehicles': 0.6, 'Other uses': 0.4}."""
    if not text:
        return None
    from critmin.errors import UnknownValueError

    out = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            share = float(value)
        except ValueError:
            share = None
        if not sep or share is None:
            raise UnknownValueError(
                "sector mix entry", part.strip(), hint="write SECTOR=SHARE, e.g. 'Electric vehicles=0.6'"
            )
        out[name.strip()] = share
    return out


def outlook(
    ctx: typer.Context,
    commodity: Annotated[
        str | None,
        typer.Option(
            "--commodity", "-c", help="copper, cobalt, lithium, nickel, graphite, rare_earths (default all)."
        ),
    ] = None,
    stage: Annotated[
        str | None, typer.Option("--stage", "-s", help="mine, refined or both (default).")
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario", help="STEPS, APS, NZE (comma-separated; default all, or STEPS,APS with --for)."
        ),
    ] = None,
    years: Annotated[
        str | None,
        typer.Option(
            "--years", help="Supply years: 2023,2030,2035,2040 (default all, or 2030,2035 with --for)."
        ),
    ] = None,
    share_of: Annotated[str, typer.Option("--share-of", help="Country/bloc whose share is shown.")] = "CHN",
    parties: Annotated[
        str | None,
        typer.Option("--for", help="Parties whose projected need and options to show, e.g. JPN,ITA,JPN+ITA."),
    ] = None,
    partners: Annotated[
        str,
        typer.Option(
            "--partners", help="Who may supply: all, own (partnership counterparts) or a partner set."
        ),
    ] = "all",
    also_from: Annotated[
        str, typer.Option("--also-from", help="Non-partners still allowed within the cap (with --partners).")
    ] = "CHN",
    sharing: Annotated[
        str, typer.Option("--sharing", help="pro_rata (output shared in proportion to demand) or first_call.")
    ] = "pro_rata",
    max_share: Annotated[
        float, typer.Option("--max-share", help="Cap per third country (CRMA: 0.65).")
    ] = 0.65,
    claim_multiple: Annotated[
        float, typer.Option("--claim-multiple", help="Priority on partners' output (1 = pro-rata share).")
    ] = 1.0,
    need_kt: Annotated[
        float | None,
        typer.Option("--need-kt", help="Use this need (kt contained) instead of scaled imports."),
    ] = None,
    sector_mix: Annotated[
        str | None,
        typer.Option(
            "--sector-mix",
            help="The party's 2023 use by IEA sector, e.g. 'Electric vehicles=0.6,Other uses=0.4': each part "
            "grows as that sector's world demand.",
        ),
    ] = None,
    crma: Annotated[
        bool, typer.Option("--crma", help="EU CRMA 2030 benchmarks for --for (default EU27,JPN,JPN+ITA).")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the table (.csv/.json/.parquet).")] = None,
) -> None:
    """The IEA outlook to 2040 (Critical Minerals Data Explorer, May 2024; base-case supply, not a forecast).

    Without --for: projected HHI, top-3 and China share per mineral and stage, 2023-2040, and the world
    balance per scenario. With --for: each party's need (2023 imports grown with world demand) and whether
    its partners can supply it within the 65% cap in 2030/2035, with the binding constraints in words.
    With --crma: the EU CRMA benchmarks (single country ≤ 65%, processing ≥ 40%).
    """
    from rich.console import Console

    from critmin.cli import render
    from critmin.cli.common import check_output, write_table
    from critmin.outlook import iea

    if out is not None:
        check_output(out)
    _, ys = parse_years(None, years)
    console = render.console()
    ds = dataset(ctx)
    if crma:
        from critmin.outlook.crma import crma_benchmarks

        year = (ys or [2030])[0]
        scen = iea.check_scenarios(scenario or "APS")[0]
        df = crma_benchmarks(
            ds, parties or "EU27,JPN,JPN+ITA", commodity, scenario=scen, year=year, max_share=max_share
        )
        _show_crma(console, df)
    elif parties:
        from critmin.outlook.sourcing import outlook_options, sourcing_outlook

        scen = iea.check_scenarios(scenario or "STEPS,APS")
        yrs = iea.check_years(ys or [2030, 2035], iea.PROJECTION_YEARS)
        plist = ds.parties(parties)
        comms, stages = iea.check_minerals(commodity), iea.check_stages(stage)
        single = len(plist) == len(comms) == len(stages) == len(scen) == len(yrs) == 1
        opts = dict(
            partners=partners,
            also_from=also_from or None,
            sharing=sharing,
            max_share=max_share,
            claim_multiple=claim_multiple,
            sector_mix=_parse_mix(sector_mix),
        )
        if single:
            res = sourcing_outlook(
                ds, plist[0], comms[0], stages[0], scen[0], yrs[0], need_kt=need_kt, **opts
            )
            df = res.summary
            _show_options(console, df)
            p = res.plan
            console.print(
                _table(
                    "Plan by supplier (kt contained)"
                    + ("" if df["status"].iloc[0] == "feasible" else ": the most that can be covered"),
                    [
                        ("supplier", "left"),
                        ("output", "right"),
                        ("claim", "right"),
                        ("plan", "right"),
                        ("share", "right"),
                        ("allowed", "left"),
                    ],
                    [
                        [
                            r.supplier_name,
                            _kt(r.projected_output_kt),
                            _kt(r.claim_kt),
                            _kt(r.plan_kt),
                            _pct(r.plan_share),
                            "yes" if r.allowed else "no",
                        ]
                        for r in p.itertuples(index=False)
                    ],
                    caption="output: IEA base case; claim: the party's share of it under the competition rule; "
                    f"plan: least-risk mix (WGI instability). {df['assumptions'].iloc[0]}.",
                )
            )
            if out is not None:
                write_table(p, out.with_name(out.stem + "-plan" + out.suffix))
        else:
            if need_kt is not None:
                from critmin.errors import UnknownValueError

                raise UnknownValueError(
                    "--need-kt",
                    need_kt,
                    hint="give one party, mineral, stage, scenario and year with --need-kt",
                )
            df = outlook_options(ds, plist, comms, stages, scen, yrs, **opts)
            _show_options(console, df)
    else:
        df = ds.outlook(commodity, stage, scenario, ys, share_of=share_of)
        _show_concentration(console, df, ds.party(share_of).label)
    if out is not None:
        write_table(df, out)
        Console(stderr=True).print(f"wrote {len(df)} rows to {out}")
