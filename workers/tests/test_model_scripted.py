"""The model worker's scripted backend through a real gRPC client: exact tokens, finish, usage, stops."""

from __future__ import annotations

import json

import grpc
import pytest
from agentos.model.v1 import model_pb2, model_pb2_grpc
from conftest import WorkerProcess


def stub(worker: WorkerProcess) -> model_pb2_grpc.ModelServiceStub:
    return model_pb2_grpc.ModelServiceStub(worker.channel)


def script(**response: object) -> list[tuple[str, str]]:
    return [("x-agentos-script", json.dumps(response))]


def user(text: str) -> list[model_pb2.ChatMessage]:
    return [model_pb2.ChatMessage(role=model_pb2.CHAT_ROLE_USER, content=text)]


def test_streams_the_scripted_tokens_then_finish_and_usage(scripted_worker: WorkerProcess) -> None:
    responses = list(
        stub(scripted_worker).Generate(
            model_pb2.GenerateRequest(
                messages=user("What is the capital of France?"),
                stream=model_pb2.StreamOptions(max_tokens_per_chunk=1, include_tokens=True),
            ),
            timeout=30,
        )
    )
    assert [r.text for r in responses[:-1]] == ["The", " capital", " is", " Paris", "."]
    assert all(r.token_count == 1 and r.finish_reason == 0 for r in responses[:-1])
    assert [t.text for r in responses for t in r.tokens] == ["The", " capital", " is", " Paris", "."]
    assert responses[0].model == "scripted"
    last = responses[-1]
    assert last.finish_reason == model_pb2.FINISH_REASON_STOP
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) == (9, 5, 14)
    assert last.model == "scripted"
    assert last.timing.generation_time.ToNanoseconds() > 0


def test_responses_rotate_for_unmatched_inputs(scripted_worker: WorkerProcess) -> None:
    reply = stub(scripted_worker).Complete(model_pb2.CompleteRequest(prompt="tell me anything"), timeout=30)
    assert reply.text == "Scripted answer number one."
    assert reply.finish_reason == model_pb2.FINISH_REASON_STOP
    assert reply.usage.prompt_tokens == 3 and reply.usage.completion_tokens == 4


def test_metadata_script_wins_and_max_tokens_cuts_with_length(scripted_worker: WorkerProcess) -> None:
    reply = stub(scripted_worker).Complete(
        model_pb2.CompleteRequest(prompt="x", sampling=model_pb2.SamplingParams(max_tokens=3)),
        metadata=script(tokens=["a", "b", "c", "d", "e"], prompt_tokens=4),
        timeout=30,
    )
    assert reply.text == "abc"
    assert reply.finish_reason == model_pb2.FINISH_REASON_LENGTH
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (4, 3)


def test_stop_sequence_ends_the_stream_without_the_stop_text(scripted_worker: WorkerProcess) -> None:
    responses = list(
        stub(scripted_worker).Generate(
            model_pb2.GenerateRequest(prompt="x", sampling=model_pb2.SamplingParams(stop=["END"])),
            metadata=script(tokens=["one", " two", " E", "N", "D", " three"]),
            timeout=30,
        )
    )
    assert "".join(r.text for r in responses) == "one two "
    assert responses[-1].finish_reason == model_pb2.FINISH_REASON_STOP_SEQUENCE


def test_scripted_error_ends_the_stream_with_its_code(scripted_worker: WorkerProcess) -> None:
    call = stub(scripted_worker).Generate(
        model_pb2.GenerateRequest(prompt="x"),
        metadata=script(
            tokens=["a", "b", "c"],
            error={"code": "UNAVAILABLE", "message": "upstream down", "after_tokens": 2},
        ),
        timeout=30,
    )
    got = []
    with pytest.raises(grpc.RpcError) as err:
        for response in call:
            got.append(response.text)
    assert got == ["a", "b"]
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert err.value.details() == "upstream down"


@pytest.mark.parametrize(
    "script",
    [
        "{not json",
        '{"text": "a", "token_delay_ms": NaN}',
        '{"text": "a", "token_delay_ms": true}',
        '{"text": "a", "error": {"code": "UNAVAILABLE", "after_tokens": "x"}}',
        '{"text": "a", "error": {"code": "UNAVAILABLE", "after_tokens": null}}',
        '{"text": "a", "error": {"code": "UNAVAILABLE", "after_tokens": -1}}',
    ],
)
def test_bad_script_metadata_is_invalid_argument(scripted_worker: WorkerProcess, script: str) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub(scripted_worker).Complete(
            model_pb2.CompleteRequest(prompt="x"), metadata=[("x-agentos-script", script)], timeout=30
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "x-agentos-script" in err.value.details()


def test_list_models_and_unknown_model(scripted_worker: WorkerProcess) -> None:
    listed = stub(scripted_worker).ListModels(model_pb2.ListModelsRequest(), timeout=30)
    assert listed.default_model == "scripted"
    assert [(m.id, m.backend, m.ready) for m in listed.models] == [("scripted", "scripted", True)]
    with pytest.raises(grpc.RpcError) as err:
        stub(scripted_worker).Complete(model_pb2.CompleteRequest(model="gpt-9", prompt="x"), timeout=30)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "gpt-9" in err.value.details() and "scripted" in err.value.details()


def test_classify_without_a_trained_classifier_is_not_found(scripted_worker: WorkerProcess) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub(scripted_worker).Classify(
            model_pb2.ClassifyRequest(model="sentiment", texts=["great"]), timeout=30
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "'sentiment'" in err.value.details() and "fine-tuning" in err.value.details()


def test_tokens_are_coalesced_when_produced_faster_than_sent() -> None:
    worker = WorkerProcess("model", ["--backend", "synthetic", "--synthetic-rate", "5000"])
    try:
        responses = list(
            stub(worker).Generate(
                model_pb2.GenerateRequest(prompt="x", sampling=model_pb2.SamplingParams(max_tokens=2000)),
                timeout=60,
            )
        )
        assert sum(r.token_count for r in responses) == 2000
        assert max(r.token_count for r in responses) > 1, "tokens due at once should share a response"
        assert responses[-1].finish_reason == model_pb2.FINISH_REASON_LENGTH
        assert responses[-1].usage.completion_tokens == 2000
        capped = list(
            stub(worker).Generate(
                model_pb2.GenerateRequest(
                    prompt="x",
                    sampling=model_pb2.SamplingParams(max_tokens=600),
                    stream=model_pb2.StreamOptions(max_tokens_per_chunk=1),
                ),
                timeout=60,
            )
        )
        assert [r.token_count for r in capped[:-1]] == [1] * 600
    finally:
        worker.stop()
