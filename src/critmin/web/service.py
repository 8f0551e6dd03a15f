"""What the web app holds between requests: the Dataset, a lock around the store, a response cache and
the limits of the compute endpoints.

* **One store connection, used by one request at a time.** A DuckDB connection object is not safe to share
  between threads (``execute`` then ``fetch`` on one connection can interleave), so every use of the
  Dataset goes through :meth:`Service.using`. The connection is closed when the request is done, so that a
  ``critmin news ingest`` or ``critmin restrictions add`` in another process can write while the server
  runs (DuckDB lets a writer in only when no other process has the file open).
* **Store version.** The file's size and modification time (and its write-ahead log's) identify what is in
  the store. When they change — a write through the API or by another process — the Dataset is opened
  afresh (its cached trade and production frames are rebuilt) and every cached response is stale.
* **Cache per store version.** Read endpoints and pages are pure functions of (store version, URL, format),
  so their responses are kept in a bounded LRU cache; concurrent requests for the same missing entry wait
  for one computation instead of repeating it.
* **Compute limits.** Compute endpoints run one at a time on a bounded number of slots and stop at a deadline
  (Monte Carlo draws are checked between chunks).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from critmin.errors import CritminError

log = logging.getLogger("critmin.web")


class ComputeTimeout(CritminError):
    """A compute request ran past the server's time limit."""


class ServerBusy(CritminError):
    """Every compute slot is taken."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request may ask for. Defaults suit a laptop or a 2-core server."""

    max_body_bytes: int = 1_000_000  # request bodies (news text included)
    max_query_chars: int = 2_048  # the query string of one URL
    max_parties: int = 12  # comma-separated parties in one table request
    max_years: int = 30  # years in one time series
    max_risk_cells: int = 6  # parties x years of one supply-risk request (each a full computation, seconds)
    max_risk_commodities: int = 64  # commodities of one supply-risk request (the catalogue has 41)
    max_draws: int = 20_000  # Monte Carlo draws of a sweep
    max_stockpile_draws: int = 2_000
    compute_seconds: float = 30.0  # wall-time limit of one compute request
    compute_slots: int = 1  # compute requests running at once (the rest wait, then get 429)
    compute_wait_seconds: float = 15.0
    cache_entries: int = 2_000
    cache_bytes: int = 256_000_000


@dataclass
class Cached:
    """A response kept in the cache: status, body and the headers that describe the body."""

    status: int
    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


class ResponseCache:
    """LRU of :class:`Cached` responses bounded in entries and bytes (thread-safe)."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[tuple, Cached] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Cached | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: tuple, item: Cached) -> None:
        size = len(item.body)
        if size > self.max_bytes // 4:
            return  # one huge table must not flush everything else
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._items[key] = item
            self._bytes += size
            while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


def file_version(path: Path) -> str:
    """Size and mtime of the store file and its write-ahead log: changes whenever anything is written."""
    parts = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = os.stat(p)
        except FileNotFoundError:
            parts.append("-")
            continue
        parts.append(f"{st.st_size:x}.{st.st_mtime_ns:x}")
    return ":".join(parts)


class Deadline:
    """A wall-clock limit for one compute request; :meth:`check` raises :class:`ComputeTimeout` past it."""

    def __init__(self, seconds: float, what: str):
        self.seconds, self.what = seconds, what
        self.end = time.monotonic() + seconds

    def check(self, *_args) -> None:
        if time.monotonic() > self.end:
            raise ComputeTimeout(
                f"{self.what} stopped at the server's limit of {self.seconds:g} s; ask for fewer draws"
            )


class DeadlineExecutor:
    """A Monte Carlo executor that runs chunks in this process and stops at a :class:`Deadline`.

    Wraps :class:`critmin.scenarios.executors.LocalExecutor` (same ``map`` contract); the deadline is
    checked after every chunk, so a request overruns its limit by at most one chunk.
    """

    name = "local"

    def __init__(self, deadline: Deadline):
        from critmin.scenarios.executors import LocalExecutor

        self.deadline = deadline
        self._inner = LocalExecutor()

    def map(self, fn, shared, chunks, *, sizes=None, progress=None):
        def step(n):
            self.deadline.check()
            if progress is not None:
                progress(n)

        return self._inner.map(fn, shared, chunks, sizes=sizes, progress=step)

    def close(self) -> None:
        self._inner.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Service:
    """The Dataset behind the app, opened on the store at ``db`` (built on first use like the CLI's)."""

    def __init__(
        self, db: str | Path | None = None, *, token: str | None = None, limits: Limits | None = None
    ):
        from critmin.store import default_db_path

        # the store is built (from the embedded data, if missing) on first use, not here
        self.path = Path(db) if db else default_db_path()
        self.token = token or None
        self.limits = limits or Limits()
        self.cache = ResponseCache(self.limits.cache_entries, self.limits.cache_bytes)
        self._lock = threading.RLock()
        self._ds = None
        self._ds_version: str | None = None
        self._compute = threading.BoundedSemaphore(self.limits.compute_slots)
        self._inflight: dict[tuple, asyncio.Future] = {}
        self._memo: OrderedDict[tuple, Any] = OrderedDict()
        self._writes = 0  # writes through this server (on top of the file's own mtime and size)
        self.started = time.time()

    # -- the store --------------------------------------------------------------------------------------
    @property
    def writable(self) -> bool:
        return self.token is not None

    def version(self) -> str:
        """What identifies the store's content: its files' size and mtime, and the writes made through us."""
        return f"{file_version(self.path)}:{self._writes}"

    def _dataset(self):
        import critmin

        version = self.version()
        if self._ds is None or version != self._ds_version:
            if self._ds is not None:
                self._ds.close()
                log.info("store changed (%s): reopening the dataset", version)
            self._ds = critmin.open(self.path)
            self._ds_version = version
            self._memo.clear()
        return self._ds

    @contextlib.contextmanager
    def using(self) -> Iterator[Any]:
        """The Dataset, for this thread alone; its connection is closed again afterwards."""
        with self._lock:
            ds = self._dataset()
            try:
                yield ds
            finally:
                ds.store.close()

    def memo(self, key: tuple, compute: Callable[[], Any], size: int = 256) -> Any:
        """An intermediate result (a DataFrame, a page) kept per store version; call inside :meth:`using`,
        whose lock makes this safe."""
        full = (self._ds_version, *key)
        if full in self._memo:
            self._memo.move_to_end(full)
            return self._memo[full]
        value = compute()
        self._memo[full] = value
        while len(self._memo) > size:
            self._memo.popitem(last=False)
        return value

    def write(self, fn: Callable[[Any], Any]) -> Any:
        """Run a write (``fn(store)``) with the store to itself, then forget every cached response."""
        with self._lock:
            ds = self._dataset()
            try:
                return fn(ds.store)
            finally:
                ds.store.close()
                self._writes += 1
                self.cache.clear()
                self._memo.clear()

    def close(self) -> None:
        with self._lock:
            if self._ds is not None:
                self._ds.close()
                self._ds = None

    # -- cached responses -------------------------------------------------------------------------------
    async def cached(self, key: tuple, produce: Callable[[], Cached]) -> Cached:
        """The cached response for ``key`` under the current store version, else ``produce()`` in a worker
        thread (once, however many requests wait for it)."""
        from starlette.concurrency import run_in_threadpool

        # the date is part of the key: pages say what is in force today
        full = (self.version(), dt.date.today().isoformat(), *key)
        hit = self.cache.get(full)
        if hit is not None:
            return hit
        pending = self._inflight.get(full)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        fut.add_done_callback(lambda f: f.cancelled() or f.exception())  # never "exception not retrieved"
        self._inflight[full] = fut
        try:
            result = await run_in_threadpool(produce)
        except BaseException as exc:
            fut.set_exception(exc)
            raise
        else:
            if result.status < 400:
                self.cache.put(full, result)
            fut.set_result(result)
            return result
        finally:
            self._inflight.pop(full, None)

    # -- compute ----------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def compute_slot(self, what: str) -> Iterator[Deadline]:
        """A compute slot (waits up to ``compute_wait_seconds``) and the request's deadline."""
        if not self._compute.acquire(timeout=self.limits.compute_wait_seconds):
            raise ServerBusy(
                f"the server is busy with other computations (limit {self.limits.compute_slots} at a "
                "time); retry in a few seconds"
            )
        try:
            yield Deadline(self.limits.compute_seconds, what)
        finally:
            self._compute.release()
