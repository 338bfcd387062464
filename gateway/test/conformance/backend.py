"""ConformanceService (connectrpc.com/conformance) implemented with grpcio asyncio, the same server stack the
workers use. The gateway proxies the conformance suite's reference client to it, so the suite checks the
gateway's protocol handling end to end against a grpcio backend.

    python gateway/test/conformance/backend.py --stubs build/conformance/gen

Prints "PORT <n>" on stdout once listening on an ephemeral port of 127.0.0.1. The stubs are generated at
test time from the conformance .proto files in the Go module cache (see conformance.test.ts).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
from typing import Any


def _b64decode(value: str) -> bytes:
    return base64.b64decode(value + "=" * (-len(value) % 4))


def _metadata(headers: Any) -> list[tuple[str, str | bytes]]:
    """Conformance Header messages to grpcio metadata (-bin values travel base64-encoded in the suite)."""
    out: list[tuple[str, str | bytes]] = []
    for h in headers:
        name = h.name.lower()
        for v in h.value:
            out.append((name, _b64decode(v) if name.endswith("-bin") else v))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stubs", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.stubs)

    import grpc
    from google.protobuf import any_pb2
    from google.rpc import status_pb2

    from connectrpc.conformance.v1 import service_pb2 as pb
    from connectrpc.conformance.v1 import service_pb2_grpc as pb_grpc

    def request_info(context: grpc.aio.ServicerContext, reqs: list[Any]) -> Any:
        info = pb.ConformancePayload.RequestInfo()
        grouped: dict[str, list[str]] = {}
        for key, value in context.invocation_metadata() or ():
            text = base64.b64encode(value).decode().rstrip("=") if isinstance(value, bytes) else value
            grouped.setdefault(key, []).append(text)
        for key, values in grouped.items():
            info.request_headers.add(name=key, value=values)
        remaining = context.time_remaining()
        if remaining is not None:
            info.timeout_ms = max(0, int(remaining * 1000))
        for r in reqs:
            a = any_pb2.Any()
            a.Pack(r)
            info.requests.append(a)
        return info

    async def fail(context: grpc.aio.ServicerContext, error: Any, info: Any | None) -> None:
        status = status_pb2.Status(code=error.code, message=error.message)
        status.details.extend(error.details)
        if info is not None:
            a = any_pb2.Any()
            a.Pack(info)
            status.details.append(a)
        trailing = list(context.trailing_metadata() or ())
        trailing.append(("grpc-status-details-bin", status.SerializeToString()))
        context.set_trailing_metadata(tuple(trailing))
        await context.abort(grpc.StatusCode(_code(error.code)), error.message)

    def _code(n: int) -> tuple[int, str]:
        for c in grpc.StatusCode:
            if c.value[0] == n:
                return c.value
        return grpc.StatusCode.UNKNOWN.value

    async def unary_like(req: Any, reqs: list[Any], context: grpc.aio.ServicerContext, make: Any) -> Any:
        d = req.response_definition if req.HasField("response_definition") else None
        info = request_info(context, reqs)
        if d is None:
            return make(pb.ConformancePayload(request_info=info))
        if d.response_headers:
            await context.send_initial_metadata(_metadata(d.response_headers))
        context.set_trailing_metadata(tuple(_metadata(d.response_trailers)))
        if d.response_delay_ms:
            await asyncio.sleep(d.response_delay_ms / 1000)
        if d.WhichOneof("response") == "error":
            await fail(context, d.error, info)
        payload = pb.ConformancePayload(request_info=info)
        if d.WhichOneof("response") == "response_data":
            payload.data = d.response_data
        return make(payload)

    class Service(pb_grpc.ConformanceServiceServicer):
        async def Unary(self, request, context):  # noqa: N802
            return await unary_like(request, [request], context, lambda p: pb.UnaryResponse(payload=p))

        async def IdempotentUnary(self, request, context):  # noqa: N802
            return await unary_like(request, [request], context, lambda p: pb.IdempotentUnaryResponse(payload=p))

        async def ClientStream(self, request_iterator, context):  # noqa: N802
            reqs = [r async for r in request_iterator]
            first = reqs[0] if reqs else pb.ClientStreamRequest()
            return await unary_like(first, reqs, context, lambda p: pb.ClientStreamResponse(payload=p))

        async def ServerStream(self, request, context):  # noqa: N802
            d = request.response_definition if request.HasField("response_definition") else None
            if d is None:
                return
            await context.send_initial_metadata(_metadata(d.response_headers))
            context.set_trailing_metadata(tuple(_metadata(d.response_trailers)))
            n = 0
            for data in d.response_data:
                payload = pb.ConformancePayload(data=data)
                if n == 0:
                    payload.request_info.CopyFrom(request_info(context, [request]))
                if d.response_delay_ms:
                    await asyncio.sleep(d.response_delay_ms / 1000)
                await context.write(pb.ServerStreamResponse(payload=payload))
                n += 1
            if d.HasField("error"):
                await fail(context, d.error, request_info(context, [request]) if n == 0 else None)

        async def BidiStream(self, request_iterator, context):  # noqa: N802
            d = None
            full_duplex = False
            first = True
            n = 0
            reqs: list[Any] = []
            async for req in request_iterator:
                reqs.append(req)
                if first:
                    first = False
                    full_duplex = req.full_duplex
                    if req.HasField("response_definition"):
                        d = req.response_definition
                        await context.send_initial_metadata(_metadata(d.response_headers))
                        context.set_trailing_metadata(tuple(_metadata(d.response_trailers)))
                if full_duplex:
                    if d is None or n >= len(d.response_data):
                        break
                    info = request_info(context, reqs) if n == 0 else pb.ConformancePayload.RequestInfo(requests=_anys(reqs))
                    if d.response_delay_ms:
                        await asyncio.sleep(d.response_delay_ms / 1000)
                    await context.write(pb.BidiStreamResponse(payload=pb.ConformancePayload(data=d.response_data[n], request_info=info)))
                    n += 1
                    reqs = []
            if d is None:
                return
            while n < len(d.response_data):
                payload = pb.ConformancePayload(data=d.response_data[n])
                if n == 0:
                    payload.request_info.CopyFrom(request_info(context, reqs))
                if d.response_delay_ms:
                    await asyncio.sleep(d.response_delay_ms / 1000)
                await context.write(pb.BidiStreamResponse(payload=payload))
                n += 1
            if d.HasField("error"):
                await fail(context, d.error, request_info(context, reqs) if n == 0 else None)

    def _anys(reqs: list[Any]) -> list[Any]:
        out = []
        for r in reqs:
            a = any_pb2.Any()
            a.Pack(r)
            out.append(a)
        return out

    async def serve() -> None:
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0), ("grpc.max_receive_message_length", 64 << 20)])
        servicer = Service()
        pb_grpc.add_ConformanceServiceServicer_to_server(servicer, server)
        from grpc_health.v1 import health, health_pb2, health_pb2_grpc

        hs = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(hs, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        await hs.set("", health_pb2.HealthCheckResponse.SERVING)
        print(f"PORT {port}", flush=True)
        await server.wait_for_termination()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
