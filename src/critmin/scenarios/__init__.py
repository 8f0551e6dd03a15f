"""Disruption scenarios: the export-restriction registry, the trade-network cascade model, Monte Carlo sweeps.

Public API (documented with examples in docs/scenarios.md):

* registry:    :func:`restrictions`, :func:`add_restriction`, :func:`review_restriction`,
  :func:`import_restrictions`
* network:     :func:`build_network` → :class:`Network` (one commodity, stage and year)
* cascade:     :func:`cascade` / :func:`cascade_edges` (pure NumPy, Marchand et al. 2016)
* scenarios:   :func:`restrict` (one run → :class:`ScenarioResult`), :class:`Restriction`
* Monte Carlo: :func:`sweep` (→ :class:`SweepResult`), :func:`stock_sweep` (shortfall per draw for a range
  of stock levels), executors :class:`LocalExecutor`, :class:`DaskExecutor`

Everything but the registry is imported on first use, so ``import critmin.scenarios`` stays cheap.
"""

from __future__ import annotations

from critmin.scenarios.registry import (
    add_restriction,
    import_restrictions,
    restrictions,
    review_restriction,
)

_LAZY = {
    "cascade": "critmin.scenarios.cascade",
    "cascade_edges": "critmin.scenarios.cascade",
    "days_of_cover": "critmin.scenarios.cascade",
    "CascadeResult": "critmin.scenarios.cascade",
    "Network": "critmin.scenarios.network",
    "build_network": "critmin.scenarios.network",
    "from_matrix": "critmin.scenarios.network",
    "Restriction": "critmin.scenarios.scenario",
    "ScenarioResult": "critmin.scenarios.scenario",
    "restrict": "critmin.scenarios.scenario",
    "run": "critmin.scenarios.scenario",
    "sweep": "critmin.scenarios.montecarlo",
    "stock_sweep": "critmin.scenarios.montecarlo",
    "SweepResult": "critmin.scenarios.montecarlo",
    "imposer_probabilities": "critmin.scenarios.montecarlo",
    "LocalExecutor": "critmin.scenarios.executors",
    "DaskExecutor": "critmin.scenarios.executors",
    "get_executor": "critmin.scenarios.executors",
}

__all__ = ["add_restriction", "import_restrictions", "restrictions", "review_restriction", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'critmin.scenarios' has no attribute {name!r}")
