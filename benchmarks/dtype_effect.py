"""Effect of float32 (the default) vs float64 activations, and of the dense vs structured path, on the metrics.

Same seed, same inputs; for each network prints, per metric, the largest relative difference over
layers 1..L between float32 and float64 (dense path), between float64 dense and float64
structured, and between float32 dense and float32 structured; the rates are compared as
absolute differences. Networks: the post's main network (D = 1000, T = 557, L = 5, prime_step)
and a scaling-study network close to its threshold (D = 2048, T = 524, L = 4, transversal).
Usage: .venv/bin/python benchmarks/dtype_effect.py [--samples 4096]
"""

import argparse

import numpy as np

from cisim import construction, simulate

parser = argparse.ArgumentParser()
parser.add_argument("--samples", type=int, default=4096)
args = parser.parse_args()

NETWORKS = {
    "main D=1000 T=557 L=5 prime_step": construction.NetworkSpec(1000, 557, 6, 5, allocation="prime_step"),
    "scaling D=2048 T=524 L=4 transversal": construction.NetworkSpec(2048, 524, 6, 4, allocation="transversal"),
}
MSE = ["mse_x_active", "mse_x_inactive", "mse_alpha_inactive", "max_x_active", "max_x_inactive"]
RATES = ["false_on_rate", "false_off_rate", "failed_rotation_rate"]


def rel(a, b):
    """Largest relative difference over layers 1..L where the reference is above 1e-9 (an exact
    zero error in float64 reads as ~1e-14 in float32: that is reported as absolute)."""
    a, b = a[1:], b[1:]
    keep = np.abs(b) > 1e-9
    return float(np.max(np.abs(a[keep] - b[keep]) / np.abs(b[keep]))) if keep.any() else 0.0


for name, spec in NETWORKS.items():
    circuits, network = construction.build(spec, seed=0)
    for z in (1, 2, 3):
        inputs = simulate.sample_inputs(spec.n_circuits, z, args.samples, np.random.default_rng([0, z]))
        runs = {(fw, dt): simulate.run(network, circuits, inputs, batch_size=512, dtype=dt, forward=fw).metrics
                for fw in ("dense", "structured") for dt in (np.float32, np.float64)}
        pairs = {"f32 vs f64 (dense)": (("dense", np.float32), ("dense", np.float64)),
                 "structured vs dense (f64)": (("structured", np.float64), ("dense", np.float64)),
                 "structured vs dense (f32)": (("structured", np.float32), ("dense", np.float32))}
        print(f"{name}, z = {z}, {args.samples} samples; reference mse_x_active "
              + " ".join(f"{v:.4g}" for v in runs[("dense", np.float64)]["mse_x_active"][1:])
              + "; false_on_rate " + " ".join(f"{v:.3g}" for v in runs[("dense", np.float64)]["false_on_rate"][1:]))
        for label, (a, b) in pairs.items():
            worst_mse = max(rel(runs[a][k], runs[b][k]) for k in MSE)
            tiny = max(float(np.max(np.abs(runs[a][k][1:] - runs[b][k][1:])[np.abs(runs[b][k][1:]) <= 1e-9], initial=0.0)) for k in MSE)
            worst_rate = max(float(np.max(np.abs(runs[a][k][1:] - runs[b][k][1:]))) for k in RATES)
            print(f"  {label:<28} max relative difference of errors {worst_mse:.2e} (errors ≤ 1e-9: max absolute difference {tiny:.1e}); max absolute difference of rates {worst_rate:.2e}")
