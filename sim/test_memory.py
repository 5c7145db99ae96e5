"""cocotb test of hw/lib/memory.py: BankedMemory's ECP5 build on the DP16KD model."""

from __future__ import annotations

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.lib.memory import BankedMemory
from verif.runner import SIM_DIR, run_cocotb


class _MemoryModes(wiring.Component):
    """One ``BankedMemory(width, depth, "ecp5", wide=wide)`` per entry ``(width, depth[,
    wide])``, on a shared write bus and read address (truncated to each depth); ``rd_data<i>``
    is memory i's read data."""

    def __init__(self, configs):
        self.configs = configs
        super().__init__({"wr_addr": In(14), "wr_data": In(64), "wr_en": In(1),
                          "rd_addr": In(14),
                          **{f"rd_data{i}": Out(c[0]) for i, c in enumerate(configs)}})

    def elaborate(self, platform):
        m = Module()
        for i, (w, d, *wide) in enumerate(self.configs):
            m.submodules[f"mem{i}"] = mem = BankedMemory(w, d, primitive="ecp5", wide=any(wide))
            aw = len(mem.wr.addr)
            m.d.comb += [mem.wr.addr.eq(self.wr_addr[:aw]), mem.wr.data.eq(self.wr_data[:w]),
                         mem.wr.en.eq(self.wr_en), mem.rd.addr.eq(self.rd_addr[:aw]),
                         getattr(self, f"rd_data{i}").eq(mem.rd.data)]
        return m


def test_banked_memory_dp16kd_modes():
    """BankedMemory(primitive="ecp5") on the DP16KD model in every mode: x18 (1024 and 256
    words, a 12-bit memory in one bank), x9, x4, x2, x1; two full banks and a partial one;
    ``wide`` x36 (512 words: a full bank and a partial one; 128 words in one partial bank)."""
    configs = [(33, 1024), (12, 256), (17, 2048), (9, 4096), (5, 8192), (3, 16384),
               (40, 512, True), (30, 128, True)]
    run_cocotb(_MemoryModes(configs), name="banked_memory_dp16kd", test_module="tb_memory",
               config=dict(seed=49, configs=configs, cycles=600),
               extra_sources=[SIM_DIR / "models" / "DP16KD.v"])
