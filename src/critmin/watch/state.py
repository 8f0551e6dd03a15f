"""What the watch remembers between runs, in the DuckDB store (so a restart neither repeats nor misses items).

Tables (every row keyed by the watch's name, so several watches can share a store):

* ``watch_feeds`` — per feed: the validators of its last good response (ETag, Last-Modified) for the
  conditional GET, when it was last checked, its status and error, and how many runs in a row it failed;
* ``watch_items`` — every article the watch has read, by the sha256 of its cleaned text (the news
  pipeline's article identity), with the digest it went into and what became of it;
* ``watch_entries`` — what each digest reported (the proposed record, or the event), so the same measure
  read again in a re-worded article is not reported twice;
* ``watch_digests`` — one row per run: counts and the digest itself as JSON (files are rendered from it,
  so a digest whose files were lost is written again on the next run).

A run writes all four in **one transaction at its end** (:func:`commit_run`): items are marked seen and
feed validators advanced only together with the digest that reports them. A run that dies half-way
leaves the state as it was, so the next run reads the same items again (the news store's own ingest is
idempotent), and a feed's new ETag is never saved without its items.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

FEEDS = "watch_feeds"
ITEMS = "watch_items"
ENTRIES = "watch_entries"
DIGESTS = "watch_digests"
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {FEEDS} (
    watch VARCHAR, url VARCHAR, name VARCHAR, etag VARCHAR, last_modified VARCHAR, last_checked_at VARCHAR,
    last_ok_at VARCHAR, last_status VARCHAR, last_http_status INTEGER, last_error VARCHAR,
    consecutive_failures INTEGER, items_read INTEGER, PRIMARY KEY (watch, url))""",
    f"""CREATE TABLE IF NOT EXISTS {ITEMS} (
    watch VARCHAR, sha256 VARCHAR, article_id VARCHAR, feed_url VARCHAR, link VARCHAR, title VARCHAR,
    published VARCHAR, first_seen_at VARCHAR, digest_id VARCHAR, outcome VARCHAR, PRIMARY KEY (watch, sha256))""",
    f"""CREATE TABLE IF NOT EXISTS {ENTRIES} (
    watch VARCHAR, entry_key VARCHAR, digest_id VARCHAR, event_id VARCHAR, record_id VARCHAR,
    PRIMARY KEY (watch, entry_key))""",
    f"""CREATE TABLE IF NOT EXISTS {DIGESTS} (
    watch VARCHAR, digest_id VARCHAR, started_at VARCHAR, finished_at VARCHAR, as_of VARCHAR, parties VARCHAR,
    feeds_ok INTEGER, feeds_failed INTEGER, new_items INTEGER, entries INTEGER, digest_json VARCHAR,
    PRIMARY KEY (watch, digest_id))""",
)


@dataclass
class FeedState:
    """The remembered state of one feed (empty for a feed never polled)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_checked_at: str | None = None
    last_ok_at: str | None = None
    last_status: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    items_read: int = 0


@dataclass
class RunRecord:
    """Everything one run writes at its end (see :func:`commit_run`)."""

    watch: str
    digest_id: str
    started_at: str
    finished_at: str
    as_of: str
    parties: str
    digest: dict
    feeds: list[dict] = field(default_factory=list)  # url, name, status, http_status, error, etag, ...
    items: list[dict] = field(default_factory=list)  # sha256, article_id, feed_url, link, title, ...
    entries: list[dict] = field(default_factory=list)  # entry_key, event_id, record_id


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _tables_exist(con) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN (?, ?, ?, ?)",
        [FEEDS, ITEMS, ENTRIES, DIGESTS],
    ).fetchall()
    return bool(rows and rows[0][0] == 4)


def ensure_tables(store) -> None:
    """Create the watch tables if the store does not have them yet."""
    if _tables_exist(store.con):
        return
    with store.transaction() as con:
        for ddl in DDL:
            con.execute(ddl)


def feed_states(store, watch: str, urls: Iterable[str]) -> dict[str, FeedState]:
    """The remembered state of each feed URL (a fresh :class:`FeedState` for new feeds)."""
    urls = list(urls)
    out = {u: FeedState(u) for u in urls}
    if not urls or not _tables_exist(store.con):
        return out
    rows = store.con.execute(
        f"""SELECT url, etag, last_modified, last_checked_at, last_ok_at, last_status, last_error,
                   consecutive_failures, items_read FROM {FEEDS} WHERE watch = ? AND list_contains(?, url)""",
        [watch, urls],
    ).fetchall()
    for r in rows:
        out[r[0]] = FeedState(*r[:7], consecutive_failures=int(r[7] or 0), items_read=int(r[8] or 0))
    return out


def seen_items(store, watch: str, hashes: Iterable[str]) -> set[str]:
    """Which of these content hashes the watch has read before."""
    hashes = list(dict.fromkeys(hashes))
    if not hashes or not _tables_exist(store.con):
        return set()
    rows = store.con.execute(
        f"SELECT sha256 FROM {ITEMS} WHERE watch = ? AND list_contains(?, sha256)", [watch, hashes]
    ).fetchall()
    return {r[0] for r in rows}


def reported_entries(store, watch: str, keys: Iterable[str]) -> dict[str, str]:
    """Entry keys already reported, with the digest that reported them."""
    keys = list(dict.fromkeys(keys))
    if not keys or not _tables_exist(store.con):
        return {}
    rows = store.con.execute(
        f"SELECT entry_key, digest_id FROM {ENTRIES} WHERE watch = ? AND list_contains(?, entry_key)",
        [watch, keys],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def commit_run(store, run: RunRecord) -> None:
    """Write a run's digest, the items it read, what it reported and the feeds' new state, all or nothing."""
    with store.transaction() as con:
        for ddl in DDL:
            con.execute(ddl)
        for f in run.feeds:
            prev = con.execute(
                f"SELECT consecutive_failures, items_read, etag, last_modified, last_ok_at FROM {FEEDS} "
                "WHERE watch = ? AND url = ?",
                [run.watch, f["url"]],
            ).fetchall()
            fails, read, etag, modified, ok_at = prev[0] if prev else (0, 0, None, None, None)
            failed = f["status"] == "failed"
            if not failed:  # a failed run keeps the validators of the last good response
                etag, modified, ok_at = f.get("etag"), f.get("last_modified"), run.finished_at
            con.execute(
                f"INSERT OR REPLACE INTO {FEEDS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run.watch,
                    f["url"],
                    f.get("name"),
                    etag,
                    modified,
                    run.finished_at,
                    ok_at,
                    f["status"],
                    f.get("http_status"),
                    f.get("error"),
                    (int(fails or 0) + 1) if failed else 0,
                    int(read or 0) + int(f.get("items", 0)),
                ],
            )
        item_rows = [
            [run.watch, it["sha256"], it.get("article_id"), it.get("feed_url"), it.get("link"), it.get("title"),
             it.get("published"), run.finished_at, run.digest_id, it.get("outcome")]
            for it in run.items
        ]  # fmt: skip
        if item_rows:
            con.executemany(f"INSERT OR IGNORE INTO {ITEMS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", item_rows)
        entry_rows = [
            [run.watch, e["entry_key"], run.digest_id, e.get("event_id"), e.get("record_id")]
            for e in run.entries
        ]
        if entry_rows:
            con.executemany(f"INSERT OR IGNORE INTO {ENTRIES} VALUES (?, ?, ?, ?, ?)", entry_rows)
        counts = run.digest.get("counts", {})
        con.execute(
            f"INSERT OR REPLACE INTO {DIGESTS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run.watch,
                run.digest_id,
                run.started_at,
                run.finished_at,
                run.as_of,
                run.parties,
                counts.get("feeds_ok", 0),
                counts.get("feeds_failed", 0),
                counts.get("new_items", 0),
                counts.get("entries", 0),
                json.dumps(run.digest, ensure_ascii=False),
            ],
        )


def digests(store, watch: str | None = None, *, limit: int | None = None) -> list[dict]:
    """Stored digests (the JSON documents), newest first."""
    if not _tables_exist(store.con):
        return []
    sql = f"SELECT digest_json FROM {DIGESTS}"
    params: list = []
    if watch is not None:
        sql += " WHERE watch = ?"
        params.append(watch)
    sql += " ORDER BY started_at DESC, digest_id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [json.loads(r[0]) for r in store.con.execute(sql, params).fetchall()]


def digest_ids(store, watch: str) -> set[str]:
    if not _tables_exist(store.con):
        return set()
    rows = store.con.execute(f"SELECT digest_id FROM {DIGESTS} WHERE watch = ?", [watch]).fetchall()
    return {r[0] for r in rows}
