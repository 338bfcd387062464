"""Wrapping the behaviour of a ``grpc.RpcMethodHandler``: the plumbing every interceptor class shares.

A wrapper is ``async (behavior, request, context, method) -> response``: it awaits ``behavior`` (the next
layer) and may act before and after. Streaming handlers written as coroutines (``await context.write``)
are wrapped as coroutines, so wrapping adds nothing per streamed message; async-generator handlers are
wrapped as async generators.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

Behavior = Callable[[Any, grpc.aio.ServicerContext], Any]
Around = Callable[[Callable[[], Awaitable[Any]], Any, grpc.aio.ServicerContext, str], Awaitable[Any]]


def _wrap(behavior: Behavior, around: Around, method: str) -> Behavior:
    if inspect.isasyncgenfunction(behavior):
        # A coroutine writing with context.write is simpler and cheaper than re-yielding: use that.
        async def coro(request: Any, context: grpc.aio.ServicerContext) -> Any:
            async def drain() -> None:
                async for item in behavior(request, context):
                    await context.write(item)

            return await around(drain, request, context, method)

        return coro

    async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await around(lambda: behavior(request, context), request, context, method)

    return wrapped


def wrap_handler(handler: grpc.RpcMethodHandler, around: Around, method: str) -> grpc.RpcMethodHandler:
    """A copy of ``handler`` whose behaviour runs inside ``around``."""
    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(_wrap(handler.unary_unary, around, method), **kwargs)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(_wrap(handler.unary_stream, around, method), **kwargs)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(_wrap(handler.stream_unary, around, method), **kwargs)
    return grpc.stream_stream_rpc_method_handler(_wrap(handler.stream_stream, around, method), **kwargs)


class WrappingInterceptor(grpc.aio.ServerInterceptor):
    """Base of the runtime's interceptors: wraps each method's handler once and caches the result."""

    def __init__(self) -> None:
        self._cache: dict[str, grpc.RpcMethodHandler] = {}

    async def around(
        self, call: Callable[[], Awaitable[Any]], request: Any, context: grpc.aio.ServicerContext, method: str
    ) -> Any:
        """Runs one call; subclasses act before and after ``await call()``."""
        return await call()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        try:
            return self._cache[method]
        except KeyError:
            pass
        handler = await continuation(handler_call_details)
        if handler is None:  # an unknown method: gRPC answers UNIMPLEMENTED; not cached (names are unbounded)
            return None
        wrapped = wrap_handler(handler, self.around, method)
        self._cache[method] = wrapped
        return wrapped
