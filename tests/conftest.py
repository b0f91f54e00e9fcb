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
