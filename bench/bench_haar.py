"""Benchmark of the Haar units: simulated throughput and latency, memory per configuration.

Writes ``build/bench/haar.json`` and ``build/bench/haar.md``. Usage::

    python bench/bench_haar.py [--lanes 1 4 8] [--parts 1 2 4 8] [--fifo-memory lut ecp5]

Memory (line buffers, output FIFO, block store) of the forward unit at each lane count and
output-FIFO storage (``fifo_memory``: LUT RAM, keys ``lanesN``; DP16KD block RAM, keys
``lanesN_bram``) and of the inverse unit; ``--parts`` adds lane-sliced builds
(``hw.haar.lane_split``, key suffix ``_xP``). Area and Fmax are not measured here: they are
the synthesis records of ``make synth`` (``synth/records/``, the README's Haar table).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from hw.haar import HaarForward, HaarInverse
from hw.haar.lane_split import split_forward, split_inverse
from verif.haar_harness import full_rate_cycles

ROOT = Path(__file__).resolve().parent.parent

OUT = ROOT / "build" / "bench"
WIDTH, HEIGHT, LANES = 128, 128, (1, 4, 8)


def measure(dut, beats, n_out):
    """Feed ``beats`` at full rate, output always ready: cycle of every accepted input and
    output beat."""
    t_in, t_out = full_rate_cycles(dut, beats, n_out, width=WIDTH, height=SIM_ROWS)
    return np.array(t_in), np.array(t_out)


SIM_ROWS = 32  # four block rows of the 3-level transform at the full width


def sim_forward():
    dut = HaarForward(lanes=1, max_width=WIDTH, max_height=HEIGHT, levels=3)
    n = WIDTH * SIM_ROWS
    rng = np.random.default_rng(0)
    beats = [{"data": [int(v)], "first": int(k == 0), "last": int(k == n - 1)}
             for k, v in enumerate(rng.integers(-128, 128, n))]
    t_in, t_out = measure(dut, beats, n)
    after_fill = t_in[WIDTH:]  # the first line only fills the buffers
    return {
        "pixels_per_cycle": round((len(after_fill) - 1) / (after_fill[-1] - after_fill[0]), 4),
        "coefficients_per_cycle": round((n - 1) / (t_out[-1] - t_out[0]), 4),
        "latency_cycles": int(t_out[0] - t_in[0]),
        "drain_cycles": int(t_out[-1] - t_in[-1]),
        "frame_cycles": int(t_out[-1] - t_in[0] + 1),
        "frame": [SIM_ROWS, WIDTH],
    }


def sim_inverse():
    dut = HaarInverse(lanes=1, max_width=WIDTH, max_height=HEIGHT, levels=3, in_bits=16)
    n = WIDTH * SIM_ROWS
    rng = np.random.default_rng(1)
    beats = [{"data": [int(v)], "first": int(k == 0), "last": int(k == n - 1)}
             for k, v in enumerate(rng.integers(-(2**15), 2**15, n))]
    t_in, t_out = measure(dut, beats, n)
    return {
        "coefficients_per_cycle": round((n - 1) / (t_in[-1] - t_in[0]), 4),
        "pixels_per_cycle": round((n - 1) / (t_out[-1] - t_out[0]), 4),
        "latency_cycles": int(t_out[0] - t_in[0]),
        "drain_cycles": int(t_out[-1] - t_in[-1]),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lanes", type=int, nargs="+", default=list(LANES))
    ap.add_argument("--parts", type=int, nargs="+", default=[1],
                    help="lane slices (copies) per configuration; 1 = unsliced")
    ap.add_argument("--fifo-memory", nargs="+", default=["lut", "ecp5"],
                    choices=["lut", "ecp5"])
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    inv = HaarInverse(lanes=1, max_width=WIDTH, max_height=HEIGHT, in_bits=16)
    res = {"unit": "haar", "width": WIDTH, "height": HEIGHT, "levels": 3, **sim_forward(),
           "line_buffer_bits": HaarForward(lanes=1, max_width=WIDTH).line_buffer_bits,
           "forward": {}, "inverse": {},
           "inverse_sim": sim_inverse() | {"line_buffer_bits": inv.buffer_bits}}
    for lanes in args.lanes:
        for parts in [p for p in args.parts if 1 <= p <= lanes and lanes % p == 0]:
            memory(args, res, lanes, parts)
    (OUT / "haar.json").write_text(json.dumps(res, indent=2) + "\n")
    (OUT / "haar.md").write_text(markdown(res))
    print(json.dumps(res, indent=2))


def memory(args, res, lanes, parts):
    """Memory of the forward (each FIFO storage) and inverse units at ``lanes`` lanes, as
    ``parts`` lane slices, under their keys."""
    px = "" if parts == 1 else f"_x{parts}"

    def total(unit, attr):
        return getattr(unit, attr) if parts == 1 else unit.total(attr)

    for mem in args.fifo_memory:
        kw = dict(max_width=WIDTH, max_height=HEIGHT, fifo_memory=mem)
        f = (HaarForward(lanes=lanes, **kw) if parts == 1
             else split_forward(lanes, parts, **kw))
        res["forward"][f"lanes{lanes}{'' if mem == 'lut' else '_bram'}{px}"] = {
            "line_buffer_bits": total(f, "line_buffer_bits"),
            "fifo_bits": total(f, "fifo_bits"),
            "fifo_depth": f.fifo_depth if parts == 1 else f.unit.fifo_depth,
            "fifo_memory": mem, "parts": parts}
    kw = dict(max_width=WIDTH, max_height=HEIGHT, in_bits=16)
    i = HaarInverse(lanes=lanes, **kw) if parts == 1 else split_inverse(lanes, parts, **kw)
    res["inverse"][f"lanes{lanes}{px}"] = {
        "buffer_bits": total(i, "buffer_bits"), "line_buffer_bits": total(i, "buffer_bits"),
        "parts": parts}


def markdown(res):
    lines = [
        "# Haar units (levels 3, width 128)", "",
        f"Forward, simulated ({res['frame'][0]} x {res['frame'][1]} frame, no stalls): "
        f"{res['pixels_per_cycle']} pixels/cycle after fill, first coefficient "
        f"{res['latency_cycles']} cycles after the first pixel, last "
        f"{res['drain_cycles']} cycles after the last pixel.", "",
    ]
    if "inverse_sim" in res:
        s = res["inverse_sim"]
        lines += [f"Inverse, simulated: {s['coefficients_per_cycle']} coefficients/cycle in, "
                  f"{s['pixels_per_cycle']} pixels/cycle out, latency {s['latency_cycles']} "
                  f"cycles, block store {s['line_buffer_bits']} bits (lanes 1).", ""]
    lines += ["Keys: `lanesN` LUT-RAM FIFO, `_bram` DP16KD FIFO (forward); `_xP`: built as `P` "
              "lane slices of `N / P` lanes (`hw.haar.LaneSplit`). Area and Fmax: "
              "`synth/report.md` (`make synth`).", ""]
    cols = ("line_buffer_bits", "fifo_bits", "buffer_bits", "fifo_depth")
    lines += ["| unit | lanes | " + " | ".join(cols) + " |",
              "|---|---|" + "---|" * len(cols)]
    for unit in ("forward", "inverse"):
        for key, cfg in res[unit].items():
            vals = [str(cfg.get(c, "")) for c in cols]
            lines.append(f"| {unit} | {key[5:]} | " + " | ".join(vals) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
