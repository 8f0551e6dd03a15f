"""World Bank Worldwide Governance Indicators: the official ``wgidataset.xlsx`` (2024 release onwards, long
layout) or a CSV export of it.

Columns (Kaufmann & Kraay, WGI 2024 update): ``codeindyr, code, countryname, year, indicator, estimate,
stddev, nsource, pctrank, pctranklower, pctrankupper``; ``indicator`` is one of va, pv, ge, rq, rl, cc;
``estimate`` is on the standard-normal governance scale (about −2.5 … +2.5); missing cells are ``..`` or
``#N/A``. World Bank legacy codes are mapped to ISO 3166 alpha-3: ROM→ROU, ZAR→COD, KSV→XKX, WBG→PSE,
TMP→TLS, ADO→AND. The edition is "<last year + 1> release" (the 2024 release covers 1996-2023) unless
``--edition`` is given.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import DataError
from critmin.ingest.common import (
    FIRST_YEAR,
    BadRow,
    Parsed,
    ProgressFn,
    Rejects,
    check_workbook,
    clean_label,
    country_index,
    csv_records,
    detect_encoding,
    last_plausible_year,
)

SOURCE = "WGI"
INDICATORS = ("va", "pv", "ge", "rq", "rl", "cc")
LEGACY_CODES = {"ROM": "ROU", "ZAR": "COD", "KSV": "XKX", "WBG": "PSE", "TMP": "TLS", "ADO": "AND"}
REQUIRED = ("code", "year", "indicator", "estimate")
OPTIONAL = ("countryname", "stddev", "nsource", "pctrank")
MISSING = {"", "..", "#n/a", "na", "n/a", "nan", "none"}


def _from_rows(rows, label: str, first_line: int, *, numbered: bool = False) -> pd.DataFrame:
    """Find the header row (within the first 10) and return the table of strings with ``line`` and ``width``
    (fields in the row) columns; ``numbered`` rows come as (line, fields) pairs (CSV records)."""
    rows = iter(rows)
    header, skipped = None, 0
    for skipped, item in enumerate(rows):
        row = item[1] if numbered else item
        cells = [clean_label(c).lower() if c is not None else "" for c in row]
        if all(r in cells for r in REQUIRED):
            header = cells
            break
        if skipped >= 10:
            break
    if header is None:
        raise DataError(
            "no header row with the columns code, year, indicator, estimate (the 2024-release long "
            "layout of wgidataset.xlsx); older wide workbooks are not supported",
            path=label,
        )
    keep = {name: header.index(name) for name in (*REQUIRED, *OPTIONAL) if name in header}
    data = {name: [] for name in keep}
    lines, widths = [], []
    line = first_line + skipped + 1
    for item in rows:
        line, row = item if numbered else (line + 1, item)
        if row is None or all(c is None or clean_label(c) == "" for c in row):
            continue
        for name, i in keep.items():
            v = row[i] if i < len(row) else None
            data[name].append(v)
        lines.append(line)
        widths.append(len(row))
    df = pd.DataFrame(data)
    df["line"] = lines
    df["width"] = widths
    df.attrs["width"] = len(header)
    return df


def read_table(path: Path) -> tuple[pd.DataFrame, str]:
    label = path.name
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        check_workbook(path)
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
            raise DataError(f"not a readable xlsx workbook ({_first_line(exc)})", path=label) from None
        try:
            errors = []
            for ws in wb.worksheets:
                try:
                    return _from_rows(ws.iter_rows(values_only=True), f"{label}[{ws.title}]", 0), ws.title
                except DataError as exc:
                    errors.append(exc)
            raise errors[0] if errors else DataError("workbook without sheets", path=label)
        except DataError:
            raise
        except Exception as exc:  # XML errors inside a sheet (defusedxml refusals, malformed XML)
            raise DataError(f"unreadable workbook sheet ({_first_line(exc)})", path=label) from None
        finally:
            wb.close()
    encoding = detect_encoding(functools.partial(open, path, "rb"), label)
    with open(path, encoding=encoding, newline="") as fh:
        return _from_rows(csv_records(fh, label), label, 0, numbered=True), ""


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]


def parse(
    path: str | Path,
    *,
    edition: str | None = None,
    progress: ProgressFn | None = None,
    rejects: Rejects | None = None,
) -> Parsed:
    path = Path(path)
    rejects = rejects or Rejects()
    df, sheet = read_table(path)
    label = f"{path.name}[{sheet}]" if sheet else path.name
    if progress:
        progress("reading", 1, 1)
    index = country_index()
    bad = pd.Series(False, index=df.index)
    found: list[BadRow] = []

    def text(col: str) -> pd.Series:
        # object dtype even for a file with a header and no rows (an empty map() would give float64)
        return df[col].map(lambda v: "" if v is None else clean_label(v)).astype(object)

    def number(col: str) -> tuple[pd.Series, pd.Series]:
        s = text(col)
        missing = s.str.lower().isin(MISSING)
        return pd.to_numeric(s.where(~missing), errors="coerce"), missing

    def flag(mask: pd.Series, field: str, reason: str, values: pd.Series) -> None:
        nonlocal bad
        mask = mask & ~bad
        for i in df.index[mask]:
            found.append(BadRow(label, int(df.at[i, "line"]), field, reason, str(values.at[i])))
        bad = bad | mask

    code_raw = text("code").str.upper()
    code = code_raw.map(lambda c: LEGACY_CODES.get(c, c))
    names = text("countryname") if "countryname" in df else pd.Series("", index=df.index)
    unknown = ~code.isin(set(index.names))
    for i in df.index[unknown]:
        hint = index.get(names.at[i]) if names.at[i] else None
        reason = "unknown country code" + (f" — the name suggests {hint}" if hint else "")
        found.append(BadRow(label, int(df.at[i, "line"]), "code", reason, code_raw.at[i]))
    bad |= unknown
    width = df.attrs.get("width")
    if width is not None:
        # a row with fewer or more fields than the header: cut short (a truncated file) or misaligned
        flag(
            df["width"] != width,
            "row",
            f"wrong number of fields (the header has {width}): a cut-short or misaligned row",
            df["width"],
        )
    year, _ = number("year")
    flag(year.isna() | (year != year.round()), "year", "year is not an integer", text("year"))
    flag((year < FIRST_YEAR) | (year > last_plausible_year()), "year", "implausible year", text("year"))
    ind = text("indicator").str.lower()
    flag(
        ~ind.isin(INDICATORS),
        "indicator",
        f"unknown indicator (expected one of {', '.join(INDICATORS)})",
        text("indicator"),
    )
    est, est_missing = number("estimate")
    flag(est.isna() & ~est_missing, "estimate", "not a number", text("estimate"))
    flag(~np.isfinite(est.fillna(0.0)), "estimate", "not a finite number", text("estimate"))
    flag(est.abs() > 5, "estimate", "outside the WGI scale (about −2.5 … +2.5)", text("estimate"))
    extra = {}
    for col, lo, hi in (("stddev", 0, None), ("nsource", 0, None), ("pctrank", 0, 100)):
        if col not in df:
            extra[col] = pd.Series(float("nan"), index=df.index)
            continue
        v, miss = number(col)
        flag(v.isna() & ~miss, col, "not a number", text(col))
        flag(~np.isfinite(v.fillna(0.0)), col, "not a finite number", text(col))
        flag(v < lo, col, "negative value", text(col))
        if hi is not None:
            flag(v > hi, col, f"above {hi}", text(col))
        extra[col] = v
    keep = ~bad & ~est_missing
    out = pd.DataFrame(
        {
            "country": code[keep],
            "year": year[keep].astype("int16"),
            "indicator": ind[keep],
            "estimate": est[keep].astype("float64"),
            **{c: extra[c][keep].astype("float64") for c in ("stddev", "nsource", "pctrank")},
        }
    )
    dup = out.duplicated(subset=["country", "year", "indicator"], keep="first")
    for i in out.index[dup]:
        found.append(
            BadRow(
                label,
                int(df.at[i, "line"]),
                "code",
                "duplicate (country, year, indicator) row",
                f"{out.at[i, 'country']} {out.at[i, 'year']} {out.at[i, 'indicator']}",
            )
        )
    out = out[~dup]
    rejects.extend(found)
    if edition is None:
        if out.empty:
            raise DataError("no usable rows to tell the release from; pass --edition", path=label)
        edition = f"{int(out['year'].max()) + 1} release"
    out["source"], out["edition"] = SOURCE, edition
    stats = {
        "rows_read": len(df),
        "no_estimate": int((est_missing & ~bad).sum()),
        "kept": len(out),
        "outside_catalogue": 0,
    }
    return Parsed(
        source=SOURCE,
        key="wgi",
        table="governance",
        edition=edition,
        chunks=iter([out]),
        rejects=rejects,
        stats=stats,
    )
