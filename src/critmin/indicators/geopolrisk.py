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
        raise UnknownValueError("missing-governance policy", missing, list(MISSING_POLICIES))
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
    out = out.fillna(MISSING_POLICIES[missing])
    out.name = "instability"
    out.attrs.update(
        {
            "missing": missing_codes,
            "policy": missing,
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
      ``trade``: ``keys`` + exporter, importer, value_kusd, tonnes (tonnes on the basis wanted for F);
      ``production``: ``keys`` + country, tonnes (same basis; a ``rest`` row counts in world total and
      domestic sums of nobody, and is not squared into the HHI);
      ``g``: a Series ISO3 → g (same for every year) or a frame with year, country, g (NaN = missing);
      ``parties``: Party objects or {label: members}.
    Returns one row per party × key combination that has trade or production: hhi, domestic_tonnes,
    numerator_tonnes, imports_tonnes, import_risk, score, price_usd_per_kg, midpoint_usd_per_kg,
    cf_kg_cu_eq_per_kg, intra_bloc_tonnes, missing_g_tonnes, missing_g_exporters, status.
    ``status`` is 'ok', 'no imports' (IR = 0 only when domestic production covers supply) or 'no data'.
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
    t = trade[[*keys, "exporter", "importer", "value_kusd", "tonnes"]].merge(
        pf, left_on="importer", right_on="member"
    )
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
    has_q = ~np.isnan(q)
    use = has_q & ~np.isnan(gv)  # 'exclude' drops exporters without g
    t = t.assign(
        _num=np.where(use, q * np.nan_to_num(gv), 0.0),
        _F=np.where(use, q, 0.0),
        _V=np.where(use, v, 0.0),
        _intra=np.where(inside & has_q, q, 0.0),
        _miss=np.where(miss & has_q, q, 0.0),
        _miss_exp=np.where(miss, t["exporter"].astype(str), None),
        _rows=1,
    )
    agg = t.groupby([*keys, "party"], as_index=False, observed=True).agg(
        numerator_tonnes=("_num", "sum"),
        imports_tonnes=("_F", "sum"),
        import_value_kusd=("_V", "sum"),
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
    for col in (
        "domestic_tonnes",
        "numerator_tonnes",
        "imports_tonnes",
        "import_value_kusd",
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
        out["imports_tonnes"] > 0,
        out["import_value_kusd"] / out["imports_tonnes"].where(out["imports_tonnes"] > 0),
        np.nan,
    )
    out["midpoint_usd_per_kg"] = midpoint(out["score"], out["price_usd_per_kg"])
    ref = out["year"].map(cu_reference) if isinstance(cu_reference, pd.Series) else cu_reference
    out["cf_kg_cu_eq_per_kg"] = characterization_factor(out["midpoint_usd_per_kg"], ref)
    out["status"] = np.where(
        out["imports_tonnes"] > 0, "ok", np.where(out["domestic_tonnes"] > 0, "no imports", "no data")
    )
    return out


def flags_json(flags: Iterable[str]) -> str:
    return json.dumps(sorted(set(f for f in flags if f)))
