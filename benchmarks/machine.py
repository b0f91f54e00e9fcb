"""Machine description and the measured float32 matmul rate, shared by the benchmark scripts."""

import os
import platform
import resource
import time

import numpy as np


def describe() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, numpy {np.__version__}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    """1, 5 and 15 minute load averages (the machine is shared: timings are best-of-several)."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def matmul_gflops(n: int = 2000, rows: int = 4096, dtype=np.float32, repeats: int = 5, threads_note=None) -> float:
    """Best-of-`repeats` rate of a (rows × n) @ (n × n) product, the forward pass's GEMM shape."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((rows, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * rows * n * n / best / 1e9


def _timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def matmul_side_by_side(n: int = 1000, rows: int = 512, workers: int = 2, repeats: int = 5) -> tuple[float, float]:
    """float32 (n × n) @ (n × rows) GFLOP/s on one BLAS thread alone, and of `workers` such products
    run at once in threads, each on one BLAS thread (how `simulate.run` runs its batches), in all."""
    from concurrent.futures import ThreadPoolExecutor

    from cisim.backend import one_blas_thread

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = [rng.standard_normal((n, rows)).astype(np.float32) for _ in range(workers)]
    flops, k = 2 * n * n * rows, 20
    with one_blas_thread(), ThreadPoolExecutor(workers) as pool:
        a @ b[0]
        alone = min(_timed(lambda: [a @ b[0] for _ in range(k)]) for _ in range(repeats))
        together = min(_timed(lambda: list(pool.map(lambda x: [a @ x for _ in range(k)], b))) for _ in range(repeats))
    return flops * k / alone / 1e9, workers * flops * k / together / 1e9
