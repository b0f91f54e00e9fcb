import numpy as np

from cisim.metrics import CHUNK, chunked_sum


def test_chunked_sum_is_independent_of_how_samples_are_split(rng):
    values = rng.exponential(size=CHUNK * 7 + 13)
    one = chunked_sum(0.0, values)
    for split in (CHUNK, 2 * CHUNK, 5 * CHUNK):
        total = 0.0
        for lo in range(0, values.size, split):
            total = chunked_sum(total, values[lo : lo + split])
        assert total == one
    np.testing.assert_allclose(one, values.sum(), rtol=1e-13)
