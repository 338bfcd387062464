"""Start the baseline worker: ``python -m bench.baseline.worker --port P [--synthetic-rate R] [--embedding E]``.

One uvicorn process (no supervisor, no reloader) with uvloop, httptools, no access log and a long
keep-alive so the gateway's pooled connections stay open: one process per worker, as on the mesh. The
model work is the mesh's own: the ``synthetic`` backend behind the model worker's engine, and the
embedding worker's batcher around either the model-free encoder or the real all-MiniLM-L6-v2.
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn

from bench.baseline.app import build
from bench.synthetic.encoder import MODEL_ID as SYNTHETIC_EMBEDDING
from bench.synthetic.encoder import SyntheticEncoder
from workers.embedding.batcher import Batcher
from workers.model.admission import Admission
from workers.model.backends.synthetic import SyntheticBackend
from workers.model.config import DEFAULT_SLOTS
from workers.model.engine import ModelEngine


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument(
        "--synthetic-rate", type=float, default=0.0, help="tokens/s per stream; 0 = as fast as read"
    )
    p.add_argument(
        "--max-concurrency", type=int, default=DEFAULT_SLOTS["synthetic"], help="generations at once"
    )
    p.add_argument("--max-queue", type=int, default=64, help="generations waiting for a slot")
    p.add_argument(
        "--embedding",
        choices=["synthetic", "real"],
        default="synthetic",
        help="the encoder behind /v1/embeddings",
    )
    return p.parse_args(argv)


def make_batcher(kind: str) -> tuple[Batcher, str]:
    """The embedding batcher and model id for ``--embedding``."""
    if kind == "real":
        from workers.embedding.minilm import MODEL_ID, MiniLM

        return Batcher(MiniLM()), MODEL_ID
    return Batcher(SyntheticEncoder()), SYNTHETIC_EMBEDDING  # type: ignore[arg-type]


async def serve(args: argparse.Namespace) -> None:
    """Load (with one warm-up call of each engine, as the mesh workers do), then serve until a signal."""
    backend = SyntheticBackend(args.synthetic_rate)
    await backend.load()
    engine = ModelEngine(backend, Admission(args.max_concurrency, args.max_queue))
    batcher, embedding_model = make_batcher(args.embedding)
    batcher.start()
    await batcher.embed(["warm-up", "the worker is ready"])
    config = uvicorn.Config(
        build(engine, batcher, embedding_model),
        host=args.host,
        port=args.port,
        loop="none",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
        timeout_keep_alive=300,
        backlog=4096,
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await batcher.close()


def main(argv: list[str] | None = None) -> None:
    """Run the worker on uvloop."""
    import uvloop

    args = parse_args(argv)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(args))


if __name__ == "__main__":
    main()
