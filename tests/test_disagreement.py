"""Disagreements said next to the number: value vs tonnes shares, and two production sources."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from critmin.indicators import disagreement as dg


def test_disagrees_beyond_the_margin_only_when_both_known():
    a = np.array([0.38, 0.50, 0.10, np.nan, 0.2])
    b = np.array([0.66, 0.55, 0.2, 0.9, 0.30000000000000004])
    assert dg.disagrees(a, b, 0.10).tolist() == [True, False, False, False, False]


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 0.5))
def test_disagreement_is_symmetric_and_shrinks_with_the_margin(a, b, m):
    assert dg.disagrees([a], [b], m)[0] == dg.disagrees([b], [a], m)[0]
    if dg.disagrees([a], [b], m)[0]:
        assert dg.disagrees([a], [b], m / 2)[0]


def test_source_gaps_compare_the_reported_source_with_others_on_the_same_basis():
    conc = pd.DataFrame(
        [
            ("antimony", "mine", 2023, "Sb", "WMD", "WMD 2026", 0.349),
            ("antimony", "mine", 2023, "Sb", "USGS", "MCS 2024", 0.480),
            ("rare_earths", "mine", 2023, "REO", "WMD", "WMD 2026", 0.68),
            ("rare_earths", "mine", 2023, "REO", "USGS", "MCS 2024", 0.679),
            (
                "rare_earths",
                "mine",
                2023,
                "magnet REE",
                "IEA",
                "May 2024",
                0.30,
            ),  # another basis: not compared
        ],
        columns=["commodity", "stage", "year", "basis", "source", "edition", "share_CHN"],
    )
    gaps = dg.source_gaps(conc, "share_CHN", 0.10)
    assert len(gaps) == 1
    g = gaps.iloc[0]
    assert (g["commodity"], g["source"], g["other_source"]) == ("antimony", "WMD", "USGS")
    assert g["gap"] == 0.480 - 0.349
    assert dg.source_note("CHN", g) == "CHN 35% (WMD 2026) vs 48% (USGS MCS 2024), 2023"


def test_exposure_says_where_japans_rare_earth_shares_disagree(ds):
    e = ds.exposure("JPN", 2024, commodities="rare_earths,antimony")
    ree = e[(e["commodity"] == "rare_earths") & (e["stage"] == "refined")].iloc[0]
    # Japan's refined rare earths in 2024: China 38 % by value, about two thirds by tonnes of REO
    assert round(100 * ree["share_from_CHN"]) == 38 and round(100 * ree["alt_basis_share_from"]) == 66
    assert ree["basis_disagrees"] and ree["alt_basis"] == "tonnes"
    assert "CHN 38% by value, 66% by tonnes" in ree["disagreement"]
    sb = e[(e["commodity"] == "antimony") & (e["stage"] == "mine")].iloc[0]
    assert "world mine: CHN 35% (WMD 2026) vs 48% (USGS MCS 2024), 2023" in sb["disagreement"]
    assert round(100 * sb["world_mine_china_share_alt"]) == 48


def test_the_tonnes_basis_reports_the_value_share_as_the_alternative(ds):
    v = ds.exposure("JPN", 2024, commodities="rare_earths")
    t = ds.exposure("JPN", 2024, commodities="rare_earths", basis="tonnes")
    assert np.allclose(v["share_from_CHN"], t["alt_basis_share_from"], equal_nan=True)
    assert np.allclose(v["alt_basis_share_from"], t["share_from_CHN"], equal_nan=True)


def test_a_source_note_gives_the_world_totals_when_they_differ(ds):
    """Antimony 2023: WMD 2026 counts 117 kt of world mine output (37,880 t in Russia), USGS MCS 2024 83 kt; the
    note says so, since China's share differs because the denominator does. Totals within 10% are not said."""
    import pytest

    from critmin.indicators.disagreement import source_note

    g = ds.source_disagreements
    sb = g[(g["commodity"] == "antimony") & (g["year"] == 2023)].iloc[0]
    wmd = ds.production("antimony", "mine", 2023, source="WMD")["tonnes"].sum()
    usgs = ds.production("antimony", "mine", 2023, source="USGS")["tonnes"].sum()
    assert sb["total"] == pytest.approx(wmd) and sb["other_total"] == pytest.approx(usgs)
    note = source_note("CHN", sb)
    assert note.startswith("CHN 35% (WMD 2026) vs 48% (USGS MCS 2024), 2023")
    assert f"(world output {wmd:,.0f} t vs {usgs:,.0f} t Sb)" in note and ";" not in note
    close = pd.Series({**sb.to_dict(), "other_total": sb["total"] * 1.05})
    assert "world output" not in source_note("CHN", close)
