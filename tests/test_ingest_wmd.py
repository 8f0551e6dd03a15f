"""World Mining Data table 6.4 workbook: one sheet per mineral, title row, Country | unit | years | data source."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import DataError
from critmin.ingest import parse, wmd

YEARS = [2020, 2021, 2022, 2023, 2024]


def rows(parsed) -> pd.DataFrame:
    return pd.concat(list(parsed.chunks), ignore_index=True)


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook in the BMF layout: title row, header row, country rows, Total row."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, body in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([f"{name.strip()}: production of individual countries (World Mining Data 2026)"])
        ws.append(["Country", "unit", *YEARS, "data source"])
        for r in body:
            ws.append(r)
    wb.save(path)
    return path


COBALT = [
    ["Congo, D.R.", "metr. t", 98_000, 119_000, 130_000, 170_000, 220_000, "r"],
    ["Indonesia", "metr. t", 1_000, 2_700, 10_000, 17_000, 28_000, "e"],
    ["Australia", "metr. t", 5_600, 5_300, 5_900, 4_600, None, "r"],
    ["Total", "metr. t", 104_600, 127_000, 145_900, 191_600, 248_000, None],
]
PGM = {
    "Platinum": [["South Africa", "kg", 120_000, 140_000, 130_000, 120_000, 118_000, "r"]],
    "Palladium": [
        ["South Africa", "kg", 70_000, 80_000, 75_000, 73_000, 72_000, "r"],
        ["Russia", "kg", 90_000, 80_000, 88_000, 90_000, 89_000, "p"],
    ],
    "Rhodium": [["South Africa", "kg", 15_000, 18_000, 17_000, 16_000, 15_500, "r"]],
}


def test_sheets_units_flags_and_summed_series(tmp_path):
    f = workbook(
        tmp_path / "6.4. Production_of_Mineral_Raw_Materials_of_individual_Countries_by_Minerals.xlsx",
        {"Cobalt": COBALT, **PGM, "Steam Coal ": [["Poland", "metr. t", 1, 2, 3, 4, 5, "r"]]},
    )
    p = parse("wmd", f)
    df = rows(p)
    got = {(r.commodity, r.stage, r.country, int(r.year)): r for r in df.itertuples()}
    assert p.edition == "WMD 2026" and p.table == "production" and p.rejects.count == 0
    assert got[("cobalt", "mine", "COD", 2024)].tonnes == 220_000  # 'Congo, D.R.'
    assert got[("cobalt", "mine", "IDN", 2022)].estimated  # flag e
    assert not got[("cobalt", "mine", "COD", 2022)].estimated
    assert ("cobalt", "mine", "AUS", 2024) not in got  # empty cell
    assert not any(k[2] is None for k in got)  # Total row dropped
    # platinum group: Pt + Pd + Rh in kg, summed per country and year, in tonnes
    assert got[("platinum_group", "mine", "ZAF", 2024)].tonnes == pytest.approx(118 + 72 + 15.5)
    assert got[("platinum_group", "mine", "RUS", 2024)].estimated  # flag p (preliminary)
    assert set(df[df["commodity"] == "platinum_group"]["series"]) == {"Platinum+Palladium+Rhodium"}
    assert p.stats["outside_catalogue"] == 5  # steam coal: 1 country x 5 years


def test_bad_units_countries_and_numbers_are_named_by_sheet_row(tmp_path):
    body = [
        ["Congo, D.R.", "metr. t", 1, 2, 3, 4, 5, "r"],  # row 3
        ["Atlantis", "metr. t", 1, 2, 3, 4, 5, "r"],  # row 4
        ["Zambia", "barrels", 1, 2, 3, 4, 5, "r"],  # row 5
        ["Cuba", "metr. t", 1, 2, "n.a.x", 4, 5, "r"],  # row 6
        ["Morocco", "metr. t", 1, 2, 3, -4, 5, "r"],  # row 7
    ]
    p = parse("wmd", workbook(tmp_path / "wmd.xlsx", {"Cobalt": body}))
    rows(p)
    got = {(r.line, r.field) for r in p.rejects.first}
    assert got == {("Cobalt!4", "Country"), ("Cobalt!5", "unit"), ("Cobalt!6", "2022"), ("Cobalt!7", "2023")}
    assert all(r.file == "wmd.xlsx" for r in p.rejects.first)


def test_workbook_without_country_tables_is_refused(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["Contents"])
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(DataError, match="Country"):
        parse("wmd", tmp_path / "x.xlsx")


def test_catalogue_series_absent_from_the_workbook_are_noted(tmp_path):
    p = parse("wmd", workbook(tmp_path / "wmd.xlsx", {"Cobalt": COBALT}))
    assert any("Lithium (Li2O)" in n for n in p.notes)


@pytest.mark.shared
def test_workbook_in_the_official_layout_reproduces_the_embedded_wmd_rows(shared_dir, ds, tmp_path):
    """Write the shared WMD 2018-2024 long table back into the official one-sheet-per-mineral layout; reading
    it gives exactly the embedded WMD rows (6,446 rows)."""
    long = pd.read_csv(
        shared_dir / "data" / "world-mining-data" / "wmd_production_long_2018_2024.csv",
        keep_default_na=False,
        na_values=[""],
    )
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for com, g in long.groupby("commodity", sort=False):
        ws = wb.create_sheet(com[:31])
        years = sorted(g["year"].unique())
        ws.append([com])
        ws.append(["Country", "unit", *[int(y) for y in years], "data source"])
        for country, cg in g.groupby("country", sort=False):
            vals = dict(zip(cg["year"], cg["production"], strict=True))
            flag = cg["data_flag"].iloc[0]
            ws.append(
                [
                    country,
                    cg["unit"].iloc[0],
                    *[None if pd.isna(vals.get(y)) else float(vals[y]) for y in years],
                    None if pd.isna(flag) else flag,
                ]
            )
    path = tmp_path / "6.4. Production.xlsx"
    wb.save(path)
    p = parse("wmd", path)
    df = rows(p)
    assert p.rejects.count == 0 and p.edition == "WMD 2026"
    emb = ds.con.execute("SELECT * FROM production WHERE source = 'WMD'").df()
    key = ["commodity", "stage", "country", "year"]
    m = df.astype({"year": int}).merge(emb.astype({"year": int}), on=key, how="outer", indicator=True)
    assert (m["_merge"] == "both").all() and len(m) == len(emb)
    assert (m["tonnes_x"] - m["tonnes_y"]).abs().max() < 1e-9
    assert (m["estimated_x"] == m["estimated_y"]).all()
    mapped = wmd.map_to_catalogue(long, strict=False)  # the build's input, through the shared mapping
    assert len(mapped.rows) == len(emb)
