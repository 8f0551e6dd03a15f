"""What the benchmarks share: a scratch store, a measured run in a fresh Python process, the machine's
description and the results file.

A phase timed in a fresh process (:func:`run_python`) has its import time, wall time and peak memory to
itself; the code it runs prints one JSON object as its last line. Peak memory is the process's own high-water
mark (:data:`PEAK_RSS_MB`, Linux ``VmHWM``): ``ru_maxrss`` would also count the forking parent's memory, which
exec keeps in it. Imported by the scripts next to it (``python benchmarks/x.py`` puts this folder on the path).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"

#: a Python expression for the code of a fresh process: its peak resident memory so far, in MB
PEAK_RSS_MB = "int(dict(l.split(':', 1) for l in open('/proc/self/status'))['VmHWM'].split()[0]) / 1024"


def machine(**extra) -> dict:
    """The machine a result was measured on (Python, platform, logical CPUs), with ``extra`` entries after."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        **extra,
    }


def run_python(code: str) -> dict:
    """Run ``code`` in a fresh Python process; the JSON object its last output line prints. A failure ends the
    benchmark with the end of the process's error output."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def build_store(db: str | Path) -> str:
    """Build a store from the embedded data at ``db`` (in a fresh process, so none of it stays in this one)."""
    subprocess.run(
        [sys.executable, "-c", f"from critmin.store import Store; Store({str(db)!r}).close()"], check=True
    )
    return str(db)


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary folder, removed afterwards whatever happens."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cold_and_warm(
    name: str,
    code: str,
    *,
    phase: str,
    target: str,
    target_s: float,
    figures: Sequence[str],
    runs: int = 3,
) -> dict:
    """A benchmark of one workload, first (cold) and repeated (warm) in the same process, on a fresh store.

    ``code`` (formatted with ``db`` and ``peak``) runs ``runs`` times, each in a fresh process, and prints
    ``import_and_open_s``, ``{phase}_cold_s``, ``{phase}_warm_s`` and ``figures``. The run with the fastest cold
    phase is kept (the machine is shared: the fastest run is the least disturbed); the warm figure is the
    fastest warm phase of all runs. ``meets_target``: the kept cold phase is under ``target_s`` seconds.
    """
    with scratch(f"critmin-bench-{name}-") as tmp:
        db = build_store(tmp / "bench.duckdb")
        measured = [run_python(code.format(db=db, peak=PEAK_RSS_MB)) for _ in range(runs)]
    cold, warm = f"{phase}_cold_s", f"{phase}_warm_s"
    best = min(measured, key=lambda r: r[cold])
    return {
        "benchmark": name,
        "target": target,
        f"{cold}_runs": [round(r[cold], 3) for r in measured],
        f"{cold}_best": round(best[cold], 3),
        f"{warm}_best": round(min(r[warm] for r in measured), 3),
        "import_and_open_s": round(best["import_and_open_s"], 3),
        "meets_target": best[cold] < target_s,
        **{k: best[k] for k in figures},
        "machine": machine(),
    }


def write_results(path: Path, result: dict, *, indent: int = 2, default=None) -> Path:
    """Write a benchmark's figures as JSON (one file per benchmark, ``benchmarks/results/<name>.json``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=indent, default=default) + "\n", encoding="utf-8")
    return path
