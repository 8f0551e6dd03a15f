"""``critmin risk``: GeoPolRisk, EU CRM supply risk, production concentration and origin tracing side by side.

The table path runs the vectorised engine straight on the store and prints or copies its result with
DuckDB: pandas is not imported, which keeps a cold run short (see benchmarks/risk_engine.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import AsOf, RiskWeight, check_output, parse_years, progress, risk_weight_options
from critmin.formats import percent

CHART_FORMATS = (".html", ".png", ".svg", ".pdf")
#: short column headings (the table must fit an 80-column terminal)
HEADINGS = {
    "geopolrisk": "GPR",
    "geopolrisk_cf": "CF",
    "eu_sr": "EU SR",
    "hhi": "HHI",
    "import_hhi": "imp HHI",
    "import_reliance": "NIR",
    "origin": "origin",
}
#: flags worth a word in the terminal, shortened; the full list is in the table written with --out
SHORT_FLAGS = {
    "production_share_proxy": "proxy",
    "no_trade_code": "no HS code",
    "no_trade_flows": "no flows",
    "no_recorded_imports": "no imports",
    "value_without_quantity": "value w/o qty",
    "trade_production_basis_mismatch": "basis mismatch",
    "mixed_units": "mixed units",
    "production_proxy_stage": "mine-stage prod.",
    "no_production_data": "no prod. data",
    "method_break": "method break",
    "origin_undefined": "undefined",
}


def register(app: typer.Typer) -> None:
    app.command("risk")(risk_command)
    app.command("eu-crm-2023")(eu_crm_2023_command)


def eu_crm_2023_command(
    ctx: typer.Context,
    years: Annotated[
        str, typer.Option(help="Window averaged, as the study's 2016-2020 (production from 2018).")
    ] = "2016-2020",
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the reproduction table of docs/risk-methods.md.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="Every stage with its inputs: .csv/.json/.parquet.")
    ] = None,
) -> None:
    """Recompute the EU 2023 critical-raw-materials supply risk (Grohol & Veeh 2023) from critmin's data with
    the study's published SI_SR, EoL-RIR, IR and t_c, and compare with the published values."""
    from rich.console import Console

    from critmin.cli.common import dataset, write_table
    from critmin.indicators.eu_crm import reproduce_2023, reproduction_markdown

    _, ys = parse_years(None, years)
    if out is not None:
        check_output(out)
    with progress("EU 2023 reproduction", total=2) as step:
        ds = dataset(ctx)
        step("computing")
        table = reproduce_2023(ds, years=ys)
        step()
    if out is not None:
        write_table(table, out)
    text = reproduction_markdown(table)
    if markdown:
        print(text, end="")
    else:
        Console().print(text, highlight=False, markup=False)


def risk_command(
    ctx: typer.Context,
    parties: Annotated[
        str,
        typer.Option(
            "--for", help="Importers: ISO3 codes, names, blocs (G7, EU ...) or unions like JPN+ITA."
        ),
    ],
    method: Annotated[
        str,
        typer.Option(
            "--method",
            "-m",
            help="Methods, comma-separated: geopolrisk, geopolrisk_cf, eu_sr, hhi, import_hhi, import_reliance, "
            "origin, or all.",
        ),
    ] = "geopolrisk,eu_sr,hhi,origin",
    year: Annotated[int | None, typer.Option(help="Year (default: latest trade year).")] = None,
    years: Annotated[str | None, typer.Option(help="Time series, e.g. 2018-2024.")] = None,
    commodity: Annotated[
        str | None, typer.Option("--commodity", "-c", help="Commodities (default: the whole catalogue).")
    ] = None,
    missing: Annotated[
        str, typer.Option(help="Governance missing for an exporter: neutral (0.5), worst, best or exclude.")
    ] = "neutral",
    units: Annotated[
        str,
        typer.Option(help="GeoPolRisk basis: 'content' (no ore/metal mixing) or 'gross' (as geopolrisk-py)."),
    ] = "content",
    share_of: Annotated[
        str, typer.Option(help="Origin whose traced share the origin method reports.")
    ] = "CHN",
    risk_weight: RiskWeight = "wgi",
    as_of: AsOf = None,
    proxy: Annotated[
        bool,
        typer.Option(
            "--proxy/--no-proxy",
            help="Rank minerals without trade data (gallium, germanium, indium ...) by the production-share "
            "proxy, flagged as such.",
        ),
    ] = True,
    matrix: Annotated[
        bool, typer.Option("--matrix", help="Render the risk matrix (concentration vs dependence) to --out.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Table: .csv/.json/.parquet; with --matrix a chart: .html (offline), .png, .svg, .pdf."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not print the table.")] = False,
) -> None:
    """Supply-risk methods side by side in one tidy table: party, commodity, stage, year, method, value (with
    its range where one is computed), inputs used, flags and provenance."""
    # many small linear solves: one BLAS thread (set before numpy loads)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from rich.markup import escape

    from critmin.errors import UnknownValueError
    from critmin.indicators.engine import METHODS, check_methods

    risk_weight = risk_weight_options(risk_weight, as_of)
    year, year_list = parse_years(year, years)
    ys = year_list if year_list is not None else year
    from critmin.cli.render import console as render_console

    console = render_console()
    if matrix:
        _matrix(ctx, console, parties, ys, commodity, missing, out)
        return
    methods = list(METHODS) if method.strip().lower() == "all" else check_methods(method)
    if out is not None:
        check_output(out)
    from critmin.indicators.risk import risk_result
    from critmin.store import Store

    with progress("risk", total=len(methods) + 2) as step:
        store = Store((ctx.obj or {}).get("db") if ctx is not None else None, with_basis=True)
        store.ensure_basis()  # before the connection is shared: a rebuild replaces it
        previous = _share_connection(store)
        step("inputs")

        def compute():
            return risk_result(
                store,
                parties,
                methods,
                ys,
                commodity,
                share_of=share_of,
                missing=missing,
                units=units,
                proxy=proxy,
                risk_weight=risk_weight,
                as_of=as_of,
                eu_sr_latest=True,
                progress=lambda msg: step(msg),
            )

        try:
            res = _within_small_memory(store, compute)
            try:
                if out is not None:
                    res.write(out)
                cols, rows = res.rows()
            finally:
                res.close()
        finally:
            # the database instance may be shared in-process (the API, tests): leave its settings as found
            _default_memory(store.con)
            _restore_connection(previous)
            store.close()
        step()
    if not rows:
        raise UnknownValueError(
            "selection", parties, hint="no result for these parties, commodities and years"
        )
    if not quiet:
        _print(console, cols, rows, methods, share_of, risk_weight)
    if out is not None:
        console.print(f"[green]wrote[/] {escape(str(out))} ({len(rows)} rows)")


#: DuckDB's memory on the command line (it caches the store's blocks up to its limit, 80 % of RAM by default);
#: beyond it, intermediate results spill to a temporary directory
CLI_MEMORY_LIMIT = os.environ.get("CRITMIN_MEMORY_LIMIT", "48MB")


def _share_connection(store):
    """Let DuckDB's module-level queries (the country and bloc tables read from the embedded Parquet) use the
    store's connection instead of starting a second database instance; returns the previous default."""
    import duckdb

    if not hasattr(duckdb, "set_default_connection"):
        return None
    previous = (
        duckdb.default_connection() if callable(duckdb.default_connection) else duckdb.default_connection
    )
    duckdb.set_default_connection(store.con)
    return previous


def _restore_connection(previous) -> None:
    """Give DuckDB back its module-level default connection (the store's is about to close)."""
    import duckdb

    if previous is not None and hasattr(duckdb, "set_default_connection"):
        duckdb.set_default_connection(previous)


def _default_memory(con) -> None:
    for setting in ("memory_limit", "threads", "preserve_insertion_order"):
        con.execute(f"RESET {setting}")


def _within_small_memory(store, compute):
    """Run ``compute`` with DuckDB capped at :data:`CLI_MEMORY_LIMIT` (one thread, spilling to a temp dir):
    a few parties and years fit, and the command stays small. A request too large for the cap runs again with
    DuckDB's default limit."""
    import contextlib
    import tempfile

    import duckdb

    spill = Path(tempfile.gettempdir()) / f"critmin-duckdb-{os.getuid()}"
    con = store.con
    # an instance shared in-process that has spilled already keeps its directory
    with contextlib.suppress(duckdb.NotImplementedException):
        con.execute(f"SET temp_directory = '{spill}'")
    con.execute(f"SET memory_limit = '{CLI_MEMORY_LIMIT}'")
    con.execute("SET threads = 1")
    con.execute("SET preserve_insertion_order = false")
    try:
        return compute()
    except duckdb.OutOfMemoryException:
        _default_memory(con)
        return compute()


def _matrix(ctx, console, parties, ys, commodity, missing, out) -> None:
    from rich.markup import escape

    from critmin.cli.common import dataset
    from critmin.errors import UnknownValueError
    from critmin.indicators import risk as risk_mod

    if out is None:
        raise UnknownValueError(
            "chart file", "", CHART_FORMATS, hint="--matrix needs --out FILE.html|png|svg"
        )
    if out.suffix.lower() not in CHART_FORMATS:
        raise UnknownValueError(
            "chart format", out.suffix or str(out), CHART_FORMATS, hint="use .html, .png, .svg or .pdf"
        )
    with progress("risk matrix", total=3) as step:
        ds = dataset(ctx)
        step("computing")
        labels = [p.strip() for p in parties.split(",") if p.strip()]
        if len(labels) != 1:
            raise UnknownValueError("party for --matrix", parties, hint="give one country or bloc")
        m = risk_mod.risk_matrix(ds, labels[0], ys, commodity, missing=missing)
        step("drawing")
        risk_mod.render_matrix(m, out)
        step()
    console.print(f"[green]wrote[/] {escape(str(out))} ({len(m)} commodity stages)")


def _cell(method: str, value, low, high, status: str) -> str:
    """One value for the terminal: shares in %, a range in brackets, a proxy marked ``~``."""
    if value is None:
        return "—" if status != "mixed units" else "mixed"
    if method in ("origin", "import_reliance"):
        text = percent(value)
        if low is not None and high is not None and (high - low) >= 0.005:
            text += f" ({100 * low:.0f}–{100 * high:.0f})"
    else:
        text = f"{value:.2f}" if method in ("eu_sr", "geopolrisk_cf") else f"{value:.3f}"
    return ("~" + text) if status == "proxy" else text


#: the longest display name a column heading carries (a longer one, e.g. Democratic Republic of the Congo,
#: would wrap the heading over many lines: its code stands in and the footnote names it)
HEADING_NAME_CHARS = 14


def _origin_names(share_of: str, year: int) -> tuple[str, str]:
    """(heading label, display name) of the ``--share-of`` origin: 'China' for CHN; the code in the heading
    only when the name is longer than :data:`HEADING_NAME_CHARS`."""
    from critmin.reference import blocs

    try:
        p = blocs.party(share_of, year)
    except Exception:  # already validated by the engine; a label it took stays as given
        return share_of, share_of
    label = p.name if len(p.name) <= HEADING_NAME_CHARS else p.label
    return label, p.name


def _print(
    console, cols: list[str], rows: list[tuple], methods: list[str], share_of: str, risk_weight: str = "wgi"
) -> None:
    ix = {c: i for i, c in enumerate(cols)}
    by_party: dict[str, dict] = {}
    latest_year = False
    for r in rows:
        party = r[ix["party"]]
        p = by_party.setdefault(party, {"name": r[ix["party_name"]], "keys": {}})
        key = (r[ix["commodity"]], r[ix["stage"]], r[ix["year"]])
        entry = p["keys"].setdefault(key, {"cells": {}, "flags": set()})
        method = r[ix["method"]]
        cell = _cell(method, r[ix["value"]], r[ix["value_low"]], r[ix["value_high"]], r[ix["status"]])
        flags = json.loads(r[ix["flags"]] or "[]")
        if method == "eu_sr" and "reported_stage" in flags:
            cell += "*"
        latest = r[ix["eu_sr_year"]] if "eu_sr_year" in ix and r[ix["value"]] is None else None
        if method == "eu_sr" and latest is not None:
            # the stage's production series ends before the year: its latest year, said (as the briefing)
            cell = f"{r[ix['eu_sr_latest']]:.2f} ({latest})"
            latest_year = True
        entry["cells"][method] = cell
        for f in flags:
            short = SHORT_FLAGS.get(f.split(":")[0])
            if short:
                entry["flags"].add(short)
    multi_year = len({k[2] for p in by_party.values() for k in p["keys"]}) > 1
    shown = [
        m for m in methods if any(m in e["cells"] for p in by_party.values() for e in p["keys"].values())
    ]
    from critmin.cli import render
    from critmin.cli.render import Col

    origin_label, origin_name = _origin_names(
        share_of, max(int(k[2]) for p in by_party.values() for k in p["keys"])
    )
    labels = {
        "geopolrisk": "GeoPolRisk" if risk_weight != "coercion" else "GeoPolRisk (coercion)",
        "geopolrisk_cf": "GeoPolRisk CF" if risk_weight != "coercion" else "GeoPolRisk CF (coercion)",
        "eu_sr": "EU supply risk",
        "hhi": "World HHI",
        "import_hhi": "Import HHI",
        "import_reliance": "Net import reliance",
        "origin": f"{origin_label} traced origin",
    }
    cols = [Col("name", "Mineral · stage", "name", 0, min_width=14)]
    if multi_year:
        cols.append(Col("year", "Year", "code", 0))
    cols += [Col(m, labels.get(m, HEADINGS[m]), "num", 0 if k < 3 else k) for k, m in enumerate(shown)]
    cols.append(Col("notes", "Notes", "name", len(shown) + 1, min_width=12))
    for party, p in by_party.items():
        rows = [
            {
                "name": f"{com.replace('_', ' ')} · {stage}",
                "year": str(yr),
                **{m: e["cells"].get(m, "") for m in shown},
                "notes": ", ".join(sorted(e["flags"])),
            }
            for (com, stage, yr), e in p["keys"].items()
        ]
        render.render(rows, cols, title=f"{p['name']} ({party}): supply risk", out=console)
    weight = (
        " with the coercion-aware supplier weight (WGI instability, UNGA distance, restriction record; "
        "not comparable with published GeoPolRisk values)"
        if risk_weight == "coercion"
        else ""
    )
    console.print(
        f"GeoPolRisk: score 0-1{weight}. EU supply risk*: the stage the EU method reports"
        f"{'; 1.23 (yyyy): the year has no production of the stage, its latest year with one' if latest_year else ''}"
        f". {origin_label} traced "
        f"origin: share of supply traced to {'it' if origin_label == origin_name else origin_name} through "
        "re-exports, (low–high) across balancing options and production sources. ~: production-share proxy "
        "(no trade data). Inputs, flags and provenance per row with --out.",
        highlight=False,
    )
