"""Critical-minerals partnerships: who has agreed what with whom, at which level, since when.

The table has two layers:

* the **seed** — ``partnerships.yaml`` shipped with the package (hand-compiled, each record with its
  source URL and, where possible, the exact sentence that evidences it);
* the **store** — a ``partnerships`` table in the user's DuckDB store, written by :func:`add_partnership`,
  :func:`import_partnerships`, :func:`review_partnership` (the CLI's ``critmin partnerships ...``) and by the
  news pipeline. A store row overrides the seed row with the same ``id``.

Record fields (cross-team contract 2): ``id, parties, kind, level, previous_level, minerals, date, end_date,
status, title, source_url, source, reviewed, notes, evidence, article_id``. ``parties`` are ISO3 codes; a
bloc code (``EU27``) stands for the bloc as one party (the EU's raw-materials partnerships). A level change
(Japan–Italy "strategic" → "special strategic") is a new record whose ``previous_level`` names the old level;
the old record ends (``end_date``) on the day of the upgrade, so ``partnerships(as_of=day)`` returns the
level in force on that day.

>>> from critmin.reference import partnerships as pt
>>> pt.partnerships(country="ITA", as_of="2026-02-01")[["id", "level"]]     # doctest: +SKIP
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import functools
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from critmin.errors import DataError, UnknownValueError
from critmin.yamldoc import record_lines

FIELDS = (
    "id",
    "parties",
    "kind",
    "level",
    "previous_level",
    "minerals",
    "date",
    "end_date",
    "status",
    "title",
    "source_url",
    "source",
    "reviewed",
    "notes",
    "evidence",
    "article_id",
)
STATUSES = ("announced", "agreed", "signed", "in_force", "ended")
REJECTED = "rejected"  # set by review_partnership(accepted=False); such records are never returned
KINDS = ("bilateral", "plurilateral")
SOURCES = ("seed", "user", "news")
ALL_MINERALS = "critical_minerals"
TABLE = "partnerships"
DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    id VARCHAR PRIMARY KEY, parties VARCHAR[], kind VARCHAR, level VARCHAR, previous_level VARCHAR,
    minerals VARCHAR[], date VARCHAR, end_date VARCHAR, status VARCHAR, title VARCHAR, source_url VARCHAR,
    source VARCHAR, reviewed BOOLEAN, notes VARCHAR, evidence VARCHAR, article_id VARCHAR, updated_at VARCHAR)"""
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- validation -------------------------------------------------------------------------------------------
def _party_code(token: str) -> str:
    """ISO3 of a country, or the canonical code of a built-in bloc acting as one party (EU27)."""
    from critmin.reference import blocs, countries

    t = str(token).strip()
    bloc = blocs.canonical(t)
    if bloc is not None:
        return bloc
    return countries.resolve(t)


def _mineral_id(name: str) -> str:
    from critmin.reference import commodities as cat

    key = str(name).strip()
    if key.lower().replace(" ", "_") in (ALL_MINERALS, "all", "critical_raw_materials"):
        return ALL_MINERALS
    return cat.get(key).id


def _iso_date(value: Any, field: str, where: dict) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if not _DATE_RE.match(text):
        raise DataError(f"{field} must be an ISO date YYYY-MM-DD, got {value!r}", field=field, **where)
    try:
        dt.date.fromisoformat(text)
    except ValueError as exc:
        raise DataError(f"{field} {value!r} is not a valid date: {exc}", field=field, **where) from None
    return text


def _as_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[;,+]", value) if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _bool(value: Any, field: str, where: dict) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "y"):
        return True
    if text in ("false", "no", "0", "n", ""):
        return False
    raise DataError(f"{field} must be true or false, got {value!r}", field=field, **where)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower()


def make_id(parties: list[str], level: str, date: str | None) -> str:
    """Default id: parties in the given order, the level and the year, e.g. ``JPN-ITA-special-strategic-2026``."""
    return "-".join([*parties, slug(level), (date or "undated")[:4]])


def validate(record: dict, *, path: str | None = None, line: int | None = None) -> dict:
    """Check and normalise one record; raise :class:`DataError` naming the file, line and field at fault.

    Countries may be given by name or code (``Japan`` → JPN), minerals by any catalogue alias
    (``REE`` → rare_earths), ``kind`` defaults from the number of parties, ``source`` to 'user', ``reviewed``
    to True except for records from the news pipeline, ``id`` to :func:`make_id`.
    """
    where = {"path": path, "line": line}
    if not isinstance(record, dict):
        raise DataError(f"a partnership record is a mapping of fields, got {type(record).__name__}", **where)
    unknown = sorted(set(record) - set(FIELDS) - {"updated_at"})
    if unknown:
        from critmin.errors import close_matches

        hints = {u: close_matches(u, FIELDS) for u in unknown}
        text = ", ".join(f"{u!r}" + (f" (did you mean {hints[u][0]}?)" if hints[u] else "") for u in unknown)
        raise DataError(
            f"unknown field(s) {text}; fields are: {', '.join(FIELDS)}", field=unknown[0], **where
        )
    out: dict[str, Any] = {}
    raw_parties = _as_list(record.get("parties"))
    if len(raw_parties) < 2:
        raise DataError(
            f"parties must list at least two countries (or blocs), got {raw_parties}",
            field="parties",
            **where,
        )
    parties = []
    for token in raw_parties:
        try:
            code = _party_code(token)
        except UnknownValueError as exc:
            raise DataError(str(exc), field="parties", **where) from None
        if code not in parties:
            parties.append(code)
    if len(parties) < 2:
        raise DataError(
            f"parties must name at least two different parties, got {raw_parties}", field="parties", **where
        )
    out["parties"] = parties
    kind = _text(record.get("kind")) or ("bilateral" if len(parties) == 2 else "plurilateral")
    if kind not in KINDS:
        raise UnknownValueError("partnership kind", kind, KINDS)
    if kind == "bilateral" and len(parties) != 2:
        raise DataError(
            f"a bilateral partnership has exactly 2 parties, got {len(parties)}: {parties}",
            field="kind",
            **where,
        )
    out["kind"] = kind
    level = _text(record.get("level"))
    if not level:
        raise DataError("level is required (e.g. 'strategic', 'framework', 'MoU')", field="level", **where)
    out["level"] = level
    out["previous_level"] = _text(record.get("previous_level"))
    minerals = []
    for m in _as_list(record.get("minerals")):
        try:
            mid = _mineral_id(m)
        except UnknownValueError as exc:
            raise DataError(f"{exc} (or '{ALL_MINERALS}')", field="minerals", **where) from None
        if mid not in minerals:
            minerals.append(mid)
    out["minerals"] = minerals
    out["date"] = _iso_date(record.get("date"), "date", where)
    out["end_date"] = _iso_date(record.get("end_date"), "end_date", where)
    if out["date"] and out["end_date"] and out["end_date"] < out["date"]:
        raise DataError(f"end_date {out['end_date']} is before date {out['date']}", field="end_date", **where)
    status = _text(record.get("status")) or "signed"
    status = status.lower().replace(" ", "_").replace("-", "_")
    if status not in (*STATUSES, REJECTED):
        try:
            raise UnknownValueError("partnership status", status, STATUSES)
        except UnknownValueError as exc:
            raise DataError(str(exc), field="status", **where) from None
    out["status"] = status
    out["title"] = _text(record.get("title"))
    out["source_url"] = _text(record.get("source_url"))
    source = _text(record.get("source")) or "user"
    if source not in SOURCES:
        try:
            raise UnknownValueError("partnership source", source, SOURCES)
        except UnknownValueError as exc:
            raise DataError(str(exc), field="source", **where) from None
    out["source"] = source
    reviewed = record.get("reviewed")
    out["reviewed"] = (source != "news") if reviewed is None else _bool(reviewed, "reviewed", where)
    out["notes"] = _text(record.get("notes"))
    out["evidence"] = _text(record.get("evidence"))
    out["article_id"] = _text(record.get("article_id"))
    out["id"] = _text(record.get("id")) or make_id(parties, level, out["date"])
    return {k: out[k] for k in FIELDS}


# -- the seed ---------------------------------------------------------------------------------------------
def parse_yaml(text: str, path: str) -> list[dict]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DataError(f"cannot parse YAML: {exc}", path=path) from None
    if isinstance(data, dict):
        data = data.get("partnerships")
    if not isinstance(data, list):
        raise DataError(
            "expected a list of partnership records (or a mapping with a 'partnerships' list)", path=path
        )
    lines = record_lines(text, "partnerships")  # parsed above: the text is YAML
    out = []
    for i, rec in enumerate(data):
        out.append(validate(rec, path=path, line=lines[i] if i < len(lines) else None))
    return out


@functools.cache
def _seed() -> tuple[dict, ...]:
    text = resources.files("critmin.reference").joinpath("partnerships.yaml").read_text(encoding="utf-8")
    records = parse_yaml(text, "partnerships.yaml")
    for r in records:
        r["source"] = "seed"
    ids = [r["id"] for r in records]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise DataError(f"duplicate ids in the seed: {dup}", path="partnerships.yaml", field="id")
    return tuple(records)


def seed() -> list[dict]:
    """The records shipped with critmin (validated; copies, safe to modify)."""
    return copy.deepcopy(list(_seed()))


# -- the store --------------------------------------------------------------------------------------------
def _as_store(ds_or_store, *, write: bool = False):
    from critmin.store import as_store

    return as_store(ds_or_store)


def _store_records(store) -> list[dict]:
    con = store.con
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [TABLE]
    ).fetchall()[0][0]
    if not exists:
        return []
    rows = con.execute(f"SELECT {', '.join(FIELDS)} FROM {TABLE}").fetchall()
    out = []
    for row in rows:
        rec = dict(zip(FIELDS, row, strict=True))
        rec["parties"] = [str(p) for p in rec["parties"] or []]
        rec["minerals"] = [str(m) for m in rec["minerals"] or []]
        rec["reviewed"] = bool(rec["reviewed"])
        out.append(rec)
    return out


def records(ds_or_store=None, *, include_rejected: bool = False) -> list[dict]:
    """Seed records overridden by store records with the same id, plus the store's own records."""
    store = _as_store(ds_or_store)
    merged = {r["id"]: r for r in seed()}
    for r in _store_records(store):
        merged[r["id"]] = r
    out = list(merged.values())
    if not include_rejected:
        out = [r for r in out if r["status"] != REJECTED]
    return out


def _day(value) -> str:
    if value is None:
        return dt.date.today().isoformat()
    if isinstance(value, int):
        return f"{value}-12-31"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        return f"{text}-12-31"
    return _iso_date(text, "as_of", {})


def _active(r: dict, day: str) -> bool:
    if r["date"] and r["date"] > day:
        return False
    if r["end_date"]:
        return r["end_date"] > day
    return r["status"] != "ended"


def partnerships(
    ds_or_store=None,
    *,
    country: str | None = None,
    as_of=None,
    include_unreviewed: bool = False,
    mineral: str | None = None,
) -> pd.DataFrame:
    """The partnerships table: one row per record, the contract fields plus ``active`` and ``via``.

    * ``country``: records where the country is a party, directly or through a bloc it belongs to on the
      day (``via`` names the bloc, e.g. ITA via EU27).
    * ``as_of``: only records in force on that day (a date, an ISO string, or a year = 31 December):
      dated on or before it and not ended (``end_date`` after it). Without it every record is returned and
      ``active`` tells which are in force today.
    * ``include_unreviewed``: also records not yet reviewed (news-extracted ones). Rejected records are
      never returned.
    * ``mineral``: records covering the mineral (listed, ``critical_minerals``, or general partnerships).
    """
    from critmin.reference import blocs, countries

    day = _day(as_of)
    rows = [r for r in records(ds_or_store) if include_unreviewed or r["reviewed"]]
    for r in rows:
        r["active"] = _active(r, day)
        r["via"] = None
    if as_of is not None:
        rows = [r for r in rows if r["active"]]
    if country is not None:
        iso = countries.resolve(country)
        kept = []
        for r in rows:
            if iso in r["parties"]:
                kept.append(r)
                continue
            for p in r["parties"]:
                if blocs.canonical(p) and iso in blocs.members(p, r["date"] if as_of is None else day):
                    r["via"] = p
                    kept.append(r)
                    break
        rows = kept
    if mineral is not None:
        mid = _mineral_id(mineral)
        rows = [r for r in rows if not r["minerals"] or ALL_MINERALS in r["minerals"] or mid in r["minerals"]]
    df = pd.DataFrame(rows, columns=[*FIELDS, "active", "via"])
    df = df.sort_values(["date", "id"], na_position="last").reset_index(drop=True)
    df["reviewed"] = df["reviewed"].astype(bool)
    df["active"] = df["active"].astype(bool)
    return df


def _find(store, record: dict) -> dict | None:
    """The existing record a new one updates: same id, or same (source, article_id, evidence)."""
    existing = records(store, include_rejected=True)
    by_id = {r["id"]: r for r in existing}
    if record.get("id") and record["id"] in by_id:
        return by_id[record["id"]]
    if record.get("article_id") and record.get("evidence"):
        for r in existing:
            if (r["source"], r["article_id"], r["evidence"]) == (
                record.get("source", "user"),
                record["article_id"],
                record["evidence"],
            ):
                return r
    return None


def _write(store, recs: list[dict]) -> None:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with store.transaction() as con:
        con.execute(DDL)
        for r in recs:
            con.execute(
                f"INSERT OR REPLACE INTO {TABLE} VALUES ({', '.join('?' * (len(FIELDS) + 1))})",
                [r[k] for k in FIELDS] + [now],
            )


def add_partnership(store, record: dict) -> str:
    """Add (or update) one partnership in the store; returns its id.

    Idempotent: a record with the id of an existing one (seed or store), or with the same
    (source, article_id, evidence) as one the news pipeline added before, updates that record — fields
    given replace the old ones, fields left out keep their values — instead of adding a duplicate.
    """
    st = _as_store(store)
    if not isinstance(record, dict):
        raise DataError(f"a partnership record is a mapping of fields, got {type(record).__name__}")
    old = _find(st, record)
    if old is not None:
        merged = {k: v for k, v in old.items() if k in FIELDS}
        if merged.get("source") == "seed":
            merged["source"] = record.get("source") or "user"
        merged.update({k: v for k, v in record.items() if v is not None})
        rec = validate(merged)
    else:
        rec = validate(record)
    _write(st, [rec])
    return rec["id"]


def import_partnerships(store, path: str | Path) -> list[str]:
    """Add every record of a YAML file (a list, or ``partnerships:`` list) or a CSV file (one record per row;
    ``parties``/``minerals`` separated by ``;``). All-or-nothing: one bad row and nothing is written."""
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", path=str(path))
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        recs = []
        for i, row in enumerate(reader, start=2):
            row = {k.strip(): (v if v is None else v.strip()) for k, v in row.items() if k}
            row = {k: v for k, v in row.items() if v not in (None, "")}
            recs.append(validate(row, path=str(path), line=i))
    elif path.suffix.lower() in (".yaml", ".yml"):
        recs = parse_yaml(text, str(path))
    else:
        raise DataError("expected a .yaml, .yml or .csv file", path=str(path))
    st = _as_store(store)
    ids = [r["id"] for r in recs]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise DataError(f"duplicate ids in the file: {dup}", path=str(path), field="id")
    _write(st, recs)
    return ids


def export_partnerships(ds_or_store, path: str | Path, **filters) -> int:
    """Write the current table (seed + store, filtered like :func:`partnerships`) to an editable YAML file."""
    df = partnerships(ds_or_store, **filters)
    recs = []
    for r in df[list(FIELDS)].to_dict("records"):
        recs.append(
            {
                k: (list(v) if isinstance(v, list | tuple) else v)
                for k, v in r.items()
                if v is not None and not (isinstance(v, float) and pd.isna(v))
            }
        )
    Path(path).write_text(
        yaml.safe_dump({"partnerships": recs}, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return len(recs)


def review_partnership(store, id: str, accepted: bool) -> None:
    """Accept (reviewed=True) or reject (status 'rejected', never returned again) a record by id."""
    st = _as_store(store)
    existing = {r["id"]: r for r in records(st, include_rejected=True)}
    if id not in existing:
        raise UnknownValueError("partnership id", id, list(existing))
    rec = {k: existing[id][k] for k in FIELDS}
    rec["reviewed"] = True
    if not accepted:
        rec["status"] = REJECTED
    _write(st, [validate(rec)])


__all__ = [
    "FIELDS",
    "STATUSES",
    "add_partnership",
    "export_partnerships",
    "import_partnerships",
    "make_id",
    "partnerships",
    "records",
    "review_partnership",
    "seed",
    "validate",
]
