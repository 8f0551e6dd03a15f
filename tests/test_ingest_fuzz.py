"""Property tests of every ingest parser on hostile input: random bytes, truncations, duplicated and mutated rows.

Whatever the bytes, a parser either returns rows or raises one of critmin's own errors (never a traceback of
another kind); the rows it returns hold no infinite or NaN number and no key twice. Written into a store, a
refused file leaves every table of the store exactly as it was, and an accepted one stores no non-finite
number and passes ``data verify``.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.errors import CritminError
from critmin.ingest import ingest, parse
from critmin.ingest.verify import verify
from critmin.schema import KEYS

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
SEEDS = {
    "baci": [FIXTURES / "BACI_HS92_Y2023_V202501.csv"],
    "usgs": [
        FIXTURES / "mcs2024-lithi_world.csv",
        FIXTURES / "MCS2025_World_Data.csv",
        FIXTURES / "MCS2026_Commodities_Data.csv",
    ],
    "wgi": [FIXTURES / "wgidataset_2024release_sample.csv"],
}
NASTY = [
    "",
    "inf",
    "-Infinity",
    "NaN",
    "1e400",
    "-5",
    "=cmd|' /C calc'!A0",
    "W",
    "e12",
    "9" * 40,
    "0x1F",
    "1_000",
    '"',
    "\x00",
    "\x1b[31m",
    "Ÿ\u202e",
    "2023",
    "CHN",
    "156",
    "x" * 300,
]
NUMERIC = {
    "trade": ("value_kusd", "tonnes"),
    "production": ("tonnes",),
    "governance": ("estimate", "stddev", "nsource", "pctrank"),
}
_names = itertools.count()


@st.composite
def mutated(draw, seed: Path) -> tuple[str, bytes]:
    """(file name, bytes): the seed file with rows duplicated, cells replaced, cut short, or random bytes."""
    data = seed.read_bytes()
    kind = draw(st.sampled_from(["cells", "cells", "duplicate", "truncate", "random"]))
    if kind == "random":
        return seed.name, draw(st.binary(max_size=2000))
    lines = data.decode("utf-8-sig").splitlines()
    if kind == "truncate":
        return seed.name, data[: draw(st.integers(0, len(data)))]
    if kind == "duplicate":
        i = draw(st.integers(1, len(lines) - 1))
        lines.insert(draw(st.integers(1, len(lines))), lines[i])
    else:
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(1, len(lines) - 1))
            cells = lines[i].split(",")
            j = draw(st.integers(0, len(cells) - 1))
            cells[j] = draw(st.sampled_from(NASTY) | st.text(max_size=12))
            lines[i] = ",".join(cells)
    return seed.name, ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def _write(folder: Path, name: str, data: bytes) -> Path:
    d = folder / f"case{next(_names)}"
    d.mkdir()
    f = d / name
    f.write_bytes(data)
    return f


def _check_rows(source: str, path: Path) -> None:
    """Parse: a CritminError, or rows that are finite and unique by key."""
    try:
        p = parse(source, path)
        frames = list(p.chunks)
    except CritminError:
        return
    if not frames:
        return
    rows = pd.concat(frames, ignore_index=True)
    for col in NUMERIC[p.table]:
        values = rows[col].dropna().to_numpy(dtype=float)
        assert np.isfinite(values).all(), (col, rows)
    if p.table != "trade":  # (BACI rows of two legacy codes of one country are summed by the writer)
        assert not rows.duplicated(
            subset=[*KEYS[p.table], "basis"] if p.table == "production" else list(KEYS[p.table])
        ).any()


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    from critmin.store import Store

    path = tmp_path_factory.mktemp("template") / "critmin.duckdb"
    Store(path).close()
    return path


def snapshot(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
            cols = ", ".join(f'"{r[0]}"' for r in con.execute(f"DESCRIBE {t}").fetchall())
            out[t] = con.execute(f"SELECT count(*), bit_xor(hash({cols})) FROM {t}").fetchone()
        return out
    finally:
        con.close()


def _check_store(
    template: Path, folder: Path, source: str, path: Path, skip_bad: bool, replace: bool
) -> None:
    db = folder / f"store{next(_names)}.duckdb"
    shutil.copy(template, db)
    before = snapshot(db)
    try:
        ingest(db, source, path, skip_bad=skip_bad, replace=replace, rejects_path=folder / "rejects.csv")
    except CritminError:
        assert snapshot(db) == before  # refused: nothing changed, no table created
        return
    with duckdb.connect(str(db), read_only=True) as con:
        for table, cols in NUMERIC.items():
            bad = " OR ".join(f"NOT isfinite({c})" for c in cols)
            assert con.execute(f"SELECT count(*) FROM {table} WHERE {bad}").fetchone()[0] == 0
    report = verify(db)
    assert report.ok, report.problems


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STORE = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    ("source", "seed"), [(s, p) for s, ps in SEEDS.items() for p in ps], ids=lambda x: getattr(x, "name", x)
)
def test_csv_parsers_on_hostile_files(source, seed, cases):
    @FAST
    @given(case=mutated(seed))
    def run(case):
        name, data = case
        _check_rows(source, _write(cases, name, data))

    run()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("source", "seed"), [(s, ps[0]) for s, ps in SEEDS.items()], ids=lambda x: getattr(x, "name", x)
)
def test_csv_ingest_of_hostile_files_changes_nothing_or_stores_only_finite_rows(
    source, seed, cases, template
):
    @STORE
    @given(case=mutated(seed), skip_bad=st.booleans(), replace=st.booleans())
    def run(case, skip_bad, replace):
        name, data = case
        _check_store(template, cases, source, _write(cases, name, data), skip_bad, replace)

    run()


# -- World Mining Data workbooks -----------------------------------------------------------------------------

WMD_NAME = "6.4. Production_of_Mineral_Raw_Materials_of_individual_Countries_by_Minerals.xlsx"
CELLS = st.one_of(
    st.integers(-10, 10**7),
    st.floats(allow_nan=True, allow_infinity=False, width=64),
    st.sampled_from([x for x in NASTY if x.isprintable()]),  # (openpyxl cannot write control characters)
    st.none(),
)
COUNTRIES = st.sampled_from(
    ["Congo, D.R.", "Indonesia", "Australia", "Atlantis", "Total", "", "China", "Russia"]
)


@st.composite
def workbooks(draw) -> bytes:
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in draw(
        st.lists(
            st.sampled_from(["Cobalt", "Lithium", "Steam Coal", "Palladium"]),
            min_size=1,
            max_size=2,
            unique=True,
        )
    ):
        ws = wb.create_sheet(sheet)
        ws.append([f"{sheet}: production"])
        ws.append(["Country", "unit", 2020, 2021, 2022, 2023, 2024, "data source"])
        rows = draw(
            st.lists(
                st.tuples(
                    COUNTRIES,
                    st.sampled_from(["metr. t", "kg", "t", "bbl"]),
                    st.lists(CELLS, min_size=5, max_size=5),
                    st.sampled_from(["r", "e", "p", ""]),
                ),
                max_size=6,
            )
        )
        for country, unit, values, flag in rows:
            ws.append([country, unit, *values, flag])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if draw(st.booleans()):
        return data
    # a cut-short download; the cut is a fraction, not a byte count: the saved workbook's length varies with
    # the time stamp openpyxl writes, and a draw bounded by it would make the strategy depend on the clock
    return data[: int(draw(st.floats(0, 1)) * len(data))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=workbooks())
def test_wmd_parser_on_hostile_workbooks(data, tmp_path_factory):
    _check_rows("wmd", _write(tmp_path_factory.getbasetemp(), WMD_NAME, data))


@pytest.mark.slow
def test_wmd_ingest_of_hostile_workbooks_changes_nothing_or_stores_only_finite_rows(cases, template):
    @STORE
    @given(data=workbooks(), skip_bad=st.booleans(), replace=st.booleans())
    def run(data, skip_bad, replace):
        _check_store(template, cases, "wmd", _write(cases, WMD_NAME, data), skip_bad, replace)

    run()
