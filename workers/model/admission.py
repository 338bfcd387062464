"""Bounded concurrency: ``slots`` generations run at once, ``max_queue`` more wait, the rest are refused.

A waiter that is cancelled (or whose deadline passes) leaves the queue at once; a slot is always handed
to the oldest waiter, so the queue is fair. When a slot is free and nobody waits, :meth:`Admission.acquire`
takes it without suspending (the common case: no future, no context manager).
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable

from workers.runtime.errors import Overloaded


class Admission:
    """Slots and a FIFO queue; ``on_change(active, queued)`` is called whenever either changes."""

    def __init__(
        self, slots: int, max_queue: int, on_change: Callable[[int, int], None] | None = None
    ) -> None:
        if slots < 1:
            raise ValueError("slots must be >= 1")
        self.slots = slots
        self.max_queue = max_queue
        self.active = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._on_change = on_change or (lambda active, queued: None)

    @property
    def queued(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> float:
        """Takes a slot (waiting in the queue if needed); returns the seconds spent waiting.

        Raises Overloaded when every slot is busy and the queue is full. Every successful call must be
        followed by exactly one :meth:`release`.
        """
        if self.active < self.slots and not self._waiters:
            self.active += 1
            self._on_change(self.active, 0)
            return 0.0
        if len(self._waiters) >= self.max_queue:
            raise Overloaded(
                f"the model worker is at capacity: {self.active} generation(s) running and "
                f"{len(self._waiters)} waiting (--max-concurrency {self.slots}, --max-queue {self.max_queue}); "
                "retry later or on another replica"
            )
        start = time.perf_counter()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._on_change(self.active, len(self._waiters))
        try:
            await waiter  # resolved by release, which hands its slot over (active stays the same)
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed to us just as we gave up: pass it on
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
                self._on_change(self.active, len(self._waiters))
            raise
        self._on_change(self.active, len(self._waiters))
        return time.perf_counter() - start

    def release(self) -> None:
        """Gives a slot back: to the oldest waiter, else to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._on_change(self.active, len(self._waiters))
                return
        self.active -= 1
        self._on_change(self.active, len(self._waiters))
