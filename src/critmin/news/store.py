"""The news tables of the DuckDB store: ``news_articles`` and ``news_events``, and the ingest pipeline.

``news_articles`` holds one row per distinct text (``article_id`` = first 16 hex digits of the sha256 of the
cleaned text, so re-ingesting the same article changes nothing), with its URL, title, publisher, publication
date and the plain text itself. ``news_events`` holds the extracted events with the rule that fired, the
evidence sentence and its offsets, and where the event was linked (restriction registry or partnerships
table) and its review status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from critmin.errors import CritminError, UnknownValueError
from critmin.news.model import EVENT_TYPES, Article, Event

ARTICLES = "news_articles"
EVENTS = "news_events"
ARTICLES_DDL = f"""CREATE TABLE IF NOT EXISTS {ARTICLES} (
    article_id VARCHAR PRIMARY KEY, sha256 VARCHAR, url VARCHAR, title VARCHAR, publisher VARCHAR,
    published VARCHAR, published_basis VARCHAR, language VARCHAR, kind VARCHAR, source VARCHAR,
    external_id VARCHAR, n_chars INTEGER, text VARCHAR, ingested_at VARCHAR, extractor_version VARCHAR)"""
EVENT_COLUMNS = (
    "event_id", "article_id", "event_type", "salience", "mineral_relevant", "initiator", "counterparts",
    "symmetric", "minerals", "date", "date_precision", "date_basis", "effective_date", "end_date", "status",
    "measure_type", "measure", "level", "previous_level", "hs_codes", "targets", "end_uses", "companies",
    "host_country", "amount", "evidence", "evidence_start", "evidence_end", "rule", "trigger", "language",
)  # fmt: skip
LIST_COLUMNS = ("initiator", "counterparts", "minerals", "hs_codes", "targets", "companies")
EVENTS_DDL = f"""CREATE TABLE IF NOT EXISTS {EVENTS} (
    event_id VARCHAR PRIMARY KEY, article_id VARCHAR, event_type VARCHAR, salience VARCHAR,
    mineral_relevant BOOLEAN, initiator VARCHAR[], counterparts VARCHAR[], "symmetric" BOOLEAN, minerals VARCHAR[],
    date VARCHAR, date_precision VARCHAR, date_basis VARCHAR, effective_date VARCHAR, end_date VARCHAR,
    status VARCHAR, measure_type VARCHAR, measure VARCHAR, level VARCHAR, previous_level VARCHAR,
    hs_codes VARCHAR[], targets VARCHAR[], end_uses VARCHAR, companies VARCHAR[], host_country VARCHAR,
    amount VARCHAR, evidence VARCHAR, evidence_start INTEGER, evidence_end INTEGER, rule VARCHAR, "trigger" VARCHAR,
    language VARCHAR, linked_table VARCHAR, linked_id VARCHAR, link_note VARCHAR, review_status VARCHAR,
    extracted_at VARCHAR, extractor_version VARCHAR)"""
REVIEW_STATUSES = ("pending", "accepted", "rejected")


@dataclass
class IngestReport:
    """What one ``ingest`` call did: per article its id, title, status (new/unchanged/updated) and events."""

    articles: list[dict] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            self.articles, columns=["article_id", "title", "published", "status", "n_events", "source"]
        )


def _article_report(a: Article, published: str | None, status: str, n_events: int | None) -> dict:
    """One article's line in an ingest report."""
    return {
        "article_id": a.article_id,
        "title": a.title,
        "published": published,
        "status": status,
        "n_events": n_events,
        "source": a.source,
    }


def _writable(store):
    from critmin.store import Store

    if isinstance(store, Store):
        return store
    if hasattr(store, "store") and isinstance(store.store, Store):
        return store.store
    if isinstance(store, str | Path) or store is None:
        return Store(store)
    raise CritminError(f"expected a Store, Dataset or store path, got {type(store).__name__}")


def ensure_tables(con) -> None:
    con.execute(ARTICLES_DDL)
    con.execute(EVENTS_DDL)


def _has_tables(con) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN (?, ?)", [ARTICLES, EVENTS]
    ).fetchall()
    return bool(row and row[0][0] == 2)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _event_row(ev: Event, version: str, now: str) -> list:
    d = ev.to_dict()
    return [d[c] for c in EVENT_COLUMNS] + [None, None, None, "pending", now, version]


def _article_row(a: Article, version: str, now: str) -> list:
    return [
        a.article_id,
        a.sha256,
        a.url,
        a.title,
        a.publisher,
        a.published,
        a.published_basis,
        a.language,
        a.kind,
        a.source,
        a.external_id,
        len(a.text),
        a.text,
        now,
        version,
    ]


def ingest_articles(
    store,
    articles: Iterable[Article],
    *,
    link: bool = True,
    progress: Callable[[str], None] | None = None,
) -> IngestReport:
    """Store articles and their events (one transaction), then link the new events (unreviewed proposals).

    An article already in the store (same text) is left as it is, except that a publication date given now
    for an article stored without one — or the day of one stored only to the month — is recorded and its
    events are extracted again.
    """
    from critmin.news.extract import EXTRACTOR_VERSION, extract_events

    store = _writable(store)
    report = IngestReport()
    articles = list(articles)
    now = _now()
    fresh: list[tuple[Article, list[Event]]] = []
    with store.transaction() as con:
        ensure_tables(con)
        for a in articles:
            rows = con.execute(
                f"SELECT published FROM {ARTICLES} WHERE article_id = ?", [a.article_id]
            ).fetchall()
            row = rows[0] if rows else None
            status = "new"
            if row is not None:
                # a new publication date counts when none was stored, or it narrows a month to its day
                sharper = a.published is not None and (
                    row[0] is None or (len(a.published) > len(row[0]) and a.published.startswith(row[0]))
                )
                if not sharper:
                    report.articles.append(_article_report(a, row[0], "unchanged", None))
                    if progress:
                        progress(a.title or a.article_id)
                    continue
                status = "updated"
                con.execute(
                    f"UPDATE {ARTICLES} SET published = ?, published_basis = ? WHERE article_id = ?",
                    [a.published, a.published_basis, a.article_id],
                )
                con.execute(
                    f"DELETE FROM {EVENTS} WHERE article_id = ? AND review_status = 'pending'", [a.article_id]
                )
            else:
                con.execute(
                    f"INSERT INTO {ARTICLES} VALUES ({', '.join('?' * 15)})",
                    _article_row(a, EXTRACTOR_VERSION, now),
                )
            events = extract_events(a)
            for ev in events:
                con.execute(
                    f"INSERT OR REPLACE INTO {EVENTS} VALUES ({', '.join('?' * (len(EVENT_COLUMNS) + 6))})",
                    _event_row(ev, EXTRACTOR_VERSION, now),
                )
            fresh.append((a, events))
            report.events.extend(events)
            report.articles.append(_article_report(a, a.published, status, len(events)))
            if progress:
                progress(a.title or a.article_id)
    if link and fresh:
        _link_fresh(store, fresh, report)
    return report


def _link_fresh(store, fresh: list[tuple[Article, list[Event]]], report) -> None:
    """Propose records for the events just (re-)extracted and note the links in the report and the store."""
    from critmin.news.linking import link_events

    links = []
    for a, events in fresh:
        links.extend(link_events(store, events, a))
    report.links = links
    record_links(store, links)


def record_links(store, links: list[dict]) -> None:
    """Write where each event was linked (``linked_table``, ``linked_id``, ``link_note``)."""
    if not links:
        return
    with store.transaction() as con:
        ensure_tables(con)
        for ln in links:
            con.execute(
                f"UPDATE {EVENTS} SET linked_table = ?, linked_id = ?, link_note = ? WHERE event_id = ?",
                [ln.get("table"), ln.get("id"), ln.get("note"), ln["event_id"]],
            )


def ingest(
    store,
    source,
    *,
    published: str | None = None,
    kind: str = "auto",
    link: bool = True,
    max_bytes: int | None = None,
    timeout: float = 15.0,
    progress: Callable[[str], None] | None = None,
) -> IngestReport:
    """Read ``source`` (file, directory, explicit URL or bytes), store its articles and events, link them.

    >>> ingest("critmin.duckdb", "seed-article.txt", published="2026-01-16")   # doctest: +SKIP
    """
    from critmin.news.text import DEFAULT_MAX_BYTES, read_source

    articles = read_source(
        source, published=published, kind=kind, max_bytes=max_bytes or DEFAULT_MAX_BYTES, timeout=timeout
    )
    return ingest_articles(store, articles, link=link, progress=progress)


def _frame(rows, columns) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for c in LIST_COLUMNS:
        if c in df:
            df[c] = df[c].map(lambda v: list(v) if v is not None else [])
    return df


def events(
    store,
    *,
    since: str | None = None,
    until: str | None = None,
    event_type: str | None = None,
    country: str | None = None,
    mineral: str | None = None,
    article_id: str | None = None,
    review_status: str | None = None,
    include_undated: bool = False,
    mineral_relevant_only: bool = False,
) -> pd.DataFrame:
    """Stored events, newest first, with their article's title, URL and publication date.

    ``since``/``until`` filter on the event date (an event dated only to the month or year is inside when its
    period overlaps the range); undated events are included only with ``include_undated`` (or when no date
    filter is given). ``country`` (name or ISO3) matches initiator, counterparts or targets; ``mineral``
    matches the mineral tokens or catalogue ids (aliases resolved).
    """
    store = _writable(store)
    con = store.con
    extra = ["linked_table", "linked_id", "link_note", "review_status", "extracted_at", "extractor_version"]
    columns = [*EVENT_COLUMNS, *extra, "title", "url", "published", "publisher"]
    if event_type is not None and event_type not in EVENT_TYPES:
        raise UnknownValueError("event type", event_type, EVENT_TYPES)
    if review_status is not None and review_status not in REVIEW_STATUSES:
        raise UnknownValueError("review status", review_status, REVIEW_STATUSES)
    if not _has_tables(con):
        return _frame([], columns)
    where, params = [], []
    if event_type is not None:
        where.append("e.event_type = ?")
        params.append(event_type)
    if review_status is not None:
        where.append("e.review_status = ?")
        params.append(review_status)
    if article_id is not None:
        where.append("e.article_id = ?")
        params.append(article_id)
    if mineral_relevant_only:
        where.append("e.mineral_relevant")
    for bound, op in ((since, ">="), (until, "<=")):
        if bound is None:
            continue
        from critmin.news.text import check_published

        day = check_published(bound)  # YYYY-MM-DD or YYYY-MM
        # compare at the coarser of the two precisions: '2025-02' is inside since=2025-02-10, and
        # '2025-10-20' is inside until=2025-10
        n = "least(length(e.date), length(?))"
        cond = f"substr(e.date, 1, {n}) {op} substr(?, 1, {n})"
        where.append(f"(({cond}) OR (e.date IS NULL AND ?))")
        params.extend([day, day, day, include_undated])
    if country is not None:
        from critmin.reference import countries

        iso = (
            "EUU"
            if country.strip().upper() in ("EU", "EUU", "EUROPEAN UNION")
            else countries.resolve(country)
        )
        where.append(
            "(list_contains(e.initiator, ?) OR list_contains(e.counterparts, ?) OR list_contains(e.targets, ?))"
        )
        params.extend([iso, iso, iso])
    if mineral is not None:
        token = _mineral_token(mineral)
        where.append("list_contains(e.minerals, ?)")
        params.append(token)
    select = ", ".join('e."' + c + '"' for c in [*EVENT_COLUMNS, *extra])
    sql = (
        f"SELECT {select}, a.title, a.url, a.published, a.publisher "
        f"FROM {EVENTS} e LEFT JOIN {ARTICLES} a USING (article_id)"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY e.date DESC NULLS LAST, e.article_id, e.evidence_start"
    rows = con.execute(sql, params).fetchall()
    return _frame(rows, columns)


def _mineral_token(name: str) -> str:
    from critmin.news.gazetteer import GENERIC, rare_earth_elements

    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key in rare_earth_elements() or key in (GENERIC, "superhard_materials", "lithium_battery_materials"):
        return key
    from critmin.reference import commodities as cat

    return cat.get(name).id


def articles(store) -> pd.DataFrame:
    """Stored articles (without their text) with the number of events of each."""
    store = _writable(store)
    con = store.con
    cols = [
        "article_id",
        "title",
        "publisher",
        "published",
        "published_basis",
        "language",
        "kind",
        "url",
        "source",
        "external_id",
        "n_chars",
        "ingested_at",
        "n_events",
    ]
    if not _has_tables(con):
        return pd.DataFrame(columns=cols)
    rows = con.execute(
        f"""SELECT a.article_id, a.title, a.publisher, a.published, a.published_basis, a.language, a.kind, a.url,
                   a.source, a.external_id, a.n_chars, a.ingested_at, count(e.event_id)
            FROM {ARTICLES} a LEFT JOIN {EVENTS} e USING (article_id)
            GROUP BY ALL ORDER BY a.published DESC NULLS LAST, a.article_id"""
    ).fetchall()
    return pd.DataFrame(rows, columns=cols)


def article(store, article_id: str) -> dict:
    """One stored article (with its text) by id or unique id prefix."""
    store = _writable(store)
    con = store.con
    if not _has_tables(con):
        raise UnknownValueError("article id", article_id, hint="no articles ingested yet")
    rows = con.execute(
        f"SELECT * FROM {ARTICLES} WHERE article_id LIKE ? || '%' OR external_id = ?",
        [article_id, article_id],
    ).fetchall()
    if len(rows) != 1:
        ids = [r[0] for r in con.execute(f"SELECT article_id FROM {ARTICLES}").fetchall()]
        raise UnknownValueError("article id", article_id, ids, hint="ambiguous prefix" if rows else None)
    cols = [d[0] for d in con.execute(f"SELECT * FROM {ARTICLES} LIMIT 0").description]
    return dict(zip(cols, rows[0], strict=True))


def set_review_status(store, event_id: str, status: str) -> None:
    if status not in REVIEW_STATUSES:
        raise UnknownValueError("review status", status, REVIEW_STATUSES)
    store = _writable(store)
    with store.transaction() as con:
        ensure_tables(con)
        con.execute(f"UPDATE {EVENTS} SET review_status = ? WHERE event_id = ?", [status, event_id])


def reextract(store, *, article_ids: list[str] | None = None, link: bool = True) -> IngestReport:
    """Run the (possibly updated) extractor again on stored articles, keeping reviewed events.

    Pending events of those articles are replaced; accepted/rejected events stay as the reviewer left them
    (a re-extracted event with the same evidence and type as a reviewed one is not added again).
    """
    from critmin.news.extract import EXTRACTOR_VERSION, extract_events

    store = _writable(store)
    con = store.con
    if not _has_tables(con):
        return IngestReport()
    sql = f"SELECT article_id, text, url, title, publisher, published, published_basis, language, kind, source, external_id FROM {ARTICLES}"
    rows = con.execute(sql).fetchall()
    if article_ids:
        rows = [r for r in rows if any(r[0].startswith(p) or r[10] == p for p in article_ids)]
    reviewed = {
        (r[0], r[1], r[2])
        for r in con.execute(
            f"SELECT article_id, event_type, evidence FROM {EVENTS} WHERE review_status <> 'pending'"
        ).fetchall()
    }
    report = IngestReport()
    now = _now()
    fresh = []
    with store.transaction() as con:
        ensure_tables(con)
        for r in rows:
            a = Article(
                text=r[1],
                url=r[2],
                title=r[3],
                publisher=r[4],
                published=r[5],
                published_basis=r[6],
                language=r[7],
                kind=r[8],
                source=r[9],
                external_id=r[10],
                article_id=r[0],
            )
            con.execute(
                f"DELETE FROM {EVENTS} WHERE article_id = ? AND review_status = 'pending'", [a.article_id]
            )
            kept = []
            taken = {
                x[0]
                for x in con.execute(
                    f"SELECT event_id FROM {EVENTS} WHERE article_id = ?", [a.article_id]
                ).fetchall()
            }
            for ev in extract_events(a):
                if (a.article_id, ev.event_type, ev.evidence) in reviewed:
                    continue
                k = 1
                while ev.event_id in taken:
                    k += 1
                    ev.event_id = f"{a.article_id}-{len(taken) + k}"
                taken.add(ev.event_id)
                con.execute(
                    f"INSERT INTO {EVENTS} VALUES ({', '.join('?' * (len(EVENT_COLUMNS) + 6))})",
                    _event_row(ev, EXTRACTOR_VERSION, now),
                )
                kept.append(ev)
            con.execute(
                f"UPDATE {ARTICLES} SET extractor_version = ? WHERE article_id = ?",
                [EXTRACTOR_VERSION, a.article_id],
            )
            fresh.append((a, kept))
            report.events.extend(kept)
            report.articles.append(_article_report(a, a.published, "re-extracted", len(kept)))
    if link:
        _link_fresh(store, fresh, report)
    return report
