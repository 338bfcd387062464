"""The synthetic backend's pacing: every token on time, one wait per token due, one timer for all streams."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from workers.model.backends import Outcome
from workers.model.backends.synthetic import WORDS, SyntheticBackend, _Clock
from workers.model.domain import GenerationRequest, Sampling

LOOPS = pytest.mark.parametrize(
    "loop_factory", [uvloop.new_event_loop, asyncio.new_event_loop], ids=["uvloop", "asyncio"]
)


async def _stream(backend: SyntheticBackend, tokens: int, offset: float) -> list[tuple[str, float]]:
    """The tokens of one generation started after ``offset`` s, each with its time after the start."""
    await asyncio.sleep(offset)
    loop = asyncio.get_running_loop()
    start = loop.time()
    request = GenerationRequest("", "hi", (), Sampling(max_tokens=tokens))
    return [(t.text, loop.time() - start) async for batch in backend.generate(request, Outcome()) for t in batch]


@LOOPS
def test_paced_streams_wait_once_per_token_and_share_one_timer(
    monkeypatch: pytest.MonkeyPatch, loop_factory
) -> None:
    streams, tokens, rate = 50, 10, 100.0
    waits = 0
    timers = 0
    real_wait, real_arm = _Clock.wait, _Clock._arm

    def counting_wait(self: _Clock, due: float) -> asyncio.Future[None]:
        nonlocal waits
        waits += 1
        return real_wait(self, due)

    def counting_arm(self: _Clock, due: float) -> None:
        nonlocal timers
        timers += 1
        real_arm(self, due)

    monkeypatch.setattr(_Clock, "wait", counting_wait)
    monkeypatch.setattr(_Clock, "_arm", counting_arm)

    async def main() -> list[list[tuple[str, float]]]:
        backend = SyntheticBackend(rate)
        return await asyncio.gather(*(_stream(backend, tokens, i * 0.0003) for i in range(streams)))

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        results = runner.run(main())
    for got in results:
        assert [text for text, _ in got] == [WORDS[i % len(WORDS)] for i in range(tokens)]
        # Token i is due i / rate after the first; the loop may fire a timer a millisecond early.
        for i, (_, at) in enumerate(got):
            assert at >= i / rate - 0.002, f"token {i} came at {at:.4f} s"
    # Token 0 is due at once, each later one after one wait (none when the stream is already behind).
    assert 0 < waits <= streams * (tokens - 1)
    # The streams share the clock's timer: it is armed for each new earliest due time, not per wait
    # (with streams 0.3 ms apart the waits of a token's round are due within 15 ms of each other).
    assert timers < waits / 3


@LOOPS
def test_a_stream_closed_while_it_waits_leaves_the_others_on_time(loop_factory) -> None:
    async def main() -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        backend = SyntheticBackend(50.0)
        request = GenerationRequest("", "hi", (), Sampling(max_tokens=100))
        closed = backend.generate(request, Outcome())
        await closed.__anext__()  # token 0; the next wait is armed
        other = asyncio.ensure_future(_stream(backend, 5, 0.0))
        await asyncio.sleep(0.005)
        await closed.aclose()  # its waiter goes; the clock keeps the others'
        late = await _stream(backend, 3, 0.0)
        return await other, late

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        other, late = runner.run(main())
    for got, tokens in ((other, 5), (late, 3)):
        assert len(got) == tokens
        for i, (_, at) in enumerate(got):
            assert i / 50.0 - 0.002 <= at < i / 50.0 + 0.25, f"token {i} came at {at:.4f} s"


def test_unpaced_streams_never_wait() -> None:
    async def main() -> list[tuple[str, float]]:
        return await _stream(SyntheticBackend(0.0), 500, 0.0)

    got = asyncio.run(main())
    assert len(got) == 500 and got[-1][1] < 0.5
