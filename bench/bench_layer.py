"""Benchmark of the integrated WCC layer on a real PP-OCRv4 layer (Verilator + cocotb).

For ``p2o.Add.35`` on the ``astronaut`` photo at 512 x 512 (48 -> 48 channels, a 128 x 128
map, N = 16384 positions) with an 8 x 8 array, at keep 1, 1/2, 1/4, 1/8: three identical
frames back to back, bit-exact against ``golden.wcc_int``; the steady-state cycles per frame
(between the last output beats of frames 2 and 3), each stage's cycles (first to last
handshake of its stream in frame 3), the dense baseline (the same array on all N columns, as
an ordinary int8 1x1 accelerator runs the layer: ``ceil(C_out / C) * ceil(C_in / R) * N``),
the speedup, the analytic bound of the slowest stage, on-chip memory by buffer, the bytes of
the compressed map against the dense int8 map, and the simulation speed.

Writes ``build/bench/layer.json`` and ``build/bench/layer.md``. ``--keeps`` and
``--frames`` run part of it; ``--quick`` a 32 x 32 map (for a smoke test).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hw.layer import WccLayer
from verif.stimulus import ocr_frame
from wcc.simulate import GEOMETRY, simulate_frames

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
TENSOR, PHOTO = "p2o.Add.35", "astronaut"


def measure(keep: float, frames: int, size: int, seed: int = 1, stages: bool = True) -> dict:
    """``frames`` identical frames of the layer at ``keep`` through the RTL
    (:func:`wcc.simulate.simulate_frames`); fails unless every one is bit-exact."""
    rec = simulate_frames([ocr_frame(TENSOR, PHOTO, keep, size=size)] * frames,
                          name=f"bench_layer_{size}", geometry=GEOMETRY, stages=stages,
                          seed=seed)
    rec.pop("maps")
    if not rec["bit_exact"] or rec["error"]:
        raise AssertionError(f"keep {keep}: not bit-exact with golden.wcc_int "
                             f"(error {rec['error']}, code {rec['error_code']})")
    rec.update(layer=f"ocr:{TENSOR}@{PHOTO}", size=size, keep=keep,
               steady_over_bound=rec["cycles_per_frame"] / rec["slowest_bound"],
               sim_s_per_frame=rec["sim_s"] / frames, build_and_run_s=rec["sim_wall_s"])
    return rec


def analytic_rows(keep: float = 0.125, photo: str = PHOTO, size: int = 512) -> list[dict]:
    """Per OCR spatial layer, the stages' analytic cycles at ``keep`` with :data:`GEOMETRY`
    (no simulation): which stage bounds the frame and the ideal speedup over dense."""
    from golden.topk import k_from_keep
    from wcc.data import ocr_spatial_layers, ocr_tensors

    layers = ocr_spatial_layers()
    maps = ocr_tensors([t for t, *_ in layers], photo, size)
    out = []
    for tensor, _, c_in, c_out in layers:
        h, w = maps[tensor].shape[1:]
        n = (-(-h // 8) * 8) * (-(-w // 8) * 8)
        dut = WccLayer(**GEOMETRY, max_c_in=c_in, max_c_out=c_out, max_width=-(-w // 8) * 8,
                       max_height=-(-h // 8) * 8)
        b = dut.stage_cycles(c_in, c_out, n, k_from_keep(keep, n))
        dense = dut.dense_cycles(c_in, c_out, n)
        slow = max(b, key=b.get)
        out.append({"tensor": tensor, "c_in": c_in, "c_out": c_out, "height": h, "width": w,
                    "bounds": b, "bound_by": slow, "ideal_speedup": dense / b[slow]})
    return out


def analytic_markdown(rows, keep: float = 0.125) -> str:
    lines = [f"Every PP-OCRv4 spatial 1x1 layer at keep {keep} (astronaut at 512), analytic "
             f"cycles per frame with lanes {GEOMETRY['lanes']}, a {GEOMETRY['rows']} x "
             f"{GEOMETRY['cols']} array, subtiles {GEOMETRY['subtiles']}:", "",
             "| tensor | C_in -> C_out | map | top-k | convolution | inverse | bound by | "
             "ideal speedup |", "| --- | --- | --- | --: | --: | --: | --- | --: |"]
    for r in rows:
        b = list(r["bounds"].values())
        lines.append(f"| {r['tensor']} | {r['c_in']} -> {r['c_out']} | {r['height']}x"
                     f"{r['width']} | {b[0]} | {b[1]} | {b[2]} | {r['bound_by'].split(' ')[0]}"
                     f" | {r['ideal_speedup']:.1f}x |")
    return "\n".join(lines) + "\n"


def markdown(rows) -> str:
    # The README's own tables (bench/readme.py, beside this script), so the two read alike.
    from readme import layer_cycles, layer_memory, layer_stages

    return (layer_cycles(rows) + "\nStage cycles (frame 3, first to last handshake of the "
            "stage's stream):\n\n" + layer_stages(rows) + "\nOn-chip memory (bits):\n\n"
            + layer_memory(rows))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keeps", default="1,0.5,0.25,0.125")
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a 32 x 32 map (size 128)")
    ap.add_argument("--analytic", action="store_true",
                    help="only the analytic table of every OCR layer (no simulation)")
    ap.add_argument("--no-stages", action="store_true",
                    help="do not record each stage's cycles (faster)")
    args = ap.parse_args(argv)
    if args.analytic:
        table = analytic_markdown(analytic_rows())
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "layer_analytic.md").write_text(table)
        print(table)
        return 0
    size = 128 if args.quick else 512
    rows = [measure(float(kp), args.frames, size, stages=not args.no_stages)
            for kp in args.keeps.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    name = "layer_quick" if args.quick else "layer"
    (OUT / f"{name}.json").write_text(json.dumps(rows, indent=1))
    (OUT / f"{name}.md").write_text(markdown(rows))
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
