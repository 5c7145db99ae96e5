"""int8 weight-stationary systolic array for the WCC 1x1 convolution ``Y = W . X``."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from hw.systolic_grid import FLAGS, SystolicGrid

__all__ = ["SystolicArray"]


class SystolicArray(wiring.Component):
    """``Y (C_out x k) = W (C_out x C_in) . X (C_in x k)``, int8 operands, int32 results.

    Weight-stationary: the array holds the weights of C output channels (all ``C_in`` input
    channels, as ``T = ceil(C_in / R)`` tiles in each PE's bank) while the k columns stream
    through; the next C output channels' weights load into the other bank meanwhile. See
    docs/systolic.md for the dataflow, tiling and cycle count.

    Stream order. ``w``: for each output-channel tile ``j`` (``ceil(C_out / C)`` of them),
    ``C_in`` beats, beat ``i`` = ``W[j*C : j*C + C, i]`` (lanes past ``C_out`` must be 0).
    ``x``: for each output-channel tile, the k columns again, each as ``T`` beats of R input
    channels (lanes past ``C_in`` are ignored). ``y``: for each tile, k beats
    ``Y[j*C : j*C + C, col]`` (lanes past ``C_out`` are 0). ``c_in``, ``c_out`` and ``k``
    must be set a cycle before a layer's first beat and held while ``busy``; k = 0 consumes
    the weights and produces nothing.

    Latency ``C_in + R + C + 6`` cycles from the first weight beat to the first result;
    throughput one x beat (R x C MACs) per cycle, one y beat per ``T`` cycles.

    Parameters
    ----------
    rows, cols : int
        R (input channels per beat) and C (output channels per tile), 1..32.
    max_c_in : int
        Largest run-time C_in, 1..4096 (sets the PE weight memory depth).
    max_c_out, max_k : int
        Largest run-time C_out (1..65536) and k (1..2**20).

    Members
    -------
    x : In(stream.Signature(ArrayLayout(signed(8), R)))
    w : In(stream.Signature(ArrayLayout(signed(8), C)))
    y : Out(stream.Signature(StructLayout))
        ``data``: C x signed(32); ``tile_last``: last column of a tile; ``last``: last beat of
        the layer.
    c_in, c_out, k : In(range(max + 1))
        Run-time layer shape (C_in, C_out >= 1).
    busy : Out(1)
        A layer is in progress (weights loaded or results pending).
    """

    def __init__(self, rows: int = 8, cols: int = 8, *, max_c_in: int = 256,
                 max_c_out: int = 1024, max_k: int = 65536):
        for name, val, hi in (("rows", rows, 32), ("cols", cols, 32), ("max_c_in", max_c_in, 4096),
                              ("max_c_out", max_c_out, 65536), ("max_k", max_k, 2**20)):
            if not (isinstance(val, int) and 1 <= val <= hi):
                raise ValueError(f"{name} must be an integer in [1, {hi}], got {val!r}")
        self.rows, self.cols = rows, cols
        self.max_c_in, self.max_c_out, self.max_k = max_c_in, max_c_out, max_k
        self.t_max = -(-max_c_in // rows)
        # At least one tile-address bit: zero-width signals upset Verilog linters.
        self.tbits = max(1, (self.t_max - 1).bit_length())
        self.depth = 2 << self.tbits
        # Results in flight from an accepted x beat to a readable y beat, plus slack.
        self.fifo_depth = rows + cols + 8
        self.y_layout = data.StructLayout({
            "data": data.ArrayLayout(signed(32), cols), "tile_last": 1, "last": 1})
        super().__init__({
            "x": In(stream.Signature(data.ArrayLayout(signed(8), rows))),
            "w": In(stream.Signature(data.ArrayLayout(signed(8), cols))),
            "y": Out(stream.Signature(self.y_layout)),
            "c_in": In(range(max_c_in + 1)), "c_out": In(range(max_c_out + 1)),
            "k": In(range(max_k + 1)), "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        R, C = self.rows, self.cols
        m.submodules.grid = grid = SystolicGrid(R, C, self.depth)
        m.submodules.fifo = fifo = SyncFIFOBuffered(width=self.y_layout.size,
                                                    depth=self.fifo_depth)
        full = Signal(2)  # bank b holds a complete, not yet consumed weight tile

        # Every decision flag (last beat, lane mask, credit) is a register computed one cycle
        # ahead from counters of what remains, with single compares, for both outcomes
        # (beat accepted or not): a handshake only selects between precomputed values.
        # While a counter sits at its start it tracks the run-time shape every cycle.

        # Weight loader: beat i of a tile goes to row i % R, tile t = i // R of bank wb.
        wb, wt, wr = Signal(), Signal(self.tbits), Signal(range(max(R, 2)))
        wleft = Signal(range(max(self.max_c_in, 2)))   # beats of this tile after this one
        w_last, w_start = Signal(), Signal(init=1)
        m.d.comb += self.w.ready.eq(~Mux(wb, full[1], full[0]))
        w_fire = self.w.valid & self.w.ready
        with m.If(Mux(w_fire, w_last, w_start)):
            m.d.sync += [wleft.eq(self.c_in - 1), w_last.eq(self.c_in == 1), w_start.eq(1)]
        with m.Elif(w_fire):
            m.d.sync += [wleft.eq(wleft - 1), w_last.eq(wleft == 1), w_start.eq(0)]
        # Registered write: the fan-out to R x C PEs gets a cycle of its own.
        cmd_en, cmd_last, cmd_bank = Signal(), Signal(), Signal()
        m.d.sync += [cmd_en.eq(w_fire), cmd_last.eq(w_fire & w_last), cmd_bank.eq(wb),
                     grid.w_row.eq(wr), grid.w_addr.eq(Cat(wt, wb)),
                     grid.w_data.eq(self.w.payload)]
        m.d.comb += grid.w_en.eq(cmd_en)
        with m.If(w_fire):
            with m.If(w_last):
                m.d.sync += [wr.eq(0), wt.eq(0), wb.eq(~wb)]
            with m.Elif(wr == R - 1):
                m.d.sync += [wr.eq(0), wt.eq(wt + 1)]
            with m.Else():
                m.d.sync += wr.eq(wr + 1)

        # Column streamer: T beats per column, k columns per output-channel tile.
        rb, xt = Signal(), Signal(self.tbits)
        xrem = Signal(range(self.max_c_in + 1))        # channels of the column from this beat
        kleft = Signal(range(self.max_k + 1))          # columns of the tile after this one
        corem = Signal(range(self.max_c_out + 1))      # output channels from this tile
        col_start, k_start, co_start = Signal(init=1), Signal(init=1), Signal(init=1)
        col_last, k_last, co_last, k_zero = Signal(), Signal(), Signal(), Signal()
        lane_ok, credit = Signal(R), Signal()
        pending = Signal(range(self.fifo_depth + 1))
        has = Mux(rb, full[1], full[0])
        m.d.comb += self.x.ready.eq(has & ~k_zero & (~col_last | credit))
        x_fire = self.x.valid & self.x.ready
        col_done = x_fire & col_last
        tile_done = (col_done & k_last) | (has & k_zero)
        with m.If(Mux(x_fire, col_last, col_start)):
            m.d.sync += [xrem.eq(self.c_in), col_last.eq(self.c_in <= R), col_start.eq(1),
                         lane_ok.eq(Cat(self.c_in > r for r in range(R)))]
        with m.Elif(x_fire):
            m.d.sync += [xrem.eq(xrem - R), col_last.eq(xrem <= 2 * R), col_start.eq(0),
                         lane_ok.eq(Cat(xrem > r + R for r in range(R)))]
        with m.If(Mux(col_done, k_last, k_start)):
            m.d.sync += [kleft.eq(self.k - 1), k_last.eq(self.k == 1), k_start.eq(1)]
        with m.Elif(col_done):
            m.d.sync += [kleft.eq(kleft - 1), k_last.eq(kleft == 1), k_start.eq(0)]
        with m.If(Mux(tile_done, co_last, co_start)):
            m.d.sync += [corem.eq(self.c_out), co_last.eq(self.c_out <= C), co_start.eq(1)]
        with m.Elif(tile_done):
            m.d.sync += [corem.eq(corem - C), co_last.eq(corem <= 2 * C), co_start.eq(0)]
        inc = col_done
        dec = self.y.valid & self.y.ready
        m.d.sync += [
            k_zero.eq(self.k == 0),
            pending.eq(pending + inc - dec),
            credit.eq(Mux(inc & ~dec, pending < self.fifo_depth - 1,
                          Mux(dec & ~inc, 1, pending < self.fifo_depth))),
        ]

        flags = Signal(FLAGS)
        m.d.comb += grid.flags.eq(flags)
        m.d.sync += [flags.valid.eq(x_fire), grid.addr.eq(Cat(xt, rb)),
                     flags.first.eq(xt == 0), flags.last.eq(col_last),
                     flags.tile_last.eq(k_last), flags.layer_last.eq(k_last & co_last)]
        m.d.sync += [grid.x[r].eq(Mux(lane_ok[r], self.x.payload[r], 0)) for r in range(R)]
        with m.If(x_fire):
            m.d.sync += xt.eq(Mux(col_last, 0, xt + 1))
        with m.If(tile_done):
            m.d.sync += rb.eq(~rb)

        # A bank is released only once the skewed reads of its last beat have left the
        # array (R + C cycles), so that the loader never overwrites weights still in use.
        rel_v, rel_b = Signal(R + C + 1), Signal(R + C + 1)
        m.d.sync += [rel_v.eq(Cat(tile_done, rel_v)), rel_b.eq(Cat(rb, rel_b))]
        for b in range(2):
            with m.If(cmd_last & (cmd_bank == b)):
                m.d.sync += full[b].eq(1)
            with m.Elif(rel_v[-1] & (rel_b[-1] == b)):
                m.d.sync += full[b].eq(0)

        # Output: the FIFO never overflows because x beats that complete a column are only
        # accepted while fewer than fifo_depth results are in flight or queued.
        out = data.View(self.y_layout, fifo.w_data)
        m.d.comb += [fifo.w_en.eq(grid.y_flags.valid), out.data.eq(grid.y),
                     out.tile_last.eq(grid.y_flags.tile_last),
                     out.last.eq(grid.y_flags.layer_last),
                     self.y.valid.eq(fifo.r_rdy), self.y.payload.eq(fifo.r_data),
                     fifo.r_en.eq(self.y.ready)]
        m.d.comb += self.busy.eq(full.any() | cmd_en | ~w_start | ~col_start | ~k_start
                                 | ~co_start | (pending != 0) | rel_v.any())
        return m
