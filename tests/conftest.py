"""Shared fixtures.

* ``ds``: a Dataset on a fresh store built from the embedded data (one per test session).
* ``store_path``: the path of that store (read-only use).
* ``tmp_store``: a fresh store path for tests that write.
* ``store_copy``: ``store_copy(dest)`` copies the opened session store to ``dest`` (tests that write much).
* ``shared_dir``: ``../shared`` (skips the test with a clear reason when it is absent).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests run on a shared 2-core machine: timing deadlines would make them flaky, not stricter.
settings.register_profile("critmin", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "critmin"))

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CRITMIN_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session", autouse=True)
def _isolate_user_dirs(tmp_path_factory):
    """Never touch the user's real data/config directories from tests."""
    home = tmp_path_factory.mktemp("home")
    old = {k: os.environ.get(k) for k in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "CRITMIN_DB", "CRITMIN_BLOCS")}
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ.pop("CRITMIN_DB", None)
    os.environ.pop("CRITMIN_BLOCS", None)
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def store_path(tmp_path_factory) -> Path:
    from critmin.store import Store

    path = tmp_path_factory.mktemp("store") / "critmin.duckdb"
    Store(path).close()
    return path


@pytest.fixture(scope="session")
def ds(store_path):
    import critmin

    dataset = critmin.open(store_path)
    yield dataset
    dataset.close()


@pytest.fixture(scope="session")
def store_copy(ds, store_path):
    """``store_copy(dest)`` makes a writable copy of the session store as a Dataset has opened it (basis
    tables built), for tests that write much (a watch run) without paying a store's first opening again.
    The session store is only read by tests, so every copy starts from the embedded data alone."""
    import shutil

    def make(dest: Path) -> Path:
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(store_path, dest)
        return dest

    return make


@pytest.fixture()
def tmp_store(tmp_path) -> Path:
    from critmin.store import Store

    path = tmp_path / "critmin.duckdb"
    Store(path).close()
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.skip(f"needs the shared data folder at {SHARED} (set CRITMIN_SHARED); not part of the repo")
    return SHARED
