"""Report sections contributed by the other parts of critmin.

Each provider takes (ds, parties, year, exposure table) and returns a list of :class:`Section`; it raises
ImportError when the part it needs is not available, and the report then lists it as missing.
"""

from __future__ import annotations

PROVIDERS: list = []
