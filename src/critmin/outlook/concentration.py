"""Projected concentration of supply and the world balance, 2023 -> 2030 -> 2035 -> 2040.

Pure functions over the IEA outlook tables (tidy frames in, tidy frames out):

* **concentration** per mineral, stage and year: HHI = Σ sᵢ² over the producers the IEA names (Herfindahl
  1950; Hirschman 1945), the top-3 share (CR₃) and the share of a named country or bloc. The IEA's "rest of
  world" counts in the total but is not a producer, so the HHI is a lower bound (as for every production
  series in critmin, :func:`critmin.indicators.tables.group_concentration`). A country the IEA does not name
  (e.g. China in nickel mining) has an unknown share, at most the smaller of the smallest named producer's
  share and the rest of world's: the share is NaN and that bound is given.
* **world balance** per scenario: projected supply minus the scenario's demand (kt), where the two are on the
  same footing (:data:`critmin.outlook.iea.DEMAND_LINES`), and the growth of supply and demand since 2023.
* **stage demand**, the demand the stage's producers must serve, calibrated on 2023 (:func:`stage_demand`):
  2023 world use at the stage is the smaller of 2023 output and 2023 demand — a surplus in 2023 (lithium,
  nickel, cobalt, battery-grade graphite) was not used, and mined copper cannot have served the part of
  demand that scrap met — and it grows as the scenario's demand. ``coverage`` = supply / stage demand. It is
  defined for every stage, including natural graphite (whose own demand the IEA does not project: there
  2023 use = 2023 output).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.indicators.tables import REST_OF_WORLD, group_concentration
from critmin.outlook.iea import BASE_YEAR, DEMAND_LINES, MINERALS, SCENARIOS, STAGES

KEYS = ["commodity", "stage", "year"]


def projected_concentration(supply: pd.DataFrame, named: set[str], label: str = "CHN") -> pd.DataFrame:
    """HHI, top-3, leader and share of ``named`` (a country or a bloc's members) per commodity, stage, year.

    ``supply``: the supply outlook table (commodity, stage, country, year, supply_kt, projection, basis, ...).
    Columns out: commodity, stage, year, projection, world_kt, rest_of_world_kt, n_named, hhi, hhi_10000,
    top3_share, leader, leader_share, share_<label>, share_<label>_max, basis, source, edition.
    """
    extra = ["projection", "basis", "source", "edition", "case"]
    g = group_concentration(
        supply,
        [*KEYS, *extra],
        "country",
        "supply_kt",
        top=3,
        named={"x": named},
        rest=REST_OF_WORLD,
        leaders=1,
    )
    g = g.rename(
        columns={
            "total": "world_kt",
            "n_suppliers": "n_named",
            "supplier_1": "leader",
            "supplier_1_share": "leader_share",
        }
    )
    listed = supply.groupby(KEYS)["country"].agg(lambda s: set(s) - {REST_OF_WORLD})
    row_kt = supply[supply["country"] == REST_OF_WORLD].groupby(KEYS)["supply_kt"].sum()
    g = g.join(listed.rename("_listed"), on=KEYS).join(row_kt.rename("rest_of_world_kt"), on=KEYS)
    g["rest_of_world_kt"] = g["rest_of_world_kt"].fillna(0.0)
    # a named set none of whose members the IEA lists has an unknown share, bounded by what is unlisted
    smallest = supply[supply["country"] != REST_OF_WORLD].groupby(KEYS)["supply_kt"].min().rename("_smallest")
    g = g.join(smallest, on=KEYS)
    listed_any = np.array([bool(named & lst) for lst in g["_listed"]])
    all_listed = np.array([named <= lst for lst in g["_listed"]])
    bound = np.minimum(g["_smallest"], g["rest_of_world_kt"]) / g["world_kt"].where(g["world_kt"] > 0)
    share = g["share_x"].to_numpy(dtype=float)
    g[f"share_{label}"] = np.where(listed_any, share, np.nan)
    # with some members unlisted the share is a lower bound; the upper bound adds what the rest could hold
    g[f"share_{label}_max"] = np.where(
        all_listed,
        share,
        np.where(listed_any, share + g["rest_of_world_kt"] / g["world_kt"], bound),
    )
    g["hhi_10000"] = g["hhi"] * 10_000
    cols = [
        *KEYS,
        "projection",
        "world_kt",
        "rest_of_world_kt",
        "n_named",
        "hhi",
        "hhi_10000",
        "top3_share",
        "leader",
        "leader_share",
        f"share_{label}",
        f"share_{label}_max",
        "case",
        "basis",
        "source",
        "edition",
    ]
    return g[cols].sort_values(KEYS).reset_index(drop=True)


def stage_demand(
    supply_base_kt: float | np.ndarray,
    demand_base_kt: float | np.ndarray,
    growth: float | np.ndarray,
    comparable: bool | np.ndarray = True,
) -> np.ndarray:
    """Scenario demand at a supply stage, calibrated on the base year (kt):

        U₀ = min(S₀, D₀) if supply and demand are like for like, else S₀;    D_stage(y) = U₀ · D(y)/D₀

    with S₀, D₀ the 2023 world output and IEA demand and D(y)/D₀ the scenario's demand growth.
    """
    s0 = np.asarray(supply_base_kt, dtype=float)
    d0 = np.asarray(demand_base_kt, dtype=float)
    use0 = np.where(np.asarray(comparable, dtype=bool), np.fmin(s0, d0), s0)
    return use0 * np.asarray(growth, dtype=float)


def world_balance(
    supply: pd.DataFrame, demand: pd.DataFrame, scenarios: list[str] | tuple[str, ...] = SCENARIOS
) -> pd.DataFrame:
    """Projected supply against each scenario's demand, per commodity, stage, scenario and supply year.

    Columns: commodity, stage, scenario, year, supply_kt, demand_sector, demand_kt (IEA), balance_kt (supply −
    demand; NaN where the two are not like for like), supply_growth and demand_growth (relative to 2023),
    stage_demand_kt (:func:`stage_demand`), coverage (supply / stage demand), comparable, demand_note.
    """
    tot = supply.groupby(KEYS, as_index=False)["supply_kt"].sum()
    base = tot[tot["year"] == BASE_YEAR].set_index(["commodity", "stage"])["supply_kt"]
    rows = []
    for (c, s), part in tot.groupby(["commodity", "stage"], sort=False):
        line = DEMAND_LINES[(c, s)]
        d = demand[(demand["commodity"] == c) & (demand["sector"] == line.sector)]
        s0 = float(base[(c, s)])
        for sc in scenarios:
            ds = d[d["scenario"] == sc].set_index("year")["demand_kt"]
            d0 = float(ds.get(BASE_YEAR, np.nan))
            for r in part.itertuples(index=False):
                dk = float(ds.get(r.year, np.nan))
                g = dk / d0
                sd = float(stage_demand(s0, d0, g, line.comparable))
                rows.append(
                    {
                        "commodity": c,
                        "stage": s,
                        "scenario": sc,
                        "year": int(r.year),
                        "supply_kt": float(r.supply_kt),
                        "demand_sector": line.sector,
                        "demand_kt": dk,
                        "balance_kt": r.supply_kt - dk if line.comparable else np.nan,
                        "supply_growth": r.supply_kt / s0,
                        "demand_growth": g,
                        "stage_demand_kt": sd,
                        "coverage": r.supply_kt / sd,
                        "comparable": line.comparable,
                        "demand_note": line.note,
                    }
                )
    return pd.DataFrame(rows)


def outlook_table(
    supply: pd.DataFrame,
    demand: pd.DataFrame,
    named: set[str],
    label: str = "CHN",
    scenarios: list[str] | tuple[str, ...] = SCENARIOS,
) -> pd.DataFrame:
    """Concentration and balance in one tidy table: one row per commodity, stage, scenario and year (the
    concentration columns repeat across scenarios; 2023 is observed)."""
    conc = projected_concentration(supply, named, label)
    bal = world_balance(supply, demand, scenarios)
    out = bal.merge(conc, on=KEYS, how="left")
    first = [*KEYS[:2], "scenario", "year", "projection"]
    out = out[first + [c for c in out.columns if c not in first]]
    order = {
        "commodity": {c: i for i, c in enumerate(MINERALS)},
        "stage": {s: i for i, s in enumerate(STAGES)},
        "scenario": {s: i for i, s in enumerate(SCENARIOS)},
    }
    return out.sort_values(
        ["commodity", "stage", "scenario", "year"],
        key=lambda s: s.map(order[s.name]) if s.name in order else s,
    ).reset_index(drop=True)
