"""The fingerprint comparison that shows the tiny twins' numbers unchanged (tests/twins.py) is not vacuous."""

import copy
import json

from .twins import REFERENCE, compare

RECORDED = json.loads(REFERENCE.read_text())


def test_every_tiny_study_is_recorded():
    assert set(RECORDED) == {"tiny", "designs_tiny", "scaling_tiny", "pingpong_tiny", "dynamic_tiny", "asymptotics_tiny", "correction_tiny", "designs_wide_tiny", "constructions_tiny"}
    assert RECORDED["tiny"]["data/tiny/summary.nc"]["mse_x_active"]["count"] > 0


def test_a_fingerprint_agrees_with_itself_and_catches_changes():
    ref = RECORDED["tiny"]
    assert compare(ref, copy.deepcopy(ref)) == []
    grown = copy.deepcopy(ref)
    grown["data/tiny/summary.nc"]["a_new_metric"] = {"count": 1, "nan": 0, "inf": 0, "sum": 1.0, "abs": 1.0, "w0": 1.0, "w1": 1.0}
    assert compare(ref, grown) == []  # a variable added later is a new result, not a change
    moved = copy.deepcopy(ref)
    stats = moved["data/tiny/summary.nc"]["mse_x_active"]
    stats["w0"] += 1e-3 * stats["abs"]  # one value changed by 0.1 % of the variable's scale
    assert compare(ref, moved) == [f"data/tiny/summary.nc:mse_x_active:w0: recorded {ref['data/tiny/summary.nc']['mse_x_active']['w0']!r}, now {stats['w0']!r}"]
    lost = copy.deepcopy(ref)
    lost["data/tiny/summary.nc"]["false_on_rate"]["nan"] += 1
    del lost["data/tiny/summary.nc"]["x_est"]
    n = ref["data/tiny/summary.nc"]["false_on_rate"]["nan"]
    assert compare(ref, lost) == [f"data/tiny/summary.nc:false_on_rate:nan: recorded {n}, now {n + 1}", "data/tiny/summary.nc:x_est: missing"]
