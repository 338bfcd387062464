"""``ModelService``: a thin adapter from protobuf to the :class:`~workers.model.engine.ModelEngine`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import grpc
from agentos.model.v1 import model_pb2, model_pb2_grpc

from workers.model.domain import Chunk, GenerationRequest
from workers.model.engine import ModelEngine
from workers.runtime.errors import NotFound

SCRIPT_METADATA_KEY = "x-agentos-script"


def _script(context: grpc.aio.ServicerContext) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == SCRIPT_METADATA_KEY:
            return value if isinstance(value, str) else value.decode()
    return None


def _deadline(context: grpc.aio.ServicerContext) -> float | None:
    remaining = context.time_remaining()
    if remaining is None or remaining > 10 * 365 * 86400:
        return None
    return asyncio.get_running_loop().time() + remaining


class ModelServicer(model_pb2_grpc.ModelServiceServicer):
    """Serves ModelService from an engine; requests arrive validated (CallGuard)."""

    def __init__(self, engine: ModelEngine) -> None:
        self.engine = engine

    async def ListModels(
        self, request: model_pb2.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> model_pb2.ListModelsResponse:
        models = self.engine.backend.models()
        return model_pb2.ListModelsResponse(models=[m.to_pb() for m in models], default_model=models[0].id)

    def _request(
        self,
        request: model_pb2.GenerateRequest | model_pb2.CompleteRequest,
        context: grpc.aio.ServicerContext,
    ) -> GenerationRequest:
        # Only the scripted backend reads metadata: other calls skip copying it out of gRPC.
        script = _script(context) if self.engine.backend.reads_script else None
        return GenerationRequest.from_pb(request, script)

    async def Generate(self, request: model_pb2.GenerateRequest, context: grpc.aio.ServicerContext) -> None:
        write = context.write

        def emit(chunk: Chunk) -> Awaitable[None]:
            return write(chunk.to_pb())  # the write itself is the awaitable: no coroutine per message

        final = await self.engine.generate(self._request(request, context), emit, _deadline(context))
        await write(final.to_pb())

    async def Complete(
        self, request: model_pb2.CompleteRequest, context: grpc.aio.ServicerContext
    ) -> model_pb2.CompleteResponse:
        parts: list[str] = []

        async def collect(chunk: Chunk) -> None:
            parts.append(chunk.text)

        final = await self.engine.generate(self._request(request, context), collect, _deadline(context))
        parts.append(final.text)
        return model_pb2.CompleteResponse(
            text="".join(parts),
            finish_reason=final.finish_reason.value if final.finish_reason else 0,
            usage=final.usage.to_pb() if final.usage else None,
            timing=final.timing.to_pb() if final.timing else None,
            model=final.model,
        )

    async def Classify(
        self, request: model_pb2.ClassifyRequest, context: grpc.aio.ServicerContext
    ) -> model_pb2.ClassifyResponse:
        raise NotFound(
            f"no classifier model named {request.model!r} on this worker: classifiers are trained by "
            "fine-tuning jobs (agentos.jobs.v1) and none has been trained here yet"
        )
