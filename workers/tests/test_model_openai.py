"""The ``openai`` backend against a local OpenAI-compatible HTTP server (tests/openai_stub_server.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from agentos.model.v1 import model_pb2, model_pb2_grpc
from conftest import ROOT, WorkerProcess, free_port, wait_until

KEY = "sk-test-123"


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("openai_stub_server.py")), str(port), KEY], cwd=ROOT
    )

    def up() -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/last-request", timeout=2)
            return True
        except OSError:
            return False

    try:
        wait_until(up, 60)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture(scope="module")
def openai_worker(upstream: str) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(
        "model",
        ["--backend", "openai", "--openai-base-url", upstream, "--openai-model", "stub-gpt"],
        env={"AGENTOS_MODEL_OPENAI_API_KEY": KEY},
    )
    yield worker
    worker.stop()


def stub(worker: WorkerProcess) -> model_pb2_grpc.ModelServiceStub:
    return model_pb2_grpc.ModelServiceStub(worker.channel)


def last_request(upstream: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(f"{upstream}/last-request", timeout=10) as reply:
        return json.loads(reply.read())


def test_streams_chat_tokens_from_the_upstream(openai_worker: WorkerProcess, upstream: str) -> None:
    responses = list(
        stub(openai_worker).Generate(
            model_pb2.GenerateRequest(
                messages=[
                    model_pb2.ChatMessage(role=model_pb2.CHAT_ROLE_SYSTEM, content="Be brief."),
                    model_pb2.ChatMessage(role=model_pb2.CHAT_ROLE_USER, content="hello big world"),
                ],
                sampling=model_pb2.SamplingParams(max_tokens=20, temperature=0.5, seed=3),
            ),
            timeout=60,
        )
    )
    assert [r.text for r in responses[:-1]] == ["You", " said:", " hello", " big", " world"]
    last = responses[-1]
    assert last.finish_reason == model_pb2.FINISH_REASON_STOP
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (3, 5)
    assert last.model == "stub-gpt"
    sent = last_request(upstream)
    assert (
        sent["stream"] is True
        and sent["max_tokens"] == 20
        and sent["temperature"] == 0.5
        and sent["seed"] == 3
    )
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]


def test_raw_prompt_uses_completions_and_reports_length(openai_worker: WorkerProcess, upstream: str) -> None:
    reply = stub(openai_worker).Complete(
        model_pb2.CompleteRequest(
            prompt="one two three four", sampling=model_pb2.SamplingParams(max_tokens=3)
        ),
        timeout=60,
    )
    assert reply.text == "You said: one"
    assert reply.finish_reason == model_pb2.FINISH_REASON_LENGTH
    assert "prompt" in last_request(upstream)


def test_upstream_failure_is_unavailable_with_its_message(openai_worker: WorkerProcess) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub(openai_worker).Complete(model_pb2.CompleteRequest(prompt="please fail"), timeout=60)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "503" in err.value.details() and "failed on purpose" in err.value.details()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("please stop short", "ended before the answer finished"),
        ("please send a number", "not a JSON object"),
        ("please send bad choices", "out of the OpenAI format"),
        ("please ignore stream", "not an event stream"),
    ],
)
def test_an_upstream_answer_out_of_protocol_is_unavailable_not_a_short_answer(
    openai_worker: WorkerProcess, text: str, says: str
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub(openai_worker).Complete(model_pb2.CompleteRequest(prompt=text), timeout=60)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert says in (err.value.details() or "")


def test_cancel_closes_the_upstream_stream(openai_worker: WorkerProcess) -> None:
    before = openai_worker.metrics()['agentos_model_generations_total{outcome="cancelled"}']
    call = stub(openai_worker).Generate(
        model_pb2.GenerateRequest(
            prompt="slowly " + "word " * 100, sampling=model_pb2.SamplingParams(max_tokens=100)
        ),
        timeout=60,
    )
    next(iter(call))
    call.cancel()
    wait_until(
        lambda: openai_worker.metrics()['agentos_model_generations_total{outcome="cancelled"}'] == before + 1
    )
    assert (
        stub(openai_worker).Complete(model_pb2.CompleteRequest(prompt="hi"), timeout=60).text
        == "You said: hi"
    )


def test_wrong_api_key_fails_at_startup(upstream: str) -> None:
    with pytest.raises(RuntimeError) as err:
        WorkerProcess(
            "model",
            [
                "--backend",
                "openai",
                "--openai-base-url",
                upstream,
                "--openai-model",
                "stub-gpt",
                "--openai-api-key",
                "wrong",
            ],
        )
    assert "401" in str(err.value) and "Incorrect API key" in str(err.value)
