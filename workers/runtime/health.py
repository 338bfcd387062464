"""``grpc.health.v1.Health`` for a worker: Check, Watch, and Watch streams that end with the drain.

grpcio's own asyncio servicer keeps every Watch stream open until the server cancels it, so a drain that
waits its grace period for calls in flight would wait for health watchers too (the gateway's, a load
balancer's). Here a drain sends each watcher NOT_SERVING and then ends its stream with OK: the server's
grace period is left to real calls.
"""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN


class HealthServicer(health_pb2_grpc.HealthServicer):
    """Serving status per service name ("" is the whole server), watched as the spec says."""

    def __init__(self) -> None:
        self._status: dict[str, health_pb2.HealthCheckResponse.ServingStatus.ValueType] = {"": SERVING}
        self._changed = asyncio.Condition()
        self._draining = False

    async def Check(
        self, request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext
    ) -> health_pb2.HealthCheckResponse:
        status = self._status.get(request.service)
        if status is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no service named {request.service!r} here")
        return health_pb2.HealthCheckResponse(status=status)

    async def Watch(self, request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext) -> None:
        """Sends the status now and on every change; ends after the drain's NOT_SERVING."""
        service = request.service
        last: int | None = None
        while True:
            async with self._changed:  # not held while writing: a slow watcher never delays set()
                await self._changed.wait_for(
                    lambda last=last: self._draining or self._status.get(service, SERVICE_UNKNOWN) != last
                )
                status = self._status.get(service, SERVICE_UNKNOWN)
            if status != last:
                await context.write(health_pb2.HealthCheckResponse(status=status))
                last = status
            if self._draining:
                return

    async def set(self, service: str, status: health_pb2.HealthCheckResponse.ServingStatus.ValueType) -> None:
        """Sets the status of ``service``; ignored once the drain began (it stays NOT_SERVING)."""
        async with self._changed:
            if self._draining:
                return
            self._status[service] = status
            self._changed.notify_all()

    async def enter_graceful_shutdown(self) -> None:
        """Every service NOT_SERVING for good; watchers are told and their streams end."""
        async with self._changed:
            self._draining = True
            for service in self._status:
                self._status[service] = NOT_SERVING
            self._changed.notify_all()
