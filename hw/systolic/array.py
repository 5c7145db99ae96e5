"""int8 weight-stationary systolic array for the WCC 1x1 convolution ``Y = W . X``."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from ..lib.ecp5 import PRIMITIVES, kept_register
from ..lib.fifo import CreditFIFO
from ..lib.layouts import accumulator_layout, lanes_layout
from ..lib.params import check_choice, check_int, check_power_of_two
from .grid import FLAGS, SystolicGrid

__all__ = ["SystolicArray"]


class SystolicArray(wiring.Component):
    """``Y (C_out x k) = W (C_out x C_in) . X (C_in x k)``, int8 operands, int32 results.

    Weight-stationary: the array holds the weights of an output-channel tile of ``m x C``
    channels (``m = subtiles`` sub-tiles of C; all ``C_in`` input channels, as
    ``T = ceil(C_in / R)`` tiles in each PE's bank) while the k columns stream through; the
    next tile's weights load into the other bank meanwhile. Inside a tile the array works
    column by column: each column once per sub-tile, so that all ``m x C`` output channels of
    a column leave together. See docs/systolic.md for the dataflow, tiling and cycle count.

    Stream order. ``w``: for each output-channel tile ``j`` (``ceil(C_out / (m C))`` of them),
    for each sub-tile ``s``, ``C_in`` beats, beat ``i`` = ``W[(j*m + s)*C + c, i]`` in lane
    ``c`` (lanes past ``C_out`` must be 0, a sub-tile wholly past ``C_out`` too). ``x``: for
    each tile, the k columns again, each ``m`` times in a row (once per sub-tile) as ``T``
    beats of R input channels (lanes past ``C_in`` are ignored). ``y``: for each tile, for
    each column, ``m`` beats, sub-tile ``s``'s ``Y[(j*m + s)*C + c, col]`` in lane ``c``
    (lanes past ``C_out`` are 0). ``c_in``, ``c_out`` and ``k`` must be set a cycle before a
    layer's first beat and held while ``busy``; k = 0 consumes the weights and produces
    nothing.

    Latency ``m C_in + R + C + 11`` cycles from the first weight beat to the first result;
    throughput one x beat (R x C MACs) per cycle, one y beat per ``T`` cycles.

    Parameters
    ----------
    rows, cols : int
        R (input channels per beat) and C (output channels per sub-tile), 1..32.
    subtiles : int
        m, sub-tiles per output-channel tile, a power of two in 1..8 (the PE weight memory
        holds m sub-tiles per bank).
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
        ``data``: C x signed(32); ``tile_last``: last beat of a tile (its last column's
        sub-tile m - 1); ``last``: last beat of the layer.
    c_in, c_out, k : In(range(max + 1))
        Run-time layer shape (C_in, C_out >= 1).
    busy : Out(1)
        A layer is in progress (weights loaded or results pending).
    """

    def __init__(self, rows: int = 8, cols: int = 8, *, max_c_in: int = 256,
                 max_c_out: int = 1024, max_k: int = 65536, subtiles: int = 1,
                 primitive: str = "generic"):
        for name, val, hi in (("rows", rows, 32), ("cols", cols, 32), ("max_c_in", max_c_in, 4096),
                              ("max_c_out", max_c_out, 65536), ("max_k", max_k, 2**20)):
            check_int(name, val, 1, hi)
        check_power_of_two("subtiles", subtiles, 1, 8)
        check_choice("primitive", primitive, PRIMITIVES)
        self.rows, self.cols, self.subtiles, self.primitive = rows, cols, subtiles, primitive
        self.max_c_in, self.max_c_out, self.max_k = max_c_in, max_c_out, max_k
        self.t_max = -(-max_c_in // rows)
        # At least one tile-address bit: zero-width signals upset Verilog linters.
        self.tbits = max(1, (self.t_max - 1).bit_length())
        # Sub-tile address bits, between the tile and the bank: address (bank, s, t).
        self.sbits = exact_log2(subtiles)
        self.depth = 2 << (self.tbits + self.sbits)
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
        R, C, S = self.rows, self.cols, self.subtiles
        m.submodules.grid = grid = SystolicGrid(R, C, self.depth, subtiles=S,
                                                primitive=self.primitive)
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
        # k == 0, c_out <= S x C, last-beat lane mask) are registered from the inputs. That is
        # safe under the "set a cycle before the first beat" rule: the x side cannot accept
        # a beat until two cycles after the first weight beat.
        #
        # Sub-tiles (S = subtiles > 1): a tile of S x C output channels is S runs of C_in
        # weight beats into one bank, at addresses (bank, s, t), and S x k "columns" of T
        # x beats, column-major (each column S times in a row, sub-tile s reading (bank, s, t)).
        # Everything else is the S = 1 controller with k' = S x k columns per tile and C_out
        # counted in steps of S x C. With S = 1 none of the sub-tile logic is built, so that
        # the netlist is the one the benched figures were measured on.

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

        # Weight loader: beat i of a run of C_in beats goes to row i % R, tile t = i // R of
        # sub-tile ws of bank wb; the bank is complete after S runs. The row (wr_oh) and the
        # PE memory bank of the address (bank_oh) are one-hot registers, so that each of the
        # R x banks write enables below is one LUT behind the handshake.
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
        if S == 1:
            ws = None

            def w_end_fire():
                return w_fire & w_last
        else:
            ws = Signal(self.sbits)   # the run's sub-tile
            # == w_last & (ws == S - 1): the next beat completes the bank. A register of its
            # own, so that the bank switch behind the handshake is as wide as with S = 1.
            w_end = Signal()
            ws_l, ws_p = ws == S - 1, ws == S - 2

            def w_end_fire():
                return w_fire & w_end

            # Both cases of the handshake from registers: a run's end loads the next run
            # (sub-tile ws + 1, or 0 after S - 1), an idle loader keeps its sub-tile.
            m.d.sync += w_end.eq(Mux(w_load, (self.c_in == 1) & Mux(w_fire, ws_p, ws_l),
                                     Mux(w_fire, wcnt[-1] & ws_l, w_end)))
        w_rdy_n = ~Mux(wb ^ w_end_fire(), claimed[1], claimed[0])
        m.d.sync += [
            wcnt.eq(Mux(w_load, self.c_in - 3, Mux(w_fire, wcnt - 1, wcnt))),
            w_last.eq(Mux(w_load, self.c_in == 1, Mux(w_fire, wcnt[-1], w_last))),
            w_start.eq(w_load),
            w_rdy.eq(w_rdy_n),
            cmd_en.eq(w_fire),
            cmd_set.eq(Cat(w_end_fire() & (wb == b) for b in range(2))),
        ]
        # Registered write (registered again in each PE), one address copy per row and one
        # enable per row and PE memory bank (fan-out C PEs each). The address copies load every
        # cycle (kept registers, so that they stay copies): an enable would put the handshake
        # in front of them.
        waddr, nb = (Cat(wt, wb) if S == 1 else Cat(wt, ws, wb)), grid.banks
        lo = exact_log2(self.depth // nb)
        bank_oh = Signal(nb, init=1)

        def bank_of(wt_, wb_, ws_=None):
            return Cat(((Cat(wt_, wb_) if S == 1 else Cat(wt_, ws_, wb_)) >> lo) == b
                       for b in range(nb))

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
            if S == 1:
                with m.If(w_last):
                    m.d.sync += [wr_oh.eq(1), wt.eq(0), wb.eq(~wb),
                                 bank_oh.eq(bank_of(Const(0, self.tbits), ~wb))]
            else:
                t0 = Const(0, self.tbits)
                with m.If(w_end):
                    m.d.sync += [wr_oh.eq(1), wt.eq(0), ws.eq(0), wb.eq(~wb),
                                 bank_oh.eq(bank_of(t0, ~wb, Const(0, self.sbits)))]
                with m.Elif(w_last):
                    ws1 = (ws + 1)[:self.sbits]
                    m.d.sync += [wr_oh.eq(1), wt.eq(0), ws.eq(ws1),
                                 bank_oh.eq(bank_of(t0, wb, ws1))]
            with m.Elif(wr_oh[-1]):
                wt1 = (wt + 1)[:self.tbits]
                m.d.sync += [wr_oh.eq(1), wt.eq(wt1), bank_oh.eq(bank_of(wt1, wb, ws))]
            with m.Else():
                m.d.sync += wr_oh.eq(wr_oh << 1)

        # Column streamer: T beats per column, k' = S x k columns per output-channel tile
        # (each kept column S times in a row, for sub-tiles xs = 0..S-1).
        rb = Signal()
        xt = Signal(self.tbits)
        xcnt = Signal(signed(self.max_c_in.bit_length() + 2))   # channels left - 2R - 1
        # columns (k') left after this - 2
        kcnt = Signal(signed((self.max_k << self.sbits).bit_length() + 2))
        ccnt = Signal(signed(self.max_c_out.bit_length() + 2))  # channels left - 2SC - 1
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
        k_eq1 = Signal(name="k_eq1") if S == 1 else Const(0, 1)    # k' == 1 needs S = 1
        k_zero = Signal()
        co_le = Signal()
        last_mask = Signal(R)    # lanes of a column's last beat that are < C_in
        # Results in flight or queued, as a thermometer code (pending[i] == count > i): the
        # credit checks below are then single flip-flops, not compares behind a counter.
        pending = Signal(self.fifo_depth)
        m.d.sync += [cin_le.eq(self.c_in <= R), *([k_eq1.eq(self.k == 1)] if S == 1 else []),
                     k_zero.eq(self.k == 0), co_le.eq(self.c_out <= S * C)]
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
        # xt + 1 (and xs + 1) kept in a register of its own: no carry chain between x_rdy and
        # the grid's weight address (addr_r below).
        xt1 = Signal(self.tbits, init=1)
        if S > 1:
            # The reader's sub-tile: steps at each column end, back to 0 at the tile's end
            # (k' is a multiple of S).
            xs = Signal(self.sbits)
            xs1 = Signal(self.sbits, init=1)

        def next_tile(fire):
            # (xt, [xs,] rb) after this cycle, when `fire` is the x handshake.
            xt_, rb_ = Mux(fire, Mux(col_last, 0, xt1), xt), rb ^ ((fire & tl_r) | kz_r)
            return (xt_, rb_) if S == 1 else (xt_, Mux(fire & col_last, xs1, xs), rb_)

        nt = next_tile(x_fire)
        xt_n, rb_n = nt[0], nt[-1]
        if S > 1:
            m.d.sync += [xs.eq(nt[1]), xs1.eq(Mux(col_done, xs1 + 1, xs1))]
        m.d.sync += xt1.eq(Mux(x_fire, Mux(col_last, 1, xt1 + 1), xt1))
        has_n = Mux(rb ^ kz_r, full_n[1], full_n[0])
        has_f = Mux(rb ^ tl_r, full_n[1], full_n[0])
        x_rdy_n = ~k_zero & Mux(x_fire, has_f & (~cl_f | cr_f), has_n & (~cl_n | cr_n))
        m.d.sync += [
            xcnt.eq(Mux(x_load, self.c_in - (2 * R + 1), Mux(x_fire, xcnt - R, xcnt))),
            col_last.eq(Mux(x_fire, cl_f, cl_n)), col_start.eq(x_load),
            kcnt.eq(Mux(k_load, (self.k if S == 1 else Cat(Const(0, self.sbits), self.k)) - 3,
                        Mux(col_done, kcnt - 1, kcnt))),
            k_last.eq(Mux(x_fire, kl_f, kl_n)), k_start.eq(k_load),
            ccnt.eq(Mux(co_load, self.c_out - (2 * S * C + 1),
                        Mux(tile_done, ccnt - S * C, ccnt))),
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
        # (xt, [xs,] rb), placed by the grid rather than by the controller. The address and the
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
        busy = (full.any() | cmd_en | cmd_en2 | ~w_start | ~col_start | ~k_start
                | ~co_start | pending[0] | rel_v.any())
        # Between two weight runs of a tile the loader is idle (w_start) and the bank is not
        # full yet: the sub-tile count tells that the layer is in progress.
        m.d.comb += self.busy.eq(busy if S == 1 else busy | ws.any())
        return m
