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
from critmin.news.gazetteer import Mention, gazetteer
from critmin.news.model import SYMMETRIC_TYPES, Article, Event

EXTRACTOR_VERSION = "1.0"

# -- segmentation ------------------------------------------------------------------------------------------
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "gov", "sen", "rep", "st", "no", "nos", "vs", "etc", "inc", "ltd",
    "co", "corp", "jr", "sr", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "approx", "est", "fig", "art", "para", "e.g", "i.e", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m",
    "dott", "sig", "on",
}  # fmt: skip
_SENT_END = re.compile(r"[.!?]+[\"”’')\]]*(?=\s+[\"“‘'(\[]?[A-Z0-9•ÀÈÉÌÒÙ])")
_BULLET = re.compile(r"^\s*(?:[•●▪◦·∙‣*–-]|\d{1,2}[.)])\s+")
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z.'’ -]{1,40}|[A-Z][a-zà-ÿ]+(?:[ -][A-Z][a-zà-ÿ]+)?,\s+[A-Z][A-Za-z.]{1,20})"
    r"(?:,\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s+\d{4})?)?"  # "BEIJING, Oct 9" / "LIBREVILLE, May 29, 2025"
    r"\s*(?:\([^)\n]{1,40}\))?\s*(?:--|—|–|-)\s*(?=[\"“A-Z])"
)


@dataclass
class Sentence:
    start: int
    end: int
    text: str
    para: int
    index: int
    headline: bool = False
    bullet: bool = False
    mentions: list[Mention] = field(default_factory=list)
    dates: list[dates_mod.DateExpr] = field(default_factory=list)


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: one per line, with hard-wrapped lines joined."""
    spans: list[list[int]] = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.strip():
            spans.append([])  # a blank line ends a paragraph
            continue
        prev = spans[-1] if spans else []
        if (
            prev
            and not re.search(r"[.!?:;\"”’)]\s*$", text[prev[0] : prev[1]])
            and re.match(r"\s*[a-zà-ÿ]", line)
            and not _BULLET.match(line)
        ):
            prev[1] = end
        else:
            lead = len(line) - len(line.lstrip())
            spans.append([start + lead, end])
    return [(s[0], s[1]) for s in spans if s]


def segment(text: str) -> list[Sentence]:
    """Sentences of ``text`` with offsets into it."""
    out: list[Sentence] = []
    for p, (ps, pe) in enumerate(_paragraphs(text)):
        para = text[ps:pe]
        bullet = bool(_BULLET.match(para))
        offset = 0
        m = _DATELINE.match(para)
        if m:
            offset = m.end()
        cuts = [offset]
        for m in _SENT_END.finditer(para, offset):
            word = re.search(r"([\w.]+)[.!?]+[\"”’')\]]*$", para[cuts[-1] : m.end()])
            w = word.group(1).lower().rstrip(".") if word else ""
            if w in _ABBREV or (len(w) == 1 and w.isalpha()) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", w):
                continue
            cuts.append(m.end())
        cuts.append(len(para))
        pieces = [(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1)]
        sents = []
        for s, e in pieces:
            chunk = para[s:e]
            lead = len(chunk) - len(chunk.lstrip())
            trail = len(chunk) - len(chunk.rstrip())
            s2, e2 = ps + s + lead, ps + e - trail
            if e2 > s2:
                sents.append((s2, e2))
        for s, e in sents:
            body = text[s:e]
            headline = (
                len(sents) == 1
                and not bullet
                and not re.search(r"[.!?][\"”’')]*$", body)
                and len(body.split()) <= 25
            )
            out.append(Sentence(s, e, body, p, len(out), headline=headline, bullet=bullet))
    return out


# -- trigger patterns --------------------------------------------------------------------------------------
_W = r"[\w'’\"“”‘%,.$€£-]+"  # a word, possibly quoted, hyphenated or a number


def _gap(n: int) -> str:
    return rf"(?:{_W}\s+){{0,{n}}}?"


_EXPORT_WORD = r"(?:exports?\b|exporting\b|export\s+of\b|shipments?\b|overseas\s+sales\b)"
_RNOUN_A = (
    r"export\s+(?:controls?|restrictions?|bans?|curbs?|licen[cs](?:es?|ing)(?:\s+(?:requirements?|regimes?|system))?"
    r"|quotas?|dut(?:y|ies)|tax(?:es)?|levy|levies|tariffs?|prohibitions?|limits?|caps?|suspensions?|permits?"
    r"|embargo(?:es)?|control\s+measures|control\s+list)\b"
)
_RNOUN_B = (
    r"(?:controls?|restrictions?|bans?|curbs?|limits?|caps?|quotas?|dut(?:y|ies)|tax(?:es)?|levy|levies"
    r"|prohibitions?|embargo(?:es)?|suspensions?|halt|freeze|moratorium)\s+(?:on|of|against)\s+(?:the\s+)?"
    rf"{_gap(4)}{_EXPORT_WORD}"
)
_RNOUN = rf"(?:{_RNOUN_A}|{_RNOUN_B})"
_V_IMPOSE = (
    r"\b(?:impos|introduc|announc|issu|implement|enforc|tighten|expand|extend|add|adopt|approv|plac|put|slap"
    r"|unveil|widen|broaden|reinstat|decre|order|declar|enact|launch|strengthen|step(?:ped|ping|s)?\s+up"
    r"|roll(?:ed|ing|s)?\s+out)\w*"
)
_V_RESTRICT = (
    r"\b(?:ban(?:s|ned|ning)?|prohibit\w*|restrict(?:s|ed|ing)?|curb(?:s|ed|ing)?|limit(?:s|ed|ing)?"
    r"|halt(?:s|ed|ing)?|suspend(?:s|ed|ing)?|block(?:s|ed|ing)?|tighten(?:s|ed|ing)?|stop(?:s|ped|ping)?"
    r"|freez(?:e|es|ing)|froze|embargo(?:es|ed)?|throttl\w+)"
)
_STATUS = (
    r"(?:will\s+(?:apply|take\s+effect|come\s+into\s+(?:force|effect)|be\s+(?:imposed|introduced|implemented|enforced))"
    r"|appl(?:y|ies)\s+to|took\s+effect|takes?\s+effect|came\s+into\s+(?:force|effect)|comes?\s+into\s+(?:force|effect)"
    r"|went\s+into\s+effect|entered\s+into\s+force"
    r"|(?:is|was|were|are|remains?|remained|has\s+been|have\s+been|had\s+been)\s+(?:already\s+)?in\s+place"
    r"|already\s+in\s+place|in\s+place\s+since"
    r"|(?:was|were|has\s+been|have\s+been|had\s+been|is|are|will\s+be)\s+(?:imposed|introduced|announced|issued"
    r"|implemented|tightened|expanded|extended)"
    r"|imposed\s+(?:on|in|since|last|from|by)|introduced\s+(?:on|in|since|last|by)|announced\s+by)"
)
_IT_RNOUN = (
    r"\b(?:divieto|divieti|blocco|sospensione|stop|restrizion[ei]|limitazion[ei]|controll[oi]|licenz[ae]|quot[ae]"
    r"|dazi?o?)\s+(?:\w+\s+){0,2}?(?:all['’]\s*|alle\s+|sulle\s+|sull['’]\s*|dell['’]\s*|delle\s+|di\s+|per\s+l['’]\s*)?"
    r"(?:esportazion[ei]|export)\b"
)
_IT_VERB = (
    r"\b(?:impost[oaie]|impone|impongono|imporr\w+|introdott[oaie]|introduce|introdurr\w+|annunciat[oaie]|annuncia"
    r"|varat[oaie]|vara|decis[oaie]|stabilit[oaie]|scatta|scatter\w+|entr\w+\s+in\s+vigore|in\s+vigore"
    r"|vieta|vietat[oaie]|blocca|bloccat[oaie])\b"
)

_RESTRICTION_RULES = [
    ("restriction.impose", re.compile(rf"{_V_IMPOSE}\s+{_gap(8)}{_RNOUN}", re.I)),
    ("restriction.verb", re.compile(rf"{_V_RESTRICT}\s+(?:(?:the|its|all|some|further|new|most|certain)\s+)?{_gap(5)}{_EXPORT_WORD}", re.I)),
    ("restriction.status", re.compile(rf"{_RNOUN}\s+{_gap(8)}{_STATUS}", re.I)),
    ("restriction.quota", re.compile(
        r"\b(?:export\s+quotas?|quotas?\s+(?:on|for)\s+(?:\w+\s+){0,3}?exports?|(?:allowed|permitted|able)\s+to\s+export\s+"
        r"(?:only\s+)?(?:up\s+to|a\s+maximum\s+of|no\s+more\s+than|at\s+most)|(?:annual|yearly|monthly|quarterly)\s+"
        r"(?:export\s+)?(?:caps?|quotas?)|export\s+caps?)\b", re.I)),
    ("restriction.licence", re.compile(
        r"\b(?:required|requires?|requiring|need(?:s|ed)?|must|have\s+to|has\s+to)\s+(?:[\w'’-]+\s+){0,6}?(?:to\s+)?(?:obtain|apply\s+for|seek"
        r"|get|hold|secure|procure)\s+(?:an?\s+|the\s+|their\s+)?(?:[\w'’-]+\s+){0,2}?(?:export(?:ing)?\s+)?"
        r"(?:licen[cs]es?|permits?)\b", re.I)),
    ("restriction.anaphora", re.compile(
        r"^(?:the|this|that|its|their)\s+(?:[\w-]+\s+)?(?:ban|suspension|restrictions?|controls?|curbs?|quotas?|embargo)"
        r",?\s+(?:[\w'’-]+\s+){0,3}?(?:in\s+place|imposed|introduced|announced|took\s+effect|takes?\s+effect"
        r"|comes?\s+into\s+(?:force|effect)|came\s+into\s+(?:force|effect)|effective|since|appl(?:y|ies))\b", re.I)),
    ("restriction.prohibited", re.compile(
        rf"\b(?:exports?|export\s+of|exporting)\b\s+{_gap(16)}(?:shall|will|may|must|is|are|would)\s+not\s+be\s+"
        r"(?:permitted|allowed|approved|authori[sz]ed|licensed|granted)\b", re.I)),
    ("restriction.passive", re.compile(
        rf"\b(?:exports?|shipments?)\s+(?:of\s+)?{_gap(4)}(?:was|were|has\s+been|have\s+been|had\s+been|will\s+be"
        r"|are|is)\s+(?:\w+\s+)?(?:banned|restricted|halted|suspended|curbed|prohibited|blocked|limited|frozen"
        r"|subject(?:ed)?\s+to\s+(?:export\s+)?(?:licen[cs]\w*|controls?|restrictions?|quotas?))\b", re.I)),
    ("restriction.it", re.compile(_IT_RNOUN, re.I)),
    ("restriction.it_verb", re.compile(
        r"\b(?:vieta|vietat[oaie]|vietare|blocca|bloccat[oaie]|bloccare|sospende|sospes[oaie]|sospendere|limita"
        r"|limitat[oaie]|limitare|restringe|ristrett[oaie]|restringere)\s+(?:\S+\s+){0,3}?(?:l['’]\s*)?"
        r"(?:esportazion[ei]|export)\b", re.I)),
]  # fmt: skip

_LIFT_RULES = [
    ("lifted.verb", re.compile(
        r"\b(?:lift(?:s|ed|ing)?|remov(?:e|es|ed|ing)|scrap(?:s|ped|ping)?|drop(?:s|ped|ping)?|revok(?:e|es|ed|ing)"
        r"|rescind(?:s|ed|ing)?|repeal(?:s|ed|ing)?|eas(?:e|es|ed|ing)|relax(?:es|ed|ing)?|suspend(?:s|ed|ing)?"
        r"|paus(?:e|es|ed|ing)|waiv(?:e|es|ed|ing)|withdr(?:aw|aws|ew|awn|awing)|loosen(?:s|ed|ing)?"
        r"|roll(?:s|ed|ing)?\s+back|end(?:s|ed|ing)?(?=\s+(?:the|its|a|their)\b)|unban(?:s|ned|ning)?"
        r"|overturn(?:s|ed|ing)?|exempt(?:s|ed|ing)?)\s+"
        r"(?:(?:the|its|a|an|their|his|her|some|all|certain|earlier|previous|existing|recent|temporary)\s+)*"
        r"(?:[\w'’-]+\s+){0,4}?(?:bans?|restrictions?|controls?|curbs?|embargo(?:es)?|prohibitions?|suspensions?"
        r"|licen[cs]ing\s+requirements?|quotas?|export\s+dut(?:y|ies)|export\s+tax(?:es)?|measures?)\b", re.I)),
    ("lifted.noun", re.compile(
        r"\b(?:lifting|removal|suspension|easing|relaxation|repeal|revocation|end|scrapping|rollback|waiver)\s+of\s+"
        r"(?:the\s+|its\s+|a\s+|their\s+)?(?:[\w'’-]+\s+){0,4}?(?:bans?|restrictions?|controls?|curbs?|embargo"
        r"|prohibitions?|quotas?|measures?|dut(?:y|ies))\b", re.I)),
    ("lifted.passive", re.compile(
        r"\b(?:bans?|restrictions?|controls?|curbs?|embargo|prohibitions?|suspension|quotas?)\s+(?:[\w'’-]+\s+){0,6}?"
        r"(?:was|were|has\s+been|have\s+been|will\s+be|would\s+be|is\s+being|are\s+being|is|are|had\s+been)\s+"
        r"(?:formally\s+|officially\s+|partially\s+|temporarily\s+)?(?:lifted|removed|scrapped|suspended|eased|relaxed"
        r"|revoked|ended|rescinded|paused|waived|rolled\s+back|withdrawn)\b", re.I)),
    ("lifted.resume", re.compile(
        r"\bresum(?:e|es|ed|ing|ption\s+of)\s+(?:(?:the|its|all)\s+)?(?:[\w'’-]+\s+){0,3}?(?:exports?|shipments?)\b", re.I)),
    ("lifted.it", re.compile(
        r"\b(?:revoca(?:to|ta|re)?|revocat[oaie]|rimoss[oaie]|rimuove|abolit[oaie]|abolisce|tolt[oaie]|sospes[oaie]"
        r"|sospende|allentat[oaie]|allenta|sbloccat[oaie]|sblocca|revoca|rimozione|abolizione|allentamento|sospensione)\s+"
        r"(?:\w+\s+){0,6}?(?:divieto|divieti|blocco|restrizion[ei]|controll[oi]|sospensione|dazi)\b", re.I)),
]  # fmt: skip

_UPGRADE_RULES = [
    ("upgrade.to", re.compile(
        r"\b(?:upgrad|elevat|rais|lift|promot|boost|enhanc|transform|turn|strengthen)\w*\s+(?:[\w\"“”'‘’-]+\s+){0,6}?"
        r"(?:partnership|relations(?:hip)?|ties)\s+(?:[\w'’-]+\s+){0,3}?(?:to|into)\s+(?:an?\s+|the\s+)?"
        r"(?:level\s+of\s+(?:an?\s+)?)?(?:[\w\"“”'‘’-]+\s+){0,4}?(?:partnership|relationship)\b", re.I)),
    ("upgrade.new", re.compile(
        r"\b(?:establish|launch|form|forg|sign|announc|inaugurat|upgrad|elevat)\w*\s+(?:an?\s+|the\s+|their\s+)?"
        r"(?:new\s+)?(?:[\w\"“”'‘’-]+\s+){0,3}?(?:comprehensive|special|global|enhanced|privileged|strategic)\s+"
        r"(?:[\w\"“”'‘’-]+\s+){0,3}?partnership\b", re.I)),
    ("upgrade.it", re.compile(
        r"\b(?:elev|innalz|trasform)\w*\s+(?:\S+\s+){0,6}?(?:partenariato|partnership|rapporti|relazioni)\s+"
        r"(?:\S+\s+){0,4}?(?:a|al|in|ad)\s+(?:un\s+|una\s+)?(?:\S+\s+){0,3}?(?:partenariato|partnership)\b", re.I)),
]  # fmt: skip

_AGREEMENT_NOUN = (
    r"(?:agreements?|deals?|memorand(?:um|a)(?:\s+of\s+(?:understanding|cooperation))?|MoUs?|MOUs?|pacts?"
    r"|treat(?:y|ies)|accords?|compacts?|frameworks?|declarations?|letters?\s+of\s+intent|charters?"
    r"|action\s+plans?|roadmaps?|partnerships?|initiatives?|alliances?|coalitions?|clubs?|platforms?"
    r"|joint\s+statements?|arrangements?|protocols?)\b"
)
_AGREEMENT_RULES = [
    ("agreement.agree", re.compile(r"\b(?:agree(?:d|s)?|agreeing)\s+(?:to|on|upon|that|with|a|an|the|new)\b", re.I)),
    ("agreement.reach", re.compile(
        r"\breach(?:ed|es|ing)?\s+(?:an?\s+|the\s+)?(?:[\w'’-]+\s+){0,3}?(?:agreement|deal|accord|understanding"
        r"|consensus)\b", re.I)),
    ("agreement.sign", re.compile(
        r"\b(?:sign(?:s|ed|ing)?|ink(?:s|ed|ing)?|conclud(?:e|es|ed|ing)|seal(?:s|ed|ing)?|clinch(?:es|ed|ing)?"
        r"|finali[sz](?:e|es|ed|ing)|str(?:ike|ikes|uck|iking)|ratif(?:y|ies|ied|ying)|adopt(?:s|ed|ing)?"
        r"|endors(?:e|es|ed|ing)|launch(?:es|ed|ing)?|unveil(?:s|ed|ing)?|announc(?:e|es|ed|ing)"
        r"|establish(?:es|ed|ing)?|form(?:s|ed|ing)?|creat(?:e|es|ed|ing)|set(?:s|ting)?\s+up|join(?:s|ed|ing)?"
        r"|renew(?:s|ed|ing)?|extend(?:s|ed|ing)?|forg(?:e|es|ed|ing))\s+"
        rf"(?:(?:an?|the|their|its|two|new|first|bilateral|trilateral|joint|landmark|historic|first-ever)\s+)*{_gap(6)}"
        rf"{_AGREEMENT_NOUN}", re.I)),
    ("agreement.passive", re.compile(
        rf"\b{_AGREEMENT_NOUN}\s+{_gap(8)}(?:was|were|has\s+been|have\s+been|had\s+been|is|are)\s+(?:formally\s+"
        r"|officially\s+|jointly\s+)?(?:signed|concluded|reached|inked|sealed|finali[sz]ed|adopted|launched)\b", re.I)),
    ("agreement.it", re.compile(
        r"\b(?:firmat[oaie]|firmano|firma|siglat[oaie]|siglano|sottoscritt[oaie]|sottoscrivono|concordat[oaie]"
        r"|concordano|raggiunt[oaie]|lanciat[oaie]|lanciano|varat[oaie])\s+(?:\S+\s+){0,6}?(?:\w+['’])?(?:accord[oi]|intes[ae]"
        r"|memorandum|protocoll[oi]|dichiarazion[ei]|partenariat[oi]|partnership|iniziativ[ae]|piano)\b", re.I)),
    ("agreement.it_decide", re.compile(r"\b(?:hanno|ha)\s+(?:concordato|convenuto|deciso|stabilito)\s+di\b", re.I)),
]  # fmt: skip

_MONEY = (
    r"(?:(?:US|A|C|AU|NZ|HK|S)?\$|€|£|¥|\b(?:USD|EUR|AUD|CAD|JPY|GBP|CNY|RMB)\s?)\s?\d[\d,.]*"
    r"(?:\s?(?:million|billion|trillion|bn|mn|m|b|miliardi|milioni)\b)?"
    r"|\b\d[\d,.]*\s?(?:million|billion|trillion|bn|mn|miliardi|milioni)\s+(?:(?:US|Australian|Canadian)\s+)?"
    r"(?:dollars|euros?|yen|pounds|yuan|di\s+euro|di\s+dollari)\b"
)
_INVESTMENT_RULES = [
    ("investment.money", re.compile(
        r"\b(?:invest(?:s|ed|ing)?|inject(?:s|ed|ing)?|pour(?:s|ed|ing)?|commit(?:s|ted|ting)?|allocat(?:e|es|ed|ing)"
        r"|earmark(?:s|ed|ing)?|provid(?:e|es|ed|ing)|grant(?:s|ed|ing)?|award(?:s|ed|ing)?|lend(?:s|ing)?|lent"
        r"|loan(?:s|ed)?|financ(?:e|es|ed|ing)|fund(?:s|ed|ing)?|approv(?:e|es|ed|ing))\s+"
        rf"(?:[\w'’$€£.,-]+\s+){{0,6}}?(?:{_MONEY})", re.I)),
    ("investment.noun", re.compile(
        rf"(?:\binvestment\s+of\s+(?:up\s+to\s+|about\s+|around\s+)?(?:{_MONEY})|(?:{_MONEY})\s+(?:equity\s+)?"
        r"(?:investment|loan|financing|funding|grant|equity\s+stake|stake))", re.I)),
    ("investment.stake", re.compile(
        r"\b(?:tak(?:e|es|ing)|took|acquir(?:e|es|ed|ing)|buy(?:s|ing)?|bought|purchas(?:e|es|ed|ing)"
        r"|secur(?:e|es|ed|ing))\s+(?:an?\s+|the\s+)?(?:\d+(?:\.\d+)?\s?(?:%|per\s?cent)\s+)?(?:[\w$.,-]+\s+){0,3}?stake\b",
        re.I)),
    ("investment.it", re.compile(
        rf"\b(?:investir[àa]|investiranno|investito|investimento|investimenti|stanzia\w*|finanzia\w*)\b\s+"
        rf"(?:\S+\s+){{0,6}}?(?:{_MONEY})", re.I)),
]  # fmt: skip

_STOCKPILE_NOUN = re.compile(
    r"\b(?:stockpil(?:e|es|ed|ing)|strategic\s+(?:[\w-]+\s+){0,2}?(?:reserves?|stocks?)|national\s+(?:[\w-]+\s+){0,2}?"
    r"(?:reserves?|stockpiles?)|government\s+(?:[\w-]+\s+){0,2}?stockpiles?|state\s+reserves?\s+bureau"
    r"|scorte\s+strategiche|riserv[ae]\s+strategich?[ae]|stoccaggio)\b",
    re.I,
)
_STOCKPILE_VERB = re.compile(
    r"\b(?:establish|build|built|creat|set(?:s|ting)?\s+up|launch|expand|fund|financ|boost|replenish|start|begin|began"
    r"|begun|announc|approv|unveil|introduc|purchas|acquir|buy|bought|add|allocat|earmark|award|sign|develop"
    r"|will\s+stockpile|to\s+stockpile|istitu|crea|costitu|avvi|lanci)\w*",
    re.I,
)
_OTHER_RULES = [
    ("other.body", re.compile(
        r"\b(?:establish(?:es|ed|ing)?|set(?:s|ting)?\s+up|creat(?:e|es|ed|ing)|launch(?:es|ed|ing)?|form(?:s|ed|ing)?"
        r"|inaugurat(?:e|es|ed|ing)|convene(?:s|d)?|hold|held)\s+(?:(?:an?|the|their|its|new|joint|first|first-ever"
        r"|bilateral|trilateral|second)\s+)*(?:[\w\"“”'‘’-]+\s+){0,5}?(?:body|council|committee|commission"
        r"|working\s+group|task\s+force|dialogue|mechanism|mission|forum|centre|center|hub|secretariat|programme"
        r"|program|project|fund|consortium|venture|office|observatory|institute|network|exercise)s?\b", re.I)),
    ("other.joint", re.compile(
        r"\b(?:(?:jointly\s+)?participat(?:e|es|ed|ing)\s+in|(?:have|has|had|run|runs|share|shares)\s+(?:an?\s+)?)\s*"
        r"(?:[\w-]+\s+){0,2}?(?:joint|trilateral|bilateral|common)\s+(?:[\w-]+\s+){0,3}?(?:project|programme|program"
        r"|venture)s?\b", re.I)),
]  # fmt: skip

# Words without which a type's rules cannot match (a fast pre-test per sentence).
_PREFILTER = {
    "export_restriction": re.compile(
        r"export|shipment|overseas|esportaz|quot[ae]|licen|permit|^\W*(?:the|this|that|its|their)\b", re.I
    ),
    "restriction_lifted": re.compile(
        r"ban|restrict|control|curb|embargo|prohibit|suspension|quota|dut(?:y|ies)|tax|measure|export|shipment"
        r"|divieto|divieti|blocco|restrizion|controll|sospensione|dazi",
        re.I,
    ),
    "partnership_upgrade": re.compile(r"partnership|relation|ties|partenariat|rapporti|relazioni", re.I),
    "agreement": re.compile(
        r"agree|reach|sign|ink|conclu|seal|clinch|finali|strik|struck|ratif|adopt|endors|launch|unveil|announc"
        r"|establish|form|creat|set(?:s|ting)?\s+up|join|renew|extend|forg|firm|sigl|sottoscri|concord|raggiun"
        r"|lanci|varat|convenuto|deciso|stabilito",
        re.I,
    ),
    "investment": re.compile(
        r"invest|stake|loan|fund|financ|grant|award|lend|lent|[$€£¥]|USD|EUR|stanzia", re.I
    ),
    "other": re.compile(
        r"establish|set(?:s|ting)?\s+up|creat|launch|form|inaugurat|conven|hold|held|joint|participat|lateral",
        re.I,
    ),
}

# -- modality ----------------------------------------------------------------------------------------------
_NEGATION = re.compile(
    r"\b(?:not|never|n't|neither|nor|without|non-|denied|denies|deny|refus\w+|reject\w+|declin\w+\s+to"
    r"|fail\w*\s+to|won't|wouldn't|cannot|can't|nessun\w*|non)\b|\bno\s+(?!longer\b)|n't\b",
    re.I,
)
_SPECULATION = re.compile(
    r"\b(?:may|might|could|can|would|should|possibly|possible|potential(?:ly)?|likely|unlikely|consider(?:s|ed|ing)?"
    r"|weigh(?:s|ed|ing)?|mull(?:s|ed|ing)?|contemplat\w+|in\s+talks|talks\s+(?:on|about|over|to)|negotiat\w+"
    r"|discuss(?:es|ed|ing)?|explor(?:e|es|ed|ing)|propos(?:e|es|ed|ing|al)|plan(?:s|ned|ning)?\s+to|intend(?:s|ed)?\s+to"
    r"|seek(?:s|ing)?\s+to|sought\s+to|aim(?:s|ed|ing)?\s+to|hop(?:e|es|ed|ing)\s+to|want(?:s|ed)?\s+to"
    r"|wish(?:es)?\s+to|expected\s+to|expect(?:s|ed|ing)?|pledg(?:e|es|ed|ing)|vow(?:s|ed)?\s+to|poised\s+to|threat(?:en|ens|ened)\s+to|warn(?:s|ed)?|call(?:s|ed)?\s+for"
    r"|urg(?:e|es|ed|ing)|push(?:es|ed|ing)?\s+for|lobb\w+|if|whether|unless|ready\s+to|willing\s+to|prepared\s+to"
    r"|preparing\s+to|draft|rumou?r\w*|speculat\w+|mooted|floated|studying|eye(?:s|ing)?|potrebbe\w*|potrà|potranno"
    r"|valut\w+|ipotesi|trattativ\w+|negoziat\w+|colloqui\w*|intende\w*|punta\s+a|mira\s+a|disponibilit\w+)\b",
    re.I,
)
_REPORTING = re.compile(
    r"\b(?:said|says|announced|announces|stated|declared|confirmed|told|added|notified|decided|agreed|ha\s+detto"
    r"|ha\s+annunciato)\b",
    re.I,
)
_PLAN_DECIDED = re.compile(
    r"\b(?:confirm\w*|announc\w*|unveil\w*|approv\w*|adopt\w*)\s+(?:their\s+|its\s+|the\s+)?plans?\s+to\b",
    re.I,
)
_POST_MODAL = re.compile(
    r"^\W*(?:[\w'’-]+\s+){0,3}?(?:may|might|could|would\s+be\s+considered|is\s+being\s+considered|under\s+consideration"
    r"|being\s+weighed)\b",
    re.I,
)

# -- clauses -----------------------------------------------------------------------------------------------
_LEADING_SUBORDINATE = re.compile(
    r"^\W*(?:Amid|After|Following|Despite|In\s+response\s+to|In\s+retaliation\s+for|As|While|Since|Because|Although"
    r"|Unlike|Alongside|Against|Before|Ahead\s+of|Like|With)\b[^,]{0,200},",
)
_CLAUSE_END = re.compile(
    r";|\s[—–-]{1,2}\s|\b(?:as|amid|while|after|because|despite|in\s+the\s+face\s+of|following|even\s+as|although"
    r"|whereas|which|who|that\s+would|in\s+response\s+to|in\s+retaliation|citing|according\s+to|on\s+top\s+of"
    r"|mentre|dopo|perché|nonostante)\b|,\s+(?:said|says|told|added|according)\b",
    re.I,
)
_PLACE_BEFORE = re.compile(
    r"\b(?:in|at|near|to|visit(?:ed|ing|s)?|across|throughout|around|into|inside|outside|a|nel|nella|presso)\s+(?:the\s+)?$",
    re.I,
)
_DESCRIPTOR_BEFORE = re.compile(
    r"\b(?:members?\s+of|among|fellow|part\s+of|belonging\s+to|membri\s+del)\s+(?:the\s+|both\s+)?$", re.I
)
_WITH_BEFORE = re.compile(
    r"\b(?:with|between|and|con|tra|fra|e)\s+(?:the\s+|its\s+|their\s+|la\s+|il\s+|l['’])?(?:[\w-]+\s+){0,2}?$",
    re.I,
)
_TARGET_BEFORE = re.compile(
    r"\b(?:to|for|toward|towards|targeting|targeted\s+at|against|destined\s+for|bound\s+for|aimed\s+at|verso)\s+"
    r"(?:the\s+|la\s+|il\s+)?(?:[\w-]+\s+){0,1}?$",
    re.I,
)
_BY_BEFORE = re.compile(r"\bby\s+(?:the\s+)?$", re.I)
_IN_BEFORE = re.compile(r"\bin\s+(?:the\s+)?$", re.I)
_PAIR = re.compile(
    r"\b(?:the|both)\s+(?:two\s+)?(?:countries|nations|leaders|governments|sides|ministers|prime\s+ministers|presidents"
    r"|partners|allies|capitals|administrations)\b|\bthe\s+pair\b|\bi\s+due\s+(?:paesi|leader|governi)\b",
    re.I,
)
_THEY = re.compile(r"\b(?:they|them)\b", re.I)
_IT = re.compile(
    r"\b(?:it|the\s+country|the\s+government|the\s+ministry|the\s+regulator|authorities|officials|the\s+commerce\s+ministry"
    r"|the\s+administration|the\s+state|the\s+agency|the\s+cabinet)\b",
    re.I,
)
_NON_MINERAL_GOODS = re.compile(
    r"\b(?:semiconductors?|chips?|microchips?|software|weapons?|arms|drones?|food|grains?|rice|wheat|fertili[sz]ers?"
    r"|oil|gas|LNG|coal|steel|vehicles?|cars?|aircraft|medicines?|vaccines?|AI)\b",
    re.I,
)
_ALSO = re.compile(r"\b(?:also|inoltre|anche)\b", re.I)
_PAST_ACT = re.compile(
    r"\b(?:agreed|decided|confirmed|signed|announced|launched|approved|unveiled|adopted|established|pledged|committed"
    r"|said|will|suspended|lifted|imposed|banned|extended|expanded|issued|introduced|removed|eased|halted|tightened"
    r"|added|hanno|ha)\b",
    re.I,
)
_PRESENT_PERFECT = re.compile(
    r"\b(?:has|have)\s+(?:\w+\s+)?(?:announced|imposed|introduced|decided|signed|agreed|launched|issued|lifted|suspended"
    r"|banned|approved|unveiled|restricted|tightened|halted|expanded|added|adopted|elevated|upgraded|established)\b"
    r"|^\W*(?:[\w'’.-]+\s+){0,8}?(?:imposes|bans|restricts|announces|signs|agree|agrees|lifts|suspends|launches"
    r"|introduces|issues|halts|tightens|adds|expands|unveils|elevate|elevates|upgrades)\b",
    re.I,
)
_DOCUMENT_DECISION = re.compile(
    r"\b(?:it\s+is\s+(?:hereby\s+)?decided|(?:is|are)\s+hereby\s+(?:announced|decided)|hereby\s+(?:announces?|decides?)"
    r"|announced\s+as\s+follows)\b",
    re.I,
)
_BACKGROUND = re.compile(
    r"\b(?:already|previously|earlier|since|last\s+year|in\s+place|had\s+been|had\s+\w+ed|in\s+recent\s+years|a\s+wave\s+of)\b",
    re.I,
)
_OBJECT_PARTICIPLE = re.compile(
    r"^[^,;]*\b(?:announced|imposed|introduced|issued|unveiled|adopted|signed|established|founded|created"
    r"|annunciat[oaie]|impost[oaie]|introdott[oaie]|adottat[oaie]|firmat[oaie])"
    r"\s+(?:on|in|last|earlier\s+(?:this|in))?\s*$",
    re.I,
)
_IMMEDIATE = re.compile(
    r"\b(?:effective(?:ly)?\s+immediately|with\s+immediate\s+effect|immediately|con\s+effetto\s+immediato)\b",
    re.I,
)
_END_USES = re.compile(
    r"\b(?:military|defen[cs]e|dual[- ]use|nuclear)\s+(?:end[- ])?(?:users?|uses?|purposes|applications)\b",
    re.I,
)
_HS = re.compile(
    r"\b(?:HS|H\.S\.|tariff|customs|commodity|CN)\s*(?:codes?|headings?|subheadings?|numbers?|lines?)?\s*(?:No\.?\s*)?"
    r"((?:\d{4}(?:[.\s]?\d{2}){0,3})(?:\s*(?:,|and|or|/|;|e)\s*\d{4}(?:[.\s]?\d{2}){0,3})*)"
)
_COMPANY_RE = re.compile(
    r"\b([A-Z][\w&.-]+(?:\s+[A-Z][\w&.-]+){0,3})\s+(?:Ltd|Limited|Inc|Corp|Corporation|Group|Mining|Materials|Resources"
    r"|Metals|Minerals|Holdings|plc|PLC|SA|S\.A\.|AG|GmbH|N\.V\.|NV|SpA|S\.p\.A\.)\b\.?"
)
_QUOTED = re.compile(r"[\"“‘']([^\"“”‘’']{2,40})[\"”’']")
_RELATIVE = re.compile(r",\s+(?:which|who|whose|that)\b", re.I)
_RELATIVE_SUBJECT = re.compile(r",\s+(?:which|who)\s+(?:[\w'’-]+\s+){0,3}$", re.I)
_ELABORATION = re.compile(
    r"\s*(?:[—–-]{1,2}|:|,?\s*(?:including|such\s+as|adding|namely|notably|like|among\s+them)\b)", re.I
)
_ANAPHORIC_AGREEMENT = re.compile(
    r"\b(?:the|this|that)\s+(?:[\w-]+\s+){0,2}?(?:agreement|deal|pact|accord|memorandum|MoU|framework|initiative|partnership)\b",
    re.I,
)
_MINERAL_PARTNERSHIP = re.compile(
    r"partnership\s+(?:on|for|in)\s+(?:[\w-]+\s+){0,2}?(?:raw\s+materials|minerals|metals)", re.I
)

GENERIC = "critical_minerals"
# measures that an anaphor ("the ban", "the controls") can refer back to
_MEASURE_FAMILY = {"ban": "halt", "suspension": "halt", "licence": "control", "other": "control"}
RARE_EARTH_ELEMENTS = {
    "samarium", "gadolinium", "terbium", "dysprosium", "lutetium", "scandium", "yttrium", "neodymium",
    "praseodymium", "holmium", "erbium", "thulium", "europium", "ytterbium", "lanthanum", "cerium",
}  # fmt: skip


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
    if re.search(r"\?\s*[\"”’]?\s*$", sent):
        return "question"
    neg = _NEGATION.search(window)
    if neg and not re.match(r"(?i)not\s+only", window[neg.start() :]):
        return f"negated ({neg.group(0).strip()})"
    for m in _SPECULATION.finditer(window):
        if m.group(0) == "May":  # the month
            continue
        word = m.group(0).lower()
        if word == "would" and _REPORTING.search(pre[: m.start()]):
            continue
        if word.startswith("plan") and _PLAN_DECIDED.search(pre[: m.end()]):
            continue
        if word == "can" and m.start() >= ts - clause_start:
            continue
        return f"speculative/intent ({m.group(0)})"
    post = sent[te : te + 60]
    post = re.split(r"[,;.]", post, maxsplit=1)[0]
    if _POST_MODAL.search(post):
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
    for m in _RELATIVE.finditer(sent, after):
        end = sent.find(",", m.end())
        out.append((m.start(), end if end >= 0 else len(sent)))
    return out


def _clause_bounds(sent: str, ts: int, te: int) -> tuple[int, int]:
    """(start, end) of the clause around the trigger: leading subordinate phrase and trailing tail removed."""
    start = 0
    semi = sent.rfind(";", 0, ts)
    if semi >= 0:
        start = semi + 1
    m = _LEADING_SUBORDINATE.match(sent[start:ts])
    if m:
        start += m.end()
    end = len(sent)
    m = _CLAUSE_END.search(sent, te)
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
    skip = [
        (m.start(), m.end())
        for m in re.finditer(r"\((?:e\.g\.|eg|for example|such as|including)[^)]*\)", text, re.I)
    ]
    out = []
    for m in sentence.mentions:
        if m.kind != "mineral":
            continue
        s = m.start - sentence.start
        if lo <= s < hi and not any(a <= s < b for a, b in skip):
            out.append(m.value)
    return list(dict.fromkeys(out))


def _normalise_minerals(minerals: list[str]) -> list[str]:
    minerals = list(dict.fromkeys(minerals))
    specific = [m for m in minerals if m != GENERIC]
    if specific:
        if any(m in RARE_EARTH_ELEMENTS for m in specific) and "rare_earths" not in specific:
            specific.insert(0, "rare_earths")
        return specific
    return minerals


def _measure_type(text: str) -> str:
    t = text.lower()
    if re.search(r"quota|caps?\b|allowed to export up to|quot[ae]", t):
        return "quota"
    if re.search(r"suspen|halt|freez|froze|sospension|sospes|sospend", t):
        return "suspension"
    if re.search(r"\bban|prohibit|embargo|divieto|vieta|not\s+be\s+(?:permitted|allowed|approved)", t):
        return "ban"
    if re.search(r"dut(?:y|ies)|\btax|levy|levies|tariff|dazi", t):
        return "export_tax"
    if re.search(r"licen[cs]|permit|licenz", t):
        return "licence"
    return "other"


def _hs_codes(text: str) -> list[str]:
    out = []
    for m in _HS.finditer(text):
        for code in re.split(r"\s*(?:,|and|or|/|;|\be\b)\s*", m.group(1)):
            digits = re.sub(r"[.\s]", "", code)
            if digits.isdigit() and len(digits) >= 4:
                out.append(digits)
    return list(dict.fromkeys(out))


def _levels(sentence: str, trigger: str) -> tuple[str | None, str | None]:
    """(previous_level, level) of a partnership upgrade."""
    quoted = [q.strip().lower() for q in _QUOTED.findall(sentence)]
    if len(quoted) >= 2:
        return quoted[0], quoted[1]
    m = re.search(
        r"(?:to|into)\s+(?:an?\s+|the\s+)?(?:level\s+of\s+(?:an?\s+)?)?[\"“‘']?((?:[\w-]+\s+){0,3}?[\w-]+)[\"”’']?\s+"
        r"(?:partnership|relationship)",
        trigger,
        re.I,
    )
    new = m.group(1).lower() if m else None
    if new is None:
        m = re.search(
            r"((?:comprehensive|special|global|enhanced|privileged|strategic)(?:\s+[\w-]+){0,3}?)\s+partnership",
            trigger,
            re.I,
        )
        new = m.group(1).lower() if m else None
    if new is None:  # Italian: "a partenariato strategico speciale"
        m = re.search(
            r"(?:a|al|in|ad)\s+(?:un\s+|una\s+)?(?:partenariato|partnership)\s+((?:strategic\w*|global\w*"
            r"|special\w*|rafforzat\w*|privilegiat\w*)(?:\s+(?:strategic\w*|global\w*|special\w*|rafforzat\w*"
            r"|privilegiat\w*|e))*)",
            sentence,
            re.I,
        )
        new = f"partenariato {m.group(1).lower()}" if m else None
    prev = None
    m = re.search(
        r"(?:existing|current|their|from\s+an?|from)\s+[\"“‘']?((?:[\w-]+\s+){0,2}?[\w-]+)[\"”’']?\s+(?:partnership|relationship)\s+(?:to|into)",
        trigger,
        re.I,
    )
    if m:
        prev = m.group(1).lower()
    if new:
        new = re.sub(r"^(?:a|an|the)\s+", "", new)
    return prev, new


def _bullet_minerals(sentences: list[Sentence], idx: int) -> list[str]:
    """Minerals named at the head of the bullet items that follow sentence ``idx`` (which ends with ':')."""
    out = []
    for s in sentences[idx + 1 :]:
        if not s.bullet:
            break
        head = re.split(r"[.:;—–(]", _BULLET.sub("", s.text), maxsplit=1)[0][:80]
        out.extend(mm.value for mm in gazetteer().find(head) if mm.kind == "mineral")
    return list(dict.fromkeys(out))


def _companies(sentence: Sentence) -> list[str]:
    names = [m.value for m in sentence.mentions if m.kind == "company"]
    names += [m.group(0).rstrip(".") for m in _COMPANY_RE.finditer(sentence.text)]
    return list(dict.fromkeys(names))


def _money(text: str) -> str | None:
    m = re.search(_MONEY, text, re.I)
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
        rel = _RELATIVE_SUBJECT.search(text, cs, ts)
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
                if _TARGET_BEFORE.search(before):
                    targets += _expand(m, date, self.congo)
                continue
            before = text[max(0, s - 40) : s]
            if m.kind == "grouping" and _DESCRIPTOR_BEFORE.search(before):
                continue
            if s < ts:
                if (
                    m.kind in ("capital", "country", "eu")
                    and not m.possessive
                    and _PLACE_BEFORE.search(before)
                ):
                    continue
                pre += _expand(m, date, self.congo)
            else:
                if _BY_BEFORE.search(before):
                    by += _expand(m, date, self.congo)
                elif etype in ("export_restriction", "restriction_lifted") and _TARGET_BEFORE.search(before):
                    targets += _expand(m, date, self.congo)
                elif etype == "investment" and _IN_BEFORE.search(before):
                    hosts += _expand(m, date, self.congo)
                elif (
                    _WITH_BEFORE.search(before) and (etype in SYMMETRIC_TYPES or etype == "investment")
                ) or (
                    etype in SYMMETRIC_TYPES
                    and (hyphen_pair(s, m.end - sent.start) or (joins and m.kind == "grouping"))
                ):
                    post_with += _expand(m, date, self.congo)
        pre_text = text[cs:ts]
        coref: list[str] = []
        if _PAIR.search(pre_text):
            coref = self.ctx.pair or self.ctx.group
        elif not pre and _THEY.search(pre_text):
            coref = self.ctx.group or self.ctx.pair
        elif not pre and _IT.search(pre_text) and self.ctx.single:
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
                if between and _OBJECT_PARTICIPLE.search(between):
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
        holder = max((m.start() for m in _RELATIVE.finditer(text, 0, ts)), default=None)
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
            background = bool(_BACKGROUND.search(_outside(text, relative)))
            if found is not None and not background:
                date, prec, basis = (
                    found.value,
                    found.precision,
                    f"{found.basis} (reporting date of the paragraph)",
                )
                anchored = True
            elif _ALSO.search(text[:te]) and _PAST_ACT.search(text) and not act:
                prev = self._previous_anchored()
                if prev is not None:
                    date, prec, basis = (
                        prev.date,
                        prev.date_precision,
                        f"same occasion as {prev.event_id or 'the previous event'} ('also')",
                    )
                    anchored = True
            if date is None and self.pub and not act and _DOCUMENT_DECISION.search(text):
                # an official announcement ("it is decided to ...") is dated by its own dateline
                date, prec, basis = self.pub, "day", "date of the announcement document (its dateline)"
                anchored = True
            if (
                date is None
                and self.pub
                and not background
                and _PRESENT_PERFECT.search(text[:te])
                and not act
            ):
                date, prec, basis = (
                    self.pub[:7],
                    "month",
                    "publication month (present-tense/present-perfect report, day not stated)",
                )
        if _IMMEDIATE.search(text) and eff_value is None and date and prec == "day":
            eff_value = date
        return date, prec, basis, eff_value, (e.value if e else None), anchored

    def _paragraph_reporting_date(self, sent: Sentence):
        for other in self.sentences:
            if other.para != sent.para or other is sent:
                continue
            for d in other.dates:
                if d.value and d.precision == "day" and d.role == "act":
                    around = other.text[max(0, d.start - 30) : d.end + 5]
                    if _REPORTING.search(around):
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
        if ce < len(text) and _ELABORATION.match(text, ce):
            # "... export controls - holmium, erbium ..." / ", including gallium": the list belongs to the clause
            minerals += _minerals_between(sent, ce, len(text))
        minerals = minerals or _minerals_between(sent, 0, len(text))
        if text.rstrip().endswith(":"):
            minerals += _bullet_minerals(self.sentences, sent.index)
        minerals = _normalise_minerals(minerals)
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
            "background" if _BACKGROUND.search(_outside(text, _relative_clauses(text, te))) else "main"
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
                        immediate = _IMMEDIATE.search(text) and prev.date_precision == "day"
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
                if etype == "export_restriction" and not _NON_MINERAL_GOODS.search(text):
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
            m = _END_USES.search(text)
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
                    if not _MINERAL_PARTNERSHIP.search(text)
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
            ev.minerals = _normalise_minerals(specific)
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
                prev.date if _IMMEDIATE.search(text) and prev.date_precision == "day" else None
            )
        mt = _measure_type(text)
        if prev.measure_type in (None, "other") and mt in ("licence", "quota"):
            prev.measure_type = mt
        specific = [m for m in minerals if m != GENERIC]
        if specific:
            prev.minerals = _normalise_minerals([*prev.minerals, *specific])
        prev.hs_codes = list(dict.fromkeys([*prev.hs_codes, *_hs_codes(text)]))
        return None

    def _para_of(self, ev: Event) -> int:
        for s in self.sentences:
            if s.start == ev.evidence_start:
                return s.para
        return 0

    def _inherit_restriction_minerals(self, sent: Sentence, initiator: list[str], ce: int) -> list[str]:
        if _NON_MINERAL_GOODS.search(sent.text):
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
                return _normalise_minerals(spec)
        return []

    def _antecedent(self, measure: str) -> Event | None:
        """The latest restriction or lifting in the article whose measure is of the same family."""
        family = _MEASURE_FAMILY.get(measure, measure)
        for ev in reversed(self.ctx.events):
            if ev.event_type in ("export_restriction", "restriction_lifted") and (
                _MEASURE_FAMILY.get(ev.measure_type or "other", ev.measure_type) == family
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
                return _normalise_minerals(spec)
        heads = [s for s in self.sentences[:3] if s.headline]
        found = [m.value for s in heads for m in s.mentions if m.kind == "mineral"]
        if not found and self.article.title:
            found = [m.value for m in gazetteer().find(self.article.title) if m.kind == "mineral"]
        return _normalise_minerals(found)

    def _next_sentence_minerals(self, sent: Sentence) -> list[str]:
        nxt = self.sentences[sent.index + 1] if sent.index + 1 < len(self.sentences) else None
        if nxt is None or nxt.para != sent.para or not _ANAPHORIC_AGREEMENT.match(nxt.text):
            return []
        return _normalise_minerals([m.value for m in nxt.mentions if m.kind == "mineral"])

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
            return "suspended" if re.search(r"suspen|paus|sospes|sospens", text[ts:te], re.I) else "lifted"
        if re.search(
            r"\b(?:will|would|to\s+(?:impose|introduce|suspend|ban|restrict|halt|tighten)|set\s+to|plans?\s+to)\b",
            pre,
            re.I,
        ):
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
            if re.search(
                r"\b(?:will|plans?\s+to|to\s+establish|to\s+set\s+up|to\s+create)\b", text[:te], re.I
            ):
                return "planned"
            if rule == "other.joint":
                return "ongoing"
            return "launched" if "launch" in trig else "agreed"
        if etype == "partnership_upgrade":
            return "decided" if "decided" in pre else "agreed"
        if etype == "agreement":
            if re.search(r"\bwill\b", pre):
                return "planned"
            if re.search(r"sign|ink|firm|sigl|sottoscri", trig):
                return "signed"
            if "launch" in trig or "launch" in pre[-40:]:
                return "launched"
            if re.search(r"adopt|endors", trig):
                return "adopted"
            return "agreed"
        return "planned" if re.search(r"\bwill\b", pre) else "announced"

    # .. one sentence .............................................................................
    def _sentence(self, sent: Sentence) -> list[Event]:
        text = sent.text
        found: list[Event] = []
        masked: list[tuple[int, int]] = []
        suppress_agreement = False

        def first(rules, etype, extra=None):
            # a cheap keyword test first: most sentences name no trigger of a type at all
            if not _PREFILTER[etype].search(text):
                return None
            for rule, pat in rules:
                for m in pat.finditer(text):
                    if any(m.start() < b and a < m.end() for a, b in masked):
                        continue
                    if extra is not None and not extra(m):
                        continue
                    ev = self._event(sent, rule, etype, m.start(), m.end())
                    masked.append((m.start(), m.end()))
                    if ev is not None:
                        return ev
            return None

        up = first(_UPGRADE_RULES, "partnership_upgrade")
        if up is not None:
            if _MINERAL_PARTNERSHIP.search(text):
                # "a strategic partnership on raw materials" is a cooperation agreement, not a diplomatic level
                ts = text.find(up.trigger)
                up.event_type = "agreement"
                up.measure_type = "partnership"
                up.status = self._status("agreement", up.rule, text, ts, ts + len(up.trigger))
            found.append(up)
            suppress_agreement = True
        if any(pat.search(text) for _, pat in _UPGRADE_RULES):
            suppress_agreement = True
        has_export = re.search(r"export|shipment|esportazion", text, re.I) is not None

        def lift_ok(m):
            return has_export or (self.ctx.restriction is not None)

        lifted = first(_LIFT_RULES, "restriction_lifted", lift_ok)
        if lifted is not None:
            found.append(lifted)

        def restriction_ok(m):
            # an Italian restriction noun needs an Italian act verb in the sentence
            if m.re.pattern == _IT_RNOUN:
                return re.search(_IT_VERB, text, re.I) is not None
            return True

        restr = first(_RESTRICTION_RULES, "export_restriction", restriction_ok)
        if restr is not None:
            found.append(restr)
        stock_noun = _STOCKPILE_NOUN.search(text)
        if (
            stock_noun
            and _STOCKPILE_VERB.search(text)
            and not re.search(r"buy(?:s|ing)?\s+back|bought\s+back", text, re.I)
        ):
            verb = _STOCKPILE_VERB.search(text)
            ts, te = min(verb.start(), stock_noun.start()), max(verb.end(), stock_noun.end())
            ev = self._event(sent, "stockpile.noun", "stockpile", ts, te)
            if ev is not None:
                found.append(ev)
        inv = first(_INVESTMENT_RULES, "investment")
        if inv is not None:
            found.append(inv)
        if not suppress_agreement:
            agr = first(_AGREEMENT_RULES, "agreement")
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
            other = first(_OTHER_RULES, "other")
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
                    and _PLACE_BEFORE.search(before)
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
    t = text.lower()
    if re.search(r"memorand|\bmou", t):
        return "MoU"
    if "framework" in t:
        return "framework"
    if "initiative" in t:
        return "initiative"
    if "action plan" in t:
        return "action plan"
    if re.search(r"critical minerals? agreement", t):
        return "critical minerals agreement"
    if re.search(r"agreement|deal|pact|treaty|accord|accordo|intesa", t):
        return "agreement"
    return "cooperation"


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
    kinds = {_MEASURE_FAMILY.get(m, m) for m in (a.measure_type, b.measure_type)}
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
    p.minerals = _normalise_minerals([*p.minerals, *s.minerals])
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
