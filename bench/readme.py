"""The README's measured tables, rendered from the committed records.

Each table sits in ``README.md`` between two markers naming it and its source::

    <!-- table layer-cycles: bench/records/layer.json -->
    | keep | k | ... |
    <!-- end layer-cycles -->

Cycle counts and memory come from the benchmark records (``bench/records/<name>.json``):
``make bench`` copies the records it wrote (``build/bench/<name>.json``) there and rewrites
these tables (``python bench/readme.py --write``). Area and Fmax come from the synthesis
records (source ``synth/records``), the ones ``make synth`` writes and ``synth/report.md``
shows, so the README and the report cannot disagree. ``tests/bench/test_readme.py`` renders
every table again from the committed records and fails on any difference, so a figure in a
table is the figure in its record. A table appears once in the README: the other places
that need a figure point to the table.

    .venv/bin/python bench/readme.py [--write | --check] [--publish]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the synthesis records' reader
    sys.path.insert(0, str(ROOT))

from synth import designs  # noqa: E402
from synth import report as synth_report  # noqa: E402

SYNTH = "synth/records"
RECORDS = ROOT / "bench" / "records"
BUILD = ROOT / "build" / "bench"
README = ROOT / "README.md"

_MARK = re.compile(r"<!-- table (?P<name>[\w-]+): (?P<record>\S+) -->\n(?P<body>.*?)"
                   r"<!-- end (?P=name) -->\n", re.S)


def _load(name: str):
    return json.loads((RECORDS / f"{name}.json").read_text())


def _n(value: int) -> str:
    """An integer with thin groups of three digits, as the README writes long counts."""
    return f"{value:,}".replace(",", " ")


def layer_cycles(rows) -> str:
    lines = ["| keep | k | cycles / frame (steady state) | slowest stage bound | ratio | "
             "dense baseline | speedup | compressed / dense bytes | sim s / frame | "
             "build + run s |", "| --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |"]
    for r in rows:
        lines.append(f"| {r['keep']} | {r['k']} | {r['cycles_per_frame']} | "
                     f"{r['slowest_bound']} | {r['steady_over_bound']:.3f} | "
                     f"{r['dense_cycles']} | **{r['speedup']:.2f}x** | "
                     f"{r['compressed_bytes']} / {r['dense_bytes']} | "
                     f"{r['sim_s_per_frame']:.1f} | {r['build_and_run_s']:.0f} |")
    return "\n".join(lines) + "\n"


def layer_stages(rows) -> str:
    names = list(rows[0]["stage_cycles"])
    lines = ["| keep | " + " | ".join(names) + " |", "| --: |" + " --: |" * len(names)]
    for r in rows:
        lines.append(f"| {r['keep']} | " + " | ".join(str(r["stage_cycles"].get(n, "-"))
                                                  for n in names) + " |")
    return "\n".join(lines) + "\n"


def layer_memory(rows) -> str:
    bits = rows[0]["memory_bits"]
    lines = ["| buffer | bits |", "| --- | --: |"]
    lines += [f"| {name} | {_n(b)} |" for name, b in bits.items()]
    lines.append(f"| **total** | **{_n(sum(bits.values()))}** ({sum(bits.values()) / 1e6:.1f} "
                 "Mbit) |")
    return "\n".join(lines) + "\n"


def topk_cycles(rec) -> str:
    lines = ["| N | k | channels | cycles after last input | 2N x groups bound | memory bits |",
             "| --: | --: | --: | --: | --: | --: |"]
    for r in rec["simulated"]:
        ch = (f"{r['channels']} ({r['lanes']} lanes x {r['groups']} groups)" if r["groups"] > 1
              else str(r["channels"]))
        lines.append(f"| {r['n']} | {r['k']} | {ch} | {_n(r['cycles_after_last_input'])} | "
                     f"{_n(r['bound_2n_over_p'])} | {_n(r['memory_bits']['total'])} |")
    return "\n".join(lines) + "\n"


def _synth(records, module: str, device: str = "ecp5-85f", **params) -> dict:
    return synth_report.find(records, module, params, device)


def topk_area(records) -> str:
    lines = ["| channels (N = 4096) | LUT4 | FF | DP16KD | DSP | Fmax median / worst "
             "(MHz, seeds) |", "| --: | --: | --: | --: | --: | --: |"]
    for lanes in (16, 32):
        s = _synth(records, "topk", lanes=lanes, max_n=4096, primitive="ecp5")
        lines.append(f"| {lanes} | {s['luts']} | {s['ffs']} | {s['brams']} | {s['dsps']} | "
                     f"{_fmax(s)} |")
    return "\n".join(lines) + "\n"


SYSTOLIC_AREA = ((4, 4, "ecp5-85f", {"primitive": "ecp5"}),
                 (8, 8, "ecp5-85f", {"primitive": "ecp5"}), (2, 2, "ice40-up5k", {}))


def systolic_area(records) -> str:
    lines = ["| array, device | LUT4 | FF | LUT-RAM | DSP | Fmax median / worst (MHz, seeds) |",
             "| --- | --: | --: | --: | --: | --: |"]
    for rows, cols, device, extra in SYSTOLIC_AREA:
        s = _synth(records, "systolic", device, rows=rows, cols=cols, **extra)
        ecp5 = device.startswith("ecp5")
        lines.append(f"| {rows}x{cols}, {'ECP5-85F' if ecp5 else 'iCE40-UP5K'} | {s['luts']} | "
                     f"{s['ffs']} | {s['lutrams'] if ecp5 else '-'} | {s['dsps']} "
                     f"{'MULT18X18D' if ecp5 else 'SB_MAC16'} | {_fmax(s)} |")
    return "\n".join(lines) + "\n"


#: (build, constructor keywords, device) of the requantizer's rows
REQUANT_AREA = (("1 lane, int8", {"lanes": 1, "primitive": "ecp5"}, "ecp5-85f"),
                ("8 lanes, int16", {"lanes": 8, "out_width": 16, "primitive": "ecp5"},
                 "ecp5-85f"),
                ("1 lane, int8", {"lanes": 1}, "ice40-up5k"))


def requant_area(records) -> str:
    lines = ["| build | LUT4 | FF | DSP | Fmax median / worst (MHz, seeds) |",
             "| --- | --: | --: | --: | --: |"]
    for build, params, device in REQUANT_AREA:
        s = _synth(records, "requant", device, **params)
        ecp5 = device.startswith("ecp5")
        prim = " (`primitive=\"ecp5\"`)" if params.get("primitive") == "ecp5" else ""
        lines.append(f"| {build}, {'ECP5-85F' if ecp5 else 'iCE40-UP5K'}{prim} | "
                     f"{s['luts']} | {s['ffs']} | {s['dsps']} "
                     f"{'MULT18X18D' if ecp5 else 'SB_MAC16'} | {_fmax(s)} |")
    return "\n".join(lines) + "\n"


def _fmax(s: dict) -> str:
    """``median / worst (every seed)``, and the seeds that timed out if any."""
    text = (f"{s['fmax_mhz_median']:.1f} / {s['fmax_mhz_worst']:.1f} "
            f"({', '.join(f'{f:.1f}' for f in s['fmax_mhz_all'])})")
    if s.get("seeds_timed_out"):
        text += f"; seeds {s['seeds_timed_out']} timed out"
    return text


#: (unit, lanes, output FIFO memory or None) of the Haar rows; width and height 128
HAAR_AREA = (("forward", 1, "lut"), ("forward", 1, "ecp5"), ("forward", 4, "ecp5"),
             ("forward", 8, "ecp5"), ("inverse", 1, None), ("inverse", 4, None),
             ("inverse", 8, None))


def haar_area(records) -> str:
    lines = ["| unit | lanes | output FIFO | LUT4 | FF | LUT-RAM | DP16KD | Fmax median / worst "
             "(MHz, seeds) |", "| --- | --: | --- | --: | --: | --: | --: | --: |"]
    for unit, lanes, mem in HAAR_AREA:
        params = {"lanes": lanes, "max_width": 128, "max_height": 128}
        if mem == "ecp5":
            params["fifo_memory"] = mem
        s = _synth(records, f"haar_{unit}", **params)
        fifo = {"lut": "LUT RAM", "ecp5": "block RAM", None: "-"}[mem]
        lines.append(f"| {unit} | {lanes} | {fifo} | {s['luts']} | {s['ffs']} | "
                     f"{s['lutrams']} | {s['brams']} | {_fmax(s)} |")
    return "\n".join(lines) + "\n"


def systolic_cycles(rec) -> str:
    lay = rec["layer"]
    what = f"{rec['array']} array, C_in = {lay['c_in']}, C_out = {lay['c_out']}, k = {lay['k']}"
    lines = ["| figure | value |", "| --- | --: |",
             f"| cycles, {what} | {_n(rec['cycles'])} |",
             f"| analytic bound (`hw.systolic.model.cycle_bound`) | {_n(rec['cycle_bound'])} |",
             f"| steady-state utilization | {rec['steady_state_utilization']} |",
             f"| layer utilization | {rec['layer_utilization']} |"]
    lines += [f"| cycles, same layer at {k.replace('=', ' = ')} | {_n(v)} |"
              for k, v in rec["cycles_by_keep"].items()]
    return "\n".join(lines) + "\n"


def layer_area(records) -> str:
    """The integrated layer's registered device builds: the ECP5-85F one placed and routed,
    the iCE40-UP5K one counted by Yosys with what it overflows."""
    lines = ["| build, device | LUT4 | FF | block RAM | DSP | LUT-RAM | Fmax median / worst "
             "(MHz, seeds) |", "| --- | --: | --: | --: | --: | --: | --: |"]
    layer = next(d for d in designs.DESIGNS if d.module == "layer")
    for config in layer.configs:
        for device in config.devices:
            s = _synth(records, "layer", device, **config.params)
            p = config.params
            build = (f"{p['lanes']} lanes, {p['rows']}x{p['cols']} array x {p['subtiles']}, "
                     f"{p['max_c_in']} -> {p['max_c_out']} channels, "
                     f"{p['max_width']} x {p['max_height']}"
                     + (f", max_k {p['max_k']}" if "max_k" in p else ""))
            ecp5 = device.startswith("ecp5")
            over = synth_report.overflow_text(s)
            fmax = _fmax(s) if s["fmax_mhz_all"] else f"not placed: {over}" if over else "-"
            lines.append(f"| {build}, {'ECP5-85F' if ecp5 else 'iCE40-UP5K'} | {s['luts']} | "
                         f"{s['ffs']} | {s['brams']} {'DP16KD' if ecp5 else 'SB_RAM40_4K'} | "
                         f"{s['dsps']} {'MULT18X18D' if ecp5 else 'SB_MAC16'} | "
                         f"{s['lutrams'] if ecp5 else '-'} | {fmax} |")
    return "\n".join(lines) + "\n"


#: table name -> (benchmark record name, or SYNTH for the synthesis records; renderer)
TABLES = {
    "layer-cycles": ("layer", layer_cycles),
    "layer-stages": ("layer", layer_stages),
    "layer-memory": ("layer", layer_memory),
    "layer-area": (SYNTH, layer_area),
    "topk-cycles": ("topk", topk_cycles),
    "topk-area": (SYNTH, topk_area),
    "haar-area": (SYNTH, haar_area),
    "systolic-cycles": ("systolic", systolic_cycles),
    "systolic-area": (SYNTH, systolic_area),
    "requant-area": (SYNTH, requant_area),
}


def source(name: str) -> str:
    """The path the marker of table ``name`` names: its record, or ``synth/records``."""
    record = TABLES[name][0]
    return record if record == SYNTH else f"bench/records/{record}.json"


def render(name: str) -> str:
    """The body of table ``name`` from its committed record(s)."""
    record, fn = TABLES[name]
    if record == SYNTH:
        return fn(synth_report.read_records(ROOT / SYNTH))
    return fn(_load(record))


def tables_in(text: str) -> dict[str, tuple[str, str]]:
    """``name -> (record path, body)`` of every marked table in ``text``."""
    return {m["name"]: (m["record"], m["body"]) for m in _MARK.finditer(text)}


def rewrite(text: str) -> str:
    """``text`` with every marked table rendered again from its record."""
    def sub(m):
        name = m["name"]
        return f"<!-- table {name}: {source(name)} -->\n{render(name)}<!-- end {name} -->\n"
    return _MARK.sub(sub, text)


def publish() -> list[str]:
    """Copy the records ``make bench`` wrote (build/bench/) to bench/records/; their names."""
    RECORDS.mkdir(parents=True, exist_ok=True)
    copied = []
    for record in sorted({r for r, _ in TABLES.values() if r != SYNTH}):
        src = BUILD / f"{record}.json"
        if src.exists():
            shutil.copy(src, RECORDS / src.name)
            copied.append(record)
    return copied


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--publish", action="store_true",
                    help="first copy build/bench/<record>.json to bench/records/")
    ap.add_argument("--write", action="store_true", help="rewrite README.md's tables")
    args = ap.parse_args(argv)
    if args.publish:
        print("records published:", ", ".join(publish()) or "none")
    text = README.read_text()
    new = rewrite(text)
    if args.write:
        README.write_text(new)
        print(f"rewrote {len(tables_in(new))} tables in {README.name}")
        return 0
    old_tables, new_tables = tables_in(text), tables_in(new)
    stale = [n for n, (_, body) in old_tables.items() if body != new_tables[n][1]]
    for name in stale:
        print(f"README table {name} differs from {source(name)}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
