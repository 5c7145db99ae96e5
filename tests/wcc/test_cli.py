"""The ``wcc`` command line (``wcc/cli.py``): a user's mistake is one line and exit status 2.

Every subcommand is driven with bad arguments; each must fail before any work, with the
message naming the option and what it accepts, and no traceback.
"""

import pytest

from wcc import cli

BAD = [
    # (argv, words the one-line message must contain)
    (["demo", "--size", "0"], ["demo", "--size", "multiple of 32 in [32, 1024]", "got 0"]),
    (["demo", "--size", "100"], ["--size", "got 100"]),
    (["demo", "--size", "x"], ["--size", "must be an integer, got 'x'"]),
    (["eval", "--bits", "9"], ["eval", "--bits", "[1, 8]", "got 9"]),
    (["eval", "--bits", "0,2"], ["--bits", "got 0"]),
    (["eval", "--bits", ","], ["--bits", "at least one"]),
    (["eval", "--maps", "ocr:nope@astronaut"], ["--maps", "unknown tensor 'nope'",
                                                "p2o.Add.35"]),
    (["eval", "--maps", "photo:nope"], ["--maps", "unknown photo 'nope'", "astronaut"]),
    (["eval", "--maps", "astronaut"], ["--maps", "ocr:TENSOR@PHOTO or photo:PHOTO"]),
    (["eval", "--size", "-64"], ["--size", "got -64"]),
    (["eval", "--sqnr-table", "--bits", "2"], ["eval", "--sqnr-table", "drop --bits"]),
    (["eval", "--stripe-rows", "0"], ["--stripe-rows", "[1, 512]", "got 0"]),
    (["eval", "--stripe-rows", "-1"], ["--stripe-rows", "got -1"]),
    (["eval", "--stripe-table", "--bits", "2"], ["--stripe-table", "drop --bits"]),
    (["eval", "--stripe-table", "--sqnr-table"], ["--stripe-table", "drop --sqnr-table"]),
    (["vectors", "--c-in", "0"], ["vectors", "--c-in", "[1, 4096]", "got 0"]),
    (["vectors", "--height", "-3"], ["--height", "got -3"]),
    (["vectors", "--levels", "5"], ["--levels", "[1, 4]"]),
    (["vectors", "--keep", "1.5"], ["--keep", "(0, 1]"]),
    (["vectors", "--ocr", "nope"], ["--ocr", "unknown tensor 'nope'"]),
    (["vectors", "--ocr", "p2o.Add.35", "--height", "8"], ["--ocr", "drop --height"]),
    (["vectors", "--ocr", "p2o.Add.35", "--c-in", "8", "--seed", "3"],
     ["drop --c-in, --seed"]),
    (["simulate", "--layer", "p2o.Add.35@astronaut"], ["--layer", "ocr:TENSOR@PHOTO"]),
    (["simulate", "--layer", "ocr:nope@astronaut"], ["--layer", "unknown tensor 'nope'"]),
    (["simulate", "--layer", "ocr:p2o.Add.35@nope"], ["--layer", "unknown photo 'nope'"]),
    (["simulate", "--keep", "0"], ["--keep", "(0, 1]"]),
    (["simulate", "--size", "100"], ["--size", "multiple of 32"]),
    (["simulate", "--frames", "0"], ["--frames", "[1, 64]"]),
    (["network", "--bits", "9"], ["network", "--bits", "[1, 8]"]),
    (["network", "--side", "100"], ["--side", "multiple of 32"]),
    (["network", "--photos", "page,nope"], ["--photos", "nope"]),
    (["network", "--photos", "page", "--calib", "page"], ["photos must differ"]),
    (["network", "--hw", "p2o.Add.35", "--bits", "2"], ["--hw", "drop --bits"]),
    (["network", "--hw-keep", "0.5"], ["--hw-keep", "give --hw LAYER"]),
    (["verilog", "nope"], ["verilog", "invalid choice: 'nope'", "systolic"]),
    (["verilog", "systolic", "--rows", "0"], ["systolic", "rows must be", "[1, 32]"]),
    (["verilog", "systolic", "--rows", "x"], ["--rows", "must be an integer"]),
    (["verilog", "systolic", "--primitive", "xilinx"], ["--primitive", "generic, ecp5"]),
    (["verilog", "systolic", "--bogus", "3"], ["unrecognized arguments: --bogus"]),
    (["verilog", "topk"], ["topk", "needs --lanes"]),
    (["verilog", "layer", "--lanes", "12", "--rows", "8"], ["lanes must be a multiple of rows"]),
    (["board"], ["board", "one of the arguments --port --sim is required"]),
    (["board", "--sim", "--port", "/dev/ttyUSB0"], ["--port", "not allowed with argument --sim"]),
    (["board", "--sim", "--layer", "ocr:nope@astronaut"], ["--layer", "unknown tensor 'nope'"]),
    (["board", "--sim", "--layer", "p2o.Add.35"], ["--layer", "ocr:TENSOR@PHOTO"]),
    (["board", "--sim", "--keep", "0"], ["board", "--keep", "(0, 1]"]),
    (["board", "--sim", "--size", "100"], ["--size", "multiple of 32"]),
    (["board", "--sim", "--size", "512"], ["board", "the map is 128 x 128", "up to 64 x 64"]),
    (["board", "--sim", "--layer", "ocr:p2o.Add.63@astronaut"],
     ["board", "96 -> 96 channels", "up to 48 -> 48"]),
    (["board", "--sim", "--size", "256", "--keep", "0.5"], ["board", "k = 2048", "1024"]),
    (["nope"], ["invalid choice: 'nope'"]),
]


@pytest.mark.parametrize("argv,words", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_arguments_are_one_line(argv, words, capsys):
    try:
        rc = cli.main(argv)
    except SystemExit as exc:  # argparse's own checks exit from parse_args
        rc = exc.code
    out, err = capsys.readouterr()
    assert rc == 2, (argv, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("wcc: error: ")
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "Traceback" not in err and out == ""


def test_every_subcommand_is_driven():
    # A new subcommand must get its bad-argument cases above.
    commands = set(cli.build_parser()._subparsers._group_actions[0].choices)
    assert commands <= {argv[0] for argv, _ in BAD}


def test_debug_shows_the_traceback():
    with pytest.raises(ValueError, match="rows must be an integer in"):
        cli.main(["--debug", "verilog", "systolic", "--rows", "0"])
    with pytest.raises(ValueError, match="rows must be an integer in"):
        cli.main(["verilog", "systolic", "--rows", "0", "--debug"])


def test_help_lists_the_names(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["eval", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for name in ("p2o.Add.35", "conv2d_470.tmp_0", "astronaut", "page", "text"):
        assert name in text
    with pytest.raises(SystemExit):
        cli.main(["vectors", "--help"])
    text = capsys.readouterr().out
    assert "test vectors of one layer" in text and "--seed" in text


def test_no_subcommand_prints_help(capsys):
    assert cli.main([]) == 2
    assert "COMMAND" in capsys.readouterr().out
