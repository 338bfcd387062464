"""Wrapping every method handler of a server once, when it is registered.

grpc.aio runs a server's interceptors as a chain of coroutines on every call. A worker instead wraps each
``grpc.RpcMethodHandler`` once, at registration: :class:`WrappingServer` stands in for the
``grpc.aio.Server`` while services add themselves, and hands each handler to a ``wrap`` function (see
:mod:`workers.runtime.call_guard`). Unknown methods still find no handler (gRPC answers UNIMPLEMENTED).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import grpc
from google.protobuf.message import DecodeError

Behavior = Callable[[Any, grpc.aio.ServicerContext], Any]
Wrap = Callable[[grpc.RpcMethodHandler, str], grpc.RpcMethodHandler]


class Undecodable:
    """What a request that does not decode becomes (instead of an exception inside grpc, answered UNKNOWN)."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """``deserializer`` returning :class:`Undecodable` where it would raise, so the call guard can answer."""
    if deserializer is None:
        return None

    def parse(data: bytes) -> Any:
        try:
            return deserializer(data)
        except (DecodeError, ValueError) as err:  # not protobuf, bad UTF-8 in a string field, ...
            return Undecodable(err)

    return parse


def replace_behavior(
    handler: grpc.RpcMethodHandler, behavior: Behavior, request_deserializer: Any = None
) -> grpc.RpcMethodHandler:
    """A copy of ``handler`` (same kind, same serializer) that runs ``behavior``; same deserializer unless given."""
    kwargs = {
        "request_deserializer": request_deserializer or handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(behavior, **kwargs)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(behavior, **kwargs)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(behavior, **kwargs)
    return grpc.stream_stream_rpc_method_handler(behavior, **kwargs)


def behavior_of(handler: grpc.RpcMethodHandler) -> Behavior:
    """The application function of ``handler``, whatever its kind."""
    return (  # type: ignore[no-any-return]
        handler.unary_unary or handler.unary_stream or handler.stream_unary or handler.stream_stream
    )


class _WrappedGenericHandler(grpc.GenericRpcHandler):
    """A generic handler whose method handlers come out wrapped (once per method, then cached)."""

    def __init__(self, inner: grpc.GenericRpcHandler, wrapped: Callable[[str, grpc.RpcMethodHandler], Any]):
        self._inner = inner
        self._wrapped = wrapped
        self._cache: dict[str, grpc.RpcMethodHandler] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        handler = self._cache.get(method)
        if handler is None:
            inner = self._inner.service(handler_call_details)
            if inner is None:  # not ours: the next generic handler, or UNIMPLEMENTED; names are unbounded
                return None
            handler = self._cache[method] = self._wrapped(method, inner)
        return handler


class WrappingServer(grpc.aio.Server):
    """Stands in for a ``grpc.aio.Server`` while services register: every handler they add is wrapped.

    It is a ``grpc.aio.Server`` itself (reflection checks that to pick its asyncio servicer); everything
    but registration is delegated to the real server.
    """

    def __init__(self, server: grpc.aio.Server, wrap: Wrap) -> None:
        self.server = server
        self._wrap = wrap
        self._by_method: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def wrapped(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """``handler`` of ``method`` wrapped; the same object for every registration path of a method."""
        known = self._by_method.get(method)
        if known is not None and known[0] is handler:
            return known[1]
        result = self._wrap(handler, method)
        self._by_method[method] = (handler, result)
        return result

    def handler(self, method: str) -> grpc.RpcMethodHandler | None:
        """The wrapped handler of ``method`` (``/package.Service/Method``) if a service registered it."""
        known = self._by_method.get(method)
        return known[1] if known is not None else None

    def add_generic_rpc_handlers(self, generic_rpc_handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self.server.add_generic_rpc_handlers(
            [_WrappedGenericHandler(h, self.wrapped) for h in generic_rpc_handlers]
        )

    def add_registered_method_handlers(
        self, service_name: str, method_handlers: dict[str, grpc.RpcMethodHandler]
    ) -> None:
        self.server.add_registered_method_handlers(
            service_name,
            {
                name: self.wrapped(f"/{service_name}/{name}", handler)
                for name, handler in method_handlers.items()
            },
        )

    def add_insecure_port(self, address: str) -> int:
        return self.server.add_insecure_port(address)

    def add_secure_port(self, address: str, server_credentials: grpc.ServerCredentials) -> int:
        return self.server.add_secure_port(address, server_credentials)

    async def start(self) -> None:
        await self.server.start()

    async def stop(self, grace: float | None) -> None:
        await self.server.stop(grace)

    async def wait_for_termination(self, timeout: float | None = None) -> bool:
        return await self.server.wait_for_termination(timeout)
