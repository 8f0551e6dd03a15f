"""Static charts for reports: matplotlib rendered to inline SVG (works offline, in HTML and in PDF)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

PALETTE = ["#1f4e79", "#c0504d", "#4f8f3a", "#8064a2", "#f79646", "#4bacc6"]


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prologue so the SVG can be inlined


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {"font.size": 9, "svg.fonttype": "none", "axes.spines.top": False, "axes.spines.right": False}
    )
    return plt


def china_share_bars(df: pd.DataFrame, share_col: str, limit: int = 18) -> str:
    """Grouped horizontal bars: share of each party's imports from the named supplier, by mineral."""
    plt = _plt()
    d = df.dropna(subset=["import_value_kusd"])
    d = d[d["import_value_kusd"] > 0]
    top = (
        d.groupby("commodity_name")["import_value_kusd"].sum().sort_values(ascending=False).head(limit).index
    )
    d = d[d["commodity_name"].isin(top)]
    d = d.assign(label=d["commodity_name"] + " · " + d["stage"])
    labels = list(dict.fromkeys(d.sort_values(share_col)["label"]))
    parties = list(dict.fromkeys(d["party"]))
    fig, ax = plt.subplots(figsize=(7.2, 0.32 * len(labels) + 1.2))
    h = 0.8 / max(1, len(parties))
    y = np.arange(len(labels))
    for k, p in enumerate(parties):
        vals = d[d["party"] == p].set_index("label")[share_col].reindex(labels) * 100
        ax.barh(y + k * h - 0.4 + h / 2, vals.fillna(0), height=h, label=p, color=PALETTE[k % len(PALETTE)])
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"% of import value from {share_col.removeprefix('share_from_')}")
    ax.axvline(65, color="#888", lw=0.8, ls="--")
    ax.text(65.5, len(labels) - 0.5, "65 % (EU CRMA benchmark)", fontsize=7, color="#555", va="top")
    ax.legend(loc="lower right", frameon=False)
    return _svg(fig)


def exposure_matrix(df: pd.DataFrame) -> str:
    """Import concentration (supplier HHI) vs world production concentration, bubble = import value."""
    plt = _plt()
    d = df.dropna(subset=["supplier_hhi"]).copy()
    d["world_hhi"] = d[["world_mine_hhi", "world_refined_hhi"]].max(axis=1)
    d = d.dropna(subset=["world_hhi"])
    d = d[d["import_value_kusd"] > 0]
    parties = list(dict.fromkeys(d["party"]))
    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    vmax = d["import_value_kusd"].max() if len(d) else 1
    for k, p in enumerate(parties):
        s = d[d["party"] == p]
        ax.scatter(
            s["supplier_hhi"],
            s["world_hhi"],
            s=20 + 600 * np.sqrt(s["import_value_kusd"] / vmax),
            alpha=0.55,
            color=PALETTE[k % len(PALETTE)],
            label=p,
            edgecolor="white",
            lw=0.5,
        )
        for r in s.nlargest(6, "import_value_kusd").itertuples():
            ax.annotate(
                r.commodity,
                (r.supplier_hhi, r.world_hhi),
                fontsize=6.5,
                xytext=(3, 2),
                textcoords="offset points",
                color="#333",
            )
    ax.axvline(0.25, color="#aaa", lw=0.7, ls=":")
    ax.axhline(0.25, color="#aaa", lw=0.7, ls=":")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Import concentration (supplier HHI, 0–1)")
    ax.set_ylabel("World production concentration (HHI, max of mine/refined)")
    ax.legend(frameon=False, loc="lower right")
    return _svg(fig)


def share_series(series: pd.DataFrame, share_col: str, title: str) -> str:
    """Lines: share of imports from the named supplier over the years, one line per party."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.2, 2.8))
    for k, (p, s) in enumerate(series.groupby("party", sort=False)):
        ax.plot(s["year"], s[share_col] * 100, marker="o", ms=3, color=PALETTE[k % len(PALETTE)], label=p)
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of import value")
    ax.set_title(title, fontsize=9, loc="left")
    ax.legend(frameon=False, ncol=4)
    return _svg(fig)
