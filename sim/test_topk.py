"""pytest side of the top-k cocotb testbench (sim/tb_topk.py), Icarus."""

from __future__ import annotations

import pytest

from hw.topk import TopK
from verif.runner import SIM_DIR, run_cocotb

# Behavioural models of the ECP5 primitives that TopK(primitive="ecp5") instantiates.
ECP5_MODELS = [SIM_DIR / "models" / "DP16KD.v", SIM_DIR / "models" / "MULT18X18D.v"]


def ks(n):
    return sorted({0, 1, n // 8, n // 4, n // 2, n - 1, n})


def run(name, *, lanes, max_groups=1, max_n, frames, seed, stall=0.3, backpressure=0.4,
        bins_per_cycle=4, exact_cycles=False, primitive="generic"):
    """A frame's ``groups`` (default ``max_groups``) is its run-time group count."""
    dut = TopK(lanes=lanes, max_groups=max_groups, max_n=max_n, bins_per_cycle=bins_per_cycle,
               primitive=primitive)
    expect = None
    if exact_cycles:  # only meaningful without stalls and backpressure
        expect = [dut.cycles_after_last_input(f["n"], f.get("groups", max_groups))
                  for f in frames for _ in f["ks"]]
    run_cocotb(dut, name=name, test_module="tb_topk",
               config=dict(seed=seed, lanes=lanes, max_groups=max_groups, max_n=max_n,
                           stall=stall, backpressure=backpressure, frames=frames,
                           expect_cycles=expect),
               extra_sources=ECP5_MODELS if primitive == "ecp5" else ())


def test_topk_photo_all_k():
    """Astronaut crops (16 channels) through int Haar (scored) + requantizer; every k; stalls."""
    n = 256
    run("topk_photo", lanes=16, max_n=256, seed=41, bins_per_cycle=16,
        frames=[dict(kind="photo", n=n, seed=1, ks=ks(n))])


def test_topk_ties_extremes_random():
    """Ties (all equal, two values), extremes (-2**13 everywhere), sparse and random data."""
    n = 128
    run("topk_ties", lanes=8, max_n=128, seed=42, bins_per_cycle=8,
        frames=[dict(kind="equal", n=n, ks=[1, 16, 64, 127]),
                dict(kind="two", n=n, ks=ks(n)),
                dict(kind="extreme", n=n, ks=[1, 32, 100]),
                dict(kind="sparse", n=n, ks=[16, 64]),
                dict(kind="random", n=96, ks=[12, 24, 95])])


def test_topk_exact_cycles():
    """No stalls, no backpressure: cycles after the last input = n * groups + latency_const."""
    run("topk_cycles", lanes=16, max_n=256, seed=43, stall=0.0, backpressure=0.0,
        exact_cycles=True,
        frames=[dict(kind="photo", n=256, seed=2, ks=[0, 64]),
                dict(kind="random", n=100, ks=[25])])


def test_topk_groups():
    """Two channel groups (C = 16 as 2 x 8 lanes), group-major, each group shuffled."""
    n = 128
    run("topk_groups", lanes=8, max_groups=2, max_n=128, seed=44, bins_per_cycle=16,
        frames=[dict(kind="photo", n=n, seed=3, ks=[1, 16, 32, 64, 127]),
                dict(kind="two", n=n, ks=[5, 70])])


def test_topk_groups_change_per_frame():
    """Up to 4 groups of 4 lanes, the group count, n and k changing from frame to frame,
    tiny frames (n = 1, 2, 3: a position back within the score memory's read-modify-write),
    stalls and backpressure."""
    run("topk_groups_vary", lanes=4, max_groups=4, max_n=64, seed=49, bins_per_cycle=32,
        frames=[dict(kind="random", n=64, groups=3, ks=[0, 16, 64]),
                dict(kind="random", n=1, groups=4, ks=[0, 1]),
                dict(kind="random", n=2, groups=3, ks=[1, 2]),
                dict(kind="random", n=3, groups=2, ks=[2]),
                dict(kind="two", n=40, groups=1, ks=[20]),
                dict(kind="extreme", n=50, groups=4, ks=[7, 49])])


def test_topk_groups_exact_cycles():
    """No stalls, no backpressure: n * groups + latency_const with the group count changing
    from frame to frame (including n = 1)."""
    run("topk_groups_cycles", lanes=4, max_groups=4, max_n=64, seed=50, stall=0.0,
        backpressure=0.0, exact_cycles=True, bins_per_cycle=32,
        frames=[dict(kind="random", n=64, groups=4, ks=[16]),
                dict(kind="random", n=1, groups=1, ks=[1]),
                dict(kind="random", n=2, groups=3, ks=[0]),
                dict(kind="sparse", n=33, groups=2, ks=[10])])


def test_topk_ecp5_primitives():
    """The ECP5 build (DP16KD x18 banks, MULT18X18D squares) on their models: photo, ties,
    extremes, with stalls and backpressure."""
    n = 256
    run("topk_ecp5", lanes=16, max_n=n, seed=46, bins_per_cycle=16, primitive="ecp5",
        frames=[dict(kind="photo", n=n, seed=5, ks=[1, n - 1]),
                dict(kind="two", n=n, ks=[100]),
                dict(kind="extreme", n=128, ks=[32])])


def test_topk_ecp5_groups_x4_banks():
    """ECP5 build with 4 groups: a 4096-deep coefficient memory (x4 DP16KD banks, address on
    AD[13:2], word group * 1024 + position), the score memory in x18 banks; a photo frame of
    4 groups and a tiny one of 3, stalls and backpressure."""
    run("topk_ecp5_groups", lanes=4, max_groups=4, max_n=1024, seed=47, bins_per_cycle=16,
        primitive="ecp5", frames=[dict(kind="photo", n=256, seed=6, ks=[0, 64]),
                                  dict(kind="random", n=2, groups=3, ks=[1])])


def test_topk_ecp5_exact_cycles():
    """ECP5 build, no stalls: the same exact cycle count as the portable build."""
    run("topk_ecp5_cycles", lanes=16, max_n=256, seed=48, stall=0.0, backpressure=0.0,
        exact_cycles=True, primitive="ecp5",
        frames=[dict(kind="photo", n=256, seed=2, ks=[64]), dict(kind="random", n=100, ks=[25])])



@pytest.mark.slow
def test_topk_photo_large():
    """N = 4096, 16 channels, real photo, the k set, with stalls and backpressure."""
    n = 4096
    run("topk_photo_large", lanes=16, max_n=n, seed=45,
        frames=[dict(kind="photo", n=n, seed=4, ks=ks(n))])
