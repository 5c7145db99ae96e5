"""cocotb side of the MULT18X18D model test: a cycle-level Python reference of the pipeline."""

from __future__ import annotations

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from verif.runner import tb_config


def product(a, b, sa, sb):
    """36-bit product of 18-bit ``a`` and ``b``, each signed when its flag is set."""
    av = a - (1 << 18) if sa and a >> 17 else a
    bv = b - (1 << 18) if sb and b >> 17 else b
    return (av * bv) & ((1 << 36) - 1)


@cocotb.test()
async def mult_random(dut):
    cfg = tb_config()
    seed = cfg["seed"]
    print(f"seed={seed}")
    rng = random.Random(seed)
    reg_in, reg_pipe, reg_out = cfg["regs"]
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 0
    # Clear the model's registers first (the clock's first edge at time 0 is not tracked).
    dut.ce.value, dut.rst_m.value = 1, 1
    for _ in range(2):
        await RisingEdge(dut.clk)
    # Register contents of the reference: operands (with flags), pipeline, output.
    ops, pipe, out = (0, 0, 0, 0), 0, 0
    checked = 0
    for cycle in range(cfg["cycles"]):
        a, b = rng.getrandbits(18), rng.getrandbits(18)
        if cycle % 7 == 0:
            a, b = rng.choice([(1 << 17, 1 << 17), ((1 << 18) - 1, 1 << 17), (0x1FFFF, 0x1FFFF)])
        sa, sb = rng.getrandbits(1), rng.getrandbits(1)
        ce = int(rng.random() < 0.8)
        rst_m = int(rng.random() < 0.03)
        for sig, v in ((dut.a, a), (dut.b, b), (dut.signed_a, sa), (dut.signed_b, sb),
                       (dut.ce, ce), (dut.rst_m, rst_m)):
            sig.value = v
        # Combinational view of the reference before this edge.
        cur_ops = ops if reg_in else (a, b, sa, sb)
        cur_pipe = pipe if reg_pipe else product(*cur_ops)
        expect = out if reg_out else cur_pipe
        await ReadOnly()
        got = int(dut.p.value)
        assert got == expect, f"cycle {cycle}: P = {got:#x}, expected {expect:#x}"
        checked += 1
        await RisingEdge(dut.clk)
        # Registers update on the edge: reset first, then clock enable.
        nxt_ops = (0, 0, 0, 0) if rst_m else ((a, b, sa, sb) if ce else ops)
        nxt_pipe = 0 if rst_m else (product(*cur_ops) if ce else pipe)
        nxt_out = 0 if rst_m else (cur_pipe if ce else out)
        ops, pipe, out = nxt_ops, nxt_pipe, nxt_out
    print(f"checked {checked} cycles")
