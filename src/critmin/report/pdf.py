"""Where the report's charts, PDF and its independent analyses are made: here, or in a second process.

WeasyPrint's import and font set-up and matplotlib's charts take a few seconds of CPU that do not depend on
the analysis; on a machine with a second core, ``Worker`` starts a process (spawn: a clean interpreter, no
DuckDB connection or BLAS threads inherited) that does them while this process computes the analysis, then
renders the PDF from the finished HTML. It also opens its own read-only connection to the same store, so that
analyses that need nothing but the data and a few keys (stockpile Monte Carlo, the coercion-aware GeoPolRisk
run, the 15-year series) run there while this process does the rest (:meth:`Worker.submit_data`). ``Inline``
does the same calls here, one after the other. Both give the same bytes; the CLI uses a worker when the
machine has more than one CPU, the Python API inline by default.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import threading

#: the second process's own Dataset per store path, opened once (a DuckDB connection cannot be sent over)
_DATASETS: dict[str, object] = {}


#: laid-out documents kept to the process's end (:func:`write_pdf` with ``keep``)
_KEPT: list = []


def write_pdf(html: str, base_url: str, path: str, keep: bool = False) -> float:
    """Write the PDF; returns the CPU seconds it took (the benchmark adds it to the critical path). ``keep``:
    the laid-out document is not freed here (a million objects, 0.2-0.3 s) — for the second process, which is
    ended without tearing down (:meth:`Worker.close`), so that the PDF's result comes back that much sooner."""
    import gc
    import time

    import weasyprint

    t0 = time.process_time()
    # WeasyPrint makes millions of small objects and keeps most of them to the end: the cyclic collector's passes
    # over them while it lays out find little and cost about a fifth of its time (0.7-0.9 s of ~4.4 s)
    enabled = gc.isenabled()
    gc.disable()
    try:
        source = weasyprint.HTML(string=html, base_url=base_url)
        doc = source.render()
        doc.write_pdf(path)
        if keep:
            _KEPT.append((source, doc))
        del source, doc
    finally:
        if enabled:
            gc.enable()
    return time.process_time() - t0


#: a page with what the report's PDF uses first time — a table, text in the report's fonts and an SVG image
_WARM_UP_HTML = (
    "<style>body{font-family:sans-serif}</style><h1>critmin</h1><p>critmin <b>briefing</b> <code>x</code></p>"
    "<table><tr><th>a</th><td>1%</td></tr></table><img src='data:image/svg+xml;utf8,"
    '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><text x="0" y="8">x</text>'
    '<path d="M0 0L8 8" stroke="black"/></svg>\'>'
)


def warm_up() -> None:
    """Load what the PDF and the charts need (imports, fonts, the world map, the PDF writer's font subsetting)
    before they are asked for: first use of each costs the same wherever it happens, and here it overlaps the
    analysis instead of following it. The second process's first call only: it changes the process's
    garbage collection."""
    import gc

    # this process's own: the objects of its imports live to its end, so the cyclic collector neither runs
    # while they are made (0.2 s) nor looks at them again (gc.freeze)
    gc.disable()
    try:
        import weasyprint

        from critmin.report import charts

        weasyprint.HTML(string=_WARM_UP_HTML).write_pdf()
        charts._plt()
        charts.world_rings()
    finally:
        gc.freeze()
        gc.enable()


def dataset(db: str):
    """This process's Dataset on the store at ``db`` (read-only; opened on first use)."""
    ds = _DATASETS.get(db)
    if ds is None:
        import critmin

        ds = _DATASETS[db] = critmin.open(db)
    return ds


def on_data(db: str, fn, *args):
    """``fn(dataset(db), *args)`` in the second process. An error comes back as a :class:`CritminError` with
    the original's type and message (ImportError stays one: the report lists the section as missing), since
    not every exception can be sent between processes."""
    try:
        return fn(dataset(db), *args)
    except ImportError as exc:
        raise ImportError(str(exc)) from None
    except Exception as exc:
        from critmin.errors import CritminError

        raise CritminError(f"{type(exc).__name__}: {exc}") from None


class Job:
    """A call for the second process, sent when the calls before it are done (:class:`Worker`). If it has not
    been sent when its result is wanted, this process takes it back and makes it itself: the second process is
    behind, and waiting for it would leave this one idle. Same function, same store, same result."""

    def __init__(self, worker, fn, args):
        self.worker, self.fn, self.args = worker, fn, args
        self.future = None  # set when sent
        self._sent = threading.Event()

    def result(self):
        if self.worker.take_back(self):
            return self.fn(self.worker.ds, *self.args)
        self._sent.wait()
        return self.future.result()


class _Done:
    def __init__(self, value=None, error: BaseException | None = None):
        self._value, self._error = value, error

    def cancel(self) -> bool:
        return False

    def result(self):
        if self._error is not None:
            raise self._error
        return self._value


class Inline:
    """Runs each call at once, in this process (an error is raised by ``result()``, as from a worker)."""

    def __init__(self, ds=None):
        self.ds = ds

    def submit(self, fn, *args):
        try:
            return _Done(fn(*args))
        except Exception as exc:
            return _Done(error=exc)

    def submit_data(self, fn, *args):
        """``fn(ds, *args)``."""
        return self.submit(fn, self.ds, *args)

    def busy_cpu_s(self) -> float:
        """CPU seconds of the second process so far: none here."""
        return 0.0

    def close(self) -> None:
        pass


class Worker:
    """Runs calls in one spawned process, in the order submitted: charts and the PDF at once, the analyses
    (:meth:`submit_data`) one after the other, each sent when the one before is done, so that one not yet sent
    can be taken back (:class:`Job`)."""

    def __init__(self, ds=None):
        import multiprocessing as mp

        self.pool = cf.ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"))
        self.pool.submit(warm_up)
        self.ds = ds
        self.db = str(ds.store.path) if ds is not None else None
        if self.db is not None:
            self.pool.submit(dataset, self.db)
        self._lock = threading.Lock()
        self._queue: list[Job] = []
        self._more = threading.Event()
        self._feeder: threading.Thread | None = None
        self._submitted: list[cf.Future] = []

    def submit(self, fn, *args):
        future = self.pool.submit(fn, *args)
        self._submitted.append(future)
        return future

    def submit_data(self, fn, *args) -> Job:
        """``fn(ds, *args)`` with the second process's own Dataset on the same store (or here, with this
        process's, if it has not been sent when its result is wanted)."""
        if self.db is None:
            raise ValueError("this worker was started without a Dataset")
        job = Job(self, fn, args)
        with self._lock:
            self._queue.append(job)
            if self._feeder is None:
                self._feeder = threading.Thread(target=self._feed, name="critmin-report-feed", daemon=True)
                self._feeder.start()
        self._more.set()
        return job

    def take_back(self, job: Job) -> bool:
        """Withdraw ``job`` if it has not been sent; True when withdrawn."""
        with self._lock:
            if job in self._queue:
                self._queue.remove(job)
                return True
        return False

    def _feed(self) -> None:
        """Send the queued analyses one at a time, each when the one before is done."""
        while True:
            self._more.wait()
            with self._lock:
                if not self._queue:
                    self._more.clear()
                    continue
                job = self._queue.pop(0)
                if job.fn is None:  # closing
                    return
                job.future = self.pool.submit(on_data, self.db, job.fn, *job.args)
            job._sent.set()
            cf.wait([job.future])  # its result or error goes to whoever asks the Job

    def busy_cpu_s(self) -> float:
        """CPU seconds the second process has used so far (start-up included), once what was sent is done."""
        import time

        return self.pool.submit(time.process_time).result()

    def close(self) -> None:
        if self._feeder is not None:
            with self._lock:
                self._queue.clear()
                self._queue.append(Job(self, None, ()))
            self._more.set()
            self._feeder.join()
        for future in self._submitted:
            future.cancel()
        cf.wait(self._submitted)  # nothing half-written: what runs (the PDF) finishes
        # its work is done and its files closed: end it now rather than wait for its interpreter to tear down
        # (freeing WeasyPrint's, matplotlib's and pandas's objects: a few tenths of a second on the critical path)
        for proc in list((getattr(self.pool, "_processes", None) or {}).values()):
            proc.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)


def runner(parallel: bool | None, ds=None):
    """A Worker when ``parallel`` (None: when the machine has a second CPU), else Inline; Inline when a
    process cannot be started. ``ds``: the Dataset whose store :meth:`Worker.submit_data` reads."""
    if parallel is None:
        parallel = (os.cpu_count() or 1) > 1
    if not parallel:
        return Inline(ds)
    try:
        return Worker(ds)
    except (OSError, ImportError, NotImplementedError):  # pragma: no cover - restricted environments
        return Inline(ds)
