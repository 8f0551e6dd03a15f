"""Ex-post check: run a restriction on the network of the year before it and compare with observed flows.

For an imposer X, a base year t0 (the network the model sees) and an observed year t1:

* observed restricted share s_obs = 1 − E_X(t1) / E_X(t0), X's exports of the stage, clipped to [0, 1];
* the cascade is run on the t0 network with X cutting a share s of its exports to all destinations, for
  s = s_obs (calibrated) and s = 1 (ban), with the given stocks, substitution and rationing, once without and
  once with each given supply response (:mod:`critmin.scenarios.response`);
* compared, per importer k that bought from X in t0: the simulated vs observed change of k's imports from
  everyone but X (the *redistribution*), and per exporter i ≠ X the simulated vs observed change of its
  exports — Pearson and Spearman correlation, sign agreement, totals, and the **error**:

      WAPE = Σ_k |sim_k − obs_k| / Σ_k |obs_k|      (weighted absolute percentage error; MAE in tonnes beside)

  A forecast of "no change" scores WAPE = 1 exactly, so WAPE < 1 means the simulation is closer to what
  happened than assuming nothing moves, and WAPE > 1 that it is further away.

The observed change mixes the restriction with everything else that happened between t0 and t1 (demand,
prices, new mines, other countries' supply shocks); the simulated one is the restriction alone. The
comparison says how much of the observed redistribution the mechanism reproduces, not whether the model "fits".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.scenarios.network import Network, build_network
from critmin.scenarios.response import SupplyResponse, resolve
from critmin.scenarios.scenario import Restriction, ScenarioResult, run


def _flows(net: Network) -> pd.DataFrame:
    c = np.array(net.countries)
    return pd.DataFrame({"exporter": c[net.src], "importer": c[net.dst], "tonnes": net.flow})


def _corr(a: pd.Series, b: pd.Series) -> dict:
    ok = a.notna() & b.notna()
    a, b = a[ok], b[ok]
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return {"n": len(a), "pearson": None, "spearman": None}
    return {
        "n": len(a),
        "pearson": float(np.corrcoef(a, b)[0, 1]),
        "spearman": float(a.rank().corr(b.rank())),
    }


def _sign_agreement(sim: pd.Series, obs: pd.Series, tiny: float) -> dict:
    moved = sim.abs() > tiny
    if not moved.any():
        return {"n": 0, "share": None}
    same = np.sign(sim[moved]) == np.sign(obs[moved])
    return {"n": int(moved.sum()), "share": float(same.mean())}


def wape(sim: pd.Series, obs: pd.Series) -> float | None:
    """Σ|sim − obs| / Σ|obs| (1.0 for a forecast of no change; None when nothing was observed to move)."""
    den = float(obs.abs().sum())
    return float((sim - obs).abs().sum()) / den if den > 0 else None


def errors(sim: pd.Series, obs: pd.Series) -> dict:
    """Error of a simulated change against the observed one, aligned on the index."""
    return {
        "wape": wape(sim, obs),
        "mae_tonnes": float((sim - obs).abs().mean()) if len(obs) else None,
        "total_sim_tonnes": float(sim.sum()),
        "total_obs_tonnes": float(obs.sum()),
    }


@dataclass
class Observed:
    """Observed t0 → t1 changes on the same basis: per buyer of X, its imports from X and from the others;
    per other exporter, its exports."""

    buyers: list[str]
    imports_from_imposer_t0: pd.Series
    direct: pd.Series
    redistribution: pd.Series
    other_exports: pd.Series


def observed_changes(net0: Network, net1: Network, imposer: str) -> Observed:
    f0, f1 = _flows(net0), _flows(net1)
    both = f0.merge(f1, on=["exporter", "importer"], how="outer", suffixes=("_t0", "_t1")).fillna(0.0)
    both["delta"] = both["tonnes_t1"] - both["tonnes_t0"]
    buyers = sorted(set(f0.loc[f0.exporter == imposer, "importer"]))
    other = both[both.exporter != imposer]
    from_x = both[both.exporter == imposer]
    return Observed(
        buyers,
        f0[f0.exporter == imposer].groupby("importer")["tonnes"].sum().reindex(buyers),
        from_x.groupby("importer")["delta"].sum().reindex(buyers, fill_value=0.0),
        other.groupby("importer")["delta"].sum().reindex(buyers, fill_value=0.0),
        other.groupby("exporter")["delta"].sum(),
    )


def compare(res: ScenarioResult, obs: Observed, imposer: str, top: int, tiny: float) -> dict:
    """One simulated run against the observed changes: correlations, sign agreement, errors, top rows."""
    links = res.links(min_change=0.0)
    sim_other = links[links.exporter != imposer]
    sim_imp = sim_other.groupby("importer")["delta_tonnes"].sum().reindex(obs.buyers, fill_value=0.0)
    sim_direct = (
        links[links.exporter == imposer]
        .groupby("importer")["delta_tonnes"]
        .sum()
        .reindex(obs.buyers, fill_value=0.0)
    )
    sim_exp = sim_other.groupby("exporter")["delta_tonnes"].sum()
    exporters = sorted(set(sim_exp.index) | set(obs.other_exports.index))
    se = sim_exp.reindex(exporters, fill_value=0.0)
    oe = obs.other_exports.reindex(exporters, fill_value=0.0)
    table = pd.DataFrame(
        {
            "importer": obs.buyers,
            "imports_from_imposer_t0_tonnes": obs.imports_from_imposer_t0.to_numpy(),
            "direct_sim_tonnes": sim_direct.to_numpy(),
            "direct_obs_tonnes": obs.direct.to_numpy(),
            "redistribution_sim_tonnes": sim_imp.to_numpy(),
            "redistribution_obs_tonnes": obs.redistribution.to_numpy(),
        }
    )
    gainers = pd.DataFrame({"exporter": exporters, "sim_tonnes": se.to_numpy(), "obs_tonnes": oe.to_numpy()})
    w = res.world()
    return {
        "restricted_tonnes": w["restricted_tonnes"],
        "world_shortfall_tonnes": w["shortfall_tonnes"],
        "world_delta_stocks_tonnes": w["delta_stocks_tonnes"],
        "response_tonnes": w["response_tonnes"],
        "price_rise": w["supply_response"].get("price_rise"),
        "rounds": w["rounds"],
        "direct_loss_by_importer": _corr(sim_direct, obs.direct),
        "redistribution_by_importer": {
            **_corr(sim_imp, obs.redistribution),
            "sign_agreement": _sign_agreement(sim_imp, obs.redistribution, tiny),
            "error": errors(sim_imp, obs.redistribution),
        },
        "exports_of_other_suppliers": {
            **_corr(se, oe),
            "sign_agreement": _sign_agreement(se, oe, tiny),
            "error": errors(se, oe),
        },
        "total_redistribution_sim_tonnes": float(sim_imp.sum()),
        "total_redistribution_obs_tonnes": float(obs.redistribution.sum()),
        "top_importers": table.reindex(
            table["imports_from_imposer_t0_tonnes"].abs().sort_values(ascending=False).index
        )
        .head(top)
        .round(1)
        .to_dict("records"),
        "top_other_suppliers_sim": gainers.sort_values("sim_tonnes", ascending=False)
        .head(top)
        .round(1)
        .to_dict("records"),
        "top_other_suppliers_obs": gainers.sort_values("obs_tonnes", ascending=False)
        .head(top)
        .round(1)
        .to_dict("records"),
    }


def backtest(
    ds,
    commodity: str,
    stage: str,
    imposer: str,
    base_year: int,
    observed_year: int,
    *,
    shares: tuple[float, ...] | None = None,
    stock_days: tuple[float, ...] = (0.0,),
    substitution: tuple[float, ...] = (0.0,),
    responses: tuple[SupplyResponse | None, ...] = (None,),
    rationing: str = "pro_rata",
    top: int = 10,
) -> dict:
    """Simulated vs observed redistribution after ``imposer`` restricts (see the module docstring).

    One run per (share, stock days, substitution, response); ``responses`` holds None (no response) and/or
    :class:`SupplyResponse` parameter sets, resolved once on the base-year network.
    """
    net0 = build_network(ds, commodity, stage, base_year)
    net1 = build_network(ds, commodity, stage, observed_year)
    obs = observed_changes(net0, net1, imposer)
    x_exp0 = float(net0.flow[net0.src == net0.index(imposer)].sum())
    x_exp1 = float(net1.flow[net1.src == net1.index(imposer)].sum()) if imposer in net1.countries else 0.0
    s_obs = float(np.clip(1.0 - x_exp1 / x_exp0, 0.0, 1.0)) if x_exp0 > 0 else 0.0
    shares = shares or (s_obs, 1.0)
    resolved = [None if p is None else resolve(ds, net0, p) for p in responses]
    tiny = 1e-6 * max(1.0, x_exp0)
    runs = []
    for s in shares:
        for days in stock_days:
            for fc in substitution:
                for resp in resolved:
                    res = run(
                        net0,
                        [Restriction(imposer, float(s))],
                        default_stock_days=days,
                        substitution=fc,
                        rationing=rationing,
                        response=resp,
                        name=f"{imposer} {commodity} {stage} {base_year} share={s:.3f} stocks={days:g}d "
                        f"f_c={fc:g} response={'on' if resp else 'off'}",
                    )
                    runs.append(
                        {
                            "share": float(s),
                            "share_kind": "calibrated to the observed drop"
                            if s == shares[0] and s != 1.0
                            else ("ban" if s == 1.0 else "given"),
                            "stock_days": float(days),
                            "substitution": float(fc),
                            "rationing": rationing,
                            "supply_response": res.supply_response(),
                            **compare(res, obs, imposer, top, tiny),
                        }
                    )
    return {
        "commodity": net0.commodity,
        "stage": net0.stage,
        "hs6": sorted(set(ds.trade(commodity, stage, base_year)["hs6"])),
        "imposer": imposer,
        "base_year": base_year,
        "observed_year": observed_year,
        "basis": net0.basis,
        "source": net0.source,
        "edition": net0.edition,
        "imposer_exports_t0_tonnes": x_exp0,
        "imposer_exports_t1_tonnes": x_exp1,
        "observed_share_cut": s_obs,
        "importers_compared": len(obs.buyers),
        "runs": runs,
        "notes": list(net0.notes),
    }
