"""The commodity catalogue: critical minerals, their value-chain stages, HS92 codes and production series.

The catalogue is a curated YAML file shipped with the package (``commodities.yaml``); this module turns it
into frozen dataclasses and resolves user input ("rare earths", "REE", "Li") to catalogue ids.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources

import yaml

from critmin.errors import UnknownValueError

STAGES = ("mine", "refined", "product")


@dataclass(frozen=True)
class ProductionSeries:
    """One production series for a stage: which source, which table/series, on which content basis."""

    source: str  # 'wmd' | 'usgs' | 'iea'
    basis: str
    series: tuple[str, ...] = ()  # WMD sheet name(s)
    code: str | None = None  # USGS commodity code (regex allowed, e.g. '(zirco|zirco-hafni)')
    type: str | None = None  # USGS regex on the `type` column
    mineral: str | None = None  # IEA mineral
    iea_stage: str | None = None  # IEA stage


@dataclass(frozen=True)
class ContentFactor:
    factor: float
    basis: str
    approximate: bool


@dataclass(frozen=True)
class Stage:
    name: str
    description: str
    hs92: tuple[str, ...]
    hs_note: str | None
    content: dict[str, ContentFactor] = field(default_factory=dict)
    content_note: str | None = None
    production: tuple[ProductionSeries, ...] = ()

    @property
    def has_trade(self) -> bool:
        return bool(self.hs92)


@dataclass(frozen=True)
class Commodity:
    id: str
    name: str
    symbol: str
    aliases: tuple[str, ...]
    eol_rir: float | None
    lists: dict[str, bool]
    stages: dict[str, Stage]

    def stage(self, name: str) -> Stage:
        if name not in self.stages:
            raise UnknownValueError(
                f"stage for {self.id}",
                name,
                list(self.stages),
                hint=f"{self.id} has stages: {', '.join(self.stages)}",
            )
        return self.stages[name]

    @property
    def trade_stages(self) -> list[str]:
        return [s for s, st in self.stages.items() if st.hs92]


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _parse(entry: dict) -> Commodity:
    stages = {}
    for sname, s in entry["stages"].items():
        if sname not in STAGES:
            raise ValueError(f"commodities.yaml: {entry['id']}: unknown stage {sname!r}")
        prods = []
        for p in s.get("production") or []:
            unknown = set(p) - {"source", "basis", "series", "code", "type", "mineral", "stage"}
            if unknown:
                raise ValueError(
                    f"commodities.yaml: {entry['id']}/{sname}: unknown production keys {sorted(unknown)} "
                    "(quote values that contain commas)"
                )
            series = p.get("series")
            if isinstance(series, str):
                series = [series]
            prods.append(
                ProductionSeries(
                    source=p["source"],
                    basis=p["basis"],
                    series=tuple(series or ()),
                    code=p.get("code"),
                    type=p.get("type"),
                    mineral=p.get("mineral"),
                    iea_stage=p.get("stage"),
                )
            )
        content = {
            str(k): ContentFactor(float(v[0]), str(v[1]), bool(v[2]))
            for k, v in (s.get("content") or {}).items()
        }
        stages[sname] = Stage(
            name=sname,
            description=s.get("description", ""),
            hs92=tuple(str(h) for h in s.get("hs92") or ()),
            hs_note=s.get("hs_note"),
            content=content,
            content_note=s.get("content_note"),
            production=tuple(prods),
        )
    return Commodity(
        id=entry["id"],
        name=entry["name"],
        symbol=str(entry.get("symbol", "")),
        aliases=tuple(entry.get("aliases") or ()),
        eol_rir=entry.get("eol_rir"),
        lists=dict(entry.get("lists") or {}),
        stages=stages,
    )


@functools.cache
def catalogue() -> dict[str, Commodity]:
    """All commodities, keyed by id, in catalogue order."""
    text = resources.files("critmin.reference").joinpath("commodities.yaml").read_text(encoding="utf-8")
    out: dict[str, Commodity] = {}
    # libyaml's loader when present: every command parses the catalogue at start-up
    for entry in yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        c = _parse(entry)
        if c.id in out:
            raise ValueError(f"commodities.yaml: duplicate id {c.id!r}")
        out[c.id] = c
    return out


@functools.cache
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in catalogue().values():
        for key in (c.id, c.name, c.symbol, *c.aliases):
            table.setdefault(_norm(key), c.id)
    return table


def get(name: str) -> Commodity:
    """Resolve a commodity id, name, symbol or alias (case- and accent-insensitive)."""
    key = _norm(name)
    cid = _lookup().get(key)
    if cid is None and key.endswith("s"):
        cid = _lookup().get(key[:-1])
    if cid is None:
        raise UnknownValueError("commodity", name, list(catalogue()))
    return catalogue()[cid]


def resolve_many(names: str | list[str] | None) -> list[Commodity]:
    """Resolve a comma-separated string or list; ``None``/``'all'`` gives the whole catalogue."""
    if names is None:
        return list(catalogue().values())
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    if len(names) == 1 and names[0].strip().lower() == "all":
        return list(catalogue().values())
    return [get(n.strip()) for n in names]


def hs_index() -> dict[str, tuple[str, str]]:
    """HS92 code -> (commodity id, stage) for every code in the catalogue."""
    out: dict[str, tuple[str, str]] = {}
    for c in catalogue().values():
        for s in c.stages.values():
            for h in s.hs92:
                if h in out:
                    raise ValueError(f"HS code {h} assigned twice: {out[h]} and {(c.id, s.name)}")
                out[h] = (c.id, s.name)
    return out


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise UnknownValueError("stage", stage, STAGES)
    return stage
