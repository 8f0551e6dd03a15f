"""HTML/PDF reports: the exposure of one or more countries or blocs to critical minerals.

``critmin report --for JPN,ITA,JPN+ITA --out out/report.html [--pdf out/report.pdf]`` is the main job. The
report is one self-contained HTML file (inline CSS and SVG charts, no network) built from the same tidy tables
the CLI and the API return; every number carries its source and edition. Sections from other parts of critmin
(supply-risk methods, scenarios, countermeasures, news) are added when those modules are installed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from critmin.reference import commodities as cat


@dataclass
class Section:
    """One report section: a title, paragraphs, an optional table and chart, and notes (all plain text)."""

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    table: dict | None = None  # {"columns": [...], "rows": [[...], ...], "caption": str}
    chart_svg: str | None = None
    chart_caption: str | None = None
    notes: list[str] = field(default_factory=list)


def fmt(x, kind: str = "num") -> str:
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if isinstance(x, float) and math.isinf(x):
        return "unlimited" if x > 0 else "—"
    if isinstance(x, float) and x == 0:
        x = 0.0  # no '-0'
    if kind == "t" and x < 0:
        return "—"  # negative apparent consumption: re-exports or missing production
    if kind == "pct":
        return f"{100 * x:.0f}%"
    if kind == "usd":  # input in kUSD
        v = x * 1e3
        for unit, div in (("bn", 1e9), ("m", 1e6), ("k", 1e3)):
            if abs(v) >= div:
                return f"USD {v / div:,.1f} {unit}"
        return f"USD {v:,.0f}"
    if kind == "t":
        return f"{x:,.0f} t"
    if kind == "hhi":
        return f"{x:.2f}"
    return f"{x:,.2f}" if isinstance(x, float) else str(x)


def table(df: pd.DataFrame, columns: list[tuple[str, str, str]], caption: str = "") -> dict:
    """columns: (header, column name, format kind)."""

    def text(v) -> str:
        return "" if v is None or (not isinstance(v, list | tuple) and pd.isna(v)) else str(v)

    rows = [[fmt(r[c], k) if k != "text" else text(r[c]) for _, c, k in columns] for _, r in df.iterrows()]
    return {
        "columns": [h for h, _, _ in columns],
        "rows": rows,
        "caption": caption,
        "align": ["left" if k == "text" else "right" for _, _, k in columns],
    }


def analysis_year(ds) -> int:
    """The latest year with both trade data and refined-stage production (IEA refining shares end earlier
    than BACI), so that every section of the report describes the same year."""
    hi = ds.trade_years()[1]
    refined = ds.production("rare_earths", "refined")
    return int(min(hi, refined["year"].max())) if len(refined) else hi


def _findings(exp: pd.DataFrame, share_col: str) -> list[str]:
    """Key findings from material rows only (:mod:`critmin.indicators.materiality`): a stage the party
    imports for less than the threshold, or a single supplier below it, is not a finding."""
    from critmin.indicators.materiality import DEFAULT as material

    out = []
    src = share_col.removeprefix("share_from_")
    for party, part in exp.groupby("party", sort=False):
        name = part["party_name"].iloc[0]
        traded = part.dropna(subset=["import_value_kusd"])
        total = traded["import_value_kusd"].sum()
        year = int(part["year"].max())
        rows = traded[traded["material"].astype(bool)]
        small = traded[(traded["import_value_kusd"] > 0) & ~traded["material"].astype(bool)]
        china = rows[rows[share_col] >= 0.5].sort_values("import_value_kusd", ascending=False)
        top_value = rows["supplier_1_share"] * rows["import_value_kusd"]
        single = rows[(rows["supplier_1_share"] > 0.65) & material(top_value, rows["import_value_kusd"])]
        single = single.sort_values("import_value_kusd", ascending=False)
        text = (
            f"{name} ({party}) imported {fmt(total, 'usd')} of the catalogue's critical minerals in {year} "
            f"(BACI, FOB). {src} supplied at least half of the import value of {len(china)} of "
            f"{len(rows)} mineral stages with material imports"
        )
        if len(china):
            text += ": " + ", ".join(
                f"{r.commodity_name.lower()} {r.stage} ({fmt(getattr(r, share_col), 'pct')})"
                for r in china.head(6).itertuples()
            )
        text += "."
        if len(single):
            text += (
                f" A single supplier exceeds the EU CRMA's 65 % benchmark for {len(single)} of them, e.g. "
                + ", ".join(
                    f"{r.commodity_name.lower()} ({r.supplier_1} {fmt(r.supplier_1_share, 'pct')})"
                    for r in single.head(4).itertuples()
                )
                + "."
            )
        if len(small):
            text += (
                f" {len(small)} further stage(s) with imports below {material.label} "
                f"({fmt(small['import_value_kusd'].sum(), 'usd')} in all) are not counted."
            )
        out.append(text)
    return out


def exposure_sections(ds, parties: str, year: int | None) -> tuple[list[Section], pd.DataFrame]:
    from critmin.report import charts

    exp = ds.exposure(parties, year)
    share_col = next(c for c in exp.columns if c.startswith("share_from_"))
    year = int(exp["year"].max())
    sections = [Section("findings", "Key findings", paragraphs=_findings(exp, share_col))]
    cols = [
        ("Mineral", "commodity_name", "text"),
        ("Stage", "stage", "text"),
        ("Imports", "import_value_kusd", "usd"),
        ("Tonnes content", "import_content_tonnes", "t"),
        ("Basis", "content_basis", "text"),
        ("1st supplier", "supplier_1", "text"),
        ("share", "supplier_1_share", "pct"),
        ("2nd", "supplier_2", "text"),
        ("share", "supplier_2_share", "pct"),
        ("3rd", "supplier_3", "text"),
        ("share", "supplier_3_share", "pct"),
        ("Supplier HHI", "supplier_hhi", "hhi"),
        ("From CHN", share_col, "pct"),
        ("Net import reliance", "import_reliance", "pct"),
        ("World mine HHI", "world_mine_hhi", "hhi"),
        ("World mine CHN", "world_mine_china_share", "pct"),
        ("World refined HHI", "world_refined_hhi", "hhi"),
        ("World refined CHN", "world_refined_china_share", "pct"),
        ("Coverage", "coverage", "text"),
    ]
    for party, part in exp.groupby("party", sort=False):
        name = part["party_name"].iloc[0]
        part = part.sort_values("import_value_kusd", ascending=False, na_position="last")
        srcs = sorted(
            {s for c in ("world_mine_source", "world_refined_source") for s in part[c].dropna().unique()}
        )
        sections.append(
            Section(
                f"exposure-{party}",
                f"{name} ({party}): imports of critical minerals, {year}",
                paragraphs=[
                    f"Members: {part['members'].iloc[0]}. Imports from outside the bloc only."
                    if "," in part["members"].iloc[0]
                    else ""
                ],
                table=table(
                    part,
                    cols,
                    caption=(
                        f"Trade: {part['trade_source'].iloc[0]} (CEPII), values FOB in current USD, tonnes of content on "
                        "each stage's basis (ore and intermediates shipped under refined codes left out); shares of "
                        f"import value. World production: {'; '.join(srcs)}. HHI on the 0–1 scale. "
                        "Net import reliance = (I−E)/(P+I−E) on the stage's content basis."
                    ),
                ),
            )
        )
    sections.append(
        Section(
            "china-share",
            f"Share of imports from China, {year}",
            chart_svg=charts.china_share_bars(exp[exp["material"].astype(bool)], share_col),
            chart_caption="Share of import value (BACI) from China for the largest import items; the dashed line is "
            "the EU Critical Raw Materials Act benchmark of at most 65 % from one third country.",
        )
    )
    sections.append(
        Section(
            "matrix",
            "Exposure matrix: import concentration vs world supply concentration",
            chart_svg=charts.exposure_matrix(exp[exp["material"].astype(bool)]),
            chart_caption="Each bubble is a mineral stage imported by the party (area ∝ import value). Right: few "
            "suppliers; top: production concentrated in few countries. Top-right is where a single "
            "supplier's decision matters most.",
        )
    )
    lo = max(ds.trade_years()[0], year - 14)
    series = ds.exposure(parties, years=range(lo, year + 1), commodities="rare_earths,graphite")
    for cid, stage in (("rare_earths", "refined"), ("graphite", "mine")):
        s = series[(series["commodity"] == cid) & (series["stage"] == stage)]
        sections.append(
            Section(
                f"series-{cid}",
                f"{cat.get(cid).name} ({stage}): share of imports from China, {lo}–{year}",
                chart_svg=charts.share_series(s, share_col, ""),
                chart_caption=f"HS {', '.join(cat.get(cid).stages[stage].hs92)}; BACI, share of import value.",
            )
        )
    conc = ds.concentration(None, years=year)
    conc = conc[conc["commodity"].isin(exp["commodity"].unique())]
    sections.append(
        Section(
            "world",
            f"World production concentration, {year}",
            table=table(
                conc.assign(name=conc["commodity"].map(lambda c: cat.get(c).name)),
                [
                    ("Mineral", "name", "text"),
                    ("Stage", "stage", "text"),
                    ("World output", "world_tonnes", "t"),
                    ("Producers", "n_producers", "text"),
                    ("HHI", "hhi", "hhi"),
                    ("Top-3", "top3_share", "pct"),
                    ("China", "share_CHN", "pct"),
                    ("Leader", "leader", "text"),
                    ("Leader share", "leader_share", "pct"),
                    ("Basis", "basis", "text"),
                    ("Source", "source", "text"),
                    ("Edition", "edition", "text"),
                ],
                caption="Production in tonnes of the series' content basis; a residual 'rest of world' counts in "
                "the total but not as a producer (HHI is then a lower bound).",
            ),
        )
    )
    return sections, exp


def extra_sections(ds, parties: str, year: int, exp: pd.DataFrame) -> tuple[list[Section], list[str]]:
    """Sections contributed by other parts of critmin, when they are installed and have data."""
    out, missing = [], []
    from critmin.report import extras

    for name, provider in extras.PROVIDERS:
        try:
            out.extend(provider(ds, parties, year, exp))
        except ImportError:
            missing.append(name)
    return out, missing


def build(
    ds,
    parties: str = "JPN,ITA,JPN+ITA",
    year: int | None = None,
    out: str | Path = "out/report.html",
    pdf: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Build the report; returns {"html": path, "pdf": path|None, "sections": [...], "missing": [...]}."""
    import jinja2

    say = progress or (lambda _m: None)
    say("exposure tables")
    if year is None:
        year = analysis_year(ds)
    sections, exp = exposure_sections(ds, parties, year)
    year = int(exp["year"].max())
    say("risk, scenarios, countermeasures, news")
    extra, missing = extra_sections(ds, parties, year, exp)
    findings, rest = sections[0], sections[1:]
    sections = [
        findings,
        *[s for s in rest if s.id.startswith("exposure-")],
        *extra,
        *[s for s in rest if not s.id.startswith("exposure-")],
    ]
    say("rendering")
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: (
                resources.files("critmin.report").joinpath("templates", name).read_text(encoding="utf-8")
            )
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    sources = ds.sources()[
        ["data_table", "source", "edition", "licence", "citation", "origin"]
    ].drop_duplicates(subset=["source", "edition"])
    from critmin import __version__

    html = env.get_template("report.html.j2").render(
        title=f"Critical-mineral exposure: {', '.join(exp['party_name'].unique())}",
        generated=dt.date.today().isoformat(),
        year=year,
        version=__version__,
        sections=sections,
        sources=sources.to_dict("records"),
        missing=missing,
    )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    pdf_path = None
    if pdf:
        say("PDF")
        try:
            import weasyprint
        except ImportError as exc:  # pragma: no cover - depends on the install
            from critmin.errors import CritminError

            raise CritminError("PDF output needs WeasyPrint: pip install 'critmin[report]'") from exc
        pdf_path = Path(pdf)
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        weasyprint.HTML(string=html, base_url=str(out.parent)).write_pdf(pdf_path)
    return {"html": out, "pdf": pdf_path, "sections": [s.id for s in sections], "missing": missing}
