"""Terminal tables for every critmin command: readable in an 80-column terminal, whole when piped.

One renderer and one set of rules for every table the CLI prints:

* **numbers are never wrapped or cut** — a numeric column is as wide as its widest value (and its header
  wraps at spaces to fit it);
* **names wrap**, at word boundaries, down to a minimum width;
* when the columns do not fit the terminal, the **least important columns are left out**, in the order each
  command states, and a line under the table names them (``--format csv`` or ``--out`` give everything);
  when even the essential columns do not fit, each row is printed **stacked**, one ``label: value`` per line;
* **piped** to a file or another program (stdout is not a terminal and ``COLUMNS`` is not set), a table is
  printed at its natural width with every column, so nothing is cut;
* cell text is **plain text**: it is never parsed as rich markup, and control characters (escape sequences,
  bidirectional overrides) are shown as visible escapes, so text from the news or from users cannot style,
  move or rewrite the terminal.

``--out -`` and ``--format csv|json`` write the tidy table to stdout for other programs
(:func:`emit`); file exports go through :func:`critmin.cli.common.write_table`. Both round floats to
:data:`SIGNIFICANT_DIGITS` significant digits, so exports are the same bytes run after run.

This module imports neither pandas nor numpy at import time (``critmin risk`` prints without pandas).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from critmin.errors import UnknownValueError
from critmin.formats import percent

#: kinds of column; every kind but 'text' and 'name' is a number, right-aligned and never wrapped
NUMERIC_KINDS = ("int", "num", "pct", "usd", "kusd", "tonnes", "hhi", "days")
KINDS = ("text", "name", "code", *NUMERIC_KINDS)
#: table formats a command can print to stdout
FORMATS = ("table", "csv", "json")
#: exports keep this many significant digits (more than any source's precision; drops float noise such as
#: 36981.715000000004 and makes exports byte-identical run to run)
SIGNIFICANT_DIGITS = 10
DASH = "—"


# -- cell text ----------------------------------------------------------------------------------------------
def plain(value, limit: int | None = None) -> str:
    """Untrusted text as one line of plain text (:func:`critmin.untrusted.plain_text`: control characters and
    bidirectional overrides shown as escapes), cut to ``limit``; NaN and arrays handled as table cells."""
    from critmin.untrusted import plain_text

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    return plain_text(value, limit)


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return x != x or str(x) == "<NA>"  # NaN, pandas.NA
    except (TypeError, ValueError):
        return True


def compact(x: float, unit: str = "") -> str:
    """A magnitude in 4 significant characters: 515.4M, 22.7k, 980 (the unit follows, e.g. 'k t')."""
    for suffix, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= div * 0.9995:
            v = x / div
            return f"{v:.1f}{suffix}{unit}" if abs(v) < 100 else f"{v:.0f}{suffix}{unit}"
    return f"{x:.0f}{unit}" if abs(x) >= 10 or x == 0 else f"{x:.1f}{unit}"


def format_value(x, kind: str = "text", digits: int | None = None) -> str:
    """One cell, formatted the same way in every table (NaN and None as '—')."""
    if isinstance(x, bool) or type(x).__name__ == "bool_":
        return "yes" if x else "no"
    if kind in ("text", "name", "code"):
        return plain(x) if not _missing(x) else ""
    if _missing(x):
        return DASH
    try:
        x = float(x)
    except (TypeError, ValueError):
        return plain(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        x = 0.0  # no '-0'
    if kind == "int":
        return f"{round(x):,}"
    if kind == "pct":
        return percent(x, digits or 0)
    if kind == "usd":
        return compact(x)
    if kind == "kusd":  # thousand USD in, USD shown
        return compact(1e3 * x)
    if kind == "tonnes":
        return compact(x)
    if kind == "hhi":
        return _no_negative_zero(f"{x:.{2 if digits is None else digits}f}")
    if kind == "days":
        return f"{x:,.0f}"
    if digits is None:
        digits = 3 if abs(x) < 10 else 1 if abs(x) < 1000 else 0
    return _no_negative_zero(f"{x:,.{digits}f}")


def _no_negative_zero(text: str) -> str:
    """'-0.000' -> '0.000': a value that rounds to zero has no sign."""
    return text[1:] if text.startswith("-") and not text.strip("-0.,%") else text


# -- columns ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Col:
    """A column of a terminal table.

    ``key``: the row field (or ``get(row)`` computes the value); ``label``: the human heading (spaces wrap it);
    ``kind``: how to format (:data:`KINDS`); ``priority``: 0 = always shown, higher numbers are left out first
    when the terminal is narrow; ``min_width``: the narrowest a name column may wrap to.
    """

    key: str
    label: str
    kind: str = "text"
    priority: int = 0
    digits: int | None = None
    get: Callable | None = None
    min_width: int = 10

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column kind {self.kind!r} not in {KINDS}")

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    def cell(self, row) -> str:
        v = self.get(row) if self.get is not None else row.get(self.key)
        if isinstance(v, str) and self.numeric:
            return plain(v)  # a pre-formatted number (e.g. '38%*')
        return format_value(v, self.kind, self.digits)


def _rows(data) -> list[dict]:
    if hasattr(data, "to_dict"):
        return data.to_dict("records")
    return [dict(r) for r in data]


@dataclass
class Layout:
    """What fits: the columns shown, those left out, and whether rows are stacked."""

    shown: list[Col]
    hidden: list[Col] = field(default_factory=list)
    stacked: bool = False


def _header_min(label: str) -> int:
    return max((len(w) for w in label.split()), default=0)


def column_widths(cols: Sequence[Col], cells: list[list[str]]) -> tuple[list[int], list[int]]:
    """(minimum, natural) width of each column: numbers at their widest value, names down to their longest
    word (or ``min_width``), headers wrapped at spaces."""
    lo, hi = [], []
    for j, c in enumerate(cols):
        values = [r[j] for r in cells]
        widest = max((len(v) for v in values), default=0)
        natural = max(widest, len(c.label) if "\n" not in c.label else max(map(len, c.label.split("\n"))))
        if c.numeric or c.kind == "code":
            low = max(widest, _header_min(c.label))
        else:
            word = max((len(w) for v in values for w in v.split()), default=0)
            low = max(min(natural, c.min_width), _header_min(c.label), min(word, c.min_width))
        lo.append(low)
        hi.append(max(natural, low))
    return lo, hi


GAP = 2  # spaces between columns
COMFORTABLE = 16  # the narrowest an optional name column is shown


def table_width(widths: Iterable[int]) -> int:
    widths = list(widths)
    return sum(widths) + GAP * max(0, len(widths) - 1)


def fit(cols: Sequence[Col], cells: list[list[str]], width: int | None) -> Layout:
    """Choose the columns that fit ``width`` characters (None: all of them, at natural width).

    Essential columns (priority 0) always stay; the others are added from the lowest priority number up while
    the table's minimum width fits. If the essential columns alone do not fit, the layout is stacked.
    """
    cols = list(cols)
    if width is None:
        return Layout(cols)
    lo, hi = column_widths(cols, cells)
    # an optional name column comes in only with room to be read (16 characters or its natural width)
    need = {
        id(c): (low if c.priority == 0 or c.kind != "name" else min(high, max(low, COMFORTABLE)))
        for c, low, high in zip(cols, lo, hi, strict=True)
    }
    chosen = [c for c in cols if c.priority == 0]
    if table_width(need[id(c)] for c in chosen) > width:
        return Layout(cols, [], stacked=True)
    for c in sorted((c for c in cols if c.priority > 0), key=lambda c: c.priority):
        trial = [x for x in cols if x in chosen or x is c]
        if table_width(need[id(x)] for x in trial) <= width:
            chosen = trial
    return Layout([c for c in cols if c in chosen], [c for c in cols if c not in chosen])


# -- consoles -----------------------------------------------------------------------------------------------
def terminal_width(stream=None) -> int | None:
    """The width to fit tables to: the terminal's, or ``COLUMNS`` when set; None when piped (natural width)."""
    cols = os.environ.get("COLUMNS", "").strip()
    if cols.isdigit() and int(cols) > 0:
        return int(cols)
    stream = stream or sys.stdout
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        pass
    return None


def console(width: int | None = None, *, stderr: bool = False):
    """A rich console that never wraps what it prints below ``width`` (default: wide when piped)."""
    from rich.console import Console

    w = width if width is not None else terminal_width(sys.stderr if stderr else sys.stdout)
    return Console(stderr=stderr, width=w or 10_000, highlight=False, soft_wrap=w is None)


# -- printing -----------------------------------------------------------------------------------------------
def say(text: str, *, lead: str = "", indent: str = "", style: str | None = None, out=None) -> None:
    """Print one paragraph of plain text wrapped to the console's width at spaces, continuation lines indented
    by ``indent`` (a bullet's hanging indent); ``lead`` (e.g. 'binding:') is printed bold. Piped output is not
    wrapped. Text is never parsed as markup."""
    import textwrap

    from rich.text import Text

    con = out or console()
    full = plain(lead + text)
    width = con.width if con.width < 10_000 else None
    body = (
        full
        if width is None
        else textwrap.fill(full, width=max(20, width), subsequent_indent=indent, break_on_hyphens=False)
    )
    t = Text(body, style=style or "")
    if lead:
        t.stylize("bold", 0, len(lead.rstrip()))
    con.print(t, soft_wrap=True)


def _wrap(text: str, width: int | None, indent: str = "") -> str:
    import textwrap

    if width is None:
        return indent + text
    return textwrap.fill(text, width=max(20, width), initial_indent=indent, subsequent_indent=indent)


def allocate(cols: Sequence[Col], lo: list[int], hi: list[int], width: int | None) -> list[int]:
    """Column widths for ``width`` characters: every column at least its minimum; the room left goes first to
    name columns (less wrapping), then to headers (fewer header lines), never beyond a column's natural width."""
    if width is None:
        return list(hi)
    w = list(lo)
    room = width - table_width(w)
    for names_first in (True, False):
        grow = [j for j, c in enumerate(cols) if (c.kind == "name") == names_first and hi[j] > w[j]]
        while room > 0 and grow:
            # in proportion to what each column still lacks, at least one character per round
            lack = {j: hi[j] - w[j] for j in grow}
            total = sum(lack.values())
            for j in list(grow):
                add = min(max(1, room * lack[j] // total), hi[j] - w[j], room)
                w[j] += add
                room -= add
                if w[j] >= hi[j]:
                    grow.remove(j)
                if room <= 0:
                    break
    return w


def wrap_cell(text: str, width: int) -> str:
    """A name cell wrapped at spaces and after hyphens (ids such as CHN-2023-08-01-gallium-germanium)."""
    import textwrap

    if len(text) <= width:
        return text
    return "\n".join(textwrap.wrap(text, width=width, break_on_hyphens=True)) or text


def _header(label: str, width: int) -> str:
    import textwrap

    lines = []
    for part in label.split("\n"):
        lines.extend(textwrap.wrap(part, width=width, break_long_words=False) or [""])
    return "\n".join(lines)


def render(
    data,
    cols: Sequence[Col],
    *,
    title: str | None = None,
    caption: str | None = None,
    notes: Sequence[str] = (),
    width: int | None = None,
    out=None,
    styles: Callable[[dict], str | None] | None = None,
) -> Layout:
    """Print ``data`` (a DataFrame or rows of dicts) as a table fitted to the terminal.

    ``width``: characters available (default: the terminal's, or natural width when piped). ``caption`` and
    ``notes`` are printed under the table, wrapped to the width. ``styles(row)`` may return a rich style for a
    row (e.g. 'dim' for immaterial rows). Returns the layout used (tests check it).
    """
    w = width if width is not None else terminal_width()
    group, layout, natural = table(
        data, cols, title=title, caption=caption, notes=notes, width=w, styles=styles
    )
    con = out or console(w if w is not None else max(natural, 80))
    con.print(group)
    return layout


def table(
    data,
    cols: Sequence[Col],
    *,
    title: str | None = None,
    caption: str | None = None,
    notes: Sequence[str] = (),
    width: int | None = None,
    styles: Callable[[dict], str | None] | None = None,
):
    """The renderable behind :func:`render`: (a rich Group, the layout, the table's natural width).

    ``width`` None lays the table out at its natural width (piped output)."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    cols = list(cols)
    rows = _rows(data)
    w = width
    cells = [[c.cell(r) for c in cols] for r in rows]
    layout = fit(cols, cells, w)
    parts: list = []
    if layout.stacked:
        text_width = w
        if title:
            parts.append(Text(_wrap(plain(title), w), style="bold"))
        parts.extend(_stacked(cols, rows, cells, w, styles))
        total = w or 80
    else:
        idx = [cols.index(c) for c in layout.shown]
        shown_cells = [[r[j] for j in idx] for r in cells]
        lo, hi = column_widths(layout.shown, shown_cells)
        lo = [
            low if c.priority == 0 or c.kind != "name" else min(high, max(low, COMFORTABLE))
            for c, low, high in zip(layout.shown, lo, hi, strict=True)
        ]
        widths = allocate(layout.shown, lo, hi, w)
        total = table_width(widths)
        text_width = w if w is not None else max(total, 100)
        if title:
            parts.append(Text(_wrap(plain(title), text_width), style="bold"))
        t = Table(
            box=box.SIMPLE_HEAD,
            padding=(0, GAP - 1, 0, 0),
            pad_edge=False,
            show_edge=False,
            header_style="bold",
            expand=False,
        )
        for c, cw in zip(layout.shown, widths, strict=True):
            t.add_column(
                Text(_header(c.label, cw)),
                justify="right" if c.numeric else "left",
                no_wrap=c.kind != "name",
                overflow="fold",
                width=cw,
            )
        names = [c.kind == "name" for c in layout.shown]
        for r, row in zip(rows, shown_cells, strict=True):
            t.add_row(
                *(Text(wrap_cell(v, cw) if n else v) for v, cw, n in zip(row, widths, names, strict=True)),
                style=styles(r) if styles else None,
            )
        parts.append(t)
    lines = list(notes)
    if layout.hidden:
        lines.append(
            f"Not shown at {w} columns: {', '.join(c.label.replace(chr(10), ' ') for c in layout.hidden)} "
            "(widen the terminal, or use --format csv)."
        )
    if caption:
        lines.append(caption)
    parts.extend(Text(_wrap(plain(line), text_width)) for line in lines)
    return Group(*parts), layout, total


def _stacked(cols, rows, cells, width, styles) -> list:
    """One block per row: the essential text columns on a bold line, then '  label: value' lines."""
    from rich.text import Text

    out: list = []
    head = [j for j, c in enumerate(cols) if c.priority == 0 and not c.numeric] or [0]
    for r, row in zip(rows, cells, strict=True):
        out.append(Text(_wrap(" · ".join(row[j] for j in head if row[j]), width), style="bold"))
        for j, c in enumerate(cols):
            if j in head or not row[j]:
                continue
            label = c.label.replace("\n", " ")
            out.append(
                Text(_wrap(f"{label}: {row[j]}", width, "  "), style=(styles(r) if styles else None) or "")
            )
    out.append(Text(""))
    return out


# -- exports ------------------------------------------------------------------------------------------------
def stable_floats(df, digits: int = SIGNIFICANT_DIGITS):
    """A copy of ``df`` with every float column rounded to ``digits`` significant digits (exports only)."""
    import numpy as np

    frame = df.copy()
    for col in frame.columns:
        s = frame[col]
        if s.dtype.kind == "f":
            v = s.to_numpy(dtype=float, copy=True)
            ok = np.isfinite(v) & (v != 0)
            mag = np.floor(np.log10(np.abs(v, where=ok, out=np.ones_like(v))))
            scale = 10.0 ** (digits - 1 - mag)
            v[ok] = np.round(v[ok] * scale[ok]) / scale[ok]
            frame[col] = v
    return frame


def check_format(fmt: str | None) -> str | None:
    if fmt is None:
        return None
    f = fmt.strip().lower()
    if f not in FORMATS:
        raise UnknownValueError("output format", fmt, FORMATS, hint="--format table, csv or json")
    return f


OUTPUT_FORMATS = (".csv", ".json", ".parquet")


def check_output(
    path: Path | str, file_formats: Sequence[str] = OUTPUT_FORMATS, *, stdout: bool = False
) -> str:
    """Validate an output file name before any work is done; returns its suffix (lower case).

    The error names the file type and a corrected file name; ``stdout``: the command also takes ``--out -``.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in file_formats:
        stem = Path(path).stem or "out"
        kinds = f"{', '.join(file_formats[:-1])} or {file_formats[-1]}"
        raise UnknownValueError(
            "output file type",
            suffix or str(path),
            file_formats,
            hint=f"name the file {stem}{kinds}" + (", or --out - for stdout" if stdout else ""),
        )
    return suffix


def output_plan(out: Path | str | None, fmt: str | None, file_formats: Sequence[str] = OUTPUT_FORMATS):
    """Where a command's table goes: returns (print_format, path).

    ``print_format`` is 'table', 'csv', 'json' (to stdout) or None (nothing printed); ``path`` is a file to
    write or None. ``--out -`` means stdout (CSV unless ``--format json``). A file's extension must agree with
    ``--format`` when both are given: ``--out x.csv --format json`` is an error, not a surprise.
    """
    f = check_format(fmt)
    if out is None:
        return (f or "table"), None
    if str(out) == "-":
        return (f if f in ("csv", "json", "table") else "csv") if f else "csv", None
    suffix = check_output(out, file_formats, stdout=True)
    if f in ("csv", "json") and suffix != f".{f}":
        from critmin.errors import CritminError

        raise CritminError(
            f"--out {out} names a {suffix[1:]} file but --format is {f}: use --out {Path(out).stem}.{f}, "
            "or drop --format"
        )
    return ("table" if f in (None, "table") else None), Path(out)


def emit(df, fmt: str, stream=None) -> None:
    """Write a tidy table to stdout as CSV (:func:`critmin.untrusted.neutralise_frame`) or JSON records."""
    stream = stream or sys.stdout
    frame = stable_floats(df)
    if fmt == "csv":
        from critmin.untrusted import write_csv

        # list cells joined with ';', formula-looking text neutralised, as in every CSV critmin writes
        write_csv(frame, stream)
    elif fmt == "json":
        stream.write(frame.to_json(orient="records", indent=1, date_format="iso", force_ascii=False))
        stream.write("\n")
    else:  # pragma: no cover - guarded by output_plan
        raise UnknownValueError("output format", fmt, FORMATS)


__all__ = [
    "FORMATS",
    "OUTPUT_FORMATS",
    "Col",
    "Layout",
    "check_format",
    "check_output",
    "column_widths",
    "compact",
    "console",
    "emit",
    "fit",
    "format_value",
    "output_plan",
    "plain",
    "render",
    "say",
    "stable_floats",
    "table",
    "terminal_width",
]
