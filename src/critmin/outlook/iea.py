"""What the IEA outlook tables mean and how critmin lines them up: scenarios, years, and which demand figure
each supply stage is compared with.

The supply projections are the IEA's *base case* (May 2024): operating and announced mining and refining
projects, each weighted by its probability of coming online (financing, permits, feasibility studies). They
are the IEA's, not forecasts by critmin; critmin only re-arranges them and derives indicators from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.errors import UnknownValueError
from critmin.reference import commodities as cat

SCENARIOS = ("STEPS", "APS", "NZE")
SCENARIO_NAMES = {
    "STEPS": "Stated Policies Scenario",
    "APS": "Announced Pledges Scenario",
    "NZE": "Net Zero Emissions by 2050 Scenario",
}
BASE_YEAR = 2023
SUPPLY_YEARS = (2023, 2030, 2035, 2040)
PROJECTION_YEARS = (2030, 2035, 2040)
MINERALS = ("copper", "cobalt", "lithium", "nickel", "graphite", "rare_earths")
STAGES = ("mine", "refined")
SOURCE_LABEL = "IEA Critical Minerals Data Explorer (May 2024), CC BY 4.0"
WHAT_PROJECTIONS_ARE = (
    "2030-2040 supply: IEA base case (operating and announced projects weighted by their probability of "
    "coming online), not a critmin forecast"
)


@dataclass(frozen=True)
class DemandLine:
    """The IEA demand figure a supply stage is compared with, and whether the two are like for like."""

    sector: str
    comparable: bool
    note: str


_MINING_NOTE = "mined supply against total demand: the difference is also met by recycling, which the workbook does not project"
DEMAND_LINES: dict[tuple[str, str], DemandLine] = {
    **{(c, "mine"): DemandLine("Total demand", True, _MINING_NOTE) for c in MINERALS},
    **{(c, "refined"): DemandLine("Total demand", True, "") for c in MINERALS},
    ("graphite", "mine"): DemandLine(
        "Total demand",
        False,
        "IEA graphite demand covers all grades, natural and synthetic; natural graphite demand alone is not projected",
    ),
    ("graphite", "refined"): DemandLine(
        "Total clean technologies",
        True,
        "battery-grade graphite against battery demand (electric vehicles and grid storage)",
    ),
    ("rare_earths", "refined"): DemandLine(
        "Total demand",
        True,
        "in the workbook 2023 demand (92.6 kt) already exceeds 2023 refined output (76.3 kt)",
    ),
}


def check_minerals(commodity) -> list[str]:
    """Catalogue ids of the requested minerals, limited to the six the IEA projects."""
    if commodity is None:
        return list(MINERALS)
    names = commodity.split(",") if isinstance(commodity, str) else list(commodity)
    out = []
    for n in names:
        cid = cat.get(str(n).strip()).id
        if cid not in MINERALS:
            raise UnknownValueError(
                "mineral with an IEA outlook",
                n,
                MINERALS,
                hint="the IEA projects copper, cobalt, lithium, nickel, graphite and magnet rare earths",
            )
        if cid not in out:
            out.append(cid)
    return out


def check_stages(stage) -> list[str]:
    if stage is None or (isinstance(stage, str) and stage.strip().lower() in ("", "all", "both")):
        return list(STAGES)
    names = stage.split(",") if isinstance(stage, str) else list(stage)
    out = []
    for s in names:
        s = str(s).strip().lower()
        if s not in STAGES:
            raise UnknownValueError("outlook stage", s, STAGES, hint="the IEA projects mining and refining")
        out.append(s)
    return out


def check_scenarios(scenario) -> list[str]:
    if scenario is None:
        return list(SCENARIOS)
    names = scenario.split(",") if isinstance(scenario, str) else list(scenario)
    out = []
    for s in names:
        key = str(s).strip().upper()
        if key not in SCENARIOS:
            raise UnknownValueError("IEA scenario", s, SCENARIOS)
        out.append(key)
    return out


def check_years(years, allowed: tuple[int, ...] = SUPPLY_YEARS) -> list[int]:
    if years is None:
        return list(allowed)
    ys = [int(years)] if isinstance(years, int | np.integer) else [int(y) for y in years]
    bad = [y for y in ys if y not in allowed]
    if bad:
        raise UnknownValueError(
            "outlook year", bad[0], [str(a) for a in allowed], hint=f"the IEA supply outlook has {allowed}"
        )
    return ys


def stage_label(commodity: str, stage: str) -> str:
    """The IEA's name of the stage, e.g. 'lithium chemicals', 'battery-grade graphite'."""
    labels = {
        ("lithium", "refined"): "lithium chemicals",
        ("graphite", "mine"): "natural graphite (mined)",
        ("graphite", "refined"): "battery-grade graphite",
        ("rare_earths", "mine"): "mined magnet rare earths",
        ("rare_earths", "refined"): "refined magnet rare earths",
    }
    name = cat.get(commodity).name.lower()
    return labels.get((commodity, stage), f"{'mined' if stage == 'mine' else 'refined'} {name}")


def growth(
    demand: pd.DataFrame,
    commodity: str,
    stage: str,
    scenario: str,
    years: list[int],
    sector_mix: dict[str, float] | None = None,
) -> np.ndarray:
    """Demand growth since 2023, D(s, y) / D(s, 2023), for the demand line the stage is compared with.

    With ``sector_mix`` (the importer's 2023 use by IEA sector, shares that sum to 1) the growth is
    Σ_k w_k · D_k(s, y) / D_k(s, 2023): each sector grows as the IEA's world demand of that sector.
    ``demand`` is the demand outlook table (one commodity or more).
    """
    d = demand[(demand["commodity"] == commodity) & (demand["scenario"] == scenario)]
    if sector_mix is None:
        line = DEMAND_LINES[(commodity, stage)].sector
        s = d[d["sector"] == line].set_index("year")["demand_kt"]
        base = float(s.get(BASE_YEAR, np.nan))
        return np.array([float(s.get(y, np.nan)) / base for y in years])
    sectors = set(d.loc[d["sector_kind"] == "sector", "sector"])
    unknown = sorted(set(sector_mix) - sectors)
    if unknown:
        raise UnknownValueError(f"IEA sector for {commodity}", unknown[0], sorted(sectors))
    w = np.array(list(sector_mix.values()), dtype=float)
    if (w < 0).any() or abs(w.sum() - 1) > 1e-6:
        raise UnknownValueError(
            "sector mix", sector_mix, hint="shares of the 2023 use by sector, non-negative, summing to 1"
        )
    piv = d[d["sector"].isin(list(sector_mix))].pivot_table(
        index="sector", columns="year", values="demand_kt"
    )
    out = []
    for y in years:
        ratio = piv[y] / piv[BASE_YEAR]
        # a sector with no 2023 use (e.g. grid storage of cobalt later) cannot carry a 2023 share
        out.append(float(sum(wk * float(ratio.get(k, np.nan)) for k, wk in sector_mix.items() if wk > 0)))
    return np.array(out)
