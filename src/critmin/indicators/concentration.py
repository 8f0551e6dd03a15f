"""Supply concentration: Herfindahl-Hirschman index, top-N shares, share of a named country or bloc.

Pure functions over arrays (no I/O). Quantities are non-negative; an optional ``total`` lets a residual
"rest of world" aggregate count in the denominator without being treated as one producer (its square is not
added to the HHI, so the HHI is then a lower bound, as is usual when the residual is fragmented).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike


def shares(quantities: ArrayLike, total: float | None = None) -> np.ndarray:
    """s_i = q_i / Q with Q = Σ q_i (or the given ``total``); NaN quantities count as zero.

    Returns NaNs when Q is zero (no supply: shares are undefined, not zero).
    """
    q = np.nan_to_num(np.asarray(quantities, dtype=float), nan=0.0)
    if (q < 0).any():
        raise ValueError("quantities must be non-negative")
    denom = q.sum() if total is None else float(total)
    if denom < q.sum() - 1e-9 * max(1.0, abs(denom)):
        raise ValueError(f"total {denom} is smaller than the sum of the quantities {q.sum()}")
    if denom <= 0:
        return np.full(q.shape, np.nan)
    return q / denom


def hhi(quantities: ArrayLike, total: float | None = None) -> float:
    """Herfindahl-Hirschman index on the 0-1 scale: HHI = Σ_i s_i² (Herfindahl 1950; Hirschman 1945).

    Multiply by 10,000 for the antitrust scale. With n equal suppliers HHI = 1/n; one supplier gives 1.
    NaN when there is no supply.
    """
    s = shares(quantities, total)
    if np.isnan(s).any() or (not s.size and not total):
        return float("nan")
    return float(np.sum(s**2))


def top_n_share(quantities: ArrayLike, n: int = 3, total: float | None = None) -> float:
    """Combined share of the ``n`` largest suppliers (CR_n concentration ratio)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    s = shares(quantities, total)
    if np.isnan(s).any() or (not s.size and not total):
        return float("nan")
    return float(np.sort(s)[::-1][:n].sum())


def share_of(quantities: ArrayLike, mask: ArrayLike, total: float | None = None) -> float:
    """Share of the suppliers selected by the boolean ``mask`` (a country, or a bloc's members)."""
    s = shares(quantities, total)
    if np.isnan(s).any() or (not s.size and not total):
        return float("nan")
    return float(s[np.asarray(mask, dtype=bool)].sum())
