"""The terminal-table renderer (critmin.cli.render): numbers never cut, names wrap, columns give way in order,
stacked when nothing fits, whole when piped, untrusted text never styles the terminal, stable exports."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from critmin.cli import render
from critmin.cli.render import Col
from critmin.errors import CritminError, UnknownValueError

COLS = [
    Col("name", "Mineral · stage", "name", 0, min_width=10),
    Col("value", "Imports USD", "usd", 0),
    Col("share", "From CHN", "pct", 0),
    Col("top", "1st supplier", "code", 1),
    Col("nir", "Net import reliance", "pct", 2),
    Col("hhi", "Supplier HHI", "hhi", 3),
]
ROWS = [
    {"name": "Rare earth elements · refined", "value": 515.4e6, "share": 0.38, "top": "CHN 38%", "nir": 1.0,
     "hhi": 0.27},
    {"name": "Graphite (natural) · mine", "value": 76.6e6, "share": 0.9, "top": "CHN 90%", "nir": None,
     "hhi": 0.81},
]  # fmt: skip


def printed(rows, cols, width):
    buf = io.StringIO()
    con = Console(file=buf, width=width or 500, color_system=None, soft_wrap=width is None)
    layout = render.render(rows, cols, title="t", width=width, out=con)
    return buf.getvalue(), layout


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_numbers_are_whole_at_every_width(width):
    text, layout = printed(ROWS, COLS, width)
    assert not layout.stacked
    for c in layout.shown:
        if c.numeric:
            for r in ROWS:
                assert c.cell(r) in text, (width, c.key)
    assert max(len(line) for line in text.splitlines()) <= width


def test_columns_give_way_in_priority_order_and_are_named():
    text, layout = printed(ROWS, COLS, 40)
    assert [c.key for c in layout.shown] == ["name", "value", "share", "top"]
    assert [c.key for c in layout.hidden] == ["nir", "hhi"]
    assert "Not shown at 40 columns: Net import reliance, Supplier HHI" in " ".join(text.split())


def test_names_wrap_at_words():
    text, _ = printed(ROWS, COLS, 40)
    assert "Rare earth" in text and "refined" in text
    assert "Rare earth elements · refined" not in text  # wrapped, not cut


def test_stacked_when_the_essential_columns_do_not_fit():
    text, layout = printed(ROWS, COLS, 20)
    assert layout.stacked
    assert "Imports USD: 515M" in text and "From CHN: 38%" in text


def test_piped_prints_every_column_at_natural_width():
    text, layout = printed(ROWS, COLS, None)
    assert layout.hidden == [] and not layout.stacked
    assert "Rare earth elements · refined" in text and "0.81" in text


def test_untrusted_text_is_plain():
    rows = [{"name": "[bold red]x[/] \x1b[31mred\x1b[0m \u202eevil", "value": 1.0, "share": 0.1}]
    text, _ = printed(rows, COLS[:3], 120)
    assert "[bold red]x[/]" in text  # shown, not interpreted
    assert "\x1b" not in text and "\u202e" not in text
    assert "\\x1b[31m" in text and "\\u202e" in text


@given(
    st.lists(
        st.one_of(st.floats(min_value=-1e12, max_value=1e12), st.just(math.nan)), min_size=1, max_size=12
    ),
    st.integers(min_value=24, max_value=160),
)
def test_numeric_columns_never_narrower_than_their_values(values, width):
    rows = [{"name": f"mineral {i}", "value": v, "share": abs(v) % 1} for i, v in enumerate(values)]
    cols = COLS[:3]
    cells = [[c.cell(r) for c in cols] for r in rows]
    layout = render.fit(cols, cells, width)
    if layout.stacked:
        return
    lo, hi = render.column_widths(layout.shown, cells)
    widths = render.allocate(layout.shown, lo, hi, width)
    for c, w in zip(layout.shown, widths, strict=True):
        if c.numeric:
            assert w >= max(len(c.cell(r)) for r in rows)
    assert render.table_width(widths) <= width


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (-1e-17, "num", "0.000"),
        (-0.0004, "pct", "0%"),
        (float("nan"), "pct", "—"),
        (None, "usd", "—"),
        (515_412_345.0, "usd", "515M"),
        (2_400.0, "kusd", "2.4M"),
        (46_207.4, "tonnes", "46.2k"),
        (3.0, "int", "3"),
        (float("inf"), "days", "∞"),
        (True, "code", "yes"),
    ],
)
def test_cell_formats(value, kind, text):
    assert render.format_value(value, kind) == text


def test_output_plan_checks_extension_against_format(tmp_path):
    assert render.output_plan(None, None) == ("table", None)
    assert render.output_plan(None, "csv") == ("csv", None)
    assert render.output_plan("-", None) == ("csv", None)
    assert render.output_plan("-", "json") == ("json", None)
    assert render.output_plan(tmp_path / "a.csv", None) == ("table", tmp_path / "a.csv")
    with pytest.raises(CritminError, match="names a csv file but --format is json"):
        render.output_plan(tmp_path / "a.csv", "json")
    with pytest.raises(UnknownValueError, match=r"output file type '\.txt'"):
        render.output_plan(tmp_path / "a.txt", None)
    with pytest.raises(UnknownValueError, match="output format 'xml'"):
        render.output_plan(None, "xml")


def test_one_output_file_check_and_message(tmp_path):
    """``--out`` with a wrong file type says the same thing whichever command takes it: the type, the file
    name corrected, ``--out -`` only where the command writes to stdout."""
    from critmin.cli.common import check_output as common_check

    assert common_check is render.check_output
    assert render.check_output(tmp_path / "a.CSV") == ".csv"
    with pytest.raises(UnknownValueError) as planned:
        render.output_plan(tmp_path / "flows.txt", None)
    with pytest.raises(UnknownValueError) as checked:
        render.check_output(tmp_path / "flows.txt", stdout=True)
    assert (
        str(planned.value)
        == str(checked.value)
        == (
            "unknown output file type '.txt' (name the file flows.csv, .json or .parquet, or --out - for stdout)"
        )
    )
    with pytest.raises(
        UnknownValueError, match=r"'\.txt' \(name the file flows\.csv, \.json or \.parquet\)$"
    ):
        render.check_output(tmp_path / "flows.txt")
    yaml_too = (".csv", ".json", ".yaml", ".yml", ".parquet")
    assert render.output_plan(tmp_path / "r.yml", None, yaml_too) == ("table", tmp_path / "r.yml")
    with pytest.raises(UnknownValueError, match=r"name the file r\.csv, \.json, \.yaml, \.yml or \.parquet"):
        render.output_plan(tmp_path / "r.xml", None, yaml_too)
    with pytest.raises(UnknownValueError, match=r"output file type 'out'"):  # no suffix: the name itself
        render.check_output("out")


def test_stable_floats_drop_noise_and_keep_digits():
    df = pd.DataFrame(
        {"t": [36981.715000000004, 0.1 + 0.2, -1234567.891234, 0.0, math.nan], "n": [1, 2, 3, 4, 5]}
    )
    out = render.stable_floats(df)
    assert out["t"].iloc[0] == 36981.715 and repr(float(out["t"].iloc[1])) == "0.3"
    assert out["t"].iloc[2] == -1234567.891 and out["t"].iloc[3] == 0.0 and math.isnan(out["t"].iloc[4])
    assert out["n"].dtype == df["n"].dtype
    assert "36981.715000000004" not in out.to_csv()


def test_emit_writes_csv_and_json_to_the_stream():
    df = pd.DataFrame({"party": ["JPN"], "share": [0.38000000000000006], "partners": [["CHN", "VNM"]]})
    buf = io.StringIO()
    render.emit(df, "csv", buf)
    assert buf.getvalue().splitlines() == ["party,share,partners", "JPN,0.38,CHN;VNM"]
    buf = io.StringIO()
    render.emit(df, "json", buf)
    assert '"share":0.38' in buf.getvalue().replace(" ", "")
