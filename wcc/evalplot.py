"""Pictures and tables of ``wcc eval``: Figure 1 (MSE vs effective bits), Figure 3 (one map
compressed both ways) and the Markdown table. Matplotlib's Agg backend: no display needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

STYLE = {"uniform": ("tab:red", "-"), "wcc_float": ("tab:blue", "--"),
         "wcc_int": ("tab:green", ":")}


def _plt():
    import matplotlib

    matplotlib.use("Agg")  # headless: never open a window
    import matplotlib.pyplot as plt

    return plt


def _series(records, method, key):
    """{map: (bits, values)} of one method, sorted by bits."""
    out = {}
    for r in records:
        if r["method"] == method:
            out.setdefault(r["map"], []).append((r["effective_bits"], r[key]))
    return {m: tuple(np.array(v) for v in zip(*sorted(p), strict=True)) for m, p in out.items()}


def figure1(records, path) -> None:
    """Left: the map's relative MSE (mse / mean x^2) per effective bit rate, thin lines per map
    and the geometric mean bold; right: the 1x1-conv output SQNR (dB), mean over maps."""
    plt = _plt()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.2))
    for method, (color, ls) in STYLE.items():
        rel = _series(records, method, "mse_rel")
        sq = _series(records, method, "conv_sqnr_db")
        if not rel:
            continue
        for bits, v in rel.values():
            ax0.plot(bits, v, color=color, ls=ls, lw=0.6, alpha=0.35)
        bits = next(iter(rel.values()))[0]
        stack = np.array([v for _, v in rel.values()])
        ax0.plot(bits, np.exp(np.log(np.maximum(stack, 1e-300)).mean(0)), color=color, ls=ls,
                 lw=2.2, marker="o", label=f"{method} (geo. mean of {len(rel)} maps)")
        sq_stack = np.array([v for _, v in sq.values()])
        ax1.plot(bits, sq_stack.mean(0), color=color, ls=ls, lw=2.2, marker="o", label=method)
    ax0.set_yscale("log")
    ax0.set_xlabel("effective bits per activation (WCC: 8 bits x keep)")
    ax0.set_ylabel("activation-map MSE / mean(x^2)")
    ax0.set_title("Activation-map error (cf. paper Fig. 1)")
    ax1.set_xlabel("effective bits per activation")
    ax1.set_ylabel("1x1-conv output SQNR (dB), mean over maps")
    ax1.set_title("1x1 conv output vs exact float conv")
    for ax in (ax0, ax1):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def figure3_maps(x):
    """(channel, original, uniform 2-bit, WCC 25% @ 8-bit float) of the map's channel with the
    largest variance."""
    from golden.wcc_float import wcc_float

    from .evaluate import uniform_quantize

    ch = int(np.argmax(x.reshape(x.shape[0], -1).var(axis=1)))
    uq = uniform_quantize(x, 2)[0]
    wc = wcc_float(x, np.eye(x.shape[0]), keep=0.25, bits_w=None, bits_a=8)
    return ch, x[ch], uq[ch], wc[ch]


def figure3(x, path, title: str = "") -> None:
    """Original / uniform 2-bit / WCC 25% + 8-bit (top) and absolute errors (bottom)."""
    plt = _plt()
    ch, orig, uq, wc = figure3_maps(x)
    fig, axes = plt.subplots(2, 3, figsize=(10, 6.6))
    lo, hi = float(orig.min()), float(orig.max())
    emax = float(max(np.abs(uq - orig).max(), np.abs(wc - orig).max(), 1e-12))
    panels = [("original", orig), ("uniform 2-bit", uq), ("WCC 25% x 8-bit (= 2 bits)", wc)]
    for i, (name, img) in enumerate(panels):
        mse = float(np.mean((img - orig) ** 2))
        axes[0, i].imshow(img, cmap="gray", vmin=lo, vmax=hi)
        axes[0, i].set_title(name if i == 0 else f"{name}\nchannel MSE {mse:.3g}", fontsize=9)
        err = axes[1, i].imshow(np.abs(img - orig), cmap="magma", vmin=0, vmax=emax)
        axes[1, i].set_title("|error|", fontsize=9)
    for ax in axes.ravel():
        ax.axis("off")
    fig.colorbar(err, ax=axes[1, :].tolist(), shrink=0.8)
    fig.suptitle(f"{title} channel {ch} (cf. paper Fig. 3)", fontsize=10)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def markdown(records, claim) -> str:
    """One row per (map, effective bits): MSE and conv SQNR of the three methods."""
    rows = {}
    for r in records:
        rows.setdefault((r["map"], r["effective_bits"]), {})[r["method"]] = r
    lines = ["| map | C,H,W | bits | MSE uniform | MSE wcc_float | MSE wcc_int | SQNR uniform "
             "dB | SQNR wcc_float dB | SQNR wcc_int dB |", "|---|---|---|---|---|---|---|---|---|"]
    for (m, b), v in rows.items():
        any_r = next(iter(v.values()))
        shape = f"{any_r['c_in']},{any_r['h']},{any_r['w']}"
        mse = " | ".join(f"{v[k]['mse']:.3g}" if k in v else "-" for k in STYLE)
        sq = " | ".join(f"{v[k]['conv_sqnr_db']:.2f}" if k in v else "-" for k in STYLE)
        lines.append(f"| {m} | {shape} | {b} | {mse} | {sq} |")
    return "\n".join(lines) + "\n\n" + claim_text(claim) + "\n"


def claim_text(claim) -> str:
    """The paper's claim (WCC's map MSE below uniform's) at 2 and 1 effective bits, per map."""
    out = []
    for bits, per_map in claim.items():
        for method in ("wcc_float", "wcc_int"):
            key = f"{method}_below_uniform"
            fails = [m for m, v in per_map.items() if not v.get(key, True)]
            n = sum(key in v for v in per_map.values())
            verdict = "holds for every map" if not fails else f"FAILS for {fails}"
            out.append(f"- {bits} bit(s), {method} MSE < uniform MSE: {verdict} "
                       f"({n - len(fails)}/{n} maps)")
    return "\n".join(out)
