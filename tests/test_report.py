"""The HTML/PDF report (the main job)."""

from __future__ import annotations

import re

import pytest

from critmin import report
from critmin.report import Section


def test_report_has_findings_tables_charts_and_sources(ds, tmp_path):
    r = report.build(ds, "JPN,ITA,JPN+ITA", 2023, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert r["sections"][0] == "findings"
    for sid in (
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
    ):
        assert f'id="{sid}"' in html, sid
    assert r["missing"] == []
    assert "Gain from pooling" in html and "JOGMEC" in html and "Marchand" in html
    assert "Japan (JPN) imported USD" in html
    assert html.count("<svg") >= 4
    assert "BACI" in html and "Etalab" in html and "WMD 2026" in html and "CC BY 4.0" in html
    # self-contained: no external scripts, stylesheets or images
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?://', html)


def test_report_escapes_text(tmp_path, ds, monkeypatch):
    from critmin.report import extras

    evil = Section("x", "<script>alert(1)</script>", paragraphs=["<b>untrusted</b> & text"])
    monkeypatch.setattr(extras, "PROVIDERS", [("evil", lambda *a: [evil])])
    report.build(ds, "JPN", 2023, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;untrusted&lt;/b&gt; &amp; text" in html


def test_report_pdf(ds, tmp_path):
    pytest.importorskip("weasyprint")
    r = report.build(ds, "ITA", 2023, tmp_path / "r.html", pdf=tmp_path / "r.pdf")
    data = r["pdf"].read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000


def test_missing_module_is_listed(ds, tmp_path, monkeypatch):
    from critmin.report import extras

    def needs_absent(*_):
        raise ImportError("critmin.somewhere")

    monkeypatch.setattr(extras, "PROVIDERS", [("supply-risk methods", needs_absent)])
    r = report.build(ds, "JPN", 2023, tmp_path / "r.html")
    assert r["missing"] == ["supply-risk methods"]
    assert "supply-risk methods" in (tmp_path / "r.html").read_text(encoding="utf-8")
