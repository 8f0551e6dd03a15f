"""Study: is the cascade monotone in the shock, and continuous in the flows? (docs/scenarios.md §2)

Not a timing benchmark: the figures docs/scenarios.md quotes on the model's orderings, reproducible. On random
networks (3–8 countries, each link present with probability ½, flows U(0, 100) t, production U(0, 500) t for
60 % of countries) one country restricts a random share U(0, 1) of its exports, to a random non-empty set of
destinations and to all. Per setting (stocks, f_c), rationing rule and closure rule (the paper's
all-or-nothing θ = 0 and critmin's θ = 0.1 %), the share of networks where the destination ban is worse than
the full ban

* for some non-target (per country), for the non-targets together, for the world (Σ −(ΔR + ΔC));
* the largest world excess, as a share of what the full ban withholds;

the rounds to convergence; and, for continuity, the largest change of any country's shortfall when a 10⁻¹² (of world trade) link is added
from the imposer, as a share of world trade. A real case: graphite 2023 (mine stage), China cutting 75 % of
its exports, f_c = 0.1, under both closure rules. Writes benchmarks/results/cascade_monotonicity.json.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from critmin.scenarios.cascade import CLOSURE

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "cascade_monotonicity.json"
SETTINGS = {
    "half the countries hold no stocks": {"stock_share": 0.5, "f_c": 0.0},
    "every country holds stocks": {"stock_share": 1.0, "f_c": 0.0},
    "every country holds stocks, f_c = 0.1": {"stock_share": 1.0, "f_c": 0.1},
}
CLOSURES = {"paper (θ = 0)": 0.0, "critmin (θ = 0.1 %)": CLOSURE}
EPSILON = 1e-12
REAL_NETWORKS = [
    ("rare_earths", "refined"),
    ("graphite", "mine"),
    ("cobalt", "refined"),
    ("aluminium", "refined"),
    ("copper", "mine"),
    ("nickel", "mine"),
    ("lithium", "refined"),
    ("antimony", "mine"),
]


def random_case(rng: np.random.Generator, stock_share: float):
    """One random network and restriction: production, stocks (days), flows, imposer, share, targets."""
    while True:
        n = int(rng.integers(3, 9))
        F = rng.uniform(0, 100, (n, n)) * (rng.random((n, n)) < 0.5) * (1 - np.eye(n))
        imposer = int(rng.integers(n))
        if F[imposer].sum() > 0:
            break
    P = rng.uniform(0, 500, n) * (rng.random(n) < 0.6)
    days = rng.uniform(0, 60, n) * (rng.random(n) < stock_share)
    targets = rng.choice(n, int(rng.integers(1, n)), replace=False)
    other = rng.choice([k for k in range(n) if k != imposer])
    return P, days, F, imposer, float(rng.uniform(0, 1)), targets, int(other)


def compare(case, f_c: float, rationing: str, closure: float) -> dict:
    """Destination vs full ban on one network, and the effect of a negligible extra link."""
    from critmin.scenarios.network import from_matrix
    from critmin.scenarios.scenario import Restriction, run

    P, days, F, imposer, share, targets, other = case
    n = len(P)
    codes = [f"C{i}" for i in range(n)]
    kw = dict(
        stocks=dict(zip(codes, days, strict=True)), substitution=f_c, rationing=rationing, closure=closure
    )
    net = from_matrix(codes, P, F)
    dest = run(net, [Restriction(codes[imposer], share, tuple(codes[t] for t in targets))], **kw)
    full = run(net, [Restriction(codes[imposer], share)], **kw)
    tol = 1e-9 * max(1.0, F.sum())
    non_target = np.ones(n, dtype=bool)
    non_target[targets] = False
    non_target[imposer] = False
    sd, sf = -dest.result.dC, -full.result.dC
    wd, wf = (float(-(r.result.dR + r.result.dC).sum()) for r in (dest, full))
    F2 = F.copy()
    F2[imposer, other] += EPSILON * F.sum()
    nudged = run(from_matrix(codes, P, F2), [Restriction(codes[imposer], share)], **kw)
    return {
        "per_country": bool(np.any(sd[non_target] > sf[non_target] + tol)),
        "non_targets": bool(sd[non_target].sum() > sf[non_target].sum() + tol),
        "world": wd > wf + tol,
        "world_excess_share": max(wd - wf, 0.0) / max(full.initial.removed.sum(), 1e-300),
        "jump_share": float(np.abs(nudged.result.dC - full.result.dC).max() / F.sum()),
        "rounds": [int(dest.result.rounds), int(full.result.rounds)],
        "converged": bool(dest.result.converged and full.result.converged),
    }


def real_case(db: str | None) -> dict:
    """Graphite 2023: what a negligible loss did to the world's second exporter under the paper's rule; and
    rounds to convergence on the 8 benchmark networks (benchmarks/cascade.py) for θ = 0, 0.1 % and 1 %."""
    import critmin
    from critmin.scenarios.network import build_network
    from critmin.scenarios.scenario import Restriction, run

    ds = critmin.open(db)
    net = build_network(ds, "graphite", "mine", 2023)
    moz, usa = net.index("MOZ"), net.index("USA")
    out = {"case": "graphite mine 2023, CHN cuts 75 % of its exports, f_c = 0.1, no stocks"}
    for label, closure in {**CLOSURES, "θ = 1 %": 0.01}.items():
        r = run(net, [Restriction("CHN", 0.75)], substitution=0.1, closure=closure)
        c = r.countries().set_index("country")
        to_usa = (net.src == moz) & (net.dst == usa)
        out[label] = {
            "world_shortfall_tonnes": r.world()["shortfall_tonnes"],
            "usa_shortfall_tonnes": float(c.loc["USA", "shortfall_tonnes"]),
            "moz_to_usa_delta_tonnes": float(r.result.dF[to_usa].sum()),
        }
    out["moz_direct_loss_tonnes"] = float(-r.initial.shock[moz])
    out["moz_exports_tonnes"] = float(net.exports[moz])
    nets = [build_network(ds, c, s, 2023, countries="all") for c, s in REAL_NETWORKS]
    runs = "CHN ban to all and to JPN × f_c 0, 0.01 × 0, 30 days of stocks everywhere"
    out["rounds_on_real_networks"] = {"runs": f"{len(nets) * 8} ({runs})"}
    for closure in (0.0, CLOSURE, 0.01):
        rounds = [
            int(
                run(
                    n, [Restriction("CHN", 1.0, t)], default_stock_days=d, substitution=f, closure=closure
                ).result.rounds
            )
            for n in nets
            for t in ((), ("JPN",))
            for f in (0.0, 0.01)
            for d in (0, 30)
        ]
        out["rounds_on_real_networks"][f"θ = {closure:g}"] = {
            "mean": float(np.mean(rounds)),
            "max": max(rounds),
        }
    return out


def main(db: str | None = None, networks: int = 1000) -> dict:
    warnings.filterwarnings("ignore", message="cascade:.*did not converge")
    t0 = time.time()
    rows = []
    for setting, spec in SETTINGS.items():
        rng = np.random.default_rng(2016)
        cases = [random_case(rng, spec["stock_share"]) for _ in range(networks)]
        fcs = rng.uniform(0, spec["f_c"], networks)
        for rationing in ("pro_rata", "trade_first"):
            for label, closure in CLOSURES.items():
                res = [compare(c, fc, rationing, closure) for c, fc in zip(cases, fcs, strict=True)]
                row = {
                    "setting": setting,
                    "rationing": rationing,
                    "closure": label,
                    "networks": networks,
                    "per_country_fail_share": float(np.mean([r["per_country"] for r in res])),
                    "non_targets_fail_share": float(np.mean([r["non_targets"] for r in res])),
                    "world_fail_share": float(np.mean([r["world"] for r in res])),
                    "world_excess_max_share_of_withheld": float(max(r["world_excess_share"] for r in res)),
                    "negligible_link_max_jump_share_of_trade": float(max(r["jump_share"] for r in res)),
                    "negligible_link_jumps_above_1e-6": int(sum(r["jump_share"] > 1e-6 for r in res)),
                    "rounds_mean": float(np.mean([r["rounds"] for r in res])),
                    "rounds_max": int(max(max(r["rounds"]) for r in res)),
                    "not_converged_share": float(np.mean([not r["converged"] for r in res])),
                }
                rows.append(row)
                print(
                    f"{setting:40s} {rationing:11s} {label:18s} per-country {row['per_country_fail_share']:6.1%} "
                    f"non-targets {row['non_targets_fail_share']:6.1%} world {row['world_fail_share']:6.1%} "
                    f"(max excess {row['world_excess_max_share_of_withheld']:.1%}) "
                    f"jump {row['negligible_link_max_jump_share_of_trade']:.1e} "
                    f"rounds {row['rounds_mean']:.1f} (max {row['rounds_max']}, "
                    f"not converged {row['not_converged_share']:.1%})",
                    flush=True,
                )
    out = {
        "study": "cascade monotonicity and continuity on random networks",
        "epsilon_link_share_of_trade": EPSILON,
        "rows": rows,
        "real_network": real_case(db),
        "seconds": round(time.time() - t0, 1),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None,
        int(sys.argv[2]) if len(sys.argv) > 2 else 1000,
    )
