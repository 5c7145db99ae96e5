"""Tests of verif/stimulus.py: the references the block tests compare against."""

from __future__ import annotations

import numpy as np

from verif.stimulus import expected


def test_expected_matches_golden_tie_rule():
    """The harness's reference: scored on w, exactly k kept, ties in increasing position."""
    w = np.array([[1, 2, 2, 2, 0, 2]])
    q = np.array([[5, 6, 7, 8, 9, 10]])
    bm, words, cols = expected(q, w, 3, groups=1)
    assert bm.tolist() == [False, True, True, True, False, False]
    assert words == [0b1110]
    assert cols == [[6], [7], [8]]
