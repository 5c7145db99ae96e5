"""The soak's frames (verif/layer_soak.py) on WccLayer in the Amaranth simulator.

Every kind of soak frame once, back to back on a small build, in the fast suite: the damaged
frames' expected outputs (computed on what the layer gets) and the recoverable combinations
the soak relies on are checked here in seconds; ``sim/test_layer_soak.py`` runs a thousand
random ones on Verilator (``make regress``).
"""

from __future__ import annotations

import numpy as np

from hw.layer import ErrorCode, WccLayer
from hw.layer.protocol import output_map
from verif.layer_faults import run_faults
from verif.layer_soak import soak_frames

TINY = dict(lanes=4, rows=2, cols=2, subtiles=2, max_c_in=6, max_c_out=4, max_width=8,
            max_height=8)
SCHEDULE = ["px_early_last", "refused", "px_cut_no_last", "refused", "px_late_last",
            "px_stray_before", "px_long_no_last", "refused", "px_missing_last", "prm_cut",
            "refused", "prm_long", "valid"]


def test_every_soak_kind_back_to_back():
    """Each kind of frame once: every frame that runs bit-exact (the damaged ones against
    golden on the pixels and parameters the layer gets), the last code that of the last
    damaged frame."""
    seed = 71
    print(f"seed={seed}")
    dut = WccLayer(**TINY)
    frames = soak_frames(dut, len(SCHEDULE), seed=seed, kinds=SCHEDULE)
    assert [f.kind for f in frames] == SCHEDULE
    fs = [{"cfg": f.cfg, "params": f.params, "pixels": f.pixels, "outputs": f.outputs}
          for f in frames]
    outs, error, code, _ = run_faults(dut, fs, seed=seed, stall=0.1, backpressure=0.2)
    runs = [f for f in frames if f.outputs]
    assert len(outs) == len(runs)
    for j, (f, beats) in enumerate(zip(runs, outs, strict=True)):
        c = f.cfg
        got = output_map([{"data": b.data, "row": b.row, "col": b.col, "group": b.group}
                          for b in beats], c_out=c["c_out"], height=c["height"],
                         width=c["width"], lanes=dut.out_lanes)
        bad = np.argwhere(got != f.expected)
        assert not len(bad), f"frame {j} ({f.kind}): {len(bad)} mismatches, first {bad[0]}"
    assert (error, code) == (1, ErrorCode.PARAM_FRAMING)
