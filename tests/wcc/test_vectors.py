"""Test vectors (wcc/vectors.py): hex files read back equal the model's stages."""

import json

import numpy as np

from golden import wcc_int
from golden.int_model import IntParams
from golden.topk import unpack_bitmap
from wcc.cli import main


def _read_hex(path, bits):
    vals = np.array([int(line, 16) for line in path.read_text().split()], dtype=np.int64)
    return np.where(vals >= 2 ** (bits - 1), vals - 2**bits, vals)


def test_vectors_round_trip(tmp_path):
    seed = 11
    print("seed", seed)
    assert main(["vectors", "--out", str(tmp_path), "--seed", str(seed), "--height", "12",
                 "--width", "20", "--keep", "0.3"]) == 0
    man = json.loads((tmp_path / "manifest.json").read_text())
    npz = np.load(tmp_path / "vectors.npz")
    for name in ("coeffs", "q", "cols", "acc", "z", "zero_filled"):
        f = man["files"][name]
        got = _read_hex(tmp_path / f["file"], f["bits"]).reshape(f["shape"])
        np.testing.assert_array_equal(got, npz[name].T)
    f = man["files"]["out"]
    got = _read_hex(tmp_path / f["file"], 8).reshape(f["shape"]).transpose(2, 0, 1)
    np.testing.assert_array_equal(got, npz["out"])
    words = np.array([int(s, 16) for s in (tmp_path / "bitmap.hex").read_text().split()])
    bm = unpack_bitmap(words, npz["bitmap"].size)
    np.testing.assert_array_equal(bm, npz["bitmap"])
    assert bm.sum() == man["k"] == int(np.floor(0.3 * 16 * 24))
    # Re-running the model from the written integer parameters reproduces the output.
    pr = man["params"]
    p = IntParams(weight=npz["weight"], bias=npz["bias"], **{k: pr[k] for k in pr})
    x = npz["padded"][:, :12, :20]
    np.testing.assert_array_equal(wcc_int(x, p, k=man["k"]), npz["out"])


def test_cli_help(capsys):
    try:
        main(["vectors", "--help"])
    except SystemExit as e:
        assert e.code == 0
    assert "--seed" in capsys.readouterr().out
