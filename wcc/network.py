"""``wcc network``: the PP-OCRv4 text detector with its spatial 1x1 convs compressed, and
what that does to the detector's own output.

The 22 spatial 1x1 convs (:func:`wcc.data.ocr_spatial_layers`) are computed in NumPy inside
an onnxruntime pass of the model's graph (:mod:`wcc.netgraph` says how and why). Post-training,
calibrated on the ``--calib`` photos (default astronaut, coffee, chelsea), measured on the
``--photos`` (default page, text, coins, rocket: scikit-image photos with writing in them),
each resized to keep its aspect ratio with its longer side ``--side`` pixels (default 1024;
sides multiples of 32).

Configurations, for each effective bit rate b in ``--bits`` (default 8, 4, 2, 1) and each
scope (``all`` 22 layers; ``highres``: the layers whose map has a side >= 64 at a 512 x 512
input, the paper's practice of compressing the large maps only):

* ``wcc``: :func:`golden.wcc_int`, keep b / 8, 8-bit coefficients and weights, integer
  parameters from :func:`calibrate_wcc` (:func:`golden.calibrate` over several maps); the
  layer's int8 output is dequantized for the next float layer. Each layer adds a bitmap of one
  bit per padded position, shared by its channels (``bits_per_activation`` counts it);
* ``uniform``: the layer's input quantized to b bits with the clip of :func:`uniform_clip`
  (``wcc eval``'s MSE-best clip, found on the calibration maps), then the float conv with
  8-bit weights.

Metrics (:mod:`wcc.netmetrics`) compare the probability map with the uncut float model's.
The per-layer breakdown compresses one layer at a time (WCC at ``--breakdown-keep``, default
1/4, and uniform at the same bits), the rest float. ``--hw LAYER`` instead runs one
all-layer WCC pass with that layer through the RTL simulation (Verilator) and checks that its
int8 output, and so the network's output, equal the golden model's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from golden.haar import dwt2, pad_to
from golden.int_model import QMAX, IntParams, params_from_float, quantize_input, wcc_int
from golden.quant import ALPHA_GRID, mse_best_alpha, quantize
from golden.topk import k_from_keep
from golden.wcc_float import quantize_weight, topk_bitmap_float, wcc_float

from . import data, netmetrics
from .netgraph import Layer, SegmentedDetector, find_layer

DEFAULT_CALIB = ("astronaut", "coffee", "chelsea")
DEFAULT_PHOTOS = ("page", "text", "coins", "rocket")
DEFAULT_SIDE = 1024
DEFAULT_BITS = (8, 4, 2, 1)
BREAKDOWN_KEEP = 0.25
QUICK = dict(calib=("astronaut",), photos=("page", "coins"), side=256)
HIGHRES_SIDE = 64  # at HIGHRES_INPUT: the layers at strides 4 and 8
HIGHRES_INPUT = 512
CLIP_SAMPLES = 200_000  # values a clip search looks at, as golden.quant.mse_best_alpha


def check_keep(keep) -> float:
    """``keep`` as a float in (0, 1], else ValueError."""
    try:
        k = float(keep)
    except (TypeError, ValueError):
        raise ValueError(f"keep must be a number in (0, 1], got {keep!r}") from None
    if isinstance(keep, bool) or not 0 < k <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep!r}")
    return k


def check_bits(bits) -> int:
    """Effective bits as an int in [1, 8] (WCC keeps bits / 8 of 8-bit coefficients)."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= bits <= 8:
        raise ValueError(f"bits must be an integer in [1, 8], got {bits!r}")
    return int(bits)


def check_photos(photos, name: str = "photos") -> tuple[str, ...]:
    photos = tuple(photos)
    bad = [p for p in photos if p not in data.list_photos()]
    if not photos or bad:
        raise ValueError(f"{name} must name photos among {', '.join(data.list_photos())}, "
                         f"got {', '.join(bad) or 'none'}")
    return photos


def check_side(side) -> int:
    """The longer photo side: a multiple of 32, at least 64."""
    if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or side < 64 \
            or side % data.DET_STRIDE:
        raise ValueError(f"side must be a multiple of {data.DET_STRIDE} >= 64, got {side!r}")
    return int(side)


def photo_size(photo: str, side: int) -> tuple[int, int]:
    """(H, W) for ``photo``: its aspect ratio, the longer side ``side``, multiples of 32."""
    side = check_side(side)
    h, w = data._raw_photo(photo).shape[:2]
    f = side / max(h, w)
    return tuple(max(data.DET_STRIDE, round(v * f / data.DET_STRIDE) * data.DET_STRIDE)
                 for v in (h, w))


def highres_indices(layers) -> list[int]:
    """Indices of the layers whose input map has a side >= 64 at a 512 x 512 input."""
    shapes = data.ocr_tensors([lay.tensor for lay in layers], "astronaut", HIGHRES_INPUT)
    return [lay.index for lay in layers if min(shapes[lay.tensor].shape[1:]) >= HIGHRES_SIDE]


def _concat(xs) -> np.ndarray:
    return np.concatenate([np.asarray(x, dtype=np.float64).reshape(-1) for x in xs])


def kept_coefficients(x, keep, levels: int = 3) -> np.ndarray:
    """The (C, k) Haar coefficients :func:`golden.wcc_float` keeps of map ``x`` (steps 1-4 of
    the reference: pad, Haar, joint score, top-k), without its conv and inverse."""
    xp = pad_to(np.asarray(x, dtype=np.float64), levels)
    y = dwt2(xp, levels).reshape(xp.shape[0], -1)
    bitmap = topk_bitmap_float((y * y).sum(axis=0), k_from_keep(keep, y.shape[1]))
    return y[:, bitmap]


def calibrate_wcc(xs, layer: Layer, keep, alpha_x: float | None = None) -> IntParams:
    """:func:`golden.calibrate` over several maps ``xs`` (each (C_in, H, W), any H, W).

    The clips are found on all maps together: ``scale_x`` from the MSE-best 8-bit clip of every
    value (``alpha_x``: that clip, if known); ``alpha_coef`` the MSE-best 8-bit clip of every
    map's kept coefficients (each map its own top-k); ``alpha_z`` the largest wavelet-domain
    conv output and ``alpha_out`` the MSE-best 8-bit clip of the float reference's outputs,
    both run with that ``alpha_coef``. With one map it is :func:`golden.calibrate`.
    """
    keep = check_keep(keep)
    xs = [np.asarray(x, dtype=np.float64) for x in xs]
    kept = [kept_coefficients(x, keep) for x in xs]
    alpha_coef = mse_best_alpha(_concat(kept), 8) if sum(k.size for k in kept) else 1.0
    outs, zmax = [], 0.0
    for x in xs:
        out, st = wcc_float(x, layer.weight, layer.bias, keep=keep, alpha_a=alpha_coef,
                            return_stages=True)
        outs.append(out)
        zmax = max(zmax, float(np.abs(st["z"]).max()) if st["z"].size else 0.0)
    return params_from_float(
        layer.weight, layer.bias,
        scale_x=(mse_best_alpha(_concat(xs), 8) if alpha_x is None else alpha_x) / QMAX,
        alpha_coef=alpha_coef or 1.0, alpha_z=zmax if zmax > 0 else 1.0,
        alpha_out=mse_best_alpha(_concat(outs), 8))


def uniform_clip(xs, bits) -> tuple[float, bool]:
    """``(alpha, signed)`` of the uniform baseline on the maps ``xs``, as
    :func:`wcc.evaluate.uniform_quantize` finds them on one map: signed if any value is
    negative; at 2 bits and more the MSE-best clip; at 1 bit signed ``mean|x|`` (the binary
    ``alpha * sign(x)``), unsigned the least-MSE clip of eq. 1 on the same grid. Searched on an
    evenly strided sample of at most 200 000 values, as :func:`golden.quant.mse_best_alpha`."""
    bits = check_bits(bits)
    flat = _concat(xs)
    signed = bool(flat.min() < 0)
    flat = flat[:: int(np.ceil(flat.size / CLIP_SAMPLES))]
    if bits >= 2:
        return mse_best_alpha(flat, bits, signed=signed), signed
    if signed:
        return float(np.abs(flat).mean()), signed
    top = max(float(flat.max()), 0.0)
    best = (np.inf, 1.0)
    for a in top * ALPHA_GRID if top > 0 else [1.0]:
        best = min(best, (float(np.mean((uniform_apply(flat, 1, a, False) - flat) ** 2)), a))
    return best[1], signed


def uniform_apply(x, bits, alpha: float, signed: bool) -> np.ndarray:
    """Quantize ``x`` uniformly at ``bits`` with clip ``alpha`` (see :func:`uniform_clip`)."""
    x = np.asarray(x, dtype=np.float64)
    if bits >= 2:
        return quantize(x, bits, alpha, signed=signed)
    if signed:
        return alpha * np.sign(x)
    return alpha * np.round(np.clip(x / alpha, 0.0, 1.0))


def wcc_int_layer(layer: Layer, params: IntParams, keep):
    """The layer as the integer WCC layer: float map -> int8 -> :func:`golden.wcc_int` ->
    dequantized output."""
    keep = check_keep(keep)

    def run(x):
        out = wcc_int(quantize_input(x, params.scales["x"]), params, keep=keep)
        return out * params.scales["out"]

    return run


def wcc_float_layer(layer: Layer, keep, bits_a=8, bits_w=8):
    """The layer as :func:`golden.wcc_float` (clip found on each map; ``None`` bits: exact)."""
    keep = check_keep(keep)
    return lambda x: wcc_float(x, layer.weight, layer.bias, keep=keep, bits_a=bits_a,
                               bits_w=bits_w)


def uniform_layer(layer: Layer, bits, alpha: float, signed: bool):
    """The layer's input quantized uniformly, then its float conv with 8-bit weights."""
    bits = check_bits(bits)
    wq = quantize_weight(layer.weight, 8)
    q = Layer(layer.tensor, layer.node, layer.output, wq, layer.bias, layer.index)
    return lambda x: q.conv(uniform_apply(x, bits, alpha, signed))


def bits_per_activation(shapes, keep=None, bits=None, levels: int = 3) -> float:
    """Bits of the compressed inputs over their activations, for maps of ``shapes``
    ((C, H, W) each): WCC (``keep``) stores ``floor(keep * N)`` int8 columns and an N-bit
    bitmap (N padded positions); uniform stores ``bits`` per activation."""
    acts = sum(c * h * w for c, h, w in shapes)
    if keep is None:
        return float(bits)
    b = 2**levels
    total = 0
    for c, h, w in shapes:
        n = -(-h // b) * b * (-(-w // b) * b)
        total += 8 * k_from_keep(keep, n) * c + n
    return total / acts


class Calibration:
    """The calibration photos' layer inputs from the float network, and the parameters found
    on them (cached per layer and keep, or layer and bits)."""

    def __init__(self, det: SegmentedDetector, photos, side: int, tick=lambda: None):
        self.layers = det.layers
        self.maps = {lay.index: [] for lay in self.layers}
        for photo in photos:
            _, _, inputs = det.run(data.det_input(photo, photo_size(photo, side)), record=True)
            for i, x in inputs.items():
                self.maps[i].append(x.astype(np.float32))
            tick()
        self._wcc, self._uni, self._alpha_x = {}, {}, {}

    def wcc(self, index: int, keep) -> IntParams:
        key = (index, check_keep(keep))
        if key not in self._wcc:
            if index not in self._alpha_x:  # the input's clip does not depend on keep
                self._alpha_x[index] = mse_best_alpha(_concat(self.maps[index]), 8)
            self._wcc[key] = calibrate_wcc(self.maps[index], self.layers[index], key[1],
                                           self._alpha_x[index])
        return self._wcc[key]

    def uniform(self, index: int, bits) -> tuple[float, bool]:
        key = (index, check_bits(bits))
        if key not in self._uni:
            self._uni[key] = uniform_clip(self.maps[index], key[1])
        return self._uni[key]


def replacements(cal: Calibration, method: str, indices, bits) -> dict:
    """``{index: callable}`` of one configuration (``method`` ``wcc`` or ``uniform``)."""
    layers = cal.layers
    if method == "wcc":
        return {i: wcc_int_layer(layers[i], cal.wcc(i, bits / 8), bits / 8) for i in indices}
    if method == "uniform":
        return {i: uniform_layer(layers[i], bits, *cal.uniform(i, bits)) for i in indices}
    raise ValueError(f"method must be 'wcc' or 'uniform', got {method!r}")


def measure(photos=DEFAULT_PHOTOS, calib=DEFAULT_CALIB, side=DEFAULT_SIDE, bits=DEFAULT_BITS,
            breakdown_keep=BREAKDOWN_KEEP, breakdown=True, threads: int = 1,
            progress: bool = True) -> dict:
    """The whole study: ``{settings, records, breakdown, maps, seconds}``.

    ``records``: one dict per (method, scope, effective bits, photo) with the metrics of
    :func:`wcc.netmetrics.compare` and ``bits_per_activation``. ``breakdown``: one per
    (layer, method, photo), one layer compressed at a time. ``maps``: the first photo's
    probability maps at 2 effective bits (float, and per method and scope) for the figure.
    """
    from tqdm import tqdm

    photos, calib = check_photos(photos, "photos"), check_photos(calib, "calib")
    both = sorted(set(photos) & set(calib))
    if both:
        raise ValueError(f"calibration and measurement photos must differ, both have {both}")
    bits = [check_bits(b) for b in bits]
    breakdown_keep = check_keep(breakdown_keep)
    side = check_side(side)
    t0 = time.time()
    det = SegmentedDetector(threads)
    layers = det.layers
    scopes = {"all": [lay.index for lay in layers], "highres": highres_indices(layers)}
    bd_bits = max(1, round(8 * breakdown_keep))
    steps = len(calib) + len(photos) * (1 + 4 * len(bits) + (2 * len(layers) if breakdown else 0))
    bar = tqdm(total=steps, desc="wcc network", unit="pass", file=sys.stderr,
               disable=not progress)
    cal = Calibration(det, calib, side, tick=lambda: bar.update())
    records, per_layer, maps = [], [], {}
    for n, photo in enumerate(photos):
        x = data.det_input(photo, photo_size(photo, side))
        ref = det.original(x)
        _, states, inputs = det.run(x, record=True)
        shapes = {i: m.shape for i, m in inputs.items()}
        if n == 0:
            maps = {"photo": photo, "float": ref}
        bar.update()
        for scope, idx in scopes.items():
            for b in bits:
                for method in ("wcc", "uniform"):
                    prob = det.run(x, replacements(cal, method, idx, b), start=states)
                    keep = b / 8 if method == "wcc" else None
                    records.append(dict(
                        method=method, scope=scope, effective_bits=b, keep=keep, photo=photo,
                        layers=len(idx), bits_per_activation=bits_per_activation(
                            [shapes[i] for i in idx], keep, b),
                        **netmetrics.compare(ref, prob)))
                    if n == 0 and b == 2:
                        maps[f"{method}_{scope}"] = prob
                    bar.update()
        if not breakdown:
            continue
        for lay in layers:
            for method in ("wcc", "uniform"):
                prob = det.run(x, replacements(cal, method, [lay.index], bd_bits),
                               start=states)
                c, h, w = shapes[lay.index]
                per_layer.append(dict(
                    layer=lay.tensor, node=lay.node, index=lay.index, c_in=c, c_out=lay.c_out,
                    h=h, w=w, method=method, effective_bits=bd_bits,
                    keep=breakdown_keep if method == "wcc" else None, photo=photo,
                    **netmetrics.compare(ref, prob)))
                bar.update()
    bar.close()
    settings = dict(
        photos=list(photos), calib=list(calib), side=side, bits=bits,
        sizes={p: list(photo_size(p, side)) for p in photos + calib},
        breakdown_keep=breakdown_keep if breakdown else None, breakdown_bits=bd_bits,
        highres=[layers[i].tensor for i in scopes["highres"]], threshold=netmetrics.THRESHOLD,
        min_area=netmetrics.MIN_AREA, match_iou=netmetrics.MATCH_IOU, levels=3, coef_bits=8,
        weight_bits=8, onnxruntime_threads=threads)
    return dict(settings=settings, records=records, breakdown=per_layer, maps=maps,
                seconds=time.time() - t0)


def hw_check(layer: str, photo: str = DEFAULT_PHOTOS[0], calib=DEFAULT_CALIB,
             side: int = DEFAULT_SIDE, keep=BREAKDOWN_KEEP, threads: int = 1,
             log=print) -> dict:
    """One pass with every layer WCC at ``keep``, ``layer`` through the RTL (Verilator): whether
    the RTL's int8 output equals :func:`golden.wcc_int`'s there, and whether the network's
    probability map equals the all-golden pass's."""
    from .simulate import simulate_frames

    keep = check_keep(keep)
    (photo,), calib = check_photos([photo], "photo"), check_photos(calib, "calib")
    det = SegmentedDetector(threads)
    target = find_layer(layer, det.layers)
    cal = Calibration(det, calib, side)
    gold = replacements(cal, "wcc", range(len(det.layers)), 8 * keep)
    params = cal.wcc(target.index, keep)
    seen = {}

    def through_rtl(x):
        xi = quantize_input(x, params.scales["x"])
        golden_out = wcc_int(xi, params, keep=keep)
        c, h, w = xi.shape
        k = k_from_keep(keep, (-(-h // 8) * 8) * (-(-w // 8) * 8))
        log(f"simulating {target.tensor} ({c} x {h} x {w} -> {target.c_out}, k = {k}) ...")
        rec = simulate_frames([(xi, params, k)], name=f"network_{c}_{h}_{w}", stages=False)
        out = rec["maps"][-1]
        seen.update(rtl_bit_exact=bool(np.array_equal(out, golden_out)), c_in=c, h=h, w=w, k=k,
                    cycles=rec["cycles_per_frame"], sim_s=round(rec["sim_s"], 1))
        return out * params.scales["out"]

    x = data.det_input(photo, photo_size(photo, side))
    ref = det.original(x)
    p_gold = det.run(x, gold)
    p_hw = det.run(x, {**gold, target.index: through_rtl})
    res = dict(layer=target.tensor, photo=photo, side=side, keep=keep, **seen,
               network_equal=bool(np.array_equal(p_gold, p_hw)),
               golden=netmetrics.compare(ref, p_gold), hw=netmetrics.compare(ref, p_hw))
    return res


def _arg(check, cast):
    """An argparse ``type=`` that runs a check and reports its ValueError as the message."""
    def parse(text):
        try:
            return check(cast(text))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = check.__name__.removeprefix("check_")
    return parse


def _items(text) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _csv(check, cast=str):
    """An argparse ``type=`` for a comma-separated list, each item cast and checked."""
    def parse(text):
        try:
            return [check(cast(t)) for t in _items(text)] or [check(None)]
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def _int(text):
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected an integer, got {text!r}") from None


def _layer(text):
    find_layer(text)
    return text


def main(args) -> int:
    """The ``network`` subcommand."""
    from . import netreport
    from .args import UsageError

    out = Path(args.out)
    side = args.side or (QUICK["side"] if args.quick else DEFAULT_SIDE)
    calib = args.calib or list(QUICK["calib"] if args.quick else DEFAULT_CALIB)
    if args.hw:
        ignored = [o for o, given in (("--bits", args.bits), ("--no-breakdown", args.no_breakdown),
                                      ("--breakdown-keep", args.breakdown_keep != BREAKDOWN_KEEP))
                   if given]
        if ignored:
            raise UsageError(f"--hw runs one all-WCC pass at --hw-keep: drop {', '.join(ignored)}")
        res = hw_check(args.hw, (args.photos or list(DEFAULT_PHOTOS))[0], calib, side,
                       args.hw_keep, args.threads)
        out.mkdir(parents=True, exist_ok=True)
        (out / "hw.json").write_text(json.dumps(res, indent=1))
        print(json.dumps(res, indent=1) if args.json else netreport.hw_text(res))
        return 0 if res.get("rtl_bit_exact") and res["network_equal"] else 1
    if args.hw_keep != BREAKDOWN_KEEP:
        raise UsageError("--hw-keep is the keep of the --hw pass: give --hw LAYER or drop it")
    res = measure(args.photos or list(QUICK["photos"] if args.quick else DEFAULT_PHOTOS),
                  calib, side, args.bits or list(DEFAULT_BITS), args.breakdown_keep,
                  breakdown=not args.no_breakdown, threads=args.threads)
    netreport.write(res, out)
    if args.json:
        print(json.dumps({k: v for k, v in res.items() if k != "maps"}))
    else:
        print(netreport.claim_text(res["records"]))
        print(f"{res['seconds']:.0f} s; wrote {out}/network.json, network.md, "
              f"network_bits.png, network_maps.png")
    return 0


def add_parser(subparsers) -> None:
    """Register ``wcc network``."""
    from .args import map_help

    p = subparsers.add_parser("network", help="the OCR detector with its 1x1 convs compressed: "
                              "end-task quality against bits", description=__doc__.split("\n\n")[0],
                              epilog_fn=lambda: map_help(spatial_only=True))
    p.add_argument("--photos", type=_arg(check_photos, _items),
                   help="measurement photos, comma-separated (default page,text,coins,rocket)")
    p.add_argument("--calib", type=_arg(check_photos, _items),
                   help="calibration photos, comma-separated (default astronaut,coffee,chelsea)")
    p.add_argument("--side", type=_arg(check_side, _int),
                   help=f"longer photo side in pixels, a multiple of 32 (default {DEFAULT_SIDE},"
                        f" quick {QUICK['side']})")
    p.add_argument("--bits", type=_csv(check_bits, _int),
                   help="effective bits, comma-separated integers in [1, 8] (default 8,4,2,1)")
    p.add_argument("--breakdown-keep", type=_arg(check_keep, float), default=BREAKDOWN_KEEP,
                   help="keep of the one-layer-at-a-time breakdown (default 0.25)")
    p.add_argument("--no-breakdown", action="store_true", help="skip the per-layer breakdown")
    p.add_argument("--threads", type=int, choices=(1, 2), default=1,
                   help="onnxruntime threads (default 1)")
    p.add_argument("--hw", metavar="LAYER", type=_arg(_layer, str),
                   help="run LAYER (e.g. p2o.Add.35) through the RTL in one all-WCC pass of the "
                        "first photo and check it against the golden model")
    p.add_argument("--hw-keep", type=_arg(check_keep, float), default=BREAKDOWN_KEEP,
                   help="keep of the --hw pass (default 0.25)")
    p.add_argument("--out", default="build/network", help="output folder (default "
                   "build/network)")
    p.add_argument("--quick", action="store_true", help=f"smoke run: calibration "
                   f"{','.join(QUICK['calib'])}, photos {','.join(QUICK['photos'])}, side "
                   f"{QUICK['side']}")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=main)
