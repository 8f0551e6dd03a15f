"""Sentence-level, explainable extraction of policy events from news text.

The method is a classic rule-based information-extraction pipeline (gazetteer lookup, trigger patterns,
modality filters, slot filling, within-document coreference and event merging; cf. Hogenboom et al. 2016,
"A survey of event extraction methods from text for decision support systems", *Decision Support Systems*
85, §3 "knowledge-driven" methods). Every step is a rule one can read:

1. **Segmentation** — paragraphs (one per line; hard-wrapped lines re-joined), datelines ("BEIJING
   (Reuters) -") stripped, sentences split at terminal punctuation except after abbreviations ("U.S.",
   "Sept.", "No."); headlines (a short line without a full stop) and bullets are marked.
2. **Triggers** — regular expressions per event type (English and Italian), tried in the order
   partnership_upgrade → restriction_lifted → export_restriction → stockpile → investment → agreement →
   other; a lifting masks the restriction words it contains ("lifting its export ban" is not also a ban) and
   an upgrade suppresses the agreement verb of the same sentence ("agreed to elevate their partnership").
3. **Modality** — a trigger is dropped when its clause is negated ("did not", "non-imposition") or
   speculative/intentional ("may", "could", "weighing", "in talks", "plans to", "expected to", "whether",
   "seeks to", "urged"). "would" after a reporting verb ("said it would impose") and "confirmed/announced
   plans to" are reported decisions, not speculation.
4. **Slots** — actors are the country-like mentions of the trigger's own clause (subordinate "as/amid/while
   ..." clauses cut off; places after in/at; "members of the G7" is a description, not an actor), plus
   "with/between X" after the trigger; "the two countries", "they", "it" resolve to the actors of the
   previous event or sentence. Targets of a restriction are the countries after "to/against/targeting".
   Minerals come from the clause (a specific mineral replaces the generic ``critical_minerals``), from a
   bullet list the sentence introduces, or — for a restriction that names none — from the previous
   restriction of the same country in the article. Dates: see :mod:`critmin.news.dates`; a sentence
   without its own date takes the reporting date of its paragraph ("..., the regulator announced Sunday"),
   a sentence with "also" + a past act takes the date of the event before it, and a present-perfect lead
   ("has announced") takes the publication month.
5. **Merging** — events of one article with the same type, overlapping actors and compatible minerals,
   measure and dates are one event (the headline and the lead sentence say the same thing); the body
   sentence with a date is kept as evidence.

Production and market facts ("the world's largest producer", "prices hit a low") have no trigger, so they
never become events. An event is kept only if it has at least one actor; restrictions, liftings,
investments and stockpiles also need a mineral; agreements without a mineral are dropped; joint bodies and
programmes without minerals are kept as ``other`` with ``mineral_relevant=False``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from critmin.news import dates as dates_mod
from critmin.news.gazetteer import GENERIC, Mention, gazetteer, normalise_minerals
from critmin.news.model import SYMMETRIC_TYPES, Article, Event
from critmin.news.rules import cue, label, rulebook
from critmin.news.segment import BULLET, Sentence, segment

EXTRACTOR_VERSION = "1.0"


def _measure_family() -> dict[str, str]:
    return rulebook().values["measure_family"]


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


# -- helpers -----------------------------------------------------------------------------------------------
def _modality_blocked(sent: str, ts: int, te: int, clause_start: int, rule: str = "") -> str | None:
    """Why the trigger at sent[ts:te] is not a fact, or None."""
    pre = sent[clause_start:ts]
    # "exports ... shall not be permitted": the negation is the prohibition itself
    window = pre if rule == "restriction.prohibited" else sent[clause_start:te]
    if cue("question").search(sent):
        return "question"
    neg = cue("negation").search(window)
    if neg and not cue("negation_exception").match(window, neg.start()):
        return f"negated ({neg.group(0).strip()})"
    for m in cue("speculation").finditer(window):
        if m.group(0) == "May":  # the month
            continue
        word = m.group(0).lower()
        if word == "would" and cue("reporting").search(pre[: m.start()]):
            continue
        if word.startswith("plan") and cue("plan_decided").search(pre[: m.end()]):
            continue
        if word == "can" and m.start() >= ts - clause_start:
            continue
        return f"speculative/intent ({m.group(0)})"
    post = sent[te : te + 60]
    post = re.split(r"[,;.]", post, maxsplit=1)[0]
    if cue("post_modal").search(post):
        return "speculative (modal after trigger)"
    return None


def _outside(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given spans blanked out."""
    for a, b in spans:
        text = text[:a] + " " * (b - a) + text[b:]
    return text


def _is_old(date: str, pub: str, months: int = 2) -> bool:
    """Whether a date (any precision) ends more than ``months`` months before the publication date."""
    end = {4: date + "-12", 7: date}.get(len(date), date[:7])
    return end < _months_before(pub, months)


def _relative_clauses(sent: str, after: int) -> list[tuple[int, int]]:
    """Spans of ", which/who ..." clauses after position ``after`` (up to the next comma or the end)."""
    out = []
    for m in cue("relative").finditer(sent, after):
        end = sent.find(",", m.end())
        out.append((m.start(), end if end >= 0 else len(sent)))
    return out


def _clause_bounds(sent: str, ts: int, te: int) -> tuple[int, int]:
    """(start, end) of the clause around the trigger: leading subordinate phrase and trailing tail removed."""
    start = 0
    semi = sent.rfind(";", 0, ts)
    if semi >= 0:
        start = semi + 1
    m = cue("leading_subordinate").match(sent[start:ts])
    if m:
        start += m.end()
    end = len(sent)
    m = cue("clause_end").search(sent, te)
    if m:
        end = m.start()
    return start, end


@functools.lru_cache(maxsize=512)
def _members(bloc: str, day: str | None) -> tuple[str, ...]:
    from critmin.errors import CritminError
    from critmin.reference import blocs

    try:
        return blocs.members(bloc, day)
    except CritminError:  # an unknown grouping in the data file must not stop extraction
        return ()


def _expand(m: Mention, date: str | None, congo: str) -> list[str]:
    """ISO3 codes a mention stands for: a grouping's members on the event date (else today's members)."""
    if m.kind == "grouping":
        day = date if date and len(date) == 10 else (f"{date[:4]}-12-31" if date else None)
        return list(_members(m.value, day))
    if m.kind == "congo":
        return [congo]
    return [m.value]


def _country_mentions(sentence: Sentence, lo: int, hi: int) -> list[Mention]:
    return [
        m
        for m in sentence.mentions
        if m.is_country_like and lo <= m.start - sentence.start and m.end - sentence.start <= hi
    ]


def _minerals_between(sentence: Sentence, lo: int, hi: int) -> list[str]:
    text = sentence.text
    # minerals inside "(e.g., ...)" examples do not count
    skip = [(m.start(), m.end()) for m in cue("example_parenthesis").finditer(text)]
    out = []
    for m in sentence.mentions:
        if m.kind != "mineral":
            continue
        s = m.start - sentence.start
        if lo <= s < hi and not any(a <= s < b for a, b in skip):
            out.append(m.value)
    return list(dict.fromkeys(out))


def _measure_type(text: str) -> str:
    return label("measure_type", text, "other")


def _hs_codes(text: str) -> list[str]:
    out = []
    for m in cue("hs_codes").finditer(text):
        for code in re.split(r"\s*(?:,|and|or|/|;|\be\b)\s*", m.group(1)):
            digits = re.sub(r"[.\s]", "", code)
            if digits.isdigit() and len(digits) >= 4:
                out.append(digits)
    return list(dict.fromkeys(out))


def _levels(sentence: str, trigger: str) -> tuple[str | None, str | None]:
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


def _bullet_minerals(sentences: list[Sentence], idx: int) -> list[str]:
    """Minerals named at the head of the bullet items that follow sentence ``idx`` (which ends with ':')."""
    out = []
    for s in sentences[idx + 1 :]:
        if not s.bullet:
            break
        head = re.split(r"[.:;—–(]", BULLET.sub("", s.text), maxsplit=1)[0][:80]
        out.extend(mm.value for mm in gazetteer().find(head) if mm.kind == "mineral")
    return list(dict.fromkeys(out))


def _companies(sentence: Sentence) -> list[str]:
    names = [m.value for m in sentence.mentions if m.kind == "company"]
    names += [m.group(0).rstrip(".") for m in cue("company_name").finditer(sentence.text)]
    return list(dict.fromkeys(names))


def _money(text: str) -> str | None:
    m = cue("money").search(text)
    return m.group(0).strip() if m else None


# -- the extractor -----------------------------------------------------------------------------------------
class _Extractor:
    def __init__(self, article: Article):
        self.article = article
        self.text = article.text
        self.pub = article.published
        self.sentences = segment(self.text)
        mentions = gazetteer().find(self.text)
        for s in self.sentences:
            s.mentions = [m for m in mentions if s.start <= m.start and m.end <= s.end]
            s.dates = dates_mod.find_dates(s.text, self.pub)
        cod = any(m.value == "COD" and m.kind == "country" for m in mentions) or "Kinshasa" in self.text
        self.congo = "COG" if ("Brazzaville" in self.text and not cod) else "COD"
        self.ctx = _Context()
        self.rejected: list[tuple[int, str, str]] = []  # (sentence index, rule, reason) for explainability

    # .. actors ..................................................................................
    def _actors(self, sent: Sentence, ts: int, te: int, cs: int, ce: int, etype: str, date: str | None):
        text = sent.text
        pre: list[str] = []
        post_with: list[str] = []
        targets: list[str] = []
        by: list[str] = []
        hosts: list[str] = []
        mentions = _country_mentions(sent, cs, ce)
        rel = cue("relative_subject").search(text, cs, ts)
        if rel is not None:
            # "the Philippines ..., after Indonesia, which banned ore exports": the antecedent acts
            before_rel = [m for m in mentions if m.end - sent.start <= rel.start()]
            antecedent = before_rel[-1:] if before_rel else []
            mentions = antecedent + [m for m in mentions if m.start - sent.start >= ts]
        joins = re.match(r"(?i)join", text[ts:te]) is not None
        country_spans = {(m.start - sent.start, m.end - sent.start) for m in mentions}

        def hyphen_pair(a: int, b: int) -> bool:
            """The mention at text[a:b] is half of a hyphenated pair ("Italia-Giappone", "U.S.-Japan")."""
            return any(
                (e2 == a - 1 and text[a - 1] == "-") or (s2 == b + 1 and text[b : b + 1] == "-")
                for s2, e2 in country_spans
            )

        for m in mentions:
            s = m.start - sent.start
            if ts <= s < te and etype in ("export_restriction", "restriction_lifted") and not m.possessive:
                before = text[max(cs, s - 40) : s]
                if cue("target_before").search(before):
                    targets += _expand(m, date, self.congo)
                continue
            before = text[max(0, s - 40) : s]
            if m.kind == "grouping" and cue("descriptor_before").search(before):
                continue
            if s < ts:
                if (
                    m.kind in ("capital", "country", "eu")
                    and not m.possessive
                    and cue("place_before").search(before)
                ):
                    continue
                pre += _expand(m, date, self.congo)
            else:
                if cue("by_before").search(before):
                    by += _expand(m, date, self.congo)
                elif etype in ("export_restriction", "restriction_lifted") and cue("target_before").search(
                    before
                ):
                    targets += _expand(m, date, self.congo)
                elif etype == "investment" and cue("in_before").search(before):
                    hosts += _expand(m, date, self.congo)
                elif (
                    cue("with_before").search(before) and (etype in SYMMETRIC_TYPES or etype == "investment")
                ) or (
                    etype in SYMMETRIC_TYPES
                    and (hyphen_pair(s, m.end - sent.start) or (joins and m.kind == "grouping"))
                ):
                    post_with += _expand(m, date, self.congo)
        pre_text = text[cs:ts]
        coref: list[str] = []
        if cue("pair").search(pre_text):
            coref = self.ctx.pair or self.ctx.group
        elif not pre and cue("they").search(pre_text):
            coref = self.ctx.group or self.ctx.pair
        elif not pre and cue("it").search(pre_text) and self.ctx.single:
            coref = [self.ctx.single]
        return (
            list(dict.fromkeys(pre)),
            list(dict.fromkeys(coref)),
            list(dict.fromkeys(post_with)),
            list(dict.fromkeys(targets)),
            list(dict.fromkeys(by)),
            list(dict.fromkeys(hosts)),
        )

    # .. dates ....................................................................................
    def _dates(self, sent: Sentence, ts: int, te: int, etype: str):
        """(date, precision, basis, effective, end, anchored)."""
        text = sent.text
        act, eff, end = [], [], []
        relative = _relative_clauses(text, te)
        for d in sent.dates:
            between = text[te : d.start] if d.start >= te else ""
            if any(a <= d.start < b for a, b in relative):
                continue  # "..., which had been in place since December 2024": about something else
            if d.role in ("act", "since"):
                # "the controls announced on Oct. 9": a date that belongs to the trigger's object, not the act
                if between and cue("object_participle").search(between):
                    continue
                act.append(d)
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
        if holder is not None and any(d.start < holder for d in act):
            act = [d for d in act if d.start < holder]
        a = nearest(act)
        effective = nearest(eff)
        e = nearest(end)
        eff_value = effective.value if effective else None
        date = prec = basis = None
        anchored = False
        if a is not None:
            date, prec, basis = a.value, a.precision, a.basis
            anchored = a.value is not None and a.precision == "day"
        else:
            found = self._paragraph_reporting_date(sent)
            background = bool(cue("background").search(_outside(text, relative)))
            if found is not None and not background:
                date, prec, basis = (
                    found.value,
                    found.precision,
                    f"{found.basis} (reporting date of the paragraph)",
                )
                anchored = True
            elif cue("also").search(text[:te]) and cue("past_act").search(text) and not act:
                prev = self._previous_anchored()
                if prev is not None:
                    date, prec, basis = (
                        prev.date,
                        prev.date_precision,
                        f"same occasion as {prev.event_id or 'the previous event'} ('also')",
                    )
                    anchored = True
            if date is None and self.pub and not act and cue("document_decision").search(text):
                # an official announcement ("it is decided to ...") is dated by its own dateline
                date, prec, basis = self.pub, "day", "date of the announcement document (its dateline)"
                anchored = True
            if (
                date is None
                and self.pub
                and not background
                and cue("present_perfect").search(text[:te])
                and not act
            ):
                date, prec, basis = (
                    self.pub[:7],
                    "month",
                    "publication month (present-tense/present-perfect report, day not stated)",
                )
        if cue("immediate").search(text) and eff_value is None and date and prec == "day":
            eff_value = date
        return date, prec, basis, eff_value, (e.value if e else None), anchored

    def _paragraph_reporting_date(self, sent: Sentence):
        for other in self.sentences:
            if other.para != sent.para or other is sent:
                continue
            for d in other.dates:
                if d.value and d.precision == "day" and d.role == "act":
                    around = other.text[max(0, d.start - 30) : d.end + 5]
                    if cue("reporting").search(around):
                        return d
        return None

    def _previous_anchored(self) -> Event | None:
        for ev in reversed(self.ctx.events):
            if self.ctx.anchored.get(id(ev)):
                return ev
            return None
        return None

    # .. one trigger ..............................................................................
    def _event(self, sent: Sentence, rule: str, etype: str, ts: int, te: int) -> Event | None:
        text = sent.text
        cs, ce = _clause_bounds(text, ts, te)
        cs = min(cs, ts)
        reason = _modality_blocked(text, ts, te, cs, rule)
        if reason:
            self.rejected.append((sent.index, rule, reason))
            return None
        date, prec, basis, eff, end, anchored = self._dates(sent, ts, te, etype)
        pre, coref, post_with, targets, by, hosts = self._actors(
            sent, ts, te, cs, ce, etype, date or self.pub
        )
        # minerals: the clause, then the whole sentence
        minerals = _minerals_between(sent, cs, ce)
        if ce < len(text) and cue("elaboration").match(text, ce):
            # "... export controls - holmium, erbium ..." / ", including gallium": the list belongs to the clause
            minerals += _minerals_between(sent, ce, len(text))
        minerals = minerals or _minerals_between(sent, 0, len(text))
        if text.rstrip().endswith(":"):
            minerals += _bullet_minerals(self.sentences, sent.index)
        minerals = normalise_minerals(minerals)
        ev = Event(
            event_type=etype,
            initiator=[],
            rule=rule,
            trigger=text[ts:te],
            language=self.article.language or "en",
        )
        ev.evidence, ev.evidence_start, ev.evidence_end = text, sent.start, sent.end
        ev.date, ev.date_precision, ev.date_basis, ev.effective_date, ev.end_date = (
            date,
            prec,
            basis,
            eff,
            end,
        )
        ev.measure = re.sub(r"\s+", " ", text[ts:ce]).strip(" ,.;:")[:200]
        ev.salience = (
            "background" if cue("background").search(_outside(text, _relative_clauses(text, te))) else "main"
        )
        if date and self.pub and _is_old(date, self.pub):
            ev.salience = "background"

        if etype in ("export_restriction", "restriction_lifted"):
            initiator = pre or by or coref
            if rule == "restriction.anaphora" and not initiator:
                prev = self._antecedent(_measure_type(text[ts:te]))
                if prev is not None and prev.event_type == "export_restriction":
                    # "The ban was announced in December last year" / "The ban takes effect immediately":
                    # more about the measure already extracted
                    if prev.date is None and date is not None:
                        prev.date, prev.date_precision, prev.date_basis = date, prec, basis
                    if prev.effective_date is None:
                        immediate = cue("immediate").search(text) and prev.date_precision == "day"
                        prev.effective_date = eff or (prev.date if immediate else None)
                    return None
                if prev is not None:  # "The ban, in place since February" after "is lifting its export ban"
                    initiator = prev.initiator
            if not initiator:
                return self._continuation(sent, rule, text, minerals, eff, targets)
            ev.initiator = (
                initiator[:1] if len(set(initiator)) > 1 and not pre else list(dict.fromkeys(initiator))[:1]
            )
            ev.targets = [t for t in targets if t not in ev.initiator]
            ev.counterparts = list(ev.targets)
            specific = [m for m in minerals if m != GENERIC]
            if not specific:
                inherited = self._inherit_restriction_minerals(sent, ev.initiator, ce)
                minerals = inherited or minerals
            if not minerals:
                if etype == "export_restriction" and not cue("non_mineral_goods").search(text):
                    # "it is decided to strengthen the export control of dual-use items": the items may follow
                    ev.measure_type = _measure_type(text[ts:te])
                    ev.status = self._restriction_status(etype, text, ts, te, eff, ev.salience, rule)
                    self.ctx.pending = (ev, sent.para)
                    self.ctx.anchored[id(ev)] = anchored
                    self.rejected.append((sent.index, rule, "no mineral (kept for the next sentences)"))
                else:
                    self.rejected.append((sent.index, rule, "no mineral"))
                return None
            ev.minerals = minerals
            window = text[max(0, ts - 20) : min(len(text), te + 25)]
            words = text[ts:te]
            if etype == "restriction_lifted":  # the measure lifted, not the lifting ("suspension of the ban")
                words = words.split(None, 1)[1] if " " in words else words
                window = words
            ev.measure_type = (
                _measure_type(words) if _measure_type(words) != "other" else _measure_type(window)
            )
            ev.hs_codes = _hs_codes(text)
            m = cue("end_uses").search(text)
            ev.end_uses = m.group(0) if m else None
            ev.status = self._restriction_status(etype, text, ts, te, eff, ev.salience, rule)
        else:
            actors = list(dict.fromkeys([*pre, *coref, *post_with, *by]))
            if etype == "investment":
                actors = list(dict.fromkeys([*pre, *coref, *by])) or hosts
            if not actors:
                self.rejected.append((sent.index, rule, "no actor"))
                return None
            ev.initiator, ev.counterparts = actors[:1], actors[1:]
            if etype == "investment":
                ev.host_country = hosts[0] if hosts else None
                if ev.host_country and ev.host_country not in actors:
                    ev.counterparts.append(ev.host_country)
                ev.companies = _companies(sent)
                ev.amount = _money(text)
            if etype == "other" and minerals:
                if len(actors) < 2:
                    self.rejected.append(
                        (sent.index, rule, "a body/programme of one country: not an agreement")
                    )
                    return None
                etype = ev.event_type = "agreement"
            if etype == "agreement" and not minerals:
                # the headline's or an earlier sentence's agreement of the same parties, or "The agreement
                # covers lithium and copper." right after
                minerals = self._inherit_agreement_minerals(actors) or self._next_sentence_minerals(sent)
                if not minerals:
                    self.rejected.append((sent.index, rule, "agreement without a mineral"))
                    return None
            if etype == "agreement" and len(actors) < 2 and not _companies(sent):
                self.rejected.append((sent.index, rule, "agreement with a single party"))
                return None
            if etype in ("investment", "stockpile") and not minerals:
                minerals = self._context_minerals(sent)
            if etype in ("investment", "stockpile") and not minerals:
                self.rejected.append((sent.index, rule, "no mineral"))
                return None
            if etype == "partnership_upgrade":
                ev.previous_level, ev.level = _levels(text, text[ts:te])
                ev.measure_type = "partnership_level"
                minerals = (
                    [m for m in minerals if m != GENERIC]
                    if not cue("mineral_partnership").search(text)
                    else minerals
                )
            ev.minerals = minerals
            ev.status = self._status(etype, rule, text, ts, te)
            if etype == "agreement":
                ev.measure_type = _agreement_level(text[ts:te] + " " + text[te:ce])
        ev.symmetric = ev.event_type in SYMMETRIC_TYPES and len(ev.actors) > 1
        ev.mineral_relevant = ev.event_type != "other"
        self.ctx.anchored[id(ev)] = anchored
        return ev

    def _continuation(self, sent, rule, text, minerals, eff, targets=()) -> Event | None:
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
            ev = Event(**{k: v for k, v in base.to_dict().items()})
            ev.minerals = normalise_minerals(specific)
            ev.evidence, ev.evidence_start, ev.evidence_end = text, sent.start, sent.end
            ev.targets = list(dict.fromkeys([*base.targets, *targets]))
            ev.counterparts = list(ev.targets)
            ev.effective_date = eff or base.effective_date
            mt = _measure_type(text)
            if mt != "other":
                ev.measure_type = mt
            ev.rule = f"{base.rule}+{rule}"
            ev.trigger = f"{base.trigger} … {rule}"
            ev.hs_codes = _hs_codes(text)
            self.ctx.anchored[id(ev)] = self.ctx.anchored.get(id(base), False)
            self.ctx.pending = None
            return ev
        if prev is None or prev.event_type != "export_restriction" or sent.para - self._para_of(prev) > 3:
            self.rejected.append((sent.index, rule, "no actor"))
            return None
        if prev.effective_date is None:
            prev.effective_date = eff or (
                prev.date if cue("immediate").search(text) and prev.date_precision == "day" else None
            )
        mt = _measure_type(text)
        if prev.measure_type in (None, "other") and mt in ("licence", "quota"):
            prev.measure_type = mt
        specific = [m for m in minerals if m != GENERIC]
        if specific:
            prev.minerals = normalise_minerals([*prev.minerals, *specific])
        prev.hs_codes = list(dict.fromkeys([*prev.hs_codes, *_hs_codes(text)]))
        return None

    def _para_of(self, ev: Event) -> int:
        for s in self.sentences:
            if s.start == ev.evidence_start:
                return s.para
        return 0

    def _inherit_restriction_minerals(self, sent: Sentence, initiator: list[str], ce: int) -> list[str]:
        if cue("non_mineral_goods").search(sent.text):
            return []
        prev = self.ctx.restriction
        if prev is not None and set(prev.initiator) & set(initiator):
            spec = [m for m in prev.minerals if m != GENERIC]
            if spec:
                return spec
        for other in reversed(self.sentences[: sent.index]):
            if other.para != sent.para:
                break
            spec = [m.value for m in other.mentions if m.kind == "mineral" and m.value != GENERIC]
            if spec:
                return normalise_minerals(spec)
        return []

    def _antecedent(self, measure: str) -> Event | None:
        """The latest restriction or lifting in the article whose measure is of the same family."""
        family = _measure_family().get(measure, measure)
        for ev in reversed(self.ctx.events):
            if ev.event_type in ("export_restriction", "restriction_lifted") and (
                _measure_family().get(ev.measure_type or "other", ev.measure_type) == family
            ):
                return ev
        return None

    def _context_minerals(self, sent: Sentence) -> list[str]:
        """Specific minerals of the previous sentence of the paragraph, else of the headline/title."""
        for other in reversed(self.sentences[: sent.index]):
            if other.para != sent.para:
                break
            spec = [m.value for m in other.mentions if m.kind == "mineral" and m.value != GENERIC]
            if spec:
                return normalise_minerals(spec)
        heads = [s for s in self.sentences[:3] if s.headline]
        found = [m.value for s in heads for m in s.mentions if m.kind == "mineral"]
        if not found and self.article.title:
            found = [m.value for m in gazetteer().find(self.article.title) if m.kind == "mineral"]
        return normalise_minerals(found)

    def _next_sentence_minerals(self, sent: Sentence) -> list[str]:
        nxt = self.sentences[sent.index + 1] if sent.index + 1 < len(self.sentences) else None
        if nxt is None or nxt.para != sent.para or not cue("anaphoric_agreement").match(nxt.text):
            return []
        return normalise_minerals([m.value for m in nxt.mentions if m.kind == "mineral"])

    def _inherit_agreement_minerals(self, actors: list[str]) -> list[str]:
        for ev in reversed(self.ctx.events):
            if ev.event_type == "agreement" and set(ev.actors) & set(actors):
                return list(ev.minerals)
        return []

    def _restriction_status(self, etype, text, ts, te, eff, salience, rule) -> str:
        pre = text[:te]
        if etype == "restriction_lifted":
            if eff and self.pub and eff > self.pub[: len(eff)]:
                return "announced"
            return "suspended" if cue("suspension_words").search(text[ts:te]) else "lifted"
        if cue("announced_restriction").search(pre):
            return "announced"
        if eff and self.pub and eff > self.pub[: len(eff)]:
            return "announced"
        if salience == "background" or rule == "restriction.anaphora" or eff:
            return "in_force"
        return "announced"

    def _status(self, etype, rule, text, ts, te) -> str:
        trig = text[ts:te].lower()
        pre = text[:ts].lower()
        if etype == "other":
            if cue("planned").search(text[:te]):
                return "planned"
            if rule == "other.joint":
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

    # .. one sentence .............................................................................
    def _first(self, sent: Sentence, etype: str, masked: list[tuple[int, int]], ok=None) -> Event | None:
        """The first event that a trigger rule of ``etype`` yields in the sentence (rules in table order)."""
        text = sent.text
        book = rulebook()
        # a cheap keyword test first: most sentences name no trigger of a type at all
        if not book.prefilter[etype].search(text):
            return None
        for rule in book.triggers[etype]:
            req = rule.requires.search(text) if rule.requires is not None else None
            if rule.requires is not None and req is None:
                continue
            if rule.unless is not None and rule.unless.search(text):
                continue
            for m in rule.pattern.finditer(text):
                ts, te = m.span()
                if any(ts < b and a < te for a, b in masked):
                    continue
                if ok is not None and not ok(m):
                    continue
                if rule.span_requires and req is not None:
                    ts, te = min(ts, req.start()), max(te, req.end())
                ev = self._event(sent, rule.id, etype, ts, te)
                masked.append((ts, te))
                if ev is not None:
                    return ev
        return None

    def _sentence(self, sent: Sentence) -> list[Event]:
        text = sent.text
        found: list[Event] = []
        masked: list[tuple[int, int]] = []
        suppress_agreement = False
        up = self._first(sent, "partnership_upgrade", masked)
        if up is not None:
            if cue("mineral_partnership").search(text):
                # "a strategic partnership on raw materials" is a cooperation agreement, not a diplomatic level
                ts = text.find(up.trigger)
                up.event_type = "agreement"
                up.measure_type = "partnership"
                up.status = self._status("agreement", up.rule, text, ts, ts + len(up.trigger))
            found.append(up)
            suppress_agreement = True
        if any(r.pattern.search(text) for r in rulebook().triggers["partnership_upgrade"]):
            suppress_agreement = True
        has_export = cue("export_mention").search(text) is not None
        lifted = self._first(
            sent, "restriction_lifted", masked, lambda m: has_export or self.ctx.restriction is not None
        )
        if lifted is not None:
            found.append(lifted)
        for etype in ("export_restriction", "stockpile", "investment"):
            ev = self._first(sent, etype, masked)
            if ev is not None:
                found.append(ev)
        if not suppress_agreement:
            agr = self._first(sent, "agreement", masked)
            if agr is not None:
                # "signed a framework ..., pledging to invest and build stockpiles": terms of the agreement
                at = text.find(agr.trigger)
                found = [
                    e
                    for e in found
                    if e.event_type not in ("investment", "stockpile") or text.find(e.trigger) < at
                ]
                found.append(agr)
        if not any(e.event_type in ("agreement", "partnership_upgrade") for e in found):
            other = self._first(sent, "other", masked)
            if other is not None:
                found.append(other)
        return found

    def _update_context(self, sent: Sentence, events: list[Event]) -> None:
        for ev in events:
            self.ctx.events.append(ev)
            self.ctx.group = ev.actors
            if len(ev.actors) >= 2:
                self.ctx.pair = ev.actors
            if ev.initiator:
                self.ctx.single = ev.initiator[0]
            if ev.event_type in ("export_restriction", "restriction_lifted"):
                self.ctx.restriction = ev
        if not events:
            names = []
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
                names.append(self.congo if m.kind == "congo" else m.value)
            names = list(dict.fromkeys(names))
            if len(names) == 2:
                self.ctx.pair = names
            if (
                names
                and sent.mentions
                and sent.mentions[0].is_country_like
                and sent.mentions[0].start - sent.start < 30
            ):
                first = sent.mentions[0]
                if first.kind != "grouping":
                    self.ctx.single = self.congo if first.kind == "congo" else first.value

    def run(self) -> list[Event]:
        for sent in self.sentences:
            events = self._sentence(sent)
            self._update_context(sent, events)
        events = _merge(self.ctx.events, self.sentences)
        # a headline deep in the page that no body sentence supports is a "related news" link, not this story
        late_headlines = {s.start for s in self.sentences if s.headline and s.para > 3}
        events = [e for e in events if e.evidence_start not in late_headlines]
        _finalise(events, self.article)
        return events


def _months_before(pub: str, k: int) -> str:
    y, m = int(pub[:4]), int(pub[5:7])
    idx = y * 12 + (m - 1) - k
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def _agreement_level(text: str) -> str:
    return label("agreement_level", text, "cooperation")


# -- merging -----------------------------------------------------------------------------------------------
def _compatible_dates(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _mergeable(a: Event, b: Event) -> bool:
    if a.event_type != b.event_type:
        return False
    if a.event_type in SYMMETRIC_TYPES:
        if not set(a.actors) & set(b.actors):
            return False
    elif not set(a.initiator) & set(b.initiator):
        return False
    sa, sb = {m for m in a.minerals if m != GENERIC}, {m for m in b.minerals if m != GENERIC}
    if sa and sb and not sa & sb:
        return False
    # two restrictions of different kinds (a ban and a quota) are different measures; 'other' and 'licence'
    # ("export controls") are compatible with any kind
    kinds = {_measure_family().get(m, m) for m in (a.measure_type, b.measure_type)}
    if (
        a.event_type in ("export_restriction", "restriction_lifted")
        and len(kinds) == 2
        and None not in kinds
        and "control" not in kinds
    ):
        return False
    if a.event_type == "partnership_upgrade" and a.level and b.level and a.level != b.level:
        return False
    if (
        a.event_type == "other"
        and not (a._headline or b._headline)
        and _head_noun(a.trigger) != _head_noun(b.trigger)
    ):
        return False
    return _compatible_dates(a.date, b.date) and _compatible_dates(a.effective_date, b.effective_date)


def _head_noun(trigger: str) -> str:
    words = re.findall(r"[\w-]+", trigger.lower())
    return words[-1].rstrip("s") if words else ""


def _merge(events: list[Event], sentences: list[Sentence]) -> list[Event]:
    headline_starts = {s.start for s in sentences if s.headline}
    for ev in events:
        ev._headline = ev.evidence_start in headline_starts
    out: list[Event] = []
    for ev in events:
        target = next((o for o in out if _mergeable(o, ev)), None)
        if target is None:
            out.append(ev)
            continue
        primary, secondary = target, ev
        t_head = target.evidence_start in headline_starts
        e_head = ev.evidence_start in headline_starts
        if (t_head and not e_head) or (t_head == e_head and target.date is None and ev.date is not None):
            primary, secondary = ev, target
        merged = _combine(primary, secondary)
        out[out.index(target)] = merged
    return out


def _combine(p: Event, s: Event) -> Event:
    for f in ("date", "date_precision", "date_basis", "effective_date", "end_date", "level", "previous_level",
              "end_uses", "host_country", "amount"):  # fmt: skip
        if getattr(p, f) is None and getattr(s, f) is not None:
            if f in ("date_precision", "date_basis") and p.date is not None:
                continue
            setattr(p, f, getattr(s, f))
    if p.measure_type in (None, "other") and s.measure_type not in (None, "other"):
        p.measure_type = s.measure_type
    p.minerals = normalise_minerals([*p.minerals, *s.minerals])
    if p.event_type in SYMMETRIC_TYPES:
        extra = [a for a in s.actors if a not in p.actors]
        p.counterparts = [*p.counterparts, *extra]
    p.targets = list(dict.fromkeys([*p.targets, *s.targets]))
    if p.event_type in ("export_restriction", "restriction_lifted"):
        p.counterparts = list(p.targets)
    p.hs_codes = list(dict.fromkeys([*p.hs_codes, *s.hs_codes]))
    p.companies = list(dict.fromkeys([*p.companies, *s.companies]))
    p.symmetric = p.event_type in SYMMETRIC_TYPES and len(p.actors) > 1
    return p


def _finalise(events: list[Event], article: Article) -> None:
    events.sort(key=lambda e: e.evidence_start)
    lifts = [e for e in events if e.event_type == "restriction_lifted"]
    for ev in events:
        if ev.event_type != "export_restriction" or ev.measure_type not in ("ban", "suspension"):
            continue
        for lift in lifts:
            # a background ban that the same article reports lifted
            if (
                set(lift.initiator) & set(ev.initiator)
                and set(lift.minerals) & set(ev.minerals)
                and ev.salience == "background"
            ):
                ev.status = "lifted"
                ev.end_date = ev.end_date or lift.effective_date
    for ev in events:
        if (
            ev.event_type == "export_restriction"
            and ev.status == "announced"
            and ev.effective_date
            and article.published
            and ev.effective_date <= article.published[: len(ev.effective_date)]
        ):
            ev.status = "in_force"
    for k, ev in enumerate(events, start=1):
        ev.article_id = article.article_id
        ev.event_id = f"{article.article_id}-{k}"
        ev.symmetric = ev.event_type in SYMMETRIC_TYPES and len(ev.actors) > 1


def extract_events(article: Article, *, explain: list | None = None) -> list[Event]:
    """The events of one article, in text order.

    ``explain``: a list that receives ``(sentence index, rule, reason)`` for every trigger that matched but was
    rejected (negated, speculative, no actor, no mineral) — the extractor's reasoning, for debugging rules.
    """
    ex = _Extractor(article)
    events = ex.run()
    if explain is not None:
        explain.extend(ex.rejected)
    return events


def sentences_of(article: Article) -> list[Sentence]:
    """The segmentation the extractor uses (for display and tests)."""
    return segment(article.text)
