"""Running joint scores of a group-major frame: one read-modify-write of a memory per beat."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..lib.ecp5 import PRIMITIVES
from ..lib.memory import BankedMemory
from ..lib.params import check_choice, check_int

__all__ = ["ScoreMemory"]


class ScoreMemory(wiring.Component):
    """Adds each beat's partial score to its position's running score, kept in a memory.

    A group-major frame brings every position once per channel group, so a position's score
    cannot be summed in a register: word ``pos`` of a :class:`hw.lib.memory.BankedMemory` holds
    the sum so far. Each beat is a read-modify-write: the beat of group 0 (``a_first``) writes
    its partial sum, a later group adds its partial sum to the word, the last group's total
    (``a_last``) leaves on ``o_*`` instead of being needed again.

    The read is issued ``lead`` cycles before the partial sum arrives (its address is known
    from the beat itself, the partial sum only after the squares and the adder tree), so the
    memory's latency is hidden. Pipeline, from the read (stage 0): memory (1, 2, its output
    registered), ``word`` (3), ``word + partial`` registered (-> 4), write at stage 4. A read
    misses the writes of the four operations just ahead of it, which are still in flight: the
    same position comes back that soon whenever the frame is small (n = 1, 2, 3) or a position
    ends one group and starts the next (positions come in any order within a group). The
    newest in-flight total with the same position is forwarded, as in the code histogram
    (:class:`hw.topk.hist.CodeHistogram`): those two to four places ahead are already
    registered totals when the memory word comes out (stage 2), so they are muxed in with it
    on a select registered at stage 1; the one just ahead is still being added then, and it is
    picked in front of the adder at stage 3 on a registered flag. No beat ever waits: the
    input keeps one beat per cycle for any ``n`` and any order.

    Latency: ``o_valid`` one cycle after ``i_partial`` (``lead + 1`` after ``a_valid``).
    Throughput: one beat per cycle, no backpressure (a fixed pipeline).

    Parameters
    ----------
    width : int
        Bits of a score, 1..64.
    depth : int
        Positions, 2..2**20 (at most 16384 for ``"ecp5"``).
    lead : int
        Cycles from ``a_valid`` to ``i_partial``, >= 3 (the extra ones delay the address).
    primitive : {"generic", "ecp5"}
        Passed to :class:`hw.lib.memory.BankedMemory`.

    Members
    -------
    a_valid : In(1)
        A beat: read its position's running score.
    a_pos : In(ceil(log2(depth)))
        Its position (from a register: it drives the block RAMs' read address when
        ``lead = 3``).
    a_first : In(1)
        The beat is its position's first (group 0): the stored word is ignored.
    a_last : In(1)
        The beat is its position's last (last group): the total leaves on ``o_*``.
    i_partial : In(width)
        The beat's partial score, ``lead`` cycles after its ``a_valid``.
    o_valid : Out(1)
        A position's total (only for ``a_last`` beats), one cycle after its ``i_partial``.
    o_score : Out(width)
    o_pos : Out(ceil(log2(depth)))
    """

    fwd = 4  # operations in flight between a read and the write it would need to see
    latency = 1  # i_partial -> o_valid

    def __init__(self, width: int, depth: int, lead: int = 3, primitive: str = "generic"):
        check_int("width", width, 1, 64)
        check_choice("primitive", primitive, PRIMITIVES)
        check_int("depth", depth, 2, 16384 if primitive == "ecp5" else 2**20)
        check_int("lead", lead, 3, 64)
        self.width, self.depth, self.lead, self.primitive = width, depth, lead, primitive
        self.pos_width = (depth - 1).bit_length()
        super().__init__({
            "a_valid": In(1), "a_pos": In(self.pos_width), "a_first": In(1), "a_last": In(1),
            "i_partial": In(width),
            "o_valid": Out(1), "o_score": Out(width), "o_pos": Out(self.pos_width),
        })

    def elaborate(self, platform):
        m = Module()
        fwd = self.fwd
        m.submodules.mem = mem = BankedMemory(self.width, self.depth, self.primitive)
        wr, rd = mem.wr, mem.rd

        # The address side band waits lead - 3 cycles, so that the word leaves the memory
        # (stage 2) one cycle before the partial sum arrives (stage 3).
        v0, a0, f0, l0 = self.a_valid, self.a_pos, self.a_first, self.a_last
        for i in range(self.lead - 3):
            regs = (Signal(name=f"dv{i}"), Signal(self.pos_width, name=f"da{i}"),
                    Signal(name=f"df{i}"), Signal(name=f"dl{i}"))
            m.d.sync += [r.eq(x) for r, x in zip(regs, (v0, a0, f0, l0), strict=True)]
            v0, a0, f0, l0 = regs
        m.d.comb += rd.addr.eq(a0)
        v = [v0] + [Signal(name=f"v{i}") for i in range(1, fwd + 2)]
        a = [a0] + [Signal(self.pos_width, name=f"a{i}") for i in range(1, fwd + 2)]
        first = [f0] + [Signal(name=f"f{i}") for i in range(1, 3)]
        last = [l0] + [Signal(name=f"l{i}") for i in range(1, 4)]
        m.d.sync += [v[i + 1].eq(v[i]) for i in range(fwd + 1)]
        m.d.sync += [a[i + 1].eq(a[i]) for i in range(fwd + 1)]
        m.d.sync += [first[i + 1].eq(first[i]) for i in range(2)]
        m.d.sync += [last[i + 1].eq(last[i]) for i in range(3)]

        tot = [Signal(self.width, name=f"tot{i}") for i in range(fwd - 1)]  # tot[0]: newest
        m.d.sync += [tot[i + 1].eq(tot[i]) for i in range(fwd - 2)]
        # Stage 1: which in-flight total (2..4 places ahead, the newest wins) replaces the word.
        early = Signal(range(fwd))  # 0: memory word; e: tot[e - 1] (operation e + 1 ahead)
        early_next = 0
        for d in range(fwd, 1, -1):  # the operation d places ahead sits at stage 1 + d now
            early_next = Mux(v[1 + d] & (a[1 + d] == a[1]), d - 1, early_next)
        m.d.sync += early.eq(early_next)
        # Stage 2: the word (or a forwarded total); zero for a position's first beat, which
        # must not see a total of the previous frame.
        base = rd.data
        for e in range(1, fwd):
            base = Mux(early == e, tot[e - 1], base)
        word = Signal(self.width)
        hit1 = Signal()  # the operation one place ahead has the same position
        m.d.sync += [word.eq(Mux(first[2], 0, base)),
                     hit1.eq(v[3] & (a[3] == a[2]) & ~first[2])]
        # Stage 3: add the partial sum; the total just ahead is taken instead of the word when
        # it is the same position's (a 2:1 mux in front of the carry chain).
        m.d.sync += tot[0].eq(Mux(hit1, tot[0], word) + self.i_partial)
        m.d.sync += self.o_valid.eq(v[3] & last[3])
        # Stage 4: write back (a last group's total is never read again in this frame; it is
        # written anyway, one enable less).
        m.d.comb += [wr.addr.eq(a[4]), wr.data.eq(tot[0]), wr.en.eq(v[4]),
                     self.o_score.eq(tot[0]), self.o_pos.eq(a[4])]
        return m
