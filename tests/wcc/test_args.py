"""The option types of the ``wcc`` command line (``wcc/args.py``)."""

import argparse

import pytest

from wcc import args


def test_int_in():
    parse = args.int_in(32, 1024, multiple=32)
    assert parse("64") == 64 and parse("1024") == 1024
    for bad, msg in (("0", "got 0"), ("1056", "got 1056"), ("33", "got 33"),
                     ("x", "must be an integer, got 'x'")):
        with pytest.raises(argparse.ArgumentTypeError, match=msg):
            parse(bad)
    assert args.int_in(1, 4)("4") == 4
    with pytest.raises(argparse.ArgumentTypeError, match=r"an integer in \[1, 4\], got 5"):
        args.int_in(1, 4)("5")


def test_keep_and_bits():
    assert args.keep("0.125") == 0.125 and args.keep("1") == 1.0
    for bad in ("0", "-0.5", "1.01", "nan", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            args.keep(bad)
    assert args.bits_list("1, 2,8") == [1, 2, 8]
    for bad in ("9", "0", "", "2,y"):
        with pytest.raises(argparse.ArgumentTypeError):
            args.bits_list(bad)


def test_map_and_layer_specs():
    assert args.map_list("photo:camera,ocr:p2o.Add.19@coffee") == [
        "photo:camera", "ocr:p2o.Add.19@coffee"]
    assert args.layer_spec("ocr:conv2d_470.tmp_0@page") == ("conv2d_470.tmp_0", "page")
    # A 1x1 convolution on a 1x1 map is a valid eval map, not a spatial layer to simulate.
    assert args.map_list("ocr:relu_0.tmp_0@astronaut")
    with pytest.raises(argparse.ArgumentTypeError, match="spatial 1x1 layer"):
        args.layer_spec("ocr:relu_0.tmp_0@astronaut")


def test_parser_error_is_one_line(capsys):
    p = args.Parser(prog="wcc thing")
    p.add_argument("--n", type=args.int_in(1, 2))
    with pytest.raises(SystemExit) as exc:
        p.parse_args(["--n", "3"])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        "wcc: error: thing: argument --n: must be an integer in [1, 2], got 3 "
        "(see wcc thing --help)\n")


def test_epilog_is_made_only_for_help():
    calls = []
    p = args.Parser(prog="wcc x", epilog_fn=lambda: calls.append(1) or "NAMES")
    p.parse_args([])
    assert calls == []
    assert p.format_help().rstrip().endswith("NAMES") and calls == [1]
