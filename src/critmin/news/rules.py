"""Rules as data: the news extractor's trigger patterns, cue words and measure tables, and the small engine
that compiles them.

The tables live in ``data/triggers.yaml`` (a lexicon of word classes and the trigger rules of every event
type, English and Italian) and ``data/cues.yaml`` (modality, negation, clause, coreference and date-context
cues, and the ordered tables that name a measure or an agreement's form). A reviewer reads and extends them
without reading Python: a new phrasing is one line of data, and every trigger rule carries invented example
sentences that the test suite checks it matches (``tests/test_news_rules.py``).

Pattern syntax — a thin layer over Python regular expressions, always case-insensitive unless a cue says
``case: sensitive``:

* a space stands for one or more whitespace characters (outside ``[...]`` classes);
* ``{name}`` inserts the lexicon class ``name`` (an alternation of its entries, which may use the same syntax);
* ``{gap:N}`` inserts up to N words, as few as possible (a following space is absorbed);
* ``word~`` is the verb with its regular English inflections (``ban~`` → ban, bans, banned, banning;
  ``impose~`` → impose, imposes, imposed, imposing), between word boundaries; irregular forms are listed
  as words of their own;
* ``infinito~it`` is an Italian verb in -are/-ere/-ire with the forms news writes: present and future in the
  third person, infinitive and the past participle in its four endings (``vietare~it`` → vieta, vietano,
  vietato/-a/-i/-e, vieterà, vieteranno; ``abolire~it`` → abolisce, abolito, abolirà …);
  irregular participles ("sospeso", "messo") are listed as words of their own;
* everything else is a regular expression.

This is the gazetteer approach applied to patterns: knowledge as reviewed tables, one engine (cf.
Hogenboom et al. 2016, *Decision Support Systems* 85:12–22, §3 on knowledge-driven event extraction).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import yaml

from critmin.errors import DataError

# A word: possibly quoted, hyphenated, a number or an amount (used by {gap:N}).
WORD = r"[\w'’\"“”‘%,.$€£-]+"
_MACRO = re.compile(r"\{(?:gap:(\d+)|([a-z][a-z0-9_]*))\}")
_GAP_SPACE = re.compile(r"(\{gap:\d+\})[ ]+")
_VERB = re.compile(r"(?:(?<=\\[bB])|(?<![\\\w]))([a-zà-ÿ]+)~")  # a word (after a space, "(", "|" or "\\b")
_DOUBLING = re.compile(r"(?:^|[^aeiou])[aeiou][bdgklmnprt]$")
# stems of the -ire verbs conjugated without -isc- (aprire, consentire, sentire, partire, seguire, servire, ...)
_IRE_PLAIN = ("apr", "consent", "sent", "part", "segu", "serv", "offr", "copr", "dorm", "vest", "fugg", "mor")
_VERB_IT = re.compile(r"(?:(?<=\\[bB])|(?<![\\\w]))([a-zà-ÿ]+(?:are|ere|ire))~it\b")


def inflect(lemma: str) -> list[str]:
    """Regular English forms of a verb: base, 3rd person, past/participle and -ing (over-generating is
    harmless in a pattern: "banning", "baned" never both occur)."""
    forms = {lemma, lemma + "s", lemma + "es", lemma + "ed", lemma + "ing"}
    if lemma.endswith("e"):
        forms |= {lemma + "d", lemma[:-1] + "ing"}
    if re.search(r"[^aeiou]y$", lemma):
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied"}
    if _DOUBLING.search(lemma):
        forms |= {lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"}
    return sorted(forms, key=lambda f: (-len(f), f))


def inflect_it(infinitive: str) -> list[str]:
    """Regular Italian forms of a verb in -are, -ere or -ire, as regular-expression alternatives: third person
    present and future (singular and plural), past remote, infinitive and the past participle with its four
    endings (no gerund: "..., rimuovendo i controlli su alcune tecnologie" hangs on the main clause, whose
    minerals are not its own; a rule that reads a gerund names it) (Serianni, *Grammatica italiana*, XI: the three conjugations; -care/-gare keep the hard sound
    with an h, -ciare/-giare drop the i before e; -ire verbs take -isc- unless their stem is of the closed class
    without it, so "stabilire" never yields the adjective "stabile")."""
    stem, conj = infinitive[:-3], infinitive[-3:]
    if conj == "are":
        fut = stem + "h" if stem.endswith(("c", "g")) else stem[:-1] if stem.endswith(("ci", "gi")) else stem
        forms = [
            stem + "a",
            stem + "ano",
            stem + "at[oaie]",
            stem + "ò",
            fut + "erà",
            fut + "eranno",
        ]
    elif conj == "ere":
        forms = [stem + "e", stem + "ono", stem + "ut[oaie]", stem + "erà", stem + "eranno"]
    else:
        # most -ire verbs insert -isc- ("abolisce"); the few that do not are a closed class ("apre", "consente")
        present = (
            [stem + "e", stem + "ono"] if stem.endswith(_IRE_PLAIN) else [stem + "isce", stem + "iscono"]
        )
        forms = [*present, stem + "it[oaie]", stem + "ì", stem + "irà", stem + "iranno"]
    return sorted({infinitive, *forms}, key=lambda f: (-len(f), f))


def _spaces(src: str) -> str:
    """Literal spaces → ``\\s+`` outside character classes and escapes; runs of spaces count once; a space
    made optional (``" ?"``, ``" *"``) → ``\\s*``."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(src):
        c = src[i]
        if c == "\\" and i + 1 < len(src):
            out.append(src[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
        elif c == " ":
            while i + 1 < len(src) and src[i + 1] == " ":
                i += 1
            if i + 1 < len(src) and src[i + 1] in "?*":  # " ?" is an optional space: any whitespace or none
                i += 1
                out.append(r"\s*")
            else:
                out.append(r"\s+")
        else:
            out.append(c)
        i += 1
    return "".join(out)


# A class or cue named "<name>_it" holds the Italian forms of "<name>" and is read as part of it: Italian lines sit
# in blocks of their own beside the English ones (one reviewer per language, no shared lines to edit).
COMPANION = "_it"


def _as_list(entries) -> list:
    return [entries] if isinstance(entries, str) else list(entries)


class Lexicon:
    """Named word classes, each compiled to one regular-expression alternation (with its Italian companion
    class ``<name>_it``, if any)."""

    def __init__(self, classes: dict[str, list[str]], source: str = "triggers.yaml"):
        self._raw = classes
        self._done: dict[str, str] = {}
        self._source = source

    def expand(self, src: str, _stack: tuple[str, ...] = ()) -> str:
        """Regular-expression source of one pattern written in the syntax above."""
        src = _VERB_IT.sub(lambda m: r"\b(?:" + "|".join(inflect_it(m.group(1))) + r")\b", str(src))
        src = _VERB.sub(lambda m: r"\b(?:" + "|".join(inflect(m.group(1))) + r")\b", src)
        src = _GAP_SPACE.sub(r"\1", src)
        src = _spaces(src)

        def macro(m: re.Match) -> str:
            if m.group(1):
                return rf"(?:{WORD}\s+){{0,{int(m.group(1))}}}?"
            return self.group(m.group(2), _stack)

        return _MACRO.sub(macro, src)

    def group(self, name: str, _stack: tuple[str, ...] = ()) -> str:
        if name in self._done:
            return self._done[name]
        if name not in self._raw:
            raise DataError(f"unknown lexicon class {{{name}}}", path=self._source)
        if name in _stack:
            raise DataError(f"lexicon class {{{name}}} refers to itself", path=self._source)
        entries = _as_list(self._raw[name]) + _as_list(self._raw.get(name + COMPANION, []))
        alts = [self.expand(e, (*_stack, name)) for e in entries]
        self._done[name] = "(?:" + "|".join(alts) + ")"
        return self._done[name]


@dataclass(frozen=True)
class Trigger:
    """One trigger rule: a pattern that, matched in a sentence, proposes an event of ``event_type``."""

    id: str
    event_type: str
    language: str
    pattern: re.Pattern
    stage: str = ""  # when it is tried (see ``order``); its type unless the table says otherwise
    requires: re.Pattern | None = None  # the sentence must also contain this
    unless: re.Pattern | None = None  # the sentence must not contain this
    salience: str | None = None  # 'background' for noun-phrase references to earlier measures
    span_requires: bool = False  # the trigger spans its match and the first match of ``requires``
    objects_are_actors: bool = False  # countries after the trigger are actors too ("welcomed X as a member")
    needs: str | None = None  # export_context | restriction_context: what the article must have said first
    # "full": negation, speculation and conditions block it; "negation": the trigger names an act whose own
    # wording is tentative (a letter of interest, "a ruling that found ..."), so only negation blocks it
    modality: str = "full"
    own_minerals: bool = False  # the clause itself must name a mineral (none from context) and no other goods
    flags: frozenset[str] = frozenset()  # engine behaviours (the `flags` list of triggers.yaml)
    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()  # lower-case word starts (or phrases) one of which a match contains


_TOKEN = re.compile(r"[^\W_]+|[$€£¥%]")


class KeywordIndex:
    """Which rules' keywords a sentence contains, in one pass over its words.

    A keyword of one word matches the start of a word ("export" matches "exports", "esportaz" matches
    "l'esportazione"); a keyword with a space or a sign ("set up", "end-use", "'s") matches anywhere.
    """

    def __init__(self, keywords: dict[str, tuple[str, ...]]):
        self.by_prefix: dict[str, set[str]] = {}
        phrases: dict[str, set[str]] = {}
        for name, words in keywords.items():
            for w in words:
                if _TOKEN.fullmatch(w):
                    self.by_prefix.setdefault(w, set()).add(name)
                else:
                    phrases.setdefault(w, set()).add(name)
        self.phrases = [(p, frozenset(st)) for p, st in phrases.items()]
        self.lengths = sorted({len(k) for k in self.by_prefix})

    def names(self, lower: str) -> set[str]:
        """The rules whose keywords occur in ``lower`` (a lower-case sentence)."""
        out: set[str] = set()
        get = self.by_prefix.get
        for word in _TOKEN.findall(lower):
            n = len(word)
            for k in self.lengths:
                if k > n:
                    break
                hit = get(word[:k])
                if hit:
                    out |= hit
        for phrase, names in self.phrases:
            if not names <= out and phrase in lower:
                out |= names
        return out


@dataclass(frozen=True)
class RuleBook:
    """The compiled tables."""

    lexicon: Lexicon
    order: tuple[str, ...]  # stages in the order their triggers are tried
    triggers: dict[str, tuple[Trigger, ...]]  # by stage
    keywords: KeywordIndex  # a rule is tried only on a sentence with one of its keywords
    cues: dict[str, re.Pattern]
    tables: dict[str, tuple[tuple[str, re.Pattern], ...]]
    values: dict[str, object]
    by_id: dict[str, Trigger]

    def cue(self, name: str) -> re.Pattern:
        return self.cues[name]

    def label(self, table: str, text: str, default: str | None = None) -> str | None:
        """The first label of an ordered table whose pattern occurs in ``text``."""
        for label, pat in self.tables[table]:
            if pat.search(text):
                return label
        return default


def _read(name: str) -> dict:
    text = resources.files("critmin.news").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _compile(lex: Lexicon, src, where: str, flags=re.I) -> re.Pattern:
    try:
        return re.compile(lex.expand(src), flags)
    except re.error as exc:
        raise DataError(f"invalid pattern: {exc}", path=where) from None


def _cue(lex: Lexicon, name: str, spec, where: str) -> re.Pattern:
    """A cue is a list of words (matched between word boundaries) or ``{pattern: ..., case: sensitive}``."""
    if isinstance(spec, list):
        spec = {"words": spec}
    flags = 0 if spec.get("case") == "sensitive" else re.I
    parts = []
    if spec.get("words"):
        parts.append(r"\b(?:" + "|".join(lex.expand(w) for w in spec["words"]) + r")\b")
    if spec.get("pattern"):
        parts.append(lex.expand(spec["pattern"]))
    if not parts:
        raise DataError(f"cue '{name}' has neither words nor pattern", path=where)
    try:
        return re.compile("|".join(parts), flags)
    except re.error as exc:
        raise DataError(f"cue '{name}': invalid pattern: {exc}", path=where) from None


def _with_companions(specs: dict) -> dict:
    """Cue specs with each Italian companion ``<name>_it`` merged into ``<name>`` (words added to words,
    patterns joined as alternatives); a companion keeps its own entry too."""
    out = {n: ({"words": s} if isinstance(s, list) else dict(s)) for n, s in specs.items()}
    for name, spec in list(out.items()):
        base = out.get(name[: -len(COMPANION)]) if name.endswith(COMPANION) else None
        if base is None:
            continue
        if base.get("case") != spec.get("case"):
            raise DataError(f"cue '{name}' and its base differ in case sensitivity", path="cues.yaml")
        base["words"] = [*base.get("words", []), *spec.get("words", [])]
        pats = [p for p in (base.get("pattern"), spec.get("pattern")) if p]
        if pats:
            base["pattern"] = "|".join(f"(?:{p})" for p in pats)
    return out


@functools.cache
def rulebook() -> RuleBook:
    """The compiled tables (built once per process)."""
    trig = _read("triggers.yaml")
    cues_doc = _read("cues.yaml")
    lex = Lexicon({**trig.get("lexicon", {}), **cues_doc.get("lexicon", {})})
    order = tuple(trig["order"])
    known_flags = frozenset(trig.get("flags", ()))
    triggers: dict[str, list[Trigger]] = {t: [] for t in order}
    from critmin.news.model import EVENT_TYPES

    for spec in trig["rules"]:
        where = f"triggers.yaml: rule {spec.get('id')}"
        etype = spec["type"]
        stage = spec.get("stage", etype)
        if etype not in EVENT_TYPES:
            raise DataError(f"unknown event type '{etype}' ({', '.join(EVENT_TYPES)})", path=where)
        if stage not in triggers:
            raise DataError(f"unknown stage '{stage}' (order: {', '.join(order)})", path=where)
        flags = frozenset(spec.get("flags", ()))
        if flags - known_flags:
            bad = sorted(flags - known_flags)[0]
            raise DataError(f"unknown flag '{bad}' (flags: {', '.join(sorted(known_flags))})", path=where)
        triggers[stage].append(
            Trigger(
                id=spec["id"],
                event_type=etype,
                language=spec.get("lang", "en"),
                pattern=_compile(lex, spec["pattern"], where),
                stage=stage,
                objects_are_actors=spec.get("objects") == "actors",
                modality=spec.get("modality", "full"),
                own_minerals=spec.get("minerals") == "own",
                flags=flags,
                needs=spec.get("needs"),
                keywords=tuple(str(w).lower() for w in spec.get("keywords", ())),
                requires=_compile(lex, spec["requires"], where) if spec.get("requires") else None,
                unless=_compile(lex, spec["unless"], where) if spec.get("unless") else None,
                salience=spec.get("salience"),
                span_requires=spec.get("span") == "with_requires",
                examples=tuple(spec.get("examples", ())),
                counterexamples=tuple(spec.get("counterexamples", ())),
            )
        )
    prefilter = trig["prefilter"]
    stage_words = {
        t: tuple(str(w).lower() for w in [*ws, *prefilter.get(t + COMPANION, [])])
        for t, ws in prefilter.items()
        if not t.endswith(COMPANION)
    }
    missing = set(order) - set(stage_words)
    if missing:
        raise DataError(f"stages without a prefilter: {', '.join(sorted(missing))}", path="triggers.yaml")
    # a rule without keywords of its own is tried on the sentences that have its stage's keywords
    index = KeywordIndex(
        {r.id: r.keywords or stage_words[stage] for stage, rules in triggers.items() for r in rules}
    )
    cues = {n: _cue(lex, n, s, f"cues.yaml: {n}") for n, s in _with_companions(cues_doc["cues"]).items()}
    tables = {
        name: tuple((label, _compile(lex, pat, f"cues.yaml: table {name}")) for label, pat in rows)
        for name, rows in (
            (n, [next(iter(r.items())) for r in rows]) for n, rows in cues_doc["tables"].items()
        )
    }
    return RuleBook(
        lexicon=lex,
        order=order,
        triggers={t: tuple(v) for t, v in triggers.items()},
        keywords=index,
        cues=cues,
        tables=tables,
        values=cues_doc.get("values", {}),
        by_id={r.id: r for rules in triggers.values() for r in rules},
    )


def cue(name: str) -> re.Pattern:
    """A compiled cue of ``data/cues.yaml``."""
    return rulebook().cues[name]


def label(table: str, text: str, default: str | None = None) -> str | None:
    """The first matching label of an ordered table of ``data/cues.yaml``."""
    return rulebook().label(table, text, default)


def has_flag(rule_id: str, flag: str) -> bool:
    """Whether the trigger rule ``rule_id`` carries ``flag`` (False for ids that are no rule of the table)."""
    rule = rulebook().by_id.get(rule_id)
    return rule is not None and flag in rule.flags


def words(name: str) -> frozenset[str]:
    """A plain word list of ``data/cues.yaml`` (``values``), lower-cased."""
    return frozenset(str(w).lower() for w in rulebook().values[name])
