"""Where two measurements of the same share disagree: by value vs by tonnes, and between production sources.

A share computed one way can mislead when the same share computed another way is far from it, and a reader
should see both next to the number:

* **Value vs tonnes.** A supplier's share of a party's imports by value (kUSD, FOB) and by content tonnes
  (the stage's basis, e.g. t REO) differ when its shipments' unit value differs from the rest's (grade,
  form, purity, price). In 2024 China supplied 38% of Japan's refined rare-earth imports by value and about
  two thirds by tonnes: cheaper, bulk compounds from China, dearer products from elsewhere.
* **Two production sources.** A country's share of world production for the same year differs between
  sources (World Mining Data, USGS Mineral Commodity Summaries, IEA) when they count different products,
  estimate differently or revise (antimony mining 2023: China 35% in WMD 2026, 48% in USGS MCS 2024).
  Only series on the same content basis are compared: a magnet-REE share (IEA: Nd, Pr, Dy, Tb) and a total
  REO share measure different things.

The rule: the two shares **disagree when they are more than** :data:`MARGIN` **apart** (10 percentage points,
a stated convention, not a published standard), and both are known. critmin then reports both, with their
sources, next to the number (``critmin exposure`` and the report).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmin.formats import percent

MARGIN = 0.10  # percentage points as a fraction: 0.10 = 10 points


def disagrees(a: npt.ArrayLike, b: npt.ArrayLike, margin: float = MARGIN) -> np.ndarray:
    """|a − b| > margin, element-wise; False where either share is unknown."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(a) & np.isfinite(b), np.abs(a - b) > margin + 1e-12, False)


def _pct(x: float) -> str:
    """'38%': written as the tables next to the note write their shares."""
    return percent(x)


def basis_note(who: str, share: float, other: float, basis: str, other_basis: str) -> str:
    """'CHN 38% by value, 66% by tonnes' (the words shown next to the number)."""
    return f"{who} {_pct(share)} by {basis}, {_pct(other)} by {other_basis}"


def source_gaps(conc: pd.DataFrame, share_col: str, margin: float = MARGIN) -> pd.DataFrame:
    """Pairs of production sources whose share ``share_col`` of world production disagrees.

    ``conc``: one row per commodity, stage, year and source (columns commodity, stage, year, source, edition,
    basis, ``share_col``), e.g. :meth:`critmin.api.Dataset.concentration` run once per source, in the
    catalogue's order of preference (the first source of a year is the one critmin reports). Returns, for
    every commodity, stage and year with two or more sources on the same basis, the reported source against
    each other source whose share is more than ``margin`` away: commodity, stage, year, basis, source,
    edition, share, other_source, other_edition, other_share, gap (other − reported).
    """
    cols = ["commodity", "stage", "year", "basis", "source", "edition", share_col]
    if "total" in conc.columns:  # world output in each source: the share's denominator, said with it
        cols.append("total")
    d = conc[cols].dropna(subset=[share_col])
    first = d.groupby(["commodity", "stage", "year", "basis"], sort=False).head(1)
    pairs = first.merge(d, on=["commodity", "stage", "year", "basis"], suffixes=("", "_other"))
    pairs = pairs[pairs["source_other"] != pairs["source"]]
    pairs = pairs[disagrees(pairs[share_col], pairs[f"{share_col}_other"], margin)]
    out = pairs.rename(
        columns={
            share_col: "share",
            "source_other": "other_source",
            "edition_other": "other_edition",
            f"{share_col}_other": "other_share",
            "total_other": "other_total",
        }
    )
    out["gap"] = out["other_share"] - out["share"]
    cols = ["commodity", "stage", "year", "basis", "source", "edition", "share"]
    totals = ["total", "other_total"] if "total" in out.columns else []
    return out[[*cols, "other_source", "other_edition", "other_share", "gap", *totals]].reset_index(drop=True)


#: world totals of two sources further apart than this (relative) are said with the shares
TOTAL_MARGIN = 0.10


def source_note(who: str, row) -> str:
    """'CHN 35% (WMD 2026) vs 48% (USGS MCS 2024), 2023'  (after 'world mine: '), and where the two sources'
    world totals differ by more than :data:`TOTAL_MARGIN`, ' (world output 117,433 t vs 83,316 t Sb)': a share can
    move because the denominator does (WMD 2026 counts 37,880 t of Russian antimony in 2023, USGS 4,300 t)."""
    text = (
        f"{who} {_pct(row.share)} ({edition_label(row.source, row.edition)}) vs {_pct(row.other_share)} "
        f"({edition_label(row.other_source, row.other_edition)}), {int(row.year)}"
    )
    a, b = float(getattr(row, "total", np.nan)), float(getattr(row, "other_total", np.nan))
    if np.isfinite(a) and np.isfinite(b) and a > 0 and b > 0 and abs(a - b) > TOTAL_MARGIN * min(a, b):
        text += f" (world output {a:,.0f} t vs {b:,.0f} t {row.basis})"
    return text


def edition_label(source: str, edition: str) -> str:
    """'WMD 2026' (an edition that names its source) or 'USGS MCS 2024'."""
    return edition if str(edition).upper().startswith(str(source).upper()) else f"{source} {edition}"


__all__ = ["MARGIN", "basis_note", "disagrees", "edition_label", "source_gaps", "source_note"]
