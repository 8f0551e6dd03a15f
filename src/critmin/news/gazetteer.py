"""Gazetteers: which words in a news text name a country, the EU, a grouping, a company or a mineral.

Sources, in order of precedence when two entries claim the same words (the longest match always wins):

1. ``data/gazetteer.yaml`` — names that look like countries but are not ("South America", "Anglo American"),
   companies, the EU (``EUU``), groupings (G7, Quad, ... expanded later with :mod:`critmin.reference.blocs`),
   demonyms, capitals, leaders and ministries/agencies, extra mineral names (named rare-earth elements,
   superhard materials, lithium-battery materials, Italian names);
2. the country master (:mod:`critmin.reference.countries`: official names and aliases, filtered of codes and
   "Name, The" forms that never occur in running text);
3. the commodity catalogue (:mod:`critmin.reference.commodities`: ids, names and aliases, minus symbols and
   ambiguous words listed in ``mineral_stoplist``).

Country-like names are matched case-sensitively ("US" is not "us"); an all-capitals word of four or more
letters also matches its capitalised form ("CHINA BANS ..." in a headline), and a capitalised word of four or
more letters an institution's or a company's acronym ("Jogmec", "Maeci": Italian style). Minerals are matched
case-insensitively, with a plural fallback ("rare earths", "diamonds").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import yaml

# A token: a dotted abbreviation ("U.S.", "E.U."), or a word with inner apostrophes ("China's", "d'Ivoire").
_TOKEN = re.compile(r"[^\W_]+(?:\.[^\W_]+)+\.?|[^\W_]+(?:['’][^\W_]+)*")
_POSSESSIVE = re.compile(r"['’]s$", re.I)
MAX_TOKENS = 8
CACHE_SIZE = 200_000  # token lookups remembered per process (bounded memory)
_MISSING = object()
_GAP = re.compile(r"[ \t]*[-–&/]?[ \t]*|[ \t]+")

# Codes of historic or residual entities in the country master that never name an actor in today's news.
_HISTORIC = {"SUN", "YUG", "CSK", "DDR", "ANT", "SCG", "YAR", "ZA1", "R20", "PUS", "ATF", "BES", "IOT", "S19"}
# Short all-capitals aliases that do occur in news text.
_SHORT_OK = {"US", "UK", "USA", "DRC", "UAE", "PRC", "DPRK", "KSA", "RDC"}
# A capitalised word of four or more letters may be an acronym written as a name ("Jogmec"); it then names only
# a body or a company, never a country or a person (an all-capitals key of another kind is a code, not a name).
_TITLE_ACRONYM = re.compile(r"[A-Z][a-z]{3,}")
_ACRONYM_KINDS = {"institution", "company"}
# Aliases of the country master that mislead in running text.
_SKIP_ALIASES = {"Nippon", "Other Asia nes", "Congo"}


@dataclass(frozen=True)
class Mention:
    """A gazetteer hit: ``text[start:end]`` names ``value`` (ISO3, bloc code, company or mineral token)."""

    start: int
    end: int
    text: str
    kind: str  # country | demonym | capital | leader | institution | eu | grouping | company | mineral | product | congo
    value: str
    possessive: bool = False

    @property
    def is_country_like(self) -> bool:
        return self.kind in (
            "country",
            "demonym",
            "capital",
            "leader",
            "institution",
            "eu",
            "grouping",
            "congo",
        )


# Italian elided articles and prepositions ("dell'Uzbekistan", "l'Italia") are tokens of their own.
_ELISION = re.compile(r"(?i)^(?:dell|all|nell|sull|dall|coll|l|d|un|quell|quest)['’](?=[^\W_])")


def tokens(text: str) -> list[tuple[int, int, str]]:
    out = []
    for m in _TOKEN.finditer(text):
        tok, start = m.group(), m.start()
        e = _ELISION.match(tok)
        if e:
            out.append((start, start + e.end(), tok[: e.end()]))
            start += e.end()
            tok = tok[e.end() :]
        out.append((start, m.end(), tok))
    return out


def _key(parts) -> str:
    return " ".join(p.rstrip(".").replace("’", "'") for p in parts)


def _alias_key(alias: str) -> str:
    return _key(t for _, _, t in tokens(alias))


@functools.cache
def data() -> dict:
    text = resources.files("critmin.news").joinpath("data/gazetteer.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


class Gazetteer:
    """Compiled lookup tables; use :func:`gazetteer` for the shared instance."""

    def __init__(self) -> None:
        d = data()
        cs: dict[str, tuple[str, str]] = {}  # case-sensitive key -> (kind, value)
        ci: dict[str, tuple[str, str]] = {}  # lower-case key -> (kind, value)

        def put(table, alias, kind, value, overwrite=False):
            key = _alias_key(alias)
            if not key:
                return
            if table is ci:
                key = key.lower()
            if overwrite or key not in table:
                table[key] = (kind, value)

        # precedence: later loops do not overwrite earlier ones unless overwrite=True
        for name in d.get("not_countries", []):
            put(cs, name, "none", "")
        for name in d.get("companies", {}):
            put(cs, name, "company", name)
        for iso3, names in d.get("eu", {}).items():
            for n in names:
                put(cs, n, "eu", iso3)
        for bloc, names in d.get("groupings", {}).items():
            for n in names:
                put(cs, n, "grouping", bloc)
        for kind, section in (
            ("institution", "institutions"),
            ("institution", "institutions_it"),
            ("leader", "leaders"),
            ("capital", "capitals"),
        ):
            for iso3, names in d.get(section, {}).items():
                for n in names:
                    put(cs, n, kind, iso3)
        self._load_countries(put, cs)
        for iso3, names in d.get("names", {}).items():
            for n in names:
                put(cs, n, "country", iso3)
        # Italian demonyms agree in gender and number ("il governo malese", "le autorità indonesiane"): their
        # forms are a table of their own beside the English ones
        for section in ("demonyms", "demonyms_it"):
            for iso3, names in d.get(section, {}).items():
                for n in names:
                    put(cs, n, "demonym", iso3)
        # bare "Congo": the DRC unless the article says Brazzaville (resolved per article by the extractor)
        put(cs, "Congo", "congo", "COD", overwrite=True)
        put(cs, "Congo's", "congo", "COD", overwrite=True)
        self._load_minerals(put, ci, d)
        for name in d.get("products", {}):
            put(ci, name, "product", name, overwrite=True)
        self.company_country: dict[str, str | None] = dict(d.get("companies", {}))
        self.product_minerals: dict[str, list[str]] = {k: list(v) for k, v in d.get("products", {}).items()}
        self.grouping_minerals: dict[str, list[str]] = {
            k: list(v) for k, v in d.get("grouping_minerals", {}).items()
        }
        self.institution_minerals: dict[str, list[str]] = {
            k: list(v) for k, v in d.get("institution_minerals", {}).items()
        }
        self.cs = cs
        self.ci = ci
        self.max_tokens = MAX_TOKENS
        self._index_firsts()
        self._lookup_cache: dict[tuple[str, ...], tuple[str, str, bool] | None] = {}
        self._max_len_cache: dict[str, int] = {}

    @staticmethod
    def _load_countries(put, cs) -> None:
        from critmin.reference import countries

        table = countries.table()
        for row in table.itertuples(index=False):
            if row.iso3 in _HISTORIC or row.is_aggregate:
                continue
            names = [row.name, *(row.aliases if row.aliases is not None else [])]
            names += countries.hand_aliases().get(row.iso3, [])
            for n in names:
                n = str(n)
                if n in _SKIP_ALIASES or any(c in n for c in ",()") or "..." in n or "Ã" in n:
                    continue
                if n.isupper() and len(n.replace(".", "")) <= 4 and n.replace(".", "") not in _SHORT_OK:
                    continue
                put(cs, n, "country", row.iso3)
        for iso3, names in countries.hand_aliases().items():
            for n in names:
                if n in _SKIP_ALIASES or any(c in n for c in ",()"):
                    continue
                if n.isupper() and len(n.replace(".", "")) <= 4 and n.replace(".", "") not in _SHORT_OK:
                    continue
                put(cs, n, "country", iso3)

    @staticmethod
    def _load_minerals(put, ci, d) -> None:
        from critmin.reference import commodities as cat

        for token, names in d.get("minerals", {}).items():
            for n in names:
                put(ci, n, "mineral", token)
        stop = {s.lower() for s in d.get("mineral_stoplist", [])}
        for c in cat.catalogue().values():
            for n in (c.id.replace("_", " "), c.name, *c.aliases):
                n = str(n)
                if n.lower() in stop or len(n) <= 2 or "(" in n:
                    continue
                put(ci, n, "mineral", c.id)

    def _lookup(self, parts: list[str]) -> tuple[str, str, bool] | None:
        # words repeat (Zipf): remember the answer for a run of words, within a bounded cache
        cache_key = tuple(parts)
        found = self._lookup_cache.get(cache_key, _MISSING)
        if found is _MISSING:
            found = self._lookup_uncached(parts)
            if len(self._lookup_cache) < CACHE_SIZE:
                self._lookup_cache[cache_key] = found
        return found

    def _lookup_uncached(self, parts: list[str]) -> tuple[str, str, bool] | None:
        key = _key(parts)
        possessive = False
        hit = self.cs.get(key)
        if hit is None and _POSSESSIVE.search(parts[-1]):
            possessive = True
            hit = self.cs.get(_key([*parts[:-1], _POSSESSIVE.sub("", parts[-1])]))
        if hit is None and any(p.isupper() and len(p) >= 4 for p in parts):
            hit = self.cs.get(_key(p.capitalize() if p.isupper() and len(p) >= 4 else p for p in parts))
        if hit is None and any(_TITLE_ACRONYM.fullmatch(p) for p in parts):
            # Italian and British style write acronyms as names ("Jogmec", "Maeci" for JOGMEC, MAECI)
            hit = self.cs.get(_key(p.upper() if _TITLE_ACRONYM.fullmatch(p) else p for p in parts))
            if hit is not None and hit[0] not in _ACRONYM_KINDS:
                hit = None
        if hit is None:
            low = key.lower()
            hit = self.ci.get(low)
            if hit is None and _POSSESSIVE.search(low):
                hit = self.ci.get(_POSSESSIVE.sub("", low))
            if hit is None and low.endswith("s") and len(low) > 4:
                hit = self.ci.get(low[:-1])
        if hit is None:
            return None
        return hit[0], hit[1], possessive

    def _index_firsts(self) -> None:
        """First token of every key -> the longest key starting with it (to skip most positions fast)."""
        firsts: dict[str, int] = {}
        for key in self.cs:
            parts = key.split(" ")
            firsts[parts[0]] = max(firsts.get(parts[0], 0), len(parts))
        firsts_ci: dict[str, int] = {}
        for key in self.ci:
            parts = key.split(" ")
            firsts_ci[parts[0]] = max(firsts_ci.get(parts[0], 0), len(parts))
        self._firsts, self._firsts_ci = firsts, firsts_ci

    def _max_len(self, tok: str) -> int:
        found = self._max_len_cache.get(tok)
        if found is None:
            found = self._max_len_uncached(tok)
            if len(self._max_len_cache) < CACHE_SIZE:
                self._max_len_cache[tok] = found
        return found

    def _max_len_uncached(self, tok: str) -> int:
        t = tok.rstrip(".").replace("’", "'")
        best = self._firsts.get(t, 0)
        if _POSSESSIVE.search(t):
            best = max(best, self._firsts.get(_POSSESSIVE.sub("", t), 0))
        if t.isupper() and len(t) >= 4:
            best = max(best, self._firsts.get(t.capitalize(), 0))
        if _TITLE_ACRONYM.fullmatch(t):
            best = max(best, self._firsts.get(t.upper(), 0))
        low = t.lower()
        best = max(best, self._firsts_ci.get(low, 0))
        if low.endswith("s") and len(low) > 3:
            best = max(best, self._firsts_ci.get(low[:-1], 0))
        if _POSSESSIVE.search(low):
            best = max(best, self._firsts_ci.get(_POSSESSIVE.sub("", low), 0))
        return best

    def find(self, text: str) -> list[Mention]:
        """All mentions in ``text``, left to right, longest match first, never overlapping."""
        toks = tokens(text)
        n = len(toks)
        # a name never spans punctuation other than hyphens, '&' and '/' (nor a line break):
        # run[i] = how many tokens from i on can belong to one name
        run = [1] * n
        for k in range(n - 2, -1, -1):
            if _GAP.fullmatch(text[toks[k][1] : toks[k + 1][0]]):
                run[k] = run[k + 1] + 1
        out: list[Mention] = []
        i = 0
        while i < n:
            limit = min(self._max_len(toks[i][2]), run[i], n - i)
            found = None
            for length in range(limit, 0, -1):
                hit = self._lookup([t for _, _, t in toks[i : i + length]])
                if hit is not None:
                    found = (length, hit)
                    break
            if found is None:
                i += 1
                continue
            length, (kind, value, possessive) = found
            start, end = toks[i][0], toks[i + length - 1][1]
            if kind != "none":
                out.append(Mention(start, end, text[start:end], kind, value, possessive))
            i += length
        return out


GENERIC = "critical_minerals"  # the generic token: critical minerals / raw materials in general


@functools.cache
def rare_earth_elements() -> frozenset[str]:
    """Tokens of the named rare-earth elements (each also implies ``rare_earths``)."""
    return frozenset(data()["rare_earth_elements"])


def normalise_minerals(minerals: list[str]) -> list[str]:
    """Distinct tokens in order; named rare-earth elements add ``rare_earths`` before the first of them. The
    generic token stays beside specific ones when the text names both ("critical minerals, including
    gallium"): a reader filtering on either finds the event (linking maps it to catalogue ids)."""
    minerals = list(dict.fromkeys(minerals))
    if "rare_earths" not in minerals:
        k = next((i for i, m in enumerate(minerals) if m in rare_earth_elements()), None)
        if k is not None:
            minerals.insert(k, "rare_earths")
    return minerals


@functools.cache
def gazetteer() -> Gazetteer:
    """The shared, compiled gazetteer (built once per process, ~50 ms)."""
    return Gazetteer()


def find(text: str) -> list[Mention]:
    return gazetteer().find(text)


def countries_in(text: str) -> list[str]:
    """ISO3 codes (and EUU) named in ``text``, in order of first mention (no grouping expansion)."""
    return list(dict.fromkeys(m.value for m in find(text) if m.is_country_like and m.kind != "grouping"))


def minerals_in(text: str) -> list[str]:
    """Mineral tokens named in ``text``, in order of first mention."""
    return list(dict.fromkeys(m.value for m in find(text) if m.kind == "mineral"))
