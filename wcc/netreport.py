"""Tables and pictures of ``wcc network``: the Markdown report, the metric-against-bits figure
(the paper's Figure 4 kind) and the probability maps at 2 effective bits. Matplotlib's Agg
backend: no display needed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import netmetrics
from .evalplot import _plt

METHODS = ("wcc", "uniform")
SCOPES = ("all", "highres")
SCOPE_TEXT = {"all": "all 22 layers", "highres": "high-resolution layers"}
STYLE = {"wcc": "tab:blue", "uniform": "tab:red"}
LINE = {"all": "-", "highres": "--"}
# Each scope its own marker too: in a legend handle of the default length the marker covers
# the dash, so the line style alone left "all layers" and "high-resolution" looking the same.
MARKER = {"all": "o", "highres": "s"}
METRICS = (("box_f1", "box F1 (IoU >= 0.5)"), ("mask_iou", "text-mask IoU (p > 0.3)"),
           ("prob_mad", "probability map mean |difference|"))


def _mean(records, **match) -> dict:
    """Mean of every metric over the records matching ``match``, and their count."""
    rows = [r for r in records if all(r.get(k) == v for k, v in match.items())]
    out = {k: float(np.mean([r[k] for r in rows])) if rows else float("nan")
           for k, _ in METRICS + (("bits_per_activation", ""),) if not rows or k in rows[0]}
    out["n"] = len(rows)
    return out


def summary_table(records, bits) -> str:
    """Mean over the photos of each metric, per scope and effective bits, WCC beside uniform."""
    lines = ["| layers | effective bits | WCC bits/act. | box F1 WCC | box F1 uniform | "
             "mask IoU WCC | mask IoU uniform | prob. MAD WCC | prob. MAD uniform |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for scope in SCOPES:
        for b in bits:
            w = _mean(records, method="wcc", scope=scope, effective_bits=b)
            u = _mean(records, method="uniform", scope=scope, effective_bits=b)
            if not w["n"]:
                continue
            lines.append(f"| {SCOPE_TEXT[scope]} | {b} | {w['bits_per_activation']:.3f} | "
                         f"{w['box_f1']:.3f} | {u['box_f1']:.3f} | {w['mask_iou']:.3f} | "
                         f"{u['mask_iou']:.3f} | {w['prob_mad']:.4f} | {u['prob_mad']:.4f} |")
    return "\n".join(lines) + "\n"


def _pair(records, scope, b, photo):
    get = {r["method"]: r for r in records
           if r["scope"] == scope and r["effective_bits"] == b and r["photo"] == photo}
    return get.get("wcc"), get.get("uniform")


def _cmp(a, b, higher_better=True) -> str:
    if a == b:
        return "tie"
    return "WCC" if (a > b) == higher_better else "uniform"


def photo_table(records, bits=(2, 1)) -> str:
    """Per photo, scope and bits (2 and 1): both methods' box F1 and mask IoU, and the better."""
    lines = ["| photo | layers | bits | boxes (float) | box F1 WCC / uniform | better F1 | "
             "mask IoU WCC / uniform | better IoU |", "|---|---|--:|--:|---|---|---|---|"]
    photos = list(dict.fromkeys(r["photo"] for r in records))
    for b in bits:
        for scope in SCOPES:
            for p in photos:
                w, u = _pair(records, scope, b, p)
                if not (w and u):
                    continue
                lines.append(f"| {p} | {SCOPE_TEXT[scope]} | {b} | {w['boxes_ref']} | "
                             f"{w['box_f1']:.3f} / {u['box_f1']:.3f} | "
                             f"{_cmp(w['box_f1'], u['box_f1'])} | {w['mask_iou']:.3f} / "
                             f"{u['mask_iou']:.3f} | {_cmp(w['mask_iou'], u['mask_iou'])} |")
    return "\n".join(lines) + "\n"


def claim_text(records, bits=(2, 1)) -> str:
    """Whether WCC beats uniform at 2 and 1 effective bits: per scope, the photos where its
    mask IoU is higher, and where its box F1 is higher, equal or lower."""
    out = []
    photos = list(dict.fromkeys(r["photo"] for r in records))
    for b in bits:
        for scope in SCOPES:
            pairs = {p: _pair(records, scope, b, p) for p in photos}
            pairs = {p: v for p, v in pairs.items() if v[0] and v[1]}
            if not pairs:
                continue
            iou = {p: _cmp(w["mask_iou"], u["mask_iou"]) for p, (w, u) in pairs.items()}
            f1 = {p: _cmp(w["box_f1"], u["box_f1"]) for p, (w, u) in pairs.items()}

            def who(d, winner):
                return ", ".join(p for p, v in d.items() if v == winner) or "none"

            out.append(f"- {b} bit(s), {SCOPE_TEXT[scope]}: mask IoU higher with WCC on "
                       f"{who(iou, 'WCC')}; with uniform on {who(iou, 'uniform')}"
                       + (f"; equal on {who(iou, 'tie')}" if "tie" in iou.values() else "")
                       + f". Box F1 higher with WCC on {who(f1, 'WCC')}; with uniform on "
                       f"{who(f1, 'uniform')}; equal on {who(f1, 'tie')}.")
    return "\n".join(out)


def breakdown_table(rows) -> str:
    """One layer compressed at a time: mean over photos per layer, the costliest (lowest WCC
    mask IoU) first."""
    if not rows:
        return ""
    layers = list(dict.fromkeys(r["layer"] for r in rows))
    stats = []
    for name in layers:
        w = _mean(rows, layer=name, method="wcc")
        u = _mean(rows, layer=name, method="uniform")
        first = next(r for r in rows if r["layer"] == name)
        stats.append((w["mask_iou"], name, first, w, u))
    stats.sort(key=lambda s: (s[0], s[1]))
    b = rows[0]["effective_bits"]
    keep = next(r["keep"] for r in rows if r["method"] == "wcc")
    lines = [f"| layer (input) | conv | C_in x H x W ({first['photo']}) | C_out | mask IoU "
             f"WCC {keep:g} | mask IoU uniform {b}-bit | box F1 WCC | box F1 uniform | "
             f"prob. MAD WCC | prob. MAD uniform |",
             "|---|---|---|--:|--:|--:|--:|--:|--:|--:|"]
    for _, name, r, w, u in stats:
        lines.append(f"| {name} | {r['node']} | {r['c_in']} x {r['h']} x {r['w']} | "
                     f"{r['c_out']} | {w['mask_iou']:.3f} | {u['mask_iou']:.3f} | "
                     f"{w['box_f1']:.3f} | {u['box_f1']:.3f} | {w['prob_mad']:.4f} | "
                     f"{u['prob_mad']:.4f} |")
    return "\n".join(lines) + "\n"


def markdown(res) -> str:
    """The whole report."""
    s = res["settings"]
    sizes = ", ".join(f"{p} {h}x{w}" for p, (h, w) in s["sizes"].items())
    text = [
        "# PP-OCRv4 detector with compressed 1x1 convolutions\n",
        f"Calibration photos: {', '.join(s['calib'])}. Measurement photos: "
        f"{', '.join(s['photos'])}. Input sizes (H x W): {sizes}. High-resolution layers "
        f"(side >= 64 at 512 x 512): {', '.join(s['highres'])}. Metrics against the float "
        f"model's own output; means over the measurement photos. Run time "
        f"{res['seconds']:.0f} s.\n",
        summary_table(res["records"], s["bits"]),
        photo_table(res["records"]),
        claim_text(res["records"]) + "\n",
    ]
    if res.get("breakdown"):
        text += ["\n## One layer compressed at a time\n", breakdown_table(res["breakdown"])]
    return "\n".join(text)


def bits_figure(records):
    """The figure of :func:`figure_bits`, not saved (the caller closes it).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per metric; the first holds the legend.
    """
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    photos = list(dict.fromkeys(r["photo"] for r in records))
    for ax, (key, label) in zip(axes, METRICS, strict=True):
        for method in METHODS:
            for scope in SCOPES:
                rows = [r for r in records if r["method"] == method and r["scope"] == scope]
                bits = sorted({r["effective_bits"] for r in rows})
                if not bits:
                    continue
                for p in photos:
                    v = [next(r[key] for r in rows if r["photo"] == p and r["effective_bits"] == b)
                         for b in bits]
                    ax.plot(bits, v, color=STYLE[method], ls=LINE[scope], lw=0.6, alpha=0.35)
                mean = [np.mean([r[key] for r in rows if r["effective_bits"] == b]) for b in bits]
                ax.plot(bits, mean, color=STYLE[method], ls=LINE[scope], lw=2,
                        marker=MARKER[scope], label=f"{method}, {SCOPE_TEXT[scope]}")
        ax.set_xscale("log", base=2)
        ax.set_xticks([1, 2, 4, 8], ["1", "2", "4", "8"])
        ax.set_xlabel("effective bits per activation (WCC: 8 bits x keep)")
        ax.set_title(label, fontsize=10)
        ax.grid(True, alpha=0.3)
    axes[2].set_yscale("log")
    axes[0].legend(fontsize=8, handlelength=4)  # long enough to show the dashes
    fig.suptitle(f"PP-OCRv4 detector, 1x1 convs compressed: agreement with the float model "
                 f"(thin: {', '.join(photos)}; bold: mean)", fontsize=10)
    fig.tight_layout()
    return fig


def figure_bits(records, path) -> None:
    """Box F1, mask IoU and probability MAD against effective bits: one colour per method,
    solid lines and circles for all layers, dashed lines and squares for the high-resolution
    ones; thin lines per photo, bold the mean."""
    plt = _plt()
    fig = bits_figure(records)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def figure_maps(maps, size, path) -> None:
    """The photo and the float map (left), WCC (middle) and uniform (right) at 2 effective
    bits, all layers (top) and high-resolution layers only (bottom)."""
    from . import data

    plt = _plt()
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.4 * size[0] / size[1] + 1.2))
    img = data.load_photo(maps["photo"], tuple(size)).transpose(1, 2, 0).squeeze()
    axes[0, 0].imshow(img, cmap="gray")
    axes[0, 0].set_title(f"photo '{maps['photo']}' {size[0]}x{size[1]}", fontsize=9)
    panels = [((1, 0), "float", "float model")]
    for col, method in ((1, "wcc"), (2, "uniform")):
        for row, scope in enumerate(SCOPES):
            panels.append(((row, col), f"{method}_{scope}",
                           f"{method} 2 bits, {SCOPE_TEXT[scope]}"))
    for (r, c), key, title in panels:
        if key not in maps:
            axes[r, c].axis("off")
            continue
        axes[r, c].imshow(maps[key], cmap="viridis", vmin=0, vmax=1)
        if key != "float":
            m = netmetrics.compare(maps["float"], maps[key])
            title += f"\nIoU {m['mask_iou']:.3f}, box F1 {m['box_f1']:.3f}"
        else:
            title += f" ({len(netmetrics.find_boxes(maps[key]))} boxes)"
        axes[r, c].set_title(title, fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write(res, out) -> None:
    """network.json, network.md, network_bits.png and network_maps.png in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "network.json").write_text(json.dumps(
        {k: v for k, v in res.items() if k != "maps"}, indent=1))
    (out / "network.md").write_text(markdown(res))
    figure_bits(res["records"], out / "network_bits.png")
    if res["maps"]:
        size = res["settings"]["sizes"][res["maps"]["photo"]]
        figure_maps(res["maps"], size, out / "network_maps.png")


def hw_text(res) -> str:
    """The ``--hw`` check in words."""
    yes = {True: "yes", False: "NO", None: "not run"}
    return "\n".join([
        f"layer {res['layer']} through the RTL (Verilator) in an all-WCC pass at keep "
        f"{res['keep']:g} on '{res['photo']}' (longer side {res['side']}): "
        f"{res.get('c_in')} x {res.get('h')} x {res.get('w')}, k = {res.get('k')}",
        f"RTL int8 output equals golden.wcc_int: {yes[res.get('rtl_bit_exact')]}",
        f"network probability map equals the golden pass's: {yes[res['network_equal']]}",
        f"against the float model: golden IoU {res['golden']['mask_iou']:.4f}, box F1 "
        f"{res['golden']['box_f1']:.3f}; with the RTL IoU {res['hw']['mask_iou']:.4f}, box F1 "
        f"{res['hw']['box_f1']:.3f}",
        f"RTL: {res.get('cycles')} cycles per frame, {res.get('sim_s')} s simulated",
    ])
