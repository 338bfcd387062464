"""Counts calls and measures their duration per method (see :mod:`workers.runtime.metrics`).

prometheus_client's ``labels()`` costs a few microseconds (it builds and hashes a key tuple under a lock),
so each method resolves its series once and keeps them. The in-flight gauge reads a plain counter when
scraped instead of taking a lock twice per call.
"""

from __future__ import annotations

import asyncio

import grpc

from workers.runtime.metrics import RPC_DURATION, RPCS, RPCS_IN_FLIGHT


class MethodMetrics:
    """``agentos_worker_rpcs_total``, ``..._rpc_duration_seconds`` and ``..._rpcs_in_flight`` of one method."""

    __slots__ = ("_finished", "duration", "in_flight", "method")

    def __init__(self, method: str) -> None:
        self.method = method
        self.duration = RPC_DURATION.labels(method)
        self.in_flight = 0
        RPCS_IN_FLIGHT.labels(method).set_function(lambda: self.in_flight)
        self._finished: dict[str, object] = {}

    def finished(self, code: str, seconds: float) -> None:
        """Records one call (counted in ``in_flight`` by the caller when it started) that ended with status ``code`` after ``seconds``."""
        self.in_flight -= 1
        self.duration.observe(seconds)
        counter = self._finished.get(code)
        if counter is None:
            counter = self._finished[code] = RPCS.labels(self.method, code)
        counter.inc()  # type: ignore[attr-defined]


def code_of(context: grpc.aio.ServicerContext, error: BaseException | None) -> str:
    """The status name a call ended with: the code it set, else OK, or why it was cut short."""
    if isinstance(error, asyncio.CancelledError):
        remaining = context.time_remaining()
        return "DEADLINE_EXCEEDED" if remaining is not None and remaining <= 0 else "CANCELLED"
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code.name
    return "OK" if error is None else "UNKNOWN"
