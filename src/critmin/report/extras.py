"""Report sections contributed by the other parts of critmin.

Each provider takes the report's :class:`~critmin.report.briefing.Briefing` (whose inputs are computed once
and shared) — or, the older convention, (ds, parties, year, exposure table) — and returns a list of
:class:`Section`; it raises ImportError when the part it needs is not available, and the report then lists
it as missing. Providers use the same public functions as the CLI.
"""

from __future__ import annotations

import re

import pandas as pd

from critmin.formats import percent
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


def risk_sections(b):
    """Supply risk by method for each party's material imports and the key minerals (proxies included)."""
    from critmin.report import PROXY_NOTE, Section, fmt, table, wide_scores

    r = b.risk
    ok = r[r["status"].isin(["ok", "proxy"])]
    wide = wide_scores(ok, "method", ("party", "party_name", "commodity", "stage"))
    for col in ("geopolrisk", "eu_sr", "origin"):
        if col not in wide:
            wide[col] = float("nan")
    keys = ["party", "commodity", "stage"]
    org = ok[(ok["method"] == "origin") & (ok["status"] == "ok")].set_index(keys)
    wide["origin_range"] = [
        f"{percent(org.loc[k, 'value_low']).removesuffix('%')}–{percent(org.loc[k, 'value_high'])}"
        if k in org.index
        and org.loc[k, "value_low"] == org.loc[k, "value_low"]
        and org.loc[k, "value_high"] - org.loc[k, "value_low"] >= 0.005
        else ""
        for k in map(tuple, wide[keys].to_numpy())
    ]
    exp = b.exp.set_index(keys)
    material = set(map(tuple, b.exp.loc[b.exp["material"].astype(bool), keys].to_numpy()))
    chosen = set(map(tuple, b.key[keys].to_numpy()))
    wide = wide[
        [
            k in chosen or (k[1] in KEY_MINERALS and (k in material or note == PROXY_NOTE))
            for k, note in zip(map(tuple, wide[keys].to_numpy()), wide["note"], strict=True)
        ]
    ]
    wide["direct_chn"] = [exp[b.share_col].get(k, float("nan")) for k in map(tuple, wide[keys].to_numpy())]
    # the EU method needs the stage's production of its own year: where the series ends earlier, its latest
    # year, said next to the value ('3.39 (2023)'); '—' where the stage has no production series at all
    lag = b.eu_sr_latest.set_index(keys)
    wide["eu_text"] = [
        f"{fmt(v, 'num')}"
        if v == v
        else (f"{fmt(lag.loc[k, 'value'], 'num')} ({int(lag.loc[k, 'year'])})" if k in lag.index else "—")
        for v, k in zip(wide["eu_sr"], map(tuple, wide[keys].to_numpy()), strict=True)
    ]
    order = {p.label: i for i, p in enumerate(b.parties)}
    wide = wide.assign(_p=wide["party"].map(order)).sort_values(
        ["_p", "geopolrisk"], ascending=[True, False], na_position="last"
    )
    wide = wide[wide[["geopolrisk", "eu_sr", "origin"]].notna().any(axis=1)]
    # one entry per source and edition (the per-series detail is in `critmin risk --out`)
    # ('WMD WMD 2026': a source whose edition repeats its name is said once)
    provenance = "; ".join(
        sorted(
            {
                re.sub(r"^(\S+) \1\b", r"\1", p.split(" (")[0])
                for p in "; ".join(ok["provenance"]).split("; ")
                if p.strip()
            }
        )
    )
    return [
        Section(
            "risk",
            f"Supply risk by method, {b.year}",
            paragraphs=[
                "GeoPolRisk (Gemechu et al. 2016; Koyamparambath et al. 2024): world production HHI × "
                "import risk Σ fᵢgᵢ/(F + p), gᵢ = WGI political (in)stability rescaled to 0–1. EU supply risk "
                "(European Commission 2017 method, generalised to the party's own sourcing; substitution "
                "index set to 1 where not published, so values are an upper bound; it takes the stage's world "
                "production of its own year: '(2023)' where that series ends before the analysis year, '—' where "
                "the stage has none, e.g. ferro-niobium). China traced origin: "
                "China's share of the party's supply traced through re-exports (Kastner et al. 2011), next to "
                "China's direct share of imports; the range spans the balancing options and production sources "
                "(docs/risk-methods.md). Minerals without trade data are ranked by a production-share proxy "
                "(the party sourcing like the world), marked in the last column. Rows: the party's minerals "
                "that matter and the export-control and battery minerals "
                f"({', '.join(cat.get(c).name.lower() for c in KEY_MINERALS)}) where material or without "
                "trade data, highest GeoPolRisk first."
            ],
            table=table(
                wide,
                [
                    ("Party", "party", "text"),
                    ("Mineral", "name", "text"),
                    ("Stage", "stage", "text"),
                    ("GeoPolRisk score", "geopolrisk", "num"),
                    ("EU supply risk", "eu_text", "rtext"),
                    ("China direct", "direct_chn", "pct"),
                    ("China traced origin", "origin", "pct"),
                    ("Traced, range", "origin_range", "text"),
                    ("Note", "note", "text"),
                ],
                caption=f"Sources: {provenance}.",
            ),
        )
    ]


def scenario_sections(b):
    """The one-year Chinese export stop for every mineral that matters, without and with supply response."""
    from critmin.report import Section, table

    df = b.scenario_table
    if df.empty:
        return []
    df = df.assign(
        mineral=[f"{cat.get(c).name} ({s})" for c, s in zip(df["commodity"], df["stage"], strict=True)],
        cover=[
            "no gap" if d == float("inf") else ("no stocks" if sd <= 0 else f"{d:,.0f}")
            for d, sd in zip(df["days_of_cover"], df["stocks_days"], strict=True)
        ],
        use=[
            "exports more than it uses" if neg and c <= 0 else f"{c:,.0f} t"
            for neg, c in zip(df["negative_consumption"], df["consumption_tonnes"], strict=True)
        ],
    )  # a copy: the briefing's table is shared
    # '—' where nothing could respond (no spare capacity on record): the run then repeats the first
    df["shortfall_response_share"] = df["shortfall_response_share"].where(df["response_spare_tonnes"] > 0)
    notes = []
    for (c, s), (off, on) in b.scenarios.items():
        w, wr = off.world(), on.world()
        sr = wr["supply_response"]
        if sr["spare_capacity_tonnes"] > 0:
            response = (
                f"with the supply response {wr['shortfall_tonnes']:,.0f} t (other producers add "
                f"{max(0.0, wr['response_tonnes']):,.0f} t)"
            )
        else:  # the response run repeats the first: say why instead of a second number
            why = "; ".join(sr["notes"]) or "no producer below its output of the previous 5 years"
            response = f"no supply response estimated ({why})"
        notes.append(
            f"{cat.get(c).name} ({s}), {off.network.basis}: world shortfall {w['shortfall_tonnes']:,.0f} t of "
            f"{w['world_consumption_tonnes']:,.0f} t ({w['countries_with_shortfall']} countries short); "
            f"{response}. Sources: {w['source']} ({w['edition']})."
        )
    return [
        Section(
            "scenario",
            f"Stress test: China stops exports for a year ({b.year} trade network)",
            paragraphs=[
                "A full Chinese export stop of each mineral that matters, pushed through the bilateral trade "
                "network with the cascade of Marchand et al. (2016): stocks absorb the loss first; a country "
                "left short buys more from suppliers still open to it and shares the rest of its loss between "
                "its own use and its export customers in proportion to what each takes (pro-rata rationing); "
                "a country that has lost 0.1% of the supply it handles sells no extra to others (less than "
                "that closes it in part). China covers its own import losses from what it withholds. Japan "
                "holds 60 days of consumption of its stockpiled rare metals (the JOGMEC target), others none; "
                "no substitution. 'With response': other producers add output from spare capacity with a "
                "short-run supply elasticity over 12 months, and China redirects nothing (docs/scenarios.md §3); "
                "'—' where no spare capacity is on record (the note says why). "
                "Days of cover: how long the stocks last at the year's supply gap. Run your own with "
                "`critmin scenario restrict` and `critmin scenario sweep`."
            ],
            table=table(
                df,
                [
                    ("Party", "party", "text"),
                    ("Mineral", "mineral", "text"),
                    ("Apparent consumption", "use", "text"),
                    ("Basis", "basis", "text"),
                    ("Direct loss", "direct_loss_tonnes", "t"),
                    ("Stocks (days)", "stocks_days", "days"),
                    ("Shortfall", "shortfall_tonnes", "t"),
                    ("Shortfall, % of use", "shortfall_share", "pct"),
                    ("With response, % of use", "shortfall_response_share", "pct"),
                    ("Days of cover", "cover", "text"),
                ],
                caption="Tonnes per year on the network's content basis; a bloc's row sums its members. Apparent "
                "consumption = production + imports − exports; a country that exports more than it produces "
                "and imports (re-exports, unrecorded supply) loses nothing.",
            ),
            notes=notes,
        )
    ]


def countermeasure_sections(b):
    """Every action for every party, ranked; and the pooled-buying table for blocs."""
    from critmin.report import Section, fmt, table
    from critmin.report.briefing import REDIRECT

    a = b.actions
    if a.empty:
        return []
    a = a.assign(
        closes_kusd=a["closes_usd"] / 1e3,
        closes_text=[
            "—" if t != t else f"{fmt(t, 't')} ({fmt(sh, 'pct')})"
            for t, sh in zip(a["closes_tonnes"], a["closes_share"], strict=True)
        ],
    )
    out = [
        Section(
            "countermeasures",
            "What would help, ranked",
            paragraphs=[
                "For each party and mineral that matters, each action's effect on the shortfall of the stress "
                "test: the tonnes it closes (never more than the shortfall) and their value at the party's "
                "import unit value, which ranks actions across minerals. Re-sourcing: the partner-sourcing "
                "LP (HiGHS) minimising the expected loss of a Chinese stop, within other suppliers' exportable "
                f"output of the stage, each able to sell the party at most {percent(REDIRECT)} of what it sells others "
                "(`critmin optimize`). Buying together: the same for the bloc's members jointly vs alone "
                "(`critmin optimize --pooled`). Stockpile: the days of consumption that keep the shortfall at zero "
                "in 95% of the registry's restriction scenarios (`critmin stockpile`). Recycling: the EU "
                "end-of-life recycling input rate raised to the CRMA's 25% benchmark."
            ],
            table=table(
                a,
                [
                    ("Rank", "rank", "text"),
                    ("Party", "party", "text"),
                    ("Action", "action", "text"),
                    ("Mineral", "mineral", "text"),
                    ("The number", "number", "text"),
                    ("Shortfall closed", "closes_text", "rtext"),
                    ("Value a year", "closes_kusd", "usd"),
                    ("Caveat", "caveat", "text"),
                ],
                caption="Tonnes per year on the stage's content basis; values at the party's import unit value "
                f"({b.exp['trade_source'].iloc[0]}).",
            ),
        )
    ]
    frames = [
        df.assign(bloc=k[0], mineral=f"{cat.get(k[1]).name} ({k[2]})")
        for k, df in b.pooled.items()
        if isinstance(df, pd.DataFrame)
    ]
    if frames:
        df = pd.concat(frames, ignore_index=True)
        out.append(
            Section(
                "pooled",
                "Buying together: each member alone vs pooled",
                paragraphs=[
                    "China's share of the need after re-sourcing, each member alone (within its share of every "
                    "supplier's spare capacity) and the members buying jointly; the gain is what pooling adds."
                ],
                table=table(
                    df,
                    [
                        ("Bloc", "bloc", "text"),
                        ("Mineral", "mineral", "text"),
                        ("Case", "case", "text"),
                        ("Status", "status", "text"),
                        ("Need", "need_tonnes", "t"),
                        ("From China now", "risk_before", "pct"),
                        ("After re-sourcing", "risk_after", "pct"),
                        ("Gain from pooling", "partnership_gain", "pct"),
                    ],
                    caption=f"Trade {df['trade_source'].iloc[0]}; tonnes of the stage's content basis.",
                ),
            )
        )
    return out


def registry_sections(b):
    from critmin.report import Section, table
    from critmin.scenarios.registry import all_records, lapse_notes

    r = b.restrictions
    hits = {
        p.label: set(b.measures_hitting(p, "critical_minerals")["id"])
        | set(i for c in cat.catalogue() for i in b.measures_hitting(p, c)["id"])
        for p in b.parties
    }
    r = r.assign(
        minerals=r["commodities"].map(lambda cs: ", ".join(cs).replace("_", " ")),
        targets_txt=r["targets"].map(lambda ts: ", ".join(ts) if len(ts) else "all destinations"),
        hits=[", ".join(p for p, ids in hits.items() if i in ids) or "none" for i in r["id"]],
    )
    return [
        Section(
            "restrictions",
            f"Export restrictions in force on {b.as_of.isoformat()}",
            paragraphs=[
                "From critmin's restriction registry (official announcements, dated and cited; "
                "`critmin restrictions list --in-force DATE`). 'Applies to' names the report's parties whose "
                "imports the measure covers (a measure without targets covers every destination)."
            ],
            table=table(
                r,
                [
                    ("Imposer", "imposer", "text"),
                    ("Minerals", "minerals", "text"),
                    ("Measure", "measure_type", "text"),
                    ("Effective", "effective_date", "text"),
                    ("Targets", "targets_txt", "text"),
                    ("Applies to", "hits", "text"),
                    ("Title", "title", "text"),
                    ("Reference", "legal_reference", "text"),
                ],
            ),
            notes=lapse_notes(all_records(b.ds), b.as_of),
        )
    ]


def partnership_sections(b):
    from critmin.reference.partnerships import partnerships
    from critmin.report import Section, table

    today = b.as_of.isoformat()
    frames = [partnerships(b.ds, country=c, as_of=today).assign(country=c) for c in b.countries]
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


def news_sections(b):
    from critmin.news.store import events as news_events
    from critmin.report import Section, table

    frames = [news_events(b.ds.store, country=c, mineral_relevant_only=True) for c in b.countries]
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


def coercion_sections(b):
    """Both supplier weights, for the minerals that matter on page one (and the two cases of the section); the
    WGI scores are the briefing's own risk run, the markets its re-sourcing markets."""
    from critmin.report.coercion import coercion_sections as sections

    return sections(
        b.ds,
        b.spec,
        b.year,
        b.exp,
        commodities=",".join(sorted(set(b.key["commodity"]))),
        runs={"wgi": b.risk, **{w: job.result() for w, job in b.coercion_jobs.items()}},
        markets_=b.markets,
    )


PROVIDERS: list = [
    ("supply-risk methods", risk_sections),
    ("scenarios", scenario_sections),
    ("countermeasures", countermeasure_sections),
    ("supplier weights: stability vs coercion", coercion_sections),
    ("outlook to 2040", outlook_sections),
    ("restriction registry", registry_sections),
    ("partnerships", partnership_sections),
    ("news events", news_sections),
]
