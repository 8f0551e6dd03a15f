"""Disruption scenarios: the export-restriction registry, the trade-network cascade model, Monte Carlo sweeps.

Public API (documented in docs/scenarios.md):

* registry: :func:`restrictions`, :func:`add_restriction`, :func:`review_restriction`, :func:`import_restrictions`
* cascade:  :func:`critmin.scenarios.cascade.cascade` (pure NumPy), :func:`critmin.scenarios.network.build_network`,
  :func:`critmin.scenarios.scenario.restrict` (one scenario on the real network)
* Monte Carlo: :func:`critmin.scenarios.montecarlo.sweep`

Submodules are imported lazily so that ``import critmin.scenarios`` stays cheap.
"""

from __future__ import annotations

from critmin.scenarios.registry import (
    add_restriction,
    import_restrictions,
    restrictions,
    review_restriction,
)

__all__ = ["add_restriction", "import_restrictions", "restrictions", "review_restriction"]
