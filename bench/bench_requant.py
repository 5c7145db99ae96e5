"""Requantizer benchmark: latency and throughput in simulation, FPGA resources and Fmax.

Writes ``build/bench/requant.json`` and ``build/bench/requant.md``. Latency and throughput
are measured in the Amaranth simulator (one lane, a burst of beats with the output always
ready: cycles from the first input handshake to the first output, and beats per cycle in
the steady state) and checked against ``Requantizer.latency``. Resources and Fmax come from
``synth.flow.synthesize`` (Yosys + nextpnr, seeds 1-3 by default) on the builds the README
shows: 1 lane int8 and 8 lanes int16 (what follows an 8 x 8 array) with the ECP5 primitives
on the ECP5-85F, and the portable 1-lane build on the iCE40-UP5K.

    .venv/bin/python bench/bench_requant.py [--no-synth] [--seeds 1 2 3] [--timeout S]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from hw.requant import Requantizer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"

#: (name, constructor keywords, device)
BUILDS = (
    ("1 lane, int8", {"lanes": 1, "primitive": "ecp5"}, "ecp5-85f"),
    ("8 lanes, int16", {"lanes": 8, "out_width": 16, "primitive": "ecp5"}, "ecp5-85f"),
    ("1 lane, int8", {"lanes": 1}, "ice40-up5k"),
)


def simulate(beats: int = 64) -> dict:
    """Cycles from the first input handshake to the first output, and the steady rate."""
    from amaranth.sim import Simulator

    dut = Requantizer(lanes=1)
    seen: dict = {}

    async def bench(ctx):
        ctx.set(dut.multiplier, 1 << 30)
        ctx.set(dut.shift, 1)
        ctx.set(dut.o.ready, 1)
        cycle, sent, got = 0, 0, []
        while len(got) < beats:
            ctx.set(dut.i.valid, sent < beats)
            ctx.set(dut.i.payload.data[0], sent)
            await ctx.delay(1e-9)
            took = ctx.get(dut.i.valid) and ctx.get(dut.i.ready)
            out = ctx.get(dut.o.valid)
            if took:
                seen.setdefault("first_in", cycle)
                sent += 1
            if out:
                seen.setdefault("first_out", cycle)
                got.append(cycle)
            await ctx.tick()
            cycle += 1
        seen["out_cycles"] = got

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    latency = seen["first_out"] - seen["first_in"]
    got = seen["out_cycles"]
    rate = (len(got) - 1) / (got[-1] - got[0])
    assert latency == dut.latency, (latency, dut.latency)
    return {"latency_cycles": latency, "beats_per_cycle": rate, "beats": beats}


def synthesis(seeds, timeout_s) -> list[dict]:
    from synth.flow import synthesize

    out = []
    for title, params, device in BUILDS:
        t0 = time.time()
        name = "requant_" + "_".join(f"{k}{v}" for k, v in params.items())
        res = synthesize(Requantizer(**params), name=name, device=device, seeds=tuple(seeds),
                         timeout_s=timeout_s)
        row = {k: res[k] for k in ("luts", "ffs", "carries", "dsps", "brams", "lutrams",
                                   "fmax_mhz_median", "fmax_mhz_worst", "fmax_mhz_all",
                                   "seeds_timed_out")}
        row.update(build=title, params=params, device=device, seeds=list(seeds),
                   seconds=round(time.time() - t0))
        print(f"{device} {params}: {row}", file=sys.stderr)
        out.append(row)
    return out


def markdown(res: dict) -> str:
    lines = ["# Requantizer benchmark", "",
             f"Latency {res['latency_cycles']} cycles, {res['beats_per_cycle']:.3f} beats per "
             "cycle (simulated, one lane).", ""]
    if res.get("synth"):
        lines += ["| build | device | LUT4 | FF | DSP | Fmax median / worst (MHz) | seeds |",
                  "|---|---|---|---|---|---|---|"]
        for s in res["synth"]:
            lines.append(f"| {s['build']} {s['params']} | {s['device']} | {s['luts']} | "
                         f"{s['ffs']} | {s['dsps']} | {s['fmax_mhz_median']} / "
                         f"{s['fmax_mhz_worst']} | {s['seeds']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-synth", action="store_true", help="skip Yosys/nextpnr")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--timeout", type=float, default=600,
                    help="wall-time limit of one nextpnr run (s); a seed over it is left out")
    args = ap.parse_args(argv)
    res = {"module": "requant", **simulate()}
    if not args.no_synth:
        res["synth"] = synthesis(args.seeds, args.timeout)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "requant.json").write_text(json.dumps(res, indent=2) + "\n")
    (OUT / "requant.md").write_text(markdown(res))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
