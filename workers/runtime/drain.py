"""Tracks in-flight calls so a shutdown waits for real work, not for endless health watches."""

from __future__ import annotations

import asyncio

# Streams that never end by themselves; a drain does not wait for them.
UNTRACKED_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def is_tracked(method: str) -> bool:
    """Whether a drain waits for calls of ``method`` (health watches and reflection excluded)."""
    return not method.startswith(UNTRACKED_PREFIXES)


class DrainTracker:
    """Counts calls in flight; :meth:`idle` waits for zero. The call guard calls :meth:`enter`/:meth:`leave`."""

    def __init__(self) -> None:
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        """One more call in flight."""
        if self.in_flight == 0:
            self._idle.clear()
        self.in_flight += 1

    def leave(self) -> None:
        """One call finished (however it ended)."""
        self.in_flight -= 1
        if self.in_flight == 0:
            self._idle.set()

    async def idle(self) -> None:
        """Returns when no tracked call is in flight."""
        await self._idle.wait()
