"""Which new events the watch reports: the kind of event, and whether it touches a watched party.

An event is in scope when it is a restriction, a lifting, an agreement, a partnership upgrade or a
stockpile (:data:`WATCHED_TYPES`), is about minerals (``mineral_relevant``), is the article's news rather
than a background mention, and touches a watched party:

* **directly** — a member of the party is an actor, a target or the host (the EU, ``EUU``, stands for its
  member states on the day), or
* **through a top supplier** — an actor is one of the party's three largest suppliers (by import value,
  BACI, the analysis year) of a mineral the event names, and its deliveries are material
  (:data:`MIN_SUPPLY_KUSD`; below it a supplier is noise, not a finding). An event about critical minerals
  in general matches any mineral.

Everything else is skipped with its reason (one line per event), never silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from critmin.formats import percent

WATCHED_TYPES = ("export_restriction", "restriction_lifted", "agreement", "partnership_upgrade", "stockpile")
AGREEMENT_TYPES = ("agreement", "partnership_upgrade")
TOP_SUPPLIERS = 3
# USD 1 million a year (BACI values are kUSD): a supplier delivering less is not reported as exposure
MIN_SUPPLY_KUSD = 1_000.0
GENERIC = "critical_minerals"


@dataclass(frozen=True)
class Supplier:
    """One of a party's top suppliers of one commodity stage."""

    party: str
    commodity: str
    stage: str
    supplier: str
    rank: int
    share: float  # of the party's import value of the stage
    value_kusd: float


@dataclass(frozen=True)
class Touch:
    """How an event touches one watched party: ``how`` is 'named' or 'supplier'."""

    party: str
    how: str
    who: str  # the member named, or the supplier
    role: str  # initiator | counterpart | target | host | supplier
    commodity: str | None = None
    stage: str | None = None
    share: float | None = None

    def words(self, country_name) -> str:
        if self.how == "named":
            return f"{country_name(self.who)} is {_ROLE_WORDS[self.role]}"
        return (
            f"{country_name(self.who)} supplies {percent(self.share or 0)} of "
            f"{country_name(self.party) if '+' not in self.party else self.party}'s {self.commodity} "
            f"({self.stage}) imports"
        )


_ROLE_WORDS = {
    "initiator": "an initiator",
    "counterpart": "a party",
    "target": "a target",
    "host": "the host country",
}


def top_suppliers(imports: pd.DataFrame, *, top: int = TOP_SUPPLIERS) -> list[Supplier]:
    """The ``top`` largest suppliers per party, commodity and stage, from a tidy table of imports (party,
    commodity, stage, partner, value_kusd — e.g. :meth:`critmin.api.Dataset.bilateral`), keeping only
    deliveries of at least :data:`MIN_SUPPLY_KUSD`."""
    keys = ["party", "commodity", "stage"]
    g = imports.groupby([*keys, "partner"], as_index=False, observed=True)["value_kusd"].sum()
    g = g[g["value_kusd"] > 0]
    if g.empty:
        return []
    g["total"] = g.groupby(keys, observed=True)["value_kusd"].transform("sum")
    g = g.sort_values([*keys, "value_kusd", "partner"], ascending=[True, True, True, False, True])
    g["rank"] = g.groupby(keys, observed=True).cumcount() + 1
    g = g[(g["rank"] <= top) & (g["value_kusd"] >= MIN_SUPPLY_KUSD)]
    return [
        Supplier(
            r.party,
            r.commodity,
            r.stage,
            r.partner,
            int(r.rank),
            float(r.value_kusd / r.total),
            float(r.value_kusd),
        )
        for r in g.itertuples(index=False)
    ]


def event_countries(event: dict, eu_members: Sequence[str]) -> dict[str, str]:
    """Country → role for every country an event names (the EU expanded to its members)."""
    roles: dict[str, str] = {}

    def add(code, role):
        for c in eu_members if code == "EUU" else [code]:
            roles.setdefault(c, role)

    for code in event.get("initiator") or []:
        add(code, "initiator")
    for code in event.get("targets") or []:
        add(code, "target")
    for code in event.get("counterparts") or []:
        add(code, "counterpart")
    if event.get("host_country"):
        add(event["host_country"], "host")
    return roles


def _minerals(event: dict) -> list[str]:
    from critmin.news.linking import catalogue_ids

    return catalogue_ids(list(event.get("minerals") or []))


def touches(event: dict, parties, suppliers: Iterable[Supplier], eu_members: Sequence[str]) -> list[Touch]:
    """How an event touches each watched party (empty: it does not)."""
    roles = event_countries(event, eu_members)
    minerals = set(_minerals(event))
    generic = not minerals or GENERIC in minerals
    # who acts: for a restriction, lifting or stockpile the initiator; for an agreement any party to it
    acting_roles = ("initiator", "counterpart") if event["event_type"] in AGREEMENT_TYPES else ("initiator",)
    acting = {c for c, r in roles.items() if r in acting_roles}
    by_party: dict[str, list[Supplier]] = {}
    for s in suppliers:
        by_party.setdefault(s.party, []).append(s)
    out = []
    for p in parties:
        named = [(c, roles[c]) for c in p.members if c in roles]
        for c, role in named:
            out.append(Touch(p.label, "named", c, role))
        if named:
            continue
        for s in by_party.get(p.label, []):
            if s.supplier in acting and (generic or s.commodity in minerals):
                out.append(Touch(p.label, "supplier", s.supplier, "supplier", s.commodity, s.stage, s.share))
    return out


def skip_reason(event: dict) -> str | None:
    """Why an event is not a watch entry whatever it touches (None when its kind is watched)."""
    if event["event_type"] not in WATCHED_TYPES:
        return f"{event['event_type'].replace('_', ' ')} (not a restriction, lifting, agreement or stockpile)"
    if not event.get("mineral_relevant", True):
        return "not about minerals"
    if event.get("salience") == "background":
        return "background mention of an earlier event"
    return None
