"""Report sections: suppliers weighed by political stability and by the coercion-aware weight, side by side.

A provider for :data:`critmin.report.extras.PROVIDERS` (same signature as the others): wherever critmin
weighs suppliers — the GeoPolRisk score and the partner-sourcing optimum — the report shows the published
WGI weight next to the coercion-aware weight of :mod:`critmin.indicators.coercion`, so a reader sees both
and what changes. It uses the same public functions as the CLI (``critmin risk --risk-weight``,
``critmin optimize --risk-weight``).
"""

from __future__ import annotations

import pandas as pd

from critmin.formats import percent
from critmin.reference import commodities as cat

#: the mineral stages whose suppliers and optimum the section shows (the seed article's two concerns)
CASES = (("rare_earths", "refined"), ("graphite", "mine"))
WEIGHT_NOTE = (
    "WGI: g = clip((2.5 − PV)/5, 0, 1), political (in)stability (Gemechu et al. 2016). Coercion-aware: "
    "gᶜ = ⅓·g + ⅓·UNGA ideal-point distance to the importer (rescaled by the session's spread; Bailey, "
    "Strezhnev & Voeten 2017) + ⅓·the supplier's record of export restrictions in critmin's registry as "
    "known on 31 December of the year (measures on this mineral, or against this importer, count fully; on "
    "other minerals or other targets half; halving every 5 years after they end). Method and sources: "
    "docs/risk-methods.md."
)


def _parties(exp: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(exp["party"]))


def markets(ds, year: int, have: dict | None = None) -> dict:
    """The trade market of each case, built once for both tables (:func:`critmin.optimize.sourcing.market`);
    ``have``: markets already built (the briefing's, by (commodity, stage)), used where they exist."""
    from critmin.optimize.sourcing import market

    have = {k: m for k, m in (have or {}).items() if not isinstance(m, Exception)}
    return {
        (cid, stage): have[(cid, stage)] if (cid, stage) in have else market(ds, cid, stage, year)
        for cid, stage in CASES
    }


def supplier_table(ds, parties: list[str], year: int, mks: dict | None = None) -> pd.DataFrame:
    """Per party and case: China, the United States and the three largest other suppliers, with both weights
    and the components of the coercion-aware one."""
    from critmin.indicators.coercion import supplier_weights

    mks = mks or markets(ds, year)
    rows = []
    for cid, stage in CASES:
        mk = mks[(cid, stage)]
        for party in parties:
            members = set(ds.party(party, year).members)
            f = mk.flows[mk.flows["importer"].isin(members) & ~mk.flows["exporter"].isin(members)]
            imp = f.groupby("exporter")["tonnes"].sum().sort_values(ascending=False)
            if imp.sum() <= 0:
                continue
            show = list(dict.fromkeys(["CHN", "USA", *[c for c in imp.index if c not in ("CHN", "USA")][:3]]))
            w = supplier_weights(ds, party, cid, year, suppliers=show).set_index("country")
            for c in show:
                if c not in w.index:
                    continue
                r = w.loc[c]
                rows.append(
                    {
                        "party": party,
                        "mineral": f"{cat.get(cid).name}, {stage}",
                        "supplier": c,
                        "supplier_name": r["country_name"],
                        "import_share": float(imp.get(c, 0.0) / imp.sum()),
                        "g_wgi": r["g_wgi"],
                        "distance": r["distance"],
                        "record": r["record"],
                        "measures": len([m for m in str(r["measures"]).split(",") if m]),
                        "g_coercion": r["g_coercion"],
                    }
                )
    return pd.DataFrame(rows)


def geopolrisk_run(ds, parties: str, year: int, commodities, weight: str) -> pd.DataFrame:
    """The GeoPolRisk rows of the risk engine under one supplier weight (:func:`critmin.indicators.risk.risk`)."""
    from critmin.indicators.risk import risk

    return risk(ds, parties, ["geopolrisk"], [year], commodities, risk_weight=weight)


def score_table(ds, parties: str, year: int, commodities, runs: dict | None = None) -> pd.DataFrame:
    """GeoPolRisk score per party and mineral stage under both supplier weights. ``runs``: {weight: the risk
    engine's rows} already computed (the briefing's WGI run covers every mineral; only ``commodities`` are
    kept), the others are run here."""
    from critmin.reference import commodities as catalogue
    from critmin.report import wide_scores

    keep = {c.id for c in catalogue.resolve_many(commodities)}
    frames = []
    for weight in ("wgi", "coercion"):
        r = (runs or {}).get(weight)
        if r is None:
            r = geopolrisk_run(ds, parties, year, commodities, weight)
        r = r[(r["method"] == "geopolrisk") & r["commodity"].isin(keep) & r["status"].isin(["ok", "proxy"])]
        frames.append(r.assign(weight=weight))
    df = pd.concat(frames, ignore_index=True)
    wide = wide_scores(df, "weight")
    order = {p: i for i, p in enumerate(dict.fromkeys(df["party"]))}
    return wide.sort_values(["party", "commodity"], key=lambda s: s.map(order) if s.name == "party" else s)


def optimum_table(ds, parties: list[str], year: int, mks: dict | None = None) -> pd.DataFrame:
    """The partner-sourcing optimum (all suppliers, 65% cap) under both weights, with China's share."""
    from critmin.optimize.sourcing import optimize_sourcing

    mks = mks or markets(ds, year)
    rows = []
    for cid, stage in CASES:
        for party in parties:
            for weight in ("wgi", "coercion"):
                try:
                    res = optimize_sourcing(
                        ds, party, cid, stage, year, risk_weight=weight, market_=mks[(cid, stage)]
                    )
                except Exception as exc:  # a party without imports of the stage: say so, keep the rest
                    rows.append({"party": party, "mineral": f"{cat.get(cid).name}, {stage}", "weight": weight,
                                 "why": str(exc)})  # fmt: skip
                    continue
                s = res.summary.iloc[0]
                mix = res.mix.set_index("supplier")
                chn = mix.loc["CHN"] if "CHN" in mix.index else None
                rows.append(
                    {
                        "party": party,
                        "mineral": f"{cat.get(cid).name}, {stage}",
                        "weight": weight,
                        "need": s["need_tonnes"],
                        "risk_before": s["risk_before"],
                        "risk_after": s["risk_after"],
                        "chn_before": float(chn["current_share"]) if chn is not None else 0.0,
                        "chn_after": float(chn["optimised_share"]) if chn is not None else 0.0,
                        "top_after": f"{s['top_supplier_after']} {percent(s['top_share_after'])}"
                        if s["status"] == "optimal"
                        else "",
                        "cost_change": s["cost_after_kusd"] / s["cost_before_kusd"] - 1
                        if s["cost_before_kusd"]
                        else float("nan"),
                        "why": s["binding"].split(";")[0] if s["binding"] else s["explanation"],
                    }
                )
    return pd.DataFrame(rows)


def coercion_sections(
    ds,
    parties,
    year,
    exp,
    commodities: str | None = None,
    *,
    runs: dict | None = None,
    markets_: dict | None = None,
    suppliers: pd.DataFrame | None = None,
):
    """The provider: supplier weights, GeoPolRisk under both, and the sourcing optimum under both.

    ``commodities``: the minerals whose GeoPolRisk is shown under both weights (default: the report's key
    minerals; the briefing passes its minerals that matter). What the caller has already computed is reused:
    ``runs`` ({weight: risk engine rows}, see :func:`score_table`), ``markets_`` (built markets by (commodity,
    stage)) and ``suppliers`` (:func:`supplier_table`)."""
    from critmin.report import Section, table
    from critmin.report.extras import KEY_MINERALS

    mks = markets(ds, year, markets_)
    sup = suppliers if suppliers is not None else supplier_table(ds, _parties(exp), year, mks)
    scores = score_table(ds, parties, year, commodities or ",".join(KEY_MINERALS), runs)
    opt = optimum_table(ds, _parties(exp), year, mks)
    sections = [
        Section(
            "supplier-weights",
            f"Who is a risky supplier: political stability or coercion? ({year})",
            paragraphs=[
                "GeoPolRisk and critmin's optimiser weigh each supplier. The published weight is political "
                "(in)stability, which rates China and the United States alike for Japan; the concern of "
                "this briefing is economic coercion. The coercion-aware weight adds the supplier's distance to the "
                "importer in UN General Assembly voting and its dated record of export restrictions. UN "
                "voting alone does not separate the two (Japan's ideal point lies between China's and the "
                "United States'); the registry record does.",
                WEIGHT_NOTE,
            ],
            table=table(
                sup,
                [
                    ("Party", "party", "text"),
                    ("Mineral", "mineral", "text"),
                    ("Supplier", "supplier_name", "text"),
                    ("Share of imports, tonnes", "import_share", "pct"),
                    ("WGI g", "g_wgi", "num"),
                    ("UNGA distance", "distance", "num"),
                    ("Restriction record", "record", "num"),
                    ("Measures", "measures", "text"),
                    ("Coercion-aware gᶜ", "g_coercion", "num"),
                ],
                caption=f"Import shares in tonnes of the stage's content basis (BACI HS92, {year}); WGI political "
                "stability; UNGA ideal points (Bailey, Strezhnev & Voeten, June 2024 file); critmin restriction "
                "registry. Distance in ideal-point units (the session's spread is about 4.7).",
            )
            if len(sup)
            else None,
        ),
        Section(
            "coercion-risk",
            f"GeoPolRisk under both supplier weights ({year})",
            paragraphs=[
                "The same GeoPolRisk score (world production HHI × import risk) with either supplier weight; "
                "coercion-aware scores are not comparable with published GeoPolRisk values. Below, the "
                "partner-sourcing optimum (every supplier allowed, at most 65% of the need from one third "
                "country, capacity = a supplier's exports of its own output) minimising each weight "
                "(`critmin optimize --risk-weight wgi|coercion`)."
            ],
            table=table(
                scores,
                [
                    ("Party", "party", "text"),
                    ("Mineral", "name", "text"),
                    ("Stage", "stage", "text"),
                    ("GeoPolRisk, WGI weight", "wgi", "num"),
                    ("GeoPolRisk, coercion-aware", "coercion", "num"),
                    ("Note", "note", "text"),
                ],
                caption="Scores 0-1; trade BACI HS92 2025 release; production series of each stage.",
            ),
        ),
    ]
    if len(opt):
        sections.append(
            Section(
                "coercion-optimum",
                f"Partner-sourcing optimum: WGI weight vs coercion-aware weight ({year})",
                table=table(
                    opt,
                    [
                        ("Party", "party", "text"),
                        ("Mineral", "mineral", "text"),
                        ("Weight", "weight", "text"),
                        ("Need", "need", "t"),
                        ("Import risk now", "risk_before", "num"),
                        ("Optimised", "risk_after", "num"),
                        ("China now", "chn_before", "pct"),
                        ("China optimised", "chn_after", "pct"),
                        ("Largest after", "top_after", "text"),
                        ("Cost change", "cost_change", "pct"),
                        ("First binding constraint", "why", "text"),
                    ],
                    caption="Import risk Σ wᵢxᵢ/F under the weight the row minimises; cost at each supplier's "
                    "average export unit value (grades differ between suppliers: a lower cost is not a saving).",
                ),
            )
        )
    return sections


__all__ = [
    "CASES",
    "coercion_sections",
    "geopolrisk_run",
    "markets",
    "optimum_table",
    "score_table",
    "supplier_table",
]
