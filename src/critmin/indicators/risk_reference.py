"""The reference implementation of :func:`critmin.indicators.risk.risk`: the method modules' pandas
functions called commodity by commodity (:func:`~critmin.indicators.geopolrisk.geopolrisk`,
:func:`~critmin.indicators.eu_crm.eu_supply_risk`, :func:`~critmin.indicators.origin.trace_origin`).

Kept for the cross-engine test (``tests/test_risk_engine.py``), which checks that the vectorised engine
(:mod:`critmin.indicators.engine`) gives the same rows, values (to 1e-9) and statuses. Not used by the CLI,
the report or the API.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from critmin.errors import NoDataError, UnknownValueError
from critmin.indicators.engine import COLUMNS, DEFAULT_METHODS, UNITS, check_methods

if TYPE_CHECKING:  # pragma: no cover
    from critmin.api import Dataset

REFERENCE_COLUMNS = [c for c in COLUMNS if c not in ("value_low", "value_high")]


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


def reference_risk(
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
    """:func:`critmin.indicators.risk.risk` computed the slow way, method by method and commodity by
    commodity with the pandas functions of each method module: the reference the engine is tested against
    (same rows, values and statuses; no proxy rows, no ranges)."""
    from critmin.indicators.geopolrisk import _years_list
    from critmin.reference import commodities as cat

    ms = check_methods(methods)
    if units not in ("content", "gross"):
        raise UnknownValueError("units", units, ("content", "gross"), hint="choose content or gross")
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
    return out[REFERENCE_COLUMNS].reset_index(drop=True)


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
                            "flags": flags_json(
                                []
                                if total > 0
                                else ["no_recorded_imports" if (t["year"] == y).any() else "no_trade_flows"]
                            ),
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
