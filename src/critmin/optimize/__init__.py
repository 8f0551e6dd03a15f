"""Countermeasures: partner sourcing (LP over suppliers), pooled buying, alignment-based partner sets and
stockpile sizing. See docs/countermeasures.md."""

from critmin.optimize.alignment import aligned_with, partner_set
from critmin.optimize.sourcing import market, optimize_many, optimize_sourcing, pooled

__all__ = ["aligned_with", "market", "optimize_many", "optimize_sourcing", "partner_set", "pooled"]
