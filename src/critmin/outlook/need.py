"""A party's projected need of an IEA mineral at a stage: its current imports on the IEA's contained basis,
grown as the scenario's world demand.

**Assumption (stated wherever a need is shown).** The party's need at a stage in year y under scenario s is

    N(s, y) = M₀ · D(s, y) / D(s, 2023)

with M₀ its 2023 imports of the stage's products from outside the party, converted to the IEA's contained
basis (kt of Cu, Co, Li, Ni, natural graphite, or Nd+Pr+Dy+Tb), and D the IEA world demand line the stage is
compared with (:data:`critmin.outlook.iea.DEMAND_LINES`). Where the party's use by sector is known
(``sector_mix``), each sector grows as the IEA's world demand of that sector
(:func:`critmin.outlook.iea.growth`). Domestic output is not part of M₀: the need is the import need.

**Contained basis.** The data layer puts every counted flow on its stage's content basis once
(``trade_basis``, :mod:`critmin.data.basis`: BACI gross tonnes, estimated from the value where BACI has no
quantity, × the catalogue's content factor; ore or intermediates shipped under refined codes not counted).
Where that basis *is* the IEA's (Cu, Co, Li, Ni, natural graphite) the need reads those content tonnes as
they are. Magnet rare earths are the exception: the stage's basis is REO (all rare-earth oxides), the IEA's
is Nd+Pr+Dy+Tb, so each code's gross tonnes take the explicit assumption of :data:`ASSUMED` (below). Where a
stage has no trade code or a code has no factor, the need is unknown (NaN) and said so: under pro-rata
sharing the feasibility of the 65% cap does not depend on the need's size (:mod:`critmin.outlook.sourcing`),
so it is still answered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.outlook import iea
from critmin.reference import commodities as cat

MATERIAL_KUSD = 1_000.0  # imports below USD 1 M a year are not a finding (and their need is not material)


@dataclass(frozen=True)
class Content:
    """Tonnes of the IEA basis per tonne of a traded HS code."""

    factor: float
    approximate: bool
    reason: str
    lower_bound: bool = False  # the code's content is not counted (or not fully): the need is a lower bound


# Catalogue content bases that are the IEA's basis for the stage.
_SAME_BASIS = {
    ("copper", "Cu"),
    ("cobalt", "Co"),
    ("lithium", "Li"),
    ("nickel", "Ni"),
    ("graphite", "graphite"),
}

# Assumptions where the catalogue has no factor on the IEA basis. Magnet rare earths (Nd, Pr, Dy, Tb):
# rare-earth metals (HS 280530) imported by Japan are mostly Nd, NdPr (didymium) and Dy metal for magnets
# (Japan Metal Bulletin, "Japan Rare Earth Metal Import Drops by 59% in January", 2009); other rare-earth
# compounds (HS 284690) mix magnet oxides with La, Y, Gd and other compounds and cerium compounds
# (HS 284610) hold none, so both count zero and the need is a lower bound. Cross-check: Japan's 7.85 kt of
# HS 280530 in 2023 is 8.5 % of the IEA's 92.6 kt world magnet-REE demand; Japan makes a little under 9 % of
# the world's permanent magnets (Argus, "Japan aims to diversify rare earth supply", Dec 2022).
ASSUMED: dict[tuple[str, str], dict[str, Content]] = {
    ("rare_earths", "refined"): {
        "280530": Content(1.0, True, "rare-earth metals counted as Nd/Pr/Dy/Tb metal (magnet metals)"),
        "284690": Content(0.0, True, "other rare-earth compounds left out (magnet share unknown)", True),
        "284610": Content(0.0, False, "cerium compounds hold no Nd, Pr, Dy or Tb"),
    },
}


def content_factors(commodity: str, stage: str) -> dict[str, Content] | None:
    """HS6 -> factor to the IEA basis for every trade code of the stage, or None when any code lacks one."""
    st = cat.get(commodity).stage(stage)
    if not st.hs92:
        return None
    if (commodity, stage) in ASSUMED:
        return ASSUMED[(commodity, stage)]
    out = {}
    for h in st.hs92:
        f = st.content.get(h)
        if f is None or (commodity, f.basis) not in _SAME_BASIS:
            return None
        out[h] = Content(f.factor, f.approximate, f"catalogue content factor {f.factor:g} {f.basis}/t")
    return out


def basis_quality(commodity: str, stage: str) -> tuple[str, str]:
    """('content factor' | 'approximate content factor' | 'lower bound' | 'unknown', why) for the stage."""
    st = cat.get(commodity).stage(stage)
    factors = content_factors(commodity, stage)
    if not st.hs92:
        return "unknown", st.hs_note or "no trade code for this stage in the trade data"
    if factors is None:
        note = st.hs_note or f"HS {', '.join(st.hs92)} has no content factor to the IEA basis"
        return "unknown", note
    if any(f.lower_bound for f in factors.values()):
        q = "lower bound"
    elif any(f.approximate for f in factors.values()):
        q = "approximate content factor"
    else:
        q = "content factor"
    why = "; ".join(f"HS {h}: {f.reason}" for h, f in factors.items())
    return q, why


def contained_flows(flows: pd.DataFrame, commodity: str, stage: str) -> pd.DataFrame:
    """Add ``contained_kt`` (IEA basis) to bilateral flows of :meth:`critmin.api.Dataset.bilateral` (columns
    hs6, gross_tonnes, content_tonnes, basis): the data layer's content tonnes where the stage's basis is the
    IEA's, the :data:`ASSUMED` factor × gross tonnes for magnet rare earths; NaN when unknown."""
    factors = content_factors(commodity, stage)
    out = flows.copy()
    if factors is None:
        out["contained_kt"] = np.nan
    elif (commodity, stage) in ASSUMED:
        f = out["hs6"].map(lambda h: factors[h].factor if h in factors else np.nan)
        out["contained_kt"] = out["gross_tonnes"] * f / 1e3
    else:
        iea_basis = out["basis"].map(lambda b: (commodity, b) in _SAME_BASIS)
        out["contained_kt"] = out["content_tonnes"].where(iea_basis) / 1e3
    return out


def base_imports(ds, parties: list, commodity: str, stage: str, year: int = iea.BASE_YEAR) -> pd.DataFrame:
    """Each party's imports of the stage in ``year`` from outside the party: value (kUSD), gross tonnes,
    contained kt on the IEA basis, largest third-country supplier and its share of the contained tonnes."""
    quality, why = basis_quality(commodity, stage)
    st = cat.get(commodity).stage(stage)
    rows = []
    flows = pd.DataFrame()
    if st.hs92:
        flows = ds.bilateral(parties, commodity, year, stage=stage, by_hs=True)
        if len(flows):
            flows = contained_flows(flows, commodity, stage)
    for p in parties:
        f = flows[flows["party"] == p.label] if len(flows) else flows
        value = float(f["value_kusd"].sum()) if len(f) else 0.0
        counted = f["contained_kt"].fillna(0) > 0 if len(f) else []
        need_value = float(f.loc[counted, "value_kusd"].sum()) if len(f) else 0.0
        gross = float(f["gross_tonnes"].sum()) if len(f) else 0.0
        kt = float(f["contained_kt"].sum()) if len(f) and quality != "unknown" else np.nan
        if not st.hs92:
            value = gross = np.nan
        by = f.groupby("partner")["contained_kt"].sum() if len(f) and quality != "unknown" else pd.Series()
        top = by.idxmax() if len(by) and by.max() > 0 else None
        rows.append(
            {
                "party": p.label,
                "members": ",".join(p.members),
                "commodity": commodity,
                "stage": stage,
                "trade_year": year,
                "imports_value_kusd": value,
                "imports_gross_tonnes": gross,
                "imports_kt": kt,
                "top_supplier": top,
                "top_supplier_share": float(by.max() / by.sum()) if top else np.nan,
                "need_value_kusd": need_value if quality != "unknown" else np.nan,
                "material": bool(need_value >= MATERIAL_KUSD) if quality != "unknown" else False,
                "need_basis": quality,
                "need_basis_note": why,
            }
        )
    return pd.DataFrame(rows)


def need_assumption(by_sector: bool) -> str:
    mix = (
        "each IEA sector grows as its world demand, weighted by the party's 2023 use by sector"
        if by_sector
        else "its 2023 imports (IEA contained basis) grow as the scenario's world demand for the mineral"
    )
    return f"need: {mix}; domestic output not counted (import need)"


__all__ = [
    "ASSUMED",
    "MATERIAL_KUSD",
    "Content",
    "base_imports",
    "basis_quality",
    "contained_flows",
    "content_factors",
    "need_assumption",
]
