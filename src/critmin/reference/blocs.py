"""Blocs and parties: G7, EU27, OECD, G20, QUAD, MSP, BRICS, SCO, NATO (dated memberships), user-defined
blocs from a YAML/TOML file, and ad-hoc unions on the command line (``JPN+ITA``).

A *party* is what an analysis is run for: one country or a set of countries with a label. A party with more
than one member is a bloc; as an importer it sums its members' imports from outside the bloc (intra-bloc
trade netted out) unless asked to keep intra-bloc trade.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from critmin.errors import DataError, UnknownValueError
from critmin.reference import countries

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

BLOC_ALIASES = {
    "EU": "EU27",
    "EUU": "EU27",
    "EUROPEAN UNION": "EU27",
    "EU-27": "EU27",
    "EU 27": "EU27",
    "UE": "EU27",
    "G-7": "G7",
    "GROUP OF SEVEN": "G7",
    "G-20": "G20",
    "G20_COUNTRIES": "G20",
    "QUAD": "QUAD",
    "MINERALS SECURITY PARTNERSHIP": "MSP",
    "BRICS+": "BRICS",
}


@dataclass(frozen=True)
class Party:
    """A country or a bloc, as importer/exporter of an analysis."""

    label: str
    members: tuple[str, ...]
    kind: str  # 'country' | 'bloc'
    name: str

    @property
    def is_bloc(self) -> bool:
        return self.kind == "bloc"


@functools.cache
def table() -> pd.DataFrame:
    import pandas as pd

    from critmin.data import embedded_path

    return pd.read_parquet(embedded_path("blocs.parquet"))


@functools.cache
def _rows() -> tuple[dict, ...]:
    """Bloc memberships as plain records, read with DuckDB (no pandas on the command line's start-up path)."""
    import duckdb

    from critmin.data import embedded_path

    rel = duckdb.sql(f"SELECT * FROM read_parquet('{embedded_path('blocs.parquet')}')")
    cols = rel.columns
    return tuple(dict(zip(cols, r, strict=True)) for r in rel.fetchall())


def _user_bloc_file() -> Path | None:
    env = os.environ.get("CRITMIN_BLOCS")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "critmin"
    for name in ("blocs.yaml", "blocs.yml", "blocs.toml"):
        if (base / name).exists():
            return base / name
    return None


def load_user_blocs(path: str | Path | None = None) -> dict[str, tuple[str, ...]]:
    """User-defined blocs: ``{NAME: [members...]}`` in YAML or TOML (members may be names or codes)."""
    path = Path(path) if path else _user_bloc_file()
    if path is None:
        return {}
    if not path.exists():
        raise DataError("bloc file not found", path=str(path))
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise DataError(f"cannot parse bloc file: {exc}", path=str(path)) from exc
    if not isinstance(data, dict):
        raise DataError("a bloc file maps bloc names to lists of countries", path=str(path))
    blocs = {}
    for name, members in data.get("blocs", data).items():
        if not isinstance(members, list) or not members:
            raise DataError(f"bloc {name!r} must list at least one member", path=str(path), field=str(name))
        blocs[str(name).upper()] = tuple(sorted({countries.resolve(str(m)) for m in members}))
    return blocs


def known() -> list[str]:
    return sorted({r["bloc"] for r in _rows()})


def canonical(name: str) -> str | None:
    key = name.strip().upper()
    key = BLOC_ALIASES.get(key, key)
    return key if key in {r["bloc"] for r in _rows()} else None


def members(bloc: str, date: str | dt.date | int | None = None) -> tuple[str, ...]:
    """Members of a built-in bloc on ``date`` (a date, ISO string, or a year meaning 31 December of it)."""
    key = canonical(bloc)
    if key is None:
        raise UnknownValueError("bloc", bloc, known())
    rows = [r for r in _rows() if r["bloc"] == key]
    if date is not None:
        if isinstance(date, int):
            date = f"{date}-12-31"
        day = str(date)[:10]
        rows = [
            r
            for r in rows
            if (r["joined"] is None or r["joined"] <= day) and (r["left"] is None or r["left"] > day)
        ]
    return tuple(sorted(r["country"] for r in rows))


def bloc_name(bloc: str) -> str:
    key = canonical(bloc)
    if key is None:
        return bloc
    return str(next(r["bloc_name"] for r in _rows() if r["bloc"] == key))


def _resolve_token(token: str, date, user: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...], str]:
    t = token.strip()
    if not t:
        raise UnknownValueError("country or bloc", token)
    if t.upper() in user:
        return user[t.upper()], t.upper()
    if canonical(t):
        return members(t, date), canonical(t)
    try:
        iso3 = countries.resolve(t)
    except UnknownValueError as exc:
        bloc_hits = [b for b in known() + list(user) if b.lower() in t.lower() or t.lower() in b.lower()]
        raise UnknownValueError("country or bloc", t, suggestions=(exc.suggestions + bloc_hits)[:4]) from None
    return (iso3,), iso3


def party(spec: str, date: str | dt.date | int | None = None, user_blocs: dict | None = None) -> Party:
    """Resolve one party: 'JPN', 'Japan', 'G7', 'EU', 'JPN+ITA', 'G7+AUS' or a user bloc name."""
    user = load_user_blocs() if user_blocs is None else user_blocs
    parts = [p for p in spec.split("+")]
    resolved = [_resolve_token(p, date, user) for p in parts]
    mem = tuple(sorted({m for ms, _ in resolved for m in ms}))
    labels = [lab for _, lab in resolved]
    label = "+".join(labels)
    if len(parts) == 1 and len(mem) == 1 and canonical(spec) is None and spec.strip().upper() not in user:
        return Party(label=mem[0], members=mem, kind="country", name=countries.name(mem[0]))
    name = " + ".join(
        bloc_name(lab) if canonical(lab) else (countries.name(lab) if len(lab) == 3 else lab)
        for lab in labels
    )
    return Party(label=label, members=mem, kind="bloc", name=name)


def parties(spec: str | list[str], date=None, user_blocs: dict | None = None) -> list[Party]:
    """Resolve a comma-separated list (or a list) of parties, keeping order and dropping repeats."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out, seen = [], set()
    for item in items:
        if not str(item).strip():
            continue
        p = party(str(item), date, user_blocs)
        if p.label not in seen:
            out.append(p)
            seen.add(p.label)
    if not out:
        raise UnknownValueError("country or bloc", spec, hint="give at least one, e.g. JPN,ITA or JPN+ITA")
    return out
