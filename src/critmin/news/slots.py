"""Slot filling for one trigger in one sentence: its clause, its modality, the roles of the country mentions
around it, its minerals and the details of its measure. Pure functions over a sentence's text, its gazetteer
mentions and the cue tables (``data/cues.yaml``); the extractor (:mod:`critmin.news.extract`) calls them.
"""

from __future__ import annotations

import functools
import re

from critmin.news.gazetteer import Mention, gazetteer
from critmin.news.rules import cue, has_flag, label
from critmin.news.segment import BULLET, Sentence

Span = tuple[int, int]


# -- clauses -------------------------------------------------------------------------------------------------
def clause_bounds(sent: str, ts: int, te: int) -> Span:
    """(start, end) of the clause around the trigger ``sent[ts:te]``: cut at ';', at a comma + conjunction
    before a new subject (", and Indonesia halted ..."), after a leading adverbial phrase ("Amid ..., "), and
    before a subordinate tail ("as ...", "which ...", ", said ...")."""
    start = 0
    semi = sent.rfind(";", 0, ts)
    while semi >= 0 and sent.count("(", 0, semi) > sent.count(")", 0, semi):
        semi = sent.rfind(";", 0, semi)  # "(JBIC; Governor: ...)": a semicolon inside brackets ends no clause
    if semi >= 0:
        start = semi + 1
    for m in cue("coordinated_clause").finditer(sent, start):  # (its lookahead reads past the trigger)
        if m.end() > ts:
            break
        start = m.end()
    m = cue("leading_subordinate").match(sent[start:ts])
    if m:
        start += m.end()
    end = len(sent)
    m = cue("clause_end").search(sent, te)
    if m:
        end = m.start()
    m = cue("coordinated_clause").search(sent, te, end)
    if m:
        end = m.start()
    return start, end


def relative_clauses(sent: str, after: int) -> list[Span]:
    """Spans of ", which/who ..." (or "—which ...—") clauses after position ``after`` (up to the next comma or
    dash, or the end)."""
    out = []
    for m in cue("relative").finditer(sent, after):
        ends = [e for e in (sent.find(c, m.end()) for c in ",—–") if e >= 0]
        out.append((m.start(), min(ends, default=len(sent))))
    return out


def asides(sent: str, lo: int, hi: int) -> list[Span]:
    """Comma-delimited asides between ``lo`` and ``hi`` (", which could face shortages," / ", expected to
    ..., "): what they say does not govern the main verb after them."""
    out = []
    for m in cue("aside_start").finditer(sent, lo, hi):
        end = sent.find(",", m.end(), hi)
        if end >= 0:
            out.append((m.start(), end + 1))
    return out


def outside(text: str, spans: list[Span]) -> str:
    """``text`` with the given spans blanked out (same length, so offsets still hold)."""
    if not spans:
        return text
    parts, pos = [], 0
    for a, b in sorted(spans):
        a = max(a, pos)
        if b <= a:
            continue
        parts.append(text[pos:a])
        parts.append(" " * (b - a))
        pos = b
    parts.append(text[pos:])
    return "".join(parts)


def inside(pos: int, spans: list[Span]) -> bool:
    return any(a <= pos < b for a, b in spans)


def named_earlier_act(sent: str, ts: int, te: int) -> str | None:
    """Why the trigger at ``sent[ts:te]`` names an act earlier than the news instead of reporting one, or None:
    it is the object of a response ("comes as a response to Washington's imposition of a ban", "in risposta
    alle restrizioni imposte da Washington"). Such an act is dated by its own words only: the article's date
    (publication month, the lead's day, a neighbour's) is the news's, not its."""
    for m in cue("response_to").finditer(sent, max(0, ts - 80), ts):
        between = sent[m.end() : ts]
        if not re.search(r"[,;:]", between) and len(between.split()) <= 8:
            return f"the object of a response ({m.group(0)})"
    return None


# -- modality ------------------------------------------------------------------------------------------------
def modality_blocked(
    sent: str,
    ts: int,
    te: int,
    clause_start: int,
    rule: str = "",
    negation_only: bool = False,
    unilateral: bool = False,
    restrictive: bool = False,
) -> str | None:
    """Why the trigger at ``sent[ts:te]`` is not a fact (negated, speculative, a question), or None.

    Cues count in the trigger's clause up to the trigger's end, except inside asides (", which could ...,")
    and except the documented exceptions: "would" after a reporting verb ("announced that it would
    require") and "confirmed/announced plans to" are reported decisions; a state's plan to take a measure of
    its own (``unilateral``: a ban, a stockpile, a law) is an announced measure ("Malaysia is planning to ban
    ..."), while a plan to sign with others is an intention; "not only" is not a negation."""
    if cue("question").search(sent):
        return "question"
    if cue("by_gerund").search(sent, max(0, ts - 4), ts):
        clause_start = ts  # "pledged to cooperate by signing a statement": the signing is done
    aside = asides(sent, clause_start, ts)
    pre = outside(sent[:ts], aside)[clause_start:]
    # cues before a subordinator that opens the trigger's clause belong to the main clause
    subs = [m.end() - clause_start for m in cue("subordinator").finditer(sent, clause_start, ts)]
    cut = subs[-1] if subs else 0
    # "exports ... shall not be permitted", "the court rejected the challenge": the negative word is the act
    window = pre if has_flag(rule, "self_negating") else pre + sent[ts:te]
    window = " " * cut + window[cut:]
    neg = cue("negation").search(window)
    if neg and not cue("negation_exception").match(window, neg.start()):
        return f"negated ({neg.group(0).strip()})"
    if negation_only:
        return None
    for m in cue("speculation").finditer(window):
        if m.group(0) == "May":  # the month
            continue
        word = m.group(0).lower()
        if cue("reported_modal").fullmatch(word) and cue("reporting").search(window, 0, m.start()):
            continue  # "announced that exports would require ...": the reporting verb may be the trigger's own
        if word.startswith("plan") and cue("plan_decided").search(window, 0, m.end()):
            continue
        if (
            word.startswith("plan")
            and unilateral
            and cue("state_plan").search(window, 0, m.start())
            and not cue("planned_document").match(window, m.end())
        ):
            continue  # "Malaysia is planning to ban ...": a government's announced measure, not an intention
        if m.start() >= ts - clause_start and cue("trigger_own").match(m.group(0)):
            continue  # "allow ... to", "will need" inside the trigger ("allow exports to resume") are the act's words
        return f"speculative/intent ({m.group(0)})"
    if restrictive:
        proposal = cue("proposal").search(window)
        if proposal:
            return f"the content of a bill or proposal ({proposal.group(0)})"
    post = re.split(r"[,;.]", sent[te : te + 60], maxsplit=1)[0]
    if cue("post_modal").search(post):
        return "speculative (modal after trigger)"
    if cue("post_stalled").match(sent, te):
        return "stalled (its own predicate says it has not happened)"
    if cue("post_condition").match(sent, te, te + 60):
        return "conditional (a condition after the trigger)"
    return None


# -- countries -----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=512)
def members(bloc: str, day: str | None) -> tuple[str, ...]:
    from critmin.errors import CritminError
    from critmin.reference import blocs

    try:
        return blocs.members(bloc, day)
    except CritminError:  # an unknown grouping in the data file must not stop extraction
        return ()


def day_of(date: str | None) -> str | None:
    """A day for a date of any precision (the last day of a year or month's year), for membership lookups."""
    if not date:
        return None
    return date if len(date) == 10 else f"{date[:4]}-12-31"


def expand(m: Mention, date: str | None, congo: str) -> list[str]:
    """ISO3 codes a mention stands for: a grouping's members on the event date (else today's members), a
    company's home country (none if unknown)."""
    if m.kind == "grouping":
        return list(members(m.value, day_of(date)))
    if m.kind == "congo":
        return [congo]
    if m.kind == "company":
        country = gazetteer().company_country.get(m.value)
        return [country] if country else []
    return [m.value]


def actor_mentions(sentence: Sentence, lo: int, hi: int, companies: bool) -> list[Mention]:
    """Country-like mentions (and, for deals, companies) whose text lies in ``sentence.text[lo:hi]``."""
    return [
        m
        for m in sentence.mentions
        if (m.is_country_like or (companies and m.kind == "company"))
        and lo <= m.start - sentence.start
        and m.end - sentence.start <= hi
    ]


# a year in brackets may follow each item ("Canada (2021), Ukraine (2021)"); Italian items keep their article
_LIST_GAP = re.compile(
    r"(?:\s*\((?:19|20)\d\d\))?\s*(?:,\s*(?:and\s+|or\s+|e\s+|ed\s+)?|\s(?:and|or|e|ed|&)\s|/)"
    r"\s*(?:the\s+|il\s+|lo\s+|la\s+|i\s+|gli\s+|le\s+|l['’]\s?)?",
    re.I,
)


def continues_list(text: str, prev_end: int, start: int) -> bool:
    """Whether the mention at ``start`` continues a list after the one ending at ``prev_end``
    ("with Rwanda, Namibia and Chile")."""
    return start - prev_end <= 12 and _LIST_GAP.fullmatch(text, prev_end, start) is not None


# -- minerals ------------------------------------------------------------------------------------------------
def minerals_between(sentence: Sentence, lo: int, hi: int) -> list[str]:
    """Mineral tokens named in ``sentence.text[lo:hi]``: catalogue minerals, and products for the minerals
    they are made of ("magnet scrap" → rare earths) unless a mineral right before qualifies the product
    ("gallium nitride wafers" is gallium). Minerals inside "(e.g. ...)" examples do not count."""
    text = sentence.text
    skip = [(m.start(), m.end()) for m in cue("example_parenthesis").finditer(text)]
    products = gazetteer().product_minerals
    scoped = gazetteer().institution_minerals
    out: list[str] = []
    last_mineral_end = -100
    for m in sentence.mentions:
        s = m.start - sentence.start
        if m.kind not in ("mineral", "product", "institution") or not (lo <= s < hi) or inside(s, skip):
            continue
        if m.kind == "institution":
            # "the Critical Raw Materials Act", "a Critical Minerals Office": a body or an act named for minerals
            out.extend(scoped.get(m.text) or _named_minerals(m.text))
        elif m.kind == "mineral":
            out.append(m.value)
            last_mineral_end = m.end - sentence.start
        elif s - last_mineral_end > 16:
            out.extend(products.get(m.value, []))
    return list(dict.fromkeys(out))


@functools.lru_cache(maxsize=1024)
def _named_minerals(name: str) -> tuple[str, ...]:
    """The minerals an institution's own name states ("Critical Minerals Office" → critical_minerals)."""
    return tuple(m.value for m in gazetteer().find(name.lower()) if m.kind == "mineral")


def bullet_items(sentences: list[Sentence], idx: int) -> list[Sentence]:
    """The bullet items that follow sentence ``idx`` (a sentence ending with ':')."""
    out = []
    for s in sentences[idx + 1 : idx + 40]:
        if not s.bullet:
            break
        out.append(s)
    return out


def bullet_head_minerals(items: list[Sentence]) -> list[str]:
    """Minerals named at the head of each bullet item ("- Gallium: ..." / "• holmium, erbium")."""
    out = []
    for s in items:
        head = re.split(r"[.:;—–(]", BULLET.sub("", s.text), maxsplit=1)[0][:80]
        out.extend(mm.value for mm in gazetteer().find(head) if mm.kind == "mineral")
    return list(dict.fromkeys(out))


# -- the measure -----------------------------------------------------------------------------------------------
def measure_type(text: str) -> str:
    return label("measure_type", text, "other")


def agreement_level(text: str) -> str:
    return label("agreement_level", text, "cooperation")


def hs_codes(text: str) -> list[str]:
    out = []
    for m in cue("hs_codes").finditer(text):
        for code in re.split(r"\s*(?:,|and|or|/|;|\be\b)\s*", m.group(1)):
            digits = re.sub(r"[.\s]", "", code)
            if digits.isdigit() and len(digits) >= 4:
                out.append(digits)
    return list(dict.fromkeys(out))


def levels(sentence: str, trigger: str) -> tuple[str | None, str | None]:
    """(previous_level, level) of a partnership upgrade: two quoted levels, else the words before
    "partnership" after "to/into", else a named level ("comprehensive strategic"), else the Italian form."""
    quoted = [q.strip().lower() for q in cue("quoted").findall(sentence)]
    if len(quoted) >= 2:
        return quoted[0], quoted[1]
    new = None
    for name, text, prefix in (
        ("level_to", trigger, ""),
        ("level_named", trigger, ""),
        ("level_it", sentence, "partenariato "),
    ):
        m = cue(name).search(text)
        if m:
            new = prefix + m.group(1).lower()
            break
    m = cue("level_previous").search(trigger)
    prev = m.group(1).lower() if m else None
    if new:
        new = re.sub(r"^(?:a|an|the)\s+", "", new)
    return prev, new


def companies(sentence: Sentence) -> list[str]:
    names = [m.value for m in sentence.mentions if m.kind == "company"]
    names += [m.group(0).rstrip(".") for m in cue("company_name").finditer(sentence.text)]
    return list(dict.fromkeys(names))


def money(text: str) -> str | None:
    m = cue("money").search(text)
    return m.group(0).strip() if m else None


def measure_items(text: str, lo: int, hi: int) -> list[Span]:
    """Spans of the items of a list of measures in ``text[lo:hi]`` ("export controls on gallium, a ban on
    antimony exports and quotas on tungsten"): an item starts at a measure noun; words without one (", germanium
    and antimony") belong to the item before. Fewer than two items: not a list of measures."""
    starts = [m.start() for m in cue("measure_item").finditer(text, lo, hi)]
    if len(starts) < 2:
        return []
    # an item begins at the list separator before its measure noun
    seps = [0] * len(starts)
    for k, s in enumerate(starts):
        prev = starts[k - 1] if k else lo
        cut = max(text.rfind(",", prev, s), text.rfind(";", prev, s), text.rfind(" and ", prev, s))
        seps[k] = cut if (k and cut > prev) else (lo if not k else -1)
    if any(s < 0 for s in seps):
        return []  # two measure nouns in one phrase ("export controls and licensing requirements on X")
    bounds = [*seps, hi]
    return [(bounds[k], bounds[k + 1]) for k in range(len(starts))]
