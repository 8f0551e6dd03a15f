"""Report sections contributed by the other parts of critmin.

Each provider takes (ds, parties, year, exposure table) and returns a list of :class:`Section`; it raises
ImportError when the part it needs is not available, and the report then lists it as missing. Providers use
the same public functions as the CLI.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from critmin.reference import commodities as cat

# The minerals the analytical sections focus on: the 2023-2026 export-control set plus battery minerals.
KEY_MINERALS = (
    "rare_earths",
    "graphite",
    "gallium",
    "germanium",
    "antimony",
    "tungsten",
    "lithium",
    "cobalt",
    "nickel",
    "manganese",
)


def _countries(exp: pd.DataFrame) -> list[str]:
    return sorted(
        {m for ms in exp["members"] for m in ms.split(",")},
        key=lambda c: list(exp["party"]).index(c) if c in set(exp["party"]) else 99,
    )


def risk_sections(ds, parties, year, exp):
    from critmin.indicators.risk import risk
    from critmin.report import Section, table

    r = risk(
        ds,
        parties,
        methods=("geopolrisk", "eu_sr", "origin"),
        years=[year],
        commodities=",".join(KEY_MINERALS),
    )
    # proxies rank the minerals without trade data (gallium, germanium ...), marked as such in the table
    ok = r[r["status"].isin(["ok", "proxy"])]
    wide = ok.pivot_table(
        index=["party", "party_name", "commodity", "stage"], columns="method", values="value", aggfunc="first"
    ).reset_index()
    for col in ("geopolrisk", "eu_sr", "origin"):
        if col not in wide:
            wide[col] = float("nan")
    keys = ["party", "commodity", "stage"]
    org = ok[(ok["method"] == "origin") & (ok["status"] == "ok")].set_index(keys)
    proxied = set(map(tuple, ok.loc[ok["status"] == "proxy", keys].to_numpy()))
    wide["origin_range"] = [
        f"{100 * org.loc[k, 'value_low']:.0f}–{100 * org.loc[k, 'value_high']:.0f} %"
        if k in org.index and org.loc[k, "value_low"] == org.loc[k, "value_low"]
        else ""
        for k in map(tuple, wide[keys].to_numpy())
    ]
    wide["basis"] = [
        "production-share proxy" if k in proxied else "" for k in map(tuple, wide[keys].to_numpy())
    ]
    share_col = next(c for c in exp.columns if c.startswith("share_from_"))
    direct = exp.set_index(["party", "commodity", "stage"])[share_col]
    wide["direct_chn"] = [
        direct.get((p, c, s), float("nan"))
        for p, c, s in zip(wide["party"], wide["commodity"], wide["stage"], strict=True)
    ]
    wide["name"] = wide["commodity"].map(lambda c: cat.get(c).name)
    order = {c: i for i, c in enumerate(KEY_MINERALS)}
    wide = wide.sort_values(
        ["party", "commodity"], key=lambda s: s.map(order) if s.name == "commodity" else s
    )
    wide = wide[wide[["geopolrisk", "eu_sr", "origin"]].notna().any(axis=1)]
    provenance = "; ".join(sorted(set("; ".join(ok["provenance"]).split("; "))))
    no_data = r[r["status"] != "ok"]
    gaps = sorted(
        {f"{cat.get(c).name} {s}" for c, s in zip(no_data["commodity"], no_data["stage"], strict=True)}
    )
    return [
        Section(
            "risk",
            f"Supply risk by method, {year}",
            paragraphs=[
                "GeoPolRisk (Gemechu et al. 2016; Koyamparambath et al. 2024): world production HHI × "
                "import risk Σ fᵢgᵢ/(F + p), gᵢ = WGI political (in)stability rescaled to 0–1. EU supply risk "
                "(European Commission 2017 method, generalised to the party's own sourcing; substitution "
                "index set to 1 where not published, so values are an upper bound). Origin: China's share of "
                "the party's supply traced through re-exports (Kastner et al. 2011) next to China's direct "
                "share of imports. The traced share's range spans the balancing options and production "
                "sources (docs/risk-methods.md). Minerals without trade data are ranked by a production-share "
                "proxy (the party sourcing like the world), marked in the last column."
            ],
            table=table(
                wide,
                [
                    ("Party", "party", "text"),
                    ("Mineral", "name", "text"),
                    ("Stage", "stage", "text"),
                    ("GeoPolRisk score", "geopolrisk", "num"),
                    ("EU supply risk", "eu_sr", "num"),
                    ("China direct", "direct_chn", "pct"),
                    ("China traced origin", "origin", "pct"),
                    ("traced, range", "origin_range", "text"),
                    ("note", "basis", "text"),
                ],
                caption=f"Sources: {provenance}.",
            ),
            notes=[f"No result (no trade code, no trade in {year} or no production data): " + ", ".join(gaps)]
            if gaps
            else [],
        )
    ]


def scenario_sections(ds, parties, year, exp):
    from critmin.report import Section, table
    from critmin.scenarios import build_network, restrict

    countries = _countries(exp)
    stocks = {"JPN": 60} if "JPN" in countries else {}
    rows, notes = [], []
    for cid, stage in (("rare_earths", "refined"), ("graphite", "mine"), ("antimony", "mine")):
        try:
            net = build_network(ds, cid, stage, year)
        except Exception as exc:
            notes.append(f"{cat.get(cid).name} {stage}: {exc}")
            continue
        res = restrict(net, by="CHN", share=1.0, stocks=stocks, substitution=0.0)
        c = res.countries()
        c = c[c["country"].isin(countries)]
        world = res.world()
        for r in c.itertuples():
            rows.append(
                {
                    "mineral": f"{cat.get(cid).name} ({stage})",
                    "country": r.country,
                    "consumption": r.consumption_tonnes,
                    "direct_loss": r.direct_loss_tonnes,
                    "stocks_days": r.stocks_days,
                    "shortfall": r.shortfall_tonnes,
                    "shortfall_pct": r.shortfall_pct_of_consumption / 100,
                    "days_of_cover": r.days_of_cover,
                    "world_shortfall": world["shortfall_tonnes"],
                    "basis": r.basis,
                }
            )
        notes.append(
            f"{cat.get(cid).name} ({stage}): {world['countries_with_shortfall']} countries short, world "
            f"shortfall {world['shortfall_tonnes']:,.0f} t of {world['world_consumption_tonnes']:,.0f} t "
            f"({world['rounds']} rounds). " + " ".join(world["notes"][:2])
        )
    df = pd.DataFrame(rows)
    return [
        Section(
            "scenario",
            f"Scenario: China halts all exports ({year} trade network)",
            paragraphs=[
                "A full Chinese export stop pushed through the bilateral trade network with the cascade model "
                "of Marchand et al. (2016): stocks absorb the loss first, then consumption; countries that run "
                "short stop re-exporting. Japan holds 60 days of consumption (the JOGMEC target), others none; "
                "no substitution. Run your own with `critmin scenario restrict` and `critmin scenario sweep`."
            ],
            table=table(
                df,
                [
                    ("Mineral", "mineral", "text"),
                    ("Country", "country", "text"),
                    ("Apparent consumption", "consumption", "t"),
                    ("Direct loss", "direct_loss", "t"),
                    ("Stocks (days)", "stocks_days", "num"),
                    ("Shortfall", "shortfall", "t"),
                    ("Shortfall % of consumption", "shortfall_pct", "pct"),
                    ("Days of cover", "days_of_cover", "num"),
                    ("Basis", "basis", "text"),
                ],
                caption="Tonnes per year on the network's basis; sources BACI HS92 2025 release and the "
                "production series of each stage.",
            )
            if len(df)
            else None,
            notes=notes,
        )
    ]


def countermeasure_sections(ds, parties, year, exp):
    from critmin.optimize.sourcing import pooled
    from critmin.report import Section, table

    blocs = [p for p in exp["party"].unique() if "," in exp.loc[exp["party"] == p, "members"].iloc[0]]
    if not blocs:
        return []
    frames = []
    for bloc in blocs:
        for cid, stage in (("rare_earths", "refined"), ("graphite", "mine")):
            try:
                frames.append(pooled(ds, bloc, cid, stage, year, partners="own"))
            except Exception as exc:
                frames.append(
                    pd.DataFrame(
                        [
                            {
                                "party": bloc,
                                "commodity": cid,
                                "stage": stage,
                                "case": "error",
                                "status": "error",
                                "explanation": str(exc),
                            }
                        ]
                    )
                )
    df = pd.concat(frames, ignore_index=True)
    df["name"] = df["commodity"].map(lambda c: cat.get(c).name)
    df["why"] = [
        b if isinstance(b, str) and b else (e if isinstance(e, str) else "")
        for b, e in zip(df.get("binding", ""), df.get("explanation", ""), strict=True)
    ]
    return [
        Section(
            "countermeasures",
            "Countermeasures: partner sourcing, alone and pooled",
            paragraphs=[
                "Import need re-allocated across suppliers to minimise the GeoPolRisk import risk, within each "
                "supplier's current exports, at most 65 % from any one third country (EU CRMA benchmark) and "
                "each member's partnership set; 'pooled' lets the members buy jointly. The gain from pooling is "
                "what the partnership adds (`critmin optimize --pooled`)."
            ],
            table=table(
                df,
                [
                    ("Bloc", "party", "text"),
                    ("Mineral", "name", "text"),
                    ("Stage", "stage", "text"),
                    ("Case", "case", "text"),
                    ("Status", "status", "text"),
                    ("Import risk now", "risk_before", "num"),
                    ("Optimised", "risk_after", "num"),
                    ("Gain from pooling", "partnership_gain", "num"),
                    ("Binding constraints / explanation", "why", "text"),
                ],
                caption="Import risk Σ gᵢxᵢ/F (WGI political stability, 2025 release); trade BACI HS92.",
            ),
        )
    ]


def registry_sections(ds, parties, year, exp):
    from critmin.report import Section, table
    from critmin.scenarios import restrictions

    today = dt.date.today().isoformat()
    r = restrictions(ds, in_force=today)
    countries = set(_countries(exp))
    r = r.assign(
        minerals=r["commodities"].map(lambda cs: ", ".join(cs)),
        targets_txt=r["targets"].map(lambda ts: ", ".join(ts) if len(ts) else "all destinations"),
        hits=r["targets"].map(lambda ts: "yes" if (not len(ts) or countries & set(ts)) else "no"),
    )
    sections = [
        Section(
            "restrictions",
            f"Export restrictions in force on {today}",
            paragraphs=[
                "From critmin's restriction registry (official announcements, dated and cited; "
                "`critmin restrictions list --in-force DATE`). 'Applies' says whether the measure covers "
                "exports to the report's countries."
            ],
            table=table(
                r,
                [
                    ("Imposer", "imposer", "text"),
                    ("Minerals", "minerals", "text"),
                    ("Measure", "measure_type", "text"),
                    ("Effective", "effective_date", "text"),
                    ("Targets", "targets_txt", "text"),
                    ("Applies", "hits", "text"),
                    ("Title", "title", "text"),
                    ("Reference", "legal_reference", "text"),
                ],
            ),
        )
    ]
    return sections


def partnership_sections(ds, parties, year, exp):
    from critmin.reference.partnerships import partnerships
    from critmin.report import Section, table

    today = dt.date.today().isoformat()
    frames = [partnerships(ds, country=c, as_of=today).assign(country=c) for c in _countries(exp)]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if df.empty:
        return []
    df = df.assign(parties_txt=df["parties"].map(lambda ps: "–".join(ps)))
    return [
        Section(
            "partnerships",
            f"Critical-minerals partnerships in force on {today}",
            table=table(
                df,
                [
                    ("Country", "country", "text"),
                    ("Parties", "parties_txt", "text"),
                    ("Level", "level", "text"),
                    ("Since", "date", "text"),
                    ("Title", "title", "text"),
                    ("Source", "source", "text"),
                ],
                caption="critmin partnerships table (seed records cite their source; news records are listed "
                "once reviewed).",
            ),
        )
    ]


def news_sections(ds, parties, year, exp):
    from critmin.news.store import events as news_events
    from critmin.report import Section, table

    frames = [news_events(ds.store, country=c, mineral_relevant_only=True) for c in _countries(exp)]
    ev = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if ev.empty:
        return []
    ev = ev.drop_duplicates(subset=["event_id"]) if "event_id" in ev else ev
    cols = [
        c
        for c in ("date", "event_type", "initiator", "counterparts", "minerals", "status", "evidence")
        if c in ev.columns
    ]
    ev = ev[cols].copy()
    for c in ("initiator", "counterparts", "minerals"):
        if c in ev:
            ev[c] = ev[c].map(
                lambda v: ", ".join(v) if isinstance(v, list | tuple) else ("" if v is None else str(v))
            )
    return [
        Section(
            "news",
            "Events read from the news",
            paragraphs=[
                "Extracted by critmin's rule-based reader from ingested articles (`critmin news ingest`); the "
                "evidence column quotes the article exactly. Article text is untrusted and shown as plain text."
            ],
            table=table(ev, [(c.replace("_", " ").capitalize(), c, "text") for c in cols]),
        )
    ]


def outlook_sections(ds, parties, year, exp):
    from critmin.report.outlook import outlook_sections as sections

    return sections(ds, parties, year, exp)


PROVIDERS: list = [
    ("supply-risk methods", risk_sections),
    ("scenarios", scenario_sections),
    ("countermeasures", countermeasure_sections),
    ("outlook to 2040", outlook_sections),
    ("restriction registry", registry_sections),
    ("partnerships", partnership_sections),
    ("news events", news_sections),
]
