"""Faults on hw/layer/layer.py (WccLayer)'s input streams, in the Amaranth simulator.

Each fault comes between valid frames: the layer must raise the documented error code
(``docs/reliability.md``), never hang (every wait is bounded by the frames' documented
cycles, ``verif.layer_faults.frame_budget``), and run the next valid frame bit-exact against
``golden.wcc_int``.
"""

from __future__ import annotations

import numpy as np
import pytest

from hw.layer import ErrorCode, WccLayer
from hw.layer.protocol import output_map
from verif.layer_faults import (
    cut_params,
    cut_pixels,
    frame_dict,
    run_faults,
    stretch_params,
    stretch_pixels,
)
from verif.layer_harness import expected_outputs
from verif.stimulus import layer_frame

SMALL = dict(lanes=4, rows=2, cols=2, subtiles=2, max_c_in=12, max_c_out=10, max_width=24,
             max_height=16)


def frames_abc(seed):
    """Three small valid frames of different shapes (two planes in the middle one)."""
    return [layer_frame(4, 4, 8, 8, seed=seed, keep=0.5),
            layer_frame(6, 5, 8, 12, seed=seed + 1, keep=0.25, relu=True),
            layer_frame(3, 4, 9, 8, seed=seed + 2, keep=0.5)]


def check_maps(dut, outs, frames, which):
    """The output beats of the frames at indices ``which`` of ``outs`` against golden."""
    want = expected_outputs(frames)
    for j in which:
        x, p, _ = frames[j]
        got = output_map([{"data": b.data, "row": b.row, "col": b.col, "group": b.group}
                          for b in outs[j]], c_out=p.weight.shape[0], height=x.shape[1],
                         width=x.shape[2], lanes=dut.out_lanes)
        bad = np.argwhere(got != want[j])
        assert not len(bad), f"frame {j}: {len(bad)} mismatches, first at {bad[0]}"
        assert [int(b.last) for b in outs[j]] == [0] * (len(outs[j]) - 1) + [1]


def test_clean_run_no_error():
    """The driver on three valid frames: all exact, no error."""
    seed = 40
    print(f"seed={seed}")
    dut = WccLayer(**SMALL)
    frames = frames_abc(seed)
    outs, error, code, _ = run_faults(dut, [frame_dict(dut, f) for f in frames], seed=seed,
                                   stall=0.2, backpressure=0.3)
    check_maps(dut, outs, frames, range(3))
    assert (error, code) == (0, ErrorCode.NONE)


def stray(lanes, n, last_at=None):
    """``n`` pixel beats outside any frame (no ``first``; ``last`` on beat ``last_at``)."""
    return {"extra": [{"data": [5] * lanes, "first": 0, "last": int(j == last_at)}
                      for j in range(n)]}


PIXEL_CASES = {
    "early last": lambda f, lanes: [cut_pixels(f, 100)],
    "cut short, no last": lambda f, lanes: [cut_pixels(f, 100, last=False)],
    "late last": lambda f, lanes: [stretch_pixels(f, 7)],
    "missing last": lambda f, lanes: [stretch_pixels(f, 0, last=False)],
    "too long, no last": lambda f, lanes: [stretch_pixels(f, 7, last=False)],
    "stray beats after": lambda f, lanes: [f, stray(lanes, 3), stray(lanes, 2, last_at=1)],
    "stray beat before": lambda f, lanes: [stray(lanes, 1), f],
}


@pytest.mark.parametrize("case", list(PIXEL_CASES))
def test_pixel_framing(case):
    """The middle frame's pixels damaged: ``PIXEL_FRAMING``; the frame still runs (its
    output, computed on the pixels it got, is not checked: cut short it is completed with
    zeros, stretched its extra beats are dropped), and the frames around it are exact."""
    seed = 41
    print(f"seed={seed}")
    dut = WccLayer(**SMALL)
    frames = frames_abc(seed)
    fs = [frame_dict(dut, f) for f in frames]
    damaged = [fs[0], *PIXEL_CASES[case](fs[1], dut.lanes), fs[2]]
    outs, error, code, _ = run_faults(dut, damaged, seed=seed, stall=0.2, backpressure=0.3)
    check_maps(dut, outs, frames, (0, 2))
    assert (error, code) == (1, ErrorCode.PIXEL_FRAMING)


@pytest.mark.parametrize("case", ["early last", "late last"])
def test_param_framing(case):
    """The middle frame's parameter packet cut short (``last`` early: the rest is taken as
    zeros) or too long (``last`` late: the extra beats are dropped): ``PARAM_FRAMING``, and
    the frames around it are exact."""
    seed = 42
    print(f"seed={seed}")
    dut = WccLayer(**SMALL)
    frames = frames_abc(seed)
    fs = [frame_dict(dut, f) for f in frames]
    n = len(fs[1]["params"])
    fs[1] = cut_params(fs[1], n - 5) if case == "early last" else stretch_params(fs[1], 4)
    outs, error, code, _ = run_faults(dut, fs, seed=seed, stall=0.2, backpressure=0.3)
    check_maps(dut, outs, frames, (0, 2))
    assert (error, code) == (1, ErrorCode.PARAM_FRAMING)


def test_refused_between_valid_frames():
    """Invalid configurations (k above N, then c_in above max_c_in) between valid frames: the
    code of the last one, no output for them, their beats dropped up to their ``last`` (their
    other markers not checked: ``first`` on several), the valid frames around them exact."""
    seed = 45
    print(f"seed={seed}")
    dut = WccLayer(**SMALL)
    frames = frames_abc(seed)
    fs = [frame_dict(dut, f) for f in frames]

    def refused(**bad):
        cfg = fs[0]["cfg"] | bad
        px = [{"data": [1] * dut.lanes, "first": int(j < 3), "last": int(j == 6)}
              for j in range(7)]
        return {"cfg": cfg, "params": [{"data": 9, "last": int(j == 2)} for j in range(3)],
                "pixels": px, "outputs": 0}

    seq = [fs[0], refused(k=8 * 8 + 1), fs[1], refused(c_in=13), fs[2]]
    outs, error, code, _ = run_faults(dut, seq, seed=seed, stall=0.2, backpressure=0.3)
    check_maps(dut, outs, frames, range(3))
    assert (error, code) == (1, ErrorCode.C_IN)


@pytest.fixture(scope="module")
def frame_a_span():
    """Cycles from the start to frame A's last output beat, run alone (A checked too)."""
    seed = 43
    dut = WccLayer(**SMALL)
    frames = frames_abc(seed)
    outs, *_, span = run_faults(dut, [frame_dict(dut, frames[0])], seed=seed)
    check_maps(dut, outs, frames, [0])
    return span


def run_reset(fractions, span, seed=43):
    """Frame A, the reset asserted at each fraction of A's ``span``, then B and C on the
    reset layer: B and C exact, ``error`` low (a reset clears it)."""
    print(f"seed={seed} frame A spans {span} cycles")
    dut = WccLayer(**SMALL)
    frames = frames_abc(seed)
    fs = [frame_dict(dut, f) for f in frames]
    for at in sorted({max(1, round(fr * span)) for fr in fractions}):
        outs, error, code, _ = run_faults(dut, fs[:1], seed=seed, reset_at=at, after=fs[1:],
                                          stall=0.2, backpressure=0.3)
        check_maps(dut, [None] + outs, frames, (1, 2))
        assert (error, code) == (0, ErrorCode.NONE), f"reset at {at}"


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.55, 0.8, 1.0])
def test_reset_inside_a_frame(fraction, frame_a_span):
    """A reset at the first cycle, in the frame's input (0.3: the top-k histogram holds
    counts then), in its computation and at its last output: the layer restarts clean (the
    streams' beats in flight are abandoned)."""
    run_reset([fraction], frame_a_span)


@pytest.mark.slow
def test_reset_every_sixteenth_of_a_frame(frame_a_span):
    """A reset at 17 points evenly spread over a whole frame."""
    run_reset([j / 16 for j in range(17)], frame_a_span, seed=43)
