"""The reserves-and-trade shock cascade of Marchand et al. (2016), vectorised over many scenarios.

Marchand P., Carr J.A., Dell'Angelo J., et al. (2016). *Reserves and trade jointly determine exposure to food
supply shocks.* Environ. Res. Lett. 11, 095009. doi:10.1088/1748-9326/11/9/095009 — a port of the authors'
``sim_cascade`` (R, repository pmarchand1/cereals-network-shocks, ``cereals-network-funcs.R``).

Notation: countries j, k; production P_j; reserves (stocks) R_j; trade F_jk = exports j → k; net supply
S_j = P_j + Σ_k F_kj − Σ_k F_jk (= apparent consumption); ΔS'_j the supply shock reaching j in a round.
Each round, for all countries at once:

1. reserves absorb first:            ΔR_j = max(ΔS'_j, −R_j)
2. j is *shocked* if a residual is left (asym rule: a shocked country never exports more, and nobody can
   draw extra imports from it);      shocked_j |= ΔS'_j − ΔR_j < 0
3. consumption absorbs a fraction f_c (substitution / demand destruction):
                                     ΔC_j = f_c (ΔS'_j − ΔR_j),  ΔS''_j = (1 − f_c)(ΔS'_j − ΔR_j)
4. the rest moves to trade, capped by the trade volume V_j = Σ_k F_jk + Σ_{k unshocked} F_kj;
   residuals below α·S_j are absorbed locally: ΔB_j = 0 if |ΔS''_j| < α S_j else max(ΔS''_j, −V_j)
5. what trade cannot carry hits consumption: ΔC_j += ΔS''_j − ΔB_j
6. each country spreads ΔB_j over its links in proportion to their volume (it cuts exports and raises imports
   from unshocked partners):         ΔF_jk = (ΔB_j / V_j − 1[j unshocked] · ΔB_k / V_k) · F_jk
7. the next shock is what others did to j: ΔS'_j ← Σ_k ΔF_kj − Σ_k ΔF_jk + ΔB_j

Stop when every |ΔS'_j| ≤ tol (the authors stop when min ΔS' ≈ 0; with negative shocks ΔS' ≤ 0 always).
The negligible remainder is booked to consumption so that both invariants hold exactly:
Σ_j (ΔR_j + ΔC_j) = Σ_j shock_j, and per country shock_j + ΔI_j − ΔE_j = ΔR_j + ΔC_j.

Extension for export controls (not in the paper): ``blocked`` marks countries that are shocked from the
start — an exporter that restricts does not raise exports to anyone to make up for it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


@dataclass
class CascadeResult:
    """Totals over all rounds. Arrays have a leading draw axis when the inputs had one.

    ``dR``, ``dC``: change in reserves and in consumption by country (negative = loss), same units as the
    inputs. ``dF``: change of each trade link (edge order of the input, or an n×n matrix from :func:`cascade`).
    ``rounds``: rounds until convergence; ``converged``: False when ``max_rounds`` was reached.
    """

    dR: np.ndarray
    dC: np.ndarray
    dF: np.ndarray
    rounds: np.ndarray
    converged: np.ndarray
    shocked: np.ndarray


def _segment_sum(values: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
    """Σ over edges grouped by node: values (d, m), index (m,) → (d, n)."""
    d = values.shape[0]
    if d == 1:
        return np.bincount(index, weights=values[0], minlength=n)[None, :]
    flat = (index[None, :] + n * np.arange(d)[:, None]).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=d * n).reshape(d, n)


def cascade_edges(
    P: np.ndarray,
    R: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    flow: np.ndarray,
    shock: np.ndarray,
    *,
    f_c: float | np.ndarray = 0.0,
    alpha: float = 1e-5,
    asym: bool = True,
    blocked: np.ndarray | None = None,
    max_rounds: int = 200,
    rtol: float = 1e-10,
) -> CascadeResult:
    """Marchand et al. (2016) cascade on an edge list, for one scenario or a batch of d scenarios at once.

    Shapes: n countries, m links (``src[e] → dst[e]``, no self-links). ``P``, ``R``, ``shock`` and ``blocked``
    are (n,) or (d, n); ``flow`` is (m,) or (d, m); ``f_c`` is a scalar or (d,). Units: any mass per period
    (tonnes per year in critmin). ``shock`` is the initial drop in supply (ΔP in the paper; negative = loss).
    Convergence: every |ΔS'| ≤ rtol · Σ|shock| (per scenario). See the module docstring for the equations.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    if np.any(src == dst):
        raise ValueError("self-links (exporter == importer) are not allowed")
    shock = np.asarray(shock, dtype=float)
    batched = shock.ndim == 2
    shock2 = np.atleast_2d(shock)
    d, n = shock2.shape
    m = src.shape[0]
    P2 = np.broadcast_to(np.asarray(P, dtype=float), (d, n))
    R2 = np.array(np.broadcast_to(np.asarray(R, dtype=float), (d, n)))
    F = np.array(np.broadcast_to(np.asarray(flow, dtype=float), (d, m)))
    if np.any(R2 < 0) or np.any(F < 0):
        raise ValueError("reserves and trade flows must be non-negative")
    fc = np.broadcast_to(np.asarray(f_c, dtype=float), (d,))[:, None]
    if np.any((fc < 0) | (fc > 1)):
        raise ValueError("f_c (substitution fraction) must be between 0 and 1")
    shocked = np.zeros((d, n), dtype=bool)
    if blocked is not None:
        shocked |= np.broadcast_to(np.asarray(blocked, dtype=bool), (d, n))

    S = P2 + _segment_sum(F, dst, n) - _segment_sum(F, src, n)
    dR_tot = np.zeros((d, n))
    dC_tot = np.zeros((d, n))
    dF_tot = np.zeros((d, m))
    rounds = np.zeros(d, dtype=np.int64)
    tol = rtol * np.abs(shock2).sum(axis=1)
    dS = shock2.copy()
    active = np.abs(dS).max(axis=1) > tol
    for _k in range(max_rounds):
        if not active.any():
            break
        rounds += active
        dR = np.maximum(dS, -R2)
        res = dS - dR
        if asym:
            shocked |= res < 0
        dC = fc * res
        res = (1.0 - fc) * res
        open_exporter = ~shocked
        Tvol = _segment_sum(F, src, n) + _segment_sum(F * open_exporter[:, src], dst, n)
        dT = np.where(np.abs(res) < alpha * S, 0.0, np.maximum(res, -Tvol))
        dC += res - dT
        with np.errstate(invalid="ignore", divide="ignore"):
            prop = np.where(Tvol == 0, 0.0, dT / np.where(Tvol == 0, 1.0, Tvol))
        dF = (prop[:, src] - open_exporter[:, src] * prop[:, dst]) * F
        R2 += dR
        F += dF
        S += dR + dC
        dR_tot += dR
        dC_tot += dC
        dF_tot += dF
        dS = _segment_sum(dF, dst, n) - _segment_sum(dF, src, n) + dT
        done = np.abs(dS).max(axis=1) <= tol
        # book the negligible remainder to consumption (keeps the invariants exact) and freeze the draw
        finishing = active & done
        dC_tot[finishing] += dS[finishing]
        dS[done] = 0.0
        active &= ~done
    converged = ~active
    if active.any():
        warnings.warn(
            f"cascade: {int(active.sum())} of {d} scenarios did not converge in {max_rounds} rounds",
            RuntimeWarning,
            stacklevel=2,
        )
        dC_tot[active] += dS[active]  # keep the books balanced even when stopped early
    if not batched:
        return CascadeResult(dR_tot[0], dC_tot[0], dF_tot[0], rounds[0], converged[0], shocked[0])
    return CascadeResult(dR_tot, dC_tot, dF_tot, rounds, converged, shocked)


def cascade(
    P: np.ndarray,
    R: np.ndarray,
    F: np.ndarray,
    shock: np.ndarray,
    *,
    f_c: float = 0.0,
    alpha: float = 1e-5,
    asym: bool = True,
    blocked: np.ndarray | None = None,
    max_rounds: int = 200,
    rtol: float = 1e-10,
) -> CascadeResult:
    """Marchand et al. (2016) cascade on a dense trade matrix ``F`` (n×n, F[j, k] = exports j → k).

    Returns totals with ``dF`` as an n×n matrix of link changes. Equations: module docstring.

    >>> P = np.array([100.0, 20, 0]); R = np.array([10.0, 5, 2])
    >>> F = np.array([[0, 30, 20], [0, 0, 5], [0, 0, 0]], dtype=float)
    >>> r = cascade(P, R, F, np.array([-40.0, 0, 0]))
    >>> r.dC.round(9).tolist(), int(r.rounds)
    ([0.0, -8.0, -15.0], 3)
    """
    F = np.asarray(F, dtype=float)
    n = F.shape[0]
    if F.shape != (n, n):
        raise ValueError(f"F must be square, got {F.shape}")
    src, dst = np.nonzero(F * (1 - np.eye(n)))
    res = cascade_edges(
        P,
        R,
        src,
        dst,
        F[src, dst],
        shock,
        f_c=f_c,
        alpha=alpha,
        asym=asym,
        blocked=blocked,
        max_rounds=max_rounds,
        rtol=rtol,
    )
    dF = np.zeros((n, n))
    dF[src, dst] = res.dF
    return CascadeResult(res.dR, res.dC, dF, res.rounds, res.converged, res.shocked)


def days_of_cover(
    stocks: np.ndarray, dR: np.ndarray, dC: np.ndarray, days_per_year: float = 365.0
) -> np.ndarray:
    """Days until stocks run out if the disruption lasts: R₀ / (L / 365), L = −(ΔR + ΔC) the annual supply gap.

    The cascade's flows are annual, so L is the tonnes per year a country loses after trade has redistributed
    the shock; stocks covering more than a year give more than 365 days. ``inf`` where L ≤ 0 (no loss).
    """
    loss = -(np.asarray(dR) + np.asarray(dC))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(loss > 0, days_per_year * np.asarray(stocks) / np.where(loss > 0, loss, 1.0), np.inf)
    return out
