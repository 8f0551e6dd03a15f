"""Plotly figures as plain dicts (``{"data": [...], "layout": {...}}``), drawn in the browser by plotly.js.

The server only arranges numbers the Python API computed; nothing here calculates an indicator. Text that
can come from users or the news (registry titles, article headlines) is HTML-escaped, because plotly.js
interprets a few tags in labels.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12, "color": "#222"}
# Sequential scales from light to dark. Production and trade are very unequal (China often holds most of it), so
# the 'skewed' scales spend half their range on the first tenth of the values: small producers stay visible.
SCALES = {
    "blue": [[0, "#eef4fb"], [0.02, "#c6dbef"], [0.1, "#6baed6"], [0.3, "#2171b5"], [1, "#08306b"]],
    "red": [[0, "#fff0ec"], [0.02, "#fcbba1"], [0.1, "#fb6a4a"], [0.3, "#cb181d"], [1, "#67000d"]],
    "red-linear": [[0, "#fff0ec"], [0.25, "#fcbba1"], [0.5, "#fb6a4a"], [0.75, "#cb181d"], [1, "#67000d"]],
}
PALETTE = ["#1f5fa8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#2e4057", "#c47f3f"]


def esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=False)


def _layout(height: int = 380, **kw) -> dict:
    base = {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 20, "b": 50},
        "font": FONT,
        "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff",
        "colorway": PALETTE,
        "legend": {"orientation": "h", "y": -0.18},
        "hoverlabel": {"font": {"family": FONT["family"]}},
    }
    base.update(kw)
    return base


def _values(s) -> list:
    """A column as JSON-ready numbers (NaN → None)."""
    a = pd.to_numeric(pd.Series(s), errors="coerce").astype(float).to_numpy()
    return [None if not np.isfinite(v) else float(v) for v in a]


def _nan(v) -> float:
    return float("nan") if v is None else float(v)


def world_map(
    iso3: Sequence[str],
    values: Sequence[float],
    names: Sequence[str],
    *,
    unit: str,
    colorscale: str = "red",
    fmt: str = ",.0f",
    zmin: float | None = None,
    zmax: float | None = None,
) -> dict:
    """A world choropleth by ISO3 code (drawn from the bundled Natural Earth 1:110m map)."""
    trace = {
        "type": "choropleth",
        "locations": list(iso3),
        "z": _values(values),
        "text": [esc(n) for n in names],
        "locationmode": "ISO-3",
        "colorscale": SCALES[colorscale],
        "marker": {"line": {"color": "#fff", "width": 0.4}},
        "colorbar": {"title": {"text": esc(unit)}, "thickness": 12, "len": 0.8},
        "hovertemplate": "%{text} (%{location})<br>%{z:" + fmt + "} " + esc(unit) + "<extra></extra>",
    }
    if zmin is not None:
        trace["zmin"] = zmin
    if zmax is not None:
        trace["zmax"] = zmax
    geo = {
        "scope": "world",
        "resolution": 110,
        "projection": {"type": "natural earth", "rotation": {"lon": 0}},
        "center": {"lon": 0},
        "lonaxis": {"range": [-180, 180]},
        "showframe": False,
        "showcoastlines": False,
        "showcountries": True,
        "countrycolor": "#bbb",
        "countrywidth": 0.4,
        "showland": True,
        "landcolor": "#f0f0f0",
        "bgcolor": "#fff",
    }
    return {"data": [trace], "layout": _layout(420, margin={"l": 0, "r": 0, "t": 0, "b": 0}, geo=geo)}


def hbar(
    labels: Sequence[str], values: Sequence[float], *, unit: str, fmt: str = ",.0f", color: str = PALETTE[0]
) -> dict:
    """Horizontal bars, largest on top."""
    n = len(labels)
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [esc(x) for x in labels][::-1],
                "x": _values(values)[::-1],
                "marker": {"color": color},
                "hovertemplate": "%{y}: %{x:" + fmt + "} " + esc(unit) + "<extra></extra>",
            }
        ],
        "layout": _layout(
            max(220, 26 * n + 70),
            margin={"l": 170, "r": 20, "t": 10, "b": 40},
            xaxis={"title": {"text": esc(unit)}, "tickformat": fmt},
        ),
    }


def grouped_bars(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    unit: str,
    percent: bool = False,
    horizontal: bool = False,
) -> dict:
    """Bars of several series per category (e.g. direct vs traced share, current vs optimised tonnes)."""
    fmt = ".0%" if percent else ",.0f"
    cats = [esc(c) for c in categories]
    data = []
    for name, vals in series.items():
        bar = {
            "type": "bar",
            "name": esc(name),
            "hovertemplate": "%{fullData.name}: %{"
            + ("x" if horizontal else "y")
            + ":"
            + fmt
            + "}<extra>%{"
            + ("y" if horizontal else "x")
            + "}</extra>",
        }
        if horizontal:
            bar.update(orientation="h", y=cats[::-1], x=_values(vals)[::-1])
        else:
            bar.update(x=cats, y=_values(vals))
        data.append(bar)
    axis = {"title": {"text": esc(unit)}, "tickformat": fmt}
    if percent:
        axis["range"] = [0, 1.02]
    if horizontal:
        layout = _layout(
            max(260, 22 * len(cats) * max(1, len(series)) // 2 + 90),
            barmode="group",
            legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "traceorder": "reversed"},
            margin={"l": 190, "r": 20, "t": 40, "b": 60},
            xaxis=axis,
        )
    else:
        layout = _layout(
            400,
            barmode="group",
            margin={"l": 60, "r": 20, "t": 10, "b": 120},
            yaxis=axis,
            xaxis={"tickangle": -40},
        )
    return {"data": data, "layout": layout}


#: the risk matrix's plotting area at its narrowest (px; a phone scrolls a 600 px chart), for placing its labels
MATRIX_PLOT_PX = (440.0, 450.0)
MATRIX_X, MATRIX_Y = (0.0, 1.05), (-0.05, 1.12)


def matrix_labels(x, y, texts: Sequence[str], font_px: float = 10.0) -> list[dict]:
    """Plotly annotations naming the points (x, y) of the risk matrix without overlapping each other, placed
    by the briefing's greedy rule (:func:`critmin.report.charts._place_labels`, nearest free position first)
    on the plotting area's nominal size :data:`MATRIX_PLOT_PX`; a label with no free place is left out (the
    point's name is on hover and in the table)."""
    from critmin.report.charts import _place_labels

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)  # a point not drawn needs no label
    x, y, texts = x[ok], y[ok], [t for t, k in zip(texts, ok, strict=True) if k]
    if not len(texts):
        return []
    w, h = MATRIX_PLOT_PX
    px = np.column_stack(
        [
            (x - MATRIX_X[0]) / (MATRIX_X[1] - MATRIX_X[0]) * w,
            (y - MATRIX_Y[0]) / (MATRIX_Y[1] - MATRIX_Y[0]) * h,
        ]
    )
    width = max(len(t) for t in texts) * 0.56 * font_px
    offsets = _place_labels(px, np.full(len(texts), 121.0), width, 1.2 * font_px)
    out = []
    for xi, yi, t, (dx, dy) in zip(x, y, texts, offsets, strict=True):
        if not np.isfinite(dx):
            continue
        # the placement reserves the longest label's width: a box left of (or centred on) the point is
        # anchored at its right end (or centre) so that a shorter label stays next to its point
        anchor, shift = ("left", dx) if dx >= 0 else ("center", 0.0) if dx > -width else ("right", dx + width)
        out.append(
            {
                "x": float(xi),
                "y": float(yi),
                "text": esc(t),
                "showarrow": False,
                "xanchor": anchor,
                "yanchor": "bottom",
                "xshift": float(shift),
                "yshift": float(dy),
                "font": {"size": font_px},
            }
        )
    return out


def risk_matrix(m: pd.DataFrame, labelled: int = 8) -> dict:
    """World production concentration (x) against net import reliance (y); colour: GeoPolRisk score. The
    ``labelled`` highest GeoPolRisk scores carry their name where it fits without overlap (all on hover)."""
    names = m["name"] if "name" in m else m["commodity"].str.replace("_", " ")
    label = [f"{n} ({s})" for n, s in zip(names, m["stage"], strict=True)]
    gpr = m["geopolrisk"] if "geopolrisk" in m else pd.Series(np.nan, index=m.index)
    top = list(gpr.dropna().sort_values(ascending=False).index[:labelled])
    origin = m["origin"] if "origin" in m else pd.Series(np.nan, index=m.index)
    pos = [m.index.get_loc(i) for i in top]
    trace = {
        "type": "scatter",
        "mode": "markers",
        "x": _values(m["hhi"]),
        "y": _values(m["import_reliance"]),
        "hovertext": [esc(x) for x in label],
        "customdata": [[a, b] for a, b in zip(_values(gpr), _values(origin), strict=True)],
        "marker": {
            "size": 11,
            "color": [(-0.01 if v is None else v) for v in _values(gpr)],
            "colorscale": "Reds",
            "cmin": 0,
            "showscale": True,
            "colorbar": {"title": {"text": "GeoPolRisk"}, "thickness": 12},
            "line": {"width": 1, "color": "#333"},
        },
        "hovertemplate": "%{hovertext}<br>world HHI %{x:.2f}<br>net import reliance %{y:.0%}<br>GeoPolRisk %{customdata[0]:.3f}"
        "<br>China share, traced %{customdata[1]:.0%}<extra></extra>",
    }
    shapes = [
        {
            "type": "line",
            "x0": 0.25,
            "x1": 0.25,
            "y0": -0.05,
            "y1": 1.1,
            "line": {"dash": "dot", "color": "#999"},
        },
        {"type": "line", "x0": 0, "x1": 1.05, "y0": 0.5, "y1": 0.5, "line": {"dash": "dot", "color": "#999"}},
    ]
    return {
        "data": [trace],
        "layout": _layout(
            520,
            showlegend=False,
            shapes=shapes,
            annotations=matrix_labels(
                [_nan(trace["x"][i]) for i in pos],
                [_nan(trace["y"][i]) for i in pos],
                [label[i] for i in pos],
            ),
            xaxis={"title": {"text": "World production concentration (HHI, 0–1)"}, "range": list(MATRIX_X)},
            yaxis={"title": {"text": "Net import reliance"}, "range": list(MATRIX_Y), "tickformat": ".0%"},
        ),
    }


def lines(
    x: Sequence,
    series: dict[str, Sequence[float]],
    *,
    unit: str,
    percent: bool = False,
    y2: dict[str, Sequence[float]] | None = None,
    y2_unit: str = "",
) -> dict:
    """Time series; ``y2`` series go on a right-hand axis."""
    fmt = ".0%" if percent else ",.2f"
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": esc(name),
            "x": list(x),
            "y": _values(v),
            "hovertemplate": "%{x}: %{y:" + fmt + "}<extra>%{fullData.name}</extra>",
        }
        for name, v in series.items()
    ]
    layout = _layout(
        360,
        xaxis={"title": {"text": "year"}, "dtick": 2},
        yaxis={"title": {"text": esc(unit)}, "tickformat": fmt, "rangemode": "tozero"},
    )
    money = y2_unit == "USD"
    for name, v in (y2 or {}).items():
        bar = {
            "type": "bar",
            "name": esc(name),
            "x": list(x),
            "y": _values(v),
            "yaxis": "y2",
            "opacity": 0.35,
            "hovertemplate": "%{x}: %{y:,.0f}<extra>%{fullData.name}</extra>",
        }
        if money:  # 'USD 1.1 bn', as in the tables (plotly's own SI prefixes would say 'G')
            from critmin.report import fmt

            bar["text"] = [fmt(u / 1e3, "usd") if u is not None else "—" for u in bar["y"]]
            bar["textposition"] = "none"
            bar["hovertemplate"] = "%{x}: %{text}<extra>%{fullData.name}</extra>"
        data.append(bar)
    if y2:
        layout["yaxis2"] = {
            "title": {"text": esc(y2_unit)},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
        }
        if money:
            # round amounts (0.5B, 1B), not ticks synced to the left axis's grid (2.225B)
            layout["yaxis2"].update(exponentformat="B", tickmode="auto", nticks=6)
        layout["margin"] = {"l": 60, "r": 70, "t": 20, "b": 50}
    return {"data": data, "layout": layout}


def _short(text: str, limit: int = 36) -> str:
    """At most ``limit`` characters, cut at a word with an ellipsis ('Gallium, Germanium, Antimony, …')."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;") + " …"


def timeline(measures: pd.DataFrame, events: pd.DataFrame, today: str) -> dict:
    """Export measures as bars from their effective (or announced) date to their end (or today), one row
    each; relaxations (records suspending others) in their own colour; news events as markers."""
    data = []
    rows: list[str] = []
    if not measures.empty:
        for relaxing, name, color in (
            (False, "export measure", PALETTE[1]),
            (True, "relaxation / suspension", PALETTE[4]),
        ):
            xs, ys, texts = [], [], []
            for r in measures.itertuples(index=False):
                start = r.effective_date or r.announced_date
                if not start or bool(len(r.relaxes)) != relaxing:
                    continue
                what = _short(getattr(r, "minerals_words", "") or ", ".join(r.commodities)) or r.measure_type
                label = esc(f"{r.imposer} {what} ({start})")
                end = max(r.end_date or today, start)  # lifted before it took effect: a point
                xs += [start, end, None]
                ys += [label, label, None]
                t = esc(f"{r.id}: {r.title or r.measure_type} ({start} → {r.end_date or 'in force'})")
                texts += [t, t, None]
                rows.append(label)
            if xs:
                data.append(
                    {
                        "type": "scatter",
                        "mode": "lines+markers",
                        "name": name,
                        "x": xs,
                        "y": ys,
                        "text": texts,
                        "line": {"width": 8, "color": color},
                        "marker": {"size": 8, "color": color},
                        "hovertemplate": "%{text}<extra></extra>",
                    }
                )
    if not events.empty:
        ev = events[events["date"].notna()]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "news event",
                "x": list(ev["date"]),
                "y": ["news: " + esc(str(t).replace("_", " ")) for t in ev["event_type"]],
                "text": [
                    esc(f"{d}: {t}") for d, t in zip(ev["date"], ev["evidence"].fillna(""), strict=True)
                ],
                "marker": {"size": 11, "symbol": "diamond", "color": PALETTE[0]},
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
        rows += list(dict.fromkeys("news: " + esc(str(t).replace("_", " ")) for t in ev["event_type"]))
    height = max(260, 22 * len(set(rows)) + 100)
    return {
        "data": data,
        "layout": _layout(
            height,
            margin={"l": 230, "r": 20, "t": 10, "b": 50},
            xaxis={"type": "date"},
            yaxis={"automargin": True, "categoryorder": "trace"},
        ),
    }
