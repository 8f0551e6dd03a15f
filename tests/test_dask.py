"""Sweeps on a real Dask LocalCluster give exactly the in-process results."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("distributed")

from critmin.scenarios.executors import DaskExecutor
from critmin.scenarios.montecarlo import stock_sweep, sweep
from critmin.scenarios.network import build_network


@pytest.fixture(scope="module")
def cluster():
    with DaskExecutor(n_workers=2) as ex:
        yield ex


def test_local_cluster_binds_loopback_without_dashboard(cluster):
    assert cluster.scheduler.startswith("tcp://127.0.0.1:")
    assert cluster.n_workers == 2
    assert cluster.client.dashboard_link is None or "None" not in cluster.client.dashboard_link


def test_dask_sweep_equals_local_sweep(ds, cluster):
    net = build_network(ds, "antimony", "mine", 2023)
    kw = dict(
        draws=120,
        imposers={"CHN": 0.5, "RUS": 0.3, "TJK": 0.2},
        share=(0.3, 1.0),
        default_stock_days=(0, 45),
        substitution=(0, 0.2),
        seed=11,
        chunk_size=25,
    )
    local = sweep(net, **kw)
    seen = []
    remote = sweep(net, executor=cluster, progress=seen.append, **kw)
    np.testing.assert_array_equal(local.dC, remote.dC)
    np.testing.assert_array_equal(local.dR, remote.dR)
    assert sum(seen) == 120 and remote.executor == "dask"


def test_dask_stock_sweep_via_scheduler_address(ds, cluster):
    net = build_network(ds, "antimony", "mine", 2023)
    with DaskExecutor(cluster.scheduler) as ex:
        df = stock_sweep(net, "USA", [0, 60], draws=20, imposers="CHN", share=(0.5, 1.0), executor=ex)
    local = stock_sweep(net, "USA", [0, 60], draws=20, imposers="CHN", share=(0.5, 1.0))
    np.testing.assert_array_equal(df["shortfall_tonnes"].to_numpy(), local["shortfall_tonnes"].to_numpy())
