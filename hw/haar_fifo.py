"""Synchronous FIFO in LUT RAM or block RAM with a registered head, for the Haar units."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from .topk_mem import BankedMemory

__all__ = ["LutFIFO", "FIFO_MEMORIES"]

#: Storage choices: LUT RAM; portable memories with a registered synchronous read (block RAM
#: as Yosys infers it); ECP5 DP16KD instances with their output register (``REGMODE_B =
#: "OUTREG"``, ``hw.topk_mem.BankedMemory``).
FIFO_MEMORIES = ("lut", "memory", "ecp5")


class LutFIFO(wiring.Component):
    """First-word-fall-through FIFO in LUT RAM (or block RAM), with a registered head.

    ECP5 block RAM has a clock-to-output time of about 5.8 ns without its output register
    (which Yosys' inference leaves off), more than a 200 MHz period; LUT RAM is read
    asynchronously. With ``memory = "lut"`` words are fetched from the RAM into a read register
    (loaded every cycle, no enable: the RAM address is the fetch pointer register, so the
    path is pointer -> RAM -> bank multiplexer -> flip-flop; above 64 words the even and odd
    words are two memories, each read into a register, then the 2:1 choice: one more cycle);
    with ``"ecp5"`` the DP16KD's own output register plays that part (one more cycle). From
    there words go into a two-word
    head buffer (``r_data`` is its first register). A word is fetched only while the head
    buffer and the read pipeline hold at most one word between them, so fetching, the
    pointers, the count and the flags depend on registers only, never on the read; the
    fetch decision itself is a register (computed from next-state values), and so are the
    read (the reader announces it a cycle ahead, ``r_next``) and the head registers'
    enables (sliced: one LUT of the slice's own copies).
    ``w_rdy``, ``w_rdy3`` and ``r_rdy`` are registers.

    Latency: a word written in cycle t can be read in cycle t + 3 (LUT RAM up to 64 words)
    or t + 4 (deeper LUT RAM, block RAM). Throughput: one write per cycle; one read every
    second or third cycle sustained (the Haar serializer reads one word per three or four
    output beats), one per cycle while the head buffer holds two words.

    Parameters
    ----------
    width : int
        Bits per word, >= 1.
    depth : int
        Words of RAM, >= 2 (the head buffer and the read pipeline hold up to two more). Block
        RAM (``"memory"``, ``"ecp5"``) gets an address space of the next power of two, so
        its pointers wrap without a compare; the capacity stays ``depth``.
    slices : int or sequence of int
        The word is cut into this many contiguous slices of equal width (1..width), or of
        the given widths (>= 1 each, summing to ``width``), each with its own
        copies of the head buffer's select and enables (and, in LUT RAM up to 64 words, its
        own memory and pointer copies), so no control net spans the whole word.
    rdy3_copies : int
        Copies of ``w_rdy3``, 1..64.
    memory : {"lut", "memory", "ecp5"}
        LUT RAM (forced with ``ram_style``); portable memories with a registered synchronous
        read; or ECP5 DP16KD block RAMs with their output register (``sim/models/DP16KD.v``
        simulates them). Block RAM up to 512 words uses 36-bit banks
        (``BankedMemory(wide=True)``, the x36 mode): a quad of 8 lanes (354 bits) in 10
        DP16KD, not 23.

    Members
    -------
    w_data : In(width)
        Word to write.
    w_en : In(1)
        Write ``w_data``; only while ``w_rdy`` is high (not checked: the write enables of the
        RAM cells and the pointer's clock enable come straight from ``w_en``, which the Haar
        unit keeps in a register, its room guaranteed through ``w_rdy3``).
    w_rdy : Out(1)
        The RAM is not full.
    w_rdy3 : Out(rdy3_copies)
        At least three words of RAM free: registered once more by the writer, it still
        guarantees room for a word accepted into a register in front of the FIFO and written
        in the next cycle without looking at ``w_rdy`` (a registered write enable). One
        copy per writer (``rdy3_copies``), all equal, each updated from its own value so
        that they stay apart.
    r_data : Out(width)
        Oldest word (a register), valid while ``r_rdy``.
    r_next : In(slices)
        Drop the oldest word in the next cycle (``r_next`` in cycle t is the read of cycle
        t + 1, ignored if ``r_rdy`` is low then): the reader registers its read decision
        anyway, so the FIFO registers it instead, and with it the head buffer's enables.
        One copy per slice, all equal (bit 0 also drives the pointers and flags): the
        reader makes each copy next to the slice it serves.
    r_rdy : Out(slices)
        Not empty; a copy per slice, all equal (for a reader that is sliced the same way).
    """

    def __init__(self, *, width: int, depth: int, memory: str = "lut", slices: int = 1,
                 rdy3_copies: int = 1):
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be an integer >= 1, got {width!r}")
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 2:
            raise ValueError(f"depth must be an integer >= 2, got {depth!r}")
        if memory not in FIFO_MEMORIES:
            raise ValueError(f"memory must be one of {FIFO_MEMORIES}, got {memory!r}")
        if isinstance(slices, int) and not isinstance(slices, bool) and 1 <= slices <= width:
            cuts = [j * width // slices for j in range(slices + 1)]
        elif (isinstance(slices, (list, tuple)) and slices and sum(slices) == width
              and all(isinstance(b, int) and not isinstance(b, bool) and b >= 1
                      for b in slices)):
            cuts = [sum(slices[:j]) for j in range(len(slices) + 1)]
        else:
            raise ValueError(f"slices must be an integer in [1, width = {width}] or widths "
                             f">= 1 summing to {width}, got {slices!r}")
        if isinstance(rdy3_copies, bool) or not isinstance(rdy3_copies, int) or not (
                1 <= rdy3_copies <= 64):
            raise ValueError(f"rdy3_copies must be an integer in [1, 64], got {rdy3_copies!r}")
        # Slice j holds bits [cuts[j], cuts[j + 1]).
        self.cuts, self.slices = cuts, len(cuts) - 1
        self.width, self.depth, self.memory = width, depth, memory
        super().__init__({
            "w_data": In(width), "w_en": In(1), "w_rdy": Out(1, init=1),
            "w_rdy3": Out(rdy3_copies, init=-int(depth >= 3)),
            "r_data": Out(width), "r_next": In(self.slices), "r_rdy": Out(self.slices),
        })

    def elaborate(self, platform):
        m = Module()
        depth = self.depth
        # Block RAM holds far more words than needed: its address space is rounded up to a
        # power of two, so the pointers wrap without a compare (capacity is still `depth`).
        ram_depth = depth if self.memory == "lut" else 1 << (depth - 1).bit_length()
        copies = []  # per-slice (write, read) pointer copies of the sliced LUT RAM
        wptr, rptr = Signal(range(ram_depth)), Signal(range(ram_depth))
        count = Signal(range(depth + 1))  # words in the RAM
        nonempty = Signal()
        # Head buffer: q0 (= r_data, valid r_rdy), q1; `d1` is the end of the read pipeline,
        # `f` its valid bits (a word fetched in cycle t is in d1 from t + len(f)).
        # Data registers have no reset (the valid bits qualify them).
        q1, d1 = Signal(self.width, reset_less=True), Signal(self.width, reset_less=True)
        head = Signal(self.width, reset_less=True)
        m.d.comb += self.r_data.eq(head)
        q1v = Signal()
        held = Signal(range(5))  # r_rdy + q1v + words in the read pipeline, as a register
        # fetch = nonempty & (held <= 1), kept in a register from the next-state values: it
        # enables the pointer, the count and the flags (and the RAM read), so their paths
        # start at one flip-flop instead of a compare of `held`.
        fetch = Signal()
        one = Signal()  # count == 1, updated with the count
        w = self.w_en
        # `live` is `r_rdy` in a flip-flop of its own for the head buffer and the read side's
        # counters, so the reader's copy (`r_rdy`) stays with the reader's control. `r_en` is
        # the registered read (`r_next` of the previous cycle).
        live, r_en = Signal(), Signal()
        m.d.sync += r_en.eq(self.r_next[0])
        pop = r_en & live
        if self.memory == "lut" and depth > 64:
            # More than four 16-word LUT-RAM banks: even and odd words in two memories, each
            # read into a register (a 3:1 bank multiplexer at 88 words), then the 2:1 choice.
            half = (depth + 1) // 2
            de, do = Signal(self.width, reset_less=True), Signal(self.width, reset_less=True)
            sel = Signal()
            for k, dk in enumerate((de, do)):
                mk = Memory(shape=self.width, depth=half, init=[],
                            attrs={"ram_style": "distributed"})
                m.submodules[f"mem{k}"] = mk
                wk, rk = mk.write_port(), mk.read_port(domain="comb")
                m.d.comb += [wk.addr.eq(wptr >> 1), wk.data.eq(self.w_data),
                             wk.en.eq(w & (wptr[0] == k)), rk.addr.eq(rptr >> 1)]
                m.d.sync += dk.eq(rk.data)
            m.d.sync += [sel.eq(rptr[0]), d1.eq(Mux(sel, do, de))]
            f = [Signal(name="f1"), Signal(name="f2")]
        elif self.memory == "lut":
            # A memory per slice, each with its own pointer copies (enabled by the shared
            # `w`/`fetch`, each stepping from its own value, so they are not merged).
            for j, (lo, hi) in enumerate(zip(self.cuts, self.cuts[1:], strict=False)):
                wp_j, rp_j = Signal.like(wptr, name=f"wptr{j}"), Signal.like(rptr, name=f"rptr{j}")
                mem = Memory(shape=hi - lo, depth=depth, init=[],
                             attrs={"ram_style": "distributed"})
                m.submodules[f"mem{j}"] = mem
                wr, rd = mem.write_port(), mem.read_port(domain="comb")
                m.d.comb += [wr.addr.eq(wp_j), wr.data.eq(self.w_data[lo:hi]), wr.en.eq(w),
                             rd.addr.eq(rp_j)]
                m.d.sync += d1[lo:hi].eq(rd.data)
                copies.append((wp_j, rp_j))
            f = [Signal(name="f1")]
        else:
            m.submodules.mem = mem = BankedMemory(self.width, ram_depth,
                                                  primitive=self.memory, wide=True)
            wr, rd = mem.wr, mem.rd
            m.d.comb += [d1.eq(rd.data), wr.addr.eq(wptr), wr.data.eq(self.w_data),
                         wr.en.eq(w), rd.addr.eq(rptr)]
            f = [Signal(name="f1"), Signal(name="f2")]
        f1 = f[-1]
        held_n = Signal.like(held)
        m.d.comb += held_n.eq(held + fetch - pop)
        m.d.sync += [f[0].eq(fetch), *(b.eq(a) for a, b in zip(f, f[1:], strict=False)),
                     held.eq(held_n)]
        def step(ptr):
            if ram_depth & (ram_depth - 1) == 0:
                return ptr + 1  # wraps with the truncation
            return Mux(ptr == ram_depth - 1, 0, ptr + 1)

        for wp_j, rp_j in [(wptr, rptr), *copies]:
            with m.If(w):
                m.d.sync += wp_j.eq(step(wp_j))
            with m.If(fetch):
                m.d.sync += rp_j.eq(step(rp_j))
        # The flags are computed from the count register only, never from a compare of the
        # updated count; `count +- 1` are precomputed, so the late `fetch` only drives muxes.
        up, down = Signal.like(count), Signal.like(count)
        m.d.comb += [up.eq(count + 1), down.eq(count - 1)]
        nonempty_n = Mux(w & ~fetch, 1, Mux(fetch & ~w, ~one, nonempty))
        # held_n <= 1 from compares of `held` (no adder before the compare).
        low_n = Mux(fetch & ~pop, held == 0, Mux(pop & ~fetch, held <= 2, held <= 1))
        m.d.sync += fetch.eq(nonempty_n & low_n)
        # w_rdy3 = (count <= depth - 3) changes only where the count crosses that bound:
        # equalities with constants (LUTs), not magnitude compares (carry chains).
        with m.If(w & ~fetch):
            m.d.sync += [count.eq(up), nonempty.eq(1), self.w_rdy.eq(count != depth - 1),
                         *(c.eq(c & (count != depth - 3)) for c in self.w_rdy3),
                         one.eq(count == 0)]
        with m.Elif(fetch & ~w):
            m.d.sync += [count.eq(down), self.w_rdy.eq(1),
                         *(c.eq(c | (count == depth - 2)) for c in self.w_rdy3),
                         nonempty.eq(~one), one.eq(count == 2)]
        # Head buffer: the word in d1 goes to q0 if that is free (or being read) and q1 is
        # empty, else to q1; q1 moves up when q0 is read. q0 is loaded whenever it is free,
        # also with nothing to load; q1 likewise whenever it is empty or moves up. Their
        # enables, `q0_free` (= ~live | r_en) and `q1_free` (= q0_free | ~q1v), are registers
        # computed from next-state values (with `r_next`): each drives `width` flip-flops.
        q0_free, q1_free = Signal(init=1), Signal(init=1)
        live_n = Mux(q0_free, q1v | f1, live)
        q1v_n = Mux(q0_free, q1v & f1, q1v | f1)
        q0_free_n = ~live_n | self.r_next[0]
        m.d.sync += [live.eq(live_n), q1v.eq(q1v_n), q0_free.eq(q0_free_n),
                     q1_free.eq(q0_free_n | ~q1v_n)]
        # Sliced, each slice's head registers take their select and enables from copies of
        # `live`, `q1v` and `r_en` (its own `r_next` registered); the enables are then a LUT
        # of those copies, not registers computed from `r_next` (which comes from the
        # reader's handshake) and each drives one slice, not the whole word.
        for j, (lo, hi) in enumerate(zip(self.cuts, self.cuts[1:], strict=False)):
            rr = self.r_rdy[j]
            if self.slices == 1:
                v, q0f, q1f = q1v, q0_free, q1_free
                with m.If(~rr | r_en):
                    m.d.sync += rr.eq(q1v | f1)
            else:
                lv, v, re = (Signal(name=f"{n}{j}") for n in ("live", "q1v", "r_en"))
                q0f = ~lv | re
                q1f = q0f | ~v
                m.d.sync += [re.eq(self.r_next[j]), lv.eq(Mux(q0f, v | f1, lv)),
                             v.eq(Mux(q0f, v & f1, v | f1))]
                with m.If(~rr | re):
                    m.d.sync += rr.eq(v | f1)
            with m.If(q0f):
                m.d.sync += head[lo:hi].eq(Mux(v, q1[lo:hi], d1[lo:hi]))
            with m.If(q1f):
                m.d.sync += q1[lo:hi].eq(d1[lo:hi])
        return m
