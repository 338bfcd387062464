"""The baseline worker: the ADR-006 design (FastAPI, hand-written JSON models, SSE for token streams).

It serves the same work as the mesh's model and embedding workers through the *same* domain objects —
the model worker's :class:`ModelEngine` (admission, stop sequences, chunking, timing, model metrics) and
the embedding worker's :class:`Batcher` — so a comparison with the mesh measures only the transport:

- ``POST /v1/complete``   → ``ModelService.Complete``
- ``POST /v1/generate``   → ``ModelService.Generate`` as Server-Sent Events, one event per chunk
- ``POST /v1/embeddings`` → ``EmbeddingService.Embed``

Tuned as a careful team would: pydantic v2 request models (the contract's limits), responses serialised
once with orjson (numpy vectors natively), a pure-ASGI event stream that writes each chunk as it comes,
per-route request metrics like the mesh worker's, no access log, uvloop and httptools (``worker.py``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import orjson
from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.types import Receive, Scope, Send

from bench.baseline.metrics import RequestMetrics
from workers.embedding.batcher import Batcher
from workers.model.domain import Chunk, GenerationRequest, Sampling
from workers.model.engine import ModelEngine
from workers.runtime.errors import WorkerError

JSON = "application/json"
DEFAULT_MAX_TOKENS = 256
# gRPC code of a domain error -> HTTP status (the usual table, as a REST gateway maps them).
HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.CANCELLED: 499,
}


class CompleteRequest(BaseModel):
    """Body of ``POST /v1/complete`` and ``POST /v1/generate`` (limits of ``agentos.model.v1``)."""

    model: str = Field("", max_length=128, pattern=r"^[A-Za-z0-9._:/-]*$")
    prompt: str = Field(min_length=1, max_length=262144)
    max_tokens: int = Field(0, ge=0, le=8192)

    def to_domain(self) -> GenerationRequest:
        return GenerationRequest(
            model=self.model,
            prompt=self.prompt,
            messages=(),
            sampling=Sampling(max_tokens=self.max_tokens or DEFAULT_MAX_TOKENS),
        )


class EmbedRequest(BaseModel):
    """Body of ``POST /v1/embeddings``: 1 to 512 texts (limits of ``agentos.embedding.v1``)."""

    model: str = Field("", max_length=128, pattern=r"^[A-Za-z0-9._:/-]*$")
    texts: list[str] = Field(min_length=1, max_length=512)
    skip_normalize: bool = False


def chunk_json(chunk: Chunk) -> dict[str, Any]:
    """A chunk as JSON, fields at their default left out (as proto3 JSON does)."""
    out: dict[str, Any] = {"text": chunk.text, "token_count": chunk.token_count}
    if chunk.model:
        out["model"] = chunk.model
    if chunk.finish_reason is not None:
        out["finish_reason"] = f"FINISH_REASON_{chunk.finish_reason.name}"
    if chunk.usage is not None:
        u = chunk.usage
        out["usage"] = {
            "prompt_tokens": u.prompt_tokens,
            "completion_tokens": u.completion_tokens,
            "total_tokens": u.prompt_tokens + u.completion_tokens,
        }
    if chunk.timing is not None:
        t = chunk.timing
        out["timing"] = {
            "queue_time": f"{t.queue_time:.9f}s",
            "time_to_first_token": f"{t.time_to_first_token:.9f}s",
            "generation_time": f"{t.generation_time:.9f}s",
            "tokens_per_second": t.tokens_per_second,
        }
    return out


def error_response(err: WorkerError) -> Response:
    """A domain error as ``{"code", "message"}`` with the matching HTTP status."""
    body = {"code": err.code.name, "message": err.message}
    return Response(orjson.dumps(body), status_code=HTTP_STATUS.get(err.code, 500), media_type=JSON)


class EventStream(Response):
    """A Server-Sent Events response that runs one generation and writes each chunk at once.

    ``emit`` awaits the transport (uvicorn applies backpressure), so chunks produced while a slow client
    reads are coalesced by the engine, as on the mesh. A client that disconnects cancels the generation.
    An error after the stream started is sent as a final ``event: error``.
    """

    media_type = "text/event-stream"

    def __init__(self, engine: ModelEngine, request: GenerationRequest) -> None:
        super().__init__(status_code=200)
        self.engine = engine
        self.request = request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    (b"cache-control", b"no-cache"),
                    (b"x-accel-buffering", b"no"),
                ],
            }
        )

        async def emit(chunk: Chunk) -> None:
            await send(
                {
                    "type": "http.response.body",
                    "body": b"data: " + orjson.dumps(chunk_json(chunk)) + b"\n\n",
                    "more_body": True,
                }
            )

        generation = asyncio.ensure_future(self.engine.generate(self.request, emit))
        watcher = asyncio.ensure_future(self._wait_disconnect(receive, generation))
        try:
            final = await generation
            last = b"data: " + orjson.dumps(chunk_json(final)) + b"\n\n"
        except WorkerError as err:
            last = (
                b"event: error\ndata: "
                + orjson.dumps({"code": err.code.name, "message": err.message})
                + b"\n\n"
            )
        except asyncio.CancelledError:
            return
        finally:
            watcher.cancel()
        await send({"type": "http.response.body", "body": last, "more_body": False})

    @staticmethod
    async def _wait_disconnect(receive: Receive, generation: asyncio.Future[Chunk]) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                generation.cancel()
                return


def build(engine: ModelEngine, batcher: Batcher, embedding_model: str) -> FastAPI:
    """Assemble the baseline app around the mesh's engine and batcher (no process start-up here)."""
    app = FastAPI(title="baseline worker", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(RequestMetrics)

    @app.get("/health")
    async def health() -> Response:
        return Response(b'{"status":"SERVING"}', media_type=JSON)

    @app.post("/v1/complete")
    async def complete(req: CompleteRequest) -> Response:
        parts: list[str] = []

        async def collect(chunk: Chunk) -> None:
            parts.append(chunk.text)

        try:
            final = await engine.generate(req.to_domain(), collect)
        except WorkerError as err:
            return error_response(err)
        parts.append(final.text)
        body = chunk_json(final)
        body.pop("token_count")
        body["text"] = "".join(parts)
        return Response(orjson.dumps(body), media_type=JSON)

    @app.post("/v1/generate")
    async def generate(req: CompleteRequest) -> Response:
        domain = req.to_domain()
        try:
            engine.resolve_model(domain.model)
        except WorkerError as err:
            return error_response(err)
        return EventStream(engine, domain)

    @app.post("/v1/embeddings")
    async def embeddings(req: EmbedRequest) -> Response:
        if req.model and req.model != embedding_model:
            return Response(
                orjson.dumps(
                    {"code": "NOT_FOUND", "message": f"embedding model {req.model!r} is not served"}
                ),
                status_code=404,
                media_type=JSON,
            )
        result = await batcher.embed(req.texts, normalize=not req.skip_normalize)
        body = {
            "model": embedding_model,
            "dimensions": int(result.vectors.shape[1]),
            "embeddings": [
                {"values": row, "truncated": cut}
                for row, cut in zip(result.vectors, result.truncated, strict=True)
            ],
            "total_tokens": result.tokens,
        }
        return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type=JSON)

    return app
