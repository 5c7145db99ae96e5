"""The soak's check of ``WccLayer.error_code``: every fault's code, when it comes, nothing else.

A bench records the cycle of every handshake on the three input streams (per frame, per
beat), the cycle each frame's first pixel beat was first offered, and every change of
``error_code`` as ``(cycle, code)``. :func:`code_window` turns a frame's ``blame``
(``verif.layer_soak.SoakFrame``) into the cycles in which its code must appear, as
``docs/reliability.md`` times them: a framing error the cycle after the offending beat is
taken (``error_code`` a cycle later), a refusal a few cycles after the ``cfg`` beat is taken
and before the next one is. :func:`check_codes` then asks, for every frame that raises a code,
that ``error_code`` holds that code at some cycle of its window, and, for every change of
``error_code``, that some frame's window and code explain it.

Errors in the same cycle are resolved by priority: the layer writes a refusal's code over a
pixel framing error's, and a pixel framing error's over a parameter framing error's
(``docs/reliability.md``). They do meet: a refused configuration waiting for a descriptor slot
is pushed in the cycle after the frame before it frees one, which is the cycle after that
frame's final pixel or parameter beat is taken, the cycle its framing error (a ``last``
missing, a packet too long) is reported. A framing error whose code never shows is therefore
counted apart (``masked``), not failed, when a frame of a higher-priority code may have been
refused within its window (the windows overlap) and ``error_code`` held that code there (a
refusal of the code already held changes nothing). Pure Python.
"""

from __future__ import annotations

from bisect import bisect_right

from hw.layer.config import ErrorCode

__all__ = ["SLACK", "check_codes", "code_window"]

#: Cycles from the offending handshake to the change of ``error_code`` (2 by the RTL: the
#: error pulse is registered, then the code), with margin.
SLACK = 4


def code_window(frames, j: int, taken: dict, offered: list, end: int) -> tuple[int, int]:
    """The cycles ``(lo, hi)`` in which frame ``j``'s code must appear.

    Parameters
    ----------
    frames : list of SoakFrame
    j : int
        The frame (``frames[j].blame`` is not ``None``).
    taken : dict
        Per stream (``"cfg"``, ``"params"``, ``"x"``), per frame, the cycle of each beat's
        handshake.
    offered : list of int
        Per frame, the cycle its first pixel beat was first offered.
    end : int
        The last cycle of the run (the window of a refusal in the final frame).
    """
    stream, a, b = frames[j].blame
    if stream == "cfg":
        nxt = taken["cfg"][j + 1][0] if j + 1 < len(frames) else end
        return taken["cfg"][j][0], nxt + SLACK
    if stream == "next":  # ended by the next frame's first pixel beat
        return offered[j + 1], taken["x"][j + 1][0] + SLACK
    return taken[stream][j][a], taken[stream][j][b] + SLACK


def check_codes(frames, taken: dict, offered: list, events: list, end: int) -> tuple:
    """Check the changes of ``error_code`` against the frames' codes.

    Parameters
    ----------
    frames, taken, offered, end
        As for :func:`code_window`.
    events : list of (int, int)
        Every change of ``error_code``, ``(cycle, new code)``, in time order (the code is 0
        from the reset).

    Returns
    -------
    problems : list of str
        One line per frame whose code never showed in its window, and per change that no
        frame explains; empty when all is well.
    stats : dict
        ``changed`` (faults seen as a change to their code), ``held`` (the code was already
        that of the frame: an earlier fault of the same code), ``masked`` (hidden by a
        refusal in the same cycle: module docstring).
    """
    cycles = [t for t, _ in events]
    windows = []
    problems, stats = [], {"changed": 0, "held": 0, "masked": 0}

    def code_at(t: int) -> int:
        i = bisect_right(cycles, t)
        return events[i - 1][1] if i else 0

    for j, f in enumerate(frames):
        if f.code:
            windows.append((j, *code_window(frames, j, taken, offered, end), f.code))
    for j, lo, hi, code in windows:
        f = frames[j]
        inside = events[bisect_right(cycles, lo - 1):bisect_right(cycles, hi)]
        shown = {code_at(lo), *(c for _, c in inside)}
        if any(c == code for _, c in inside):
            stats["changed"] += 1
        elif code_at(lo) == code:
            stats["held"] += 1
        elif code >= ErrorCode.PIXEL_FRAMING and any(
                0 < c < code and c in shown and r_lo <= hi and lo <= r_hi
                for _, r_lo, r_hi, c in windows):
            stats["masked"] += 1
        else:
            problems.append(f"frame {j} ({f.kind}): error_code {code} expected in cycles "
                            f"{lo}..{hi}; it was {code_at(lo)}, then "
                            f"{[c for _, c in inside] or 'unchanged'}")
    for t, c in events:
        if not any(lo <= t <= hi and code == c for _, lo, hi, code in windows):
            problems.append(f"error_code became {c} at cycle {t}: no frame raises it then")
    return problems, stats
