"""Sentence-level, explainable extraction of policy events from news text.

A knowledge-driven information-extraction pipeline (gazetteer lookup, trigger patterns, modality filters,
slot filling, within-document coreference and event merging; cf. Hogenboom, Frasincar, Kaymak, de Jong &
Caron 2016, "A survey of event extraction methods from text for decision support systems", *Decision Support
Systems* 85:12–22, §3). The knowledge is data — trigger patterns, cue words and measure tables in
``data/triggers.yaml`` and ``data/cues.yaml`` (:mod:`critmin.news.rules`), names in ``data/gazetteer.yaml``
(:mod:`critmin.news.gazetteer`) — and this module is the engine that applies it:

1. **Segmentation** (:mod:`critmin.news.segment`) and gazetteer mentions and dates per sentence.
2. **Triggers** per stage, in the table's order (upgrade → ruling → lifting → restriction → stockpile →
   investment → agreement → membership → reference → other). A ruling masks the clause it rules on; a
   lifting masks the restriction words it contains; an upgrade suppresses the agreement verb of its
   sentence. A type may fire again in a later clause of the same sentence (", and Indonesia halted ...").
   Each stage ends with its widest phrasings (the back-off rules, which read no actor or mineral from
   context).
3. **Modality** (:func:`critmin.news.slots.modality_blocked`): negated, speculative or intended acts are
   not events; reported decisions are.
4. **Slots**: actors by their role around the trigger (subject, "with/between", targets after "to", "by",
   hosts after "in", funders after "from", list continuations, coreference to the previous sentence's
   actors); an agentless clause takes its actor from context — the previous sentence's actor, else the
   article's own country — never for a company, an unknown name or a recipient of money. Minerals from the
   clause (products count as their minerals), else from the context. Dates from the clause, the
   paragraph's reporting date, a neighbouring sentence the sentence refers to (or whose occasion it
   shares: "Concurrently, ..."), or — for fresh news — the day of the announcement the article leads with
   ("Today, X announced ..."), else the publication month; without a publication date, the year the text
   fixes for itself (:func:`critmin.news.dates.text_reference`, applied after merging). An act named as what
   the news responds to is dated by its own words only.
5. **Splitting** lists into one event per measure, per bilateral pair and per new member.
6. **Merging** (:mod:`critmin.news.merge`) the mentions of one event.
7. Optionally, a **learned sentence classifier** (:mod:`critmin.news.learned`) proposes events in
   sentences no rule read; the study in ``benchmarks/news_classifier_study.py`` found no gain, so none is
   shipped and extraction is rules only unless a model is built or passed.

Production and market facts ("the world's largest producer", "prices hit a low") have no trigger, so they
never become events. Restrictions, liftings, investments and stockpiles need a mineral and an actor;
agreements need a mineral and two parties (or a named company); ``other`` events (joint bodies, rulings,
laws, project halts, national plans) are ``mineral_relevant`` when they name a mineral.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from critmin.news import dates as dates_mod
from critmin.news import learned, slots
from critmin.news.gazetteer import GENERIC, Mention, gazetteer, normalise_minerals, rare_earth_elements
from critmin.news.merge import RESTRICTIVE, compatible_dates, finalise, measure_family, merge, money_value
from critmin.news.model import SYMMETRIC_TYPES, Article, Event
from critmin.news.rules import Trigger, cue, has_flag, label, rulebook
from critmin.news.segment import Sentence, segment

EXTRACTOR_VERSION = "2.6"
NEIGHBOURS = 3  # sentences either side searched for a paragraph's reporting date
LOOKBACK_EVENTS = 32  # earlier events that coreference and inheritance look at (bounded: linear time)
GROUP_MINERALS = frozenset({GENERIC, "rare_earths"})  # tokens that name a group, not one mineral


@dataclass
class _Context:
    """What the article has said so far (for coreference and inheritance)."""

    pair: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    single: str | None = None
    restriction: Event | None = None
    pending: tuple[Event, int] | None = None  # a restriction announced without minerals, and its paragraph
    events: list[Event] = field(default_factory=list)
    anchored: dict[int, bool] = field(default_factory=dict)  # id(event) -> date is a day-precise act anchor
    agreement_at: int = -100  # index of the last sentence with an agreement
    bill_at: int = -100  # index of the last sentence that names a bill


@dataclass
class _Roles:
    """The country mentions around one trigger, by role."""

    pre: list[str] = field(default_factory=list)  # before the trigger in its clause (the subject)
    coref: list[str] = field(default_factory=list)  # "the two countries", "it", "they"
    post_with: list[str] = field(default_factory=list)  # "with/between X", objects of membership and rulings
    explicit_with: list[str] = field(default_factory=list)  # post_with named one by one (not groupings)
    pre_named: list[str] = field(default_factory=list)  # pre named one by one (not groupings)
    targets: list[str] = field(default_factory=list)  # "to/against X" (restrictions)
    by: list[str] = field(default_factory=list)  # "by X"; for investments also "from X" (the funder)
    hosts: list[str] = field(default_factory=list)  # "in X" (investments)
    groupings: list[str] = field(default_factory=list)  # grouping codes named in the clause


@dataclass
class _Trace:
    sent: Sentence
    ts: int
    te: int
    cs: int
    ce: int
    named: bool = False  # it names an earlier act (slots.named_earlier_act): dated by its own words only


def _assign_mentions(sentences: list[Sentence], mentions: list[Mention]) -> None:
    """Each sentence's mentions (both lists in text order: one linear pass)."""
    k = 0
    for s in sentences:
        while k < len(mentions) and mentions[k].start < s.start:
            k += 1
        j = k
        while j < len(mentions) and mentions[j].end <= s.end:
            j += 1
        s.mentions = mentions[k:j]
        k = j


_PARTNER_YEAR = re.compile(r"\s*\(((?:19|20)\d\d)\)")


def _unique(values) -> list[str]:
    return list(dict.fromkeys(values))


def _matches(pattern: re.Pattern, text: str, lead_end: int):
    """``pattern.finditer(text)``, except that a match running from a leading phrase into the main clause
    ("As part of a push to secure supply chains, France concluded a memorandum") is tried again from the
    clause's start: the phrase's words are not the clause's trigger."""
    pos = 0
    while pos <= len(text):
        m = pattern.search(text, pos)
        if m is None:
            return
        if m.start() < lead_end < m.end():
            pos = lead_end
            continue
        yield m
        pos = m.end() if m.end() > m.start() else m.end() + 1


def _months_before(pub: str, k: int) -> str:
    y, m = int(pub[:4]), int(pub[5:7]) if len(pub) >= 7 else 1
    idx = y * 12 + (m - 1) - k
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def _is_old(date: str, pub: str, months: int = 2) -> bool:
    """Whether a date (any precision) ends more than ``months`` months before the publication date."""
    end = {4: date + "-12", 7: date}.get(len(date), date[:7])
    return end < _months_before(pub, months)


def _participle_date(text: str, d, ts: int, te: int) -> bool:
    """Whether the date ``d`` is told by an Italian participle without its auxiliary after the noun it
    describes ("il progetto presentato il 17 marzo dalla società", "il partenariato già lanciato nel 2023 da
    ..."): the date of that noun, not of the act reported. Not when the participle comes before its noun, as
    a nominal headline's predicate ("Firmato il 3 marzo l'accordo"), nor when the noun is the act's own
    instrument ("ha vietato l'export con un decreto firmato il 3 aprile"), nor when it is the trigger itself, unless
    the trigger goes on past the date to its own verb ("il partenariato lanciato nel 2023 diventa «speciale»")."""
    m = cue("participle_date_it").search(text, max(0, d.start - 40), d.start)
    if m is None or cue("determiner_after_it").match(text, d.end):
        return False
    if cue("act_instrument_it").search(text, max(0, m.start() - 30), m.start()):
        return False  # "... con un decreto firmato il 3 aprile": the act's own instrument
    return not (ts <= m.start("part") < te and d.start >= te)


class _Extractor:
    def __init__(self, article: Article, sentence_model=None):
        self.article = article
        self.sentence_model = sentence_model
        self.text = article.text
        self.pub = article.published
        # without a publication date, the year the text fixes for itself; it dates events only after merging
        # (:meth:`_text_year_dates`), so that a year the text implies never decides which mentions are one event
        self.text_year = None if self.pub else dates_mod.text_reference(self.text)
        self.sentences = segment(self.text)
        # "US$760 million", "A$1.2bn": a currency prefix names no actor
        mentions = [m for m in gazetteer().find(self.text) if self.text[m.end : m.end + 1] != "$"]
        _assign_mentions(self.sentences, mentions)
        cod = any(m.value == "COD" and m.kind == "country" for m in mentions) or "Kinshasa" in self.text
        self.congo = "COG" if ("Brazzaville" in self.text and not cod) else "COD"
        self._lead_ends: dict[int, int] = {}
        self.focus = self._focus_country()
        self.ctx = _Context()
        self.rejected: list[tuple[int, str, str]] = []  # (sentence index, rule, reason) for explainability
        self.trace: dict[int, _Trace] = {}
        self._ruled: list[tuple[int, int]] = []  # spans of the current sentence a ruling is about
        self._date_cache: dict[int, list] = {}
        self._rules_here: set[str] = set()  # the rules whose keywords the current sentence contains

    def _lead_end(self, sent: Sentence) -> int:
        """Where the sentence's leading framing phrase ends ("Following talks in Tokyo, ..."; 0 when it has
        none), found once per sentence: every stage, the context and the article's country ask for it."""
        end = self._lead_ends.get(sent.index)
        if end is None:
            lead = cue("leading_subordinate").match(sent.text)
            end = self._lead_ends[sent.index] = lead.end() if lead else 0
        return end

    def _dates_of(self, sent: Sentence, text_year: bool = False) -> list:
        """The sentence's date expressions (found when first needed: most sentences never are), resolved against
        the publication date, or with ``text_year`` against the year the text fixes for itself."""
        if text_year:
            return dates_mod.find_dates(sent.text, self.text_year)
        found = self._date_cache.get(sent.index)
        if found is None:
            found = self._date_cache[sent.index] = dates_mod.find_dates(sent.text, self.pub)
            sent.dates = found
        return found

    # .. the article's own country ...............................................................
    def _focus_country(self) -> str | None:
        """The country the article is about: the most named country of its title and first sentences (they
        count double), then of the whole text; an Italian-language text without one is about Italy."""
        counts: dict[str, float] = {}
        title = gazetteer().find(self.article.title) if self.article.title else []
        head = [m for s in self.sentences[:4] for m in s.mentions if m.start >= s.start + self._lead_end(s)]
        rest = [m for s in self.sentences[4:60] for m in s.mentions]
        for weight, mentions in ((2.0, title), (2.0, head), (1.0, rest)):
            for m in mentions:
                if m.is_country_like and m.kind not in ("grouping", "company"):
                    value = self.congo if m.kind == "congo" else m.value
                    counts[value] = counts.get(value, 0.0) + weight
        if self.article.language == "it":
            counts["ITA"] = counts.get("ITA", 0.0) + 1.5
        return max(counts, key=counts.get) if counts else None

    def _legislature_country(self) -> str | None:
        """The country whose legislature the article names ("the Senate of the Philippines", "Chile's
        Congress", "the Philippine Senate"), else the article's country."""
        for s in self.sentences[:60]:
            for m in cue("legislature").finditer(s.text):
                for x in s.mentions:
                    if not x.is_country_like or x.kind in ("grouping", "company"):
                        continue
                    after = x.start - s.start - m.end()  # "Senate of the Philippines"
                    before = m.start() - (x.end - s.start)  # "Philippine Senate", "Chile's Congress"
                    if 0 <= after <= 12 or 0 <= before <= 4:
                        return self.congo if x.kind == "congo" else x.value
        return self.focus

    def _context_actor(self) -> str | None:
        """Whoever acts when a clause names no one: the previous sentence's actor, else the article's country."""
        return self.ctx.single or self.focus

    # .. actors ..................................................................................
    def _roles(self, sent: Sentence, ts: int, te: int, cs: int, ce: int, etype: str, date, rule) -> _Roles:
        text = sent.text
        roles = _Roles()
        mentions = slots.actor_mentions(sent, cs, ce, companies=etype not in RESTRICTIVE)
        rel = cue("relative_subject").search(text, cs, ts)
        if rel is not None:
            # "the Philippines ..., after Indonesia, which banned ore exports": the antecedent acts
            before_rel = [m for m in mentions if m.end - sent.start <= rel.start()]
            mentions = before_rel[-1:] + [m for m in mentions if m.start - sent.start >= ts]
        aside = slots.asides(text, cs, ts)
        joins = text[ts:te].lower().startswith("join")
        spans = {(m.start - sent.start, m.end - sent.start) for m in mentions}

        def hyphen_pair(a: int, b: int) -> bool:
            """The mention at text[a:b] is half of a hyphenated pair ("Italia-Giappone", "U.S.-Japan")."""
            return any(
                (e2 == a - 1 and text[a - 1] == "-") or (s2 == b + 1 and text[b : b + 1] == "-")
                for s2, e2 in spans
            )

        prev_role, prev_end = None, -1
        for m in mentions:
            s, e = m.start - sent.start, m.end - sent.start
            if slots.inside(s, aside):
                continue
            codes = slots.expand(m, date, self.congo)
            if not codes:
                continue
            if m.kind == "grouping":
                roles.groupings.append(m.value)
            # wide enough for an office holder's title ("tra il vicepremier e ministro degli Esteri Antonio
            # Tajani"); the role cues are anchored at its end and count their words
            before = text[max(0, s - 80) : s]
            role = None
            if ts <= s < te and etype in RESTRICTIVE:
                if not m.possessive and cue("target_before").search(before):
                    role = "targets"
            elif m.kind == "grouping" and cue("descriptor_before").search(before):
                role = None
            elif etype == "other" and s < te and m.kind == "institution":
                role = (
                    "pre"  # "the implementation of the Critical Raw Materials Act": the act names its maker
                )
            elif s < ts:
                place = m.kind in ("capital", "country", "eu") and not m.possessive
                if not (place and cue("place_before").search(before)) or cue("adjectival").match(text, e):
                    role = "pre"  # "A U.S. judge ordered": a country qualifying the subject, not a place
            else:
                role = self._post_role(m, text, s, e, before, etype, rule, joins, hyphen_pair)
                if (
                    role is None
                    and prev_role not in (None, "pre")
                    and slots.continues_list(text, prev_end, s)
                ):
                    role = prev_role
            if role is not None:
                getattr(roles, role).extend(codes)
                if role in ("post_with", "pre") and m.kind != "grouping":
                    (roles.explicit_with if role == "post_with" else roles.pre_named).extend(codes)
                prev_role, prev_end = role, e
        pre_text = slots.outside(text[:ts], aside)[cs:]
        if cue("pair").search(pre_text):
            roles.coref = self.ctx.pair or self.ctx.group
        elif not roles.pre and cue("they").search(pre_text):
            roles.coref = self.ctx.group or self.ctx.pair
        elif not roles.pre and cue("it").search(pre_text):
            single = self._context_actor()
            roles.coref = [single] if single else []
        for name in (
            "pre",
            "pre_named",
            "coref",
            "post_with",
            "explicit_with",
            "targets",
            "by",
            "hosts",
            "groupings",
        ):
            setattr(roles, name, _unique(getattr(roles, name)))
        return roles

    @staticmethod
    def _post_role(m, text, s, e, before, etype, rule, joins, hyphen_pair) -> str | None:
        """The role of a mention after the trigger, from the words before it."""
        if cue("by_before").search(before):
            return "by"
        if etype in RESTRICTIVE and cue("target_before").search(before):
            return "targets"
        if etype == "investment" and cue("in_before").search(before):
            return "hosts"
        if etype == "investment" and cue("from_before").search(before):
            return "by"
        symmetric = etype in SYMMETRIC_TYPES
        if cue("with_before").search(before) and (symmetric or etype == "investment"):
            return "post_with"
        if symmetric and (hyphen_pair(s, e) or (joins and m.kind == "grouping")):
            return "post_with"
        if symmetric and rule.objects_are_actors:
            place = m.kind in ("capital", "country", "eu") and not m.possessive
            if not (place and cue("place_before").search(before)):
                return "post_with"
        return None

    # .. dates ....................................................................................
    def _dates(
        self,
        sent: Sentence,
        ts: int,
        te: int,
        cs: int,
        ce: int,
        reference: bool = False,
        text_year: bool = False,
    ):
        """(date, precision, basis, effective, end, anchored) of the trigger at ``sent.text[ts:te]``; a
        reference to an earlier measure is dated by its own words only, and so is a trigger dated ``text_year``
        (its dates resolved against the year the text fixes for itself)."""
        text = sent.text
        act, since, eff, end = [], [], [], []
        relative = slots.relative_clauses(text, te)
        aside = slots.asides(text, cs, ts)
        for d in self._dates_of(sent, text_year):
            between = text[te : d.start] if d.start >= te else ""
            if slots.inside(d.start, relative) or slots.inside(d.start, aside):
                continue  # "..., which had been in place since December 2024": about something else
            if d.role in ("act", "since") and not (cs <= d.start < ce) and not self._reporting_date(text, d):
                continue  # "... signed in Washington, after the invasion in February 2022": another clause's
            if d.role in ("act", "since"):
                # "the controls announced on Oct. 9": a date that belongs to the trigger's object, not the act
                if between and cue("object_participle").search(between):
                    continue
                if _participle_date(text, d, ts, te):
                    continue  # "il progetto presentato il 17 marzo 2021": the project's date
                (act if d.role == "act" else since).append(d)
            elif d.role == "effective":
                eff.append(d)
            elif d.role == "end":
                end.append(d)

        def nearest(items):
            return (
                min(items, key=lambda d: (abs((d.start + d.end) / 2 - (ts + te) / 2), d.start > ts))
                if items
                else None
            )

        # a trigger inside ", which will ... in 2026": the act is the main clause's ("presented ... on Wednesday")
        holder = max((m.start() for m in cue("relative").finditer(text, 0, ts)), default=None)
        compared = max((m.start() for m in cue("comparison").finditer(text, 0, ts)), default=None)
        if compared is not None and any(d.start >= compared for d in act):
            # "... similar to what Indonesia put in place in 2020": the compared act has its own date
            act = [d for d in act if d.start >= compared]
        elif holder is not None and any(d.start < holder for d in act):
            act = [d for d in act if d.start < holder]
        # "in place since January 2020" says when the measure took effect, never when it was decided
        a = nearest(act)
        effective, e = nearest(eff) or nearest(since), nearest(end)
        eff_value = effective.value if effective else None
        date = prec = basis = None
        anchored = False
        if a is not None:
            date, prec, basis = a.value, a.precision, a.basis
            anchored = a.value is not None and a.precision == "day"
        elif not (reference or text_year):
            date, prec, basis, anchored = self._context_date(sent, text, te)
        if cue("immediate").search(text) and eff_value is None and date and prec == "day":
            eff_value = date
        return date, prec, basis, eff_value, (e.value if e else None), anchored

    @staticmethod
    def _background(text: str, ts: int, te: int, cs: int, ce: int) -> bool:
        """Whether the sentence reports an earlier act: a cue of the past outside the trigger's relative clauses
        ("already", "had been", "since"; not "said it had signed", a reported present perfect), or a temporal
        clause that places the act before the news ("three years after Indonesia banned exports")."""
        plain = slots.outside(text, slots.relative_clauses(text, te))
        for m in cue("background").finditer(plain):
            if not cue("backshift").search(plain, max(0, m.start() - 40), m.start() + 3):
                return True
        return cue("earlier_clause").search(text, cs, ts) is not None

    def _context_date(self, sent: Sentence, text: str, te: int):
        """A date for a sentence without one: the paragraph's reporting date, the event before it ('also'),
        the announcement's own dateline, or the publication month of a present-tense lead."""
        relative = slots.relative_clauses(text, te)
        background = bool(cue("background").search(slots.outside(text, relative)))
        found = self._paragraph_reporting_date(sent)
        if found is not None and not background:
            return found.value, found.precision, f"{found.basis} (reporting date of the paragraph)", True
        if cue("also").search(text, 0, te) and cue("past_act").search(text):
            prev = self._previous_anchored()
            if prev is not None:
                basis = f"same occasion as {prev.event_id or 'the previous event'} ('also')"
                return prev.date, prev.date_precision, basis, True
        if self.pub and len(self.pub) == 10 and cue("document_decision").search(text):
            return self.pub, "day", "date of the announcement document (its dateline)", True
        return None, None, None, False

    @staticmethod
    def _reporting_date(text: str, d) -> bool:
        """A day-precise date next to a reporting verb ("..., authorities said Monday"): the news's own date."""
        return (
            d.precision == "day"
            and cue("reporting").search(text, max(0, d.start - 30), d.end + 5) is not None
        )

    def _paragraph_reporting_date(self, sent: Sentence):
        """A day-precise act date next to a reporting verb in a nearby sentence of the same paragraph."""
        lo, hi = max(0, sent.index - NEIGHBOURS), min(len(self.sentences), sent.index + NEIGHBOURS + 1)
        for other in self.sentences[lo:hi]:
            if other.para != sent.para or other is sent:
                continue
            for d in self._dates_of(other):
                if d.value and d.precision == "day" and d.role == "act":
                    around = other.text[max(0, d.start - 30) : d.end + 5]
                    if cue("reporting").search(around):
                        return d
        return None

    def _previous_anchored(self) -> Event | None:
        for ev in reversed(self.ctx.events):
            return ev if self.ctx.anchored.get(id(ev)) else None
        return None

    # .. minerals .................................................................................
    def _clause_minerals(self, sent: Sentence, cs: int, ce: int, whole_sentence: bool = True) -> list[str]:
        text = sent.text
        minerals = slots.minerals_between(sent, cs, ce)
        if ce < len(text) and cue("elaboration").match(text, ce):
            # "... export controls - holmium, erbium ..." / ", including gallium": the list belongs to the clause
            minerals += slots.minerals_between(sent, ce, len(text))
        if whole_sentence:
            minerals = minerals or slots.minerals_between(sent, 0, len(text))
        if text.rstrip().endswith(":"):
            minerals += slots.bullet_head_minerals(slots.bullet_items(self.sentences, sent.index))
        return normalise_minerals(minerals)

    def _inherit_restriction_minerals(self, sent: Sentence, initiator: list[str]) -> list[str]:
        if cue("non_mineral_goods").search(sent.text):
            return []
        prev = self.ctx.restriction
        if prev is not None and set(prev.initiator) & set(initiator):
            spec = [m for m in prev.minerals if m != GENERIC]
            if spec:
                return spec
        return self._previous_sentence_minerals(sent)

    def _previous_sentence_minerals(self, sent: Sentence) -> list[str]:
        for other in reversed(self.sentences[max(0, sent.index - NEIGHBOURS) : sent.index]):
            if other.para != sent.para:
                break
            spec = [m for m in slots.minerals_between(other, 0, len(other.text)) if m != GENERIC]
            if spec:
                return normalise_minerals(spec)
        return []

    def _context_minerals(self, sent: Sentence) -> list[str]:
        """Specific minerals of the previous sentence of the paragraph, else of the headline/title."""
        found = self._previous_sentence_minerals(sent)
        if found:
            return found
        heads = [s for s in self.sentences[:3] if s.headline]
        found = [m for s in heads for m in slots.minerals_between(s, 0, len(s.text))]
        if not found and self.article.title:
            found = [m.value for m in gazetteer().find(self.article.title) if m.kind == "mineral"]
        return normalise_minerals(found)

    def _headline_companies(self) -> set[str]:
        heads = [s for s in self.sentences[:3] if s.headline]
        found = {m.value for s in heads for m in s.mentions if m.kind == "company"}
        if self.article.title:
            found |= {m.value for m in gazetteer().find(self.article.title) if m.kind == "company"}
        return found

    def _recent_investment(self, sent: Sentence) -> bool:
        """Whether an investment was reported in the last few sentences."""
        for ev in reversed(self.ctx.events[-LOOKBACK_EVENTS:]):
            tr = self.trace.get(id(ev))
            if tr is not None and sent.index - tr.sent.index > NEIGHBOURS:
                return False
            if ev.event_type == "investment":
                return True
        return False

    def _title_pair(self) -> list[str]:
        """The two countries the title (or the first headline) names, when it names exactly two: the parties of
        an agreement the body reports without naming them."""
        found = self.__dict__.get("_title_pair_found")
        if found is None:
            heads = [s.text for s in self.sentences[:2] if s.headline]
            found = []
            for text in [self.article.title or "", *heads]:
                codes = _unique(
                    self.congo if m.kind == "congo" else m.value
                    for m in gazetteer().find(text)
                    if m.is_country_like and m.kind not in ("grouping", "company")
                )
                if len(codes) == 2:
                    found = codes
                    break
            self.__dict__["_title_pair_found"] = found  # not "_pair": that is a method
        return found

    def _story_minerals(self) -> list[str]:
        """The specific mineral the article names most (at least twice; ties kept): the story's mineral."""
        found = self.__dict__.get("_story")
        if found is not None:
            return found
        counts: dict[str, int] = {}
        for m in (
            m for s in self.sentences for m in s.mentions if m.kind == "mineral" and m.value != GENERIC
        ):
            counts[m.value] = counts.get(m.value, 0) + 1
        top = max(counts.values(), default=0)
        found = normalise_minerals([v for v, k in counts.items() if k == top]) if top >= 2 else []
        self.__dict__["_story"] = found
        return found

    def _title_generic(self) -> list[str]:
        """``critical_minerals`` when the title or the first headline names the generic (the article's topic)."""
        heads = [s.text for s in self.sentences[:2] if s.headline]
        for text in [self.article.title or "", *heads]:
            if any(m.kind == "mineral" and m.value == GENERIC for m in gazetteer().find(text)):
                return [GENERIC]
        return []

    def _shares_title_name(self, sent: Sentence) -> bool:
        """Whether the sentence names a proper noun of the title that is not a place or a mineral ("In 2020 the
        DFC made an initial $25m investment in TechMet" under "TechMet secures $50m from DFC")."""
        title = self.article.title or ""
        if not title:
            return False
        named = {m.text for m in gazetteer().find(title)}
        names = {w for w in cue("proper_name").findall(title) if w not in named and len(w) > 3}
        return any(re.search(rf"\b{re.escape(w)}\b", sent.text) for w in names)

    def _following_minerals(self, sent: Sentence, n: int = 4) -> list[str]:
        """Specific minerals of the next ``n`` sentences (a list announced, then detailed)."""
        found = []
        for other in self.sentences[sent.index + 1 : sent.index + 1 + n]:
            found += [m for m in slots.minerals_between(other, 0, len(other.text)) if m != GENERIC]
        return normalise_minerals(found)

    def _elaborate_minerals(self, sent: Sentence) -> None:
        """A sentence with no event of its own that opens on what a recent event named and spells out its
        minerals ("CHINA curbed exports of rare metals. The list of rare earths announced Friday includes
        samarium, gadolinium ...") gives them to that event, when the event named only a group (critical
        minerals, rare earths): annotation clarification 5, minerals from any part of the text tied to the event.
        Rare earths take only rare-earth elements; the event must be at most ``NEIGHBOURS`` sentences back."""
        if not cue("elaborating_subject").match(sent.text):
            return
        named = [m for m in slots.minerals_between(sent, 0, len(sent.text)) if m not in GROUP_MINERALS]
        if len(set(named)) < 2:
            return
        for ev in reversed(self.ctx.events[-LOOKBACK_EVENTS:]):
            tr = self.trace.get(id(ev))
            if tr is None or sent.index - tr.sent.index > NEIGHBOURS:
                return
            if not ev.minerals or not set(ev.minerals) <= GROUP_MINERALS:
                return  # the nearest event names its minerals: the sentence elaborates on it
            ree = rare_earth_elements()
            add = [m for m in named if m in ree] if GENERIC not in ev.minerals else named
            if add:
                ev.minerals = normalise_minerals([*ev.minerals, *add])
            return

    def _next_sentence_minerals(self, sent: Sentence) -> list[str]:
        nxt = self.sentences[sent.index + 1] if sent.index + 1 < len(self.sentences) else None
        if nxt is None or nxt.para != sent.para or not cue("anaphoric_agreement").match(nxt.text):
            return []
        return normalise_minerals(slots.minerals_between(nxt, 0, len(nxt.text)))

    def _inherit_agreement_minerals(self, actors: list[str]) -> list[str]:
        for ev in reversed(self.ctx.events[-LOOKBACK_EVENTS:]):
            if ev.event_type == "agreement" and set(ev.actors) & set(actors):
                return list(ev.minerals)
        return []

    # .. status ...................................................................................
    def _restriction_status(self, etype, text, ts, te, eff, salience, rule) -> str:
        if etype == "restriction_lifted":
            if eff and self.pub and eff > self.pub[: len(eff)]:
                return "announced"
            return "suspended" if cue("suspension_words").search(text[ts:te]) else "lifted"
        if cue("announced_restriction").search(text, 0, te):
            return "announced"
        if eff and self.pub and eff > self.pub[: len(eff)]:
            return "announced"
        if salience == "background" or has_flag(rule, "anaphora") or eff:
            return "in_force"
        return "announced"

    def _status(self, etype, rule, text, ts, te) -> str:
        trig = text[ts:te].lower()
        pre = text[:ts].lower()
        if etype == "other":
            if cue("planned").search(text, 0, te):
                return "planned"
            if has_flag(rule, "ongoing"):
                return "ongoing"
            return "launched" if "launch" in trig else "agreed"
        if etype == "partnership_upgrade":
            return "decided" if "decided" in pre else "agreed"
        if etype == "agreement":
            if cue("will").search(pre):
                return "planned"
            status = label("agreement_status", trig)
            if status == "launched" or (status is None and "launch" in pre[-40:]):
                return "launched"
            return status or "agreed"
        return "planned" if cue("will").search(pre) else "announced"

    # .. one trigger ..............................................................................
    def _event(self, sent: Sentence, rule: Trigger, ts: int, te: int) -> list[Event]:
        """The events one trigger yields (none when it is rejected; several for lists)."""
        text = sent.text
        etype = rule.event_type
        cs, ce = slots.clause_bounds(text, ts, te)
        cs = min(cs, ts)
        reason = slots.modality_blocked(
            text,
            ts,
            te,
            cs,
            rule.id,
            negation_only=rule.modality == "negation",
            unilateral=etype in ("export_restriction", "restriction_lifted", "other"),
            restrictive=etype in RESTRICTIVE,
        )
        if not reason:
            reason = self._names_reported_event(sent, rule, ts, etype)
        if reason:
            self.rejected.append((sent.index, rule.id, reason))
            return []
        named = slots.named_earlier_act(text, ts, te) is not None
        date, prec, basis, eff, end, anchored = self._dates(
            sent, ts, te, cs, ce, rule.stage == "reference" or named
        )
        roles = self._roles(sent, ts, te, cs, ce, etype, date or self.pub, rule)
        # a joint body's minerals must be its own; a law's, a ruling's or a plan's may follow in a relative clause
        minerals = self._clause_minerals(sent, cs, ce, whole_sentence="pairwise" not in rule.flags)
        ev = Event(event_type=etype, initiator=[], rule=rule.id, trigger=text[ts:te])
        ev.language = self.article.language or "en"
        ev.evidence, ev.evidence_start, ev.evidence_end = text, sent.start, sent.end
        ev.date, ev.date_precision, ev.date_basis = date, prec, basis
        ev.effective_date, ev.end_date = eff, end
        ev.measure = " ".join(text[ts:ce].split()).strip(" ,.;:")[:200]
        ev.salience = rule.salience or ("background" if self._background(text, ts, te, cs, ce) else "main")
        if self.pub and any(d and _is_old(d, self.pub) for d in (date, eff)):
            ev.salience = "background"  # decided, or in force, long before the news
        if slots.inside(ts, self._ruled):
            # "ruled that Indonesia's ban on nickel exports ...": the ban is background, not dated by the ruling
            ev.salience, ev.date, ev.date_precision, ev.date_basis = "background", None, None, None
        trace = _Trace(sent, ts, te, cs, ce, named)
        ev._additional = cue("additive").search(text, cs, te) is not None
        if etype in RESTRICTIVE:
            events = self._restrictive(ev, trace, rule, roles, minerals, anchored)
        else:
            events = self._deal(ev, trace, rule, roles, minerals)
        for e in events:
            e.symmetric = e.event_type in SYMMETRIC_TYPES and len(e.actors) > 1
            self.ctx.anchored[id(e)] = anchored
            self.trace[id(e)] = trace
        return events

    def _names_reported_event(self, sent: Sentence, rule: Trigger, ts: int, etype: str) -> str | None:
        """Why a trigger names an act that is no new event, or None: a bare anaphor of a reference ("The
        initiative, announced on Monday, ...") once the article has reported an event; a back-off match in a
        section heading inside the body; a measure named in a
        market report without a date of its own ("prices rose, beyond the metals affected by Chinese export
        restrictions"): there it is a cause of the prices, as in the corpus annotation rule that production
        and market facts are not events."""
        if rule.stage == "reference" and self.ctx.events and cue("bare_anaphor").match(sent.text, ts):
            return "names the event already reported"
        if rule.own_minerals and sent.headline and any(not s.headline for s in self.sentences[: sent.index]):
            # "China's Gallium and Germanium Export Controls" between paragraphs: a section's topic, whose
            # acts the section states with their own dates
            return "a section heading (the topic of the text after it)"
        if (
            etype in RESTRICTIVE
            and cue("market_report").search(sent.text)
            and not any(d.value for d in self._dates_of(sent))
        ):
            return "a measure named in a market report (a cause, not an act)"
        return None

    def _restrictive(self, ev: Event, tr: _Trace, rule: Trigger, roles: _Roles, minerals, anchored):
        """An export restriction or a lifting: one imposer, the targets the text names, a mineral."""
        sent, text, ts, te = tr.sent, tr.sent.text, tr.ts, tr.te
        etype = ev.event_type
        if etype == "export_restriction" and cue("licences_granted").match(text, ts, te):
            # "China has started issuing export licences": approvals under a measure, not a new one
            self.rejected.append((sent.index, rule.id, "licences granted, not a restriction"))
            return []
        if rule.own_minerals and (
            not slots.minerals_between(sent, tr.cs, tr.ce)
            or cue("non_mineral_goods").search(text, tr.cs, tr.ce)
        ):
            self.rejected.append((sent.index, rule.id, "no mineral of its own"))
            return []
        if cue("accident").search(text, tr.cs, tr.ce):
            # "exports have been halted since December due to a fire at the smelter": not a policy measure
            self.rejected.append((sent.index, rule.id, "an accident or an outage, not a measure"))
            return []
        # a passive's agent acts ("restrizioni decise da Pechino", "were banned by China")
        initiator = roles.by or self._owner(sent, ts, te) or roles.pre or roles.coref
        if not initiator and tr.cs > 0 and ev.date is not None:
            # "La RDC è il principale fornitore ...; a febbraio aveva fermato le esportazioni": a dated act whose
            # subject is the sentence's, before the semicolon
            initiator = self._sentence_subject(sent, tr.cs)
        last = self.ctx.restriction
        if "anaphora" in rule.flags and (
            not initiator or (last is not None and set(initiator) <= set(last.initiator))
        ):
            # "The ban was announced by President X in December": the measure already read, its owner named
            done = self._anaphora(ev, text, ts, te)
            if done is not None:
                return done
            if not initiator:
                prev = self._antecedent(slots.measure_type(text[ts:te]))
                initiator = prev.initiator if prev is not None else []
        if not initiator and rule.own_minerals:
            self.rejected.append((sent.index, rule.id, "no actor of its own"))  # a back-off reads no context
            return []
        if not initiator:
            prev = self.ctx.restriction
            specific = {m for m in minerals if m != GENERIC}
            new = specific - set(prev.minerals) if prev is not None else specific
            detail = prev is not None and prev.event_type == "export_restriction" and not new
            if rule.stage == "reference":
                # "February's suspension decision": the article's measure, named again
                initiator = (prev.initiator if prev is not None else []) or _unique([self._context_actor()])
            elif etype == "export_restriction" and (
                (self.ctx.pending is not None and specific) or detail or not minerals
            ):
                return self._continuation(sent, rule.id, text, minerals, ev.effective_date, roles.targets)
            # an agentless lifting lifts the measure of whoever imposed it; else the context's actor
            elif (
                etype == "restriction_lifted"
                and prev is not None
                and (not specific or specific & set(prev.minerals))
            ):
                initiator = prev.initiator[:1]
            else:
                initiator = _unique([self._context_actor()])
            initiator = [a for a in initiator if a]
            if not initiator:
                self.rejected.append((sent.index, rule.id, "no actor"))
                return []
            ev.measure = f"{ev.measure} (actor from context)"
        ev.initiator = _unique(initiator)[:1]
        ev.targets = [t for t in roles.targets if t not in ev.initiator]
        ev.counterparts = list(ev.targets)
        if not [m for m in minerals if m != GENERIC]:
            minerals = self._inherit_restriction_minerals(sent, ev.initiator) or minerals
        if not minerals:
            if etype == "export_restriction" and not cue("non_mineral_goods").search(text):
                # "it is decided to strengthen the export control of dual-use items": the items may follow
                ev.measure_type = slots.measure_type(text[ts:te])
                ev.status = self._restriction_status(
                    etype, text, ts, te, ev.effective_date, ev.salience, rule.id
                )
                self.ctx.pending = (ev, sent.para)
                self.ctx.anchored[id(ev)] = anchored
                self.rejected.append((sent.index, rule.id, "no mineral (kept for the next sentences)"))
            else:
                self.rejected.append((sent.index, rule.id, "no mineral"))
            return []
        ev.minerals = minerals
        words = text[ts:te]
        window = text[max(0, ts - 20) : min(len(text), te + 25)]
        if etype == "restriction_lifted":  # the measure lifted, not the lifting ("suspension of the ban")
            words = words.split(None, 1)[1] if " " in words else words
            window = words
        ev.measure_type = slots.measure_type(words)
        if ev.measure_type == "other":
            ev.measure_type = slots.measure_type(window)
        ev.hs_codes = slots.hs_codes(text)
        m = cue("end_uses").search(text)
        ev.end_uses = m.group(0) if m else None
        ev.status = self._restriction_status(etype, text, ts, te, ev.effective_date, ev.salience, rule.id)
        own = [m for m in slots.minerals_between(sent, tr.cs, tr.ce) if m != GENERIC]
        if not own and cue("entity_measure").search(text, tr.cs, tr.ce):
            ev.mineral_relevant = False  # controls on listed entities or military users, not on a mineral
        return [e for item in self._split_dated_items(ev, tr) for e in self._split_measures(item, tr)]

    def _split_dated_items(self, ev: Event, tr: _Trace) -> list[Event]:
        """ "stopped exports of nickel ore in 2020, and bauxite in 2022": a mineral coordinated after the
        measure with a date of its own is a measure of its own, taken on that date."""
        sent, text = tr.sent, tr.sent.text
        acts = [d for d in self._dates_of(sent) if d.role == "act" and d.value and tr.te <= d.start < tr.ce]
        if not acts:
            return [ev]
        items: list[Event] = []
        for m in sent.mentions:
            s, e = m.start - sent.start, m.end - sent.start
            if m.kind != "mineral" or not (tr.te <= s < tr.ce) or m.value not in ev.minerals:
                continue
            if not cue("gapped_conjunction").search(text, max(0, s - 12), s):
                continue
            d = next(
                (d for d in acts if d.start >= e and cue("gapped_date_gap").fullmatch(text, e, d.start)), None
            )
            if d is None:
                continue
            item = Event(**ev.to_dict())
            item.minerals = [m.value]
            item.date, item.date_precision, item.date_basis = d.value, d.precision, d.basis
            items.append(item)
        if not items:
            return [ev]
        taken = {d for it in items for d in it.minerals}
        ev.minerals = [m for m in ev.minerals if m not in taken] or ev.minerals
        if ev.date in {it.date for it in items}:
            own = [d for d in self._dates_of(sent) if d.role == "act" and d.value and d.value != ev.date]
            own = [d for d in own if tr.cs <= d.start < tr.te or self._reporting_date(text, d)] or own[:0]
            first = min(own, key=lambda d: abs(d.start - tr.ts), default=None)
            if first is not None:
                ev.date, ev.date_precision, ev.date_basis = first.value, first.precision, first.basis
        for it in items:
            self.ctx.anchored[id(it)] = False
            self.trace[id(it)] = tr
        return [ev, *items]

    def _split_measures(self, ev: Event, tr: _Trace) -> list[Event]:
        """One event per measure of a list ("export controls on gallium, a ban on antimony exports and quotas
        on tungsten"), each with its own minerals, targets and kind; a plain list of minerals stays one."""
        text = tr.sent.text
        items = slots.measure_items(text, tr.cs, tr.ce)
        if tr.sent.text.rstrip().endswith(":"):
            bullets = slots.bullet_items(self.sentences, tr.sent.index)
            if len(bullets) >= 2 and all(cue("measure_item").search(b.text) for b in bullets):
                return [e for b in bullets for e in self._item_event(ev, b, 0, len(b.text), whole=True)]
        if not items:
            return [ev]
        out = [e for a, b in items for e in self._item_event(ev, tr.sent, a, b)]
        return out if len(out) == len(items) else [ev]

    def _item_event(self, ev: Event, sent: Sentence, a: int, b: int, whole: bool = False) -> list[Event]:
        """A copy of ``ev`` for the list item ``sent.text[a:b]`` (none if the item names no mineral)."""
        minerals = [m for m in slots.minerals_between(sent, a, b) if m != GENERIC]
        if not minerals:
            return []
        item = Event(**ev.to_dict())
        item.minerals = normalise_minerals(minerals)
        text = sent.text
        targets = []
        for m in slots.actor_mentions(sent, a, b, companies=False):
            if cue("target_before").search(text[max(0, m.start - sent.start - 40) : m.start - sent.start]):
                targets.extend(slots.expand(m, ev.date or self.pub, self.congo))
        item.targets = [t for t in _unique(targets) if t not in item.initiator]
        item.counterparts = list(item.targets)
        kind = slots.measure_type(text[a:b])
        item.measure_type = kind if kind != "other" else ev.measure_type
        item.measure = " ".join(text[a:b].split()).strip(" ,.;:-–•")[:200]
        if whole:
            item.evidence, item.evidence_start, item.evidence_end = text, sent.start, sent.end
        return [item]

    def _anaphora(self, ev: Event, text: str, ts: int, te: int) -> list[Event] | None:
        """ "The ban was announced in December last year" / "The ban takes effect immediately": more about the
        measure already extracted (returns [] when it was absorbed, None when there is no antecedent)."""
        prev = self._antecedent(slots.measure_type(text[ts:te]))
        if prev is None or prev.event_type != "export_restriction":
            return None
        if not compatible_dates(prev.date, ev.date):
            return None  # "The curbs introduced in April" after Thursday's curbs: an earlier measure
        if prev.date is None and ev.date is not None:
            prev.date, prev.date_precision, prev.date_basis = ev.date, ev.date_precision, ev.date_basis
        if prev.effective_date is None:
            immediate = cue("immediate").search(text) and prev.date_precision == "day"
            prev.effective_date = ev.effective_date or (prev.date if immediate else None)
        return []

    def _sentence_subject(self, sent: Sentence, before: int) -> list[str]:
        """The first country named at the start of the sentence, before position ``before`` (not as a place)."""
        for m in sent.mentions:
            s = m.start - sent.start
            if s >= before or s > 60:
                break
            if m.is_country_like and m.kind not in ("grouping", "company"):
                place = m.kind in ("capital", "country", "eu") and not m.possessive
                if not (place and cue("place_before").search(sent.text[max(0, s - 40) : s])):
                    return slots.expand(m, None, self.congo)
        return []

    def _owner(self, sent: Sentence, ts: int, te: int) -> list[str]:
        """The country whose measure it is when a possessive names it right before the measure noun ("Trump's
        order and China's December ban on exports": China), whatever other countries the clause named first."""
        text = sent.text

        def owns(m) -> bool:
            """A possessive before a measure noun: "China's ban", "the Zimbabwean government's ban"."""
            if not m.is_country_like or m.kind in ("grouping", "company"):
                return False
            e = m.end - sent.start
            gov = cue("government_word").match(text, e)
            if gov is not None:
                return bool(cue("owned_measure").match(text, gov.end()))
            return m.possessive and bool(cue("owned_measure").match(text, e))

        for m in reversed(sent.mentions):
            s, e = m.start - sent.start, m.end - sent.start
            if e > te or s < ts - 60:
                continue
            if owns(m):
                return slots.expand(m, None, self.congo)
        # "the lifting of the Zimbabwean government's ban", "an end to Indonesia's nickel ban": the measure
        # named right after the trigger is its owner's
        for m in sent.mentions:
            s = m.start - sent.start
            if s < te or s > te + 40:
                continue
            if cue("owner_after_trigger").match(text[te:s]) and owns(m):
                return slots.expand(m, None, self.congo)
            break
        return []

    def _continuation(self, sent, rule, text, minerals, eff, targets=()) -> list[Event]:
        """A restriction sentence without an actor adds detail to the article's last restriction — or, after a
        restriction announced without minerals ("strengthen the export control of dual-use items"), completes
        it ("2. exports of gallium ... shall not be permitted")."""
        prev = self.ctx.restriction
        pending = self.ctx.pending
        specific = [m for m in minerals if m != GENERIC]
        if (
            pending is not None
            and specific
            and sent.para - pending[1] <= 3
            and (prev is None or self._para_of(prev) < pending[1])
        ):
            base, _ = pending
            ev = Event(**base.to_dict())
            ev.minerals = normalise_minerals(specific)
            ev.evidence, ev.evidence_start, ev.evidence_end = text, sent.start, sent.end
            ev.targets = _unique([*base.targets, *targets])
            ev.counterparts = list(ev.targets)
            ev.effective_date = eff or base.effective_date
            mt = slots.measure_type(text)
            if mt != "other":
                ev.measure_type = mt
            ev.rule = f"{base.rule}+{rule}"
            ev.trigger = f"{base.trigger} … {rule}"
            ev.hs_codes = slots.hs_codes(text)
            self.ctx.anchored[id(ev)] = self.ctx.anchored.get(id(base), False)
            self.trace[id(ev)] = _Trace(sent, 0, 0, 0, len(text))
            self.ctx.pending = None
            return [ev]
        if prev is None or prev.event_type != "export_restriction" or sent.para - self._para_of(prev) > 3:
            self.rejected.append((sent.index, rule, "no actor"))
            return []
        if prev.effective_date is None:
            prev.effective_date = eff or (
                prev.date if cue("immediate").search(text) and prev.date_precision == "day" else None
            )
        mt = slots.measure_type(text)
        if prev.measure_type in (None, "other") and mt in ("licence", "quota"):
            prev.measure_type = mt
        if specific:
            prev.minerals = normalise_minerals([*prev.minerals, *specific])
        prev.hs_codes = _unique([*prev.hs_codes, *slots.hs_codes(text)])
        return []

    def _para_of(self, ev: Event) -> int:
        tr = self.trace.get(id(ev))
        return tr.sent.para if tr is not None else 0

    def _antecedent(self, measure: str) -> Event | None:
        """The latest restriction or lifting in the article whose measure is of the same family."""
        family = measure_family(measure)
        for ev in reversed(self.ctx.events[-LOOKBACK_EVENTS:]):
            if ev.event_type in RESTRICTIVE and measure_family(ev.measure_type or "other") == family:
                return ev
        return None

    def _deal(self, ev: Event, tr: _Trace, rule: Trigger, roles: _Roles, minerals) -> list[Event]:
        """Agreements, upgrades, investments, stockpiles and `other` events: the parties, a mineral."""
        sent, text, ts, te, ce = tr.sent, tr.sent.text, tr.ts, tr.te, tr.ce
        etype = ev.event_type
        actors = _unique([*roles.pre, *roles.coref, *roles.post_with, *roles.by])
        if etype == "investment":
            # the funder first: "X will receive $N from the Australian government"
            funders = [*roles.by, *roles.pre] if "recipient_first" in rule.flags else [*roles.pre, *roles.by]
            actors = _unique([*funders, *roles.coref])
            if not actors and not (
                self._unknown_named_subject(sent, tr.cs, ts) or self._company_acts(sent, tr.cs, ts)
            ):
                # the host names the funder only when no one else acts ("in Nevada" is where a company's money
                # goes, not whose it is: the corpus counts an investment for the funder's country)
                actors = list(roles.hosts)
            if cue("investment_anaphor").match(text) and self._recent_investment(sent):
                # "The loan is part of a $500 million financing package": more about the investment reported
                self.rejected.append((sent.index, rule.id, "more about the investment just reported"))
                return []
            if not actors and cue("recipient_subject").search(text, tr.cs, ts):
                # "The project has received A$1.5 billion from its owners": the funder is not a state the text
                # names; the article's country would be a guess
                self.rejected.append((sent.index, rule.id, "a recipient without a named funder"))
                return []
        if not actors and etype == "agreement" and cue("anaphoric_agreement").match(text):
            actors = list(self.ctx.pair)  # "The deal was initially agreed to in February": the same parties
        if etype == "agreement" and rule.stage == "agreement" and len(actors) < 2 and not roles.groupings:
            pair = self._title_pair()
            if pair and set(actors) <= set(pair):
                actors = pair  # "Firmata anche una dichiarazione di intenti" under "Tajani in Kazakistan"
        if not actors and "pair_context" in rule.flags:
            actors = list(self.ctx.pair or self.ctx.group)
        if not actors and "legislative" in rule.flags and cue("legislature").search(text):
            actors = _unique([self._legislature_country()])  # "the Senate approved a bill": whose Senate
        if etype == "investment" and cue("non_funding_money").search(text, tr.cs, tr.ce):
            self.rejected.append((sent.index, rule.id, "money that is not funding (revenue, dividends ...)"))
            return []
        if "corporate" in rule.flags and not roles.by and self._company_acts(sent, tr.cs, ts):
            # "CATL suspended production at a mine", "the miner unveiled a plan": a company's own business
            self.rejected.append((sent.index, rule.id, "a company's own act, not a policy"))
            return []
        if rule.own_minerals and (not actors or not slots.minerals_between(sent, tr.cs, tr.ce)):
            self.rejected.append((sent.index, rule.id, "no actor or mineral of its own"))
            return []
        if not actors and etype == "investment" and self._unknown_named_subject(sent, tr.cs, ts):
            # "During 2022, TechMet invested more than $250m": a named investor the gazetteer does not know
            self.rejected.append((sent.index, rule.id, "an investor the text names but no country for it"))
            return []
        if (
            not actors
            and etype != "stockpile"
            and "granted" not in rule.flags
            and self._company_acts(sent, tr.cs, ts)
        ):
            # "The miner halted production", "the company will invest $300 million": a corporate act whose
            # country the text does not give; the article's own country would be a guess
            self.rejected.append((sent.index, rule.id, "a company acts; the text names no country for it"))
            return []
        if not actors and (etype in ("stockpile", "investment") or "single_actor" in rule.flags):
            actor = self._context_actor()
            actors = [actor] if actor else []
        actors = [a for a in actors if a]
        if not actors:
            self.rejected.append((sent.index, rule.id, "no actor"))
            return []
        if etype == "stockpile" and cue("private_stockpiler").search(text, tr.cs, ts):
            self.rejected.append(
                (sent.index, rule.id, "stockpiling by companies or traders, not a state reserve")
            )
            return []
        ev.initiator, ev.counterparts = actors[:1], actors[1:]
        ev.companies = slots.companies(sent)
        if etype == "investment":
            ev.host_country = roles.hosts[0] if roles.hosts else None
            if ev.host_country and ev.host_country not in actors:
                ev.counterparts.append(ev.host_country)
            ev.amount = slots.money(text)
        if etype == "agreement":
            # a grouping named anywhere in the sentence ("Since MSP's inception, we welcomed ...") gives its scope
            named = _unique([*roles.groupings, *(m.value for m in sent.mentions if m.kind == "grouping")])
            minerals = normalise_minerals(
                [*minerals, *(m for g in named for m in gazetteer().grouping_minerals.get(g, []))]
            )
        if etype == "other" and minerals and "pairwise" in rule.flags and len(actors) >= 2:
            etype = ev.event_type = "agreement"
        if etype == "other" and minerals and "group_plan" in rule.flags and roles.groupings:
            etype = ev.event_type = "agreement"  # "the G7 launches an action plan": the members' agreement
        if etype == "agreement" and cue("financial_agreement").search(text, ts, ce):
            # "JBIC signed a loan agreement with ...": the loan is the event (an investment of the lender)
            etype = ev.event_type = "investment"
            ev.measure_type, ev.amount = None, slots.money(text)
            ev.initiator, ev.counterparts = actors[:1], []
        if etype == "agreement":
            if not minerals:
                # the headline's or an earlier sentence's agreement of the same parties, or "The agreement
                # covers lithium and copper." right after
                minerals = self._inherit_agreement_minerals(actors) or self._next_sentence_minerals(sent)
            if not minerals and "story_minerals" in rule.flags:
                # "(later eased by bilateral deals with the EU and the US)": deals about the story's minerals
                minerals = self._previous_sentence_minerals(sent) or self._story_minerals()
            if not minerals:
                self.rejected.append((sent.index, rule.id, "agreement without a mineral"))
                return []
            if self._general_deal(sent, ts, te, ce):
                self.rejected.append(
                    (sent.index, rule.id, "a general trade deal; minerals only among its terms")
                )
                return []
            if len(actors) < 2 and rule.stage == "reference" and set(actors) <= set(self.ctx.group):
                # "the plan initiated under Japan's presidency" in a G7 story: the group's plan
                actors = list(self.ctx.group)
                ev.initiator, ev.counterparts = actors[:1], actors[1:]
            if self._company_deal(sent, tr.cs, ts, te, ce):
                # "BHP signed a supply deal with a Japanese smelter": a company's own business, no state party
                self.rejected.append((sent.index, rule.id, "a company's own deal, no state party"))
                return []
            if len(actors) < 2 and self._domestic_parties(sent, tr.cs, tr.ce) >= 2:
                # "CDP and MIMIT launched a memorandum": two bodies of one country, a national initiative
                etype = ev.event_type = "other"
            elif len(actors) < 2 and rule.stage == "reference" and cue("national_plan").search(ev.trigger):
                # "Canada's critical minerals strategy, launched in December": one country's plan
                etype = ev.event_type = "other"
            elif len(actors) < 2 and self._non_state_partner(sent, te, ce):
                # "the State Department signed an MoU with a nonprofit": one government's initiative
                etype = ev.event_type = "other"
            elif len(actors) < 2 and (body := self._unnamed_state_body(sent, tr.cs, tr.ce, actors)):
                # "il ministero degli Esteri e il Giappone hanno firmato": the body's country is a party
                actors = [body, *actors]
                ev.initiator, ev.counterparts = actors[:1], actors[1:]
            elif len(actors) < 2 and not ev.companies:
                self.rejected.append((sent.index, rule.id, "agreement with a single party"))
                return []
        if "list_follows" in rule.flags and not [m for m in minerals if m != GENERIC]:
            # "approved a list of 47 strategic projects": the minerals come with the list that follows
            minerals = _unique([*minerals, *self._following_minerals(sent, 8)])
        if etype in ("investment", "stockpile") and not minerals:
            # the paragraph's minerals; a stockpile also the story's (its headline), a sum of money not
            # a stockpile's minerals may be the story's (its headline); a sum of money's only when the sentence
            # refers back ("The contract, coupled with ...") or names the company the headline names
            story = (
                etype == "stockpile"
                or rule.event_type == "agreement"  # a loan agreement: the story's project
                or cue("financial_agreement").search(text, tr.cs, tr.ce) is not None
                or cue("refers_back").match(text)
                or bool(set(slots.companies(sent)) & self._headline_companies())
                or self._shares_title_name(sent)
            )
            minerals = self._context_minerals(sent) if story else self._previous_sentence_minerals(sent)
            if not minerals and etype == "investment" and cue("project_funding").search(text, tr.cs, tr.ce):
                # "will receive a $100 million equity investment" for a project in a minerals story: the story's
                minerals = self._story_minerals() or self._title_generic()
            if not minerals:
                self.rejected.append((sent.index, rule.id, "no mineral"))
                return []
        if etype == "partnership_upgrade":
            ev.previous_level, ev.level = slots.levels(text, text[ts:te])
            ev.measure_type = "partnership_level"
            if not cue("mineral_partnership").search(text):
                minerals = [m for m in minerals if m != GENERIC]
        if etype == "other" and minerals == [GENERIC]:
            # "a dispute over metal ores" in a story about nickel: the story's minerals, beside the generic
            minerals = _unique([GENERIC, *self._context_minerals(sent)])
        if etype == "other" and not minerals and "story_minerals" in rule.flags:
            # "the Council approved its position on the proposal" in a story about critical raw materials
            minerals = (
                self._previous_sentence_minerals(sent) or self._story_minerals() or self._title_generic()
            )
        ev.minerals = minerals
        ev.status = self._status(etype, rule.id, text, ts, te)
        ev.mineral_relevant = etype != "other" or bool(minerals)
        raw = [m for m in minerals if m not in (GENERIC, "lithium_battery_materials")]
        if etype == "investment" and not raw and cue("battery_plant").search(text, tr.cs, tr.ce):
            ev.mineral_relevant = False  # a loan for battery cells or a vehicle plant, not for minerals
        if etype == "agreement":
            ev.measure_type = slots.agreement_level(text[ts:te] + " " + text[te:ce])
            return self._split_parties(ev, tr, rule, roles)
        return [ev]

    @staticmethod
    def _unknown_named_subject(sent: Sentence, cs: int, ts: int) -> bool:
        """Whether a capitalised name the gazetteer does not know stands right before the trigger (its
        subject, auxiliaries and adverbs aside): "TechMet invested", "Victory Metals in April 2025 secured"."""
        m = cue("named_subject").search(sent.text, cs, ts)
        if m is None:
            return False
        s = m.start(1)
        return not any(x.start - sent.start <= s < x.end - sent.start for x in sent.mentions)

    def _unnamed_state_body(self, sent: Sentence, cs: int, ce: int, actors: list[str]) -> str | None:
        """The country of a state body the clause names without its country ("il ministero degli Esteri e il
        Giappone", "the ministry signed with Japan"): Italy in an Italian-language text (Italian news names a
        foreign body with its country, "il ministero degli Esteri cinese"), else the article's country; None
        when every state body of the clause has its country beside it, or that country is already a party."""
        text = sent.text
        named = [(m.start - sent.start, m.end - sent.start) for m in sent.mentions if m.is_country_like]

        def owned(a: int, b: int) -> bool:
            return any(
                (0 <= s - b <= 30 and not cue("conjunction").search(text, b, s))
                or (0 <= a - e <= 12 and not cue("conjunction").search(text, e, a))
                for s, e in named
            )

        for body in cue("state_subject").finditer(text, cs, ce):
            if not owned(*body.span()):
                country = "ITA" if self.article.language == "it" else self.focus
                return country if country and country not in actors else None
        return None

    @staticmethod
    def _non_state_partner(sent: Sentence, te: int, ce: int) -> bool:
        """Whether the clause names a partner that is not a state ("with SAFE's Minerals Center", "with a
        nonprofit", "with Mizuho Bank") after the trigger."""
        return cue("non_state_partner").search(sent.text, te, ce) is not None

    def _company_deal(self, sent: Sentence, cs: int, ts: int, te: int, ce: int) -> bool:
        """Whether a company signs with a party that is no state: no country, capital or state body is named
        after the trigger in its clause (the company's home country alone is no party to a policy deal)."""
        if not self._company_acts(sent, cs, ts):
            return False
        after = cue("company_after_demonym")
        parties = slots.actor_mentions(sent, te, ce, False)
        return not [m for m in parties if not after.match(sent.text, m.end - sent.start)]

    @staticmethod
    def _company_acts(sent: Sentence, cs: int, ts: int) -> bool:
        """Whether the subject before the trigger is a company rather than a state body."""
        pre = sent.text[cs:ts]
        named = any(m.kind == "company" for m in slots.actor_mentions(sent, cs, ts, True))
        company = named or cue("company_subject").search(pre)
        return bool(company) and not cue("state_subject").search(pre)

    @staticmethod
    def _domestic_parties(sent: Sentence, cs: int, ce: int) -> int:
        """How many distinct institutions, leaders and companies of one country the clause names; 0 when they
        belong to several ("Scholz, Vucic and the Commission's vice-president": the parties of an international
        deal, not two bodies of one state)."""
        kinds = ("institution", "leader", "company")
        named = [m for m in slots.actor_mentions(sent, cs, ce, True) if m.kind in kinds]
        if len({m.value for m in named if m.value}) > 1:
            return 0
        return len({m.text.lower() for m in named})

    def _general_deal(self, sent: Sentence, ts: int, te: int, ce: int) -> bool:
        """ "agreed to a 90-day trade truce that includes a pause in rare earth controls": the deal is about
        trade in general; the minerals are among its terms (those terms are events of their own)."""
        text = sent.text
        head = text[ts : min(len(text), te + 60)]
        deal = cue("general_deal").search(head)
        if deal is None:
            return False
        terms = cue("terms_marker").search(text, ts + deal.end())
        first_mineral = min(
            (
                m.start - sent.start
                for m in sent.mentions
                if m.kind in ("mineral", "product") and m.start - sent.start >= ts
            ),
            default=None,
        )
        return first_mineral is None or (terms is not None and terms.start() < first_mineral)

    def _split_parties(self, ev: Event, tr: _Trace, rule: Trigger, roles: _Roles) -> list[Event]:
        """One agreement per new member, and per bilateral pair when one party signs separate deals with
        several ("signed separate memoranda with Chile and Peru", "partnerships with Rwanda, Namibia and
        Chile"); a trilateral agreement stays one."""
        text = tr.sent.text
        groupings = [m for m in tr.sent.mentions if m.kind == "grouping"]
        if rule.stage == "membership" and groupings:
            # the countries named one by one are the new members; the grouping's members are the other party
            named = _unique([*roles.pre_named, *roles.explicit_with])
            day = ev.date or self.pub
            group = _unique(c for g in groupings for c in slots.expand(g, day, self.congo))
            if named:
                return [self._pair(ev, [c], [x for x in group if x not in named]) for c in named]
            return [ev]
        parties = roles.explicit_with
        plural = cue("plural_deals").search(text, tr.ts, tr.ce)
        first = roles.pre or roles.by  # "partnerships have been established by the EU with ...": the EU
        if not first and cue("we").search(text, tr.cs, tr.ts) and self.focus:
            first = [self.focus]  # "We've entered into agreements with Japan, Korea and India": the speaker's
        if plural is None or len(parties) < 2 or len(first) != 1 or roles.groupings:
            return [ev]
        pairs = []
        for c in parties:
            if c in first:
                continue
            pair = self._pair(ev, first, [c])
            year = self._partner_year(tr.sent, c, tr.ts)
            if year is not None:  # "with Canada (2021), Ukraine (2021) and Namibia (2022)": each its own year
                pair.date, pair.date_precision = year, "year"
                pair.date_basis = f"the year given with the partner ('({year})')"
            pairs.append(pair)
        return pairs

    def _partner_year(self, sent: Sentence, code: str, after: int) -> str | None:
        """The year in brackets right after a partner's name in a list ("Canada (2021)"), if any."""
        for m in sent.mentions:
            if m.start - sent.start < after or slots.expand(m, None, self.congo) != [code]:
                continue
            found = _PARTNER_YEAR.match(sent.text, m.end - sent.start)
            return found.group(1) if found else None
        return None

    @staticmethod
    def _pair(ev: Event, initiator: list[str], counterparts: list[str]) -> Event:
        out = Event(**ev.to_dict())
        out.initiator, out.counterparts = list(initiator), list(counterparts)
        out.symmetric = True
        return out

    # .. one sentence .............................................................................
    def _needs_met(self, rule: Trigger, text: str) -> bool:
        if rule.needs == "export_context":  # a lifting is about exports: said here or earlier
            return cue("export_mention").search(text) is not None or self.ctx.restriction is not None
        if rule.needs == "restriction_context":  # "the ban" / "le restrizioni" refer to an earlier measure
            return self.ctx.restriction is not None
        return True

    def _stage(self, sent: Sentence, stage: str, masked: list) -> list[Event]:
        """The events the trigger rules of one stage yield in the sentence (rules in table order; a second
        event of the stage only from a later clause)."""
        text = sent.text
        book = rulebook()
        rules = [r for r in book.triggers[stage] if r.id in self._rules_here]
        if not rules:
            return []
        found: list[Event] = []
        clause_end = -1
        lead_end = self._lead_end(sent)
        for rule in rules:
            req = rule.requires.search(text) if rule.requires is not None else None
            if rule.requires is not None and req is None:
                continue
            if rule.unless is not None and rule.unless.search(text):
                continue
            for m in _matches(rule.pattern, text, lead_end):
                ts, te = m.span()
                if rule.span_requires and req is not None:
                    ts, te = min(ts, req.start()), max(te, req.end())
                if ts < clause_end or any(ts < b and a < te for a, b in masked):
                    continue
                if not self._needs_met(rule, text):
                    break
                evs = self._event(sent, rule, ts, te)
                if (
                    evs or not rule.own_minerals
                ):  # a back-off that read nothing leaves its words to later stages
                    masked.append((ts, te))
                if evs:
                    found.extend(evs)
                    clause_end = max(clause_end, self.trace[id(evs[0])].ce)
        return found

    def _sentence(self, sent: Sentence) -> list[Event]:
        text = sent.text
        self._rules_here = rulebook().keywords.names(sent.lower)
        if not self._rules_here:
            return []
        found: list[Event] = []
        masked: list[tuple[int, int]] = []
        terms_of_agreement = (
            sent.index - self.ctx.agreement_at <= 3 and cue("agreement_terms").search(text) is not None
        )
        if 0 < sent.index - self.ctx.bill_at <= 3 and cue("bill_provisions").search(text):
            # "It creates a National Council ..." after "the bill establishes ...": the bill's provisions
            self.rejected.append((sent.index, "other.bill", "a provision of the bill just named"))
            return []
        upgrades = self._stage(sent, "partnership_upgrade", masked)
        for up in upgrades:
            tr = self.trace[id(up)]
            near = text.find(",", tr.te)
            near = tr.ce if near < 0 else min(tr.ce, near)
            if cue("mineral_partnership").search(text) or slots.minerals_between(sent, tr.ts, near):
                # "a strategic partnership on raw materials" is a cooperation agreement, not a diplomatic level
                ts = text.find(up.trigger)
                up.event_type = "agreement"
                up.measure_type = "partnership"
                up.status = self._status("agreement", up.rule, text, ts, ts + len(up.trigger))
        found += upgrades
        # an upgrade's clause holds no agreement of its own ("agreed to upgrade their relationship"); when an
        # upgrade phrase was read but rejected, neither is its agreement verb
        upgrade_clauses = [(self.trace[id(u)].cs, self.trace[id(u)].ce) for u in upgrades]
        suppress_agreement = not upgrades and any(
            r.pattern.search(text) for r in rulebook().triggers["partnership_upgrade"]
        )
        self._ruled = []
        for ruling in self._stage(sent, "ruling", masked):
            tr = self.trace[id(ruling)]
            if has_flag(ruling.rule, "masks_provisions"):
                # a bill's provisions are not measures yet; another country's measure it is compared to is
                comp = cue("comparison").search(text, tr.te)
                coord = cue("coordinated_clause").search(text, tr.te)  # "..., and Beijing moved to restrict"
                semi = text.find(";", tr.te)
                stops = [x.start() for x in (comp, coord) if x is not None] + ([semi] if semi >= 0 else [])
                masked.append((tr.te, min(stops, default=len(text))))
            else:
                self._ruled.append((tr.te, tr.ce))  # what a court ruled on is background, not this act
            found.append(ruling)
        found += self._stage(sent, "restriction_lifted", masked)
        found += self._stage(sent, "export_restriction", masked)
        if terms_of_agreement:
            self.rejected.append((sent.index, "agreement.terms", "a term of the agreement just reported"))
            return found
        found += self._stage(sent, "stockpile", masked)
        found += self._stage(sent, "investment", masked)
        if not suppress_agreement:
            agreements = self._stage(sent, "agreement", masked) or self._stage(sent, "membership", masked)
            agreements = [
                a
                for a in agreements
                if a.event_type != "agreement"
                or not any(cs <= self.trace[id(a)].ts < ce for cs, ce in upgrade_clauses)
            ]
            found = self._resolve_deals(text, found, agreements)
        found += self._stage(sent, "reference", masked)
        # a plan or body named inside an agreement's clause is the agreement's; in a clause of its own ("...,
        # and Australia nationalised its graphite industry") it is an act
        deals = [self.trace[id(e)] for e in found if e.event_type in ("agreement", "partnership_upgrade")]
        plans = [
            p
            for p in self._stage(sent, "other", masked)
            if not any(
                d.cs <= self.trace[id(p)].ts < d.ce or self.trace[id(p)].cs <= d.ts < self.trace[id(p)].ce
                for d in deals
            )
        ]
        found = self._plan_envelopes(sent, found, plans) + plans
        return found

    def _plan_envelopes(self, sent: Sentence, found: list[Event], plans: list[Event]) -> list[Event]:
        """A sum stated with a plan it belongs to ("the national programme starts, with EUR 3.5 million for its
        first phase") is the plan's financing envelope, a tool of the plan (annotation rules), not an investment."""
        actors = {a for p in plans if has_flag(p.rule, "group_plan") for a in p.actors}
        if not actors:
            return found
        kept = []
        for ev in found:
            if ev.event_type == "investment" and set(ev.initiator) <= actors:
                self.rejected.append((sent.index, ev.rule, "a plan's financing envelope"))
                continue
            kept.append(ev)
        return kept

    def _resolve_deals(self, text: str, found: list[Event], agreements: list[Event]) -> list[Event]:
        """One deal, one type: a loan or investment agreement is an investment; investments and stockpiles
        named after an agreement's verb are its terms; money for a stockpile is the stockpile's."""
        stock = [e for e in found if e.event_type == "stockpile"]
        if stock:
            for e in found:
                if e.event_type == "investment" and set(e.actors) & set(stock[0].actors):
                    stock[0].amount = stock[0].amount or e.amount
            found = [e for e in found if not (e.event_type == "investment" and e.amount == stock[0].amount)]
        investments = [e for e in found if e.event_type == "investment"]
        kept = []
        for agr in agreements:
            end = text.find(agr.trigger) + len(agr.trigger)
            if any(0 <= text.find(e.trigger) - end <= 25 for e in investments):
                continue  # "agreed to buy a 10% stake", "agreed to invest $200 million": the investment itself
            tr = self.trace[id(agr)]
            if cue("financial_agreement").search(text, tr.cs, tr.ce):
                if not investments:  # "JBIC signed a loan agreement with Lynas": an investment
                    agr.event_type, agr.amount = "investment", slots.money(text)
                    agr.measure_type, agr.status = None, "announced"
                    kept.append(agr)
                continue
            kept.append(agr)
        deals = [self.trace[id(a)] for a in kept if a.event_type == "agreement"]
        if deals:
            # "signed a framework ..., pledging to invest and build stockpiles": terms of the agreement (in its
            # clause; "..., while South Korea will build a stockpile" is an act of its own)
            found = [
                e
                for e in found
                if e.event_type not in ("investment", "stockpile")
                or not any(d.ts <= self.trace[id(e)].ts < d.ce for d in deals)
            ]
        return found + kept

    def _learned(self, sent: Sentence) -> list[Event]:
        """Events of the types the sentence model proposes for a sentence in which no rule found an event, read
        by the rules' slot filling from an anchor word of the type (``learned_anchor`` cues). Only sentences
        with a keyword of some rule are scored (the others name no act the model was trained on)."""
        if not self._rules_here or cue("market_report").search(sent.text):
            return []
        feats = learned.features(
            learned.tokens(sent.text, sent.mentions, sent.start),
            self.article.language or "en",
            self._rules_here,
        )
        have: set[str] = set()
        out: list[Event] = []
        for etype, p in self.sentence_model.proposed(feats):
            if etype in have:
                continue
            anchor = cue(f"learned_anchor_{etype}").search(sent.text)
            if anchor is None:
                continue
            rule = _learned_rule(etype)
            evs = self._event(sent, rule, *anchor.span())
            for e in evs:
                e.rule, e._score = rule.id, p
            out += evs
            have |= {e.event_type for e in evs}
        return out

    def _update_context(self, sent: Sentence, events: list[Event]) -> None:
        if cue("bill_named").search(sent.text):
            self.ctx.bill_at = sent.index
        for ev in events:
            self.ctx.events.append(ev)
            if has_flag(ev.rule, "keeps_context"):
                continue
            self.ctx.group = ev.actors
            if len(ev.actors) >= 2:
                self.ctx.pair = ev.actors
            if ev.initiator:
                self.ctx.single = ev.initiator[0]
            if ev.event_type in RESTRICTIVE:
                self.ctx.restriction = ev
            if ev.event_type == "agreement":
                self.ctx.agreement_at = sent.index
        if events:
            return
        actors = []  # the country mentions that can act: not groupings, not places ("fell in London")
        for m in sent.mentions:
            if not m.is_country_like or m.kind == "grouping":
                continue
            before = sent.text[max(0, m.start - sent.start - 40) : m.start - sent.start]
            if (
                m.kind in ("capital", "country", "eu")
                and not m.possessive
                and cue("place_before").search(before)
            ):
                continue
            actors.append(m)
        names = _unique(self.congo if m.kind == "congo" else m.value for m in actors)
        if len(names) == 2:
            self.ctx.pair = names
        # the subject after a leading phrase ("Following talks in Tokyo, China is ..."): China, not Japan
        skip = sent.start + self._lead_end(sent)
        first = next((m for m in sent.mentions if m.start >= skip), None)
        if first is not None and first not in actors:  # "On Monday in Brussels, Chile is ...": a place
            first = next((m for m in actors if m.start >= skip), None)
        at_start = first is not None and first.start - skip < 30
        if names and at_start and first.is_country_like and first.kind != "grouping":
            self.ctx.single = self.congo if first.kind == "congo" else first.value

    # .. the article ..............................................................................
    def _neighbour_dates(self, events: list[Event]) -> None:
        """An undated main event takes the act date of the sentence it refers to ("On 3 March the ministry
        published a notice. The notice bans ..."), of the next sentence that refers back to it ("... The
        decision was announced on Tuesday", "But the judge's ruling late Monday ..."), adjacent in the text, or
        of the sentence before it when it happens on that sentence's occasion ("Concurrently, the ministry
        issued ...": the act that sentence reports, not the earlier ones it names)."""
        types_at: dict[int, set[str]] = {}
        for ev in events:
            tr = self.trace.get(id(ev))
            if tr is not None:
                types_at.setdefault(tr.sent.index, set()).add(ev.event_type)
        for ev in events:
            tr = self.trace.get(id(ev))
            if ev.date is not None or ev.salience != "main" or tr is None or tr.named:
                continue
            k = tr.sent.index
            prev = self.sentences[k - 1] if k > 0 else None
            nxt = self.sentences[k + 1] if k + 1 < len(self.sentences) else None
            for other, refers, occasion in (
                (prev, cue("same_occasion").match(tr.sent.text), True),
                (prev, cue("refers_back").match(tr.sent.text), False),
                (nxt, nxt is not None and cue("refers_back").match(nxt.text), False),
            ):
                # the same paragraph, or the next one when a text gives every sentence a paragraph of its own
                if not refers or other is None or abs(other.para - tr.sent.para) > 1:
                    continue
                # "The ban was initially introduced in December 2024": another act's date
                other_act = types_at.get(other.index, {ev.event_type}) != {ev.event_type}
                if occasion:
                    d = self._occasion_date(other)
                elif other_act or cue("background").search(other.text):
                    continue
                else:
                    d = next((d for d in self._dates_of(other) if d.role == "act" and d.value), None)
                if d is not None:
                    ev.date, ev.date_precision = d.value, d.precision
                    ev.date_basis = f"{d.basis} (the neighbouring sentence it refers to)"
                    break

    def _announcement_day(self) -> tuple[str | None, str | None]:
        """(day, basis) of the announcement an article leads with when no event carries it: a day-precise act
        date told with a reporting verb ("the ministry said on Sunday"; "Today, Canada and the U.S. announced
        ...", "Today's announcement is welcome news") in its first three body paragraphs, falling in the
        publication month; (None, None) when there is none or the publication date is not a day."""
        if not self.pub or len(self.pub) != 10:
            return None, None
        paras: list[int] = []
        for sent in self.sentences:
            if sent.headline:
                continue
            if sent.para not in paras:
                paras.append(sent.para)
            if len(paras) > 3:
                break
            if not (cue("reporting").search(sent.text) or cue("possessive_announcement").search(sent.text)):
                continue  # no announcement told here: its dates need not be read
            for d in self._dates_of(sent):
                if not (d.value and d.precision == "day" and d.role == "act" and d.value[:7] == self.pub[:7]):
                    continue
                if self._reporting_date(sent.text, d) or cue("announced_after_date").match(sent.text, d.end):
                    return d.value, f"{d.basis}, '{d.text}' in the lead"
        return None, None

    def _occasion_date(self, sent: Sentence):
        """The act date of what a sentence reports: a date told with its reporting verb ("the ministry declared
        on April 4"), else its first act date after a leading framing phrase (not "After talks on May 2, ...")."""
        acts = [d for d in self._dates_of(sent) if d.role == "act" and d.value]
        return next((d for d in acts if self._reporting_date(sent.text, d)), None) or next(
            (d for d in acts if d.start >= self._lead_end(sent)), None
        )

    def _text_year_dates(self, events: list[Event], merged: dict[int, list[Event]]) -> None:
        """Without a publication date, an undated event takes the date its own words give against the year the
        text fixes for itself (:func:`dates.text_reference`: "announced on Sunday November 9" in a text naming
        2024 and 2026 is 2025-11-09; "giovedì" in a text of "Announcement No. 61 of 2025" is 2025), read from
        each sentence merged into it, its own first. Done after merging, like the publication month."""
        if self.text_year is None:
            return
        for ev in events:
            if ev.date is not None:
                continue
            for member in [ev, *merged.get(id(ev), [])]:
                tr = self.trace.get(id(member))
                if tr is None:
                    continue
                date, prec, basis, _, _, _ = self._dates(tr.sent, tr.ts, tr.te, tr.cs, tr.ce, text_year=True)
                if date is not None:
                    ev.date, ev.date_precision, ev.date_basis = date, prec, basis
                    break

    def _publication_month(self, events: list[Event]) -> None:
        """Fresh news without a stated day is dated by the day of the announcement the article leads with
        (its first main event dated to the day in the first paragraphs, when that day falls in the publication
        month or the publication date is unknown), else by its publication month (the annotation rule) — or,
        without a publication date, by the year the text fixes for itself (:func:`dates.text_reference`);
        background events, ongoing programmes and acts placed vaguely ("a few days ago") stay undated."""
        lead = next(
            (
                e
                for e in events
                if e.salience == "main"
                and e.date_precision == "day"
                and self.ctx.anchored.get(id(e))
                and (tr := self.trace.get(id(e))) is not None
                and tr.sent.para <= 2
            ),
            None,
        )
        if lead is not None and self.pub and lead.date[:7] != self.pub[:7]:
            lead = None
        lead_day, lead_basis = (lead.date, lead.date_basis) if lead is not None else self._announcement_day()
        fallback = None
        if self.pub:
            basis = f"publication month {self.pub[:7]} (fresh news; the day is not stated)"
            fallback = self.pub[:7], "month", basis
        elif self.text_year is not None:
            # no publication date, but the text fixes its year (an instrument's number, a dated weekday)
            basis = f"{self.text_year.basis} (fresh news; no publication date)"
            fallback = self.text_year.value, "year", basis
        if fallback is None and lead_day is None:
            return
        for ev in events:
            if (
                ev.date is not None
                or ev.salience != "main"
                or ev.status == "ongoing"
                or not ev.mineral_relevant
            ):
                continue
            if cue("vague_time").search(ev.evidence) or getattr(self.trace.get(id(ev)), "named", False):
                continue  # placed vaguely ("a few days ago"), or an earlier act the news names
            if lead_day is not None:
                ev.date, ev.date_precision = lead_day, "day"
                ev.date_basis = f"the day of the announcement the article leads with ({lead_basis})"
            else:
                ev.date, ev.date_precision, ev.date_basis = fallback

    def run(self) -> list[Event]:
        seen: set[str] = set()
        for sent in self.sentences:
            # a sentence written again (a repeated block, a page pasted twice) says nothing new
            events = self._sentence(sent) if sent.text not in seen else []
            if self.sentence_model is not None and sent.text not in seen and not events:
                events = self._learned(sent)
            seen.add(sent.text)
            if not events:
                self._elaborate_minerals(sent)
            self._update_context(sent, events)
        self._neighbour_dates(self.ctx.events)
        merged: dict[int, list[Event]] = {}
        events = merge(self.ctx.events, {s.start for s in self.sentences if s.headline}, merged)
        self._text_year_dates(events, merged)
        events = _stockpile_money(events)
        # a headline deep in the page that no body sentence supports is a "related news" link, not this story
        late_headlines = {s.start for s in self.sentences if s.headline and s.para > 3}
        events = [e for e in events if e.evidence_start not in late_headlines]
        story = self._story_minerals()
        for e in events:
            if e._headline and story and all(m == GENERIC for m in e.minerals):
                # "Gabon latest country to halt raw export of critical mineral": the story's mineral (manganese)
                e.minerals = normalise_minerals([*e.minerals, *story])
        self._publication_month(events)
        finalise(events, self.article)
        return events


def _stockpile_money(events: list[Event]) -> list[Event]:
    """Without the investments whose sum is a stockpile's of the same article ("commits A$1.2bn to a critical
    minerals reserve" ... "will set aside A$1.2 billion to establish a strategic reserve"): one act, a stockpile."""
    sums = {money_value(e.amount) for e in events if e.event_type == "stockpile" and e.amount}
    sums.discard(None)
    if not sums:
        return events
    return [e for e in events if not (e.event_type == "investment" and money_value(e.amount) in sums)]


@functools.cache
def _learned_rule(etype: str) -> Trigger:
    """The pseudo-rule of events the sentence model proposes (its anchor word is the trigger)."""
    return Trigger(
        id=f"learned.{etype}",
        event_type=etype,
        language="any",
        pattern=re.compile(r"(?!)"),
        stage=etype,
        own_minerals=True,  # a learned event reads no actor or mineral from context
    )


def extract_events(
    article: Article, *, explain: list | None = None, sentence_model: object = "shipped"
) -> list[Event]:
    """The events of one article, in text order.

    ``explain``: a list that receives ``(sentence index, rule, reason)`` for every trigger that matched but was
    rejected (negated, speculative, no actor, no mineral) — the extractor's reasoning, for debugging rules.
    ``sentence_model``: the learned sentence classifier used as a recall source (:mod:`critmin.news.learned`):
    ``"shipped"`` (the artefact in ``data/``, if built), None (rules only) or a
    :class:`~critmin.news.learned.SentenceModel`.
    """
    chosen = learned.model() if sentence_model == "shipped" else sentence_model
    ex = _Extractor(article, chosen)
    events = ex.run()
    if explain is not None:
        explain.extend(ex.rejected)
    return events


def sentences_of(article: Article) -> list[Sentence]:
    """The segmentation the extractor uses (for display and tests)."""
    return segment(article.text)
