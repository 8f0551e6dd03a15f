"""Read the IEA Critical Minerals Data Explorer workbook (May 2024 edition) as the IEA publishes it.

Two sheets are read, in the publisher's own layout:

* ``2 Total supply for key minerals`` — "Total supply for key energy transition minerals, base case (kt)":
  blocks titled ``<mineral> - <stage>`` side by side (mining on the left, refining on the right), one row per
  named producer, then ``Rest of world``, ``Total`` (cobalt refining: ``Total clean technologies``) and
  ``Top 3 share``; columns 2023, 2030, 2035, 2040. 2023 is observed; 2030-2040 are the IEA's *base case*:
  operating and announced projects weighted by their probability of coming online (status of financing,
  permitting and feasibility studies) — the IEA's projection, not a forecast by critmin.
* ``1 Total demand for key minerals`` — "Demand for key energy transition minerals (kt)": one block per
  mineral, one row per end-use sector, columns 2023 then 2030-2050 under the Stated Policies (STEPS),
  Announced Pledges (APS) and Net Zero Emissions by 2050 (NZE) scenarios.

Units are kt of contained material as the workbook's notes state: lithium in Li content (not carbonate
equivalent); magnet rare earth elements = Nd + Pr + Dy + Tb (the sum of the four elements' demand in sheet
3.2); graphite demand covers all grades, natural and synthetic.

The readers are pure (a workbook path in, tidy frames out) and check what they read: the header years, that
named producers plus the rest of world add up to the published total and that the published top-3 share is
the top three named producers' share (both to the workbook's rounding), and that sectors add up to the
published subtotals. Any departure raises :class:`critmin.errors.DataError` naming the sheet, row and field.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from critmin.errors import DataError

SUPPLY_SHEET = "2 Total supply for key minerals"
DEMAND_SHEET = "1 Total demand for key minerals"
SUPPLY_YEARS = (2023, 2030, 2035, 2040)
DEMAND_YEARS = (2023, 2030, 2035, 2040, 2045, 2050)
BASE_YEAR = 2023
SCENARIOS = {
    "Stated Policies scenario": "STEPS",
    "Announced Pledges scenario": "APS",
    "Net Zero Emissions by 2050 scenario": "NZE",
}
ROUNDING_KT = (
    0.051  # the workbook's figures carry one decimal: totals agree within half a unit plus float noise
)
_BLOCK = re.compile(r"^\s*(?P<mineral>.+?)\s+-\s+(?P<stage>.+?)\s*$")
_TOTAL = ("total", "total clean technologies")
_DEMAND_SUBTOTALS = {"Total clean technologies": "subtotal", "Total demand": "total"}
_SKIP_DEMAND = ("share of clean technologies",)


def _where(sheet: str, row: int) -> str:
    return f"{sheet}!{row}"


def _num(value, path: Path, sheet: str, row: int, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(
            f"expected a number, found {value!r}", path=f"{path} {_where(sheet, row)}", field=field
        )
    return float(value)


def _load(path: str | Path, sheet: str) -> list[tuple]:
    import openpyxl

    path = Path(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a non-workbook
        raise DataError(f"cannot read the workbook: {exc}", path=str(path)) from exc
    try:
        if sheet not in wb.sheetnames:
            raise DataError(f"sheet {sheet!r} not found (sheets: {', '.join(wb.sheetnames)})", path=str(path))
        return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def _find_header(rows: list[tuple], years: tuple[int, ...], path: Path, sheet: str) -> tuple[int, list[int]]:
    """The first row holding the first header year, and the columns of every header year on it."""
    for r, row in enumerate(rows):
        cols = [c for c, v in enumerate(row) if isinstance(v, int) and not isinstance(v, bool) and v in years]
        if cols:
            return r, cols
    raise DataError(f"no header row with the years {years}", path=f"{path} {sheet}", field="header")


# -- supply ---------------------------------------------------------------------------------------------------
def read_supply(path: str | Path) -> pd.DataFrame:
    """Sheet 2 as a tidy table: mineral, stage, country (the IEA's name), row_type ('country' |
    'rest_of_world'), year, supply_kt, sheet_row (1-based). Totals and top-3 shares are checked, not returned."""
    path = Path(path)
    rows = _load(path, SUPPLY_SHEET)
    hdr, cols = _find_header(rows, SUPPLY_YEARS, path, SUPPLY_SHEET)
    years_found = [rows[hdr][c] for c in cols]
    if years_found != list(SUPPLY_YEARS) * (len(cols) // len(SUPPLY_YEARS)) or len(cols) % len(SUPPLY_YEARS):
        raise DataError(
            f"header years {years_found}, expected {list(SUPPLY_YEARS)} for each side",
            path=f"{path} {_where(SUPPLY_SHEET, hdr + 1)}",
            field="header",
        )
    # each side: the label column just left of its first year column
    sides = [(cols[k] - 1, cols[k : k + len(SUPPLY_YEARS)]) for k in range(0, len(cols), len(SUPPLY_YEARS))]
    out: list[dict] = []
    for label_col, year_cols in sides:
        out.extend(_read_side(rows, hdr, label_col, year_cols, path))
    if not out:
        raise DataError("no supply blocks found", path=f"{path} {SUPPLY_SHEET}")
    return pd.DataFrame(out)


def _read_side(rows: list[tuple], hdr: int, label_col: int, year_cols: list[int], path: Path) -> list[dict]:
    out: list[dict] = []
    block: dict | None = None

    def close(r: int) -> None:
        if block is None:
            return
        if block["total"] is None:
            raise DataError(
                f"block {block['mineral']} - {block['stage']} has no Total row",
                path=f"{path} {_where(SUPPLY_SHEET, r)}",
            )
        note = _check_block(block, path)
        for text, kind, nums, row in block["rows"]:
            for y, v in zip(SUPPLY_YEARS, nums, strict=True):
                out.append(
                    {
                        "mineral": block["mineral"],
                        "stage": block["stage"],
                        "country": text,
                        "row_type": kind,
                        "year": y,
                        "supply_kt": v,
                        "sheet_row": row,
                        "note": note if kind == "rest_of_world" else "",
                    }
                )

    for r in range(hdr + 1, len(rows)):
        row = rows[r]
        label = row[label_col] if label_col < len(row) else None
        values = [row[c] if c < len(row) else None for c in year_cols]
        if label is None or (isinstance(label, str) and not label.strip()):
            if any(v is not None for v in values):
                raise DataError(
                    "figures without a label", path=f"{path} {_where(SUPPLY_SHEET, r + 1)}", field="label"
                )
            continue
        text = str(label).strip()
        if all(v is None for v in values):
            m = _BLOCK.match(text)
            if m and not text.lower().startswith(("notes", "“base case”", '"base case"')):
                close(r)
                block = {
                    "mineral": m["mineral"],
                    "stage": m["stage"],
                    "rows": [],
                    "total": None,
                    "top3": None,
                    "title_row": r + 1,
                }
            elif block is not None and block["total"] is not None:
                close(r)  # notes under the last block
                block = None
            continue
        if block is None:
            raise DataError(
                f"figures for {text!r} before any '<mineral> - <stage>' title",
                path=f"{path} {_where(SUPPLY_SHEET, r + 1)}",
            )
        nums = [
            _num(v, path, SUPPLY_SHEET, r + 1, f"{text} {y}")
            for v, y in zip(values, SUPPLY_YEARS, strict=True)
        ]
        low = text.lower()
        if low in _TOTAL:
            block["total"] = (nums, r + 1)
        elif low == "top 3 share":
            block["top3"] = (nums, r + 1)
        else:
            if block["total"] is not None:
                raise DataError(
                    f"producer row {text!r} after the Total row",
                    path=f"{path} {_where(SUPPLY_SHEET, r + 1)}",
                )
            if any(v < 0 for v in nums):
                raise DataError(
                    f"negative supply for {text!r}", path=f"{path} {_where(SUPPLY_SHEET, r + 1)}", field=text
                )
            kind = "rest_of_world" if low == "rest of world" else "country"
            block["rows"].append([text, kind, nums, r + 1])
    close(len(rows))
    return out


def _check_block(block: dict, path: Path) -> str:
    """Named producers + rest of world = Total; top-3 share = the three largest named producers / Total.

    In three blocks of the May 2024 workbook (nickel mining and refining, battery-grade graphite; also
    natural graphite from 2030) "Rest of world" is Total minus the first five producers, so the sixth named
    producer is counted twice. When subtracting the last named producer from "Rest of world" makes every
    year add up, that is done and said (the returned note); any other mismatch is an error.
    """
    name = f"{block['mineral']} - {block['stage']}"
    totals, trow = block["total"]
    sums = [sum(r[2][k] for r in block["rows"]) for k in range(len(SUPPLY_YEARS))]
    note = ""
    named = [r for r in block["rows"] if r[1] == "country"]
    rest = [r for r in block["rows"] if r[1] == "rest_of_world"]
    off = [abs(s - t) > ROUNDING_KT for s, t in zip(sums, totals, strict=True)]
    if any(off) and named and len(rest) == 1:
        last = named[-1]
        if all(abs(s - v - t) <= ROUNDING_KT for s, v, t in zip(sums, last[2], totals, strict=True)):
            rest[0][2] = [max(r - v, 0.0) for r, v in zip(rest[0][2], last[2], strict=True)]
            sums = [s - v for s, v in zip(sums, last[2], strict=True)]
            note = (
                f"the workbook's 'Rest of world' (row {rest[0][3]}) also contains {last[0]} (row {last[3]}); "
                f"{last[0]} subtracted so that producers add up to the Total row"
            )
    for k, y in enumerate(SUPPLY_YEARS):
        s = sums[k]
        if abs(s - totals[k]) > ROUNDING_KT:
            raise DataError(
                f"{name} {y}: producers and rest of world sum to {s:.3f} kt, the Total row says {totals[k]}",
                path=f"{path} {_where(SUPPLY_SHEET, trow)}",
                field=str(y),
            )
        if block["top3"] is not None:
            # the IEA ranks the producers it lists before "Rest of world"; a producer listed after the
            # rest-of-world arithmetic (see above) is left out of its top 3
            ranked = [r for r in named if not (note and r is named[-1])]
            shares = {
                _top3(ranked, k, totals[k]),
                _top3(named, k, totals[k]),
            }
            published = block["top3"][0][k]
            share = min(shares, key=lambda v: abs(v - published))
            if abs(share - published) > 1e-3:
                raise DataError(
                    f"{name} {y}: the three largest named producers hold {share:.4f}, the sheet says {published:.4f}",
                    path=f"{path} {_where(SUPPLY_SHEET, block['top3'][1])}",
                    field=str(y),
                )
    return note


def _top3(rows: list, k: int, total: float) -> float:
    named = sorted((r[2][k] for r in rows), reverse=True)
    return sum(named[:3]) / total if total else float("nan")


# -- demand ---------------------------------------------------------------------------------------------------
def read_demand(path: str | Path) -> pd.DataFrame:
    """Sheet 1 as a tidy table: mineral (the IEA's name), sector, sector_kind ('sector' | 'subtotal' |
    'total'), scenario ('STEPS' | 'APS' | 'NZE'), year, demand_kt, sheet_row. The 2023 figure (observed, common
    to the three scenarios) is repeated under each scenario so that every scenario is a complete series."""
    path = Path(path)
    rows = _load(path, DEMAND_SHEET)
    hdr, cols = _find_header(rows, DEMAND_YEARS, path, DEMAND_SHEET)
    if hdr == 0:
        raise DataError("no scenario row above the years", path=f"{path} {DEMAND_SHEET}", field="header")
    names = rows[hdr - 1]
    layout: list[tuple[int, str | None, int]] = []  # (column, scenario, year)
    current = None
    for c in range(len(rows[hdr])):
        n = names[c] if c < len(names) else None
        if isinstance(n, str) and n.strip():
            if n.strip() not in SCENARIOS:
                raise DataError(
                    f"unknown scenario {n.strip()!r} (known: {', '.join(SCENARIOS)})",
                    path=f"{path} {_where(DEMAND_SHEET, hdr)}",
                    field="scenario",
                )
            current = SCENARIOS[n.strip()]
        y = rows[hdr][c]
        if c in cols:
            layout.append((c, None if y == BASE_YEAR else current, int(y)))
    base = [c for c, s, y in layout if y == BASE_YEAR]
    if len(base) != 1 or any(s is None for _, s, y in layout if y != BASE_YEAR):
        raise DataError(
            "expected one 2023 column and scenario columns for 2030-2050",
            path=f"{path} {_where(DEMAND_SHEET, hdr + 1)}",
            field="header",
        )
    scen = sorted({s for _, s, _ in layout if s}, key=list(SCENARIOS.values()).index)
    out: list[dict] = []
    mineral = None
    sectors: list[tuple[str, str, dict, int]] = []
    for r in range(hdr + 1, len(rows)):
        row = rows[r]
        label = row[0] if row else None
        if label is None or not str(label).strip():
            continue
        text = " ".join(str(label).split())
        vals = {(s, y): row[c] if c < len(row) else None for c, s, y in layout}
        if all(v is None for v in vals.values()):
            if not text.lower().startswith("notes"):
                _check_sectors(mineral, sectors, path)
                mineral, sectors = text, []
            continue
        if mineral is None:
            raise DataError(
                f"figures for {text!r} before any mineral title", path=f"{path} {_where(DEMAND_SHEET, r + 1)}"
            )
        if text.lower().startswith(_SKIP_DEMAND):
            continue  # a ratio of two rows already read
        kind = _DEMAND_SUBTOTALS.get(text, "sector")
        nums = {
            k: _num(v, path, DEMAND_SHEET, r + 1, f"{text} {k[1]}" + (f" {k[0]}" if k[0] else ""))
            for k, v in vals.items()
        }
        sectors.append((text, kind, nums, r + 1))
        for sc in scen:
            for (s, y), v in nums.items():
                if s is None or s == sc:
                    out.append(
                        {
                            "mineral": mineral,
                            "sector": text,
                            "sector_kind": kind,
                            "scenario": sc,
                            "year": y,
                            "demand_kt": v,
                            "sheet_row": r + 1,
                        }
                    )
    _check_sectors(mineral, sectors, path)
    if not out:
        raise DataError("no demand rows found", path=f"{path} {DEMAND_SHEET}")
    return pd.DataFrame(out)


def _check_sectors(mineral: str | None, sectors: list, path: Path) -> None:
    """Clean-technology sectors add up to 'Total clean technologies'; that plus 'Other uses' to 'Total demand'."""
    if mineral is None or not sectors:
        return
    by = {name: (nums, row) for name, _, nums, row in sectors}
    if "Total demand" not in by or "Total clean technologies" not in by:
        raise DataError(
            f"{mineral}: missing 'Total clean technologies' or 'Total demand'",
            path=f"{path} {_where(DEMAND_SHEET, sectors[0][3])}",
        )
    clean = [n for n, k, _, _ in sectors if k == "sector" and n != "Other uses"]
    checks = [
        (clean, "Total clean technologies"),
        (["Total clean technologies", "Other uses"], "Total demand"),
    ]
    for parts, total in checks:
        if any(p not in by for p in parts):
            continue
        tot, trow = by[total]
        for key, want in tot.items():
            got = sum(by[p][0][key] for p in parts)
            if abs(got - want) > max(ROUNDING_KT, 1e-4 * abs(want)):
                raise DataError(
                    f"{mineral}: {' + '.join(parts)} = {got:.3f} kt, '{total}' says {want}",
                    path=f"{path} {_where(DEMAND_SHEET, trow)}",
                    field=f"{key[1]} {key[0] or ''}".strip(),
                )
