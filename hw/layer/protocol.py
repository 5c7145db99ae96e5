"""The WCC layer's stream formats from the host's side: pack a frame, unpack the output.

Pure Python (NumPy), no hardware: what a driver, a testbench or ``wcc simulate`` sends to
:class:`hw.layer.WccLayer` and how it reads the result back. ``docs/layer.md`` describes the
same formats in prose.
"""

from __future__ import annotations

import numpy as np

from golden.haar import pad_to

__all__ = ["config_beat", "output_map", "param_beats", "pixel_beats"]


def config_beat(params, *, c_in: int, height: int, width: int, k: int) -> dict:
    """The ``cfg`` beat of a frame of ``golden.int_model.IntParams`` ``params``."""
    return {"c_in": c_in, "c_out": int(params.weight.shape[0]), "height": height,
            "width": width, "k": int(k), "m_coef": params.m_coef, "sh_coef": params.sh_coef,
            "m_acc": params.m_acc, "sh_acc": params.sh_acc, "m_out": params.m_out,
            "sh_out": params.sh_out, "relu": int(params.relu)}


def pixel_beats(x: np.ndarray, lanes: int) -> list[dict]:
    """The ``x`` beats of an int8 map (C_in, H, W): ``ceil(C_in / lanes)`` planes of
    ``lanes`` channels (lanes past C_in are 0), each in raster order; ``first`` on the
    frame's first beat, ``last`` on its final one."""
    c, h, w = x.shape
    groups = -(-c // lanes)
    xp = np.zeros((groups * lanes, h, w), np.int64)
    xp[:c] = x
    beats = [{"data": [int(v) for v in xp[g * lanes:(g + 1) * lanes, r, q]], "first": 0,
              "last": 0} for g in range(groups) for r in range(h) for q in range(w)]
    beats[0]["first"] = beats[-1]["last"] = 1
    return beats


def param_beats(weight: np.ndarray, bias: np.ndarray, *, cols: int, subtiles: int) -> list[dict]:
    """The ``params`` beats of a frame: ``ceil(C_out / 2)`` bias beats (two int32 a beat,
    channel order, the odd one out padded with 0), then the weights in the array's order:
    for each tile of ``subtiles * cols`` output channels, for each sub-tile, ``C_in`` beats
    of ``cols`` int8 weights (output channels past C_out are 0). ``last`` on the final beat.
    Each beat's ``data`` is an integer (the payload's bits)."""
    c_out, c_in = weight.shape
    tile = subtiles * cols
    tiles = -(-c_out // tile)
    b = [int(v) for v in bias] + [0] * (c_out % 2)
    beats = [((b[2 * j] & 0xFFFFFFFF) | (b[2 * j + 1] & 0xFFFFFFFF) << 32)
             for j in range(len(b) // 2)]
    wp = np.zeros((tiles * tile, c_in), np.int64)
    wp[:c_out] = weight
    for t in range(tiles * subtiles):
        for i in range(c_in):
            word = 0
            for c in range(cols):
                word |= (int(wp[t * cols + c, i]) & 0xFF) << (8 * c)
            beats.append(word)
    return [{"data": d, "last": int(j == len(beats) - 1)} for j, d in enumerate(beats)]


def output_map(beats, *, c_out: int, height: int, width: int, lanes: int) -> np.ndarray:
    """The int8 map (C_out, H, W) from the ``o`` beats of one frame (``data``, ``row``,
    ``col``, ``group`` per beat, as dicts or views); every pixel must come exactly once."""
    groups = -(-c_out // lanes)
    out = np.zeros((groups * lanes, height, width), np.int64)
    seen = np.zeros((groups, height, width), bool)
    for b in beats:
        g, r, c = int(b["group"]), int(b["row"]), int(b["col"])
        if seen[g, r, c]:
            raise ValueError(f"pixel ({g}, {r}, {c}) came twice")
        seen[g, r, c] = True
        out[g * lanes:(g + 1) * lanes, r, c] = [int(v) for v in b["data"]]
    if not seen.all():
        raise ValueError(f"{int((~seen).sum())} pixels missing")
    return out[:c_out]


def padded_positions(height: int, width: int, levels: int = 3) -> int:
    """N, the positions of the padded frame."""
    return int(np.prod(pad_to(np.zeros((1, height, width)), levels).shape[1:]))
