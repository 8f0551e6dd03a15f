"""The embedded default dataset (derived Parquet shipped in the package) and its build script."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

EMBEDDED = "embedded"


def embedded_dir() -> Path:
    return Path(str(resources.files("critmin.data").joinpath(EMBEDDED)))


def embedded_path(name: str) -> Path:
    from critmin.errors import StoreError

    path = embedded_dir() / name
    if not path.exists():
        raise StoreError(
            f"embedded data file {name} is missing from {embedded_dir()}; rebuild it with "
            "`critmin data build --from ../shared/data`"
        )
    return path
