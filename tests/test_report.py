"""The HTML/PDF report (the main job)."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from critmin import report
from critmin.report import Section


@pytest.fixture(scope="module")
def built(ds, tmp_path_factory):
    """The main job's report (JPN, ITA, JPN+ITA at the default year), built once for the tests below."""
    out = tmp_path_factory.mktemp("report") / "r.html"
    r = report.build(ds, "JPN,ITA,JPN+ITA", None, out)
    return r, out.read_text(encoding="utf-8")


def test_report_is_a_briefing_with_tables_charts_and_sources(built, ds):
    r, html = built
    assert r["sections"][0] == "summary" and r["year"] == ds.analysis_year()
    for sid in (
        "summary-JPN",
        "summary-ITA",
        "summary-JPN+ITA",
        "exposure-JPN",
        "exposure-ITA",
        "exposure-JPN+ITA",
        "china-share",
        "matrix",
        "world",
        "risk",
        "scenario",
        "countermeasures",
        "restrictions",
        "partnerships",
        "appendix-JPN",
    ):
        assert f'id="{sid}"' in html, sid
    assert r["missing"] == []
    assert "What would help, ranked" in html and "JOGMEC" in html and "Marchand" in html
    assert "Japan (JPN) imported USD" in html and f"Analysis year {r['year']}" in html
    assert html.count('class="chart"') >= 4
    assert "BACI" in html and "Etalab" in html and "WMD 2026" in html and "CC BY 4.0" in html
    # self-contained: no external scripts, stylesheets or images
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?://', html)


def test_disagreement_notes_write_shares_as_the_tables_do(built):
    _, html = built
    notes = [
        n for n in re.findall(r'<p class="note">([^<]*)</p>', html) if " by value, " in n or ") vs " in n
    ]
    assert any(re.search(r"CHN \d+% by value, \d+% by tonnes", n) for n in notes)
    assert any(re.search(r"CHN \d+% \(WMD \d{4}\) vs \d+% \(", n) for n in notes)
    assert not [n for n in notes if re.search(r"\d %", n)]  # '38%', as in the table beside the note


def test_the_report_writes_every_percentage_as_its_tables_do(built):
    """'65%' in the prose, captions, notes and tables alike (critmin.formats.percent), never '65 %'."""
    _, html = built
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    body = re.sub(r'data:[^"\']+', " ", body)  # inline charts
    text = unescape(re.sub(r"<[^>]+>", " ", body))
    spaced = re.findall(r".{40}\d[ \u00a0\u202f]%.{10}", text)
    assert not spaced, spaced
    assert len(re.findall(r"\d%", text)) > 500  # the scan read the report's shares


def test_report_escapes_text(tmp_path, ds, monkeypatch):
    from critmin.report import extras

    evil = Section("x", "<script>alert(1)</script>", paragraphs=["<b>untrusted</b> & text"])
    monkeypatch.setattr(extras, "PROVIDERS", [("evil", lambda *a: [evil])])
    report.build(ds, "JPN", 2023, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;untrusted&lt;/b&gt; &amp; text" in html


def test_missing_module_is_listed(ds, tmp_path, monkeypatch):
    from critmin.report import extras

    def needs_absent(*_):
        raise ImportError("critmin.somewhere")

    monkeypatch.setattr(extras, "PROVIDERS", [("supply-risk methods", needs_absent)])
    r = report.build(ds, "JPN", 2023, tmp_path / "r.html")
    assert r["missing"] == ["supply-risk methods"]
    assert "supply-risk methods" in (tmp_path / "r.html").read_text(encoding="utf-8")


# -- the briefing agrees with the CSV, one year everywhere, page one ------------------------------------------
def _tables(html: str) -> dict[str, list[dict]]:
    """Section id -> rows of its table as {header: cell text}."""
    from lxml import html as lh

    doc = lh.fromstring(html)
    out = {}
    for sec in doc.xpath("//section[@id]"):
        t = sec.xpath("./table")
        if not t:
            continue
        heads = [th.text_content().strip() for th in t[0].xpath("./thead/tr/th")]
        out[sec.get("id")] = [
            dict(zip(heads, [td.text_content().strip() for td in tr.xpath("./td")], strict=True))
            for tr in t[0].xpath("./tbody/tr")
        ]
    return out


def test_csv_and_report_agree_on_every_shared_number(built, ds, store_path, tmp_path):
    """`make run`: the exposure CSV and the report, both at their default year, show the same numbers."""
    from typer.testing import CliRunner

    from critmin.cli.main import app
    from critmin.report import fmt

    csv = tmp_path / "e.csv"
    r = CliRunner().invoke(
        app, ["--db", str(store_path), "exposure", "--for", "JPN,ITA,JPN+ITA", "--out", str(csv), "-q"]
    )
    assert r.exit_code == 0, r.output
    rep, html = built
    e = pd.read_csv(csv)
    assert set(e["year"]) == {rep["year"]} == {ds.analysis_year()}
    assert f"Analysis year {rep['year']}" in html
    tables = _tables(html)
    checked = 0
    for party, part in e.groupby("party", sort=False):
        rows = {
            (t["Mineral"], t["Stage"]): t
            for t in tables[f"exposure-{party}"] + tables[f"appendix-{party}"]
            # the appendix also names the stages the CSV has no row for (no trade code): not measured
            if not t.get("Why not in the main part", "").startswith("not measured")
        }
        assert len(rows) == len(part)  # every mineral of the CSV is in the report, once
        for x in part.itertuples(index=False):
            t = rows[(x.commodity_name, x.stage)]
            assert t["Imports"] == fmt(x.import_value_kusd, "usd"), (party, x.commodity)
            assert t["From CHN"].rstrip("*") == fmt(x.share_from_CHN, "pct"), (party, x.commodity)
            assert t["Net import reliance"] == fmt(x.import_reliance, "pct"), (party, x.commodity)
            if "Supplier HHI" in t:
                assert t["Supplier HHI"] == fmt(x.supplier_hhi, "hhi")
                assert t["World mine: CHN"].rstrip("*") == fmt(x.world_mine_china_share, "pct")
            checked += 1
    assert checked == len(e)
    # page one's numbers are the same numbers
    for party in ("JPN", "ITA", "JPN+ITA"):
        part = e[e["party"] == party].set_index(["commodity_name", "stage"])
        for t in tables[f"summary-{party}"]:
            name, stage = t["Mineral that matters"].rsplit(" (", 1)
            x = part.loc[(name, stage.rstrip(")"))]
            assert t["Imports, USD"] == fmt(x["import_value_kusd"], "usd").removeprefix("USD ")
            assert t["China: direct · traced origin"].split(" · ")[0].rstrip("*") == fmt(
                x["share_from_CHN"], "pct"
            )


def test_summary_on_page_one_with_ranked_actions(ds, tmp_path):
    """`report --out r.pdf` writes a PDF whose page one holds the executive summary of every party; the pages
    are rendered to PNG (artefacts in $CRITMIN_PAGES_DIR when set)."""
    import os
    import shutil
    import subprocess

    pytest.importorskip("weasyprint")
    # --out r.pdf writes a PDF; made in the second process, as the CLI does on a 2-core machine
    r = report.build(ds, "JPN,ITA,JPN+ITA", None, tmp_path / "r.pdf", parallel=True)
    assert r["html"] is None and r["pdf"].read_bytes().startswith(b"%PDF")
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.skip("needs pdftotext and pdftoppm (Debian poppler-utils; .ci/run installs them)")
    page1 = subprocess.run(
        ["pdftotext", "-layout", "-f", "1", "-l", "1", str(r["pdf"]), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for head in ("Executive summary", "Japan (JPN)", "Italy (ITA)", "Japan + Italy (JPN+ITA)"):
        assert head in page1, head
    assert page1.count("What would help, ranked") == 3
    assert f"Analysis year {r['year']}" in page1
    assert re.search(r"1\. \w", page1)  # a ranked action
    pages = Path(os.environ.get("CRITMIN_PAGES_DIR", tmp_path / "pages"))
    pages.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(r["pdf"]), str(pages / "page")], check=True)
    info = subprocess.run(["pdfinfo", str(r["pdf"])], capture_output=True, text=True).stdout
    n = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert len(list(pages.glob("page-*.png"))) == n


def test_the_second_process_changes_nothing_in_the_report(built, ds, tmp_path):
    """With the charts, the stockpiles and the coercion-aware run made in a second process (as the CLI does on
    a 2-core machine), the HTML is the one made in a single process."""
    pytest.importorskip("weasyprint")
    r = report.build(ds, "JPN,ITA,JPN+ITA", None, tmp_path / "p.html", pdf=tmp_path / "p.pdf", parallel=True)
    assert r["pdf"].read_bytes().startswith(b"%PDF")
    assert r["timings"]["worker_cpu_s"] > 0

    def undated(html: str) -> str:
        return re.sub(r"generated \d{4}-\d{2}-\d{2}", "generated", html)

    assert undated((tmp_path / "p.html").read_text(encoding="utf-8")) == undated(built[1])


# -- source labels and inline code (what the pages print) ---------------------------------------------------------
def test_a_source_is_named_once_with_its_edition():
    from critmin.report import group_sources, source_label

    assert source_label("WMD", "WMD 2026") == "WMD 2026"  # not 'WMD WMD 2026'
    assert source_label("IEA", "May 2024") == "IEA May 2024"  # not a bare 'May 2024'
    assert source_label("USGS", "MCS 2026") == "USGS MCS 2026"
    assert group_sources(["WMD 2026 (Ag)", "IEA May 2024 (Li)", "WMD 2026 (Al)", "WMD 2026 (Ag)"]) == [
        "IEA May 2024 (Li)",
        "WMD 2026 (Ag, Al)",
    ]
    # brackets inside the bracket stay with their item
    assert group_sources(["IEA May 2024 (magnet REE (Nd, Pr))"]) == ["IEA May 2024 (magnet REE (Nd, Pr))"]


def test_backticks_become_code_and_nothing_else_is_markup():
    from critmin.report import inline_code

    assert str(inline_code("run `critmin optimize --pooled` <b>")) == (
        "run <code>critmin optimize --pooled</code> &lt;b&gt;"
    )


def test_an_end_use_measure_says_so_in_the_summary():
    from critmin.report.briefing import _end_use

    assert _end_use("Japanese military users, military uses") == " (military users only)"
    assert _end_use("semiconductor fabs") == " (named end uses only)"
    assert _end_use(None) == "" and _end_use("  ") == ""


def test_the_report_says_when_a_suspension_has_run_out(ds, tmp_path):
    """On 2026-12-01 China's suspensions of Nov 2025 have run out (Ann. 70/2025 until 10 Nov 2026, Ann. 72/2025
    until 27 Nov 2026): the restrictions section says the registry cannot tell what applies; in June it says
    nothing."""
    import datetime as dt

    from critmin.report.briefing import Briefing
    from critmin.report.extras import registry_sections

    def notes(day):
        (sec,) = registry_sections(Briefing(ds, "JPN,ITA", 2024, as_of=day))
        return [n for n in sec.notes if n]

    dec = notes(dt.date(2026, 12, 1))
    assert len(dec) == 2 and all("ran until 2026-11-" in n for n in dec)
    assert notes(dt.date(2026, 6, 1)) == []


def test_the_appendix_accounts_for_every_stage_of_every_mineral(built, ds):
    """With the main tables, the appendix names every mine and refined stage of the catalogue, and a stage with
    no trade code (antimony oxides and metal, magnesium metal) says it is not measured — an immaterial ore row
    is not the mineral's whole exposure."""
    from critmin.reference import commodities as cat
    from critmin.report import unmeasured_stages

    _, html = built
    exp = ds.exposure("JPN", ds.analysis_year())
    gaps = unmeasured_stages(exp)
    listed = set(zip(exp["commodity"].map(lambda c: cat.get(c).name), exp["stage"], strict=True))
    listed |= set(zip(gaps["commodity_name"], gaps["stage"], strict=True))
    for c in cat.catalogue().values():
        for s in set(c.stages) & {"mine", "refined"}:
            assert (c.name, s) in listed, (c.id, s)
    assert ("Antimony", "refined") in set(zip(gaps["commodity_name"], gaps["stage"], strict=True))
    appendix = html[html.index('id="appendix-JPN"') : html.index('id="appendix-ITA"')]
    assert "not measured: Antimony metal (HS 8110)" in unescape(appendix)


def test_a_finding_lists_all_it_counts_or_says_e_g(built):
    """'China supplied at least half ... of 9 of 30 stages: [six names]' reads as if the six were all: a
    shortened list says 'e.g.'."""
    _, html = built
    for m in re.finditer(
        r"at least half of the import value of (\d+) of \d+ mineral stages[^:.]*: (.*?%\))\.", html
    ):
        n, listed = int(m.group(1)), m.group(2)
        names = listed.removeprefix("e.g. ").split("), ")
        assert len(names) == n or (listed.startswith("e.g. ") and len(names) < n), m.group(0)


def test_a_share_by_tonnes_says_so_where_the_others_are_by_value(built, ds):
    """The supplier-weight table's shares are of tonnes (Italy: China 38% of its rare-earth tonnes) while page
    one and the exposure tables give value (12%): its header says which, and the number is the tonnes share."""
    _, html = built
    rows = _tables(html)["supplier-weights"]
    assert all("Share of imports, tonnes" in r for r in rows)
    e = ds.exposure("ITA", ds.analysis_year(), commodities="rare_earths").iloc[0]
    ita = next(
        r for r in rows if r["Party"] == "ITA" and r["Supplier"] == "China" and "Rare earth" in r["Mineral"]
    )
    from critmin.report import fmt

    assert (
        ita["Share of imports, tonnes"]
        == fmt(e["alt_basis_share_from"], "pct")
        != fmt(e["share_from_CHN"], "pct")
    )


def test_the_eu_supply_risk_uses_the_latest_production_year_and_says_it(ds):
    """IEA's refining series ends in 2023: in a 2024 briefing the EU supply risk of refined rare earths was '—'
    while GeoPolRisk (which falls back a year) had a value. It is the method's value for 2023, marked (2023);
    a stage with no production series at all (ferro-niobium) stays '—'."""
    from critmin.indicators.risk import risk
    from critmin.report import fmt
    from critmin.report.briefing import Briefing
    from critmin.report.extras import risk_sections

    (sec,) = risk_sections(Briefing(ds, "JPN", 2024))
    cols = sec.table["columns"]
    rows = {
        (r[cols.index("Mineral")], r[cols.index("Stage")]): r[cols.index("EU supply risk")]
        for r in sec.table["rows"]
    }
    r23 = risk(ds, "JPN", methods=("eu_sr",), years=[2023], commodities="rare_earths")
    v = r23[(r23["stage"] == "refined")]["value"].iloc[0]
    assert rows[("Rare earth elements", "refined")] == f"{fmt(v, 'num')} (2023)"
    assert rows[("Niobium", "refined")] == "—"
    assert rows[("Graphite (natural)", "mine")][-1].isdigit()  # a 2024 value, unmarked


def test_risk_rows_go_wide_with_the_proxy_marked_hand_case():
    """The shape both risk tables of the report share (extras.risk_sections, coercion.score_table)."""
    from critmin.report import PROXY_NOTE, wide_scores

    rows = pd.DataFrame(
        [
            ("JPN", "gallium", "refined", "geopolrisk", 0.4, "ok"),
            ("JPN", "gallium", "refined", "eu_sr", 2.5, "ok"),
            ("JPN", "gallium", "refined", "geopolrisk", 0.9, "ok"),  # a second row: the first is kept
            ("ITA", "tungsten", "mine", "geopolrisk", 0.2, "proxy"),
        ],
        columns=["party", "commodity", "stage", "method", "value", "status"],
    )
    wide = wide_scores(rows, "method").set_index(["party", "commodity"])
    assert wide.loc[("JPN", "gallium"), "geopolrisk"] == 0.4 and wide.loc[("JPN", "gallium"), "eu_sr"] == 2.5
    assert pd.isna(wide.loc[("ITA", "tungsten"), "eu_sr"])
    assert wide["note"].to_dict() == {("ITA", "tungsten"): PROXY_NOTE, ("JPN", "gallium"): ""}
    assert wide.loc[("JPN", "gallium"), "name"] == "Gallium"
