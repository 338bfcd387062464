"""Per-route request metrics for the baseline worker, the counterpart of the mesh worker's interceptor.

The mesh worker counts every call and times it (``agentos_worker_rpcs_total``,
``..._rpc_duration_seconds``, ``..._rpcs_in_flight``); the baseline does the same per route, so both
stacks pay for the same observability.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workers.runtime.metrics import DURATION_BUCKETS

REQUESTS = Counter(
    "baseline_http_requests", "HTTP requests finished, by route and status", ["route", "status"]
)
DURATION = Histogram(
    "baseline_http_request_duration_seconds", "Duration of HTTP requests", ["route"], buckets=DURATION_BUCKETS
)
IN_FLIGHT = Gauge("baseline_http_requests_in_flight", "HTTP requests being served", ["route"])


class RequestMetrics:
    """Pure ASGI middleware: in-flight gauge, duration histogram and a counter by status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._children: dict[str, tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = scope["path"]
        children = self._children.get(route)
        if children is None:
            children = (DURATION.labels(route), IN_FLIGHT.labels(route))
            self._children[route] = children
        duration, in_flight = children
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        in_flight.inc()
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_status)
        finally:
            in_flight.dec()
            duration.observe(time.perf_counter() - start)
            REQUESTS.labels(route, str(status)).inc()
