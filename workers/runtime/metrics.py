"""Prometheus metrics of a worker and the HTTP endpoint that serves them (``--metrics-port``).

Every worker exports, per gRPC method, ``agentos_worker_rpcs_total{method,code}``,
``agentos_worker_rpc_duration_seconds{method}`` and ``agentos_worker_rpcs_in_flight{method}``, plus the
process collectors (CPU seconds, memory). Workers add their own counters to :data:`REGISTRY`.
"""

from __future__ import annotations

import logging
import os
from typing import Any

os.environ.setdefault("PROMETHEUS_DISABLE_CREATED_SERIES", "True")

import prometheus_client
from prometheus_client import REGISTRY, Counter, Gauge, Histogram

log = logging.getLogger("workers.metrics")

# Durations from 0.5 ms (a unary call on loopback) to 5 minutes (a long generation).
DURATION_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
    60,
    300,
)

RPCS = Counter("agentos_worker_rpcs", "gRPC calls finished, by method and status code", ["method", "code"])
RPC_DURATION = Histogram(
    "agentos_worker_rpc_duration_seconds",
    "Duration of gRPC calls, by method",
    ["method"],
    buckets=DURATION_BUCKETS,
)
RPCS_IN_FLIGHT = Gauge("agentos_worker_rpcs_in_flight", "gRPC calls being served, by method", ["method"])
WORKER_INFO = Gauge("agentos_worker_info", "Which worker this process is (value 1)", ["worker", "version"])


class MetricsServer:
    """The ``/metrics`` HTTP endpoint (a daemon thread of prometheus_client); ``port=0`` means off."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: Any = None

    def start(self) -> None:
        """Starts serving when a port was given."""
        if not self.port:
            return
        self._server, self._thread = prometheus_client.start_http_server(self.port, addr=self.host)
        log.info("metrics on http://%s:%d/metrics", self.host, self.port)

    def stop(self) -> None:
        """Stops the HTTP endpoint."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


__all__ = [
    "REGISTRY",
    "RPCS",
    "RPCS_IN_FLIGHT",
    "RPC_DURATION",
    "WORKER_INFO",
    "Counter",
    "Gauge",
    "Histogram",
    "MetricsServer",
]
