"""Cycle counts of hw/systolic/array.py: a cycle-exact model and the documented analytic bound.

Both assume ideal streams (``w`` and ``x`` always valid, ``y`` always ready) and count the
cycles from the first cycle the streams are offered (layer start, array idle) to the cycle of
the last ``y`` handshake, both included. ``tests/hw/systolic/test_array.py`` checks the model
against the Amaranth simulation cycle for cycle, and the simulation against the bound; the bench
uses the model for layers too large to simulate quickly.

Also the stream orders the array expects and produces (``x_stream``, ``w_stream``,
``y_order``), shared by the Amaranth and cocotb testbenches.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cycle_bound", "cycle_model", "useful_macs", "w_stream", "x_stream", "y_order"]


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def useful_macs(c_in: int, c_out: int, k: int) -> int:
    """Multiply-accumulates of ``W (c_out x c_in) . X (c_in x k)``."""
    return c_in * c_out * k


def cycle_bound(rows: int, cols: int, c_in: int, c_out: int, k: int, *,
                subtiles: int = 1) -> int:
    """Analytic upper bound (k >= 1), exact when ``m k T >= m C_in + R + C + 3``.

    With ``m = subtiles``, ``n = ceil(C_out / (m C))`` tiles of ``m`` sub-tiles:
    ``fill + n * m * ceil(C_in/R) * k + drain`` with fill = the first tile's weight load
    (``m C_in + 2``: the loader's and the PEs' write registers) and drain = the pipeline
    (``R + C + 9``); tiles after the first take ``max(m k T, m C_in + R + C + 3)`` cycles
    (the next-but-one tile's weights load into a bank that is only released ``R + C + 1``
    cycles after its last column).
    """
    t = _ceil(c_in, rows)
    n = _ceil(c_out, cols * subtiles)
    p = subtiles * k * t
    load = subtiles * c_in
    return load + rows + cols + 11 + p + (n - 1) * max(p, load + rows + cols + 3)


def cycle_model(rows: int, cols: int, c_in: int, c_out: int, k: int, *, subtiles: int = 1,
                fifo_depth: int | None = None) -> int:
    """Cycle-exact count of the RTL's controller (k >= 1), register by register.

    With ``subtiles = m`` the controller is the ``m = 1`` one with ``m C_in`` weight beats
    and ``m k`` columns per tile (the loader runs from one sub-tile into the next without a
    bubble), and ``ceil(C_out / (m C))`` tiles.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1 for a cycle count, got {k}")
    t_beats = _ceil(c_in, rows)
    n = _ceil(c_out, cols * subtiles)
    # One tile: m runs of C_in weight beats into the bank, m columns per kept column.
    c_in, k = subtiles * c_in, subtiles * k
    depth = rows + cols + 12 if fifo_depth is None else fifo_depth
    lat = rows + cols + 9        # x handshake -> y valid (grid R + C + 7, FIFO 1, issue 1)
    full = [False, False]        # loaded, not finished by the reader
    held = [False, False]        # finished, its last reads still in the array
    wb = wci = wsent = 0
    cmd = None                   # bank whose last weight beat is in the write register
    cmd2 = None                  # ... in the PEs' write registers
    rb = xbeat = xsent = 0
    rel = [None] * (rows + cols + 1)
    pending = 0
    arrivals: dict[int, int] = {}
    last_y = None
    cyc = 0
    while xsent < n * k * t_beats or arrivals:
        w_fire = not full[wb] and not held[wb] and cmd2 != wb and wsent < n * c_in
        col_last = xbeat % t_beats == t_beats - 1
        k_last = xbeat // t_beats == k - 1
        x_fire = (full[rb] and (not col_last or pending < depth)
                  and xsent < n * k * t_beats)
        tile_done = x_fire and col_last and k_last
        y_hs = arrivals.pop(cyc, 0)
        if y_hs:
            last_y = cyc
        # Registers update.
        new_cmd = None
        if w_fire:
            wsent += 1
            if wci == c_in - 1:
                wci, new_cmd, wb = 0, wb, wb ^ 1
            else:
                wci += 1
        if rel[-1] is not None:
            held[rel[-1]] = False
        if tile_done:
            full[rb], held[rb] = False, True
        if cmd2 is not None:
            full[cmd2] = True
        cmd, cmd2 = new_cmd, cmd
        rel = [rb if tile_done else None] + rel[:-1]
        if x_fire:
            xsent += 1
            xbeat = (xbeat + 1) % (k * t_beats)
            if col_last:
                arrivals[cyc + lat] = 1
        if tile_done:
            rb ^= 1
        pending += int(x_fire and col_last) - y_hs
        cyc += 1
    return last_y + 1


def x_stream(xs, rows: int, n_co: int, *, subtiles: int = 1, fill=None) -> list[list[int]]:
    """Beats of the array's ``x`` stream for kept columns ``xs`` (C_in, k).

    Every column as ``ceil(C_in / R)`` beats of R channels, ``subtiles`` times in a row (once
    per sub-tile), the whole set re-streamed once per C_out tile (``n_co = ceil(C_out /
    (subtiles C))`` times). Lanes past C_in are zeros, or random int8 drawn from ``fill`` (a
    ``numpy.random.Generator``; the array must ignore them), different in every repeat.
    """
    xs = np.asarray(xs, dtype=np.int64)
    c_in, k = xs.shape
    t = _ceil(c_in, rows)
    one = []
    for _ in range(n_co):
        pad = np.zeros((subtiles, t * rows, k), np.int64)
        if fill is not None:
            pad[:] = fill.integers(-128, 127, pad.shape, endpoint=True)
        pad[:, :c_in] = xs
        one += [[int(v) for v in pad[s, i * rows:(i + 1) * rows, j]]
                for j in range(k) for s in range(subtiles) for i in range(t)]
    return one


def w_stream(ws, cols: int, *, subtiles: int = 1) -> list[list[int]]:
    """Beats of the array's ``w`` stream for weights ``ws`` (C_out, C_in).

    Per C_out tile of ``subtiles`` x C channels, per sub-tile ``s``, C_in beats of C weights
    (``W[(j*subtiles + s)*C + c, i]`` in lane c); lanes past C_out carry zeros, and so do the
    whole sub-tiles past C_out of the last tile.
    """
    ws = np.asarray(ws, dtype=np.int64)
    c_out, c_in = ws.shape
    n = _ceil(c_out, cols * subtiles) * subtiles    # sub-tiles sent, real or not
    pad = np.zeros((n * cols, c_in), np.int64)
    pad[:c_out] = ws
    return [[int(v) for v in pad[j * cols:(j + 1) * cols, i]]
            for j in range(n) for i in range(c_in)]


def y_order(c_out: int, k: int, cols: int, *,
            subtiles: int = 1) -> list[tuple[int, int, int, int]]:
    """``(g, col, tile_last, last)`` of each beat of the array's ``y`` stream.

    Per tile ``j`` of ``subtiles`` x C channels, per column ``col``, per sub-tile ``s``: the
    beat holds ``Y[g*C + c, col]`` in lane c, ``g = j*subtiles + s``; ``tile_last`` on the
    tile's last beat, ``last`` on the layer's.
    """
    n = _ceil(c_out, cols * subtiles)
    return [(j * subtiles + s, col, int(end), int(end and j == n - 1))
            for j in range(n) for col in range(k) for s in range(subtiles)
            for end in [col == k - 1 and s == subtiles - 1]]
