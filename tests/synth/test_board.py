"""The board's UART bridge end to end at the serial-pin level (``synth/board.py``)."""

import gc

import pytest
from amaranth.sim import Simulator

from golden.fixedpoint import requantize
from synth.board import UartBridge, UartTop
from synth.host import encode

DIVISOR = 8


async def _send_byte(ctx, pin, byte: int) -> None:
    # Start bit, eight data bits LSB first, stop bit: what the host's UART puts on the line.
    for bit in [0, *((byte >> i) & 1 for i in range(8)), 1]:
        ctx.set(pin, bit)
        await ctx.tick().repeat(DIVISOR)


async def _recv_byte(ctx, pin) -> int:
    await ctx.tick().until(~pin)  # falling edge of the start bit
    await ctx.tick().repeat(DIVISOR + DIVISOR // 2)  # middle of data bit 0
    value = 0
    for i in range(8):
        value |= ctx.get(pin) << i
        await ctx.tick().repeat(DIVISOR)
    assert ctx.get(pin) == 1, "stop bit"
    return value


def _run(bridge, sent: bytes, count: int) -> tuple[list[int], int]:
    got = []
    leds = []

    async def host_tx(ctx):
        ctx.set(bridge.rx, 1)
        await ctx.tick().repeat(3 * DIVISOR)
        for byte in sent:
            await _send_byte(ctx, bridge.rx, byte)

    async def host_rx(ctx):
        for _ in range(count):
            got.append(await _recv_byte(ctx, bridge.tx))
        await ctx.tick().repeat(2 * DIVISOR)
        leds.append(ctx.get(bridge.leds))

    sim = Simulator(bridge)
    sim.add_clock(1e-6)
    sim.add_testbench(host_tx)
    sim.add_testbench(host_rx)
    sim.run()
    return got, leds[0]


def test_echo_and_requant():
    pytest.importorskip("hw.requant")
    values = [0, 1, -1, 300, -300, 2**31 - 1, -(2**31)]
    multiplier, shift = 1518500250, 2
    expected = [0x5A] + [int(requantize(x, multiplier, shift)) & 0xFF for x in values]
    got, leds = _run(UartBridge(DIVISOR), b"E\x5a" + encode(multiplier, shift, values),
                     len(expected))
    assert got == expected
    assert leds == expected[-1]


def test_loopback_build():
    got, leds = _run(UartBridge(DIVISOR, requant=False), b"E\x01E\xfe", 2)
    assert got == [0x01, 0xFE]
    assert leds == 0xFE


@pytest.mark.filterwarnings("ignore:.*created but never used")
def test_bad_baud():
    with pytest.raises(ValueError, match="baud"):
        UartTop(baud=100)
    gc.collect()  # the half-built component warns when collected: do it under the filter
