"""The briefing's selection and ranking (critmin.report.briefing): hand-computed cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from critmin.report import briefing as bf


def _exp(rows):
    return pd.DataFrame(
        rows, columns=["party", "commodity", "stage", "import_value_kusd", "material", "share_from_CHN"]
    )


def test_minerals_that_matter_by_value_risk_and_china():
    exp = _exp(
        [
            ("JPN", "copper", "mine", 13_000_000, True, 0.0),
            ("JPN", "platinum_group", "refined", 4_000_000, True, 0.0),
            ("JPN", "lithium", "refined", 850_000, True, 0.66),
            ("JPN", "rare_earths", "refined", 515_000, True, 0.38),
            ("JPN", "niobium", "refined", 175_000, True, 0.0),
            ("JPN", "tin", "mine", 0.02, False, 0.0),  # immaterial: never chosen, whatever its risk
            ("JPN", "graphite", "mine", 76_000, True, 0.9),
        ]
    )
    gpr = pd.DataFrame(
        [
            ("JPN", "tin", "mine", 0.99),
            ("JPN", "niobium", "refined", 0.51),
            ("JPN", "rare_earths", "refined", 0.44),
            ("JPN", "copper", "mine", 0.06),
        ],
        columns=["party", "commodity", "stage", "value"],
    )
    origin = pd.DataFrame(
        [("JPN", "rare_earths", "refined", 0.72)], columns=["party", "commodity", "stage", "value"]
    )
    k = bf.select_minerals(exp, gpr, origin, top_value=2, top_risk=2, top_china=3, limit=5)
    assert list(k["commodity"]) == ["copper", "platinum_group", "lithium", "rare_earths", "niobium"]
    why = dict(zip(k["commodity"], k["why"], strict=True))
    assert why == {
        "copper": "value",
        "platinum_group": "value",
        "lithium": "China",  # 850 M × 66 % direct (nothing traced)
        "rare_earths": "risk, China",  # 515 M × 72 % traced beats graphite's 76 M × 90 %
        "niobium": "risk",
    }
    assert k.loc[k["commodity"] == "rare_earths", "china_share"].iloc[0] == 0.72


def test_an_action_closes_at_most_the_shortfall():
    assert bf.closes(100.0, 40.0) == 40.0
    assert bf.closes(100.0, 400.0) == 100.0
    assert bf.closes(100.0, -5.0) == 0.0
    assert math.isnan(bf.closes(100.0, float("nan")))


def test_stock_and_recycling_levers():
    # raising a stock from 60 to 343 days of 17,249 t a year supplies 283/365 of a year's use
    assert bf.stock_lever(343, 60, 17_249) == pytest.approx(283 / 365 * 17_249)
    assert bf.stock_lever(30, 60, 17_249) == 0.0
    assert math.isnan(bf.stock_lever(float("nan"), 60, 100))
    # recycled input from 1 % to the CRMA's 25 % of 17,249 t
    assert bf.recycling_lever(0.01, 17_249) == pytest.approx(0.24 * 17_249)
    assert bf.recycling_lever(0.32, 17_249) == 0.0
    assert math.isnan(bf.recycling_lever(None, 100))


def test_actions_are_ranked_by_the_value_they_close_within_each_party():
    a = pd.DataFrame(
        {
            "_party": [0, 0, 0, 1, 1],
            "party": ["JPN", "JPN", "JPN", "ITA", "ITA"],
            "action": ["recycle more", "stockpile", "re-source away from China", "stockpile", "recycle more"],
            "closes_usd": [94e6, 246e6, float("nan"), 4e6, 4.1e6],
        }
    )
    r = bf.rank_actions(a)
    assert list(zip(r["party"], r["action"], r["rank"], strict=True)) == [
        ("JPN", "stockpile", 1),
        ("JPN", "recycle more", 2),
        ("JPN", "re-source away from China", 3),  # not valued: after those that are
        ("ITA", "recycle more", 1),
        ("ITA", "stockpile", 2),
    ]


def test_japan_holds_its_jogmec_target_for_rare_metals_only():
    assert bf.held_days("JPN", "rare_earths") == 60
    assert bf.held_days("JPN", "copper") == 0
    assert bf.held_days("ITA", "rare_earths") == 0


def test_a_ban_on_all_dual_use_items_is_not_a_restriction_on_copper_ore(ds):
    """Page one's 'Restrictions in force': China's ban on dual-use exports to Japanese military users (Ann.
    1/2026) covers the minerals on China's control list, not copper concentrate or platinum."""
    import datetime as dt

    b = bf.Briefing(ds, "JPN,ITA", 2024, as_of=dt.date(2026, 12, 1))
    jpn, ita = b.parties
    ban = "CHN-2026-01-06-japan-military-end-use"
    for c in ("copper", "platinum_group", "niobium", "aluminium"):
        assert ban not in set(b.measures_hitting(jpn, c)["id"]), c
    for c in ("rare_earths", "graphite", "gallium", "antimony"):
        assert ban in set(b.measures_hitting(jpn, c)["id"]), c
    assert ban not in set(b.measures_hitting(ita, "rare_earths")["id"])  # targets Japan only
    assert ban in set(b.measures_hitting(jpn, "critical_minerals")["id"])  # the registry section lists it
    assert bf.measures_cell(b, jpn, "copper") == "none"


def test_no_response_is_claimed_where_nothing_can_respond(ds):
    """'(34% with response)' on page one is a number only where some producer has spare capacity on record;
    with none (IEA refining series of one year; no production series) the briefing says so instead."""
    b = bf.Briefing(ds, "JPN", 2024)
    t = b.scenario_table
    assert len(t) and (t["response_spare_tonnes"] == 0).any()  # lithium (refined): IEA has 2023 only
    for r in t.itertuples(index=False):
        cell = bf.stop_cell(b, r.party, r.commodity, r.stage)
        if r.shortfall_share >= bf.MIN_SHORTFALL_SHARE:
            assert ("with response" in cell) == (r.response_spare_tonnes > 0), cell


def test_a_cost_at_unit_values_is_never_offered_as_a_saving():
    """Re-sourcing lithium from China to Chile 'costs −30%' only because carbonate is cheaper per tonne of Li than
    hydroxide: page one's re-sourcing line says the unit values mix grades."""
    from types import SimpleNamespace

    a = SimpleNamespace(
        action="re-source away from China",
        mineral="lithium (refined)",
        number="China's share of the tonnes imported 66% → 0%; cost at today's unit values −30%",
        closes_share=1.0,
        shortfall_tonnes=2796.0,
        basis="Li",
        closes_usd=276e6,
        caveat="",
    )
    assert "unit values mix grades" in bf.action_text(a, short=True)
