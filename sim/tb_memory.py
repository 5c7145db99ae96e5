"""cocotb testbench of ``hw.lib.memory.BankedMemory(primitive="ecp5")`` on the DP16KD model.

The toplevel (built by ``sim/test_memory.py``) holds one memory per DP16KD mode, all on one
write bus and one read address (truncated to each memory's depth). Addresses 0 and every
power of two are written first and read back, so a misplaced address bit shows up as
aliasing; then random writes and reads, against a dictionary per memory. A read never hits
the address written on the same edge (the model returns X there, as the hardware is undefined).
"""

from __future__ import annotations

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

from verif.runner import tb_config


@cocotb.test()
async def banked_memory_modes(dut):
    cfg = tb_config()
    seed, configs, cycles = cfg["seed"], cfg["configs"], cfg["cycles"]
    print(f"seed={seed}")
    rng = random.Random(seed)
    mems = [dict() for _ in configs]
    min_depth = min(c[1] for c in configs)  # read offsets below it never alias the write
    Clock(dut.clk, 10, unit="ns").start()
    dut.wr_en.value = 0
    dut.wr_addr.value = 0
    dut.wr_data.value = 0
    dut.rd_addr.value = 0
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0

    walk = [0] + [1 << b for b in range(14)]
    plan = [("w", a) for a in walk] + [("r", a) for a in walk]
    plan += [(rng.choice("wr"), rng.randrange(1 << 14)) for _ in range(cycles)]
    pending = []  # (iteration the data is due, expected value per memory)
    checked = 0
    for i, (op, addr) in enumerate(plan + [("r", 0)] * 3):
        await FallingEdge(dut.clk)
        while pending and pending[0][0] == i:
            _, want = pending.pop(0)
            for j, w in enumerate(want):
                got = getattr(dut, f"rd_data{j}").value
                assert got.is_resolvable, f"memory {j}: X/Z read at iteration {i}"
                assert int(got) == w, f"memory {j} {configs[j]}: {int(got):#x} != {w:#x}"
                checked += 1
        # Every cycle reads; it must not be the word written on the same edge.
        wr = op == "w"
        rd_addr = addr if not wr else (addr + rng.randrange(1, min_depth)) % (1 << 14)
        if wr:
            data = rng.getrandbits(64)
            dut.wr_addr.value, dut.wr_data.value = addr, data
        dut.wr_en.value = int(wr)
        dut.rd_addr.value = rd_addr
        pending.append((i + 2, [mems[j].get(rd_addr % c[1], 0) for j, c in
                                enumerate(configs)]))
        if wr:
            for j, (w, d, *_) in enumerate(configs):
                mems[j][addr % d] = data & ((1 << w) - 1)
    assert checked > 0
    print(f"{checked} reads checked")
