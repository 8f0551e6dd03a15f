"""What a proposed record changes, on the embedded dataset: every number checked against the trade table or
against an invariant, never against a hard-coded result."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.watch import impact as impact_mod
from critmin.watch.impact import Impact

AS_OF = "2026-03-06"
YEAR = 2023


@pytest.fixture(scope="module")
def imp(ds):
    return Impact(ds, ds.parties("JPN,ITA,JPN+ITA", YEAR), year=YEAR, as_of=AS_OF, draws=8)


def _record(**kw):
    base = {
        "id": "test-record",
        "imposer": "CHN",
        "commodities": ["graphite"],
        "hs_codes": [],
        "measure_type": "ban",
        "targets": ["JPN"],
        "end_uses": None,
        "announced_date": "2026-02-10",
        "effective_date": "2026-03-01",
        "end_date": None,
        "status": "announced",
        "relaxes": [],
    }
    return {**base, **kw}


def _by(changes, party, quantity, commodity=None):
    hits = [c for c in changes if c.party == party and c.quantity == quantity]
    if commodity:
        hits = [c for c in hits if c.commodity == commodity]
    assert len(hits) == 1, [(c.party, c.quantity, c.commodity) for c in changes]
    return hits[0]


def _share(ds, party, commodity, stage, partners):
    imp = ds.bilateral(party, commodity, YEAR, stage=stage)
    return imp.loc[imp["partner"].isin(partners), "value_kusd"].sum() / imp["value_kusd"].sum()


def test_a_ban_on_japan_reaches_chinas_share_of_japans_imports(imp, ds):
    rec = _record()
    jpn = imp.restriction_changes(rec, "JPN")
    own = _by(jpn, "JPN", "imports_under_new_measure")
    assert own.with_ == pytest.approx(_share(ds, "JPN", "graphite", "mine", ["CHN"]), rel=1e-9)
    assert own.unit == "% of import value" and "BACI" in own.provenance and own.year == YEAR
    short = _by(jpn, "JPN", "shortfall_p50_tonnes")
    assert short.with_ > short.without  # the ban stacks on China's graphite licence of 2023
    # Italy is no target: the measure reaches none of its imports
    ita = imp.restriction_changes(rec, "ITA")
    assert _by(ita, "ITA", "imports_under_new_measure").with_ == 0
    in_force = _by(ita, "ITA", "imports_under_measures_in_force")
    assert in_force.with_ == pytest.approx(in_force.without)


def test_a_bloc_shortfall_is_the_sum_of_its_members_in_every_draw(imp):
    res, _ = imp.scenario("graphite", "mine", [*imp.in_force, _record()])
    p = res["parties"]
    assert np.allclose(p["JPN+ITA"]["shortfall"], p["JPN"]["shortfall"] + p["ITA"]["shortfall"])
    assert p["JPN+ITA"]["consumption"] == pytest.approx(p["JPN"]["consumption"] + p["ITA"]["consumption"])
    assert np.all(p["JPN"]["shortfall"] <= p["JPN"]["consumption"] * (1 + 1e-9))


def test_common_random_numbers_a_measure_that_stops_nothing_changes_nothing(imp, monkeypatch):
    monkeypatch.setitem(impact_mod.SHARE_RANGES, "other", (0.0, 0.0))
    changes = imp.restriction_changes(_record(id="test-zero", measure_type="other"), "JPN")
    short = _by(changes, "JPN", "shortfall_p50_tonnes")
    assert short.without > 0 and short.with_ == short.without and not short.changed


def test_a_lifting_takes_away_what_it_relaxes(imp, ds):
    relaxed = "CHN-2025-04-04-rare-earths-medium-heavy"
    assert relaxed in {r["id"] for r in imp.in_force}
    rec = _record(
        commodities=["rare_earths"], targets=[], measure_type="other", status="in_force", relaxes=[relaxed]
    )
    changes = imp.restriction_changes(rec, "JPN")
    share = _by(changes, "JPN", "imports_under_measures_in_force")
    assert share.without == pytest.approx(_share(ds, "JPN", "rare_earths", "refined", ["CHN"]), rel=1e-9)
    assert share.with_ == 0
    assert not [c for c in changes if c.quantity == "imports_under_new_measure"]
    short = _by(changes, "JPN", "shortfall_p50_tonnes")
    assert short.without > 0 and short.with_ == 0


@pytest.mark.parametrize(
    ("record", "note", "why"),
    [
        (
            _record(id="x", targets=[], measure_type="licence"),
            "corroborates CHN-2023-12-01-graphite",
            "restates",
        ),
        (_record(id="x", status="lifted"), None, "no longer in force"),
        (_record(id="x", end_date="2026-01-01"), None, "ended on 2026-01-01"),
    ],
)
def test_records_that_change_nothing_in_force(imp, record, note, why):
    measures, how = imp.with_set(record, note)
    assert measures == imp.in_force and why in how


def test_a_new_partner_adds_its_share_of_imports(imp, ds):
    rec = {"id": "test-partnership", "parties": ["ITA", "BRA"], "minerals": ["niobium"], "level": "MoU"}
    before = imp.partners("ITA", "niobium")
    assert "BRA" not in before
    changes = imp.partnership_changes(rec, "ITA")
    share = _by(changes, "ITA", "imports_from_partners", "niobium")
    assert share.without == pytest.approx(_share(ds, "ITA", "niobium", "refined", before), rel=1e-9)
    assert share.with_ - share.without == pytest.approx(
        _share(ds, "ITA", "niobium", "refined", ["BRA"]), rel=1e-9
    )
    lp = _by(changes, "ITA", "import_risk_after_partner_sourcing", "niobium")
    assert lp.with_ <= lp.without + 1e-9  # a larger partner set can only help the optimum
    # Japan is not a party: nothing changes for it
    [note] = imp.partnership_changes(rec, "JPN")
    assert note.kind == "context" and "not a party" in note.text


def test_a_stockpile_never_raises_the_shortfall(imp):
    event = {"event_type": "stockpile", "initiator": ["ITA"], "minerals": ["graphite"]}
    changes = imp.stockpile_changes(event, "ITA")
    short = _by(changes, "ITA", "shortfall_p50_tonnes")
    assert short.with_ <= short.without and "Italy's 60-day stock" in short.text
    cover = _by(changes, "ITA", "days_of_cover_p50")
    assert cover.without == 0 and cover.with_ > 0  # no stock covers no day


def test_a_mineral_without_trade_code_is_said_not_computed(imp):
    changes = imp.restriction_changes(_record(commodities=["gallium"]), "JPN")
    assert [c.kind for c in changes] == ["context"] and "no HS92 trade code" in changes[0].text


def test_immaterial_imports_are_not_a_finding(imp):
    # Japan's antimony ores come from Austria for about USD 0.2 m a year
    changes = imp.restriction_changes(_record(imposer="AUT", commodities=["antimony"], targets=[]), "JPN")
    assert [c.kind for c in changes] == ["context"] and "no material exposure" in changes[0].text


def test_supply_risk_computed_in_one_pass_equals_one_by_one(ds):
    parties = ds.parties("JPN,ITA,JPN+ITA", YEAR)
    jobs = [
        ("JPN", _record(), None),  # China → Japan, graphite: the factors differ by party (a targeted measure)
        ("JPN+ITA", _record(), None),
        (
            "ITA",
            _record(id="t2", imposer="VNM", commodities=["rare_earths"], targets=[], measure_type="quota"),
            None,
        ),
        ("JPN", _record(id="t3", imposer="MDG", targets=[]), None),  # graphite again, other factors
    ]
    batched = Impact(ds, parties, year=YEAR, as_of=AS_OF, draws=2)
    batched.prepare(jobs)
    single = Impact(ds, parties, year=YEAR, as_of=AS_OF, draws=2)
    for party, rec, note in jobs:
        a = [c for c in batched.restriction_changes(rec, party, note) if c.kind == "risk"]
        b = [c for c in single.restriction_changes(rec, party, note) if c.kind == "risk"]
        assert a and [x for c in a for x in (c.without, c.with_)] == pytest.approx(
            [x for c in b for x in (c.without, c.with_)], rel=1e-12
        )
