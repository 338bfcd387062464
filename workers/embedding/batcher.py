"""Runs the encoder on one background thread and merges concurrent requests into shared batches.

While a batch is being embedded, new requests wait; the next run takes all of them at once (up to
``max_texts``), so under load the model sees large batches and no request waits for a timer. The event
loop never runs the model, so health checks and other calls stay responsive.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from workers.embedding import metrics
from workers.embedding.minilm import Embeddings, MiniLM


@dataclass
class _Job:
    texts: list[str]
    normalize: bool
    future: asyncio.Future[Embeddings] = field(repr=False)


class Batcher:
    """``await batcher.embed(texts)`` from any number of tasks; one model run at a time."""

    def __init__(self, model: MiniLM, max_texts: int = 512) -> None:
        self.model = model
        self.max_texts = max_texts
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task[None] | None = None
        self.runs = 0

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="embedding-batcher")

    async def embed(self, texts: list[str], normalize: bool = True) -> Embeddings:
        """Embeds ``texts``, possibly together with other callers' texts."""
        if self._queue is None:
            self.start()
        assert self._queue is not None
        job = _Job(texts, normalize, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(job)
        return await job.future

    async def _loop(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self._queue.get()]
            count = len(jobs[0].texts)
            while not self._queue.empty() and count < self.max_texts:
                job = self._queue.get_nowait()
                jobs.append(job)
                count += len(job.texts)
            jobs = [j for j in jobs if not j.future.cancelled()]
            if not jobs:
                continue
            for normalize in (True, False):
                group = [j for j in jobs if j.normalize is normalize]
                if not group:
                    continue
                texts = [t for j in group for t in j.texts]
                try:
                    result = await loop.run_in_executor(self._executor, self.model.embed, texts, normalize)
                except Exception as err:  # noqa: BLE001 - hand the failure to every waiting caller
                    for j in group:
                        if not j.future.done():
                            j.future.set_exception(err)
                    continue
                self.runs += 1
                metrics.BATCH_SIZE.observe(len(texts))
                metrics.TEXTS_EMBEDDED.inc(len(texts))
                metrics.TOKENS_READ.inc(result.tokens)
                self._split(group, result)

    def _split(self, group: list[_Job], result: Embeddings) -> None:
        offset = 0
        for job in group:
            n = len(job.texts)
            part = Embeddings(
                np.ascontiguousarray(result.vectors[offset : offset + n]),
                result.lengths[offset : offset + n],
                result.truncated[offset : offset + n],
            )
            offset += n
            if not job.future.done():
                job.future.set_result(part)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=True)
