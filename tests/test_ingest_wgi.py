"""World Bank WGI parser: the 2024-release long layout as xlsx and CSV, legacy codes, validation."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import DataError
from critmin.ingest import parse

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
SAMPLE = FIXTURES / "wgidataset_2024release_sample.csv"


def rows(parsed) -> pd.DataFrame:
    return pd.concat(list(parsed.chunks), ignore_index=True)


def _xlsx(path: Path, records: list[list], title_rows: int = 0) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "wgidataset"
    for i in range(title_rows):
        ws.append([f"Worldwide Governance Indicators, 2024 Update (note {i})"])
    for r in records:
        ws.append(r)
    wb.save(path)
    return path


def _records() -> list[list]:
    with open(SAMPLE, newline="") as fh:
        out = list(csv.reader(fh))
    # the workbook stores numbers as numbers and '..' for missing values
    return [out[0]] + [
        [float(c) if c.replace(".", "", 1).replace("-", "", 1).isdigit() else c for c in r] for r in out[1:]
    ]


def test_csv_export_legacy_codes_and_missing_estimates():
    p = parse("wgi", SAMPLE)
    df = rows(p).set_index(["country", "year", "indicator"])
    assert p.edition == "2024 release" and p.table == "governance"
    assert df.loc[("ROU", 2023, "pv"), "estimate"] == 0.55  # ROM -> ROU
    assert df.loc[("COD", 2023, "pv"), "estimate"] == -2.2  # ZAR -> COD
    assert ("XKX", 2023, "pv") not in df.index  # '..' = no estimate, dropped (not an error)
    assert df.loc[("JPN", 2023, "cc"), "pctrank"] == 89.6
    assert p.stats["no_estimate"] == 1 and p.rejects.count == 0


def test_official_xlsx_with_title_rows(tmp_path):
    f = _xlsx(tmp_path / "wgidataset.xlsx", _records(), title_rows=2)
    p = parse("wgi", f)
    df = rows(p)
    assert len(df) == 6 and p.edition == "2024 release"
    assert df.set_index(["country", "year", "indicator"]).loc[("JPN", 2022, "pv"), "estimate"] == 1.08


def test_edition_override():
    assert parse("wgi", SAMPLE, edition="2024 release (Sept 2024)").edition == "2024 release (Sept 2024)"


def test_bad_rows_named_by_sheet_line_and_field(tmp_path):
    recs = _records()
    recs.append(["XXXpv2023", "XXX", "Atlantis", 2023, "pv", 0.1, 0.2, 3, 50, 40, 60])  # row 10
    recs.append(["JPNzz2023", "JPN", "Japan", 2023, "zz", 0.1, 0.2, 3, 50, 40, 60])  # row 11
    recs.append(["JPNva2023", "JPN", "Japan", 2023, "va", 9.9, 0.2, 3, 50, 40, 60])  # row 12
    recs.append(["JPNva2023", "JPN", "Japan", 2023, "ge", 1.0, 0.2, 3, 150, 40, 60])  # row 13
    f = _xlsx(tmp_path / "wgidataset.xlsx", recs, title_rows=1)
    p = parse("wgi", f)
    rows(p)
    got = {(r.line, r.field) for r in p.rejects.first}
    assert got == {(10, "code"), (11, "indicator"), (12, "estimate"), (13, "pctrank")}
    assert all(r.file == "wgidataset.xlsx[wgidataset]" for r in p.rejects.first)


def test_wide_legacy_workbook_is_refused_clearly(tmp_path):
    f = _xlsx(
        tmp_path / "wgidataset.xlsx", [["Country/Territory", "Code", "1996", "1998"], ["Japan", "JPN", 1, 1]]
    )
    with pytest.raises(DataError, match="2024-release long layout"):
        parse("wgi", f)


@pytest.mark.shared
def test_release_csv_equals_the_embedded_2024_release(shared_dir, ds):
    p = parse("wgi", shared_dir / "data" / "wgi" / "wgi_2024release_six_dimensions_1996_2023_long.csv")
    df = rows(p)
    assert p.edition == "2024 release" and p.rejects.count == 0
    emb = ds.con.execute("SELECT * FROM governance WHERE edition = '2024 release'").df()
    key = ["country", "year", "indicator"]
    m = df.astype({"year": int}).merge(emb.astype({"year": int}), on=key, how="outer", indicator=True)
    assert (m["_merge"] == "both").all() and len(m) == len(emb)
    for c in ("estimate", "stddev", "nsource", "pctrank"):
        assert (m[f"{c}_x"] - m[f"{c}_y"]).abs().max() == 0


def test_a_file_with_a_header_and_no_rows_is_a_clear_error(tmp_path):
    # found by the fuzzer: an empty table used to end in pandas' "Can only use .str accessor" AttributeError
    f = tmp_path / "wgidataset_header_only.csv"
    f.write_text(SAMPLE.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="no usable rows"):
        list(parse("wgi", f).chunks)
    # with the edition given, no rows is no rows (nothing to ingest), not a crash
    assert sum(len(c) for c in parse("wgi", f, edition="2024 release").chunks) == 0
