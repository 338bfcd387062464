"""The worker link (``agentos.mesh.v1.WorkerLinkService``) against real worker processes over real gRPC.

Every call on the link must end as the same call on its own stream would: same response bytes, same
status, message and details, deadline and cancellation honoured, counted in the worker's metrics, and
finished before the worker drains.
"""

from __future__ import annotations

import asyncio
import json
import queue
import signal
import socket
import threading
import time
from collections.abc import Iterator

import grpc
import pytest
from agentos.mesh.v1 import link_pb2, link_pb2_grpc
from agentos.model.v1 import model_pb2, model_pb2_grpc
from google.rpc import error_details_pb2, status_pb2

from workers.runtime.link import LinkServicer, encode_response, encode_result
from workers.runtime.link_socket import END_FLAG, LINK_SOCKET_HEADER, PREFACE
from workers.tests.conftest import WorkerProcess, wait_until

COMPLETE = "/agentos.model.v1.ModelService/Complete"
GENERATE = "/agentos.model.v1.ModelService/Generate"


def rpcs(code: str, method: str = COMPLETE) -> str:
    """The worker's metric line counting calls of ``method`` that ended with ``code``."""
    return f'agentos_worker_rpcs_total{{code="{code}",method="{method}"}}'


#: The worker's metric line of Complete calls running.
IN_FLIGHT = f'agentos_worker_rpcs_in_flight{{method="{COMPLETE}"}}'


class Link:
    """One Exchange from a test: send calls, cancellations and credits; collect results and streamed messages by id."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._requests: queue.Queue[link_pb2.ExchangeRequest | None] = queue.Queue()
        self._responses = link_pb2_grpc.WorkerLinkServiceStub(channel).Exchange(
            iter(self._requests.get, None)
        )
        self.results: dict[int, link_pb2.LinkResult] = {}
        self.streamed: dict[int, list[bytes]] = {}
        self.messages = 0
        self.ended: grpc.RpcError | None | bool = False
        self._cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        ended: grpc.RpcError | None = None
        try:
            for response in self._responses:
                with self._cv:
                    self.messages += 1
                    for r in response.results:
                        if r.more:
                            self.streamed.setdefault(r.id, []).append(r.response)
                        else:
                            self.results[r.id] = r
                    self._cv.notify_all()
        except grpc.RpcError as err:
            ended = err
        with self._cv:
            self.ended = ended
            self._cv.notify_all()

    def send(
        self,
        *calls: link_pb2.LinkCall,
        cancelled: tuple[int, ...] = (),
        credits: tuple[tuple[int, int], ...] = (),
    ) -> None:
        self._requests.put(
            link_pb2.ExchangeRequest(
                calls=calls,
                cancelled=cancelled,
                credits=[link_pb2.LinkCredit(id=i, bytes=n) for i, n in credits],
            )
        )

    def result(self, call_id: int, timeout: float = 30) -> link_pb2.LinkResult:
        with self._cv:
            assert self._cv.wait_for(lambda: call_id in self.results, timeout), (
                f"no result for call {call_id}"
            )
            return self.results[call_id]

    def wait_ended(self, timeout: float = 30) -> grpc.RpcError | None:
        with self._cv:
            assert self._cv.wait_for(lambda: self.ended is not False, timeout), "the link did not end"
            return self.ended  # type: ignore[return-value]

    def close(self) -> None:
        self._requests.put(None)

    def texts(self, call_id: int) -> list[str]:
        """The texts of the messages a Generate call streamed so far."""
        with self._cv:
            return [model_pb2.GenerateResponse.FromString(m).text for m in self.streamed.get(call_id, [])]


class LinkStatus:
    """How a link socket ended: the status of its last frame (None when it ended with OK)."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"LinkStatus({self.code}, {self.message!r})"


def link_socket_port(channel: grpc.Channel) -> int:
    """The link socket's port, as a gateway learns it: from the headers of an ``Exchange``."""
    call = link_pb2_grpc.WorkerLinkServiceStub(channel).Exchange(iter(()))
    headers = dict(call.initial_metadata())
    list(call)  # no calls: the worker ends it with OK
    return int(headers[LINK_SOCKET_HEADER])


def connect_link_socket(worker: WorkerProcess) -> socket.socket:
    """A TCP connection to ``worker``'s link socket, past the preface both sides send."""
    sock = socket.create_connection(("127.0.0.1", link_socket_port(worker.channel)), timeout=30)
    sock.sendall(PREFACE)
    assert _read_exactly(sock, len(PREFACE)) == PREFACE
    return sock


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def read_frame(sock: socket.socket) -> tuple[int, bytes] | None:
    """One frame from a link socket as (flags, message); None once the worker closed the connection."""
    header = _read_exactly(sock, 5)
    if len(header) < 5:
        return None
    size = int.from_bytes(header[1:], "big")
    data = _read_exactly(sock, size)
    assert len(data) == size, "the connection closed inside a frame"
    return header[0], data


def frame(message: bytes, flags: int = 0) -> bytes:
    return bytes((flags,)) + len(message).to_bytes(4, "big") + message


class SocketLink(Link):
    """The same test link over the worker's link socket instead of an ``Exchange`` stream."""

    def __init__(self, worker: WorkerProcess) -> None:
        self.results = {}
        self.streamed = {}
        self.messages = 0
        self.ended = False
        self._cv = threading.Condition()
        self.sock = connect_link_socket(worker)
        self.sock.settimeout(None)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        ended: LinkStatus | None = LinkStatus(-1, "closed without a status frame")
        while (got := read_frame(self.sock)) is not None:
            flags, data = got
            if flags == END_FLAG:
                status = link_pb2.LinkResult.FromString(data)
                ended = None if status.code == 0 else LinkStatus(status.code, status.message)
                assert read_frame(self.sock) is None, "the worker wrote after its status frame"
                break
            response = link_pb2.ExchangeResponse.FromString(data)
            with self._cv:
                self.messages += 1
                for r in response.results:
                    if r.more:
                        self.streamed.setdefault(r.id, []).append(r.response)
                    else:
                        self.results[r.id] = r
                self._cv.notify_all()
        with self._cv:
            self.ended = ended  # type: ignore[assignment]
            self._cv.notify_all()

    def send(
        self,
        *calls: link_pb2.LinkCall,
        cancelled: tuple[int, ...] = (),
        credits: tuple[tuple[int, int], ...] = (),
    ) -> None:
        message = link_pb2.ExchangeRequest(
            calls=calls,
            cancelled=cancelled,
            credits=[link_pb2.LinkCredit(id=i, bytes=n) for i, n in credits],
        )
        self.sock.sendall(frame(message.SerializeToString()))

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the worker closed it already


@pytest.fixture(params=["stream", "socket"])
def transport(request: pytest.FixtureRequest) -> str:
    """Every link test runs on the ``Exchange`` stream and on the link socket."""
    return str(request.param)


def open_link(worker: WorkerProcess, transport: str) -> Link:
    return SocketLink(worker) if transport == "socket" else Link(worker.channel)


@pytest.fixture
def link(scripted_worker: WorkerProcess, transport: str) -> Iterator[Link]:
    one = open_link(scripted_worker, transport)
    yield one
    one.close()


def complete(
    call_id: int, prompt: str = "hello", script: dict | None = None, timeout_us: int = 0
) -> link_pb2.LinkCall:
    metadata = (
        [link_pb2.LinkMetadata(key="x-agentos-script", value=json.dumps(script).encode())] if script else []
    )
    request = model_pb2.CompleteRequest(prompt=prompt).SerializeToString()
    return link_pb2.LinkCall(
        id=call_id, method=COMPLETE, request=request, timeout_us=timeout_us, metadata=metadata
    )


def test_a_call_answers_as_on_its_own_stream(scripted_worker: WorkerProcess, link: Link) -> None:
    script = {"tokens": ["The", " link", " works"], "prompt_tokens": 3}
    link.send(complete(1, script=script))
    result = link.result(1)
    own = model_pb2_grpc.ModelServiceStub(scripted_worker.channel).Complete(
        model_pb2.CompleteRequest(prompt="hello"),
        metadata=[("x-agentos-script", json.dumps(script))],
        timeout=10,
    )
    assert result.code == 0 and not result.refused
    got = model_pb2.CompleteResponse.FromString(result.response)
    assert got.text == own.text == "The link works"
    assert got.usage == own.usage


def test_calls_sent_together_are_answered_together(link: Link) -> None:
    link.send(*(complete(i, script={"tokens": [f"n{i}"]}) for i in range(1, 41)))
    for i in range(1, 41):
        assert model_pb2.CompleteResponse.FromString(link.result(i).response).text == f"n{i}"
    assert link.messages < 40  # results that finish together share a message


def test_an_invalid_request_has_the_status_details_it_has_on_its_own_stream(link: Link) -> None:
    link.send(
        link_pb2.LinkCall(id=7, method=COMPLETE, request=model_pb2.CompleteRequest().SerializeToString())
    )
    result = link.result(7)
    assert result.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "exactly one of prompt or messages" in result.message
    details = {m.key: m.value for m in result.trailers}["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)
    assert status.code == result.code
    bad = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad)


def test_a_request_that_does_not_decode_is_invalid_argument(link: Link) -> None:
    link.send(link_pb2.LinkCall(id=3, method=COMPLETE, request=b"\xff\xff\xff"))
    result = link.result(3)
    assert result.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "not a valid CompleteRequest" in result.message


def test_unknown_and_client_streaming_methods(link: Link) -> None:
    link.send(
        link_pb2.LinkCall(id=1, method="/agentos.model.v1.ModelService/Nope"),
        link_pb2.LinkCall(id=2, method="/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"),
    )
    unknown, streaming = link.result(1), link.result(2)
    assert unknown.code == grpc.StatusCode.UNIMPLEMENTED.value[0] and not unknown.refused
    # A client- or bidi-streaming method takes its own stream: refused here, never run.
    assert streaming.refused


def generate(call_id: int, script: dict, window: int = 0) -> link_pb2.LinkCall:
    request = model_pb2.GenerateRequest(prompt="hello").SerializeToString()
    metadata = [link_pb2.LinkMetadata(key="x-agentos-script", value=json.dumps(script).encode())]
    return link_pb2.LinkCall(id=call_id, method=GENERATE, request=request, metadata=metadata, window=window)


def test_a_server_stream_sends_its_messages_in_order_then_its_status(
    scripted_worker: WorkerProcess, transport: str
) -> None:
    link = open_link(scripted_worker, transport)
    try:
        script = {"tokens": ["one", " two", " three"]}
        link.send(
            generate(1, script),
            generate(2, {**script, "error": {"code": "UNAVAILABLE", "message": "gone", "after_tokens": 2}}),
        )
        ok, failed = link.result(1), link.result(2)
        own = [
            m.text
            for m in model_pb2_grpc.ModelServiceStub(scripted_worker.channel).Generate(
                model_pb2.GenerateRequest(prompt="hello"), metadata=[("x-agentos-script", json.dumps(script))]
            )
        ]
        assert ok.code == 0 and link.texts(1) == own
        assert failed.code == grpc.StatusCode.UNAVAILABLE.value[0] and "gone" in failed.message
        assert "".join(link.texts(2)) == "one two"
    finally:
        link.close()


def test_a_server_stream_waits_for_credits_when_its_window_is_used(
    scripted_worker: WorkerProcess, transport: str
) -> None:
    link = open_link(scripted_worker, transport)
    try:
        token = "x" * 1000
        link.send(generate(1, {"tokens": [token] * 60}, window=10_000))
        wait_until(lambda: len(link.texts(1)) >= 10)
        time.sleep(0.5)  # the worker had time to send everything, were it not waiting
        sent = len(link.texts(1))
        # ~1,005 bytes a message: the tenth leaves while the window is still above 0, the eleventh waits.
        assert sent == 10 and 1 not in link.results
        link.send(credits=((1, 1_000_000),))
        assert link.result(1).code == 0
        assert "".join(link.texts(1)) == token * 60
    finally:
        link.close()


def test_a_cancelled_stream_stops(scripted_worker: WorkerProcess, transport: str) -> None:
    key = rpcs("CANCELLED", GENERATE)
    before = scripted_worker.metrics().get(key, 0)
    link = open_link(scripted_worker, transport)
    try:
        link.send(generate(4, {"tokens": ["t"] * 100, "token_delay_ms": 50}))
        wait_until(lambda: len(link.texts(4)) >= 2)
        link.send(cancelled=(4,))
        wait_until(lambda: scripted_worker.metrics().get(key, 0) == before + 1)
        time.sleep(0.2)  # a message the worker wrote before it read the cancellation may still arrive
        count = len(link.texts(4))
        time.sleep(0.3)  # then nothing more: 50 ms a token would have sent six
        assert len(link.texts(4)) == count < 100 and 4 not in link.results
    finally:
        link.close()


def test_a_worker_error_keeps_its_code_and_message(link: Link) -> None:
    link.send(complete(5, script={"error": {"code": "UNAVAILABLE", "message": "upstream down"}}))
    result = link.result(5)
    assert result.code == grpc.StatusCode.UNAVAILABLE.value[0]
    assert "upstream down" in result.message


def test_the_deadline_is_enforced(scripted_worker: WorkerProcess, link: Link) -> None:
    before = scripted_worker.metrics().get(rpcs("DEADLINE_EXCEEDED"), 0)
    link.send(complete(9, script={"tokens": ["a", "b", "c"], "token_delay_ms": 400}, timeout_us=200_000))
    result = link.result(9)
    assert result.code == grpc.StatusCode.DEADLINE_EXCEEDED.value[0]
    wait_until(lambda: scripted_worker.metrics().get(rpcs("DEADLINE_EXCEEDED"), 0) == before + 1)


def test_a_cancelled_call_stops_and_sends_no_result(scripted_worker: WorkerProcess, link: Link) -> None:
    key = rpcs("CANCELLED")
    before = scripted_worker.metrics().get(key, 0)
    link.send(complete(11, script={"tokens": ["slow"] * 50, "token_delay_ms": 100}))
    wait_until(lambda: scripted_worker.metrics().get(IN_FLIGHT, 0) >= 1)
    link.send(cancelled=(11,))
    wait_until(lambda: scripted_worker.metrics().get(key, 0) == before + 1)
    link.send(complete(12, script={"tokens": ["after"]}))
    assert model_pb2.CompleteResponse.FromString(link.result(12).response).text == "after"
    assert 11 not in link.results


def test_the_link_ends_ok_when_the_gateway_half_closes(link: Link) -> None:
    link.send(complete(1, script={"tokens": ["x"], "token_delay_ms": 200}))
    link.close()
    assert link.result(1).code == 0  # the call taken is answered before the end
    assert link.wait_ended() is None


def test_drain_answers_the_calls_taken_and_refuses_the_rest(script_file, transport: str) -> None:  # type: ignore[no-untyped-def]
    worker = WorkerProcess(
        "model", ["--backend", "scripted", "--script", str(script_file), "--grace-period", "20"]
    )
    try:
        link = open_link(worker, transport)
        link.send(complete(1, script={"tokens": ["still", " answered"], "token_delay_ms": 500}))
        wait_until(lambda: worker.metrics().get(IN_FLIGHT, 0) >= 1)
        worker.signal(signal.SIGTERM)
        wait_until(lambda: "draining" in worker.log)
        link.send(complete(2, script={"tokens": ["too late"]}))
        late = link.result(2)
        assert late.refused and late.code == grpc.StatusCode.UNAVAILABLE.value[0]
        first = link.result(1)
        assert model_pb2.CompleteResponse.FromString(first.response).text == "still answered"
        assert link.wait_ended() is None  # ended with OK once its call was answered
        assert worker.wait(30) == 0
    finally:
        worker.stop()


def test_a_half_closed_link_stops_holding_its_streams_back(
    scripted_worker: WorkerProcess, transport: str
) -> None:
    link = open_link(scripted_worker, transport)
    token = "z" * 1000
    link.send(generate(1, {"tokens": [token] * 40}, window=5_000))
    wait_until(lambda: len(link.texts(1)) >= 5)
    link.close()  # no credit can come any more: the rest is sent unthrottled, then the link ends
    assert link.result(1).code == 0
    assert "".join(link.texts(1)) == token * 40
    assert link.wait_ended() is None


async def _serve_link(
    handlers: dict[str, grpc.RpcMethodHandler], max_message_bytes: int
) -> tuple[grpc.aio.Server, int]:
    """A grpc.aio server with only the link, running the given handlers (calls still cross real gRPC)."""
    server = grpc.aio.server()
    LinkServicer(handlers.get, max_message_bytes).add_to(server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port


def _unary(behavior) -> grpc.RpcMethodHandler:  # type: ignore[no-untyped-def]
    return grpc.unary_unary_rpc_method_handler(
        behavior, request_deserializer=bytes, response_serializer=bytes
    )


def test_edge_statuses_and_small_message_limits_over_the_link() -> None:
    async def stray_cancel(request: bytes, context) -> bytes:  # type: ignore[no-untyped-def]
        raise asyncio.CancelledError  # e.g. a shared future cancelled elsewhere

    async def set_code(request: bytes, context) -> bytes:  # type: ignore[no-untyped-def]
        context.set_code(grpc.StatusCode.NOT_FOUND)
        context.set_details("nope")
        context.set_trailing_metadata((("x-why", "because"),))
        return b"ignored"

    async def big(request: bytes, context) -> bytes:  # type: ignore[no-untyped-def]
        return b"b" * 20_000

    async def main() -> dict[int, link_pb2.LinkResult]:
        handlers = {
            "/t.T/StrayCancel": _unary(stray_cancel),
            "/t.T/SetCode": _unary(set_code),
            "/t.T/Big": _unary(big),
        }
        # 64 KiB messages: ten 20 KB answers must leave in several results messages, not one too large.
        server, port = await _serve_link(handlers, 64 * 1024)
        try:
            async with grpc.aio.insecure_channel(
                f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", 64 * 1024)]
            ) as channel:
                call = link_pb2_grpc.WorkerLinkServiceStub(channel).Exchange()
                calls = [
                    link_pb2.LinkCall(id=1, method="/t.T/StrayCancel"),
                    link_pb2.LinkCall(id=2, method="/t.T/SetCode"),
                    *(link_pb2.LinkCall(id=10 + i, method="/t.T/Big") for i in range(10)),
                ]
                await call.write(link_pb2.ExchangeRequest(calls=calls))
                await call.done_writing()
                results: dict[int, link_pb2.LinkResult] = {}
                async for response in call:
                    for r in response.results:
                        results[r.id] = r
                assert await call.code() == grpc.StatusCode.OK
                return results
        finally:
            await server.stop(0)

    results = asyncio.run(main())
    assert results[1].code == grpc.StatusCode.CANCELLED.value[0]
    assert results[2].code == grpc.StatusCode.NOT_FOUND.value[0] and results[2].message == "nope"
    assert results[2].response == b"" and [(m.key, m.value) for m in results[2].trailers] == [
        ("x-why", b"because")
    ]
    assert all(results[10 + i].code == 0 and len(results[10 + i].response) == 20_000 for i in range(10))


def _status(sock: socket.socket) -> link_pb2.LinkResult:
    """Reads frames until the worker's status frame; checks the connection closes after it."""
    while (got := read_frame(sock)) is not None:
        flags, data = got
        if flags == END_FLAG:
            assert read_frame(sock) is None, "the worker wrote after its status frame"
            return link_pb2.LinkResult.FromString(data)
    raise AssertionError("the link socket closed without a status frame")


@pytest.mark.parametrize("call_id", [0, 127, 128, 2**35 + 7, 2**64 - 1])
@pytest.mark.parametrize("size", [0, 127, 128, 16_384, 70_000])
def test_encoded_results_decode_as_the_messages_they_stand_for(call_id: int, size: int) -> None:
    response = bytes(i % 251 for i in range(size))
    for more in (True, False):
        entry = encode_response(call_id, response, more)
        decoded = link_pb2.ExchangeResponse.FromString(b"".join(entry))
        assert list(decoded.results) == [link_pb2.LinkResult(id=call_id, response=response, more=more)]
    full = link_pb2.LinkResult(
        id=call_id,
        code=5,
        message="not found: ünïcode",
        response=response,
        trailers=[link_pb2.LinkMetadata(key="x-why-bin", value=b"\x00\xff")],
        refused=True,
    )
    # Several entries joined are one message with the results in order.
    joined = b"".join([*encode_result(full), *encode_response(call_id, response, True)])
    results = link_pb2.ExchangeResponse.FromString(joined).results
    assert list(results) == [full, link_pb2.LinkResult(id=call_id, response=response, more=True)]


def test_the_link_socket_closes_a_connection_without_the_preface(scripted_worker: WorkerProcess) -> None:
    port = link_socket_port(scripted_worker.channel)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")  # an HTTP/2 client, not a link
        with pytest.raises(ConnectionResetError):
            assert sock.recv(100) == b""  # reset or closed: either way nothing was answered
            raise ConnectionResetError
    # The worker serves on: a link opened afterwards answers.
    link = SocketLink(scripted_worker)
    try:
        link.send(complete(1, script={"tokens": ["fine"]}))
        assert model_pb2.CompleteResponse.FromString(link.result(1).response).text == "fine"
    finally:
        link.close()


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (frame(b"", flags=1), grpc.StatusCode.INTERNAL, "flags 1"),
        (frame(b"\xff\xff\xff"), grpc.StatusCode.INTERNAL, "does not decode"),
        ((64 << 20).to_bytes(5, "big"), grpc.StatusCode.RESOURCE_EXHAUSTED, "larger than max"),
    ],
    ids=["flags", "undecodable", "too-large"],
)
def test_a_link_socket_that_breaks_the_protocol_ends_with_a_status(
    scripted_worker: WorkerProcess, data: bytes, code: grpc.StatusCode, words: str
) -> None:
    key = rpcs("CANCELLED")
    before = scripted_worker.metrics().get(key, 0)
    with connect_link_socket(scripted_worker) as sock:
        # A call running when the link breaks is cancelled, as it is when its stream is reset.
        sock.sendall(
            frame(
                link_pb2.ExchangeRequest(
                    calls=[complete(1, script={"tokens": ["x"] * 50, "token_delay_ms": 100})]
                ).SerializeToString()
            )
        )
        wait_until(lambda: scripted_worker.metrics().get(IN_FLIGHT, 0) >= 1)
        sock.sendall(data)
        status = _status(sock)
    assert status.code == code.value[0] and words in status.message
    wait_until(lambda: scripted_worker.metrics().get(key, 0) == before + 1)


def test_a_draining_worker_refuses_new_link_sockets_calls_and_ends_with_ok(script_file) -> None:  # type: ignore[no-untyped-def]
    worker = WorkerProcess(
        "model", ["--backend", "scripted", "--script", str(script_file), "--grace-period", "20"]
    )
    try:
        link = SocketLink(worker)
        link.send(complete(1, script={"tokens": ["kept"], "token_delay_ms": 500}))
        wait_until(lambda: worker.metrics().get(IN_FLIGHT, 0) >= 1)
        worker.signal(signal.SIGTERM)
        wait_until(lambda: "draining" in worker.log)
        link.send(complete(2, script={"tokens": ["too late"]}))
        assert link.result(2).refused
        assert model_pb2.CompleteResponse.FromString(link.result(1).response).text == "kept"
        assert link.wait_ended() is None
        assert worker.wait(30) == 0
    finally:
        worker.stop()


def test_a_worker_with_the_link_socket_off_names_no_port(script_file) -> None:  # type: ignore[no-untyped-def]
    worker = WorkerProcess(
        "model", ["--backend", "scripted", "--script", str(script_file), "--link-port", "-1"]
    )
    try:
        call = link_pb2_grpc.WorkerLinkServiceStub(worker.channel).Exchange(iter(()))
        headers = dict(call.initial_metadata())
        list(call)
        assert headers["agentos-link"] == "1" and LINK_SOCKET_HEADER not in headers
        assert "link socket on" not in worker.log
    finally:
        worker.stop()


def test_a_connection_that_never_sends_the_preface_does_not_hold_up_the_drain(script_file) -> None:  # type: ignore[no-untyped-def]
    worker = WorkerProcess(
        "model", ["--backend", "scripted", "--script", str(script_file), "--grace-period", "30"]
    )
    try:
        with socket.create_connection(("127.0.0.1", link_socket_port(worker.channel)), timeout=30) as idle:
            started = time.monotonic()
            worker.signal(signal.SIGTERM)
            assert worker.wait(30) == 0
            assert time.monotonic() - started < 10  # not the 30 s grace period
            assert idle.recv(10) == b""  # closed, never answered
    finally:
        worker.stop()
