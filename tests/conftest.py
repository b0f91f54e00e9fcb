"""Shared fixtures: tiny networks, built with fixed seeds (test data is generated, not stored)."""

import numpy as np
import pytest

from cisim import construction


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def tiny_spec(**kw):
    base = dict(d_model=400, n_circuits=60, redundancy=4, n_layers=3, allocation="prime_step")
    base.update(kw)
    return construction.NetworkSpec(**base)


@pytest.fixture
def tiny_network():
    spec = tiny_spec()
    circuits, network = construction.build(spec, seed=7)
    return spec, circuits, network


@pytest.fixture(scope="session")
def tiny_study(tmp_path_factory):
    """The tiny study run once, end to end, in a temporary copy of the workflow (tests/pipeline.py).
    Read it, or `pipeline.clone` it before running anything in it. Under pytest-xdist the workers
    share one run: the first to get the lock runs it, the others wait for it."""
    import fcntl
    import os

    from .pipeline import copy_workflow, smk

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if "PYTEST_XDIST_WORKER" in os.environ else base  # common to this session's workers
    workdir = shared / "tiny-study"
    with open(shared / "tiny-study.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "tiny-study.done").exists():
            copy_workflow(workdir)
            smk(workdir, "--config", "study=tiny")
            (shared / "tiny-study.done").touch()
    return workdir


def pytest_collection_modifyitems(config, items):
    """Tests that start a real Slurm cluster run last: if its config stays behind (daemons this suite
    did not start are left alone, with their config), every later Snakemake start waits ~9 s in the
    Slurm plugin's `scontrol show config` (docs/cluster.md § 4)."""
    items.sort(key=lambda item: item.get_closest_marker("slurm") is not None)
