"""``EmbeddingService``: a thin adapter from protobuf to the :class:`~workers.embedding.batcher.Batcher`."""

from __future__ import annotations

import grpc
import numpy as np
from agentos.embedding.v1 import embedding_pb2, embedding_pb2_grpc

from workers.embedding.batcher import Batcher
from workers.embedding.encode import embed_response
from workers.embedding.minilm import MODEL_ID
from workers.runtime.errors import NotFound


class EmbeddingServicer(embedding_pb2_grpc.EmbeddingServiceServicer):
    """Serves Embed, Similarity and ListEmbeddingModels; requests arrive validated."""

    def __init__(self, batcher: Batcher, model_id: str = MODEL_ID) -> None:
        self.batcher = batcher
        self.model_id = model_id

    def _model(self, name: str) -> str:
        if name and name != self.model_id:
            raise NotFound(
                f"embedding model {name!r} is not served by this worker; available: {self.model_id}"
            )
        return self.model_id

    async def Embed(
        self, request: embedding_pb2.EmbedRequest, context: grpc.aio.ServicerContext
    ) -> embedding_pb2.EmbedResponse:
        model = self._model(request.model)
        result = await self.batcher.embed(list(request.texts), normalize=not request.skip_normalize)
        return embed_response(model, result.vectors, result.truncated, result.tokens)

    async def Similarity(
        self, request: embedding_pb2.SimilarityRequest, context: grpc.aio.ServicerContext
    ) -> embedding_pb2.SimilarityResponse:
        model = self._model(request.model)
        result = await self.batcher.embed([request.query, *request.documents])
        scores = result.vectors[1:] @ result.vectors[0]
        order = np.argsort(-scores, kind="stable")
        if request.top_k:
            order = order[: request.top_k]
        return embedding_pb2.SimilarityResponse(
            model=model,
            results=[embedding_pb2.ScoredDocument(index=int(i), score=float(scores[i])) for i in order],
        )

    async def ListEmbeddingModels(
        self, request: embedding_pb2.ListEmbeddingModelsRequest, context: grpc.aio.ServicerContext
    ) -> embedding_pb2.ListEmbeddingModelsResponse:
        model = self.batcher.model
        info = embedding_pb2.EmbeddingModelInfo(
            id=self.model_id,
            dimensions=model.dimensions,
            max_sequence_length=model.max_seq_length,
            ready=True,
        )
        return embedding_pb2.ListEmbeddingModelsResponse(models=[info])
