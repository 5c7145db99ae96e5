"""Tests of wcc/stripes.py (``wcc eval --stripe-table``) and of ``wcc eval --stripe-rows``."""

import json
from fractions import Fraction

import pytest

from golden.calibrate import calibrate, dequantize_output
from golden.int_model import wcc_int
from golden.quant import sqnr_db
from golden.wcc_float import conv1x1
from wcc import cli, evaluate, stripes


def test_store_bits_of_the_48_channel_ocr_map():
    frame = stripes.store_bits(48, 128, 128)
    assert frame["coefficients"] == 786432 * 8  # the 786 KB of int8 coefficients
    one = stripes.store_bits(48, 128, 128, 1)
    assert one["rows"] == 8 and one["positions"] == 8 * 128
    assert one["coefficients"] == 8 * 128 * 48 * 8 == frame["coefficients"] // 16
    assert one["codes"] == 8 * 128 * 12
    # 48 channels at 3 levels: 32-bit scores, largest code (32 - 7) * 128 + 127.
    assert one["histogram"] == (25 * 128 + 128) * (1024).bit_length()
    assert one["total"] == one["coefficients"] + one["codes"] + one["histogram"]
    assert stripes.store_bits(48, 128, 128, 4)["coefficients"] == 4 * one["coefficients"]


def test_store_bits_pads_and_caps_at_the_frame():
    # 37 x 29 pads to 40 x 32: 5 block rows; S = 8 is the whole frame.
    assert stripes.store_bits(3, 37, 29, 2)["positions"] == 16 * 32
    assert stripes.store_bits(3, 37, 29, 8) == stripes.store_bits(3, 37, 29)
    assert stripes.store_bits(3, 37, 29)["positions"] == 40 * 32


def test_map_rows_on_a_photo():
    spec, keep = "photo:camera", 0.25
    rows = stripes.map_rows(spec, 48, keeps=(keep,), stripe_rows=(1, 4))
    assert [(r["stripe_rows"], r["variant"]) for r in rows] == [
        (None, "frame"), (1, "plain"), (1, "balanced"), (4, "plain"), (4, "balanced")]
    x, w, b = evaluate.load_map(spec, 48)
    ref = conv1x1(x, w, b)
    p, xi = calibrate(x, w, b, keep=keep)
    _, tr = wcc_int(xi, p, keep=keep, trace=True)
    frame = sqnr_db(ref, dequantize_output(tr["out"], p))
    k = int(keep * 48 * 48)
    for r in rows:
        assert r["loss_db"] == pytest.approx(frame - r["sqnr_db"])
        assert sum(r["stripe_k"]) == k
    assert rows[0]["sqnr_db"] == pytest.approx(frame) and rows[0]["stripe_k"] == [k]
    # S = 1: six stripes of 384 positions, k / 6 each; recomputed through the spec with
    # those quotas given explicitly.
    plain = rows[1]
    assert plain["n_stripes"] == 6 and plain["stripe_k"] == [96] * 6
    want = sqnr_db(ref, dequantize_output(wcc_int(xi, p, k=[96] * 6, stripe_rows=1), p))
    assert plain["sqnr_db"] == pytest.approx(want)
    # Balanced: k shared in proportion to each block row's sum of squared codes.
    code = tr["code"].reshape(6, 384)
    wt = [int((c.astype(object) ** 2).sum()) for c in code]
    bal = rows[2]["stripe_k"]
    assert max(bal) < 384 and bal != plain["stripe_k"]  # no stripe capped: plain proportions
    for i in range(6):
        share = Fraction(k * wt[i], sum(wt))
        assert share.__floor__() <= bal[i] <= share.__ceil__(), (i, bal)
    assert rows[3]["stripe_k"] == [4 * 96, 2 * 96] and rows[3]["n_stripes"] == 2


def test_summary_means_and_worst():
    base = dict(keep=0.25, shape=[1, 8, 8])
    rows = [dict(base, map="ocr:a@b", stripe_rows=1, variant="plain", loss_db=0.5),
            dict(base, map="ocr:c@d", stripe_rows=1, variant="plain", loss_db=1.5),
            dict(base, map="photo:e", stripe_rows=1, variant="plain", loss_db=2.0),
            dict(base, map="photo:e", stripe_rows=None, variant="frame", loss_db=0.0)]
    s = {(r["kind"], r["variant"]): r for r in stripes.summary(rows)}
    assert set(s) == {("ocr", "plain"), ("photo", "plain")}
    assert s["ocr", "plain"]["mean_loss_db"] == pytest.approx(1.0)
    assert s["ocr", "plain"]["max_loss_db"] == 1.5 and s["ocr", "plain"]["worst_map"] == "ocr:c@d"
    md = stripes.summary_markdown(rows)
    assert "| 1/4 | 1 | 1.00 / 1.50 | 2.00 / 2.00 | - | - |" in md


def test_cli_stripe_table(tmp_path, capsys):
    rc = cli.main(["eval", "--stripe-table", "--maps", "photo:camera", "--size", "32",
                   "--stripe-rows", "2", "--json", "--out", str(tmp_path)])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert set(res) == {"settings", "records", "summary", "store_bits"}
    assert res["settings"]["stripe_rows"] == [2]
    assert len(res["records"]) == 3 * (1 + 2)  # keeps x (frame + plain + balanced)
    assert json.loads((tmp_path / "stripes.json").read_text())["records"] == res["records"]
    assert (tmp_path / "stripes.md").read_text().startswith("Loss against the frame-wide")


def test_eval_stripe_rows_reaches_both_models():
    frame = evaluate.map_records("photo:camera", [2], size=64)
    striped = evaluate.map_records("photo:camera", [2], size=64, stripe_rows=1)
    by = {r["method"]: r for r in frame}
    sb = {r["method"]: r for r in striped}
    assert sb["uniform"] == by["uniform"]
    # Camera's sky and ground: a per-block-row k loses against the frame-wide top-k.
    for m in ("wcc_float", "wcc_int"):
        assert sb[m]["conv_sqnr_db"] < by[m]["conv_sqnr_db"] - 0.1, m
    x, w, b = evaluate.load_map("photo:camera", 64)
    il = evaluate.int_layer(x, w, b, 0.25, stripe_rows=1)
    assert il["trace"]["stripe_k"].tolist() == [128] * 8
    assert sb["wcc_int"]["conv_sqnr_db"] == pytest.approx(sqnr_db(conv1x1(x, w, b), il["out"]))
