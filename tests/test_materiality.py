"""Materiality: USD 20 of Japanese tin is not a finding."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.indicators.materiality import DEFAULT, Materiality, is_material


def test_threshold_by_hand():
    # value kUSD, total kUSD: USD 20; USD 1 M that is 0.5 % of 200 M; USD 5 M of 100 M; unknown value
    got = is_material([0.02, 1_000.0, 5_000.0, np.nan], [0.02, 200_000.0, 100_000.0, 10.0])
    assert got.tolist() == [False, False, True, False]
    assert Materiality(0.0, 0.0)([0.02], [1e9]).tolist() == [True]  # thresholds off
    assert DEFAULT.label == "USD 1 M and 1% of the party's imports of the mineral"
    with pytest.raises(ValueError, match="min_share"):
        Materiality(min_share=1.5)


@given(st.floats(0, 1e7), st.floats(0, 1e7), st.floats(0, 1e7))
def test_more_value_never_makes_a_flow_immaterial_and_a_larger_total_never_makes_it_material(v, t, extra):
    before = is_material([v], [t])[0]
    assert is_material([v + extra], [t])[0] or not before
    assert (not is_material([v], [t + extra])[0]) or before


def test_japans_tin_is_not_material_and_not_a_finding(ds):
    e = ds.exposure("JPN", 2023)
    tin = e[(e["commodity"] == "tin")].iloc[0]
    assert tin["import_value_kusd"] < 1 and not tin["material"]  # about USD 20
    from critmin.report import _findings

    text = " ".join(_findings(e, "share_from_CHN"))
    assert not re.search(r"\btin\b", text.lower())  # no finding names it
    assert "not counted" in text
    rare = e[e["commodity"] == "rare_earths"].iloc[0]
    assert rare["material"]


def test_eu_supply_risk_from_tiny_volumes_is_flagged(ds):
    from critmin.indicators import eu_crm

    res = eu_crm.eu_supply_risk(ds, "JPN", "tin,rare_earths", 2023, stages=("mine", "refined"))
    tin = res[(res["commodity"] == "tin") & (res["stage"] == "mine")].iloc[0]
    assert "immaterial_imports" in json.loads(tin["flags"])
    ree = res[(res["commodity"] == "rare_earths") & (res["stage"] == "refined")].iloc[0]
    assert "immaterial_imports" not in json.loads(ree["flags"])
