"""USGS MCS parsers: per-commodity world files, MCS2025 world data, MCS2026 commodities data; catalogue mapping."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import DataError
from critmin.ingest import parse, usgs
from critmin.ingest.common import parse_number

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def rows(parsed) -> pd.DataFrame:
    return pd.concat(list(parsed.chunks), ignore_index=True)


def by_key(df: pd.DataFrame) -> dict:
    return {(r.commodity, r.stage, r.country, int(r.year)): r for r in df.itertuples()}


@pytest.mark.parametrize(
    ("raw", "value", "estimated", "problem"),
    [
        ("74,700", 74700.0, False, None),
        ("e44000", 44000.0, True, None),
        ("W", None, False, None),
        ("NA", None, False, None),
        ("XX", None, False, None),
        ("—", None, False, None),
        ("", None, False, None),
        ("<100", None, False, None),
        ("Less than ½ unit.", None, False, None),
        ("Included with ilmenite", None, False, None),
        ("12a", None, False, "not a number"),
        (1.5, 1.5, False, None),
    ],
)
def test_official_cell_values(raw, value, estimated, problem):
    assert parse_number(raw) == (value, estimated, problem)


def test_world_file_special_values_footnotes_and_aggregates():
    p = parse("usgs", FIXTURES / "mcs2024-lithi_world.csv")
    df = rows(p)
    assert p.edition == "MCS 2024" and p.table == "production" and p.rejects.count == 0
    got = by_key(df)
    assert got[("lithium", "mine", "AUS", 2022)].tonnes == 74700  # thousands separator
    assert got[("lithium", "mine", "AUS", 2023)].estimated  # Prod_t_est_2023 column
    assert not got[("lithium", "mine", "AUS", 2022)].estimated
    assert got[("lithium", "mine", "CHN", 2023)].tonnes == 33000  # 'Chinae' footnote letter
    assert got[("lithium", "mine", "ROW", 2022)].tonnes == 1500  # 'Other countries6' -> rest of world
    assert not any(k[2] == "USA" for k in got)  # W = withheld, not zero
    assert not any(k[2] == "NAM" for k in got)  # dash and NA
    assert len(df) == 10  # world total dropped
    assert p.stats["withheld_or_na"] == 4
    assert set(df["series"]) == {"lithi: (?i)mine production"} and set(df["basis"]) == {"Li"}


def test_units_in_headers_convert_to_tonnes(tmp_path):
    f = tmp_path / "mcs2024-coppe_world.csv"
    f.write_text(
        "Source,Country,Type,Prod_kt_2022,Prod_kt_est_2023,Prod_notes\n"
        'MCS2024,Chile,"Mine production, recoverable copper content",5330,5000,\n'
        'MCS2024,Chile,"Refinery production, copper",2100,2000,\n'
        'MCS2024,Chile,"Plant capacity",2500,2500,\n'
    )
    p = parse("usgs", f)
    got = by_key(rows(p))
    assert got[("copper", "mine", "CHL", 2022)].tonnes == 5_330_000
    assert got[("copper", "refined", "CHL", 2023)].tonnes == 2_000_000
    assert p.stats["outside_catalogue"] == 2  # plant capacity is no catalogue series


def test_qualified_header_and_type_as_header(tmp_path):
    # titanium sponge headers carry a qualifier; one MCS 2024 file has the type text as third header
    f = tmp_path / "mcs2024-titan_world.csv"
    f.write_text(
        "Source,Country,Type,Prod_Sponge_t_Est_2022,Prod_Sponge_t_Est_2023,Prod_notes\n"
        "MCS2024,Japan,Sponge Metal Production and Sponge and Pigment Capacity,50000,55000,\n"
    )
    got = by_key(rows(parse("usgs", f)))
    assert (
        got[("titanium", "refined", "JPN", 2023)].tonnes == 55000
        and got[("titanium", "refined", "JPN", 2023)].estimated
    )
    g = tmp_path / "mcs2024-fluor_world.csv"
    g.write_text(
        'Source,Country,"Mine production, fluorspar",Prod_kt_2022,Prod_kt_Est_2023,Prod_notes\n'
        'MCS2024,Mexico,"Mine production, fluorspar",1060,1100,\n'
    )
    got = by_key(rows(parse("usgs", g)))
    assert got[("fluorspar", "mine", "MEX", 2022)].tonnes == 1_060_000


def test_bad_cells_and_unknown_countries_are_rejected_with_line(tmp_path):
    f = tmp_path / "mcs2024-cobal_world.csv"
    f.write_text(
        "Source,Country,Type,Prod_t_2022,Prod_t_est_2023\n"
        'MCS2024,Australia,"Mine production, contained cobalt",5900,4600\n'
        'MCS2024,Atlantis,"Mine production, contained cobalt",100,100\n'
        'MCS2024,Canada,"Mine production, contained cobalt",3x00,3900\n'
        'MCS2024,Cuba,"Mine production, contained cobalt",-3,3800\n'
    )
    p = parse("usgs", f)
    bad = {(r.line, r.field): r for r in p.rejects.first}
    assert set(bad) == {(3, "Country"), (4, "2022 value"), (5, "2022 value")}
    assert "unknown country" in bad[(3, "Country")].reason
    assert bad[(4, "2022 value")].value == "3x00"
    assert "negative" in bad[(5, "2022 value")].reason


def test_file_name_must_carry_the_commodity_code(tmp_path):
    f = tmp_path / "lithium.csv"
    f.write_text((FIXTURES / "mcs2024-lithi_world.csv").read_text(encoding="utf-8-sig"))
    with pytest.raises(DataError, match="not a USGS MCS world-data layout"):
        parse("usgs", f)


def test_mcs2025_world_data_layout():
    p = parse("usgs", FIXTURES / "MCS2025_World_Data.csv")
    got = by_key(rows(p))
    assert p.edition == "MCS 2025"
    assert (
        got[("cobalt", "mine", "COD", 2024)].tonnes == 220000
        and got[("cobalt", "mine", "COD", 2024)].estimated
    )
    assert got[("cobalt", "mine", "IDN", 2023)].tonnes == 17000  # 'Indonesia ' with trailing space
    assert got[("copper", "mine", "CHL", 2023)].tonnes == 5_250_000  # thousand metric tons
    assert got[("copper", "refined", "CHL", 2024)].tonnes == 1_900_000
    assert p.stats["outside_catalogue"] == 2  # helium is not in the catalogue
    assert not any(k[0] == "germanium" for k in got)  # 'Gemanium' (sic) values withheld


def test_mcs2026_commodities_data_layout():
    p = parse("usgs", FIXTURES / "MCS2026_Commodities_Data.csv")
    got = by_key(rows(p))
    assert p.edition == "MCS 2026"
    assert got[("gallium", "refined", "CHN", 2024)].tonnes == 750  # 750,000 kg
    assert got[("rare_earths", "mine", "MMR", 2025)].estimated
    assert not got[("rare_earths", "mine", "USA", 2025)].estimated
    assert len(got) == 4  # rounded world total and capacity rows are not production by country


def test_zip_of_world_files_is_one_edition(tmp_path):
    z = tmp_path / "MCS2024_World_Data.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(FIXTURES / "mcs2024-lithi_world.csv", "world/mcs2024-lithi_world.csv")
        zf.writestr(
            "world/mcs2024-coppe_world.csv",
            "Source,Country,Type,Prod_kt_2022,Prod_kt_est_2023\n"
            'MCS2024,Peru,"Mine production, recoverable copper content",2450,2600\n',
        )
    p = parse("usgs", z)
    df = rows(p)
    assert p.edition == "MCS 2024" and set(df["commodity"]) == {"lithium", "copper"}


def test_mixed_editions_need_one_at_a_time(tmp_path):
    d = tmp_path / "world"
    d.mkdir()
    (d / "mcs2024-lithi_world.csv").write_bytes((FIXTURES / "mcs2024-lithi_world.csv").read_bytes())
    (d / "mcs2023-lithi_world.csv").write_text(
        "Source,Country,Type,Prod_t_2021,Prod_t_est_2022\n"
        'MCS2023,Chile,"Mine production, lithium content",28300,39000\n'
    )
    with pytest.raises(DataError, match="mixes MCS editions"):
        parse("usgs", d)


def test_commodity_names_map_to_codes():
    assert usgs.code_for_name("Rare Earths") == "raree"
    assert usgs.code_for_name("Platinum-Group metals") == "plati"
    assert usgs.code_for_name("Titanium Mineral Concentrates") == "timin"
    assert usgs.code_for_name("Feldspar and nepheline syenite") == "felds"
    assert usgs.code_for_name("Graphite (natural)") == "graph"
    assert usgs.code_for_name("Unobtainium") is None


@pytest.mark.shared
def test_raw_world_files_reproduce_the_embedded_usgs_rows(shared_dir, ds):
    """Reading the official MCS 2022-2024 world CSVs gives exactly the embedded USGS rows: the build reads the
    same files, including MCS 2024 fluorspar (whose Type header is misplaced in the official file)."""
    raw = shared_dir / "data" / "usgs-mcs" / "raw"
    files = sorted(raw.glob("*/world/*.csv")) + sorted(raw.glob("mcs2022/*/*world.csv"))
    long = pd.concat([usgs.read_world_file(f.read_bytes(), f.name)[0] for f in files], ignore_index=True)
    mapped = usgs.map_to_catalogue(long)
    assert not mapped.bad
    key = ["commodity", "stage", "country", "year", "edition"]
    mine = mapped.rows.assign(year=mapped.rows["year"].astype(int))
    emb = ds.con.execute(
        "SELECT * FROM production WHERE source = 'USGS' AND edition IN ('MCS 2022', 'MCS 2023', 'MCS 2024')"
    ).df()
    emb["year"] = emb["year"].astype(int)
    m = mine.merge(emb, on=key, how="outer", indicator=True)
    assert (m["_merge"] == "both").all()
    assert (m["tonnes_x"] - m["tonnes_y"]).abs().max() == 0
    assert (m["estimated_x"] == m["estimated_y"]).all()
    assert (m["series_x"] == m["series_y"]).all()
    assert len(m[(m["commodity"] == "fluorspar") & (m["edition"] == "MCS 2024")]) == 20


@pytest.mark.shared
def test_the_derived_long_file_lost_only_fluorspar_2024(shared_dir, ds):
    """The shared folder's derived long file, mapped the same way, gives the embedded rows except the 20 MCS 2024
    fluorspar rows it lost (the reason the build reads the official files instead)."""
    long = pd.read_csv(
        shared_dir / "data" / "usgs-mcs" / "mcs_world_production_reserves_long.csv", low_memory=False
    )
    mapped = usgs.map_to_catalogue(long, strict=False)
    emb = ds.con.execute("SELECT * FROM production WHERE source = 'USGS' AND edition <> 'MCS 2026'").df()
    emb = emb[~((emb["commodity"] == "fluorspar") & (emb["edition"] == "MCS 2024"))]
    assert len(mapped.rows) == len(emb)
    a = mapped.rows.sort_values(["commodity", "stage", "edition", "year", "country"]).reset_index(drop=True)
    b = emb.sort_values(["commodity", "stage", "edition", "year", "country"]).reset_index(drop=True)
    assert (a["tonnes"].to_numpy() == b["tonnes"].to_numpy()).all()
    assert (a["country"].to_numpy() == b["country"].to_numpy()).all()
