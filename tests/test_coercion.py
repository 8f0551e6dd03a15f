"""The coercion-aware supplier weight: pure functions (bounds, monotonicity, dates) and the assembled weight
on the embedded data (hand-checked components, China vs the United States for Japan, blocs, missing inputs)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.errors import UnknownValueError
from critmin.indicators import coercion as co

unit = st.floats(0.0, 1.0, allow_nan=False)
weights3 = st.tuples(st.floats(0.0, 5.0), st.floats(0.0, 5.0), st.floats(0.0, 5.0)).filter(
    lambda w: sum(w) > 1e-6
)


# -- pure functions ---------------------------------------------------------------------------------------------
def test_the_composite_is_the_documented_weighted_mean_hand_case():
    # JPN-CHN rare earths 2023: s = 0.535, d = 1.612 / 4.665, r = 1 − 0.5·0.5 (two other-mineral measures)
    d = co.scaled_distance(1.612, 4.665)
    r = co.restriction_record([0.5, 0.5])
    assert r == pytest.approx(0.75)
    g = co.coercion_weight(0.535, d, r)
    assert g == pytest.approx((0.535 + 1.612 / 4.665 + 0.75) / 3)
    p = co.CoercionParams(w_stability=2, w_distance=1, w_record=1)
    assert co.coercion_weight(0.535, d, r, p) == pytest.approx(0.5 * 0.535 + 0.25 * d + 0.25 * 0.75)


@given(unit, unit, unit, weights3)
def test_the_weight_stays_in_0_1(s, d, r, w):
    g = co.coercion_weight(s, d, r, co.CoercionParams(*w))
    assert 0.0 <= g <= 1.0


@given(unit, unit, unit, unit, weights3, st.integers(0, 2))
def test_more_instability_distance_or_record_never_lowers_the_weight(s, d, r, bump, w, which):
    p = co.CoercionParams(*w)
    before = co.coercion_weight(s, d, r, p)
    args = [s, d, r]
    args[which] = min(1.0, args[which] + bump)
    assert co.coercion_weight(*args, p) >= before - 1e-12


@given(st.floats(0.0, 10.0), st.floats(0.0, 10.0), st.floats(0.5, 8.0))
def test_scaled_distance_is_bounded_and_grows_with_distance(d, extra, spread):
    a, b = co.scaled_distance(d, spread), co.scaled_distance(d + extra, spread)
    assert 0.0 <= a <= b <= 1.0


@given(st.lists(unit, max_size=12), unit)
def test_another_measure_never_lowers_the_record(ws, w_new):
    r = co.restriction_record(ws)
    assert 0.0 <= r <= 1.0
    assert co.restriction_record([*ws, w_new]) >= r - 1e-12


@given(st.lists(st.tuples(unit, st.integers(0, 3)), max_size=20))
def test_the_grouped_record_equals_one_record_per_group(pairs):
    w = [p[0] for p in pairs]
    g = [p[1] for p in pairs]
    got = co.restriction_record(w, g, n_groups=4)
    for k in range(4):
        assert got[k] == pytest.approx(co.restriction_record([x for x, y in pairs if y == k]), abs=1e-12)


def test_a_measure_on_this_mineral_against_this_importer_now_is_the_full_record():
    assert co.measure_weight([True], [True], [False], [0.0])[0] == 1.0
    assert co.restriction_record(co.measure_weight([True], [True], [False], [0.0])) == 1.0


@given(st.booleans(), st.booleans(), st.booleans(), st.floats(0.0, 40.0), st.floats(0.0, 10.0))
def test_a_measure_weighs_more_when_closer_to_the_mineral_importer_and_date(named, hits, end_use, age, older):
    w = lambda n, h, e, a: co.measure_weight([n], [h], [e], [a])[0]  # noqa: E731
    base = w(named, hits, end_use, age)
    assert 0.0 <= base <= 1.0
    assert w(True, hits, end_use, age) >= base  # this mineral >= other minerals
    assert w(named, True, end_use, age) >= base  # against this importer >= against others
    assert w(named, hits, False, age) >= base  # all uses >= named end uses only
    assert w(named, hits, end_use, age + older) <= base + 1e-15  # older never weighs more


def test_recency_halves_every_half_life():
    assert co.recency([0.0, 5.0, 10.0, -3.0]) == pytest.approx([1.0, 0.5, 0.25, 1.0])


def test_bad_parameters_are_clear_errors():
    with pytest.raises(UnknownValueError, match="coercion weights"):
        co.CoercionParams(0, 0, 0)
    with pytest.raises(UnknownValueError, match="other_mineral"):
        co.CoercionParams(other_mineral=1.5)
    with pytest.raises(UnknownValueError, match="coercion"):
        co.check_risk_weight("coerce")
    with pytest.raises(UnknownValueError, match="as-of date"):
        co.as_of_date(2023, "31/12/2023")


# -- the record from dated registry records -----------------------------------------------------------------------
def _rec(
    i, imposer, commodities, start, end=None, targets=(), end_uses=None, status="in_force", reviewed=True
):
    return {
        "id": f"R{i}",
        "imposer": imposer,
        "commodities": list(commodities),
        "targets": list(targets),
        "end_uses": end_uses,
        "announced_date": None,
        "effective_date": start,
        "end_date": end,
        "status": status,
        "reviewed": reviewed,
        "relaxes": [],
    }


def _record(records, commodity, importer, day):
    rows = co.record_rows(co.record_measures(records), [commodity], {2000: day})
    by = {(r[1], r[3]): r[4] for r in rows}
    return {imp: by.get((imp, importer), by.get((imp, None), 0.0)) for imp in {r[1] for r in rows}}


dates = st.dates(dt.date(2005, 1, 1), dt.date(2030, 12, 31))
record_st = st.builds(
    lambda i, imp, com, start, dur, tgt, eu: _rec(
        i, imp, com, start.isoformat(), (start + dt.timedelta(days=dur)).isoformat() if dur else None, tgt, eu
    ),
    st.integers(0, 10**6),
    st.sampled_from(["CHN", "IDN"]),
    st.sampled_from([["rare_earths"], ["graphite"], ["critical_minerals"], ["gallium", "graphite"], []]),
    dates,
    st.one_of(st.just(0), st.integers(1, 4000)),
    st.sampled_from([(), ("JPN",), ("USA",)]),
    st.sampled_from([None, "military end users"]),
)


@given(st.lists(record_st, max_size=8), record_st, dates)
def test_a_measure_starting_after_the_as_of_date_is_not_seen(recs, later, day):
    later = dict(later, effective_date=(day + dt.timedelta(days=1)).isoformat(), end_date=None, id="LATER")
    assert _record([*recs, later], "rare_earths", "JPN", day) == pytest.approx(
        _record(recs, "rare_earths", "JPN", day)
    )


@given(st.lists(record_st, max_size=8), record_st, dates, st.sampled_from(["JPN", "ITA", "USA"]))
def test_another_seen_measure_never_lowers_any_record(recs, extra, day, importer):
    before = _record(recs, "rare_earths", importer, day)
    after = _record([*recs, dict(extra, id="EXTRA")], "rare_earths", importer, day)
    for imposer, r in before.items():
        assert after.get(imposer, 0.0) >= r - 1e-12


def test_unreviewed_rejected_and_relaxation_records_do_not_count():
    recs = [
        _rec(1, "CHN", ["graphite"], "2023-12-01", reviewed=False),
        _rec(2, "CHN", ["graphite"], "2023-12-01", status="rejected"),
        dict(_rec(3, "CHN", ["graphite"], "2023-12-01"), relaxes=["X"]),
    ]
    assert co.record_measures(recs) == []


def test_a_measure_ended_at_an_unknown_date_ages_from_its_start():
    rec = _rec(1, "CHN", ["graphite"], "2013-12-31", status="lifted")
    assert co.record_measures([rec])[0]["end"] == dt.date(2013, 12, 31)
    r = _record([rec], "graphite", "JPN", dt.date(2023, 12, 31))
    assert r["CHN"] == pytest.approx(0.5 ** (3652 / 365.25 / 5))


# -- on the embedded data -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def jpn(ds):
    return {
        c: co.supplier_weights(ds, "JPN", c, 2023).set_index("country") for c in ("rare_earths", "graphite")
    }


def test_china_is_clearly_riskier_than_the_united_states_for_japan_only_under_the_coercion_weight(jpn):
    for c, w in jpn.items():
        chn, usa = w.loc["CHN"], w.loc["USA"]
        assert abs(chn["g_wgi"] - usa["g_wgi"]) < 0.02, c  # WGI: the two look alike (the complaint)
        assert abs(chn["distance"] - usa["distance"]) < 0.2, c  # UN voting: Japan sits between them
        assert chn["g_coercion"] >= 1.7 * usa["g_coercion"], c  # the record separates them
        assert chn["g_coercion"] - usa["g_coercion"] >= 0.2, c
    assert jpn["graphite"].loc["CHN", "record"] == 1.0  # China's graphite licences (Dec 2023) apply to Japan


def test_the_components_match_the_store_by_hand(ds, jpn):
    ip = ds.con.execute("SELECT country, ideal_point FROM ideal_points WHERE year = 2023").df()
    ip = ip.drop_duplicates("country").set_index("country")["ideal_point"]
    spread = ip.max() - ip.min()
    w = jpn["rare_earths"].loc["CHN"]
    assert w["distance"] == pytest.approx(abs(ip["JPN"] - ip["CHN"]), rel=1e-12)
    assert w["distance_scaled"] == pytest.approx(abs(ip["JPN"] - ip["CHN"]) / spread, rel=1e-12)
    pv = ds.governance("pv", years=[2023], edition="2025 release (PV only)").set_index("country")["estimate"]
    assert w["instability"] == pytest.approx((2.5 - pv["CHN"]) / 5, rel=1e-12)
    assert w["g_coercion"] == pytest.approx(
        co.coercion_weight(w["instability"], w["distance_scaled"], w["record"]), rel=1e-12
    )


def test_a_2023_analysis_does_not_see_later_measures_and_an_as_of_date_does(ds, jpn):
    ids = jpn["rare_earths"].loc["CHN", "measures"].split(",")
    assert all(i[4:8] <= "2023" for i in ids), ids
    later = co.supplier_weights(ds, "JPN", "rare_earths", 2023, as_of="2026-03-01").set_index("country")
    assert "CHN-2026-01-06-japan-military-end-use" in later.loc["CHN", "measures"]
    assert "CHN-2025-04-04-rare-earths-medium-heavy" in later.loc["CHN", "measures"]
    assert later.loc["CHN", "record"] > jpn["rare_earths"].loc["CHN", "record"]
    assert later.loc["USA", "record"] == 0.0


def test_a_measure_against_japan_weighs_more_for_japan_than_for_italy(ds):
    jp = co.supplier_weights(ds, "JPN", "rare_earths", 2015, suppliers=["CHN"]).iloc[0]
    it = co.supplier_weights(ds, "ITA", "rare_earths", 2015, suppliers=["CHN"]).iloc[0]
    assert "CHN-2010-09-21-rare-earths-japan-halt" in jp["measures"]
    assert jp["record"] > it["record"] > 0  # the 2010 halt targeted Japan; the 2012-2015 quotas hit both


def test_a_blocs_weight_is_the_mean_of_its_members(ds, jpn):
    it = co.supplier_weights(ds, "ITA", "rare_earths", 2023).set_index("country")
    both = co.supplier_weights(ds, "JPN+ITA", "rare_earths", 2023).set_index("country")
    for c in ("CHN", "USA", "MYS", "AUS"):
        assert both.loc[c, "g_coercion"] == pytest.approx(
            (jpn["rare_earths"].loc[c, "g_coercion"] + it.loc[c, "g_coercion"]) / 2, rel=1e-12
        )


def test_countries_without_a_un_seat_of_their_own(ds, jpn):
    w = jpn["rare_earths"]
    assert w.loc["HKG", "distance"] == pytest.approx(w.loc["CHN", "distance"])  # China represents Hong Kong
    assert bool(w.loc["TWN", "missing_ideal_point"])
    assert np.isnan(w.loc["TWN", "distance"])
    assert w.loc["TWN", "g_coercion"] == pytest.approx(
        co.coercion_weight(w.loc["TWN", "instability"], 0.5, 0.0)
    )
    worst = co.supplier_weights(ds, "JPN", "rare_earths", 2023, missing="worst", suppliers=["TWN"]).iloc[0]
    assert worst["g_coercion"] == pytest.approx(co.coercion_weight(worst["instability"], 1.0, 0.0))
    assert co.supplier_weights(ds, "JPN", "rare_earths", 2023, missing="exclude", suppliers=["TWN"]).empty


def test_a_year_after_the_last_un_session_uses_the_last_session(ds):
    w = co.supplier_weights(ds, "JPN", "graphite", 2024, suppliers=["CHN"])
    assert int(w["ideal_point_year"].iloc[0]) == 2023
    assert "ideal points of 2023 for later years" in w["provenance"].iloc[0]
