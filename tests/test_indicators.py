"""Concentration and dependence formulas: hand-computed cases and invariants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.indicators import hhi, import_reliance, share_of, shares, top_n_share
from critmin.indicators.tables import group_concentration

positive = st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=40)


def test_hhi_hand_computed():
    # shares 0.5, 0.3, 0.2 -> 0.25 + 0.09 + 0.04
    assert hhi([50, 30, 20]) == pytest.approx(0.38)
    assert hhi([1]) == 1.0
    assert hhi([1, 1, 1, 1]) == pytest.approx(0.25)


def test_hhi_with_residual_total_is_a_lower_bound():
    # rest of world (30) counts in the total but is not squared
    assert hhi([50, 20], total=100) == pytest.approx(0.25 + 0.04)
    assert hhi([50, 20], total=100) < hhi([50, 20, 30])


def test_no_supply_gives_nan_not_zero():
    assert math.isnan(hhi([0, 0]))
    assert math.isnan(top_n_share([0.0]))
    assert np.isnan(shares([0, 0])).all()


def test_total_smaller_than_sum_is_an_error():
    with pytest.raises(ValueError, match="smaller"):
        hhi([10, 10], total=5)


def test_negative_quantity_is_an_error():
    with pytest.raises(ValueError, match="non-negative"):
        hhi([10, -1])


def test_top_n_and_share_of():
    q = [10, 40, 30, 20]
    assert top_n_share(q, 1) == pytest.approx(0.4)
    assert top_n_share(q, 3) == pytest.approx(0.9)
    assert share_of(q, [True, False, False, True]) == pytest.approx(0.3)


@given(positive)
def test_hhi_between_one_over_n_and_one(q):
    q = np.array(q)
    n = int((q > 0).sum())
    if n == 0:
        return
    h = hhi(q)
    assert 1 / n - 1e-12 <= h <= 1 + 1e-12


@given(positive)
def test_shares_sum_to_one(q):
    s = shares(q)
    if np.nansum(q) > 0:
        assert s.sum() == pytest.approx(1.0)


@given(positive, st.integers(min_value=1, max_value=5))
def test_top_n_monotone_in_n(q, n):
    if sum(q) == 0:
        return
    assert top_n_share(q, n) <= top_n_share(q, n + 1) + 1e-12


def test_import_reliance_hand_computed():
    # (I - E) / (P + I - E): 80 - 20 = 60 over 40 + 60 = 100
    assert import_reliance(80, 20, 40) == pytest.approx(0.6)
    assert import_reliance(10, 50, 100) == 0.0  # net exporter, clipped
    assert import_reliance(10, 50, 100, clip=False) == pytest.approx(-40 / 60)
    assert np.isnan(import_reliance(0, 50, 10))  # apparent consumption negative


@given(st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1e6))
def test_import_reliance_within_zero_one(i, e, p):
    r = import_reliance(i, e, p)
    assert np.isnan(r) or 0 <= r <= 1


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["X", "Y", "Z", "ROW"]), st.floats(0, 1e6)),
        min_size=1,
        max_size=30,
    )
)
def test_group_concentration_agrees_with_pure_functions(rows):
    df = pd.DataFrame(rows, columns=["g", "who", "q"])
    out = group_concentration(df, ["g"], "who", "q", top=2, named={"x": {"X"}}, leaders=1).set_index("g")
    for g, part in df.groupby("g"):
        per = part.groupby("who")["q"].sum()
        total = per.sum()
        named = per.drop("ROW", errors="ignore")
        if total == 0:
            assert np.isnan(out.loc[g, "hhi"])
            continue
        assert out.loc[g, "hhi"] == pytest.approx(hhi(named.to_numpy(), total=total))
        assert out.loc[g, "top2_share"] == pytest.approx(top_n_share(named.to_numpy(), 2, total=total))
        assert out.loc[g, "share_x"] == pytest.approx(per.get("X", 0.0) / total)
