"""``wcc demo``: one real layer through the integer model, with its costs and accuracy.

The layer is PP-OCRv4 det's 1x1 conv ``p2o.Conv.6`` (48 -> 48 channels) reading tensor
``p2o.Add.35``, on the ``astronaut`` photo at 512 x 512 (a 48 x 128 x 128 map). For each keep in
{1, 0.5, 0.25, 0.125} it calibrates (:func:`golden.calibrate`), runs :func:`golden.wcc_int` and
reports:

* bits per activation: ``8 * keep`` for the kept int8 coefficients plus the bitmap, one bit per
  padded position shared by all channels: ``Hp * Wp / (C_in * H * W)``;
* BOPs (bit operations). A b_w x b_a multiply-accumulate counts ``b_w * b_a``; an add/sub of a
  b-bit result counts b. Dense int8 1x1 conv: ``C_out * C_in * H * W * 8 * 8``. WCC:
  ``C_out * C_in * k * 8 * 8`` plus the transforms. One Haar level on a 2x2 block is a
  butterfly of 8 add/subs (4 along rows, 4 along columns; the shifts are wiring). Level l
  (1..L) has ``Hp * Wp / 4**l`` blocks per channel. Forward, on C_in channels, each add/sub is
  counted at that level's output width ``8 + 2 l`` bits; inverse, on C_out channels, at the
  inverse's final width ``Z + L + 2`` bits (an upper bound, Z = ``params.z_bits``). So
  ``fwd = C_in * sum_l 8 (8 + 2l) Hp Wp / 4**l``, ``inv = C_out * sum_l 8 (Z+L+2) Hp Wp / 4**l``.
  Not counted (as in the paper's count): the top-k score and selection, and the requantizers,
  which the dense int8 layer also needs at its output;
* SQNR (dB) against the exact float conv, for the float reference, the integer model's int8
  output and its ``v`` stage (before output requantization).

The report (``report.md``, Markdown with the pictures) and the pictures go to ``build/demo/``
(``--out``). Hardware hook: callables in :data:`HW_RUNNERS`
(``register_hw_runner``) are called as ``f(x_int8, params, keep, golden_out_int8)`` and return a
dict of extra report lines (e.g. the simulated accelerator's output and its cycle count); the
demo prints them and says whether the output matched the golden model bit for bit.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from golden.quant import sqnr_db
from golden.topk import k_from_keep
from golden.wcc_float import conv1x1, wcc_float

from .evaluate import KEEPS, int_layer

LAYER = dict(tensor="p2o.Add.35", photo="astronaut", size=512)
HW_RUNNERS: list = []


def register_hw_runner(fn) -> None:
    """Add a simulated-hardware runner to the demo (see the module doc)."""
    HW_RUNNERS.append(fn)


def bops(c_in: int, c_out: int, hp: int, wp: int, k: int | None, *, levels: int = 3,
         z_bits: int = 16, bits_w: int = 8, bits_a: int = 8) -> dict:
    """BOPs of the dense 1x1 conv (``k=None``) or of WCC with k kept positions (module doc)."""
    if k is None:
        return dict(conv=c_out * c_in * hp * wp * bits_w * bits_a, fwd=0, inv=0,
                    total=c_out * c_in * hp * wp * bits_w * bits_a)
    blocks = [hp * wp // 4**lv for lv in range(1, levels + 1)]
    fwd = c_in * sum(8 * (8 + 2 * lv) * n for lv, n in zip(range(1, levels + 1), blocks,
                                                            strict=True))
    inv = c_out * sum(8 * (z_bits + levels + 2) * n for n in blocks)
    conv = c_out * c_in * k * bits_w * bits_a
    return dict(conv=conv, fwd=fwd, inv=inv, total=conv + fwd + inv)


def run_demo(out_dir="build/demo", layer=None, keeps=KEEPS, log=print) -> list[dict]:
    """Run the demo, print the report with ``log`` and write pictures; returns one dict per
    keep (keys: keep, k, bits_per_act, bops, bops_ratio, sqnr_float, sqnr_int, sqnr_int_v,
    hw)."""
    from . import data, evalplot

    lay = dict(LAYER, **(layer or {}))
    t0 = time.time()
    x, w, b = data.ocr_layer(lay["tensor"], lay["photo"], lay["size"])
    c_in, h, wd = x.shape
    c_out = w.shape[0]
    hp, wp = -(-h // 8) * 8, -(-wd // 8) * 8
    ref = conv1x1(x, w, b)
    dense = bops(c_in, c_out, hp, wp, None)["total"]
    log(f"layer: PP-OCRv4 det 1x1 conv on {lay['tensor']!r}, photo {lay['photo']!r} at "
        f"{lay['size']}px: x {c_in}x{h}x{wd}, W {c_out}x{c_in}, bias {b is not None}")
    log(f"dense int8 1x1 conv: {dense / 1e9:.3f} GBOPs, 8 bits/activation")
    log("keep   k      bits/act  GBOPs (conv+fwd+inv)  vs dense  SQNR float  int8-out  int-v")
    rows, shown = [], {}
    for keep in keeps:
        k = k_from_keep(keep, hp * wp)
        bo = bops(c_in, c_out, hp, wp, k)
        il = int_layer(x, w, b, keep)
        row = dict(keep=keep, k=k, bits_per_act=8 * keep + hp * wp / (c_in * h * wd), bops=bo,
                   bops_ratio=bo["total"] / dense,
                   sqnr_float=sqnr_db(ref, wcc_float(x, w, b, keep=keep)),
                   sqnr_int=sqnr_db(ref, il["out"]), sqnr_int_v=sqnr_db(ref, il["v"]), hw=[])
        log(f"{keep:<6g} {k:<6d} {row['bits_per_act']:<9.3f} {bo['total'] / 1e9:6.3f} "
            f"({bo['conv'] / 1e9:.3f}+{bo['fwd'] / 1e9:.3f}+{bo['inv'] / 1e9:.3f})  "
            f"{row['bops_ratio']:8.3f}  {row['sqnr_float']:9.2f}  {row['sqnr_int']:8.2f}  "
            f"{row['sqnr_int_v']:5.2f}")
        hw_out = None
        for fn in HW_RUNNERS:  # the simulated accelerator joins here
            res = dict(fn(il["trace"]["padded"][:, :h, :wd], il["params"], keep,
                          il["trace"]["out"]))
            hw_out = res.pop("out", hw_out)
            row["hw"].append(res)
            log(f"       hw {getattr(fn, '__name__', 'runner')}: "
                + ", ".join(f"{kk}={vv}" for kk, vv in res.items()))
        shown[keep] = (il["out"], il["trace"]["bitmap"], hw_out, il["trace"]["out"])
        rows.append(row)
    out = Path(out_dir)
    evalplot.figure3(x, out / "figure3_map.png", title=f"{lay['tensor']}@{lay['photo']}")
    verdicts = _keep_figure(ref, shown, hp, wp, h, wd, out / "outputs_by_keep.png")
    if verdicts:  # what each RTL picture's title says
        for row, verdict in zip(rows, verdicts, strict=True):
            row["hw_picture"] = verdict
    log(f"pictures: {out}/figure3_map.png, {out}/outputs_by_keep.png; {time.time() - t0:.1f} s")
    return rows


def _keep_figure(ref, shown, hp, wp, h, w, path) -> list[str]:
    """Top: the exact conv's strongest output channel and the integer model's at each keep;
    middle: the kept positions (bitmap) in the 8x8-block Mallat layout, as a Hp x Wp image;
    bottom (with a hardware runner): the RTL's int8 output. ``shown``: keep -> (dequantized
    output, bitmap, RTL int8 output or None, golden int8 output). Returns the verdict of each
    RTL picture ("bit-exact" or "DIFFERS", against the golden int8 output)."""
    from golden.int_haar import from_blocks

    from .evalplot import _plt

    plt = _plt()
    ch = int(np.argmax(ref.reshape(ref.shape[0], -1).var(axis=1)))
    hw = any(v[2] is not None for v in shown.values())
    verdicts = []
    nrows = 3 if hw else 2
    fig, axes = plt.subplots(nrows, len(shown) + 1, figsize=(3 * (len(shown) + 1), 3 * nrows))
    lo, hi = float(ref[ch].min()), float(ref[ch].max())
    axes[0, 0].imshow(ref[ch], cmap="gray", vmin=lo, vmax=hi)
    axes[0, 0].set_title(f"exact float conv, ch {ch}", fontsize=9)
    for i, (keep, (out, bitmap, hw_out, gold)) in enumerate(shown.items(), start=1):
        axes[0, i].imshow(out[ch], cmap="gray")
        axes[0, i].set_title(f"integer WCC keep {keep:g} (int8)", fontsize=9)
        if hw_out is not None:
            same = "bit-exact" if np.array_equal(hw_out, gold) else "DIFFERS"
            verdicts.append(same)
            axes[2, i].imshow(hw_out[ch], cmap="gray")
            axes[2, i].set_title(f"RTL (Verilator) keep {keep:g}: {same}", fontsize=9)
        mask = from_blocks(bitmap.reshape(1, -1, 8, 8), hp, wp)[0]
        axes[1, i].imshow(mask[:h, :w], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        axes[1, i].set_title(f"kept positions ({mask.mean():.1%})", fontsize=9)
    for ax in axes.ravel():
        ax.axis("off")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return verdicts


def markdown_report(lay: dict, rows: list[dict], lines: list[str]) -> str:
    """The demo's report as Markdown: the layer, a table per keep (with the RTL's figures
    when it ran), the two pictures (beside the report) and the printed log."""
    hw = any(r["hw"] for r in rows)
    head = ["keep", "k", "bits/act", "GBOPs", "vs dense", "SQNR float dB", "SQNR int8 dB",
            "SQNR int v dB"] + (["RTL bit-exact", "RTL cycles/frame", "speedup vs dense"]
                                if hw else [])
    out = [f"# WCC demo: {lay['tensor']} on {lay['photo']} at {lay['size']} px", "",
           lines[0], "", lines[1], "",
           "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"{r['keep']:g}", str(r["k"]), f"{r['bits_per_act']:.3f}",
                 f"{r['bops']['total'] / 1e9:.3f}", f"{r['bops_ratio']:.3f}",
                 f"{r['sqnr_float']:.2f}", f"{r['sqnr_int']:.2f}", f"{r['sqnr_int_v']:.2f}"]
        if hw:
            h = r["hw"][0] if r["hw"] else {}
            cells += [{True: "yes", False: "NO"}.get(h.get("bit_exact"), "-"),
                      str(h.get("cycles_per_frame", "-")), str(h.get("speedup", "-"))]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "SQNR against the exact float convolution; bits/act counts the kept int8 "
            "coefficients and the bitmap; BOPs as in `wcc/demo.py`.", "",
            "![the input map and its Haar coefficients](figure3_map.png)", "",
            "![the output at each keep, the kept positions"
            + (", the RTL's output" if hw else "") + "](outputs_by_keep.png)", "",
            "## Log", "", "```", *lines, "```", ""]
    return "\n".join(out)


def main(args) -> int:
    """The ``demo`` subcommand."""
    layer = dict(size=args.size) if args.size else None
    if args.hw:
        from .simulate import hw_runner

        register_hw_runner(hw_runner)
    lines = []

    def log(msg):
        print(msg)
        lines.append(msg)

    rows = run_demo(args.out, layer, log=log)
    report = Path(args.out) / "report.md"
    report.write_text(markdown_report(dict(LAYER, **(layer or {})), rows, lines))
    print(f"report: {report}")
    bad = [r["keep"] for r in rows if r["sqnr_float"] - r["sqnr_int"] > 1.5]
    if bad:
        print(f"WARNING: integer model loses > 1.5 dB vs float at keep {bad}", file=sys.stderr)
    return 0


def add_parser(subparsers) -> None:
    """Register ``wcc demo``."""
    from .args import photo_side

    p = subparsers.add_parser("demo", help="a real OCR layer through the integer model",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="build/demo",
                   help="folder of the report and pictures (default build/demo)")
    p.add_argument("--size", type=photo_side,
                   help="photo side, a multiple of 32 in [32, 1024] (default 512)")
    p.add_argument("--hw", action="store_true",
                   help="also run each keep through the RTL of the WCC layer (Verilator)")
    p.set_defaults(func=main)
