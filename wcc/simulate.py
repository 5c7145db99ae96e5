"""``wcc simulate``: a real layer through the RTL of the WCC layer, checked bit for bit.

``wcc simulate --layer ocr:TENSOR@PHOTO --keep K [--size S]`` calibrates the PP-OCRv4 layer
on that photo (``golden.calibrate``), builds :class:`hw.layer.WccLayer` sized for it (an
8 x 8 array, 24 input lanes, 16 output lanes), simulates its Verilog with Verilator through
cocotb (``sim/tb_layer.py``), and compares the output with ``golden.wcc_int``. It prints the
cycles of each stage (first to last handshake of its stream), the frame's cycles, the
analytic bound of the slowest stage, the dense baseline (the same array on all N columns),
the speedup, the bytes of the compressed map (bitmap + kept int8 columns) against the dense
int8 map, and the simulation speed. On a mismatch it names the first stage whose stream
differs from the golden trace (the run is repeated with the stage streams recorded).

``--json`` prints the record as JSON; ``--dump DIR`` writes the golden trace, the record and
the output map (``.npz``, ``.json``); ``--vcd FILE`` keeps the waveforms (FST) and copies
them to FILE. The first run compiles the model (a few minutes); later runs of the same
layer shape reuse it.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

GEOMETRY = dict(lanes=24, rows=8, cols=8, subtiles=2)


def simulate_frames(frames, *, name: str = "wcc_layer", geometry=None, stages: bool = True,
                    waves: bool = False, trace: bool = False, seed: int = 1) -> dict:
    """Simulate ``frames`` ((x, IntParams, k) each, same shape) back to back on a WccLayer
    sized for them; returns the record (outputs included as ``maps``)."""
    from hw.layer import WccLayer
    from hw.layer.protocol import padded_positions
    from verif.layer_frames import save_frames, stage_signals, tb_layer_config
    from verif.runner import BUILD, run_cocotb

    x, params, k = frames[0]
    c_in, h, w = x.shape
    c_out = params.weight.shape[0]
    geo = dict(GEOMETRY, **(geometry or {}))
    dut = WccLayer(**geo, max_c_in=c_in, max_c_out=c_out, max_width=-(-w // 8) * 8,
                   max_height=-(-h // 8) * 8)
    build = BUILD / name
    build.mkdir(parents=True, exist_ok=True)
    golden = save_frames(build / "frames.npz", frames)
    cfg = tb_layer_config(dut, build, seed=seed, stages=stages,
                          outputs=str(build / "outputs.npz"), strict=False,
                          trace=str(build / "trace.json") if trace else None)
    t0 = time.time()
    run_cocotb(dut, name=name, test_module="tb_layer", config=cfg, simulator="verilator",
               public=stage_signals() if stages or trace else (), waves=waves)
    wall = time.time() - t0
    res = json.loads((build / "results.json").read_text())
    outs = np.load(build / "outputs.npz")
    maps = [outs[f"out{j}"] for j in range(len(golden))]
    n = padded_positions(h, w, params.levels)
    dense = dut.dense_cycles(c_in, c_out, n)
    ends = res["ends"]
    per_frame = ends[-1] - ends[-2] if len(ends) > 1 else ends[-1]
    b = dut.stage_cycles(c_in, c_out, n, k)
    rec = {
        "c_in": c_in, "c_out": c_out, "height": h, "width": w, "n": n, "k": k,
        "frames": len(frames), "geometry": geo, "bit_exact": all(
            np.array_equal(g, mp) for g, mp in zip(golden, maps, strict=True)),
        "cycles_per_frame": per_frame, "last_output_cycles": ends,
        "stage_cycles": {s: f[-1][1] - f[-1][0] + 1 for s, f in res.get("stages", {}).items()
                         if f and f[-1][0] is not None},
        "stage_bounds": b, "slowest_bound": max(b.values()),
        "dense_cycles": dense, "speedup": dense / per_frame,
        "compressed_bytes": -(-n // 8) + k * c_in, "dense_bytes": h * w * c_in,
        "memory_bits": dut.memory_bits, "sim_wall_s": wall, "sim_s": res["sim_s"],
        "sim_cycles": ends[-1], "sim_cycles_per_s": ends[-1] / res["sim_s"],
        "error": res["error"],
        "error_code": res["error_code"],
    }
    rec["maps"] = maps
    if trace:
        trace_beats = json.loads((build / "trace.json").read_text())
        rec["first_bad_stage"] = (None if rec["bit_exact"] else
                                  locate_mismatch(dut, trace_beats, x, params, k))
    return rec


def expected_streams(dut, x, params, k) -> dict:
    """The payloads each watched stream must carry in a frame, from ``golden.wcc_int``'s
    trace, as lists of unpacked beats (dicts/lists), in stream order. The forward unit's and
    the top-k selector's inputs come in production order, compared as sets per plane."""
    from golden.int_model import wcc_int

    _, tr = wcc_int(x, params, k=k, trace=True)
    lanes, rows, cols, m, ol = dut.lanes, dut.rows, dut.cols, dut.subtiles, dut.out_lanes
    c_in = x.shape[0]
    c_out = params.weight.shape[0]
    n = tr["coeffs"].shape[1]
    groups, t, tiles = -(-c_in // lanes), -(-c_in // rows), -(-c_out // ol)

    def pad(a, c):
        out = np.zeros((c,) + a.shape[1:], np.int64)
        out[:a.shape[0]] = a
        return out

    width = max(groups * lanes, t * rows)
    coeffs, q = pad(tr["coeffs"], width), pad(tr["q"], width)
    kept = np.nonzero(tr["bitmap"])[0]
    acc = pad(tr["acc"], tiles * ol)
    zf = pad(tr["zero_filled"], tiles * ol)
    exp = {
        "forward Haar out": [sorted((p, tuple(int(v) for v in coeffs[g * lanes:(g + 1) * lanes, p]))
                                    for p in range(n)) for g in range(groups)],
        "top-k in": [sorted((p, tuple(int(v) for v in q[g * lanes:(g + 1) * lanes, p]))
                            for p in range(n)) for g in range(groups)],
        "top-k columns out": [[int(v) for v in q[g * lanes:(g + 1) * lanes, p]]
                              for p in kept for g in range(groups)],
        "array x": [[int(v) for v in q[b * rows:(b + 1) * rows, p]]
                    for _ in range(tiles) for p in kept for _s in range(m) for b in range(t)],
        "array y": [[int(v) for v in acc[(j * m + s) * cols:(j * m + s + 1) * cols, c]]
                    for j in range(tiles) for c in range(len(kept)) for s in range(m)],
        "inverse Haar in": [[int(v) for v in zf[j * ol:(j + 1) * ol, p]]
                            for j in range(tiles) for p in range(n)],
    }
    return exp


def locate_mismatch(dut, trace: dict, x, params, k) -> str | None:
    """The first stage (in data-path order) whose recorded stream differs from golden, or
    ``None``. ``trace``: the payload integers ``sim/tb_layer.py`` recorded per stream."""
    from hw.layer.protocol import padded_positions
    from hw.lib.layouts import (
        accumulator_layout,
        coef_layout,
        column_layout,
        lanes_layout,
        pixel_layout,
    )
    from verif.cocotb_streams import unpack

    exp = expected_streams(dut, x, params, k)
    n = padded_positions(x.shape[1], x.shape[2], params.levels)
    layouts = {
        "forward Haar out": coef_layout(dut.lanes, dut.coef_bits, dut.forward.pbits),
        "top-k in": dut.topk.i.payload.shape(),
        "top-k columns out": column_layout(dut.lanes),
        "array x": lanes_layout(dut.rows, 8),
        "array y": accumulator_layout(dut.cols),
        "inverse Haar in": pixel_layout(dut.out_lanes, 16),
    }
    for name, layout in layouts.items():
        beats = [unpack(layout, b) for b in trace.get(name, [])]
        if name in ("forward Haar out", "top-k in"):
            planes = [beats[g * n:(g + 1) * n] for g in range(len(exp[name]))]
            got = [sorted((b["pos"], tuple(b["data"])) for b in pl) for pl in planes]
        elif name == "array x":
            got = [list(b) for b in beats]
        else:
            got = [list(b["data"]) for b in beats]
        if got != exp[name]:
            return name
    return "output stage (bias, output requantizer, ReLU, crop)"


def report(rec: dict, log=print) -> None:
    log(f"layer {rec.get('layer', '')}: {rec['c_in']} -> {rec['c_out']} channels, "
        f"{rec['height']} x {rec['width']} (N = {rec['n']}), k = {rec['k']}")
    log(f"bit-exact with golden.wcc_int: {'yes' if rec['bit_exact'] else 'NO'}")
    if not rec["bit_exact"]:
        log(f"first stage whose stream differs from golden: {rec.get('first_bad_stage')}")
    for s, c in rec["stage_cycles"].items():
        log(f"  {s:<22} {c:>9} cycles")
    log(f"cycles per frame: {rec['cycles_per_frame']} (frames back to back); slowest stage's "
        f"bound {rec['slowest_bound']} ({rec['cycles_per_frame'] / rec['slowest_bound']:.3f}x)")
    log(f"dense int8 1x1 on the same array: {rec['dense_cycles']} cycles; speedup "
        f"{rec['speedup']:.2f}x")
    log(f"compressed map: {rec['compressed_bytes']} bytes (bitmap + kept int8 columns) vs "
        f"{rec['dense_bytes']} dense ({rec['dense_bytes'] / rec['compressed_bytes']:.2f}x "
        f"smaller)")
    log(f"simulation: {rec['sim_cycles']} cycles in {rec['sim_s']:.1f} s "
        f"({rec['sim_cycles_per_s']:.0f} cycles/s; {rec['sim_wall_s']:.1f} s with the build)")


def main(args) -> int:
    from verif.stimulus import ocr_frame

    tensor, photo = args.layer
    frame = ocr_frame(tensor, photo, args.keep, size=args.size)
    safe = f"{tensor}_{photo}_{args.size}".replace(".", "_")
    rec = simulate_frames([frame] * args.frames, name=f"simulate_{safe}",
                          waves=bool(args.vcd))
    if not rec["bit_exact"]:
        # Again, one frame, with every stage's stream recorded: which one goes wrong first.
        again = simulate_frames([frame], name=f"simulate_{safe}", stages=False, trace=True)
        rec["first_bad_stage"] = again["first_bad_stage"]
    rec["layer"] = f"ocr:{tensor}@{photo}"
    rec["keep"] = args.keep
    maps = rec.pop("maps")
    if args.dump:
        out = Path(args.dump)
        out.mkdir(parents=True, exist_ok=True)
        np.savez(out / "output.npz", out=maps[-1])
        (out / "record.json").write_text(json.dumps(rec, indent=1))
    if args.vcd:
        from verif.runner import BUILD

        fst = next((BUILD / f"simulate_{safe}" / "verilator").glob("*.fst"), None)
        if fst:
            shutil.copy(fst, args.vcd)
    if args.json:
        print(json.dumps(rec, indent=1))
    else:
        report(rec)
    return 0 if rec["bit_exact"] else 1


def add_parser(subparsers) -> None:
    """Register ``wcc simulate``."""
    from .args import int_in, keep, layer_spec, map_help, photo_side

    p = subparsers.add_parser("simulate", help="a real layer through the RTL (Verilator)",
                              description=__doc__.split("\n\n")[0],
                              epilog_fn=lambda: map_help(spatial_only=True))
    p.add_argument("--layer", type=layer_spec, default="ocr:p2o.Add.35@astronaut",
                   metavar="ocr:TENSOR@PHOTO",
                   help="a spatial 1x1 layer of the OCR model on a photo (names below; "
                        "default ocr:p2o.Add.35@astronaut)")
    p.add_argument("--keep", type=keep, default=0.25, help="keep ratio in (0, 1] (default "
                   "%(default)s)")
    p.add_argument("--size", type=photo_side, default=512,
                   help="photo side, a multiple of 32 in [32, 1024] (default %(default)s)")
    p.add_argument("--frames", type=int_in(1, 64), default=2,
                   help="identical frames back to back, 1..64 (default 2: the second is "
                        "steady)")
    p.add_argument("--json", action="store_true", help="print the record as JSON")
    p.add_argument("--dump", metavar="DIR", help="write the record and the output map")
    p.add_argument("--vcd", metavar="FILE", help="keep the waveforms and copy them to FILE")
    p.set_defaults(func=main)


def hw_runner(x, params, keep: float, golden_out) -> dict:
    """``wcc demo``'s hardware runner (``wcc.demo.register_hw_runner``): the frame through the
    RTL (two frames back to back, Verilator); the report's figures and the output map."""
    from golden.topk import k_from_keep
    from hw.layer.protocol import padded_positions

    k = k_from_keep(keep, padded_positions(x.shape[1], x.shape[2], params.levels))
    c_in, h, w = x.shape
    rec = simulate_frames([(x, params, k)] * 2, name=f"demo_{c_in}_{h}_{w}", stages=False)
    out = rec["maps"][-1]
    return {"bit_exact": bool(np.array_equal(out, golden_out)),
            "cycles_per_frame": rec["cycles_per_frame"], "dense_cycles": rec["dense_cycles"],
            "speedup": round(rec["speedup"], 2), "sim_s": round(rec["sim_s"], 1),
            "out": out}

