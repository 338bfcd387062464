"""Runs a worker: load, warm up, listen, report health, serve, and drain on SIGTERM/SIGINT.

Order matters (STYLE.md): the model loads and answers a real warm-up inference *before* the server
listens, so a health check that reaches the worker sees SERVING only when it can really serve. On SIGTERM
or SIGINT the health turns NOT_SERVING, the server stops accepting calls, in-flight calls get
``--grace-period`` seconds to finish, then the rest are cancelled and the process exits 0. A second
signal skips the wait.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from workers.runtime.call_guard import CallGuard
from workers.runtime.errors import StartupError
from workers.runtime.handlers import WrappingServer
from workers.runtime.health import SERVING, HealthServicer
from workers.runtime.link import SERVICE as LINK_SERVICE
from workers.runtime.link import LinkServicer
from workers.runtime.link_socket import LinkSocketServer
from workers.runtime.metrics import WORKER_INFO, MetricsServer

log = logging.getLogger("workers.server")


@dataclass(frozen=True)
class Registration:
    """One service to serve: its full name (for health and reflection) and how to add it to a server."""

    name: str
    add: Callable[[grpc.aio.Server], None]


#: The most metadata (headers, as HPACK counts them) a call may carry; more is RESOURCE_EXHAUSTED.
MAX_METADATA_BYTES = 16 * 1024


def server_options(config: Any) -> list[tuple[str, Any]]:
    """gRPC channel arguments of a worker server.

    Tried for the many small streamed messages of token streams and kept out because none helped on the
    benchmark machine (16 concurrent 256-token streams at 100 tokens/s each, server CPU per token, two
    servers loaded side by side so both see the same contention; the same setting against itself
    differs by up to 15%): ``grpc.optimization_target=throughput`` cost 13-23% more CPU per token,
    ``grpc.max_concurrent_streams=1000`` 15-18% more, ``grpc.http2.write_buffer_size=65536`` made no
    difference. Per message the time goes to grpc core's own ``sendmsg`` and to waking the event loop
    from grpc's completion-queue thread, which no channel argument removes.
    """
    return [
        # Two workers must never share a port silently (gRPC sets SO_REUSEPORT by default).
        ("grpc.so_reuseport", 0),
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes),
        # One limit on a call's metadata, not grpc's two: between its soft limit (8 KiB) and its hard
        # one (16 KiB) grpc rejects calls at random, more often the larger they are.
        ("grpc.max_metadata_size", MAX_METADATA_BYTES),
        ("grpc.absolute_max_metadata_size", MAX_METADATA_BYTES),
        # Let the gateway keep idle HTTP/2 connections alive with pings every >= 10 s.
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
        ("grpc.http2.max_ping_strikes", 0),
        ("grpc.keepalive_time_ms", 60_000),
        ("grpc.keepalive_timeout_ms", 20_000),
    ]


class WorkerServer:
    """A gRPC server for a set of services with health, reflection, metrics and a graceful drain."""

    def __init__(self, config: Any, services: Sequence[Registration]) -> None:
        self.config = config
        self.services = list(services)
        self.health = HealthServicer()
        self.guard = CallGuard()
        self.tracker = self.guard.tracker
        # No grpc.aio interceptors (a chain of coroutines per call): every handler is wrapped once instead.
        self.server = grpc.aio.server(options=server_options(config))
        self.link: LinkServicer | None = None
        self.link_socket: LinkSocketServer | None = None
        #: The link socket's port once it listens (0: not listening).
        self.link_port = 0
        self.metrics = MetricsServer(config.host, config.metrics_port)
        self.port = 0
        self._stopping = asyncio.Event()
        self._signals = 0

    async def start(self) -> int:
        """Registers everything, binds the port and starts serving; returns the bound port."""
        registrar = WrappingServer(self.server, self.guard.wrap)
        for service in self.services:
            service.add(registrar)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, registrar)
        # The link runs the wrapped handlers itself; registered on the real server, so the link stream
        # is not a call of its own to the guard (its calls are, each through its method's handler).
        self.link = LinkServicer(registrar.handler, self.config.max_message_bytes)
        self.link.add_to(self.server)
        names = [s.name for s in self.services]
        reflection.enable_server_reflection(
            [*names, LINK_SERVICE, health.SERVICE_NAME, reflection.SERVICE_NAME], registrar
        )
        address = f"{self.config.host}:{self.config.port}"
        try:
            self.port = self.server.add_insecure_port(address)
        except RuntimeError as err:
            raise OSError(f"cannot listen on {address}: {err} (is the port in use?)") from err
        if self.port == 0:
            raise OSError(f"cannot listen on {address} (is the port in use?)")
        await self.server.start()
        if self.config.link_port >= 0:
            self.link_socket = LinkSocketServer(self.link)
            self.link_port = await self.link_socket.start(self.config.host, self.config.link_port)
        for name in ["", *names]:
            await self.health.set(name, SERVING)
        self.metrics.start()
        return self.port

    def handle_signals(self) -> None:
        """SIGTERM/SIGINT start the drain; a second one cuts the grace period short."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: int) -> None:
        self._signals += 1
        log.info(
            "received %s (%d): %s",
            signal.Signals(sig).name,
            self._signals,
            "draining" if self._signals == 1 else "stopping now",
        )
        self._stopping.set()
        if self._signals > 1:
            asyncio.get_running_loop().create_task(self.server.stop(0))
            if self.link_socket is not None:
                self.link_socket.stop_now()

    async def wait_for_stop(self) -> None:
        """Returns once a signal asked the worker to stop."""
        await self._stopping.wait()

    def request_stop(self) -> None:
        """Starts the drain as a signal would (for embedding the server in tests or tools)."""
        self._stopping.set()

    async def drain(self) -> None:
        """NOT_SERVING, stop accepting, give in-flight calls the grace period, then cancel the rest.

        Every call the server has begun counts, including one whose request is still arriving (its
        handler has not run yet); health watches end with the NOT_SERVING they are sent.
        """
        await self.health.enter_graceful_shutdown()
        if self.link is not None:
            self.link.close()
        started = time.monotonic()
        in_flight = self.tracker.in_flight
        if self.link_socket is not None:
            self.link_socket.close()
            await asyncio.gather(
                self.server.stop(self.config.grace_period),
                self.link_socket.wait_closed(self.config.grace_period),
            )
        else:
            await self.server.stop(self.config.grace_period)
        log.info(
            "drained in %.2fs (%d call(s) were running when it began)", time.monotonic() - started, in_flight
        )
        self.metrics.stop()


async def serve(
    config: Any,
    services: Sequence[Registration],
    *,
    load: Callable[[], Awaitable[None]],
    close: Callable[[], Awaitable[None]] | None = None,
    version: str = "0.1.0",
) -> None:
    """Loads (``load`` must end with a real warm-up inference), serves until a signal, drains, closes."""
    started = time.monotonic()
    await load()
    log.info("loaded and warmed up in %.2fs", time.monotonic() - started)
    server = WorkerServer(config, services)
    server.handle_signals()
    WORKER_INFO.labels(config.worker, version).set(1)
    port = await server.start()
    # Tests and tools read this line to learn a port chosen with --port 0.
    log.info("serving %s on %s:%d", ", ".join(s.name for s in services), config.host, port)
    if server.link_port:
        log.info("link socket on %s:%d", config.host, server.link_port)
    await server.wait_for_stop()
    await server.drain()
    if close is not None:
        await close()
    log.info("stopped")


def run(main: Callable[[], Coroutine[Any, Any, None]], config: Any) -> int:
    """Runs ``main`` on the configured event loop; returns the process exit status."""
    configure_logging(config.log_level)
    if config.event_loop in ("auto", "uvloop"):
        try:
            import uvloop
        except ImportError:
            if config.event_loop == "uvloop":
                log.warning("uvloop is not installed: using the asyncio event loop")
        else:
            return _run_with(main, uvloop.new_event_loop)
    return _run_with(main, asyncio.new_event_loop)


def _run_with(
    main: Callable[[], Coroutine[Any, Any, None]], factory: Callable[[], asyncio.AbstractEventLoop]
) -> int:
    with asyncio.Runner(loop_factory=factory) as runner:
        try:
            runner.run(main())
        except (StartupError, OSError) as err:
            log.error("cannot start: %s", err)
            return 1
    return 0


def configure_logging(level: str) -> None:
    """One line per event on stderr: time, level, logger, message."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
