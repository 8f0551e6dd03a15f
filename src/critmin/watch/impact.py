"""What a proposed record would change for a watched party: exposure, supply-risk and scenario numbers
computed **without** and **with** it, and the difference in words with units and provenance.

*Without* is the world as the reviewed records describe it on the watch's date (``as_of``): the registry's
restrictive measures in force, the partnerships in force. *With* adds the one proposed record (a new
measure or partnership), or takes away what a lifting relaxes. Each entry is judged alone: other proposals
of the same run are not in either set, and nothing is written to the registry (a proposal stays
unreviewed until ``critmin news review`` / ``critmin restrictions review``).

Numbers, per party × mineral × trade stage, for the analysis year's trade (CEPII BACI HS92):

* **imports under export measures** — share of the party's import value from a supplier whose measure
  reaches the party (all destinations, or a member among its targets; HS codes matched at the 4-digit
  heading; end-use-only measures such as military end-user bans are not counted), for the new measure
  alone and for all measures in force, without → with;
* **EU supply risk** (European Commission 2017 method, :mod:`critmin.indicators.eu_crm`) with the trade
  factor t = 1.1 for suppliers under a measure (Grohol & Veeh 2023), the factors taken from the
  registry in force without → with the record;
* **scenario shortfall** — the restriction cascade of :mod:`critmin.scenarios` (Marchand et al. 2016) on the
  stage's trade network, run for every measure in force that acts on it, without → with; the unknown
  share of exports a measure stops is drawn per measure type from :data:`SHARE_RANGES`, substitution from
  :data:`SUBSTITUTION`, with a Latin-hypercube sample of ``draws`` points whose columns are keyed by
  measure id (common random numbers: the measures both runs share get the same draws); the watched
  parties hold ``stock_days`` of stocks, other countries none. Reported: the party's shortfall p50 (tonnes
  a year on the network's basis and % of its apparent consumption) and its days of cover p50;
* for an agreement or partnership upgrade: the share of the party's imports from partners in force, and the
  import risk left after partner sourcing (:func:`critmin.optimize.sourcing.optimize_sourcing`, GeoPolRisk
  Σ gᵢxᵢ/F, partners' exports as capacity, 65% cap, other suppliers kept at most at today's level);
* for a stockpile of a watched party: the stock in tonnes and the scenario shortfall with and without it.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.errors import CritminError
from critmin.formats import percent
from critmin.scenarios.registry import FIELDS as REGISTRY_FIELDS
from critmin.scenarios.registry import LIST_FIELDS as REGISTRY_LIST_FIELDS

# Share of the imposer's exports (to the measure's targets) a measure stops, by measure type: a ban or an
# export suspension stops everything; for licence regimes the observed first-year fall of China's exports
# ranged from 12.5 % (graphite, 2024) to 97 % (antimony ore, 2024; BACI, see docs/scenarios.md §5), so
# their range is wide; quotas and duties bind less.
SHARE_RANGES: dict[str, tuple[float, float]] = {
    "ban": (1.0, 1.0),
    "suspension": (1.0, 1.0),
    "licence": (0.1, 0.9),
    "quota": (0.2, 0.6),
    "export_tax": (0.05, 0.3),
    "other": (0.1, 0.9),
}
SUBSTITUTION = (0.0, 0.2)  # f_c, the share of a residual shock absorbed by consumption (docs/scenarios.md)
DEFAULT_DRAWS = 32
DEFAULT_STOCK_DAYS = 60.0  # JOGMEC's national stockpile target
RESTRICTED_T = 1.1
ENDED = ("suspended", "lifted", "expired", "rejected")
MAX_GENERIC_COMMODITIES = 3
PCT = "% of import value"
SR_UNIT = "SR (EU scale; critical at ≥ 1)"
RISK_UNIT = "GeoPolRisk import risk Σgx/F (0–1)"  # an event on "critical minerals" in general: the party's largest such trades


@dataclass
class Change:
    """One number for one party, without and with the proposed record (tidy; ``text`` says it in words)."""

    party: str
    party_name: str
    commodity: str | None
    stage: str | None
    year: int | None
    kind: str  # exposure | risk | scenario | sourcing | stock | context
    quantity: str
    unit: str
    without: float | None
    with_: float | None
    text: str
    provenance: str = ""

    @property
    def changed(self) -> bool:
        a, b = self.without, self.with_
        if a is None or b is None:
            return False
        if math.isinf(a) or math.isinf(b):
            return a != b
        return not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)

    def format(self, value: float | None) -> str:
        """A value in the change's unit, for tables."""
        if value is None:
            return "—"
        if self.unit.startswith("%"):
            return fmt_pct(value)
        if self.unit.startswith("t/yr"):
            return fmt_t(value)
        if self.unit == "days":
            return "no gap" if math.isinf(value) else f"{value:,.0f}"
        return fmt_num(value, 3)

    def to_dict(self) -> dict:
        def num(v):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                return None
            if isinstance(v, float) and math.isinf(v):
                return "inf"
            return float(v)

        return {
            "party": self.party,
            "party_name": self.party_name,
            "commodity": self.commodity,
            "stage": self.stage,
            "year": self.year,
            "kind": self.kind,
            "quantity": self.quantity,
            "unit": self.unit,
            "without": num(self.without),
            "with": num(self.with_),
            "without_text": self.format(self.without),
            "with_text": self.format(self.with_),
            "changed": self.changed,
            "text": self.text,
            "provenance": self.provenance,
        }


# -- pure helpers ------------------------------------------------------------------------------------------
def hs_reaches(hs6: Iterable[str], measure_codes: Iterable[str]) -> np.ndarray:
    """Which HS6 codes a measure's stated codes reach (same 4-digit heading; a measure without codes reaches
    every code) — the matching rule of :func:`critmin.indicators.eu_crm.trade_factors_from_registry`."""
    codes = [str(h) for h in hs6]
    heads = {str(c)[:4] for c in measure_codes if str(c)}
    if not heads:
        return np.ones(len(codes), dtype=bool)
    return np.array([h[:4] in heads for h in codes], dtype=bool)


def reaches(record: dict, member: np.ndarray, partner: np.ndarray, hs6: np.ndarray) -> np.ndarray:
    """Rows of a party's imports (member, partner, hs6) that an export measure reaches: the partner is the
    imposer, the member is a target (or the measure has none), the code is covered, no end-use limit."""
    if record.get("end_uses"):
        return np.zeros(len(member), dtype=bool)
    mask = partner == record["imposer"]
    if record.get("targets"):
        mask &= np.isin(member, list(record["targets"]))
    return mask & hs_reaches(hs6, record.get("hs_codes") or [])


def share_reached(values: np.ndarray, masks: Sequence[np.ndarray]) -> float:
    """Share of the total value in rows reached by at least one of the masks (0 when nothing is imported)."""
    total = float(np.sum(values))
    if total <= 0:
        return float("nan")
    hit = np.zeros(len(values), dtype=bool)
    for m in masks:
        hit |= m
    return float(np.sum(values[hit]) / total)


def lhs_column(n: int, key: str, seed: int = 0) -> np.ndarray:
    """One column of a Latin-hypercube sample (McKay, Beckman & Conover 1979): n uniforms in [0, 1), one in
    each stratum [k/n, (k+1)/n), in an order drawn from a generator keyed by (seed, key) — the same key
    gives the same column in every run (common random numbers)."""
    k = int(hashlib.sha256(key.encode()).hexdigest()[:12], 16)
    rng = np.random.default_rng([int(seed), k])
    return (rng.permutation(n) + rng.random(n)) / n


def share_range(record: dict) -> tuple[float, float]:
    return SHARE_RANGES.get(record.get("measure_type") or "other", SHARE_RANGES["other"])


# -- formatting --------------------------------------------------------------------------------------------
def fmt_pct(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return percent(x, 1 if 0 < 100 * x < 9.95 else 0)


def fmt_t(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f} t"
    return f"{x:,.1f} t" if abs(x) >= 1 else f"{x:,.2f} t"


def fmt_usd_kusd(x: float) -> str:
    usd = 1000.0 * x
    for unit, div in (("bn", 1e9), ("m", 1e6), ("k", 1e3)):
        if abs(usd) >= div:
            return f"USD {usd / div:,.1f} {unit}"
    return f"USD {usd:,.0f}"


def fmt_days(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "not exhausted (no supply gap)"
    return f"{x:,.0f} days"


def fmt_num(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.{digits}f}"


def words(commodity: str) -> str:
    """A catalogue id in words ('rare_earths' → 'rare earths')."""
    return commodity.replace("_", " ")


def arrow(a: str, b: str) -> str:
    return f"{a} (unchanged)" if a == b else f"{a} → {b}"


# -- the computations --------------------------------------------------------------------------------------
class Impact:
    """With/without numbers for proposed records, for the watched parties (caches shared across entries).

    ``ds``: the Dataset; ``parties``: resolved :class:`~critmin.reference.blocs.Party` objects; ``year``: the
    trade year of every number; ``as_of``: the day the registry and partnerships are read.
    """

    def __init__(
        self,
        ds,
        parties,
        *,
        year: int,
        as_of: str,
        stock_days: float = DEFAULT_STOCK_DAYS,
        draws: int = DEFAULT_DRAWS,
        seed: int = 0,
    ):
        if draws < 2:
            raise CritminError(f"draws must be at least 2, got {draws}")
        if stock_days < 0:
            raise CritminError(f"stock days must be >= 0, got {stock_days}")
        self.ds, self.parties, self.year, self.as_of = ds, list(parties), int(year), as_of
        self.stock_days, self.draws, self.seed = float(stock_days), int(draws), int(seed)
        self._party = {p.label: p for p in self.parties}
        self._networks: dict = {}
        self._scenarios: dict = {}
        self._eu: dict = {}
        self._lp: dict = {}
        self._partners: dict = {}

    # -- inputs ------------------------------------------------------------------------------------------
    @functools.cached_property
    def in_force(self) -> list[dict]:
        """Reviewed restrictive measures in force on ``as_of`` (the *without* set)."""
        from critmin.scenarios.registry import restrictions

        df = restrictions(self.ds, in_force=self.as_of)
        self.ds.con.execute("SELECT 1").fetchall()  # the registry probe can leave a pending result (duckdb 2)
        return [record_for_impact(r) for r in df.to_dict("records")]

    @functools.cached_property
    def trade_source(self) -> str:
        from critmin.indicators.geopolrisk import trade_provenance

        return f"{trade_provenance(self.ds)}, {self.year}"

    @functools.cache  # noqa: B019 - one Impact per run; the cache lives as long as it
    def imports(self, party: str) -> pd.DataFrame:
        """The party's imports in the year by member, partner, commodity, stage and HS6 (kUSD, tonnes);
        flows between members of a bloc are left out."""
        p = self._party[party]
        parts = []
        for m in p.members:
            b = self.ds.bilateral(m, None, self.year, by_hs=True)
            b = b[~b["partner"].isin(p.members)]
            parts.append(b.assign(member=m))
        cols = ["member", "partner", "commodity", "stage", "hs6", "value_kusd", "tonnes"]
        df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
        return df[cols]

    def all_imports(self) -> pd.DataFrame:
        """The imports of every watched party (column ``party`` added), for ranking their suppliers."""
        return pd.concat(
            [self.imports(p.label).assign(party=p.label) for p in self.parties], ignore_index=True
        )

    def stage_imports(self, party: str, commodity: str, stage: str) -> pd.DataFrame:
        df = self.imports(party)
        return df[(df["commodity"] == commodity) & (df["stage"] == stage)].reset_index(drop=True)

    def network(self, commodity: str, stage: str):
        """The cascade network of a commodity stage in the year (None, with the reason, when there is none)."""
        key = (commodity, stage)
        if key not in self._networks:
            from critmin.scenarios.network import build_network

            try:
                self._networks[key] = (build_network(self.ds, commodity, stage, self.year), None)
            except CritminError as exc:
                self._networks[key] = (None, str(exc))
        return self._networks[key]

    def watched_members(self) -> list[str]:
        return list(dict.fromkeys(m for p in self.parties for m in p.members))

    def name(self, party: str) -> str:
        p = self._party.get(party)
        return p.name if p is not None else _country_name(party)

    # -- restriction sets ---------------------------------------------------------------------------------
    def with_set(self, record: dict, link_note: str | None = None) -> tuple[list[dict], str]:
        """The measures in force *with* a proposed restriction record, and a sentence on how it differs."""
        base = self.in_force
        if record.get("relaxes"):
            gone = [r for r in base if r["id"] in set(record["relaxes"])]
            kept = [r for r in base if r["id"] not in set(record["relaxes"])]
            if not gone:
                return base, f"it relaxes {', '.join(record['relaxes'])}, none of which is in force"
            return kept, f"it relaxes {', '.join(r['id'] for r in gone)}"
        if record.get("status") in ENDED:
            return base, "the measure it reports is no longer in force and is not in the registry"
        if record.get("end_date") and record["end_date"] <= self.as_of:
            return base, f"the measure ended on {record['end_date']}"
        same = _corroborated(link_note)
        if same and any(r["id"] in same for r in base):
            return base, f"it restates {', '.join(same)}, already in force"
        return [*base, record], "the new measure is added to those in force"

    # -- restriction numbers -------------------------------------------------------------------------------
    def restriction_changes(self, record: dict, party: str, link_note: str | None = None) -> list[Change]:
        """Exposure, EU supply risk and scenario numbers of one party, without → with the record."""
        from critmin.reference import commodities as cat

        with_measures, how = self.with_set(record, link_note)
        lifting = bool(record.get("relaxes")) or record.get("status") in ENDED
        out: list[Change] = []
        for cid in self._record_commodities(record, party):
            c = cat.get(cid)
            if not c.trade_stages:
                note = (
                    f"{words(cid)} has no HS92 trade code in BACI: exposure and scenarios cannot be computed"
                )
                out.append(self._context(party, cid, None, note))
                continue
            for s in c.trade_stages:
                out.extend(self._restriction_stage(record, party, cid, s, with_measures, how, lifting))
        return out

    def _record_commodities(self, record: dict, party: str) -> list[str]:
        from critmin.reference import commodities as cat

        ids = [c for c in record.get("commodities") or [] if c in cat.catalogue()]
        if ids:
            return ids
        # critical minerals in general: the party's largest imports from the imposer
        imp = self.imports(party)
        imp = imp[imp["partner"] == record.get("imposer")]
        top = imp.groupby("commodity")["value_kusd"].sum().sort_values(ascending=False)
        return list(top.index[:MAX_GENERIC_COMMODITIES])

    def _context(self, party, commodity, stage, text, provenance="") -> Change:
        """A sentence without numbers to compare (why nothing is computed, or who else is concerned)."""
        return self._change(party, commodity, stage, "context", "note", "", None, None, text, provenance)

    def _restriction_stage(self, record, party, c, s, with_measures, how, lifting) -> list[Change]:
        from critmin.watch.scope import MIN_SUPPLY_KUSD

        pname, cname = self.name(party), words(c)
        imp = self.stage_imports(party, c, s)
        total = float(imp["value_kusd"].sum())
        if total < MIN_SUPPLY_KUSD:
            note = f"{pname} imported {fmt_usd_kusd(total)} of {cname} ({s}) in {self.year}: no material exposure"
            return [self._context(party, c, s, note, self.trade_source)]
        member, partner, hs6 = (imp[k].astype(str).to_numpy() for k in ("member", "partner", "hs6"))
        values = imp["value_kusd"].to_numpy(float)

        def masks(recs):
            return [reaches(r, member, partner, hs6) for r in recs if _covers(r, c)]

        out = []
        if not lifting:
            own = share_reached(values, masks([record]))
            text = (
                f"{pname}'s {cname} ({s}) imports under the new measure: {fmt_pct(own)} of value "
                f"({fmt_usd_kusd(own * total)} of {fmt_usd_kusd(total)})"
            )
            q = "imports_under_new_measure"
            out.append(self._change(party, c, s, "exposure", q, PCT, None, own, text, self.trade_source))
        before = share_reached(values, masks(self.in_force))
        after = share_reached(values, masks(with_measures))
        text = (
            f"{pname}'s {cname} ({s}) imports under export measures in force: "
            f"{arrow(fmt_pct(before), fmt_pct(after))} of value ({how})"
        )
        q = "imports_under_measures_in_force"
        out.append(self._change(party, c, s, "exposure", q, PCT, before, after, text, self.trade_source))
        out.extend(self._eu_sr_change(party, c, s, with_measures))
        out.extend(self._scenario_changes(party, c, s, self.in_force, with_measures))
        return out

    def _eu_sr_change(self, party, c, s, with_measures) -> list[Change]:
        pname, cname = self.name(party), words(c)
        a = self._eu_sr(party, c, s, self.in_force)
        b = self._eu_sr(party, c, s, with_measures)
        if a is None or b is None or a[0] is None or b[0] is None:
            return []
        restricted = ", ".join(sorted(b[2])) or "none"
        delta = "" if math.isclose(a[0], b[0], abs_tol=5e-4) else f", {b[0] - a[0]:+.3f}"
        text = (
            f"EU supply risk of {pname}'s {cname} ({s}): {arrow(fmt_num(a[0], 3), fmt_num(b[0], 3))}{delta} "
            f"(suppliers with t = {RESTRICTED_T}: {restricted})"
        )
        prov = f"{a[1]}; EC 2017 method, t = {RESTRICTED_T} for suppliers under export measures (Grohol & Veeh 2023)"
        return [self._change(party, c, s, "risk", "eu_supply_risk", SR_UNIT, a[0], b[0], text, prov)]

    def _trade_factors(self, party, c, s, measures) -> pd.DataFrame:
        """t_c per supplier of the EU method for these measures (:mod:`critmin.indicators.eu_crm`)."""
        key = ("t_c", party, c, s, tuple(sorted(r["id"] for r in measures if _covers(r, c))))
        if key not in self._eu:
            from critmin.indicators.eu_crm import trade_factors_from_registry

            recs = [r for r in measures if _covers(r, c)]
            members = self._party[party].members
            rows, _ = trade_factors_from_registry(recs, c, s, members, restricted_t=RESTRICTED_T)
            tc = pd.DataFrame(rows, columns=["country", "scope", "t", "measures"])[["country", "scope", "t"]]
            self._eu[key] = tc.sort_values(["country", "scope"]).reset_index(drop=True)
        return self._eu[key]

    def _eu_key(self, party, c, s, measures) -> tuple[tuple, pd.DataFrame]:
        tc = self._trade_factors(party, c, s, measures)
        return (party, c, s, tuple(map(tuple, tc.astype(str).to_numpy()))), tc

    def _eu_sr(self, party, c, s, measures) -> tuple[float | None, str, set[str]]:
        """EU supply risk of one stage with the trade factors of ``measures`` (cached by the factors)."""
        key, tc = self._eu_key(party, c, s, measures)
        if key not in self._eu:
            self._compute_eu_sr({key: tc})
        return self._eu[key]

    def prepare(self, jobs: Iterable[tuple[str, dict, str | None]]) -> None:
        """Compute, in as few calls of the supply-risk engine as possible, every EU supply risk that
        :meth:`restriction_changes` will ask for these (party, record, link note) jobs."""
        from critmin.reference import commodities as cat

        need: dict[tuple, pd.DataFrame] = {}
        for party, record, note in jobs:
            with_measures, _ = self.with_set(record, note)
            for c in self._record_commodities(record, party):
                for s in cat.get(c).trade_stages:
                    for measures in (self.in_force, with_measures):
                        key, tc = self._eu_key(party, c, s, measures)
                        if key not in self._eu:
                            need[key] = tc
        self._compute_eu_sr(need)

    def _compute_eu_sr(self, need: dict[tuple, pd.DataFrame]) -> None:
        """One engine call (:func:`critmin.indicators.risk.risk`, all parties and minerals at once) per
        round; a round takes every (party, mineral, stage) whose stage has not yet another set of trade
        factors in it (the factors are given per mineral and stage, for all the call's parties)."""
        from critmin.indicators.risk import risk

        pending = dict(need)
        while pending:
            chosen: dict[tuple[str, str], tuple] = {}
            batch = {k: tc for k, tc in pending.items() if chosen.setdefault((k[1], k[2]), k[3]) == k[3]}
            frames = {(k[1], k[2]): tc for k, tc in batch.items()}
            rows = [
                dict(r, commodity=c, stage=s) for (c, s), tc in frames.items() for r in tc.to_dict("records")
            ]
            table = pd.DataFrame(rows, columns=["country", "scope", "t", "commodity", "stage"])
            parties = sorted({k[0] for k in batch})
            minerals = sorted({k[1] for k in batch})
            try:
                df = risk(self.ds, ",".join(parties), ("eu_sr",), self.year, minerals, t_c=table)
                df = df[df["method"] == "eu_sr"].set_index(["party", "commodity", "stage"])
            except CritminError:
                df = pd.DataFrame(columns=["value", "provenance"])
            for key, tc in batch.items():
                row = df.loc[key[:3]] if key[:3] in df.index else None
                if row is None or pd.isna(row["value"]):
                    self._eu[key] = (None, "", set())
                else:
                    self._eu[key] = (float(row["value"]), str(row["provenance"]), set(tc["country"]))
                del pending[key]

    # -- scenarios ----------------------------------------------------------------------------------------
    def acting(self, measures: Sequence[dict], commodity: str, stage: str, net) -> list[dict]:
        """The measures that act on a stage's network (commodity and HS heading covered, imposer in the
        network, no end-use limit), in id order."""
        from critmin.reference import commodities as cat

        codes = cat.get(commodity).stages[stage].hs92
        present = set(net.countries)
        out = [
            r
            for r in measures
            if _covers(r, commodity)
            and not r.get("end_uses")
            and r["imposer"] in present
            and hs_reaches(codes, r.get("hs_codes") or []).any()
        ]
        return sorted(out, key=lambda r: r["id"])

    def scenario(self, commodity: str, stage: str, measures: Sequence[dict], stocks: dict | None = None):
        """Per watched party, per draw: shortfall (t/yr), consumption (t/yr) and days of cover, for the
        measures acting on the network (None when there is no network)."""
        net, why = self.network(commodity, stage)
        if net is None:
            return None, why
        acting = self.acting(measures, commodity, stage, net)
        present = set(net.countries)
        stock_days = {m: self.stock_days for m in self.watched_members() if m in present}
        stock_days.update({k: v for k, v in (stocks or {}).items() if k in present})
        key = (commodity, stage, tuple(r["id"] for r in acting), tuple(sorted(stock_days.items())))
        if key in self._scenarios:
            return self._scenarios[key], None
        self._scenarios[key] = self._run_draws(net, acting, stock_days)
        return self._scenarios[key], None

    def _run_draws(self, net, acting: list[dict], stock_days: dict) -> dict:
        from critmin.scenarios import Restriction
        from critmin.scenarios.cascade import days_of_cover
        from critmin.scenarios.scenario import run

        n = self.draws
        lo, hi = SUBSTITUTION
        fc = lo + (hi - lo) * lhs_column(n, "substitution", self.seed)
        shares = []
        for r in acting:
            a, b = share_range(r)
            shares.append(a + (b - a) * lhs_column(n, r["id"], self.seed))
        pos = {c: i for i, c in enumerate(net.countries)}
        idx = {
            p.label: np.array([pos[m] for m in p.members if m in pos], dtype=np.int64) for p in self.parties
        }
        cons = np.maximum(net.consumption, 0.0)
        days = np.array([stock_days.get(c, 0.0) for c in net.countries])
        out = {
            p: {
                "shortfall": np.zeros(n),
                "days": np.full(n, np.inf),
                "consumption": float(cons[ix].sum()),
                "stocks": float((days[ix] / 365.0 * cons[ix]).sum()),
            }
            for p, ix in idx.items()
        }
        if not acting:
            return {"parties": out, "measures": [], "network": net}
        for i in range(n):
            restrs = [
                Restriction(r["imposer"], float(sh[i]), tuple(r.get("targets") or ()), label=r["id"])
                for r, sh in zip(acting, shares, strict=True)
            ]
            res = run(net, restrs, stocks=stock_days, substitution=float(fc[i]))
            dC, dR, R = res.result.dC, res.result.dR, res.stocks
            for p, ix in idx.items():
                if not len(ix):
                    continue
                out[p]["shortfall"][i] = -float(dC[ix].sum())
                out[p]["days"][i] = float(
                    days_of_cover(
                        np.array([R[ix].sum()]), np.array([dR[ix].sum()]), np.array([dC[ix].sum()])
                    )[0]
                )
        return {"parties": out, "measures": [r["id"] for r in acting], "network": net}

    def _scenario_provenance(self, net, measures: list[str]) -> str:
        return (
            f"cascade (Marchand et al. 2016) on the {net.commodity} {net.stage} {net.year} trade network "
            f"({net.source}; {net.edition}; {net.basis}); {self.draws} draws; measures: {', '.join(measures) or 'none'}"
        )

    def _scenario_changes(self, party, c, s, without, with_measures, stocks=None, how="") -> list[Change]:
        """Shortfall p50 and days of cover p50 of one party, without → with (``how`` says what differs
        when it is not the measures, e.g. a stockpile)."""
        pname, cname = self.name(party), words(c)
        a, why = self.scenario(c, s, without, (stocks or {}).get("without"))
        if a is None:
            return [self._context(party, c, s, f"no scenario for {cname} ({s}): {why}")]
        b, _ = self.scenario(c, s, with_measures, (stocks or {}).get("with"))
        net = a["network"]
        pa, pb = a["parties"][party], b["parties"][party]
        if pa["consumption"] <= 0:
            note = f"{pname} has no apparent consumption of {cname} ({s}) in the {net.year} network"
            return [self._context(party, c, s, note + ": no scenario shortfall to report")]
        sa, sb = (float(np.quantile(x["shortfall"], 0.5)) for x in (pa, pb))
        # days are inf in draws that cost nothing: take an observed value, no interpolation
        da, db = (float(np.quantile(x["days"], 0.5, method="lower")) for x in (pa, pb))
        prov = self._scenario_provenance(net, sorted(set(a["measures"]) | set(b["measures"])))
        cons = pa["consumption"]
        out = [
            self._change(
                party,
                c,
                s,
                "scenario",
                "shortfall_p50_tonnes",
                f"t/yr ({net.basis})",
                sa,
                sb,
                f"scenario shortfall p50 of {pname}'s {cname} ({s}){how}: {arrow(fmt_t(sa), fmt_t(sb))} a year "
                f"({arrow(fmt_pct(sa / cons), fmt_pct(sb / cons))} of apparent consumption {fmt_t(cons)}; "
                f"{net.basis})",
                prov,
                year=net.year,
            )
        ]
        if pb["stocks"] > 0:
            out.append(
                self._change(
                    party,
                    c,
                    s,
                    "scenario",
                    "days_of_cover_p50",
                    "days",
                    da,
                    db,
                    f"days of cover p50 with {self.stock_days:g} days of stock ({fmt_t(pb['stocks'])}){how}: "
                    f"{arrow(fmt_days(da), fmt_days(db))}",
                    prov,
                    year=net.year,
                )
            )
        return out

    def _change(self, party, c, s, kind, quantity, unit, a, b, text, prov="", *, year=None) -> Change:
        return Change(
            party, self.name(party), c, s, year or self.year, kind, quantity, unit, a, b, text, prov
        )

    # -- partnerships -------------------------------------------------------------------------------------
    def partners(self, party: str, commodity: str, extra: dict | None = None) -> set[str]:
        """Countries in a reviewed partnership in force on ``as_of`` with a member of the party that covers
        the commodity (blocs expanded), plus those of ``extra`` (a proposed record) when it does."""
        members = set(self._party[party].members)
        out: set[str] = set()
        for rec in self._member_partnerships(party):
            if _covers_partnership(rec, commodity):
                out |= self._expand(rec["parties"])
        if extra is not None and _covers_partnership(extra, commodity):
            expanded = self._expand(extra["parties"])
            if expanded & members:
                out |= expanded
        return out - members

    def _member_partnerships(self, party: str) -> list[dict]:
        """Reviewed partnerships in force on ``as_of`` of any member of the party (read once per party)."""
        if party not in self._partners:
            from critmin.reference import partnerships as pt

            recs: dict[str, dict] = {}
            for m in self._party[party].members:
                for r in pt.partnerships(self.ds, country=m, as_of=self.as_of).to_dict("records"):
                    recs[r["id"]] = {"parties": list(r["parties"]), "minerals": list(r["minerals"] or [])}
            self._partners[party] = list(recs.values())
        return self._partners[party]

    def _expand(self, parties: Iterable[str]) -> set[str]:
        from critmin.reference import blocs

        out: set[str] = set()
        for p in parties:
            code = "EU27" if p == "EUU" else p
            out |= set(blocs.members(code, self.as_of)) if blocs.canonical(code) else {p}
        return out

    def partnership_changes(self, record: dict, party: str) -> list[Change]:
        """Share of imports from partners and import risk after partner sourcing, without → with."""
        from critmin.reference import commodities as cat

        members = set(self._party[party].members)
        new = self._expand(record["parties"]) - members
        pname = self.name(party)
        if not self._expand(record["parties"]) & members:
            note = (
                f"{pname} is not a party ({_names(sorted(new))}): its partner sets and numbers do not change"
            )
            return [self._context(party, None, None, note)]
        out = []
        for cid in self._partnership_commodities(record, party, new):
            for s in cat.get(cid).trade_stages:
                out.extend(self._partnership_stage(record, party, cid, s, new))
        if not out:
            note = f"{pname} imports none of the agreement's minerals in material amounts"
            out.append(self._context(party, None, None, note, self.trade_source))
        return out

    def _partnership_commodities(self, record: dict, party: str, new: set[str]) -> list[str]:
        from critmin.reference import commodities as cat

        ids = [m for m in record.get("minerals") or [] if m in cat.catalogue()]
        if ids:
            return ids
        imp = self.imports(party)
        top = imp[imp["partner"].isin(new)].groupby("commodity")["value_kusd"].sum()
        top = top.sort_values(ascending=False)
        return [c for c in top.index[:MAX_GENERIC_COMMODITIES] if top[c] > 0]

    def _partnership_stage(self, record, party, c, s, new) -> list[Change]:
        from critmin.watch.scope import MIN_SUPPLY_KUSD

        pname, cname = self.name(party), words(c)
        imp = self.stage_imports(party, c, s)
        total = float(imp["value_kusd"].sum())
        if total < MIN_SUPPLY_KUSD:
            return []
        before, after = self.partners(party, c), self.partners(party, c, record)
        by = imp.groupby("partner")["value_kusd"].sum()
        sa, sb = float(by[by.index.isin(before)].sum() / total), float(by[by.index.isin(after)].sum() / total)
        added = sorted(after - before)
        names = _names(added) or ("none: already partners" if after else "none")
        text = (
            f"{pname}'s {cname} ({s}) imports from partners in force: {arrow(fmt_pct(sa), fmt_pct(sb))} of "
            f"value ({fmt_usd_kusd(total)} in all; partners added: {names})"
        )
        out = [
            self._change(
                party, c, s, "exposure", "imports_from_partners", PCT, sa, sb, text, self.trade_source
            )
        ]
        ra, rb = (self._lp_risk(party, c, s, x) for x in (before, after)) if added else (None, None)
        if ra is not None and rb is not None:
            # an infeasible plan (the partners cannot cover the need under the cap) has no risk to report
            words_a, words_b = (
                fmt_num(r[0], 3) if math.isfinite(r[0]) else f"no plan ({r[3]})" for r in (ra, rb)
            )
            text = (
                f"import risk of {pname}'s {cname} ({s}) after re-sourcing toward partners (65% cap, partners' "
                f"exports as capacity, others at most today's volumes): {arrow(words_a, words_b)}"
                f" (today {fmt_num(ra[1], 3)})"
            )
            q = "import_risk_after_partner_sourcing"
            out.append(self._change(party, c, s, "sourcing", q, RISK_UNIT, ra[0], rb[0], text, rb[2]))
        return out

    def _market(self, c: str, s: str):
        """The partner-sourcing market of a stage (flows, capacities, g), built once per run."""
        key = ("market", c, s)
        if key not in self._lp:
            from critmin.optimize.sourcing import market

            self._lp[key] = market(self.ds, c, s, self.year)
        return self._lp[key]

    def _lp_risk(self, party, c, s, partners: set[str]):
        key = (party, c, s, frozenset(partners))
        if key not in self._lp:
            from critmin.optimize.sourcing import optimize_sourcing

            try:
                res = optimize_sourcing(
                    self.ds,
                    party,
                    c,
                    s,
                    self.year,
                    partners=set(partners),
                    non_partners="current",
                    market_=self._market(c, s),
                )
                row = res.summary.iloc[0]
                prov = f"{row['trade_source']}; {row['governance_source']}; status {row['status']}"
                self._lp[key] = (
                    float(row["risk_after"]),
                    float(row["risk_before"]),
                    prov,
                    str(row["status"]),
                )
            except CritminError:
                self._lp[key] = None
        return self._lp[key]

    # -- stockpiles ---------------------------------------------------------------------------------------
    def stockpile_changes(self, event: dict, party: str) -> list[Change]:
        """What a stockpile of (members of) a watched party changes in the scenario of the measures in
        force: the stockpiling members hold no stock → ``stock_days`` days (the other watched members keep
        ``stock_days`` either way)."""
        from critmin.news.linking import catalogue_ids
        from critmin.reference import commodities as cat

        stockers = [m for m in self._party[party].members if m in set(event.get("initiator") or [])]
        ids = [m for m in catalogue_ids(list(event.get("minerals") or [])) if m in cat.catalogue()]
        if not ids:  # a stockpile of "critical minerals": the party's largest import
            imp = self.imports(party)
            ids = list(imp.groupby("commodity")["value_kusd"].sum().sort_values(ascending=False).index[:1])
        how = f" without → with {_names(stockers)}'s {self.stock_days:g}-day stock"
        stocks = {"without": dict.fromkeys(stockers, 0.0), "with": {}}
        out = []
        for cid in ids:
            for s in cat.get(cid).trade_stages:
                net, why = self.network(cid, s)
                if net is None:
                    out.append(self._context(party, cid, s, f"no network for {words(cid)} ({s}): {why}"))
                    continue
                if not self.acting(self.in_force, cid, s, net):
                    note = f"no export measure in force acts on {words(cid)} ({s}): the stock has nothing to absorb"
                    out.append(self._context(party, cid, s, note))
                    continue
                out.extend(self._scenario_changes(party, cid, s, self.in_force, self.in_force, stocks, how))
        return out


# -- records -----------------------------------------------------------------------------------------------
def record_for_impact(r: dict) -> dict:
    """A registry record (a dict or a DataFrame row) with lists as lists and missing values as None."""
    out = {k: r.get(k) for k in REGISTRY_FIELDS}
    for k in REGISTRY_LIST_FIELDS:
        v = out[k]
        out[k] = [] if v is None or (isinstance(v, float) and pd.isna(v)) else list(v)
    for k in ("end_uses", "announced_date", "effective_date", "end_date"):
        v = out[k]
        out[k] = None if v is None or (isinstance(v, float) and pd.isna(v)) else v
    return out


def _covers(record: dict, commodity: str) -> bool:
    comms = record.get("commodities") or []
    return commodity in comms or "critical_minerals" in comms


def _covers_partnership(record: dict, commodity: str) -> bool:
    minerals = record.get("minerals") or []
    return not minerals or commodity in minerals or "critical_minerals" in minerals


def _corroborated(note: str | None) -> list[str]:
    if not note or not note.startswith("corroborates "):
        return []
    return [x.strip() for x in note.removeprefix("corroborates ").split(",") if x.strip()]


def _names(codes: Iterable[str]) -> str:
    return ", ".join(_country_name(c) for c in codes)


@functools.cache
def _country_name(code: str) -> str:
    from critmin.errors import UnknownValueError
    from critmin.reference import countries

    if code == "EUU":
        return "the EU"
    try:
        return countries.name(code)
    except UnknownValueError:
        return code
