"""The ping-pong construction for z = 1 (`network`, `analysis`), the capacity frontier used by
the static-vs-dynamic comparison (`capacity`), study settings (`settings`) and the two report
pages (`report`). docs/cross_circuit.md describes all of it."""

from .network import MASKS, PingPong, ReLUCircuits, build, random_circuits, rotation_relu_circuits

__all__ = ["MASKS", "PingPong", "ReLUCircuits", "build", "random_circuits", "rotation_relu_circuits"]
