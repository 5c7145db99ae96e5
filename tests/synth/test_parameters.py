"""A module's parameters from its constructor and docstring (``synth/parameters.py``)."""

import pytest

from synth import designs
from synth.parameters import command_line, doc_section, effective, parameters


def _design(name):
    return next(d for d in designs.DESIGNS if d.module == name)


def test_parameters_come_from_the_constructor():
    params = {p.name: p for p in parameters(_design("systolic"))}
    assert list(params) == ["rows", "cols", "max_c_in", "max_c_out", "max_k", "subtiles",
                            "primitive"]
    assert params["rows"].default == 8 and params["rows"].kind == "int"
    assert params["primitive"].choices == ("generic", "ecp5")
    assert "1..32" in params["rows"].help
    # The lane-split builders forward **kwargs to the Haar unit: its parameters are listed.
    split = [p.name for p in parameters(_design("haar_forward_split"))]
    assert split[:2] == ["lanes", "parts"] and "fifo_memory" in split and "max_width" in split
    haar = {p.name: p for p in parameters(_design("haar_forward"))}
    assert haar["fifo_depth"].optional and haar["fifo_depth"].parse("none") is None
    assert haar["fifo_memory"].choices == ("lut", "memory", "ecp5")
    with pytest.raises(ValueError, match="fifo_memory must be one of lut, memory, ecp5"):
        haar["fifo_memory"].parse("bram")
    with pytest.raises(ValueError, match="lanes must be an integer, got 'x'"):
        haar["lanes"].parse("x")


def test_effective_params_and_command_line():
    design = _design("systolic")
    got = effective(design, {"rows": 4, "primitive": "ecp5"})
    assert got["rows"] == 4 and got["cols"] == 8 and got["primitive"] == "ecp5"
    assert command_line(design, {"rows": 4, "max_k": None}) == \
        "wcc verilog systolic --rows 4 --max-k none"


def test_doc_section_reads_numpydoc():
    def f(a, b, c):
        """Summary.

        Parameters
        ----------
        a, b : int
            Two of them,
            on two lines.
        c : {"x", "y"}
            A choice.

        Returns
        -------
        int
        """
    assert doc_section(f) == {"a": ("int", "Two of them, on two lines."),
                              "b": ("int", "Two of them, on two lines."),
                              "c": ('{"x", "y"}', "A choice.")}
