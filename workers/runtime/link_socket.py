"""The worker link over a plain TCP connection: the same messages as ``Exchange``, without grpc core.

On the ``Exchange`` stream every results message the worker writes goes through grpc core: a batch
started from the event loop, a ``sendmsg``, and a completion that grpc's poller thread hands back to the
loop with a wake-up. At a thousand paced token streams that is a third of the worker's CPU per token. A
link socket carries the same ``ExchangeRequest`` and ``ExchangeResponse`` messages on a TCP connection
that the event loop reads and writes itself (``asyncio.Protocol``, ``transport.write``), and runs them
through the same :class:`~workers.runtime.link._Link`: the same calls, handlers, flow control, drain.

The worker listens on a second port (``--link-port``) and names it in the ``agentos-link-socket``
header of every ``Exchange`` it answers, so a gateway learns it from the link it already opens, and
keeps using that stream when the port cannot be reached (a proxy or a service that forwards only the
gRPC port).

On the connection (all lengths big-endian):

- The gateway opens with the preface ``AGENTOS-LINK/1\\r\\n``; the worker answers with the same
  16 bytes. Anything else is not a link: the worker closes the connection.
- Then both sides send frames: one byte of flags, four of length, the message. The gateway sends
  ``ExchangeRequest`` messages (flags 0), each at most ``--max-message-bytes``.
- The worker sends ``ExchangeResponse`` messages (flags 0) and ends the link with one frame of flags
  ``0x80`` holding a ``LinkResult`` whose ``code`` and ``message`` are the link's status, as the
  ``Exchange`` stream's trailers would carry them: OK once it drained (every call it took has its
  result), an error when the gateway broke the protocol. It closes the connection after that frame; a
  connection closed without it failed (its calls in flight may have run).
- The gateway half-closes (FIN) as it would half-close the stream: the worker stops waiting for credits
  and ends the link once its calls are answered.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any, cast

import grpc
from agentos.mesh.v1 import link_pb2

from workers.runtime.link import LinkServicer, _Link

log = logging.getLogger("workers.link")

#: The response header of ``Exchange`` naming the worker's link socket port.
LINK_SOCKET_HEADER = "agentos-link-socket"
#: The first 16 bytes each side sends on a link socket.
PREFACE = b"AGENTOS-LINK/1\r\n"
#: Flags of the worker's last frame: the link's status.
END_FLAG = 0x80
_HEADER = 5

INTERNAL = grpc.StatusCode.INTERNAL.value[0]
RESOURCE_EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]


class _LinkConnection(asyncio.Protocol):
    """One link socket: the preface, then frames in, results out, and the status frame at the end."""

    def __init__(self, servicer: LinkServicer, closed: set[_LinkConnection]) -> None:
        self._servicer = servicer
        self._connections = closed
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._link: _Link | None = None
        self._writer: asyncio.Task[None] | None = None
        self._paused: asyncio.Future[None] | None = None
        self._ended = False
        self.done = asyncio.get_running_loop().create_future()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # Results messages must leave at once, not wait for the previous segment's ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._connections.add(self)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if self._link is None:
            if len(buffer) < len(PREFACE):
                if not PREFACE.startswith(bytes(buffer)):
                    self.abort()
                return
            if buffer[: len(PREFACE)] != PREFACE:
                self.abort()
                return
            del buffer[: len(PREFACE)]
            self._open()
        link = self._link
        assert link is not None
        limit = self._servicer.max_message_bytes
        pos = 0
        while not self._ended and len(buffer) - pos >= _HEADER:
            flags = buffer[pos]
            size = int.from_bytes(buffer[pos + 1 : pos + _HEADER], "big")
            if flags != 0:
                self._fail(INTERNAL, f"the gateway sent a link frame with flags {flags}")
                return
            if size > limit:
                self._fail(RESOURCE_EXHAUSTED, f"Received message larger than max ({size} vs. {limit})")
                return
            if len(buffer) - pos - _HEADER < size:
                break
            start = pos + _HEADER
            try:
                request = link_pb2.ExchangeRequest.FromString(bytes(buffer[start : start + size]))
            except Exception as err:  # noqa: BLE001 - any decode failure ends the link the same way
                self._fail(INTERNAL, f"the gateway sent a calls message that does not decode: {err}")
                return
            pos = start + size
            link.take(request)
        del buffer[:pos]

    def eof_received(self) -> bool:
        link = self._link
        if link is None:
            self.abort()
            return False
        link.reading_done = True
        link.lift_windows()  # no credit can come any more: streams run on unthrottled
        link._maybe_end()
        return True  # keep writing: the calls taken still send their results

    def pause_writing(self) -> None:
        if self._paused is None:
            self._paused = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        paused, self._paused = self._paused, None
        if paused is not None and not paused.done():
            paused.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended = True
        if self._writer is not None:
            self._writer.cancel()
        if self._link is not None:
            self._link.cancel_all()
            self._servicer._links.discard(self._link)
        self.resume_writing()
        self._connections.discard(self)
        if not self.done.done():
            self.done.set_result(None)

    @property
    def linked(self) -> bool:
        """Whether the preface came and the connection carries a link."""
        return self._link is not None

    # the link

    def _open(self) -> None:
        assert self._transport is not None
        self._transport.write(PREFACE)
        link = self._link = _Link(self._servicer, self._servicer.max_message_bytes)
        if self._servicer.closing:
            link.close()
        self._servicer._links.add(link)
        self._writer = asyncio.get_running_loop().create_task(self._write(link))

    async def _send(self, message: bytes) -> None:
        self._frame(0, message)
        if self._paused is not None:
            await self._paused

    def _frame(self, flags: int, data: bytes) -> None:
        assert self._transport is not None
        if not self._transport.is_closing():
            # Header and message in one vectored write: the message (up to 1 MiB) is not copied.
            self._transport.writelines((bytes((flags,)) + len(data).to_bytes(4, "big"), data))

    async def _write(self, link: _Link) -> None:
        try:
            await link.write_results(self._send)
        except Exception as err:  # a bug in the link: end it for the gateway to see
            log.error("the link socket's writer failed", exc_info=err)
            self._fail(INTERNAL, f"the link failed: {type(err).__name__}")
            return
        self._end(0, "")

    def _end(self, code: int, message: str) -> None:
        if self._ended:
            return
        self._ended = True
        self._frame(END_FLAG, link_pb2.LinkResult(code=code, message=message).SerializeToString())
        assert self._transport is not None
        self._transport.close()  # after what is buffered

    def _fail(self, code: int, message: str) -> None:
        """Ends the link with an error: its calls are cancelled, the gateway reads ``message``."""
        if self._transport is not None:
            self._transport.pause_reading()
        if self._writer is not None:
            self._writer.cancel()
        if self._link is not None:
            self._link.cancel_all()
        self._end(code, message)

    def abort(self) -> None:
        self._ended = True
        if self._transport is not None:
            self._transport.abort()

    def stop(self) -> None:
        """Cuts the link short (the drain's grace period is over): its calls are cancelled."""
        self._fail(grpc.StatusCode.UNAVAILABLE.value[0], "the worker stopped")


class LinkSocketServer:
    """Serves the link socket of ``servicer``; :meth:`start` names its port in ``Exchange`` headers."""

    def __init__(self, servicer: LinkServicer) -> None:
        self._servicer = servicer
        self._server: asyncio.Server | None = None
        self._connections: set[_LinkConnection] = set()

    async def start(self, host: str, port: int) -> int:
        """Listens on ``host:port`` (0 picks a free port); returns the port, also given to ``Exchange``."""
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: _LinkConnection(self._servicer, self._connections), host, port
            )
        except OSError as err:
            raise OSError(f"cannot listen for the link on {host}:{port}: {err.strerror or err}") from err
        bound: int = self._server.sockets[0].getsockname()[1]
        self._servicer.extra_headers = ((LINK_SOCKET_HEADER, str(bound)),)
        return bound

    def close(self) -> None:
        """Takes no new connections; the links open go on until they end, connections without one close."""
        self._servicer.extra_headers = ()
        if self._server is not None:
            self._server.close()
        for c in list(self._connections):
            if not c.linked:
                c.abort()

    def stop_now(self) -> None:
        """Cuts every open link short: their calls are cancelled."""
        self.close()
        for c in list(self._connections):
            c.stop()

    async def wait_closed(self, grace: float) -> None:
        """Waits up to ``grace`` seconds for the open links to end, then cuts the rest short."""
        self.close()
        pending: list[Any] = [c.done for c in self._connections]
        if pending:
            _, late = await asyncio.wait(pending, timeout=grace)
            if late:
                self.stop_now()
                await asyncio.wait(late, timeout=1.0)
