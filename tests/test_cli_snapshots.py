"""Snapshots of the terminal tables at 80 and 120 columns and piped, for the commands people read most.

The snapshots are the commands' real output on the embedded data. When the data or a table changes on
purpose, regenerate them with ``CRITMIN_UPDATE_SNAPSHOTS=1 pytest tests/test_cli_snapshots.py`` and read the
diff. Besides equality, every run checks what a reader relies on: no line wider than the terminal, and every
number of the table printed whole (never cut or wrapped).
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli.main import app

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("CRITMIN_UPDATE_SNAPSHOTS") == "1"
REPO = Path(__file__).resolve().parents[1]
WIDTHS = (80, 120, None)  # None: piped (no terminal, no COLUMNS)

COMMANDS = {
    "exposure": ["exposure", "--for", "JPN", "--year", "2024", "-c", "rare_earths,lithium,graphite,antimony,tin,gallium"],
    "restrictions-list": ["restrictions", "list", "--in-force", "2025-06-01"],
    "news-events": ["news", "events"],
    "optimize": [
        "optimize", "--for", "JPN", "--commodity", "rare_earths", "--stage", "refined", "--year", "2024",
        "--partners", "G7,AUS", "--max-share", "0.65",
    ],
    "optimize-coercion": [
        "optimize", "--for", "JPN", "--commodity", "rare_earths", "--stage", "refined", "--year", "2024",
        "--risk-weight", "coercion",
    ],
    "partners": ["partners", "--for", "JPN", "--with", "G7,AUS,KOR,IND,CHN,RUS"],
    "partnerships-list": ["partnerships", "list", "--country", "ITA"],
    "risk-coercion": [
        "risk", "--for", "JPN", "--year", "2023", "-c", "rare_earths,graphite,gallium", "--risk-weight", "coercion",
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def news_store(store_path, tmp_path_factory):
    """A copy of the session store with one shipped news text ingested (CC BY 4.0, corpus/news/texts)."""
    path = tmp_path_factory.mktemp("snap") / "critmin.duckdb"
    shutil.copy(store_path, path)
    r = CliRunner().invoke(
        app,
        [
            "--db",
            str(path),
            "news",
            "ingest",
            str(REPO / "corpus/news/texts/c005.txt"),
            "--published",
            "2024-09-27",
        ],
    )
    assert r.exit_code == 0, r.output
    return path


def run(db: Path, args: list[str], width: int | None) -> str:
    env = {"COLUMNS": str(width) if width else None, "NO_COLOR": "1", "TERM": "dumb"}
    r = CliRunner().invoke(app, ["--db", str(db), *args], env=env)
    assert r.exit_code == 0, r.output
    return "\n".join(line.rstrip() for line in r.stdout.splitlines()) + "\n"


@pytest.mark.parametrize("width", WIDTHS, ids=["80", "120", "piped"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_snapshot(name, width, store_path, news_store):
    db = news_store if name == "news-events" else store_path
    out = run(db, COMMANDS[name], width)
    snap = SNAPSHOTS / f"{name}-{width or 'piped'}.txt"
    if UPDATE or not snap.exists():
        snap.write_text(out, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"wrote a new snapshot {snap.name}: read it, commit it, and run again")
    if width:
        assert max(len(line) for line in out.splitlines()) <= width
    assert out == snap.read_text(encoding="utf-8"), (
        f"{snap.name} differs (CRITMIN_UPDATE_SNAPSHOTS=1 to renew)"
    )


def _whole(text: str, token: str) -> bool:
    return re.search(rf"(?<![\w.,]){re.escape(token)}(?![\w.,])", text) is not None


@pytest.mark.parametrize("width", WIDTHS, ids=["80", "120", "piped"])
def test_exposure_numbers_are_printed_whole(width, store_path):
    """Every import value and China share of the CSV is in the table as one unbroken token."""
    from critmin.cli.render import format_value

    out = run(store_path, COMMANDS["exposure"], width)
    csv = run(store_path, [*COMMANDS["exposure"], "--format", "csv"], None)
    df = pd.read_csv(io.StringIO(csv))
    for r in df.itertuples(index=False):
        if r.import_value_kusd == r.import_value_kusd:
            assert _whole(out, format_value(r.import_value_kusd, "kusd")), r.commodity
        if r.share_from_CHN == r.share_from_CHN:
            assert _whole(out, format_value(r.share_from_CHN, "pct")), r.commodity


def test_restrictions_list_shows_more_than_ids(store_path):
    out = run(store_path, COMMANDS["restrictions-list"], 80)
    assert "gallium" in out and "licence" in out and "2023-08-01" in out


def test_news_evidence_is_not_one_letter_per_line(news_store):
    out = run(news_store, COMMANDS["news-events"], 80)
    assert not re.search(r"^\s*\S\s*$", out, flags=re.M)


@pytest.mark.parametrize("width", (80, 120), ids=["80", "120"])
def test_optimize_shows_the_weight_it_minimises_whole(width, store_path, tmp_path):
    """With --risk-weight coercion the mix shows gᶜ (not g) under a human label, every shown value whole."""
    from critmin.cli.render import format_value

    args = COMMANDS["optimize-coercion"]
    out = run(store_path, args, width)
    assert "weight gᶜ" in out and "Coercion" in out
    assert "Instability" not in out and "coercion-aware" in out
    run(store_path, [*args, "--out", str(tmp_path / "mix.csv")], None)
    mix = pd.read_csv(tmp_path / "mix.csv").head(15)
    for r in mix.itertuples(index=False):
        assert _whole(out, format_value(r.risk_weight, "num")), r.supplier
        assert _whole(out, format_value(r.current_tonnes, "tonnes")), r.supplier


@pytest.mark.parametrize("width", (80, 120), ids=["80", "120"])
def test_restriction_ids_are_whole_unique_and_typed_back_into_show(width, store_path):
    """The list shows each id's shortest unique start on one line; `show` takes it back (as git a short hash)."""
    from critmin.scenarios.registry import all_records, short_ids

    out = run(store_path, ["restrictions", "list"], width)
    short = short_ids(r["id"] for r in all_records(critmin_store(store_path)))
    assert len(set(short.values())) == len(short)
    shown = [s for s in short.values() if _whole(out, s)]
    assert shown, out
    for s in shown[:3]:
        full = next(k for k, v in short.items() if v == s)
        assert f"Export measure {full}" in run(store_path, ["restrictions", "show", s], 120)
    # a filtered list shows starts unique among every record, so each one shown is found again by `show`
    # (on 2026-12-01 one of three measures of 2024-12-03 is in force: its start alone would be ambiguous)
    filtered = run(store_path, ["restrictions", "list", "--in-force", "2026-12-01"], width)
    for token in set(re.findall(r"\b[A-Z]{3}-\d{4}-\d\d-\d\d[\w-]*", filtered)):
        shown_one = CliRunner().invoke(app, ["--db", str(store_path), "restrictions", "show", token])
        assert shown_one.exit_code == 0, (token, shown_one.exception)
    # an ambiguous start names the ids it fits
    r = CliRunner().invoke(app, ["--db", str(store_path), "restrictions", "show", "CHN-20"])
    assert r.exit_code != 0 and "ids start so" in str(r.exception)


def critmin_store(path):
    import critmin

    return critmin.open(str(path))


def test_piped_news_events_are_not_padded_to_the_pipe_width(news_store):
    """Piped, the console is 10,000 columns wide: the quoted evidence must not be padded out to it."""
    r = CliRunner().invoke(app, ["--db", str(news_store), *COMMANDS["news-events"]], env={"COLUMNS": None})
    assert r.exit_code == 0, r.output
    assert max(len(line) for line in r.stdout.splitlines()) < 400
