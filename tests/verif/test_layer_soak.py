"""Tests of verif/layer_soak.py: the soak's frames."""

from __future__ import annotations

import numpy as np
import pytest

from hw.layer import ErrorCode, WccLayer
from hw.layer.protocol import padded_positions, param_beats
from verif.layer_soak import FAULTS, decode_params, soak_frames

SOAK = dict(lanes=4, rows=2, cols=2, subtiles=2, max_c_in=8, max_c_out=8, max_width=16,
            max_height=16)


@pytest.mark.parametrize("c_out, c_in, cols, subtiles", [(1, 1, 2, 2), (5, 3, 2, 2),
                                                          (8, 8, 2, 2), (7, 4, 3, 1)])
def test_decode_params_inverts_param_beats(c_out, c_in, cols, subtiles):
    """decode_params(param_beats(w, b)) == (w, b), extremes included."""
    rng = np.random.default_rng(c_out * 10 + c_in)
    w = rng.integers(-128, 128, size=(c_out, c_in))
    w[0, 0], b = -128, rng.integers(-2**31, 2**31, size=c_out)
    b[0] = -2**31
    got_w, got_b = decode_params(param_beats(w, b, cols=cols, subtiles=subtiles), c_out=c_out,
                                 c_in=c_in, cols=cols, subtiles=subtiles)
    assert (got_w == w).all() and (got_b == b).all()


def test_random_soak_frames():
    """A random soak: reproducible from its seed, every kind present, recoverable
    combinations only, every refusal's code that of its first invalid field, every frame's
    blamed beats inside its streams."""
    seed = 5
    print(f"seed={seed}")
    layer = WccLayer(**SOAK)
    frames = soak_frames(layer, 150, seed=seed)
    again = soak_frames(layer, 150, seed=seed)
    assert [f.cfg for f in frames] == [f.cfg for f in again]
    kinds = [f.kind for f in frames]
    assert set(kinds) == {"valid", "refused", *FAULTS}
    assert kinds[-1] == "valid"
    for prev, f in zip(frames, frames[1:], strict=False):
        assert not (prev.kind == "px_late_last" and f.kind == "refused")
        assert not (prev.kind == "px_cut_no_last" and f.kind == "px_stray_before")
        assert f.pixels[0]["first"] or f.kind == "px_stray_before"
    limits = {"c_in": layer.max_c_in, "c_out": layer.max_c_out, "height": layer.max_height,
              "width": layer.max_width}
    for f in frames:
        c = f.cfg
        bad = [code for code, field in enumerate(limits, 1)
               if not 1 <= c[field] <= limits[field]]
        if not bad and c["k"] > padded_positions(c["height"], c["width"]):
            bad = [ErrorCode.K]
        if f.kind == "refused":
            assert (f.code, f.outputs, f.expected) == (bad[0], 0, None)
            assert f.pixels[-1]["last"] and not any(b["last"] for b in f.pixels[:-1])
            continue
        assert not bad and f.expected.shape == (c["c_out"], c["height"], c["width"])
        assert f.code == (FAULTS[f.kind][1] if f.kind in FAULTS else 0)
        if f.blame and f.blame[0] in ("x", "params"):
            assert 0 <= f.blame[1] <= f.blame[2] < len(getattr(f, {"x": "pixels"}.get(
                f.blame[0], "params")))


def test_unrecoverable_schedules_refused():
    """A schedule the layer cannot recover from is refused by the generator."""
    layer = WccLayer(**SOAK)
    for kinds in (["px_late_last", "refused", "valid"], ["px_cut_no_last"],
                  ["px_cut_no_last", "px_stray_before", "valid"]):
        with pytest.raises(ValueError):
            soak_frames(layer, len(kinds), seed=0, kinds=kinds)
