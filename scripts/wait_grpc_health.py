"""Waits until a gRPC server reports SERVING on grpc.health.v1, or fails after a timeout.

    python scripts/wait_grpc_health.py 127.0.0.1:50051 [--timeout 120] [--service NAME]
"""

from __future__ import annotations

import argparse
import sys
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("address")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--service", default="")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    last = "no answer"
    with grpc.insecure_channel(args.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=args.service), timeout=2)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return 0
                last = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            except grpc.RpcError as err:
                last = f"{err.code().name}: {err.details()}"
            time.sleep(0.25)
    print(f"{args.address} not SERVING after {args.timeout:.0f}s ({last})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
