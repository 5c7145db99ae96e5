"""Frames for the WCC layer's testbenches, saved by pytest and loaded by the cocotb side.

A frame is ``(x, params, k)`` (see ``verif.layer_harness``) or a refused one
``(raw_cfg, None, None)`` whose ``raw_cfg`` dict carries ``pixel_beats`` and ``param_beats``
to be dropped. ``save_frames`` computes the golden output of each frame that runs
(``golden.wcc_int``) and writes everything to one ``.npz``; ``load_frames`` returns, per
frame, the beats of the three input streams and the expected output map.
"""

from __future__ import annotations

import json

import numpy as np

from golden.int_model import IntParams, wcc_int
from hw.layer.protocol import config_beat, padded_positions, param_beats, pixel_beats

__all__ = ["STAGE_STREAMS", "load_frames", "save_frames", "stage_signals", "tb_layer_config"]

#: The streams ``sim/tb_layer.py`` watches to time each stage: (instance below the
#: toplevel, or None for the toplevel's own port; stream name).
STAGE_STREAMS = {"pixels in": (None, "x"), "forward Haar out": ("forward", "o"),
                 "top-k in": ("topk", "i"), "top-k columns out": ("topk", "cols"),
                 "array x": ("array", "x"), "array y": ("array", "y"),
                 "inverse Haar in": ("inverse", "i"), "pixels out": (None, "o")}


def tb_layer_config(dut, build, *, seed: int, stall: float = 0.0, backpressure: float = 0.0,
                    **options) -> dict:
    """The configuration of ``sim/tb_layer.py`` for ``dut`` (a WccLayer) whose frames are in
    ``build/frames.npz`` (:func:`save_frames`), its results going to ``build/results.json``;
    ``options`` are the testbench's other keys (``stages``, ``outputs``, ``strict``,
    ``trace``, ``error``, ``error_code``)."""
    return dict(frames=str(build / "frames.npz"), lanes=dut.lanes, rows=dut.rows,
                cols=dut.cols, subtiles=dut.subtiles, out_lanes=dut.out_lanes,
                max_width=dut.max_width, max_height=dut.max_height, max_tiles=dut.max_tiles,
                seed=seed, stall=stall, backpressure=backpressure,
                results=str(build / "results.json"), **options)


def stage_signals() -> list[tuple[str, str]]:
    """The internal signals of :data:`STAGE_STREAMS`, for ``run_cocotb(public=...)``."""
    return [(inst, f"{port}__{part}") for inst, port in STAGE_STREAMS.values()
            if inst is not None for part in ("valid", "ready", "payload")]

_SCALARS = ("m_coef", "sh_coef", "m_acc", "sh_acc", "m_out", "sh_out", "levels", "z_bits",
            "relu", "mant_bits")


def save_frames(path, frames) -> list:
    """Write ``frames`` to ``path`` (``.npz``); returns the golden outputs of those that run."""
    arrays, meta, outs = {}, [], []
    for i, (x, p, k) in enumerate(frames):
        if p is None:
            raw = dict(x)
            meta.append({"refused": True, "cfg": {a: b for a, b in raw.items()
                                                  if a not in ("pixel_beats", "param_beats")},
                         "pixels": raw["pixel_beats"], "params": raw["param_beats"]})
            continue
        out = wcc_int(x, p, k=k)
        outs.append(out)
        arrays |= {f"x{i}": x, f"w{i}": p.weight, f"b{i}": p.bias, f"out{i}": out}
        meta.append({"refused": False, "k": int(k),
                     **{s: int(getattr(p, s)) for s in _SCALARS}})
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    return outs


def load_frames(path, *, lanes: int, cols: int, subtiles: int) -> list[dict]:
    """Per frame: ``cfg`` (a one-beat list), ``params``, ``pixels`` beats, ``expected``
    (the output map, or ``None`` for a refused frame), and for a frame that runs its
    ``c_in``, ``k`` and ``n`` (padded positions)."""
    data = np.load(path)
    meta = json.loads(str(data["meta"]))
    frames = []
    for i, f in enumerate(meta):
        if f["refused"]:
            frames.append({"cfg": [f["cfg"]], "params": f["params"], "pixels": f["pixels"],
                           "expected": None})
            continue
        x = data[f"x{i}"]
        p = IntParams(weight=data[f"w{i}"], bias=data[f"b{i}"],
                      **{s: (bool(f[s]) if s == "relu" else f[s]) for s in _SCALARS})
        frames.append({
            "cfg": [config_beat(p, c_in=x.shape[0], height=x.shape[1], width=x.shape[2],
                                k=f["k"])],
            "params": param_beats(p.weight, p.bias, cols=cols, subtiles=subtiles),
            "pixels": pixel_beats(x, lanes), "expected": data[f"out{i}"],
            "c_in": x.shape[0], "k": f["k"],
            "n": padded_positions(x.shape[1], x.shape[2], p.levels)})
    return frames
