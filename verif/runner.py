"""Run a cocotb testbench on the Verilog of an Amaranth component, from pytest, with Icarus.

``run_cocotb(component, name=..., test_module=..., config={...})`` writes the component's
Verilog under ``build/sim/<name>/``, builds it with Icarus and runs the cocotb ``test_module``
(a module in ``sim/``). ``config`` reaches the testbench as JSON in ``WCC_TB_CONFIG``
(read it with :func:`tb_config`). Waveforms (FST) are always dumped: on a failure their path is
in the pytest output. A failing cocotb test fails the pytest test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIM_DIR = ROOT / "sim"
BUILD = ROOT / "build" / "sim"


def write_verilog(component, name: str, path: Path) -> Path:
    """Write ``component``'s Verilog as module ``name`` to ``path``."""
    from amaranth.back import verilog

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(verilog.convert(component, name=name, emit_src=False))
    return path


def run_cocotb(component, *, name: str, test_module: str, config: dict | None = None,
               testcase: str | None = None, extra_sources=()) -> Path:
    """Build ``component`` as toplevel ``name`` and run cocotb ``test_module`` against it.

    ``extra_sources`` are further Verilog files compiled with it, such as simulation models
    of vendor primitives the component instantiates (``sim/models/``).
    """
    from cocotb_tools.runner import get_runner

    build_dir = BUILD / name
    src = write_verilog(component, name, build_dir / f"{name}.v")
    runner = get_runner("icarus")
    runner.build(
        sources=[src, *map(Path, extra_sources)], hdl_toplevel=name, build_dir=build_dir,
        timescale=("1ns", "1ps"), waves=True, always=True,
    )
    env = {"WCC_TB_CONFIG": json.dumps(config or {}), "PYTHONPATH": _pythonpath()}
    results = runner.test(
        test_module=test_module, hdl_toplevel=name, build_dir=build_dir, test_dir=SIM_DIR,
        extra_env=env, waves=True, testcase=testcase, timescale=("1ns", "1ps"),
        results_xml=str(build_dir / "results.xml"),
    )
    print(f"waveforms: {build_dir}")
    return results


def _pythonpath() -> str:
    # tests/ too: testbenches share the stimulus builders of the Amaranth-simulator tests.
    parts = [str(ROOT), str(SIM_DIR), str(ROOT / "tests")]
    if os.environ.get("PYTHONPATH"):
        parts.append(os.environ["PYTHONPATH"])
    return os.pathsep.join(parts)


def tb_config() -> dict:
    """Inside a cocotb test: the ``config`` dict given to :func:`run_cocotb`."""
    return json.loads(os.environ.get("WCC_TB_CONFIG", "{}"))
