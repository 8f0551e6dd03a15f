"""Polling the feeds of a watch: one safe, conditional, rate-limited GET per feed, parsed into articles.

Every fetch goes through :func:`critmin.news.fetch.fetch_url` (http/https only, every address public unless a
network is allowed explicitly, redirects checked, size and time limits, textual content types only), with
the feed's remembered validators (``If-None-Match`` / ``If-Modified-Since``) and a per-host rate limit.
A feed that fails — refused, unreachable, an HTTP error, too large, not a feed — is reported with the
reason and retried on the next run; it never stops the other feeds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from critmin.errors import CritminError
from critmin.news.model import Article
from critmin.watch.feeds import Feed
from critmin.watch.state import FeedState


@dataclass(frozen=True)
class Limits:
    """Politeness and safety limits of one run."""

    timeout_s: float = 15.0  # per connect/read (the fetch also has an overall deadline)
    max_bytes: int = 5_000_000  # per response
    min_interval_s: float = 1.0  # between two requests to the same host
    max_items_per_feed: int = 500  # entries read from one response; the rest are reported as skipped
    allow_networks: tuple[str, ...] = ()  # explicitly trusted networks (nothing private by default)


@dataclass
class FeedResult:
    """What one poll of one feed gave: status ``ok`` / ``not_modified`` / ``failed`` and the articles."""

    feed: Feed
    status: str
    http_status: int | None = None
    error: str | None = None
    articles: list[Article] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line per entry not read, with the reason
    etag: str | None = None
    last_modified: str | None = None
    seconds: float = 0.0
    bytes: int = 0

    def to_dict(self) -> dict:
        return {
            "url": self.feed.url,
            "name": self.feed.name,
            "status": self.status,
            "http_status": self.http_status,
            "error": self.error,
            "items": len(self.articles),
            "skipped": list(self.skipped),
            "etag": self.etag,
            "last_modified": self.last_modified,
            "seconds": round(self.seconds, 3),
            "bytes": self.bytes,
        }


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if isinstance(exc, CritminError) else f"{type(exc).__name__}: {text}"


def poll_feed(feed: Feed, state: FeedState, limits: Limits, rate_limit) -> FeedResult:
    """Fetch and parse one feed (never raises: a failure is a :class:`FeedResult` with status 'failed')."""
    from critmin.news.fetch import fetch_url
    from critmin.news.text import parse_bytes

    t0 = time.perf_counter()
    try:
        res = fetch_url(
            feed.url,
            timeout=limits.timeout_s,
            max_bytes=limits.max_bytes,
            allow_networks=limits.allow_networks,
            etag=state.etag,
            last_modified=state.last_modified,
            rate_limit=rate_limit,
        )
        if res.not_modified:
            return FeedResult(
                feed,
                "not_modified",
                304,
                etag=res.etag,
                last_modified=res.last_modified,
                seconds=time.perf_counter() - t0,
            )
        articles = parse_bytes(
            res.data,
            name=res.url,
            url=res.url,
            content_type=res.content_type,
            charset=res.charset,
            kind=feed.parser_kind,
            max_bytes=limits.max_bytes,
        )
    except Exception as exc:
        return FeedResult(
            feed, "failed", getattr(exc, "status", None), _error_text(exc), seconds=time.perf_counter() - t0
        )
    skipped = []
    if len(articles) > limits.max_items_per_feed:
        for a in articles[limits.max_items_per_feed :]:
            skipped.append(
                f"{_label(a)}: over the limit of {limits.max_items_per_feed} entries per feed (read next run "
                "if still listed)"
            )
        articles = articles[: limits.max_items_per_feed]
    return FeedResult(
        feed,
        "ok",
        res.status,
        articles=articles,
        skipped=skipped,
        etag=res.etag,
        last_modified=res.last_modified,
        seconds=time.perf_counter() - t0,
        bytes=len(res.data),
    )


def _label(a: Article) -> str:
    return (a.title or a.url or a.article_id or "entry")[:120]


def poll_all(
    feeds: Sequence[Feed],
    states: dict[str, FeedState],
    limits: Limits,
    *,
    progress: Callable[[Feed, FeedResult], None] | None = None,
) -> list[FeedResult]:
    """Poll every feed in order, politely (one request at a time, ``min_interval_s`` per host)."""
    from critmin.news.fetch import HostRateLimit

    rate = HostRateLimit(limits.min_interval_s)
    out = []
    for f in feeds:
        r = poll_feed(f, states.get(f.url) or FeedState(f.url), limits, rate)
        out.append(r)
        if progress:
            progress(f, r)
    return out


def new_articles(
    results: Iterable[FeedResult], seen: set[str]
) -> tuple[list[tuple[Feed, Article]], list[str], int]:
    """Articles not read before (by content hash), each once even when two feeds carry it.

    Returns (new (feed, article) pairs, skip lines for in-run duplicates, number already seen).
    """
    out, skipped, known = [], [], 0
    taken: dict[str, str] = {}
    for r in results:
        for a in r.articles:
            if a.sha256 in seen:
                known += 1
                continue
            if a.sha256 in taken:
                skipped.append(f"{_label(a)}: same text as an item of {taken[a.sha256]} (read once)")
                continue
            taken[a.sha256] = r.feed.name
            out.append((r.feed, a))
    return out, skipped, known
