"""Alignment from UNGA ideal points and partner-set specs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.errors import NoDataError, UnknownValueError
from critmin.optimize import alignment as al


def test_ideal_distance_hand_case():
    np.testing.assert_allclose(al.ideal_distance([0.81, -0.8], [1.28, 2.5]), [0.47, 3.3])


def test_distance_interval_hand_cases():
    lo, hi = al.distance_interval(0.0, 1.0, 2.0, 3.0)  # disjoint: 1 .. 3
    assert (lo, hi) == (1.0, 3.0)
    lo, hi = al.distance_interval(0.0, 2.0, 1.0, 3.0)  # overlapping: 0 .. 3
    assert (lo, hi) == (0.0, 3.0)


@given(st.floats(-3, 3), st.floats(0, 1), st.floats(-3, 3), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_point_distance_lies_in_its_interval(a, wa, b, wb, ta, tb):
    lo, hi = al.distance_interval(a, a + wa, b, b + wb)
    d = al.ideal_distance(a + ta * wa, b + tb * wb)
    assert lo - 1e-12 <= d <= hi + 1e-12


def test_japan_italy_distance_from_the_data(ds):
    pts = ds.ideal_points(78).set_index("country")
    df = al.alignment(ds, "Japan", "ITA,CHN", within=1.0)
    row = df.set_index("other").loc["ITA"]
    assert row["distance"] == pytest.approx(
        abs(pts.loc["JPN", "ideal_point"] - pts.loc["ITA", "ideal_point"])
    )
    assert row["session"] == 78 and row["year"] == 2023
    assert bool(row["aligned"]) == (row["distance"] <= 1.0)
    assert row["distance_lo"] <= row["distance"] <= row["distance_hi"]
    assert list(df["distance"]) == sorted(df["distance"])
    assert set(df.columns) >= {"source", "edition"}


def test_threshold_is_user_settable(ds):
    tight = al.aligned_with(ds, "JPN", 0.2)
    loose = al.aligned_with(ds, "JPN", 1.0)
    assert "JPN" in tight and set(tight) < set(loose)
    df = al.alignment(ds, "JPN")
    assert set(loose) - {"JPN"} == set(df.loc[df["distance"] <= 1.0, "other"])


def test_session_by_number_or_year(ds):
    assert al.resolve_session(ds, 2010) == 65
    assert al.resolve_session(ds, 65) == 65
    assert al.resolve_session(ds) == int(ds.ideal_points()["session"].max())
    with pytest.raises(NoDataError, match="sessions"):
        al.resolve_session(ds, 2090)


def test_partner_set_grammar(ds):
    assert al.partner_set(ds, "G7,AUS,-USA") == ("AUS", "CAN", "DEU", "FRA", "GBR", "ITA", "JPN")
    aligned = set(al.partner_set(ds, "aligned:JPN:0.3"))
    assert aligned == set(al.aligned_with(ds, "JPN", 0.3))
    partners = set(al.partner_set(ds, "partners:JPN"))
    assert {"USA", "AUS", "ITA"} <= partners and "JPN" not in partners
    # as of a date: before the 2025 G7 action plan, Canada was not a partner of Japan
    assert "CAN" in partners and "CAN" not in set(al.partner_set(ds, "partners:JPN@2024-12-31"))
    # Italy's partners include the EU's raw-materials partners and, through EU27, the EU members
    ita = set(al.partner_set(ds, "partners:ITA@2024"))
    assert {"CAN", "CHL", "AUS", "DEU", "FRA"} <= ita
    assert "CHN" not in set(al.partner_set(ds, "-CHN")) and "USA" in set(al.partner_set(ds, "-CHN"))
    assert len(al.partner_set(ds, None)) > 150


def test_partner_set_errors(ds):
    with pytest.raises(UnknownValueError, match="country or bloc"):
        al.partner_set(ds, "G7,Atlantis")
    with pytest.raises(UnknownValueError, match="aligned:JPN"):
        al.partner_set(ds, "aligned:JPN:1:2")
    with pytest.raises(UnknownValueError, match="threshold"):
        al.partner_set(ds, "aligned:JPN:close")
    with pytest.raises(NoDataError, match="no UNGA ideal point for TWN"):
        al.alignment(ds, "Taiwan")


def test_cli_partners(store_path):
    from typer.testing import CliRunner

    from critmin.cli.main import app

    res = CliRunner().invoke(
        app, ["--db", str(store_path), "partners", "--for", "JPN", "--aligned-within", "1.0"]
    )
    assert res.exit_code == 0, res.output
    assert "within 1" in res.output and "partnerships in force" in res.output


def test_the_yugoslav_seat_is_serbia_s_in_recent_sessions(ds):
    """The dataset keeps COW code 345 as "YUG" to session 78; a 2023 partner list must say Serbia."""
    from critmin.data.build import unga_country

    assert unga_country("YUG", 78) == "SRB" and unga_country("YUG", 61) == "SRB"
    assert unga_country("YUG", 55) == "SCG" and unga_country("YUG", 30) == "YUG"
    assert unga_country("ITA", 78) == "ITA"
    countries = set(ds.ideal_points(78)["country"])
    assert "SRB" in countries and "YUG" not in countries
