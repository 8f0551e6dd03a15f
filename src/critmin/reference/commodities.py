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
# Physical form of what an HS code carries. Intermediates (mattes, crude hydroxides, mixed rare-earth
# carbonates) belong to the mine stage: the mine production series count their metal, the refined ones do not.
FORMS = ("ore/concentrate", "intermediate", "refined/metal", "product")
DEFAULT_UNIT_VALUE_FLOOR = 0.25  # the unit-value rule's ratio (critmin.data.basis, docs/data.md)


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
class HSCode:
    """One HS92 code of a stage, as audited: what it physically carries and its content on the stage basis."""

    code: str
    form: str  # one of FORMS
    content: float | None  # t of the stage basis per t of traded gross weight; None = no defensible factor
    approximate: bool
    reason: str
    ore_content: float | None = None  # t of the mine stage's basis per t, for flows judged ore/intermediate
    unit_value_floor: float = DEFAULT_UNIT_VALUE_FLOOR


@dataclass(frozen=True)
class Stage:
    name: str
    description: str
    hs92: tuple[str, ...]
    hs_note: str | None
    content: dict[str, ContentFactor] = field(default_factory=dict)
    content_note: str | None = None
    production: tuple[ProductionSeries, ...] = ()
    basis: str | None = None  # the content basis of every tonne of this stage
    codes: tuple[HSCode, ...] = ()

    @property
    def has_trade(self) -> bool:
        return bool(self.hs92)

    def code(self, hs6: str) -> HSCode:
        for h in self.codes:
            if h.code == hs6:
                return h
        raise UnknownValueError(f"HS code of the {self.name} stage", hs6, self.hs92)


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


_CODE_KEYS = {"code", "form", "content", "approximate", "ore_content", "unit_value_floor", "reason"}


def _parse_code(where: str, h: dict) -> HSCode:
    """One audited ``hs92`` entry; errors name the commodity, stage, code and field."""
    if not isinstance(h, dict):
        raise ValueError(
            f"commodities.yaml: {where}: hs92 entries need code, form, content and reason (got {h!r})"
        )
    code = str(h.get("code", ""))
    at = f"commodities.yaml: {where} HS {code or '?'}"
    unknown = set(h) - _CODE_KEYS
    if unknown:
        raise ValueError(f"{at}: unknown keys {sorted(unknown)} (allowed: {sorted(_CODE_KEYS)})")
    if not re.fullmatch(r"\d{6}", code):
        raise ValueError(f"{at} [code]: an HS code has six digits (quote it: '284690')")
    if h.get("form") not in FORMS:
        raise ValueError(f"{at} [form]: {h.get('form')!r} is not one of {', '.join(FORMS)}")
    if not str(h.get("reason") or "").strip():
        raise ValueError(f"{at} [reason]: say why the code belongs to this stage")
    content = h.get("content")
    if content is not None and not float(content) > 0:
        raise ValueError(f"{at} [content]: a content factor is > 0 (or null when none is defensible)")
    floor = float(h.get("unit_value_floor", DEFAULT_UNIT_VALUE_FLOOR))
    if not 0 <= floor < 1:
        raise ValueError(f"{at} [unit_value_floor]: a ratio in [0, 1) (got {floor})")
    ore = h.get("ore_content")
    return HSCode(
        code=code,
        form=str(h["form"]),
        content=None if content is None else float(content),
        approximate=bool(h.get("approximate", False)),
        reason=" ".join(str(h["reason"]).split()),
        ore_content=None if ore is None else float(ore),
        unit_value_floor=floor,
    )


def _parse(entry: dict) -> Commodity:
    stages = {}
    for sname, s in entry["stages"].items():
        if sname not in STAGES:
            raise ValueError(f"commodities.yaml: {entry['id']}: unknown stage {sname!r}")
        codes = tuple(_parse_code(f"{entry['id']}/{sname}", h) for h in s.get("hs92") or [])
        basis = s.get("basis")
        if codes and not basis:
            raise ValueError(
                f"commodities.yaml: {entry['id']}/{sname} [basis]: a stage with HS codes needs a basis"
            )
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
            h.code: ContentFactor(h.content, str(basis), h.approximate)
            for h in codes
            if h.content is not None
        }
        stages[sname] = Stage(
            name=sname,
            description=s.get("description", ""),
            hs92=tuple(h.code for h in codes),
            hs_note=s.get("hs_note"),
            content=content,
            content_note=s.get("content_note"),
            production=tuple(prods),
            basis=None if basis is None else str(basis),
            codes=codes,
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
