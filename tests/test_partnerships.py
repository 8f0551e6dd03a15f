"""The partnerships table (contract 2): seed, store overrides, validation, idempotent adds, review, files, CLI."""

from __future__ import annotations

import pytest

from critmin.errors import DataError, UnknownValueError
from critmin.reference import partnerships as pt
from critmin.store import Store


def test_seed_has_the_issue_records_with_sources():
    recs = {r["id"]: r for r in pt.seed()}
    sp = recs["JPN-ITA-special-strategic-2026"]
    assert sp["parties"] == ["JPN", "ITA"]
    assert (sp["level"], sp["previous_level"], sp["date"]) == ("special strategic", "strategic", "2026-01-16")
    assert recs["JPN-ITA-strategic-2023"]["end_date"] == "2026-01-16"
    cma = recs["USA-JPN-critical-minerals-agreement-2023"]
    assert cma["date"] == "2023-03-28" and cma["level"] == "critical minerals agreement"
    assert set(cma["minerals"]) == {"cobalt", "graphite", "lithium", "manganese", "nickel"}
    assert recs["USA-JPN-framework-2025"]["date"] == "2025-10-28"
    assert recs["AUS-USA-framework-2025"]["date"] == "2025-10-20"
    for r in recs.values():
        assert r["source_url"].startswith("https://"), r["id"]
        assert r["source"] == "seed" and r["reviewed"] is True
        assert r["kind"] == ("bilateral" if len(r["parties"]) == 2 else "plurilateral")


def test_as_of_returns_the_level_in_force_on_the_day(store_path):
    before = pt.partnerships(store_path, country="JPN", as_of="2025-12-31")
    after = pt.partnerships(store_path, country="JPN", as_of="2026-01-16")
    jpn_ita = lambda df: df[df["parties"].map(lambda p: set(p) == {"JPN", "ITA"})]["level"].tolist()  # noqa: E731
    assert jpn_ita(before) == ["strategic"]
    assert jpn_ita(after) == ["special strategic"]
    # the 2025 framework did not exist in 2024
    assert "USA-JPN-framework-2025" not in set(pt.partnerships(store_path, as_of=2024)["id"])


def test_country_filter_follows_bloc_membership(store_path):
    ita = pt.partnerships(store_path, country="Italy", as_of="2025-01-01")
    eu_can = ita[ita["id"] == "EU27-CAN-strategic-partnership-2021"]
    assert eu_can["via"].tolist() == ["EU27"]
    jpn = pt.partnerships(store_path, country="JPN")
    assert "EU27-CAN-strategic-partnership-2021" not in set(jpn["id"])


def test_mineral_filter_keeps_general_and_all_minerals_records(store_path):
    df = pt.partnerships(store_path, mineral="REE")
    assert "USA-JPN-framework-2025" in set(df["id"])
    assert "USA-JPN-critical-minerals-agreement-2023" not in set(df["id"])  # battery minerals only
    assert "JPN-ITA-strategic-2023" in set(df["id"])  # general partnership


def test_add_is_idempotent_and_store_overrides_seed(tmp_store):
    rec = {"parties": ["Japan", "Canada"], "level": "MoU", "date": "2026-03-01", "minerals": ["graphite"]}
    pid = pt.add_partnership(tmp_store, rec)
    assert pid == "JPN-CAN-mou-2026"
    assert pt.add_partnership(tmp_store, rec) == pid
    df = pt.partnerships(tmp_store)
    assert (df["id"] == pid).sum() == 1
    row = df[df["id"] == pid].iloc[0]
    assert row["parties"] == ["JPN", "CAN"] and row["source"] == "user" and bool(row["reviewed"])
    # partial update of a seed record: only the given fields change, the store row wins
    pt.add_partnership(tmp_store, {"id": "AUS-USA-framework-2025", "status": "in_force"})
    row = pt.partnerships(tmp_store).set_index("id").loc["AUS-USA-framework-2025"]
    assert row["status"] == "in_force" and row["date"] == "2025-10-20" and row["source"] == "user"
    # the seed itself is untouched
    assert {r["id"]: r for r in pt.seed()}["AUS-USA-framework-2025"]["status"] == "signed"


def test_news_records_need_review_and_dedupe_on_article_evidence(tmp_store):
    rec = {
        "parties": ["JPN", "IND"],
        "level": "MoU",
        "date": "2026-02-10",
        "source": "news",
        "article_id": "a1",
        "evidence": "Japan and India signed a memorandum on rare earths.",
    }
    pid = pt.add_partnership(tmp_store, rec)
    assert pid not in set(pt.partnerships(tmp_store)["id"])
    assert pid in set(pt.partnerships(tmp_store, include_unreviewed=True)["id"])
    # same article + evidence with a different level -> updates, no duplicate
    pid2 = pt.add_partnership(tmp_store, {**rec, "level": "framework", "id": None})
    assert pid2 == pid
    df = pt.partnerships(tmp_store, include_unreviewed=True)
    assert df[df["article_id"] == "a1"]["level"].tolist() == ["framework"]
    pt.review_partnership(tmp_store, pid, accepted=True)
    assert pid in set(pt.partnerships(tmp_store)["id"])


def test_rejected_records_disappear(tmp_store):
    pt.review_partnership(tmp_store, "USA-UKR-minerals-agreement-2025", accepted=False)
    df = pt.partnerships(tmp_store, include_unreviewed=True)
    assert "USA-UKR-minerals-agreement-2025" not in set(df["id"])
    with pytest.raises(UnknownValueError, match="did you mean"):
        pt.review_partnership(tmp_store, "USA-UKR-minerals-agreement-202", accepted=True)


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        ({"parties": ["JPN"], "level": "MoU"}, "parties", "at least two"),
        ({"parties": ["JPN", "Itly"], "level": "MoU"}, "parties", "ITA"),
        ({"parties": ["JPN", "ITA"], "level": ""}, "level", "level is required"),
        ({"parties": ["JPN", "ITA"], "level": "MoU", "date": "16/01/2026"}, "date", "YYYY-MM-DD"),
        ({"parties": ["JPN", "ITA"], "level": "MoU", "minerals": ["unobtainium"]}, "minerals", "unknown"),
        ({"parties": ["JPN", "ITA"], "level": "MoU", "status": "singed"}, "status", "signed"),
        ({"parties": ["JPN", "ITA"], "level": "MoU", "levle": "x"}, "levle", "did you mean level"),
        (
            {"parties": ["JPN", "ITA"], "level": "MoU", "date": "2026-01-02", "end_date": "2025-01-01"},
            "end_date",
            "before",
        ),
        ({"parties": ["JPN", "ITA", "USA"], "kind": "bilateral", "level": "MoU"}, "kind", "exactly 2"),
    ],
)
def test_bad_records_name_the_field(record, field, message):
    with pytest.raises(DataError, match=message) as exc:
        pt.validate(record)
    assert exc.value.field == field


def test_import_yaml_is_all_or_nothing_and_names_the_line(tmp_store, tmp_path):
    good = tmp_path / "p.yaml"
    good.write_text(
        "partnerships:\n  - parties: [JPN, CAN]\n    level: MoU\n    date: 2026-03-01\n"
        "  - parties: [ITA, AUS]\n    level: framework\n    date: 2026-04-01\n    minerals: [REE]\n"
    )
    ids = pt.import_partnerships(tmp_store, good)
    assert ids == ["JPN-CAN-mou-2026", "ITA-AUS-framework-2026"]
    assert pt.partnerships(tmp_store).set_index("id").loc["ITA-AUS-framework-2026", "minerals"] == [
        "rare_earths"
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- parties: [JPN, KOR]\n  level: MoU\n  date: 2026-05-01\n- parties: [JPN, Atlantis]\n  level: MoU\n"
    )
    with pytest.raises(DataError) as exc:
        pt.import_partnerships(tmp_store, bad)
    assert exc.value.line == 4 and exc.value.field == "parties" and "bad.yaml" in str(exc.value)
    assert "JPN-KOR-mou-2026" not in set(pt.partnerships(tmp_store)["id"])


def test_import_csv_and_export_round_trip(tmp_store, tmp_path):
    src = tmp_path / "p.csv"
    src.write_text(
        "parties,level,date,minerals,status\nJPN;ITA,joint statement,2026-01-16,rare_earths;graphite,agreed\n"
    )
    (pid,) = pt.import_partnerships(tmp_store, src)
    out = tmp_path / "all.yaml"
    n = pt.export_partnerships(tmp_store, out)
    assert n == len(pt.partnerships(tmp_store))
    other = tmp_path / "other.duckdb"
    Store(other).close()
    pt.import_partnerships(other, out)
    a = pt.partnerships(tmp_store).set_index("id")
    b = pt.partnerships(other).set_index("id")
    assert sorted(a.index) == sorted(b.index)
    assert b.loc[pid, "minerals"] == ["rare_earths", "graphite"]
    with pytest.raises(DataError, match=r"line|parties|unknown"):
        bad = tmp_path / "bad.csv"
        bad.write_text("parties,level\nJPN;XXQ,MoU\n")
        pt.import_partnerships(tmp_store, bad)


def test_cli_partnerships_list_add_review(tmp_store, tmp_path):
    from typer.testing import CliRunner

    from critmin.cli.main import app

    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "--db",
            str(tmp_store),
            "partnerships",
            "add",
            "--parties",
            "JPN,CAN",
            "--level",
            "MoU",
            "--date",
            "2026-03-01",
            "--minerals",
            "graphite",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "JPN-CAN-mou-2026" in res.output
    out = tmp_path / "p.csv"
    res = runner.invoke(
        app, ["--db", str(tmp_store), "partnerships", "list", "--country", "CAN", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "JPN-CAN-mou-2026" in text and "JPN;CAN" in text
