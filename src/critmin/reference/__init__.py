"""Reference tables: commodities (stages, HS codes, production series), countries, blocs."""

from critmin.reference import blocs, commodities, countries

__all__ = ["blocs", "commodities", "countries"]
