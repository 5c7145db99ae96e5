"""The FIFOs the blocks share.

* :class:`PrefetchFIFO`: a first-word-fall-through FIFO whose head is a register fed from
  the RAM a few cycles ahead, for a writer that checks for room a cycle late and a reader
  that announces its reads (the forward Haar unit's coefficient queue).
* :class:`CreditFIFO`: the output FIFO of a free-running pipeline, with the credits that
  let a beat enter the pipeline only when its entry is reserved, so backpressure never
  stalls the pipeline (requantizer, inverse Haar, systolic array).
* :func:`two_entry_fifo`: a two-entry buffer whose three outputs are functions of registers.

All are single-clock (``sync`` domain); their data registers have no reset.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from .ecp5 import PRIMITIVES, kept_register
from .memory import BankedMemory
from .params import check_bool, check_choice, check_int, check_power_of_two

__all__ = ["FIFO_MEMORIES", "CreditFIFO", "PrefetchFIFO", "two_entry_fifo"]

#: Storage choices of :class:`PrefetchFIFO`: LUT RAM; portable memories with a registered
#: synchronous read (block RAM as Yosys infers it); ECP5 DP16KD instances with their output
#: register (``REGMODE_B = "OUTREG"``, :class:`hw.lib.memory.BankedMemory`).
FIFO_MEMORIES = ("lut", "memory", "ecp5")


class PrefetchFIFO(wiring.Component):
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
        (:class:`~hw.lib.memory.BankedMemory` ``wide``, the x36 mode): a quad of 8 lanes
        (354 bits) in 10 DP16KD, not 23.

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
        check_int("width", width, 1)
        check_int("depth", depth, 2)
        check_choice("memory", memory, FIFO_MEMORIES)
        if isinstance(slices, int) and not isinstance(slices, bool) and 1 <= slices <= width:
            cuts = [j * width // slices for j in range(slices + 1)]
        elif (isinstance(slices, (list, tuple)) and slices and sum(slices) == width
              and all(isinstance(b, int) and not isinstance(b, bool) and b >= 1
                      for b in slices)):
            cuts = [sum(slices[:j]) for j in range(len(slices) + 1)]
        else:
            raise ValueError(f"slices must be an integer in [1, width = {width}] or widths "
                             f">= 1 summing to {width}, got {slices!r}")
        check_int("rdy3_copies", rdy3_copies, 1, 64)
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
            primitive = "ecp5" if self.memory == "ecp5" else "generic"
            m.submodules.mem = mem = BankedMemory(self.width, ram_depth, primitive=primitive,
                                                  wide=True)
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


class CreditFIFO(wiring.Component):
    """Output FIFO of a free-running pipeline, and the credits to enter that pipeline.

    The producer is a pipeline without a clock enable: a beat that enters it arrives at the
    FIFO a fixed number of cycles later whatever the FIFO's reader does, so the FIFO never
    checks for room. With ``credits`` the FIFO keeps one credit per entry: ``credit`` (a
    register) says a beat may enter the pipeline now, ``take`` consumes one and a popped
    entry returns one; a beat entering with a credit has its entry reserved, and with more
    credits than the round trip (entry, pipeline, FIFO, pop: the pipeline's registers plus
    two) the input runs at one beat per cycle. Without ``credits`` the producer keeps its own
    account (the systolic array counts completed columns).

    Nothing wide depends on a handshake of its own cycle: ``r_valid`` is a register,
    ``r_data`` the asynchronous LUT-RAM read at a registered read address (a bank
    multiplexer after it when ``depth > 16``), and credits and level move one LUT per bit
    (thermometer codes, bit k: more than k) where a binary counter would put a carry chain
    behind ``r_ready``. Two write timings:

    - ``announce=False``: ``w_en`` writes ``w_data`` in the same cycle (the memory's write
      enable, unchecked); the level is a thermometer code and ``r_valid`` its bit 0.
    - ``announce=True``: the writer announces a write a cycle ahead (``w_next``; its
      ``w_data`` comes in the next cycle), so the write enables of every 16-entry bank are
      registers, decoded from the write pointer beforehand; the level is binary and
      ``r_valid`` a register computed a cycle ahead for both outcomes of the read handshake.

    The entry may be cut into slices of ``slice_width`` bits, each slice memories of its own
    with its own copies of the write enables and of the write and read addresses (kept
    registers with ``primitive="ecp5"``), so that no register drives LUT RAMs across a wide
    entry.

    Latency: an entry written in cycle t (``announce``: announced in cycle t) is readable in
    cycle t + 1 (t + 2). Throughput one entry per cycle each way.

    Parameters
    ----------
    shape : shape-castable
        Entry shape.
    depth : int
        Entries, a power of two in [2, 4096] (the pointers wrap without a compare).
    credits : bool
        Keep the credits (``take``, ``credit``, ``credit_next``).
    announce : bool
        Writes announced a cycle ahead (``w_next``) instead of written at once (``w_en``).
    slice_width : int or None
        Bits per memory slice (the last slice takes the remainder); ``None``: one slice.
    primitive : {"generic", "ecp5"}
        Copies of the address and enable registers as plain registers (Yosys may merge them)
        or as kept ECP5 flip-flops (:func:`hw.lib.ecp5.kept_register`).
    ram_style : str or None
        Yosys ``ram_style`` of the memories (``"distributed"`` forces LUT RAM; by default the
        mapper chooses).

    Members
    -------
    take : In(1)
        A beat enters the pipeline (only with ``credit``). With ``credits``.
    credit : Out(1)
        A register: at least one entry is free and not reserved. With ``credits``.
    credit_next : Out(1)
        The value ``credit`` takes at the next clock edge (for registers kept equal to a
        function of it). With ``credits``.
    w_en : In(1)
        Write ``w_data`` now. Without ``announce``.
    w_next : In(1)
        ``w_data`` holds an entry to write in the next cycle. With ``announce``.
    w_data : In(shape)
    r_valid : Out(1)
        The FIFO is not empty; ``r_data`` is its oldest entry.
    r_ready : In(1)
        Pop the oldest entry when ``r_valid``.
    r_data : Out(shape)
    """

    def __init__(self, shape, depth: int = 16, *, credits: bool = True, announce: bool = False,
                 slice_width: int | None = None, primitive: str = "generic",
                 ram_style: str | None = None):
        check_bool("credits", credits)
        check_bool("announce", announce)
        check_power_of_two("depth", depth, 2, 4096)
        self.width = Value.cast(Signal(shape)).shape().width
        if self.width < 1:
            raise ValueError(f"shape must have a width >= 1, got {self.width}")
        if slice_width is not None:
            check_int("slice_width", slice_width, 1)
        check_choice("primitive", primitive, PRIMITIVES)
        self.shape, self.depth, self.credits, self.announce = shape, depth, credits, announce
        self.slice_width = self.width if slice_width is None else slice_width
        self.primitive, self.ram_style = primitive, ram_style
        members = {}
        if credits:
            members |= {"take": In(1), "credit": Out(1), "credit_next": Out(1)}
        members |= {"w_next" if announce else "w_en": In(1), "w_data": In(shape),
                    "r_valid": Out(1), "r_ready": In(1), "r_data": Out(shape)}
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        depth = self.depth
        size = min(depth, 16)  # entries per LUT-RAM bank (TRELLIS_DPR16X4: 16 x 4 bits)
        banks, lo = depth // size, exact_log2(size)
        pop = self.r_valid & self.r_ready
        attrs = {"ram_style": self.ram_style} if self.ram_style else None

        if self.announce:
            wq = Signal(range(depth))   # where the entry announced by w_next goes
            w_en = Signal()             # an entry is written in this cycle
            level = Signal(range(depth + 1))
            we_n = Cat(self.w_next & ((wq >> lo) == b if banks > 1 else 1)
                       for b in range(banks))
            m.d.sync += [
                wq.eq(wq + self.w_next), w_en.eq(self.w_next),
                level.eq(Mux(w_en ^ pop, Mux(pop, level - 1, level + 1), level)),
                # Not empty next cycle: a write, or an entry left after this cycle's pop.
                self.r_valid.eq(w_en | Mux(pop, level != 1, self.r_valid)),
            ]
        else:
            wp = Signal(range(depth))
            w_en = self.w_en
            we_now = Cat(w_en & ((wp >> lo) == b if banks > 1 else 1) for b in range(banks))
            level = Signal(depth)
            up, down = w_en & ~pop, pop & ~w_en
            m.d.comb += self.r_valid.eq(level[0])
            m.d.sync += [
                wp.eq(wp + w_en),
                level.eq(Mux(up, Cat(Const(1, 1), level[:-1]),
                             Mux(down, Cat(level[1:], Const(0, 1)), level))),
            ]

        if self.credits:
            free = Signal(depth, init=2**depth - 1)
            took, gave = self.take & ~pop, pop & ~self.take
            free_n = Mux(took, Cat(free[1:], Const(0, 1)),
                         Mux(gave, Cat(Const(1, 1), free[:-1]), free))
            m.d.comb += [self.credit.eq(free[0]), self.credit_next.eq(free_n[0])]
            m.d.sync += free.eq(free_n)

        w_data, r_data = Value.cast(self.w_data), Value.cast(self.r_data)
        bank_depth = size if banks > 1 else depth
        for s, base in enumerate(range(0, self.width, self.slice_width)):
            top = min(base + self.slice_width, self.width)

            def copy(value, name, s=s, reset=True):
                return kept_register(m, value, primitive=self.primitive, name=f"{name}{s}",
                                     reset=reset)

            if self.announce:
                we, wa = copy(we_n, "we"), copy(wq[:lo], "wa", reset=False)
            else:
                we, wa = we_now, (wp[:lo] if banks > 1 else wp)
            # Each read-address copy counts by itself: a shared next-address LUT would sit
            # between all the copies, with a long route on each side.
            ra_n = Signal(range(depth), name=f"ra_n{s}")
            ra = copy(ra_n, "ra")
            m.d.comb += ra_n.eq(Mux(pop, ra + 1, ra))
            reads = []
            for b in range(banks):
                mem = Memory(shape=top - base, depth=bank_depth, init=[], attrs=attrs)
                m.submodules[f"mem{s}_{b}"] = mem
                wr, rd = mem.write_port(), mem.read_port(domain="comb")
                m.d.comb += [wr.en.eq(we[b]), wr.addr.eq(wa), wr.data.eq(w_data[base:top]),
                             rd.addr.eq(ra[:lo] if banks > 1 else ra)]
                reads.append(rd.data)
            m.d.comb += r_data[base:top].eq(Array(reads)[ra[lo:]] if banks > 1 else reads[0])
        return m


def two_entry_fifo(m, name: str, w_valid, r_ready, w_data):
    """A two-entry FIFO built into module ``m``: returns ``(valid, data, ready)``.

    All three are functions of registers (``data`` a 2:1 multiplexer of the entries, selected
    by the read pointer): an entry is written when ``w_valid`` and not full (the entries'
    enables depend only on the writer's side), the head is dropped when ``valid`` and
    ``r_ready``. Latency one cycle, throughput one beat per cycle each way. Signals are named
    ``{name}_*``.
    """
    ent = [Signal(len(w_data), name=f"{name}_e{j}") for j in range(2)]
    wptr, rptr = Signal(name=f"{name}_wptr"), Signal(name=f"{name}_rptr")
    full, nonempty = Signal(name=f"{name}_full"), Signal(name=f"{name}_nonempty")
    count = Signal(range(3), name=f"{name}_count")
    push = w_valid & ~full
    pop = nonempty & r_ready
    for j in range(2):
        with m.If(push & (wptr == j)):
            m.d.sync += ent[j].eq(w_data)
    count_n = Signal.like(count, name=f"{name}_count_n")
    m.d.comb += count_n.eq(count + push - pop)
    m.d.sync += [wptr.eq(wptr ^ push), rptr.eq(rptr ^ pop), count.eq(count_n),
                 full.eq(count_n == 2), nonempty.eq(count_n != 0)]
    return nonempty, Mux(rptr, ent[1], ent[0]), ~full
