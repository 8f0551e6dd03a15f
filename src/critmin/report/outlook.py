"""Report sections on the outlook to 2040: the 2030 outlook for each party's top minerals and the projected
concentration of the six IEA minerals. A provider for :data:`critmin.report.extras.PROVIDERS`; it uses the
same public functions as ``critmin outlook``.
"""

from __future__ import annotations

import re

import pandas as pd

TOP_N = 4  # minerals per party in the 2030 table (by 2023 import value)
YEAR = 2030


def _top_stages(exp: pd.DataFrame, party: str, minerals: tuple[str, ...], n: int) -> list[tuple[str, str]]:
    part = exp[(exp["party"] == party) & exp["commodity"].isin(minerals)]
    part = part.dropna(subset=["import_value_kusd"]).sort_values("import_value_kusd", ascending=False)
    return [(r.commodity, r.stage) for r in part.head(n).itertuples(index=False) if r.import_value_kusd > 0]


def _point(s, party_name: str) -> dict:
    """One case of the 2030 table as a bullet: the outcome (shortfall in kt and % of the need, year and
    scenario in the heading), then one line per binding constraint and per way to close the gap."""
    from critmin.outlook.sourcing import answer_parts

    p = answer_parts(s)
    # the sharing rule is stated once in the section's text, not in every line
    why = [re.sub(r" \(shared pro rata with the rest of the world's \w+ demand\)", "", w) for w in p.why]
    fixes = [("Closes if " if k == 0 else "Or if ") + f for k, f in enumerate(p.fixes)]
    return {
        "head": f"{party_name} ({s['party']}) · {s['stage_label']}, {s['year']} {s['scenario']}:",
        "text": p.outcome + ".",
        "sub": [x[:1].upper() + x[1:] + "." for x in [*p.caveat.split("; "), *why] if x]
        + [f + "." for f in fixes],
    }


def outlook_sections(ds, parties, year, exp):
    from critmin.outlook import iea
    from critmin.outlook.sourcing import outlook_options
    from critmin.report import Section, fmt, table

    ps = ds.parties(parties)
    # every party's top minerals by 2023 import value among the six the IEA projects
    wanted = {p.label: _top_stages(exp, p.label, iea.MINERALS, TOP_N) for p in ps}
    pairs = sorted({cs for v in wanted.values() for cs in v})
    if not pairs:
        return []
    comms = sorted({c for c, _ in pairs}, key=iea.MINERALS.index)
    stages = sorted({s for _, s in pairs}, key=iea.STAGES.index)
    opts = outlook_options(ds, ps, comms, stages, ("STEPS", "APS"), (YEAR,))
    rank = {(p, cs): i for p, v in wanted.items() for i, cs in enumerate(v)}
    opts = opts[[(r.party, (r.commodity, r.stage)) in rank for r in opts.itertuples(index=False)]]
    opts = opts.assign(_rank=[rank[(r.party, (r.commodity, r.stage))] for r in opts.itertuples(index=False)])
    opts = opts.sort_values(["_rank"], kind="stable")
    conc = ds.outlook(years=[iea.BASE_YEAR, YEAR], scenarios="APS")
    chn = conc.set_index(["commodity", "stage", "year"])["share_CHN"]
    rows = []
    for (p, c, s), g in opts.groupby(["party", "commodity", "stage"], sort=False):
        steps = g[g["scenario"] == "STEPS"].iloc[0]
        aps = g[g["scenario"] == "APS"].iloc[0]
        rows.append(
            {
                "party": p,
                "mineral": iea.stage_label(c, s),
                "imports_kt": aps["imports_2023_kt"],
                "need_kt": aps["need_kt"],
                "chn_2023": chn.get((c, s, iea.BASE_YEAR)),
                "chn_2030": chn.get((c, s, YEAR)),
                "coverage": aps["world_coverage"],
                "steps": "yes"
                if steps["status"] == "feasible"
                else f"no, short {fmt(steps['shortfall_share'], 'pct')}",
                "aps": "yes"
                if aps["status"] == "feasible"
                else f"no, short {fmt(aps['shortfall_share'], 'pct')}",
                "basis": aps["need_basis"],
            }
        )
    df = pd.DataFrame(rows)
    order = {p.label: i for i, p in enumerate(ps)}
    df = df.sort_values("party", key=lambda s: s.map(order), kind="stable")
    opts = opts.sort_values("party", key=lambda s: s.map(order), kind="stable")
    names = {p.label: p.name for p in ps}
    aps = opts[opts["scenario"] == "APS"]
    points = [
        _point(r, names[r["party"]])
        for _, r in aps.iterrows()
        if r["material"] or r["need_kt"] != r["need_kt"]
    ]
    first = Section(
        "outlook-2030",
        f"Outlook to {YEAR}: can partners supply the need within the 65% cap?",
        paragraphs=[
            f"Projected supply is the IEA's base case (Critical Minerals Data Explorer, May 2024: operating and "
            f"announced projects weighted by their probability of coming online), not a critmin forecast. Each "
            f"party's need is its {iea.BASE_YEAR} imports on the IEA's contained basis grown as the scenario's "
            f"world demand; every producer's output is shared among all buyers in proportion to demand; no third "
            f"country may supply more than 65% (Regulation (EU) 2024/1252). Members' own output serves their own "
            f"use and is left out. The table answers for each party's largest imports among the six minerals the "
            f"IEA projects; the points under it say, for each, what binds and what would close the gap.",
        ],
        points=points,
        table=table(
            df,
            [
                ("Party", "party", "text"),
                ("Mineral", "mineral", "text"),
                (f"Imports {iea.BASE_YEAR} (kt)", "imports_kt", "num"),
                (f"Need {YEAR} APS (kt)", "need_kt", "num"),
                (f"China {iea.BASE_YEAR}", "chn_2023", "pct"),
                (f"China {YEAR}", "chn_2030", "pct"),
                (f"World supply / demand {YEAR} APS", "coverage", "pct"),
                ("Within cap, STEPS", "steps", "text"),
                ("Within cap, APS", "aps", "text"),
                ("Need basis", "basis", "text"),
            ],
            caption=f"kt contained (Cu, Co, Li, Ni, graphite; Nd+Pr+Dy+Tb for magnet rare earths). Imports: BACI "
            f"{iea.BASE_YEAR}, from outside the party, converted with content factors; '—' where the stage has no "
            "trade code on the IEA basis (the within-cap answer does not depend on the need's size). China: "
            f"share of world output (IEA). {iea.SOURCE_LABEL}.",
        ),
    )
    full = ds.outlook(scenarios="APS")
    wide = full.pivot_table(
        index=["commodity", "stage"], columns="year", values=["share_CHN", "hhi", "top3_share"]
    )
    crow = []
    for c in iea.MINERALS:
        for s in iea.STAGES:
            if (c, s) not in wide.index:
                continue
            w = wide.loc[(c, s)]
            crow.append(
                {
                    "mineral": iea.stage_label(c, s),
                    **{f"chn_{y}": w.get(("share_CHN", y)) for y in iea.SUPPLY_YEARS},
                    **{f"hhi_{y}": w.get(("hhi", y)) for y in (iea.BASE_YEAR, YEAR, 2040)},
                }
            )
    second = Section(
        "outlook-concentration",
        "Projected concentration of supply, 2023-2040 (IEA base case)",
        table=table(
            pd.DataFrame(crow),
            [
                ("Mineral", "mineral", "text"),
                *[(f"China {y}", f"chn_{y}", "pct") for y in iea.SUPPLY_YEARS],
                *[(f"HHI {y}", f"hhi_{y}", "hhi") for y in (iea.BASE_YEAR, YEAR, 2040)],
            ],
            caption="Shares of world output; HHI over the producers the IEA names (0–1). '—': China not named "
            f"by the IEA for that stage. {iea.WHAT_PROJECTIONS_ARE}. {iea.SOURCE_LABEL}.",
        ),
    )
    return [first, second]
