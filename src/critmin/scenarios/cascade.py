"""The reserves-and-trade shock cascade of Marchand et al. (2016), vectorised over many scenarios.

Marchand P., Carr J.A., Dell'Angelo J., et al. (2016). *Reserves and trade jointly determine exposure to food
supply shocks.* Environ. Res. Lett. 11, 095009. doi:10.1088/1748-9326/11/9/095009 — a port of the authors'
``sim_cascade`` (R, repository pmarchand1/cereals-network-shocks, ``cereals-network-funcs.R``).

Notation: countries j, k; production P_j; reserves (stocks) R_j; trade F_jk = exports j → k; apparent
consumption C_j = P_j + Σ_k F_kj − Σ_k F_jk (the paper's net supply S); ΔS'_j the supply shock reaching j in a
round. Each round, for all countries at once:

1. buffers absorb first, in this order: the volume an imposer withholds W_j (export controls only),
   reserves R_j, the supply response Q_j (extra output a producer can bring on line; 0 unless asked):
                                     ΔW_j = clip(ΔS'_j, −W_j, 0), ΔR_j = max(·, −R_j), ΔQ_j = clip(·, −Q_j, 0)
2. j closes to extra draws as it runs short (the paper's asym rule, made continuous): with L_j the loss it
   has been left with after its buffers so far (Σ of −r_j over rounds; with ``share_stocks=False`` also its
   stock draws: stocks are for the holder's own use), its *openness* is
                                     o_j = 1 − min(L_j / (θ·V_j), 1),   V_j = E_j + C_j (the supply it handles)
   — a partner can draw on the share o_j of j's links; j is fully closed (the paper's "shocked": it never
   exports more) once it has lost θ = ``closure`` (0.1%) of its supply. The paper's rule is the limit θ → 0
   (``closure=0``: any residual closes j), under which a negligible loss — a 10⁻⁹ t flow — switches a
   country off and moves everyone's outcome by tonnes; the ramp keeps the outcome continuous in the inputs.
   θ is kept small because partly open countries can pass a small loss back and forth (each draws on the
   other) until their losses reach θ·V: at 0.1% that takes about as many rounds as the paper's rule, at 1%
   up to five times more on the real networks
3. consumption absorbs a fraction f_c (substitution / demand destruction): ΔC_j = f_c r_j, r''_j = (1 − f_c) r_j
4. the rest goes to trade: X_j ≤ 0 cut from j's exports E_j, M_j ≤ 0 drawn as extra imports from open
   partners (capacity I°_j = Σ_k o_k F_kj); residuals below α·C_j are absorbed locally. Two rationing rules:
   * ``trade_first`` (the paper): ΔB_j = max(r''_j, −V_j), V_j = E_j + I°_j, split in proportion to volume,
     X_j = ΔB_j E_j / V_j, M_j = ΔB_j I°_j / V_j — consumption is hit only when trade cannot carry the loss;
   * ``pro_rata``: j first draws what it can from open partners, M_j = max(r''_j, −I°_j), and shares
     the rest between its export customers and its own use in proportion to their shares of its supply,
     X_j = max((r''_j − M_j) E_j / (E_j + C_j), −E_j) — a supplier short of material allocates among its
     customers and its own needs pro rata, the usual reading of "fair and reasonable" allocation
     (U.C.C. § 2-615(b)); a re-export hub (C_j = 0) passes everything on, a target cannot push its whole
     loss onto the countries it supplies;
5. what trade does not carry hits consumption: ΔC_j += r''_j − X_j − M_j; **consumption never falls below
   zero**: a deficit beyond C_j is cut from j's exports instead (always possible: a country that has nothing
   left exports more than its production, imports and drawn buffers, so E_j covers the deficit);
6. links change in proportion to their volume (exporter cuts, importer draws from open partners):
                                     ΔF_jk = (X_j / E_j − o_j 1[jk drawable] · M_k / I°_k) · F_jk
7. the next shock is what others did to j: ΔS'_j ← Σ_k ΔF_kj − Σ_k ΔF_jk + X_j + M_j

Stop when every |ΔS'_j| ≤ tol (the authors stop when min ΔS' ≈ 0; with negative shocks ΔS' ≤ 0 always).
The negligible remainder is booked to consumption so that both invariants hold exactly:
Σ_j (ΔW_j + ΔR_j + ΔQ_j + ΔC_j) = Σ_j shock_j, and per country shock_j + ΔI_j − ΔE_j = ΔW_j + ΔR_j + ΔQ_j + ΔC_j.

**Negative apparent consumption** (exports above production + imports: re-exports from unrecorded stocks,
missing production, or a data or basis error) is read as unrecorded supply equal to the gap: such a country
has zero consumption to lose and passes every shock on through trade. Hence, by construction,
0 ≤ shortfall_j = −ΔC_j ≤ max(C_j, 0) for every country.

Extensions for export controls (not in the paper): ``blocked`` marks countries that are closed from the
start (an exporter that restricts does not raise exports to anyone to make up); ``withheld`` is the volume an
imposer keeps at home, which absorbs its own import losses before it cuts anyone else; ``closed`` marks links
that can never be drawn on (restricted links, when an imposer is left open to redirect to non-targets).

**World level.** By conservation the world loses what the imposers withhold, less what they take back (their
own import losses, covered from the withheld volume) and the extra output: −Σ(ΔR + ΔC) = Σ W₀ + ΣΔW + ΣΔQ.
Without a response, Σ_i max(W₀_i − I_i, 0) ≤ −Σ(ΔR + ΔC) ≤ Σ W₀ (I_i: imposer i's imports before the
restriction; it cannot take back more than it imported). It is *not* monotone in the
shock: which countries are closed when decides whether a loss is passed back to an imposer or lands on
someone's consumption, so a destination ban can cost the world more than a full ban (docs/scenarios.md §2).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

RATIONING = ("trade_first", "pro_rata")
# θ: share of the supply it handles a country must lose (after its buffers) to be fully closed to extra draws
CLOSURE = 0.001


@dataclass
class CascadeResult:
    """Totals over all rounds. Arrays have a leading draw axis when the inputs had one.

    ``dR``, ``dC``: change in reserves and in consumption by country (negative = loss), same units as the
    inputs. ``dF``: change of each trade link (edge order of the input, or an n×n matrix from :func:`cascade`).
    ``rounds``: rounds until convergence; ``converged``: False when ``max_rounds`` was reached. ``shocked``:
    blocked from the start or left with a loss after its buffers (closed to extra draws in part or in full).
    ``dW``: change of the withheld volume (≤ 0: what imposers used to cover their own import losses or sent to
    non-targets); ``dQ``: change of the supply-response capacity (≤ 0: extra output brought on line).
    """

    dR: np.ndarray
    dC: np.ndarray
    dF: np.ndarray
    rounds: np.ndarray
    converged: np.ndarray
    shocked: np.ndarray
    dW: np.ndarray | None = None
    dQ: np.ndarray | None = None


def _segment_sum(values: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
    """Σ over edges grouped by node: values (d, m), index (m,) → (d, n)."""
    d = values.shape[0]
    if d == 1:
        return np.bincount(index, weights=values[0], minlength=n)[None, :]
    flat = (index[None, :] + n * np.arange(d)[:, None]).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=d * n).reshape(d, n)


class _Segments:
    """Σ over edges grouped by node for a fixed batch size: the flattened bincount index is built once."""

    def __init__(self, index: np.ndarray, d: int, n: int):
        self.d, self.n = d, n
        self.flat = index if d == 1 else (index[None, :] + n * np.arange(d)[:, None]).ravel()

    def __call__(self, values: np.ndarray) -> np.ndarray:
        sums = np.bincount(self.flat, weights=values.ravel(), minlength=self.d * self.n)
        return sums.reshape(self.d, self.n)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _pool(x, d: int, n: int, name: str) -> np.ndarray:
    out = np.zeros((d, n)) if x is None else np.array(np.broadcast_to(np.asarray(x, dtype=float), (d, n)))
    if np.any(out < 0):
        raise ValueError(f"{name} must be non-negative")
    return out


def openness(lost: np.ndarray, volume: np.ndarray, closure: float, closed: np.ndarray) -> np.ndarray:
    """Share of each country's export links that partners can still draw on (step 2 of the module docstring):
    o = 1 − min(L / (θ·V), 1); 0 for ``closed`` countries (imposers), and for any loss where θ·V = 0.

    ``lost`` L and ``volume`` V in tonnes, ``closure`` θ ≥ 0. The paper's asym rule (Marchand et al. 2016: a
    shocked country never exports more) is θ = 0: o = 0 as soon as L > 0."""
    scale = closure * volume
    frac = np.where(scale > 0, lost / np.where(scale > 0, scale, 1.0), np.where(lost > 0, 1.0, 0.0))
    return np.where(closed, 0.0, 1.0 - np.minimum(frac, 1.0))


def trade_adjustment(
    res: np.ndarray,
    exports: np.ndarray,
    open_imports: np.ndarray,
    consumption: np.ndarray,
    rationing: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Split a residual loss ``res`` (≤ 0) into an export cut X and an import draw M (both ≤ 0), step 4 of the
    module docstring: ``trade_first`` (Marchand et al. 2016) or ``pro_rata`` rationing."""
    if rationing == "trade_first":
        vol = exports + open_imports
        frac = _ratio(np.maximum(res, -vol), vol)
        return frac * exports, frac * open_imports
    M = np.maximum(res, -open_imports)
    X = np.maximum((res - M) * _ratio(exports, exports + consumption), -exports)
    return X, M


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
    withheld: np.ndarray | None = None,
    response: np.ndarray | None = None,
    closed: np.ndarray | None = None,
    consumption: np.ndarray | None = None,
    rationing: str = "trade_first",
    share_stocks: bool = True,
    closure: float = CLOSURE,
    max_rounds: int = 1000,
    rtol: float = 1e-10,
) -> CascadeResult:
    """Marchand et al. (2016) cascade on an edge list, for one scenario or a batch of d scenarios at once.

    Shapes: n countries, m links (``src[e] → dst[e]``, no self-links). ``P``, ``R``, ``shock``, ``blocked``,
    ``withheld``, ``response`` and ``consumption`` are (n,) or (d, n); ``flow`` and ``closed`` are (m,) or
    (d, m); ``f_c`` is a scalar or (d,). Units: any mass per period (tonnes per year in critmin). ``shock`` is
    the initial drop in supply (ΔP in the paper; negative = loss). ``consumption``: apparent consumption
    before the shock, default P + I − E of the given flows (right for a production shock; an export
    restriction passes the flows after the cut, so it gives the consumption before it). ``rationing``:
    'trade_first' (the paper) or 'pro_rata'. ``share_stocks``: True (the paper) lets others draw on a
    country's reserves; False counts its stock draws towards its closure. ``closure``: θ, the share of the
    supply it handles (E + C) a country must lose after its buffers to be fully closed to extra draws; 0 is
    the paper's all-or-nothing rule. Convergence: every |ΔS'| ≤ rtol · Σ|shock| (per scenario). See the
    module docstring for the equations.
    """
    if rationing not in RATIONING:
        raise ValueError(f"rationing must be one of {RATIONING}, got {rationing!r}")
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
    R2 = _pool(R, d, n, "reserves")
    W2 = _pool(withheld, d, n, "withheld volumes")
    Q2 = _pool(response, d, n, "supply-response capacities")
    F = np.array(np.broadcast_to(np.asarray(flow, dtype=float), (d, m)))
    if np.any(F < 0):
        raise ValueError("reserves and trade flows must be non-negative")
    fc = np.broadcast_to(np.asarray(f_c, dtype=float), (d,))[:, None]
    if np.any((fc < 0) | (fc > 1)):
        raise ValueError("f_c (substitution fraction) must be between 0 and 1")
    if not 0.0 <= closure <= 1.0:
        raise ValueError("closure (share of supply lost before a country closes) must be between 0 and 1")
    shocked = np.zeros((d, n), dtype=bool)
    if blocked is not None:
        shocked |= np.broadcast_to(np.asarray(blocked, dtype=bool), (d, n))
    drawable = None if closed is None else ~np.broadcast_to(np.asarray(closed, dtype=bool), (d, m))

    by_src, by_dst = _Segments(src, d, n), _Segments(dst, d, n)
    E = by_src(F)  # exports, kept up to date as links change
    # consumption that can be lost: apparent consumption, with a negative one read as unrecorded supply
    if consumption is None:
        C = np.maximum(P2 + by_dst(F) - E, 0.0)
    else:
        C = np.array(np.broadcast_to(np.maximum(np.asarray(consumption, dtype=float), 0.0), (d, n)))
    volume = E + C  # the supply each country handles: its exports and its own use
    lost = np.zeros((d, n))  # loss left after buffers so far: closes a country to extra draws (step 2)
    dR_tot, dC_tot, dW_tot, dQ_tot = (np.zeros((d, n)) for _ in range(4))
    dF_tot = np.zeros((d, m))
    rounds = np.zeros(d, dtype=np.int64)
    tol = rtol * np.abs(shock2).sum(axis=1)
    dS = shock2.copy()
    active = np.abs(dS).max(axis=1) > tol
    for _k in range(max_rounds):
        if not active.any():
            break
        rounds += active
        dW = np.clip(dS, -W2, 0.0)
        dR = np.maximum(dS - dW, -R2)
        dQ = np.clip(dS - dW - dR, -Q2, 0.0)
        res = dS - dW - dR - dQ
        if asym:
            lost -= np.minimum(res, 0.0)
        if not share_stocks:
            lost -= dR  # stocks are drawn for the holder's own use: it raises no exports meanwhile
        open_share = openness(lost, volume, closure, shocked)[:, src]
        open_edge = open_share if drawable is None else open_share * drawable
        dC = fc * res
        res = (1.0 - fc) * res
        I_open = by_dst(F * open_edge)
        X, M = trade_adjustment(res, E, I_open, C, rationing)
        local = np.abs(res) < alpha * C
        X[local] = 0.0
        M[local] = 0.0
        dC += res - X - M
        # consumption cannot go below zero: the deficit is cut from exports instead (E covers it, see step 5;
        # the second clip only catches rounding)
        deficit = np.where(active[:, None], np.minimum(C + dC, 0.0), 0.0)  # finished draws stay frozen
        X += deficit
        dC -= deficit
        spill = np.minimum(X + E, 0.0)
        X -= spill
        dC += spill
        dF = (_ratio(X, E)[:, src] - open_edge * _ratio(M, I_open)[:, dst]) * F
        W2 += dW
        R2 += dR
        Q2 += dQ
        F += dF
        C += dC
        dW_tot += dW
        dR_tot += dR
        dQ_tot += dQ
        dC_tot += dC
        dF_tot += dF
        dE = by_src(dF)
        E = np.maximum(E + dE, 0.0)  # the clip only removes rounding below zero
        dS = by_dst(dF) - dE + X + M
        done = np.abs(dS).max(axis=1) <= tol
        # book the negligible remainder to consumption (keeps the invariants exact) and freeze the draw
        finishing = active & done
        dC_tot[finishing] += dS[finishing]
        dS[done] = 0.0
        active &= ~done
    converged = ~active
    shocked |= lost > 0
    if active.any():
        warnings.warn(
            f"cascade: {int(active.sum())} of {d} scenarios did not converge in {max_rounds} rounds",
            RuntimeWarning,
            stacklevel=2,
        )
        dC_tot[active] += dS[active]  # keep the books balanced even when stopped early
    if not batched:
        return CascadeResult(
            dR_tot[0], dC_tot[0], dF_tot[0], rounds[0], converged[0], shocked[0], dW_tot[0], dQ_tot[0]
        )
    return CascadeResult(dR_tot, dC_tot, dF_tot, rounds, converged, shocked, dW_tot, dQ_tot)


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
    withheld: np.ndarray | None = None,
    response: np.ndarray | None = None,
    rationing: str = "trade_first",
    share_stocks: bool = True,
    closure: float = CLOSURE,
    max_rounds: int = 1000,
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
        withheld=withheld,
        response=response,
        rationing=rationing,
        share_stocks=share_stocks,
        closure=closure,
        max_rounds=max_rounds,
        rtol=rtol,
    )
    dF = np.zeros((n, n))
    dF[src, dst] = res.dF
    return CascadeResult(res.dR, res.dC, dF, res.rounds, res.converged, res.shocked, res.dW, res.dQ)


#: an annual loss below this many tonnes (one gram) is rounding noise of the cascade, not a supply gap
LOSS_TOLERANCE_T = 1e-6


def days_of_cover(
    stocks: np.ndarray, dR: np.ndarray, dC: np.ndarray, days_per_year: float = 365.0
) -> np.ndarray:
    """Days until stocks run out if the disruption lasts: R₀ / (L / 365), L = −(ΔR + ΔC) the annual supply gap.

    The cascade's flows are annual, so L is the tonnes per year a country loses after trade has redistributed
    the shock; stocks covering more than a year give more than 365 days. ``inf`` where there is no loss: L
    below one gram a year (:data:`LOSS_TOLERANCE_T`) is the floating-point remainder of balancing the network
    (2e-11 t), not a supply gap that empties a stock in zero days.
    """
    loss = -(np.asarray(dR) + np.asarray(dC))
    lost = loss > LOSS_TOLERANCE_T
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(lost, days_per_year * np.asarray(stocks) / np.where(lost, loss, 1.0), np.inf)
    return out
