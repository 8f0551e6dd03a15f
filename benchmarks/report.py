"""Report benchmark: ``critmin report --for JPN,ITA,JPN+ITA`` (HTML and PDF), as `make run` calls it.

Target (issue 11): ``critmin report`` alone < 10 s. Runs the command in fresh processes on a fresh store (the
store is built first, so its one-time build is not counted), three times, and reports the best and every run:
wall time, CPU time (this process and the report's second process, which makes the charts and the PDF while
the analysis runs), peak RSS, when the PDF was written and how long the command ran after it, and the
machine's load average — on a shared machine wall time is CPU time divided by the share of a core the run got.
Also, in-process: the CPU seconds of the main process until the
HTML is done, of the second process until then (its start-up, the charts, the stockpiles and the
coercion-aware risk run it was sent) and of the PDF; on an idle 2-core machine the command's wall time is
about the interpreter's start-up + the larger of the first two + the PDF (the critical path). Writes
benchmarks/results/report.json.

``--fresh-clone``: also clones the repository and times ``make run`` from scratch (venv, install, run).

The last PDF is rendered to PNG pages with ``pdftoppm`` (Debian poppler-utils), for reading by eye: every page
in tests/artifacts/report-pages/ (git-ignored), page one also in benchmarks/results/report-page-1.png.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import RESULTS_DIR, machine, scratch, write_results

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = RESULTS_DIR / "report.json"
PAGES = REPO / "tests" / "artifacts" / "report-pages"
PAGE_ONE = HERE / "results" / "report-page-1.png"
CRITMIN = [sys.executable, "-m", "critmin.cli.main"]

IN_PROCESS = """
import json, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
import critmin
from critmin import report
ds = critmin.open({db!r})
t1 = time.perf_counter(); c1 = time.process_time()
r = report.build(ds, "JPN,ITA,JPN+ITA", None, {out!r} + "/r.html", pdf={out!r} + "/r.pdf", parallel=True)
print(json.dumps({{"import_and_open_cpu_s": c1 - c0, "import_and_open_s": t1 - t0,
                   "build_wall_s": time.perf_counter() - t1, **r["timings"], "year": r["year"]}}))

"""


def _children_cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def run_cli(db: str, out: Path) -> dict:
    before = _children_cpu()
    t0, epoch0 = time.perf_counter(), time.time()
    p = subprocess.run(
        [*CRITMIN, "--db", db, "report", "--for", "JPN,ITA,JPN+ITA", "--out", str(out / "r.html"), "--pdf",
         str(out / "r.pdf")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    pdf_at = (out / "r.pdf").stat().st_mtime - epoch0
    return {
        "wall_s": round(wall, 2),
        # when the PDF was written, and how long the command took after it (the second process's end, this
        # process's own teardown)
        "pdf_written_at_s": round(pdf_at, 2),
        "exit_after_pdf_s": round(wall - pdf_at, 2),
        "cpu_s": round(_children_cpu() - before, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "load_1min": round(os.getloadavg()[0], 1),
        "pdf_bytes": (out / "r.pdf").stat().st_size,
        "html_bytes": (out / "r.html").stat().st_size,
        "stdout": p.stdout.strip().splitlines()[-1],
    }


def in_process(db: str, out: Path) -> dict:
    """One report built by ``report.build`` in a fresh interpreter: CPU seconds of each part, and the critical
    path on an idle 2-core machine — start-up + the larger of this process's analysis and the second
    process's work until the HTML is done + the PDF (which starts only then)."""
    p = subprocess.run(
        [sys.executable, "-c", IN_PROCESS.format(db=db, out=str(out))], capture_output=True, text=True
    )
    if p.returncode != 0:
        return {"error": p.stderr[-500:]}
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r["load_1min"] = round(os.getloadavg()[0], 1)
    r["critical_path_cpu_s"] = (
        r["import_and_open_cpu_s"] + max(r["html_cpu_s"], r.get("worker_cpu_s", 0.0)) + r["pdf_cpu_s"]
    )
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}


def render_pages(pdf: Path, dpi: int = 70) -> dict:
    """The PDF as PNG pages (pdftoppm); returns the number of pages, or why none were made."""
    if shutil.which("pdftoppm") is None:
        return {"pages": 0, "why": "pdftoppm not installed (Debian poppler-utils)"}
    shutil.rmtree(PAGES, ignore_errors=True)
    PAGES.mkdir(parents=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(PAGES / "page")], check=True)
    pages = sorted(PAGES.glob("page-*.png"))
    if pages:
        shutil.copyfile(pages[0], PAGE_ONE)
    return {"pages": len(pages), "dpi": dpi, "folder": str(PAGES.relative_to(REPO))}


def fresh_clone() -> dict:
    d = Path(tempfile.mkdtemp(prefix="critmin-clone-"))
    subprocess.run(["git", "clone", "-q", str(REPO), str(d / "critmin")], check=True)
    t0 = time.perf_counter()
    p = subprocess.run(["make", "run"], cwd=d / "critmin", capture_output=True, text=True)
    wall = time.perf_counter() - t0
    out = {
        "make_run_wall_s": round(wall, 1),
        "returncode": p.returncode,
        "load_1min": round(os.getloadavg()[0], 1),
    }
    shutil.rmtree(d, ignore_errors=True)
    return out


def main() -> None:
    with scratch("critmin-report-bench-") as tmp:
        db = str(tmp / "critmin.duckdb")
        subprocess.run(
            [*CRITMIN, "--db", db, "data", "status"], capture_output=True, check=True
        )  # build the store
        runs = [run_cli(db, tmp) for _ in range(3)]
        inproc_runs = [in_process(db, tmp) for _ in range(3)]
        pages = render_pages(tmp / "r.pdf")
    best = min(runs, key=lambda r: r["wall_s"])
    inproc = min(inproc_runs, key=lambda r: r.get("critical_path_cpu_s", float("inf")))
    critical = inproc.get("critical_path_cpu_s", float("nan"))
    result = {
        "benchmark": "report",
        "target": "critmin report --for JPN,ITA,JPN+ITA (HTML + PDF) < 10 s",
        "command": "critmin report --for JPN,ITA,JPN+ITA --out r.html --pdf r.pdf",
        "runs": runs,
        "best_wall_s": best["wall_s"],
        "best_cpu_s": min(r["cpu_s"] for r in runs),
        "critical_path_cpu_s": round(critical, 2),
        "in_process": inproc,
        "in_process_runs": inproc_runs,
        "meets_target_wall": best["wall_s"] < 10,
        "meets_target_critical_path": critical < 10,
        "machine": machine(),
    }
    result["pages"] = pages
    if "--fresh-clone" in sys.argv:
        result["fresh_clone"] = fresh_clone()
    write_results(RESULTS, result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
