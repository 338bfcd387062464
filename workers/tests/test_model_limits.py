"""Cancellation, deadlines, overload and bad input on a real model worker: right codes, still serving."""

from __future__ import annotations

import json
import threading
import time

import grpc
import pytest
from agentos.model.v1 import model_pb2, model_pb2_grpc
from conftest import WorkerProcess, wait_until
from google.rpc import error_details_pb2, status_pb2


def stub(worker: WorkerProcess) -> model_pb2_grpc.ModelServiceStub:
    return model_pb2_grpc.ModelServiceStub(worker.channel)


def slow(tokens: int = 200, delay_ms: int = 20) -> list[tuple[str, str]]:
    return [("x-agentos-script", json.dumps({"tokens": ["tok "] * tokens, "token_delay_ms": delay_ms}))]


def generated(worker: WorkerProcess) -> float:
    return worker.metrics()["agentos_model_tokens_generated_total"]


def outcome(worker: WorkerProcess, name: str) -> float:
    return worker.metrics()[f'agentos_model_generations_total{{outcome="{name}"}}']


def still_serves(worker: WorkerProcess) -> None:
    reply = stub(worker).Complete(model_pb2.CompleteRequest(prompt="capital of France"), timeout=30)
    assert reply.text == "The capital is Paris."


def test_cancel_stops_generation_within_a_few_tokens(scripted_worker: WorkerProcess) -> None:
    before, cancelled = generated(scripted_worker), outcome(scripted_worker, "cancelled")
    call = stub(scripted_worker).Generate(model_pb2.GenerateRequest(prompt="x"), metadata=slow(), timeout=60)
    received = 0
    for response in call:
        received += response.token_count
        if received >= 5:
            call.cancel()
            break
    wait_until(lambda: outcome(scripted_worker, "cancelled") == cancelled + 1)
    produced = generated(scripted_worker) - before
    time.sleep(0.3)  # had it kept going, 15 more tokens would appear in this time
    assert generated(scripted_worker) - before == produced
    assert produced <= received + 3, f"{produced} tokens produced for {received} received"
    assert scripted_worker.metrics()["agentos_model_active_generations"] == 0
    still_serves(scripted_worker)


def test_deadline_ends_a_long_generation_with_deadline_exceeded(scripted_worker: WorkerProcess) -> None:
    before = outcome(scripted_worker, "deadline_exceeded")
    with pytest.raises(grpc.RpcError) as err:
        list(
            stub(scripted_worker).Generate(
                model_pb2.GenerateRequest(prompt="x"), metadata=slow(), timeout=0.5
            )
        )
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    wait_until(lambda: outcome(scripted_worker, "deadline_exceeded") == before + 1)
    assert scripted_worker.metrics()["agentos_model_active_generations"] == 0
    still_serves(scripted_worker)


def test_full_queue_gives_resource_exhausted_then_recovers(small_worker: WorkerProcess) -> None:
    model = stub(small_worker)
    running = model.Generate(model_pb2.GenerateRequest(prompt="x"), metadata=slow(100, 30), timeout=60)
    next(iter(running))  # the only slot is taken
    queued = model.Generate.future if hasattr(model.Generate, "future") else None
    del queued
    waiting = model.Complete.future(model_pb2.CompleteRequest(prompt="x"), metadata=slow(2, 0), timeout=60)
    wait_until(lambda: small_worker.metrics()["agentos_model_queue_depth"] == 1)
    with pytest.raises(grpc.RpcError) as err:
        model.Complete(model_pb2.CompleteRequest(prompt="x"), metadata=slow(2, 0), timeout=30)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "--max-queue 1" in err.value.details() and "retry" in err.value.details()
    running.cancel()
    assert waiting.result(timeout=30).text == "tok tok "
    wait_until(lambda: small_worker.metrics()["agentos_model_queue_depth"] == 0)
    still_serves(small_worker)


def test_cancelled_waiter_leaves_the_queue(small_worker: WorkerProcess) -> None:
    model = stub(small_worker)
    running = model.Generate(model_pb2.GenerateRequest(prompt="x"), metadata=slow(100, 30), timeout=60)
    next(iter(running))
    waiting = model.Complete.future(model_pb2.CompleteRequest(prompt="x"), metadata=slow(2, 0), timeout=60)
    wait_until(lambda: small_worker.metrics()["agentos_model_queue_depth"] == 1)
    waiting.cancel()
    wait_until(lambda: small_worker.metrics()["agentos_model_queue_depth"] == 0)
    running.cancel()
    still_serves(small_worker)


@pytest.mark.parametrize(
    ("request_", "field", "words"),
    [
        (model_pb2.CompleteRequest(), "", "exactly one of prompt or messages"),
        (model_pb2.CompleteRequest(prompt="x" * 262145), "prompt", "at most 262144 bytes"),
        (
            model_pb2.CompleteRequest(prompt="x", sampling=model_pb2.SamplingParams(temperature=2.5)),
            "sampling.temperature",
            "less than or equal to 2",
        ),
        (
            model_pb2.CompleteRequest(messages=[model_pb2.ChatMessage(content="hi")]),
            "messages[0].role",
            "not be in list",
        ),
        (model_pb2.CompleteRequest(prompt="x", model="has spaces"), "model", "regex"),
    ],
    ids=["empty", "oversized-prompt", "bad-temperature", "missing-role", "bad-model-name"],
)
def test_invalid_input_names_the_field(
    scripted_worker: WorkerProcess, request_: model_pb2.CompleteRequest, field: str, words: str
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub(scripted_worker).Complete(request_, timeout=30)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert words in err.value.details()
    assert err.value.details().startswith("invalid CompleteRequest: ")
    details = dict(err.value.trailing_metadata() or ())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)
    bad = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad)
    assert [v.field for v in bad.field_violations] == [field]
    still_serves(scripted_worker)


@pytest.mark.parametrize("raw", [b"\x12\x03\xff\xfe\xfd", b"\xff\xff\xff"], ids=["bad-utf8", "not-protobuf"])
def test_a_request_that_does_not_decode_is_invalid_argument_and_counted(
    scripted_worker: WorkerProcess, raw: bytes
) -> None:
    key = (
        'agentos_worker_rpcs_total{code="INVALID_ARGUMENT",method="/agentos.model.v1.ModelService/Complete"}'
    )
    before = scripted_worker.metrics().get(key, 0.0)
    call = scripted_worker.channel.unary_unary("/agentos.model.v1.ModelService/Complete")
    with pytest.raises(grpc.RpcError) as err:
        call(raw, timeout=30)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith("the request is not a valid CompleteRequest: ")
    assert scripted_worker.metrics().get(key, 0.0) == before + 1
    still_serves(scripted_worker)


def test_message_larger_than_the_limit_is_resource_exhausted(scripted_worker: WorkerProcess) -> None:
    huge = model_pb2.CompleteRequest(messages=[model_pb2.ChatMessage(role=2, content="x" * 60000)] * 600)
    with pytest.raises(grpc.RpcError) as err:
        stub(scripted_worker).Complete(huge, timeout=60)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    still_serves(scripted_worker)


def test_health_stays_responsive_during_generations(scripted_worker: WorkerProcess) -> None:
    calls = [
        stub(scripted_worker).Generate(
            model_pb2.GenerateRequest(prompt="x"), metadata=slow(50, 20), timeout=60
        )
        for _ in range(4)
    ]
    threads = [threading.Thread(target=lambda c=c: list(c)) for c in calls]
    for t in threads:
        t.start()
    assert scripted_worker.health() == 1  # SERVING
    for t in threads:
        t.join(60)
