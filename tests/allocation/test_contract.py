"""The contract every registered allocator keeps (cisim.allocation docstring)."""

import numpy as np
import pytest

from cisim.allocation import ALLOCATORS, CapacityError, assign, capacity

NAMES = sorted(ALLOCATORS)
# (n_blocks, redundancy, n_circuits); n_circuits is clipped to each design's capacity
SIZES = [(250, 6, 557), (64, 4, 60), (40, 2, 39), (30, 1, 45), (27, 3, 20)]


@pytest.fixture(params=NAMES)
def name(request) -> str:
    return request.param


def _sized(name, n_blocks, redundancy, n_circuits):
    return min(n_circuits, capacity(name, n_blocks, redundancy)), n_blocks, redundancy


def _one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text
    return text


def test_registry_entries_are_complete(name):
    entry = ALLOCATORS[name]
    assert callable(entry.assign) and callable(entry.max_circuits)
    assert entry.description and "\n" not in entry.description


@pytest.mark.parametrize("n_blocks, redundancy, n_circuits", SIZES)
def test_rows_are_sorted_distinct_positions_in_range(name, n_blocks, redundancy, n_circuits, rng):
    n_circuits, n_blocks, redundancy = _sized(name, n_blocks, redundancy, n_circuits)
    allocation = assign(name, n_circuits, n_blocks, redundancy, rng)
    assert allocation.shape == (n_circuits, redundancy)
    assert allocation.dtype == np.int64
    assert allocation.min() >= 0 and allocation.max() < n_blocks
    assert (np.diff(allocation, axis=1) > 0).all()


@pytest.mark.parametrize("n_blocks, redundancy, n_circuits", SIZES)
def test_same_seed_gives_same_allocation(name, n_blocks, redundancy, n_circuits):
    n_circuits, n_blocks, redundancy = _sized(name, n_blocks, redundancy, n_circuits)
    first = assign(name, n_circuits, n_blocks, redundancy, np.random.default_rng(7))
    second = assign(name, n_circuits, n_blocks, redundancy, np.random.default_rng(7))
    direct = ALLOCATORS[name].assign(n_circuits, n_blocks, redundancy, np.random.default_rng(7))
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, direct)


def test_capacity_is_the_registered_max_circuits(name):
    assert capacity(name, 250, 6) == ALLOCATORS[name].max_circuits(250, 6) >= 1


def test_too_many_circuits_raise_capacity_error_naming_everything(name, rng):
    limit = capacity(name, 20, 3)
    with pytest.raises(CapacityError) as error:
        assign(name, limit + 1, 20, 3, rng)
    text = _one_line(error)
    for part in (f"'{name}'", "n_blocks=20", "redundancy=3", f"at most {limit}", f"n_circuits={limit + 1}"):
        assert part in text
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize(
    "override, shown",
    [
        ({"n_circuits": 0}, "n_circuits=0"),
        ({"n_circuits": -3}, "n_circuits=-3"),
        ({"n_circuits": 2.5}, "n_circuits=2.5"),
        ({"n_blocks": 0}, "n_blocks=0"),
        ({"redundancy": 0}, "redundancy=0"),
        ({"redundancy": 51}, "redundancy=51"),
        ({"redundancy": True}, "redundancy=True"),
        ({"rng": 42}, "rng=42"),
        ({"not_an_option": 3}, "allocation.not_an_option=3"),
    ],
)
def test_bad_inputs_raise_one_line_value_error_naming_key_and_value(name, override, shown):
    kwargs = {"n_circuits": 5, "n_blocks": 50, "redundancy": 3, "rng": np.random.default_rng(0)} | override
    with pytest.raises(ValueError) as error:
        assign(name, **kwargs)
    assert not isinstance(error.value, CapacityError)
    assert shown in _one_line(error)


def test_redundancy_message_states_the_allowed_range(rng):
    expected = r"^redundancy=0 is not allowed: need 1 <= redundancy <= n_blocks \(n_blocks=250\)$"
    with pytest.raises(ValueError, match=expected):
        assign("prime_step", 10, 250, 0, rng)


def test_unknown_name_lists_the_choices(rng):
    with pytest.raises(ValueError) as error:
        assign("foo", 10, 250, 6, rng)
    expected = "allocation.name='foo' is unknown; choose one of: prime_step, random_subsets, transversal"
    assert _one_line(error) == expected
    with pytest.raises(ValueError, match="allocation.name='foo'"):
        capacity("foo", 250, 6)
