"""One physical basis per stage (critmin.data.basis): the audited catalogue, content conversion, the unit-value
and exporter rules on hand-computed cases and on the real 2023 flows, networks that balance, docs that stay
true."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.data import basis
from critmin.reference import commodities as cat
from critmin.reference import units

DOCS = Path(__file__).resolve().parents[1] / "docs" / "data.md"


# -- the catalogue ---------------------------------------------------------------------------------------------
def test_no_hs_code_sits_in_two_stages():
    seen: dict[str, tuple[str, str]] = {}
    for c in cat.catalogue().values():
        for s in c.stages.values():
            for h in s.hs92:
                assert h not in seen, f"HS {h} in {seen[h]} and {(c.id, s.name)}"
                seen[h] = (c.id, s.name)
    assert len(seen) == len(cat.hs_index()) == len(basis.hs_code_table())


def test_every_code_has_a_form_a_reason_and_a_content_factor_on_its_stage_basis():
    for c in cat.catalogue().values():
        for s in c.stages.values():
            if s.codes:
                assert s.basis, f"{c.id}/{s.name} has codes but no basis"
            for h in s.codes:
                assert h.form in cat.FORMS, (c.id, h.code)
                assert len(h.reason) > 20, (c.id, h.code)
                assert h.content is not None and h.content > 0, (c.id, h.code)
                assert s.content[h.code].basis == s.basis
                # an ore grade is only given where the commodity has a mine stage to put it on
                assert h.ore_content is None or "mine" in c.stages


def test_every_stage_without_a_code_says_why_and_borrows_nothing():
    audit = basis.stage_audit()
    none = audit[audit["hs6"].isna()]
    assert len(none) and none["reason"].str.len().gt(20).all()
    # 41 minerals; each stage either lists its codes or has exactly one "no code" row
    assert audit["commodity"].nunique() == len(cat.catalogue()) == 41
    per_stage = audit.groupby(["commodity", "stage"])["hs6"].apply(lambda s: s.isna().sum())
    assert (per_stage <= 1).all()


def test_a_bad_catalogue_entry_is_named():
    with pytest.raises(ValueError, match=r"rare_earths/refined HS 284690 \[form\]"):
        cat._parse_code("rare_earths/refined", {"code": "284690", "form": "ore", "reason": "x" * 30})
    with pytest.raises(ValueError, match=r"\[reason\]"):
        cat._parse_code("x/mine", {"code": "260300", "form": "ore/concentrate", "content": 0.2})
    with pytest.raises(ValueError, match=r"\[code\]"):
        cat._parse_code("x/mine", {"code": "2603", "form": "ore/concentrate", "reason": "r"})


def test_store_hs_codes_table_is_the_catalogue(ds):
    store = ds.con.execute("SELECT * FROM hs_codes ORDER BY hs6").df()
    want = basis.hs_code_table(dict(zip(store["hs6"], store["description"], strict=True)))
    pd.testing.assert_frame_equal(
        store.reset_index(drop=True), want[store.columns].reset_index(drop=True), check_dtype=False
    )


def test_magnet_rare_earth_oxide_converts_to_total_reo():
    f, approx = units.factor(units.MAGNET_REO, "REO")
    assert f == pytest.approx(1 / 0.205) and approx
    # chained: magnet REE content -> REO -> REE element
    g, _ = units.factor(units.MAGNET_REO, "REE")
    assert g == pytest.approx(0.853 / 0.205)
    assert units.factor("natural graphite", "graphite") == (1.0, False)


# -- pure functions, hand-computed ------------------------------------------------------------------------------
def test_leave_one_out_unit_value_by_hand():
    v, q = np.array([100.0, 200.0, 50.0]), np.array([10.0, 10.0, 100.0])
    ref = basis.leave_one_out_unit_value(v, q, v.sum(), q.sum(), 3, min_flows=2)
    # without itself: (200+50)/(10+100), (100+50)/(10+100), (100+200)/(10+10)
    assert ref == pytest.approx([250 / 110, 150 / 110, 15.0])
    assert np.isnan(basis.leave_one_out_unit_value(v, q, v.sum(), q.sum(), 3, min_flows=5)).all()


def test_unit_value_rule_by_hand():
    # the Australian case: 5.2 USD/kg against 34.2 for the code's other flows (ratio 0.15)
    got = basis.below_unit_value_floor([5.2, 10.0, np.nan, 5.2], [34.2, 34.2, 34.2, np.nan], 0.25)
    assert got.tolist() == [True, False, False, False]
    assert not basis.below_unit_value_floor([5.2], [34.2], 0.0)[0]  # floor 0 switches the rule off


def test_exporter_rule_by_hand():
    # E = 100, I = 10, P = 20: (100 - 10 - 20) / 100 = 0.7 of the exports are neither made nor imported
    assert basis.exporter_excess_share([100.0, 0.0], [10.0, 5.0], [20.0, 0.0]).tolist() == [0.7, 0.0]
    hit = basis.exceeds_exporter_supply(
        [100.0, 100.0, 100.0], [10.0, 10.0, 60.0], [20.0, 20.0, 0.0], [True, False, True]
    )
    assert hit.tolist() == [True, False, False]


def test_production_bounds_named_rest_of_world_and_window():
    sp = pd.DataFrame(
        {
            "commodity": "x",
            "stage": "refined",
            "country": ["CHN", "AUS", "ROW", "CHN"],
            "year": [2023, 2023, 2023, 2010],
            "tonnes": [700.0, 0.0, 10.0, 5.0],
        }
    )
    keys = pd.DataFrame(
        {
            "commodity": "x",
            "stage": "refined",
            "country": ["CHN", "AUS", "MMR", "CHN", "CHN"],
            "year": [2024, 2023, 2023, 2011, 2017],
        }
    )
    # CHN 2024 -> its 2023 figure; AUS named with 0; MMR unnamed -> the ROW residual; 2011 -> 2010;
    # 2017 is more than five years from both series years
    b = basis.production_bounds(sp, keys, window=5)
    assert b[:4].tolist() == [700.0, 0.0, 10.0, 5.0] and np.isnan(b[4])


def test_rest_of_world_is_shared_by_unexplained_exports_and_never_beyond_them():
    got = basis.allocate_rest_of_world(30.0, np.array([10.0, 50.0, -5.0, 40.0]), [True, True, True, False])
    # eligible deficits 10 and 50 (the negative one and the named country get nothing): 30 / 60 of each
    assert got.tolist() == [5.0, 25.0, 0.0, 0.0]
    assert basis.allocate_rest_of_world(100.0, [10.0, 20.0], [True, True]).tolist() == [10.0, 20.0]
    sp = pd.DataFrame(
        {
            "commodity": "x",
            "stage": "refined",
            "country": ["CHN", "ROW"],
            "year": 2023,
            "tonnes": [700.0, 30.0],
        }
    )
    keys = pd.DataFrame(
        {"commodity": "x", "stage": "refined", "country": ["CHN", "LAO", "VNM"], "year": 2023}
    )
    b = basis.production_bounds(sp, keys, 5, deficit=[500.0, 10.0, 50.0])
    assert b.tolist() == [700.0, 5.0, 25.0]


@given(st.floats(0, 1e6), st.lists(st.floats(-1e5, 1e5), min_size=1, max_size=12))
def test_the_shared_residual_adds_up(rest, deficits):
    got = basis.allocate_rest_of_world(rest, np.array(deficits), np.ones(len(deficits), dtype=bool))
    d = np.maximum(deficits, 0.0)
    assert (got >= 0).all() and (got <= d + 1e-9).all()
    assert got.sum() == pytest.approx(min(rest, d.sum()), rel=1e-9, abs=1e-9)


def test_preferred_stage_production_converts_to_the_stage_basis():
    prod = pd.DataFrame(
        {
            "commodity": ["lithium", "lithium", "rare_earths"],
            "stage": ["mine", "mine", "refined"],
            "country": ["AUS", "AUS", "CHN"],
            "year": [2022, 2022, 2023],
            "tonnes": [1000.0, 400.0, 70.3],
            "basis": ["Li2O", "Li", units.MAGNET_REO],
            "estimated": False,
            "series": "s",
            "source": ["WMD", "USGS", "IEA"],
            "edition": "e",
        }
    )
    out = basis.preferred_stage_production(prod).set_index(["commodity", "country"])
    li = out.loc[("lithium", "AUS")]
    # WMD comes first in the catalogue's order: 1,000 t Li2O = 464.5 t Li
    assert li["source"] == "WMD" and li["tonnes"] == pytest.approx(464.5) and li["basis"] == "Li"
    ree = out.loc[("rare_earths", "CHN")]
    assert ree["tonnes"] == pytest.approx(70.3 / 0.205) and ree["basis"] == "REO"
    assert bool(ree["conversion_approximate"])


# -- the rules on a hand-made store ------------------------------------------------------------------------------
def _store(trade: list[tuple], production: list[tuple]) -> duckdb.DuckDBPyConnection:
    from critmin.store import SCHEMA, SOURCES_DDL

    con = duckdb.connect()
    for t in ("trade", "production", "hs_codes"):
        con.execute(f"CREATE TABLE {t} ({SCHEMA[t]})")
    con.execute(SOURCES_DDL)
    codes = basis.hs_code_table()
    con.register("_codes", codes)
    con.execute("INSERT INTO hs_codes SELECT " + ", ".join(codes.columns) + " FROM _codes")
    con.executemany(
        "INSERT INTO trade VALUES (?, ?, ?, ?, ?, ?, 'BACI', 'test')",
        [(2023, e, i, hs, v, q) for e, i, hs, v, q in trade],
    )
    con.executemany(
        "INSERT INTO production VALUES (?, ?, ?, 2023, ?, ?, false, 's', ?, 'test')",
        production,
    )
    return con


TRADE = [
    # HS 280530 rare-earth metals: (exporter, importer, hs6, value kUSD, tonnes)
    ("AUS", "MYS", "280530", 5000.0, 1000.0),  # 5 USD/kg: concentrate
    ("CHN", "JPN", "280530", 4000.0, 100.0),
    ("CHN", "USA", "280530", 3000.0, 100.0),
    ("CHN", "DEU", "280530", 1750.0, 50.0),
    ("VNM", "JPN", "280530", 2000.0, 50.0),
    ("CHN", "KOR", "280530", 300.0, 100.0),  # 3 USD/kg, but from a refiner: cheap refined metal
    ("FRA", "ITA", "280530", 350.0, 10.0),
    ("EST", "DEU", "280530", 700.0, None),  # no quantity
    # HS 284690 compounds
    ("MMR", "CHN", "284690", 100000.0, 5000.0),  # a miner shipping mixed carbonate
    ("CHN", "JPN", "284690", 20000.0, 1000.0),
]
PRODUCTION = [
    ("rare_earths", "refined", "CHN", 700.0, units.MAGNET_REO, "IEA"),
    ("rare_earths", "refined", "AUS", 0.0, units.MAGNET_REO, "IEA"),
    ("rare_earths", "refined", "MYS", 40.0, units.MAGNET_REO, "IEA"),
    ("rare_earths", "refined", "ROW", 10.0, units.MAGNET_REO, "IEA"),
    ("rare_earths", "mine", "AUS", 200.0, "REO", "WMD"),
    ("rare_earths", "mine", "MMR", 500.0, "REO", "WMD"),
    ("rare_earths", "mine", "CHN", 2400.0, "REO", "WMD"),
]


@pytest.fixture(scope="module")
def hand():
    con = _store(TRADE, PRODUCTION)
    counts = basis.refresh(con)
    df = con.execute("SELECT * FROM trade_basis").df().set_index(["exporter", "importer", "hs6"])
    return con, counts, df


def test_hand_made_flags(hand):
    _, counts, df = hand
    assert counts == {"ok": 8, "low_unit_value": 1, "exceeds_exporter_supply": 1}
    aus = df.loc[("AUS", "MYS", "280530")]
    # the code's other flows: 11,400 kUSD over 410 t = 27.8 USD/kg; 5 / 27.8 = 0.18 < 0.25
    assert aus["world_unit_value_usd_per_kg"] == pytest.approx(11400 / 410)
    assert aus["flag"] == "low_unit_value" and aus["stage"] is None and aus["form"] == "ore/concentrate"
    # counted nowhere, but kept with its REO at the ore grade (0.5 t REO per t)
    assert aus["content_tonnes"] == pytest.approx(500.0) and aus["basis"] == "REO"
    # China is a named refiner: its 3 USD/kg metal stays refined although below the floor
    chn = df.loc[("CHN", "KOR", "280530")]
    assert chn["unit_value_usd_per_kg"] < 0.25 * chn["world_unit_value_usd_per_kg"]
    assert chn["flag"] == "ok" and chn["stage"] == "refined"
    assert chn["content_tonnes"] == pytest.approx(100 * 1.17)
    # Myanmar: 4,250 t REO exported, nothing imported, at most the whole ROW residual 48.8 t REO refined:
    # (4250 - 48.8) / 4250 = 0.99 > 0.5 and it mines rare earths
    mmr = df.loc[("MMR", "CHN", "284690")]
    assert mmr["flag"] == "exceeds_exporter_supply" and mmr["form"] == "intermediate"
    assert mmr["content_tonnes"] == pytest.approx(2500.0)
    # no quantity: gross tonnes at the median unit value of the code's flows (35 USD/kg)
    est = df.loc[("EST", "DEU", "280530")]
    assert bool(est["tonnes_estimated"]) and est["gross_tonnes"] == pytest.approx(700 / 35)
    assert est["content_tonnes"] == pytest.approx(700 / 35 * 1.17) and est["stage"] == "refined"


def test_hand_made_production_basis(hand):
    con, _, _ = hand
    p = con.execute(
        "SELECT country, tonnes, basis FROM production_basis WHERE stage = 'refined' ORDER BY country"
    ).df()
    assert p.set_index("country")["tonnes"].to_dict() == pytest.approx(
        {"AUS": 0.0, "CHN": 700 / 0.205, "MYS": 40 / 0.205, "ROW": 10 / 0.205}
    )
    assert set(p["basis"]) == {"REO"}


def test_a_non_miner_re_exporter_is_not_moved_out():
    trade = [*TRADE, ("NLD", "DEU", "284690", 60000.0, 3000.0)]  # a hub with no mine: re-exports
    con = _store(trade, PRODUCTION)
    basis.refresh(con)
    flag = con.execute("SELECT flag FROM trade_basis WHERE exporter = 'NLD'").fetchone()[0]
    assert flag == "ok"


def test_year_batches_by_hand():
    # at most 100 flows a batch; a year with more stands alone
    assert basis.year_batches([2000, 2001, 2002, 2003, 2004], [50, 60, 30, 200, 10], 100) == [
        (2000, 2000),
        (2001, 2002),
        (2003, 2003),
        (2004, 2004),
    ]
    assert basis.year_batches([], [], 100) == []


@given(st.lists(st.integers(0, 300), min_size=1, max_size=30), st.integers(1, 400))
def test_year_batches_cover_every_year_once_in_order(flows, cap):
    years = list(range(1995, 1995 + len(flows)))
    batches = basis.year_batches(years, flows, cap)
    covered = [y for lo, hi in batches for y in range(lo, hi + 1)]
    assert covered == years
    for lo, hi in batches:
        n = sum(flows[lo - 1995 : hi - 1995 + 1])
        assert n <= cap or lo == hi


def test_trade_basis_does_not_depend_on_how_the_years_are_batched(monkeypatch):
    con = _store(TRADE, PRODUCTION)
    # the same flows two years earlier and one year later, at other prices: 3 years, 30 flows
    con.execute(
        "INSERT INTO trade SELECT year - 2, exporter, importer, hs6, value_kusd * 1.3, tonnes, source, edition "
        "FROM trade WHERE year = 2023"
    )
    con.execute(
        "INSERT INTO trade SELECT year + 1, exporter, importer, hs6, value_kusd * 0.7, tonnes, source, edition "
        "FROM trade WHERE year = 2023"
    )
    tables = []
    for cap in (1, 20, 10**9):  # a year a batch, two batches, one batch
        monkeypatch.setattr(basis, "BATCH_FLOWS", cap)
        counts = basis.refresh(con)
        tables.append(con.execute("SELECT * FROM trade_basis").df())
    assert counts == {"ok": 24, "low_unit_value": 3, "exceeds_exporter_supply": 3}
    assert sorted(tables[0]["year"].unique()) == [2021, 2023, 2024]
    assert tables[0]["year"].is_monotonic_increasing  # written year by year: one row group per query year
    for other in tables[1:]:
        pd.testing.assert_frame_equal(other, tables[0], rtol=1e-12)


def test_a_new_dataset_is_built_with_its_basis_in_one_write(tmp_path, monkeypatch):
    import critmin
    from critmin import store

    published = []
    real = store._publish
    monkeypatch.setattr(store, "_publish", lambda shadow, path: (published.append(path), real(shadow, path)))
    with critmin.open(tmp_path / "new.duckdb") as ds:
        assert ds.con.execute("SELECT count(*) FROM trade_basis").fetchone()[0] > 0
    assert len(published) == 1  # one copy written and published, not one for the data and one for the basis


# -- invariants --------------------------------------------------------------------------------------------------
@given(
    st.lists(st.floats(0.01, 1e4), min_size=7, max_size=20),
    st.lists(st.floats(0.1, 1e4), min_size=7, max_size=20),
    st.floats(0.01, 1e3),
)
def test_the_unit_value_rule_does_not_depend_on_currency_or_mass_units(values, tonnes, k):
    n = min(len(values), len(tonnes))
    v, q = np.array(values[:n]), np.array(tonnes[:n])
    ref = basis.leave_one_out_unit_value(v, q, v.sum(), q.sum(), n)
    flag = basis.below_unit_value_floor(v / q, ref, 0.25)
    # value in another currency (× k), or quantities in kg instead of t (/ 1000): same flags
    ref_k = basis.leave_one_out_unit_value(v * k, q, (v * k).sum(), q.sum(), n)
    assert (basis.below_unit_value_floor(v * k / q, ref_k, 0.25) == flag).all()
    qq = q * 1000
    ref_kg = basis.leave_one_out_unit_value(v, qq, v.sum(), qq.sum(), n)
    assert (basis.below_unit_value_floor(v / qq, ref_kg, 0.25) == flag).all()


@given(st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1e6))
def test_more_production_or_imports_never_moves_more_flows_out(e, i, p, extra):
    before = basis.exceeds_exporter_supply([e], [i], [p], [True])[0]
    assert basis.exporter_excess_share([e], [i], [p])[0] <= 1.0
    assert not (basis.exceeds_exporter_supply([e], [i + extra], [p], [True])[0] and not before)
    assert not (basis.exceeds_exporter_supply([e], [i], [p + extra], [True])[0] and not before)


# -- the real flows (embedded BACI 2023) ---------------------------------------------------------------------------
def test_australian_concentrate_to_malaysia_is_not_refined(ds):
    f = ds.trade("rare_earths", "refined", 2023, flagged=True)
    aus = f[(f["exporter"] == "AUS") & (f["importer"] == "MYS") & (f["hs6"] == "280530")].iloc[0]
    assert aus["tonnes"] == pytest.approx(28615.5) and aus["unit_value_usd_per_kg"] == pytest.approx(
        5.24, abs=0.01
    )
    assert 30 < aus["world_unit_value_usd_per_kg"] < 40  # the code's other flows, about 34 USD/kg
    assert aus["flag"] == "low_unit_value" and aus["stage"] is None and aus["form"] == "ore/concentrate"
    counted = ds.trade("rare_earths", "refined", 2023)
    assert not ((counted["exporter"] == "AUS") & (counted["importer"] == "MYS")).any()
    mmr = f[(f["exporter"] == "MMR") & (f["importer"] == "CHN")]
    assert set(mmr["flag"]) == {"exceeds_exporter_supply"}
    cod = ds.trade("cobalt", "refined", 2023, flagged=True)
    assert set(cod.loc[cod["exporter"] == "COD", "flag"]) == {"exceeds_exporter_supply"}
    # China's cheap lanthanum/cerium compounds stay refined: China is a named refiner
    chn = counted[(counted["exporter"] == "CHN") & (counted["unit_value_usd_per_kg"] < 4)]
    assert len(chn) > 10


def test_the_raw_baci_record_is_the_one_flagged(ds, shared_dir):
    import pyarrow.parquet as pq

    raw = pq.read_table(
        shared_dir / "data/baci-raw-materials/baci_hs92_raw_materials_1995_2024.parquet",
        filters=[("t", "=", 2023), ("k", "=", 280530), ("i", "=", 36), ("j", "=", 458)],
    ).to_pandas()
    assert len(raw) == 1  # BACI codes 36 = Australia, 458 = Malaysia
    row = ds.con.execute(
        "SELECT value_kusd, tonnes, flag FROM trade_basis WHERE year = 2023 AND hs6 = '280530' "
        "AND exporter = 'AUS' AND importer = 'MYS'"
    ).fetchone()
    assert row[0] == pytest.approx(float(raw["v"].iloc[0])) and row[1] == pytest.approx(
        float(raw["q"].iloc[0])
    )
    assert row[2] == "low_unit_value"


def test_refined_rare_earths_balance_on_the_reo_basis(ds):
    from critmin.scenarios.network import BALANCE_MARGIN, build_network

    net = build_network(ds, "rare_earths", "refined", 2023)
    assert net.basis == "REO"
    b = net.balance()
    # Issue 16: 205,813 t of apparent consumption against 74,500 t of production before
    assert b["margin"] <= BALANCE_MARGIN
    assert b["consumption_tonnes"] == pytest.approx(b["production_tonnes"] + b["unexplained_exports_tonnes"])
    # Japan consumes what it imports less what it exports, in t REO, and imports mostly from China
    j = net.index("JPN")
    assert net.production[j] == 0 and 10_000 < net.consumption[j] < 30_000


def test_exposure_labels_its_tonnes_with_their_basis(ds):
    e = ds.exposure("JPN", 2023, commodities="rare_earths,lithium").set_index("commodity")
    assert e.loc["rare_earths", "content_basis"] == "REO" and e.loc["lithium", "content_basis"] == "Li"
    # lithium chemicals are 17-19 % lithium: the content is a fifth of the gross tonnes
    li = e.loc["lithium"]
    assert 0.16 <= li["import_content_tonnes"] / li["import_gross_tonnes"] <= 0.19
    # ore and junk under the refined codes are counted out, and said so
    assert e.loc["rare_earths", "import_flagged_value_kusd"] > 0


# -- the docs stay true --------------------------------------------------------------------------------------------
def _between(text: str, name: str) -> str:
    m = re.search(rf"<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert m, f"docs/data.md has no {name} markers"
    return m.group(1)


def test_docs_stage_audit_is_the_catalogue():
    assert _between(DOCS.read_text(encoding="utf-8"), "stage-audit") == basis.stage_audit_markdown(
        basis.stage_audit()
    ), "regenerate: critmin data stages --balance 2023 --markdown docs/data.md"


def test_docs_balance_table_is_the_data(ds):
    from critmin.scenarios.network import world_balance, world_balance_markdown

    got = world_balance_markdown(world_balance(ds, 2023))
    assert _between(DOCS.read_text(encoding="utf-8"), "stage-balance") == got, (
        "regenerate: critmin data stages --balance 2023 --markdown docs/data.md"
    )


def test_docs_list_every_trade_basis_column():
    text = DOCS.read_text(encoding="utf-8")
    assert _between(text, "trade-basis-columns") == basis.columns_markdown(basis.TRADE_BASIS_COLUMNS)
    assert _between(text, "production-basis-columns") == basis.columns_markdown(
        basis.PRODUCTION_BASIS_COLUMNS
    )
