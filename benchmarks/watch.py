"""Benchmark: one ``critmin watch --once`` run over 200 new feed items, 20 of them new measures to report.

Four invented RSS feeds of 50 items each are served by real HTTP servers on 127.0.0.1-127.0.0.4 (one
publisher per host, as real feeds are, so the per-host rate limit does not serialise them; ETag support, so
a second run gets 304s). 180 items are market, company and conference notes without an event; 20 report a
new export restriction, agreement or stockpile touching Japan, Italy or both (each a different measure, so
the digest has 20 entries). Texts are generated from templates written for this benchmark (no real
article). Each repeat uses a fresh store, built and opened once beforehand (the embedded data loaded and the
basis tables made, as on any store in use), and runs the command as cron would, in a fresh
process; wall time and the child's peak resident memory (``wait4``) are measured. A second run on the same
store (everything seen, feeds not modified) gives the steady-state cost.

Targets (issue 15): < 30 s and < 500 MB for the 200-item run. Writes ``benchmarks/results/watch.json``.

    python benchmarks/watch.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import machine, write_results

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "watch.json"
PARTIES = "JPN,ITA,JPN+ITA"
AS_OF = "2026-03-06"
TARGET_S, TARGET_MB = 30.0, 500.0
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")

# (title, text) of the 20 items that report a measure (invented; each a different measure)
_CHN_TO_JAPAN = (
    "graphite",
    "rare earths",
    "tungsten",
    "vanadium",
    "magnesium",
    "bismuth",
    "baryte",
    "fluorspar",
)
_QUOTAS = (
    ("South Africa", "manganese"),
    ("South Africa", "chromium"),
    ("Brazil", "niobium"),
    ("Turkey", "borates"),
    ("Bolivia", "silver"),
    ("Australia", "zirconium"),
    ("Chile", "copper"),
)
_AGREEMENTS = (
    ("Japan", "Canada", "titanium"),
    ("Italy", "Mozambique", "titanium"),
    ("Japan", "Argentina", "lithium"),
)
_STOCKPILES = (("The Italian government", "cobalt"), ("Japan's industry ministry", "rare earths"))


def event_items() -> list[tuple[str, str]]:
    out = []
    for k, m in enumerate(_CHN_TO_JAPAN):
        day = WEEKDAYS[k % 5]
        out.append(
            (
                f"Beijing adds {m} to its export licence list for Japan",
                f"China's commerce ministry announced on {day} export licence requirements for shipments of "
                f"{m} to Japan, effective April {k + 1}, 2026. Exporters must name the end user.",
            )
        )
    for k, (c, m) in enumerate(_QUOTAS):
        out.append(
            (
                f"{c} caps {m} shipments",
                f"{c} imposed export quotas on {m} on {WEEKDAYS[k % 5]}, the mines ministry said, effective "
                f"May {k + 1}, 2026.",
            )
        )
    for k, (a, b, m) in enumerate(_AGREEMENTS):
        out.append(
            (
                f"{a} and {b} sign {m} pact",
                f"{a} and {b} signed an agreement on {WEEKDAYS[k % 5]} to develop supply chains for {m}, the "
                "two governments said.",
            )
        )
    for who, m in _STOCKPILES:
        out.append(
            (
                f"New national reserve of {m}",
                f"{who} on Friday approved a national stockpile of {m}, officials said.",
            )
        )
    assert len(out) == 20
    return out


def distractor_items(n: int) -> list[tuple[str, str]]:
    minerals = ("lithium", "cobalt", "nickel", "copper", "graphite", "tin", "zinc", "manganese", "silver")
    places = ("Perth", "Lima", "Toronto", "Johannesburg", "Santiago", "Jakarta", "Oslo", "Accra", "Quito")
    firms = ("Northfield Minerals", "Bluestone Resources", "Kestrel Mining", "Arden Metals", "Harrow Lithium")
    out = []
    for k in range(n):
        m, p, f = minerals[k % len(minerals)], places[k % len(places)], firms[k % len(firms)]
        kind = k % 4
        if kind == 0:
            out.append(
                (
                    f"{m.capitalize()} prices move {k % 7 + 1} percent",
                    f"{m.capitalize()} prices moved {k % 7 + 1} percent in February as buyers in Asia "
                    f"restocked, traders in {p} said on {WEEKDAYS[k % 5]}. Volumes were thin (note {k}).",
                )
            )
        elif kind == 1:
            out.append(
                (
                    f"{f} reports quarterly output",
                    f"{f} reported quarterly output of {1000 + 37 * k:,} tonnes of {m} at its {p} operations, "
                    f"up from the previous quarter, the company said in a statement (note {k}).",
                )
            )
        elif kind == 2:
            out.append(
                (
                    f"Battery forum in {p}",
                    f"Delegates at the {p} battery forum discussed recycling rates, grid storage and permitting "
                    f"timelines on {WEEKDAYS[k % 5]}; session {k} covered {m} refining costs.",
                )
            )
        else:
            out.append(
                (
                    f"Exploration survey {k}",
                    f"Exploration spending by junior miners around {p} rose to {20 + k} million dollars last year, "
                    f"an industry survey of {m} projects showed.",
                )
            )
    return out


def feeds(n_feeds: int = 4, per_feed: int = 50) -> dict[str, bytes]:
    """``{path: RSS bytes}``: the 200 items shuffled deterministically over the feeds."""
    from xml.sax.saxutils import escape

    items = event_items() + distractor_items(n_feeds * per_feed - 20)
    order = sorted(range(len(items)), key=lambda i: hashlib.sha1(str(i).encode()).hexdigest())
    out = {}
    for f in range(n_feeds):
        parts = []
        for j, i in enumerate(order[f * per_feed : (f + 1) * per_feed]):
            title, text = items[i]
            day = 1 + (i % 27)
            parts.append(
                f"<item><title>{escape(title)}</title><link>https://bench{f}.example.org/{i}</link>"
                f"<guid>bench-{f}-{j}</guid><pubDate>{WEEKDAYS[day % 5][:3]}, {day:02d} Feb 2026 08:00:00 GMT</pubDate>"
                f"<description>{escape('<p>' + text + '</p>')}</description></item>"
            )
        out[f"/feed{f}.xml"] = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Benchmark feed {f}</title><link>https://bench{f}.example.org/</link>"
            f"<description>invented</description>{''.join(parts)}</channel></rss>"
        ).encode()
    return out


def serve(pages: dict[str, bytes], host: str = "127.0.0.1"):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = pages.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer((host, 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def timed(cmd: list[str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of the child, and its output."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"critmin watch failed:\n{out}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    pages = feeds()
    servers = [serve({p: body}, f"127.0.0.{k + 1}") for k, (p, body) in enumerate(pages.items())]
    urls = [
        f"http://{s.server_address[0]}:{s.server_address[1]}{p}" for s, p in zip(servers, pages, strict=True)
    ]
    critmin_bin = str(Path(sys.executable).with_name("critmin"))
    runs = []
    for r in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            db = tmp / "critmin.duckdb"
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", f"import critmin; critmin.open({str(db)!r}).close()"],
                check=True,
            )
            build_s = time.perf_counter() - t0
            (tmp / "feeds.txt").write_text("".join(f"{u} Benchmark feed {k}\n" for k, u in enumerate(urls)))
            cmd = [
                critmin_bin,
                "--db",
                str(db),
                "watch",
                "--feeds",
                str(tmp / "feeds.txt"),
                "--for",
                PARTIES,
                "--once",
                "--out",
                str(tmp / "out"),
                "--allow-network",
                "127.0.0.0/29",
                "--as-of",
                AS_OF,
            ]
            load0 = os.getloadavg()[0]
            seconds, cpu, mb, _ = timed(cmd)
            digest = json.loads((tmp / "out" / "latest.json").read_text())
            again_s, again_cpu, again_mb, _ = timed(cmd)
            again = json.loads((tmp / "out" / "latest.json").read_text())
            # the floor every command reading trade pays: one exposure query on the same store
            _, _, floor_mb, _ = timed(
                [critmin_bin, "--db", str(db), "exposure", "--for", "JPN", "--commodity", "graphite"]
            )
            c, c2 = digest["counts"], again["counts"]
            runs.append(
                {
                    "store_build_s": round(build_s, 2),
                    "run_s": round(seconds, 2),
                    "run_cpu_s": round(cpu, 2),
                    "peak_rss_mb": round(mb, 1),
                    "items_read": c["items_read"],
                    "new_items": c["new_items"],
                    "entries": c["entries"],
                    "entry_types": sorted({e["event_type"] for e in digest["entries"]}),
                    "changes": sum(len(e["changes"]) for e in digest["entries"]),
                    "exposure_reference_peak_rss_mb": round(floor_mb, 1),
                    "steady_state_run_s": round(again_s, 2),
                    "steady_state_cpu_s": round(again_cpu, 2),
                    "steady_state_peak_rss_mb": round(again_mb, 1),
                    "steady_state_feeds_not_modified": c2["feeds_not_modified"],
                    "steady_state_new_items": c2["new_items"],
                    "load_average_1m": round(load0, 2),
                }
            )
            print(
                f"repeat {r + 1}: {seconds:.1f} s ({cpu:.1f} s CPU), {mb:.0f} MB, {c['new_items']} new items, "
                f"{c['entries']} entries; "
                f"second run {again_s:.1f} s ({c2['feeds_not_modified']} feeds not modified); load {load0:.1f}"
            )
    for srv in servers:
        srv.shutdown()
    secs = [r["run_s"] for r in runs]
    mbs = [r["peak_rss_mb"] for r in runs]
    result = {
        "benchmark": "watch",
        "what": "critmin watch --once over 4 RSS feeds x 50 new items (20 new measures, 180 without an event), "
        f"parties {PARTIES}, fresh process and built store per repeat, one local HTTP server per feed",
        "targets": {"run_s": TARGET_S, "peak_rss_mb": TARGET_MB},
        "run_s_median": statistics.median(secs),
        "run_s_max": max(secs),
        "run_cpu_s_median": statistics.median(r["run_cpu_s"] for r in runs),
        "peak_rss_mb_max": max(mbs),
        "met": max(secs) < TARGET_S and max(mbs) < TARGET_MB,
        "draws": 32,
        "repeats": runs,
        "machine": machine(),
    }
    write_results(RESULTS, result, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "repeats"}, indent=1))


if __name__ == "__main__":
    main()
