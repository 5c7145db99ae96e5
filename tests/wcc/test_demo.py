"""Tests of wcc/demo.py (``wcc demo``) on a small copy of the real OCR layer."""

import numpy as np
import pytest

from golden.int_model import wcc_int
from wcc import cli, demo

PNG = b"\x89PNG\r\n\x1a\n"


def test_bops_by_hand():
    # c_in 2, c_out 3, 8x8 map, 3 levels: 16, 4, 1 blocks per channel at levels 1, 2, 3.
    assert demo.bops(2, 3, 8, 8, None)["total"] == 3 * 2 * 64 * 64
    b = demo.bops(2, 3, 8, 8, 16)
    assert b["conv"] == 3 * 2 * 16 * 64
    assert b["fwd"] == 2 * 8 * (10 * 16 + 12 * 4 + 14 * 1)
    assert b["inv"] == 3 * 8 * 21 * (16 + 4 + 1)
    assert b["total"] == b["conv"] + b["fwd"] + b["inv"]


def test_run_demo_small(tmp_path):
    lines, seen = [], []

    def fake_hw(x_int, params, keep, golden_out):
        # stands in for the simulated accelerator: rerun the spec on what it is given, and
        # spoil one pixel at keep 1/2 (its picture must say so)
        seen.append(keep)
        out = wcc_int(x_int, params, keep=keep)
        exact = bool(np.array_equal(out, golden_out))
        if keep == 0.5:
            out = out.copy()
            out[0, 0, 0] ^= 1
        return {"bit_exact": exact, "out": out}

    demo.register_hw_runner(fake_hw)
    try:
        rows = demo.run_demo(tmp_path, layer=dict(size=64), log=lines.append)
    finally:
        demo.HW_RUNNERS.remove(fake_hw)
    assert seen == [1.0, 0.5, 0.25, 0.125]
    assert all(r["hw"] == [{"bit_exact": True}] for r in rows)
    assert [r["hw_picture"] for r in rows] == ["bit-exact", "DIFFERS", "bit-exact", "bit-exact"]
    assert [r["k"] for r in rows] == [256, 128, 64, 32]  # 16x16 map
    for r in rows:
        assert r["bits_per_act"] == pytest.approx(8 * r["keep"] + 1 / 48)
        assert all(np.isfinite(r[k]) for k in ("sqnr_float", "sqnr_int", "sqnr_int_v"))
        assert r["sqnr_float"] - r["sqnr_int"] <= 1.5
    assert rows[0]["bops_ratio"] > 1 > rows[1]["bops_ratio"] > rows[-1]["bops_ratio"]
    assert any("GBOPs" in s for s in lines)
    for name in ("figure3_map.png", "outputs_by_keep.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG


def test_cli_demo(tmp_path, capsys):
    assert cli.main(["demo", "--size", "64", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "p2o.Add.35" in out and out.count("\n") >= 7
    assert f"report: {tmp_path / 'report.md'}" in out
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("# WCC demo: p2o.Add.35 on astronaut at 64 px")
    table = [ln for ln in report.splitlines() if ln.startswith("| ")]
    assert len(table) == 1 + 4 and "RTL" not in table[0]  # header and one row per keep
    assert [ln.split(" | ")[0] for ln in table[1:]] == ["| 1", "| 0.5", "| 0.25", "| 0.125"]
    for picture in ("figure3_map.png", "outputs_by_keep.png"):
        assert f"]({picture})" in report and (tmp_path / picture).exists()


def test_markdown_report_with_rtl_columns():
    # The rows as run_demo returns them with the RTL runner (wcc.simulate.hw_runner's keys).
    bops = {"total": 2.5e9, "conv": 2e9, "fwd": 0.3e9, "inv": 0.2e9}
    rows = [dict(keep=k, k=int(16384 * k), bits_per_act=8 * k + 1 / 48, bops=bops,
                 bops_ratio=k, sqnr_float=20.0 * k, sqnr_int=19.5 * k, sqnr_int_v=19.7 * k,
                 hw=[{"bit_exact": k != 0.5, "cycles_per_frame": int(589824 * k) + 125,
                      "dense_cycles": 589824, "speedup": round(589824 / (589824 * k + 125), 2),
                      "sim_s": 10.0}])
            for k in (1.0, 0.5)]
    text = demo.markdown_report(dict(tensor="p2o.Add.35", photo="astronaut", size=512), rows,
                                ["layer: L", "dense: D", "more"])
    table = [ln for ln in text.splitlines() if ln.startswith("| ")]
    assert table[0].endswith("| RTL bit-exact | RTL cycles/frame | speedup vs dense |")
    assert table[1].split(" | ")[-3:] == ["yes", "589949", "1.0 |"]
    assert table[2].split(" | ")[-3:] == ["NO", "295037", "2.0 |"]
    assert "the RTL's output](outputs_by_keep.png)" in text
    assert text.count("```") == 2 and "more" in text
