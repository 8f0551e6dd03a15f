"""The report's second process (critmin.report.pdf): analyses sent there give what they give here, a call
not yet sent is made here instead of waited for, and errors come back with their type and message."""

from __future__ import annotations

import os
import time

import pytest

from critmin.errors import CritminError
from critmin.report import pdf


def year_and_pid(ds, extra: int = 0):
    """What a Dataset says, and which process said it."""
    return ds.analysis_year() + extra, os.getpid()


def year_when(ds, flag: str):
    """Waits (at most a minute) until ``flag`` exists: holds the second process busy until the test lets go."""
    for _ in range(600):
        if os.path.exists(flag):
            break
        time.sleep(0.1)
    return year_and_pid(ds)


def fails(ds, kind: str):
    if kind == "import":
        raise ImportError("critmin.somewhere is not installed")
    raise KeyError("no such mineral")


@pytest.fixture
def worker(ds):
    w = pdf.runner(True, ds)
    if not isinstance(w, pdf.Worker):  # pragma: no cover - a sandbox that cannot start a process
        pytest.skip("no second process here")
    yield w
    w.close()


def sent(job):
    """The job once it is in the second process (a job asked for before that is made here)."""
    job._sent.wait()
    return job


def test_an_analysis_sent_to_the_second_process_reads_the_same_store(worker, ds):
    year, pid = sent(worker.submit_data(year_and_pid, 1)).result()
    assert year == ds.analysis_year() + 1 and pid != os.getpid()
    assert pdf.Inline(ds).submit_data(year_and_pid, 1).result() == (year, os.getpid())


def test_a_call_not_yet_sent_is_made_here(worker, ds, tmp_path):
    flag = tmp_path / "go"
    busy = worker.submit_data(year_when, str(flag))
    queued = worker.submit_data(year_and_pid)
    try:
        sent(busy)  # the first is in the second process, so the second one waits in the queue
        assert queued.result() == (ds.analysis_year(), os.getpid())  # taken back and made here
    finally:
        flag.touch()
    year, pid = busy.result()
    assert year == ds.analysis_year() and pid != os.getpid()


def test_errors_come_back_with_their_type_and_message(worker):
    with pytest.raises(ImportError, match=r"critmin\.somewhere"):
        sent(worker.submit_data(fails, "import")).result()
    with pytest.raises(CritminError, match="KeyError: 'no such mineral'"):
        sent(worker.submit_data(fails, "key")).result()


def write_slowly(path: str) -> int:
    """A call still running when the report closes its second process (as the PDF may be)."""
    open(path + ".started", "w").close()
    time.sleep(1.0)
    with open(path, "w") as f:
        f.write("whole")
    return os.getpid()


def test_closing_lets_a_running_call_finish_then_ends_the_process(worker, tmp_path):
    out = tmp_path / "written.txt"
    future = worker.submit(write_slowly, str(out))
    procs = list(worker.pool._processes.values())
    for _ in range(600):  # until the call runs (the second process may still be starting)
        if os.path.exists(f"{out}.started"):
            break
        time.sleep(0.1)
    worker.close()  # at once: the call has most of its second to go
    assert out.read_text() == "whole"  # nothing half-written
    assert future.result() == procs[0].pid
    assert not any(p.is_alive() for p in procs)


@pytest.mark.parametrize("enabled", [True, False])
def test_writing_the_pdf_leaves_garbage_collection_as_it_was(tmp_path, enabled):
    import gc

    pytest.importorskip("weasyprint")
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        pdf.write_pdf("<p>critmin</p>", str(tmp_path), str(tmp_path / "p.pdf"))
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")
