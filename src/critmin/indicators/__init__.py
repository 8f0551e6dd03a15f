"""Indicators: pure functions (arrays in, arrays out) for concentration, dependence and supply risk."""

from critmin.indicators.concentration import hhi, share_of, shares, top_n_share
from critmin.indicators.dependence import import_reliance

__all__ = ["hhi", "import_reliance", "share_of", "shares", "top_n_share"]
