"""Issue 10 item 11: a sweep of 10,000,000 draws and a year range of 0-100000000 are refused before any
draws × countries array or year list is allocated, with a one-line message."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from typer.testing import CliRunner

from critmin.cli.common import parse_years
from critmin.cli.main import app
from critmin.errors import CritminError, UnknownValueError
from critmin.scenarios.montecarlo import check_sweep_size, stock_sweep, sweep
from critmin.scenarios.network import from_matrix

NET = from_matrix([f"C{i}" for i in range(200)], np.ones(200), np.eye(200)[::-1] * 5.0)


def _peak_bytes(fn) -> tuple[int, Exception | None]:
    tracemalloc.start()
    err = None
    try:
        fn()
    except Exception as exc:  # the test looks at what was raised
        err = exc
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, err


def test_ten_million_draws_are_refused_before_allocating():
    peak, err = _peak_bytes(lambda: sweep(NET, draws=10_000_000, imposers="C0"))
    assert isinstance(err, CritminError)
    msg = str(err)
    assert "10,000,000 draws × 200 countries" in msg and "GiB" in msg and "at most" in msg
    assert "\n" not in msg
    assert peak < 20 * 2**20  # 10M × 200 float64 would be 16 GB; nothing of that size was allocated
    peak, err = _peak_bytes(lambda: stock_sweep(NET, "C1", [0, 30], draws=5_000_000, imposers="C0"))
    assert isinstance(err, CritminError) and peak < 20 * 2**20


def test_the_limit_scales_with_countries_and_a_normal_sweep_passes():
    check_sweep_size(10_000, 231)  # the benchmark's full-network sweep
    with pytest.raises(CritminError, match="at most"):
        check_sweep_size(1_000, 231, max_bytes=2**20)
    with pytest.raises(CritminError, match="draws must be >= 1"):
        check_sweep_size(0, 10)


def test_cli_refuses_ten_million_draws_with_one_line(store_path):
    res = CliRunner().invoke(
        app,
        ["--db", str(store_path), "scenario", "sweep", "--commodity", "graphite", "--year", "2023",
         "--draws", "10000000"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert res.exit_code != 0
    assert isinstance(res.exception, CritminError) and "at most" in str(res.exception)


def test_year_ranges_are_checked_before_they_are_expanded():
    peak, err = _peak_bytes(lambda: parse_years(None, "0-100000000"))
    assert isinstance(err, UnknownValueError) and "1900-2100" in str(err)
    assert peak < 2**20  # a list of 100M ints would take GBs
    with pytest.raises(CritminError, match="reversed: write it low to high, 2018-2024"):
        parse_years(None, "2024-2018")
    for bad in ("1000", "2019,3000-3001"):
        with pytest.raises(UnknownValueError):
            parse_years(None, bad)
    assert parse_years(None, "2018-2020,2023") == (None, [2018, 2019, 2020, 2023])


def test_cli_refuses_an_absurd_year_range(store_path):
    res = CliRunner().invoke(
        app, ["--db", str(store_path), "exposure", "--for", "JPN", "--years", "0-100000000"]
    )
    assert res.exit_code != 0
    assert "year range" in str(res.exception) or "year range" in res.output
