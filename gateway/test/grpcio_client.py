"""A Python grpcio client of ModelService for gateway tests: calls Complete and Generate through the
gateway and prints what it got as one JSON object.

    python gateway/test/grpcio_client.py HOST:PORT SCRIPT_JSON
"""

from __future__ import annotations

import json
import sys

import grpc

from agentos.model.v1 import model_pb2, model_pb2_grpc


def main() -> int:
    target, script = sys.argv[1], sys.argv[2]
    metadata = (("x-agentos-script", script),)
    with grpc.insecure_channel(target) as channel:
        stub = model_pb2_grpc.ModelServiceStub(channel)
        complete = stub.Complete(model_pb2.CompleteRequest(prompt="hi"), metadata=metadata, timeout=30)
        chunks = [r.text for r in stub.Generate(model_pb2.GenerateRequest(prompt="hi"), metadata=metadata, timeout=30)]
        try:
            stub.Complete(model_pb2.CompleteRequest(), timeout=30)
            invalid = "OK"
        except grpc.RpcError as err:
            invalid = err.code().name
    print(json.dumps({"complete": complete.text, "chunks": chunks, "invalid": invalid}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
