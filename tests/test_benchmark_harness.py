"""The benchmarks' shared harness (benchmarks/harness.py): a fresh process's JSON, its own peak memory, the
machine and the results file."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[1]
harness = SimpleNamespace(**runpy.run_path(str(REPO / "benchmarks" / "harness.py")))  # a script's sibling


def test_a_fresh_process_reports_its_last_json_line():
    assert harness.run_python("print('starting')\nimport json; print(json.dumps({'n': 6 * 7}))") == {"n": 42}


def test_a_failing_process_ends_the_benchmark_with_its_error():
    with pytest.raises(SystemExit, match="ZeroDivisionError"):
        harness.run_python("1 / 0")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM is read from Linux's /proc")
def test_peak_memory_is_the_fresh_process_own():
    """A process that wrote 200 MB reports at least that; a bare interpreter some 10 MB."""
    code = "import json\nx = b'x' * (200 * 2**20)\nprint(json.dumps({{'mb': {peak}}}))"
    big = harness.run_python(code.format(peak=harness.PEAK_RSS_MB))["mb"]
    idle = harness.run_python(f"import json; print(json.dumps({{'mb': {harness.PEAK_RSS_MB}}}))")["mb"]
    assert big >= 200 and 0 < idle < 50


def test_machine_and_results_file(tmp_path):
    m = harness.machine(load=[1.0])
    assert list(m) == ["python", "platform", "cpus", "load"]
    assert m["python"] == ".".join(map(str, sys.version_info[:3]))
    path = harness.write_results(tmp_path / "results" / "x.json", {"a": 1, "machine": m})
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": 1, "machine": m}
    assert path.read_text(encoding="utf-8").endswith("}\n")
