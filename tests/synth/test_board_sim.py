"""The layer board at its pins (``synth/board_sim.py``): the host program's bytes through the
UART bits of a Verilator model of the bitstream's design, bit-exact with ``golden.wcc_int``.

Slow (``make regress``): the model of the board's layer build takes minutes to compile and a
32 x 32 frame some 26 million clock cycles at 3 Mbaud's bit timing.
"""

import json

import numpy as np
import pytest

from golden.int_model import wcc_int
from synth.layer_host import Session, frame_bytes, output_map, output_order
from verif.stimulus import layer_frame
from wcc import cli

SMALL = dict(lanes=4, rows=2, cols=2, subtiles=2, max_c_in=8, max_c_out=8, max_width=16,
             max_height=16, max_k=256, primitive="ecp5")


@pytest.mark.slow
def test_small_board_frames_back_to_back():
    """A small layer build behind the same link and UART: two frames of different shapes
    (ReLU on the second), a session start (break, reset, status) and a final status."""
    from synth.board_sim import SimPort, build

    divisor = 25
    exe = build(divisor, layer=SMALL, fifo_depth=256)
    frames = [layer_frame(6, 7, 11, 13, seed=3, keep=0.25),
              layer_frame(8, 8, 16, 16, seed=4, keep=0.5, relu=True)]
    print("frames: layer_frame seeds 3 and 4")
    with SimPort(exe, divisor) as port:
        session = Session(port, out_lanes=4, window=256, timeout=300)
        session.start()
        for x, params, k in frames:
            c_out, h, w = params.weight.shape[0], x.shape[1], x.shape[2]
            got = session.run(frame_bytes(x, params, k, lanes=4, cols=2, subtiles=2),
                              len(output_order(c_out, h, w, 4)))
            out = output_map(got, c_out=c_out, height=h, width=w, out_lanes=4)
            assert np.array_equal(out, wcc_int(x, params, k=k))
        status = session.status()
    assert status["frames_out"] == 2 and not status["error"] and not status["overrun"]


@pytest.mark.slow
def test_wcc_board_sim_ocr_add35(capsys):
    """``wcc board --sim``: p2o.Add.35 on astronaut at 128 (48 -> 48 channels, 32 x 32),
    keep 1/4, through the board's layer build at its pins, bit-exact."""
    rc = cli.main(["board", "--sim", "--layer", "ocr:p2o.Add.35@astronaut", "--size", "128",
                   "--keep", "0.25", "--json"])
    out = capsys.readouterr().out
    rec = json.loads(out[out.index("{\n"):])
    print(json.dumps(rec, indent=1))
    assert rec["bit_exact"] and rc == 0
    assert (rec["c_in"], rec["c_out"], rec["height"], rec["width"]) == (48, 48, 32, 32)
    assert rec["status"]["frames_out"] == 1 and not rec["status"]["error"]
    assert rec["throughput"]["limit"] == "link"
