"""Tests of wcc/data.py: bundled photos and the PP-OCRv4 det 1x1-conv layers."""

import numpy as np
import pytest

from wcc import data


def test_list_photos_bundled_only():
    names = data.list_photos()
    assert {"astronaut", "coffee", "chelsea", "camera", "ascent", "aero"} <= set(names)
    assert names == sorted(names)


@pytest.mark.parametrize("name, chans", [("astronaut", 3), ("camera", 1), ("ascent", 1),
                                         ("coffee", 3), ("rocket", 3)])
def test_load_photo_native(name, chans):
    img = data.load_photo(name)
    assert img.ndim == 3 and img.shape[0] == chans
    assert img.dtype == np.float64 and img.min() >= 0.0 and img.max() <= 1.0
    assert img.max() > 0.5  # real content, not an all-zero placeholder


def test_load_photo_matches_source_pixels():
    import skimage.data

    img = data.load_photo("astronaut")
    ref = skimage.data.astronaut().astype(np.float64) / 255.0
    np.testing.assert_array_equal(img, ref.transpose(2, 0, 1))


def test_load_photo_resize():
    assert data.load_photo("coffee", 64).shape == (3, 64, 64)
    assert data.load_photo("camera", (32, 48)).shape == (1, 32, 48)


@pytest.mark.parametrize("bad", [0, -3, (4,), (4, 0), 2.5])
def test_load_photo_bad_size(bad):
    with pytest.raises(ValueError, match="size"):
        data.load_photo("astronaut", bad)


def test_load_photo_bad_name():
    with pytest.raises(ValueError, match="name must be one of"):
        data.load_photo("eagle")  # in skimage, but it needs a download


def test_ocr_layers_listed():
    layers = data.ocr_1x1_layers()
    assert len(layers) >= 40  # about forty 1x1 convs in PP-OCRv4 det
    row = next(r for r in layers if r[0] == "p2o.Add.35")
    assert row[2:] == (48, 48)
    spatial = data.ocr_spatial_layers()
    assert 10 <= len(spatial) < len(layers)
    assert all(r in layers for r in spatial)


def test_det_input_normalization():
    x = data.det_input("astronaut", 64)
    rgb = data.load_photo("astronaut", 64)
    assert x.shape == (1, 3, 64, 64) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, 0], 2 * rgb[2] - 1, atol=1e-6)  # channel 0 is blue
    with pytest.raises(ValueError, match="size must be a positive multiple of 32"):
        data.det_input("astronaut", 100)


def test_ocr_layer_shapes():
    act, w, b = data.ocr_layer("p2o.Add.35", "astronaut", 512)
    assert act.shape == (48, 128, 128) and w.shape == (48, 48) and b.shape == (48,)
    assert act.dtype == w.dtype == np.float64
    assert np.isfinite(act).all() and act.std() > 0


@pytest.mark.parametrize("tensor, photo, size", [("p2o.Add.35", "astronaut", 512),
                                                 ("p2o.Add.19", "coffee", 256),
                                                 ("p2o.Add.215", "camera", 256),
                                                 ("conv2d_470.tmp_0", "chelsea", 256)])
def test_ocr_layer_weight_reproduces_real_conv(tensor, photo, size):
    # Independent check that the weight belongs to this conv: onnxruntime's own conv output.
    act, w, b = data.ocr_layer(tensor, photo, size)
    y_name = data.ocr_conv_output_name(tensor)
    y = data.ocr_tensors([y_name], photo, size)[y_name]
    mine = np.einsum("oc,chw->ohw", w, act) + (0 if b is None else b[:, None, None])
    assert mine.shape == y.shape
    assert np.abs(mine - y).max() <= 1e-4 * np.abs(y).max()


def test_ocr_layer_bad_tensor():
    with pytest.raises(ValueError, match="tensor must be the input of a 1x1 conv"):
        data.ocr_layer("x")
