"""Real data with no download: photos bundled in scikit-image / PyWavelets and the activations
and 1x1-conv weights of the PP-OCRv4 text detector that ships inside rapidocr-onnxruntime.

* :func:`load_photo`, :func:`list_photos`: natural photos as float (C, H, W) in [0, 1].
* :func:`ocr_1x1_layers`, :func:`ocr_layer`, :func:`ocr_tensors`: the detector's 1x1,
  group-1 convolutions, their real input maps and weights, computed with onnxruntime (CPU).

The rapidocr package itself is never imported (its ``__init__`` imports OpenCV): only its
folder is located and the ONNX file read from it.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

# Bundled files only: other skimage.data images need pooch and a download.
SKIMAGE_PHOTOS = (
    "astronaut", "brick", "camera", "cat", "cell", "chelsea", "clock", "coffee", "coins",
    "colorwheel", "grass", "gravel", "hubble_deep_field", "immunohistochemistry", "moon",
    "page", "retina", "rocket", "text",
)
# pywt's own camera is named pywt_camera so that "camera" stays skimage's.
PYWT_PHOTOS = {"aero": "aero", "ascent": "ascent", "pywt_camera": "camera"}

DET_MODEL = "ch_PP-OCRv4_det_infer.onnx"
# rapidocr's config.yaml (Det: mean 0.5, std 0.5 on BGR pixels / 255): input in [-1, 1].
DET_MEAN, DET_STD = 0.5, 0.5
DET_STRIDE = 32  # the detector's total downsampling: input sides must be multiples of it


def list_photos() -> list[str]:
    """Names accepted by :func:`load_photo`, sorted."""
    return sorted(SKIMAGE_PHOTOS + tuple(PYWT_PHOTOS))


def _raw_photo(name: str) -> np.ndarray:
    if name in PYWT_PHOTOS:
        import pywt.data

        return np.asarray(getattr(pywt.data, PYWT_PHOTOS[name])())
    import skimage.data

    return np.asarray(getattr(skimage.data, name)())


def _center_crop_resize(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """Crop the centre to the aspect ratio h:w, then resample to (h, w) with anti-aliasing."""
    from skimage.transform import resize

    ih, iw = img.shape[:2]
    if ih * w > iw * h:  # too tall: crop rows
        ch, cw = max(1, round(iw * h / w)), iw
    else:
        ch, cw = ih, max(1, round(ih * w / h))
    top, left = (ih - ch) // 2, (iw - cw) // 2
    img = img[top:top + ch, left:left + cw]
    if img.shape[:2] == (h, w):
        return img
    return resize(img, (h, w) + img.shape[2:], order=1, anti_aliasing=True, mode="reflect")


def load_photo(name: str, size=None) -> np.ndarray:
    """A bundled photo as float64 (3, H, W) RGB, or (1, H, W) grayscale, in [0, 1].

    Parameters
    ----------
    name : str
        One of :func:`list_photos`.
    size : None, int or (int, int)
        None keeps the native size; ``n`` gives an ``n x n`` centre crop resampled to n; a
        pair ``(h, w)`` crops the centre to that aspect ratio and resamples to it.
    """
    if name not in list_photos():
        raise ValueError(f"name must be one of {list_photos()}, got {name!r}")
    img = _raw_photo(name)
    if img.dtype == np.bool_:
        img = img.astype(np.float64)
    elif np.issubdtype(img.dtype, np.integer):
        img = img.astype(np.float64) / np.iinfo(img.dtype).max
    else:
        img = img.astype(np.float64)
    if img.ndim == 3 and img.shape[2] == 4:  # RGBA: drop alpha (the bundled ones are opaque)
        img = img[:, :, :3]
    if size is not None:
        hw = (size, size) if np.isscalar(size) else tuple(size)
        if len(hw) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in hw):
            raise ValueError(f"size must be None, an int >= 1 or a pair of them, got {size!r}")
        img = _center_crop_resize(img, int(hw[0]), int(hw[1]))
    img = np.clip(img, 0.0, 1.0)
    return img[None] if img.ndim == 2 else img.transpose(2, 0, 1).copy()


def det_model_path() -> Path:
    """Path of the PP-OCRv4 detection model inside the installed rapidocr_onnxruntime."""
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("rapidocr-onnxruntime is not installed (pip install --no-deps "
                                "rapidocr-onnxruntime==1.4.4)")
    for folder in spec.submodule_search_locations:
        hits = sorted(Path(folder).rglob(DET_MODEL))
        if hits:
            return hits[0]
    raise FileNotFoundError(f"{DET_MODEL} not found in {spec.submodule_search_locations}")


@lru_cache(maxsize=1)
def _model():
    import onnx

    return onnx.load(str(det_model_path()))


@lru_cache(maxsize=1)
def _constants() -> dict:
    """Every constant tensor of the graph by name: initializers and Constant-node outputs."""
    from onnx import numpy_helper

    g = _model().graph
    out = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    out[n.output[0]] = numpy_helper.to_array(a.t)
    return out


@lru_cache(maxsize=1)
def _conv1x1_nodes() -> tuple:
    """(input, node name, output, weight name, bias name or None) of each 1x1, group-1,
    stride-1, unpadded, undilated Conv, in graph order."""
    import onnx

    consts = _constants()
    found = []
    for n in _model().graph.node:
        if n.op_type != "Conv":
            continue
        a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
        w = consts.get(n.input[1])
        if w is None or w.ndim != 4 or tuple(w.shape[2:]) != (1, 1):
            continue
        if a.get("group", 1) != 1 or any(s != 1 for s in a.get("strides", [1, 1])):
            continue
        if any(p != 0 for p in a.get("pads", [0, 0, 0, 0])) or a.get("auto_pad", b"NOTSET") not in (
                b"NOTSET", b"VALID", "NOTSET", "VALID"):
            continue
        bias = n.input[2] if len(n.input) > 2 and n.input[2] else None
        found.append((n.input[0], n.name, n.output[0], n.input[1], bias))
    return tuple(found)


def ocr_1x1_layers() -> list[tuple[str, str, int, int]]:
    """(input tensor name, conv node name, C_in, C_out) of every 1x1 group-1 conv, graph order.

    Some of them (the squeeze-excitation convs) act on 1x1 pooled maps, not spatial ones.
    """
    consts = _constants()
    return [(t, node, int(consts[w].shape[1]), int(consts[w].shape[0]))
            for t, node, _, w, _ in _conv1x1_nodes()]


def ocr_spatial_layers() -> list[tuple[str, str, int, int]]:
    """The :func:`ocr_1x1_layers` whose input is a spatial map (not a 1x1 pooled vector):
    found by one run at 64 x 64, where every spatial map is at least 2 x 2."""
    layers = ocr_1x1_layers()
    shapes = ocr_tensors([t for t, *_ in layers], "astronaut", 64)
    return [r for r in layers if shapes[r[0]].shape[1] * shapes[r[0]].shape[2] > 1]


@lru_cache(maxsize=1)
def _session():
    """An onnxruntime CPU session whose outputs also include every 1x1 conv's input and output,
    so one run serves every layer."""
    import onnx
    import onnxruntime as ort

    model = onnx.ModelProto()
    model.CopyFrom(_model())
    have = {o.name for o in model.graph.output}
    for t, _, y, _, _ in _conv1x1_nodes():
        for name in (t, y):
            if name not in have:
                model.graph.output.append(
                    onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
                have.add(name)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2  # the machine has 2 cores, shared
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])


def det_input(photo: str, size) -> np.ndarray:
    """The detector's input (1, 3, H, W) float32: BGR, ``(p - 0.5) / 0.5``, sides % 32 == 0."""
    hw = (size, size) if np.isscalar(size) else tuple(size)
    if any(not isinstance(v, (int, np.integer)) or v < DET_STRIDE or v % DET_STRIDE for v in hw):
        raise ValueError(f"size must be a positive multiple of {DET_STRIDE} (or a pair), "
                         f"got {size!r}")
    img = load_photo(photo, hw)
    if img.shape[0] == 1:
        img = np.repeat(img, 3, axis=0)
    bgr = img[::-1]
    return ((bgr - DET_MEAN) / DET_STD)[None].astype(np.float32)


@lru_cache(maxsize=8)
def _run(photo: str, size) -> dict:
    sess = _session()
    names = [o.name for o in sess.get_outputs()]
    outs = sess.run(names, {sess.get_inputs()[0].name: det_input(photo, size)})
    return dict(zip(names, outs, strict=True))


def ocr_tensors(names, photo: str = "astronaut", size=512) -> dict:
    """Named tensors (1x1-conv inputs/outputs, or the model output) of one photo's run, each
    as float64 (C, H, W) (batch dimension dropped)."""
    size = tuple(size) if not np.isscalar(size) else int(size)
    res = _run(photo, size)
    bad = [n for n in names if n not in res]
    if bad:
        raise ValueError(f"tensor must be a 1x1-conv input or output of the detector, e.g. "
                         f"{[t for t, *_ in ocr_1x1_layers()][:4]}..., got {bad}")
    return {n: res[n][0].astype(np.float64) for n in names}


def ocr_conv_output_name(tensor: str) -> str:
    """Name of the output of the (first) 1x1 conv that reads ``tensor``."""
    for t, _, y, _, _ in _conv1x1_nodes():
        if t == tensor:
            return y
    raise ValueError(f"tensor must be the input of a 1x1 conv, one of "
                     f"{[t for t, *_ in ocr_1x1_layers()]}, got {tensor!r}")


def ocr_layer(tensor: str = "p2o.Add.35", photo: str = "astronaut", size=512):
    """A real 1x1-conv layer of PP-OCRv4 det on a real photo.

    Returns
    -------
    activation : (C_in, H, W) float64, the conv's input on ``photo`` resized to ``size``
    weight : (C_out, C_in) float64
    bias : (C_out,) float64 or None
    """
    out_name = ocr_conv_output_name(tensor)
    _, _, _, w_name, b_name = next(r for r in _conv1x1_nodes() if r[2] == out_name)
    consts = _constants()
    w = consts[w_name][:, :, 0, 0].astype(np.float64)
    b = None if b_name is None else consts[b_name].reshape(-1).astype(np.float64)
    act = ocr_tensors([tensor], photo, size)[tensor]
    return act, w, b
