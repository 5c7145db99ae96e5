"""Tests of wcc/network.py (``wcc network``): calibration, the replaced layers, the options."""

import json
import re

import numpy as np
import pytest

from golden.calibrate import calibrate
from golden.wcc_float import wcc_float
from wcc import cli, data, evaluate, netgraph
from wcc import network as nw

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def layer35():
    return netgraph.find_layer("p2o.Add.35")


@pytest.fixture(scope="module")
def map35():
    return data.ocr_layer("p2o.Add.35", "coffee", 128)[0]  # 48 x 32 x 32


def test_one_map_calibration_is_golden_calibrate(layer35, map35):
    for keep in (1, 0.25):
        want, _ = calibrate(map35, layer35.weight, layer35.bias, keep=keep)
        got = nw.calibrate_wcc([map35], layer35, keep)
        for f in ("m_coef", "sh_coef", "m_acc", "sh_acc", "m_out", "sh_out"):
            assert getattr(got, f) == getattr(want, f), f
        np.testing.assert_array_equal(got.weight, want.weight)
        np.testing.assert_array_equal(got.bias, want.bias)
        assert got.scales == want.scales


def test_kept_coefficients_are_the_references(map35):
    _, st = wcc_float(map35, np.eye(48), keep=0.25, bits_a=None, bits_w=None,
                      return_stages=True)
    np.testing.assert_array_equal(nw.kept_coefficients(map35, 0.25), st["kept"])


def test_calibration_over_two_maps_spans_both(layer35, map35):
    """Two maps, the second three times larger: the clips follow the larger one."""
    both = nw.calibrate_wcc([map35, 3 * map35], layer35, 0.5)
    one = nw.calibrate_wcc([3 * map35], layer35, 0.5)
    assert both.scales["x"] == pytest.approx(one.scales["x"], rel=0.05)
    assert both.scales["x"] > 2 * nw.calibrate_wcc([map35], layer35, 0.5).scales["x"]


def test_integer_layer_is_evaluates_integer_layer(layer35, map35):
    """Calibrated on the map it runs on, the replaced layer is ``wcc eval``'s integer layer."""
    for keep in (1, 0.125):
        params = nw.calibrate_wcc([map35], layer35, keep)
        got = nw.wcc_int_layer(layer35, params, keep)(map35)
        want = evaluate.int_layer(map35, layer35.weight, layer35.bias, keep)["out"]
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
@pytest.mark.parametrize("signed", [True, False])
def test_uniform_matches_wcc_eval(bits, signed):
    seed = 10 * bits + signed
    print("seed", seed)
    x = np.random.default_rng(seed).standard_normal((6, 20, 24))
    x = x if signed else np.abs(x)
    alpha, sg = nw.uniform_clip([x], bits)
    want, a_want, s_want = evaluate.uniform_quantize(x, bits)
    assert sg == s_want and alpha == pytest.approx(a_want)
    np.testing.assert_allclose(nw.uniform_apply(x, bits, alpha, sg), want)


def test_uniform_layer_is_the_quantized_conv(layer35, map35):
    alpha, signed = nw.uniform_clip([map35], 2)
    got = nw.uniform_layer(layer35, 2, alpha, signed)(map35)
    wq = layer35.weight
    wq = np.round(wq / (np.abs(wq).max() / 127)) * (np.abs(wq).max() / 127)
    xq = nw.uniform_apply(map35, 2, alpha, signed)
    want = np.einsum("oc,chw->ohw", wq, xq) + layer35.bias[:, None, None]
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_bits_per_activation_by_hand():
    # 16 x 12 x 20 pads to 16 x 24 = 384 positions; keep 1/4 keeps 96 columns of 16 int8
    assert nw.bits_per_activation([(16, 12, 20)], keep=0.25) == pytest.approx(
        (8 * 96 * 16 + 384) / (16 * 12 * 20))
    both = [(16, 8, 8), (32, 8, 16)]
    assert nw.bits_per_activation(both, keep=0.5) == pytest.approx(
        (8 * 32 * 16 + 64 + 8 * 64 * 32 + 128) / (16 * 64 + 32 * 128))
    assert nw.bits_per_activation(both, bits=2) == 2


def test_photo_size_and_highres_layers():
    assert nw.photo_size("page", 1024) == (512, 1024)  # 191 x 384
    assert nw.photo_size("astronaut", 256) == (256, 256)
    assert nw.photo_size("coins", 1024) == (800, 1024)  # 303 x 384: 808 -> 800
    hi = nw.highres_indices(netgraph.spatial_layers())
    layers = netgraph.spatial_layers()
    assert [layers[i].tensor for i in hi] == [
        "p2o.Add.7", "p2o.Add.19", "p2o.Add.35", "p2o.Add.47", "p2o.Add.63", "p2o.Add.43",
        "p2o.Add.71", "conv2d_470.tmp_0", "conv2d_469.tmp_0"]


@pytest.mark.parametrize("call,msg", [
    (lambda: nw.check_keep(0), r"keep must be in \(0, 1\], got 0"),
    (lambda: nw.check_keep(1.5), r"keep must be in \(0, 1\], got 1.5"),
    (lambda: nw.check_keep("x"), r"keep must be a number in \(0, 1\]"),
    (lambda: nw.check_bits(0), r"bits must be an integer in \[1, 8\], got 0"),
    (lambda: nw.check_bits(2.0), r"bits must be an integer in \[1, 8\]"),
    (lambda: nw.check_side(100), "side must be a multiple of 32 >= 64"),
    (lambda: nw.find_layer("p2o.Add.36"), "layer must be one of the detector's spatial"),
    (lambda: nw.check_photos(["nope"]), "photos must name photos among"),
    (lambda: nw.measure(photos=["page"], calib=["page"]),
     "calibration and measurement photos must differ"),
    (lambda: nw.measure(photos=["page"], calib=["astronaut"], bits=[0]),
     r"bits must be an integer in \[1, 8\]"),
    (lambda: nw.wcc_int_layer(None, None, 2), r"keep must be in \(0, 1\]"),
])
def test_bad_values_raise_clear_errors(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


@pytest.mark.parametrize("argv,msg", [
    (["--hw", "p2o.Add.36"], "argument --hw: layer must be one of"),
    (["--breakdown-keep", "0"], r"argument --breakdown-keep: keep must be in \(0, 1\]"),
    (["--hw-keep", "1.5"], r"argument --hw-keep: keep must be in \(0, 1\]"),
    (["--bits", "8,0"], r"argument --bits: bits must be an integer in \[1, 8\]"),
    (["--bits", "two"], "argument --bits: expected an integer, got 'two'"),
    (["--side", "100"], "argument --side: side must be a multiple of 32"),
    (["--photos", "page,nope"], "argument --photos: photos must name photos among"),
])
def test_cli_rejects_bad_options(argv, msg, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["network"] + argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert re.search(msg, err), err


def test_cli_overlapping_photos_is_an_error_not_a_traceback(capsys):
    assert cli.main(["network", "--photos", "page", "--calib", "page,coffee"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wcc: error: network: calibration and measurement photos must differ")
    assert len(err.strip().splitlines()) == 1


def test_quick_run_writes_records_table_and_figures(tmp_path, capsys):
    """``wcc network --quick``, the smoke run: every record present and consistent."""
    assert cli.main(["network", "--quick", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "network.json").read_text())
    recs = res["records"]
    photos = list(nw.QUICK["photos"])
    assert res["settings"]["photos"] == photos and res["settings"]["calib"] == ["astronaut"]
    assert len(recs) == len(photos) * 2 * 2 * 4  # photos x scopes x methods x bits
    assert len(res["breakdown"]) == len(photos) * 22 * 2
    for r in recs:
        assert 0 <= r["mask_iou"] <= 1 and 0 <= r["box_f1"] <= 1 and r["prob_mad"] >= 0
        if r["method"] == "wcc":
            assert r["effective_bits"] < r["bits_per_activation"] < r["effective_bits"] + 1
        else:
            assert r["bits_per_activation"] == r["effective_bits"]
    md = (tmp_path / "network.md").read_text()
    assert "| all 22 layers | 2 |" in md and "| high-resolution layers | 1 |" in md
    assert "One layer compressed at a time" in md
    for name in ("network_bits.png", "network_maps.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG
    assert "bit(s), all 22 layers: mask IoU higher with" in capsys.readouterr().out


@pytest.mark.slow
def test_hw_layer_inside_the_network_equals_golden():
    """``--hw``: p2o.Add.35 through the RTL (Verilator) in an all-WCC pass of a small photo;
    builds a Verilator model (minutes)."""
    res = nw.hw_check("p2o.Add.35", "page", ("astronaut",), side=128, keep=0.25, log=print)
    assert (res["c_in"], res["h"], res["w"]) == (48, 16, 32)
    assert res["k"] == 16 * 32 // 4
    assert res["rtl_bit_exact"] and res["network_equal"]
    assert res["hw"] == res["golden"]
