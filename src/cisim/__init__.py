"""cisim: computation in superposition, as a reproducible study pipeline.

Numerical core (pure numpy in, numpy out): `allocation`, `circuits`, `construction`,
`simulate`, `metrics`, `theory`. The only I/O module is `datasets`.
"""

__version__ = "0.1.0"
