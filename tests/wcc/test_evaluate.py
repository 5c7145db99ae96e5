"""Tests of wcc/evaluate.py (``wcc eval``): metrics checked against independent math."""

import json

import numpy as np
import pytest
import pywt

from golden.quant import mse_best_alpha, quantize, sqnr_db
from golden.wcc_float import conv1x1, quantize_weight, wcc_float
from wcc import cli, evaluate

PNG = b"\x89PNG\r\n\x1a\n"


def _map(seed=0, shape=(4, 16, 24), signed=True):
    rng = np.random.default_rng(seed)
    print("seed", seed)
    x = rng.standard_normal(shape)
    return x if signed else np.abs(x)


def test_uniform_levels_and_sign():
    x = _map()
    for bits in (2, 3, 5):
        xq, a, signed = evaluate.uniform_quantize(x, bits)
        assert signed and len(np.unique(xq)) <= 2**bits - 1
        assert np.abs(xq).max() <= a + 1e-12
    xq, a, signed = evaluate.uniform_quantize(np.abs(x), 3)
    assert not signed and xq.min() >= 0 and len(np.unique(xq)) <= 8


def test_uniform_one_bit():
    x = _map(1)
    xq, a, _ = evaluate.uniform_quantize(x, 1)
    assert a == pytest.approx(np.abs(x).mean())  # least-MSE binary level
    np.testing.assert_allclose(xq, a * np.sign(x))
    xq, a, signed = evaluate.uniform_quantize(np.abs(x), 1)
    assert not signed and set(np.unique(xq)) <= {0.0, a}
    # a brute-force check that the grid choice is near the true optimum of {0, a}
    grid = np.linspace(0.01, np.abs(x).max(), 2000)
    best = min(np.mean((g * np.round(np.clip(np.abs(x) / g, 0, 1)) - np.abs(x)) ** 2)
               for g in grid)
    assert np.mean((xq - np.abs(x)) ** 2) <= best * 1.02


@pytest.mark.parametrize("bad", [0, 17, 2.0, True])
def test_uniform_bad_bits(bad):
    with pytest.raises(ValueError, match="bits must be an integer in"):
        evaluate.uniform_quantize(_map(), bad)


def test_load_map_bad_spec():
    with pytest.raises(ValueError, match="maps entries must be"):
        evaluate.load_map("foo:bar")


def test_map_records_on_photo():
    recs = evaluate.map_records("photo:camera", [1, 2, 4, 8], size=32)
    assert len(recs) == 12
    for r in recs:
        assert {"map", "method", "effective_bits", "mse", "conv_sqnr_db"} <= set(r)
        assert np.isfinite(r["mse"]) and np.isfinite(r["conv_sqnr_db"])
    uni = [r["mse"] for r in recs if r["method"] == "uniform"]
    assert all(a > b for a, b in zip(uni, uni[1:], strict=False))
    # uniform MSE, recomputed independently: unsigned eq. 1 at the MSE-best alpha
    x, w, _ = evaluate.load_map("photo:camera", 32)
    a = mse_best_alpha(x, 4, signed=False)
    want = np.mean((quantize(x, 4, a, signed=False) - x) ** 2)
    got = next(r for r in recs if r["method"] == "uniform" and r["effective_bits"] == 4)
    assert got["mse"] == pytest.approx(want)
    ref = conv1x1(x, w)
    assert got["conv_sqnr_db"] == pytest.approx(
        sqnr_db(ref, conv1x1(quantize(x, 4, a, signed=False), quantize_weight(w, 8))))


def _pywt_roundtrip(x, bits):
    """Keep-1 WCC map through pywt's own Haar (independent of golden.haar)."""
    coeffs = [pywt.coeffs_to_array(pywt.wavedec2(c, "haar", level=3)) for c in x]
    arr = np.stack([c for c, _ in coeffs])
    a = mse_best_alpha(arr, bits)
    q = quantize(arr, bits, a)
    return np.stack([pywt.waverec2(pywt.array_to_coeffs(q[i], coeffs[i][1], "wavedec2"), "haar")
                     for i in range(len(x))])


def test_wcc_keep1_is_the_conv_up_to_quantization():
    x, w, b = evaluate.load_map("ocr:p2o.Add.35@astronaut", 64)
    np.testing.assert_allclose(wcc_float(x, w, b, keep=1, bits_w=None, bits_a=None),
                               conv1x1(x, w, b), atol=1e-9)
    xmap = _pywt_roundtrip(x, 8)
    recs = evaluate.map_records("ocr:p2o.Add.35@astronaut", [8], size=64)
    wf = next(r for r in recs if r["method"] == "wcc_float")
    assert wf["mse"] == pytest.approx(np.mean((xmap - x) ** 2), rel=1e-9)
    want = sqnr_db(conv1x1(x, w, b), conv1x1(xmap, quantize_weight(w, 8), b))
    assert wf["conv_sqnr_db"] == pytest.approx(want, abs=1e-6)
    wi = next(r for r in recs if r["method"] == "wcc_int")
    assert wi["mse"] == pytest.approx(wf["mse"], rel=0.25)  # int8 input + int8 coefficients


def test_claim_summary():
    recs = [dict(map="m", method=m, effective_bits=b, mse=v) for m, b, v in
            [("uniform", 2, 1.0), ("wcc_float", 2, 0.5), ("wcc_int", 2, 2.0),
             ("uniform", 1, 1.0), ("wcc_float", 1, 1.5), ("wcc_int", 1, 0.1)]]
    c = evaluate.claim_summary(recs)
    assert c["2"]["m"] == {"wcc_float_below_uniform": True, "wcc_int_below_uniform": False}
    assert c["1"]["m"] == {"wcc_float_below_uniform": False, "wcc_int_below_uniform": True}


def test_cli_eval_json_and_files(tmp_path, capsys):
    rc = cli.main(["eval", "--maps", "photo:camera,ocr:p2o.Add.19@coffee", "--bits", "1,2,8",
                   "--size", "64", "--json", "--out", str(tmp_path)])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert set(res) == {"settings", "records", "claim"}
    assert len(res["records"]) == 2 * 3 * 3
    assert {r["method"] for r in res["records"]} == {"uniform", "wcc_float", "wcc_int"}
    assert all(np.isfinite(r["mse"]) and np.isfinite(r["conv_sqnr_db"]) for r in res["records"])
    assert set(res["claim"]) == {"2", "1"} and len(res["claim"]["1"]) == 2
    for name in ("figure1.png", "figure3.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG
    assert (tmp_path / "eval.md").read_text().startswith("| map |")


def test_sqnr_table_small(tmp_path, capsys):
    rows = evaluate.sqnr_table(maps=("ocr:p2o.Add.35@astronaut",), size=128)
    assert [r["keep"] for r in rows] == [1.0, 0.5, 0.25, 0.125]
    for r in rows:
        assert r["loss_db"] == pytest.approx(r["sqnr_float"] - r["sqnr_int"])
        assert r["out_cost_db"] == pytest.approx(r["sqnr_int_v"] - r["sqnr_int"])
        assert np.isfinite(r["sqnr_int"]) and r["ok"] == (r["loss_db"] <= 1.5)
    assert rows[0]["sqnr_float"] > rows[-1]["sqnr_float"]
    assert cli.main(["eval", "--sqnr-table", "--quick", "--maps", "photo:camera",
                     "--out", str(tmp_path)]) == 0
    md = capsys.readouterr().out
    assert md.startswith("| map |") and md.count("photo:camera") == 4
