"""UART transmitter -> receiver loopback in the Amaranth simulator (``synth/uart.py``)."""

import gc
import random

import pytest
from amaranth.hdl import Module
from amaranth.sim import Simulator

from synth.uart import UARTRx, UARTTx
from verif.amaranth_streams import stream_get, stream_put

DIVISOR = 7  # odd on purpose: the receiver samples at divisor // 2


def _loopback():
    m = Module()
    m.submodules.tx = tx = UARTTx(DIVISOR)
    m.submodules.rx = rx = UARTRx(DIVISOR)
    m.d.comb += rx.rx.eq(tx.tx)
    return m, tx, rx


@pytest.mark.parametrize("seed", [0, 1])
def test_loopback(seed):
    print(f"seed={seed}")
    rng = random.Random(seed)
    data = [0x00, 0xFF, 0x55, 0xAA] + [rng.randrange(256) for _ in range(20)]
    m, tx, rx = _loopback()
    got, errors = [], []

    async def send(ctx):
        await stream_put(ctx, tx.i, data, stall=0.3, rng=rng)

    async def receive(ctx):
        got.extend(await stream_get(ctx, rx.o, len(data), backpressure=0.3,
                                    timeout=12 * DIVISOR * len(data) * 2))

    async def watch(ctx):
        async for _, _, fe, ov in ctx.tick().sample(rx.frame_error, rx.overrun):
            if fe or ov:
                errors.append((fe, ov))

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(send)
    sim.add_testbench(receive)
    sim.add_process(watch)
    sim.run()
    assert got == data
    assert errors == []


def test_frame_error():
    rx = UARTRx(DIVISOR)
    trace = []

    async def bench(ctx):
        # A start bit, eight zero data bits and a low stop bit: a break, not a byte.
        ctx.set(rx.rx, 0)
        for cycle in range(DIVISOR * 14):
            if cycle == DIVISOR * 10:
                ctx.set(rx.rx, 1)
            await ctx.tick()
            trace.append((ctx.get(rx.frame_error), ctx.get(rx.o.valid)))

    sim = Simulator(rx)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert sum(fe for fe, _ in trace) == 1
    assert not any(valid for _, valid in trace)


@pytest.mark.filterwarnings("ignore:.*created but never used")
@pytest.mark.parametrize("cls", [UARTRx, UARTTx])
def test_bad_divisor(cls):
    with pytest.raises(ValueError, match="divisor"):
        cls(2)
    # The half-built component warns when collected; collect it under the filter above.
    gc.collect()
