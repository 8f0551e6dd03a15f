"""Document-level steps after the sentence rules: merging the mentions of one event, and finishing statuses
and ids.

Events of one article with the same type, overlapping actors, overlapping (or missing) specific minerals,
measures of the same family and compatible dates are one event: the headline and the lead say the same
thing; the dated body sentence is kept as evidence. Merging compares each event with the last
:data:`MAX_CANDIDATES` kept events of its type only, so its cost stays linear in the article's length.
"""

from __future__ import annotations

import functools
import re

from critmin.news.gazetteer import GENERIC, normalise_minerals
from critmin.news.model import SYMMETRIC_TYPES, Article, Event
from critmin.news.rules import has_flag, rulebook, words

MAX_CANDIDATES = 16
RESTRICTIVE = ("export_restriction", "restriction_lifted")


_MONEY_NUMBER = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)\s*(trillion|billion|bn|b\b|million|mn|m\b|miliardi|milioni|miliardo|milione)?",
    re.I,
)
_SCALE = {"trillion": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "miliardi": 1e9, "miliardo": 1e9, "million": 1e6,
          "mn": 1e6, "m": 1e6, "milioni": 1e6, "milione": 1e6}  # fmt: skip


@functools.lru_cache(maxsize=4096)
def money_value(amount: str | None) -> float | None:
    """The number an amount states ("$1.2bn" → 1.2e9, "US$ 500 million" → 5e8), currency aside."""
    if not amount:
        return None
    m = _MONEY_NUMBER.search(amount)
    if m is None:
        return None
    try:
        number = float(m.group(1).replace(",", ""))
    except ValueError:
        return None
    return number * _SCALE.get((m.group(2) or "").lower(), 1.0)


def measure_family(measure: str | None) -> str | None:
    """The family of a measure ('ban' and 'suspension' are halts; licences and controls are controls)."""
    families = rulebook().values["measure_family"]
    return families.get(measure, measure) if measure is not None else None


def compatible_dates(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def head_noun(trigger: str) -> str:
    words = re.findall(r"[\w-]+", trigger.lower())
    return words[-1].rstrip("s") if words else ""


def mergeable(a: Event, b: Event) -> bool:
    """Whether two events of one article are mentions of the same event."""
    if a.event_type != b.event_type:
        return False
    if a.event_type == "investment" and not (a._headline or b._headline):
        # in the body, one sum is one deal: two sums (or a sum and a share of costs) are two investments; two
        # mentions without a sum are one when the same funder acts ("approved 47 strategic projects" ... "the
        # newly selected strategic projects")
        if a.amount is None and b.amount is None:
            same = bool(set(a.initiator) & set(b.initiator))
        else:
            va, vb = money_value(a.amount), money_value(b.amount)
            same = va is not None and vb is not None and abs(va - vb) <= 0.01 * max(va, vb)
        return same and compatible_dates(a.date, b.date)
    if a.event_type in SYMMETRIC_TYPES:
        if not set(a.actors) & set(b.actors):
            return False
        # two bilateral agreements of one country with different partners are two agreements; two new members
        # of one grouping are two memberships
        pair = len(a.actors) == len(b.actors) == 2
        if a.event_type == "agreement" and pair and set(a.actors) != set(b.actors):
            return False
        if a.initiator and b.initiator and a.initiator[0] not in b.actors and b.initiator[0] not in a.actors:
            return False
    elif not set(a.initiator) & set(b.initiator):
        return False
    sa, sb = {m for m in a.minerals if m != GENERIC}, {m for m in b.minerals if m != GENERIC}
    if sa and sb and not sa & sb:
        return False
    # two restrictions of different kinds (a ban and a quota) are different measures; 'other' and 'licence'
    # ("export controls") are compatible with any kind
    kinds = {measure_family(m) for m in (a.measure_type, b.measure_type)}
    if a.event_type in RESTRICTIVE and len(kinds) == 2 and None not in kinds and "control" not in kinds:
        return False
    if a.event_type == "partnership_upgrade" and a.level and b.level and a.level != b.level:
        return False
    if (
        a.event_type in RESTRICTIVE
        and not (a._headline or b._headline)
        and (a._additional or b._additional)
        and a.evidence_start != b.evidence_start
    ):
        return False  # "Inoltre, la Cina ha imposto restrizioni anche all'esportazione di attrezzature": another measure
    if _earlier_act(a, b):
        return False  # an earlier, dated act named in the body is not the undated news beside it
    if (
        a.event_type == "other"
        and not (a._headline or b._headline)
        and head_noun(a.trigger) != head_noun(b.trigger)
        # "the panel upheld ..." "it also found ...": one ruling
        and not (has_flag(a.rule, "ruling") and has_flag(b.rule, "ruling"))
        and not _restated_act(a, b)
    ):
        return False
    return compatible_dates(a.date, b.date) and compatible_dates(a.effective_date, b.effective_date)


RESTATEMENT_CHARS = 200  # "passed a bill" ... (a sentence or a subheading later) "the Bill was passed"


def _restated_act(a: Event, b: Event) -> bool:
    """Two mentions of one legislative act close together ("passed a bill on Tuesday. ... The Bill was passed
    after brief debate"): both triggers name an act, and the second follows within a sentence or a subheading."""
    act = words("act_words")
    if head_noun(a.trigger) not in act or head_noun(b.trigger) not in act:
        return False
    first, second = (a, b) if a.evidence_start <= b.evidence_start else (b, a)
    return 0 <= second.evidence_start - first.evidence_end <= RESTATEMENT_CHARS


def _earlier_act(a: Event, b: Event) -> bool:
    """One is a dated background event and the other undated main news (it will take the publication month)."""
    for old, new in ((a, b), (b, a)):
        if (
            old.salience == "background"
            and old.date is not None
            and new.salience == "main"
            and new.date is None
        ):
            return True
    return False


def merge(events: list[Event], headline_starts: set[int]) -> list[Event]:
    """Events with every group of mentions of one event combined (text order kept)."""
    for ev in events:
        ev._headline = ev.evidence_start in headline_starts
    out: list[Event] = []
    recent: dict[str, list[int]] = {}  # event type -> indexes into out, most recent last
    for ev in events:
        bucket = recent.setdefault(ev.event_type, [])
        k = next((i for i in bucket[-MAX_CANDIDATES:] if mergeable(out[i], ev)), None)
        if k is None:
            bucket.append(len(out))
            out.append(ev)
            continue
        target = out[k]
        primary, secondary = target, ev
        if (target._headline and not ev._headline) or (
            target._headline == ev._headline and target.date is None and ev.date is not None
        ):
            primary, secondary = ev, target
        out[k] = combine(primary, secondary)
    return out


def combine(p: Event, s: Event) -> Event:
    """``p`` completed with what ``s`` adds (dates, details, minerals, parties)."""
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
    if p.event_type in RESTRICTIVE:
        p.counterparts = list(p.targets)
    p.hs_codes = list(dict.fromkeys([*p.hs_codes, *s.hs_codes]))
    p.companies = list(dict.fromkeys([*p.companies, *s.companies]))
    p.mineral_relevant = p.mineral_relevant or s.mineral_relevant
    p.symmetric = p.event_type in SYMMETRIC_TYPES and len(p.actors) > 1
    return p


def finalise(events: list[Event], article: Article) -> None:
    """Statuses that depend on the whole article, text order, ids."""
    events.sort(key=lambda e: e.evidence_start)
    # (country, mineral) -> the first lifting the article reports (indexed: linear in the number of events)
    lifted: dict[tuple[str, str], Event] = {}
    for lift in events:
        if lift.event_type == "restriction_lifted":
            for key in ((c, m) for c in lift.initiator for m in lift.minerals):
                lifted.setdefault(key, lift)
    for ev in events:
        if ev.event_type != "export_restriction" or ev.measure_type not in ("ban", "suspension"):
            continue
        if ev.salience != "background":
            continue
        # a background ban that the same article reports lifted
        lift = next(
            (lifted[k] for k in ((c, m) for c in ev.initiator for m in ev.minerals) if k in lifted), None
        )
        if lift is not None:
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
        if ev.date is None:
            ev.date_precision = None  # "'Friday' needs a publication date": no date, so no precision either
        ev.article_id = article.article_id
        ev.event_id = f"{article.article_id}-{k}"
        ev.symmetric = ev.event_type in SYMMETRIC_TYPES and len(ev.actors) > 1
