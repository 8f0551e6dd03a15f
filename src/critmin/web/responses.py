"""Tables and errors on the wire: JSON by default, CSV on ``Accept: text/csv`` or ``?format=csv``.

A table is the tidy DataFrame the Python API returns, unchanged: the same columns (units in their names)
and provenance columns as ``critmin ... --out``. JSON wraps it as ``{"table", "count", "columns", "data"}``
(records; NaN as null); CSV is the bare table, list cells joined with ';' as in the CLI's CSV files.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from critmin.untrusted import write_csv
from critmin.web.service import Cached

CSV = "text/csv"
JSON = "application/json"


def wants_csv(fmt: str | None, accept: str | None) -> bool:
    """``?format=`` wins; else the first of text/csv or application/json named in Accept (JSON if neither)."""
    if fmt:
        return fmt == "csv"
    if not accept:
        return False
    best = None
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        media = media.strip().lower()
        if media in (CSV, JSON, "application/*", "*/*") and q > 0 and (best is None or q > best[1]):
            best = (media, q)
    return best is not None and best[0] == CSV


def frame_csv(df: pd.DataFrame) -> bytes:
    """The table as CSV through the one shared writer (:mod:`critmin.untrusted`): numbers untouched, list
    cells joined with ';', text a spreadsheet would run as a formula neutralised (OWASP, CSV injection)."""
    buf = io.StringIO()
    write_csv(df, buf)
    return buf.getvalue().encode("utf-8")


def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, tuple | list | np.ndarray):
        return [_json_value(x) for x in v]
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


def frame_records_json(df: pd.DataFrame) -> str:
    """Records with every float at full precision (``repr``), NaN/inf as null, numpy scalars as numbers,
    lists as lists, dates as ISO strings. (pandas' ``to_json`` rounds to a number of decimals, which loses
    small shares.)"""
    cols = [str(c) for c in df.columns]
    columns = [[_json_value(v) for v in df[c].tolist()] for c in df.columns]
    rows = [dict(zip(cols, values, strict=True)) for values in zip(*columns, strict=True)] if cols else []
    return json.dumps(rows, ensure_ascii=False, default=_default, allow_nan=False)


def table(
    df: pd.DataFrame, name: str, *, csv: bool, filename: str | None = None, meta: dict | None = None
) -> Cached:
    """A table response (to cache and send)."""
    if csv:
        return Cached(
            200,
            frame_csv(df),
            f"{CSV}; charset=utf-8",
            {"Content-Disposition": f'attachment; filename="{filename or name}.csv"'},
        )
    head = {"table": name, "count": len(df), "columns": [str(c) for c in df.columns]}
    if meta:
        head["meta"] = meta
    body = (
        json.dumps(head, ensure_ascii=False, default=_default)[:-1]
        + ', "data": '
        + frame_records_json(df)
        + "}"
    )
    return Cached(200, body.encode("utf-8"), JSON)


def document(obj: Any, status: int = 200) -> Cached:
    """A JSON document (not a table)."""
    return Cached(status, dumps(obj).encode("utf-8"), JSON)


def _default(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if v is pd.NA or v is pd.NaT:
        return None
    return str(v)


def clean(v: Any) -> Any:
    """JSON-safe copy of nested data: NaN/inf → None, numpy → Python."""
    if isinstance(v, dict):
        return {str(k): clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [clean(x) for x in v]
    if isinstance(v, np.ndarray):
        return [clean(x) for x in v.tolist()]
    if isinstance(v, float | np.floating):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def dumps(obj: Any) -> str:
    return json.dumps(clean(obj), ensure_ascii=False, default=_default, allow_nan=False)


def records(df: pd.DataFrame) -> list[dict]:
    """A DataFrame as JSON-safe records (for documents that embed tables)."""
    return json.loads(frame_records_json(df))
