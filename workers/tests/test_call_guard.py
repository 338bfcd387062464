"""The runtime's per-call behaviour on a real worker: metrics per method and code, errors, unknown methods."""

from __future__ import annotations

import grpc
import pytest
from agentos.model.v1 import model_pb2, model_pb2_grpc
from conftest import WorkerProcess, wait_until

COMPLETE = "/agentos.model.v1.ModelService/Complete"
HEALTH_CHECK = "/grpc.health.v1.Health/Check"


def calls(worker: WorkerProcess, method: str, code: str) -> float:
    return worker.metrics().get(f'agentos_worker_rpcs_total{{code="{code}",method="{method}"}}', 0.0)


def test_calls_are_counted_by_method_and_code_and_timed(scripted_worker: WorkerProcess) -> None:
    stub = model_pb2_grpc.ModelServiceStub(scripted_worker.channel)
    ok, invalid = calls(scripted_worker, COMPLETE, "OK"), calls(scripted_worker, COMPLETE, "INVALID_ARGUMENT")
    timed = scripted_worker.metrics()[f'agentos_worker_rpc_duration_seconds_count{{method="{COMPLETE}"}}']
    stub.Complete(model_pb2.CompleteRequest(prompt="capital of France"), timeout=30)
    stub.Complete(model_pb2.CompleteRequest(prompt="capital of France"), timeout=30)
    with pytest.raises(grpc.RpcError) as err:
        stub.Complete(model_pb2.CompleteRequest(), timeout=30)  # neither prompt nor messages
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # A call is recorded once its status is on the way to the client: wait for the last one.
    after = wait_until(
        lambda: (
            (m := scripted_worker.metrics())[
                f'agentos_worker_rpc_duration_seconds_count{{method="{COMPLETE}"}}'
            ]
            == timed + 3
            and m
        )
    )
    assert calls(scripted_worker, COMPLETE, "OK") == ok + 2
    assert calls(scripted_worker, COMPLETE, "INVALID_ARGUMENT") == invalid + 1
    assert after[f'agentos_worker_rpcs_in_flight{{method="{COMPLETE}"}}'] == 0


def test_health_checks_are_counted_too(scripted_worker: WorkerProcess) -> None:
    before = calls(scripted_worker, HEALTH_CHECK, "OK")
    assert scripted_worker.health() == 1
    wait_until(lambda: calls(scripted_worker, HEALTH_CHECK, "OK") == before + 1)


@pytest.mark.parametrize(
    "method", ["/agentos.model.v1.ModelService/NoSuchMethod", "/agentos.nothing.v1.Nothing/Call"]
)
def test_unknown_methods_are_unimplemented(scripted_worker: WorkerProcess, method: str) -> None:
    call = scripted_worker.channel.unary_unary(method)
    with pytest.raises(grpc.RpcError) as err:
        call(b"", timeout=30)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert scripted_worker.health() == 1


def test_unknown_model_is_not_found_with_a_message(scripted_worker: WorkerProcess) -> None:
    stub = model_pb2_grpc.ModelServiceStub(scripted_worker.channel)
    with pytest.raises(grpc.RpcError) as err:
        stub.Complete(model_pb2.CompleteRequest(prompt="x", model="no-such-model"), timeout=30)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "no-such-model" in err.value.details()
