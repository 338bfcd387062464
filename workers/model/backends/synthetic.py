"""The ``synthetic`` backend: ``max_tokens`` tokens at ``--synthetic-rate`` tokens/s, to benchmark the mesh.

Tokens are English-looking words (about 5 bytes each, like a real tokenizer's). Rate 0 means as fast as
the stream is read. When the reader falls behind the schedule, the tokens that are due come as one batch.

The backend stands in for a model, so its own cost per token should be as near nothing as it can be: the
generations share one :class:`_Clock` (one event-loop timer, armed for the earliest token due) instead
of arming a timer each per token. At a thousand paced streams (in-process, no transport) that took 1–4 µs
off the 28–33 µs a token costs the engine and the backend; most of the rest is the event loop waking.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncGenerator

from workers.model.backends import Backend, Outcome
from workers.model.domain import FinishReason, GenerationRequest, ModelDescriptor, Token

MODEL_ID = "synthetic"
WORDS = (
    " the", " quick", " brown", " fox", " jumps", " over", " a", " lazy", " dog", " while",
    " seven", " models", " stream", " tokens", " through", " one", " mesh", " and", " every",
    " client", " reads", " them", " as", " they", " arrive", ".",
)  # fmt: skip


class _Clock:
    """Wakes waiters at their due times (event-loop time) with one timer for all of them.

    The timer is armed for the earliest due time. When it fires, every waiter due by then is woken:
    the one it was armed for even if the loop fired it early (uvloop's timers count whole milliseconds
    and may fire up to one early), the others only once their time has come.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for = 0.0

    def wait(self, due: float) -> asyncio.Future[None]:
        """A future that is done at ``due`` (cancel it to stop waiting)."""
        fut = self.loop.create_future()
        heapq.heappush(self._waiting, (due, next(self._order), fut))
        if self._timer is None or due < self._armed_for:
            self._arm(due)
        return fut

    def _arm(self, due: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._armed_for = due
        self._timer = self.loop.call_at(due, self._fire)

    def _fire(self) -> None:
        self._timer = None
        waiting = self._waiting
        until = max(self._armed_for, self.loop.time())
        while waiting and waiting[0][0] <= until:
            fut = heapq.heappop(waiting)[2]
            if not fut.done():
                fut.set_result(None)
        if waiting:
            self._arm(waiting[0][0])


class SyntheticBackend(Backend):
    """Emits ``max_tokens`` tokens at a fixed rate; always finishes with LENGTH."""

    name = "synthetic"

    def __init__(self, rate: float) -> None:
        if rate < 0:
            raise ValueError("--synthetic-rate must be >= 0")
        self.rate = rate
        self._clock: _Clock | None = None

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
        clock = self._clock
        if clock is None or clock.loop is not loop:
            clock = self._clock = _Clock(loop)
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
                due_at = start + sent * interval
                if due_at > loop.time():
                    await clock.wait(due_at)
