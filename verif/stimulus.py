"""Stimulus and reference values shared by the tests (``tests/``), the cocotb testbenches
(``sim/``) and the benchmarks (``bench/``): real and synthetic maps, the beats of each block's
input streams, and the golden results they are checked against. NumPy and ``golden/`` only:
no simulator is imported here.
"""

from __future__ import annotations

import numpy as np

from golden.fixedpoint import quantize_multiplier, requantize
from golden.haar import pad_to
from golden.int_haar import coef_bits, int_dwt2
from golden.int_model import params_from_float, wcc_int
from golden.topk import joint_score, pack_bitmap, score_code, select_topk

__all__ = [
    "coef_beats", "expected", "frame_beats", "haar_coefficients", "layer_frame", "layer_trace",
    "make_frame", "ocr_frame", "photo_coefficients", "photo_map", "pixel_beats", "quantize",
    "topk_coefficients",
]

#: Largest magnitude of a three-level Haar coefficient of int8 pixels.
WMAX = 2 ** (coef_bits(3) - 1)


def make_frame(spec: dict, lanes: int, rng, bits: int = 8) -> np.ndarray:
    """A (lanes, h, w) map of signed ``bits``-bit integers of kind ``spec["kind"]``.

    Kinds: ``camera`` (skimage camera crops, one per lane, shifted to signed), ``astronaut``
    (RGB channels of a crop, cycled over the lanes), ``ocr`` (a real PP-OCRv4 activation,
    quantized to int8), ``random``, ``low`` / ``high`` (the extremes), ``checker``
    (+-extreme checkerboard), ``hot`` (one extreme pixel).
    """
    import skimage.data

    kind, h, w = spec["kind"], spec["h"], spec["w"]
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if kind == "camera":
        img = skimage.data.camera().astype(np.int64) - 128
        return np.stack([img[200 + 17 * q:200 + 17 * q + h, 150 + 9 * q:150 + 9 * q + w]
                         for q in range(lanes)])
    if kind == "astronaut":
        img = skimage.data.astronaut().astype(np.int64) - 128
        return np.stack([img[40:40 + h, 180:180 + w, q % 3] for q in range(lanes)])
    if kind == "ocr":
        from golden.int_model import quantize_input
        from wcc.data import ocr_layer

        act = ocr_layer(photo="astronaut", size=spec.get("size", 128))[0]
        act = act[:lanes, :h, :w]
        return quantize_input(act, max(float(np.abs(act).max()), 1e-9) / 127)
    if kind == "random":
        return rng.integers(lo, hi + 1, size=(lanes, h, w))
    if kind in ("low", "high"):
        return np.full((lanes, h, w), lo if kind == "low" else hi, np.int64)
    if kind == "checker":
        c = np.indices((h, w)).sum(0) % 2
        return np.stack([np.where(c ^ (q % 2), hi, lo) for q in range(lanes)])
    if kind == "hot":
        x = np.zeros((lanes, h, w), np.int64)
        x[:, int(rng.integers(h)), int(rng.integers(w))] = hi
        return x
    raise ValueError(f"unknown frame kind {kind!r}")


def pixel_beats(x):
    """(C, H, W) int map -> raster-order input beats with frame markers."""
    c, h, w = x.shape
    beats = []
    for r in range(h):
        for q in range(w):
            beats.append({"data": [int(v) for v in x[:, r, q]], "first": int(r == 0 and q == 0),
                          "last": int(r == h - 1 and q == w - 1)})
    return beats


def coef_beats(z):
    """(C, N) position-order coefficients -> inverse-unit input beats with frame markers."""
    n = z.shape[1]
    return [{"data": [int(v) for v in z[:, p]], "first": int(p == 0), "last": int(p == n - 1)}
            for p in range(n)]


def haar_coefficients(spec, lanes, levels, in_bits, rng):
    """(z (C, N), hp, wp, x or None): the coefficients to send and the source map if any."""
    b = 2**levels
    hp, wp = -(-spec["h"] // b) * b, -(-spec["w"] // b) * b
    lo, hi = -(2 ** (in_bits - 1)), 2 ** (in_bits - 1) - 1
    if spec["kind"] == "coef_random":
        return rng.integers(lo, hi + 1, size=(lanes, hp * wp)), hp, wp, None
    if spec["kind"] == "coef_extreme":
        n = hp * wp
        alt = np.where(np.arange(n) % 2, hi, lo)
        rows = [np.full(n, lo), np.full(n, hi), alt, -alt - 1]
        return np.stack([rows[q % 4] for q in range(lanes)]), hp, wp, None
    x = make_frame(spec, lanes, rng)
    return int_dwt2(pad_to(x, levels), levels), hp, wp, x


def quantize(w, ratio: float = 1 / 24) -> np.ndarray:
    """int8 ``q = requantize(w, m, sh, lo=-127, hi=127)`` of exact coefficients (spec stage 4)."""
    m, sh = quantize_multiplier(ratio)
    return requantize(np.asarray(w, dtype=np.int64), m, sh, lo=-127, hi=127)


def photo_map(channels: int, h: int, w: int, seed: int, name: str = "astronaut") -> np.ndarray:
    """(channels, h, w) int8 map of a real photo: colour planes at random crop offsets."""
    from skimage import data as skdata

    img = np.asarray(getattr(skdata, name)())
    img = img[..., None] if img.ndim == 2 else img
    rng = np.random.default_rng(seed)
    planes = []
    for c in range(channels):
        r0 = int(rng.integers(0, img.shape[0] - h))
        c0 = int(rng.integers(0, img.shape[1] - w))
        planes.append(img[r0:r0 + h, c0:c0 + w, c % img.shape[2]].astype(np.int64) - 128)
    return np.stack(planes)


def photo_coefficients(channels: int, n: int, seed: int, name: str = "astronaut") -> np.ndarray:
    """(channels, n) exact Haar coefficients of a real photo: int8 crops -> int Haar.

    Channels are the photo's colour planes at different crop offsets, shifted to int8.
    """
    h = 1 << (n.bit_length() - 1) // 2
    return int_dwt2(photo_map(channels, h, n // h, seed, name), 3)


def topk_coefficients(spec: dict, channels: int, rng) -> np.ndarray:
    """(channels, n) exact coefficients described by ``spec`` (kind, n, ...)."""
    kind, n = spec["kind"], spec["n"]
    if kind == "photo":
        return photo_coefficients(channels, n, spec.get("seed", 0), spec.get("name", "astronaut"))
    if kind == "random":
        return rng.integers(-WMAX, WMAX, size=(channels, n)) >> rng.integers(0, 12, size=(1, n))
    if kind == "sparse":  # mostly small values: many ties at low codes
        return rng.integers(-2, 3, size=(channels, n)) * (rng.random((1, n)) < 0.3)
    if kind == "equal":
        return np.full((channels, n), 90)
    if kind == "two":
        return np.where(rng.random((1, n)) < 0.5, 40, -110) * np.ones((channels, 1), int)
    if kind == "extreme":  # the most negative coefficient everywhere, then mixed with +max
        w = rng.choice([-WMAX, WMAX - 1], size=(channels, n))
        w[:, : n // 4] = -WMAX
        return w
    raise ValueError(f"unknown frame kind {kind!r}")


def layer_trace(x: np.ndarray, k: int, params=None) -> dict:
    """``golden.wcc_int`` trace of int8 map ``x`` (made-up 1x1 layer unless ``params``)."""
    if params is None:
        c = x.shape[0]
        weight = np.random.default_rng(c).normal(size=(4, c))
        params = params_from_float(weight, scale_x=1.0, alpha_coef=300.0, alpha_z=1000.0,
                                   alpha_out=100.0)
    return wcc_int(x, params, k=k, trace=True)[1]


def frame_beats(q: np.ndarray, w: np.ndarray, groups: int, order) -> list[dict]:
    """(C, N) int8 ``q`` and exact ``w`` coefficients -> the input beats of ``hw.topk.TopK``.

    Group-major, as the selector takes them: every position of group 0 (channels ``0 ..
    lanes - 1``, ``lanes = C // groups``), then every position of group 1, and so on; ``last``
    on the final beat (of the last group). ``order`` is the order of the positions within a
    group: one sequence (the same for every group) or ``groups`` sequences, one per group. The
    ``group`` field is set only when ``groups > 1`` (a missing field packs as 0).
    """
    lanes = q.shape[0] // groups
    orders = [order] * groups if np.ndim(order) == 1 else order
    if len(orders) != groups:
        raise ValueError(f"order must give one sequence or {groups} sequences")
    beats = []
    for g, group_order in enumerate(orders):
        sl = slice(g * lanes, (g + 1) * lanes)
        for p in group_order:
            beat = {"data": [int(v) for v in q[sl, p]], "coef": [int(v) for v in w[sl, p]],
                    "pos": int(p), "last": 0}
            if groups > 1:
                beat["group"] = g
            beats.append(beat)
    beats[-1]["last"] = 1
    return beats


def expected(q: np.ndarray, w: np.ndarray, k: int, groups: int, mant_bits: int = 7):
    """Golden bitmap (scored on all C channels of ``w``), its words and the kept-column beats
    of ``q``: kept positions in increasing order, each position's ``groups`` beats in group
    order (the selector's output order, whatever the input order)."""
    bm = select_topk(score_code(joint_score(w), mant_bits), k)
    lanes = q.shape[0] // groups
    cols = [[int(v) for v in q[g * lanes:(g + 1) * lanes, p]]
            for p in np.nonzero(bm)[0] for g in range(groups)]
    return bm, [int(w) for w in pack_bitmap(bm)], cols


def layer_frame(c_in: int, c_out: int, h: int, w: int, *, seed: int, keep: float | None = None,
                k: int | None = None, relu: bool = False, kind: str = "smooth"):
    """One frame for the WCC layer: ``(x int8 (c_in, h, w), IntParams, k)``.

    ``kind``: ``smooth`` (a blurred random map and a random layer, calibrated on itself with
    ``golden.calibrate``), ``low`` / ``high`` (all -128 / 127 with that layer), ``checker``
    (+-extreme checkerboard). Give ``keep`` or ``k`` (k counts padded positions)."""
    from golden.calibrate import calibrate
    from golden.topk import k_from_keep
    from wcc.vectors import random_layer

    x, weight, bias = random_layer({"c_in": c_in, "c_out": c_out, "height": h, "width": w},
                                   seed)
    params, xq = calibrate(x, weight, bias, keep=keep if keep is not None else 0.5, relu=relu)
    if kind == "low":
        xq = np.full_like(xq, -128)
    elif kind == "high":
        xq = np.full_like(xq, 127)
    elif kind == "checker":
        c = np.indices((h, w)).sum(0) % 2
        xq = np.stack([np.where(c ^ (q % 2), 127, -128) for q in range(c_in)])
    n = pad_to(xq, 3).shape[1] * pad_to(xq, 3).shape[2]
    if k is None:
        k = k_from_keep(keep if keep is not None else 0.5, n)
    return xq.astype(np.int64), params, int(k)


def ocr_frame(tensor: str, photo: str, keep: float, size: int = 512, relu: bool = False):
    """One frame of a real PP-OCRv4 1x1 layer for the WCC layer: ``(x int8, IntParams, k)``,
    the layer's input on ``photo`` at ``size``, calibrated at ``keep`` (``golden.calibrate``)."""
    from golden.calibrate import calibrate
    from golden.topk import k_from_keep
    from wcc.data import ocr_layer

    act, weight, bias = ocr_layer(tensor, photo, size)
    params, x = calibrate(act, weight, bias, keep=keep, relu=relu)
    n = pad_to(x, params.levels).shape[1] * pad_to(x, params.levels).shape[2]
    return x.astype(np.int64), params, k_from_keep(keep, n)
