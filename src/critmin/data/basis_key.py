"""What the stage-basis tables (:mod:`critmin.data.basis`) depend on, checkable without pandas.

Every command that opens the store asks whether ``trade_basis``/``production_basis`` are current; the answer
must cost milliseconds, not the import of the build's dataframe stack.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources

import duckdb

RULES_VERSION = "3"


def digest(con: duckdb.DuckDBPyConnection) -> str:
    """What the basis tables depend on: the sources loaded, the reference tables, the catalogue and the
    rules. A change of any rebuilds them."""
    sources = con.execute(
        """SELECT data_table, source, edition, origin, coalesce(sha256, ''), rows, coalesce(loaded_at, '')
           FROM sources WHERE data_table IN ('trade', 'production') ORDER BY ALL"""
    ).fetchall()
    codes = con.execute("SELECT * FROM hs_codes ORDER BY hs6").fetchall()
    text = resources.files("critmin.reference").joinpath("commodities.yaml").read_bytes()
    payload = json.dumps(
        {
            "rules": RULES_VERSION,
            "sources": [list(map(str, r)) for r in sources],
            "codes": [list(map(str, r)) for r in codes],
            "catalogue": hashlib.sha256(text).hexdigest(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
