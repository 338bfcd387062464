"""Tracks in-flight calls so a shutdown waits for real work, not for endless health watches."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from workers.runtime.handlers import WrappingInterceptor

# Streams that never end by themselves; a drain does not wait for them.
UNTRACKED_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class DrainInterceptor(WrappingInterceptor):
    """Counts calls in flight (health watches and reflection excluded); :meth:`idle` waits for zero."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def around(
        self, call: Callable[[], Awaitable[Any]], request: Any, context: grpc.aio.ServicerContext, method: str
    ) -> Any:
        if method.startswith(UNTRACKED_PREFIXES):
            return await call()
        self.in_flight += 1
        self._idle.clear()
        try:
            return await call()
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self._idle.set()

    async def idle(self) -> None:
        """Returns when no tracked call is in flight."""
        await self._idle.wait()
