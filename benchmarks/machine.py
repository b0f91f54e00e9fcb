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
