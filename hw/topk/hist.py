"""Histogram of score codes and the constant-time threshold scan of the top-k selector."""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..lib.memory import BankedMemory
from ..lib.params import check_int, check_power_of_two


class CodeHistogram(wiring.Component):
    """Code histogram in one memory; finds the top-k threshold and clears itself while doing so.

    ``bins_per_word`` bins share a memory word, so the scan reads that many bins per cycle.
    Increments are a read-modify-write four cycles apart: the memory
    (:class:`hw.lib.memory.BankedMemory`) registers its output (an ECP5 DP16KD's output register
    or a flip-flop right after it), the word is registered again in the logic, the updated
    word is registered before it is written, and the four newest words still in flight are
    forwarded (three of them muxed in with the memory word, the newest one after the adders),
    so back-to-back increments of one word need no stall.

    The scan walks all ``words`` words from the top, keeps the running count of codes above,
    and latches the highest bin ``t`` with ``count(code >= t) >= k`` and ``above =
    count(code > t)`` (``golden.topk.threshold_of``; with ``k = 0`` it gives the top bin and
    ``above = 0``). Each word is written back as zero one cycle after it is read, so the
    histogram is empty for the next frame with no extra pass.

    Latency: ``scan_cycles = words + 8`` from ``scan_start`` to ``scan_done``, independent of the
    data and of N. Throughput: one increment per cycle.

    Parameters
    ----------
    nbins : int
        Number of codes, 2..65536.
    count_width : int
        Bits per bin (holds up to ``2**count_width - 1`` positions), 1..32.
    bins_per_word : int
        Bins read per scan cycle, a power of two in 1..32.
    primitive : {"generic", "ecp5"}
        Passed to :class:`hw.lib.memory.BankedMemory`.

    Members
    -------
    inc_valid : In(1)
        Count ``inc_code`` once. Not during a scan.
    inc_code : In(range(nbins))
    scan_start : In(1)
        Pulse: start the scan; give it at least ``settle`` (4) cycles after the last increment.
    k : In(count_width)
        Sampled during the scan; held by the user.
    scan_done : Out(1)
        Pulse, ``scan_cycles`` after ``scan_start``: ``t``, ``above``, ``need`` are valid until the
        next ``scan_start``.
    t : Out(range(words * bins_per_word))
    above : Out(count_width)
        ``count(code > t)``.
    need : Out(count_width)
        ``k - above``: positions to keep at ``code == t`` (registered, no subtractor after it).
    ready : Out(1)
        Low while the memory is being wiped after a reset that came in the middle of a frame
        (``words`` cycles from the reset; never at power-up): no increment then.
    """

    settle = 4  # cycles from the last increment to a scan_start that sees it

    def __init__(self, nbins: int, count_width: int, bins_per_word: int = 4,
                 primitive: str = "generic"):
        check_int("nbins", nbins, 2, 65536)
        check_int("count_width", count_width, 1, 32)
        check_power_of_two("bins_per_word", bins_per_word, 1, 32)
        self.nbins, self.count_width, self.bins_per_word = nbins, count_width, bins_per_word
        self.primitive = primitive
        self.words = -(-nbins // bins_per_word)
        self.scan_cycles = self.scan_cycles_for(nbins, bins_per_word)
        self.memory_bits = self.words * bins_per_word * count_width
        super().__init__({
            "inc_valid": In(1), "inc_code": In(range(nbins)),
            "scan_start": In(1), "k": In(count_width),
            "scan_done": Out(1), "t": Out(range(self.words * bins_per_word)),
            "above": Out(count_width), "need": Out(count_width), "ready": Out(1),
        })

    @staticmethod
    def scan_cycles_for(nbins: int, bins_per_word: int) -> int:
        """``scan_start`` to ``scan_done``: one word a cycle plus the 8-stage pipeline."""
        return -(-nbins // bins_per_word) + 8

    def elaborate(self, platform):
        m = Module()
        r, cw = self.bins_per_word, self.count_width
        lsb = (r - 1).bit_length()
        aw = range(self.words)
        m.submodules.mem = mem = BankedMemory(r * cw, max(self.words, 2), self.primitive)
        wr, rd = mem.wr, mem.rd
        # Increment pipeline: address (stage 0), memory (1, 2), ``word`` (3), update (3 -> wq),
        # write (4). The read missed the writes of the ``fwd`` previous increments, which are
        # still in flight: the newest of them with the same address is forwarded. Those 2..4
        # places ahead are already in ``wq`` when the memory word comes out (stage 2), so they
        # are muxed in there, on a select registered at stage 1; only the increment one place
        # ahead is still being computed then, and it is picked after the adders, on a
        # registered flag.
        fwd = 4
        v = [self.inc_valid] + [Signal(name=f"v{i}") for i in range(1, fwd + 2)]
        a = [self.inc_code >> lsb] + [Signal(aw, name=f"a{i}") for i in range(1, fwd + 2)]
        lane_of = [self.inc_code[:lsb] if lsb else 0] + [
            Signal(range(r), name=f"l{i}") for i in range(1, 3)]
        m.d.sync += [v[i + 1].eq(v[i]) for i in range(fwd + 1)]
        m.d.sync += [a[i + 1].eq(a[i]) for i in range(fwd + 1)]
        m.d.sync += [lane_of[i + 1].eq(lane_of[i]) for i in range(2)]
        wq = [Signal(r * cw, name=f"wq{i}") for i in range(1, fwd)]  # wq[0]: newest
        m.d.sync += [wq[i + 1].eq(wq[i]) for i in range(fwd - 2)]
        early = Signal(range(fwd))  # 0: memory word; e: wq[e - 1] (increment e + 1 ahead)
        early_next = 0
        for d in range(fwd, 1, -1):  # increment d places ahead sits at stage 1 + d now
            early_next = Mux(v[1 + d] & (a[1 + d] == a[1]), d - 1, early_next)
        m.d.sync += early.eq(early_next)
        base = rd.data
        for e in range(1, fwd):
            base = Mux(early == e, wq[e - 1], base)
        word = Signal(r * cw)  # memory output (itself registered), or a forwarded word
        m.d.sync += word.eq(base)
        hit1 = Signal()  # the increment one place ahead has the same address
        onehot = Signal(r)
        m.d.sync += [hit1.eq(v[3] & (a[3] == a[2])), onehot.eq(Const(1, r) << lane_of[2])]
        bumped = Signal(r * cw)
        for j in range(r):
            lo, hi = j * cw, (j + 1) * cw
            m.d.comb += bumped[lo:hi].eq(Mux(hit1, wq[0][lo:hi] + onehot[j],
                                             word[lo:hi] + onehot[j]))
        m.d.sync += wq[0].eq(bumped)

        # A reset in the middle of a frame leaves counts in the memory, which only a scan
        # clears: `dirty` (no reset: it outlives one) says an increment was written since the
        # last complete scan, and then the first cycles after a reset write every word to
        # zero (`wiping`, `words` cycles; `ready` low) before the next frame's increments.
        # At power-up the memory is zero and `dirty` low: no wipe, no cycle lost.
        dirty = Signal(reset_less=True)
        boot = Signal(init=1)
        wiping = Signal()
        wc = Signal(aw)
        # Plain expressions, no m.If: Icarus never evaluates an `always @*` whose inputs have
        # not changed since time 0, and these stay constant until a frame comes.
        start_wipe, end_wipe = boot & dirty, wiping & (wc == 0)
        m.d.comb += self.ready.eq(~wiping & ~start_wipe)
        wiping_next = Mux(start_wipe, 1, Mux(end_wipe, 0, wiping))
        wc_next = Mux(start_wipe, self.words - 1, Mux(wiping, wc - 1, wc))
        m.d.sync += [boot.eq(0), wiping.eq(wiping_next), wc.eq(wc_next)]

        # Scan: read word (s1), clear it while its data comes out (s2), word register (s3),
        # suffix sums of the word (s3b, s4), compare with k - (codes above) (s5), pick (s6).
        scanning = Signal()
        w = Signal(aw, init=self.words - 1)
        s1_valid, s2_valid, s3_valid, s3b_valid, s4_valid = (Signal() for _ in range(5))
        s1_addr, s2_addr, s3_addr, s3b_addr, s4_addr = (Signal(aw) for _ in range(5))
        s1_last, s2_last, s3_last, s3b_last, s4_last, s5_last = (Signal() for _ in range(6))
        # The read address is a 2:1 mux on a register (``scan_start`` only sets ``scanning``):
        # it drives the block RAMs' address pins.
        m.d.comb += rd.addr.eq(Mux(scanning, w, a[0]))
        with m.If(self.scan_start):
            m.d.sync += scanning.eq(1)
        with m.If(scanning):
            m.d.sync += w.eq(w - 1)
            with m.If(w == 0):
                m.d.sync += [scanning.eq(0), w.eq(self.words - 1)]
        m.d.sync += [s1_valid.eq(scanning), s1_addr.eq(w), s1_last.eq(scanning & (w == 0)),
                     s2_valid.eq(s1_valid), s2_addr.eq(s1_addr), s2_last.eq(s1_last),
                     s3_valid.eq(s2_valid), s3_addr.eq(s2_addr), s3_last.eq(s2_last),
                     s3b_valid.eq(s3_valid), s3b_addr.eq(s3_addr), s3b_last.eq(s3_last),
                     s4_valid.eq(s3b_valid), s4_addr.eq(s3b_addr), s4_last.eq(s3b_last),
                     s5_last.eq(s4_last)]
        m.d.sync += dirty.eq(Mux(v[4], 1, Mux(s1_last | end_wipe, 0, dirty)))

        # The write port: an increment's word (stage 4), a wipe's zero, or the scan's clearing
        # zero (stage s1), in rising priority. Its address, data and enable are registers, each
        # computed a cycle early from what the stage-4 / s1 / wipe registers will hold, so the
        # block RAMs' write pins hang off flip-flops: the select and the bank decode in front of
        # a far block RAM were the selector's critical path on the ECP5.
        wr_addr, wr_data, wr_en = Signal(aw), Signal(r * cw), Signal()
        m.d.sync += [wr_en.eq(v[3] | wiping_next | scanning),
                     wr_addr.eq(Mux(scanning, w, Mux(wiping_next, wc_next, a[3]))),
                     wr_data.eq(Mux(scanning | wiping_next, 0, bumped))]
        m.d.comb += [wr.addr.eq(wr_addr), wr.data.eq(wr_data), wr.en.eq(wr_en)]

        counts = [word[j * cw:(j + 1) * cw] for j in range(r)]
        # Suffix sums sfx[j] = sum(counts[j:]) in two registered steps (one adder level each
        # for 4 bins a word): within blocks of ``blk`` bins (s3b), then across blocks (s4).
        blk = 1 << (((r - 1).bit_length() + 1) // 2)
        inblk = [Signal(cw, name=f"inblk{j}") for j in range(r)]  # counts[j:end of block]
        m.d.sync += [inblk[j].eq(_tree_sum(counts[j:(j // blk + 1) * blk])) for j in range(r)]
        sfx = [Signal(cw, name=f"sfx{j}") for j in range(r)]
        m.d.sync += [sfx[j].eq(_tree_sum([inblk[j]] + inblk[(j // blk + 1) * blk::blk]))
                     for j in range(r)]
        # Stage 4: count(code >= bin j) = acc + sfx[j] >= k, i.e. sfx[j] >= rem = k - acc (a
        # compare, no adder), registered; stage 5 picks the highest such bin. Those bins are a
        # prefix of the word: the last assignment wins.
        acc = Signal(cw)  # codes in the words already scanned (all above this one)
        rem = Signal(cw)  # max(k - acc, 0): an unsigned compare, same result as k - acc
        ge = Signal(r)
        rest5 = [Signal(cw, name=f"rest5_{j}") for j in range(r)]
        acc5, rem5, s5_addr = Signal(cw), Signal(cw), Signal(aw)
        s5_valid, s6_last = Signal(), Signal()
        m.d.sync += [ge[j].eq(sfx[j] >= rem) for j in range(r)]
        m.d.sync += [rest5[j].eq(sfx[j + 1] if j + 1 < r else 0) for j in range(r)]
        m.d.sync += [acc5.eq(acc), rem5.eq(rem), s5_addr.eq(s4_addr), s5_valid.eq(s4_valid),
                     s6_last.eq(s5_last)]
        found = Signal()
        hit = Signal()
        lane = Signal(range(r))
        rest = Signal(cw)
        for j in range(r):
            with m.If(ge[j]):
                m.d.comb += [hit.eq(1), lane.eq(j), rest.eq(rest5[j])]
        hit_acc, hit_rem, hit_rest = Signal(cw), Signal(cw), Signal(cw)
        with m.If(self.scan_start):
            m.d.sync += [acc.eq(0), rem.eq(self.k), found.eq(0)]
        with m.Elif(s4_valid):
            diff = rem - sfx[0]  # cw + 1 bits: the top one is the borrow (one carry chain)
            m.d.sync += [acc.eq(acc + sfx[0]), rem.eq(Mux(diff[cw], 0, diff[:cw]))]
        with m.If(s5_valid & hit & ~found):
            m.d.sync += [found.eq(1), self.t.eq((s5_addr << lsb) | lane),
                         hit_acc.eq(acc5), hit_rem.eq(rem5), hit_rest.eq(rest)]
        # Up to the hit fewer than k codes were counted (acc5 <= k), so rem5 = k - acc5 there,
        # unclamped: need = k - above = rem5 - rest, registered like above.
        m.d.sync += [self.above.eq(hit_acc + hit_rest), self.need.eq(hit_rem - hit_rest),
                     self.scan_done.eq(s6_last)]
        return m


def _tree_sum(values):
    """Sum as a balanced tree (log2 adder levels, not a chain)."""
    while len(values) > 1:
        values = [values[i] + values[i + 1] if i + 1 < len(values) else values[i]
                  for i in range(0, len(values), 2)]
    return values[0]
