"""The briefing: HTML/PDF report on one or more countries' or blocs' exposure to critical minerals.

``critmin report --for JPN,ITA,JPN+ITA --out out/report.html [--pdf out/report.pdf]`` is the main job. Page one
is an executive summary per party — the few minerals that matter, who supplies them directly and by traced
origin, the restrictions in force that hit them, what a one-year Chinese export stop would cost, and what
would help, ranked (:mod:`critmin.report.briefing`). The sections after it give the detail, and an appendix
every mineral. The report is one self-contained HTML file (inline CSS and SVG charts, no network) built from
the same tidy tables the CLI and the API return, for one analysis year stated on the cover; every number
carries its source and edition. Sections from other parts of critmin (supply-risk methods, scenarios,
countermeasures, outlook, news) are added when those modules are installed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from critmin.formats import group_sources, percent
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
    items: list[str] = field(default_factory=list)  # an ordered list (ranked actions)
    points: list[dict] = field(default_factory=list)  # bullets: {"head", "text", "sub": [one idea each]}
    subsections: list[Section] = field(default_factory=list)
    css: str = ""  # extra class: 'summary' (page one), 'appendix' (wide pages)


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
        return percent(x)
    if kind == "usd_short":  # kUSD in, '13.2 bn' out (the column says USD)
        return fmt(x, "usd").removeprefix("USD ")
    if kind == "usd":  # input in kUSD
        v = x * 1e3
        for unit, div in (("bn", 1e9), ("M", 1e6), ("k", 1e3)):
            if abs(v) >= div:
                return f"USD {v / div:,.1f} {unit}"
        return f"USD {v:,.0f}"
    if kind == "t":
        return f"{x:,.0f} t"
    if kind == "days":
        return f"{x:,.0f}"
    if kind == "hhi":
        return f"{x:.2f}"
    return f"{x:,.2f}" if isinstance(x, float) else str(x)


def table(df: pd.DataFrame, columns: list[tuple[str, str, str]], caption: str = "") -> dict:
    """columns: (header, column name, format kind); kind 'text' is left-aligned text, 'rtext' right-aligned
    (a number already formatted, e.g. '38%*'), any other kind a number formatted by :func:`fmt`."""

    def text(v) -> str:
        return "" if v is None or (not isinstance(v, list | tuple) and pd.isna(v)) else str(v)

    rows = [
        [fmt(r[c], k) if k not in ("text", "rtext") else text(r[c]) for _, c, k in columns]
        for _, r in df.iterrows()
    ]
    return {
        "columns": [h for h, _, _ in columns],
        "rows": rows,
        "caption": caption,
        "align": ["left" if k == "text" else "right" for _, _, k in columns],
    }


PROXY_NOTE = "production-share proxy"
SCORE_KEYS = ("party", "commodity", "stage")


def wide_scores(rows: pd.DataFrame, by: str, index: tuple[str, ...] = SCORE_KEYS) -> pd.DataFrame:
    """Risk-engine rows (:func:`critmin.indicators.risk.risk`, status 'ok' or 'proxy') as one row per party and
    mineral stage with one score column per value of ``by`` (the method, or the supplier weight); ``note``
    marks a stage scored by the production-share proxy (the party sourcing like the world: no trade data),
    ``name`` names the mineral. ``index``: the identifying columns, at least party, commodity and stage."""
    wide = rows.pivot_table(index=list(index), columns=by, values="value", aggfunc="first").reset_index()
    keys = list(SCORE_KEYS)
    proxied = set(map(tuple, rows.loc[rows["status"] == "proxy", keys].to_numpy()))
    wide["note"] = [PROXY_NOTE if k in proxied else "" for k in map(tuple, wide[keys].to_numpy())]
    wide["name"] = wide["commodity"].map(lambda c: cat.get(c).name)
    return wide


def _lower(name: str) -> str:
    """'Platinum-group metals (Pt, Pd, Rh)' -> 'platinum-group metals (Pt, Pd, Rh)' (symbols keep their case)."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


#: at most this many mineral stages named in a finding's sentence ('e.g.' when there are more)
FINDINGS_LISTED = 6


def headline_rows(part: pd.DataFrame, share_col: str = "share_from_CHN") -> dict[str, pd.DataFrame]:
    """The rows one party's headline counts (report and dashboard alike) are made of, from material rows only
    (:mod:`critmin.indicators.materiality`): ``material`` (the material stages), ``china`` (those ``share_col``'s
    country supplied at least half of), ``single`` (those one supplier sold more than the CRMA's 65% of, that
    supplier's flow itself material) and ``small`` (stages with imports below materiality), largest first. A
    stage the party imports for USD 300 k is not a finding."""
    from critmin.indicators.materiality import DEFAULT as material

    traded = part.dropna(subset=["import_value_kusd"]).sort_values(
        "import_value_kusd", ascending=False, kind="stable"
    )
    rows = traded[traded["material"].astype(bool)]
    top_value = rows["supplier_1_share"] * rows["import_value_kusd"]
    return {
        "material": rows,
        "china": rows[rows[share_col] >= 0.5],
        "single": rows[(rows["supplier_1_share"] > 0.65) & material(top_value, rows["import_value_kusd"])],
        "small": traded[(traded["import_value_kusd"] > 0) & ~traded["material"].astype(bool)],
    }


def _findings(exp: pd.DataFrame, share_col: str) -> list[str]:
    """Key findings from material rows only (:func:`headline_rows`)."""
    from critmin.indicators.materiality import DEFAULT as material

    out = []
    src = share_col.removeprefix("share_from_")
    for party, part in exp.groupby("party", sort=False):
        name = part["party_name"].iloc[0]
        traded = part.dropna(subset=["import_value_kusd"])
        total = traded["import_value_kusd"].sum()
        year = int(part["year"].max())
        h = headline_rows(part, share_col)
        rows, small, china, single = h["material"], h["small"], h["china"], h["single"]
        text = (
            f"{name} ({party}) imported {fmt(total, 'usd')} of the catalogue's critical minerals in {year} "
            f"(BACI, FOB). {src} supplied at least half of the import value of {len(china)} of "
            f"{len(rows)} mineral stages with material imports"
        )
        if len(china):
            text += (": e.g. " if len(china) > FINDINGS_LISTED else ": ") + ", ".join(
                f"{_lower(r.commodity_name)} {r.stage} ({fmt(getattr(r, share_col), 'pct')})"
                for r in china.head(FINDINGS_LISTED).itertuples()
            )
        text += "."
        if len(single):
            text += (
                f" A single supplier exceeds the EU CRMA's 65% benchmark for {len(single)} of them, e.g. "
                + ", ".join(
                    f"{_lower(r.commodity_name)} ({r.supplier_1} {fmt(r.supplier_1_share, 'pct')})"
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


def analysis_year(ds) -> int:
    """The report's one analysis year when none is given: the same default as ``critmin exposure``
    (:meth:`critmin.api.Dataset.analysis_year`, the latest year of trade data)."""
    return ds.analysis_year()


def _marked(share, flag) -> str:
    """A share with '*' when another basis or production source disagrees (a note says how)."""
    text = fmt(share, "pct")
    return text + "*" if bool(flag) and text != "—" else text


def _suppliers(r, k: int = 3) -> str:
    return ", ".join(
        f"{r[f'supplier_{i}']} {fmt(r[f'supplier_{i}_share'], 'pct')}"
        for i in range(1, k + 1)
        if isinstance(r[f"supplier_{i}"], str)
    )


def _disagreement_notes(part: pd.DataFrame) -> list[str]:
    out = []
    for r in part.itertuples(index=False):
        if r.disagreement:
            out.append(f"* {r.commodity_name} ({r.stage}): {r.disagreement}.")
    return out


def _reliance_notes(part: pd.DataFrame) -> list[str]:
    """Why a row with imports shows no net import reliance ('—'), one note per reason."""
    gap = part[part["import_reliance"].isna() & (part["import_value_kusd"].fillna(0) > 0)]
    why: dict[str, list[str]] = {}
    for r in gap.itertuples(index=False):
        reason = str(r.import_reliance_note).split("; production ")[0]
        if reason == "no production data for the year":
            reason = "no production series of the stage in the data, so apparent consumption is unknown"
        why.setdefault(reason, []).append(f"{_lower(r.commodity_name)} ({r.stage})")
    return [f"Net import reliance '—', {', '.join(items)}: {reason}." for reason, items in why.items()]


def exposure_table(part: pd.DataFrame, share_col: str, caption: str) -> dict:
    """One party's exposure rows as a report table; shares that another basis or source disputes carry '*'."""
    who = share_col.removeprefix("share_from_")
    d = part.assign(
        chn=[_marked(s, f) for s, f in zip(part[share_col], part["basis_disagrees"], strict=True)],
        mine_chn=[
            _marked(s, a == a)
            for s, a in zip(part["world_mine_china_share"], part["world_mine_china_share_alt"], strict=True)
        ],
        ref_chn=[
            _marked(s, a == a)
            for s, a in zip(
                part["world_refined_china_share"], part["world_refined_china_share_alt"], strict=True
            )
        ],
        suppliers=[_suppliers(r) for _, r in part.iterrows()],
        tonnes=[
            f"{fmt(t, 't')} {b}" if t == t else "—"
            for t, b in zip(part["import_content_tonnes"], part["content_basis"], strict=True)
        ],
    )
    return table(
        d,
        [
            ("Mineral", "commodity_name", "text"),
            ("Stage", "stage", "text"),
            ("Imports", "import_value_kusd", "usd"),
            ("Tonnes of content", "tonnes", "text"),
            ("Top suppliers (share of value)", "suppliers", "text"),
            ("Supplier HHI", "supplier_hhi", "hhi"),
            (f"From {who}", "chn", "rtext"),
            ("Net import reliance", "import_reliance", "pct"),
            ("World mine: CHN", "mine_chn", "rtext"),
            ("World refined: CHN", "ref_chn", "rtext"),
        ],
        caption=caption,
    )


def inline_code(text) -> str:
    """Escaped text with `commands` in backticks set as code (the only markup report text carries)."""
    import re

    from markupsafe import Markup, escape

    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def source_label(source, edition) -> str:
    """A source and edition said once: ('WMD', 'WMD 2026') -> 'WMD 2026'; ('IEA', 'May 2024') -> 'IEA May 2024';
    ('USGS', 'MCS 2026') -> 'USGS MCS 2026'."""
    source, edition = str(source or "").strip(), str(edition or "").strip()
    if not source or edition.startswith(source):
        return edition or source
    return f"{source} {edition}".strip()


def _exposure_caption(part: pd.DataFrame) -> str:
    from critmin.indicators.disagreement import MARGIN

    srcs = group_sources(
        s for c in ("world_mine_source", "world_refined_source") for s in part[c].dropna().unique()
    )
    return (
        f"Trade: {part['trade_source'].iloc[0]} (CEPII), values FOB in current USD, tonnes of content on each "
        "stage's basis (ore and intermediates shipped under refined codes left out); shares of import value. "
        f"World production: {'; '.join(srcs)}. HHI on the 0–1 scale. Net import reliance = (I−E)/(P+I−E) on "
        f"the stage's content basis. *: the share by tonnes, or in another production source, is more than "
        f"{100 * MARGIN:.0f} points away (notes below the table)."
    )


def exposure_sections(b) -> list[Section]:
    """Per party: the material imports (largest first), with the disagreements said next to the numbers."""
    from critmin.indicators.materiality import DEFAULT as material

    exp, share_col = b.exp, b.share_col
    out = []
    for party, part in exp.groupby("party", sort=False):
        name = part["party_name"].iloc[0]
        rows = part[part["material"].astype(bool)].sort_values("import_value_kusd", ascending=False)
        small = part[(part["import_value_kusd"] > 0) & ~part["material"].astype(bool)]
        members = part["members"].iloc[0]
        out.append(
            Section(
                f"exposure-{party}",
                f"{name} ({party}): material imports of critical minerals, {b.year}",
                paragraphs=[
                    *_findings(part, share_col),
                    f"Members: {members}; imports from outside the bloc only." if "," in members else "",
                ],
                table=exposure_table(rows, share_col, _exposure_caption(part)),
                notes=[
                    *_disagreement_notes(rows),
                    *_reliance_notes(rows),
                    f"Not shown: {len(small)} stage(s) with imports below materiality ({material.label}), "
                    f"{fmt(small['import_value_kusd'].sum(), 'usd')} in all; they are in the appendix."
                    if len(small)
                    else "",
                ],
            )
        )
    return out


def unmeasured_stages(part: pd.DataFrame) -> pd.DataFrame:
    """The stages of the party's minerals that the exposure table has no row for — a mineral traded at one stage
    and not at another (antimony oxides and metal, magnesium metal, refined nickel and copper: codes outside the
    BACI subset) — with the catalogue's reason, so that an immaterial ore row does not read as the mineral's
    whole exposure."""
    have = set(zip(part["commodity"], part["stage"], strict=True))
    rows = [
        {
            "commodity_name": c.name,
            "stage": s,
            "why": "not measured: " + (st.hs_note or "no HS92 code in the trade data"),
        }
        for cid in dict.fromkeys(part["commodity"])
        for c in [cat.get(cid)]
        for s, st in c.stages.items()
        if s in ("mine", "refined") and (cid, s) not in have and not st.hs92
    ]
    return pd.DataFrame(rows, columns=["commodity_name", "stage", "why"])


def appendix_sections(b) -> list[Section]:
    """The rest of the catalogue for every party: with the material tables, the same rows as
    ``critmin exposure``'s CSV."""
    out = []
    for party, part in b.exp.groupby("party", sort=False):
        part = part[~part["material"].astype(bool)]
        part = part.sort_values("import_value_kusd", ascending=False, na_position="last", kind="stable")
        d = part.assign(
            chn=[_marked(s, f) for s, f in zip(part[b.share_col], part["basis_disagrees"], strict=True)],
            suppliers=[_suppliers(r, 2) for _, r in part.iterrows()],
            why=[
                r.coverage or ("below materiality" if r.import_value_kusd > 0 else "no recorded imports")
                for r in part.itertuples(index=False)
            ],
        )
        gaps = unmeasured_stages(b.exp[b.exp["party"] == party])
        if len(gaps):
            d = pd.concat([d, gaps], ignore_index=True)
        out.append(
            Section(
                f"appendix-{party}",
                f"Appendix: {part['party_name'].iloc[0]} ({party}), the other critical minerals, {b.year}",
                paragraphs=[
                    "Imports below materiality, none, or not measurable with the embedded data; with the "
                    "material imports of the main part, every mineral and stage of the catalogue (mine and "
                    "refined). A stage not measured is no finding either way: antimony oxides and metal, for "
                    "instance, are outside the trade data, not absent."
                ],
                table=table(
                    d,
                    [
                        ("Mineral", "commodity_name", "text"),
                        ("Stage", "stage", "text"),
                        ("Imports", "import_value_kusd", "usd"),
                        ("Top suppliers", "suppliers", "text"),
                        (f"From {b.share_col[11:]}", "chn", "rtext"),
                        ("Net import reliance", "import_reliance", "pct"),
                        ("Why not in the main part", "why", "text"),
                    ],
                    caption=_exposure_caption(part),
                ),
                notes=_disagreement_notes(part),
                css="appendix",
            )
        )
    return out


def chart_sections(b, run=None) -> list[Section]:
    """The charts (``run(fn, *args)`` makes each: at once, or in the report's second process)."""
    from critmin.report import charts
    from critmin.report.pdf import Inline

    run = run or Inline().submit

    exp, share_col, year = b.exp, b.share_col, b.year
    material = exp[exp["material"].astype(bool)]
    sections = [
        Section(
            "china-share",
            f"Share of imports from China, {year}",
            chart_svg=run(charts.china_share_bars, material, share_col),
            chart_caption=f"Share of import value from China, for the material imports with the most value from China. Source: "
            f"{exp['trade_source'].iloc[0]} (CEPII). The dashed line is the EU Critical Raw Materials Act "
            "benchmark of at most 65% from one third country.",
        ),
        Section(
            "matrix",
            "Exposure matrix: import concentration vs world supply concentration",
            chart_svg=run(charts.exposure_matrix, material),
            chart_caption="Each bubble is a material mineral stage imported by the party (area ∝ import value); "
            "the largest are named. Right: few suppliers; top: world production concentrated in few countries "
            "(HHI of the mine or refined stage, whichever is higher). Top-right is where a single supplier's "
            f"decision matters most. Sources: {exp['trade_source'].iloc[0]}; world production as in the exposure "
            "tables.",
        ),
    ]
    lo = max(b.ds.trade_years()[0], year - 14)
    # here, not in the second process: this process's Dataset already holds the trade tables it reads
    series = b.ds.exposure(b.spec, years=range(lo, year + 1), commodities="rare_earths,graphite")
    for cid, stage in (("rare_earths", "refined"), ("graphite", "mine")):
        s = series[(series["commodity"] == cid) & (series["stage"] == stage)]
        sections.append(
            Section(
                f"series-{cid}",
                f"{cat.get(cid).name} ({stage}): share of imports from China, {lo}–{year}",
                chart_svg=run(charts.share_series, s, share_col, ""),
                chart_caption=f"Share of import value, HS {', '.join(cat.get(cid).stages[stage].hs92)}. Source: "
                f"{exp['trade_source'].iloc[0]} (CEPII).",
            )
        )
    return sections


def world_sections(b, run=None) -> list[Section]:
    """World production concentration: the map of China's share and the table, with source disagreements."""
    from critmin.indicators.disagreement import MARGIN, source_note
    from critmin.report import charts
    from critmin.report.pdf import Inline

    run = run or Inline().submit

    # each stage in the analysis year, or its latest year before it (the table says which)
    conc = b.ds.world_concentration()
    conc = conc[(conc["year"] <= b.year) & conc["commodity"].isin(b.exp["commodity"].unique())]
    conc = conc.sort_values("year", kind="stable").groupby(["commodity", "stage"]).tail(1)
    order = {c: i for i, c in enumerate(cat.catalogue())}
    conc = conc.assign(_o=conc["commodity"].map(order)).sort_values(["_o", "stage"]).drop(columns="_o")
    gaps = b.ds.source_disagreements
    notes = []
    flagged = set()
    for r in gaps.itertuples(index=False):
        if r.year <= b.year and r.year >= b.year - 1:
            flagged.add((r.commodity, r.stage))
            notes.append(f"* {cat.get(r.commodity).name} ({r.stage}): " + source_note("CHN", r) + ".")
    conc = conc.assign(
        source_label=[source_label(a, e) for a, e in zip(conc["source"], conc["edition"], strict=True)],
        name=conc["commodity"].map(lambda c: cat.get(c).name),
        chn=[
            _marked(s, (c, st) in flagged)
            for s, c, st in zip(conc["share_CHN"], conc["commodity"], conc["stage"], strict=True)
        ],
        n=conc["n_producers"].map(lambda v: f"{int(v)}"),
        output=[f"{fmt(t, 't')} {b_}" for t, b_ in zip(conc["world_tonnes"], conc["basis"], strict=True)],
        lead=[f"{ld} {fmt(sh, 'pct')}" for ld, sh in zip(conc["leader"], conc["leader_share"], strict=True)],
    )
    has_map = charts.world_rings() is not None
    map_svg = run(charts.share_maps, charts.world_map_panels(b)) if has_map else None
    return [
        Section(
            "world",
            f"World production: how concentrated, and where, {b.year}",
            chart_svg=map_svg,
            chart_caption=charts.WORLD_MAP_CAPTION if has_map else None,
            paragraphs=[] if has_map else [charts.WORLD_MAP_MISSING],
            table=table(
                conc,
                [
                    ("Mineral", "name", "text"),
                    ("Stage", "stage", "text"),
                    ("Year", "year", "text"),
                    ("World output", "output", "text"),
                    ("Producers", "n", "rtext"),
                    ("HHI", "hhi", "hhi"),
                    ("Top-3", "top3_share", "pct"),
                    ("China", "chn", "rtext"),
                    ("Leader", "lead", "text"),
                    ("Source", "source_label", "text"),
                ],
                caption="Production in tonnes of the series' content basis, the analysis year or the latest before "
                "it; a residual 'rest of world' counts in the total but not as a producer (HHI is then a lower "
                f"bound). *: another source puts China's share more than {100 * MARGIN:.0f} points away (notes).",
            ),
            notes=notes,
        )
    ]


def extra_sections(b, last: tuple[str, ...] = ()) -> tuple[list[Section], list[str]]:
    """Sections contributed by other parts of critmin, when they are installed and have data, in the order of
    :data:`critmin.report.extras.PROVIDERS`.

    A provider takes the :class:`~critmin.report.briefing.Briefing` (one parameter) or, as before,
    ``(ds, parties, year, exposure)``. ``last``: providers computed after the others (those that wait for the
    second process), though placed in their order."""
    import inspect

    from critmin.report import extras

    built, missing = {}, []
    rank = {name: i + 1 for i, name in enumerate(last)}  # in the order given: the order of their jobs
    order = sorted(range(len(extras.PROVIDERS)), key=lambda i: rank.get(extras.PROVIDERS[i][0], 0))
    for i in order:
        name, provider = extras.PROVIDERS[i]
        try:
            params = [
                p
                for p in inspect.signature(provider).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            args = (b.ds, b.spec, b.year, b.exp) if len(params) >= 4 else (b,)
            built[i] = provider(*args)
        except ImportError:
            missing.append((i, name))
    out = [s for i in sorted(built) for s in built[i]]
    return out, [name for _, name in sorted(missing)]


#: providers that wait for the second process, in the order their jobs were sent (the coercion-aware
#: GeoPolRisk run, then the stockpiles): computed last
WAITS = ("supplier weights: stability vs coercion", "countermeasures")

#: file types the report writes, by extension
HTML_SUFFIXES = (".html", ".htm")


def check_outputs(out: str | Path, pdf: str | Path | None) -> tuple[Path | None, Path | None]:
    """(html path, pdf path) from the names given, checked before any work: ``out`` may name an HTML or a PDF
    file (the extension says which is written); ``pdf`` must end in .pdf."""
    from critmin.errors import UnknownValueError

    out = Path(out)
    html_path, pdf_path = None, Path(pdf) if pdf else None
    suffix = out.suffix.lower()
    if suffix in HTML_SUFFIXES:
        html_path = out
    elif suffix == ".pdf":
        if pdf_path is not None and pdf_path != out:
            raise UnknownValueError(
                "report output", str(out), hint="--out names a PDF and --pdf another; give one"
            )
        pdf_path = out
    else:
        raise UnknownValueError(
            "report file type",
            suffix or str(out),
            (".html", ".pdf"),
            hint=f"name it {out.stem or 'report'}.html or .pdf",
        )
    if pdf_path is not None and pdf_path.suffix.lower() != ".pdf":
        raise UnknownValueError(
            "PDF file name", str(pdf_path), hint=f"a PDF is written: name it {pdf_path.stem or 'report'}.pdf"
        )
    return html_path, pdf_path


def build(
    ds,
    parties: str = "JPN,ITA,JPN+ITA",
    year: int | None = None,
    out: str | Path = "out/report.html",
    pdf: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    as_of: dt.date | None = None,
    parallel: bool | None = False,
) -> dict:
    """Build the report; returns {"html": path|None, "pdf": path|None, "year": int, "sections": [...],
    "missing": [...], "briefing": Briefing}.

    ``year``: the analysis year (default :func:`analysis_year`, as ``critmin exposure``). ``as_of``: the date
    for restrictions and partnerships in force (default today). ``out`` ending in .pdf writes only the PDF.
    ``parallel``: make the charts and the PDF in a second process that starts first (None: when the machine
    has a second CPU; :mod:`critmin.report.pdf`); the output is the same."""
    from critmin.report import pdf as pdf_mod

    html_path, pdf_path = check_outputs(out, pdf)
    work = pdf_mod.runner(parallel if pdf_path is not None else False, ds)
    try:
        return _build(ds, parties, year, html_path, pdf_path, progress, as_of, work)
    finally:
        work.close()


def _build(ds, parties, year, html_path, pdf_path, progress, as_of, work) -> dict:
    import time

    t0 = time.process_time()
    import jinja2

    from critmin.report import briefing as briefing_mod

    say = progress or (lambda _m: None)
    say("exposure tables")
    if year is None:
        year = analysis_year(ds)
    b = briefing_mod.Briefing(ds, parties, int(year), as_of or dt.date.today(), say=say, work=work)
    b.exp  # noqa: B018 - fails early on a bad party or year
    figures = [*world_sections(b, work.submit), *chart_sections(b, work.submit)]  # charts start now
    b.start()  # and the analyses the second process can do alone
    say("risk, scenarios, countermeasures, news")
    # what waits for the second process comes last: page one and the ranked actions need the stockpiles
    extra, missing = extra_sections(b, last=WAITS)
    body = [*exposure_sections(b), *extra]
    summary = briefing_mod.summary_sections(b)
    say("charts")
    for s in figures:
        if hasattr(s.chart_svg, "result"):
            s.chart_svg = s.chart_svg.result()
    sections = [*summary, *body, *figures, *appendix_sections(b)]
    from critmin.report import charts

    for s in sections:  # charts as images: one box each for the PDF engine, still one self-contained file
        if s.chart_svg and s.chart_svg.lstrip().startswith("<svg"):
            s.chart_svg = charts.as_img(s.chart_svg, s.title)
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
    env.filters["code"] = inline_code
    sources = ds.sources()[
        ["data_table", "source", "edition", "licence", "citation", "origin"]
    ].drop_duplicates(subset=["source", "edition"])
    from critmin import __version__

    html = env.get_template("report.html.j2").render(
        title=f"Critical-mineral briefing: {', '.join(b.exp['party_name'].unique())}",
        generated=dt.date.today().isoformat(),
        as_of=b.as_of.isoformat(),
        year=b.year,
        trade_source=b.exp["trade_source"].iloc[0],
        version=__version__,
        sections=sections,
        sources=sources.to_dict("records"),
        missing=missing,
    )
    if html_path is not None:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(html, encoding="utf-8")
    if pdf_path is not None:
        say("PDF")
        import importlib.util

        from critmin.report import pdf as pdf_mod

        if importlib.util.find_spec("weasyprint") is None:  # pragma: no cover - depends on the install
            from critmin.errors import CritminError

            raise CritminError("PDF output needs WeasyPrint: pip install 'critmin[report]'")
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        html_cpu = time.process_time() - t0
        worker_cpu = work.busy_cpu_s()
        pdf_cpu = work.submit(
            pdf_mod.write_pdf,
            html,
            str((html_path or pdf_path).parent),
            str(pdf_path),
            isinstance(work, pdf_mod.Worker),  # the second process is ended without freeing the layout
        ).result()
    else:
        html_cpu, pdf_cpu, worker_cpu = time.process_time() - t0, 0.0, 0.0
    return {
        "html": html_path,
        "pdf": pdf_path,
        "year": b.year,
        "sections": [s.id for s in sections],
        "missing": missing,
        "briefing": b,
        # CPU seconds of this process until the HTML was done, of the second process (if any) until then, and
        # of the PDF (wherever it was made)
        "timings": {"html_cpu_s": html_cpu, "worker_cpu_s": worker_cpu, "pdf_cpu_s": pdf_cpu},
    }
