"""Untrusted text leaving critmin: CSV cells and terminal output.

Text from news articles, ingested files and user-added records can carry payloads aimed at whoever opens
critmin's output next:

* **CSV formula injection** (OWASP, "CSV Injection"): a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or
  a carriage return is run as a formula by spreadsheet programs (``=HYPERLINK(...)``, DDE ``=cmd|...``).
  :func:`csv_cell` prefixes such cells with a single quote, so they are shown as text; plain numbers written
  as text (``-5``, ``+1.5e3``) are left alone. :func:`write_csv` is the one CSV writer every ``--out`` and
  export goes through.
* **Terminal injection**: escape sequences (``ESC [``, OSC 8 hyperlinks, ``ESC ]0;`` window titles), other
  control characters and bidirectional overrides (Boutell & Anderson 2021, "Trojan Source") reach the terminal
  raw, and ``[link=...]``-style text is taken as rich markup. :func:`terminal_text` shows control characters
  as visible escapes (``\\x1b``) and escapes rich markup.
"""

from __future__ import annotations

import re
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# C0 controls except newline, DEL, C1 controls, and the Unicode bidirectional embeddings/overrides/isolates
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def csv_cell(value):
    """``value`` made safe to open in a spreadsheet (strings only; numbers and None are returned as they are).

    Carriage returns become line breaks: the CSV writer quotes a cell holding a line break, but not one holding
    a lone CR, which a spreadsheet would take as the start of a new row.
    """
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        value = "'" + value
    return value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value


def csv_text(value):
    """The inverse of :func:`csv_cell` for text read back from a CSV critmin wrote."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def csv_row(values) -> list:
    return [csv_cell(v) for v in values]


def _joined(value):
    import numpy as np

    if isinstance(value, list | tuple | np.ndarray):
        return ";".join(map(str, value))
    return value


def neutralise_frame(df):
    """A copy of ``df`` with list cells joined by ';' and every text cell passed through :func:`csv_cell`."""
    import pandas as pd

    frame = df.copy()
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype | pd.CategoricalDtype):
            frame[col] = s.astype(object).map(_joined).map(csv_cell)
    frame.columns = [csv_cell(str(c)) for c in frame.columns]
    return frame


def write_csv(df, path):
    """Write ``df`` as UTF-8 CSV with formula-looking text cells neutralised (see the module docstring).

    ``path`` is a file path (returned as a Path) or an open text stream (returned as it is)."""
    target = path if hasattr(path, "write") else Path(path)
    neutralise_frame(df).to_csv(target, index=False)
    return target


def _visible(match: re.Match) -> str:
    ch = match.group(0)
    if ch == "\t":
        return " "
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain_text(value, limit: int | None = None, *, single_line: bool = True) -> str:
    """Untrusted text with control characters made visible (``\\x1b``), optionally cut to ``limit`` characters."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    text = str(value)
    if single_line:
        text = text.replace("\r\n", " ").replace("\n", " ")
    text = _CONTROL.sub(_visible, text)
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def terminal_text(value, limit: int | None = None, *, single_line: bool = True) -> str:
    """Untrusted text for a rich console or table cell: :func:`plain_text` with rich markup escaped."""
    from rich.markup import escape

    return escape(plain_text(value, limit, single_line=single_line))


__all__ = ["csv_cell", "csv_row", "csv_text", "neutralise_frame", "plain_text", "terminal_text", "write_csv"]
