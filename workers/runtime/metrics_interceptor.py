"""Counts calls and measures their duration per method (see :mod:`workers.runtime.metrics`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from workers.runtime.handlers import WrappingInterceptor
from workers.runtime.metrics import RPC_DURATION, RPCS, RPCS_IN_FLIGHT


class MetricsInterceptor(WrappingInterceptor):
    """Records ``agentos_worker_rpcs_total``, ``..._rpc_duration_seconds`` and ``..._rpcs_in_flight``."""

    def __init__(self) -> None:
        super().__init__()
        self._children: dict[str, tuple[Any, Any]] = {}

    async def around(
        self, call: Callable[[], Awaitable[Any]], request: Any, context: grpc.aio.ServicerContext, method: str
    ) -> Any:
        children = self._children.get(method)
        if children is None:
            children = (RPC_DURATION.labels(method), RPCS_IN_FLIGHT.labels(method))
            self._children[method] = children
        duration, in_flight = children
        in_flight.inc()
        start = time.perf_counter()
        code = "UNKNOWN"
        try:
            result = await call()
            set_code = context.code()
            code = set_code.name if isinstance(set_code, grpc.StatusCode) else "OK"
            return result
        except asyncio.CancelledError:
            remaining = context.time_remaining()
            code = "DEADLINE_EXCEEDED" if remaining is not None and remaining <= 0 else "CANCELLED"
            raise
        except BaseException:
            set_code = context.code()
            code = set_code.name if isinstance(set_code, grpc.StatusCode) else "UNKNOWN"
            raise
        finally:
            in_flight.dec()
            duration.observe(time.perf_counter() - start)
            RPCS.labels(method, code).inc()
