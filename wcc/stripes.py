"""``wcc eval --stripe-table``: what a top-k per stripe of block rows costs against the
frame-wide top-k, on the real maps of ``wcc eval``.

For each map (:func:`wcc.evaluate.load_map`, OCR maps and photos at ``size``, default 512) and
keep (1/2, 1/4, 1/8), the layer is calibrated once (:func:`golden.calibrate`, frame-wide, so
that every variant runs with the same integer parameters and only the selection differs) and
run through :func:`golden.wcc_int` with:

* ``frame``: one top-k over the frame (``stripe_rows=None``, the paper's method);
* ``plain`` for S in 1, 2, 4: ``stripe_rows=S``, the frame's k split over the stripes by their
  size (:func:`golden.stripes.stripe_quotas`);
* ``balanced`` for the same S: the frame's k split in proportion to each stripe's sum of
  squared score codes (:func:`golden.stripes.balanced_quotas`, :func:`golden.stripes.
  stripe_weight`), passed to ``wcc_int`` as one k per stripe. Every stripe's weight is
  known before the first stripe's selection here: in hardware that is a pre-pass over the
  map (one accumulator per stripe) or the previous frame's weights.

Metrics: ``sqnr_db`` of the dequantized int8 output against the exact float 1x1 conv
(:func:`golden.conv1x1`, float weights and bias), and ``loss_db = sqnr(frame) - sqnr``.
:func:`store_bits` gives the top-k store each S needs.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from golden.calibrate import calibrate, dequantize_output
from golden.int_model import wcc_int
from golden.quant import sqnr_db
from golden.stripes import balanced_quotas, block_rows, stripe_bounds, stripe_weight
from golden.topk import code_bits, layer_score_bits, score_code
from golden.wcc_float import conv1x1

from .evaluate import DEFAULT_MAPS, load_map

STRIPE_ROWS = (1, 2, 4)
KEEPS = (0.5, 0.25, 0.125)
VARIANTS = ("plain", "balanced")
QUICK_MAPS = ("ocr:p2o.Add.35@astronaut", "photo:camera")
# The shapes of the OCR maps at the eval's 512 x 512 input: (C_in, H, W).
OCR_SHAPES = ((32, 128, 128), (48, 128, 128), (96, 64, 64), (192, 32, 32), (18, 64, 64))


def store_bits(c_in: int, h: int, w: int, stripe_rows=None, levels: int = 3) -> dict:
    """Top-k store of one stripe (``stripe_rows=None``: the frame), in bits.

    With ``B = 2**levels``, padded sizes ``Hp, Wp`` and ``rows = min(S * B, Hp)`` image rows
    per stripe (``Hp`` for the frame), ``n = rows * Wp`` positions:

    * ``coefficients = n * C_in * 8`` (the int8 coefficients, as the top-k stores them);
    * ``codes = n * code_bits`` (the score code, 12 bits up to 2048 channels at 3 levels);
    * ``histogram = nbins * bit_length(n)``, ``nbins`` = the largest code + 1;
    * ``total`` their sum. A stripe streamed in while the previous one is emitted doubles it.
    """
    b = 2**levels
    hp, wp = -(-h // b) * b, -(-w // b) * b
    rows = hp if stripe_rows is None else min(stripe_rows * b, hp)
    n = rows * wp
    sbits = layer_score_bits(c_in, levels)
    nbins = int(score_code(np.array([(1 << sbits) - 1]))[0]) + 1
    out = dict(rows=rows, positions=n, coefficients=n * c_in * 8,
               codes=n * code_bits(sbits), histogram=nbins * n.bit_length())
    out["total"] = out["coefficients"] + out["codes"] + out["histogram"]
    return out


def _int_sqnr(ref, xi, params, **kw) -> float:
    return float(sqnr_db(ref, dequantize_output(wcc_int(xi, params, **kw), params)))


def map_rows(spec: str, size: int = 512, keeps=KEEPS, stripe_rows=STRIPE_ROWS) -> list[dict]:
    """Every (keep, S, variant) record of one map (module doc)."""
    x, wt, b = load_map(spec, size)
    c, h, w = x.shape
    ref = conv1x1(x, wt, b)
    rows = []
    for keep in keeps:
        params, xi = calibrate(x, wt, b, keep=keep)
        out, tr = wcc_int(xi, params, keep=keep, trace=True)
        frame = float(sqnr_db(ref, dequantize_output(out, params)))
        hp, wp = tr["padded"].shape[1:]
        base = dict(map=spec, shape=[c, h, w], keep=keep, block_rows=block_rows(hp, 3))

        def add(s, variant, sq, quotas, base=base, frame=frame):
            rows.append(dict(base, stripe_rows=s, variant=variant, n_stripes=len(quotas),
                             stripe_k=[int(v) for v in quotas], sqnr_db=sq, loss_db=frame - sq))

        add(None, "frame", frame, tr["stripe_k"])
        for s in stripe_rows:
            bounds = stripe_bounds(hp, wp, 3, s)
            o, ts = wcc_int(xi, params, keep=keep, stripe_rows=s, trace=True)
            add(s, "plain", float(sqnr_db(ref, dequantize_output(o, params))), ts["stripe_k"])
            q = balanced_quotas(tr["k"], bounds, stripe_weight(tr["code"], bounds))
            add(s, "balanced", _int_sqnr(ref, xi, params, k=q, stripe_rows=s), q)
    return rows


def run_table(maps=DEFAULT_MAPS, size: int = 512, keeps=KEEPS, stripe_rows=STRIPE_ROWS,
              progress: bool = True) -> list[dict]:
    """:func:`map_rows` of every map, with a tqdm bar on stderr."""
    from tqdm import tqdm

    rows = []
    for spec in tqdm(maps, desc="wcc eval --stripe-table", unit="map", file=sys.stderr,
                     disable=not progress):
        rows += map_rows(spec, size, keeps, stripe_rows)
    return rows


def summary(rows) -> list[dict]:
    """Per (keep, S, variant) and map kind (``ocr``, ``photo``): mean and worst loss (dB)."""
    groups = {}
    for r in rows:
        if r["variant"] == "frame":
            continue
        kind = r["map"].split(":", 1)[0]
        groups.setdefault((r["keep"], r["stripe_rows"], r["variant"], kind), []).append(r)
    out = []
    for (keep, s, variant, kind), rs in groups.items():
        worst = max(rs, key=lambda r: r["loss_db"])
        out.append(dict(keep=keep, stripe_rows=s, variant=variant, kind=kind, maps=len(rs),
                        mean_loss_db=float(np.mean([r["loss_db"] for r in rs])),
                        max_loss_db=worst["loss_db"], worst_map=worst["map"]))
    return out


def _s(s) -> str:
    return "frame" if s is None else str(s)


def summary_markdown(rows) -> str:
    """The summary as one Markdown row per (keep, S): mean / worst loss per kind and variant."""
    summ = {(r["keep"], r["stripe_rows"], r["variant"], r["kind"]): r for r in summary(rows)}
    kinds = sorted({k[3] for k in summ})
    keys = sorted({(k[0], k[1]) for k in summ}, key=lambda t: (-t[0], t[1]))
    head = "| keep | S |" + "".join(f" {v} {kind}: mean / worst loss dB |"
                                    for v in VARIANTS for kind in kinds)
    lines = [head, "|" + "---|" * (2 + len(VARIANTS) * len(kinds))]
    for keep, s in keys:
        cells = []
        for v in VARIANTS:
            for kind in kinds:
                r = summ.get((keep, s, v, kind))
                cells.append("-" if r is None else
                             f"{r['mean_loss_db']:.2f} / {r['max_loss_db']:.2f}")
        lines.append(f"| 1/{round(1 / keep)} | {s} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def maps_markdown(rows) -> str:
    """One row per (map, keep): frame SQNR and the loss of every (S, variant)."""
    by = {}
    for r in rows:
        by.setdefault((r["map"], r["keep"]), {})[(r["stripe_rows"], r["variant"])] = r
    cols = sorted({k for v in by.values() for k in v if k[1] != "frame"},
                  key=lambda t: (VARIANTS.index(t[1]), t[0]))
    lines = ["| map | C,H,W | keep | frame dB | " + " | ".join(
        f"{v} S={s} loss dB" for s, v in cols) + " |", "|" + "---|" * (4 + len(cols))]
    for (m, keep), v in by.items():
        f = v[(None, "frame")]
        lines.append(f"| {m} | {','.join(map(str, f['shape']))} | 1/{round(1 / keep)} | "
                     f"{f['sqnr_db']:.2f} | " + " | ".join(
                         f"{v[c]['loss_db']:.2f}" if c in v else "-" for c in cols) + " |")
    return "\n".join(lines) + "\n"


def store_markdown(shapes=OCR_SHAPES, stripe_rows=STRIPE_ROWS) -> str:
    """:func:`store_bits` (total, kbit) of every OCR map shape and S, and the coefficients."""
    ss = list(stripe_rows) + [None]
    lines = ["| C,H,W | " + " | ".join(f"S={_s(s)} kbit (coefficients)" for s in ss) + " |",
             "|" + "---|" * (1 + len(ss))]
    for c, h, w in shapes:
        cells = []
        for s in ss:
            sb = store_bits(c, h, w, s)
            cells.append(f"{sb['total'] / 1000:.0f} ({sb['coefficients'] / 1000:.0f})")
        lines.append(f"| {c},{h},{w} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown(rows) -> str:
    """The three tables of the stripe study, with their headings."""
    return ("Loss against the frame-wide top-k (dB), over the maps of each kind:\n\n"
            + summary_markdown(rows) + "\nPer map:\n\n" + maps_markdown(rows)
            + "\nTop-k store per stripe, kbit (int8 coefficients + 12-bit codes + histogram; "
            "the int8 coefficients alone in parentheses):\n\n" + store_markdown())


def main(args, out) -> int:
    """``wcc eval --stripe-table``: writes ``stripes.json`` and ``stripes.md`` into ``out``."""
    maps = args.maps or list(QUICK_MAPS if args.quick else DEFAULT_MAPS)
    size = args.size or (128 if args.quick else 512)
    s_list = STRIPE_ROWS if args.stripe_rows is None else (args.stripe_rows,)
    rows = run_table(maps, size, KEEPS, s_list)
    settings = dict(maps=maps, size=size, keeps=list(KEEPS), stripe_rows=list(s_list),
                    levels=3, coef_bits=8, weight_bits=8)
    store = {f"{c},{h},{w}": {_s(s): store_bits(c, h, w, s) for s in list(s_list) + [None]}
             for c, h, w in OCR_SHAPES}
    record = dict(settings=settings, records=rows, summary=summary(rows), store_bits=store)
    (out / "stripes.json").write_text(json.dumps(record, indent=1))
    md = markdown(rows)
    (out / "stripes.md").write_text(md)
    print(json.dumps(record) if args.json else md, end="\n" if args.json else "")
    if not args.json:
        print(f"wrote {out}/stripes.md, stripes.json")
    return 0
