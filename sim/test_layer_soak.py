"""The WCC layer's soak on Verilator: thousands of random frames back to back (``make regress``).

One small build (4 lanes, a 2 x 2 array, 2 sub-tiles, up to 8 channels in and out, frames up
to 16 x 16), then ``WCC_SOAK_FRAMES`` (default 2000) frames from ``verif.layer_soak``: valid
configurations, refused ones (every refusal code), damaged streams (every recoverable framing
fault), random input gaps and output backpressure; see ``sim/tb_layer_soak.py`` for the checks
and ``docs/reliability.md`` for what the soak covers. The seed is ``WCC_SOAK_SEED`` or, if
unset, a random one; it is printed first, and a failure names it: rerun with
``WCC_SOAK_SEED=<seed>`` to repeat the same run. The summary line
(``soak: seed S frames F valid V refused R mismatches 0 cycles C wall W s``) is printed, shown
in pytest's terminal summary, and written to ``build/sim/layer_soak/summary.txt``.
"""

from __future__ import annotations

import json
import os
import random
import time

import pytest

from hw.layer import WccLayer
from verif.layer_soak import summary_line
from verif.runner import BUILD, run_cocotb, waves_enabled

SOAK = dict(lanes=4, rows=2, cols=2, subtiles=2, max_c_in=8, max_c_out=8, max_width=16,
            max_height=16)
DEFAULT_FRAMES = 2000


def soak_seed() -> int:
    """``WCC_SOAK_SEED``, else a fresh random seed."""
    value = os.environ.get("WCC_SOAK_SEED", "").strip()
    return int(value) if value else random.SystemRandom().randrange(2**32)


@pytest.mark.slow
def test_layer_soak(request):
    """Two thousand random frames (by default) (valid, refused, damaged) through one Verilator
    build: every output bit-exact, every error code where it belongs, no hang."""
    seed = soak_seed()
    count = int(os.environ.get("WCC_SOAK_FRAMES", "").strip() or DEFAULT_FRAMES)
    print(f"soak: seed {seed} ({count} frames; WCC_SOAK_SEED={seed} repeats this run)")
    # pytest's terminal summary shows this line (conftest.py): the seed of a failed run.
    props = request.node.user_properties
    props.append(("summary", f"soak: seed {seed} FAILED (WCC_SOAK_SEED={seed} repeats it)"))
    t0 = time.perf_counter()
    build = BUILD / "layer_soak"
    build.mkdir(parents=True, exist_ok=True)
    results = build / "results.json"
    results.unlink(missing_ok=True)
    cfg = {"layer": SOAK, "seed": seed, "frames": count, "results": str(results)}
    try:
        run_cocotb(WccLayer(**SOAK), name="layer_soak", test_module="tb_layer_soak",
                   config=cfg, simulator="verilator", public=(),
                   waves=waves_enabled(default=False))
    finally:
        print(f"soak: seed {seed} (WCC_SOAK_SEED={seed} repeats this run)")
    res = json.loads(results.read_text())
    line = summary_line(res, wall=f"{time.perf_counter() - t0:.0f} s (with the build; "
                        f"frames drawn {res['gen_s']:.0f} s, simulation {res['sim_s']:.0f} s)")
    print(line)
    (build / "summary.txt").write_text(line + "\n")
    props[-1] = ("summary", line)
