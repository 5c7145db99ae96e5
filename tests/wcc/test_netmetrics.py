"""Tests of wcc/netmetrics.py: the detector metrics against hand values and pixel counts."""

import itertools

import numpy as np
import pytest

from wcc import netmetrics as nm


def _blank(h=20, w=30):
    return np.zeros((h, w))


def test_prob_mad_and_mask_iou_by_hand():
    a, b = _blank(), _blank()
    a[2:6, 3:8] = 0.9  # 20 pixels
    b[4:6, 3:10] = 0.5  # 14 pixels, 10 shared with a
    b[0, 0] = 0.3  # at the threshold: not text (p > 0.3)
    assert nm.mask_iou(a, b) == pytest.approx(10 / 24)
    assert nm.prob_mad(a, b) == pytest.approx(np.abs(a - b).sum() / a.size)
    assert nm.mask_iou(_blank(), _blank()) == 1.0  # neither sees text
    assert nm.mask_iou(a, _blank()) == 0.0


def test_maps_must_match():
    with pytest.raises(ValueError, match="two 2-D arrays of one shape"):
        nm.prob_mad(_blank(), _blank(20, 31))


def test_find_boxes_components_and_min_area():
    p = _blank()
    p[1:5, 1:5] = 1  # 16 pixels: kept
    p[10:12, 20:27] = 1  # 14 pixels: a speck below MIN_AREA
    p[8:14, 2:4] = 0.8  # 12 pixels
    p[14, 4] = 0.8  # touches (13, 3) diagonally: the same 8-connected component
    p[15, 5] = 0.8  # and (14, 4): 14 pixels, still below MIN_AREA
    p[15:19, 8:14] = 0.6  # 24 pixels
    boxes = nm.find_boxes(p)
    assert sorted(map(tuple, boxes)) == [(1, 1, 5, 5), (15, 8, 19, 14)]
    assert sorted(map(tuple, nm.find_boxes(p, min_area=13))) == [
        (1, 1, 5, 5), (8, 2, 16, 6), (10, 20, 12, 27), (15, 8, 19, 14)]


def test_box_iou_against_pixel_masks():
    seed = 3
    print("seed", seed)
    rng = np.random.default_rng(seed)
    boxes = []
    for _ in range(12):
        r0, c0 = rng.integers(0, 20, 2)
        boxes.append((r0, c0, r0 + rng.integers(1, 10), c0 + rng.integers(1, 10)))
    iou = nm.box_iou(boxes, boxes[::-1])

    def mask(b):
        m = np.zeros((32, 32), bool)
        m[b[0]:b[2], b[1]:b[3]] = True
        return m

    for (i, a), (j, b) in itertools.product(enumerate(boxes), enumerate(boxes[::-1])):
        ma, mb = mask(a), mask(b)
        assert iou[i, j] == pytest.approx((ma & mb).sum() / (ma | mb).sum())


def test_box_f1_matching():
    ref = [(0, 0, 10, 10), (20, 20, 30, 30), (40, 40, 50, 50)]
    # one exact, one at IoU 50/150 (too low), one shifted by 2 rows (IoU 80/120 >= 0.5),
    # and a duplicate of the exact one that must not match twice
    test = [(0, 0, 10, 10), (20, 25, 30, 35), (42, 40, 52, 50), (0, 0, 10, 10)]
    assert nm.box_iou(ref, test)[1, 1] == pytest.approx(50 / 150)
    assert sorted(nm.match_boxes(ref, test)) == [(0, 0), (2, 2)]
    assert nm.box_f1(ref, test) == pytest.approx(2 * 2 / 7)
    assert nm.box_f1([], []) == 1.0
    assert nm.box_f1(ref, []) == 0.0


def test_compare_of_a_map_with_itself():
    p = _blank()
    p[2:8, 2:9] = 0.7
    m = nm.compare(p, p)
    assert m == dict(prob_mad=0.0, mask_iou=1.0, box_f1=1.0, boxes_ref=1, boxes=1, matched=1)
