"""Requantizer benchmark: latency and throughput in simulation.

Writes ``build/bench/requant.json`` and ``build/bench/requant.md``. Latency and throughput
are measured in the Amaranth simulator (one lane, a burst of beats with the output always
ready: cycles from the first input handshake to the first output, and beats per cycle in
the steady state) and checked against ``Requantizer.latency``. Resources and Fmax are the
synthesis records of ``make synth`` (``synth/records/``), which the README's requantizer table
shows.

    .venv/bin/python bench/bench_requant.py
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hw.requant import Requantizer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"

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


def markdown(res: dict) -> str:
    lines = ["# Requantizer benchmark", "",
             f"Latency {res['latency_cycles']} cycles, {res['beats_per_cycle']:.3f} beats per "
             "cycle (simulated, one lane).", ""]
    lines.append("Area and Fmax: `synth/report.md` (`make synth`).")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args(argv)
    res = {"module": "requant", **simulate()}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "requant.json").write_text(json.dumps(res, indent=2) + "\n")
    (OUT / "requant.md").write_text(markdown(res))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
