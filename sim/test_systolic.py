"""pytest side of the systolic-array cocotb testbench (sim/tb_systolic.py), Icarus."""

from __future__ import annotations

import numpy as np
import pytest

from hw.systolic import SystolicArray
from verif.runner import BUILD, ROOT, run_cocotb


def _save(name, layers, extra=None):
    path = BUILD / f"{name}_layers.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for i, (w, x) in enumerate(layers):
        arrays[f"w{i}"], arrays[f"x{i}"] = w, x
    arrays.update(extra or {})
    np.savez(path, **arrays)
    return str(path)


def _random_layers(seed, shapes):
    rng = np.random.default_rng(seed)
    return [(rng.integers(-128, 127, (co, ci), endpoint=True),
             rng.integers(-128, 127, (ci, k), endpoint=True)) for ci, co, k in shapes]


@pytest.mark.parametrize("rows,cols,subtiles,shapes,stall,bp", [
    (4, 4, 1, [(8, 8, 20), (6, 10, 9), (4, 4, 1), (5, 3, 0), (16, 4, 5)], 0.3, 0.3),
    (2, 3, 1, [(5, 7, 11), (2, 3, 1), (1, 1, 0), (4, 6, 16)], 0.0, 0.5),
    # Two sub-tiles of 3 channels: C_out 7 leaves a partial sub-tile and one wholly past C_out
    # in the second tile; C_out < C; C_in < R; k = 0, k = 1; one-beat weight runs.
    (2, 3, 2, [(5, 7, 11), (1, 2, 3), (3, 13, 0), (4, 6, 1), (1, 9, 2)], 0.3, 0.4),
])
def test_systolic_random(rows, cols, subtiles, shapes, stall, bp):
    seed = 17 * rows + cols + 100 * (subtiles - 1)
    name = f"systolic_{rows}x{cols}" + (f"_s{subtiles}" if subtiles > 1 else "")
    dut = SystolicArray(rows, cols, max_c_in=16, max_c_out=16, max_k=32, subtiles=subtiles)
    run_cocotb(dut, name=name, test_module="tb_systolic",
               config=dict(rows=rows, cols=cols, subtiles=subtiles, seed=seed, stall=stall,
                           backpressure=bp, count=len(shapes),
                           layers=_save(name, _random_layers(seed, shapes))))


@pytest.mark.parametrize("rows,cols,max_c_in,subtiles,shapes,stall,bp", [
    # max_c_in 128 on 4 rows: 64-word PE memories of four LUT-RAM banks, all of them used.
    (4, 4, 128, 1, [(128, 8, 5), (6, 10, 9), (4, 4, 1), (5, 3, 0), (70, 4, 3)], 0.2, 0.3),
    (8, 8, 16, 1, [(16, 16, 24), (13, 9, 7)], 0.0, 0.0),
    # Two sub-tiles on 4 rows, max_c_in 64: 64-word PE memories (bank, s, t) of four LUT-RAM
    # banks, the sub-tile bit selecting between them; the integrated layer's m = 2 at 8 x 8.
    (4, 4, 64, 2, [(64, 16, 4), (6, 11, 9), (3, 3, 1), (5, 9, 0), (37, 20, 3)], 0.2, 0.3),
    (8, 8, 16, 2, [(16, 32, 12), (13, 9, 5)], 0.0, 0.0),
])
def test_systolic_ecp5_primitive(rows, cols, max_c_in, subtiles, shapes, stall, bp):
    # The build that synthesis measures on ECP5: every PE multiplier is a MULT18X18D with its
    # input and output registers and the address pipeline is kept TRELLIS_FFs, run on the
    # behavioural models in sim/models/.
    seed = 19 * rows + cols + 100 * (subtiles - 1)
    name = f"systolic_ecp5_{rows}x{cols}" + (f"_s{subtiles}" if subtiles > 1 else "")
    dut = SystolicArray(rows, cols, max_c_in=max_c_in, max_c_out=16 * subtiles, max_k=32,
                        subtiles=subtiles, primitive="ecp5")
    run_cocotb(dut, name=name, test_module="tb_systolic",
               extra_sources=[ROOT / "sim" / "models" / f"{prim}.v"
                              for prim in ("MULT18X18D", "TRELLIS_FF")],
               config=dict(rows=rows, cols=cols, subtiles=subtiles, seed=seed, stall=stall,
                           backpressure=bp, count=len(shapes),
                           layers=_save(name, _random_layers(seed, shapes))))


def test_systolic_extreme():
    # max_c_in products of -128 x -128: the largest accumulator value, 2**26 here.
    c_in = 4096
    w = np.full((3, c_in), -128)
    w[1] = 127
    x = np.full((c_in, 2), -128)
    x[::2, 1] = 127
    dut = SystolicArray(8, 2, max_c_in=c_in, max_c_out=4, max_k=4)
    run_cocotb(dut, name="systolic_extreme", test_module="tb_systolic",
               config=dict(rows=8, cols=2, seed=1, stall=0.0, backpressure=0.2, count=1,
                           layers=_save("systolic_extreme", [(w, x)])))


@pytest.mark.slow
def test_systolic_ocr_layer():
    # Real weights and kept columns: PP-OCRv4 det's 1x1 conv reading p2o.Add.35.
    from golden.calibrate import calibrate
    from golden.int_model import wcc_int
    from wcc.data import ocr_layer

    x, w, b = ocr_layer("p2o.Add.35", "astronaut", 256)
    keep = 0.125
    params, xi = calibrate(x, w, b, keep=keep)
    _, tr = wcc_int(xi, params, keep=keep, trace=True)
    layers = [(params.weight, tr["cols"])]
    dut = SystolicArray(8, 8, max_c_in=64, max_c_out=64, max_k=4096)
    name = "systolic_ocr"
    run_cocotb(dut, name=name, test_module="tb_systolic",
               config=dict(rows=8, cols=8, seed=3, stall=0.1, backpressure=0.1, count=1,
                           layers=_save(name, layers, {"acc0": tr["acc"]})))
