"""Linking extracted events to the project's structured records, as proposals for a reviewer.

* ``export_restriction`` → a record of the restriction registry (:mod:`critmin.scenarios.registry`,
  contract 1) with ``source='news'``, ``reviewed=False``, the evidence sentence and the article id.
* ``restriction_lifted`` → a *relaxation* record (``relaxes`` = the ids of the registry's measures by the same
  country on an overlapping commodity) or, when no such measure is known, a record of the lifted measure with
  status ``lifted`` and ``end_date`` = the day the lifting takes effect.
* ``agreement`` and ``partnership_upgrade`` → a record of the partnerships table
  (:mod:`critmin.reference.partnerships`, contract 2), likewise unreviewed.

News records get their own ids (``news-<article>-<hash>``), so a news report never overwrites a reviewed
seed or user record; when it restates one (same country/parties, commodity/level and date), the link note
says which record it corroborates, so the reviewer can reject the duplicate. Linking is idempotent: the
registries update the record with the same (source, article_id, evidence) instead of adding another.
Unreviewed records are invisible to scenario and partnership queries until accepted
(``critmin news review --accept ID``).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from critmin.errors import CritminError
from critmin.news.dates import first_day
from critmin.news.model import Article, Event

# mineral tokens of the extractor that are not catalogue ids
_TOKEN_TO_CATALOGUE = {
    "lithium_battery_materials": ["lithium"],
    "superhard_materials": ["critical_minerals"],
    "platinum_group_metals": ["platinum_group"],
}
_RESTRICTION_STATUS = {
    "announced": "announced",
    "planned": "planned",
    "in_force": "in_force",
    "lifted": "lifted",
    "suspended": "suspended",
    "expired": "expired",
}
# which registry measures a lifting of a given measure type can relax
_RELAXABLE = {
    "ban": {"ban", "suspension"},
    "suspension": {"ban", "suspension"},
    "licence": {"licence", "other"},
    "quota": {"quota"},
    "export_tax": {"export_tax"},
}
_PARTNERSHIP_STATUS = {
    "signed": "signed",
    "agreed": "agreed",
    "decided": "agreed",
    "adopted": "agreed",
    "launched": "agreed",
    "planned": "announced",
    "announced": "announced",
}


def record_id(event: Event) -> str:
    digest = hashlib.sha1(f"{event.event_type}|{event.evidence}".encode()).hexdigest()[:8]
    return f"news-{event.article_id}-{digest}"


def catalogue_ids(minerals: list[str]) -> list[str]:
    """Extractor mineral tokens → catalogue ids (named rare-earth elements → rare_earths)."""
    from critmin.news.gazetteer import GENERIC, rare_earth_elements
    from critmin.reference import commodities as cat

    out = []
    for m in minerals:
        if m in rare_earth_elements():
            out.append("rare_earths")
        elif m in _TOKEN_TO_CATALOGUE:
            out.extend(_TOKEN_TO_CATALOGUE[m])
        elif m == GENERIC:
            out.append(GENERIC)
        elif m in cat.catalogue():
            out.append(m)
    out = list(dict.fromkeys(out))
    specific = [m for m in out if m != GENERIC]
    return specific or out


def _date_note(label: str, value: str | None, precision: str | None = None) -> str | None:
    if value and len(value) < 10:
        return (
            f"{label} stated to the {'month' if len(value) == 7 else 'year'} ({value}); day set to the first"
        )
    return None


def _notes(event: Event, article: Article, extra: list[str]) -> str:
    parts = [
        f"Proposed by critmin news (rule {event.rule}) from article {article.article_id}"
        + (f" ({article.publisher})" if article.publisher else "")
        + "."
    ]
    if event.date_basis:
        parts.append(f"Date basis: {event.date_basis}.")
    parts += [e for e in extra if e]
    return " ".join(parts)


def restriction_record(event: Event, article: Article, *, relaxes: list[str] | None = None) -> dict | None:
    """The registry record proposed for an export_restriction / restriction_lifted event (None if unusable)."""
    if event.event_type not in ("export_restriction", "restriction_lifted") or not event.initiator:
        return None
    commodities = catalogue_ids(event.minerals)
    if not commodities:
        return None
    notes = [_date_note("date", event.date), _date_note("effective date", event.effective_date)]
    rec = {
        "id": record_id(event),
        "imposer": event.initiator[0],
        "commodities": commodities,
        "hs_codes": event.hs_codes,
        "measure_type": event.measure_type or "other",
        "targets": event.targets,
        "end_uses": event.end_uses,
        "announced_date": first_day(event.date),
        "effective_date": first_day(event.effective_date),
        "end_date": first_day(event.end_date),
        "status": _RESTRICTION_STATUS.get(event.status or "", "announced"),
        **_provenance(event, article),
    }
    if event.event_type == "restriction_lifted":
        if relaxes:
            rec.update(
                measure_type="other",
                relaxes=relaxes,
                end_date=None,
                effective_date=first_day(event.effective_date or event.date),
                status="announced" if event.status == "announced" else "in_force",
            )
            notes.append(f"A relaxation of {', '.join(relaxes)}.")
        else:
            rec.update(
                status="lifted", end_date=first_day(event.effective_date or event.date), effective_date=None
            )
            notes.append(
                "The lifting of a measure not (yet) in the registry; end_date = when the lifting applies."
            )
    rec["notes"] = _notes(event, article, notes)
    return rec


def partnership_record(event: Event, article: Article) -> dict | None:
    """The partnerships record proposed for an agreement / partnership_upgrade event (None if unusable)."""
    if event.event_type not in ("agreement", "partnership_upgrade"):
        return None
    parties = event.actors
    if len(parties) < 2:
        return None
    level = event.level if event.event_type == "partnership_upgrade" else (event.measure_type or "agreement")
    minerals = catalogue_ids(event.minerals)
    rec = {
        "id": record_id(event),
        "parties": parties,
        "kind": "bilateral" if len(parties) == 2 else "plurilateral",
        "level": level or "partnership",
        "previous_level": event.previous_level,
        "minerals": minerals,
        "date": first_day(event.date),
        "status": _PARTNERSHIP_STATUS.get(event.status or "", "agreed"),
        **_provenance(event, article),
        "notes": _notes(event, article, [_date_note("date", event.date)]),
    }
    return rec


def _provenance(event: Event, article: Article) -> dict:
    """The fields every proposed record carries: title, where it comes from, unreviewed."""
    return {
        "title": (event.measure or event.event_type)[:200],
        "source_url": article.url,
        "source": "news",
        "reviewed": False,
        "evidence": event.evidence,
        "article_id": article.article_id,
    }


def _same_level(a: str | None, b: str | None) -> bool:
    norm = lambda s: " ".join((s or "").lower().replace("-", " ").split())  # noqa: E731
    return norm(a) == norm(b)


def corroborated_restrictions(store, rec: dict) -> list[str]:
    """Ids of reviewed registry records that the proposed record restates."""
    from critmin.scenarios import registry

    out = []
    for r in registry.all_records(store):
        if not r["reviewed"] or r["status"] == registry.REJECTED or r.get("relaxes") or r["id"] == rec["id"]:
            continue
        if r["imposer"] != rec["imposer"] or not set(r["commodities"]) & set(rec["commodities"]):
            continue
        dates = {r["announced_date"], r["effective_date"]} - {None}
        mine = {rec.get("announced_date"), rec.get("effective_date")} - {None}
        if (dates & mine) or (not mine and r["measure_type"] == rec["measure_type"]):
            out.append(r["id"])
    return out


def _year_before(day: str) -> str:
    return (dt.date.fromisoformat(day[:10]) - dt.timedelta(days=365)).isoformat()


def relaxed_restrictions(store, event: Event, commodities: list[str]) -> list[str]:
    """Registry measures (any review state) that a restriction_lifted event relaxes."""
    from critmin.scenarios import registry

    day = first_day(event.effective_date or event.date)
    kinds = _RELAXABLE.get(event.measure_type or "other", set(registry.MEASURE_TYPES) - {"quota"})
    out = []
    for r in registry.all_records(store):
        if (
            not r["reviewed"]
            or r["status"] == registry.REJECTED
            or r.get("relaxes")
            or r["imposer"] != event.initiator[0]
        ):
            continue
        if r["measure_type"] not in kinds:
            continue
        if not set(r["commodities"]) & set(commodities):
            continue
        if day and r["effective_date"] and r["effective_date"] > day:
            continue
        if day and r["end_date"] and r["end_date"] < _year_before(day):
            # it stopped applying long before (e.g. the 2010-2015 rare-earth quotas): not what a later
            # relaxation relaxes; a record ended by this very relaxation ends within days of the report
            continue
        if event.targets and r["targets"] and not set(event.targets) & set(r["targets"]):
            continue
        out.append(r["id"])
    return out


def corroborated_partnerships(store, rec: dict) -> list[str]:
    from critmin.reference import partnerships as pt

    out = []
    for r in pt.records(store):
        if not r["reviewed"] or r["id"] == rec["id"]:
            continue
        if set(r["parties"]) != set(rec["parties"]) and set(r["parties"]) != {
            _bloc(p) for p in rec["parties"]
        }:
            continue
        if _same_level(r["level"], rec["level"]) and (
            not rec["date"] or not r["date"] or r["date"][:4] == rec["date"][:4]
        ):
            out.append(r["id"])
    return out


def _bloc(code: str) -> str:
    return "EU27" if code == "EUU" else code


def link_events(store, events: list[Event], article: Article) -> list[dict]:
    """Propose records for the events; returns one ``{event_id, table, id, note}`` per event linked or not."""
    out = []
    for ev in events:
        try:
            out.append(_link_one(store, ev, article))
        except CritminError as exc:  # a record the registry will not take (e.g. imposer EUU) stays unlinked
            out.append({"event_id": ev.event_id, "table": None, "id": None, "note": f"not linked: {exc}"})
    return out


def _link_one(store, ev: Event, article: Article) -> dict:
    if ev.event_type in ("export_restriction", "restriction_lifted"):
        from critmin.scenarios import registry

        relaxes = None
        if ev.event_type == "restriction_lifted" and ev.initiator:
            relaxes = relaxed_restrictions(store, ev, catalogue_ids(ev.minerals)) or None
        rec = restriction_record(ev, article, relaxes=relaxes)
        if rec is None:
            return {
                "event_id": ev.event_id,
                "table": None,
                "id": None,
                "note": "not linked: no imposer or commodity",
            }
        same = corroborated_restrictions(store, rec) if ev.event_type == "export_restriction" else []
        note = f"corroborates {', '.join(same)}" if same else "new proposal"
        if same:
            rec["notes"] += f" Restates reviewed record(s) {', '.join(same)}."
        rid = registry.add_restriction(store, rec)
        return {"event_id": ev.event_id, "table": "restrictions", "id": rid, "note": note}
    if ev.event_type in ("agreement", "partnership_upgrade"):
        from critmin.reference import partnerships as pt

        rec = partnership_record(ev, article)
        if rec is None:
            return {
                "event_id": ev.event_id,
                "table": None,
                "id": None,
                "note": "not linked: fewer than two parties",
            }
        same = corroborated_partnerships(store, rec)
        note = f"corroborates {', '.join(same)}" if same else "new proposal"
        if same:
            rec["notes"] += f" Restates reviewed record(s) {', '.join(same)}."
        pid = pt.add_partnership(store, rec)
        return {"event_id": ev.event_id, "table": "partnerships", "id": pid, "note": note}
    return {"event_id": ev.event_id, "table": None, "id": None, "note": None}


def review(store, ident: str, accepted: bool) -> dict:
    """Accept or reject one event (by event id or by the id of the record it was linked to).

    Accepting marks the linked registry/partnerships record reviewed; rejecting gives it status 'rejected' so
    no query returns it. The event's ``review_status`` is updated either way. Returns the event row.
    """
    from critmin.errors import UnknownValueError
    from critmin.news import store as news_store

    df = news_store.events(store)
    hit = df[(df["event_id"] == ident) | (df["linked_id"] == ident)]
    if hit.empty:
        hit = df[df["event_id"].str.startswith(ident)] if ident else hit
    if len(hit) != 1:
        raise UnknownValueError(
            "news event id",
            ident,
            list(df["event_id"]) + [i for i in df["linked_id"] if i],
            hint="ambiguous" if len(hit) > 1 else None,
        )
    row = hit.iloc[0].to_dict()
    if row["linked_table"] == "restrictions":
        from critmin.scenarios import registry

        registry.review_restriction(news_store._writable(store), row["linked_id"], accepted)
    elif row["linked_table"] == "partnerships":
        from critmin.reference import partnerships as pt

        pt.review_partnership(news_store._writable(store), row["linked_id"], accepted)
    news_store.set_review_status(store, row["event_id"], "accepted" if accepted else "rejected")
    row["review_status"] = "accepted" if accepted else "rejected"
    return row
