"""Supply-risk methods side by side: one call, one tidy table.

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

Columns: party, party_name, commodity, stage, year, method, value, unit, status, inputs (JSON), flags
(JSON list), provenance.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from critmin.errors import NoDataError, UnknownValueError

if TYPE_CHECKING:  # pragma: no cover
    from critmin.api import Dataset

METHODS = ("geopolrisk", "geopolrisk_cf", "eu_sr", "hhi", "import_hhi", "import_reliance", "origin")
DEFAULT_METHODS = ("geopolrisk", "eu_sr", "hhi", "origin")
UNITS = {
    "geopolrisk": "score 0-1",
    "geopolrisk_cf": "kg Cu-eq/kg",
    "eu_sr": "SR (EU scale)",
    "hhi": "HHI 0-1",
    "import_hhi": "HHI 0-1",
    "import_reliance": "share 0-1",
    "origin": "share 0-1",
}
COLUMNS = [
    "party",
    "party_name",
    "commodity",
    "stage",
    "year",
    "method",
    "value",
    "unit",
    "status",
    "inputs",
    "flags",
    "provenance",
]


def check_methods(methods: str | Iterable[str]) -> list[str]:
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    out = []
    for m in methods:
        key = m.strip().lower().replace("-", "_")
        key = {
            "eu": "eu_sr",
            "eu_crm": "eu_sr",
            "gpr": "geopolrisk",
            "cf": "geopolrisk_cf",
            "ir": "import_reliance",
            "nir": "import_reliance",
        }.get(key, key)
        if key not in METHODS:
            raise UnknownValueError("risk method", m, METHODS, hint="methods: " + ", ".join(METHODS))
        if key not in out:
            out.append(key)
    if not out:
        raise UnknownValueError("risk method", "", METHODS, hint="give at least one")
    return out


def _js(d: dict) -> str:
    def conv(v):
        if isinstance(v, float | np.floating):
            return None if not np.isfinite(v) else round(float(v), 10)
        if isinstance(v, np.integer):
            return int(v)
        return v

    return json.dumps({k: conv(v) for k, v in d.items()}, sort_keys=True, default=str)


def _add_flag(flags: str, flag: str) -> str:
    fl = json.loads(flags) if flags else []
    return json.dumps(sorted({*fl, flag}))


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
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Every requested method for every party (country or bloc), commodity, stage and year, in one table.

    ``years`` defaults to the latest trade year; ``commodities`` to the whole catalogue. ``missing``
    (governance policy), ``units`` (GeoPolRisk unit basis), ``t_c`` and ``si_sr`` (EU method) are passed to
    the methods; ``share_of`` is the origin whose traced share the ``origin`` method reports.
    """
    from critmin.indicators.geopolrisk import _years_list
    from critmin.reference import commodities as cat

    ms = check_methods(methods)
    ys = _years_list(ds, years)
    ps = ds.parties(parties, max(ys))
    comms = cat.resolve_many(commodities)
    who = ds.party(share_of, max(ys))
    names = {p.label: p.name for p in ps}
    step = progress or (lambda _msg: None)
    parts: list[pd.DataFrame] = []

    if "geopolrisk" in ms or "geopolrisk_cf" in ms:
        step("GeoPolRisk")
        parts.append(_geopolrisk_rows(ds, ps, comms, ys, ms, missing, units))
    if "eu_sr" in ms or "import_reliance" in ms:
        step("EU supply risk")
        parts.append(_eu_rows(ds, ps, comms, ys, ms, missing, t_c, si_sr))
    if "hhi" in ms:
        step("production concentration")
        parts.append(_hhi_rows(ds, ps, comms, ys))
    if "import_hhi" in ms:
        step("import concentration")
        parts.append(_import_hhi_rows(ds, ps, comms, ys))
    if "origin" in ms:
        step("origin tracing")
        parts.append(_origin_rows(ds, ps, comms, ys, who))
    parts = [p for p in parts if not p.empty]
    if not parts:
        raise NoDataError("no result for the given parties, commodities and years")
    out = pd.concat(parts, ignore_index=True)
    out["party_name"] = out["party"].map(names)
    out["unit"] = out["method"].map(UNITS)
    order = {m: i for i, m in enumerate(ms)}
    corder = {c.id: i for i, c in enumerate(comms)}
    porder = {p.label: i for i, p in enumerate(ps)}
    sorder = {s: i for i, s in enumerate(cat.STAGES)}
    out = out.sort_values(
        ["party", "commodity", "stage", "year", "method"],
        key=lambda col: (
            col.map(
                {"party": porder, "commodity": corder, "stage": sorder, "method": order}.get(col.name, {})
            )
            if col.name != "year"
            else col
        ),
    )
    return out[COLUMNS].reset_index(drop=True)


# -- per method ------------------------------------------------------------------------------------------
def _geopolrisk_rows(ds, ps, comms, ys, ms, missing, units) -> pd.DataFrame:
    from critmin.indicators.geopolrisk import geopolrisk

    g = geopolrisk(ds, ps, [c.id for c in comms], ys, missing=missing, units=units)
    rows = []
    for r in g.itertuples(index=False):
        inputs = {
            "hhi": r.hhi,
            "import_risk": r.import_risk,
            "domestic_tonnes": r.domestic_tonnes,
            "imports_tonnes": r.imports_tonnes,
            "numerator_tonnes": r.numerator_tonnes,
            "price_usd_per_kg": r.price_usd_per_kg,
            "cu_reference_usd_per_kg": r.cu_reference_usd_per_kg,
            "units": r.units,
            "missing_policy": r.missing_policy,
            "missing_g_exporters": r.missing_g_exporters,
            "production_stage": r.production_stage,
            "production_year": r.production_year,
            "coverage_note": r.coverage_note,
        }
        prov = "; ".join(
            str(x)
            for x in (r.production_source, g["trade_source"].iloc[0], g["governance_source"].iloc[0])
            if x
        )
        base = {
            "party": r.party,
            "commodity": r.commodity,
            "stage": r.stage,
            "year": int(r.year),
            "status": r.status,
            "inputs": _js(inputs),
            "flags": r.flags,
            "provenance": prov,
        }
        if "geopolrisk" in ms:
            rows.append({**base, "method": "geopolrisk", "value": r.score})
        if "geopolrisk_cf" in ms:
            rows.append({**base, "method": "geopolrisk_cf", "value": r.cf_kg_cu_eq_per_kg})
    return pd.DataFrame(rows)


def _eu_rows(ds, ps, comms, ys, ms, missing, t_c, si_sr) -> pd.DataFrame:
    from critmin.indicators.eu_crm import eu_supply_risk

    e = eu_supply_risk(ds, ps, [c.id for c in comms], ys, missing=missing, t_c=t_c, si_sr=si_sr)
    rows = []
    for r in e.itertuples(index=False):
        prov = "; ".join(str(x) for x in (r.production_source, r.trade_source, r.governance_source) if x)
        inputs = json.loads(r.inputs)
        inputs.update(
            {
                "hhi_wgi_t_global": r.hhi_wgi_t_global,
                "hhi_wgi_t_sourcing": r.hhi_wgi_t_sourcing,
                "import_reliance": r.import_reliance,
                "eol_rir": r.eol_rir,
                "si_sr": r.si_sr,
                "sr_global_only": r.sr_global_only,
                "sr_sourcing_only": r.sr_sourcing_only,
                "sr_reported": r.sr_reported,
            }
        )
        base = {
            "party": r.party,
            "commodity": r.commodity,
            "stage": r.stage,
            "year": int(r.year),
            "provenance": prov,
        }
        if "eu_sr" in ms:
            flags = _add_flag(r.flags, "reported_stage") if r.reported else r.flags
            rows.append(
                {
                    **base,
                    "method": "eu_sr",
                    "value": r.sr,
                    "status": r.status,
                    "inputs": _js(inputs),
                    "flags": flags,
                }
            )
        if "import_reliance" in ms and np.isfinite(
            r.imports_tonnes if r.imports_tonnes is not None else np.nan
        ):
            ir_in = {
                "imports_tonnes": r.imports_tonnes,
                "exports_tonnes": r.exports_tonnes,
                "domestic_tonnes": r.domestic_tonnes,
                "basis": inputs.get("basis"),
                "ir": inputs.get("ir"),
            }
            rows.append(
                {
                    **base,
                    "method": "import_reliance",
                    "value": r.import_reliance,
                    "status": "ok" if np.isfinite(r.import_reliance) else "no data",
                    "inputs": _js(ir_in),
                    "flags": r.flags,
                }
            )
    return pd.DataFrame(rows)


def _hhi_rows(ds, ps, comms, ys) -> pd.DataFrame:
    from critmin.indicators.geopolrisk import flags_json, production_hhi
    from critmin.indicators.risk_inputs import production_index

    rows = []
    for c in comms:
        pidx = production_index(ds, c.id, 0)
        for s in c.stages:
            if not c.stages[s].production:
                continue
            for y in ys:
                pick = pidx.pick(s, y)
                ok = pick.found and pick.production_stage == s and pick.production_year == y
                if ok:
                    f = pick.frame
                    named = f[f["country"] != "ROW"]
                    total = float(f["tonnes"].sum())
                    v = float((named["tonnes"] ** 2).sum() / total**2) if total > 0 else np.nan
                    if not (f["country"] == "ROW").any():
                        v = production_hhi(f["tonnes"])
                    top = (named.set_index("country")["tonnes"] / total).nlargest(3).round(4).to_dict()
                    inputs = {
                        "world_tonnes": total,
                        "basis": pick.basis,
                        "top_producers": top,
                        "n_producers": int((named["tonnes"] > 0).sum()),
                        "rest_of_world_share": float(f.loc[f["country"] == "ROW", "tonnes"].sum() / total)
                        if total > 0
                        else None,
                    }
                else:
                    v, inputs = np.nan, {}
                for p in ps:
                    rows.append(
                        {
                            "party": p.label,
                            "commodity": c.id,
                            "stage": s,
                            "year": y,
                            "method": "hhi",
                            "value": v,
                            "status": "ok" if ok else "no data",
                            "inputs": _js(inputs),
                            "flags": flags_json([] if ok else ["no_production_data"]),
                            "provenance": pick.provenance if ok else "",
                        }
                    )
    return pd.DataFrame(rows)


def _import_hhi_rows(ds, ps, comms, ys) -> pd.DataFrame:
    from critmin.indicators.geopolrisk import flags_json, trade_provenance
    from critmin.indicators.risk_inputs import stage_trade

    tsrc = trade_provenance(ds)
    rows = []
    for c in comms:
        for s in c.trade_stages:
            t = stage_trade(ds, c.id, s, ys)
            for p in ps:
                members = set(p.members)
                imp = t[t["importer"].isin(members) & ~t["exporter"].isin(members)]
                for y in ys:
                    iy = imp[imp["year"] == y].groupby("exporter")["content_tonnes"].sum()
                    total = float(iy.sum())
                    v = float(((iy / total) ** 2).sum()) if total > 0 else np.nan
                    top = (iy / total).nlargest(3).round(4).to_dict() if total > 0 else {}
                    rows.append(
                        {
                            "party": p.label,
                            "commodity": c.id,
                            "stage": s,
                            "year": y,
                            "method": "import_hhi",
                            "value": v,
                            "status": "ok" if total > 0 else "no data",
                            "inputs": _js({"imports_tonnes": total, "top_suppliers": top}),
                            "flags": flags_json([] if total > 0 else ["no_recorded_imports"]),
                            "provenance": tsrc,
                        }
                    )
    return pd.DataFrame(rows)


def _origin_rows(ds, ps, comms, ys, who) -> pd.DataFrame:
    from critmin.indicators.geopolrisk import flags_json
    from critmin.indicators.origin import origin_summary, trace_origin

    rows = []
    for c in comms:
        for s in c.trade_stages:
            tab = trace_origin(ds, ps, c.id, ys, stage=s)
            summ = origin_summary(tab, who.members)
            got = {(r.party, r.year) for r in summ.itertuples(index=False)}
            for r in summ.itertuples(index=False):
                inputs = {
                    "origin_of": who.label,
                    "direct_share": r.direct_share,
                    "traced_hhi": r.traced_hhi,
                    "direct_hhi": r.direct_hhi,
                    "top_traced": json.loads(r.top_traced),
                    "top_direct": json.loads(r.top_direct),
                    "supply_tonnes": r.supply_tonnes,
                }
                rows.append(
                    {
                        "party": r.party,
                        "commodity": c.id,
                        "stage": s,
                        "year": int(r.year),
                        "method": "origin",
                        "value": r.traced_share,
                        "status": "ok",
                        "inputs": _js(inputs),
                        "flags": r.flags,
                        "provenance": f"{r.production_source}; {r.trade_source}",
                    }
                )
            for p in ps:
                for y in ys:
                    if (p.label, y) not in got:
                        fl = tab.loc[(tab["party"] == p.label) & (tab["year"] == y), "flags"]
                        rows.append(
                            {
                                "party": p.label,
                                "commodity": c.id,
                                "stage": s,
                                "year": y,
                                "method": "origin",
                                "value": np.nan,
                                "status": "no data",
                                "inputs": "{}",
                                "flags": fl.iloc[0] if len(fl) else flags_json(["no_supply"]),
                                "provenance": "",
                            }
                        )
    return pd.DataFrame(rows)


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
