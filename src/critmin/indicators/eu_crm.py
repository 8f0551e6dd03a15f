"""EU critical-raw-materials supply risk (European Commission 2017 methodology; 2023 assessment).

Method: European Commission (2017) *Methodology for establishing the EU list of critical raw materials —
Guidelines*, doi:10.2873/769526 (eqs. for SR and HHI_WGI,t); Blengini et al. (2017), JRC EUR 28654 EN,
doi:10.2760/73303; applied in Grohol & Veeh (2023) *Study on the Critical Raw Materials for the EU 2023*,
doi:10.2873/725585.

For a raw material at one value-chain stage (extraction or processing)::

    WGI_c        = 5 − 2·mean(VA, PV, GE, RQ, RL, CC)_c          governance scaled 0-10, 10 = worst
    HHI_WGI,t    = Σ_c S_c² · WGI_c · t_c                         S_c share of country c (0-1) in a supply mix
    SR           = [HHI_WGI,t(GS)·IR/2 + HHI_WGI,t(sourcing)·(1 − IR/2)] · (1 − EoL_RIR) · SI_SR

GS = global supply (world production shares at that stage); "sourcing" = the assessed party's actual supply
mix (its domestic production + imports by country of origin). The EU study uses the EU; here the party
can be any country or bloc (JPN, JPN+ITA, ...). IR = net import reliance (I − E)/(P + I − E) ∈ [0, 1];
t_c = 1 normally, > 1 when the supplier restricts exports (1.1 for most restricted supplier/material pairs
in the 2023 study), 0.8 where an EU trade agreement with relevant provisions applies. The SR of a material
is the higher of the two stages ("bottleneck"). Critical if SR ≥ 1 and EI ≥ 2.8.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from critmin.errors import NoDataError, UnknownValueError
from critmin.formats import percent

if TYPE_CHECKING:  # pragma: no cover - pandas is imported where a frame is built (the engine needs none)
    import pandas as pd

    from critmin.api import Dataset

WGI_DIMENSIONS = ("va", "pv", "ge", "rq", "rl", "cc")
SR_THRESHOLD = 1.0
EI_THRESHOLD = 2.8
#: t_c the 2023 study gives most supplier/material pairs with an export restriction (Grohol & Veeh 2023)
RESTRICTED_T = 1.1
MISSING_WGI = {"neutral": 5.0, "worst": 10.0, "best": 0.0, "exclude": float("nan")}
STAGES = ("mine", "refined")


# ---------------------------------------------------------------------------------------------------------
# pure formulas
# ---------------------------------------------------------------------------------------------------------
def wgi_scaled(mean_estimate: npt.ArrayLike) -> np.ndarray:
    """WGI on the EU method's 0-10 scale: 5 − 2·mean of the six WGI estimates (EC 2017, Guidelines §3.1).

    +2.5 (best governance) → 0, −2.5 (worst) → 10. Not clipped: the six-dimension mean of real countries
    stays well inside ±2.5.
    """
    return 5.0 - 2.0 * np.asarray(mean_estimate, dtype=float)


def hhi_wgi_t(shares: npt.ArrayLike, wgi: npt.ArrayLike, t: npt.ArrayLike = 1.0) -> float:
    """HHI_WGI,t = Σ_c S_c² · WGI_c · t_c (EC 2017, eq. for supply risk; shares as fractions → 0-10 scale).

    Countries with NaN WGI are left out of the sum (their share still counts in the denominator of S_c).
    """
    s = np.asarray(shares, dtype=float)
    w = np.broadcast_to(np.asarray(wgi, dtype=float), s.shape)
    tt = np.broadcast_to(np.asarray(t, dtype=float), s.shape)
    terms = s**2 * w * tt
    return float(np.nansum(terms))


def supply_risk(
    hhi_gs: npt.ArrayLike,
    hhi_sourcing: npt.ArrayLike,
    ir: npt.ArrayLike,
    eol_rir: npt.ArrayLike = 0.0,
    si_sr: npt.ArrayLike = 1.0,
) -> np.ndarray:
    """SR = [HHI_GS·IR/2 + HHI_sourcing·(1 − IR/2)]·(1 − EoL_RIR)·SI_SR (EC 2017; weights IR/2 and 1 − IR/2).

    IR, EoL_RIR and SI_SR as fractions (0-1). Even at IR = 1 the sourcing mix keeps half the weight.
    """
    ir_ = np.asarray(ir, dtype=float)
    core = np.asarray(hhi_gs, dtype=float) * ir_ / 2 + np.asarray(hhi_sourcing, dtype=float) * (1 - ir_ / 2)
    return core * (1 - np.asarray(eol_rir, dtype=float)) * np.asarray(si_sr, dtype=float)


def is_critical(sr: npt.ArrayLike, ei: npt.ArrayLike) -> np.ndarray:
    """SR ≥ 1.0 and EI ≥ 2.8 (thresholds of the 2017, 2020 and 2023 EU assessments)."""
    return (np.asarray(sr, dtype=float) >= SR_THRESHOLD) & (np.asarray(ei, dtype=float) >= EI_THRESHOLD)


# ---------------------------------------------------------------------------------------------------------
# inputs from a Dataset
# ---------------------------------------------------------------------------------------------------------
def governance_0_10(
    ds: Dataset, years: Iterable[int], *, edition: str = "2024 release", missing: str = "neutral"
) -> pd.DataFrame:
    """(year, country, wgi_0_10, wgi_year) from the six WGI dimensions of one release, averaged per year.

    A requested year after the release's last year uses the last year (``wgi_year`` says which). A
    country needs all six dimensions; one without them gets the ``missing`` policy value (neutral 5,
    worst 10, best 0, exclude NaN) and ``imputed`` = True.
    """
    if missing not in MISSING_WGI:
        raise UnknownValueError(
            "missing-governance policy", missing, list(MISSING_WGI), hint="choose " + ", ".join(MISSING_WGI)
        )
    from critmin.indicators.risk_inputs import cached

    ys = tuple(sorted({int(y) for y in years}))
    return cached(ds, ("wgi_0_10", ys, edition, missing), lambda: _governance_0_10(ds, ys, edition, missing))


def _governance_0_10(ds: Dataset, ys: tuple[int, ...], edition: str, missing: str) -> pd.DataFrame:
    import pandas as pd

    frames = [ds.governance(ind, edition=edition) for ind in WGI_DIMENSIONS]
    gov = pd.concat(frames, ignore_index=True)
    if gov.empty:
        raise NoDataError(f"no WGI estimates in edition {edition!r}")
    last = int(gov["year"].max())
    first = int(gov["year"].min())
    wide = gov.pivot_table(index=["country", "year"], columns="indicator", values="estimate", aggfunc="first")
    complete = wide.reindex(columns=list(WGI_DIMENSIONS)).notna().all(axis=1)
    mean = wide.reindex(columns=list(WGI_DIMENSIONS)).mean(axis=1).where(complete)
    mean = mean.rename("mean").reset_index()
    countries = ds.con.execute("SELECT iso3 FROM countries WHERE NOT is_aggregate").df()["iso3"]
    out = []
    for y in ys:
        wy = min(max(y, first), last)
        m = mean[mean["year"] == wy].set_index("country")["mean"]
        idx = pd.Index(sorted(set(countries) | set(m.index)))
        m = m.reindex(idx)
        w = pd.Series(wgi_scaled(m.to_numpy()), index=idx)
        imputed = w.isna()
        w = w.fillna(MISSING_WGI[missing])
        out.append(
            pd.DataFrame(
                {
                    "year": y,
                    "country": idx,
                    "wgi_0_10": w.to_numpy(),
                    "wgi_year": wy,
                    "imputed": imputed.to_numpy(),
                }
            )
        )
    res = pd.concat(out, ignore_index=True)
    res.attrs["source"] = f"WGI {edition} (six-dimension mean)"
    return res


def _stage_codes_match(record_codes: Iterable[str], stage_codes: Iterable[str]) -> bool:
    """A measure's national/HS codes cover a stage when they share the HS4 heading with a stage code."""
    rc = [str(c)[:4] for c in record_codes if str(c)]
    sc = [str(c)[:4] for c in stage_codes]
    if not rc or not sc:
        return True
    return bool(set(rc) & set(sc))


def measures_in_force(ds_or_store, year: int) -> list[dict] | None:
    """Restrictive, reviewed registry measures in force on 31 December of ``year`` (records as dicts; None
    when the registry is not installed): the selection of ``registry.restrictions(in_force=...)``."""
    try:
        from critmin.scenarios import registry
    except ImportError:  # pragma: no cover - the registry ships with critmin; partial installs lack it
        return None
    day = f"{int(year)}-12-31"
    return [
        r
        for r in registry.all_records(ds_or_store)
        if r["status"] != registry.REJECTED
        and r["reviewed"]
        and not r["relaxes"]
        and registry.is_in_force(r, day)
    ]


def registry_in_force(ds: Dataset, year: int) -> list[dict] | None:
    """Restrictions in force on 31 December of ``year`` (None when the registry is not installed)."""
    return measures_in_force(ds, year)


def trade_factors_from_registry(
    recs: Iterable[Mapping] | None,
    commodity: str,
    stage: str,
    party_members: Iterable[str],
    *,
    restricted_t: float = RESTRICTED_T,
) -> tuple[list[dict], str]:
    """t_c per supplier from restriction-registry records (``critmin.scenarios.registry``).

    A measure by supplier c on the commodity whose HS codes reach the stage (same HS4 heading; measures
    without codes reach every stage) gives t_c = ``restricted_t`` (1.1, the 2023 study's value for most
    restricted pairs). Destination-specific measures count for the sourcing scope only when they target a
    party member; end-use-specific measures (military end users) and the all-minerals wildcard records are
    left out, the method's t_c being about trade in the material itself. Returns (rows of country, scope,
    t, measures) and a provenance note.
    """
    from critmin.reference import commodities as cat

    if recs is None:
        return [], "t_c = 1 (no restriction registry)"
    st = cat.get(commodity).stages[stage]
    members = set(party_members)
    best: dict[tuple[str, str], dict] = {}
    for r in recs:
        if r["end_uses"] or commodity not in list(r["commodities"]):
            continue
        if not _stage_codes_match(list(r["hs_codes"]), st.hs92):
            continue
        targets = set(r["targets"])
        scopes = ["global", "sourcing"] if not targets else (["sourcing"] if targets & members else [])
        for scope in scopes:
            row = best.setdefault(
                (r["imposer"], scope), {"country": r["imposer"], "scope": scope, "t": 0.0, "measures": []}
            )
            row["t"] = max(row["t"], float(restricted_t))
            row["measures"].append(r["id"])
    rows = [{**v, "measures": ",".join(v["measures"])} for _, v in sorted(best.items())]
    return rows, "restriction registry (in force 31 Dec)"


def normalise_tc(t_c, commodity: str, stage: str) -> list[dict] | None:
    """User t_c → rows (country, scope, t, measures); None when not given (the registry applies).

    Accepts ``'none'`` (all 1), {ISO3: t}, {(commodity, ISO3): t}, or a table (a DataFrame or records) with
    columns country, t and optionally commodity, stage, scope ('global' | 'sourcing' | 'both')."""
    if t_c is None:
        return None
    if isinstance(t_c, str):
        if t_c == "none":
            return []
        raise UnknownValueError(
            "t_c", t_c, ["none"], hint="use None (registry), 'none', a mapping or a DataFrame"
        )
    if isinstance(t_c, Mapping):
        recs = []
        for k, v in t_c.items():
            if isinstance(k, tuple):
                if k[0] != commodity:
                    continue
                k = k[-1]
            recs.append({"country": k, "t": float(v)})
    else:
        recs = t_c.to_dict("records") if hasattr(t_c, "to_dict") else [dict(r) for r in t_c]
        recs = [r for r in recs if _blank(r.get("commodity")) or r.get("commodity") == commodity]
        recs = [r for r in recs if _blank(r.get("stage")) or r.get("stage") == stage]
    out = []
    for sc in ("global", "sourcing"):
        for r in recs:
            scope = r.get("scope")
            if _blank(scope) or scope in (sc, "both"):
                out.append({"country": r["country"], "scope": sc, "t": float(r["t"]), "measures": "user"})
    return out


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _tc_frame(rows: list[dict]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=["country", "scope", "t", "measures"])


def _mix_hhi(mix: pd.DataFrame, wgi: pd.Series, tc: pd.Series) -> tuple[float, int, float]:
    """(HHI_WGI,t, number of suppliers, share of the mix with imputed/missing WGI handled by the caller)."""
    total = mix["tonnes"].sum()
    if total <= 0:
        return float("nan"), 0, float("nan")
    named = mix[mix["country"] != "ROW"]
    s = named["tonnes"].to_numpy(float) / total
    w = named["country"].map(wgi).to_numpy(float)
    t = named["country"].map(tc).fillna(1.0).to_numpy(float)
    return hhi_wgi_t(s, w, t), int((named["tonnes"] > 0).sum()), float(s.max()) if len(s) else float("nan")


def eu_supply_risk(
    ds: Dataset,
    parties,
    commodities: str | Iterable[str] | None = None,
    years: int | Iterable[int] | None = None,
    *,
    stages: Iterable[str] = STAGES,
    window: int = 1,
    t_c=None,
    ir: Mapping | None = None,
    eol_rir: Mapping | None = None,
    si_sr: Mapping | None = None,
    wgi_edition: str = "2024 release",
    missing: str = "neutral",
    allow_proxy_stage: bool = False,
    restricted_t: float = RESTRICTED_T,
) -> pd.DataFrame:
    """EU-method supply risk for any party (country or bloc), commodity, stage (mine = extraction, refined =
    processing) and year, with every input in the row.

    Inputs and where they come from (each row's ``inputs`` JSON says which were given):
      global supply: world production of the stage (catalogue source order; ``window`` > 1 sums the
        ``window`` years ending at the year, as the EU study's multi-year averages);
      sourcing: the party's domestic production at the stage + its imports from outside the party by
        origin (BACI, on the production basis with content factors; gross weight when the party has no
        domestic production);
      WGI: six-dimension mean of ``wgi_edition`` scaled 0-10; ``missing`` policy for countries without it;
      t_c: ``None`` → restriction registry; ``'none'`` → all 1; or {ISO3: t} / {(commodity, ISO3): t} / a
        frame (commodity, stage, scope, country, t);
      IR: computed (I − E)/(P + I − E) unless given in ``ir`` {commodity or (commodity, stage): value};
      EoL_RIR: catalogue ``eol_rir`` (EU 2023 values) unless given; SI_SR: given, else 1 (flag si_sr_default).
    One row per party × commodity × stage × year: hhi_wgi_t_global, hhi_wgi_t_sourcing, import_reliance,
    eol_rir, si_sr, sr, sr_global_only, sr_sourcing_only, reported (True on the stage with the higher SR),
    status, flags, inputs, provenance.
    """
    import pandas as pd

    from critmin.indicators import materiality
    from critmin.indicators.dependence import import_reliance
    from critmin.indicators.geopolrisk import _years_list, trade_provenance
    from critmin.indicators.risk_inputs import content_factors, production_index, stage_trade, trade_on_basis
    from critmin.reference import commodities as cat

    ys = _years_list(ds, years)
    if window < 1:
        raise ValueError("window must be at least 1 year")
    ps = ds.parties(parties, max(ys))
    comms = cat.resolve_many(commodities)
    stages = [cat.check_stage(s) for s in stages]
    all_years = sorted({y - k for y in ys for k in range(window)})
    gov = governance_0_10(ds, all_years, edition=wgi_edition, missing=missing)
    gov_by_year = {y: g.set_index("country") for y, g in gov.groupby("year")}
    tsrc = trade_provenance(ds)
    reg_cache: dict[int, pd.DataFrame | None] = {}

    rows = []
    for c in comms:
        pidx = production_index(ds, c.id, 0)
        for s in stages:
            if s not in c.stages:
                continue
            st = c.stages[s]
            trade = stage_trade(ds, c.id, s, all_years) if st.hs92 else None
            for y in ys:
                win = [y - k for k in range(window)][::-1]
                picks = [pidx.pick(s, wy) for wy in win]
                picks = [
                    p
                    for p in picks
                    if p.found
                    and (allow_proxy_stage or p.production_stage == s)
                    and p.production_year == p.year
                ]
                flags: list[str] = []
                if len(picks) < len(win):
                    have = [p.year for p in picks]
                    flags.append(f"production_years:{','.join(map(str, have)) or 'none'}")
                basis = picks[-1].basis if picks else None
                # annual averages over the window's years with data: production and trade stay comparable
                # when a year of production is missing (the study averages 2016-2020)
                prod = (
                    pd.concat([p.frame for p in picks]).groupby("country", as_index=False)["tonnes"].sum()
                    if picks
                    else pd.DataFrame(columns=["country", "tonnes"])
                )
                if picks:
                    prod["tonnes"] = prod["tonnes"] / len(picks)
                if picks and any(p.production_stage != s for p in picks):
                    flags.append("production_proxy_stage:mine")
                # governance: mean of the window's years
                gw = pd.concat([gov_by_year[wy][["wgi_0_10", "imputed"]] for wy in win])
                wgi = gw.groupby(level=0)["wgi_0_10"].mean()
                imputed = set(gw.index[gw["imputed"]])
                wgi_years = sorted({int(gov_by_year[wy]["wgi_year"].iloc[0]) for wy in win})
                if any(wy != yy for wy, yy in zip(win, wgi_years, strict=False)) or len(wgi_years) < len(win):
                    flags.append(f"wgi_years:{','.join(map(str, wgi_years))}")
                factors, fflags = content_factors(c.id, s, basis)
                fflags = fflags if factors is not None else []  # the grade matters only once converted
                user_tc = normalise_tc(t_c, c.id, s)
                tw_all = (
                    trade_on_basis(trade[trade["year"].isin(win)], factors) if trade is not None else None
                )
                for p in ps:
                    pfl = list(flags) + fflags
                    members = set(p.members)
                    # t_c
                    if user_tc is None:
                        if y not in reg_cache:
                            reg_cache[y] = registry_in_force(ds, y)
                        tc_rows, tnote = trade_factors_from_registry(
                            reg_cache[y], c.id, s, members, restricted_t=restricted_t
                        )
                    else:
                        tc_rows, tnote = user_tc, "given"
                    tcf = _tc_frame(tc_rows)
                    tc_g = tcf[tcf["scope"] == "global"].set_index("country")["t"]
                    tc_s = tcf[tcf["scope"] == "sourcing"].set_index("country")["t"]
                    # global supply
                    hhi_gs, n_gs, _ = _mix_hhi(prod, wgi, tc_g) if not prod.empty else (np.nan, 0, np.nan)
                    dom = (
                        float(prod.loc[prod["country"].isin(members), "tonnes"].sum())
                        if not prod.empty
                        else 0.0
                    )
                    # sourcing: domestic production + imports from outside the party by origin
                    if trade is not None:
                        tw = tw_all
                        imp = tw[tw["importer"].isin(members) & ~tw["exporter"].isin(members)]
                        exp = tw[tw["exporter"].isin(members) & ~tw["importer"].isin(members)]
                        by_origin = imp.groupby("exporter", as_index=False)["tonnes_basis"].sum()
                        by_origin.columns = ["country", "tonnes"]
                        by_origin["tonnes"] = by_origin["tonnes"] / len(win)
                        i_t = float(imp["tonnes_basis"].sum()) / len(win)
                        e_t = float(exp["tonnes_basis"].sum()) / len(win)
                        # a score computed from a few dollars of imports is arithmetic, not exposure
                        i_v = float(imp["value_kusd"].sum()) / len(win)
                        if i_t > 0 and not bool(materiality.DEFAULT(i_v, i_v)):
                            pfl.append("immaterial_imports")
                    else:
                        by_origin = pd.DataFrame(columns=["country", "tonnes"])
                        i_t = e_t = float("nan")
                        pfl.append("no_trade_code")
                    own = prod[prod["country"].isin(members)] if not prod.empty else prod
                    can_mix = factors is not None or dom == 0
                    if trade is not None and not can_mix:
                        pfl.append("trade_production_basis_mismatch")
                    if trade is not None and can_mix and (i_t > 0 or dom > 0):
                        parts = [f for f in (own[["country", "tonnes"]], by_origin) if not f.empty]
                        mix = pd.concat(parts, ignore_index=True)
                        hhi_src, n_src, _ = _mix_hhi(mix, wgi, tc_s)
                        top = mix.groupby("country")["tonnes"].sum().sort_values(ascending=False)
                        top_sh = (top / top.sum()).head(3).round(4).to_dict()
                    else:
                        hhi_src, n_src, top_sh = float("nan"), 0, {}
                    if trade is not None and factors is None and i_t > 0 and dom == 0:
                        pfl.append("gross_weight")
                    # IR
                    key_ir = _lookup(ir, c.id, s)
                    if key_ir is not None:
                        irv, ir_src = float(key_ir), "given"
                    elif trade is not None and (can_mix or dom == 0):
                        irv = float(import_reliance(i_t, e_t, dom if factors is not None else 0.0))
                        ir_src = "computed"
                        if not np.isfinite(irv) and (i_t > 0 or e_t > 0) and i_t <= e_t:
                            # a net exporter without domestic production (re-exports, stock draws): apparent
                            # consumption is not positive, the method's IR is 0 for net exporters
                            irv = 0.0
                            pfl.append("net_exporter_ir_0")
                    else:
                        irv, ir_src = float("nan"), "unavailable"
                    eol = _lookup(eol_rir, c.id, s)
                    eol_src = "given" if eol is not None else "catalogue (EU 2023)"
                    if eol is None:
                        eol = c.eol_rir
                    if eol is None:
                        eol, eol_src = 0.0, "default 0"
                        pfl.append("eol_rir_default")
                    si = _lookup(si_sr, c.id, s)
                    si_src = "given"
                    if si is None:
                        si, si_src = 1.0, "default 1"
                        pfl.append("si_sr_default")
                    used = (set(prod["country"]) if not prod.empty else set()) | set(by_origin["country"])
                    if used & imputed:
                        pfl.append("missing_governance")
                    sr = float(supply_risk(hhi_gs, hhi_src, irv, eol, si))
                    # the single-mix variants of the 2023 study ("GSonly", "EUonly")
                    sr_gs = float(hhi_gs * (1 - eol) * si)
                    sr_src = float(hhi_src * (1 - eol) * si)
                    if tw_all is not None and tw_all.empty:
                        # the HS code carries no flow at all (germanium 811230 after 2016): a coverage gap,
                        # not a party sourcing only from itself
                        pfl.append("no_trade_flows")
                        hhi_src = sr = sr_src = float("nan")
                        if ir_src == "computed":
                            irv, ir_src = float("nan"), "unavailable"
                    status = "ok" if np.isfinite(sr) else "no data"
                    inputs = {
                        "window": win,
                        "production": picks[-1].provenance if picks else None,
                        "trade": tsrc if trade is not None else None,
                        "basis": basis if factors else "gross weight",
                        "wgi": f"{wgi_edition} {wgi_years}",
                        "missing_wgi": missing,
                        "t_c": tnote,
                        "t_c_suppliers": {k: v for k, v in pd.concat([tc_g, tc_s]).items() if v != 1.0},
                        "ir": ir_src,
                        "eol_rir": eol_src,
                        "si_sr": si_src,
                        "n_global_producers": n_gs,
                        "n_sources": n_src,
                        "top_sources": top_sh,
                    }
                    rows.append(
                        {
                            "party": p.label,
                            "commodity": c.id,
                            "stage": s,
                            "year": y,
                            "hhi_wgi_t_global": hhi_gs,
                            "hhi_wgi_t_sourcing": hhi_src,
                            "import_reliance": irv,
                            "eol_rir": float(eol),
                            "si_sr": float(si),
                            "sr": sr,
                            "sr_global_only": sr_gs,
                            "sr_sourcing_only": sr_src,
                            "domestic_tonnes": dom,
                            "imports_tonnes": i_t,
                            "exports_tonnes": e_t,
                            "status": status,
                            "flags": json.dumps(sorted(set(pfl))),
                            "inputs": json.dumps(inputs, default=str, sort_keys=True),
                            "production_source": picks[-1].provenance if picks else "",
                            "trade_source": tsrc if trade is not None else "",
                            "governance_source": gov.attrs["source"],
                        }
                    )
    out = pd.DataFrame(rows)
    if out.empty:
        raise NoDataError("no stage to assess for the given commodities and stages")
    best = out.groupby(["party", "commodity", "year"])["sr"].transform("max")
    out["reported"] = out["sr"].notna() & (out["sr"] == best)
    out["sr_reported"] = best
    return out


def _lookup(values: Mapping | None, commodity: str, stage: str):
    if not values:
        return None
    for key in ((commodity, stage), commodity):
        if key in values and values[key] is not None:
            return values[key]
    return None


# ---------------------------------------------------------------------------------------------------------
# the published 2023 assessment
# ---------------------------------------------------------------------------------------------------------
def published_2023() -> list[dict]:
    """The EU 2023 assessment's published SR values and inputs for catalogue materials
    (``indicators/data/eu_crm_2023.yaml``; Grohol & Veeh 2023, doi:10.2873/725585)."""
    from importlib import resources

    import yaml

    text = resources.files("critmin.indicators").joinpath("data/eu_crm_2023.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _reproduction_engine(ds, party: str, specs: list[dict], ys: list[int]) -> dict:
    """The EU rows of every (commodity, stage) of the reproduction in one engine run
    (:mod:`critmin.indicators.engine`), with each material's published inputs."""
    from critmin.indicators.engine import Options, run
    from critmin.reference import blocs
    from critmin.reference import commodities as cat

    tc = [
        {"commodity": d["commodity"], "stage": d["stage"], "scope": sc, "country": k, "t": v}
        for d in specs
        for sc, dd in (d.get("t_c") or {}).items()
        for k, v in dd.items()
    ]
    opts = Options(
        window=len(ys),
        t_c=tc,
        ir={(d["commodity"], d["stage"]): d["ir"] for d in specs if d.get("ir") is not None},
        eol_rir={(d["commodity"], d["stage"]): d["eol_rir"] for d in specs},
        si_sr={(d["commodity"], d["stage"]): d["si_sr"] for d in specs},
        proxy=False,
    )
    comms = cat.resolve_many(sorted({d["commodity"] for d in specs}))
    res = run(ds, blocs.parties(party, ys[-1]), ["eu_sr"], [ys[-1]], comms, blocs.party("CHN"), opts)
    try:
        cols, rows = res.rows()
    finally:
        res.close()
    out = {}
    for r in rows:
        row = dict(zip(cols, r, strict=True))
        inputs = json.loads(row["inputs"])
        out[(row["commodity"], row["stage"])] = {
            "sr": np.nan if row["value"] is None else float(row["value"]),
            "sr_global_only": _num(inputs.get("sr_global_only")),
            "sr_sourcing_only": _num(inputs.get("sr_sourcing_only")),
            "hhi_wgi_t_global": _num(inputs.get("hhi_wgi_t_global")),
            "hhi_wgi_t_sourcing": _num(inputs.get("hhi_wgi_t_sourcing")),
            "import_reliance": _num(inputs.get("import_reliance")),
            "flags": json.dumps(sorted(f for f in json.loads(row["flags"]) if f != "reported_stage")),
            "top_sources": inputs.get("top_sources") or {},
        }
    return out


def _num(v) -> float:
    return float("nan") if v is None else float(v)


def reproduce_2023(
    ds: Dataset,
    *,
    years: Iterable[int] = (2016, 2017, 2018, 2019, 2020),
    party: str = "EU27",
    engine: str = "duckdb",
) -> pd.DataFrame:
    """Recompute the EU 2023 stage SR values with critmin's data, the way the study combined them.

    From the publication: SI_SR, EoL-RIR, import reliance IR (per stage), the supplier t_c factors and which
    supply mix the study used per stage (GS+EU → the full formula, GSonly → global supply only, EUonly →
    EU sourcing only). From critmin's data: world production shares (WMD/USGS), EU-27 sourcing (its
    production + extra-EU imports from BACI by origin), WGI (2024 release, six-dimension mean). The window
    is the study's, 2016-2020, as annual averages: trade and WGI cover it, production (from 2018 in the
    embedded data) is the average of the years it has (flag ``production_years``).
    One row per material and stage: published_sr, sr (critmin), rel_diff, variant, why a stage could not be
    computed, and what the study's own inputs imply: ``implied_hhi`` is the HHI_WGI,t of the mix the study's
    published SR requires given its SI_SR, EoL-RIR and IR (the EU-sourcing HHI for GS+EU and EUonly stages,
    with critmin's global HHI for the GS term; the global HHI for GSonly), ``implied_hhi_low``/``_high`` the
    same for the SR's one-decimal rounding (± 0.05); ``hhi_compared`` is critmin's HHI of that mix and
    ``largest_source``/``largest_share`` its biggest supplier. ``engine``: 'duckdb' (one run of the risk engine for every stage) or 'pandas' (the
    reference, :func:`eu_supply_risk` stage by stage).
    """
    import pandas as pd

    if engine not in ("duckdb", "pandas"):
        raise UnknownValueError("engine", engine, ("duckdb", "pandas"))
    ys = sorted(int(y) for y in years)
    specs = [
        {**d, "stage": stage, "eol_rir": m["eol_rir"], "si_sr": m["si_sr"]}
        for m in published_2023()
        if m.get("si_sr") is not None
        for stage, d in (m.get("stages") or {}).items()
        if d.get("sr") is not None and d.get("commodity") and not d.get("commodity_stage_missing")
    ]
    fast = _reproduction_engine(ds, party, specs, ys) if engine == "duckdb" else None
    rows = []
    for m in published_2023():
        for stage, d in (m.get("stages") or {}).items():
            base = {
                "material": m["material"],
                "stage": stage,
                "commodity": d.get("commodity"),
                "published_sr": d.get("sr"),
                "variant": d.get("supply_used"),
                "reported_stage": m["reported_stage"] == stage,
            }
            if d.get("sr") is None or not d.get("commodity") or d.get("commodity_stage_missing"):
                rows.append({**base, "sr": np.nan, "why": "no catalogue stage or no published stage SR"})
                continue
            if m.get("si_sr") is None:
                rows.append({**base, "sr": np.nan, "why": "no published SI_SR"})
                continue
            tcd = d.get("t_c") or {}
            tc = pd.DataFrame(
                [{"country": k, "t": v, "scope": sc} for sc, dd in tcd.items() for k, v in dd.items()],
                columns=["country", "t", "scope"],
            )
            ir = {(d["commodity"], stage): d["ir"]} if d.get("ir") is not None else None
            if fast is not None:
                res = fast[(d["commodity"], stage)]
            else:
                res = eu_supply_risk(
                    ds,
                    party,
                    d["commodity"],
                    ys[-1],
                    stages=[stage],
                    window=len(ys),
                    t_c=tc,
                    ir=ir,
                    eol_rir={d["commodity"]: m["eol_rir"]},
                    si_sr={d["commodity"]: m["si_sr"]},
                ).iloc[0]
            variant = d.get("supply_used")
            col = {"GS+EU": "sr", "GSonly": "sr_global_only", "EUonly": "sr_sourcing_only"}.get(variant, "sr")
            val = float(res[col])
            why = ""
            if not np.isfinite(val):
                why = f"not computable from the data: {res['flags']}"
            top = res["top_sources"] if fast is not None else json.loads(res["inputs"]).get("top_sources", {})
            lead = max(top.items(), key=lambda kv: kv[1]) if top else (None, np.nan)
            implied = implied_hhi(
                d["sr"], m["eol_rir"], m["si_sr"], float(res["import_reliance"]), float(res["hhi_wgi_t_global"]),
                variant,
            )  # fmt: skip
            rows.append(
                {
                    **base,
                    "sr": val,
                    "hhi_wgi_t_global": res["hhi_wgi_t_global"],
                    "hhi_wgi_t_sourcing": res["hhi_wgi_t_sourcing"],
                    "ir_used": res["import_reliance"],
                    "ir_from": "publication" if ir else "data",
                    "flags": res["flags"],
                    "why": why,
                    **implied,
                    "hhi_compared": res["hhi_wgi_t_global"]
                    if variant == "GSonly"
                    else res["hhi_wgi_t_sourcing"],
                    "largest_source": None if variant == "GSonly" else lead[0],
                    "largest_share": np.nan if variant == "GSonly" else lead[1],
                }
            )
    out = pd.DataFrame(rows)
    out["rel_diff"] = (out["sr"] - out["published_sr"]) / out["published_sr"]
    out.attrs["from_publication"] = [
        "SI_SR",
        "EoL_RIR",
        "IR (per stage, where published)",
        "t_c",
        "supply mix used",
    ]
    out.attrs["from_data"] = [
        "world production shares",
        "EU-27 sourcing (production + extra-EU imports)",
        "WGI 2024 release (six dimensions)",
        f"years {ys[0]}-{ys[-1]} (annual averages; production from the years the data have)",
    ]
    return out


def implied_hhi(
    published_sr: float, eol_rir: float, si_sr: float, ir: float, hhi_global: float, variant: str | None
) -> dict[str, float]:
    """The HHI_WGI,t the study's published SR requires of the mix that differs between the study and critmin.

    From SR = [HHI_GS·IR/2 + HHI_EU·(1 − IR/2)]·(1 − EoL_RIR)·SI_SR: for GS+EU stages the EU-sourcing HHI
    given critmin's HHI_GS, (SR/k − HHI_GS·IR/2)/(1 − IR/2) with k = (1 − EoL_RIR)·SI_SR; for EUonly SR/k; for
    GSonly the global HHI SR/k. ``implied_hhi_low``/``_high``: the same for SR ± 0.05 (published to one
    decimal)."""
    k = (1 - eol_rir) * si_sr

    def one(sr: float) -> float:
        if variant in ("GSonly", "EUonly"):
            return sr / k
        return (sr / k - hhi_global * ir / 2) / (1 - ir / 2)

    return {
        "implied_hhi": one(published_sr),
        "implied_hhi_low": max(0.0, one(published_sr - 0.05)),
        "implied_hhi_high": one(published_sr + 0.05),
    }


def within_reproduction(table: pd.DataFrame, tolerance: float = 0.10) -> pd.Series:
    """Rows reproduced: within ``tolerance`` of the published SR, or within its one-decimal rounding."""
    return (table["rel_diff"].abs() <= tolerance) | ((table["sr"] - table["published_sr"]).abs() <= 0.05)


def reproduction_markdown(table: pd.DataFrame) -> str:
    """The reproduction table of docs/risk-methods.md (``critmin eu-crm-2023 --markdown``): the reported stages
    computable from the data, reproduced first, then the others with what the study's inputs imply."""
    rep = table[table["reported_stage"] & table["sr"].notna()].copy()
    rep["ok"] = within_reproduction(rep)
    rep = rep.sort_values(["ok", "material"], ascending=[False, True])
    stage_name = {"mine": "extraction", "refined": "processing"}
    lines = [
        "| material · stage | mix | published SR | critmin | difference | implied HHI (study) | critmin HHI | largest source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rep.itertuples(index=False):
        diff = r.sr - r.published_sr
        if abs(diff) <= 0.05 and abs(r.rel_diff) > 0.10:
            dtext = "within rounding"
        elif abs(r.rel_diff) >= 1:
            dtext = f"×{r.sr / r.published_sr:.1f}"
        else:
            dtext = percent(r.rel_diff, sign=True)
        lead = f"{r.largest_source} {percent(r.largest_share)}" if isinstance(r.largest_source, str) else "—"
        lines.append(
            f"| {r.material} · {stage_name.get(r.stage, r.stage)} | {r.variant} | {r.published_sr:.1f} | {r.sr:.2f} | "
            f"{dtext} | {r.implied_hhi:.2f} ({r.implied_hhi_low:.2f}–{r.implied_hhi_high:.2f}) | "
            f"{r.hhi_compared:.2f} | {lead} |"
        )
    n, ok = len(rep), int(rep["ok"].sum())
    lines.append("")
    lines.append(
        f"{ok} of {n} reported stages computable from the data are within 10% of the published SR (or within "
        f"its one-decimal rounding); median |difference| {percent(rep['rel_diff'].abs().median())}."
    )
    return "\n".join(lines) + "\n"
