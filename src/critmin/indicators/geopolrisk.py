"""GeoPolRisk: the import-based geopolitical supply-risk indicator of life-cycle assessment.

Method: Gemechu et al. (2016, J. Ind. Ecol. 20(1):154-165, eq. 1); domestic production in the denominator
from Helbig et al. (2016, J. Clean. Prod. 137:1170-1178, eq. 2); characterization factors as in
Koyamparambath et al. (2024, Resour. Conserv. Recycl. 209:107801, eqs. 1-3) and the reference implementation
geopolrisk-py (Koyamparambath et al. 2026, JOSS 11(118):9600).

For raw material A, economic unit c (a country or a bloc) and year t::

    g_i        = clip((2.5 − PV_i) / 5, 0, 1)                 political (in)stability of exporter i (0 = stable)
    HHI_A      = Σ_k P_k² / (Σ_k P_k)²                         world production concentration (0-1)
    IR_A,c     = Σ_i f_i·g_i / (F + p),   F = Σ_i f_i          import risk ("weighted trade average")
    Score_A,c  = HHI_A · IR_A,c
    Midpoint   = Score · price,   price = Σ value / Σ quantity (USD/kg)
    CF_A,c     = Midpoint / Midpoint_Cu                         (kg Cu-eq/kg; geopolrisk-py uses 0.409412948)

For a bloc, imports from other members are risk-free (g = 0) but stay in F (geopolrisk-py ``aggregateTrade``).

The first part of this module holds pure formula functions (arrays in, arrays out). :func:`instability`
reads the governance table of a :class:`critmin.api.Dataset`; :func:`geopolrisk_table` is the vectorised
engine over tidy trade/production frames, and :func:`geopolrisk` runs it on a Dataset with stage-consistent
units and explicit flags.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmin.errors import NoDataError, UnknownValueError

if TYPE_CHECKING:  # pragma: no cover
    from critmin.api import Dataset
    from critmin.reference.blocs import Party

#: geopolrisk-py's fixed copper reference midpoint ("average CF of copper for OECD countries 2017-2021",
#: hard-coded in ``geopolrisk.assessment.core.GeoPolRisk``), in USD/kg.
CU_REFERENCE_MIDPOINT = 0.409412948

#: Missing-governance policies: the value given to an exporter with no WGI estimate.
MISSING_POLICIES: dict[str, float] = {
    "neutral": 0.5,  # geopolrisk-py's value for a partner absent from WGI (its live BACI path)
    "worst": 1.0,  # conservative: unknown = least stable
    "best": 0.0,  # geopolrisk-py's Excel reference case and wgi.db store a missing estimate as 0 (= most stable)
    "exclude": float("nan"),  # flows from such exporters are left out of numerator and F
}


# ---------------------------------------------------------------------------------------------------------
# pure formulas
# ---------------------------------------------------------------------------------------------------------
def wgi_to_instability(estimate: npt.ArrayLike) -> np.ndarray:
    """g = clip((2.5 − PV) / 5, 0, 1): WGI political stability (−2.5 … +2.5) to instability (0 … 1).

    The GeoPolRisk rescaling (Gemechu et al. 2016, eq. 1; checked against every cell of geopolrisk-py's
    ``wgi.db`` ``Normalized`` table). 0 = most stable, 1 = least stable; NaN stays NaN (a missing estimate is
    handled by an explicit policy, see :func:`instability`).
    """
    pv = np.asarray(estimate, dtype=float)
    return np.clip((2.5 - pv) / 5.0, 0.0, 1.0)


def import_risk(f: npt.ArrayLike, g: npt.ArrayLike, domestic: float = 0.0) -> float:
    """IR = Σ_i f_i·g_i / (Σ_i f_i + p): the import risk ("weighted trade average") of GeoPolRisk.

    ``f`` = imports by exporter (tonnes), ``g`` = exporter instability (0-1), ``domestic`` = the importer's own
    production p on the same basis as ``f`` (Helbig et al. 2016, eq. 2). Exporters with NaN ``g`` are left
    out of numerator and denominator. NaN when there is no supply at all (no data, not zero risk).
    """
    fa = np.asarray(f, dtype=float)
    ga = np.broadcast_to(np.asarray(g, dtype=float), fa.shape)
    if (fa < 0).any() or domestic < 0:
        raise ValueError("imports and domestic production must be non-negative")
    keep = ~np.isnan(ga) & ~np.isnan(fa)
    denom = fa[keep].sum() + float(domestic)
    if denom <= 0:
        return float("nan")
    return float(np.sum(fa[keep] * ga[keep]) / denom)


def production_hhi(production: npt.ArrayLike) -> float:
    """HHI = Σ_k P_k² / (Σ_k P_k)² over producing countries (0-1 scale; Gemechu et al. 2016, eq. 1).

    NaN production counts as zero (as in geopolrisk-py); NaN when world production is zero.
    """
    p = np.nan_to_num(np.asarray(production, dtype=float), nan=0.0)
    total = p.sum()
    return float(np.sum(p**2) / total**2) if total > 0 else float("nan")


def geopolrisk_score(hhi: npt.ArrayLike, import_risk_: npt.ArrayLike) -> np.ndarray:
    """Score = HHI · IR (Gemechu et al. 2016, eq. 1): dimensionless, 0-1."""
    return np.asarray(hhi, dtype=float) * np.asarray(import_risk_, dtype=float)


def unit_price(value_kusd: npt.ArrayLike, tonnes: npt.ArrayLike) -> float:
    """price = Σ value / Σ quantity in USD/kg (thousand USD per tonne), over rows with a quantity.

    As geopolrisk-py (``aggregateTrade``), the price is the importer's own average unit value of the flows used
    in the import risk. Rows without a quantity are left out of both sums. NaN without any quantity.
    """
    v = np.asarray(value_kusd, dtype=float)
    q = np.asarray(tonnes, dtype=float)
    keep = ~np.isnan(q) & ~np.isnan(v)
    qs = q[keep].sum()
    return float(v[keep].sum() / qs) if qs > 0 else float("nan")


def midpoint(score: npt.ArrayLike, price_usd_per_kg: npt.ArrayLike) -> np.ndarray:
    """Midpoint = Score · price (USD/kg; Koyamparambath et al. 2024, eq. 2)."""
    return np.asarray(score, dtype=float) * np.asarray(price_usd_per_kg, dtype=float)


def characterization_factor(
    midpoint_: npt.ArrayLike, cu_reference: npt.ArrayLike = CU_REFERENCE_MIDPOINT
) -> np.ndarray:
    """CF = Midpoint / Midpoint_Cu in kg Cu-eq/kg (Koyamparambath et al. 2024, eq. 3).

    The default reference is geopolrisk-py's fixed 0.409412948 USD/kg; pass copper's own midpoint for the same
    economic unit and year to follow eq. 3 literally.
    """
    ref = np.asarray(cu_reference, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(midpoint_, dtype=float) / ref


# ---------------------------------------------------------------------------------------------------------
# governance
# ---------------------------------------------------------------------------------------------------------
def check_missing_policy(missing: str) -> str:
    if missing not in MISSING_POLICIES:
        raise UnknownValueError(
            "missing-governance policy",
            missing,
            list(MISSING_POLICIES),
            hint="choose " + ", ".join(MISSING_POLICIES),
        )
    return missing


def instability(ds: Dataset, year: int, *, edition: str | None = None, missing: str = "neutral") -> pd.Series:
    """g by ISO3 for ``year``: WGI political stability (PV) rescaled by :func:`wgi_to_instability`.

    The index holds every country of critmin's country table plus any country in the governance table.
    Countries without an estimate that year get the ``missing`` policy value: 'neutral' 0.5 (default, as
    geopolrisk-py for partners absent from WGI), 'worst' 1.0, 'best' 0.0 (geopolrisk-py's Excel case), or
    'exclude' NaN. Their ISO3 codes are listed in ``series.attrs['missing']``; ``attrs`` also records the
    policy, source and edition.
    """
    check_missing_policy(missing)
    from critmin.indicators.risk_inputs import cached

    base = cached(ds, ("instability", int(year), edition), lambda: _instability(ds, int(year), edition))
    out = base.fillna(MISSING_POLICIES[missing])
    out.name = "instability"
    out.attrs.update({**base.attrs, "policy": missing})
    return out


def _instability(ds: Dataset, year: int, edition: str | None) -> pd.Series:
    gov = ds.governance("pv", years=[int(year)], edition=edition)
    if gov.empty:
        avail = ds.governance("pv", edition=edition)
        span = f"{int(avail['year'].min())}-{int(avail['year'].max())}" if not avail.empty else "none"
        raise NoDataError(
            f"no WGI political-stability estimates for {year} (edition "
            f"{edition or 'default'}; years available: {span})"
        )
    est = gov.dropna(subset=["estimate"]).drop_duplicates("country").set_index("country")["estimate"]
    g = pd.Series(wgi_to_instability(est.to_numpy()), index=est.index, dtype=float)
    countries = ds.con.execute("SELECT iso3 FROM countries WHERE NOT is_aggregate").df()["iso3"]
    index = pd.Index(sorted(set(countries) | set(gov["country"])), name="country")
    out = g.reindex(index)
    missing_codes = sorted(out.index[out.isna()])
    out.attrs.update(
        {
            "missing": missing_codes,
            "year": int(year),
            "source": str(gov["source"].iloc[0]),
            "edition": str(gov["edition"].iloc[0]),
        }
    )
    return out


# ---------------------------------------------------------------------------------------------------------
# vectorised engine
# ---------------------------------------------------------------------------------------------------------
def party_frame(parties: Iterable[Party] | Mapping[str, Iterable[str]]) -> pd.DataFrame:
    """(party, member) rows from Party objects or a {label: members} mapping."""
    if isinstance(parties, Mapping):
        rows = [(lab, m) for lab, ms in parties.items() for m in ms]
    else:
        rows = [(p.label, m) for p in parties for m in p.members]
    return pd.DataFrame(rows, columns=["party", "member"])


def geopolrisk_table(
    trade: pd.DataFrame,
    production: pd.DataFrame,
    g: pd.DataFrame | pd.Series,
    parties: Iterable[Party] | Mapping[str, Iterable[str]],
    *,
    keys: tuple[str, ...] = ("commodity", "year"),
    missing: str = "neutral",
    cu_reference: float | pd.Series = CU_REFERENCE_MIDPOINT,
    rest: str | None = "ROW",
) -> pd.DataFrame:
    """GeoPolRisk for many (party, material, year) at once with pandas group-bys.

    Inputs (tidy, one unit per material):
      ``trade``: ``keys`` + exporter, importer, value_kusd, tonnes (tonnes on the basis wanted for F), and
      optionally tonnes_gross (traded product weight for the price when ``tonnes`` is a content basis);
      ``production``: ``keys`` + country, tonnes (same basis; a ``rest`` row counts in world total and
      domestic sums of nobody, and is not squared into the HHI);
      ``g``: a Series ISO3 → g (same for every year) or a frame with year, country, g (NaN = missing);
      ``parties``: Party objects or {label: members}.
    Returns one row per party × key combination that has trade or production: hhi, domestic_tonnes,
    numerator_tonnes, imports_tonnes, import_risk, score, price_usd_per_kg, midpoint_usd_per_kg,
    cf_kg_cu_eq_per_kg, intra_bloc_tonnes, missing_g_tonnes, missing_g_exporters, status, plus
    import_value_kusd / price_tonnes (the price's sums) and import_value_all_kusd (value including rows
    without a quantity, which geopolrisk-py counts in its price).
    ``status`` is 'ok', 'no imports' (IR = 0 only when domestic production covers supply) or 'no data'
    (nothing imported or produced, imports known by value only, or no flow of the key's codes at all).
    """
    check_missing_policy(missing)
    keys = list(keys)
    pf = party_frame(parties)
    fill = MISSING_POLICIES[missing]

    # world HHI per key
    prod = production[[*keys, "country", "tonnes"]].copy()
    prod["tonnes"] = prod["tonnes"].fillna(0.0).astype(float)
    prod = prod.groupby([*keys, "country"], as_index=False, observed=True, sort=False)["tonnes"].sum()
    is_rest = prod["country"] == rest if rest is not None else pd.Series(False, index=prod.index)
    world = prod.groupby(keys, observed=True, sort=False)["tonnes"].sum().rename("world_tonnes")
    sq = (
        (prod.loc[~is_rest, "tonnes"] ** 2)
        .groupby([prod.loc[~is_rest, k] for k in keys], observed=True, sort=False)
        .sum()
        .rename("sq")
    )
    hhi_df = pd.concat([world, sq], axis=1).reset_index()
    hhi_df["hhi"] = np.where(
        hhi_df["world_tonnes"] > 0,
        hhi_df["sq"].fillna(0.0) / hhi_df["world_tonnes"].where(hhi_df["world_tonnes"] > 0) ** 2,
        np.nan,
    )
    dom = prod[~is_rest].merge(pf, left_on="country", right_on="member")
    dom = (
        dom.groupby([*keys, "party"], as_index=False, observed=True)["tonnes"]
        .sum()
        .rename(columns={"tonnes": "domestic_tonnes"})
    )

    # imports per party
    cols = [*keys, "exporter", "importer", "value_kusd", "tonnes"]
    if "tonnes_gross" in trade.columns:
        cols.append("tonnes_gross")
    t = trade[cols].merge(pf, left_on="importer", right_on="member")
    inside = pd.MultiIndex.from_arrays([t["party"], t["exporter"]]).isin(
        pd.MultiIndex.from_frame(pf[["party", "member"]])
    )
    if isinstance(g, pd.Series):
        gv = t["exporter"].map(g).astype(float)
    else:
        gv = (
            t[["year", "exporter"]]
            .merge(
                g.rename(columns={"country": "exporter"})[["year", "exporter", "g"]],
                on=["year", "exporter"],
                how="left",
            )["g"]
            .to_numpy()
        )
    gv = np.asarray(gv, dtype=float)
    miss = np.isnan(gv) & ~inside
    gv = np.where(np.isnan(gv), fill, gv)
    gv = np.where(inside, 0.0, gv)  # intra-bloc imports are risk-free but stay in F
    q = t["tonnes"].to_numpy(dtype=float)
    v = t["value_kusd"].to_numpy(dtype=float)
    # the price is per kg of traded product: gross weight when the caller converted tonnes to content
    qp = t["tonnes_gross"].to_numpy(dtype=float) if "tonnes_gross" in t.columns else q
    has_q = ~np.isnan(q)
    use = has_q & ~np.isnan(gv)  # 'exclude' drops exporters without g
    t = t.assign(
        _num=np.where(use, q * np.nan_to_num(gv), 0.0),
        _F=np.where(use, q, 0.0),
        _V=np.where(use & ~np.isnan(qp), v, 0.0),
        _Qp=np.where(use & ~np.isnan(qp), qp, 0.0),
        _Vall=np.where(~np.isnan(gv), np.nan_to_num(v), 0.0),
        _Vnoq=np.where(~has_q, np.nan_to_num(v), 0.0),
        _intra=np.where(inside & has_q, q, 0.0),
        _miss=np.where(miss & has_q, q, 0.0),
        _miss_exp=np.where(miss, t["exporter"].astype(str), None),
        _rows=1,
    )
    agg = t.groupby([*keys, "party"], as_index=False, observed=True).agg(
        numerator_tonnes=("_num", "sum"),
        imports_tonnes=("_F", "sum"),
        import_value_kusd=("_V", "sum"),
        price_tonnes=("_Qp", "sum"),
        import_value_all_kusd=("_Vall", "sum"),
        value_without_quantity_kusd=("_Vnoq", "sum"),
        intra_bloc_tonnes=("_intra", "sum"),
        missing_g_tonnes=("_miss", "sum"),
        n_flows=("_rows", "sum"),
        missing_g_exporters=("_miss_exp", lambda s: ",".join(sorted({x for x in s if x}))),
    )

    # grid: every party × key combination with production data or trade
    key_grid = pd.concat([hhi_df[keys], agg[keys]]).drop_duplicates()
    grid = key_grid.merge(pd.DataFrame({"party": pf["party"].unique()}), how="cross")
    out = grid.merge(hhi_df[[*keys, "hhi", "world_tonnes"]], on=keys, how="left")
    out = out.merge(dom, on=[*keys, "party"], how="left").merge(agg, on=[*keys, "party"], how="left")
    # flows of the key's codes anywhere (any importer): none at all is a coverage gap, not zero imports
    cover = trade.groupby(keys, observed=True, sort=False).size().rename("n_flows_world").reset_index()
    out = out.merge(cover, on=keys, how="left")
    for col in (
        "n_flows_world",
        "value_without_quantity_kusd",
        "domestic_tonnes",
        "numerator_tonnes",
        "imports_tonnes",
        "import_value_kusd",
        "price_tonnes",
        "import_value_all_kusd",
        "intra_bloc_tonnes",
        "missing_g_tonnes",
        "n_flows",
    ):
        out[col] = out[col].fillna(0.0)
    out["missing_g_exporters"] = out["missing_g_exporters"].fillna("")
    denom = out["imports_tonnes"] + out["domestic_tonnes"]
    out["import_risk"] = np.where(denom > 0, out["numerator_tonnes"] / denom.where(denom > 0), np.nan)
    out["score"] = geopolrisk_score(out["hhi"], out["import_risk"])
    out["price_usd_per_kg"] = np.where(
        out["price_tonnes"] > 0,
        out["import_value_kusd"] / out["price_tonnes"].where(out["price_tonnes"] > 0),
        np.nan,
    )
    out["midpoint_usd_per_kg"] = midpoint(out["score"], out["price_usd_per_kg"])
    ref = out["year"].map(cu_reference) if isinstance(cu_reference, pd.Series) else cu_reference
    out["cf_kg_cu_eq_per_kg"] = characterization_factor(out["midpoint_usd_per_kg"], ref)
    covered = out["n_flows_world"] > 0
    for col in ("import_risk", "score", "midpoint_usd_per_kg", "cf_kg_cu_eq_per_kg"):
        out[col] = np.where(covered, out[col], np.nan)
    out["status"] = np.select(
        [
            ~covered,
            out["imports_tonnes"] > 0,
            out["value_without_quantity_kusd"] > 0,  # imports known by value only: not "no imports"
            out["domestic_tonnes"] > 0,
        ],
        ["no data", "ok", "no data", "no imports"],
        "no data",
    )
    return out


def flags_json(flags: Iterable[str]) -> str:
    return json.dumps(sorted(set(f for f in flags if f)))


# ---------------------------------------------------------------------------------------------------------
# on a Dataset: stage-consistent inputs, explicit flags
# ---------------------------------------------------------------------------------------------------------
UNITS = ("content", "gross")
CU_REFERENCES = ("fixed", "copper")


def trade_provenance(ds: Dataset) -> str:
    """'<source> <edition>' of the trade table (e.g. 'BACI HS92 2025 release')."""
    rows = ds.con.execute("SELECT any_value(source), any_value(edition) FROM trade").fetchall()
    return f"{rows[0][0]} {rows[0][1]}" if rows and rows[0][0] else ""


def _years_list(ds: Dataset, years) -> list[int]:
    if years is None:
        return [ds.trade_years()[1]]
    if isinstance(years, int | np.integer):
        return [int(years)]
    return sorted({int(y) for y in years})


def instability_frame(ds: Dataset, years: Iterable[int], *, edition: str | None = None) -> pd.DataFrame:
    """Long frame (year, country, g) with NaN where a country has no estimate that year."""
    frames = []
    for y in years:
        s = instability(ds, y, edition=edition, missing="exclude")
        frames.append(pd.DataFrame({"year": int(y), "country": s.index, "g": s.to_numpy()}))
    out = pd.concat(frames, ignore_index=True)
    out.attrs["governance_source"] = f"{s.attrs['source']} PV {s.attrs['edition']}"
    return out


def geopolrisk(
    ds: Dataset,
    parties,
    commodities: str | Iterable[str] | None = None,
    years: int | Iterable[int] | None = None,
    *,
    stage: str | None = None,
    missing: str = "neutral",
    units: str = "content",
    cu_reference: str | float = "fixed",
    wgi_edition: str | None = None,
    max_year_gap: int = 2,
) -> pd.DataFrame:
    """GeoPolRisk score and characterization factor for importers (countries or blocs) from a Dataset.

    One row per party × commodity × traded stage × year with the method's components (hhi,
    domestic_tonnes, imports_tonnes, numerator_tonnes, import_risk, score, price_usd_per_kg,
    midpoint_usd_per_kg, cf_kg_cu_eq_per_kg), ``status`` ('ok' | 'no imports' | 'no data' | 'mixed units'),
    ``flags`` (a JSON list) and provenance (production_source, trade_source, governance_source).

    Choices, all explicit:
      ``missing``: exporters without a WGI estimate get 0.5 ('neutral', default), 1.0 ('worst'),
        0.0 ('best', geopolrisk-py's Excel case) or are left out ('exclude'); flagged ``missing_governance``
        with the codes in ``missing_g_exporters``.
      ``units``: 'content' (default) puts imports on the production basis with the catalogue's content
        factors; when a stage's HS codes have none and the party has domestic production, the import risk
        is not computed (status 'mixed units'). 'gross' adds gross traded weight to production as
        geopolrisk-py does (flag ``mixed_units``).
      ``cu_reference``: 'fixed' (0.409412948 USD/kg, geopolrisk-py), 'copper' (copper ore's own midpoint
        for the same party and year, Koyamparambath et al. 2024 eq. 3) or a number.
    HHI and domestic production use the stage's own production series when there is one (else the mine
    stage, flagged); commodities whose value chain has no HS92 code in the data get a 'no data' row that
    says so (gallium, indium, ...). Germanium's HS92 811230 has flows only to 2016.
    """
    from critmin.indicators.risk_inputs import content_factors, production_index, stage_trade, trade_on_basis
    from critmin.reference import commodities as cat

    check_missing_policy(missing)
    if units not in UNITS:
        raise UnknownValueError("units", units, UNITS, hint="choose " + " or ".join(UNITS))
    if isinstance(cu_reference, str) and cu_reference not in CU_REFERENCES:
        raise UnknownValueError(
            "copper reference", cu_reference, CU_REFERENCES, hint="choose fixed, copper or a number (USD/kg)"
        )
    ys = _years_list(ds, years)
    ps = (
        ds.parties(parties, max(ys))
        if not isinstance(parties, list) or not parties or isinstance(parties[0], str)
        else parties
    )
    comms = cat.resolve_many(commodities)
    if stage is not None:
        cat.check_stage(stage)
    gframe = instability_frame(ds, ys, edition=wgi_edition)
    gov_source = gframe.attrs["governance_source"]
    trade_source = trade_provenance(ds)

    rows = []
    for c in comms:
        pidx = production_index(ds, c.id, max_year_gap)
        trade_stages = [s for s in c.trade_stages if stage is None or s == stage]
        if not trade_stages:
            # no HS92 code for this commodity (or this stage): say so instead of dropping it
            stages = [stage] if stage in c.stages else ([] if stage else [next(iter(c.stages))])
            for s in stages:
                note = c.stages[s].hs_note or "no HS92 code in the trade data"
                for y in ys:
                    pick = pidx.pick(s, y)
                    for p in ps:
                        rows.append(
                            pd.DataFrame(
                                [
                                    {
                                        "party": p.label,
                                        "commodity": c.id,
                                        "stage": s,
                                        "year": y,
                                        "status": "no data",
                                        "flags": flags_json(["no_trade_code", *pick.flags]),
                                        "coverage_note": note,
                                        "production_source": pick.provenance,
                                    }
                                ]
                            )
                        )
            continue
        for s in trade_stages:
            trade = stage_trade(ds, c.id, s, ys)
            # units='gross': the peer counts every flow of the codes, also those the data layer moves out of
            # the stage (ore declared under a refined code)
            trade_codes = ds.trade(c.id, s, ys, flagged=True) if units == "gross" else None
            tr_parts, prod_parts, meta = [], [], []
            for y in ys:
                pick = pidx.pick(s, y)
                factors, fflags = content_factors(c.id, s, pick.basis)
                if units == "gross":
                    # geopolrisk-py's convention: every flow of the stage's codes in product weight as BACI
                    # reports it (flows without a quantity left out), whatever the production's basis
                    ty = trade_codes[trade_codes["year"] == y]
                    ty = ty.assign(tonnes_basis=ty["tonnes"].astype(float))
                    basis_match = (
                        factors is not None
                        and all(f == 1.0 for f in factors.values())
                        and all(h.content == 1.0 for h in c.stages[s].codes)
                    )
                    fflags = []
                else:
                    ty = trade_on_basis(trade[trade["year"] == y], factors)
                    basis_match = factors is not None
                    fflags = fflags if factors is not None else []  # the grade matters only once converted
                tr_parts.append(ty.assign(tonnes_gross=ty["tonnes"], tonnes=ty["tonnes_basis"]))
                prod_parts.append(pick.frame.assign(year=y))
                meta.append(
                    {
                        "year": y,
                        "production_stage": pick.production_stage,
                        "production_year": pick.production_year,
                        "production_source": pick.provenance,
                        "production_basis": pick.basis,
                        "units": f"content:{pick.basis}"
                        if units == "content" and factors is not None
                        else "gross weight",
                        "pflags_": pick.flags + fflags,
                        "content_ok_": basis_match,
                        "n_flows_year": len(ty),
                    }
                )
            tr = pd.concat(tr_parts, ignore_index=True).assign(commodity=c.id)
            prod = pd.concat(prod_parts, ignore_index=True).assign(commodity=c.id)
            res = geopolrisk_table(tr, prod, gframe, ps, missing=missing)
            res = res.merge(pd.DataFrame(meta), on="year", how="left")
            res.insert(2, "stage", s)
            res["coverage_note"] = c.stages[s].hs_note or ""
            rows.append(res)

    out = pd.concat(rows, ignore_index=True)
    out = _finish(out, ys, ps, units, cu_reference, missing)
    out["trade_source"] = trade_source
    out["governance_source"] = gov_source
    return out


def _finish(out: pd.DataFrame, ys, ps, units, cu_reference, missing) -> pd.DataFrame:
    for col in (
        "hhi",
        "import_risk",
        "score",
        "price_usd_per_kg",
        "midpoint_usd_per_kg",
        "cf_kg_cu_eq_per_kg",
        "domestic_tonnes",
        "imports_tonnes",
        "numerator_tonnes",
        "missing_g_tonnes",
        "value_without_quantity_kusd",
    ):
        if col not in out.columns:
            out[col] = np.nan
    if "pflags_" not in out.columns:
        out["pflags_"] = None
        out["content_ok_"] = True
    flags_col = []
    mixed = np.zeros(len(out), dtype=bool)
    nodata = np.zeros(len(out), dtype=bool)
    for i, r in enumerate(out.itertuples(index=False)):
        if isinstance(r.flags, str) if "flags" in out.columns else False:
            flags_col.append(r.flags)
            continue
        fl = list(r.pflags_ or [])
        if not r.n_flows_year:
            # the HS code carries no flow at all that year (e.g. germanium 811230 after 2016): a coverage
            # gap, not an importer without imports
            fl.append("no_trade_flows")
            nodata[i] = True
        elif r.imports_tonnes == 0 and r.domestic_tonnes == 0 and not r.value_without_quantity_kusd:
            fl.append("no_recorded_imports")
        if r.value_without_quantity_kusd and r.value_without_quantity_kusd > 0:
            # BACI rows with a value but no quantity: left out of F and the price, and said so
            fl.append("value_without_quantity")
        if pd.isna(r.hhi) and r.n_flows_year:
            fl.append("no_production_data")
        if r.missing_g_tonnes and r.missing_g_tonnes > 0:
            fl.append("missing_governance")
        if not r.content_ok_:
            if r.domestic_tonnes > 0:
                if units == "content":
                    mixed[i] = True
                    fl.append("trade_production_basis_mismatch")
                else:
                    fl.append("mixed_units")
            elif r.imports_tonnes > 0:
                fl.append("gross_weight")
        if isinstance(r.production_stage, str) and r.production_stage != r.stage and r.domestic_tonnes > 0:
            fl.append("domestic_production_from_proxy_stage")
        flags_col.append(flags_json(fl))
    out["flags"] = flags_col
    for col in ("import_risk", "score", "midpoint_usd_per_kg", "cf_kg_cu_eq_per_kg"):
        out.loc[mixed, col] = np.nan
    out.loc[mixed, "status"] = "mixed units"
    for col in ("import_risk", "score", "midpoint_usd_per_kg", "cf_kg_cu_eq_per_kg"):
        out.loc[nodata, col] = np.nan
    out.loc[nodata, "status"] = "no data"
    # imports but no production series for any fallback: no HHI, so no score either
    out.loc[out["hhi"].isna() & (out["status"] == "ok"), "status"] = "no data"

    # the copper reference
    if isinstance(cu_reference, str) and cu_reference == "copper":
        cu = out[(out["commodity"] == "copper") & (out["stage"] == "mine")]
        if cu.empty:
            raise NoDataError("cu_reference='copper' needs copper in the commodities of the call")
        ref = cu.set_index(["party", "year"])["midpoint_usd_per_kg"]
        key = pd.MultiIndex.from_frame(out[["party", "year"]])
        refv = ref.reindex(key).to_numpy()
        out["cu_reference_usd_per_kg"] = refv
        out["cf_kg_cu_eq_per_kg"] = characterization_factor(out["midpoint_usd_per_kg"], refv)
    else:
        refv = CU_REFERENCE_MIDPOINT if isinstance(cu_reference, str) else float(cu_reference)
        out["cu_reference_usd_per_kg"] = refv
        out["cf_kg_cu_eq_per_kg"] = characterization_factor(out["midpoint_usd_per_kg"], refv)
    out["missing_policy"] = missing
    out["missing_g_share"] = np.where(
        out["imports_tonnes"] > 0,
        out["missing_g_tonnes"] / out["imports_tonnes"].where(out["imports_tonnes"] > 0),
        np.nan,
    )
    meta = {p.label: p for p in ps}
    out["party_name"] = out["party"].map(lambda lab: meta[lab].name if lab in meta else lab)
    cols = [
        "party",
        "party_name",
        "commodity",
        "stage",
        "year",
        "status",
        "hhi",
        "world_tonnes",
        "domestic_tonnes",
        "imports_tonnes",
        "numerator_tonnes",
        "import_risk",
        "score",
        "price_usd_per_kg",
        "midpoint_usd_per_kg",
        "cu_reference_usd_per_kg",
        "cf_kg_cu_eq_per_kg",
        "units",
        "intra_bloc_tonnes",
        "missing_policy",
        "missing_g_exporters",
        "missing_g_share",
        "flags",
        "coverage_note",
        "production_stage",
        "production_year",
        "production_basis",
        "production_source",
    ]
    for col in cols:
        if col not in out.columns:
            out[col] = np.nan if col not in ("flags", "coverage_note", "missing_g_exporters", "units") else ""
    return out[cols].reset_index(drop=True)
