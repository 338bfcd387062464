"""``agentos.mesh.v1.WorkerLinkService``: unary and server-streaming calls carried many to a message.

A grpc.aio server pays a fixed cost per call: four completion-queue batches (the call arriving, its
message, the status sent, the close), each handed from grpc's poller thread to the event loop, and one
hand-off per streamed message. The gateway instead opens one ``Exchange`` per connection and sends the
calls it relays as ``LinkCall`` entries on it; calls that arrive together share a message, and results
and streamed messages that are ready together (tokens of many streams) share one back. Each call runs
through the *same* wrapped handler as a call on its own stream (the
:class:`~workers.runtime.call_guard.CallGuard`: drain tracking, metrics, validation, error statuses), with
a :class:`LinkContext` (:class:`StreamContext` for server streams) standing in for grpc's context.

What a call keeps: its method, request bytes, metadata, deadline (``asyncio.timeout`` around the handler,
DEADLINE_EXCEEDED as grpc says it), cancellation (the gateway lists abandoned ids), its status with
message and trailing metadata (``grpc-status-details-bin``), and for a server stream its messages in
order under flow control: ``write`` waits while the call's window (65,535 bytes unless the gateway names
another) is used up, and the gateway's credits reopen it as its client reads. What stays on its own
stream: client- and bidi-streaming methods (answered ``refused``, so the gateway opens a stream
instead), and anything the gateway does not send here (compressed or large requests).

On drain (:meth:`LinkServicer.close`) every link stops taking calls (later ones are answered ``refused``:
never run, safe to send elsewhere), lets the calls it took finish, and ends with OK.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from agentos.mesh.v1 import link_pb2, link_pb2_grpc

log = logging.getLogger("workers.link")

SERVICE = link_pb2.DESCRIPTOR.services_by_name["WorkerLinkService"].full_name

#: The response header that confirms the link to the gateway.
LINK_HEADER = "agentos-link"
#: The response header with the largest message the worker takes (``--max-message-bytes``): the gateway
#: keeps each calls message within it, and sends a call that would not fit on a stream of its own.
LINK_MAX_MESSAGE_HEADER = "agentos-link-max-message"
#: A results message is sent once it holds this many bytes; more results wait for the next one.
MAX_BATCH_BYTES = 1 << 20
#: A server-streaming call's window when the gateway names none (HTTP/2's default).
DEFAULT_WINDOW = 65_535
#: A streaming call on a link lets the event loop run after this many messages in a row.
YIELD_EVERY = 16
#: Room a result needs around its response bytes inside a results message.
RESULT_OVERHEAD = 64

# Status codes as numbers, for LinkResult.code.
CANCELLED = grpc.StatusCode.CANCELLED.value[0]
DEADLINE_EXCEEDED = grpc.StatusCode.DEADLINE_EXCEEDED.value[0]
RESOURCE_EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
UNIMPLEMENTED = grpc.StatusCode.UNIMPLEMENTED.value[0]
INTERNAL = grpc.StatusCode.INTERNAL.value[0]
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE.value[0]

HandlerLookup = Callable[[str], "grpc.RpcMethodHandler | None"]

# A results message is encoded here, not built as ``ExchangeResponse``/``LinkResult`` objects: every
# result is written once as the bytes of its entry in ``ExchangeResponse.results`` (field 1), and a
# message is those entries joined. Building the objects cost a copy of each response into its result,
# another into the message and a third to serialize it, and a message object per token.
_SMALL_VARINTS = [bytes((n,)) for n in range(0x80)]
_ENTRY_TAG = b"\x0a"  # ExchangeResponse.results: field 1, length-delimited
_ID_TAG = b"\x08"  # LinkResult.id: field 1, varint
_RESPONSE_TAG = b"\x1a"  # LinkResult.response: field 3, length-delimited
_MORE = b"\x38\x01"  # LinkResult.more = true: field 7, varint 1


def _varint(n: int) -> bytes:
    """``n`` (>= 0) as a protobuf varint."""
    if n < 0x80:
        return _SMALL_VARINTS[n]
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _as_is(data: bytes) -> bytes:
    return data


def encode_result(result: link_pb2.LinkResult) -> list[bytes]:
    """The entry of ``result`` in a results message (its tag, length and bytes), as parts to join."""
    data = result.SerializeToString()
    return [_ENTRY_TAG + _varint(len(data)), data]


def encode_response(call_id: int, response: bytes, more: bool) -> list[bytes]:
    """The entry of a result that carries only ``response`` (a streamed message when ``more``, else an
    OK unary answer without trailers): what ``encode_result`` would give, without building the result."""
    head = _ID_TAG + _varint(call_id) + _RESPONSE_TAG + _varint(len(response))
    size = len(head) + len(response) + (2 if more else 0)
    parts = [_ENTRY_TAG + _varint(size) + head, response]
    if more:
        parts.append(_MORE)
    return parts


class LinkContext:
    """The part of ``grpc.aio.ServicerContext`` a handler uses, for a call carried on a link."""

    __slots__ = ("_code", "_deadline", "_message", "_metadata", "_timeout", "_trailers")

    def __init__(self, metadata: Any, deadline: float | None) -> None:
        self._metadata = metadata
        self._deadline = deadline
        #: The ``asyncio.timeout_at`` the call runs under, once it runs.
        self._timeout: asyncio.Timeout | None = None
        self._code: grpc.StatusCode | None = None
        self._message = ""
        self._trailers: tuple[tuple[str, str | bytes], ...] = ()

    def invocation_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        """The call's metadata as grpc gives it: ``-bin`` values as bytes, the others as str."""
        return tuple(
            (m.key, m.value if m.key.endswith("-bin") else m.value.decode("ascii", "replace"))
            for m in self._metadata
        )

    def time_remaining(self) -> float | None:
        """Seconds until the call's deadline, or None without one; 0 once the deadline has cut it short.

        The event loop may fire the deadline's timer up to a millisecond early: a call cancelled by its
        deadline must read 0 here all the same (the call guard counts it DEADLINE_EXCEEDED by this).
        """
        if self._deadline is None:
            return None
        if self._timeout is not None and self._timeout.expired():
            return 0.0
        return max(0.0, self._deadline - asyncio.get_running_loop().time())

    def code(self) -> grpc.StatusCode | None:
        """The status code set by :meth:`abort` or :meth:`set_code`, if any."""
        return self._code

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code

    def set_details(self, details: str) -> None:
        self._message = details

    def set_trailing_metadata(self, metadata: tuple[tuple[str, str | bytes], ...]) -> None:
        self._trailers = tuple(metadata)

    async def abort(
        self,
        code: grpc.StatusCode,
        details: str = "",
        trailing_metadata: tuple[tuple[str, str | bytes], ...] = (),
    ) -> None:
        """Ends the call with ``code`` (raises ``grpc.aio.AbortError``, as grpc does)."""
        self._code = code
        self._message = details
        self._trailers = tuple(trailing_metadata)
        raise grpc.aio.AbortError()

    def trailers(self) -> list[link_pb2.LinkMetadata]:
        """The trailing metadata set so far, as link entries (values as bytes)."""
        return [
            link_pb2.LinkMetadata(key=k, value=v if isinstance(v, bytes) else v.encode())
            for k, v in self._trailers
        ]

    def status_into(self, result: link_pb2.LinkResult) -> None:
        """Copies the status set by :meth:`abort` or :meth:`set_code` into ``result`` (UNKNOWN if none)."""
        result.code = (self._code or grpc.StatusCode.UNKNOWN).value[0]
        result.message = self._message
        result.trailers.extend(self.trailers())


class _Call:
    """A call running on a link: its task, and for a server-streaming call its flow-control window."""

    __slots__ = ("credit", "task", "unyielded", "window")

    def __init__(self, window: int) -> None:
        self.task: asyncio.Task[None] | None = None
        self.window = window
        self.credit: asyncio.Future[None] | None = None
        self.unyielded = 0


class StreamContext(LinkContext):
    """The context of a server-streaming call on a link: ``write`` sends a message, within the call's window."""

    __slots__ = ("_call", "_id", "_link", "_serialize")

    def __init__(
        self, metadata: Any, deadline: float | None, link: _Link, call_id: int, call: _Call, serialize: Any
    ) -> None:
        super().__init__(metadata, deadline)
        self._link = link
        self._id = call_id
        self._call = call
        self._serialize = serialize

    async def write(self, message: Any) -> None:
        """Sends one message; waits while the call's window is used up (the client is not reading)."""
        data = self._serialize(message)
        if len(data) > self._link.max_response_bytes:
            await self.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"Sent message larger than max ({len(data)} vs. {self._link.max_response_bytes})",
            )
        call = self._call
        while call.window <= 0:
            call.credit = asyncio.get_running_loop().create_future()
            await call.credit
        call.window -= len(data)
        self._link.add(encode_response(self._id, data, True))
        # A write on a stream of its own waits for grpc; this one returns at once. Let the writer and
        # the other calls run now and then, so a producer that never waits cannot hold the loop.
        call.unyielded += 1
        if call.unyielded >= YIELD_EVERY:
            call.unyielded = 0
            await asyncio.sleep(0)


class _Link:
    """One Exchange: the calls it runs and the results waiting to be written."""

    def __init__(self, servicer: LinkServicer, max_message_bytes: int) -> None:
        self.servicer = servicer
        self.max_response_bytes = max_message_bytes - RESULT_OVERHEAD
        # A results message must stay within the server's send limit (one result alone may fill it).
        self.max_batch_bytes = min(MAX_BATCH_BYTES, max_message_bytes // 2)
        self.calls: dict[int, _Call] = {}
        #: Encoded results waiting to be written: each a list of parts (see :func:`encode_result`).
        self.results: list[list[bytes]] = []
        self.wake = asyncio.Event()
        self.closing = False
        self.ended = asyncio.Event()
        self.reading_done = False

    def close(self) -> None:
        """Takes no more calls; ends once the calls taken have their results."""
        self.closing = True
        self._maybe_end()

    def _maybe_end(self) -> None:
        if (self.closing or self.reading_done) and not self.calls:
            self.ended.set()
            self.wake.set()

    def result(self, result: link_pb2.LinkResult) -> None:
        self.add(encode_result(result))

    def add(self, entry: list[bytes]) -> None:
        """Queues an encoded result (:func:`encode_result`, :func:`encode_response`) for the writer."""
        self.results.append(entry)
        self.wake.set()

    def take(self, request: link_pb2.ExchangeRequest) -> None:
        """Starts the calls of one message, cancels those the gateway abandoned, applies credits."""
        for call_id in request.cancelled:
            state = self.calls.pop(call_id, None)
            if state is not None and state.task is not None:
                state.task.cancel()
        for credit in request.credits:
            state = self.calls.get(credit.id)
            if state is not None:
                state.window += credit.bytes
                if state.credit is not None and state.window > 0 and not state.credit.done():
                    state.credit.set_result(None)
        loop = asyncio.get_running_loop()
        lookup = self.servicer.lookup
        for call in request.calls:
            call_id = call.id
            if self.closing:
                self.result(
                    link_pb2.LinkResult(
                        id=call_id, code=UNAVAILABLE, message="worker is draining", refused=True
                    )
                )
                continue
            handler = lookup(call.method)
            if handler is None:
                self.result(link_pb2.LinkResult(id=call_id, code=UNIMPLEMENTED, message="Method not found!"))
                continue
            if handler.request_streaming:  # client- and bidi-streaming: each on its own stream
                self.result(
                    link_pb2.LinkResult(
                        id=call_id, code=UNIMPLEMENTED, message="a client-streaming method", refused=True
                    )
                )
                continue
            if call_id in self.calls:
                self.result(
                    link_pb2.LinkResult(id=call_id, code=INTERNAL, message=f"call id {call_id} is in use")
                )
                continue
            deadline = loop.time() + call.timeout_us / 1e6 if call.timeout_us else None
            state = self.calls[call_id] = _Call(call.window or DEFAULT_WINDOW)
            state.task = loop.create_task(self._run(call_id, state, handler, call, deadline))
        # A cancelled call whose task never started does not end itself: a closing link may end now.
        self._maybe_end()

    async def _run(
        self,
        call_id: int,
        state: _Call,
        handler: grpc.RpcMethodHandler,
        call: link_pb2.LinkCall,
        deadline: float | None,
    ) -> None:
        streaming = handler.response_streaming
        context: LinkContext
        if streaming:
            context = StreamContext(
                call.metadata, deadline, self, call_id, state, handler.response_serializer
            )
            behavior = handler.unary_stream
        else:
            context = LinkContext(call.metadata, deadline)
            behavior = handler.unary_unary
        result = link_pb2.LinkResult(id=call_id)
        entry: list[bytes] | None = None  # the OK answer of a unary call without trailers, encoded
        try:
            request = handler.request_deserializer(call.request)
            if deadline is None:
                response = await behavior(request, context)
            else:
                async with asyncio.timeout_at(deadline) as context._timeout:
                    response = await behavior(request, context)
            code = context.code()
            if code is not None and code != grpc.StatusCode.OK:
                # set_code without abort: the call ends with that status and no message, as grpc does.
                context.status_into(result)
            else:
                if not streaming:
                    data = handler.response_serializer(response)
                    if len(data) > self.max_response_bytes:
                        result.code = RESOURCE_EXHAUSTED
                        result.message = (
                            f"Sent message larger than max ({len(data)} vs. {self.max_response_bytes})"
                        )
                    elif not context._trailers:
                        entry = encode_response(call_id, data, False)
                    else:
                        result.response = data
                result.trailers.extend(context.trailers())
        except grpc.aio.AbortError:
            context.status_into(result)
        except TimeoutError:
            result.code = DEADLINE_EXCEEDED
            result.message = "Deadline Exceeded"
        except asyncio.CancelledError:
            if self.calls.get(call_id) is not state:
                self._maybe_end()
                return  # abandoned by the gateway: nobody waits for a result
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # the link itself is going away
            # A cancellation from inside the handler (a shared future cancelled elsewhere): the call
            # still gets its status, or the gateway would wait for it forever.
            result.code = CANCELLED
            result.message = "Cancelled"
        except Exception as err:  # the guard maps every error; this is a bug in the link itself
            log.error("%s failed on the link", call.method, exc_info=err)
            result.code = INTERNAL
            result.message = f"{call.method} failed unexpectedly: {type(err).__name__}"
        if self.calls.get(call_id) is state:
            del self.calls[call_id]
            self.add(entry if entry is not None else encode_result(result))
        self._maybe_end()

    async def write_results(self, send: Callable[[bytes], Awaitable[None]]) -> None:
        """Sends results as they come, all that are waiting in one message (up to ``max_batch_bytes``).

        ``send`` writes one encoded ``ExchangeResponse`` and returns once the transport takes more
        (``context.write`` on the ``Exchange`` stream, or the link socket's writer).
        """
        results = self.results
        limit = self.max_batch_bytes
        while True:
            await self.wake.wait()
            self.wake.clear()
            while results:
                parts: list[bytes] = []
                size = 0
                taken = 0
                for entry in results:
                    n = sum(map(len, entry))
                    if taken and size + n > limit:
                        break
                    size += n
                    taken += 1
                    parts += entry
                del results[:taken]
                await send(b"".join(parts))
            if self.ended.is_set() and not results:
                return

    def lift_windows(self) -> None:
        """Stops holding streams back (the gateway half-closed: it can send no more credits)."""
        for state in self.calls.values():
            state.window = 1 << 62
            if state.credit is not None and not state.credit.done():
                state.credit.set_result(None)

    def cancel_all(self) -> None:
        for state in self.calls.values():
            if state.task is not None:
                state.task.cancel()
        self.calls.clear()


class LinkServicer(link_pb2_grpc.WorkerLinkServiceServicer):
    """Serves ``Exchange`` for the unary and server-streaming methods ``lookup`` finds.

    ``lookup`` returns the server's wrapped handler of a method path (see ``WrappingServer.handler``).
    """

    def __init__(self, lookup: HandlerLookup, max_message_bytes: int) -> None:
        self.lookup = lookup
        self.max_message_bytes = max_message_bytes
        self._links: set[_Link] = set()
        self._closing = False
        #: Response headers ``Exchange`` adds to its own (the link socket's port, once it listens).
        self.extra_headers: tuple[tuple[str, str], ...] = ()

    def add_to(self, server: grpc.aio.Server) -> None:
        """Registers ``Exchange`` on ``server``: requests decoded as ``ExchangeRequest``, responses sent
        as the bytes :meth:`_Link.write_results` encoded (the wire form of ``ExchangeResponse``)."""
        handlers = {
            "Exchange": grpc.stream_stream_rpc_method_handler(
                self.Exchange,
                request_deserializer=link_pb2.ExchangeRequest.FromString,
                response_serializer=_as_is,
            )
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
        server.add_registered_method_handlers(SERVICE, handlers)

    @property
    def closing(self) -> bool:
        """Whether the worker drains: new links take no calls."""
        return self._closing

    def close(self) -> None:
        """Drain: every link takes no new call and ends once its calls have their results."""
        self._closing = True
        for link in self._links:
            link.close()

    async def Exchange(
        self, request_iterator: AsyncIterator[link_pb2.ExchangeRequest], context: grpc.aio.ServicerContext
    ) -> None:
        link = _Link(self, self.max_message_bytes)
        if self._closing:
            link.close()
        self._links.add(link)
        # The gateway sends calls once these headers confirm the link (a server without it answers
        # UNIMPLEMENTED, and a proxy that answers any path does not send the header).
        await context.send_initial_metadata(
            ((LINK_HEADER, "1"), (LINK_MAX_MESSAGE_HEADER, str(self.max_message_bytes)), *self.extra_headers)
        )

        async def read() -> None:
            async for request in request_iterator:
                link.take(request)
            link.reading_done = True
            link.lift_windows()  # no credit can come any more: streams run on unthrottled
            link._maybe_end()

        reader = asyncio.ensure_future(read())
        writer = asyncio.ensure_future(link.write_results(context.write))
        try:
            # The writer ends the exchange (once every call taken has its result); the reader only when
            # the stream fails, or by ending normally when the gateway half-closes.
            pending: set[asyncio.Future[None]] = {reader, writer}
            while writer in pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if reader in done and reader.exception() is not None:
                    raise reader.exception()  # type: ignore[misc]
            await writer  # raises what stopped it
        finally:
            reader.cancel()
            writer.cancel()
            link.cancel_all()
            self._links.discard(link)
