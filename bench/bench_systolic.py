"""Benchmark of the systolic array: utilization and cycles by keep.

Writes ``build/bench/systolic.json`` and ``build/bench/systolic.md``.

Cycle counts of the 8 x 8, 64 x 64 x 1024 layer come from the cycle-exact model
``hw.systolic.model.cycle_model`` (ideal streams), which ``tests/hw/systolic/test_array.py`` checks
cycle for cycle against the Amaranth simulation; this script re-checks it on one smaller layer
(``model_check``). Resources and Fmax are the synthesis records of ``make synth``
(``synth/records/``), which the README's systolic area table shows.

    .venv/bin/python bench/bench_systolic.py
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from hw.systolic import SystolicArray
from hw.systolic.model import cycle_bound, cycle_model, useful_macs

ROOT = Path(__file__).resolve().parent.parent

OUT = ROOT / "build" / "bench"
R = C = 8
C_IN = C_OUT = 64
K = 1024
N = 4096


def simulated_cycles(rows, cols, c_in, c_out, k, seed=0):
    """Cycles of one layer in the Amaranth simulator (ideal streams), random operands."""
    import importlib.util

    import numpy as np

    # The tests' driver, loaded by path: tests/ is not a package (pytest imports its files with
    # --import-mode=importlib).
    path = ROOT / "tests" / "hw" / "systolic" / "test_array.py"
    spec = importlib.util.spec_from_file_location("systolic_test_array", path)
    tests = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tests)
    check_layers, rand_layer = tests.check_layers, tests.rand_layer

    rng = np.random.default_rng(seed)
    dut = SystolicArray(rows, cols, max_c_in=c_in, max_c_out=c_out, max_k=k)
    random.seed(seed)
    (_, cycles, _), = check_layers(dut, [rand_layer(rng, c_in, c_out, k)])
    return cycles


def performance() -> dict:
    t_beats = -(-C_IN // R)
    n_tiles = -(-C_OUT // C)
    cycles = cycle_model(R, C, C_IN, C_OUT, K)
    macs = useful_macs(C_IN, C_OUT, K)
    # Steady state: the tiles after the first, where x beats enter back to back.
    steady = (macs - macs // n_tiles) / (R * C * (n_tiles - 1) * K * t_beats)
    check = dict(rows=4, cols=4, c_in=12, c_out=10, k=48)
    sim = simulated_cycles(**check)
    model = cycle_model(check["rows"], check["cols"], check["c_in"], check["c_out"], check["k"])
    if sim != model:
        raise RuntimeError(f"cycle model disagrees with simulation: {model} != {sim}")
    return {
        "array": f"{R}x{C}", "layer": dict(c_in=C_IN, c_out=C_OUT, k=K),
        "cycles": cycles, "cycle_bound": cycle_bound(R, C, C_IN, C_OUT, K), "useful_macs": macs,
        "steady_state_utilization": round(steady, 5),
        "layer_utilization": round(macs / (R * C * cycles), 5),
        "cycles_by_keep": {f"k={k}": cycle_model(R, C, C_IN, C_OUT, k)
                           for k in (N, N // 2, N // 4, N // 8)},
        "cycle_source": "hw.systolic.model.cycle_model (cycle-exact, validated against the "
                        "Amaranth simulation)",
        "model_check": dict(check, simulated=sim, model=model),
    }


def markdown(res: dict) -> str:
    lines = ["# Systolic array benchmark", "",
             f"Layer {C_OUT} x {C_IN} x k on an {R} x {C} array ({res['cycle_source']}).", "",
             "| figure | value |", "|---|---|"]
    for key in ("cycles", "cycle_bound", "steady_state_utilization", "layer_utilization"):
        lines.append(f"| {key} | {res[key]} |")
    for k, v in res["cycles_by_keep"].items():
        lines.append(f"| cycles, N = {N}, {k} | {v} |")
    lines += ["", "Area and Fmax: `synth/report.md` (`make synth`)."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args(argv)
    res = performance()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "systolic.json").write_text(json.dumps(res, indent=2) + "\n")
    (OUT / "systolic.md").write_text(markdown(res))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
