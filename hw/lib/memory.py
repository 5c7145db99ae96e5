"""A memory split into banks that each map to one block RAM, with a registered read."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Fragment, MemoryInstance, Module, Shape, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory, ReadPort, WritePort
from amaranth.lib.wiring import Out

from .ecp5 import PRIMITIVES, dp16kd
from .params import check_choice, check_int

__all__ = ["BankedMemory", "bank_bits_for", "memory_inventory"]

_BRAM_BITS = 16384  # data bits of an ECP5 DP16KD (18 kbit with parity)
_DP16KD_WIDTH = {16: 18, 8: 9, 4: 4, 2: 2, 1: 1}  # bank bits -> DATA_WIDTH (true dual port)
_WIDE_BITS, _WIDE_DEPTH = 36, 512  # the x36 pseudo-dual-port mode, parity bits as data


def bank_bits_for(depth: int) -> int:
    """Widest bank (data bits) whose ``depth`` words fit one 16-kbit block RAM.

    16 / 8 / 4 / 2 / 1 bits up to 1024 / 2048 / 4096 / 8192 / 16384 words (the 18 / 9 / 4 / 2 /
    1-bit DP16KD modes); deeper memories get 1-bit banks split by depth (a read mux follows).
    """
    for bits in (16, 8, 4, 2):
        if depth * bits <= _BRAM_BITS:
            return bits
    return 1


class BankedMemory(wiring.Component):
    """A ``width`` x ``depth`` memory, one write port, one read port with registered output.

    The word is split into banks of :func:`bank_bits_for` ``(depth)`` bits, each its own
    memory exactly one block RAM wide and deep, so nothing sits between a block RAM's output
    and its register (a single deep, wide memory was split by depth by Yosys with a read mux
    after the block RAMs: 95 MHz). ``primitive="generic"`` builds each bank as an
    :class:`amaranth.lib.memory.Memory` with a synchronous read port and a register after it
    (portable, simulated by the tests). ``primitive="ecp5"`` instantiates one DP16KD per bank
    with its output register on (``REGMODE_B = "OUTREG"``): the same two-cycle read, but the
    block RAM's 5.8 ns clock-to-out (speed 6, ``NOREG``) no longer limits Fmax to ~140 MHz.
    The DP16KD mode (x18 / x9 / x4 / x2 / x1) follows the depth, the word address is
    left-justified on ``AD[13:0]`` (x4: ``AD[13:2]``; x18: ``AD[13:4]``, byte enables on
    ``AD[1:0]``, TN1264); ``sim/models/DP16KD.v`` simulates it. A read of the word written on
    the same edge is undefined (X in that model): the top-k selector never uses such a read
    (the histogram forwards the word in flight instead).

    The generic build of a memory deeper than one block RAM (16384 words) is one memory of the
    whole width.

    With ``wide`` and at most 512 words, banks are 36 bits: the DP16KD's x36 pseudo-dual-port
    mode (Yosys' ``$__PDPW16KD_`` mapping: port A writes ``{DIB, DIA}`` at ``ADA[13:5]`` with
    byte enables on ``ADA[3:0]``, port B reads ``{DOB, DOA}`` from ``ADB[13:5]``, both output
    registers on), its parity bits used as data: a wide, shallow memory takes less than half
    the block RAMs of x18 banks of 16 bits, and its words span half as much of a block-RAM row.

    Latency: read data two cycles after the address. Throughput: one read and one write per
    cycle.

    Parameters
    ----------
    width : int
        Bits per word, >= 1.
    depth : int
        Words, 2..16384 for ``"ecp5"``, >= 2 otherwise.
    primitive : {"generic", "ecp5"}
        Portable memories or ECP5 DP16KD instances.
    wide : bool
        36-bit banks when ``depth <= 512`` (ignored deeper).

    Members
    -------
    wr : Out(WritePort.Signature(addr_width=ceil(log2(depth)), shape=width))
        Write port (``addr``, ``data``, ``en``).
    rd : Out(ReadPort.Signature(addr_width=ceil(log2(depth)), shape=width))
        Read port: ``data`` two cycles after ``addr`` (``en`` is ignored: always reading).
    """

    latency = 2  # cycles from the read address to the read data

    def __init__(self, width: int, depth: int, primitive: str = "generic", *,
                 wide: bool = False):
        check_int("width", width, 1)
        check_choice("primitive", primitive, PRIMITIVES)
        check_int("depth", depth, 2, _BRAM_BITS if primitive == "ecp5" else 2**24)
        self.width, self.depth, self.primitive = width, depth, primitive
        self.wide = wide and depth <= _WIDE_DEPTH
        self.bank_bits = min(_WIDE_BITS if self.wide else bank_bits_for(depth), width)
        if depth > _BRAM_BITS:
            # Deeper than one block RAM (the generic build only): banks of one bit would each
            # be split by depth anyway, so the banking gains nothing, and the Verilog of
            # `width` one-bit memories initializes `width * depth` words one line each (a
            # 128 x 128 frame store: gigabytes for Verilator to read). One memory.
            self.bank_bits = width
        self.banks = -(-width // self.bank_bits)
        aw = (depth - 1).bit_length()
        super().__init__({
            "wr": Out(WritePort.Signature(addr_width=aw, shape=width)),
            "rd": Out(ReadPort.Signature(addr_width=aw, shape=width)),
        })

    def elaborate(self, platform):
        m = Module()
        datas = []
        for b in range(self.banks):
            lo = b * self.bank_bits
            hi = min(lo + self.bank_bits, self.width)
            if self.primitive == "ecp5":
                datas.append(self._dp16kd(m, f"bank{b}", lo, hi))
                continue
            mem = Memory(shape=hi - lo, depth=self.depth, init=[])
            m.submodules[f"bank{b}"] = mem
            wr, rd = mem.write_port(), mem.read_port()
            m.d.comb += [wr.addr.eq(self.wr.addr), wr.data.eq(self.wr.data[lo:hi]),
                         wr.en.eq(self.wr.en), rd.addr.eq(self.rd.addr)]
            out = Signal(hi - lo, name=f"bank{b}_q", reset_less=True)
            m.d.sync += out.eq(rd.data)
            datas.append(out)
        m.d.comb += self.rd.data.eq(Cat(*datas))
        return m

    def _dp16kd(self, m, name, lo, hi):
        """One DP16KD: port A writes, port B reads through its output register."""
        # The narrowest mode that holds the bank (a 12-bit memory: x18 with two pins unused);
        # it is never deeper than needed, as bank_bits <= bank_bits_for(depth).
        if self.wide:
            return self._pdp36(m, name, lo, hi)
        bits = min(b for b in _DP16KD_WIDTH if b >= self.bank_bits)
        dw = _DP16KD_WIDTH[bits]
        shift = (_BRAM_BITS // bits).bit_length() - 1  # address bits used by this mode
        pad = 14 - shift
        out = Signal(18, name=f"{name}_do")
        byte_en = Const(0b11, 2) if dw == 18 else Const(0, 2)  # ADx[1:0]: byte enables, x18

        def addr(a):
            a = Cat(a, Const(0, shift - len(a)))
            return Cat(byte_en, Const(0, pad - 2), a) if dw == 18 else Cat(Const(0, pad), a)
        ports = {}
        din = Cat(self.wr.data[lo:hi], Const(0, 18 - (hi - lo)))
        for i in range(18):
            ports[f"i_DIA{i}"] = din[i]
            ports[f"i_DIB{i}"] = Const(0, 1)
            ports[f"o_DOB{i}"] = out[i]
        for i, (ba, bb) in enumerate(zip(addr(self.wr.addr), addr(self.rd.addr), strict=True)):
            ports[f"i_ADA{i}"], ports[f"i_ADB{i}"] = ba, bb
        dp16kd(m, name, ports, dw, "NOREG", self.wr.en)
        return out[:hi - lo]

    def _pdp36(self, m, name, lo, hi):
        """One DP16KD in x36 pseudo-dual-port mode: port A writes, port B reads (36 bits)."""
        out = Signal(36, name=f"{name}_do")
        din = Cat(self.wr.data[lo:hi], Const(0, 36 - (hi - lo)))

        def addr(a, low):  # word address on AD[13:5]; AD[3:0]: write byte enables (port A)
            return Cat(low, Const(0, 1), a, Const(0, 9 - len(a)))
        # As Yosys maps $__PDPW16KD_: WEA high, the write enable on all four byte enables.
        ports = {}
        for i in range(18):
            ports[f"i_DIA{i}"], ports[f"i_DIB{i}"] = din[i], din[18 + i]
            ports[f"o_DOA{i}"], ports[f"o_DOB{i}"] = out[i], out[18 + i]
        en = self.wr.en
        wa, ra = addr(self.wr.addr, Cat(en, en, en, en)), addr(self.rd.addr, Const(0, 4))
        for i, (ba, bb) in enumerate(zip(wa, ra, strict=True)):
            ports[f"i_ADA{i}"], ports[f"i_ADB{i}"] = ba, bb
        dp16kd(m, name, ports, 36, "OUTREG", Const(1, 1))
        return out[:hi - lo]



def memory_inventory(elaboratable) -> dict[str, int]:
    """Data bits of every memory in the elaborated netlist of ``elaboratable``, by hierarchical
    name (``"topk.coef_mem"``; a FIFO's storage is a memory too). What a generic build
    stores, before any mapping to block or LUT RAM; vendor RAM instances (``"ecp5"`` builds)
    are not memories here, so count a generic build."""
    out = {}

    def walk(fragment, path):
        for sub, name, *_ in fragment.subfragments:
            here = (*path, str(name))
            if isinstance(sub, MemoryInstance):
                out[".".join(here)] = Shape.cast(sub._data.shape).width * sub._data.depth
            else:
                walk(sub, here)

    walk(Fragment.get(elaboratable, None), ())
    return out
