"""Array backends: numpy by default, CuPy on GPU nodes, array_api_strict to keep the core standard.

No GPU is available on CI: the CuPy test runs only where `cupy` imports and sees a device.
"""

import numpy as np
import pytest

from cisim import backend, construction, simulate

from .conftest import tiny_spec


def test_select_resolves_names_and_explains_a_missing_gpu(monkeypatch):
    assert backend.select("numpy") == "numpy"
    monkeypatch.setattr(backend, "gpu_available", lambda: False)
    assert backend.select("auto") == "numpy"
    assert backend.select("cupy", fallback_to_cpu=True) == "numpy"
    with pytest.raises(RuntimeError, match="cupy-cuda12x") as e:
        backend.select("cupy")
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="backend.name='torch' is not allowed"):
        backend.select("torch")
    monkeypatch.setattr(backend, "gpu_available", lambda: True)
    assert backend.select("auto") == "cupy"


@pytest.mark.parametrize("name", ["numpy", "array_api_strict"])
def test_namespaces_round_trip_to_host_numpy(name):
    xp = backend.namespace(name)
    host = np.arange(12, dtype=np.float32).reshape(3, 4)
    back = backend.to_numpy(xp.sum(xp.asarray(host), axis=0))
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, host.sum(0))
    with pytest.raises(ValueError, match="not allowed"):
        backend.namespace("jax")


def test_inputs_are_drawn_on_the_host_so_a_seed_gives_the_same_run_on_every_backend():
    spec = tiny_spec()
    circuits, network = construction.build(spec, seed=2)
    inputs = simulate.sample_inputs(spec.n_circuits, 3, 256, np.random.default_rng(5))
    runs = [simulate.run(network, circuits, inputs, dtype=np.float64, backend=b) for b in ("numpy", "array_api_strict")]
    assert [r.backend for r in runs] == ["numpy", "array_api_strict"]
    np.testing.assert_allclose(runs[0].x_true, runs[1].x_true, rtol=0)
    for k in runs[0].metrics:
        np.testing.assert_allclose(runs[0].metrics[k], runs[1].metrics[k], rtol=1e-12, atol=1e-15, err_msg=k)


@pytest.mark.skipif(not backend.gpu_available(), reason="no CUDA device or no cupy here (see docs/gpu.md)")
@pytest.mark.parametrize("fw", ["dense", "structured"])
def test_cupy_matches_numpy(fw):
    spec = tiny_spec(d_model=2000, n_circuits=1000, redundancy=6, n_layers=4, allocation="transversal")
    circuits, network = construction.build(spec, seed=0)
    inputs = simulate.sample_inputs(spec.n_circuits, 2, 1024, np.random.default_rng(0))
    ref = simulate.run(network, circuits, inputs, dtype=np.float64, forward=fw)
    gpu = simulate.run(network, circuits, inputs, dtype=np.float64, forward=fw, backend="cupy")
    for k in ref.metrics:
        np.testing.assert_allclose(ref.metrics[k], gpu.metrics[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_wide_circuits_and_noise_correlations_stay_on_the_array_api():
    """A wide circuit with independent copies, its noise correlations included, runs under
    array_api_strict and agrees with numpy."""
    spec = tiny_spec(d_model=960, n_circuits=60, design="redundant_indicators",
                     design_options={"k": 3, "rotation_pairs": 3, "embedding": "independent", "decode": "majority"})
    circuits, network = construction.build(spec, seed=1)
    inputs = simulate.sample_inputs(spec.n_circuits, 2, 128, np.random.default_rng(3), n_rotation_pairs=3)
    runs = [simulate.run(network, circuits, inputs, dtype=np.float64, backend=b, noise=True) for b in ("numpy", "array_api_strict")]
    assert np.isfinite(runs[0].metrics["copy_correlation"][1:]).all()
    for k in runs[0].metrics:
        np.testing.assert_allclose(runs[0].metrics[k], runs[1].metrics[k], rtol=1e-12, atol=1e-15, err_msg=k)


def test_freed_memory_is_kept_for_reuse_on_glibc():
    """The allocator settings take effect exactly where the C library is glibc, and stay set."""
    import platform

    glibc = platform.libc_ver()[0] == "glibc"
    assert backend.retain_freed_memory() is glibc
    assert backend.retain_freed_memory() is glibc
