"""Materiality: which flows are large enough to be a finding.

A supplier share computed from a handful of dollars is arithmetic, not exposure: USD 20 of Japanese tin ore
imports from one country is "100% from a single supplier" and must not be reported next to Japan's USD 900 M
of rare-earth compounds. critmin therefore states one threshold and applies it wherever it ranks, counts or
reports: findings, rankings of minerals by dependence, counts of minerals above the 65% single-supplier
benchmark of the EU Critical Raw Materials Act, and supply-risk scores computed from tiny volumes.

A flow (a party's imports of a mineral stage, or of it from one supplier) is **material** when both

    value ≥ V_min                       (default USD 1 M = 1,000 kUSD)
    value ≥ s_min · total               (default 1% of the party's imports of that mineral)

hold. The first test removes amounts too small to matter to any economy; the second removes a stage or a
supplier that is a sliver of the party's supply of the mineral (where a party imports USD 2 bn of a mineral,
a USD 5 M flow is not what its exposure turns on). The defaults are a stated convention, not a published
standard: both are parameters, and the threshold used is reported with every output that applies it
(``Materiality.label``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DEFAULT_MIN_VALUE_KUSD = 1_000.0  # USD 1 M (values in critmin are thousand USD)
DEFAULT_MIN_SHARE = 0.01


@dataclass(frozen=True)
class Materiality:
    """The threshold: a flow counts when value ≥ ``min_value_kusd`` and ≥ ``min_share`` of its total."""

    min_value_kusd: float = DEFAULT_MIN_VALUE_KUSD
    min_share: float = DEFAULT_MIN_SHARE

    def __post_init__(self) -> None:
        if not self.min_value_kusd >= 0 or not 0 <= self.min_share < 1:
            raise ValueError(
                f"materiality needs min_value_kusd >= 0 and min_share in [0, 1) "
                f"(got {self.min_value_kusd}, {self.min_share})"
            )

    def __call__(self, value_kusd: npt.ArrayLike, total_kusd: npt.ArrayLike) -> np.ndarray:
        return is_material(value_kusd, total_kusd, self.min_value_kusd, self.min_share)

    @property
    def label(self) -> str:
        usd = self.min_value_kusd * 1_000
        amount = f"USD {usd / 1e6:g} M" if usd >= 1e6 else f"USD {usd:,.0f}"
        return f"{amount} and {self.min_share:.0%} of the party's imports of the mineral"


DEFAULT = Materiality()


def is_material(
    value_kusd: npt.ArrayLike,
    total_kusd: npt.ArrayLike,
    min_value_kusd: float = DEFAULT_MIN_VALUE_KUSD,
    min_share: float = DEFAULT_MIN_SHARE,
) -> np.ndarray:
    """value ≥ min_value_kusd and value ≥ min_share · total, element-wise (False where value is unknown).

    ``total_kusd`` is what the flow is a part of (the party's imports of the mineral, all stages, for a
    mineral stage; the party's imports of the mineral stage for a supplier).
    """
    v = np.asarray(value_kusd, dtype=float)
    t = np.asarray(total_kusd, dtype=float)
    with np.errstate(invalid="ignore"):
        ok = (v >= min_value_kusd) & (v >= min_share * np.where(np.isfinite(t), t, 0.0))
    return np.where(np.isfinite(v), ok, False)
