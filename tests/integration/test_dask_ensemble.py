"""A real Dask cluster (two worker processes on loopback) gives the in-process results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sdmission.analysis import ensemble as E
from sdmission.analysis.uncertainty import load_parameter_table, load_uncertainties, sample
from sdmission.study.targets import get_target_set

TOY = Path(__file__).resolve().parents[1] / "data" / "models" / "unc_toy.mdl"
VARS = ["ghg_reduction_vs_1990", "industry_ghg"]


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as lc:
        yield lc


def _scenario() -> E.EnsembleScenario:
    space = load_uncertainties({"defaults": "all"}, "test", load_parameter_table(TOY))
    return E.EnsembleScenario("toy", TOY, {}, space, get_target_set("design"))


def test_dask_cluster_matches_in_process(cluster, tmp_path: Path):
    sc = _scenario()
    samples = sample({"toy": sc.space}, 12, "sobol", seed=11)
    local = E.run_ensemble([sc], samples, return_vars=VARS, engine="pysd", chunk_size=3)
    stats = E.RunStats()
    remote = E.run_ensemble([sc], samples, return_vars=VARS, engine="pysd", chunk_size=3,
                            chunk_dir=tmp_path / "c.chunks", scheduler=cluster.scheduler_address,
                            stats=stats)
    assert stats.computed == 4
    for v in VARS:
        np.testing.assert_array_equal(remote[v].values, local[v].values)
    assert remote.identical(local)
    # both workers took part (each keeps its engine after the first chunk)
    from distributed import Client

    with Client(cluster.scheduler_address, set_as_default=False) as client:
        counts = client.run(lambda: len(E._ENGINES))
    assert sorted(counts.values()) == [1, 1]
    # the saved chunks are reused on the next run, also when it goes through the cluster
    stats2 = E.RunStats()
    again = E.run_ensemble([sc], samples, return_vars=VARS, engine="pysd", chunk_size=3,
                           chunk_dir=tmp_path / "c.chunks", scheduler=cluster.scheduler_address,
                           stats=stats2)
    assert (stats2.loaded, stats2.computed) == (4, 0) and again.identical(local)
