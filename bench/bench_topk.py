"""Top-k selector benchmark: simulated latency and memory.

Writes ``build/bench/topk.json`` and ``build/bench/topk.md``. Cycles are simulated (Amaranth
simulator, random 14-bit Haar coefficients and their int8 quantization, k = N/4, no stalls or
backpressure, group-major frames) and checked against the documented formula
``N * groups + latency_const``: one group of 16 lanes at N = 1024, 4096, 16384, and 3 groups
of 16 (C = 48, ``max_groups=3``) at N = 1024. Area and Fmax (the ``primitive="ecp5"`` builds,
N = 4096, 16 and 32 channels) are the synthesis records of ``make synth``
(``synth/records/``), which the README's top-k area table shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hw.topk import TopK
from verif.stimulus import quantize
from verif.topk_harness import check_frames, run_frames

ROOT = Path(__file__).resolve().parent.parent

LANES = 16


def simulate(n: int, groups: int = 1, seed: int = 1) -> dict:
    """One frame of ``groups`` groups of LANES channels on a ``max_groups=groups`` build."""
    dut = TopK(lanes=LANES, max_groups=groups, max_n=n)
    rng = np.random.default_rng(seed)
    c = LANES * groups
    w = rng.integers(-8192, 8192, size=(c, n)) >> rng.integers(0, 12, size=(1, n))
    frames = [(quantize(w), w, n // 4)]
    res = run_frames(dut, frames, seed=seed, shuffle=False)
    check_frames(dut, frames, res)
    cyc, want = res[0]["cycles"], dut.cycles_after_last_input(n, groups)
    assert cyc == want, (cyc, want)
    return {"n": n, "k": n // 4, "lanes": LANES, "groups": groups, "channels": c,
            "cycles_after_last_input": cyc, "bound_2n_over_p": 2 * n * groups,
            "latency_const": dut.latency_const, "scan_cycles": dut.scan_cycles,
            "score_latency": dut.score_latency, "memory_bits": dut.memory_bits}


def main() -> None:
    out = ROOT / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    sims = [simulate(n) for n in (1024, 4096, 16384)] + [simulate(1024, groups=3)]
    result = {"module": "topk", "scores_per_cycle": 1, "positions_per_cycle_emission": 1,
              "coef_bits": 14,
              "simulated": sims}
    (out / "topk.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# Top-k selector (hw/topk/selector.py)", "",
             "| N | k | channels (lanes x groups) | cycles after last input | 2N * groups bound "
             "| memory bits |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {s['n']} | {s['k']} | {s['channels']} ({s['lanes']} x {s['groups']}) | "
              f"{s['cycles_after_last_input']} | {s['bound_2n_over_p']} | "
              f"{s['memory_bits']['total']} |" for s in sims]
    lines += ["", "Area and Fmax: `synth/report.md` (`make synth`)."]
    (out / "topk.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
