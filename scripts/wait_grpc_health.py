"""Waits until a gRPC server reports SERVING on grpc.health.v1, or fails after a timeout.

    python scripts/wait_grpc_health.py 127.0.0.1:50051 [--timeout 120] [--service NAME] [--pid PID]

With ``--pid``, fails as soon as that process (the server being waited for) has exited.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("address")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--service", default="")
    parser.add_argument("--pid", type=int, default=0, help="fail at once when this process has exited")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    last = "no answer"
    with grpc.insecure_channel(args.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if args.pid and not _alive(args.pid):
                print(f"{args.address}: the server (pid {args.pid}) exited", file=sys.stderr)
                return 1
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


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, exited but not reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


if __name__ == "__main__":
    sys.exit(main())
