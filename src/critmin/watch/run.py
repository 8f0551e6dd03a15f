"""One watch run (``--once``) and the foreground loop (``--interval``).

A run: poll every feed (safe fetch, conditional GET, per-host rate limit; a failing feed is reported and
retried next run) → keep the articles not read before (content hash) → ingest them through the news
pipeline (events extracted, records proposed **unreviewed**) → keep the events of the watched kinds that
touch a watched party or one of its top suppliers → compute what each proposed record would change
(:mod:`critmin.watch.impact`) → write the digest and the new state in one transaction → render the digest
files. The same measure reported by several articles is one entry listing every source.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from critmin.errors import CritminError
from critmin.formats import percent
from critmin.watch import scope
from critmin.watch.digest import SCHEMA, digest_paths, json_safe, write_digest
from critmin.watch.feeds import Feed
from critmin.watch.impact import (
    DEFAULT_DRAWS,
    DEFAULT_STOCK_DAYS,
    SHARE_RANGES,
    SUBSTITUTION,
    Impact,
    record_for_impact,
)
from critmin.watch.poll import Limits, new_articles, poll_all
from critmin.watch.state import (
    RunRecord,
    commit_run,
    digest_ids,
    digests,
    ensure_tables,
    feed_states,
    now_utc,
)

Progress = Callable[[str], None]

_MEASURE_WORDS = {
    "ban": "export ban",
    "licence": "export licence requirement",
    "quota": "export quota",
    "export_tax": "export duty",
    "suspension": "export suspension",
    "other": "export restriction",
}


@dataclass
class WatchConfig:
    """What to watch and how. ``parties``: a party spec ('JPN,ITA,JPN+ITA'); ``name``: the key of the watch's
    state in the store (default: the party spec); ``as_of``: the day the registry and partnerships are read
    (default: today, UTC)."""

    feeds: Sequence[Feed]
    parties: str
    out: Path
    name: str | None = None
    limits: Limits = field(default_factory=Limits)
    stock_days: float = DEFAULT_STOCK_DAYS
    draws: int = DEFAULT_DRAWS
    seed: int = 0
    as_of: str | None = None

    @property
    def watch(self) -> str:
        return self.name or ",".join(p.strip() for p in self.parties.split(",") if p.strip())


@dataclass
class RunResult:
    """What :func:`run_once` did: the digest (the JSON document) and the files written."""

    digest: dict
    paths: dict[str, Path]
    caught_up: list[Path] = field(default_factory=list)

    @property
    def failed_feeds(self) -> list[dict]:
        return [f for f in self.digest["feeds"] if f["status"] == "failed"]


# -- locking ------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def store_lock(db_path: Path) -> Iterator[None]:
    """One watch run per store at a time (cron may start a run while the previous one still works)."""
    import fcntl

    path = Path(f"{db_path}.watch.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise CritminError(
                f"another critmin watch is running on the store {db_path} (pid {holder}); this run stops"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


# -- helpers ------------------------------------------------------------------------------------------------
def analysis_year(ds) -> int:
    """The latest year with trade data and refined-stage production (as the report's analysis year), so
    that every number of a digest describes the same year."""
    hi = ds.trade_years()[1]
    refined = ds.production("rare_earths", "refined")
    return int(min(hi, refined["year"].max())) if len(refined) else hi


def _digest_id(started: dt.datetime, taken: set[str]) -> str:
    base = started.strftime("%Y%m%dT%H%M%SZ")
    out, k = base, 1
    while out in taken:
        k += 1
        out = f"{base}-{k}"
    return out


def _names(codes: Sequence[str]) -> str:
    from critmin.watch.impact import _country_name

    return ", ".join(_country_name(c) for c in codes)


def headline(event: dict, record: dict | None) -> str:
    """A one-line description of the event from its structured fields (never from the article's title)."""
    et = event["event_type"]
    from critmin.news.linking import catalogue_ids

    named = (
        (record or {}).get("commodities")
        or (record or {}).get("minerals")
        or catalogue_ids(event["minerals"])
    )
    minerals = ", ".join(m.replace("_", " ") for m in named)
    who = _names(event["initiator"]) or "Unknown"
    if et == "export_restriction":
        words = _MEASURE_WORDS.get(event.get("measure_type") or "other", "export restriction")
        to = f" to {_names(event['targets'])}" if event.get("targets") else ""
        when = f", effective {event['effective_date']}" if event.get("effective_date") else ""
        return f"{who}: {words} on {minerals or 'unnamed minerals'}{to}{when}"
    if et == "restriction_lifted":
        to = f" for {_names(event['targets'])}" if event.get("targets") else ""
        return f"{who}: lifts export restrictions on {minerals or 'unnamed minerals'}{to}"
    parties = " – ".join(_names([c]) for c in dict.fromkeys([*event["initiator"], *event["counterparts"]]))
    if et == "partnership_upgrade":
        level = event.get("level") or "a higher level"
        return f"{parties}: partnership raised to {level}"
    if et == "agreement":
        kind = event.get("measure_type") or "agreement"
        return f"{parties}: {kind} on {minerals or 'critical minerals'}"
    return f"{who}: stockpile of {minerals or 'minerals'}"


def signature(event: dict, record: dict | None, *, dated: bool = True) -> str:
    """The identity of a measure or agreement, so the same one reported by several articles is one entry
    (``dated=False`` leaves the dates out: within one article a headline and its body are one measure)."""
    et = event["event_type"]
    if record is not None and "imposer" in record:
        when = record.get("effective_date") or record.get("announced_date")
        parts = [
            et,
            record["imposer"],
            sorted(record["commodities"]),
            sorted(record["targets"]),
            record["measure_type"],
            sorted(record.get("relaxes") or []),
        ]
    elif record is not None and "parties" in record:
        when = record.get("date")
        parts = [et, sorted(record["parties"]), record.get("level"), sorted(record.get("minerals") or [])]
    else:
        when = event.get("date")
        parts = [et, sorted(event["initiator"]), sorted(event["counterparts"]), sorted(event["minerals"])]
    if dated:
        parts.append(when)
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


def _records(ds) -> dict[tuple[str, str], dict]:
    """Every registry and partnerships record by (table, id), read once per run (proposals included)."""
    from critmin.reference import partnerships as pt
    from critmin.scenarios.registry import all_records

    out = {("restrictions", r["id"]): dict(r) for r in all_records(ds)}
    out.update({("partnerships", r["id"]): dict(r) for r in pt.records(ds)})
    return out


def _touch_text(t: scope.Touch, impact: Impact) -> str:
    from critmin.watch.impact import _country_name

    if t.how == "named":
        role = {"initiator": "acts", "counterpart": "is a party", "target": "is targeted", "host": "hosts it"}
        return f"{t.party}: {_country_name(t.who)} {role.get(t.role, 'is named')}"
    return (
        f"{t.party}: {_country_name(t.who)} supplies {percent(t.share or 0)} of its "
        f"{t.commodity.replace('_', ' ')} ({t.stage}) imports"
    )


def _changes(impact: Impact, event: dict, record: dict | None, party: str) -> list[dict]:
    et = event["event_type"]
    if et in ("export_restriction", "restriction_lifted") and record is not None:
        rec = record_for_impact(record)
        return [c.to_dict() for c in impact.restriction_changes(rec, party, event.get("link_note"))]
    if et in scope.AGREEMENT_TYPES and record is not None:
        return [c.to_dict() for c in impact.partnership_changes(record, party)]
    if et == "stockpile":
        members = set(impact._party[party].members)
        if set(event["initiator"]) & members:
            return [c.to_dict() for c in impact.stockpile_changes(event, party)]
        return [
            impact._context(
                party,
                None,
                None,
                f"{_names(event['initiator'])} builds the stockpile; "
                f"{impact.name(party)}'s numbers are not recomputed",
            ).to_dict()
        ]
    return []


# -- one run ------------------------------------------------------------------------------------------------
def run_once(ds, config: WatchConfig, *, progress: Progress | None = None) -> RunResult:
    """Poll the feeds once, write one digest and the new state; see the module docstring."""
    step = progress or (lambda _msg: None)
    store = ds.store
    with store_lock(store.path):
        ensure_tables(store)
        caught_up = catch_up(store, config)
        started = dt.datetime.now(dt.UTC).replace(microsecond=0)
        digest_id = _digest_id(started, digest_ids(store, config.watch))
        as_of = config.as_of or started.date().isoformat()

        states = feed_states(store, config.watch, [f.url for f in config.feeds])
        n_feeds = len(config.feeds)
        done = [0]

        def polled(feed, res):
            done[0] += 1
            step(f"feed {done[0]}/{n_feeds} {feed.name}: {res.status.replace('_', ' ')}")

        results = poll_all(config.feeds, states, config.limits, progress=polled)
        from critmin.watch.state import seen_items

        hashes = [a.sha256 for r in results for a in r.articles]
        fresh, dup_lines, known = new_articles(results, seen_items(store, config.watch, hashes))
        skipped = [
            {"item": line, "feed": r.feed.name, "reason": "not read"} for r in results for line in r.skipped
        ]
        skipped += [{"item": line, "feed": None, "reason": "duplicate"} for line in dup_lines]

        events = []
        year = analysis_year(ds)
        parties = ds.parties(config.parties, year)
        impact = Impact(
            ds,
            parties,
            year=year,
            as_of=as_of,
            stock_days=config.stock_days,
            draws=config.draws,
            seed=config.seed,
        )
        if fresh:
            # the parties' imports first: reading the trade table is the run's largest allocation, and it
            # peaks lowest before the news pipeline has loaded its gazetteers and rules
            impact.all_imports()
            step(f"reading {len(fresh)} new items")
            from critmin.news import store as news_store

            news_store.ingest_articles(store, [a for _, a in fresh], link=True)
            ids = {a.article_id for _, a in fresh}
            df = news_store.events(store)
            events = [e for e in df.to_dict("records") if e["article_id"] in ids]
        entries, ev_skips, entry_keys = _entries(ds, impact, config, events, fresh, step)
        skipped += ev_skips
        items = _items(fresh, events, entries)
        skipped += [
            {
                "item": it["title"] or it["link"] or it["article_id"],
                "feed": it["feed"],
                "reason": "no event extracted",
            }
            for it in items
            if it["outcome"] == "no_event"
        ]
        finished = now_utc()
        digest = _digest(
            config,
            digest_id,
            started,
            finished,
            as_of,
            impact,
            results,
            states,
            entries,
            skipped,
            items,
            known,
        )
        digest = json_safe(digest)  # strict JSON: a NaN from a data gap becomes null
        step("writing the digest")
        commit_run(
            store,
            RunRecord(
                watch=config.watch,
                digest_id=digest_id,
                started_at=started.isoformat(),
                finished_at=finished,
                as_of=as_of,
                parties=config.parties,
                digest=digest,
                feeds=[r.to_dict() for r in results],
                items=items,
                entries=entry_keys,
            ),
        )
        paths = write_digest(digest, config.out)
    return RunResult(digest, paths, caught_up)


def catch_up(store, config: WatchConfig) -> list[Path]:
    """Write the files of stored digests of this watch that are missing from ``out`` (a run that committed
    its state but died before writing its files, or an emptied output folder)."""
    written = []
    for d in digests(store, config.watch):
        paths = digest_paths(config.out, d["digest_id"])
        if not paths["json"].exists():
            written.extend(write_digest(d, config.out, latest=False).values())
    return written


def _entries(ds, impact: Impact, config: WatchConfig, events: list[dict], fresh, step: Progress):
    """Digest entries of the new events (one per measure or agreement), the skip lines of the others, and the
    keys that mark them reported."""
    from critmin.reference import blocs
    from critmin.watch.state import reported_entries

    feed_of = {a.article_id: f.name for f, a in fresh}
    candidates, skipped = [], []
    for ev in sorted(events, key=_completeness):
        label = f"{ev['event_type'].replace('_', ' ')} in “{(ev.get('title') or ev['article_id'])[:80]}”"
        reason = scope.skip_reason(ev)
        if reason:
            skipped.append({"item": label, "feed": feed_of.get(ev["article_id"]), "reason": reason})
        else:
            candidates.append((ev, label))
    suppliers = scope.top_suppliers(impact.all_imports()) if candidates else []
    records = _records(ds) if candidates else {}
    eu = blocs.members("EU27", impact.as_of)
    by_key: dict[str, dict] = {}
    keys_of: dict[str, list[dict]] = {}
    in_article: dict[tuple[str, str], str] = {}
    planned: dict[str, tuple[dict, dict | None, list[str]]] = {}
    who = ", ".join(p.label for p in impact.parties)
    for ev, label in candidates:
        feed = feed_of.get(ev["article_id"])
        touched = scope.touches(ev, impact.parties, suppliers, eu)
        if not touched:
            reason = f"touches none of {who} or their top suppliers of its minerals"
            skipped.append({"item": label, "feed": feed, "reason": reason})
            continue
        record = records.get((ev.get("linked_table"), ev.get("linked_id")))
        mark = {
            "entry_key": f"event:{ev['event_id']}",
            "event_id": ev["event_id"],
            "record_id": ev.get("linked_id"),
        }
        # a headline restating its article's body sentence (one with fewer dates) is the same entry
        same = in_article.get((ev["article_id"], signature(ev, record, dated=False)))
        if same is not None:
            keys_of[same].append(mark)
            continue
        key = signature(ev, record)
        if key in by_key:  # the same measure in another article of this run: one entry, several sources
            by_key[key]["also_reported_by"].append(_source(ev, feed_of))
            keys_of[key].append(mark)
            continue
        before = reported_entries(ds.store, config.watch, [key])
        if key in before:
            reason = f"the same measure was reported in digest {before[key]}"
            skipped.append({"item": label, "feed": feed, "reason": reason})
            continue
        by_key[key] = _entry(ev, record, touched, [], impact, feed_of)
        planned[key] = (ev, record, list(dict.fromkeys(t.party for t in touched)))
        keys_of[key] = [dict(mark, entry_key=key)]
        in_article[(ev["article_id"], signature(ev, record, dated=False))] = key
    # the supply-risk numbers of every restriction at once (one engine pass instead of one per number)
    impact.prepare(
        (p, record_for_impact(rec), ev.get("link_note"))
        for ev, rec, parties in planned.values()
        if ev["event_type"] in ("export_restriction", "restriction_lifted") and rec is not None
        for p in parties
    )
    for key, (ev, record, parties) in planned.items():
        step(f"what changes: {headline(ev, record)[:60]}")
        by_key[key]["changes"] = [ch for p in parties for ch in _changes(impact, ev, record, p)]
    entries = sorted(by_key.values(), key=_newest_first, reverse=True)
    for n, e in enumerate(entries, start=1):
        e["entry_id"] = f"entry-{n}"
    return entries, skipped, [k for ks in keys_of.values() for k in ks]


def _completeness(ev: dict) -> tuple:
    """Sort key: per article, the event with an effective date and the most precise date first."""
    return (ev["article_id"], ev.get("effective_date") is None, -len(ev.get("date") or ""), ev["event_id"])


def _newest_first(e: dict) -> tuple[str, str]:
    """Sort key, used in reverse: the event's date (or its article's), then the event id."""
    return (e.get("date") or e.get("published") or "", e["event_id"])


def _source(ev: dict, feed_of: dict) -> dict:
    return {
        "title": ev.get("title"),
        "url": ev.get("url"),
        "publisher": ev.get("publisher"),
        "published": ev.get("published"),
        "feed": feed_of.get(ev["article_id"]),
        "evidence": ev.get("evidence"),
        "event_id": ev["event_id"],
        "article_id": ev["article_id"],
    }


def _entry(ev, record, touched, changes, impact, feed_of) -> dict:
    rec = None
    if ev.get("linked_id"):
        rec = {
            "table": ev.get("linked_table"),
            "id": ev["linked_id"],
            "reviewed": bool(record and record.get("reviewed")),
            "note": ev.get("link_note"),
        }
    return {
        "entry_id": None,
        "event_id": ev["event_id"],
        "event_type": ev["event_type"],
        "headline": headline(ev, record),
        "date": ev.get("date"),
        "effective_date": ev.get("effective_date"),
        "end_date": ev.get("end_date"),
        "status": ev.get("status"),
        "measure_type": ev.get("measure_type"),
        "initiator": list(ev["initiator"]),
        "counterparts": list(ev["counterparts"]),
        "targets": list(ev["targets"]),
        "minerals": list(ev["minerals"]),
        "evidence": ev.get("evidence") or "",
        "title": ev.get("title"),
        "url": ev.get("url"),
        "publisher": ev.get("publisher"),
        "published": ev.get("published"),
        "feed": feed_of.get(ev["article_id"]),
        "article_id": ev["article_id"],
        "record": rec,
        "record_note": None if rec else (ev.get("link_note") or "stockpiles propose no registry record"),
        "touches": [dict(t.__dict__, text=_touch_text(t, impact)) for t in touched],
        "changes": changes,
        "also_reported_by": [],
    }


def _items(fresh, events: list[dict], entries: list[dict]) -> list[dict]:
    reported = {e["article_id"] for e in entries} | {
        s["article_id"] for e in entries for s in e["also_reported_by"]
    }
    with_events = {e["article_id"] for e in events}
    out = []
    for f, a in fresh:
        outcome = (
            "entry"
            if a.article_id in reported
            else ("not_reported" if a.article_id in with_events else "no_event")
        )
        out.append(
            {
                "sha256": a.sha256,
                "article_id": a.article_id,
                "feed_url": f.url,
                "feed": f.name,
                "link": a.url,
                "title": a.title,
                "published": a.published,
                "outcome": outcome,
            }
        )
    return out


def _digest(
    config, digest_id, started, finished, as_of, impact, results, states, entries, skipped, items, known
) -> dict:
    feeds = []
    for r in results:
        d = r.to_dict()
        prev = states.get(r.feed.url)
        d["consecutive_failures"] = (
            ((prev.consecutive_failures if prev else 0) + 1) if r.status == "failed" else 0
        )
        d["retry"] = r.status == "failed"
        feeds.append(d)
    counts = {
        "feeds": len(results),
        "feeds_ok": sum(r.status == "ok" for r in results),
        "feeds_not_modified": sum(r.status == "not_modified" for r in results),
        "feeds_failed": sum(r.status == "failed" for r in results),
        "items_read": sum(len(r.articles) for r in results),
        "new_items": len(items),
        "already_seen": known,
        "entries": len(entries),
        "skipped": len(skipped),
    }
    lim = config.limits
    ranges = "; ".join(f"{k} {a:g}–{b:g}" if a != b else f"{k} {a:g}" for k, (a, b) in SHARE_RANGES.items())
    return {
        "schema": SCHEMA,
        "digest_id": digest_id,
        "watch": config.watch,
        "started_at": started.isoformat(),
        "generated_at": finished,
        "as_of": as_of,
        "year": impact.year,
        "parties": [{"label": p.label, "name": p.name, "members": list(p.members)} for p in impact.parties],
        "settings": {
            "stock_days": config.stock_days,
            "draws": config.draws,
            "seed": config.seed,
            "min_supply_kusd": scope.MIN_SUPPLY_KUSD,
            "top_suppliers": scope.TOP_SUPPLIERS,
            "share_ranges": {k: list(v) for k, v in SHARE_RANGES.items()},
            "substitution": list(SUBSTITUTION),
            "timeout_s": lim.timeout_s,
            "max_bytes": lim.max_bytes,
            "min_interval_s": lim.min_interval_s,
        },
        "counts": counts,
        "feeds": feeds,
        "entries": entries,
        "skipped": skipped,
        "items": items,
        "provenance": {
            "trade": impact.trade_source,
            "registry": f"restriction registry, reviewed measures in force on {as_of} (seed + store)",
            "partnerships": f"partnerships table, reviewed records in force on {as_of}",
            "scenario": f"cascade of Marchand et al. (2016); {config.draws} Latin-hypercube draws; share of exports "
            f"stopped by measure type: {ranges}; substitution {SUBSTITUTION[0]:g}–{SUBSTITUTION[1]:g}; "
            f"watched parties hold {config.stock_days:g} days of stocks, others none",
            "supply_risk": "EU CRM supply risk, European Commission (2017) method; t = 1.1 for restricting suppliers",
            "events": "critmin news: rule-based extraction, proposals unreviewed",
        },
    }


# -- the loop -----------------------------------------------------------------------------------------------
def parse_interval(text: str) -> float:
    """'6h', '30m', '1d', '90s', '1h30m' → seconds (at least 60: polling faster is not polite)."""
    import re

    from critmin.errors import UnknownValueError

    s = str(text).strip().lower()
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([dhms])", s)
    if not parts or re.sub(r"\d+(?:\.\d+)?\s*[dhms]", "", s).strip():
        raise UnknownValueError("interval", text, hint="write e.g. 6h, 30m, 1d or 1h30m")
    seconds = sum(float(v) * {"d": 86400, "h": 3600, "m": 60, "s": 1}[u] for v, u in parts)
    if seconds < 60:
        raise UnknownValueError("interval", text, hint="at least 1m: feeds are polled politely")
    return seconds


def watch_loop(
    db_or_ds,
    config: WatchConfig,
    interval_s: float,
    *,
    max_runs: int | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    on_run: Callable[[RunResult], None] | None = None,
    on_wait: Callable[[float], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
    progress: Progress | None = None,
) -> int:
    """Run every ``interval_s`` seconds (start to start) until ``max_runs`` runs (forever when None).

    A run that fails as a whole (the store locked by another watch, a disk error) is reported through
    ``on_error`` and tried again at the next interval; returns the number of runs that completed.
    """
    import critmin

    ds = db_or_ds if hasattr(db_or_ds, "store") else critmin.open(db_or_ds)
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    done = runs = 0
    while max_runs is None or runs < max_runs:
        start = clock()
        runs += 1
        try:
            res = run_once(ds, config, progress=progress)
            done += 1
            if on_run:
                on_run(res)
        except Exception as exc:  # a foreground monitor outlives one bad run; it says why and goes on
            if on_error is None:
                raise
            on_error(exc)
        if max_runs is not None and runs >= max_runs:
            break
        while (left := interval_s - (clock() - start)) > 0:
            if on_wait:
                on_wait(left)
            sleep(min(left, 1.0))
    return done
