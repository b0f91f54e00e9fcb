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
    Read it, or `pipeline.clone` it before running anything in it."""
    from .pipeline import copy_workflow, smk

    workdir = copy_workflow(tmp_path_factory.mktemp("tiny-study"))
    smk(workdir, "--config", "study=tiny")
    return workdir


def pytest_collection_modifyitems(config, items):
    """Tests that start a real Slurm run last: once its client is installed, every Snakemake start
    elsewhere would pay for the plugin's `scontrol` call while the test cluster is up."""
    items.sort(key=lambda item: item.get_closest_marker("slurm") is not None)
