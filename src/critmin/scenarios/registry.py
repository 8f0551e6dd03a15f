"""The export-restriction registry: dated, cited export measures on critical minerals.

Records come from two places (contract 1 of the project):

* the seed file ``restrictions.yaml`` shipped with the package (China 2023–2026, Indonesia's nickel-ore ban,
  the DRC cobalt suspension and quotas), and
* the store's ``restrictions`` table (records added by users, imported from a YAML/CSV file, or proposed by the
  news pipeline). A store row overrides the seed row with the same ``id``.

Each record has the fields in :data:`FIELDS`. ``end_date`` is the first day a measure no longer applied
(suspension, lifting, replacement). A record whose ``relaxes`` lists other ids is a *relaxation* (e.g. China's
November 2025 suspensions); relaxations are left out of :func:`restrictions` unless ``relaxations=True``, so
every row a caller gets by default is a restrictive measure.

>>> from critmin.scenarios.registry import restrictions
>>> restrictions(in_force="2025-06-01", imposer="CHN")          # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from critmin import dates
from critmin.errors import DataError, UnknownValueError
from critmin.yamldoc import LOADER, record_lines

if TYPE_CHECKING:  # pragma: no cover - pandas is imported where a frame is built (keeps CLI start-up short)
    import pandas as pd

_LOADER = LOADER  # libyaml's when present: the seed is parsed on every command that looks at restrictions
MEASURE_TYPES = ("licence", "ban", "quota", "export_tax", "suspension", "other")
STATUSES = ("announced", "planned", "in_force", "suspended", "lifted", "expired")
REJECTED = "rejected"
SOURCES = ("seed", "user", "news")
ALL_COMMODITIES = "critical_minerals"
# Statuses that mean a measure stopped applying; without an end_date we cannot say when, so such a record
# is never counted as in force.
ENDED = ("suspended", "lifted", "expired")

FIELDS = (
    "id",
    "imposer",
    "commodities",
    "hs_codes",
    "measure_type",
    "targets",
    "end_uses",
    "announced_date",
    "effective_date",
    "end_date",
    "status",
    "title",
    "legal_reference",
    "source_url",
    "source",
    "reviewed",
    "notes",
    "evidence",
    "article_id",
    "relaxes",
)
LIST_FIELDS = ("commodities", "hs_codes", "targets", "relaxes")
DATE_FIELDS = ("announced_date", "effective_date", "end_date")
TEXT_FIELDS = ("end_uses", "title", "legal_reference", "source_url", "notes", "evidence", "article_id")

TABLE = "restrictions"
DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    id VARCHAR PRIMARY KEY, imposer VARCHAR, commodities VARCHAR[], hs_codes VARCHAR[], measure_type VARCHAR,
    targets VARCHAR[], end_uses VARCHAR, announced_date VARCHAR, effective_date VARCHAR, end_date VARCHAR,
    status VARCHAR, title VARCHAR, legal_reference VARCHAR, source_url VARCHAR, source VARCHAR,
    reviewed BOOLEAN, notes VARCHAR, evidence VARCHAR, article_id VARCHAR, relaxes VARCHAR[],
    updated_at VARCHAR)"""


# -- validation -------------------------------------------------------------------------------------------
def _where(path, line, field):
    return {"path": str(path) if path else None, "line": line, "field": field}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, float) and value != value:
        return []
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("["):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                value = value.strip("[]")
        if isinstance(value, str):
            return [p.strip().strip("'\"") for p in re.split(r"[;,|]", value) if p.strip().strip("'\"")]
    if hasattr(value, "tolist"):
        value = value.tolist()
    return [str(v).strip() for v in value if v is not None and str(v).strip()]


def _as_date(value: Any, field: str, where: dict) -> str | None:
    """A record's date as ISO text (None when missing); a bad one is a DataError naming the row and field."""
    try:
        d = dates.day(value, field)
    except UnknownValueError:
        raise DataError(
            f"{field} {str(value).strip()!r} is not an ISO date (YYYY-MM-DD)", **_where(**where, field=field)
        ) from None
    return None if d is None else d.isoformat()


def _as_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _as_bool(value: Any, default: bool) -> bool:
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return default
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("true", "yes", "1", "y"):
            return True
        if v in ("false", "no", "0", "n"):
            return False
        raise ValueError(value)
    return bool(value)


def _country(text: str, field: str, where: dict) -> str:
    from critmin.reference import countries

    try:
        return countries.resolve(text)
    except UnknownValueError as exc:
        raise DataError(str(exc), **_where(**where, field=field)) from None


def _commodity(text: str, where: dict) -> str:
    from critmin.reference import commodities as cat

    if text.strip().lower().replace(" ", "_") == ALL_COMMODITIES:
        return ALL_COMMODITIES
    try:
        return cat.get(text).id
    except UnknownValueError as exc:
        raise DataError(
            f"{exc} (or '{ALL_COMMODITIES}' for all)", **_where(**where, field="commodities")
        ) from None


def _choice(value: Any, choices: Iterable[str], field: str, where: dict, default: str | None = None) -> str:
    text = _as_text(value)
    if text is None:
        if default is None:
            raise DataError(
                f"{field} is required (one of {', '.join(choices)})", **_where(**where, field=field)
            )
        return default
    norm = text.lower().replace(" ", "_").replace("-", "_")
    norm = {
        "license": "licence",
        "licensing": "licence",
        "in_effect": "in_force",
        "export_ban": "ban",
        "tax": "export_tax",
        "duty": "export_tax",
        "export_duty": "export_tax",
    }.get(norm, norm)
    if norm not in choices:
        exc = UnknownValueError(field, text, choices)
        raise DataError(str(exc), **_where(**where, field=field))
    return norm


def make_id(imposer: str, date: str | None, measure_type: str, commodities: list[str]) -> str:
    """Deterministic id from imposer + date + measure type + commodities (e.g. ``CHN-2023-12-01-licence-graphite``)."""
    comm = "+".join(sorted(commodities)) if commodities else "unspecified"
    return f"{imposer}-{date or 'undated'}-{measure_type}-{comm}"


def validate(
    record: dict, *, path: str | Path | None = None, line: int | None = None, default_source: str = "user"
) -> dict:
    """Check and normalise one record; raises :class:`DataError` naming the file/line/field at fault.

    ISO3 codes and commodity ids are resolved from names ('Japan' → JPN, 'rare earths' → rare_earths);
    list fields accept lists or ``;``/``,``-separated strings; dates become ``YYYY-MM-DD`` strings.
    """
    where = {"path": path, "line": line}
    if not isinstance(record, dict):
        raise DataError(
            f"a record must be a mapping, got {type(record).__name__}", **_where(**where, field=None)
        )
    unknown = sorted(set(record) - set(FIELDS) - {"updated_at"})
    if unknown:
        exc = UnknownValueError("restriction field", unknown[0], FIELDS)
        raise DataError(str(exc), **_where(**where, field=unknown[0]))
    imposer_text = _as_text(record.get("imposer"))
    if imposer_text is None:
        raise DataError("imposer (ISO3 country) is required", **_where(**where, field="imposer"))
    out: dict[str, Any] = {"imposer": _country(imposer_text, "imposer", where)}
    out["commodities"] = list(
        dict.fromkeys(_commodity(c, where) for c in _as_list(record.get("commodities")))
    )
    out["hs_codes"] = [re.sub(r"[.\s]", "", h) for h in _as_list(record.get("hs_codes"))]
    for h in out["hs_codes"]:
        if not h.isdigit():
            raise DataError(f"HS code {h!r} is not numeric", **_where(**where, field="hs_codes"))
    out["measure_type"] = _choice(record.get("measure_type"), MEASURE_TYPES, "measure_type", where)
    out["targets"] = list(
        dict.fromkeys(_country(t, "targets", where) for t in _as_list(record.get("targets")))
    )
    for f in DATE_FIELDS:
        out[f] = _as_date(record.get(f), f, where)
    status = _as_text(record.get("status"))
    if status is not None and status.lower() == REJECTED:
        out["status"] = REJECTED
    else:
        out["status"] = _choice(
            status, STATUSES, "status", where, default="in_force" if out["effective_date"] else "announced"
        )
    out["source"] = _choice(record.get("source"), SOURCES, "source", where, default=default_source)
    try:
        out["reviewed"] = _as_bool(record.get("reviewed"), default=out["source"] != "news")
    except ValueError:
        raise DataError(
            f"reviewed {record.get('reviewed')!r} is not true/false", **_where(**where, field="reviewed")
        ) from None
    for f in TEXT_FIELDS:
        out[f] = _as_text(record.get(f))
    out["relaxes"] = _as_list(record.get("relaxes"))
    if (
        out["effective_date"]
        and out["end_date"]
        and out["end_date"] < out["effective_date"]
        and out["status"] not in (*ENDED, REJECTED)
    ):
        raise DataError(
            f"end_date {out['end_date']} is before effective_date {out['effective_date']} "
            "(allowed only for a measure suspended/lifted before it took effect)",
            **_where(**where, field="end_date"),
        )
    rid = _as_text(record.get("id"))
    out["id"] = rid or make_id(
        out["imposer"],
        out["effective_date"] or out["announced_date"],
        out["measure_type"],
        out["commodities"],
    )
    return {f: out[f] for f in FIELDS}


# -- seed and store ---------------------------------------------------------------------------------------
def _load_yaml(text: str, path: str, default_source: str) -> list[dict]:
    try:
        data = yaml.load(text, Loader=_LOADER)
        lines = record_lines(text, "restrictions")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(f"invalid YAML: {exc}", path=path, line=mark.line + 1 if mark else None) from None
    if data is None:
        return []
    if isinstance(data, dict) and "restrictions" in data:
        data = data["restrictions"]
    if not isinstance(data, list):
        raise DataError("expected a list of records (or a mapping with a 'restrictions' list)", path=path)
    records, seen = [], set()
    for i, rec in enumerate(data):
        line = lines[i] if i < len(lines) else None
        r = validate(rec, path=path, line=line, default_source=default_source)
        if r["id"] in seen:
            raise DataError(f"duplicate id {r['id']!r}", path=path, line=line, field="id")
        seen.add(r["id"])
        records.append(r)
    return records


@functools.cache
def _seed_cached() -> tuple[dict, ...]:
    text = resources.files("critmin.scenarios").joinpath("restrictions.yaml").read_text(encoding="utf-8")
    return tuple(_load_yaml(text, "restrictions.yaml", default_source="seed"))


def seed_records() -> list[dict]:
    """The records of the packaged seed file (validated), as fresh dicts."""
    return [dict(r, **{f: list(r[f]) for f in LIST_FIELDS}) for r in _seed_cached()]


def read_file(path: str | Path, *, default_source: str = "user") -> list[dict]:
    """Read and validate records from a YAML (``.yaml``/``.yml``), JSON or CSV file.

    CSV: one row per record, header = field names; list fields separated by ``;``. Errors name the file,
    line and field.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", path=str(path))
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _load_yaml(path.read_text(encoding="utf-8"), str(path), default_source)
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"invalid JSON: {exc.msg}", path=str(path), line=exc.lineno) from None
        if isinstance(data, dict):
            data = data.get("restrictions", [data])
        return [validate(r, path=path, line=None, default_source=default_source) for r in data]
    if suffix == ".csv":
        import pandas as pd

        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise DataError(f"invalid CSV: {exc}", path=str(path)) from None
        from critmin.untrusted import csv_text

        out = []
        for i, row in enumerate(df.to_dict("records")):
            # cells critmin's export neutralised for spreadsheets ("'=...") come back as they were
            rec = {k: (csv_text(v) if v != "" else None) for k, v in row.items()}
            out.append(validate(rec, path=path, line=i + 2, default_source=default_source))
        return out
    raise DataError(f"unsupported file type {suffix!r} (use .yaml, .yml, .json or .csv)", path=str(path))


def _resolve_store(ds_or_store):
    """(store or None). None → the default store if its file exists, else seed only."""
    from critmin.store import as_store

    return as_store(ds_or_store, only_existing=True)


def _table_exists(con) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [TABLE]
    ).fetchall()
    return bool(row and row[0][0])


def store_records(store) -> list[dict]:
    """Rows of the store's ``restrictions`` table (empty when the table does not exist yet)."""
    con = store.con
    if not _table_exists(con):
        return []
    rows = con.execute(f"SELECT {', '.join(FIELDS)} FROM {TABLE}").fetchall()
    recs = [dict(zip(FIELDS, row, strict=True)) for row in rows]
    for r in recs:
        for f in LIST_FIELDS:
            r[f] = _as_list(r[f])
        for f in TEXT_FIELDS + DATE_FIELDS:
            r[f] = _as_text(r[f])
        r["reviewed"] = bool(r["reviewed"])
    return recs


def all_records(ds_or_store=None) -> list[dict]:
    """Seed records overlaid by store records (same id → store wins), seed order first."""
    store = _resolve_store(ds_or_store)
    merged = {r["id"]: r for r in seed_records()}
    if store is not None:
        for r in store_records(store):
            merged[r["id"]] = r
    return list(merged.values())


# -- queries ----------------------------------------------------------------------------------------------
def _iso(value) -> str:
    d = dates.day(value)
    if d is None:
        raise UnknownValueError("date", value, hint="use YYYY-MM-DD")
    return d.isoformat()


def is_in_force(record: dict, on: str | dt.date) -> bool:
    """Whether a record applied on date ``on``: effective_date ≤ on < end_date, and not rejected.

    A record with status suspended/lifted/expired but no end_date is never counted (we cannot tell when it
    stopped); an announced/planned record counts once its effective date has passed.
    """
    day = _iso(on)
    if record["status"] == REJECTED or not record["effective_date"]:
        return False
    if record["effective_date"] > day:
        return False
    if record["end_date"]:
        return day < record["end_date"]
    return record["status"] not in ENDED


def controlled_minerals(records: Iterable[dict], imposer: str) -> set[str]:
    """The minerals whose items ``imposer`` controls, as far as the registry knows: the minerals named by its
    restrictive measures among ``records`` (pass the measures in force on a date).

    A measure on 'all dual-use items' (commodities ``critical_minerals``, e.g. China's bans to US and Japanese
    military end users, MOFCOM Ann. 46 [2024] clause 1 and Ann. 1 [2026]) reaches a mineral only through the
    items on the imposer's dual-use control list; China's list carries the minerals of its own licence
    measures (gallium, graphite, antimony, ...), not copper ore or platinum. Relaxations name no controlled
    mineral."""
    return {
        c
        for r in records
        if r["imposer"] == imposer and not r.get("relaxes")
        for c in r["commodities"]
        if c != ALL_COMMODITIES
    }


def lapsed_relaxations(records: Iterable[dict], on: str | dt.date, within_days: int = 730) -> list[dict]:
    """Relaxations (suspensions) whose stated term ended on or before ``on`` — at most ``within_days`` before
    it — each with ``suspended``: the records it suspended.

    A suspension 'until 10 Nov 2026' that has run out leaves the registry unable to say whether the measures
    came back or the suspension was renewed: the measures it suspended keep their end_date (the day the
    suspension began) and are not in force by :func:`is_in_force`; a reader must be told."""
    day = dates.day(_iso(on))
    recs = [r for r in records if r["status"] != REJECTED and r.get("reviewed", True)]
    by_id = {r["id"]: r for r in recs}
    # a suspension renewed by a later record in force on the day is not lapsed
    renewed = {i for r in recs if r.get("relaxes") and is_in_force(r, day) for i in r["relaxes"]}
    out = []
    for r in recs:
        if not r.get("relaxes") or not r["end_date"] or set(r["relaxes"]) <= renewed:
            continue
        end = dates.day(r["end_date"])
        if end <= day and (day - end).days <= within_days:
            out.append({**r, "suspended": [by_id[i] for i in r["relaxes"] if i in by_id]})
    return sorted(out, key=lambda r: r["end_date"])


def lapse_notes(records: Iterable[dict], on: str | dt.date) -> list[str]:
    """One sentence per suspension whose term ran out on or before ``on`` (:func:`lapsed_relaxations`): what it
    suspended and that the registry cannot say what applies now."""
    out = []
    for r in lapsed_relaxations(records, on):
        held = r["suspended"]
        minerals = sorted({c.replace("_", " ") for m in held for c in m["commodities"]} - {ALL_COMMODITIES})
        to = f" to {', '.join(r['targets'])}" if r["targets"] else ""
        out.append(
            f"{r['imposer']}'s suspension of {len(held)} measure{'s' if len(held) != 1 else ''}{to} "
            f"({', '.join(minerals) or 'no catalogue mineral'}; {r['legal_reference']}) ran until "
            f"{r['end_date']}: the registry has no record of its renewal or of the measures coming back into "
            f"force, so they are not counted as in force on {_iso(on)} — check the imposer's announcements."
        )
    return out


def _frame(records: list[dict]) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame.from_records(records, columns=list(FIELDS))
    df["reviewed"] = df["reviewed"].astype(bool)
    return df


def restrictions(
    ds_or_store=None,
    *,
    in_force: str | dt.date | None = None,
    commodity: str | None = None,
    imposer: str | None = None,
    include_unreviewed: bool = False,
    relaxations: bool = False,
) -> pd.DataFrame:
    """One row per export measure, with the fields in :data:`FIELDS`.

    ``ds_or_store``: a Dataset, Store or store path; None uses the default store when it exists (else the
    seed only). ``in_force``: only measures applying on that date (see :func:`is_in_force`). ``commodity``:
    catalogue id or alias; records for ``critical_minerals`` (all dual-use items) match every commodity.
    ``imposer``: country name or ISO3. Unreviewed records (news proposals) and rejected ones are excluded
    unless ``include_unreviewed`` (rejected records are always excluded). Relaxations (records that suspend
    others) are excluded unless ``relaxations``.
    """
    recs = [r for r in all_records(ds_or_store) if r["status"] != REJECTED]
    if not include_unreviewed:
        recs = [r for r in recs if r["reviewed"]]
    if not relaxations:
        recs = [r for r in recs if not r["relaxes"]]
    if in_force is not None:
        recs = [r for r in recs if is_in_force(r, in_force)]
    if commodity is not None:
        from critmin.reference import commodities as cat

        cid = ALL_COMMODITIES if commodity.strip().lower() == ALL_COMMODITIES else cat.get(commodity).id
        recs = [r for r in recs if cid in r["commodities"] or ALL_COMMODITIES in r["commodities"]]
    if imposer is not None:
        from critmin.reference import countries

        iso = countries.resolve(imposer)
        recs = [r for r in recs if r["imposer"] == iso]
    return _frame(recs)


def get_restriction(ds_or_store, id: str) -> dict:
    """One record by id (any status); raises UnknownValueError with close ids."""
    recs = {r["id"]: r for r in all_records(ds_or_store)}
    if id not in recs:
        raise UnknownValueError("restriction id", id, list(recs))
    return recs[id]


# -- writes -----------------------------------------------------------------------------------------------
def _resolve_writable(store):
    from critmin.store import as_store

    return as_store(store)


def _upsert(con, rec: dict) -> None:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    cols = [*FIELDS, "updated_at"]
    con.execute(
        f"INSERT OR REPLACE INTO {TABLE} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [rec[f] for f in FIELDS] + [now],
    )


def _existing_id(con, rec: dict, seed_ids: dict) -> str | None:
    """Id of a record this one duplicates: same id, or same (source, article_id, evidence)."""
    if rec["article_id"] is None:
        return None
    row = con.execute(
        f"SELECT id FROM {TABLE} WHERE source = ? AND article_id = ? AND evidence IS NOT DISTINCT FROM ?",
        [rec["source"], rec["article_id"], rec["evidence"]],
    ).fetchall()
    if row:
        return row[0][0]
    for sid, s in seed_ids.items():
        if (s["source"], s["article_id"], s["evidence"]) == (
            rec["source"],
            rec["article_id"],
            rec["evidence"],
        ):
            return sid
    return None


def add_restriction(store, record: dict) -> str:
    """Validate and store one record; returns its id.

    Idempotent: a record with the same id, or the same (source, article_id, evidence), updates the
    existing row instead of adding another. ``source`` defaults to 'user' (reviewed) — the news pipeline
    passes ``source='news'`` (unreviewed until :func:`review_restriction`).
    """
    return add_restrictions(store, [record])[0]


def add_restrictions(store, records: Iterable[dict], *, path: str | Path | None = None) -> list[str]:
    """Validate all records first, then write them in one transaction (all or nothing)."""
    clean = [validate(r, path=path) for r in records]
    store = _resolve_writable(store)
    seed = {r["id"]: r for r in seed_records()}
    ids = []
    with store.transaction() as con:
        con.execute(DDL)
        for rec in clean:
            dup = _existing_id(con, rec, seed)
            if dup is not None and dup != rec["id"]:
                rec = dict(rec, id=dup)
            _upsert(con, rec)
            ids.append(rec["id"])
    return ids


def import_restrictions(store, path: str | Path) -> list[str]:
    """Add (or update) every record of a YAML/JSON/CSV file in one transaction; returns the ids."""
    return add_restrictions(store, read_file(path), path=path)


def review_restriction(store, id: str, accepted: bool) -> None:
    """Accept (reviewed=True) or reject (status 'rejected', excluded from queries) a record."""
    store = _resolve_writable(store)
    rec = dict(get_restriction(store, id))
    rec["reviewed"] = True
    if not accepted:
        rec["status"] = REJECTED
    with store.transaction() as con:
        con.execute(DDL)
        _upsert(con, rec)


def export_records(df: pd.DataFrame, path: str | Path) -> Path:
    """Write records to .yaml/.yml, .json, .csv or .parquet (lists joined by ';' in CSV)."""
    import pandas as pd

    path = Path(path)
    suffix = path.suffix.lower()
    recs = df.to_dict("records")
    for r in recs:
        for f in LIST_FIELDS:
            r[f] = list(r[f]) if r[f] is not None else []
        r["reviewed"] = bool(r["reviewed"])
    if suffix in (".yaml", ".yml"):
        path.write_text(
            yaml.safe_dump(recs, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8"
        )
    elif suffix == ".json":
        path.write_text(json.dumps(recs, indent=2, ensure_ascii=False), encoding="utf-8")
    elif suffix == ".csv":
        from critmin.untrusted import write_csv

        flat = pd.DataFrame.from_records(
            [{**r, **{f: ";".join(r[f]) for f in LIST_FIELDS}} for r in recs], columns=list(FIELDS)
        )
        write_csv(flat, path)  # formula-looking cells (news-derived titles, notes) are neutralised
    elif suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        raise DataError(
            f"unsupported output type {suffix!r} (use .yaml, .json, .csv or .parquet)", path=str(path)
        )
    return path
