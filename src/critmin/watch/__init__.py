"""Policy watch: from news feeds to "this new measure hits Japan's graphite; here is what changes".

``critmin watch --feeds FILE --for JPN,ITA,JPN+ITA --once --out DIR`` polls a list of RSS/Atom feeds and
pages, reads the items it has not read before, extracts events with the news pipeline, and for every new
restriction, lifting, agreement, partnership change or stockpile that touches a watched party or one of its
top suppliers, writes a digest entry with the evidence sentence, the source, the proposed (unreviewed)
record and what it would change — exposure, supply-risk and scenario numbers without and with it.

Modules: :mod:`~critmin.watch.feeds` (the feeds file), :mod:`~critmin.watch.poll` (safe, conditional,
rate-limited polling), :mod:`~critmin.watch.scope` (which events), :mod:`~critmin.watch.impact` (the numbers),
:mod:`~critmin.watch.digest` (JSON, Markdown, HTML), :mod:`~critmin.watch.state` (the store tables),
:mod:`~critmin.watch.run` (one run and the loop).

>>> from critmin.watch import WatchConfig, read_feeds, run_once                      # doctest: +SKIP
>>> cfg = WatchConfig(read_feeds("feeds.txt"), "JPN,ITA,JPN+ITA", out=Path("out/watch"))  # doctest: +SKIP
>>> res = run_once(critmin.open(), cfg)                                              # doctest: +SKIP
>>> res.digest["entries"][0]["changes"]                                              # doctest: +SKIP
"""

from __future__ import annotations

from critmin.watch.feeds import Feed, parse_feeds, read_feeds
from critmin.watch.poll import Limits

__all__ = [
    "Feed",
    "Limits",
    "RunResult",
    "WatchConfig",
    "parse_feeds",
    "read_feeds",
    "run_once",
    "watch_loop",
]

_LAZY = {
    "RunResult": "critmin.watch.run",
    "WatchConfig": "critmin.watch.run",
    "run_once": "critmin.watch.run",
    "watch_loop": "critmin.watch.run",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'critmin.watch' has no attribute {name!r}")
