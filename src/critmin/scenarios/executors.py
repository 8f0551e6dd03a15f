"""Where Monte Carlo chunks run: in this process (default) or on a Dask distributed cluster.

Both executors take a function, one shared argument (the network, shipped once) and a list of chunk arguments,
and return the chunk results in order, calling ``progress(done_draws)`` as chunks finish.

* :class:`LocalExecutor` — a loop in this process; each chunk is itself vectorised NumPy.
* :class:`DaskExecutor` — ``DaskExecutor()`` starts a ``LocalCluster`` bound to 127.0.0.1 with the dashboard
  off (``n_workers`` processes, one thread each); ``DaskExecutor("tcp://host:8786")`` uses an existing
  scheduler. Use it as a context manager so a cluster it started is shut down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from critmin.errors import CritminError, OfflineError


class LocalExecutor:
    """Run chunks one after another in this process."""

    name = "local"

    def map(
        self,
        fn: Callable,
        shared: Any,
        chunks: Sequence[Any],
        *,
        sizes: Sequence[int] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list:
        out = []
        for i, chunk in enumerate(chunks):
            out.append(fn(shared, chunk))
            if progress is not None:
                progress(sizes[i] if sizes is not None else 1)
        return out

    def close(self) -> None:
        pass

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DaskExecutor:
    """Run chunks as Dask tasks; the shared argument is scattered to every worker once."""

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        *,
        n_workers: int = 2,
        threads_per_worker: int = 1,
        processes: bool = True,
    ):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a declared extra
            raise CritminError("Dask is not installed: pip install 'critmin[dask]'") from exc
        self._cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise OfflineError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        else:
            import logging

            for name in ("distributed", "distributed.worker", "distributed.scheduler", "distributed.nanny"):
                logging.getLogger(name).setLevel(logging.ERROR)
            import dask

            # distributed sets MALLOC_TRIM_THRESHOLD_=65536 in worker processes, which turns off glibc's
            # adaptive mmap threshold: every multi-MB NumPy temporary of the cascade then costs an mmap and
            # page faults, and chunks ran 3-4x slower than in-process. Workers we start keep glibc's default.
            env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
            env.pop("MALLOC_TRIM_THRESHOLD_", None)
            with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
                self._cluster = LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=threads_per_worker,
                    processes=processes,
                    host="127.0.0.1" if processes else None,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            self.client = Client(self._cluster)
        self.scheduler = scheduler or self._cluster.scheduler_address

    @property
    def n_workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    def map(
        self,
        fn: Callable,
        shared: Any,
        chunks: Sequence[Any],
        *,
        sizes: Sequence[int] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list:
        from distributed import as_completed

        shared_f = self.client.scatter(shared, broadcast=True)
        futures = [self.client.submit(fn, shared_f, chunk, pure=False) for chunk in chunks]
        where = {f.key: i for i, f in enumerate(futures)}
        out: list = [None] * len(futures)
        for fut in as_completed(futures):
            i = where[fut.key]
            out[i] = fut.result()
            if progress is not None:
                progress(sizes[i] if sizes is not None else 1)
        return out

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def get_executor(dask: bool = False, scheduler: str | None = None, n_workers: int = 2):
    """``LocalExecutor()`` unless ``dask`` or ``scheduler`` is given."""
    if scheduler:
        return DaskExecutor(scheduler)
    if dask:
        return DaskExecutor(n_workers=n_workers)
    return LocalExecutor()
