"""Allocation test fixtures."""

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator; kept local so these tests do not depend on other packages' fixtures."""
    return np.random.default_rng(20251215)
