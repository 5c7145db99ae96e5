"""The ``wcc`` command line's parser class and option types: a user's mistake is one line.

Every subcommand's parser is a :class:`Parser`: a bad option prints
``wcc: error: <subcommand>: <what is wrong>`` and exits with status 2, no usage block and no
traceback. The option types check values where argparse parses them, with the allowed range
or names in the message, so a bad value never reaches the model as a NumPy error. Names that
take a while to list (the OCR model's tensors: the ONNX graph is read) are listed in
``--help`` only when it is shown, through :class:`Parser`'s ``epilog_fn``.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

__all__ = ["Parser", "UsageError", "bits_list", "fail", "int_in", "keep", "layer_spec",
           "map_help", "map_list", "ocr_tensor", "photo_side"]


class UsageError(ValueError):
    """A combination of options that cannot be honoured (raised by a subcommand)."""


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with one-line errors and a help epilog made on demand.

    Parameters
    ----------
    epilog_fn : callable, optional
        Returns the epilog text; called only when the help is printed.
    """

    def __init__(self, *args, epilog_fn=None, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)
        self.epilog_fn = epilog_fn

    def format_help(self) -> str:
        if self.epilog_fn is not None:
            self.epilog = self.epilog_fn()
        return super().format_help()

    def error(self, message: str):
        where = self.prog.removeprefix("wcc").strip()
        self.exit(2, f"wcc: error: {where + ': ' if where else ''}{message} "
                     f"(see {self.prog} --help)\n")


def fail(command: str, message: str) -> int:
    """Print a user's mistake found after parsing as one line; the exit status (2)."""
    print(f"wcc: error: {command}: {message}", file=sys.stderr)
    return 2


def int_in(lo: int, hi: int, *, multiple: int = 1):
    """An argparse type: an integer in ``[lo, hi]`` and a multiple of ``multiple``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if not lo <= value <= hi or value % multiple:
            what = f"a multiple of {multiple} in" if multiple > 1 else "an integer in"
            raise argparse.ArgumentTypeError(f"must be {what} [{lo}, {hi}], got {value}")
        return value
    return parse


#: A photo side: the detector downsamples by 32 (``wcc.data.DET_STRIDE``).
photo_side = int_in(32, 1024, multiple=32)


def keep(text: str) -> float:
    """An argparse type: the keep ratio, a number in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def _items(text: str, parse_one, what: str) -> list:
    """Comma-separated values, each through ``parse_one``; at least one."""
    out = [parse_one(t) for t in (t.strip() for t in text.split(",")) if t]
    if not out:
        raise argparse.ArgumentTypeError(f"needs at least one {what}")
    return out


def _bits(t: str) -> int:
    try:
        b = int(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be integers in [1, 8], got {t!r}") from None
    if not 1 <= b <= 8:
        raise argparse.ArgumentTypeError(
            f"must be integers in [1, 8] (8-bit coefficients, keep = bits / 8), got {b}")
    return b


def bits_list(text: str) -> list[int]:
    """An argparse type: comma-separated effective bit rates, each 1..8 (keep = bits / 8)."""
    return _items(text, _bits, "bit rate")


def _tensors(all_1x1: bool = False) -> list[str]:
    from . import data

    layers = data.ocr_1x1_layers() if all_1x1 else data.ocr_spatial_layers()
    return [t for t, *_ in layers]


def _photos() -> list[str]:
    from . import data

    return data.list_photos()


def ocr_tensor(text: str) -> str:
    """An argparse type: the input tensor of one of the OCR model's 1x1 convolutions."""
    names = _tensors(all_1x1=True)
    if text not in names:
        raise argparse.ArgumentTypeError(f"unknown tensor {text!r}; one of {', '.join(names)}")
    return text


def _photo(text: str, option: str) -> str:
    if text not in _photos():
        raise argparse.ArgumentTypeError(
            f"unknown photo {text!r} in {option}; one of {', '.join(_photos())}")
    return text


def layer_spec(text: str) -> tuple[str, str]:
    """An argparse type: ``ocr:TENSOR@PHOTO`` (a spatial 1x1 layer) -> ``(tensor, photo)``."""
    if not text.startswith("ocr:") or "@" not in text:
        raise argparse.ArgumentTypeError(f"must be ocr:TENSOR@PHOTO, got {text!r}")
    tensor, photo = text[4:].split("@", 1)
    names = _tensors()
    if tensor not in names:
        raise argparse.ArgumentTypeError(
            f"unknown tensor {tensor!r}; a spatial 1x1 layer's input, one of {', '.join(names)}")
    return tensor, _photo(photo, text)


def _map_spec(spec: str) -> str:
    if spec.startswith("photo:"):
        _photo(spec[6:], spec)
    elif spec.startswith("ocr:") and "@" in spec:
        tensor, photo = spec[4:].split("@", 1)
        if tensor not in _tensors(all_1x1=True):
            raise argparse.ArgumentTypeError(
                f"unknown tensor {tensor!r} in {spec}; one of "
                f"{', '.join(_tensors(all_1x1=True))}")
        _photo(photo, spec)
    else:
        raise argparse.ArgumentTypeError(
            f"entries must be ocr:TENSOR@PHOTO or photo:PHOTO, got {spec!r}")
    return spec


def map_list(text: str) -> list[str]:
    """An argparse type: comma-separated map specs, ``ocr:TENSOR@PHOTO`` or ``photo:PHOTO``."""
    return _items(text, _map_spec, "map")


def map_help(spatial_only: bool = False) -> str:
    """The valid tensor and photo names, for a help epilog."""
    kind = "spatial 1x1 layers" if spatial_only else "1x1 convolutions"
    tensors = (f"TENSOR (the input of one of the PP-OCRv4 detector's {kind}): "
               f"{', '.join(_tensors(all_1x1=not spatial_only))}.")
    photos = f"PHOTO (bundled with scikit-image and PyWavelets): {', '.join(_photos())}."
    return "\n\n".join(textwrap.fill(t, 79) for t in (tensors, photos))
