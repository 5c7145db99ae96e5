"""Tests of verif/soak_codes.py: the soak's check of the layer's error codes."""

from __future__ import annotations

from types import SimpleNamespace

from verif.soak_codes import SLACK, check_codes


def _frames(*specs):
    return [SimpleNamespace(kind=k, code=c, blame=b) for k, c, b in specs]


def test_check_codes():
    """Codes in their windows pass; a missing code, a code out of its window and an
    unexplained change fail; a framing code hidden by a refusal in the same cycle counts as
    masked."""
    frames = _frames(("valid", 0, None), ("refused", 3, ("cfg", 0, 0)),
                     ("px_early_last", 6, ("x", 1, 1)), ("prm_cut", 7, ("params", 0, 0)))
    taken = {"cfg": [[0], [10], [20], [30]], "x": [[1, 2], [12], [40, 45], [60]],
             "params": [[3], [13], [50], [70]]}
    offered = [0, 10, 20, 30]
    good = [(14, 3), (47, 6), (72, 7)]
    assert check_codes(frames, taken, offered, good, 100) == ([], {"changed": 3, "held": 0,
                                                                   "masked": 0})
    late = [(14, 3), (45 + SLACK + 1, 6), (72, 7)]
    problems, _ = check_codes(frames, taken, offered, late, 100)
    assert len(problems) == 2 and "frame 2" in problems[0] and "cycle 50" in problems[1]
    problems, _ = check_codes(frames, taken, offered, [(14, 3), (47, 6)], 100)
    assert len(problems) == 1 and "frame 3" in problems[0]
    problems, _ = check_codes(frames, taken, offered, [*good, (80, 2)], 100)
    assert problems == ["error_code became 2 at cycle 80: no frame raises it then"]


def test_check_codes_masked():
    """A pixel framing error and a refusal in the same cycle: the refusal's code wins (it
    has the priority); the framing error counts as masked, not as a failure."""
    frames = _frames(("refused", 4, ("cfg", 0, 0)), ("px_early_last", 6, ("x", 0, 0)))
    taken = {"cfg": [[44], [90]], "x": [[40], [45]], "params": [[50], [60]]}
    problems, stats = check_codes(frames, taken, [40, 45], [(47, 4)], 100)
    assert problems == [] and stats == {"changed": 1, "held": 0, "masked": 1}
    # A refusal of the code already held (frame 0's): no change at all, still masked.
    three = _frames(("refused", 4, ("cfg", 0, 0)), *[(f.kind, f.code, f.blame) for f in frames])
    taken3 = {k: [[20], *v] for k, v in taken.items()}
    problems, stats = check_codes(three, taken3, [20, 40, 45], [(23, 4)], 100)
    assert problems == [] and stats == {"changed": 1, "held": 1, "masked": 1}
    # A refusal of a lower priority than the missing code's cannot hide it.
    frames[0].code = 7
    problems, _ = check_codes(frames, taken, [40, 45], [(47, 7)], 100)
    assert len(problems) == 1 and "frame 1 (px_early_last)" in problems[0]
    # Without the refusal, the same missing change fails.
    problems, _ = check_codes(frames[1:], {k: v[1:] for k, v in taken.items()}, [45], [],
                              100)
    assert len(problems) == 1 and "frame 0 (px_early_last)" in problems[0]
