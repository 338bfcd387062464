"""The synthetic backend's pacing: one timer per token due, never a spin of zero-length sleeps."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from workers.model.backends import Outcome
from workers.model.backends.synthetic import WORDS, SyntheticBackend
from workers.model.domain import GenerationRequest, Sampling


@pytest.mark.parametrize(
    "loop_factory", [uvloop.new_event_loop, asyncio.new_event_loop], ids=["uvloop", "asyncio"]
)
def test_paced_streams_sleep_once_per_token(monkeypatch: pytest.MonkeyPatch, loop_factory) -> None:
    streams, tokens, rate = 50, 10, 100.0
    sleeps = 0
    real_sleep = asyncio.sleep

    async def counting_sleep(delay: float, result=None):
        nonlocal sleeps
        sleeps += 1
        return await real_sleep(delay, result)

    async def one(backend: SyntheticBackend, offset: float) -> tuple[list[str], float]:
        await real_sleep(offset)
        loop = asyncio.get_running_loop()
        start = loop.time()
        request = GenerationRequest("", "hi", (), Sampling(max_tokens=tokens))
        texts = [t.text async for batch in backend.generate(request, Outcome()) for t in batch]
        return texts, loop.time() - start

    async def main() -> list[tuple[list[str], float]]:
        backend = SyntheticBackend(rate)
        monkeypatch.setattr(asyncio, "sleep", counting_sleep)
        try:
            return await asyncio.gather(*(one(backend, i * 0.0003) for i in range(streams)))
        finally:
            monkeypatch.setattr(asyncio, "sleep", real_sleep)

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        results = runner.run(main())
    for texts, elapsed in results:
        assert texts == [WORDS[i % len(WORDS)] for i in range(tokens)]
        # The last token is due (tokens - 1) / rate after the first; timers may fire a millisecond early.
        assert elapsed >= (tokens - 1) / rate - 0.002
    # Token 0 is due at once, each later one after one sleep (none when the stream is already behind).
    assert sleeps <= streams * (tokens - 1)
