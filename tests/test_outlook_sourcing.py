"""Partners' projected supply under the 65 % cap (critmin.outlook.sourcing): hand-solved cases, the closed form
against the HiGHS LP, the invariant that more projected capacity never hurts, and the embedded outlook."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.errors import NoDataError, UnknownValueError
from critmin.optimize import lp
from critmin.outlook.sourcing import (
    coverable,
    multiple_needed,
    outlook_options,
    pro_rata_claims,
    solve_within_cap,
    sourcing_outlook,
)


def _problem(need, claims, third=None, allowed=None, max_share=0.65):
    claims = np.asarray(claims, dtype=float)
    third = np.ones(claims.size, dtype=bool) if third is None else np.asarray(third)
    allowed = np.ones(claims.size, dtype=bool) if allowed is None else np.asarray(allowed)
    p = lp.Problem(
        np.array([float(need)]),
        claims,
        np.linspace(0.1, 0.9, claims.size),
        allowed[None, :],
        third,
        max_share,
    )
    limits = np.where(third & (max_share is not None), (max_share or 1) * need, np.inf)
    return p, limits


# -- hand-solved cases -----------------------------------------------------------------------------------------
def test_pro_rata_claims_formula():
    # 80 kt of output, a 10 kt need in a 100 kt market: 8 kt; with priority 1.5: 12 kt
    assert pro_rata_claims([80.0], 10.0, 100.0)[0] == pytest.approx(8.0)
    assert pro_rata_claims([80.0], 10.0, 100.0, 1.5)[0] == pytest.approx(12.0)


def test_cap_binds_hand_case():
    # need 10; China offers 8, B 2, C 1; China capped at 6.5 → 6.5 + 2 + 1 = 9.5: short 0.5, all from the cap
    p, lim = _problem(10, [8, 2, 1])
    sol, world, cap, needed = solve_within_cap(p, lim)
    assert sol.status == "infeasible" and world == 0 and cap == pytest.approx(0.5)
    # the smallest cap that works: China must give 7 of 10
    assert needed == pytest.approx(0.70)
    assert coverable([8, 2, 1], lim) == pytest.approx(9.5)


def test_world_supply_binds_hand_case():
    # need 10; offers 5, 2, 1 → 8 even without the cap: short 2, the cap (6.5) does not bind
    p, lim = _problem(10, [5, 2, 1])
    sol, world, cap, _ = solve_within_cap(p, lim)
    assert sol.status == "infeasible" and world == pytest.approx(2.0) and cap == 0


def test_feasible_hand_case_least_risk_plan():
    # need 10; offers 8 (risk .1), 5 (.5), 3 (.9): China held at 6.5, then the next least risky 3.5
    p, lim = _problem(10, [8, 5, 3])
    sol, world, cap, _ = solve_within_cap(p, lim)
    assert sol.status == "optimal" and world == cap == 0
    assert sol.x[0] == pytest.approx([6.5, 3.5, 0.0], abs=1e-9)


def test_aggregate_rest_of_world_is_not_capped():
    # the rest of world (not a single country) may supply 8 of 10
    p, lim = _problem(10, [8, 2], third=[False, True])
    sol, _, _, _ = solve_within_cap(p, lim)
    assert sol.status == "optimal" and sol.x[0][0] == pytest.approx(8.0)


@pytest.mark.parametrize(
    ("claims", "need", "scalable", "expected"),
    [
        ([8, 2, 1], 10, [False, True, True], 3.5 / 3),  # 6.5 + 3k = 10
        ([8, 3, 0.2], 10, [True, True, True], 1 + 0.3 / 3.2),  # China at its cap; 3.2k = 3.5
        ([8, 6, 0.1], 13.5, [True, True, True], 5.0),  # B saturates at k = 6.5/6, then C alone: k = 5
        ([8, 6, 0.1], 20.0, [True, True, True], None),  # 3 × 6.5 = 19.5 < 20 whatever k
        ([8, 4, 0.5], 10, [True, True, True], 1.0),  # already enough
    ],
)
def test_multiple_needed_hand_cases(claims, need, scalable, expected):
    limits = np.full(len(claims), 6.5)  # each supplier at most 6.5 kt (65 % of a 10 kt need)
    k = multiple_needed(claims, limits, need, scalable)
    if expected is None:
        assert k is None
        return
    assert k == pytest.approx(expected)
    got = coverable(np.where(scalable, np.array(claims) * k, claims), limits)
    assert got == pytest.approx(need) if expected > 1 else got >= need


# -- properties ---------------------------------------------------------------------------------------------------
problems = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        st.floats(0.5, 50.0),
        st.lists(st.floats(0.0, 30.0), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.sampled_from([0.4, 0.5, 0.65, 0.9, 1.0]),
    )
)


@given(problems)
def test_closed_form_equals_the_lp_diagnosis(case):
    need, claims, third, allowed, share = case
    p, lim = _problem(need, claims, np.array(third), np.array(allowed), share)
    sol, world, cap, _ = solve_within_cap(p, lim)
    ref = lp.solve(p)
    assert (sol.status == "optimal") == (ref.status == "optimal")
    if ref.status != "optimal" and allowed and any(allowed):
        diag = {d["constraint"]: d for d in ref.diagnosis}
        tol = 1e-6 * max(1.0, need)
        assert world == pytest.approx(diag.get("capacity", {}).get("shortfall_tonnes", 0.0), abs=tol)
        assert cap == pytest.approx(diag.get("max_share", {}).get("shortfall_tonnes", 0.0), abs=tol)


@given(problems, st.data())
def test_more_projected_capacity_never_makes_a_feasible_plan_infeasible(case, data):
    need, claims, third, allowed, share = case
    p, lim = _problem(need, claims, np.array(third), np.array(allowed), share)
    before, w0, c0, _ = solve_within_cap(p, lim)
    extra = np.array(data.draw(st.lists(st.floats(0.0, 20.0), min_size=len(claims), max_size=len(claims))))
    more, lim2 = _problem(need, np.array(claims) + extra, np.array(third), np.array(allowed), share)
    after, w1, c1, _ = solve_within_cap(more, lim2)
    if before.status == "optimal":
        assert after.status == "optimal"
        assert lp.solve(more).status == "optimal"  # the LP itself agrees
    assert w1 + c1 <= w0 + c0 + 1e-9 * max(1.0, need)


@given(st.lists(st.floats(0.0, 100.0), min_size=1, max_size=6), st.floats(1.0, 50.0), st.floats(1.0, 500.0))
def test_pro_rata_feasibility_does_not_depend_on_the_need(supply, need, demand):
    def status(n):
        claims = pro_rata_claims(supply, n, demand)
        p, lim = _problem(n, claims)
        return solve_within_cap(p, lim)

    a, b = status(need), status(10 * need)
    assert a[0].status == b[0].status
    assert a[1] / need == pytest.approx(b[1] / (10 * need), abs=1e-9)


# -- the embedded outlook ------------------------------------------------------------------------------------
def test_jpn_ita_refined_magnet_rare_earths_2030_aps(ds):
    r = sourcing_outlook(ds, "JPN+ITA", "rare_earths", "refined", "APS", 2030)
    s = r.summary.iloc[0]
    dem = ds.demand_outlook("rare_earths", "APS")
    tot = dem[dem["sector"] == "Total demand"].set_index("year")["demand_kt"]
    growth = tot[2030] / tot[2023]
    assert s["demand_growth"] == pytest.approx(growth)
    assert s["need_kt"] == pytest.approx(s["imports_2023_kt"] * growth)
    # stage demand: 2023 refined output (76.3 < 92.6 demand) grown as APS demand
    assert s["stage_demand_kt"] == pytest.approx(76.3 * growth)
    assert s["status"] == "infeasible" and s["short_cap_kt"] > 0
    assert s["shortfall_kt"] == pytest.approx(s["short_world_supply_kt"] + s["short_cap_kt"])
    assert r.answer.startswith(
        "JPN+ITA cannot meet the 65% cap for refined magnet rare earths in 2030 under APS"
    )
    assert "China may supply at most 65%" in r.answer and "the gap closes if" in r.answer
    plan = r.plan.set_index("supplier")
    assert plan.loc["CHN", "plan_share"] == pytest.approx(0.65)
    # China's claim is its pro-rata share: output × need / stage demand
    assert plan.loc["CHN", "claim_kt"] == pytest.approx(80.8 * s["need_kt"] / s["stage_demand_kt"])
    # the extra non-Chinese output that closes the gap, pro rata, closes it
    k = s["claim_multiple_needed"]
    closed = sourcing_outlook(ds, "JPN+ITA", "rare_earths", "refined", "APS", 2030, claim_multiple=k * 1.001)
    assert closed.summary["short_cap_kt"].iloc[0] == 0 or closed.summary["status"].iloc[0] == "feasible"


def test_partner_sets_restrict_the_producers(ds):
    own = sourcing_outlook(ds, "JPN+ITA", "rare_earths", "refined", "APS", 2030, partners="own")
    plan = own.plan.set_index("supplier")
    assert not plan.loc["MYS", "allowed"] and not plan.loc["ROW", "allowed"]
    assert plan.loc["CHN", "allowed"] and plan.loc["AUS", "allowed"] and plan.loc["USA", "allowed"]
    everyone = sourcing_outlook(ds, "JPN+ITA", "rare_earths", "refined", "APS", 2030)
    assert own.summary["shortfall_share"].iloc[0] > everyone.summary["shortfall_share"].iloc[0]


def test_members_own_output_is_not_a_supplier(ds):
    jpn = sourcing_outlook(ds, "JPN", "cobalt", "refined", "APS", 2030)
    ita = sourcing_outlook(ds, "ITA", "cobalt", "refined", "APS", 2030)
    assert "JPN" not in set(jpn.plan["supplier"]) and "JPN" in set(ita.plan["supplier"])
    assert jpn.summary["own_output_kt"].iloc[0] == pytest.approx(12.6)


def test_unknown_need_first_call_is_refused(ds):
    with pytest.raises(NoDataError, match="first_call"):
        sourcing_outlook(ds, "JPN", "nickel", "refined", "APS", 2030, sharing="first_call")
    ok = sourcing_outlook(ds, "JPN", "nickel", "refined", "APS", 2030, sharing="first_call", need_kt=50.0)
    assert ok.summary["need_kt"].iloc[0] == 50.0
    with pytest.raises(UnknownValueError, match="pro_rata"):
        sourcing_outlook(ds, "JPN", "nickel", "refined", "APS", 2030, sharing="fair")


def test_outlook_options_every_case_answered(ds):
    df = outlook_options(ds, "JPN,ITA,JPN+ITA", scenarios="STEPS,APS", years=(2030, 2035))
    assert len(df) == 3 * 6 * 2 * 2 * 2
    assert set(df["status"]) <= {"feasible", "infeasible", "no allowed producer"}
    assert df["answer"].str.len().gt(40).all()
    bad = df[df["status"] != "feasible"]
    assert (bad["shortfall_share"] > 0).all() and bad["binding"].str.len().gt(0).all()
    assert ((df["shortfall_share"] >= 0) & (df["shortfall_share"] <= 1)).all()


def test_sector_mix_changes_the_need_not_the_pro_rata_answer(ds):
    base = sourcing_outlook(ds, "JPN", "lithium", "refined", "APS", 2030).summary.iloc[0]
    mix = {"Electric vehicles": 0.8, "Other uses": 0.2}
    ev = sourcing_outlook(ds, "JPN", "lithium", "refined", "APS", 2030, sector_mix=mix).summary.iloc[0]
    d = ds.demand_outlook("lithium", "APS").pivot_table(index="sector", columns="year", values="demand_kt")
    growth = 0.8 * d.loc["Electric vehicles", 2030] / d.loc["Electric vehicles", 2023] + 0.2 * (
        d.loc["Other uses", 2030] / d.loc["Other uses", 2023]
    )
    assert ev["need_kt"] == pytest.approx(base["imports_2023_kt"] * growth)
    assert ev["demand_growth"] == pytest.approx(base["demand_growth"])  # the world's demand is the world's
    assert ev["shortfall_share"] == pytest.approx(base["shortfall_share"])
    assert "each IEA sector grows" in ev["assumptions"]


def test_the_extra_output_named_in_the_answer_closes_the_gap(ds):
    """Adding the extra output the answer names to the uncapped producers (pro rata, as new supply the
    party shares) leaves no shortfall: checked by re-solving with claims raised by its pro-rata share."""
    r = sourcing_outlook(ds, "JPN+ITA", "rare_earths", "refined", "APS", 2030)
    s = r.summary.iloc[0]
    plan = r.plan.set_index("supplier")
    uncapped = [c for c in plan.index if c not in s["capped_suppliers"].split(",") and plan.loc[c, "allowed"]]
    claims = plan["claim_share_of_need"].to_numpy(dtype=float).copy()
    extra = s["extra_partner_output_kt"] / s["stage_demand_kt"]  # the party's pro-rata share, in needs
    out = plan["projected_output_kt"].to_numpy(dtype=float)
    idx = [list(plan.index).index(c) for c in uncapped]
    claims[idx] += extra * out[idx] / out[idx].sum()  # spread like today's output of those producers
    third = np.asarray(plan.index != "ROW")
    p, lim = _problem(1.0, claims, third, plan["allowed"].to_numpy(dtype=bool), 0.65)
    sol, world, cap, _ = solve_within_cap(p, lim)
    assert sol.status == "optimal" and world + cap <= 1e-9
