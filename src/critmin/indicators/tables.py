"""Vectorised, tidy versions of the concentration and dependence indicators.

The formulas are those of :mod:`critmin.indicators.concentration` (checked against them in the tests), but
computed for many groups at once with pandas group-bys, which is what sweeps over countries × commodities ×
years need.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REST_OF_WORLD = "ROW"


def group_concentration(
    df: pd.DataFrame,
    by: list[str],
    who: str,
    qty: str,
    *,
    top: int = 3,
    named: dict[str, set[str]] | None = None,
    rest: str | None = REST_OF_WORLD,
    leaders: int = 0,
) -> pd.DataFrame:
    """Per group of ``by``: total, number of suppliers, HHI (0-1), top-``top`` share, shares of named sets.

    ``who`` is the supplier column and ``qty`` the quantity. Rows whose supplier is ``rest`` count in the
    total but are not a supplier (not squared into the HHI, not ranked). ``named`` maps a column suffix to
    a set of suppliers (e.g. {'china': {'CHN'}}) giving ``share_<suffix>``. ``leaders`` > 0 adds
    ``supplier_k`` / ``supplier_k_share`` columns for the k largest suppliers.
    """
    d = df[[*by, who, qty]].copy()
    d[qty] = d[qty].fillna(0.0).astype(float)
    d = d.groupby([*by, who], as_index=False, observed=True, sort=False)[qty].sum()
    total = d.groupby(by, observed=True, sort=False)[qty].transform("sum")
    d["_share"] = np.where(total > 0, d[qty] / total.where(total > 0, 1.0), np.nan)
    is_rest = d[who] == rest if rest is not None else pd.Series(False, index=d.index)
    named_d = d[~is_rest & (d[qty] > 0)]
    out = d.groupby(by, observed=True, sort=False)[qty].sum().rename("total").to_frame()
    out["n_suppliers"] = named_d.groupby(by, observed=True, sort=False)[who].nunique()
    out["hhi"] = (named_d["_share"] ** 2).groupby([named_d[b] for b in by], observed=True, sort=False).sum()
    ranked = named_d.sort_values([*by, "_share"], ascending=[True] * len(by) + [False], kind="mergesort")
    ranked["_rank"] = ranked.groupby(by, observed=True, sort=False).cumcount()
    out[f"top{top}_share"] = (
        ranked[ranked["_rank"] < top].groupby(by, observed=True, sort=False)["_share"].sum()
    )
    for suffix, members in (named or {}).items():
        sel = named_d[named_d[who].isin(members)]
        out[f"share_{suffix}"] = sel.groupby(by, observed=True, sort=False)["_share"].sum()
    for k in range(leaders):
        lead = ranked[ranked["_rank"] == k].set_index(by)
        out[f"supplier_{k + 1}"] = lead[who]
        out[f"supplier_{k + 1}_share"] = lead["_share"]
    out = out.reset_index()
    has = out["total"] > 0
    out["n_suppliers"] = out["n_suppliers"].fillna(0).astype(int)
    for col in ["hhi", f"top{top}_share", *[f"share_{s}" for s in (named or {})]]:
        out[col] = np.where(has, out[col].fillna(0.0), np.nan)
    return out
