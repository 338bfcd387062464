"""The ``synthetic`` backend: ``max_tokens`` tokens at ``--synthetic-rate`` tokens/s, to benchmark the mesh.

Tokens are English-looking words (about 5 bytes each, like a real tokenizer's). Rate 0 means as fast as
the stream is read. When the reader falls behind the schedule, the tokens that are due come as one batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from workers.model.backends import Backend, Outcome
from workers.model.domain import FinishReason, GenerationRequest, ModelDescriptor, Token

MODEL_ID = "synthetic"
WORDS = (
    " the", " quick", " brown", " fox", " jumps", " over", " a", " lazy", " dog", " while",
    " seven", " models", " stream", " tokens", " through", " one", " mesh", " and", " every",
    " client", " reads", " them", " as", " they", " arrive", ".",
)  # fmt: skip


class SyntheticBackend(Backend):
    """Emits ``max_tokens`` tokens at a fixed rate; always finishes with LENGTH."""

    name = "synthetic"

    def __init__(self, rate: float) -> None:
        if rate < 0:
            raise ValueError("--synthetic-rate must be >= 0")
        self.rate = rate

    def models(self) -> list[ModelDescriptor]:
        rate = f"{self.rate:g} tokens/s" if self.rate else "as fast as read"
        return [ModelDescriptor(MODEL_ID, self.name, 0, True, {"rate": rate})]

    async def load(self) -> None:
        async for _ in self._emit(2, Outcome(), ""):
            pass

    def generate(self, request: GenerationRequest, outcome: Outcome) -> AsyncGenerator[list[Token], None]:
        return self._emit(request.sampling.max_tokens, outcome, request.text())

    async def _emit(self, count: int, outcome: Outcome, text: str) -> AsyncGenerator[list[Token], None]:
        outcome.prompt_tokens = len(text.split())
        outcome.finish_reason = FinishReason.LENGTH
        n = len(WORDS)
        if not self.rate:
            for i in range(count):
                yield [Token(WORDS[i % n], id=i % n)]
            return
        loop = asyncio.get_running_loop()
        interval = 1.0 / self.rate
        start = loop.time()
        sent = 0
        while sent < count:
            # Token i is due at start + i * interval. The token a timer was armed for is due when it fires:
            # uvloop's timers count whole milliseconds and may fire up to one early, and sleeping again
            # for the remainder would spin through zero-length sleeps until the clock catches up.
            due = min(count, max(sent + 1, int((loop.time() - start) / interval) + 1))
            yield [Token(WORDS[i % n], id=i % n) for i in range(sent, due)]
            sent = due
            if sent < count:
                delay = start + sent * interval - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
