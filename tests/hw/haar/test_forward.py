"""Amaranth-simulator tests of hw/haar/forward.py (HaarForward) against golden.int_haar.int_dwt2."""

from __future__ import annotations

import numpy as np
import pytest

from golden.haar import pad_to
from golden.int_haar import coef_bits, int_dwt2
from hw.haar import HaarForward
from verif.amaranth_streams import run_counted, stream_get, stream_put
from verif.haar_harness import run_forward
from verif.stimulus import pixel_beats


def check_frames(dut, frames, beats):
    """Every position exactly once per frame, ``last`` on the final beat, values = golden."""
    k = 0
    for x in frames:
        want = int_dwt2(pad_to(np.asarray(x, np.int64), dut.levels), dut.levels)
        n = want.shape[1]
        chunk = beats[k:k + n]
        k += n
        got = np.zeros_like(want)
        seen = np.zeros(n, bool)
        for j, b in enumerate(chunk):
            p = int(b.pos)
            assert not seen[p], f"position {p} emitted twice"
            seen[p] = True
            got[:, p] = [int(v) for v in b.data]
            assert int(b.last) == (j == n - 1), f"last flag wrong at beat {j}"
        assert seen.all()
        np.testing.assert_array_equal(got, want)


def rand_map(rng, c, h, w, bits=8):
    return rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), size=(c, h, w))


@pytest.mark.parametrize("levels", [1, 2, 3, 4])
def test_random_levels(levels):
    seed = 100 + levels
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    b = 2**levels
    dut = HaarForward(lanes=2, max_width=2 * b, max_height=2 * b, levels=levels)
    frames = [rand_map(rng, 2, 2 * b, 2 * b), rand_map(rng, 2, b, 2 * b)]
    beats, _ = run_forward(dut, frames)
    check_frames(dut, frames, beats)


@pytest.mark.parametrize("max_width", [40, 72])
def test_line_buffer_banks(max_width):
    """Line buffers of several 16-word banks, the last one partly used (level 1 holds 20 or
    36 pairs): full and narrower frames, in extreme and random values, under input stalls and
    output backpressure."""
    seed = 200 + max_width
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = HaarForward(lanes=2, max_width=max_width, max_height=16, levels=3)
    frames = [rand_map(rng, 2, 16, max_width), np.full((2, 8, max_width), -128),
              rand_map(rng, 2, 9, max_width - 5), np.full((2, 8, max_width - 8), 127)]
    beats, _ = run_forward(dut, frames, stall=0.3, backpressure=0.4, seed=seed)
    check_frames(dut, frames, beats)


def test_extremes():
    dut = HaarForward(lanes=3, max_width=16, max_height=16, levels=3)
    assert dut.coef_bits == coef_bits(3, 8)
    cb = np.indices((16, 16)).sum(0) % 2
    hot = np.zeros((16, 16), np.int64)
    hot[5, 9] = 127
    frames = [np.full((3, 16, 8), -128), np.full((3, 8, 16), 127),
              np.stack([np.where(cb, 127, -128), np.where(cb, -128, 127), hot])]
    beats, _ = run_forward(dut, frames)
    check_frames(dut, frames, beats)


@pytest.mark.parametrize("h,w", [(5, 7), (9, 16), (16, 13), (1, 1)])
def test_padding(h, w):
    seed = 7 * h + w
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = HaarForward(lanes=1, max_width=16, max_height=16, levels=3)
    frames = [rand_map(rng, 1, h, w)]
    beats, _ = run_forward(dut, frames)
    check_frames(dut, frames, beats)


@pytest.mark.parametrize("seed,fifo_memory,depth", [(1, "lut", 4), (2, "lut", 4),
                                                    (3, "memory", 4), (4, "lut", 71)])
def test_stalls_backpressure(seed, fifo_memory, depth):
    """Depth 71: the LUT-RAM FIFO split into even and odd words (more than 64 words)."""
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = HaarForward(lanes=2, max_width=32, max_height=16, levels=3, fifo_depth=depth,
                      fifo_memory=fifo_memory)
    frames = [rand_map(rng, 2, 16, 32), rand_map(rng, 2, 8, 24)]
    beats, _ = run_forward(dut, frames, stall=0.3, backpressure=0.5, seed=seed)
    check_frames(dut, frames, beats)


def test_in_bits_wide():
    seed = 5
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = HaarForward(lanes=1, max_width=8, max_height=8, levels=2, in_bits=12)
    frames = [rand_map(rng, 1, 8, 8, bits=12), np.full((1, 8, 8), -2048)]
    beats, _ = run_forward(dut, frames)
    check_frames(dut, frames, beats)


@pytest.mark.parametrize("levels,fifo_memory,depth", [(1, "lut", None), (3, "lut", None),
                                                      (4, "lut", None), (3, "memory", None),
                                                      (3, "lut", 72)])
def test_throughput_bound(levels, fifo_memory, depth):
    """No stalls or backpressure: a frame's input takes W*H + 2 cycles (two start cycles), the
    next frame opens 2*levels + 1 cycles later (the stage-1 input register, then the stages'
    last quads reach the FIFO), and the output ends (2 - 2**(1-levels)) * W + 10 cycles after
    the last pixel (+1 with a two-stage FIFO read; the backlog of the last block row, see
    docs/haar.md)."""
    rng = np.random.default_rng(3)
    w, h = 32, 16
    dut = HaarForward(lanes=1, max_width=w, max_height=h, levels=levels, fifo_depth=depth,
                      fifo_memory=fifo_memory)
    frames = [rand_map(rng, 1, h, w), rand_map(rng, 1, h, w)]
    beats, (t_in, t_out) = run_forward(dut, frames)
    check_frames(dut, frames, beats)
    print(t_in, t_out)
    assert t_in <= 2 * (w * h + 2) + 2 * levels + 1
    # One more cycle through a two-stage FIFO read (block RAM, or LUT RAM over 64 words).
    two_stage = fifo_memory != "lut" or dut.fifo_depth > 64
    assert t_out - t_in <= (2 - 2 ** (1 - levels)) * w + 10 + two_stage


def _run_marked(dut, frames, marks, pre=()):
    """Send ``frames`` with their ``first``/``last`` markers replaced by ``marks`` (one
    ``{beat index: (first, last)}`` per frame) after the stray beats ``pre``; drain every
    padded position of every frame (bounded wait) and return (beats, ``error`` after each
    frame's last beat is taken, ``error`` at the end)."""
    n_out = sum(pad_to(x, dut.levels)[0].size for x, mk in zip(frames, marks, strict=True)
                if mk.get(0, (1, 0))[0])
    out, errs, final = [], [], []

    async def producer(ctx):
        if pre:
            await stream_put(ctx, dut.i, list(pre))
        for x, mk in zip(frames, marks, strict=True):
            beats = pixel_beats(x)
            for j, (first, last) in mk.items():
                beats[j] = beats[j] | {"first": first, "last": last}
            ctx.set(dut.width, x.shape[2])
            ctx.set(dut.height, x.shape[1])
            await stream_put(ctx, dut.i, beats)
            await ctx.tick()
            errs.append(ctx.get(dut.error))

    async def consumer(ctx):
        out.extend(await stream_get(ctx, dut.o, n_out, timeout=40 * n_out + 2000))
        await ctx.tick().repeat(4)
        final.append(ctx.get(dut.error))

    run_counted(dut, (producer, consumer), [0])
    return out, errs, final[0]


@pytest.mark.parametrize("case,want", [
    ("ok", 0), ("stray before", 1), ("no first", 1), ("early last", 1), ("late last", 1),
    ("last twice", 1),
])
def test_framing_errors(case, want):
    """The sticky ``error`` rises on a beat outside a frame and on a ``first``/``last`` marker
    that disagrees with the frame's size, not on a well-framed frame. A frame with a misplaced
    ``last`` is emitted whole (the unit counts positions, ``last`` is only checked), a frame
    without ``first`` is dropped beat by beat, and the next well-framed frame comes out
    exactly."""
    seed = 4
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    dut = HaarForward(lanes=1, max_width=8, max_height=8, levels=3)
    frames = [rand_map(rng, 1, 6, 7), rand_map(rng, 1, 8, 8)]
    n = 6 * 7
    mark = {"ok": {}, "stray before": {}, "no first": {0: (0, 0)},
            "early last": {n - 9: (0, 1), n - 1: (0, 0)}, "late last": {n - 1: (0, 0)},
            "last twice": {n - 9: (0, 1)}}[case]
    stray = [{"data": [1], "first": 0, "last": 0}] * 3 if case == "stray before" else ()
    beats, errs, final = _run_marked(dut, frames, [mark, {}], pre=stray)
    check_frames(dut, frames[1:] if case == "no first" else frames, beats)
    assert errs[0] == want and final == want


@pytest.mark.parametrize("kw", [
    dict(lanes=0), dict(lanes=65), dict(levels=0), dict(levels=5),
    dict(in_bits=1), dict(in_bits=17), dict(max_width=12), dict(max_height=4),
    dict(max_width=8192), dict(fifo_depth=2), dict(lanes=1.5), dict(fifo_memory="bram"),
])
def test_bad_parameters(kw):
    args = dict(lanes=1, max_width=16, max_height=16, levels=3) | kw
    name = next(iter(kw))
    with pytest.raises(ValueError, match=name):
        HaarForward(**args)


@pytest.mark.parametrize("levels", [1, 4])
def test_no_multipliers(levels):
    """Adds, subtracts and shifts only: no $mul (nor variable shift) at Yosys word level. At
    width 64 level 1's line buffer has two 16-word banks (their multiplexer included)."""
    flow = pytest.importorskip("synth.flow")
    dut = HaarForward(lanes=2, max_width=64, max_height=32, levels=levels)
    cells = flow.yosys_cells(dut, f"haar_cells_l{levels}")
    assert not {"$mul", "$macc", "$shift", "$shiftx", "$shl", "$shr", "$sshr"} & set(cells), cells
    assert "$add" in cells
