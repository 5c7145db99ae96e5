"""``wcc eval``: uniform quantization vs WCC on real feature maps (the paper's Figure 1).

Maps (``--maps``, comma-separated specs):

* ``ocr:TENSOR@PHOTO`` -- the input of a 1x1 conv of PP-OCRv4 det (:mod:`wcc.data`) on a
  bundled photo resized to ``--size`` (default 256); the layer's own weight and bias are used;
* ``photo:PHOTO`` -- the photo itself (C = 3 or 1, ``--size`` square) with a fixed random 1x1
  conv: ``W = N(0, 1) / sqrt(C_in)``, shape (16, C_in), no bias, ``numpy`` seed 0.

For each map and effective bit rate ``b`` (``--bits``, default 1..8), three methods:

* ``uniform``: the whole map quantized at ``b`` bits with eq. 2 (unsigned if the map has no
  negative value, signed otherwise). The clip ``alpha`` is :func:`golden.quant.mse_best_alpha`:
  the least-MSE value on a fixed geometric grid of 160 fractions of ``max|x|`` (1e-3 .. 1).
  Eq. 2 has no signed 1-bit level set (``q_0``), so signed 1-bit is the binary
  ``alpha * sign(x)`` with its least-MSE ``alpha = mean|x|``; unsigned 1-bit is eq. 1 with the
  grid search.
* ``wcc_float``: :func:`golden.wcc_float`, 8-bit kept coefficients, ``keep = b / 8``, 3 levels.
* ``wcc_int``: :func:`golden.calibrate` (calibrated on the same map) + :func:`golden.wcc_int`.

Metrics (every record):

* ``mse``: mean squared error of the activation map itself. Uniform: ``Q(x) - x``. WCC: the map
  rebuilt from the kept, quantized coefficients, i.e. the layer with an identity 1x1 conv and
  unquantized (exact) identity weights. For ``wcc_int`` that is the integer pipeline on
  ``eye(C)`` calibrated like any layer (int8 input, exact Haar, int8 coefficients, integer
  top-k, the conv with weights ``127 * I``, zero-fill, exact inverse Haar), read at stage ``v``
  (``trace['v'] * scales['v']``), before the int8 output requantization, which a real layer
  applies to the conv's output, not to the map.
* ``conv_sqnr_db``: SQNR of the 1x1 conv output against the exact float conv
  (:func:`golden.conv1x1` with the float weights and bias); every method uses 8-bit weights.
  ``wcc_int`` is measured on its dequantized int8 output.

``--json`` prints ``{"settings", "records", "claim"}``; a record holds ``map, method,
effective_bits, mse, mse_rel`` (mse / mean(x^2)), ``conv_sqnr_db, keep`` (None for uniform),
``bits_per_activation`` (with WCC's 1-bit-per-position bitmap: ``b + 1 / C_in``), ``c_in, h, w``.
``claim[b]`` lists, for b in (2, 1), each map with ``wcc_float < uniform`` and
``wcc_int < uniform`` on MSE. ``--sqnr-table`` prints the table of :func:`sqnr_table` instead.

``--stripe-rows S`` runs both WCC methods with a top-k per stripe of S block rows
(``stripe_rows`` of :func:`golden.wcc_float` and :func:`golden.wcc_int`; calibration stays
frame-wide). ``--stripe-table`` writes the per-stripe study of :mod:`wcc.stripes` instead.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

from golden.calibrate import calibrate, dequantize_output
from golden.int_model import wcc_int
from golden.quant import ALPHA_GRID, mse_best_alpha, quantize, sqnr_db
from golden.wcc_float import conv1x1, quantize_weight, wcc_float

from . import data

DEFAULT_OCR_TENSORS = ("p2o.Add.19", "p2o.Add.35", "p2o.Add.43", "p2o.Add.63", "p2o.Add.91",
                       "conv2d_470.tmp_0")
DEFAULT_PHOTOS = ("astronaut", "coffee", "chelsea")
DEFAULT_MAPS = tuple(f"ocr:{t}@{p}" for t in DEFAULT_OCR_TENSORS for p in DEFAULT_PHOTOS) + (
    "photo:astronaut", "photo:coffee", "photo:camera")
QUICK_MAPS = ("ocr:p2o.Add.35@astronaut", "photo:camera")
KEEPS = (1.0, 0.5, 0.25, 0.125)
METHODS = ("uniform", "wcc_float", "wcc_int")


@lru_cache(maxsize=32)
def load_map(spec: str, size: int = 256):
    """``(x (C, H, W), weight (C_out, C_in), bias or None)`` of one map spec (module doc)."""
    kind, _, rest = spec.partition(":")
    if kind == "ocr" and "@" in rest:
        tensor, photo = rest.split("@", 1)
        return data.ocr_layer(tensor, photo, size)
    if kind == "photo":
        x = data.load_photo(rest, size)
        rng = np.random.default_rng(0)  # fixed: the same conv for every run
        w = rng.standard_normal((16, x.shape[0])) / np.sqrt(x.shape[0])
        return x, w, None
    raise ValueError(f"maps entries must be 'ocr:TENSOR@PHOTO' or 'photo:PHOTO', got {spec!r}")


def uniform_quantize(x, bits: int):
    """The ``uniform`` baseline of the module doc: ``(Q(x), alpha, signed)``."""
    x = np.asarray(x, dtype=np.float64)
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= bits <= 16:
        raise ValueError(f"bits must be an integer in [1, 16], got {bits!r}")
    signed = bool(x.min() < 0)
    if bits >= 2:
        a = mse_best_alpha(x, bits, signed=signed)
        return quantize(x, bits, a, signed=signed), a, signed
    if signed:
        a = float(np.abs(x).mean())
        return a * np.sign(x), a, signed
    top = max(float(x.max()), 0.0)
    best = (np.inf, 1.0)
    for a in top * ALPHA_GRID if top > 0 else [1.0]:
        best = min(best, (float(np.mean((a * np.round(np.clip(x / a, 0, 1)) - x) ** 2)), a))
    a = best[1]
    return a * np.round(np.clip(x / a, 0.0, 1.0)), a, signed


def int_layer(x, weight, bias, keep: float, stripe_rows=None) -> dict:
    """Calibrate and run the integer layer; returns its params, the dequantized int8 output
    (``out``) and the dequantized ``v`` stage plus bias (``v``: before output requantization).
    ``stripe_rows``: the top-k per stripe of that many block rows (None: frame-wide)."""
    params, xi = calibrate(x, weight, bias, keep=keep)
    out, tr = wcc_int(xi, params, keep=keep, stripe_rows=stripe_rows, trace=True)
    h, w = x.shape[1:]
    v = tr["v"][:, :h, :w] * params.scales["v"]
    if bias is not None:
        v = v + np.asarray(bias, dtype=np.float64)[:, None, None]
    return dict(params=params, out=dequantize_output(out, params), v=v, trace=tr)


def map_records(spec: str, bits_list, size: int = 256, stripe_rows=None) -> list[dict]:
    """Every (method, effective_bits) record of one map (module doc); ``stripe_rows`` gives
    both WCC methods a top-k per stripe of that many block rows."""
    x, wt, b = load_map(spec, size)
    c, h, w = x.shape
    ref = conv1x1(x, wt, b)
    wq = quantize_weight(wt, 8)
    eye = np.eye(c)
    msq = float(np.mean(x * x))
    recs = []

    def rec(method, bits, xmap, out, keep):
        mse = float(np.mean((xmap - x) ** 2))
        recs.append(dict(map=spec, method=method, effective_bits=int(bits), mse=mse,
                         mse_rel=mse / msq, conv_sqnr_db=float(sqnr_db(ref, out)), keep=keep,
                         bits_per_activation=bits + (0 if keep is None else 1 / c),
                         c_in=c, h=h, w=w))

    for bits in bits_list:
        xq, _, _ = uniform_quantize(x, bits)
        rec("uniform", bits, xq, conv1x1(xq, wq, b), None)
        keep = bits / 8
        xmap, st = wcc_float(x, eye, keep=keep, bits_w=None, stripe_rows=stripe_rows,
                             return_stages=True)
        # The kept coefficients do not depend on the weights: reuse their clip for the conv.
        out_f = wcc_float(x, wt, b, keep=keep, alpha_a=st["alpha_a"], stripe_rows=stripe_rows)
        rec("wcc_float", bits, xmap, out_f, keep)
        xmap_i = int_layer(x, eye, None, keep, stripe_rows)["v"]
        rec("wcc_int", bits, xmap_i, int_layer(x, wt, b, keep, stripe_rows)["out"], keep)
    return recs


def claim_summary(records) -> dict:
    """For b in (2, 1): per map, whether each WCC model's map MSE is below uniform's."""
    out = {}
    for bits in (2, 1):
        rows = {}
        for r in records:
            if r["effective_bits"] == bits:
                rows.setdefault(r["map"], {})[r["method"]] = r["mse"]
        out[str(bits)] = {m: {f"{k}_below_uniform": bool(v[k] < v["uniform"])
                              for k in ("wcc_float", "wcc_int") if k in v}
                          for m, v in rows.items() if "uniform" in v}
    return out


def run_eval(maps, bits_list, size: int = 256, progress: bool = True,
             stripe_rows=None) -> list[dict]:
    """All records of :func:`map_records` for every map, with a tqdm bar on stderr."""
    from tqdm import tqdm

    recs = []
    for spec in tqdm(maps, desc="wcc eval", unit="map", file=sys.stderr, disable=not progress):
        recs += map_records(spec, bits_list, size, stripe_rows)
    return recs


def sqnr_table(maps=("ocr:p2o.Add.35@astronaut", "ocr:p2o.Add.63@coffee",
                     "ocr:conv2d_470.tmp_0@chelsea", "photo:astronaut", "photo:camera"),
               keeps=KEEPS, size: int = 512, stripe_rows=None) -> list[dict]:
    """SQNR (dB) against the exact float 1x1 conv, 8-bit weights and activations.

    Per (map, keep): ``sqnr_float`` (:func:`golden.wcc_float`), ``sqnr_int`` (int8 output of
    the integer model), ``loss_db = sqnr_float - sqnr_int`` and ``ok = loss_db <= 1.5``;
    ``sqnr_int_v`` (its ``v`` stage dequantized, plus bias, before the output requantization)
    and ``out_cost_db = sqnr_int_v - sqnr_int``, the share of the loss due to the int8 output.
    ``stripe_rows``: both models take a top-k per stripe of that many block rows.
    """
    rows = []
    for spec in maps:
        x, wt, b = load_map(spec, size)
        ref = conv1x1(x, wt, b)
        for keep in keeps:
            sf = sqnr_db(ref, wcc_float(x, wt, b, keep=keep, stripe_rows=stripe_rows))
            il = int_layer(x, wt, b, keep, stripe_rows)
            si, sv = sqnr_db(ref, il["out"]), sqnr_db(ref, il["v"])
            rows.append(dict(map=spec, shape=list(x.shape), keep=keep, sqnr_float=sf,
                             sqnr_int=si, loss_db=sf - si, ok=bool(sf - si <= 1.5),
                             sqnr_int_v=sv, out_cost_db=sv - si))
    return rows


def sqnr_markdown(rows) -> str:
    """:func:`sqnr_table` rows as a Markdown table."""
    lines = ["| map | C,H,W | keep | float dB | int dB | loss dB | int v dB | int8-out cost dB "
             "| <= 1.5 dB |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['map']} | {','.join(map(str, r['shape']))} | {r['keep']:g} | "
                     f"{r['sqnr_float']:.2f} | {r['sqnr_int']:.2f} | {r['loss_db']:.2f} | "
                     f"{r['sqnr_int_v']:.2f} | {r['out_cost_db']:.2f} | "
                     f"{'yes' if r['ok'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(args) -> int:
    """The ``eval`` subcommand."""
    from . import evalplot
    from .args import UsageError

    out = Path(args.out)
    stripe_rows = args.stripe_rows
    if args.stripe_table:
        if args.bits or args.sqnr_table:
            raise UsageError("--stripe-table measures keeps 1/2, 1/4, 1/8 on its own: drop "
                             + ("--bits" if args.bits else "--sqnr-table"))
        from . import stripes

        out.mkdir(parents=True, exist_ok=True)
        return stripes.main(args, out)
    if args.sqnr_table:
        if args.bits:
            raise UsageError("--sqnr-table measures the four keeps of the demo: drop --bits")
        size = args.size or (128 if args.quick else 512)
        out.mkdir(parents=True, exist_ok=True)
        rows = sqnr_table(size=size, stripe_rows=stripe_rows,
                          **({"maps": args.maps} if args.maps else {}))
        md = sqnr_markdown(rows)
        (out / "sqnr_table.md").write_text(md)
        print(json.dumps(rows, indent=1) if args.json else md, end="" if not args.json else "\n")
        return 0
    maps = args.maps or list(QUICK_MAPS if args.quick else DEFAULT_MAPS)
    bits = args.bits or ([1, 2, 8] if args.quick else list(range(1, 9)))
    size = args.size or (64 if args.quick else 256)
    out.mkdir(parents=True, exist_ok=True)
    recs = run_eval(maps, bits, size, stripe_rows=stripe_rows)
    claim = claim_summary(recs)
    settings = dict(maps=maps, bits=bits, size=size, levels=3, coef_bits=8, weight_bits=8,
                    stripe_rows=stripe_rows)
    (out / "eval.json").write_text(json.dumps(dict(settings=settings, records=recs,
                                                   claim=claim), indent=1))
    (out / "eval.md").write_text(evalplot.markdown(recs, claim))
    evalplot.figure1(recs, out / "figure1.png")
    fig3 = "ocr:p2o.Add.35@astronaut"
    evalplot.figure3(load_map(fig3, max(size, 128))[0], out / "figure3.png", title=fig3)
    if args.json:
        print(json.dumps(dict(settings=settings, records=recs, claim=claim)))
    else:
        print(evalplot.claim_text(claim))
        print(f"wrote {out}/eval.md, eval.json, figure1.png, figure3.png")
    return 0


def add_parser(subparsers) -> None:
    """Register ``wcc eval``."""
    from .args import bits_list, int_in, map_help, map_list, photo_side

    p = subparsers.add_parser("eval", help="uniform quantization vs WCC on real feature maps",
                              description=__doc__.split("\n\n")[0],
                              epilog_fn=lambda: map_help())
    p.add_argument("--maps", type=map_list, metavar="SPEC[,SPEC...]",
                   help="comma-separated map specs: ocr:TENSOR@PHOTO, photo:PHOTO "
                        "(names below; default: 6 OCR tensors on 3 photos and 3 photos)")
    p.add_argument("--bits", type=bits_list, metavar="B[,B...]",
                   help="comma-separated effective bit rates in 1..8 (default 1..8)")
    p.add_argument("--size", type=photo_side,
                   help="photo side in pixels, a multiple of 32 in [32, 1024] (default 256, "
                        "--quick 64; --sqnr-table 512, with --quick 128)")
    p.add_argument("--out", default="build/eval", help="output folder (default build/eval)")
    p.add_argument("--quick", action="store_true", help="2 small maps, bits 1,2,8")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--sqnr-table", action="store_true",
                   help="print the 8-bit SQNR table (float vs integer model) as Markdown")
    p.add_argument("--stripe-rows", type=int_in(1, 512), metavar="S",
                   help="top-k per stripe of this many block rows (default: the frame); with "
                        "--stripe-table, the only S measured")
    p.add_argument("--stripe-table", action="store_true",
                   help="per-stripe vs frame-wide top-k table (S = 1, 2, 4) -> stripes.md/json")
    p.set_defaults(func=main)
