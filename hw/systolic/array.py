"""int8 weight-stationary systolic array for the WCC 1x1 convolution ``Y = W . X``."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from ..lib.ecp5 import PRIMITIVES, kept_register
from ..lib.fifo import CreditFIFO
from ..lib.layouts import accumulator_layout, lanes_layout
from ..lib.params import check_choice, check_int
from .grid import FLAGS, SystolicGrid

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

    Latency ``C_in + R + C + 11`` cycles from the first weight beat to the first result;
    throughput one x beat (R x C MACs) per cycle, one y beat per ``T`` cycles.

    Parameters
    ----------
    rows, cols : int
        R (input channels per beat) and C (output channels per tile), 1..32.
    max_c_in : int
        Largest run-time C_in, 1..4096 (sets the PE weight memory depth).
    max_c_out, max_k : int
        Largest run-time C_out (1..65536) and k (1..2**20).
    primitive : {"generic", "ecp5"}
        PE multiplier: behavioural, or an ECP5 MULT18X18D with its input and output
        registers and kept TRELLIS_FF weight-address registers (hw/systolic/pe.py;
        simulate with sim/models/MULT18X18D.v and sim/models/TRELLIS_FF.v).

    Members
    -------
    x : In(stream.Signature(ArrayLayout(signed(8), R)))
    w : In(stream.Signature(ArrayLayout(signed(8), C)))
    y : Out(stream.Signature(accumulator_layout(C)))
        ``data``: C x signed(32); ``tile_last``: last column of a tile; ``last``: last beat of
        the layer.
    c_in, c_out, k : In(range(max + 1))
        Run-time layer shape (C_in, C_out >= 1).
    busy : Out(1)
        A layer is in progress (weights loaded or results pending).
    """

    def __init__(self, rows: int = 8, cols: int = 8, *, max_c_in: int = 256,
                 max_c_out: int = 1024, max_k: int = 65536, primitive: str = "generic"):
        for name, val, hi in (("rows", rows, 32), ("cols", cols, 32), ("max_c_in", max_c_in, 4096),
                              ("max_c_out", max_c_out, 65536), ("max_k", max_k, 2**20)):
            check_int(name, val, 1, hi)
        check_choice("primitive", primitive, PRIMITIVES)
        self.rows, self.cols, self.primitive = rows, cols, primitive
        self.max_c_in, self.max_c_out, self.max_k = max_c_in, max_c_out, max_k
        self.t_max = -(-max_c_in // rows)
        # At least one tile-address bit: zero-width signals upset Verilog linters.
        self.tbits = max(1, (self.t_max - 1).bit_length())
        self.depth = 2 << self.tbits
        # Results in flight from an accepted x beat to a readable y beat, plus slack.
        self.fifo_depth = rows + cols + 12
        self.y_layout = accumulator_layout(cols)
        super().__init__({
            "x": In(stream.Signature(lanes_layout(rows, 8))),
            "w": In(stream.Signature(lanes_layout(cols, 8))),
            "y": Out(stream.Signature(self.y_layout)),
            "c_in": In(range(max_c_in + 1)), "c_out": In(range(max_c_out + 1)),
            "k": In(range(max_k + 1)), "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        R, C = self.rows, self.cols
        m.submodules.grid = grid = SystolicGrid(R, C, self.depth, primitive=self.primitive)
        m.submodules.fifo = fifo = CreditFIFO(self.y_layout.size,
                                              1 << (self.fifo_depth - 1).bit_length(),
                                              credits=False, announce=True, slice_width=32,
                                              primitive=self.primitive)

        # Timing: both ready signals are registers, computed a cycle ahead for both outcomes
        # of the current handshake, so a handshake is one LUT (valid & ready) and every
        # register it steers is at most two more LUT levels away. The flags those next-state
        # functions need are registers too: whether the next beat / column / tile is the
        # last is the sign bit of a counter kept at an offset (e.g. channels left - 2R - 1),
        # never a compare behind the handshake, and the shape flags (c_in <= R, k == 1,
        # k == 0, c_out <= C, last-beat lane mask) are registered from the inputs. That is
        # safe under the "set a cycle before the first beat" rule: the x side cannot accept
        # a beat until two cycles after the first weight beat.

        # Banks: full[b] = bank b holds a loaded tile that the reader has not finished;
        # held[b] = its tile is finished, but the skewed reads of its last beat are still in
        # the array (released R + C + 1 cycles later). A tile's last weight beat is in the
        # loader's write register (cmd_set), then in the PEs' write registers (cmd_set2): the
        # bank is full once that write is done. The loader writes a bank only while it is
        # neither full, held nor pending (claimed).
        full = Signal(2)
        held = Signal(2)
        cmd_en = Signal()
        cmd_set = Signal(2)
        cmd_en2 = Signal()
        cmd_set2 = Signal(2)
        rel_v = Signal(R + C + 1)
        rel_b = Signal(R + C + 1)
        rel = Cat(rel_v[-1] & (rel_b[-1] == b) for b in range(2))
        # Next full, before the reader's finishing of a tile in this cycle: each use below
        # looks at a bank other than the one being finished, or also counts it as held.
        full_n = cmd_set2 | full
        claimed = full_n | (held & ~rel) | cmd_set
        m.d.sync += [cmd_en2.eq(cmd_en), cmd_set2.eq(cmd_set)]

        # Weight loader: beat i of a tile goes to row i % R, tile t = i // R of bank wb.
        # The row (wr_oh) and the PE memory bank of the address (bank_oh) are one-hot
        # registers, so that each of the R x banks write enables below is one LUT behind the
        # handshake.
        wb = Signal()
        wt = Signal(self.tbits)
        wr_oh = Signal(R, init=1)
        wcnt = Signal(signed(self.max_c_in.bit_length() + 2))   # beats left after this - 2
        w_last = Signal()
        w_start = Signal(init=1)
        w_rdy = Signal(init=1)
        m.d.comb += self.w.ready.eq(w_rdy)
        w_fire = self.w.valid & w_rdy
        w_load = Mux(w_fire, w_last, w_start)
        w_rdy_n = ~Mux(wb ^ (w_fire & w_last), claimed[1], claimed[0])
        m.d.sync += [
            wcnt.eq(Mux(w_load, self.c_in - 3, Mux(w_fire, wcnt - 1, wcnt))),
            w_last.eq(Mux(w_load, self.c_in == 1, Mux(w_fire, wcnt[-1], w_last))),
            w_start.eq(w_load),
            w_rdy.eq(w_rdy_n),
            cmd_en.eq(w_fire),
            cmd_set.eq(Cat(w_fire & w_last & (wb == b) for b in range(2))),
        ]
        # Registered write (registered again in each PE), one address copy per row and one
        # enable per row and PE memory bank (fan-out C PEs each). The address copies load every
        # cycle (kept registers, so that they stay copies): an enable would put the handshake
        # in front of them.
        waddr, nb = Cat(wt, wb), grid.banks
        lo = exact_log2(self.depth // nb)
        bank_oh = Signal(nb, init=1)

        def bank_of(wt_, wb_):
            return Cat((Cat(wt_, wb_) >> lo) == b for b in range(nb))

        m.d.comb += [grid.w_addr[r].eq(kept_register(m, waddr, primitive=self.primitive,
                                                     name=f"w_addr{r}")) for r in range(R)]
        # w_rdy drives the loader's own logic; the R x banks enables, spread over the array,
        # take w_rdy from per-row copies (kept, inverted so that they start "ready" as w_rdy does).
        for r in range(R):
            w_hold = kept_register(m, ~w_rdy_n, primitive=self.primitive, name=f"w_hold{r}",
                                   reset=True)
            m.d.sync += grid.w_en[r].eq(Cat(self.w.valid & ~w_hold & wr_oh[r] & bank_oh[b]
                                            for b in range(nb)))
        m.d.sync += grid.w_data.eq(self.w.payload)
        with m.If(w_fire):
            with m.If(w_last):
                m.d.sync += [wr_oh.eq(1), wt.eq(0), wb.eq(~wb),
                             bank_oh.eq(bank_of(Const(0, self.tbits), ~wb))]
            with m.Elif(wr_oh[-1]):
                wt1 = (wt + 1)[:self.tbits]
                m.d.sync += [wr_oh.eq(1), wt.eq(wt1), bank_oh.eq(bank_of(wt1, wb))]
            with m.Else():
                m.d.sync += wr_oh.eq(wr_oh << 1)

        # Column streamer: T beats per column, k columns per output-channel tile.
        rb = Signal()
        xt = Signal(self.tbits)
        xcnt = Signal(signed(self.max_c_in.bit_length() + 2))   # channels left - 2R - 1
        kcnt = Signal(signed(self.max_k.bit_length() + 2))      # columns left after this - 2
        ccnt = Signal(signed(self.max_c_out.bit_length() + 2))  # channels left - 2C - 1
        col_start = Signal(init=1)
        k_start = Signal(init=1)
        co_start = Signal(init=1)
        col_last = Signal()
        k_last = Signal()
        co_last = Signal()
        x_rdy = Signal()   # == has & ~k_zero & (~col_last | pending < fifo_depth)
        tl_r = Signal()    # == col_last & k_last: the next beat ends the tile
        kz_r = Signal()    # == has & k_zero: the tile (k = 0) ends without beats
        cin_le = Signal()
        k_eq1 = Signal()
        k_zero = Signal()
        co_le = Signal()
        last_mask = Signal(R)    # lanes of a column's last beat that are < C_in
        # Results in flight or queued, as a thermometer code (pending[i] == count > i): the
        # credit checks below are then single flip-flops, not compares behind a counter.
        pending = Signal(self.fifo_depth)
        m.d.sync += [cin_le.eq(self.c_in <= R), k_eq1.eq(self.k == 1), k_zero.eq(self.k == 0),
                     co_le.eq(self.c_out <= C)]
        rem, C1 = self.c_in - 1, Const(1, 1)
        rem = rem[:exact_log2(R)] if R & (R - 1) == 0 else rem % R
        # Lane 0 always holds a channel (C_in >= 1).
        m.d.sync += last_mask.eq(Cat(C1 if r == 0 else rem >= r for r in range(R)))

        m.d.comb += self.x.ready.eq(x_rdy)
        x_fire = self.x.valid & x_rdy
        col_done = x_fire & col_last
        tile_done = (x_fire & tl_r) | kz_r    # exclusive: x_rdy needs ~k_zero
        x_load = Mux(x_fire, col_last, col_start)
        k_load = Mux(col_done, k_last, k_start)
        co_load = Mux(tile_done, co_last, co_start)
        # Next col_last / k_last for both outcomes of the x handshake.
        cl_n = Mux(col_start, cin_le, col_last)
        cl_f = Mux(col_last, cin_le, xcnt[-1])
        kl_n = Mux(k_start, k_eq1, k_last)
        kl_f = Mux(col_last, Mux(k_last, k_eq1, kcnt[-1]), kl_n)
        dec = self.y.valid & self.y.ready
        lt_d, lt_d1 = ~pending[-1], ~pending[-2]
        cr_n = dec | lt_d
        cr_f = Mux(col_last, Mux(dec, lt_d, lt_d1), cr_n)
        done_b = Cat(tile_done & (rb == b) for b in range(2))
        m.d.sync += [full.eq(full_n & ~done_b), held.eq((held & ~rel) | done_b)]
        # xt + 1 kept in a register of its own: no carry chain between x_rdy and the grid's
        # weight address (addr_r below).
        xt1 = Signal(self.tbits, init=1)

        def next_tile(fire):
            # (xt, rb) after this cycle, when `fire` is the x handshake.
            return Mux(fire, Mux(col_last, 0, xt1), xt), rb ^ ((fire & tl_r) | kz_r)

        xt_n, rb_n = next_tile(x_fire)
        m.d.sync += xt1.eq(Mux(x_fire, Mux(col_last, 1, xt1 + 1), xt1))
        has_n = Mux(rb ^ kz_r, full_n[1], full_n[0])
        has_f = Mux(rb ^ tl_r, full_n[1], full_n[0])
        x_rdy_n = ~k_zero & Mux(x_fire, has_f & (~cl_f | cr_f), has_n & (~cl_n | cr_n))
        m.d.sync += [
            xcnt.eq(Mux(x_load, self.c_in - (2 * R + 1), Mux(x_fire, xcnt - R, xcnt))),
            col_last.eq(Mux(x_fire, cl_f, cl_n)), col_start.eq(x_load),
            kcnt.eq(Mux(k_load, self.k - 3, Mux(col_done, kcnt - 1, kcnt))),
            k_last.eq(Mux(x_fire, kl_f, kl_n)), k_start.eq(k_load),
            ccnt.eq(Mux(co_load, self.c_out - (2 * C + 1),
                        Mux(tile_done, ccnt - C, ccnt))),
            co_last.eq(Mux(co_load, co_le, Mux(tile_done, ccnt[-1], co_last))),
            co_start.eq(co_load),
            tl_r.eq(Mux(x_fire, cl_f & kl_f, cl_n & kl_n)),
            kz_r.eq(~x_fire & has_n & k_zero),
            x_rdy.eq(x_rdy_n),
            # Both neighbours precomputed: the handshakes only select.
            pending.eq(Mux(col_done ^ dec, Mux(dec, pending[1:], Cat(C1, pending[:-1])),
                           pending)),
            rb.eq(rb_n), xt.eq(xt_n),
        ]

        flags = Signal(FLAGS)
        m.d.comb += grid.flags.eq(flags)
        # The grid wants a beat's weight address a cycle ahead of the beat: a kept copy of
        # (xt, rb), placed by the grid rather than by the controller. The address and the
        # flags see the handshake through a copy of x_rdy of their own, so that x_fire (and
        # the x_rdy register's next-state logic behind it) stays within the controller.
        x_rdy_g = kept_register(m, x_rdy_n, primitive=self.primitive, name="x_rdy_g",
                                reset=True)
        x_fire_g = self.x.valid & x_rdy_g
        m.d.comb += grid.addr.eq(kept_register(m, Cat(*next_tile(x_fire_g)),
                                               primitive=self.primitive, name="addr_r"))
        m.d.sync += [flags.valid.eq(x_fire_g),
                     flags.first.eq(xt == 0), flags.last.eq(col_last),
                     flags.tile_last.eq(k_last), flags.layer_last.eq(k_last & co_last)]
        # Lanes past C_in in a column's last beat are zeroed in the grid, a register after the
        # beat (x_zero travels with grid.x), so that the flags come from col_last directly:
        # zeroing in front of grid.x needs them a cycle earlier, from the next col_last, behind
        # the handshake (x_rdy -> next col_last -> R flags spread over the array's rows).
        # Lane 0 always holds a channel.
        m.d.sync += [grid.x.eq(self.x.payload),
                     grid.x_zero.eq(Cat(col_last & ~last_mask[r] for r in range(R)))]

        # A bank is released only once the skewed reads of its last beat have left the
        # array (R + C cycles), so that the loader never overwrites weights still in use.
        m.d.sync += [rel_v.eq(Cat(tile_done, rel_v)), rel_b.eq(Cat(rb, rel_b))]

        # Output: the FIFO never overflows because x beats that complete a column are only
        # accepted while fewer than fifo_depth results are in flight or queued.
        out = data.View(self.y_layout, fifo.w_data)
        m.d.comb += [fifo.w_next.eq(grid.y_next), out.data.eq(grid.y),
                     out.tile_last.eq(grid.y_flags.tile_last),
                     out.last.eq(grid.y_flags.layer_last),
                     self.y.valid.eq(fifo.r_valid), self.y.payload.eq(fifo.r_data),
                     fifo.r_ready.eq(self.y.ready)]
        m.d.comb += self.busy.eq(full.any() | cmd_en | cmd_en2 | ~w_start | ~col_start | ~k_start
                                 | ~co_start | pending[0] | rel_v.any())
        return m
