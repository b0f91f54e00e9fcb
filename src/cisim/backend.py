"""Array backend selection: numpy on CPU, CuPy on GPU nodes (config group `backend`).

`auto` picks CuPy when it imports and sees a device, else numpy. Asking for `cupy` where no
GPU exists is an error unless `fallback_to_cpu` is set. Random numbers are always drawn with
numpy on the host (`cisim.seeds`), so a seed gives the same inputs on every backend.
"""

from __future__ import annotations


def gpu_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # ImportError, or CUDA driver/runtime errors on machines without a GPU
        return False


def select(name: str, fallback_to_cpu: bool = False) -> str:
    """Resolve `name` (numpy, cupy, auto) to the backend that will run: "numpy" or "cupy"."""
    if name == "numpy":
        return "numpy"
    if name not in ("cupy", "auto"):
        raise ValueError(f"backend.name={name!r} is not allowed: numpy, cupy or auto")
    if gpu_available():
        return "cupy"
    if name == "auto" or fallback_to_cpu:
        return "numpy"
    raise RuntimeError(
        "backend.name='cupy' is not available: no CUDA device or no cupy here; "
        "install cupy-cuda12x on a GPU node, or set backend.fallback_to_cpu=true to run on numpy"
    )


def namespace(name: str):
    """The array namespace of a backend: numpy and cupy through array-api-compat, or
    array_api_strict (tests: keeps the forward pass within the array API standard)."""
    if name == "numpy":
        import array_api_compat.numpy as xp
    elif name == "cupy":
        import array_api_compat.cupy as xp
    elif name == "array_api_strict":
        import array_api_strict as xp
    else:
        raise ValueError(f"backend {name!r} is not allowed: numpy, cupy or array_api_strict")
    return xp


def to_numpy(x):
    """A host numpy array of `x` (numpy, CuPy or any DLPack array on the CPU)."""
    import numpy as np

    if isinstance(x, (np.ndarray, np.generic)):
        return np.asarray(x)
    if hasattr(x, "get") and type(x).__module__.startswith("cupy"):
        return x.get()
    return np.from_dlpack(x)


def cpu_threads(name: str, workers: int | None) -> int:
    """The CPU threads a simulation may use: 1 off numpy (a GPU queues its own work); else
    `workers`, or (None) as many as the BLAS threads this process was given (OPENBLAS_NUM_THREADS,
    OMP_NUM_THREADS, …; one under Snakemake's `threads: 1`)."""
    if workers is not None and workers < 1:
        raise ValueError(f"workers={workers} is not allowed: need workers >= 1 (or None)")
    if name != "numpy":
        return 1
    if workers is None:
        from threadpoolctl import threadpool_info

        workers = max([1] + [int(info["num_threads"]) for info in threadpool_info() if info["user_api"] == "blas"])
    return max(1, workers)


def cpu_workers(name: str, workers: int | None, n_batches: int) -> int:
    """How many of `n_batches` batches (or other independent items) run side by side: the
    `cpu_threads`, at most one per item."""
    threads = cpu_threads(name, workers)
    return 1 if n_batches < 2 else min(threads, n_batches)


def one_blas_thread():
    """Context: every BLAS library of the process on one thread (batches run side by side instead;
    a BLAS call splitting over cores they already use would only wait)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def side_by_side(f, items, workers: int | None = None) -> list:
    """[f(x) for x in items], computed side by side in threads (one BLAS thread each) when this
    process was given several BLAS threads (`cpu_workers`), else one after the other. The result
    is in the order of `items` and equal to the sequential one: f must not share mutable state
    between items (used for the weight layers of a network, which are independent)."""
    items = list(items)
    n = cpu_workers("numpy", workers, len(items))
    if n == 1:
        return [f(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    with one_blas_thread(), ThreadPoolExecutor(n) as pool:
        return list(pool.map(f, items))


# glibc malloc parameters (malloc.h): blocks below MMAP_THRESHOLD come from the heap, and freed
# heap memory is returned to the system only when more than TRIM_THRESHOLD of it is free.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
REUSE_BELOW_BYTES = 32 * 2**20
TRIM_ABOVE_BYTES = 64 * 2**20
_retained = None


def retain_freed_memory() -> bool:
    """Let this process reuse freed blocks below REUSE_BELOW_BYTES instead of mapping them afresh.

    A batch allocates and frees the same (T, batch) and (D, batch) temporaries at every layer.
    By default glibc maps large blocks afresh and hands the free memory of the worker threads'
    arenas back to the system, so every layer pays the page faults again (docs/benchmarks.md
    § 7h: most of the simulation's system time). Larger blocks stay mapped per use, so the peak
    memory of a wide network is unchanged. Once per process; a no-op where the C library is not
    glibc. Returns whether the settings are in effect.
    """
    global _retained
    if _retained is None:
        import ctypes
        import platform

        _retained = False
        if platform.libc_ver()[0] == "glibc":
            try:
                libc = ctypes.CDLL("libc.so.6")
            except OSError:  # a glibc not loadable by that name
                return _retained
            _retained = bool(libc.mallopt(_M_MMAP_THRESHOLD, REUSE_BELOW_BYTES)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, TRIM_ABOVE_BYTES))
    return _retained
