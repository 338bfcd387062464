"""Runs generations: admission, deadline, stop sequences, chunking, timing and the model counters.

The engine is the same for every backend. It pulls token batches from the backend while the caller's
``emit`` is writing, so tokens produced during a slow write are coalesced into the next chunk (at most
``max_tokens_per_chunk`` tokens each, when the request sets it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable

from workers.model import metrics
from workers.model.admission import Admission
from workers.model.backends import Backend, Outcome
from workers.model.domain import Chunk, FinishReason, GenerationRequest, Timing, Token, Usage
from workers.model.stops import StopMatcher
from workers.runtime.errors import DeadlineExceeded, NotFound

Emit = Callable[[Chunk], Awaitable[None]]
DEADLINE_SLACK = 0.05  # seconds


class ModelEngine:
    """Serves generations of one backend with bounded concurrency."""

    def __init__(self, backend: Backend, admission: Admission) -> None:
        self.backend = backend
        self.admission = admission
        self._model_ids: list[str] | None = None

    @property
    def default_model(self) -> str:
        return self.backend.models()[0].id

    def resolve_model(self, name: str) -> str:
        """The model id to use for ``name`` (empty means the default); NotFound when not served."""
        ids = self._model_ids
        if ids is None:  # a backend's models are fixed once it is built: list them once
            ids = self._model_ids = [m.id for m in self.backend.models()]
        if not name:
            return ids[0]
        if name in ids:
            return name
        raise NotFound(
            f"model {name!r} is not served by this worker; available: {', '.join(ids)} (see ListModels)"
        )

    async def generate(self, request: GenerationRequest, emit: Emit, deadline: float | None = None) -> Chunk:
        """Streams ``request`` through ``emit`` and returns the final chunk (finish reason, usage, timing).

        ``deadline`` is an event-loop time; past it the generation stops with DeadlineExceeded.
        Cancelling the calling task stops the backend before this returns.
        """
        model = self.resolve_model(request.model)
        try:
            if deadline is None:  # no timer to arm and disarm
                return await self._admitted(request, model, emit, None)
            async with asyncio.timeout_at(deadline):
                return await self._admitted(request, model, emit, deadline)
        except TimeoutError:
            raise DeadlineExceeded(
                f"the deadline passed before the generation finished (max_tokens {request.sampling.max_tokens})"
            ) from None

    async def _admitted(
        self, request: GenerationRequest, model: str, emit: Emit, deadline: float | None
    ) -> Chunk:
        queue_time = await self.admission.acquire()
        try:
            metrics.QUEUE_TIME.observe(queue_time)
            return await self._run(request, model, emit, queue_time, deadline)
        finally:
            self.admission.release()

    async def _run(
        self, request: GenerationRequest, model: str, emit: Emit, queue_time: float, deadline: float | None
    ) -> Chunk:
        outcome = Outcome()
        stops = request.sampling.stop
        matcher = StopMatcher(stops) if any(stops) else None
        per_chunk = request.max_tokens_per_chunk
        include_tokens = request.include_tokens
        max_tokens = request.sampling.max_tokens
        perf_counter = time.perf_counter
        tokens_generated = metrics.TOKENS_GENERATED
        start = perf_counter()
        first = last = 0.0
        count = 0
        tag = model  # the first response names the model
        finish: FinishReason | None = None
        result = "error"
        stream: AsyncGenerator[list[Token], None] | None = None
        try:
            stream = self.backend.generate(request, outcome)  # may refuse the request before streaming
            async for batch in stream:
                size = len(batch)
                if not size or count >= max_tokens:
                    continue  # past max_tokens (a backend that overran it): drop, let it finish and report usage
                if count + size > max_tokens:
                    batch = batch[: max_tokens - count]
                    size = len(batch)
                last = perf_counter()
                if count == 0:
                    first = last
                    metrics.TIME_TO_FIRST_TOKEN.observe(first - start)
                count += size
                tokens_generated.inc(size)
                if per_chunk and size > per_chunk:
                    parts = [batch[i : i + per_chunk] for i in range(0, size, per_chunk)]
                else:
                    parts = [batch]
                hit = False
                for k, part in enumerate(parts):
                    if matcher is None:
                        text = part[0].text if len(part) == 1 else "".join(t.text for t in part)
                    else:
                        # Token by token: a stop string ends the generation at the token that completes
                        # it, however the tokens were batched, and the tokens after it are not counted.
                        released = []
                        for used, token in enumerate(part, 1):
                            piece, hit = matcher.feed(token.text)
                            released.append(piece)
                            if hit:
                                break
                        text = "".join(released)
                        if hit:
                            count -= len(part) - used + sum(len(p) for p in parts[k + 1 :])
                            part = part[:used]
                    await emit(Chunk(text, len(part), part if include_tokens else [], model=tag))
                    tag = ""
                    if hit:
                        break
                if hit:
                    finish = FinishReason.STOP_SEQUENCE
                    break
                if count >= max_tokens:
                    finish = FinishReason.LENGTH
            tail = "" if matcher is None or finish is FinishReason.STOP_SEQUENCE else matcher.flush()
            if finish is None:
                finish = outcome.finish_reason
            result = "completed"
        except asyncio.CancelledError:
            # gRPC's own deadline timer and ours may fire a few milliseconds apart.
            late = deadline is not None and asyncio.get_running_loop().time() >= deadline - DEADLINE_SLACK
            result = "deadline_exceeded" if late else "cancelled"
            raise
        except TimeoutError:
            result = "deadline_exceeded"
            raise
        finally:
            if stream is not None:
                await stream.aclose()
            metrics.GENERATIONS_BY_OUTCOME[result].inc()
        elapsed = (last or time.perf_counter()) - start
        timing = Timing(
            queue_time=queue_time,
            time_to_first_token=(first - start) if count else 0.0,
            generation_time=elapsed,
            tokens_per_second=(count - 1) / (last - first) if count > 1 and last > first else 0.0,
        )
        usage = Usage(prompt_tokens=outcome.prompt_tokens, completion_tokens=count)
        return Chunk(text=tail, token_count=0, finish_reason=finish, usage=usage, timing=timing, model=model)
