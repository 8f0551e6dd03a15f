"""CEPII BACI parser: codes mapped, catalogue filter, bad rows named by file:line and field, zip releases."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.errors import DataError
from critmin.ingest import baci, parse
from critmin.ingest.common import Rejects

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
YEAR_FILE = FIXTURES / "BACI_HS92_Y2023_V202501.csv"


def rows(parsed) -> pd.DataFrame:
    chunks = list(parsed.chunks)
    cols = ["year", "exporter", "importer", "hs6", "value_kusd", "tonnes", "source", "edition"]
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=cols)


def test_yearly_file_maps_codes_and_keeps_only_catalogue_codes():
    p = parse("baci", YEAR_FILE)
    df = rows(p)
    assert p.edition == "HS92 V202501" and p.table == "trade"
    assert p.stats == {"rows_read": 10, "outside_catalogue": 2, "kept": 8}  # 080211 almonds, 270900 crude oil
    assert p.rejects.count == 0
    assert list(df.columns) == [
        "year",
        "exporter",
        "importer",
        "hs6",
        "value_kusd",
        "tonnes",
        "source",
        "edition",
        # where each row comes from and the file's own country codes (for duplicate checks), not stored
        "_file",
        "_line",
        "_i",
        "_j",
    ]
    assert p.extra_columns == ("_file", "_line", "_i", "_j")
    jpn = df[df["importer"] == "JPN"].set_index(["exporter", "hs6"])
    assert jpn.loc[("CHN", "284690"), "value_kusd"] == 1200.5
    assert jpn.loc[("CHN", "284690"), "tonnes"] == 310.25
    assert jpn.loc[("TWN", "280530"), "value_kusd"] == 20.125  # BACI 490 'Other Asia, nes' = Taiwan
    assert pd.isna(jpn.loc[("USA", "284690"), "tonnes"])  # blank quantity
    ita = df[(df["importer"] == "ITA") & (df["exporter"] == "FRA")]
    assert pd.isna(ita["tonnes"].iloc[0])  # space-padded NA of older BACI files
    assert df["hs6"].str.len().eq(6).all()
    assert (df["source"] == "BACI").all()


def test_edition_from_name_or_option():
    assert baci.edition_from_name("BACI_HS92_Y2023_V202501.csv") == "HS92 V202501"
    assert baci.edition_from_name("BACI_HS92_V202401b.zip") == "HS92 V202401b"
    assert baci.edition_from_name("trade.csv") is None
    assert parse("baci", YEAR_FILE, edition="HS92 custom").edition == "HS92 custom"


def test_file_name_without_release_needs_edition(tmp_path):
    f = tmp_path / "trade.csv"
    f.write_text(YEAR_FILE.read_text())
    with pytest.raises(DataError, match="--edition"):
        parse("baci", f)


def test_other_nomenclatures_are_refused(tmp_path):
    f = tmp_path / "BACI_HS17_Y2023_V202501.csv"
    f.write_text(YEAR_FILE.read_text())
    with pytest.raises(DataError, match="HS92"):
        parse("baci", f)


def test_missing_column_is_named(tmp_path):
    f = tmp_path / "BACI_HS92_Y2023_V202501.csv"
    f.write_text("t,i,j,k,v\n2023,156,392,284690,1\n")
    with pytest.raises(DataError) as err:
        rows(parse("baci", f))
    assert err.value.line == 1 and "q" in str(err.value)


def test_bad_rows_carry_file_line_field_and_reason(tmp_path):
    f = tmp_path / "BACI_HS92_Y2022_V202501.csv"
    f.write_text(
        "t,i,j,k,v,q\n"
        "2022,156,392,284690,10,1\n"  # line 2 good
        "2022,999,392,284690,10,1\n"  # line 3 unknown exporter code
        "2022,156,392\n"  # line 4 too few fields
        "2022,156,392,2846x0,10,1\n"  # line 5 HS code not digits
        "2022,156,392,280530,-4,1\n"  # line 6 negative value
        "1850,156,392,280530,4,1\n"  # line 7 implausible year
        "2022,156,392,280530,4,lots\n"  # line 8 quantity not a number
        "2022,156,392,280530,4,2\n"  # line 9 good
    )
    p = parse("baci", f)
    df = rows(p)
    assert len(df) == 2
    got = {(r.line, r.field) for r in p.rejects.first}
    assert got == {(3, "i"), (4, "row"), (5, "k"), (6, "v"), (7, "t"), (8, "q")}
    assert all(r.file == f.name for r in p.rejects.first)
    reasons = {r.line: r.reason for r in p.rejects.first}
    assert "unknown BACI country code" in reasons[3]
    assert "negative" in reasons[6]


def _zip(tmp_path: Path, name: str = "BACI_HS92_V202501.zip", country_codes: str | None = None) -> Path:
    z = tmp_path / name
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(
            "BACI_HS92_Y2022_V202501.csv", "t,i,j,k,v,q\n2022,156,392,284690,10,1\n2022,156,392,10121,5,1\n"
        )
        zf.writestr("BACI_HS92_Y2023_V202501.csv", YEAR_FILE.read_text())
        zf.writestr("product_codes_HS92_V202501.csv", "code,description\n284690,Rare-earth compounds\n")
        zf.writestr("Readme.txt", "BACI")
        if country_codes is not None:
            zf.writestr("country_codes_V202501.csv", country_codes)
    return z


def test_release_zip_reads_every_year(tmp_path):
    p = parse("baci", _zip(tmp_path))
    df = rows(p)
    assert p.edition == "HS92 V202501"
    assert sorted(df["year"].unique()) == [2022, 2023]
    assert p.stats["rows_read"] == 12 and p.stats["outside_catalogue"] == 3


def test_zip_country_dictionary_extends_the_mapping(tmp_path):
    # a release that gives code 900 to Japan: the zip's own dictionary is used
    codes = "country_code,country_name,country_iso2,country_iso3\n900,Japan (new code),JP,JPN\n490,Other Asia,,S19\n"
    z = tmp_path / "BACI_HS92_V209901.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("BACI_HS92_Y2023_V209901.csv", "t,i,j,k,v,q\n2023,490,900,284690,3,1\n")
        zf.writestr("country_codes_V209901.csv", codes)
    df = rows(parse("baci", z))
    assert df[["exporter", "importer"]].values.tolist() == [["TWN", "JPN"]]


def test_zip_without_yearly_files_is_refused(tmp_path):
    z = tmp_path / "BACI_HS92_V202501.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("Readme.txt", "nothing")
    with pytest.raises(DataError, match="no BACI yearly file"):
        parse("baci", z)


def test_progress_reports_bytes(tmp_path):
    seen = []
    rows(parse("baci", YEAR_FILE, progress=lambda stage, done, total: seen.append((stage, done, total))))
    assert seen and seen[-1] == ("reading", YEAR_FILE.stat().st_size, YEAR_FILE.stat().st_size)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["284690", "280530", "282520", "10121", "270900"]),
            st.sampled_from([156, 392, 842, 490, 251]),
            st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 3)),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_value_is_conserved_for_catalogue_rows(tmp_path, flows):
    """Every catalogue row's value reaches the output once; the rest is counted as outside the catalogue."""
    f = tmp_path / "BACI_HS92_Y2021_V202501.csv"
    body = "".join(f"2021,{exp},380,{k},{v},1\n" for k, exp, v in flows)
    f.write_text("t,i,j,k,v,q\n" + body)
    p = parse("baci", f, rejects=Rejects())
    df = rows(p)
    in_cat = [v for k, _, v in flows if k in ("284690", "280530", "282520")]
    assert len(df) == len(in_cat)
    assert df["value_kusd"].sum() == pytest.approx(sum(in_cat))
    assert p.stats["outside_catalogue"] == len(flows) - len(in_cat)
