"""Tests of bench/bench_haar.py's pooling of seeds measured by separate runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_haar", ROOT / "bench" / "bench_haar.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

NET = dict(luts=100, ffs=200, carries=30, brams=4, lutrams=8, lut_mapping="abc")


def run(seeds, fmax, **net):
    return NET | net | dict(seeds=seeds, fmax_mhz_all=fmax, fmax_mhz=fmax[0],
                            fmax_mhz_median=fmax[0], fmax_mhz_worst=min(fmax))


def timed_out(seeds, **net):
    return NET | net | dict(failed="every nextpnr seed timed out after 900 s", seeds=seeds)


def test_pool_same_netlist():
    out = bench.pool(run([3], [190.0]), run([1, 2], [210.0, 205.0]))
    assert out["seeds"] == [1, 2, 3] and out["fmax_mhz_all"] == [210.0, 205.0, 190.0]
    assert out["fmax_mhz_median"] == 205.0 and out["fmax_mhz_worst"] == 190.0


@pytest.mark.parametrize("old,new", [(run([1], [200.0], luts=99), run([2], [201.0])),
                                     (run([1], [200.0]), run([1], [201.0]))])
def test_pool_other_netlist_or_same_seed_replaces(old, new):
    assert bench.pool(old, new) == new


def test_pool_timed_out_seed_kept_apart():
    ok = run([1], [201.0])
    for out in (bench.pool(ok, timed_out([2])), bench.pool(timed_out([2]), ok)):
        assert out["fmax_mhz_all"] == [201.0] and out["seeds_timed_out"] == [2]
    assert "failed" in bench.pool(timed_out([1]), timed_out([2]))
    # A timed-out run of another netlist replaces the record.
    assert bench.pool(ok, timed_out([2], ffs=1)) == timed_out([2], ffs=1)
