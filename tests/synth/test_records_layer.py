"""The integrated layer's synthesis records describe the current RTL.

``test_records.py`` checks the other records; this file is apart so that
``pytest -n 2 --dist loadfile`` runs the two side by side (the layer's full-size RTLIL takes
about a minute to generate).
"""

from __future__ import annotations

import pytest

from synth import report

LAYER = [r for r in report.read_records() if r["module"] == "layer"]


def _id(rec: dict) -> str:
    return report.record_path(rec["module"], rec["params"], rec["device"]).stem


@pytest.mark.parametrize("rec", LAYER or [None], ids=_id if LAYER else ["none"])
def test_layer_record_is_fresh(rec):
    if rec is None:
        pytest.skip("no record of the integrated layer yet")
    problem = report.check_record(rec)
    assert problem is None, problem
