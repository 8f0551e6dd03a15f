"""The EU Critical Raw Materials Act's 2030 benchmarks, where the data allow, for the EU27 and — applied the
same way — for Japan, Italy or any party.

Regulation (EU) 2024/1252, art. 1(2): by 2030, for each strategic raw material, (a) EU extraction ≥ 10% of
annual consumption, (b) EU processing ≥ 40%, (c) EU recycling ≥ 25%, and (d) no single third country
supplies more than 65% of annual consumption at any relevant stage of processing. What the embedded data
allow for the six IEA minerals:

* **single third country ≤ 65%** — 2023: the largest supplier's share of the party's imports from outside
  it, on the IEA contained basis (BACI, content factors of :mod:`critmin.outlook.need`); 2030: the largest
  third country's share of the world output left once members' own output is set aside (the mix a party
  buying pro rata receives), whether a mix within the cap exists (``cap_met``: the cap leaves none of the
  need uncovered) and the share of the need the partners' pro-rata output covers within the cap
  (``need_covered``; :func:`critmin.outlook.sourcing.outlook_options`);
* **processing ≥ 40%** — members' refined output (IEA, producers it names) over refined consumption =
  members' output + net imports of the refined stage (contained basis); 2030: members' projected output over
  2023 consumption grown as the scenario's demand. Above 1 the members refine more than they use (net
  exporters). Only where the refined stage has trade codes with content
  factors (cobalt, lithium chemicals, magnet rare earths as a lower bound); members the IEA does not name
  count as zero (their output is inside "rest of world"), so the share is a lower bound.

Extraction and recycling need consumption of the raw material and secondary production, which the embedded
sources do not give: they are reported as not computable, not guessed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.indicators.tables import REST_OF_WORLD
from critmin.optimize.sourcing import DEFAULT_MAX_SHARE
from critmin.outlook import iea
from critmin.outlook.need import basis_quality, contained_flows

PROCESSING_TARGET = 0.40
EXTRACTION_TARGET = 0.10
RECYCLING_TARGET = 0.25
NOT_COMPUTABLE = (
    "extraction (10%) and recycling (25%) benchmarks: not computable from the embedded data "
    "(no consumption of the raw material or secondary production by country)"
)


def largest_share(
    supply_kt: np.ndarray, countries: np.ndarray, exclude: set[str]
) -> tuple[str | None, float]:
    """The largest named producer's share of the output outside ``exclude`` (rest of world counts in the
    total, not as a producer)."""
    keep = ~np.isin(countries, list(exclude))
    s, c = supply_kt[keep], countries[keep]
    total = float(s.sum())
    named = c != REST_OF_WORLD
    if total <= 0 or not named.any():
        return None, float("nan")
    i = int(np.argmax(np.where(named, s, -1.0)))
    return str(c[i]), float(s[i] / total)


def processing_share(own_kt: float, net_imports_kt: float) -> float:
    """Own refined output over refined consumption (own output + net imports), NaN where consumption ≤ 0."""
    consumption = own_kt + net_imports_kt
    return own_kt / consumption if consumption > 0 else float("nan")


def _flows(ds, parties, commodity: str, stage: str, direction: str) -> pd.DataFrame:
    f = ds.bilateral(parties, commodity, iea.BASE_YEAR, stage=stage, by_hs=True, direction=direction)
    if f.empty:
        return f.assign(contained_kt=pd.Series(dtype=float))
    return contained_flows(f, commodity, stage)


def crma_benchmarks(
    ds,
    parties="EU27,JPN,JPN+ITA",
    commodities=None,
    *,
    scenario: str = "APS",
    year: int = 2030,
    max_share: float = DEFAULT_MAX_SHARE,
    options: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per party × IEA mineral × stage with the single-country and processing benchmarks for 2023
    (observed) and ``year`` (projected, IEA base case and ``scenario`` demand). ``options``: a precomputed
    :func:`critmin.outlook.sourcing.outlook_options` table (all producers, pro rata) to reuse."""
    from critmin.outlook.sourcing import outlook_options

    ps = ds.parties(parties)
    comms = iea.check_minerals(commodities)
    (sc,) = iea.check_scenarios(scenario)[:1]
    (y,) = iea.check_years(year, iea.PROJECTION_YEARS)[:1]
    supply = ds.supply_outlook(comms)
    demand = ds.demand_outlook(comms)
    if options is None:
        options = outlook_options(ds, ps, comms, None, sc, y, max_share=max_share)
    opt = options[(options["scenario"] == sc) & (options["year"] == y)].set_index(
        ["party", "commodity", "stage"]
    )
    rows = []
    for c in comms:
        for s in iea.STAGES:
            quality, why = basis_quality(c, s)
            imp = _flows(ds, ps, c, s, "imports") if quality != "unknown" else pd.DataFrame()
            exp = _flows(ds, ps, c, s, "exports") if quality != "unknown" else pd.DataFrame()
            cur = supply[(supply["commodity"] == c) & (supply["stage"] == s)]
            g = float(iea.growth(demand, c, s, sc, [y])[0])
            for p in ps:
                members = set(p.members)
                by = (
                    imp[imp["party"] == p.label].groupby("partner")["contained_kt"].sum()
                    if len(imp)
                    else pd.Series(dtype=float)
                )
                total = float(by.sum()) if len(by) else np.nan
                top = by.idxmax() if len(by) and total > 0 else None
                top_share = float(by.max() / total) if top else np.nan
                exports = (
                    float(exp.loc[exp["party"] == p.label, "contained_kt"].sum()) if len(exp) else np.nan
                )
                out = {}
                for yy in (iea.BASE_YEAR, y):
                    part = cur[cur["year"] == yy]
                    countries, kt = part["country"].to_numpy(), part["supply_kt"].to_numpy(dtype=float)
                    out[yy] = (countries, kt, float(kt[np.isin(countries, list(members))].sum()))
                lead30, share30 = largest_share(out[y][1], out[y][0], members)
                o = opt.loc[(p.label, c, s)] if (p.label, c, s) in opt.index else None
                row = {
                    "party": p.label,
                    "members": ",".join(p.members),
                    "commodity": c,
                    "stage": s,
                    "stage_label": iea.stage_label(c, s),
                    "imports_2023_kt": total,
                    "basis": quality,
                    "top_supplier_2023": top,
                    "top_share_2023": top_share,
                    "single_country_met_2023": None if top is None else bool(top_share <= max_share),
                    f"top_supplier_{y}": lead30,
                    f"top_share_{y}": share30,
                    # the cap "costs nothing" when the largest supplier need not exceed 65 % of the need,
                    # whatever world supply leaves uncovered
                    f"cap_met_{y}": None if o is None else bool(o["short_cap_share"] <= 0),
                    f"need_covered_{y}": np.nan if o is None else 1.0 - float(o["shortfall_share"]),
                    "own_output_2023_kt": out[iea.BASE_YEAR][2],
                    f"own_output_{y}_kt": out[y][2],
                    "processing_share_2023": np.nan,
                    f"processing_share_{y}": np.nan,
                    f"processing_met_{y}": None,
                    "scenario": sc,
                    "notes": "",
                }
                notes = []
                if quality == "unknown":
                    notes.append(f"imports not on the IEA basis: {why}")
                elif quality == "lower bound":
                    notes.append("imports are a lower bound (" + why + ")")
                if s == "refined" and quality != "unknown":
                    net = total - exports
                    own0, own1 = out[iea.BASE_YEAR][2], out[y][2]
                    row["processing_share_2023"] = processing_share(own0, net)
                    cons1 = (own0 + net) * g
                    row[f"processing_share_{y}"] = own1 / cons1 if cons1 > 0 else np.nan
                    if row[f"processing_share_{y}"] == row[f"processing_share_{y}"]:
                        row[f"processing_met_{y}"] = bool(row[f"processing_share_{y}"] >= PROCESSING_TARGET)
                    if not set(p.members) & set(out[iea.BASE_YEAR][0]):
                        notes.append("no member named by the IEA: own output counted as zero (lower bound)")
                elif s == "refined":
                    notes.append("processing share: refined-stage consumption not in the trade data")
                row["notes"] = "; ".join(notes)
                rows.append(row)
    df = pd.DataFrame(rows)
    df.attrs["not_computable"] = NOT_COMPUTABLE
    df.attrs["source"] = f"BACI HS92 (2023 imports); {iea.SOURCE_LABEL}"
    return df


__all__ = ["PROCESSING_TARGET", "crma_benchmarks", "largest_share", "processing_share"]
