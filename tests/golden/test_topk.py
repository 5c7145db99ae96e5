"""Score, score code and top-k rule (golden/topk.py) against independent computations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.topk import (
    code_bits,
    joint_score,
    layer_score_bits,
    pack_bitmap,
    score_bits,
    score_code,
    select_topk,
    threshold_of,
    unpack_bitmap,
)


def _reference_topk(code, k):
    # Independent rule: sort by (code descending, position ascending), take the first k.
    order = sorted(range(len(code)), key=lambda p: (-int(code[p]), p))
    bm = np.zeros(len(code), dtype=bool)
    bm[order[:k]] = True
    return bm


def _reference_code(s, m=7):
    if s < 2**m:
        return s
    e = s.bit_length() - m
    return (e << m) + ((s >> (e - 1)) - (1 << m))


@given(st.lists(st.integers(0, 40), min_size=1, max_size=200), st.data())
@settings(max_examples=200)
def test_select_topk_matches_sorted_rule(codes, data):
    code = np.array(codes)
    k = data.draw(st.integers(0, len(codes)))
    bm = select_topk(code, k)
    assert bm.sum() == k
    np.testing.assert_array_equal(bm, _reference_topk(code, k))
    t, need = threshold_of(code, k)
    if k:
        assert bm.sum() == (code > t).sum() + need


def test_ties_go_in_position_order():
    code = np.full(100, 5)
    np.testing.assert_array_equal(np.nonzero(select_topk(code, 30))[0], np.arange(30))
    code = np.where(np.arange(100) % 2, 9, 3)  # two distinct values
    bm = select_topk(code, 60)
    assert bm[1::2].all() and np.nonzero(bm[0::2])[0].tolist() == list(range(10))


@given(st.integers(0, 2**31))
def test_score_code_matches_reference_and_is_close(s):
    c = int(score_code(np.array([s]))[0])
    assert c == _reference_code(s)
    if s >= 2**7:  # relative resolution 2**-7
        e = s.bit_length() - 7
        assert (s >> (e - 1)) << (e - 1) <= s < ((s >> (e - 1)) + 1) << (e - 1)


def test_score_code_is_monotone():
    s = np.arange(0, 1 << 18)
    c = score_code(s)
    assert (np.diff(c) >= 0).all() and c.max() < 2 ** code_bits(18)


def test_score_extremes_fit():
    for ch in (1, 16, 48, 64, 256):
        q = np.full((ch, 4), -128)
        s = joint_score(q)
        assert s.max() < 2 ** score_bits(ch)
        assert score_code(s).max() < 2 ** code_bits(score_bits(ch))
    assert code_bits(score_bits(64)) <= 12
    # The layer's score over 3-level coefficients: 12-bit codes up to 2048 channels.
    assert code_bits(layer_score_bits(2048, 3)) <= 12 < code_bits(layer_score_bits(4096, 3))


@given(st.lists(st.booleans(), min_size=1, max_size=300))
def test_bitmap_pack_round_trip(bits):
    bm = np.array(bits)
    words = pack_bitmap(bm)
    assert words.dtype == np.uint32 and len(words) == (len(bits) + 31) // 32
    np.testing.assert_array_equal(unpack_bitmap(words, len(bits)), bm)
    for p in np.nonzero(bm)[0]:
        assert (int(words[p // 32]) >> (p % 32)) & 1


def test_select_topk_rejects_bad_k():
    with pytest.raises(ValueError, match="k must be"):
        select_topk(np.zeros(4, dtype=int), 5)
