"""The dashboard's pages as data: sections of paragraphs, charts and tables built from the Python API.

Each builder takes the Dataset and the page's parameters and returns a :class:`Page`. Every table keeps the
full tidy frame the API returned (downloaded as CSV from the page with ``?download=<table id>``), every chart
names its source and edition. Nothing here computes an indicator: numbers are arranged, counted or summed
for display only (e.g. import value by supplier over the minerals of the catalogue).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.errors import CritminError, NoDataError, UnknownValueError
from critmin.formats import percent
from critmin.report import fmt
from critmin.web import charts

LANDING_PARTIES = ("JPN", "ITA", "JPN+ITA")
KEY_MINERALS = (("rare_earths", "refined"), ("graphite", "mine"), ("antimony", "mine"))


@dataclass
class Chart:
    id: str
    title: str
    figure: dict
    source: str  # source and edition, shown under the chart
    note: str = ""


@dataclass
class Table:
    id: str
    title: str
    frame: pd.DataFrame  # the full tidy table (CSV download)
    columns: list[tuple[str, str, str]]  # (header, column, format kind of critmin.report.fmt or 'text')
    caption: str = ""
    limit: int | None = None
    api: str | None = None  # the equivalent API call, shown for reuse
    shown: pd.DataFrame | None = None  # the rows shown, when not the whole frame (e.g. one party of three)
    links: dict[str, str] = field(default_factory=dict)  # column -> URL pattern with {column} fields
    dim: str | None = None  # a boolean column: rows where it is False are greyed (e.g. immaterial imports)

    @property
    def visible(self) -> pd.DataFrame:
        df = self.frame if self.shown is None else self.shown
        return df if self.limit is None else df.head(self.limit)

    def rows(self) -> list[list[tuple[str, str | None]]]:
        """Shown cells as (text, link or None)."""
        out = []
        for rec in self.visible.to_dict("records"):
            row = []
            for _, col, kind in self.columns:
                href = self.links.get(col)
                if href:
                    href = href.format(**{k: urllib.parse.quote(str(v), safe="+") for k, v in rec.items()})
                row.append((cell(rec.get(col), kind), href))
            out.append(row)
        return out

    @property
    def dimmed(self) -> list[bool]:
        """Per shown row, whether it is greyed."""
        if self.dim is None or self.dim not in self.visible:
            return [False] * len(self.visible)
        return [not bool(v) for v in self.visible[self.dim].fillna(False)]

    @property
    def align(self) -> list[str]:
        return [
            {"text": "left", "date": "left nowrap", "flags": "left small"}.get(k, "right")
            for _, _, k in self.columns
        ]


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, href)
    notes: list[str] = field(default_factory=list)
    cards: list[dict] = field(default_factory=list)  # headline figures: title, value, lines, href


@dataclass
class Page:
    nav: str
    title: str
    lead: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    form: dict | None = None
    article: dict | None = None

    def table(self, table_id: str) -> Table:
        for s in self.sections:
            for t in s.tables:
                if t.id == table_id:
                    return t
        ids = [t.id for s in self.sections for t in s.tables]
        raise UnknownValueError(
            "table", table_id, ids, hint="tables of this page: " + (", ".join(ids) or "none")
        )


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))


def cell(v, kind: str) -> str:
    """One table cell: the report's formats (critmin.report.fmt: usd, t, pct, hhi, num) plus signed tonnes
    ('dt'), whole days ('days'), percent values already ×100 ('pct100'), JSON flag lists ('flags') and text."""
    if kind in ("text", "date", "rtext"):  # rtext: text formatted here, right-aligned like a number
        if isinstance(v, list | tuple | np.ndarray):
            return ", ".join(map(str, v))
        return "" if _missing(v) else str(v)
    if kind == "flags":
        try:
            items = json.loads(v) if isinstance(v, str) else list(v or [])
        except ValueError:
            return str(v)
        return ", ".join(str(i).replace("_", " ") for i in items)
    if _missing(v):
        return "—"
    if kind == "dt":
        return f"{v:,.0f} t".replace("-0 t", "0 t")
    if kind == "days":
        return "unlimited" if np.isinf(v) else f"{v:,.0f}"
    if kind == "pct100":
        return percent(v / 100, 1)
    return fmt(v, kind)


def today() -> str:
    return dt.date.today().isoformat()


def _analysis_year(ds, year: int | None) -> int:
    from critmin.report import analysis_year

    return int(year) if year is not None else analysis_year(ds)


def _name(cid: str) -> str:
    from critmin.reference import commodities as cat

    return cat.get(cid).name


def _flat(values) -> str:
    return "; ".join(sorted({str(v) for v in values if isinstance(v, str) and v}))


def editions(ds, data_table: str) -> str:
    """'WMD 2026; USGS MCS 2024; ...': the sources and editions loaded for one data table of the store."""
    src = ds.sources()
    src = src[src["data_table"] == data_table]
    labels = [
        e if str(e).startswith(str(s)) else f"{s} {e}"
        for s, e in zip(src["source"], src["edition"], strict=True)
    ]
    return "; ".join(dict.fromkeys(labels))


def _trade_caption(exp: pd.DataFrame) -> str:
    from critmin.formats import group_sources

    srcs = "; ".join(
        group_sources(pd.concat([exp["world_mine_source"], exp["world_refined_source"]]).dropna())
    )
    return (
        f"Trade: {_flat(exp['trade_source'])} (CEPII), import values FOB in current USD, tonnes of content on each "
        f"stage's basis; shares of import value. World production: {srcs}. HHI 0–1. Net import reliance = "
        "(I−E)/(P+I−E) (USGS)."
    )


EXPOSURE_COLUMNS = [
    ("Party", "party", "text"),
    ("Mineral", "commodity_name", "text"),
    ("Stage", "stage", "text"),
    ("Imports", "import_value_kusd", "usd"),
    ("Tonnes of content", "tonnes_words", "rtext"),  # '1,078,870 t Cu': the basis beside its tonnes
    ("1st supplier", "supplier_words", "text"),  # 'CHL 38%'
    ("Supplier HHI", "supplier_hhi", "hhi"),
    ("From CHN", "share_from_CHN", "pct"),
    ("Net import reliance", "import_reliance", "pct"),
    ("World mine CHN", "world_mine_china_share", "pct"),
    ("World refined CHN", "world_refined_china_share", "pct"),
    ("Coverage", "coverage", "text"),
]


def exposure_cards(exp: pd.DataFrame) -> list[dict]:
    """Headline figures per party, counted as the briefing counts them (:func:`critmin.report.headline_rows`:
    material imports only): import value, material stages mostly from China, above the 65% benchmark."""
    from critmin.report import headline_rows

    cards = []
    for party, part in exp.groupby("party", sort=False):
        traded = part[part["import_value_kusd"].fillna(0) > 0]
        h = headline_rows(part)
        cards.append(
            {
                "title": f"{part['party_name'].iloc[0]} ({party})",
                "value": fmt(part["import_value_kusd"].sum(), "usd"),
                "lines": [
                    f"imports of {len(traded)} critical-mineral stages, {int(part['year'].max())}; "
                    f"{len(h['material'])} material",
                    f"{len(h['china'])} of those at least half from China",
                    f"{len(h['single'])} with one supplier above 65%",
                ],
                "href": f"/profile/{party}",
            }
        )
    return cards


def exposure_findings(exp: pd.DataFrame) -> list[str]:
    """Per party, the material mineral stages China supplied at least half of (by import value), largest first;
    stages below materiality are no finding."""
    from critmin.indicators.materiality import DEFAULT as material
    from critmin.report import headline_rows

    out = []
    for _party, part in exp.groupby("party", sort=False):
        name = part["party_name"].iloc[0]
        chn = headline_rows(part)["china"]
        if chn.empty:
            out.append(f"{name}: no material import came at least half from China ({material.label}).")
            continue
        items = ", ".join(
            f"{r.commodity_name.lower()} {r.stage} {fmt(r.share_from_CHN, 'pct')}" for r in chn.itertuples()
        )
        out.append(f"{name}: at least half from China — {items}.")
    return out


def china_share_chart(exp: pd.DataFrame, chart_id: str, limit: int = 14) -> Chart:
    """China's share of import value per mineral stage and party, for the stages the last party (the bloc on
    the landing view) buys most from China."""
    e = exp.dropna(subset=["import_value_kusd"])
    last = e["party"].iloc[-1] if len(e) else ""
    mine = e[e["party"] == last]
    from_china = (mine["import_value_kusd"] * mine["share_from_CHN"].fillna(0)).sort_values(ascending=False)
    big = from_china[mine.loc[from_china.index, "share_from_CHN"] >= 0.02]
    order = mine.loc[big.index[:limit], ["commodity", "stage"]]
    cats = [f"{_name(c)} ({s})" for c, s in zip(order["commodity"], order["stage"], strict=True)]
    keyed = e.set_index(["party", "commodity", "stage"])["share_from_CHN"]
    series = {
        p: [keyed.get((p, c, s), np.nan) for c, s in zip(order["commodity"], order["stage"], strict=True)]
        for p in e["party"].unique()
    }
    return Chart(
        chart_id,
        "China's share of imports, for the largest imports from China",
        charts.grouped_bars(cats, series, unit="share of import value", percent=True, horizontal=True),
        f"{_flat(e['trade_source'])} (CEPII), {int(e['year'].max()) if len(e) else ''}; shares of import value (FOB).",
    )


def exposure_table(
    exp: pd.DataFrame,
    table_id: str,
    title: str,
    api: str,
    show_party: str | None = None,
    limit: int | None = None,
) -> Table:
    """The exposure table: the traded stages of ``show_party`` (default: all) by import value; the CSV has
    every row, the coverage notes of the others go below."""
    shown = exp if show_party is None else exp[exp["party"] == show_party]
    from critmin.indicators.materiality import DEFAULT as material

    traded = shown[shown["import_value_kusd"].fillna(0) > 0].sort_values("import_value_kusd", ascending=False)
    traded = traded.assign(
        tonnes_words=[
            f"{fmt(t, 't')} {b}" if t == t and isinstance(b, str) else fmt(t, "t")
            for t, b in zip(traded["import_content_tonnes"], traded["content_basis"], strict=True)
        ],
        supplier_words=[
            f"{s} {fmt(x, 'pct')}" if isinstance(s, str) else ""
            for s, x in zip(traded["supplier_1"], traded["supplier_1_share"], strict=True)
        ],
    )

    return Table(
        table_id,
        title,
        exp,
        EXPOSURE_COLUMNS[:-1] if show_party is None else EXPOSURE_COLUMNS[1:-1],
        caption=_trade_caption(exp)
        + f" Greyed rows: imports below materiality ({material.label}), not a finding.",
        api=api,
        shown=traded,
        limit=limit,
        dim="material",
    )


def coverage_note(exp: pd.DataFrame) -> str:
    """Which stages have no trade data, in one line (the 'coverage' column of the CSV says why)."""
    gaps = exp[exp["import_value_kusd"].isna()].drop_duplicates(["commodity", "stage"])
    if gaps.empty:
        return ""
    items = [f"{_name(c).lower()} ({s})" for c, s in zip(gaps["commodity"], gaps["stage"], strict=True)]
    return f"No trade data (no HS92 code, or no flows that year) for {len(items)} stages: {', '.join(items)}; the CSV's coverage column says why."


def supplier_map(ds, party, commodity: str | None, year: int, chart_id: str) -> tuple[Chart, Table]:
    """Import value by supplier (summed over the minerals of the catalogue, or one commodity)."""
    from critmin.indicators.geopolrisk import trade_provenance
    from critmin.reference import countries

    bil = ds.bilateral(party, commodity, year)
    # value adds up across minerals; tonnes only within one content basis (no ore added to metal)
    bases = sorted(set(bil["basis"].dropna())) if "basis" in bil else []
    physical = commodity is not None and len(bases) == 1 and "tonnes" in bil
    cols = ["value_kusd", "tonnes"] if physical else ["value_kusd"]
    by = (
        bil.groupby("partner", as_index=False)[cols]
        .sum(min_count=1)
        .sort_values("value_kusd", ascending=False)
    )
    if physical:
        by["basis"] = bases[0]
    total = by["value_kusd"].sum()
    by["share_of_value"] = by["value_kusd"] / total if total > 0 else np.nan
    by["partner_name"] = by["partner"].map(countries.name)
    by.insert(0, "party", party if isinstance(party, str) else party.label)
    by["year"] = year
    by["source"] = trade_provenance(ds)
    what = _name(commodity) if commodity else "the catalogue's critical minerals"
    chart = Chart(
        chart_id,
        f"Where the imports come from: {what}, {year}",
        charts.world_map(by["partner"], by["value_kusd"] * 1e3, by["partner_name"], unit="USD"),
        f"{by['source'].iloc[0] if len(by) else 'BACI'} (CEPII), imports by partner, FOB current USD, {year}"
        + (
            "; members' trade with each other excluded"
            if "+" in str(by["party"].iloc[0] if len(by) else "")
            else ""
        )
        + ".",
    )
    table = Table(
        f"{chart_id}-table",
        f"Suppliers of {what}, {year}",
        by.reset_index(drop=True),
        [
            ("Supplier", "partner", "text"),
            ("Name", "partner_name", "text"),
            ("Imports", "value_kusd", "usd"),
            ("Share", "share_of_value", "pct"),
        ]
        + ([("Tonnes", "tonnes", "t"), ("Basis", "basis", "text")] if physical else []),
        caption=chart.source
        + (
            ""
            if physical
            else " Tonnes are not added up across minerals or stages of different content bases."
        ),
        limit=15,
    )
    return chart, table


def matrix_section(ds, party: str, year: int, memo) -> Section:
    from critmin.indicators.risk import risk_matrix

    m = memo(("risk_matrix", party, year), lambda: risk_matrix(ds, party, year))
    m = m.assign(name=m["commodity"].map(_name))
    prov = (
        f"trade {editions(ds, 'trade')}; governance {editions(ds, 'governance')}; "
        f"production {editions(ds, 'production')}"
    )
    chart = Chart(
        "matrix",
        f"Risk matrix, {year}",
        charts.risk_matrix(m),
        f"critmin risk (hhi, import_reliance, geopolrisk, origin), {year}, on {prov}; the series of each value "
        "in the CSV of /api/v1/risk.",
        note="Right: production in few countries (HHI > 0.25 is highly concentrated); top: most of the supply is imported. Colour: GeoPolRisk score.",
    )
    table = Table(
        "matrix-table",
        "Risk matrix values",
        m.sort_values("geopolrisk", ascending=False, na_position="last").reset_index(drop=True),
        [
            ("Mineral", "name", "text"),
            ("Stage", "stage", "text"),
            ("World HHI", "hhi", "hhi"),
            ("Net import reliance", "import_reliance", "pct"),
            ("GeoPolRisk", "geopolrisk", "num"),
            ("China, traced origin", "origin", "pct"),
        ],
        caption="Methods and sources per value: /api/v1/risk (inputs, flags and provenance of every row).",
        api=f"/api/v1/risk/matrix?for={party}&year={year}",
    )
    return Section("risk", "Concentration vs dependence", charts=[chart], tables=[table])


def origin_section(ds, party: str, year: int, memo) -> Section:
    """China's direct share of the party's supply next to the share traced through re-exports."""
    from critmin.indicators.risk import risk

    r = memo(("risk_origin", party, year), lambda: risk(ds, party, ["origin"], year))
    ok = r[(r["status"] == "ok") & r["value"].notna()].copy()
    ok["direct_share"] = [json.loads(x or "{}").get("direct_share") for x in ok["inputs"]]
    ok["name"] = ok["commodity"].map(_name) + " (" + ok["stage"] + ")"
    ok = ok.sort_values("value", ascending=False).reset_index(drop=True)
    top = ok[(ok["value"] >= 0.02) | (ok["direct_share"].fillna(0) >= 0.02)].head(16)
    editions = _flat(p.split(" (")[0] for p in ok["provenance"].str.split("; ").explode().dropna())
    chart = Chart(
        "origin",
        f"China's share of supply: direct imports vs traced origin, {year}",
        charts.grouped_bars(
            list(top["name"]),
            {"direct (imports from China)": top["direct_share"], "traced through re-exports": top["value"]},
            unit="share of supply",
            percent=True,
            horizontal=True,
        ),
        f"origin tracing (Kastner et al. 2011) on {editions}; the series of each stage per row in the CSV.",
        note="Traced origin follows each import back to the producing country: metal China refined but Malaysia or Vietnam re-exported counts as Chinese.",
    )
    table = Table(
        "origin-table",
        "Direct and traced shares",
        ok[
            ["party", "commodity", "name", "stage", "year", "direct_share", "value", "flags", "provenance"]
        ].rename(columns={"value": "traced_share"}),
        [
            ("Mineral", "name", "text"),
            ("Stage", "stage", "text"),
            ("Direct", "direct_share", "pct"),
            ("Traced", "traced_share", "pct"),
            ("Flags", "flags", "flags"),
        ],
        caption="Shares of supply in tonnes on the production series' basis; flags say where the basis is approximate.",
        api=f"/api/v1/risk?for={party}&method=origin&year={year}",
    )
    return Section("origin", "Direct vs traced origin", charts=[chart], tables=[table])


def applicable_restrictions(ds, members: tuple[str, ...], on: str) -> pd.DataFrame:
    """Measures in force on ``on`` that cover exports to any of ``members`` (all-destination measures too)."""
    from critmin.scenarios.registry import restrictions

    r = restrictions(ds, in_force=on)
    hit = r["targets"].map(lambda ts: len(ts) == 0 or bool(set(ts) & set(members)))
    return r[hit].reset_index(drop=True)


RESTRICTION_COLUMNS = [
    ("Imposer", "imposer", "text"),
    ("Minerals", "minerals_words", "text"),
    ("Measure", "measure_words", "text"),
    ("Targets", "targets_words", "text"),
    ("Effective", "effective_date", "date"),
    ("End", "end_date", "date"),
    ("Status", "status_words", "text"),
    ("Title", "title", "text"),
    ("Reference", "legal_reference", "text"),
]


def mineral_words(ids) -> str:
    """Catalogue ids as the catalogue's names ('rare_earths' -> 'Rare earth elements'); the registry's
    'critical_minerals' (a measure on every critical mineral) as words."""
    from critmin.reference import commodities as cat
    from critmin.scenarios.registry import ALL_COMMODITIES

    out = []
    for c in ids if isinstance(ids, list | tuple | np.ndarray) else []:
        if c == ALL_COMMODITIES:
            out.append("all critical minerals")
            continue
        try:
            out.append(cat.get(str(c)).name)
        except CritminError:
            out.append(str(c).replace("_", " "))
    return ", ".join(out) or "none in the catalogue"


def status_words(rec: dict, on: str) -> str:
    """Where a measure stands on ``on``, in words: the registry's own rule for 'in force'
    (:func:`critmin.scenarios.registry.is_in_force`), else its status, and whether it stopped before it began."""
    from critmin.scenarios.registry import ENDED, is_in_force

    start, end, status = rec.get("effective_date"), rec.get("end_date"), str(rec.get("status") or "")
    if is_in_force(rec, on):
        return "in force"
    words = status.replace("_", " ")
    if status in ENDED and start and end and end < start:
        return f"{words} before taking effect"
    if end and end <= on:
        return words if status in ENDED else "ended"
    if start and start > on:
        return "announced, not yet in force"
    return words


def restrictions_table(df: pd.DataFrame, table_id: str, title: str) -> Table:
    """Registry records in words (names, 'all destinations', where each stands today); the CSV keeps the
    registry's own columns."""
    on = today()
    shown = df.assign(
        minerals_words=[mineral_words(c) for c in df["commodities"]],
        measure_words=df["measure_type"].astype(str).str.replace("_", " "),
        targets_words=[", ".join(t) if len(t) else "all destinations" for t in df["targets"]],
        status_words=[status_words(r, on) for r in df.to_dict("records")],
    )
    return Table(
        table_id,
        title,
        df,
        RESTRICTION_COLUMNS,
        caption="critmin restriction registry: official announcements, dated and cited. Status on "
        f"{on}; a measure suspended before its effective date never applied.",
        shown=shown,
    )


# -- pages ----------------------------------------------------------------------------------------------
def landing(ds, year: int | None, memo) -> Page:
    """Japan and Italy together: how exposed, to whom, what if, what would help — on one page."""
    year = _analysis_year(ds, year)
    parties = ",".join(LANDING_PARTIES)
    exp = memo(("exposure", parties, year), lambda: ds.exposure(parties, year))
    page = Page(
        "home",
        f"Japan and Italy: critical-mineral exposure, {year}",
        lead=[
            "On 16 January 2026 Japan and Italy agreed to strengthen supply chains for critical minerals and raised "
            "their partnership to a 'special strategic' one, amid China's dominance of rare earths (Kyodo via News.Az). "
            "How exposed are the two, to whom, and what would actually help? Every number below comes from critmin's "
            "Python API on the embedded public data; each table downloads as CSV and links to its API call."
        ],
    )
    # how exposed, to whom
    traded = exp.dropna(subset=["import_value_kusd"])
    traded = traded[traded["import_value_kusd"] > 0]
    page.sections.append(
        Section(
            "exposure",
            "How exposed, and to whom",
            cards=exposure_cards(exp),
            paragraphs=exposure_findings(exp),
            charts=[china_share_chart(exp, "china-share", limit=10)],
            tables=[
                exposure_table(
                    exp,
                    "exposure",
                    f"Imports of critical minerals by Japan + Italy, {year} (the CSV also has each country alone)",
                    f"/api/v1/exposure?for={parties}&year={year}",
                    show_party="JPN+ITA",
                    limit=15,
                )
            ]
            if len(traded)
            else [],
            notes=[coverage_note(exp[exp["party"] == "JPN+ITA"])],
            links=[
                ("Japan", "/profile/JPN"),
                ("Italy", "/profile/ITA"),
                ("Japan + Italy", "/profile/JPN+ITA"),
            ],
        )
    )
    chart, table = supplier_map(ds, "JPN+ITA", None, year, "suppliers")
    page.sections.append(Section("suppliers", "Suppliers of Japan + Italy", charts=[chart], tables=[table]))
    page.sections.append(matrix_section(ds, "JPN+ITA", year, memo))
    # what if, and what would help: the briefing's own stress test and ranked actions (critmin.report.briefing),
    # so the dashboard and `critmin report` answer the same query with the same numbers
    brief = memo(("briefing", parties, year, today()), lambda: _briefing(ds, parties, year))
    page.sections.append(stress_section(brief, year))
    page.sections.append(help_section(ds, brief, year, memo))
    applies = applicable_restrictions(ds, ("JPN", "ITA"), today())
    page.sections.append(
        Section(
            "restrictions",
            f"Export restrictions in force on {today()} that cover Japan or Italy",
            tables=[restrictions_table(applies, "restrictions", "Measures in force")],
            links=[("Timeline of restrictions and news", "/timeline")],
        )
    )
    return page


def _briefing(ds, spec: str, year: int):
    """The briefing's analyses for ``spec``, computed here once per page (in this process)."""
    from critmin.report.briefing import Briefing

    b = Briefing(ds, spec, year)
    b.scenario_table  # noqa: B018 (computed now, while the store is open)
    b.actions  # noqa: B018
    return b


def stress_section(brief, year: int) -> Section:
    """A one-year Chinese export stop for the minerals that matter to each party, as in the briefing."""
    from critmin.report.briefing import MIN_CHINA_SHARE

    st = brief.scenario_table
    if len(st):
        st = st.assign(
            mineral=[f"{_name(c)} ({s})" for c, s in zip(st["commodity"], st["stage"], strict=True)]
        )
    sources = _flat(st["source"]) if len(st) else ""
    return Section(
        "scenario",
        f"What if China stopped all exports for a year? ({year} trade network)",
        paragraphs=[
            "The briefing's stress test, for the minerals that matter to each party (its largest material imports, "
            "highest GeoPolRisk scores and largest imports from China) where China supplies at least "
            f"{percent(MIN_CHINA_SHARE)} directly or by traced origin: a full Chinese export stop of the stage pushed "
            "through the bilateral trade network with the cascade model of Marchand et al. (2016), without and with "
            "the short-run response of other producers. Japan holds its 60-day JOGMEC target for rare metals, "
            "nobody else holds stocks; no substitution. A bloc's row sums its members."
        ],
        tables=[
            Table(
                "scenario",
                "Shortfall by party and mineral",
                st,
                [
                    ("Party", "party", "text"),
                    ("Mineral", "mineral", "text"),
                    ("Consumption", "consumption_tonnes", "t"),
                    ("Stocks (days)", "stocks_days", "days"),
                    ("Direct loss", "direct_loss_tonnes", "t"),
                    ("Shortfall", "shortfall_tonnes", "t"),
                    ("Share of use", "shortfall_share", "pct"),
                    ("With supply response", "shortfall_response_tonnes", "t"),
                    ("Days of cover", "days_of_cover", "days"),
                    ("Basis", "basis", "text"),
                ],
                caption=f"Tonnes per year of content on the basis shown; consumption is apparent consumption "
                f"(production + imports − exports); days of cover: how long the stocks last at the remaining supply "
                f"gap (unlimited: no gap). {sources}.",
            )
        ]
        if len(st)
        else [],
        notes=[] if len(st) else ["No mineral that matters comes from China: nothing to test."],
        links=[
            (
                "Run your own scenario",
                f"/scenario?commodity=rare_earths&stage=refined&year={year}&by=CHN&stocks=JPN%3D60",
            )
        ],
    )


def help_section(ds, brief, year: int, memo) -> Section:
    """The briefing's ranked actions; then partner sourcing each alone vs pooled, and the partnerships."""
    from critmin.optimize.sourcing import pooled
    from critmin.reference import partnerships as pt
    from critmin.report.briefing import SHORT_CAVEAT

    acts = brief.actions
    frames, pnotes = [], []
    for cid, stage in KEY_MINERALS[:2]:
        try:
            frames.append(
                memo(
                    ("pooled", cid, stage, year),
                    lambda cid=cid, stage=stage: pooled(ds, "JPN+ITA", cid, stage, year, partners="own"),
                )
            )
        except CritminError as exc:
            pnotes.append(f"{_name(cid)} ({stage}): {exc}")
    pool = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(pool):
        pool = pool.assign(
            name=pool["commodity"].map(_name),
            why=[
                b or e
                for b, e in zip(pool["binding"].fillna(""), pool["explanation"].fillna(""), strict=True)
            ],
        )
    shared = memo(
        ("partnerships", "JPN&ITA"),
        lambda: _shared_partnerships(pt.partnerships(ds, country="JPN"), pt.partnerships(ds, country="ITA")),
    )
    shared = shared.assign(in_force=shared["active"].map({True: "yes", False: "no"}))
    tables = []
    if len(acts):
        tables.append(
            Table(
                "actions",
                "What would help, ranked (as in the briefing)",
                acts,
                [
                    ("Party", "party", "text"),
                    ("Rank", "rank", "text"),
                    ("Action", "action", "text"),
                    ("Mineral", "mineral", "text"),
                    ("What it takes", "number", "text"),
                    ("Closes", "closes_share", "pct"),
                    ("of a shortfall of", "shortfall_tonnes", "t"),
                    ("Basis", "basis", "text"),
                    ("≈ value a year", "closes_kusd", "usd"),
                    ("Caveat", "short_caveat", "text"),
                ],
                caption="Each action's effect is the part of the stress test's shortfall it closes, valued at the "
                "party's import unit value for the stage; ranked by that value within each party. None is a "
                "forecast; the CSV has each action's full caveat.",
                shown=acts.assign(
                    closes_kusd=acts["closes_usd"] / 1e3, short_caveat=acts["action"].map(SHORT_CAVEAT)
                ),
            )
        )
    if len(pool):
        tables.append(
            Table(
                "pooled",
                "Partner sourcing through the partnerships: each alone vs pooled",
                pool,
                [
                    ("Mineral", "name", "text"),
                    ("Stage", "stage", "text"),
                    ("Case", "case", "text"),
                    ("Status", "status", "text"),
                    ("Need", "need_tonnes", "t"),
                    ("Risk now", "risk_before", "num"),
                    ("Optimised", "risk_after", "num"),
                    ("Gain from pooling", "partnership_gain", "num"),
                    ("Binding constraints / why infeasible", "why", "text"),
                ],
                caption="Each member's import need re-allocated at least GeoPolRisk import risk Σ gᵢxᵢ/F among its "
                "partnership counterparts only, at most 65% from any third country (EU CRMA benchmark); 'pooled' "
                "lets the two buy jointly. "
                + _flat(pool["governance_source"])
                + "; "
                + _flat(pool["trade_source"])
                + ".",
            )
        )
    tables.append(
        Table(
            "partnerships",
            "Partnerships between Japan and Italy (directly or through a bloc)",
            shared,
            [
                ("Parties", "parties", "text"),
                ("Level", "level", "text"),
                ("Previous", "previous_level", "text"),
                ("Since", "date", "date"),
                ("In force", "in_force", "text"),
                ("Title", "title", "text"),
                ("Source", "source_url", "text"),
            ],
            caption="critmin partnerships table (seed records cite their source; news records once reviewed).",
        )
    )
    return Section(
        "help",
        "What would help",
        tables=tables,
        notes=([] if len(acts) else ["Nothing to rank: no mineral that matters loses 1% of its use."])
        + pnotes,
        links=[("Optimise sourcing", f"/sourcing?for=JPN%2BITA&commodity=graphite&stage=mine&year={year}")],
    )


def _shared_partnerships(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    return a[a["id"].isin(set(b["id"]))].reset_index(drop=True)


def profile(ds, party: str, year: int | None, commodity: str | None, memo) -> Page:
    """A country or bloc: risk matrix, supplier map, direct vs traced origin, time series, restrictions."""
    from critmin.reference import commodities as cat

    year = _analysis_year(ds, year)
    p = ds.party(party, year)
    series_c = cat.get(commodity).id if commodity else "rare_earths"
    page = Page(
        "profile",
        f"{p.name} ({p.label}): critical-mineral profile, {year}",
        lead=[f"Members: {', '.join(p.members)}; imports from outside the bloc only." if p.is_bloc else ""],
        form={"party": p.label, "year": year, "commodity": series_c, "commodities": _commodity_options()},
    )
    exp = memo(("exposure", p.label, year), lambda: ds.exposure(p.label, year))
    page.sections.append(
        Section(
            "exposure",
            "Imports by mineral",
            cards=exposure_cards(exp),
            paragraphs=exposure_findings(exp),
            tables=[
                exposure_table(
                    exp,
                    "exposure",
                    f"Exposure, {year}",
                    f"/api/v1/exposure?for={p.label}&year={year}",
                    show_party=p.label,
                )
            ],
            notes=[coverage_note(exp)],
        )
    )
    page.sections.append(matrix_section(ds, p.label, year, memo))
    chart, table = supplier_map(ds, p.label, commodity, year, "suppliers")
    page.sections.append(Section("suppliers", "Suppliers", charts=[chart], tables=[table]))
    page.sections.append(origin_section(ds, p.label, year, memo))
    lo = max(ds.trade_years()[0], year - 14)
    ser = memo(
        ("series", p.label, series_c, lo, year),
        lambda: ds.exposure(p.label, years=range(lo, year + 1), commodities=series_c),
    )
    charts_ = []
    for stage, part in ser.groupby("stage", sort=False):
        if part["import_value_kusd"].notna().any():
            charts_.append(
                Chart(
                    f"series-{stage}",
                    f"{_name(series_c)} ({stage}): imports and China's share, {lo}–{year}",
                    charts.lines(
                        part["year"],
                        {
                            "China's share of imports": part["share_from_CHN"],
                            "supplier HHI": part["supplier_hhi"],
                        },
                        unit="share and HHI, 0–1",
                        percent=False,
                        y2={"imports (USD)": part["import_value_kusd"] * 1e3},
                        y2_unit="USD",
                    ),
                    f"{_flat(part['trade_source'])} (CEPII), HS {part['hs_codes'].iloc[0]}; shares of import value.",
                )
            )
    page.sections.append(
        Section(
            "series",
            f"Over time: {_name(series_c)}",
            charts=charts_,
            tables=[
                Table(
                    "series",
                    "Time series",
                    ser,
                    [
                        ("Year", "year", "text"),
                        ("Stage", "stage", "text"),
                        ("Imports", "import_value_kusd", "usd"),
                        ("Tonnes", "import_content_tonnes", "t"),
                        ("Basis", "content_basis", "text"),
                        ("From CHN", "share_from_CHN", "pct"),
                        ("Supplier HHI", "supplier_hhi", "hhi"),
                        ("Net import reliance", "import_reliance", "pct"),
                    ],
                    caption=_trade_caption(ser),
                    api=f"/api/v1/exposure?for={p.label}&years={lo}-{year}&commodity={series_c}",
                )
            ],
            notes=[] if charts_ else [f"{_name(series_c)} has no trade data for {p.label} in {lo}–{year}."],
        )
    )
    applies = applicable_restrictions(ds, p.members, today())
    page.sections.append(
        Section(
            "restrictions",
            f"Export restrictions in force on {today()} that apply to {p.label}",
            tables=[restrictions_table(applies, "restrictions", "Measures in force")],
        )
    )
    return page


def _commodity_options() -> list[tuple[str, str]]:
    from critmin.reference import commodities as cat

    return [(c.id, c.name) for c in cat.catalogue().values()]


def mineral_production_year(years, year: int, analysis_year: int, what: str) -> int:
    """The production year the mineral page shows for ``year``: the year itself where the stage's series
    has it; the series' latest year where the series ends before ``year`` and ``year`` is not past the
    analysis year (the report's rule: the latest year before, said); otherwise an unknown year, with the
    nearest year that has data as the close match."""
    from critmin.errors import year_spans

    have = sorted({int(y) for y in years})
    if year in have:
        return year
    if have[-1] < year <= analysis_year:
        return have[-1]
    nearest = min(have, key=lambda y: (abs(y - year), -y))
    raise UnknownValueError(
        "year",
        str(year),
        suggestions=[str(nearest)],
        hint=f"{what} production has {year_spans(have)}; the analysis year is {analysis_year}",
    )


def mineral(ds, commodity: str, stage: str | None, year: int | None, memo) -> Page:
    """One mineral: producers by stage (map, top-N), concentration over time, trade flows, restrictions."""
    from critmin.reference import commodities as cat
    from critmin.reference import countries
    from critmin.scenarios.registry import restrictions

    c = cat.get(commodity)
    with_data = [s for s in c.stages if not ds.production(c.id, s).empty]
    stage = stage or (with_data[0] if with_data else next(iter(c.stages)))
    st = c.stage(stage)
    page = Page(
        "mineral",
        f"{c.name}: {stage} ({st.description})",
        lead=[f"HS92 codes: {', '.join(st.hs92) or 'none'}." + (f" {st.hs_note}" if st.hs_note else "")],
        form={
            "commodity": c.id,
            "stage": stage,
            "stages": list(c.stages),
            "commodities": _commodity_options(),
        },
    )
    conc = memo(("concentration", c.id, stage), lambda: ds.concentration(c.id, stage))
    if conc.empty:
        raise NoDataError(f"no production data for {c.id} at stage {stage!r}")
    year = _analysis_year(ds, year)
    page.form["year"] = year
    prod_year = mineral_production_year(conc["year"], year, ds.analysis_year(), f"{c.id} {stage}")
    if prod_year != year:
        page.lead.append(
            f"The {stage} production series ends in {prod_year}: the producers are of {prod_year}, the latest "
            f"year before {year}; the trade flows of {min(year, ds.trade_years()[1])}."
        )
    r0 = conc[conc["year"] == prod_year].iloc[0]
    prod = ds.production(c.id, stage, prod_year, r0["source"])
    prod = (
        prod[prod["edition"] == r0["edition"]].sort_values("tonnes", ascending=False).reset_index(drop=True)
    )
    prod["share"] = prod["tonnes"] / prod["tonnes"].sum()
    prod["country_name"] = prod["country"].map(lambda x: "rest of world" if x == "ROW" else countries.name(x))
    src = f"{r0['source']} {r0['edition']}".replace(f"{r0['source']} {r0['source']}", r0["source"])
    named = prod[prod["country"] != "ROW"]
    page.sections.append(
        Section(
            "producers",
            f"Producers, {prod_year}",
            paragraphs=[
                f"World output {r0['world_tonnes']:,.0f} t ({r0['basis']}); HHI {r0['hhi']:.2f}; top-3 share {fmt(r0['top3_share'], 'pct')}; "
                f"China {fmt(r0['share_CHN'], 'pct')}; leader {countries.name(r0['leader'])} {fmt(r0['leader_share'], 'pct')}."
            ],
            charts=[
                Chart(
                    "producer-map",
                    f"Production by country, {prod_year}",
                    charts.world_map(
                        named["country"],
                        named["tonnes"],
                        named["country_name"],
                        unit=f"t {r0['basis']}",
                        colorscale="blue",
                    ),
                    f"{src}, {prod_year}; tonnes of {r0['basis']}.",
                ),
                Chart(
                    "producer-top",
                    "Largest producers",
                    charts.hbar(
                        list(prod["country_name"].head(10)), prod["tonnes"].head(10), unit=f"t {r0['basis']}"
                    ),
                    f"{src}, {prod_year}.",
                ),
            ],
            tables=[
                Table(
                    "production",
                    "Production by country",
                    prod,
                    [
                        ("Country", "country", "text"),
                        ("Name", "country_name", "text"),
                        ("Tonnes", "tonnes", "t"),
                        ("Share", "share", "pct"),
                        ("Basis", "basis", "text"),
                        ("Source", "source", "text"),
                        ("Edition", "edition", "text"),
                    ],
                    caption="'rest of world' is a residual aggregate: it counts in the total, not as a producer.",
                    api=f"/api/v1/production?commodity={c.id}&stage={stage}&year={prod_year}",
                )
            ],
        )
    )
    page.sections.append(
        Section(
            "concentration",
            "Concentration over time",
            charts=[
                Chart(
                    "concentration",
                    "World HHI and China's share",
                    charts.lines(
                        conc["year"],
                        {
                            "HHI": conc["hhi"],
                            "China's share": conc["share_CHN"],
                            "top-3 share": conc["top3_share"],
                        },
                        unit="0–1",
                        percent=False,
                    ),
                    "; ".join(
                        sorted(
                            {
                                f"{s} {e}".replace(f"{s} {s}", s)
                                for s, e in zip(conc["source"], conc["edition"], strict=True)
                            }
                        )
                    )
                    + "; one preferred source per year.",
                )
            ],
            tables=[
                Table(
                    "concentration",
                    "Concentration by year",
                    conc,
                    [
                        ("Year", "year", "text"),
                        ("World tonnes", "world_tonnes", "t"),
                        ("HHI", "hhi", "hhi"),
                        ("Top-3", "top3_share", "pct"),
                        ("China", "share_CHN", "pct"),
                        ("Leader", "leader", "text"),
                        ("Source", "source", "text"),
                        ("Edition", "edition", "text"),
                    ],
                    api=f"/api/v1/concentration?commodity={c.id}&stage={stage}",
                )
            ],
        )
    )
    if st.hs92:
        ty = min(year, ds.trade_years()[1])
        flows = memo(("trade", c.id, stage, ty), lambda: ds.trade(c.id, stage, ty))
        if len(flows):
            exporters = (
                flows.groupby("exporter", as_index=False)["value_kusd"]
                .sum()
                .sort_values("value_kusd", ascending=False)
                .head(12)
            )
            top = flows.sort_values("value_kusd", ascending=False).head(200).reset_index(drop=True)
            top = top.assign(
                exporter_name=top["exporter"].map(countries.name),
                importer_name=top["importer"].map(countries.name),
            )
            tsrc = f"BACI {_flat(flows['edition'])} (CEPII), HS {', '.join(st.hs92)}, {ty}; FOB current USD."
            page.sections.append(
                Section(
                    "trade",
                    f"Trade flows, {ty}",
                    charts=[
                        Chart(
                            "exporters",
                            "Largest exporters",
                            charts.hbar(
                                [countries.name(x) for x in exporters["exporter"]],
                                exporters["value_kusd"] * 1e3,
                                unit="USD",
                            ),
                            tsrc,
                        )
                    ],
                    tables=[
                        Table(
                            "flows",
                            "Largest bilateral flows",
                            top,
                            [
                                ("Exporter", "exporter_name", "text"),
                                ("Importer", "importer_name", "text"),
                                ("HS6", "hs6", "text"),
                                ("Value", "value_kusd", "usd"),
                                ("Tonnes", "tonnes", "t"),
                            ],
                            caption=tsrc,
                            limit=25,
                            api=f"/api/v1/trade?commodity={c.id}&stage={stage}&year={ty}&top=200",
                        )
                    ],
                )
            )
    regs = restrictions(ds, commodity=c.id)
    page.sections.append(
        Section(
            "restrictions",
            f"Export measures on {c.name.lower()}",
            tables=[restrictions_table(regs, "restrictions", "Registry records (restrictive measures)")],
        )
    )
    return page


def _pairs(text: str | None) -> dict[str, float]:
    """'JPN=60,USA=30' → {'JPN': 60.0, 'USA': 30.0}."""
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        k, sep, v = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[k.strip()] = float(v)
        except ValueError:
            raise UnknownValueError(
                "stock days", part.strip(), hint="write COUNTRY=DAYS, e.g. JPN=60"
            ) from None
    return out


def scenario(ds, form: dict, memo) -> Page:
    """The scenario explorer: a form → shortfall map, table and days of cover."""
    from critmin.reference import countries
    from critmin.scenarios import restrict

    page = Page(
        "scenario",
        "Scenario explorer: an export restriction through the trade network",
        form=dict(form, commodities=_commodity_options()),
    )
    page.lead = [
        "Choose who restricts which mineral, how much, and who holds stocks; the restriction is pushed through the "
        "bilateral trade network with the cascade model of Marchand et al. (2016) (`critmin scenario restrict`)."
    ]
    if not form.get("run"):
        return page
    year = form["year"] or ds.analysis_year()
    by = [b for b in (form.get("by") or "").split(",") if b.strip()]
    if not by:
        raise UnknownValueError("restricting country", "", hint="say who restricts, e.g. CHN")
    targets = [t for t in (form.get("targets") or "").split(",") if t.strip()]
    stocks = {countries.resolve(k): v for k, v in _pairs(form.get("stocks")).items()}
    res = restrict(
        ds,
        by=by,
        commodity=form["commodity"],
        stage=form.get("stage") or None,
        year=int(year),
        share=form["share"],
        targets=targets,
        stocks=stocks,
        substitution=form["substitution"],
    )
    df = res.countries(affected_only=True)
    w = res.world()
    short = df[df["shortfall_tonnes"] > 0]
    src = f"{w['source']} ({w['edition']}), {w['year']}; flows on a {w['basis']} basis."
    page.sections.append(
        Section(
            "result",
            f"Result: {res.name}",
            paragraphs=[
                f"Restricted {w['restricted_tonnes']:,.0f} t; world shortfall {w['shortfall_tonnes']:,.0f} t of "
                f"{w['world_consumption_tonnes']:,.0f} t apparent consumption; stocks drawn {-w['delta_stocks_tonnes']:,.0f} t; "
                f"{w['countries_with_shortfall']} countries short after {w['rounds']} rounds"
                + ("" if w["converged"] else " (not converged)")
                + "."
            ],
            charts=[
                Chart(
                    "shortfall-map",
                    "Shortfall, % of apparent consumption",
                    charts.world_map(
                        short["country"],
                        short["shortfall_pct_of_consumption"],
                        short["country_name"],
                        unit="% of consumption",
                        fmt=".1f",
                        zmin=0,
                        zmax=100,
                        colorscale="red-linear",
                    ),
                    src,
                ),
            ],
            tables=[
                Table(
                    "countries",
                    "Countries affected",
                    df,
                    [
                        ("Country", "country", "text"),
                        ("Name", "country_name", "text"),
                        ("Consumption", "consumption_tonnes", "t"),
                        ("Stocks (days)", "stocks_days", "days"),
                        ("Direct loss", "direct_loss_tonnes", "t"),
                        ("Stock change", "delta_stocks_tonnes", "dt"),
                        ("Shortfall", "shortfall_tonnes", "t"),
                        ("% of consumption", "shortfall_pct_of_consumption", "pct100"),
                        ("Δ imports", "delta_imports_tonnes", "dt"),
                        ("Days of cover", "days_of_cover", "days"),
                    ],
                    caption=src,
                    limit=40,
                    api="POST /api/v1/scenarios/restrict",
                )
            ],
            notes=list(w["notes"]),
        )
    )
    return page


def sourcing(ds, form: dict, memo) -> Page:
    """Current vs optimised supplier mix, binding constraints in words; alone vs pooled for a bloc."""
    from critmin.optimize.sourcing import optimize_sourcing, pooled

    page = Page(
        "sourcing",
        "Sourcing: re-source an import need at least supply risk",
        form=dict(form, commodities=_commodity_options()),
    )
    page.lead = [
        "The import need is re-allocated across suppliers to minimise the GeoPolRisk import risk Σ gᵢxᵢ/F within "
        "each supplier's exports, a share cap per third country (EU CRMA: 65%) and an optional partner set "
        "(`critmin optimize`)."
    ]
    if not form.get("run"):
        return page
    share = form["max_share"]
    share = None if share is None or share >= 1 else share
    partners = form.get("partners") or None
    res = optimize_sourcing(
        ds,
        form["party"],
        form["commodity"],
        form.get("stage") or None,
        form["year"],
        partners=partners,
        max_share=share,
    )
    s = res.summary.iloc[0]
    mix = res.mix
    # largest either today or after: the supplier the optimum drops (often China) stays in view
    size = np.maximum(mix["current_tonnes"].fillna(0), mix["optimised_tonnes"].fillna(0))
    ranked = mix.loc[size.sort_values(ascending=False, kind="stable").index]
    shown = ranked[size.loc[ranked.index] > 0].head(15)
    src = f"{s['trade_source']}; {s['governance_source']}; {s['year']}."
    paras = [
        f"{s['party']} needs {s['need_tonnes']:,.0f} t of {_name(s['commodity'])} ({s['stage']}) in {s['year']}; status "
        f"{s['status']}. Import risk {fmt(s['risk_before'], 'num')} now → {fmt(s['risk_after'], 'num')} optimised; "
        f"cost at suppliers' unit values {fmt(s['cost_before_kusd'], 'usd')} → {fmt(s['cost_after_kusd'], 'usd')}."
    ]
    cons = res.constraints
    if res.explanation:
        paras.append("Infeasible: " + " ".join(res.explanation))
    page.sections.append(
        Section(
            "mix",
            "Current vs optimised mix",
            paragraphs=paras,
            charts=[
                Chart(
                    "mix",
                    "Tonnes by supplier",
                    charts.grouped_bars(
                        list(shown["supplier_name"]),
                        {"current": shown["current_tonnes"], "optimised": shown["optimised_tonnes"]},
                        unit="tonnes",
                        horizontal=True,
                    ),
                    src,
                )
            ],
            tables=[
                Table(
                    "mix",
                    "Supplier mix",
                    mix,
                    [
                        ("Supplier", "supplier", "text"),
                        ("Name", "supplier_name", "text"),
                        ("Instability g", "instability_g", "num"),
                        ("Capacity", "capacity_tonnes", "t"),
                        ("Current", "current_tonnes", "t"),
                        ("Optimised", "optimised_tonnes", "t"),
                        ("Share", "optimised_share", "pct"),
                        ("Binding", "binding", "text"),
                    ],
                    caption=src,
                    limit=25,
                    api="POST /api/v1/optimize",
                    shown=ranked,
                ),
                Table(
                    "constraints",
                    "Binding constraints, in words",
                    cons,
                    [
                        ("Constraint", "constraint", "text"),
                        ("Supplier", "supplier_name", "text"),
                        ("In words", "text", "text"),
                    ],
                    caption="The limits the optimum sits on; the CSV gives how much 1,000 t more of each would "
                    "lower the risk (risk_change_per_1000_tonnes).",
                    limit=10,
                ),
            ],
        )
    )
    from critmin.reference import blocs

    if blocs.party(form["party"], form["year"]).is_bloc:
        pool = pooled(
            ds,
            form["party"],
            form["commodity"],
            form.get("stage") or None,
            form["year"],
            partners="own",
            max_share=share,
        )
        pool = pool.assign(
            why=[
                b or e
                for b, e in zip(pool["binding"].fillna(""), pool["explanation"].fillna(""), strict=True)
            ]
        )
        page.sections.append(
            Section(
                "pooled",
                "Each alone vs pooled (partners: each member's partnership counterparts)",
                tables=[
                    Table(
                        "pooled",
                        "Alone vs pooled",
                        pool,
                        [
                            ("Case", "case", "text"),
                            ("Status", "status", "text"),
                            ("Partners", "partners", "text"),
                            ("Need", "need_tonnes", "t"),
                            ("Risk now", "risk_before", "num"),
                            ("Optimised", "risk_after", "num"),
                            ("Gain from pooling", "partnership_gain", "num"),
                            ("Binding / why infeasible", "why", "text"),
                        ],
                        caption=src,
                        api="POST /api/v1/optimize/pooled",
                    )
                ],
            )
        )
    else:
        page.sections.append(
            Section(
                "pooled",
                "Alone vs pooled",
                paragraphs=["Pooled buying needs a bloc of two or more members, e.g. JPN+ITA."],
            )
        )
    return page


def article_labels(df: pd.DataFrame) -> list[str]:
    """An article's title, or 'untitled article <id>': every article can be reached from a table."""
    titles = df["title"] if "title" in df else pd.Series([None] * len(df), index=df.index)
    return [
        t if isinstance(t, str) and t.strip() else f"untitled article {a}"
        for t, a in zip(titles, df["article_id"], strict=True)
    ]


def event_words(ev: pd.DataFrame) -> pd.DataFrame:
    """News events with their type and minerals in words, and a label for their article."""
    return ev.assign(
        type_words=ev["event_type"].astype(str).str.replace("_", " ") if len(ev) else [],
        minerals_words=[mineral_words(m) for m in ev["minerals"]] if len(ev) else [],
        article_label=article_labels(ev) if len(ev) else [],
    )


def timeline(ds, since: str | None, country: str | None, memo) -> Page:
    """Export measures and news events on one time axis, with the events' evidence as plain text."""
    from critmin.news import store as news_store
    from critmin.scenarios.registry import restrictions

    page = Page(
        "timeline", "Restrictions and news timeline", form={"since": since or "", "country": country or ""}
    )
    regs = restrictions(ds, imposer=None, relaxations=True)
    if country:
        from critmin.reference import countries as cmod

        iso = cmod.resolve(country)
        regs = regs[(regs["imposer"] == iso) | regs["targets"].map(lambda ts: len(ts) == 0 or iso in ts)]
    ev = news_store.events(ds.store, since=since, country=country, include_undated=True)
    if since:
        regs = regs[(regs["end_date"].isna()) | (regs["end_date"] >= since)]
    page.lead = [
        "Measures of the restriction registry (dated and cited) and events read from ingested news by critmin's "
        "rule-based extractor. News text is untrusted and always shown as plain text."
    ]
    page.sections.append(
        Section(
            "timeline",
            "Timeline",
            charts=[
                Chart(
                    "timeline",
                    "Export measures and news events",
                    charts.timeline(
                        regs.assign(
                            minerals_words=[mineral_words(c) for c in regs["commodities"]]
                        ).reset_index(drop=True),
                        ev,
                        today(),
                    ),
                    "critmin restriction registry (seed: official announcements) and the store's news events.",
                )
            ],
            tables=[
                restrictions_table(
                    regs.reset_index(drop=True), "restrictions", "Registry records (relaxations included)"
                )
            ],
        )
    )
    events = (
        event_words(ev).assign(
            actors=[
                ", ".join(dict.fromkeys([*a, *b]))
                for a, b in zip(ev["initiator"], ev["counterparts"], strict=True)
            ]
        )
        if len(ev)
        else event_words(ev).assign(actors=[])
    )
    page.sections.append(
        Section(
            "news",
            "Events read from the news",
            tables=[
                Table(
                    "events",
                    "News events",
                    events,
                    [
                        ("Date", "date", "date"),
                        ("Type", "type_words", "text"),
                        ("Actors", "actors", "text"),
                        ("Minerals", "minerals_words", "text"),
                        ("Review", "review_status", "text"),
                        ("Evidence", "evidence", "text"),
                        ("Article", "article_label", "text"),
                    ],
                    caption="The evidence column quotes the article exactly.",
                    links={"article_label": "/news/{article_id}"},
                )
            ],
            notes=[]
            if len(ev)
            else [
                "No news ingested yet: `critmin news ingest FILE --published YYYY-MM-DD` or POST /api/v1/news/articles."
            ],
        )
    )
    arts = news_store.articles(ds.store)
    page.sections.append(
        Section(
            "articles",
            "Articles",
            tables=[
                Table(
                    "articles",
                    "Ingested articles",
                    arts,
                    [
                        ("Published", "published", "date"),
                        ("Title", "article_label", "text"),
                        ("Publisher", "publisher", "text"),
                        ("Events", "n_events", "text"),
                        ("Id", "article_id", "text"),
                    ],
                    links={"article_label": "/news/{article_id}", "article_id": "/news/{article_id}"},
                    shown=arts.assign(article_label=article_labels(arts)),
                )
            ],
        )
    )
    return page


def article(ds, article_id: str) -> Page:
    from critmin.news import store as news_store

    a = news_store.article(ds.store, article_id)
    ev = news_store.events(ds.store, article_id=a["article_id"])
    page = Page("timeline", a.get("title") or a["article_id"], article=a)
    page.sections.append(
        Section(
            "events",
            "Events extracted",
            tables=[
                Table(
                    "events",
                    "Events",
                    ev,
                    [
                        ("Date", "date", "date"),
                        ("Type", "type_words", "text"),
                        ("Minerals", "minerals_words", "text"),
                        ("Evidence", "evidence", "text"),
                        ("Rule", "rule", "text"),
                    ],
                    shown=event_words(ev),
                )
            ],
        )
    )
    return page


def data_page(ds) -> Page:
    page = Page("data", "Data: sources, editions and licences")
    status = ds.store.status()
    page.sections.append(
        Section(
            "status",
            "What is in the store",
            tables=[
                Table(
                    "status",
                    "Tables by source and edition",
                    status,
                    [(c.replace("_", " ").capitalize(), c, "text") for c in status.columns],
                    api="/api/v1/data/status",
                )
            ],
        )
    )
    src = ds.sources()
    cols = [
        c
        for c in ("data_table", "source", "edition", "origin", "rows", "licence", "citation")
        if c in src.columns
    ]
    page.sections.append(
        Section(
            "sources",
            "Sources loaded",
            tables=[
                Table(
                    "sources",
                    "Sources",
                    src,
                    [(c.replace("_", " ").capitalize(), c, "text") for c in cols],
                    api="/api/v1/data/sources",
                )
            ],
        )
    )
    return page
