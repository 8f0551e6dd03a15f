"""The ingest writer: one transaction, idempotent, bad files refused, partial releases, killed processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import critmin
from critmin.errors import DataError, NoDataError
from critmin.ingest import ingest
from critmin.ingest.verify import verify

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
BACI_2023 = FIXTURES / "BACI_HS92_Y2023_V202501.csv"
TABLES = ("trade", "production", "governance", "sources", "meta")


def fingerprint(db: Path) -> dict:
    """Row count and an order-independent hash of every row of the tables an ingest touches."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for t in (*TABLES, "ingest_parts"):
            if t not in tables:
                out[t] = None
                continue
            cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()]
            out[t] = con.execute(f"SELECT count(*), bit_xor(hash({', '.join(cols)})) FROM {t}").fetchone()
        return out
    finally:
        con.close()


def test_same_file_twice_changes_nothing(tmp_store):
    first = ingest(tmp_store, "baci", BACI_2023)
    assert first.status == "ingested" and first.rows == 8 and first.outside_catalogue == 2
    assert first.parts == ["2023"] and first.edition == "HS92 V202501"
    after_first = fingerprint(tmp_store)
    second = ingest(tmp_store, "baci", BACI_2023)
    assert second.status == "already ingested" and "nothing changed" in str(second)
    assert fingerprint(tmp_store) == after_first  # loaded_at included: the sources row is not rewritten
    src = (
        duckdb.connect(str(tmp_store), read_only=True)
        .execute(
            "SELECT source, edition, data_table, origin, file, rows, licence FROM sources WHERE origin = 'ingest'"
        )
        .fetchall()
    )
    assert src == [("BACI", "HS92 V202501", "trade", "ingest", BACI_2023.name, 8, "Etalab Open Licence 2.0")]
    assert verify(tmp_store).ok


def test_a_bad_file_is_refused_and_the_store_is_unchanged(tmp_store, tmp_path):
    f = tmp_path / "BACI_HS92_Y2023_V202501.csv"
    lines = BACI_2023.read_text().splitlines()
    lines[3] = "2023,156,392,284690,-5,1"  # line 4: negative value
    lines[5] = "2023,1234,392,280530,5,1"  # line 6: unknown country code
    f.write_text("\n".join(lines) + "\n")
    before = fingerprint(tmp_store)
    with pytest.raises(DataError) as err:
        ingest(tmp_store, "baci", f)
    msg = str(err.value)
    assert "2 bad row(s)" in msg and "store is unchanged" in msg and "--skip-bad" in msg
    assert f"{f.name}:4 [v]" in msg and f"{f.name}:6 [i]" in msg
    assert err.value.line == 4 and err.value.field == "v"
    assert fingerprint(tmp_store) == before


def test_skip_bad_ingests_good_rows_and_writes_rejects(tmp_store, tmp_path):
    f = tmp_path / "BACI_HS92_Y2023_V202501.csv"
    f.write_text(BACI_2023.read_text() + "2023,156,392,280530,abc,1\n2023,156\n")
    rej = tmp_path / "rejects.csv"
    report = ingest(tmp_store, "baci", f, skip_bad=True, rejects_path=rej)
    assert report.rows == 8 and report.bad_rows == 2 and report.rejects_path == rej
    got = pd.read_csv(rej)
    assert list(got.columns) == ["file", "line", "field", "reason", "value"]
    assert sorted(zip(got["line"], got["field"], strict=True)) == [(12, "v"), (13, "row")]
    assert not list(tmp_path.glob("*.part"))


def test_a_file_without_catalogue_rows_changes_nothing(tmp_store, tmp_path):
    f = tmp_path / "BACI_HS92_Y2023_V202501.csv"
    f.write_text("t,i,j,k,v,q\n2023,156,392,10121,5,1\n")
    before = fingerprint(tmp_store)
    with pytest.raises(NoDataError, match="outside the catalogue"):
        ingest(tmp_store, "baci", f)
    assert fingerprint(tmp_store) == before


def test_yearly_files_replace_only_their_year(tmp_store, tmp_path):
    y22 = tmp_path / "BACI_HS92_Y2022_V202501.csv"
    y22.write_text("t,i,j,k,v,q\n2022,156,392,284690,10,1\n2022,156,392,280530,4,1\n")
    ingest(tmp_store, "baci", y22)
    ingest(tmp_store, "baci", BACI_2023)
    # a corrected 2023 file of the same release replaces 2023 and keeps 2022
    fixed = tmp_path / "fixed" / BACI_2023.name
    fixed.parent.mkdir()
    fixed.write_text("t,i,j,k,v,q\n2023,156,392,284690,999,1\n")
    report = ingest(tmp_store, "baci", fixed, replace=True)  # 7 of 8 flows go: only with --replace
    assert report.replaced == 8 and report.rows == 1
    con = duckdb.connect(str(tmp_store), read_only=True)
    by_year = dict(
        con.execute(
            "SELECT year, count(*) FROM trade WHERE edition = 'HS92 V202501' GROUP BY year ORDER BY year"
        ).fetchall()
    )
    assert by_year == {2022: 2, 2023: 1}
    rows = con.execute(
        "SELECT file, rows FROM sources WHERE edition = 'HS92 V202501' ORDER BY loaded_at, file"
    ).fetchall()
    con.close()
    # the first 2023 file no longer holds anything: its sources row is gone, the counts add up
    assert sorted(rows) == sorted([(y22.name, 2), (fixed.name, 1)])
    assert verify(tmp_store).ok


def test_ingested_year_is_the_one_the_dataset_uses(tmp_store):
    ingest(tmp_store, "baci", BACI_2023)
    with critmin.open(tmp_store) as ds:
        t = ds.trade("rare_earths", "refined", years=2023)
        assert set(t["edition"]) == {"HS92 V202501"}
        jpn = t[t["importer"] == "JPN"].groupby("exporter")["value_kusd"].sum()
        assert jpn["CHN"] == pytest.approx(1200.5 + 300)
        older = ds.trade("rare_earths", "refined", years=2022)
        assert set(older["edition"]) == {"HS92 2025 release"}  # other years keep the embedded release


def test_usgs_file_replaces_its_commodity_in_the_embedded_edition(tmp_store):
    # the fixture holds 10 of the 18 rows of lithium in the embedded MCS 2024: the guard wants --replace
    report = ingest(tmp_store, "usgs", FIXTURES / "mcs2024-lithi_world.csv", replace=True)
    assert report.edition == "MCS 2024" and report.parts == ["lithium/mine"]
    assert report.replaced > 0
    con = duckdb.connect(str(tmp_store), read_only=True)
    countries = {
        r[0]
        for r in con.execute(
            "SELECT country FROM production WHERE source = 'USGS' AND edition = 'MCS 2024' "
            "AND commodity = 'lithium'"
        ).fetchall()
    }
    cobalt = con.execute(
        "SELECT count(*) FROM production WHERE edition = 'MCS 2024' AND commodity = 'cobalt'"
    ).fetchone()[0]
    con.close()
    assert countries == {"ARG", "AUS", "CHL", "CHN", "ROW"}  # e.g. Zimbabwe is gone: not in this file
    assert cobalt > 0  # other commodities of the embedded MCS 2024 stay
    report = verify(tmp_store)
    assert report.ok, report.problems


def test_wgi_release_replaces_the_embedded_indicator_rows(tmp_store):
    report = ingest(tmp_store, "wgi", FIXTURES / "wgidataset_2024release_sample.csv", replace=True)
    assert report.parts == ["cc", "pv"] and report.rows == 6
    with critmin.open(tmp_store) as ds:
        pv = ds.governance("pv", years=2023, edition="2024 release").set_index("country")["estimate"]
        assert pv.to_dict() == {"COD": -2.2, "ITA": 0.51, "JPN": 1.05, "ROU": 0.55}
        ge = ds.governance("ge", years=2023, edition="2024 release")
        assert len(ge) > 150  # indicators the file does not hold are untouched
    assert verify(tmp_store).ok


def test_verify_reports_tampering(tmp_store):
    ingest(tmp_store, "baci", BACI_2023)
    con = duckdb.connect(str(tmp_store))
    con.execute("DELETE FROM trade WHERE edition = 'HS92 V202501' AND importer = 'JPN'")
    con.execute("DELETE FROM production WHERE source = 'WMD' AND year = 2018")
    con.close()
    problems = verify(tmp_store).problems
    assert any("HS92 V202501" in p and "the sources table says 8" in p for p in problems)
    assert any("WMD" in p for p in problems)


# ---------------------------------------------------------------------------------------------------------
# A process killed mid-ingest leaves the store exactly as it was

KILLER = """
import pathlib, sys, time
from critmin.ingest.writer import ingest

store, csv, marker, stage = sys.argv[1:5]

def progress(s, done, total):
    if stage in (s, f"{s}:{done}"):
        pathlib.Path(marker).write_text(s)
        time.sleep(120)  # hold the open transaction until the test kills this process

ingest(store, "baci", csv, progress=progress)
"""


@pytest.fixture(scope="module")
def big_baci(tmp_path_factory) -> Path:
    """300k generated flows (~10 MB, two pyarrow blocks): catalogue and other codes between all BACI countries."""
    from critmin.reference.commodities import hs_index
    from critmin.reference.countries import index

    rng = np.random.default_rng(7)
    n = 300_000
    codes = np.array([int(h) for h in sorted(hs_index())] + [10121, 270900, 80211, 870323, 300490])
    countries = np.array(sorted(index().baci))
    # distinct (exporter, importer, product) flows, as in a real BACI file
    flat = rng.choice(len(countries) ** 2 * len(codes), n, replace=False)
    pair, k = np.divmod(flat, len(codes))
    i, j = np.divmod(pair, len(countries))
    df = pd.DataFrame(
        {
            "t": 2023,
            "i": countries[i],
            "j": countries[j],
            "k": codes[k],
            "v": (rng.random(n) * 1e4).round(3),
            "q": (rng.random(n) * 1e2).round(3),
        }
    )
    path = tmp_path_factory.mktemp("big") / "BACI_HS92_Y2023_V209912.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def template_store(tmp_path_factory) -> Path:
    from critmin.store import Store

    path = tmp_path_factory.mktemp("template") / "critmin.duckdb"
    Store(path).close()
    return path


def _kill_at(stage: str, store: Path, csv: Path, tmp_path: Path) -> None:
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(Path(critmin.__file__).parents[1])}
    proc = subprocess.Popen([sys.executable, str(script), str(store), str(csv), str(marker), stage], env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, f"the ingest ended (code {proc.returncode}) before reaching {stage}"
            assert time.monotonic() < deadline, f"no {stage} marker within 120 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    "stage",
    [
        "staging",  # mid-file: the first block of rows is in the temporary staging table
        "writing:2",  # the rows of the same (source, edition, year) have been deleted
        "committing",  # everything is written, COMMIT not yet issued
    ],
)
def test_sigkill_mid_ingest_leaves_the_store_as_it_was(stage, big_baci, template_store, tmp_path):
    store = tmp_path / "critmin.duckdb"
    shutil.copy(template_store, store)
    ingest(store, "baci", BACI_2023)  # something of the same edition that the killed ingest would replace
    before = fingerprint(store)
    _kill_at(stage, store, big_baci, tmp_path)
    assert fingerprint(store) == before
    # the killed writer's copy of the store is left behind; the store itself was never written in place
    assert list(store.parent.glob(f".{store.name}.writing-*"))
    from critmin.store import Store

    Store(store).close()  # opens (and is not rebuilt: same content)
    assert fingerprint(store) == before
    report = verify(store)
    assert report.ok, report.problems
    if stage == "committing":  # and the same ingest then runs to completion
        done = ingest(store, "baci", big_baci)
        assert done.status == "ingested" and done.rows > 50_000 and done.outside_catalogue > 0
        assert verify(store).ok
        assert not list(store.parent.glob(f".{store.name}.writing-*"))  # the next writer removed it
