"""The briefing: for each party, the few minerals that matter, what a Chinese export stop would cost, and
what would help — ranked.

Everything here is read from the public functions of the other parts of critmin, once, and shared by every
section of the report (:class:`Briefing`): the exposure table (:meth:`critmin.api.Dataset.exposure`), the
vectorised risk engine (:func:`critmin.indicators.risk.risk`), the restriction registry, the cascade with and
without supply response (:func:`critmin.scenarios.restrict`), the partner-sourcing LP
(:func:`critmin.optimize.sourcing.optimize_sourcing`, :func:`~critmin.optimize.sourcing.pooled`) and stockpile
sizing (:func:`critmin.optimize.stockpile.stockpile`). What this module adds is the selection and the
ranking, as small pure functions:

**The minerals that matter** (:func:`select_minerals`): among a party's *material* imports
(:mod:`critmin.indicators.materiality`: at least USD 1 M and 1% of its imports of the mineral), the
:data:`TOP_VALUE` largest by import value and the :data:`TOP_RISK` highest by GeoPolRisk score, at most
:data:`MAX_MINERALS`, largest imports first.

**The stress test**: China stops all exports of the stage for a year (share 1, every destination), pushed
through the trade network by the cascade (Marchand et al. 2016) with Japan holding its 60-day JOGMEC target
and nobody else stocks; once without and once with the short-run supply response of other producers.
The party's *shortfall* S (t/yr) is what it cannot consume after stocks and re-routing.

**What would help, ranked** (:func:`rank_actions`): each action's effect is the part of the shortfall S it
closes, in tonnes and valued at the party's import unit value for the stage (USD per tonne of content), so
that actions on different minerals can be ranked on one scale:

* *re-sourcing* away from China within other suppliers' exportable output (the LP with the expected loss of a
  Chinese stop as objective, each other supplier able to sell the party at most :data:`REDIRECT` of what it
  sells others): closes min(S, ΔX), ΔX the tonnes moved off China;
* *buying together* (a bloc): the tonnes pooled buying moves off China beyond the members buying alone;
* *stockpiling* to the days that keep the shortfall at zero in 95% of the registry's restriction scenarios
  (N days, the party holding H): closes min(S, (N − H)/365 · C), C the apparent consumption;
* *recycling* up to the EU CRMA benchmark of 25% (the EU end-of-life recycling input rate r as the
  best available rate): closes min(S, (0.25 − r) · C).

Each number carries its caveat; none is a forecast.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.formats import percent
from critmin.reference import commodities as cat

TOP_VALUE = 2
TOP_RISK = 2
TOP_CHINA = 3
MAX_MINERALS = 5
#: the stress test runs where China supplies at least this share of the party's imports, directly or by origin
MIN_CHINA_SHARE = 0.05
#: a shortfall below this share of consumption is not a finding (no actions are ranked for it)
MIN_SHORTFALL_SHARE = 0.01
#: an action closing less than this share of the shortfall is not a recommendation
MIN_CLOSES_SHARE = 0.05
#: share of what each other supplier sells its other customers that a party can win in a year
REDIRECT = 0.25
#: stocks assumed held (days of consumption): Japan's JOGMEC target for its rare metals; no public figure for
#: the others
HELD_DAYS = {"JPN": 60.0}
#: minerals of Japan's rare-metal stockpile (METI/JOGMEC: the 31 rare metals and the rare earths); base metals
#: (copper, aluminium, zinc, lead, tin) and industrial minerals are not stockpiled
JOGMEC_RARE_METALS = frozenset(
    {
        "lithium", "beryllium", "borates", "titanium", "vanadium", "chromium", "manganese", "cobalt", "nickel",
        "gallium", "germanium", "selenium", "zirconium", "niobium", "molybdenum", "platinum_group", "indium",
        "antimony", "tellurium", "baryte", "tantalum", "tungsten", "rhenium", "bismuth", "rare_earths",
    }
)  # fmt: skip
#: EU CRMA (Regulation (EU) 2024/1252, art. 5(1)(c)): recycling capacity of at least 25 % of consumption
CRMA_RECYCLING = 0.25
#: stockpile sizing: Monte Carlo draws per country and stage, share of scenarios to cover
STOCK_DRAWS = 100
STOCK_LEVELS = (0, 60, 180, 365)  # coarse grid; each draw's threshold is then found to half a day
STOCK_COVERAGE = 0.95
CHINA_STOP = pd.DataFrame(
    {"scenario": ["CHN stops exports"], "probability": [1.0], "supplier": ["CHN"], "loss_fraction": [1.0]}
)


# -- pure functions -----------------------------------------------------------------------------------------
def select_minerals(
    exp: pd.DataFrame,
    gpr: pd.DataFrame,
    china: pd.DataFrame,
    share_col: str = "share_from_CHN",
    top_value: int = TOP_VALUE,
    top_risk: int = TOP_RISK,
    top_china: int = TOP_CHINA,
    limit: int = MAX_MINERALS,
) -> pd.DataFrame:
    """The minerals that matter for each party, among the material rows of ``exp`` (the exposure table): the
    ``top_value`` largest by import value, the ``top_risk`` highest by GeoPolRisk score (``gpr``: party,
    commodity, stage, value) and the ``top_china`` largest by value exposed to China — import value × China's
    traced-origin share (``china``: party, commodity, stage, value), or its direct share where nothing was
    traced. At most ``limit`` per party, by the number of criteria met, then by import value.

    Returns party, commodity, stage, import_value_kusd, geopolrisk, china_share, why."""
    keys = ["party", "commodity", "stage"]
    m = exp[exp["material"].astype(bool) & (exp["import_value_kusd"] > 0)]
    m = m[[*keys, "import_value_kusd", share_col]].merge(
        gpr.rename(columns={"value": "geopolrisk"})[[*keys, "geopolrisk"]], on=keys, how="left"
    )
    m = m.merge(china.rename(columns={"value": "china_share"})[[*keys, "china_share"]], on=keys, how="left")
    m["china_share"] = m["china_share"].fillna(m[share_col])
    m["china_value"] = m["import_value_kusd"] * m["china_share"]
    frames = []
    for _, part in m.groupby("party", sort=False):
        crit = {
            "value": part.nlargest(top_value, "import_value_kusd"),
            "risk": part.dropna(subset=["geopolrisk"]).nlargest(top_risk, "geopolrisk"),
            "China": part[part["china_value"] > 0].nlargest(top_china, "china_value"),
        }
        sets = {w: set(zip(d["commodity"], d["stage"], strict=True)) for w, d in crit.items()}
        ks = list(zip(part["commodity"], part["stage"], strict=True))
        chosen = part.assign(
            why=[", ".join(w for w, st in sets.items() if k in st) for k in ks],
            _n=[sum(k in st for st in sets.values()) for k in ks],
        )
        chosen = (
            chosen[chosen["_n"] > 0].sort_values(["_n", "import_value_kusd"], ascending=False).head(limit)
        )
        frames.append(chosen.sort_values("import_value_kusd", ascending=False))
    cols = [*keys, "import_value_kusd", "geopolrisk", "china_share", "why"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def held_days(country: str, commodity: str) -> float:
    """Days of consumption a country is assumed to hold: Japan's JOGMEC target for its rare metals."""
    if country == "JPN" and commodity not in JOGMEC_RARE_METALS:
        return 0.0
    return HELD_DAYS.get(country, 0.0)


def closes(shortfall_t: float, lever_t: float) -> float:
    """Tonnes of a shortfall an action closes: what it delivers, never more than the shortfall."""
    if not np.isfinite(shortfall_t) or not np.isfinite(lever_t):
        return float("nan")
    return float(max(0.0, min(shortfall_t, lever_t)))


def stock_lever(needed_days: float, held_days: float, consumption_t: float) -> float:
    """Tonnes a stock raised from ``held_days`` to ``needed_days`` of consumption supplies in a year."""
    if not np.isfinite(needed_days) or consumption_t <= 0:
        return float("nan")
    return max(0.0, needed_days - held_days) / 365.0 * consumption_t


def recycling_lever(rate: float | None, consumption_t: float, benchmark: float = CRMA_RECYCLING) -> float:
    """Tonnes a year of recycled input if the recycling input rate rose from ``rate`` to ``benchmark``."""
    if rate is None or not np.isfinite(rate) or consumption_t <= 0:
        return float("nan")
    return max(0.0, benchmark - rate) * consumption_t


def rank_actions(actions: pd.DataFrame) -> pd.DataFrame:
    """Actions of each party ranked by the value of the shortfall they close (USD a year), largest first;
    actions that close nothing (or cannot be valued) after those, in the order given. Adds ``rank`` (1 = most)."""
    a = actions.copy()
    a["_key"] = a["closes_usd"].fillna(-1.0)
    a["_order"] = range(len(a))
    a = a.sort_values(["_party", "_key", "_order"], ascending=[True, False, True], kind="mergesort")
    a["rank"] = a.groupby("_party").cumcount() + 1
    return a.drop(columns=["_key", "_order"]).reset_index(drop=True)


def stockpile_run(ds, country: str, commodity: str, stage: str, year: int):
    """The stockpile sizing of the briefing (:func:`critmin.optimize.stockpile.stockpile`: :data:`STOCK_DRAWS`
    draws of the registry's scenarios, :data:`STOCK_COVERAGE` covered, :data:`STOCK_LEVELS` as the grid)."""
    from critmin.optimize.stockpile import stockpile

    return stockpile(
        ds, country, commodity, stage, year, coverage=STOCK_COVERAGE, draws=STOCK_DRAWS, levels=STOCK_LEVELS
    )


# -- the briefing's inputs, computed once -----------------------------------------------------------------
@dataclass
class Briefing:
    """Everything the report's sections read, computed at most once (lazily, so a section that is not
    built costs nothing)."""

    ds: object
    spec: str
    year: int
    as_of: dt.date = field(default_factory=dt.date.today)
    say: object = None
    #: where the analyses that need only the data and a few keys run (:mod:`critmin.report.pdf`: a second
    #: process, or here when None); the results are the same
    work: object = None

    @functools.cached_property
    def _work(self):
        from critmin.report.pdf import Inline

        return self.work if self.work is not None else Inline(self.ds)

    def start(self) -> None:
        """Send what can run elsewhere to the second process now (the coercion-aware GeoPolRisk run, then the
        stockpile Monte Carlo), so that it runs while the rest of the briefing is computed here."""
        self.coercion_jobs  # noqa: B018
        self.stock_jobs  # noqa: B018

    def _say(self, msg: str) -> None:
        if callable(self.say):
            self.say(msg)

    @functools.cached_property
    def parties(self):
        return self.ds.parties(self.spec, self.year)

    @functools.cached_property
    def countries(self) -> list[str]:
        return list(dict.fromkeys(m for p in self.parties for m in p.members))

    @functools.cached_property
    def exp(self) -> pd.DataFrame:
        return self.ds.exposure(self.spec, self.year)

    @property
    def share_col(self) -> str:
        return next(c for c in self.exp.columns if c.startswith("share_from_"))

    @functools.cached_property
    def risk(self) -> pd.DataFrame:
        """GeoPolRisk, EU supply risk and China's traced origin for every mineral (the vectorised engine)."""
        from critmin.indicators.risk import risk

        self._say("supply risk")
        return risk(
            self.ds,
            self.spec,
            methods=("geopolrisk", "eu_sr", "origin"),
            years=[self.year],
            eu_sr_latest=True,
        )

    @functools.cached_property
    def eu_sr_latest(self) -> pd.DataFrame:
        """The EU supply risk of the latest year before, for the rows whose stage has no world production of the
        analysis year (IEA refining and USGS MCS 2024 series end in 2023): the EC method takes the stage's own
        production of its year (no other year), and the report's rule is the latest year before it, said.
        Columns party, commodity, stage, year, value (only rows with a value)."""
        r = self.risk  # its EU rows carry the latest year's value (critmin.indicators.risk.add_eu_sr_latest)
        lat = r[(r["method"] == "eu_sr") & r["eu_sr_year"].notna()]
        lat = lat.assign(year=lat["eu_sr_year"].astype(int), value=lat["eu_sr_latest"])
        return lat[["party", "commodity", "stage", "year", "value"]].reset_index(drop=True)

    def _method(self, method: str) -> pd.DataFrame:
        r = self.risk
        return r[(r["method"] == method) & r["status"].isin(["ok", "proxy"])]

    @functools.cached_property
    def key(self) -> pd.DataFrame:
        """The minerals that matter (:func:`select_minerals`), with the trade stage's network where one exists."""
        return select_minerals(
            self.exp, self._method("geopolrisk"), self._method("origin"), share_col=self.share_col
        )

    @functools.cached_property
    def restrictions(self) -> pd.DataFrame:
        from critmin.scenarios.registry import restrictions

        return restrictions(self.ds, in_force=self.as_of)

    @functools.cached_property
    def _controlled(self) -> dict[str, set[str]]:
        """{imposer: the minerals its measures in force name} (:func:`critmin.scenarios.registry.controlled_minerals`)."""
        from critmin.scenarios.registry import controlled_minerals

        recs = self.restrictions.to_dict("records")
        return {i: controlled_minerals(recs, i) for i in set(self.restrictions["imposer"])}

    def measures_hitting(self, party, commodity: str) -> pd.DataFrame:
        """Measures in force on ``as_of`` covering ``commodity`` and applying to exports to a member of
        ``party`` (no targets = every destination). A measure on all dual-use items covers a mineral only where
        the imposer controls that mineral's items (a ban to military users is no restriction on copper ore);
        ``commodity='critical_minerals'`` asks for those measures themselves."""
        from critmin.scenarios.registry import ALL_COMMODITIES

        r = self.restrictions
        members = set(party.members)

        def covers(imposer: str, cs) -> bool:
            if commodity in cs:
                return True
            if ALL_COMMODITIES not in cs:
                return False
            return commodity == ALL_COMMODITIES or commodity in self._controlled.get(imposer, set())

        hit = [
            covers(i, cs) and (not len(ts) or bool(members & set(ts)))
            for i, cs, ts in zip(r["imposer"], r["commodities"], r["targets"], strict=True)
        ]
        return r[hit]

    # -- the stress test -----------------------------------------------------------------------------------
    @functools.cached_property
    def stages(self) -> list[tuple[str, str]]:
        """(commodity, stage) of every mineral that matters to a party, has a trade network and comes from
        China for at least :data:`MIN_CHINA_SHARE` of that party's imports (directly or by traced origin)."""
        k = self.key
        hit = k[k["china_share"].fillna(0) >= MIN_CHINA_SHARE]
        out = []
        for c, s in dict.fromkeys(zip(hit["commodity"], hit["stage"], strict=True)):
            if cat.get(c).stages[s].hs92:
                out.append((c, s))
        return out

    @functools.cached_property
    def networks(self) -> dict:
        from critmin.scenarios import build_network

        out = {}
        for c, s in self.stages:
            try:
                out[(c, s)] = build_network(self.ds, c, s, self.year)
            except Exception as exc:
                out[(c, s)] = exc
        return out

    @functools.cached_property
    def scenarios(self) -> dict:
        """{(commodity, stage): (without response, with response)} for a one-year Chinese export stop."""
        from critmin.scenarios import restrict

        self._say("scenarios")
        out = {}
        for key, net in self.networks.items():
            if isinstance(net, Exception):
                continue
            stocks = {c: held_days(c, key[0]) for c in self.countries if held_days(c, key[0]) > 0}
            off = restrict(net, by="CHN", share=1.0, stocks=stocks, name="CHN stops exports")
            on = restrict(
                net, by="CHN", share=1.0, stocks=stocks, response=True, ds=self.ds, name="+ response"
            )
            out[key] = (off, on)
        return out

    @functools.cached_property
    def scenario_table(self) -> pd.DataFrame:
        """Per party and stage: consumption, direct loss, shortfall without and with supply response, stocks
        held, days of cover (bloc rows sum their members)."""
        rows = []
        for (c, s), (off, on) in self.scenarios.items():
            a = off.countries().set_index("country")
            b = on.countries().set_index("country")
            for p in self.parties:
                ms = [m for m in p.members if m in a.index]
                if not ms:
                    continue
                cons = float(a.loc[ms, "consumption_tonnes"].clip(lower=0).sum())
                stocks = float(a.loc[ms, "stocks_tonnes"].sum())
                drawn = float(-a.loc[ms, "delta_stocks_tonnes"].sum())
                short = float(a.loc[ms, "shortfall_tonnes"].sum())
                gap = drawn + short
                rows.append(
                    {
                        "party": p.label,
                        "commodity": c,
                        "stage": s,
                        "basis": off.network.basis,
                        "consumption_tonnes": cons,
                        "direct_loss_tonnes": float(a.loc[ms, "direct_loss_tonnes"].sum()),
                        "stocks_days": 365.0 * stocks / cons if cons > 0 else 0.0,
                        "supply_gap_tonnes": gap,
                        "shortfall_tonnes": short,
                        "shortfall_share": short / cons if cons > 0 else float("nan"),
                        # nothing can respond without spare capacity on record: the 'with response' run
                        # then repeats the first and is no estimate of a response
                        "response_spare_tonnes": float(on.supply_response()["spare_capacity_tonnes"]),
                        "shortfall_response_tonnes": float(b.loc[ms, "shortfall_tonnes"].sum()),
                        "shortfall_response_share": float(b.loc[ms, "shortfall_tonnes"].sum()) / cons
                        if cons > 0
                        else float("nan"),
                        # a gap below the materiality of a shortfall is no gap: stocks do not run out
                        "days_of_cover": 365.0 * stocks / gap
                        if cons > 0 and gap > MIN_SHORTFALL_SHARE * cons
                        else float("inf"),
                        "negative_consumption": bool((a.loc[ms, "consumption_tonnes"] < 0).any()),
                        "source": f"{off.network.source} ({off.network.edition})",
                    }
                )
        return pd.DataFrame(rows)

    # -- what would help ---------------------------------------------------------------------------------------
    @functools.cached_property
    def markets(self) -> dict:
        from critmin.optimize.sourcing import market

        out = {}
        for c, s in self.stages:
            try:
                out[(c, s)] = market(self.ds, c, s, self.year)
            except Exception as exc:
                out[(c, s)] = exc
        return out

    def _key_stages(self, party) -> list[tuple[str, str]]:
        k = self.key[self.key["party"] == party.label]
        return [(c, s) for c, s in zip(k["commodity"], k["stage"], strict=True) if (c, s) in self.stages]

    def _optimise_key_stages(self, solve, parties) -> dict:
        """{(party, commodity, stage): solve(...) or the exception it raised} over each party's minerals that
        matter, on the shared market of the stage and the report's objective (expected shortfall if China
        stops exporting, no share cap)."""
        out = {}
        for p in parties:
            for c, s in self._key_stages(p):
                mk = self.markets.get((c, s))
                if mk is None or isinstance(mk, Exception):
                    continue
                try:
                    out[(p.label, c, s)] = solve(
                        self.ds,
                        p.label,
                        c,
                        s,
                        self.year,
                        max_share=None,
                        redirect=REDIRECT,
                        objective="expected_shortfall",
                        scenarios=CHINA_STOP,
                        market_=mk,
                    )
                except Exception as exc:
                    out[(p.label, c, s)] = exc
        return out

    @functools.cached_property
    def sourcing(self) -> dict:
        """{(party, commodity, stage): SourcingResult}: China's share cut as far as others' output allows."""
        from critmin.optimize.sourcing import optimize_sourcing

        self._say("re-sourcing")
        return self._optimise_key_stages(optimize_sourcing, self.parties)

    @functools.cached_property
    def pooled(self) -> dict:
        """{(bloc, commodity, stage): each member alone vs buying together}, on the same objective."""
        from critmin.optimize.sourcing import pooled

        return self._optimise_key_stages(pooled, [p for p in self.parties if len(p.members) >= 2])

    @functools.cached_property
    def stock_jobs(self) -> dict:
        """{(country, commodity, stage): pending stockpile run} for single-country parties' minerals that
        matter with a material shortfall (:func:`stockpile_run`, in the second process when there is one)."""
        self._say("stockpiles")
        out = {}
        for p in self.parties:
            if len(p.members) != 1:
                continue
            for c, s in self._key_stages(p):
                if self._material_shortfall(p.label, c, s):
                    out[(p.label, c, s)] = self._work.submit_data(stockpile_run, p.label, c, s, self.year)
        return out

    @functools.cached_property
    def stocks(self) -> dict:
        """{(country, commodity, stage): StockpileResult, or the error that stopped it}."""
        out = {}
        # from the last: a run the second process has not started is made here (Job.result), while it
        # works through the first ones
        for k, job in reversed(self.stock_jobs.items()):
            try:
                out[k] = job.result()
            except Exception as exc:
                out[k] = exc
        return out

    @functools.cached_property
    def coercion_jobs(self) -> dict:
        """{'coercion': pending GeoPolRisk run under the coercion-aware weight} for the minerals that matter
        (the report's coercion section; its WGI column is the briefing's own :attr:`risk` run)."""
        from critmin.report.coercion import geopolrisk_run

        commodities = ",".join(sorted(set(self.key["commodity"])))
        return {
            "coercion": self._work.submit_data(geopolrisk_run, self.spec, self.year, commodities, "coercion")
        }

    def _scenario_row(self, party: str, c: str, s: str):
        t = self.scenario_table
        if t.empty:
            return None
        hit = t[(t["party"] == party) & (t["commodity"] == c) & (t["stage"] == s)]
        return hit.iloc[0] if len(hit) else None

    def _material_shortfall(self, party: str, c: str, s: str) -> bool:
        """The party's shortfall in the stress test is at least :data:`MIN_SHORTFALL_SHARE` of its use."""
        r = self._scenario_row(party, c, s)
        return r is not None and bool(r["shortfall_share"] >= MIN_SHORTFALL_SHARE)

    def unit_value_kusd(self, party: str, c: str, s: str) -> float:
        """The party's import unit value for the stage: kUSD per tonne of content (exposure table)."""
        e = self.exp
        r = e[(e["party"] == party) & (e["commodity"] == c) & (e["stage"] == s)]
        if not len(r):
            return float("nan")
        v, t = float(r["import_value_kusd"].iloc[0]), float(r["import_content_tonnes"].iloc[0])
        return v / t if t and np.isfinite(t) and t > 0 else float("nan")

    @functools.cached_property
    def actions(self) -> pd.DataFrame:
        """Every action for every party and mineral that matters, ranked by :func:`rank_actions`."""
        rows = []
        for p in self.parties:
            for c, s in self._key_stages(p):
                if self._material_shortfall(p.label, c, s):
                    rows.extend(self._actions_for(p, c, s, self._scenario_row(p.label, c, s)))
        if not rows:
            return pd.DataFrame(
                columns=["party", "commodity", "stage", "action", "number", "closes_tonnes", "closes_usd"]
            )
        df = pd.DataFrame(rows)
        # an action that closes (almost) nothing is not a recommendation
        df = df[df["closes_tonnes"].fillna(0) >= MIN_CLOSES_SHARE * df["shortfall_tonnes"]]
        if df.empty:
            return df
        df["_party"] = df["party"].map({p.label: i for i, p in enumerate(self.parties)})
        return rank_actions(df).drop(columns="_party")

    def _actions_for(self, p, c: str, s: str, sc) -> list[dict]:
        S, C, basis = float(sc["shortfall_tonnes"]), float(sc["consumption_tonnes"]), sc["basis"]
        uv = self.unit_value_kusd(p.label, c, s)
        name = f"{cat.get(c).name.lower()} ({s})"
        base = {"party": p.label, "commodity": c, "stage": s, "mineral": name, "shortfall_tonnes": S}
        out = []

        def add(action: str, lever_t: float, number: str, caveat: str) -> None:
            t = closes(S, lever_t)
            out.append(
                {
                    **base,
                    "action": action,
                    "lever_tonnes": lever_t,
                    "closes_tonnes": t,
                    "closes_share": t / S if S > 0 and t == t else float("nan"),
                    "closes_usd": t * uv * 1e3 if t == t and uv == uv else float("nan"),
                    "number": number,
                    "caveat": caveat,
                    "basis": basis,
                }
            )

        res = self.sourcing.get((p.label, c, s))
        if res is not None and not isinstance(res, Exception) and res.status == "optimal":
            mix = res.mix.set_index("supplier")
            now = float(mix["current_tonnes"].get("CHN", 0.0))
            after = float(mix["optimised_tonnes"].get("CHN", 0.0))
            need = float(res.summary["need_tonnes"].iloc[0])
            sm = res.summary.iloc[0]
            cost = (
                sm["cost_after_kusd"] / sm["cost_before_kusd"] - 1
                if sm["cost_before_kusd"] and sm["cost_after_kusd"] == sm["cost_after_kusd"]
                else float("nan")
            )
            add(
                "re-source away from China",
                now - after,
                f"China's share of the tonnes imported {_pct(now / need)} → {_pct(after / need)}"
                + (f"; cost at today's unit values {_signed_pct(cost)}" if cost == cost else ""),
                f"others' exportable output of the stage, at most {percent(REDIRECT)} of what each sells others; "
                "suppliers may themselves depend on Chinese inputs (see traced origin); unit values mix grades "
                "between suppliers, so a lower cost is not a saving",
            )
        pl = self.pooled.get((p.label, c, s))
        if pl is not None and not isinstance(pl, Exception):
            comb = pl[pl["case"] == "each alone (combined)"]
            pool = pl[pl["case"] == "pooled"]
            if len(comb) and len(pool) and (pool["status"] == "optimal").all():
                need = float(pool["need_tonnes"].iloc[0])
                gain = float(pool["partnership_gain"].iloc[0]) if "partnership_gain" in pool else float("nan")
                add(
                    "buy together",
                    gain * need if gain == gain else float("nan"),
                    f"China's share {_pct(comb['risk_after'].iloc[0])} alone → {_pct(pool['risk_after'].iloc[0])} "
                    "pooled",
                    "members share every supplier's capacity and one plan; same capacity rule as re-sourcing",
                )
        sp = self.stocks.get((p.label, c, s))
        held = held_days(p.label, c) if len(p.members) == 1 else float("nan")
        if sp is not None and not isinstance(sp, Exception):
            need_days = float(sp.summary["required_days"].iloc[0])
            method = str(sp.summary["method"].iloc[0])
            add(
                "stockpile",
                stock_lever(need_days, held, C),
                (f"{need_days:.0f} days needed" if need_days == need_days else "more than a year needed")
                + f" (holds {held:.0f})",
                f"days of consumption keeping the shortfall at zero in {percent(STOCK_COVERAGE)} of the registry's "
                f"restriction scenarios ({method}); stocks held: "
                + ("JOGMEC 60-day target" if held > 0 else "none published"),
            )
        rate = cat.get(c).eol_rir
        if rate is not None:
            add(
                "recycle more",
                recycling_lever(rate, C),
                f"recycled input {percent(rate)} → {percent(CRMA_RECYCLING)} (EU CRMA benchmark)",
                "EU end-of-life recycling input rate (JRC 2023) as the best available rate; scrap and plants "
                "take years",
            )
        return out


def _pct(x: float) -> str:
    return percent(x)  # as fmt(x, 'pct') in every table


def _signed_pct(x: float) -> str:
    """'+9%', '−30%' (a typographic minus), '±0%'."""
    return percent(x, sign=True)


__all__ = [
    "CHINA_STOP",
    "CRMA_RECYCLING",
    "HELD_DAYS",
    "REDIRECT",
    "Briefing",
    "closes",
    "rank_actions",
    "recycling_lever",
    "select_minerals",
    "stock_lever",
]


# -- page one -------------------------------------------------------------------------------------------------
MAX_ACTIONS = 3  # ranked actions shown per party on page one (all are in the section 'What would help')
SHORT_CAVEAT = {
    "re-source away from China": "others' exportable output; unit values mix grades",
    "buy together": "one joint plan",
    "stockpile": f"sized for {percent(STOCK_COVERAGE)} of the registry's scenarios",
    "recycle more": "EU recycling rate; takes years",
}


def _origin_cell(b: Briefing, party: str, c: str, s: str) -> str:
    o = b._method("origin")
    r = o[(o["party"] == party) & (o["commodity"] == c) & (o["stage"] == s)]
    if not len(r):
        return "—"
    r = r.iloc[0]
    text = _pct(r["value"])
    if r["value_low"] == r["value_low"] and r["value_high"] - r["value_low"] >= 0.005:
        text += f" ({100 * r['value_low']:.0f}–{100 * r['value_high']:.0f})"
    return ("≈" + text + " (proxy)") if r["status"] == "proxy" else text


def measures_cell(b: Briefing, party, c: str) -> str:
    """'CHN licence, 2025-04-04; CHN ban to JPN (military users only), 2026-01-06': measures in force hitting the
    party, with the date each took effect."""
    m = b.measures_hitting(party, c)
    if not len(m):
        return "none"
    return "; ".join(
        f"{r.imposer} {r.measure_type}"
        + (f" to {', '.join(r.targets)}" if len(r.targets) else "")
        + _end_use(getattr(r, "end_uses", None))
        + f", {r.effective_date}"
        for r in m.itertuples(index=False)
    )


def _end_use(text) -> str:
    """' (military users only)' for a measure limited to named end uses: it does not stop civilian buyers."""
    if not isinstance(text, str) or not text.strip():
        return ""
    return " (military users only)" if "military" in text.lower() else " (named end uses only)"


def stop_cell(b: Briefing, party: str, c: str, s: str) -> str:
    """What a one-year Chinese export stop costs the party, in words that fit a table cell."""
    k = b.key[(b.key["party"] == party) & (b.key["commodity"] == c) & (b.key["stage"] == s)]
    if not cat.get(c).stages[s].hs92:
        return "no trade data: not tested"
    if len(k) and not k["china_share"].fillna(0).iloc[0] >= MIN_CHINA_SHARE:
        return f"China < {percent(MIN_CHINA_SHARE)} of supply: not tested"
    r = b._scenario_row(party, c, s)
    if r is None:
        return "—"
    if r["consumption_tonnes"] <= 0:
        return "none (exports more than it uses)"
    if not r["shortfall_share"] >= MIN_SHORTFALL_SHARE:
        return f"shortfall < {percent(MIN_SHORTFALL_SHARE)} of use"
    if r["response_spare_tonnes"] > 0:
        text = (
            f"short {_pct(r['shortfall_share'])} of use ({_pct(r['shortfall_response_share'])} with response)"
        )
    else:
        text = f"short {_pct(r['shortfall_share'])} of use (no data for a response)"
    if r["stocks_days"] > 0:
        days = r["days_of_cover"]
        text += "; stocks last the year" if days == float("inf") else f"; stocks last {days:,.0f} days"
    return text


def summary_rows(b: Briefing, party) -> pd.DataFrame:
    """Page one's table for a party: one row per mineral that matters."""
    from critmin.report import _marked, _suppliers

    e = b.exp.set_index(["party", "commodity", "stage"])
    g = b._method("geopolrisk").set_index(["party", "commodity", "stage"])["value"]
    rows = []
    for k in b.key[b.key["party"] == party.label].itertuples(index=False):
        r = e.loc[(party.label, k.commodity, k.stage)]
        rows.append(
            {
                "mineral": f"{cat.get(k.commodity).name} ({k.stage})",
                "why": k.why,
                "imports": r["import_value_kusd"],
                "suppliers": _suppliers(r),
                "china": f"{_marked(r[b.share_col], r['basis_disagrees'])} · "
                f"{_origin_cell(b, party.label, k.commodity, k.stage)}",
                "gpr": g.get((party.label, k.commodity, k.stage), float("nan")),
                "measures": measures_cell(b, party, k.commodity),
                "stop": stop_cell(b, party.label, k.commodity, k.stage),
            }
        )
    return pd.DataFrame(rows)


def action_text(a, short: bool = False) -> str:
    """'Stockpile rare earth elements (refined): 343 days needed (holds 60) — closes 100% of a 10,820 t REO
    shortfall, ≈ USD 246 M a year (sized for 95% of the registry's scenarios).'"""
    from critmin.report import fmt

    closed = f"closes {_pct(a.closes_share)} of a {fmt(a.shortfall_tonnes, 't')} {a.basis} shortfall" + (
        f", ≈ {fmt(a.closes_usd / 1e3, 'usd')} a year" if a.closes_usd == a.closes_usd else ""
    )
    head = a.action[0].upper() + a.action[1:]
    caveat = SHORT_CAVEAT.get(a.action, "") if short else a.caveat
    return f"{head}, {a.mineral}: {a.number} — {closed}" + (f" ({caveat})." if caveat else ".")


def _headline(b: Briefing, party) -> str:
    from critmin.report import fmt

    part = b.exp[b.exp["party"] == party.label]
    mat = part[part["material"].astype(bool)]
    china = mat[mat[b.share_col] >= 0.5]
    most = (
        f"China supplies at least half of {len(china)} of them"
        if len(china)
        else "China supplies less than half of each"
    )
    return (
        f"Critical-mineral imports {fmt(part['import_value_kusd'].sum(), 'usd')} in {b.year}; imports of "
        f"{len(mat)} mineral stages are material; {most} (by value, directly)."
    )


def summary_sections(b: Briefing) -> list:
    """Page one: per party, the minerals that matter and what would help, ranked."""
    from critmin.indicators.disagreement import MARGIN
    from critmin.indicators.materiality import DEFAULT as material
    from critmin.report import Section, table

    subs = []
    acts = b.actions
    for p in b.parties:
        rows = summary_rows(b, p)
        mine = acts[acts["party"] == p.label] if len(acts) else acts
        items = [action_text(a, short=True) for a in mine.head(MAX_ACTIONS).itertuples(index=False)]
        if not items:
            items = [
                "Nothing to rank: no mineral that matters loses 1% of its use in a one-year Chinese stop."
            ]
        e = b.exp[(b.exp["party"] == p.label) & b.exp["material"].astype(bool)]
        sel = b.key[b.key["party"] == p.label]
        keys = set(zip(sel["commodity"], sel["stage"], strict=True))
        notes = [
            f"* {r.commodity_name} ({r.stage}): {r.disagreement}."
            for r in e.itertuples(index=False)
            if r.disagreement and (r.commodity, r.stage) in keys and "by" in r.disagreement
        ]
        subs.append(
            Section(
                f"summary-{p.label}",
                f"{p.name} ({p.label})",
                paragraphs=[_headline(b, p)],
                table=table(
                    rows,
                    [
                        ("Mineral that matters", "mineral", "text"),
                        ("Why", "why", "text"),
                        ("Imports, USD", "imports", "usd_short"),
                        ("Direct suppliers (share of value)", "suppliers", "text"),
                        ("China: direct · traced origin", "china", "text"),
                        ("GeoPol-Risk", "gpr", "num"),
                        ("Restrictions in force", "measures", "text"),
                        ("If China stops exports for a year", "stop", "text"),
                    ],
                )
                if len(rows)
                else None,
                items=items,
                notes=notes,
            )
        )
    how = (
        f"One analysis year, {b.year}, for every number (trade {b.exp['trade_source'].iloc[0]}; "
        f"production of that year or the latest before it); restrictions in force on {b.as_of.isoformat()}. "
        f"Material: imports ≥ {material.label}. Minerals that matter: the {TOP_VALUE} largest material imports, "
        f"the {TOP_RISK} with the highest GeoPolRisk score and the {TOP_CHINA} with the most import value from "
        "China (by traced origin). Stress test: China stops all exports of the stage for a year, pushed through "
        "the trade network (cascade; Japan holds its 60-day JOGMEC target for rare metals, nobody else stocks), "
        "without and with the short-run response of other producers. Actions are ranked by the value of the "
        f"shortfall they close, at the party's import unit value. *: by tonnes the share is more than "
        f"{100 * MARGIN:.0f} points away (note). Detail, caveats and every mineral in the pages that follow."
    )
    from critmin.scenarios.registry import all_records, lapsed_relaxations

    lapsed = lapsed_relaxations(all_records(b.ds), b.as_of)
    if lapsed:
        how += (
            f" {len(lapsed)} suspension{'s' if len(lapsed) > 1 else ''} of export measures ran out before "
            f"{b.as_of.isoformat()} ({', '.join(r['legal_reference'] for r in lapsed)}); the registry does not "
            "say whether the measures they held apply again, so they are not counted (Export restrictions)."
        )
    return [
        Section(
            "summary",
            "Executive summary",
            notes=["How the minerals were chosen, the stress test and the ranking: next page."],
            subsections=subs,
            css="summary",
        ),
        Section("how-to-read", "How to read this briefing", paragraphs=[how]),
    ]
