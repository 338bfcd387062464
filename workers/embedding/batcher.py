"""Runs the encoder on one background thread and merges concurrent requests into shared model runs.

Requests queue in arrival order. Each model run takes queued texts in that order, across requests, up to
``max_run_texts`` texts and ``max_run_chars`` characters (about one of the model's own 8,192-word-piece
sub-batches), so under load the model sees full batches and no request waits for a timer. A large request
is embedded over several runs; between two runs the texts of requests whose caller went away (cancelled,
deadline passed) are dropped, so an abandoned request holds up the ones behind it for one run at most.
Waiting texts are bounded (``max_queued_chars``): past that, a request is refused at once with
RESOURCE_EXHAUSTED instead of growing the worker's memory. The event loop never runs the model, so health
checks and other calls stay responsive.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from workers.embedding import metrics
from workers.embedding.minilm import Embeddings, MiniLM
from workers.runtime.errors import Overloaded


@dataclass(eq=False)
class _Job:
    texts: list[str]
    normalize: bool
    future: asyncio.Future[Embeddings] = field(repr=False)
    #: Characters of the texts not yet handed to a model run.
    untaken_chars: int = 0
    #: Texts handed to model runs, and texts whose vectors are in (both from the start, in order).
    taken: int = 0
    filled: int = 0
    vectors: NDArray[np.float32] | None = field(default=None, repr=False)
    lengths: list[int] = field(default_factory=list, repr=False)
    truncated: list[bool] = field(default_factory=list, repr=False)


#: One model run's texts: (job, first, end) slices of the jobs' texts, in order.
_Run = list[tuple[_Job, int, int]]


class Batcher:
    """``await batcher.embed(texts)`` from any number of tasks; one model run at a time."""

    def __init__(
        self,
        model: MiniLM,
        max_run_texts: int = 512,
        max_run_chars: int = 32_768,
        max_queued_chars: int = 32 * 2**20,
    ) -> None:
        self.model = model
        self.max_run_texts = max_run_texts
        self.max_run_chars = max_run_chars
        self.max_queued_chars = max_queued_chars
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
        self._jobs: list[_Job] = []
        self._queued_chars = 0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.runs = 0

    def start(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="embedding-batcher")

    @property
    def queued_chars(self) -> int:
        """Characters of texts waiting for a model run."""
        return self._queued_chars

    async def embed(self, texts: list[str], normalize: bool = True) -> Embeddings:
        """Embeds ``texts``, possibly together with other callers' texts.

        Raises Overloaded when the texts waiting would pass ``max_queued_chars`` (a request alone in the
        queue is always taken).
        """
        if self._task is None:
            self.start()
        assert self._wake is not None
        if not texts:
            return Embeddings(np.empty((0, self.model.dimensions), dtype=np.float32), [], [])
        chars = sum(map(len, texts))
        if self._queued_chars and self._queued_chars + chars > self.max_queued_chars:
            raise Overloaded(
                f"the embedding worker is at capacity: {self._queued_chars} characters of text are waiting "
                f"(limit {self.max_queued_chars}); retry later or on another replica"
            )
        job = _Job(texts, normalize, asyncio.get_running_loop().create_future(), untaken_chars=chars)
        self._jobs.append(job)
        self._queued_chars += chars
        metrics.QUEUED_CHARS.set(self._queued_chars)
        self._wake.set()
        try:
            return await job.future
        except asyncio.CancelledError:
            # Its texts no longer count against the queue's bound, even before a run reaches them.
            self._queued_chars -= job.untaken_chars
            job.untaken_chars = 0
            metrics.QUEUED_CHARS.set(self._queued_chars)
            raise

    def _drop(self, index: int) -> None:
        job = self._jobs.pop(index)
        self._queued_chars -= job.untaken_chars
        job.untaken_chars = 0

    def _next_run(self) -> tuple[bool, _Run, list[str]] | None:
        """Takes the next run's texts off the queue (dropping abandoned requests); None when idle."""
        run: _Run = []
        texts: list[str] = []
        chars = 0
        normalize: bool | None = None
        i = 0
        while i < len(self._jobs) and len(texts) < self.max_run_texts:
            job = self._jobs[i]
            if job.future.done():  # its caller went away, or an earlier run failed it
                self._drop(i)
                continue
            if normalize is None:
                normalize = job.normalize
            elif job.normalize is not normalize:  # the next run takes it
                i += 1
                continue
            start = end = job.taken
            while end < len(job.texts) and len(texts) < self.max_run_texts:
                size = len(job.texts[end])
                if texts and chars + size > self.max_run_chars:
                    break
                texts.append(job.texts[end])
                chars += size
                job.untaken_chars -= size
                self._queued_chars -= size
                end += 1
            if end > start:
                run.append((job, start, end))
                job.taken = end
            if job.taken < len(job.texts):
                break  # the run is full
            self._jobs.pop(i)  # every text handed out; the run holds it until its vectors are in
        metrics.QUEUED_CHARS.set(self._queued_chars)
        return (bool(normalize), run, texts) if run else None

    async def _loop(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            taken = self._next_run()
            if taken is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            normalize, run, texts = taken
            try:
                result = await loop.run_in_executor(self._executor, self.model.embed, texts, normalize)
            except Exception as err:  # noqa: BLE001 - hand the failure to every caller in the run
                for job, _, _ in run:
                    if not job.future.done():
                        job.future.set_exception(err)
                continue
            self.runs += 1
            metrics.BATCH_SIZE.observe(len(texts))
            metrics.TEXTS_EMBEDDED.inc(len(texts))
            metrics.TOKENS_READ.inc(result.tokens)
            offset = 0
            for job, start, end in run:
                self._fill(job, start, end, result, offset)
                offset += end - start

    @staticmethod
    def _fill(job: _Job, start: int, end: int, result: Embeddings, offset: int) -> None:
        if job.future.done():
            return
        n = end - start
        rows = slice(offset, offset + n)
        if start == 0 and n == len(job.texts):  # the whole request in this run: one copy of its rows
            job.future.set_result(
                Embeddings(
                    np.ascontiguousarray(result.vectors[rows]), result.lengths[rows], result.truncated[rows]
                )
            )
            return
        if job.vectors is None:
            job.vectors = np.empty((len(job.texts), result.vectors.shape[1]), dtype=result.vectors.dtype)
            job.lengths = [0] * len(job.texts)
            job.truncated = [False] * len(job.texts)
        job.vectors[start:end] = result.vectors[rows]
        job.lengths[start:end] = result.lengths[rows]
        job.truncated[start:end] = result.truncated[rows]
        job.filled += n
        if job.filled == len(job.texts):
            job.future.set_result(Embeddings(job.vectors, job.lengths, job.truncated))

    async def close(self) -> None:
        """Stops taking runs; waits for the run in progress (one run at most) off the event loop."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
