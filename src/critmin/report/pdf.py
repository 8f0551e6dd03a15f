"""Where the report's charts and PDF are made: in this process, or in a second one started first.

WeasyPrint's import and font set-up and matplotlib's charts take a few seconds of CPU that do not depend on
the analysis; on a machine with a second core, ``Worker`` starts a process (spawn: a clean interpreter, no
DuckDB connection or BLAS threads inherited) that does them while this process computes the analysis, then
renders the PDF from the finished HTML. ``Inline`` does the same calls here, one after the other. Both give the
same bytes; the CLI uses a worker when the machine has more than one CPU, the Python API inline by default.
"""

from __future__ import annotations

import os


def write_pdf(html: str, base_url: str, path: str) -> float:
    """Write the PDF; returns the CPU seconds it took (the benchmark adds it to the critical path)."""
    import time

    import weasyprint

    t0 = time.process_time()
    weasyprint.HTML(string=html, base_url=base_url).write_pdf(path)
    return time.process_time() - t0


def warm_up() -> None:
    """Load what the PDF and the charts need (imports, fonts, the world map) before they are asked for."""
    import weasyprint

    from critmin.report import charts

    weasyprint.HTML(string="<p>critmin</p>").render()
    charts._plt()
    charts.world_rings()


class _Done:
    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value


class Inline:
    """Runs each call at once, in this process."""

    def submit(self, fn, *args):
        return _Done(fn(*args))

    def close(self) -> None:
        pass


class Worker:
    """Runs calls in one spawned process, in the order submitted (charts, then the PDF)."""

    def __init__(self):
        import concurrent.futures as cf
        import multiprocessing as mp

        self.pool = cf.ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"))
        self.pool.submit(warm_up)

    def submit(self, fn, *args):
        return self.pool.submit(fn, *args)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def runner(parallel: bool | None):
    """A Worker when ``parallel`` (None: when the machine has a second CPU), else Inline; Inline when a
    process cannot be started."""
    if parallel is None:
        parallel = (os.cpu_count() or 1) > 1
    if not parallel:
        return Inline()
    try:
        return Worker()
    except (OSError, ImportError, NotImplementedError):  # pragma: no cover - restricted environments
        return Inline()
