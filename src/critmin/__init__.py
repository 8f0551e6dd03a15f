"""critmin: critical-minerals supply-chain security from real open data.

    >>> import critmin
    >>> ds = critmin.open()
    >>> ds.exposure(["JPN", "ITA", "JPN+ITA"], year=2023)   # doctest: +SKIP

Heavy modules are imported lazily so that ``import critmin`` and ``critmin --help`` stay fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Dataset", "__version__", "open"]


def open(db=None):
    """Open critmin's data store (built from the embedded dataset on first use). See :class:`critmin.api.Dataset`."""
    from critmin.api import open as _open

    return _open(db)


def __getattr__(name: str):
    if name == "Dataset":
        from critmin.api import Dataset

        return Dataset
    raise AttributeError(f"module 'critmin' has no attribute {name!r}")
