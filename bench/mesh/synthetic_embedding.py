"""``python -m bench.mesh.synthetic_embedding``: the mesh's embedding worker with a model-free encoder.

Everything but the encoder is the real worker: the runtime (grpc.aio server, health, reflection,
validation, error and metrics interceptors, drain), the :class:`EmbeddingServicer` and the
:class:`Batcher`. The baseline worker runs the same encoder behind the same batcher, so an embeddings
benchmark between them measures the transports only. Flags are the embedding worker's.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from agentos.embedding.v1 import embedding_pb2, embedding_pb2_grpc

from bench.synthetic.encoder import MODEL_ID, SyntheticEncoder
from workers.embedding.batcher import Batcher
from workers.embedding.servicer import EmbeddingServicer
from workers.runtime.config import WorkerArgumentParser
from workers.runtime.server import Registration, run, serve

SERVICE = embedding_pb2.DESCRIPTOR.services_by_name["EmbeddingService"].full_name


def main(argv: Sequence[str] | None = None) -> int:
    """Serve EmbeddingService with :class:`SyntheticEncoder` until SIGTERM/SIGINT."""
    parser = WorkerArgumentParser(
        "embedding", "The embedding worker with a model-free encoder (benchmarks only).", default_port=0
    )
    config = parser.parse(argv)
    batcher = Batcher(SyntheticEncoder())  # type: ignore[arg-type]

    async def load() -> None:
        batcher.start()
        await batcher.embed(["warm-up"])

    def add(server) -> None:  # type: ignore[no-untyped-def]
        embedding_pb2_grpc.add_EmbeddingServiceServicer_to_server(
            EmbeddingServicer(batcher, MODEL_ID), server
        )

    return run(lambda: serve(config, [Registration(SERVICE, add)], load=load, close=batcher.close), config)


if __name__ == "__main__":
    sys.exit(main())
