"""Benchmark: the web server under load, on loopback only.

Starts ``critmin serve`` in its own process on 127.0.0.1 (a fresh store in a temporary folder unless
``--db`` is given), requests every measured URL once (the first, uncached time is reported as ``cold_ms``),
then:

* **read load** — 50 concurrent clients (keep-alive HTTP/1.1, closed loop, no think time) request the
  profile pages and the exposure endpoints for 30 s; per endpoint p50/p90/p99/max latency and throughput.
  Target (issue 12): p99 < 100 ms on this 2-core machine. These responses are cached per store version;
* **compute** — each compute endpoint (scenario, sweep, optimisation alone and pooled, stockpile) is called
  with varying inputs, one client at a time and then four at once (one compute slot: the others queue or get
  429); p50/p99 latency.

Everything stops by itself (the server is terminated at the end). Writes benchmarks/results/web_load.json.
The machine is shared: the load average before and after is recorded with the figures.

    python benchmarks/web_load.py [--clients 50] [--seconds 30] [--db PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from harness import machine, write_results

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "web_load.json"
READ_URLS = {
    "page /profile/JPN": "/profile/JPN",
    "page /profile/ITA": "/profile/ITA",
    "page /profile/JPN+ITA": "/profile/JPN+ITA",
    "page / (JPN+ITA landing)": "/",
    "api exposure JPN": "/api/v1/exposure?for=JPN",
    "api exposure JPN,ITA,JPN+ITA 2023": "/api/v1/exposure?for=JPN,ITA,JPN%2BITA&year=2023",
    "api exposure G7 2018-2024 (csv)": "/api/v1/exposure?for=G7&years=2018-2024&format=csv",
    "api risk matrix JPN+ITA": "/api/v1/risk/matrix?for=JPN%2BITA&year=2023",
}
COMPUTE = {
    "scenario restrict": (
        "/api/v1/scenarios/restrict",
        lambda i: {
            "commodity": ["rare_earths", "graphite", "cobalt", "lithium", "antimony"][i % 5],
            "year": 2023,
            "by": ["CHN"],
            "share": 0.5 + (i % 6) / 10,
            "stocks": {"JPN": 30 + 10 * (i % 7)},
        },
    ),
    "scenario sweep (1,000 draws)": (
        "/api/v1/scenarios/sweep",
        lambda i: {
            "commodity": "graphite",
            "stage": "mine",
            "year": 2023,
            "by": ["CHN"],
            "draws": 1000,
            "seed": i,
        },
    ),
    "optimize (JPN)": (
        "/api/v1/optimize",
        lambda i: {
            "for": "JPN",
            "commodity": ["rare_earths", "graphite", "cobalt", "lithium"][i % 4],
            "year": 2023,
            "max_share": 0.5 + (i % 4) / 10,
        },
    ),
    "optimize pooled (JPN+ITA)": (
        "/api/v1/optimize/pooled",
        lambda i: {
            "for": "JPN+ITA",
            "commodity": ["rare_earths", "graphite"][i % 2],
            "year": 2023,
            "max_share": 0.5 + (i % 4) / 10,
        },
    ),
    "stockpile (200 draws)": (
        "/api/v1/stockpile",
        lambda i: {
            "for": "JPN",
            "commodity": ["graphite", "gallium", "rare_earths"][i % 3],
            "draws": 200,
            "seed": i,
        },
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            urllib.request.urlopen(base + "/api/v1/commodities", timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer in time")


class Connection:
    """One keep-alive HTTP/1.1 connection (a minimal client: the load generator must cost little CPU)."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, int]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAccept: */*\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, chunked = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            if k.lower() == "content-length":
                length = int(v)
            elif k.lower() == "transfer-encoding" and "chunked" in v.lower():
                chunked = True
        if chunked:
            size = 0
            while True:
                n = int((await self.reader.readline()).strip(), 16)
                await self.reader.readexactly(n + 2)
                size += n
                if n == 0:
                    break
            return status, size
        await self.reader.readexactly(length)
        return status, length

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def stats(lat_s: list[float]) -> dict:
    if not lat_s:
        return {"n": 0}
    a = np.array(lat_s) * 1000
    return {
        "n": len(a),
        "p50_ms": round(float(np.percentile(a, 50)), 2),
        "p90_ms": round(float(np.percentile(a, 90)), 2),
        "p99_ms": round(float(np.percentile(a, 99)), 2),
        "max_ms": round(float(a.max()), 2),
    }


async def read_load(port: int, clients: int, seconds: float) -> dict:
    names = list(READ_URLS)
    lat: dict[str, list[float]] = {n: [] for n in names}
    errors: dict[str, int] = {}
    end = time.monotonic() + seconds

    async def client(k: int) -> None:
        conn = Connection(port)
        i = k
        try:
            while time.monotonic() < end:
                name = names[i % len(names)]
                i += 1
                t = time.perf_counter()
                status, _ = await conn.request("GET", READ_URLS[name])
                dt = time.perf_counter() - t
                if status == 200:
                    lat[name].append(dt)
                else:
                    errors[f"{name}: {status}"] = errors.get(f"{name}: {status}", 0) + 1
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    wall = time.perf_counter() - t0
    every = [x for v in lat.values() for x in v]
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": len(every),
        "requests_per_s": round(len(every) / wall, 1),
        "errors": errors,
        "all": stats(every),
        "endpoints": {n: stats(v) for n, v in lat.items()},
    }


async def one_compute_endpoint(
    port: int, path: str, body_of, concurrency: int, seconds: float, max_calls: int
) -> dict:
    lat: list[float] = []
    codes: dict[int, int] = {}
    end = time.monotonic() + seconds
    counter = iter(range(10**9))

    async def client() -> None:
        conn = Connection(port)
        try:
            while time.monotonic() < end and len(lat) + sum(codes.values()) < max_calls:
                body = json.dumps(body_of(next(counter))).encode()
                t = time.perf_counter()
                status, _ = await conn.request("POST", path, body)
                dt = time.perf_counter() - t
                if status == 200:
                    lat.append(dt)
                else:
                    codes[status] = codes.get(status, 0) + 1
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return {**stats(lat), "other_statuses": {str(k): v for k, v in codes.items()}}


async def compute_load(port: int, concurrency: int, per_endpoint_s: float, max_calls: int) -> dict:
    return {
        name: await one_compute_endpoint(port, path, body_of, concurrency, per_endpoint_s, max_calls)
        for name, (path, body_of) in COMPUTE.items()
    }


def cold(base: str) -> dict:
    """First (uncached) request of each measured URL: the cost a visitor pays after the store changes."""
    out = {}
    for name, url in READ_URLS.items():
        t = time.perf_counter()
        with urllib.request.urlopen(base + url, timeout=600) as r:
            r.read()
            status = r.status
        out[name] = {"status": status, "cold_ms": round((time.perf_counter() - t) * 1000, 1)}
    return out


def run(coro):
    """asyncio.run, on uvloop when installed (the load generator shares the machine: it should cost little)."""
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument(
        "--compute-seconds", type=float, default=12.0, help="per compute endpoint and concurrency"
    )
    ap.add_argument(
        "--db", default=None, help="an existing store (default: a fresh one in a temporary folder)"
    )
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="critmin-web-load-"))
    db = args.db or str(tmp / "critmin.duckdb")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CRITMIN_TOKEN": ""}
    cmd = [
        sys.executable,
        "-m",
        "critmin.cli.main",
        "--db",
        db,
        "serve",
        "--port",
        str(port),
        "--no-warm",
        "--log-level",
        "warning",
    ]
    load_before = os.getloadavg()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        t = time.perf_counter()
        wait_ready(base, proc)
        start_s = time.perf_counter() - t
        print(
            f"server up in {start_s:.1f} s (store {'given' if args.db else 'built'}); first requests...",
            flush=True,
        )
        first = cold(base)
        print(f"read load: {args.clients} clients for {args.seconds:g} s...", flush=True)
        reads = run(read_load(port, args.clients, args.seconds))
        print("compute: one client, then four...", flush=True)
        compute_1 = run(compute_load(port, 1, args.compute_seconds, 40))
        compute_4 = run(compute_load(port, 4, args.compute_seconds, 40))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    worst = max(v["p99_ms"] for v in reads["endpoints"].values() if v.get("n"))
    result = {
        "benchmark": "web_load",
        "target": "profile and exposure endpoints p99 < 100 ms at 50 concurrent clients for 30 s (loopback)",
        "target_met": worst < 100 and not reads["errors"],
        "worst_endpoint_p99_ms": worst,
        "server": "critmin serve (uvicorn, one process) on 127.0.0.1; responses cached per store version",
        "client": "asyncio (uvloop when installed) keep-alive HTTP/1.1, closed loop, no think time, same machine",
        "machine": machine(
            load_average_before=[round(x, 2) for x in load_before],
            load_average_after=[round(x, 2) for x in os.getloadavg()],
        ),
        "server_start_s": round(start_s, 2),
        "first_request": first,
        "read_load": reads,
        "compute_one_client": compute_1,
        "compute_four_clients": compute_4,
    }
    write_results(Path(args.out), result)
    print(
        json.dumps(
            {k: result[k] for k in ("target_met", "worst_endpoint_p99_ms")}
            | {"all": reads["all"], "rps": reads["requests_per_s"]},
            indent=1,
        )
    )
    return result


if __name__ == "__main__":
    main()
