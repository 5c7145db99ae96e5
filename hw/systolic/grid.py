"""The R x C grid of PEs with input skew, column accumulators and output deskew."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..lib.ecp5 import kept_register
from .pe import PE_LATENCY, SystolicPE, memory_banks

__all__ = ["FLAGS", "SystolicGrid", "psum_width"]

# Side-band of one activation beat; it travels with the beat to the column accumulators.
FLAGS = data.StructLayout({
    "valid": 1,       # a real beat (the grid runs every cycle; bubbles carry valid = 0)
    "first": 1,       # first input-channel tile of a column: the accumulator restarts
    "last": 1,        # last input-channel tile: the column result is complete
    "tile_last": 1,   # last column of this output-channel tile
    "layer_last": 1,  # last column of the last output-channel tile of the layer
})


def psum_width(row: int) -> int:
    """Width of the partial sum leaving ``row``: ``row + 1`` products of at most 2**14."""
    return 15 + (row + 1).bit_length()


class SystolicGrid(wiring.Component):
    """Weight-stationary R x C MAC grid without flow control.

    Row ``r`` receives activation lane ``r`` delayed by ``r`` cycles; PE (r, c) holds the
    weights of output channel ``c`` and input channel ``t * R + r`` at address ``t`` of the
    selected bank. Column ``c``'s sum over the R rows reaches its accumulator, which sums the
    ``T`` input-channel tiles of a column (``first``/``last`` flags), and the C column results
    are deskewed into one output vector.

    Latency ``R + C + 7`` (``R + C + PE_LATENCY + 1``) cycles from ``x``/``addr``/``flags``
    to ``y``/``y_flags``.
    Throughput one activation beat (R x C MACs) per cycle.

    Parameters
    ----------
    rows, cols : int
        R and C, 1..32.
    depth : int
        Weight memory depth per PE (two banks), a power of two >= 2.
    subtiles : int
        Sub-tiles per bank (a power of two dividing ``depth // 2``): a column's sum covers
        the input-channel tiles of one sub-tile, ``depth // (2 * subtiles)`` of them, which
        sets the accumulator width.
    primitive : {"generic", "ecp5"}
        PE multiplier variant (hw/systolic/pe.py).

    Members
    -------
    x : In(ArrayLayout(signed(8), R))
        Activation beat (input channels ``t*R .. t*R + R - 1`` of one column).
    x_zero : In(R)
        Lanes of ``x`` taken as 0 (channels past C_in in a column's last beat). Lane ``r``
        is zeroed after the first of row ``r``'s skew registers, so that the flag may come
        from a register that is not behind the controller's handshake; lane 0 has no such
        register and is zeroed in front of its PE (the array never sets ``x_zero[0]``).
    addr : In(range(depth))
        Bank and input-channel tile of the weights of the beat presented on ``x`` in the
        next cycle (the weight read starts a cycle ahead of the activation).
    flags : In(FLAGS)
    w_en : In(ArrayLayout(memory_banks(depth, primitive), R))
        Write enables per row and PE memory bank (at most one set; see
        :class:`~hw.systolic.pe.SystolicPE`).
    w_addr : In(ArrayLayout(range(depth), R))
        Write address, one copy per row: a single copy would fan out to every LUT-RAM
        of the array.
    w_data : In(ArrayLayout(signed(8), C))
        Writes one weight per column into the enabled row at its ``w_addr``.
    y : Out(ArrayLayout(signed(32), C))
        Column results, valid when ``y_flags.valid``; ``y_flags.last`` is always set then.
    y_flags : Out(FLAGS)
    y_next : Out(1)
        ``y_flags.valid`` of the next cycle (lets the output FIFO register its write enables).
    """

    def __init__(self, rows: int, cols: int, depth: int, *, subtiles: int = 1,
                 primitive: str = "generic"):
        self.rows, self.cols, self.depth, self.primitive = rows, cols, depth, primitive
        self.subtiles = subtiles
        self.latency = rows + cols + PE_LATENCY + 1
        self.banks = memory_banks(depth, primitive)
        super().__init__({
            "x": In(data.ArrayLayout(signed(8), rows)), "x_zero": In(rows),
            "addr": In(range(depth)),
            "flags": In(FLAGS),
            "w_en": In(data.ArrayLayout(self.banks, rows)),
            "w_addr": In(data.ArrayLayout(range(depth), rows)),
            "w_data": In(data.ArrayLayout(signed(8), cols)),
            "y": Out(data.ArrayLayout(signed(32), cols)), "y_flags": Out(FLAGS),
            "y_next": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        R, C = self.rows, self.cols

        def delay(value, shape, n, name):
            for i in range(n):
                reg = Signal(shape, name=f"{name}_d{i}")
                m.d.sync += reg.eq(value)
                value = reg
            return value

        def skew_a(r):
            # Kept registers (see kept_register): row r's copy of the address must not be
            # merged with the equal-valued registers of the PEs on the same anti-diagonal.
            value = self.addr
            for i in range(r):
                value = kept_register(m, value, primitive=self.primitive, name=f"skew_a{r}_d{i}")
            return value

        pes = [[None] * C for _ in range(R)]
        for r in range(R):
            for c in range(C):
                pe = SystolicPE(self.depth, psum_width(r - 1) if r else 0, psum_width(r),
                                primitive=self.primitive)
                m.submodules[f"pe_{r}_{c}"] = pes[r][c] = pe
                m.d.comb += [pe.w_en.eq(self.w_en[r]), pe.w_addr.eq(self.w_addr[r]),
                             pe.w_data.eq(self.w_data[c])]
                if c == 0:
                    # Skew: row r lags row r - 1 by one cycle, like the partial sums.
                    m.d.comb += [
                        pe.x_in.eq(delay(Mux(self.x_zero[r], 0, self.x[r]), signed(8), r,
                                         f"skew_x{r}")),
                        pe.a_in.eq(skew_a(r)),
                    ]
                else:
                    m.d.comb += [pe.x_in.eq(pes[r][c - 1].x_out),
                                 pe.a_in.eq(pes[r][c - 1].a_out)]
                if r:
                    m.d.comb += pe.psum_in.eq(pes[r - 1][c].psum_out)

        # Flags reach column c's accumulator with the partial sum of the same beat:
        # R + PE_LATENCY + 1 cycles to the bottom of column 0 (the column register included),
        # then one more per column.
        f = delay(self.flags, FLAGS, R + PE_LATENCY + 1, "fl")
        acc_bits = min(32, psum_width(R * (self.depth // (2 * self.subtiles)) - 1))
        for c in range(C):
            if c:
                f = delay(f, FLAGS, 1, f"fl_c{c}")
            # Registered next to the accumulator: the bottom PE's DSP row may be far from it.
            col = Signal(signed(psum_width(R - 1)), name=f"col{c}", reset_less=True)
            m.d.sync += col.eq(pes[R - 1][c].psum_out)
            # As wide as a sum of all the channels a sub-tile of a bank holds needs (24 bits
            # at 8 x 8, max_c_in 256), sign-extended to int32 at the output: a shorter carry
            # chain. The restart zeroes the accumulator operand in front of the adder, so that
            # the sum goes straight into the register.
            acc = Signal(signed(acc_bits), name=f"acc{c}")
            with m.If(f.valid):
                m.d.sync += acc.eq(Mux(f.first, 0, acc) + col)
            # Deskew: column c is C - 1 - c cycles early.
            m.d.comb += self.y[c].eq(delay(acc, signed(acc_bits), C - 1 - c, f"dsk{c}"))
        out_f = Signal(FLAGS)
        m.d.sync += [out_f.eq(f), out_f.valid.eq(self.y_next)]
        m.d.comb += [self.y_flags.eq(out_f), self.y_next.eq(f.valid & f.last)]
        return m
