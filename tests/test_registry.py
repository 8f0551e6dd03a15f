"""The export-restriction registry: seed content, queries by date/commodity/imposer, writes, review, files."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.errors import DataError, UnknownValueError
from critmin.scenarios import registry as reg
from critmin.scenarios.registry import add_restriction, import_restrictions, restrictions, review_restriction


def ids(df: pd.DataFrame) -> set[str]:
    return set(df["id"])


def test_seed_has_the_measures_of_the_brief_with_sources():
    df = restrictions(relaxations=True)
    assert len(df) == len(set(df["id"]))
    for rid in (
        "CHN-2023-08-01-gallium-germanium",
        "CHN-2023-12-01-graphite",
        "CHN-2024-09-15-antimony",
        "CHN-2024-12-03-usa-ga-ge-sb",
        "CHN-2025-11-09-suspension-ann46-clause2",
        "CHN-2025-02-04-tungsten-tellurium-bismuth-molybdenum-indium",
        "CHN-2025-04-04-rare-earths-medium-heavy",
        "CHN-2025-11-08-rare-earths-ho-er-tm-eu-yb",
        "CHN-2025-11-07-suspension-october-package",
        "CHN-2026-01-06-japan-military-end-use",
        "IDN-2020-01-01-nickel-ore",
        "COD-2025-02-22-cobalt-export-suspension",
        "COD-2025-10-16-cobalt-export-quota",
    ):
        assert rid in set(df["id"]), rid
    assert df["source_url"].str.startswith("http").all()
    assert df["legal_reference"].notna().all()
    assert (df["source"] == "seed").all() and df["reviewed"].all()
    graphite = df.set_index("id").loc["CHN-2023-12-01-graphite"]
    assert "2504101000" in graphite["hs_codes"] and graphite["effective_date"] == "2023-12-01"


def test_in_force_follows_dates_suspensions_and_replacements():
    june25 = ids(restrictions(in_force="2025-06-01"))
    assert {
        "CHN-2024-12-03-usa-ga-ge-sb",
        "COD-2025-02-22-cobalt-export-suspension",
        "CHN-2025-04-04-rare-earths-medium-heavy",
        "IDN-2020-01-01-nickel-ore",
    } <= june25
    assert "COD-2025-10-16-cobalt-export-quota" not in june25
    dec25 = ids(restrictions(in_force="2025-12-01"))
    # the US clause 2 was suspended on 9 Nov 2025; the October package never took effect
    assert "CHN-2024-12-03-usa-ga-ge-sb" not in dec25
    assert "CHN-2025-11-08-rare-earths-ho-er-tm-eu-yb" not in dec25
    assert "COD-2025-10-16-cobalt-export-quota" in dec25
    assert "COD-2025-02-22-cobalt-export-suspension" not in dec25
    # before it started, and the day before the effective date
    assert "CHN-2023-12-01-graphite" not in ids(restrictions(in_force="2023-11-30"))
    assert "CHN-2023-12-01-graphite" in ids(restrictions(in_force="2023-12-01"))
    assert ids(restrictions(in_force="2019-12-31", imposer="IDN")) == set()


def test_relaxations_are_only_returned_when_asked():
    assert "CHN-2025-11-07-suspension-october-package" not in ids(restrictions())
    both = restrictions(relaxations=True, in_force="2025-12-01")
    assert "CHN-2025-11-07-suspension-october-package" in ids(both)


def test_commodity_filter_includes_all_dual_use_measures_and_resolves_aliases():
    ga = ids(restrictions(commodity="Gallium", in_force="2026-02-01"))
    assert ga == {
        "CHN-2023-08-01-gallium-germanium",
        "CHN-2024-12-03-usa-military-end-use",
        "CHN-2026-01-06-japan-military-end-use",
    }
    assert ids(restrictions(imposer="Indonesia")) == {"IDN-2020-01-01-nickel-ore"}
    with pytest.raises(UnknownValueError, match="galium"):
        restrictions(commodity="galium")


def test_add_is_idempotent_and_overrides_seed(tmp_store):
    rec = {
        "imposer": "Viet Nam",
        "commodities": "rare earths",
        "measure_type": "ban",
        "effective_date": "2024-01-01",
        "title": "Rare-earth ore export ban",
        "source_url": "https://example.org",
    }
    rid = add_restriction(tmp_store, rec)
    assert rid == "VNM-2024-01-01-ban-rare_earths"
    assert add_restriction(tmp_store, dict(rec, notes="second")) == rid
    df = restrictions(tmp_store, imposer="VNM")
    assert len(df) == 1 and df.iloc[0]["notes"] == "second" and df.iloc[0]["source"] == "user"
    # a store row with a seed id overrides the seed row
    add_restriction(tmp_store, dict(reg.get_restriction(None, "CHN-2023-12-01-graphite"), notes="edited"))
    g = restrictions(tmp_store, commodity="graphite").set_index("id")
    assert g.loc["CHN-2023-12-01-graphite", "notes"] == "edited"
    assert len(restrictions(tmp_store, relaxations=True)) == len(restrictions(relaxations=True)) + 1


def test_news_records_dedupe_on_article_and_evidence_and_need_review(tmp_store):
    news = {
        "imposer": "CHN",
        "commodities": ["gallium"],
        "measure_type": "ban",
        "targets": ["USA"],
        "effective_date": "2024-12-03",
        "source": "news",
        "article_id": "a17",
        "evidence": "exports of gallium to the United States will in principle not be permitted",
    }
    rid = add_restriction(tmp_store, news)
    again = add_restriction(tmp_store, dict(news, id="something-else", notes="re-extracted"))
    assert again == rid
    assert rid not in ids(restrictions(tmp_store))
    assert rid in ids(restrictions(tmp_store, include_unreviewed=True))
    review_restriction(tmp_store, rid, accepted=True)
    assert rid in ids(restrictions(tmp_store))
    review_restriction(tmp_store, rid, accepted=False)
    assert rid not in ids(restrictions(tmp_store, include_unreviewed=True))
    assert reg.get_restriction(tmp_store, rid)["status"] == "rejected"


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("imposer", "Chinna", "China|CHN"),
        ("measure_type", "embargo", "measure_type"),
        ("effective_date", "1st of May", "ISO date"),
        ("commodities", "unobtainium", "commodity"),
        ("colour", "red", "restriction field"),
    ],
)
def test_bad_records_name_the_field(field, value, match):
    rec = {"imposer": "CHN", "measure_type": "ban", "commodities": ["graphite"], field: value}
    with pytest.raises(DataError, match=match) as info:
        reg.validate(rec)
    assert info.value.field == field


def test_a_restrictions_mapping_file_names_the_line_of_a_bad_record(tmp_path):
    # the `restrictions:` form of a file used to lose its line numbers
    y = tmp_path / "measures.yaml"
    y.write_text(
        "# exported from the registry\nrestrictions:\n"
        "  - imposer: ZWE\n    commodities: [lithium]\n    measure_type: ban\n"
        "  - imposer: CHN\n    commodities: [graphite]\n    measure_type: prohibition\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as info:
        reg.read_file(y)
    assert info.value.line == 6 and info.value.field == "measure_type"


def test_record_lines_by_hand():
    from critmin.yamldoc import record_lines

    text = "- a: 1\n  b: 2\n\n- a: 3\n"
    assert record_lines(text) == [1, 4]
    assert record_lines("feeds:\n  - url: x\n  - url: y\n", "feeds") == [2, 3]
    assert record_lines("feeds:\n  - url: x\n", "other") == []
    assert record_lines("just: a mapping\n") == []
    assert record_lines("") == []


def test_import_yaml_and_csv_files_with_line_numbers(tmp_store, tmp_path):
    y = tmp_path / "measures.yaml"
    y.write_text(
        "- imposer: ZWE\n  commodities: [lithium]\n  measure_type: ban\n  effective_date: 2022-12-20\n"
        "  title: Raw lithium ore export ban\n"
        "- imposer: CHN\n  commodities: [graphite]\n  measure_type: prohibition\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as info:
        import_restrictions(tmp_store, y)
    assert info.value.line == 6 and info.value.field == "measure_type"
    assert restrictions(tmp_store, imposer="ZWE").empty  # all or nothing
    c = tmp_path / "measures.csv"
    c.write_text(
        "imposer,commodities,measure_type,targets,effective_date,title\n"
        "ZWE,lithium,ban,,2022-12-20,Raw lithium ore export ban\n"
        "CHN,graphite;rare earths,licence,USA;JPN,2030-01-01,hypothetical\n",
        encoding="utf-8",
    )
    got = import_restrictions(tmp_store, c)
    assert len(got) == 2
    hypo = reg.get_restriction(tmp_store, got[1])
    assert hypo["targets"] == ["USA", "JPN"] and hypo["commodities"] == ["graphite", "rare_earths"]


def test_export_round_trips(tmp_path):
    df = restrictions(relaxations=True)
    for suffix in (".yaml", ".csv", ".json"):
        path = reg.export_records(df, tmp_path / f"out{suffix}")
        back = reg.read_file(path, default_source="seed")
        assert [r["id"] for r in back] == list(df["id"])
        assert back == [reg.validate(r, default_source="seed") for r in df.to_dict("records")]


def _rec(id, imposer, commodities, **kw):
    base = {f: None for f in reg.FIELDS}
    base.update(id=id, imposer=imposer, commodities=commodities, targets=[], relaxes=[], status="in_force")
    base.update(kw)
    return base


def test_a_ban_on_all_dual_use_items_reaches_only_the_minerals_the_imposer_controls():
    recs = [
        _rec("a", "CHN", ["gallium", "germanium"]),
        _rec("b", "CHN", ["critical_minerals"], targets=["JPN"]),
        _rec("c", "IDN", ["nickel"]),
        _rec("d", "CHN", ["lithium"], relaxes=["x"]),  # a relaxation controls nothing
    ]
    assert reg.controlled_minerals(recs, "CHN") == {"gallium", "germanium"}
    assert reg.controlled_minerals(recs, "IDN") == {"nickel"}
    assert reg.controlled_minerals(recs, "USA") == set()
    # the seed on 2026-12-01: China's licences in force; the October 2025 lithium/graphite-anode package is
    # suspended, and copper, platinum and niobium were never on its list
    chn = reg.controlled_minerals(restrictions(in_force="2026-12-01").to_dict("records"), "CHN")
    assert {"gallium", "graphite", "antimony", "tungsten", "rare_earths"} <= chn
    assert not {"copper", "platinum_group", "niobium", "lithium", "critical_minerals"} & chn


def test_a_suspension_whose_term_has_run_out_is_reported_with_what_it_suspended():
    recs = restrictions(relaxations=True).to_dict("records")
    # China's suspensions ran until 10 Nov 2026 (Ann. 70/2025) and 27 Nov 2026 (Ann. 72/2025)
    assert reg.lapsed_relaxations(recs, "2026-06-01") == []
    lapsed = reg.lapsed_relaxations(recs, "2026-12-01")
    assert [r["id"] for r in lapsed] == [
        "CHN-2025-11-07-suspension-october-package",
        "CHN-2025-11-09-suspension-ann46-clause2",
    ]
    assert {s["id"] for s in lapsed[1]["suspended"]} == {
        "CHN-2024-12-03-usa-ga-ge-sb",
        "CHN-2024-12-03-usa-graphite",
    }
    assert len(lapsed[0]["suspended"]) == 6
    # the day the term ends counts (end_date is exclusive); long-past ones are not news
    assert len(reg.lapsed_relaxations(recs, "2026-11-10")) == 1
    assert reg.lapsed_relaxations(recs, "2030-01-01") == []


def test_a_renewed_suspension_has_not_lapsed():
    recs = restrictions(relaxations=True).to_dict("records")
    old = next(r for r in recs if r["id"] == "CHN-2025-11-09-suspension-ann46-clause2")
    renewal = {**old, "id": "renewal", "effective_date": "2026-11-27", "end_date": "2027-11-27"}
    assert [r["id"] for r in reg.lapsed_relaxations([*recs, renewal], "2026-12-01")] == [
        "CHN-2025-11-07-suspension-october-package"
    ]
    notes = reg.lapse_notes(recs, "2026-12-01")
    assert len(notes) == 2 and "2026-11-10" in notes[0] and "rare earths" in notes[0]
    assert "to USA" in notes[1] and "not counted as in force on 2026-12-01" in notes[1]
