"""Arithmetic of one lane of the inverse Haar unit (hw/ihaar.py): operands and adder tree."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Mux, Signal

__all__ = ["lane_sum", "tree_stages"]


def tree_stages(n_ops: int, shift: int) -> int:
    """Registered adder-tree levels for ``n_ops`` operands (the root sum is registered only
    when the rounding follows)."""
    k = 0
    while n_ops > 2 or (n_ops == 2 and shift):
        n_ops, k = (n_ops + 1) // 2, k + 1
    return k


def lane_sum(m, reads, addr, half, *, levels: int, shift: int, name: str):
    """Free-running registered pipeline of one lane; returns the (unregistered) output value.

    Parameters
    ----------
    m : Module
    reads : dict
        ``(band, level)`` -> the lane's registered bank read, or a pair ``(half 0, half 1)``
        for a bank stored as one memory per half.
    addr : Value
        The lane's read address ``t`` (pixel ``x = t[:levels]``, ``y = t[levels:]``), in
        the cycle of the read.
    half : Value
        The half read, in the cycle of the read (selects in the pairs).
    levels, shift : int
        The unit's parameters.
    name : str
        Prefix of the lane's register names.
    """
    uid = [0]

    def reg(v):
        uid[0] += 1
        sig = Signal(v.shape(), name=f"{name}_p{uid[0]}", reset_less=True)
        m.d.sync += sig.eq(v)
        return sig

    def pick(v):
        return Mux(half0, v[1], v[0]) if isinstance(v, tuple) else v

    # Registered with the bank reads, from the lane's own address copy (so the operand LUTs
    # of a lane hang on the lane's own registers): the signs (x, y and x ^ y bits of each
    # level), the half, and `corr0`, the sum of the `1 << k` of the negated operands.
    x, y = addr[:levels], addr[levels:]
    signs = reg(Cat(Cat(x[lv], y[lv], x[lv] ^ y[lv]) for lv in range(levels)))
    half0 = reg(half)
    # Level l + 1 negates x_l + y_l + (x_l ^ y_l) = 2 * (x_l | y_l) operands shifted by
    # L - 1 - l: the sum has one bit per level, x_l | y_l at bit L - l, and needs no adder.
    corr0 = reg(Cat(Const(0, 1), *(x[lv] | y[lv] for lv in reversed(range(levels)))))
    # -v << k = (~v << k) + (1 << k): a LUT per bit here (sign, value and, for a bank split
    # by halves, both halves and the half: four inputs), the 1 << k of every negated operand
    # is in `corr0`.
    ops = [reg(pick(reads["ll", 0]) + corr0)]
    for lv in range(1, levels + 1):
        for j, band in enumerate(("lh", "hl", "hh")):
            v = pick(reads[band, lv])
            ops.append(reg(Mux(signs[3 * (lv - 1) + j], ~v, v) << (levels - lv)))
    for _ in range(tree_stages(len(ops), shift)):
        ops = [reg(ops[i] + ops[i + 1] if i + 1 < len(ops) else ops[i])
               for i in range(0, len(ops), 2)]
    if not shift:
        return ops[0] + ops[1]
    v = ops[0]
    threshold = Const((1 << shift) - 1 >> 1, shift) + v[-1]
    return reg(v >> shift) + reg(v[:shift] > threshold)
