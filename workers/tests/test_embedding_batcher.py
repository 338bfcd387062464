"""The embedding batcher in-process: requests merged and split over model runs, abandoned ones dropped,
a bounded queue, failures kept to their run (an encoder that records its runs stands in for the model)."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from workers.embedding.batcher import Batcher
from workers.embedding.minilm import Embeddings
from workers.runtime.errors import Overloaded

DIMS = 8


def vector(text: str) -> np.ndarray:
    """A deterministic row per text (its first characters' codes)."""
    row = np.zeros(DIMS, dtype=np.float32)
    codes = [ord(c) for c in text[:DIMS]]
    row[: len(codes)] = codes
    return row


class RecordingEncoder:
    """Embeds with :func:`vector`, records each run's texts, and can hold a run until released."""

    dimensions = DIMS
    max_seq_length = 256

    def __init__(self, run_seconds: float = 0.0, fail_on: str | None = None) -> None:
        self.runs: list[list[str]] = []
        self.run_seconds = run_seconds
        self.fail_on = fail_on
        self.gate = threading.Event()
        self.gate.set()

    def embed(self, texts: list[str], normalize: bool = True, max_batch_tokens: int = 8192) -> Embeddings:
        self.gate.wait(10)
        self.runs.append(list(texts))
        time.sleep(self.run_seconds)
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError("the encoder failed on purpose")
        rows = np.stack([vector(t) * (1 if normalize else 2) for t in texts])
        return Embeddings(rows, [len(t) for t in texts], [False] * len(texts))


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def test_a_request_larger_than_a_run_is_split_and_answered_in_order() -> None:
    async def main() -> None:
        encoder = RecordingEncoder()
        batcher = Batcher(encoder, max_run_texts=4)  # type: ignore[arg-type]
        texts = [f"text {i:02d}" for i in range(10)]
        result = await batcher.embed(texts)
        assert [len(r) for r in encoder.runs] == [4, 4, 2]
        np.testing.assert_array_equal(result.vectors, np.stack([vector(t) for t in texts]))
        assert result.lengths == [len(t) for t in texts]
        await batcher.close()

    run(main())


def test_concurrent_requests_share_runs_and_get_their_own_rows() -> None:
    async def main() -> None:
        encoder = RecordingEncoder()
        encoder.gate.clear()  # the first run waits: the others queue behind it
        batcher = Batcher(encoder, max_run_chars=40)  # type: ignore[arg-type]
        requests = [[f"r{r} t{i}" for i in range(3)] for r in range(6)]
        normalize = [True, False, True, True, False, True]
        calls = [asyncio.ensure_future(batcher.embed(t, normalize=n)) for t, n in zip(requests, normalize)]
        await asyncio.sleep(0.05)
        encoder.gate.set()
        results = await asyncio.gather(*calls)
        for texts, norm, result in zip(requests, normalize, results):
            np.testing.assert_array_equal(
                result.vectors, np.stack([vector(t) * (1 if norm else 2) for t in texts])
            )
        assert len(encoder.runs) < 6  # merged
        assert all(sum(map(len, r)) <= 40 or len(r) == 1 for r in encoder.runs)
        await batcher.close()

    run(main())


def test_an_abandoned_request_is_dropped_between_runs() -> None:
    async def main() -> None:
        encoder = RecordingEncoder(run_seconds=0.05)
        batcher = Batcher(encoder, max_run_texts=5)  # type: ignore[arg-type]
        big = asyncio.ensure_future(batcher.embed([f"big {i}" for i in range(100)]))
        await asyncio.sleep(0.08)  # one or two runs of it done
        big.cancel()
        small = await batcher.embed(["small"])
        np.testing.assert_array_equal(small.vectors[0], vector("small"))
        embedded = sum(len(r) for r in encoder.runs)
        assert embedded < 30, encoder.runs  # not the 100 texts of the abandoned request
        assert batcher.queued_chars == 0
        await batcher.close()

    run(main())


def test_the_queue_is_bounded() -> None:
    async def main() -> None:
        encoder = RecordingEncoder()
        encoder.gate.clear()
        batcher = Batcher(encoder, max_run_texts=1, max_queued_chars=100)  # type: ignore[arg-type]
        first = asyncio.ensure_future(batcher.embed(["a" * 60, "b" * 60]))  # alone in the queue: taken
        await asyncio.sleep(0.05)
        with pytest.raises(Overloaded, match="at capacity"):
            await batcher.embed(["c" * 60])
        encoder.gate.set()
        assert len((await first).vectors) == 2
        assert len((await batcher.embed(["c" * 60])).vectors) == 1
        await batcher.close()

    run(main())


def test_a_failing_run_fails_only_its_requests() -> None:
    async def main() -> None:
        encoder = RecordingEncoder(fail_on="bad")
        encoder.gate.clear()
        batcher = Batcher(encoder, max_run_texts=2)  # type: ignore[arg-type]
        calls = [asyncio.ensure_future(batcher.embed(t)) for t in (["ok 1"], ["bad"], ["ok 2", "ok 3"])]
        await asyncio.sleep(0.05)
        encoder.gate.set()
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert isinstance(outcomes[1], RuntimeError)
        assert isinstance(outcomes[0], RuntimeError)  # shared its run with the failing text
        assert isinstance(outcomes[2], Embeddings)
        await batcher.close()

    run(main())


def test_a_cancelled_request_stops_counting_against_the_queue_at_once() -> None:
    async def main() -> None:
        encoder = RecordingEncoder()
        encoder.gate.clear()
        batcher = Batcher(encoder, max_run_texts=1, max_queued_chars=100)  # type: ignore[arg-type]
        first = asyncio.ensure_future(batcher.embed(["a" * 10]))
        await asyncio.sleep(0.05)  # its run holds the model
        waiting = asyncio.ensure_future(batcher.embed(["b" * 90]))
        await asyncio.sleep(0.05)
        assert batcher.queued_chars == 90
        waiting.cancel()
        await asyncio.sleep(0)
        assert batcher.queued_chars == 0
        assert len((await batcher.embed([])).vectors) == 0  # nothing to embed: answered at once
        late = asyncio.ensure_future(batcher.embed(["c" * 90]))  # fits: the cancelled texts are gone
        await asyncio.sleep(0.05)
        encoder.gate.set()
        assert len((await first).vectors) == 1
        assert len((await late).vectors) == 1
        await batcher.close()

    run(main())
