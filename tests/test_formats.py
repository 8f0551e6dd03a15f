"""One way to write a percentage: critmin.formats.percent, and nowhere a number spaced from its % sign."""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.formats import percent

SRC = Path(__file__).resolve().parents[1] / "src" / "critmin"
#: a number (or an f-string field) and then a space before '%': the form the tables never used
SPACED = re.compile(r"(\d|\})[ \u00a0\u202f]%")


@pytest.mark.parametrize(
    ("x", "kw", "text"),
    [
        (0.65, {}, "65%"),
        (0.001, {"digits": 1}, "0.1%"),
        (-0.0004, {}, "0%"),  # rounds to zero: no sign
        (-0.3, {}, "-30%"),
        (0.09, {"sign": True}, "+9%"),
        (-0.3, {"sign": True}, "−30%"),  # a typographic minus for a change
        (0.001, {"sign": True}, "±0%"),
        (None, {}, "—"),
        (float("nan"), {"missing": "n/a"}, "n/a"),
        (1.0, {}, "100%"),
    ],
)
def test_percent_hand_cases(x, kw, text):
    assert percent(x, **kw) == text


@given(st.floats(-10, 10, allow_nan=False), st.integers(0, 2), st.booleans())
def test_percent_is_the_number_then_the_sign_and_reads_back(x, digits, sign):
    text = percent(x, digits, sign=sign)
    assert text.endswith("%") and " " not in text and not SPACED.search(text)
    back = float(text.rstrip("%").replace("−", "-").replace("±", "").replace("+", ""))
    assert math.isclose(back, 100 * x, abs_tol=0.5 * 10**-digits + 1e-9)


def _strings(path: Path):
    """Every string literal of a module (f-strings whole), with its line."""
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if tok.type == tokenize.STRING:
            yield tok.start[0], tok.string


def test_no_text_in_the_package_spaces_a_number_from_its_percent_sign():
    """Messages, captions, help, report prose, YAML text: '65%' as the tables write it (percent() for
    numbers); a space would come back with the next sentence written by hand."""
    bad = []
    for path in sorted(SRC.rglob("*")):
        if path.suffix == ".py":
            ast.parse(path.read_text(encoding="utf-8"))  # a module, not a fragment
            bad += [f"{path.relative_to(SRC)}:{n}" for n, s in _strings(path) if SPACED.search(s)]
        elif path.suffix in (".yaml", ".j2", ".html", ".md"):
            text = path.read_text(encoding="utf-8")
            bad += [
                f"{path.relative_to(SRC)}:{text[: m.start()].count(chr(10)) + 1}"
                for m in SPACED.finditer(text)
            ]
    assert not bad, bad
