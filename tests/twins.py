"""Fingerprints of the tiny twins' numbers, to show that a change of code left them unchanged.

`tests/data/twins.json` holds, per tiny study, a fingerprint of every numeric variable of its
gathered summary (and of the ping-pong verification files and the frontier / threshold tables),
made by `python -m tests.twins <study> <repo>` from a finished run. A fingerprint is a few
order-free statistics of the values in a canonical order (coordinates sorted): count, NaN count,
sum, sum of |x|, and sums weighted by fixed pseudo-random weights, so a changed, lost or swapped
value changes it. Counts must be equal; sums agree within SLACK·Σ|x| (ten times
`cisim.metrics.AGREEMENT["relative"]`, as the numbers agree across CPUs and batch sizes, not bit for
bit: docs/reliability.md) plus 1e-9 per value.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from cisim import datasets, metrics

REFERENCE = Path(__file__).with_name("data") / "twins.json"
SKIP = {"n_samples", "seconds"}  # a sample count and a timing: not results
# What each study leaves behind, relative to the run's folder.
OUTPUTS = {
    "tiny": ["data/tiny/summary.nc"],
    "designs_tiny": ["data/designs_tiny/summary.nc", "data/designs_tiny/frontier_per_seed.csv"],
    "scaling_tiny": ["data/scaling_tiny/summary.nc"],
    "pingpong_tiny": ["data/pingpong_tiny/summary.nc", "data/pingpong_tiny/pingpong/*.nc"],
    "dynamic_tiny": ["data/dynamic_tiny/summary.nc"],
    "asymptotics_tiny": ["data/asymptotics_tiny/summary.nc"],
    "correction_tiny": ["data/correction_tiny/summary.nc", "data/correction_tiny/frontier_per_seed.csv"],
    "constructions_tiny": ["data/constructions_tiny/summary.nc", "data/constructions_tiny/constructions/sizing.csv"],
    "designs_wide_tiny": ["data/designs_wide_tiny/summary.nc", "data/designs_wide_tiny/frontier_per_seed.csv"],
}
SLACK = 10 * metrics.AGREEMENT["relative"]
CSV_KEYS = ["design", "allocation", "d_model", "redundancy", "n_layers", "n_active", "seed"]


def _stats(values: np.ndarray) -> dict:
    v = np.asarray(values, dtype=float).ravel()
    finite = np.where(np.isfinite(v), v, 0.0)
    w = np.random.default_rng(0).uniform(0.5, 1.5, (2, v.size))
    return {"count": int(v.size), "nan": int(np.isnan(v).sum()), "inf": int(np.isinf(v).sum()),
            "sum": float(finite.sum()), "abs": float(np.abs(finite).sum()),
            "w0": float(w[0] @ finite), "w1": float(w[1] @ finite)}


def fingerprint_dataset(path: Path) -> dict:
    ds = datasets.read_summary(path) if path.name == "summary.nc" else datasets.read(path, "pingpong_case")
    ds = ds.sortby([d for d in ds.dims if d in ds.coords])
    return {name: _stats(var.transpose(*sorted(var.dims)).values) for name, var in sorted(ds.data_vars.items())
            if np.issubdtype(var.dtype, np.number) and name not in SKIP}


def fingerprint_csv(path: Path) -> dict:
    import pandas as pd

    df = pd.read_csv(path)
    df = df.sort_values([c for c in CSV_KEYS if c in df]).reset_index(drop=True)
    return {c: _stats(df[c].to_numpy(float)) for c in df.columns if c not in CSV_KEYS and pd.api.types.is_numeric_dtype(df[c])}


def fingerprint(study: str, root: Path) -> dict:
    out = {}
    for pattern in OUTPUTS[study]:
        for path in sorted(Path(root).glob(pattern)):
            key = path.relative_to(root).as_posix()
            out[key] = fingerprint_csv(path) if path.suffix == ".csv" else fingerprint_dataset(path)
    return out


def differences(study: str, root: Path) -> list[str]:
    """Where the run under `root` differs from the recorded fingerprint of `study` (empty: agrees)."""
    return compare(json.loads(REFERENCE.read_text())[study], fingerprint(study, root))


def compare(expected: dict, got: dict) -> list[str]:
    """The differences between two fingerprints ({file: {variable: stats}}), one line each."""
    problems = [f"{f}: missing" for f in expected if f not in got] + [f"{f}: not recorded" for f in got if f not in expected]
    for f in sorted(set(expected) & set(got)):
        for var in sorted(expected[f]):  # variables added since the recording are new results, not changes
            a, b = expected[f][var], got[f].get(var)
            if b is None:
                problems.append(f"{f}:{var}: missing")
                continue
            for k in a:
                slack = SLACK * max(a["abs"], b["abs"]) + 1e-9 * a["count"]
                if (a[k] != b[k]) if k in ("count", "nan", "inf") else abs(a[k] - b[k]) > slack:
                    problems.append(f"{f}:{var}:{k}: recorded {a[k]!r}, now {b[k]!r}")
    return problems


if __name__ == "__main__":  # python -m tests.twins <study> <finished run folder>: record a twin
    study, root = sys.argv[1], Path(sys.argv[2])
    table = json.loads(REFERENCE.read_text()) if REFERENCE.exists() else {}
    table[study] = fingerprint(study, root)
    REFERENCE.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"recorded {study}: {sum(len(v) for v in table[study].values())} variables in {len(table[study])} files")
