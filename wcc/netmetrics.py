"""End-task metrics of the text detector: a compressed network's probability map against the
float network's own map (no ground truth ships with the photos).

* :func:`prob_mad`: mean absolute difference of the two probability maps;
* :func:`mask_iou`: intersection over union of the text masks ``p > threshold`` (the detector's
  binarization threshold, 0.3 in rapidocr's configuration);
* :func:`find_boxes` and :func:`box_f1`: the masks' connected components (8-connected, at
  least ``min_area`` pixels) as axis-aligned boxes, matched one to one at box IoU >= 0.5,
  greedily in decreasing IoU order; F1 = 2 * matches / (boxes of one + boxes of the other).

Empty against empty counts as perfect agreement (IoU 1, F1 1): neither network sees text.
"""

from __future__ import annotations

import numpy as np

THRESHOLD = 0.3  # rapidocr's Det thresh: the probability that makes a pixel text
MIN_AREA = 16  # pixels of a component kept as a box: drops specks, keeps small words
MATCH_IOU = 0.5


def _check_maps(ref, test):
    ref, test = np.asarray(ref, dtype=np.float64), np.asarray(test, dtype=np.float64)
    if ref.shape != test.shape or ref.ndim != 2:
        raise ValueError(f"probability maps must be two 2-D arrays of one shape, got "
                         f"{ref.shape} and {test.shape}")
    return ref, test


def prob_mad(ref, test) -> float:
    """Mean absolute difference of two probability maps."""
    ref, test = _check_maps(ref, test)
    return float(np.abs(ref - test).mean())


def mask_iou(ref, test, threshold: float = THRESHOLD) -> float:
    """IoU of the masks ``ref > threshold`` and ``test > threshold`` (1.0 if both empty)."""
    ref, test = _check_maps(ref, test)
    a, b = ref > threshold, test > threshold
    union = int(np.count_nonzero(a | b))
    return 1.0 if union == 0 else int(np.count_nonzero(a & b)) / union


def find_boxes(prob, threshold: float = THRESHOLD, min_area: int = MIN_AREA) -> np.ndarray:
    """Boxes ``(row0, col0, row1, col1)`` (end exclusive) of the 8-connected components of
    ``prob > threshold`` with at least ``min_area`` pixels, as an (n, 4) int array."""
    from skimage.measure import label, regionprops

    lab = label(np.asarray(prob) > threshold, connectivity=2)
    boxes = [r.bbox for r in regionprops(lab) if r.area >= min_area]
    return np.array(boxes, dtype=np.int64).reshape(-1, 4)


def box_iou(a, b) -> np.ndarray:
    """Pairwise IoU (len(a), len(b)) of boxes ``(row0, col0, row1, col1)``, end exclusive."""
    a, b = np.asarray(a, dtype=np.int64).reshape(-1, 4), np.asarray(b, np.int64).reshape(-1, 4)
    r0 = np.maximum(a[:, None, 0], b[None, :, 0])
    c0 = np.maximum(a[:, None, 1], b[None, :, 1])
    r1 = np.minimum(a[:, None, 2], b[None, :, 2])
    c1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(r1 - r0, 0, None) * np.clip(c1 - c0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0)


def match_boxes(ref, test, min_iou: float = MATCH_IOU) -> list[tuple[int, int]]:
    """One-to-one matches ``(i_ref, i_test)`` with IoU >= ``min_iou``, greedy by IoU (ties in
    index order)."""
    iou = box_iou(ref, test)
    order = np.argsort(-iou, axis=None, kind="stable")
    used_r, used_t, out = set(), set(), []
    for flat in order:
        i, j = divmod(int(flat), iou.shape[1])
        if iou[i, j] < min_iou:
            break
        if i not in used_r and j not in used_t:
            used_r.add(i)
            used_t.add(j)
            out.append((i, j))
    return out


def box_f1(ref_boxes, test_boxes, min_iou: float = MATCH_IOU) -> float:
    """F1 of ``test_boxes`` against ``ref_boxes`` at IoU >= ``min_iou`` (1.0 if both empty)."""
    n = len(ref_boxes) + len(test_boxes)
    return 1.0 if n == 0 else 2 * len(match_boxes(ref_boxes, test_boxes, min_iou)) / n


def compare(ref, test) -> dict:
    """Every metric of ``test`` against ``ref`` (probability maps): ``prob_mad, mask_iou,
    box_f1, boxes_ref, boxes, matched``."""
    br, bt = find_boxes(ref), find_boxes(test)
    return dict(prob_mad=prob_mad(ref, test), mask_iou=mask_iou(ref, test),
                box_f1=box_f1(br, bt), boxes_ref=len(br), boxes=len(bt),
                matched=len(match_boxes(br, bt)))
