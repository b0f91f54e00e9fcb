"""The simulation layer: the large network's forward pass over sampled inputs, scored against
the exact small circuits (post §5.3–5.5, eqs 5.25–5.35; docs/method.md §3, §5, §6).

Modules, imported one way (each only from those above it and from the core and construction):

    inputs      active sets and phases (`sample_inputs`), the embedded input A^0
    truth       exact small-circuit states per circuit layer, listed sparsely
    operators   weight-layer operators (dense GEMM or factored), `plan`, the cost model
    accumulate  streaming per-layer metrics, merged in a fixed order
    readout     every circuit's read-out channels from one layer
    budget      batch width, memory and time estimates (used by the config's checks)
    run         `prepare`, `forward_layers`, `run` (metrics and trajectories), `readouts`

Typical use: `inputs = sample_inputs(T, z, n, rng)`, `prepared = prepare(network, circuits)`,
`run(network, circuits, inputs, prepared=prepared).metrics`.
"""

from . import operators, readout
from .budget import BATCH_BUDGET_BYTES, batch_columns, bytes_per_sample, estimated_seconds, peak_bytes
from .inputs import (
    DIRECT_TABLE_ENTRIES,
    REJECTION_MIN_ACCEPTANCE,
    Inputs,
    distinct_acceptance,
    embed_input_columns,
    initial_states,
    sample_inputs,
    samples_per_z,
)
from .run import Prepared, Result, forward_layers, prepare, readouts, run
from .truth import true_states

__all__ = [
    "BATCH_BUDGET_BYTES", "DIRECT_TABLE_ENTRIES", "REJECTION_MIN_ACCEPTANCE", "Inputs", "Prepared", "Result",
    "batch_columns", "bytes_per_sample", "distinct_acceptance", "embed_input_columns", "estimated_seconds",
    "forward_layers", "initial_states", "operators", "peak_bytes", "prepare", "readout", "readouts", "run",
    "sample_inputs", "samples_per_z", "true_states",
]
