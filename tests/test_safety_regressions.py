"""Issue 10 ("Nothing lost, nothing let in"): one regression test per reproduced item, written from its probe.

Items 10 (news date scanning), 11 (scenario sweep sizes) and the nested news JSON of item 12 belong to the
news and scenario tests. Each test here reproduces what the probe did and checks what must happen instead.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
import time
import warnings
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import critmin
from critmin.cli.main import app, main
from critmin.errors import CritminError, DataError, OfflineError, StoreError
from critmin.ingest import ingest, parse
from critmin.ingest.verify import verify

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
BACI_2023 = FIXTURES / "BACI_HS92_Y2023_V202501.csv"
WGI_SAMPLE = FIXTURES / "wgidataset_2024release_sample.csv"
runner = CliRunner()


def fingerprint(db: Path) -> dict:
    """Row count and an order-independent hash of every table of the store."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = sorted(r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
        out = {}
        for t in tables:
            cols = ", ".join(f'"{r[0]}"' for r in con.execute(f"DESCRIBE {t}").fetchall())
            out[t] = con.execute(f"SELECT count(*), bit_xor(hash({cols})) FROM {t}").fetchone()
        return out
    finally:
        con.close()


def count(db: Path, sql: str, params=()) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchone()[0]


def workbook(path: Path, sheets: dict[str, list[list]], years=(2020, 2021, 2022, 2023, 2024)) -> Path:
    """A workbook in the WMD table 6.4 layout (title row, header row, country rows)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, body in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([f"{name}: production of individual countries (World Mining Data 2026)"])
        ws.append(["Country", "unit", *years, "data source"])
        for r in body:
            ws.append(r)
    wb.save(path)
    return path


WMD_NAME = "6.4. Production_of_Mineral_Raw_Materials_of_individual_Countries_by_Minerals.xlsx"
ANTIMONY_HEADER = "Source,Country,Type,Prod_t_2022,Prod_t_est_2023,Prod_note\n"
ANTIMONY_ROWS = [
    'MCS2024,United States,"Mine production, contained antimony",0,0,\n',
    'MCS2024,Australia,"Mine production, contained antimony",2290,2300,\n',
]


# ---------------------------------------------------------------------------------------------------------
# 1. A small file silently replaces a large block


def test_truncated_usgs_file_does_not_replace_the_commodity(tmp_store, tmp_path):
    embedded = count(
        tmp_store, "SELECT count(*) FROM production WHERE edition = 'MCS 2024' AND commodity = 'antimony'"
    )
    assert embedded > 20  # the embedded MCS 2024 antimony rows the probe saw replaced by 2
    f = tmp_path / "mcs2024-antim_world.csv"
    f.write_text(ANTIMONY_HEADER + "".join(ANTIMONY_ROWS))  # cut at a line break: a valid but short file
    before = fingerprint(tmp_store)
    with pytest.raises(DataError) as err:
        ingest(tmp_store, "usgs", f)
    msg = str(err.value)
    assert "would remove data" in msg and "antimony/mine" in msg and "--replace" in msg
    assert f"{embedded - 4} of {embedded} rows" in msg  # 2 countries x 2 years are in the file
    assert fingerprint(tmp_store) == before
    assert verify(tmp_store).ok


def test_usgs_file_cut_mid_row_is_refused_as_truncated(tmp_store, tmp_path):
    f = tmp_path / "mcs2024-antim_world.csv"
    f.write_text(ANTIMONY_HEADER + ANTIMONY_ROWS[0] + ANTIMONY_ROWS[1][:40])
    with pytest.raises(DataError, match="does not end with a line break"):
        ingest(tmp_store, "usgs", f)


def test_wgi_sample_does_not_replace_the_embedded_release(tmp_store):
    before = fingerprint(tmp_store)
    with pytest.raises(DataError) as err:
        ingest(tmp_store, "wgi", WGI_SAMPLE)  # 8 rows against 10,321 embedded rows of pv and cc
    msg = str(err.value)
    assert "WGI '2024 release' indicator pv" in msg and "WGI '2024 release' indicator cc" in msg
    assert fingerprint(tmp_store) == before
    done = ingest(tmp_store, "wgi", WGI_SAMPLE, replace=True)  # said on purpose, it goes through
    assert done.status == "ingested" and done.removed > 10_000 and done.history_id == 1


def test_one_sheet_wmd_workbook_does_not_replace_cobalt(tmp_store, tmp_path):
    embedded = count(
        tmp_store, "SELECT count(*) FROM production WHERE edition = 'WMD 2026' AND commodity = 'cobalt'"
    )
    f = workbook(
        tmp_path / WMD_NAME,
        {
            "Cobalt": [
                ["Congo, D.R.", "metr. t", 98_000, 119_000, 130_000, 170_000, 220_000, "r"],
                ["Indonesia", "metr. t", 1_000, 2_700, 10_000, 17_000, 28_000, "e"],
                ["Australia", "metr. t", 5_600, 5_300, 5_900, 4_600, None, "r"],
            ]
        },
    )
    before = fingerprint(tmp_store)
    with pytest.raises(DataError, match=rf"WMD 'WMD 2026' cobalt/mine: \d+ of {embedded} rows"):
        ingest(tmp_store, "wmd", f)
    assert fingerprint(tmp_store) == before


def test_small_baci_file_does_not_replace_a_year_of_the_embedded_release(tmp_store):
    before = fingerprint(tmp_store)
    with pytest.raises(DataError) as err:
        ingest(tmp_store, "baci", BACI_2023, edition="HS92 2025 release")
    msg = str(err.value)
    assert "BACI 'HS92 2025 release' year 2023" in msg and "HS codes" in msg and "would disappear" in msg
    assert fingerprint(tmp_store) == before


def test_truncated_wgi_csv_is_refused(tmp_store, tmp_path):
    text = WGI_SAMPLE.read_text()
    cut = tmp_path / "wgi_cut.csv"
    cut.write_text(text.rstrip("\n")[:-7])  # the download stopped inside the last row
    with pytest.raises(DataError, match="does not end with a line break"):
        parse("wgi", cut)
    half = tmp_path / "wgi_half.csv"
    lines = text.splitlines()
    half.write_text("\n".join([*lines, lines[-1].split(",", 5)[0] + ",JPN,Japan,2022,pv"]) + "\n")
    p = parse("wgi", half)  # a half-written row that still ends with a line break
    assert p.rejects.count == 1 and "wrong number of fields" in p.rejects.first[0].reason


# ---------------------------------------------------------------------------------------------------------
# 2. Duplicate keys are refused, not summed


def test_duplicated_baci_row_is_refused_with_both_lines(tmp_store, tmp_path):
    f = tmp_path / BACI_2023.name
    lines = BACI_2023.read_text().splitlines()
    f.write_text("\n".join([*lines, lines[3]]) + "\n")  # line 4 again as line 12
    before = fingerprint(tmp_store)
    with pytest.raises(DataError) as err:
        ingest(tmp_store, "baci", f)
    assert f"{f.name}:12 [row]: duplicate of line 4" in str(err.value)
    assert fingerprint(tmp_store) == before
    done = ingest(tmp_store, "baci", f, skip_bad=True, rejects_path=tmp_path / "rej.csv")
    assert done.rows == 8 and done.bad_rows == 1  # the first occurrence is kept, once
    stored = count(
        tmp_store,
        "SELECT sum(value_kusd) FROM trade WHERE edition = 'HS92 V202501' AND hs6 = '284690' "
        "AND exporter = 'USA' AND importer = 'JPN'",
    )
    assert lines[3] == "2023,842,392,284690,50," and stored == 50  # not 100


def test_duplicated_usgs_row_is_refused(tmp_path):
    f = tmp_path / "mcs2024-antim_world.csv"
    f.write_text(ANTIMONY_HEADER + ANTIMONY_ROWS[1] + ANTIMONY_ROWS[0] + ANTIMONY_ROWS[1])
    p = parse("usgs", f)
    rows = pd.concat(list(p.chunks))
    assert p.rejects.count == 1 and p.rejects.first[0].line == 4
    assert "duplicate of line 2" in p.rejects.first[0].reason
    aus = rows[(rows["country"] == "AUS") & (rows["year"] == 2022)]["tonnes"]
    assert aus.tolist() == [2290.0]  # not 4,580


def test_duplicated_wmd_country_is_refused(tmp_path):
    row = ["Congo, D.R.", "metr. t", 98_000, 119_000, 130_000, 170_000, 220_000, "r"]
    f = workbook(tmp_path / WMD_NAME, {"Cobalt": [row, ["Indonesia", "metr. t", 1, 2, 3, 4, 5, "e"], row]})
    p = parse("wmd", f)
    rows = pd.concat(list(p.chunks))
    assert p.rejects.count == 1 and p.rejects.first[0].line == "Cobalt!5"
    assert "duplicate of Cobalt!3" in p.rejects.first[0].reason
    assert rows[(rows["country"] == "COD") & (rows["year"] == 2024)]["tonnes"].tolist() == [220_000.0]


# ---------------------------------------------------------------------------------------------------------
# 3. Non-finite numbers are refused


@pytest.mark.parametrize(
    ("v", "q"), [("inf", "1"), ("Infinity", "1"), ("1e400", "1"), ("5", "inf"), ("-inf", "1")]
)
def test_baci_infinite_values_are_bad_rows(tmp_path, v, q):
    f = tmp_path / BACI_2023.name
    f.write_text(f"t,i,j,k,v,q\n2023,156,392,284690,{v},{q}\n2023,156,392,280530,5,1\n")
    p = parse("baci", f)
    rows = pd.concat(list(p.chunks))
    assert p.rejects.count == 1 and p.rejects.first[0].line == 2
    assert np.isfinite(rows[["value_kusd", "tonnes"]].to_numpy(dtype=float)).all()


def test_usgs_and_wmd_infinite_values_are_bad_rows(tmp_path):
    f = tmp_path / "mcs2024-antim_world.csv"
    f.write_text(ANTIMONY_HEADER + 'MCS2024,Australia,"Mine production, contained antimony",inf,1e999,\n')
    p = parse("usgs", f)
    assert p.rejects.count == 1 and "not" in p.rejects.first[0].reason
    g = workbook(tmp_path / "w.xlsx", {"Cobalt": [["Indonesia", "metr. t", 111111, 222222, 3, 4, 5, "e"]]})
    # numeric cells too long for a float, as the probe wrote them into the sheet XML
    g = _patched(
        g,
        tmp_path / WMD_NAME,
        {b"<v>111111</v>": b"<v>" + b"9" * 400 + b"</v>", b"<v>222222</v>": b"<v>1E+999</v>"},
    )
    q = parse("wmd", g)
    rows = pd.concat(list(q.chunks))
    assert q.rejects.count >= 1 and all("finite" in r.reason or "number" in r.reason for r in q.rejects.first)
    assert np.isfinite(rows["tonnes"].to_numpy(dtype=float)).all()


def test_the_writer_refuses_non_finite_values_whatever_a_parser_lets_through(tmp_store, monkeypatch):
    from critmin.ingest import baci

    real = baci._validate

    def leaky(df, *args, **kw):
        for chunk in real(df, *args, **kw):
            chunk.loc[chunk.index[0], "value_kusd"] = float("inf")
            yield chunk

    monkeypatch.setattr(baci, "_validate", leaky)
    before = fingerprint(tmp_store)
    with pytest.raises(DataError, match="not a finite number"):
        ingest(tmp_store, "baci", BACI_2023)
    assert fingerprint(tmp_store) == before


# ---------------------------------------------------------------------------------------------------------
# 4. Embedded country names are real UTF-8


def test_embedded_country_names_are_not_garbled(ds):
    names = ds.con.execute("SELECT iso3, name, aliases FROM countries").fetchall()
    garbled = [(i, n) for i, n, a in names if "Ã" in n or "Â" in n or any("Ã" in x for x in a)]
    assert garbled == []
    by_iso = {i: n for i, n, _ in names}
    assert by_iso["CUW"] == "Curaçao" and by_iso["BLM"] == "Saint Barthélemy"


def test_curacao_resolves_by_its_name(store_path):
    from critmin.reference.blocs import party

    assert party("Curaçao").members == ("CUW",) or "CUW" in party("Curaçao").members
    res = runner.invoke(app, ["--db", str(store_path), "exposure", "--for", "Curaçao", "--year", "2023"])
    assert "unknown country" not in (res.output + str(res.exception or ""))


# ---------------------------------------------------------------------------------------------------------
# 5. Downloads cannot write outside their folder


@pytest.fixture()
def http_dir(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", ["{target}", "../../../../../..{target}", "..%2F..%2F..{target}"])
def test_update_url_name_cannot_write_outside_the_download_folder(http_dir, tmp_store, tmp_path, name):
    from critmin.ingest import update as upd

    root, base = http_dir
    (root / "MCS2025_World_Data.csv").write_bytes((FIXTURES / "MCS2025_World_Data.csv").read_bytes())
    target = tmp_path / "elsewhere" / "written.csv"
    target.parent.mkdir()
    url = f"{base}/MCS2025_World_Data.csv?name=" + name.format(target=target)
    reports = upd.update(tmp_store, "usgs", url=url, timeout=2)
    assert reports[0].status == "ingested"
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_download_names_are_plain_names():
    from critmin.ingest.update import RELEASES, download_name

    usgs = RELEASES["usgs"]
    assert download_name("http://h/x.csv?name=/etc/cron.d/evil", usgs) == "evil"
    assert download_name("http://h/x.csv?name=..%2F..%2Fa.csv", usgs) == "a.csv"
    assert download_name("http://h/x?name=..", usgs) == "x"
    assert download_name("http://h/", usgs) == usgs.file_name
    assert download_name("http://h/d/BACI_HS92_V202601.zip", RELEASES["baci"]) == "BACI_HS92_V202601.zip"


# ---------------------------------------------------------------------------------------------------------
# 6. CSV exports neutralise formulas


FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tx",
    "\rx",
    "=cmd|' /C calc'!A0",
]


def test_the_shared_csv_writer_neutralises_formula_cells(tmp_path):
    from critmin.cli.common import write_table

    df = pd.DataFrame({"text": [*FORMULAS, "-5", "+1.5e3", "plain"], "n": range(10)})
    out = write_table(df, tmp_path / "x.csv")
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    # prefixed with a quote; a carriage return inside a cell is written as a line break (in a quoted cell)
    assert back["text"].tolist()[:7] == ["'" + f.replace("\r", "\n") for f in FORMULAS]
    assert back["text"].tolist()[7:] == ["-5", "+1.5e3", "plain"]  # numbers written as text stay numbers
    assert back["n"].tolist() == [str(i) for i in range(10)]


def test_no_csv_is_written_outside_the_shared_writer():
    src = Path(critmin.__file__).parent
    offenders = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if ".to_csv(" in p.read_text() and p.name not in ("untrusted.py", "build.py")
    ]
    assert offenders == []


def test_rejects_csv_neutralises_values_from_the_file(tmp_store, tmp_path):
    f = tmp_path / BACI_2023.name
    f.write_text(BACI_2023.read_text() + "2023,156,392,280530,=cmd|' /C calc'!A0,1\n")
    rej = tmp_path / "rejects.csv"
    ingest(tmp_store, "baci", f, skip_bad=True, rejects_path=rej)
    got = pd.read_csv(rej, dtype=str)
    assert got["value"].tolist() == ["'=cmd|' /C calc'!A0"]


def test_restrictions_and_partnerships_csv_exports_are_neutralised(tmp_store, tmp_path):
    db = ["--db", str(tmp_store)]
    res = runner.invoke(
        app,
        [*db, "restrictions", "add", "-i", "CHN", "-c", "gallium", "--type", "licence", "--effective",
         "2025-01-01", "--title", '=HYPERLINK("http://evil.example","click")', "--id", "evil-1"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = tmp_path / "r.csv"
    assert runner.invoke(app, [*db, "restrictions", "export", "--out", str(out)]).exit_code == 0
    titles = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("id")["title"]
    assert titles["evil-1"] == '\'=HYPERLINK("http://evil.example","click")'
    from critmin.scenarios.registry import read_file

    back = {r["id"]: r for r in read_file(out)}
    assert back["evil-1"]["title"] == '=HYPERLINK("http://evil.example","click")'  # the round trip is exact
    res = runner.invoke(
        app,
        [
            *db,
            "partnerships",
            "add",
            "-p",
            "JPN,ITA",
            "-l",
            "@strategic",
            "-d",
            "2026-01-16",
            "--id",
            "p-evil",
        ],
    )
    assert res.exit_code == 0, res.output
    pout = tmp_path / "p.csv"
    assert (
        runner.invoke(app, [*db, "partnerships", "list", "--unreviewed", "--out", str(pout)]).exit_code == 0
    )
    levels = pd.read_csv(pout, dtype=str, keep_default_na=False).set_index("id")["level"]
    assert levels["p-evil"] == "'@strategic"


# ---------------------------------------------------------------------------------------------------------
# 7. Terminal output of untrusted text is escaped


def test_restriction_fields_cannot_inject_markup_or_escape_sequences(tmp_store):
    db = ["--db", str(tmp_store)]
    title = "[link=http://evil.example]official[/link] \x1b]8;;http://evil.example\x1b\\x\x1b]8;;\x1b\\ \x1b[31mred"
    res = runner.invoke(
        app,
        [*db, "restrictions", "add", "-i", "CHN", "-c", "gallium", "--type", "licence", "--effective",
         "2025-01-01", "--title", title, "--notes", "bell\x07 and \u202ereversed", "--id", "evil-2"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    for args in (["restrictions", "show", "evil-2"], ["restrictions", "list", "--commodity", "gallium"]):
        out = runner.invoke(app, [*db, *args], env={"COLUMNS": "400"}).output
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        if args[1] == "show":
            flat = out.replace("\n", "").replace("│", "").replace(" ", "")
            assert "[link=http://evil.example]official[/link]" in flat  # shown as text, not a link
            assert "\\x1b]8;;" in flat and "\\u202e" in flat


def test_terminal_text_escapes_markup_and_controls():
    from critmin.untrusted import plain_text, terminal_text

    assert terminal_text("[bold]x[/bold]") == "\\[bold]x\\[/bold]"
    assert plain_text("a\x1b[2Jb\x00c\x9bd\u2066e") == "a\\x1b[2Jb\\x00c\\x9bd\\u2066e"
    assert plain_text("line\nbreak\ttab") == "line break tab"


# ---------------------------------------------------------------------------------------------------------
# 8. The fetch deadline holds whatever the server does


class _Drip(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        try:
            if self.path == "/slow-headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for _ in range(60):  # one header byte every 0.2 s
                    self.wfile.write(b"X")
                    self.wfile.flush()
                    time.sleep(0.2)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "60")
            self.end_headers()
            for _ in range(60):  # one body byte every 0.2 s: each read succeeds, the whole takes 12 s
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass


@pytest.fixture()
def drip_server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("path", ["/slow-body", "/slow-headers"])
def test_fetch_deadline_holds_against_a_dripping_server(drip_server, path):
    from critmin.news.fetch import fetch_url

    # every single read gets a byte within the 1 s timeout; without an enforced overall deadline the fetch
    # would return the whole body after 12 s instead of failing
    with pytest.raises(OfflineError, match=r"overall limit of 1\.5 s"):
        fetch_url(f"{drip_server}{path}", timeout=1, deadline=1.5, allow_networks=["127.0.0.1/32"])


# ---------------------------------------------------------------------------------------------------------
# 9. Bounded memory while parsing


def test_usgs_zip_unpacking_beyond_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    from critmin.ingest import usgs

    monkeypatch.setattr(usgs, "MAX_INPUT_BYTES", 1 << 20)
    z = tmp_path / "MCS2024_World_Data.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:  # 2 MB that compress to a few KB
        zf.writestr("mcs2024-antim_world.csv", ANTIMONY_HEADER + ANTIMONY_ROWS[1] * 30_000)
    assert z.stat().st_size < 50_000
    with pytest.raises(DataError, match="above the 1,048,576-byte limit"):
        parse("usgs", z)


def _usgs_big(path: Path, n: int) -> Path:
    from critmin.reference.countries import index

    names = sorted({v for v in index().names.values() if "," not in v})
    with open(path, "w") as fh:
        fh.write("SOURCE,COMMODITY,COUNTRY,TYPE,UNIT_MEAS,PROD_2023,PROD_EST_ 2024\n")
        for i in range(n):
            kind = "Mine production, cobalt content" if i % 3 else "Plant capacity"
            fh.write(
                f'MCS2025,Cobalt,{names[i % len(names)]},"{kind} {i // len(names)}",metric tons,{i},{i + 1}\n'
            )
    return path


def test_usgs_parsing_memory_does_not_grow_with_the_file(tmp_path, monkeypatch):
    """The probe: 20 MB took 1.1 GB (a dict per cell). Read in chunks, Python's peak allocation for a 2 MB
    file stays within a bound that the old reader (about 55 bytes of memory per byte of file) exceeded."""
    import tracemalloc

    from critmin.ingest import usgs

    f = _usgs_big(tmp_path / "MCS2025_World_Data.csv", 30_000)
    monkeypatch.setattr(usgs, "CHUNK_CELLS", 5_000)
    parse("usgs", f)  # warm caches (catalogue, countries) outside the measurement
    tracemalloc.start()
    p = parse("usgs", f)
    rows = pd.concat(list(p.chunks))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(rows) > 0 and p.stats["rows_read"] == 60_000
    assert peak < 12 * f.stat().st_size


def test_usgs_results_do_not_depend_on_the_chunk_size(tmp_path, monkeypatch):
    from critmin.ingest import usgs

    f = _usgs_big(tmp_path / "MCS2025_World_Data.csv", 3_000)
    whole = pd.concat(list(parse("usgs", f).chunks)).sort_values(["country", "year"]).reset_index(drop=True)
    monkeypatch.setattr(usgs, "CHUNK_CELLS", 97)
    chunked = pd.concat(list(parse("usgs", f).chunks)).sort_values(["country", "year"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(whole, chunked)


def test_wmd_results_do_not_depend_on_the_chunk_size(tmp_path, monkeypatch):
    from critmin.ingest import wmd

    body = [
        [c, "metr. t", 10 * i, 20 * i, 30 * i, 40 * i, 50 * i, "r"]
        for i, c in enumerate(
            ["Congo, D.R.", "Indonesia", "Australia", "China", "Russia", "Canada", "Cuba", "Philippines"],
            start=1,
        )
    ]
    f = workbook(tmp_path / WMD_NAME, {"Cobalt": body, "Platinum": body[:3], "Palladium": body[2:6]})
    whole = pd.concat(list(parse("wmd", f).chunks)).sort_values(["commodity", "country", "year"])
    monkeypatch.setattr(wmd, "CHUNK_CELLS", 7)
    chunked = pd.concat(list(parse("wmd", f).chunks)).sort_values(["commodity", "country", "year"])
    pd.testing.assert_frame_equal(whole.reset_index(drop=True), chunked.reset_index(drop=True))


# ---------------------------------------------------------------------------------------------------------
# 12. Malformed inputs give an error naming the file, not a traceback


def test_csv_fields_over_the_limit_are_a_data_error(tmp_path):
    f = tmp_path / "mcs2024-antim_world.csv"
    f.write_text(ANTIMONY_HEADER + 'MCS2024,"' + "A" * 200_000 + '",x,1,2,\n')
    with pytest.raises(DataError, match=r"mcs2024-antim_world.csv:2: not a readable CSV file \(field larger"):
        parse("usgs", f)
    g = tmp_path / "wgi.csv"
    g.write_text(WGI_SAMPLE.read_text() + "x" * 200_000 + "\n")
    with pytest.raises(DataError, match="field larger than field limit"):
        parse("wgi", g)


def test_usgs_garbage_bytes_are_a_data_error(tmp_path):
    rng = np.random.default_rng(10)
    for i in range(5):
        f = tmp_path / f"mcs2024-antim_world{i}.csv"
        f.write_bytes(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes() + b"\n")
        f = f.rename(tmp_path / "mcs2024-antim_world.csv")
        with pytest.raises(CritminError):
            pd.concat(list(parse("usgs", f).chunks))


def _patched(
    path: Path, out: Path, replace: dict[bytes, bytes], part: str = "xl/worksheets/sheet1.xml"
) -> Path:
    """A copy of a workbook with bytes of one XML part replaced."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == part:
                for old, new in replace.items():
                    assert old in data
                    data = data.replace(old, new)
            dst.writestr(item, data)
    return out


def _with_dtd(path: Path, part: str = "xl/worksheets/sheet1.xml") -> Path:
    """Rewrite one XML part of a workbook with a DTD declaring an entity (a "billion laughs" seed)."""
    out = path.with_name("dtd-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == part:
                head, _, rest = data.partition(b"?>")
                data = (
                    head
                    + b'?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                    + rest
                )
            dst.writestr(item, data)
    return out


def test_workbook_xml_with_a_dtd_is_refused(tmp_path):
    good = workbook(tmp_path / WMD_NAME, {"Cobalt": [["Indonesia", "metr. t", 1, 2, 3, 4, 5, "e"]]})
    bad = _with_dtd(good)
    named = tmp_path / "bad" / WMD_NAME
    named.parent.mkdir()
    bad.rename(named)
    with pytest.raises(DataError, match="declares a DTD"):
        parse("wmd", named)
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["code", "countryname", "year", "indicator", "estimate"])
    wb.active.append(["JPN", "Japan", 2023, "pv", 1.0])
    wb.save(tmp_path / "wgidataset.xlsx")
    wgi_bad = _with_dtd(tmp_path / "wgidataset.xlsx")
    with pytest.raises(DataError, match="declares a DTD"):
        parse("wgi", wgi_bad)


def test_the_cli_prints_one_error_line_without_a_traceback(tmp_store, tmp_path, capsys):
    f = tmp_path / "mcs2024-antim_world.csv"
    f.write_bytes(b"\x00\x01garbage\xff\xfe" * 100 + b"\n")
    with pytest.raises(SystemExit) as code:
        main(["--db", str(tmp_store), "data", "ingest", "usgs", str(f)])
    err = capsys.readouterr().err.strip()  # (a transient progress bar may leave a blank line when not a tty)
    assert code.value.code == 2 and err.startswith("error: ") and "Traceback" not in err
    assert f.name in err and err.count("\n") == 0


def test_unexpected_exceptions_are_one_line_unless_debugging(tmp_store, monkeypatch, capsys):
    import critmin.ingest.writer as writer

    def boom(*a, **k):
        raise RuntimeError("something broke\nsecond line")

    monkeypatch.setattr(writer, "ingest", boom)
    monkeypatch.delenv("CRITMIN_DEBUG", raising=False)
    with pytest.raises(SystemExit) as code:
        main(["--db", str(tmp_store), "data", "ingest", "baci", str(BACI_2023)])
    err = capsys.readouterr().err.strip()
    assert code.value.code == 1 and "Traceback" not in err
    assert err.count("\n") == 0 and "unexpected RuntimeError: something broke" in err and "--debug" in err
    with pytest.raises(RuntimeError, match="something broke"):
        main(["--db", str(tmp_store), "--debug", "data", "ingest", "baci", str(BACI_2023)])
    assert "CRITMIN_DEBUG" not in os.environ  # --debug is this command's, not the process's
    monkeypatch.setenv("CRITMIN_DEBUG", "1")
    with pytest.raises(RuntimeError, match="something broke"):
        main(["--db", str(tmp_store), "data", "ingest", "baci", str(BACI_2023)])


# ---------------------------------------------------------------------------------------------------------
# 13. Readers work while an ingest runs; a second writer waits with a clear message

HOLDER = """
import pathlib, sys, time
from critmin.ingest.writer import ingest

store, csv, marker, go = sys.argv[1:5]

def progress(stage, done, total):
    if f"{stage}:{done}" == "writing:2":  # the old rows are deleted inside the open write
        pathlib.Path(marker).write_text("held")
        deadline = time.monotonic() + 120
        while not pathlib.Path(go).exists() and time.monotonic() < deadline:
            time.sleep(0.05)

ingest(store, "baci", csv, edition="HS92 2025 release", replace=True, progress=progress)
"""


def test_readers_keep_reading_and_writers_wait_while_an_ingest_runs(tmp_store, tmp_path):
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    marker, go = tmp_path / "marker", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(critmin.__file__).parents[1])}
    rows_2023 = "SELECT count(*) FROM trade WHERE edition = 'HS92 2025 release' AND year = 2023"
    before = count(tmp_store, rows_2023)
    critmin.open(tmp_store).close()  # a store in use: its derived basis tables are built
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_store), str(BACI_2023), str(marker), str(go)], env=env
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        # readers: the last committed state, at once (the probe got "cannot open the store ... for writing")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # not even a warning: nothing is stale yet
            ds = critmin.open(tmp_store)
        with ds:
            assert ds.con.execute(rows_2023).fetchone()[0] == before
            assert not ds.store.status().empty
        res = runner.invoke(app, ["--db", str(tmp_store), "data", "status"], env={"COLUMNS": "250"})
        assert res.exit_code == 0 and "HS92 2025 release" in res.output
        # another writer waits, then says who holds the store
        os.environ["CRITMIN_LOCK_WAIT"] = "0.5"
        try:
            with pytest.raises(StoreError, match=r"is being written by `.*holder.py.*` \(pid"):
                ingest(tmp_store, "wgi", WGI_SAMPLE, replace=True)
        finally:
            del os.environ["CRITMIN_LOCK_WAIT"]
        go.write_text("go")
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert count(tmp_store, rows_2023) == 8  # the committed ingest is what readers see next
    assert verify(tmp_store).ok
