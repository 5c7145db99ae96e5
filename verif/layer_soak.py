"""Random frames for the WCC layer's soak: valid, refused and damaged, from one seed.

:func:`soak_frames` draws a sequence of :class:`SoakFrame` for a :class:`hw.layer.WccLayer`
build, to be sent back to back: valid configurations (random C_in, C_out, H, W within the
build's maxima, k from 0 to N, random or calibrated requantizers, ReLU, int8 data and weights,
int32 biases), configurations the layer refuses (every ``ErrorCode`` from ``C_IN`` to ``K``:
a field 0 or too large, k above N, sometimes several fields at once), and valid frames whose
streams are damaged in the ways ``docs/reliability.md`` lists as recoverable (a pixel frame
cut short or too long, its ``last`` early, late or missing, stray pixel beats before it, a
parameter packet too short or too long). Each frame carries the beats of the three input
streams, the output map the layer owes (``golden.wcc_int`` of what the layer receives: a frame
cut short completed with zeros, the beats past a frame's end dropped) or ``None`` for a refused
frame, the error code it raises, and the beats whose handshake raises it
(:func:`code_window`), so that a bench checks the code and when it came. Pure Python: no
simulator is imported here; ``sim/tb_layer_soak.py`` runs the frames on Verilator,
``tests/hw/layer/test_soak_frames.py`` a few of them in the Amaranth simulator.

Recoverable combinations only: a frame cut short without ``last`` is ended by the next frame's
``first`` beat, so the next frame starts with one (no stray beats before it) and the soak does
not end on it; the extra beats of a frame too long that end with a ``last`` are dropped only
at a valid frame's first position (a refused frame would take them as its own, up to that
``last``), so the next frame is not refused; the final frame is an undamaged valid one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from golden.int_model import IntParams, wcc_int
from hw.layer.config import ErrorCode
from hw.layer.protocol import config_beat, padded_positions, param_beats, pixel_beats

from .layer_faults import cut_params, cut_pixels, stretch_params, stretch_pixels

__all__ = ["FAULTS", "KINDS", "SoakFrame", "decode_params", "frame_budget", "soak_frames",
           "summary_line"]

#: Damaged-stream kinds: the stream damaged and the code raised.
FAULTS = {
    "px_early_last": ("x", ErrorCode.PIXEL_FRAMING),     # last on a beat before the end
    "px_cut_no_last": ("x", ErrorCode.PIXEL_FRAMING),    # cut short, the next first ends it
    "px_late_last": ("x", ErrorCode.PIXEL_FRAMING),      # extra beats, last on the final one
    "px_missing_last": ("x", ErrorCode.PIXEL_FRAMING),   # the final beat without last
    "px_long_no_last": ("x", ErrorCode.PIXEL_FRAMING),   # extra beats, no last at all
    "px_stray_before": ("x", ErrorCode.PIXEL_FRAMING),   # beats without first before it
    "prm_cut": ("params", ErrorCode.PARAM_FRAMING),      # last early: the rest taken as zeros
    "prm_long": ("params", ErrorCode.PARAM_FRAMING),     # extra beats: dropped up to last
}
#: Every kind of frame and its weight in a random soak (``refused`` covers codes 1 to 5).
KINDS = {"valid": 45, "refused": 25, **{k: 4 if s == "x" else 6 for k, (s, _) in FAULTS.items()}}
_REFUSED = (ErrorCode.C_IN, ErrorCode.C_OUT, ErrorCode.HEIGHT, ErrorCode.WIDTH, ErrorCode.K)
_FIELDS = {ErrorCode.C_IN: ("c_in", "max_c_in"), ErrorCode.C_OUT: ("c_out", "max_c_out"),
           ErrorCode.HEIGHT: ("height", "max_height"), ErrorCode.WIDTH: ("width", "max_width")}


@dataclass
class SoakFrame:
    """One frame of the soak.

    Attributes
    ----------
    kind : str
        ``"valid"``, ``"refused"`` or a key of :data:`FAULTS`.
    cfg : dict
        The ``cfg`` beat.
    params, pixels : list of dict
        The ``params`` and ``x`` beats (for ``px_stray_before`` the stray beats first).
    expected : numpy.ndarray or None
        The output map (C_out, H, W) the layer owes; ``None``: refused, no output.
    outputs : int
        Output beats owed (``tiles * H * W``, 0 when refused).
    code : int
        The ``ErrorCode`` the frame raises (0: none).
    blame : tuple or None
        Where the code comes from: ``(stream, first, last)``, the handshakes of beats
        ``first..last`` of this frame's ``stream`` (``"cfg"``, ``"x"``, ``"params"``); for a
        refusal ``("cfg", 0, 0)`` up to the next frame's ``cfg`` beat; for ``px_cut_no_last``
        ``("next", 0, 0)``: from the offer of the next frame's first pixel beat to its
        handshake (that beat ends the frame). See :func:`code_window`.
    stall, backpressure : float
        Probability of a gap in each input stream's valid during this frame's beats, and of
        ``o.ready`` low during its output.
    budget : int
        Cycles the frame may take (:func:`frame_budget`).
    """

    kind: str
    cfg: dict
    params: list
    pixels: list
    expected: np.ndarray | None
    outputs: int
    code: int
    blame: tuple | None
    stall: float
    backpressure: float
    budget: int = 0


def soak_frames(layer, count: int, *, seed: int, kinds=None) -> list[SoakFrame]:
    """``count`` random frames for ``layer`` (a :class:`hw.layer.WccLayer`; only its
    parameters are read), drawn from ``seed``.

    ``kinds``: the kind of every frame, instead of random ones (a list of ``count`` keys of
    :data:`KINDS`; the combinations must be recoverable, see the module's docstring).
    """
    rng = random.Random(seed)
    nprng = np.random.default_rng(rng.randrange(2**63))
    names, weights = list(KINDS), list(KINDS.values())
    chosen = list(kinds) if kinds is not None else []
    if kinds is None:
        for j in range(count):
            prev = chosen[-1] if chosen else None
            while True:
                kind = "valid" if j == count - 1 else rng.choices(names, weights)[0]
                if _allowed(prev, kind):
                    break
            chosen.append(kind)
    if len(chosen) != count:
        raise ValueError(f"{len(chosen)} kinds for {count} frames")
    for prev, kind in zip([None, *chosen], chosen, strict=False):
        if not _allowed(prev, kind):
            raise ValueError(f"a {kind} frame after a {prev} frame is not recoverable")
    if chosen and chosen[-1] not in ("valid", "refused", "px_early_last", "px_missing_last",
                                     "px_stray_before", "prm_cut", "prm_long"):
        raise ValueError(f"the soak cannot end on a {chosen[-1]} frame")
    frames = []
    for kind in chosen:
        if kind == "refused":
            f = _refused(layer, rng)
        else:
            f = _valid(layer, rng, nprng)
            if kind != "valid":
                f = _damage(layer, f, kind, rng)
        f.stall = 0.0 if rng.random() < 0.35 else rng.uniform(0.0, 0.5)
        f.backpressure = 0.0 if rng.random() < 0.35 else rng.uniform(0.0, 0.7)
        f.budget = frame_budget(layer, f)
        frames.append(f)
    return frames


def _allowed(prev: str | None, kind: str) -> bool:
    """Whether a ``kind`` frame may follow a ``prev`` frame (module docstring)."""
    if prev == "px_cut_no_last" and kind == "px_stray_before":
        return False
    return not (prev == "px_late_last" and kind == "refused")


def frame_budget(layer, f: SoakFrame) -> int:
    """Cycles ``f`` may take: ten times its beats in and out plus the documented cycles of
    every stage (``WccLayer.stage_cycles``, summed, not overlapped), plus 2000 of latency.

    The input stalls (at most half the cycles) and the backpressure (at most 70 %) slow a
    frame by 3.3 times at most; the factor 10 leaves room for that."""
    cycles = len(f.pixels) + len(f.params) + 1 + f.outputs
    if f.expected is not None:
        c = f.cfg
        n = padded_positions(c["height"], c["width"], layer.levels)
        cycles += sum(layer.stage_cycles(c["c_in"], c["c_out"], n, c["k"]).values())
    return 10 * cycles + 2000


def _shape(layer, rng) -> tuple[int, int, int, int, int]:
    """A random valid ``(c_in, c_out, height, width, k)``: k = 0, N, at most 8, or any."""
    c_in, c_out = rng.randint(1, layer.max_c_in), rng.randint(1, layer.max_c_out)
    h, w = rng.randint(1, layer.max_height), rng.randint(1, layer.max_width)
    n = padded_positions(h, w, layer.levels)
    k = rng.choice([0, n, rng.randint(0, min(n, 8)), rng.randint(0, n), rng.randint(0, n)])
    return c_in, c_out, h, w, min(k, layer.max_k)


def _valid(layer, rng, nprng) -> SoakFrame:
    """A random valid frame, undamaged: a sixth a calibrated layer (``golden.calibrate``,
    the costly part of drawing a frame), the rest random."""
    c_in, c_out, h, w, k = _shape(layer, rng)
    if rng.random() < 1 / 6:
        from .stimulus import layer_frame

        x, p, _ = layer_frame(c_in, c_out, h, w, seed=rng.randrange(2**31),
                              keep=rng.choice([1.0, 0.5, 0.25, 0.125]),
                              relu=rng.random() < 0.3,
                              kind=rng.choice(["smooth", "smooth", "low", "high", "checker"]))
    else:
        x = _int8_map(nprng, rng, (c_in, h, w))
        p = IntParams(weight=_int8_map(nprng, rng, (c_out, c_in), weights=True),
                      bias=_bias(nprng, rng, c_out),
                      m_coef=_multiplier(rng), sh_coef=_shift(rng, 8),
                      m_acc=_multiplier(rng), sh_acc=_shift(rng, 12),
                      m_out=_multiplier(rng), sh_out=_shift(rng, 14),
                      levels=layer.levels, relu=rng.random() < 0.3)
    return _runs(layer, "valid", x, p, k)


def _runs(layer, kind, x, p, k, *, pixels=None, params=None, got_x=None, got_p=None):
    """A frame that runs: its beats (by default those of ``x``, ``p``), the output on what
    the layer gets (``got_x``, ``got_p``, by default ``x``, ``p``)."""
    c_in, h, w = x.shape
    got_x = x if got_x is None else got_x
    got_p = p if got_p is None else got_p
    tiles = -(-p.weight.shape[0] // layer.out_lanes)
    return SoakFrame(
        kind=kind, cfg=config_beat(p, c_in=c_in, height=h, width=w, k=k),
        params=params if params is not None else param_beats(
            p.weight, p.bias, cols=layer.cols, subtiles=layer.subtiles),
        pixels=pixels if pixels is not None else pixel_beats(x, layer.lanes),
        expected=wcc_int(got_x, got_p, k=k), outputs=tiles * h * w, code=0, blame=None,
        stall=0.0, backpressure=0.0)


def _int8_map(nprng, rng, shape, weights: bool = False) -> np.ndarray:
    """Random int8 values of a random kind: uniform, sparse, constant, extremes, checkered."""
    kind = rng.choices(["uniform", "sparse", "const", "extreme", "checker"],
                       [6, 1, 1, 1, 0 if weights else 1])[0]
    if kind == "uniform":
        return nprng.integers(-128, 128, size=shape)
    if kind == "sparse":
        return nprng.integers(-128, 128, size=shape) * (nprng.random(shape) < 0.2)
    if kind == "const":
        return np.full(shape, rng.randint(-128, 127), np.int64)
    if kind == "extreme":
        return nprng.choice(np.array([-128, 127]), size=shape)
    c = np.indices(shape).sum(0) % 2
    return np.where(c, 127, -128).astype(np.int64)


def _bias(nprng, rng, c_out: int) -> np.ndarray:
    """int32 biases: mostly of the size of the inverse Haar's output, some zero, some any."""
    kind = rng.choices(["moderate", "zero", "any"], [6, 2, 2])[0]
    if kind == "zero":
        return np.zeros(c_out, np.int64)
    lim = 2**14 if kind == "moderate" else 2**31
    return nprng.integers(-lim, lim, size=c_out)


def _multiplier(rng) -> int:
    """A Q0.31 multiplier: mostly normalized ([2**30, 2**31)), sometimes anything or an end."""
    r = rng.random()
    if r < 0.75:
        return rng.randint(2**30, 2**31 - 1)
    if r < 0.9:
        return rng.randint(0, 2**31 - 1)
    return rng.choice([0, 1, 2**31 - 1])


def _shift(rng, typical: int) -> int:
    """A right shift: mostly ``0..typical`` (outputs of a useful size), sometimes 0..31."""
    return rng.randint(0, typical) if rng.random() < 0.85 else rng.randint(0, 31)


def _bad(rng, limit: int) -> int:
    """An out-of-range count: 0, ``limit + 1`` or anything above (16-bit fields)."""
    r = rng.random()
    return 0 if r < 0.4 else limit + 1 if r < 0.7 else rng.randint(limit + 1, 2**16 - 1)


def _refused(layer, rng) -> SoakFrame:
    """A configuration the layer refuses, with pixel beats and a parameter packet to drop.

    One field is made invalid, sometimes a second one too; the code is the first invalid
    field's in the order the layer checks them (c_in, c_out, height, width, then k)."""
    c_in, c_out, h, w, k = _shape(layer, rng)
    cfg = {"c_in": c_in, "c_out": c_out, "height": h, "width": w, "k": k,
           "m_coef": _multiplier(rng), "sh_coef": _shift(rng, 8), "m_acc": _multiplier(rng),
           "sh_acc": _shift(rng, 12), "m_out": _multiplier(rng), "sh_out": _shift(rng, 14),
           "relu": int(rng.random() < 0.3)}
    bad = {rng.choice(_REFUSED)}
    if rng.random() < 0.25:
        bad.add(rng.choice(_REFUSED))
    for code in bad:
        if code == ErrorCode.K:
            n = padded_positions(cfg["height"], cfg["width"], layer.levels)
            cfg["k"] = n + 1 if rng.random() < 0.5 else rng.randint(n + 1, 2**25 - 1)
        else:
            field, limit = _FIELDS[code]
            cfg[field] = _bad(rng, getattr(layer, limit))
    code = min(bad)
    # Pixel beats to drop: `first` on the first (the previous frame may be cut short without
    # its `last`: this beat ends it), anywhere else at random; `last` on the final one only.
    npx, nprm = rng.randint(1, 24), rng.randint(1, 12)
    pixels = [{"data": [rng.randint(-128, 127) for _ in range(layer.lanes)],
               "first": int(j == 0 or rng.random() < 0.1), "last": int(j == npx - 1)}
              for j in range(npx)]
    params = [{"data": rng.getrandbits(64), "last": int(j == nprm - 1)} for j in range(nprm)]
    return SoakFrame(kind="refused", cfg=cfg, params=params, pixels=pixels, expected=None,
                     outputs=0, code=int(code), blame=("cfg", 0, 0), stall=0.0,
                     backpressure=0.0)


def _damage(layer, f: SoakFrame, kind: str, rng) -> SoakFrame:
    """``f`` (a valid frame) with its stream damaged as ``kind`` says; the expected output is
    recomputed on what the layer gets."""
    c = f.cfg
    x = _pixels_map(f.pixels, c["c_in"], c["height"], c["width"])
    p = _params_of(layer, f)
    n = len(f.pixels if kind.startswith("px") else f.params)
    if n < 2 and kind in ("px_early_last", "px_cut_no_last"):
        kind = "px_missing_last"  # a one-beat frame cannot be cut short
    d = {"pixels": f.pixels, "params": f.params}
    got_x, got_p = x, p
    if kind in ("px_early_last", "px_cut_no_last"):
        keep = rng.randint(1, n - 1)
        d = cut_pixels(d, keep, last=kind == "px_early_last")
        got_x = _pixels_map(d["pixels"], c["c_in"], c["height"], c["width"])
        blame = ("x", keep - 1, keep - 1) if kind == "px_early_last" else ("next", 0, 0)
    elif kind in ("px_late_last", "px_long_no_last"):
        extra = rng.randint(1, 8)
        d = stretch_pixels(d, extra, last=kind == "px_late_last")
        blame = ("x", n - 1, n - 1 + extra)
    elif kind == "px_missing_last":
        d = stretch_pixels(d, 0, last=False)
        blame = ("x", n - 1, n - 1)
    elif kind == "px_stray_before":
        strays = rng.randint(1, 4)
        d = {**d, "pixels": [{"data": [rng.randint(-128, 127) for _ in range(layer.lanes)],
                              "first": 0, "last": 0} for _ in range(strays)] + f.pixels}
        blame = ("x", 0, strays - 1)
    elif kind == "prm_cut":
        keep = rng.randint(1, n - 1)
        d = cut_params(d, keep)
        zeroed = [b if j < keep else {"data": 0, "last": 0} for j, b in enumerate(f.params)]
        w, b = decode_params(zeroed, c_out=c["c_out"], c_in=c["c_in"], cols=layer.cols,
                             subtiles=layer.subtiles)
        got_p = _with(p, weight=w, bias=b)
        blame = ("params", keep - 1, keep - 1)
    elif kind == "prm_long":
        d = stretch_params(d, rng.randint(1, 6))
        blame = ("params", n - 1, n - 1)
    else:
        raise ValueError(f"unknown fault {kind!r}")
    out = _runs(layer, kind, x, p, c["k"], pixels=d["pixels"], params=d["params"],
                got_x=got_x, got_p=got_p)
    out.code, out.blame = int(FAULTS[kind][1]), blame
    return out


def _with(p: IntParams, **changes) -> IntParams:
    fields = {k: getattr(p, k) for k in ("weight", "bias", "m_coef", "sh_coef", "m_acc",
                                         "sh_acc", "m_out", "sh_out", "levels", "z_bits",
                                         "relu", "mant_bits")}
    return IntParams(**(fields | changes))


def _params_of(layer, f: SoakFrame) -> IntParams:
    """The ``IntParams`` of a frame that runs, from its beats."""
    c = f.cfg
    w, b = decode_params(f.params, c_out=c["c_out"], c_in=c["c_in"], cols=layer.cols,
                         subtiles=layer.subtiles)
    return IntParams(weight=w, bias=b, m_coef=c["m_coef"], sh_coef=c["sh_coef"],
                     m_acc=c["m_acc"], sh_acc=c["sh_acc"], m_out=c["m_out"],
                     sh_out=c["sh_out"], levels=layer.levels, relu=bool(c["relu"]))


def _pixels_map(beats, c_in: int, h: int, w: int) -> np.ndarray:
    """The (C_in, H, W) map the layer gets from the frame's ``x`` beats (in order, planes of
    ``lanes`` channels, raster order; positions past the beats are zero)."""
    lanes = len(beats[0]["data"])
    groups = -(-c_in // lanes)
    xp = np.zeros((groups * lanes, h, w), np.int64)
    for j, b in enumerate(beats[:groups * h * w]):
        g, rest = divmod(j, h * w)
        xp[g * lanes:(g + 1) * lanes, rest // w, rest % w] = b["data"]
    return xp[:c_in]


def decode_params(beats, *, c_out: int, c_in: int, cols: int, subtiles: int):
    """``(weight (C_out, C_in), bias (C_out,))`` from ``params`` beats, the inverse of
    ``hw.layer.protocol.param_beats``; beats missing at the end count as zeros.

    Parameters
    ----------
    beats : list of dict
        ``data`` (the payload's bits) per beat.
    c_out, c_in, cols, subtiles : int
        The frame's channels and the array's columns and sub-tiles.
    """
    def signed(v: int, bits: int) -> int:
        return v - (1 << bits) if v >> (bits - 1) else v

    words = [int(b["data"]) for b in beats]
    nb = -(-c_out // 2)
    tile = subtiles * cols
    need = nb + -(-c_out // tile) * subtiles * c_in
    words += [0] * (need - len(words))
    bias = np.zeros(2 * nb, np.int64)
    for j in range(nb):
        bias[2 * j] = signed(words[j] & 0xFFFFFFFF, 32)
        bias[2 * j + 1] = signed((words[j] >> 32) & 0xFFFFFFFF, 32)
    weight = np.zeros((-(-c_out // tile) * tile, c_in), np.int64)
    for t in range(-(-c_out // tile) * subtiles):
        for i in range(c_in):
            word = words[nb + t * c_in + i]
            for q in range(cols):
                weight[t * cols + q, i] = signed((word >> (8 * q)) & 0xFF, 8)
    return weight[:c_out], bias[:c_out]


def summary_line(s: dict, *, wall: str) -> str:
    """The soak's one-line summary of the results ``s`` (``wall``: the time, as text)."""
    return (f"soak: seed {s['seed']} frames {s['frames']} valid {s['valid']} refused "
            f"{s['refused']} mismatches {s['mismatches']} cycles {s['cycles']} wall {wall}; "
            f"damaged {s['damaged']}, error-code problems {s['code_problems']}, "
            f"{s['cycles'] / max(s['sim_s'], 0.1):.0f} cycles/s")
