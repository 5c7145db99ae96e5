"""Test vectors: every stage of the integer model, as ``.npz`` and as ``$readmemh`` hex files.

``write_vectors(outdir, config, seed)`` makes a random float layer (or takes a real one),
calibrates it, runs :func:`golden.wcc_int` with ``trace=True`` and writes

* ``vectors.npz``: every stage and every integer parameter (arrays, exact int64);
* one ``<stage>.hex`` per stage: one value per line, two's complement, ``ceil(bits/4)`` hex
  digits, in the order given in ``manifest.json`` (channel-fastest for maps, like the
  hardware's beats: ``x.hex`` is (H, W, C) raster order, position-order stages are (N, C));
* ``manifest.json``: config, seed, shapes, orders, bit widths and the integer parameters.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from golden.calibrate import calibrate
from golden.int_haar import coef_bits, inv_bits
from golden.int_model import wcc_int
from golden.topk import code_bits, layer_score_bits, pack_bitmap

DEFAULT_CONFIG = dict(c_in=8, c_out=8, height=16, width=16, levels=3, keep=0.25, relu=False)
DEFAULT_SEED = 0


def random_layer(config: dict, seed: int):
    """A smooth random map (so that Haar compresses it, like real activations) and a layer."""
    rng = np.random.default_rng(seed)
    c, h, w = config["c_in"], config["height"], config["width"]
    noise = rng.normal(size=(c, h + 8, w + 8))
    k = np.ones(5) / 5  # separable box blur: neighbouring pixels correlate
    smooth = np.apply_along_axis(lambda r: np.convolve(r, k, "same"), 1, noise)
    smooth = np.apply_along_axis(lambda r: np.convolve(r, k, "same"), 2, smooth)
    x = smooth[:, 4 : 4 + h, 4 : 4 + w] + 0.1 * rng.normal(size=(c, h, w))
    weight = rng.normal(size=(config["c_out"], c)) / np.sqrt(c)
    bias = 0.1 * rng.normal(size=config["c_out"])
    return x, weight, bias


def _hex_lines(values: np.ndarray, bits: int) -> str:
    digits = (bits + 3) // 4
    mask = (1 << bits) - 1
    return "".join(f"{int(v) & mask:0{digits}x}\n" for v in values.reshape(-1))


def write_vectors(outdir, config: dict | None = None, seed: int = 0, layer=None) -> dict:
    """Write the vectors of one configuration; returns the manifest.

    ``layer`` = ``(x, weight, bias)`` in float uses a real layer instead of a random one
    (``config``'s sizes are then taken from it).
    """
    cfg = dict(DEFAULT_CONFIG, **(config or {}))
    if layer is None:
        x, weight, bias = random_layer(cfg, seed)
    else:
        x, weight, bias = layer
        cfg.update(c_in=x.shape[0], c_out=weight.shape[0], height=x.shape[1], width=x.shape[2])
    params, xi = calibrate(x, weight, bias, keep=cfg["keep"], levels=cfg["levels"],
                           relu=cfg["relu"])
    out, tr = wcc_int(xi, params, keep=cfg["keep"], trace=True)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    lv = cfg["levels"]
    sb = layer_score_bits(cfg["c_in"], lv)
    stages = {
        # name: (array in hex order, bits, order description)
        "x": (tr["padded"].transpose(1, 2, 0), 8, "padded input (Hp, Wp, C_in), raster"),
        "coeffs": (tr["coeffs"].T, coef_bits(lv), "Haar coefficients (N, C_in), position order"),
        "q": (tr["q"].T, 8, "int8 coefficients (N, C_in), position order"),
        "score": (tr["score"], sb, "joint score (N,), position order"),
        "code": (tr["code"], code_bits(sb, params.mant_bits), "score code (N,)"),
        "bitmap": (pack_bitmap(tr["bitmap"]), 32, "bitmap, 32-bit words, bit p%32 of word p//32"),
        "cols": (tr["cols"].T, 8, "kept columns (k, C_in), position order"),
        "weight": (params.weight, 8, "int8 weights (C_out, C_in), row-major"),
        "acc": (tr["acc"].T, 32, "accumulators (k, C_out)"),
        "z": (tr["z"].T, params.z_bits, "requantized conv outputs (k, C_out)"),
        "zero_filled": (tr["zero_filled"].T, params.z_bits, "zero-filled (N, C_out)"),
        "v": (tr["v"].transpose(1, 2, 0), inv_bits(lv, params.z_bits),
              "inverse Haar (Hp, Wp, C_out), raster"),
        "bias": (params.bias, 32, "bias in v's scale (C_out,)"),
        "out": (tr["out"].transpose(1, 2, 0), 8, "int8 output (H, W, C_out), raster"),
    }
    files = {}
    for name, (arr, bits, order) in stages.items():
        (outdir / f"{name}.hex").write_text(_hex_lines(np.asarray(arr), bits))
        files[name] = dict(file=f"{name}.hex", shape=list(np.shape(arr)), bits=bits, order=order)
    np.savez(outdir / "vectors.npz", **{k: np.asarray(v) for k, v in tr.items()},
             weight=params.weight, bias=params.bias)
    manifest = dict(
        config=cfg, seed=seed, k=tr["k"], files=files,
        params={k: getattr(params, k) for k in (
            "m_coef", "sh_coef", "m_acc", "sh_acc", "m_out", "sh_out", "levels", "z_bits",
            "relu", "mant_bits")},
        scales={k: float(v) for k, v in params.scales.items()},
    )
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1, default=int))
    return manifest


def add_parser(sub) -> None:
    from .args import int_in, keep, map_help, ocr_tensor

    p = sub.add_parser(
        "vectors", help="write test vectors (npz + $readmemh hex) of every stage",
        description="Write the test vectors of one layer: every stage of the integer model "
                    "(golden.wcc_int with trace) as vectors.npz, one $readmemh .hex file per "
                    "stage and manifest.json (shapes, orders, bit widths, parameters). The "
                    "layer is random (--c-in, --c-out, --height, --width, --seed) or a real "
                    "OCR layer (--ocr TENSOR, on the astronaut photo at 512: its sizes come "
                    "from the model).",
        epilog_fn=lambda: map_help())
    p.add_argument("--out", default="build/vectors", help="output folder (default: %(default)s)")
    p.add_argument("--seed", type=int_in(0, 2**32 - 1),
                   help=f"random seed of the random layer (default {DEFAULT_SEED})")
    for key, hi in (("c_in", 4096), ("c_out", 4096), ("height", 4096), ("width", 4096)):
        p.add_argument(f"--{key.replace('_', '-')}", type=int_in(1, hi), metavar="N",
                       help=f"random layer's {key} in [1, {hi}] (default {DEFAULT_CONFIG[key]})")
    p.add_argument("--levels", type=int_in(1, 4), default=DEFAULT_CONFIG["levels"],
                   help="Haar levels, 1..4 (default %(default)s)")
    p.add_argument("--keep", type=keep, default=DEFAULT_CONFIG["keep"],
                   help="keep ratio in (0, 1] (default %(default)s)")
    p.add_argument("--relu", action="store_true", help="ReLU at the output")
    p.add_argument("--ocr", metavar="TENSOR", type=ocr_tensor,
                   help="a real OCR layer instead of a random one (e.g. p2o.Add.35)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from .args import UsageError

    sizes = {k: getattr(args, k) for k in ("c_in", "c_out", "height", "width")}
    given = [f"--{k.replace('_', '-')}" for k, v in sizes.items() if v is not None]
    if args.ocr and (given or args.seed is not None):
        raise UsageError(f"--ocr takes its sizes from the model: drop "
                         f"{', '.join(given + (['--seed'] if args.seed is not None else []))}")
    cfg = dict(DEFAULT_CONFIG, levels=args.levels, keep=args.keep, relu=args.relu,
               **{k: v for k, v in sizes.items() if v is not None})
    seed = DEFAULT_SEED if args.seed is None else args.seed
    layer = None
    if args.ocr:
        from .data import ocr_layer

        layer = ocr_layer(args.ocr)
    m = write_vectors(args.out, cfg, seed, layer=layer)
    print(f"seed {seed}: k = {m['k']}, {len(m['files'])} stages written to {args.out}")
    return 0
