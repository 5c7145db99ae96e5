"""Command decoder in front of the requantizer (``synth/uart_link.py``) vs ``golden``."""

import random
import struct

import pytest
from amaranth.sim import Simulator

from golden.fixedpoint import requantize
from synth.uart_link import RequantLink
from verif.amaranth_streams import stream_get, stream_put

pytest.importorskip("hw.requant")


def _run(link, sent: bytes, count: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    got = []

    async def host_tx(ctx):
        await stream_put(ctx, link.rx, list(sent), stall=0.5, rng=rng)

    async def host_rx(ctx):
        got.extend(await stream_get(ctx, link.tx, count, backpressure=0.5,
                                    rng=random.Random(seed + 1), timeout=50 * len(sent) + 200))

    sim = Simulator(link)
    sim.add_clock(1e-6)
    sim.add_testbench(host_tx)
    sim.add_testbench(host_rx)
    sim.run()
    return got


@pytest.mark.parametrize("seed", [0, 1])
def test_requant_commands(seed):
    print(f"seed={seed}")
    rng = random.Random(seed)
    sent, expected = bytearray(), []
    for _ in range(3):
        multiplier, shift = rng.randrange(2**30, 2**31), rng.randrange(0, 12)
        sent += b"M" + struct.pack("<I", multiplier) + b"S" + bytes([shift])
        for _ in range(6):
            x = rng.choice([rng.randrange(-(2**31), 2**31), rng.randrange(-5000, 5000)])
            sent += b"Q" + struct.pack("<i", x)
            expected.append(int(requantize(x, multiplier, shift)) & 0xFF)
        # Echo and an unknown command byte ('z', ignored) interleaved with the queries.
        sent += b"z" + b"E" + bytes([0xA5])
        expected.append(0xA5)
    assert _run(RequantLink(), bytes(sent), len(expected), seed) == expected


def test_loopback_only():
    sent = b"E\x01Q\x00\x00\x00\x00E\x02"
    assert _run(RequantLink(requant=False), sent, 2, 0) == [1, 2]


def test_host_encode():
    # The bytes synth/host.py sends, answered as the golden model says.
    from synth.host import encode

    values = [0, 1, -1, 1000, -1000, 2**31 - 1, -(2**31), 123456]
    multiplier, shift = 1518500250, 3
    expected = [int(requantize(x, multiplier, shift)) & 0xFF for x in values]
    assert _run(RequantLink(), encode(multiplier, shift, values), len(values), 2) == expected
