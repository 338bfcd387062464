"""The shared runtime: graceful shutdown, health, reflection, configuration, and contract validation."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time

import grpc
import protovalidate
import pytest
from agentos.agent.v1 import agent_service_pb2, spec_pb2
from agentos.embedding.v1 import embedding_pb2
from agentos.jobs.v1 import jobs_pb2
from agentos.model.v1 import model_pb2, model_pb2_grpc
from conftest import ROOT, WorkerProcess, wait_until
from google.protobuf.message import Message
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from workers.runtime.errors import InvalidInput
from workers.runtime.validation import ContractValidator, field_path


def slow(tokens: int, delay_ms: int) -> list[tuple[str, str]]:
    return [("x-agentos-script", json.dumps({"tokens": ["t "] * tokens, "token_delay_ms": delay_ms}))]


def test_sigterm_mid_stream_lets_the_stream_finish_and_exits_0() -> None:
    worker = WorkerProcess("model", ["--backend", "scripted", "--grace-period", "20"])
    stub = model_pb2_grpc.ModelServiceStub(worker.channel)
    call = stub.Generate(model_pb2.GenerateRequest(prompt="x"), metadata=slow(30, 30), timeout=60)
    responses = [next(call)]
    worker.signal(signal.SIGTERM)
    wait_until(lambda: any("draining" in line for line in worker.lines), 10)
    responses.extend(call)  # the stream runs to its end during the drain
    assert sum(r.token_count for r in responses) == 30
    assert responses[-1].finish_reason == model_pb2.FINISH_REASON_STOP
    assert worker.wait(30) == 0
    worker.stop()


def test_sigterm_past_the_grace_period_ends_streams_with_a_status_and_exits_0() -> None:
    worker = WorkerProcess("model", ["--backend", "scripted", "--grace-period", "0.5"])
    stub = model_pb2_grpc.ModelServiceStub(worker.channel)
    call = stub.Generate(model_pb2.GenerateRequest(prompt="x"), metadata=slow(1000, 20), timeout=60)
    next(call)
    worker.signal(signal.SIGTERM)
    with pytest.raises(grpc.RpcError) as err:
        list(call)
    assert err.value.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE)
    assert worker.wait(30) == 0
    worker.stop()


def test_new_calls_are_refused_while_draining() -> None:
    worker = WorkerProcess("model", ["--backend", "scripted", "--grace-period", "20"])
    stub = model_pb2_grpc.ModelServiceStub(worker.channel)
    call = stub.Generate(model_pb2.GenerateRequest(prompt="x"), metadata=slow(40, 30), timeout=60)
    next(call)
    worker.signal(signal.SIGTERM)
    wait_until(lambda: any("draining" in line for line in worker.lines), 10)
    fresh = grpc.insecure_channel(worker.address)
    with pytest.raises(grpc.RpcError) as err:
        model_pb2_grpc.ModelServiceStub(fresh).ListModels(model_pb2.ListModelsRequest(), timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    fresh.close()
    list(call)
    assert worker.wait(30) == 0
    worker.stop()


class _ThrottlingProxy:
    """A TCP relay on a free port passing client→worker bytes at ``rate`` bytes/s (the answer at once)."""

    def __init__(self, target: int, rate: float) -> None:
        self.forwarded = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._target = target
        self._rate = rate
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, throttled: bool) -> None:
        try:
            while data := src.recv(8192 if throttled else 65536):
                if throttled:
                    time.sleep(len(data) / self._rate)
                    self.forwarded += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._listener.close()


def test_sigterm_while_a_request_is_still_arriving_gives_it_the_grace_period() -> None:
    """A call counts from its headers: one whose body is still arriving is not cut off by the drain."""
    worker = WorkerProcess("model", ["--backend", "synthetic", "--grace-period", "30"])
    proxy = _ThrottlingProxy(worker.port, rate=100_000)
    channel = grpc.insecure_channel(f"127.0.0.1:{proxy.port}")
    request = model_pb2.CompleteRequest(prompt="x" * 250_000, sampling=model_pb2.SamplingParams(max_tokens=2))
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(model_pb2_grpc.ModelServiceStub(channel).Complete(request, timeout=60))
        except grpc.RpcError as err:
            outcome.append(err)

    caller = threading.Thread(target=call)
    caller.start()
    wait_until(lambda: proxy.forwarded > 40_000, 20)  # headers and the start of the body are in
    worker.signal(signal.SIGTERM)
    caller.join(60)
    channel.close()
    proxy.close()
    assert worker.wait(30) == 0
    worker.stop()
    result = outcome[0]
    assert isinstance(result, model_pb2.CompleteResponse), f"{result!r}\n{worker.log}"
    assert result.usage.completion_tokens == 2


def test_health_watch_does_not_hold_up_shutdown() -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    worker = WorkerProcess("model", ["--backend", "synthetic", "--grace-period", "30"])
    watch = health_pb2_grpc.HealthStub(worker.channel).Watch(health_pb2.HealthCheckRequest(service=""))
    assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
    statuses: list[int] = []
    reader = threading.Thread(target=lambda: statuses.extend(r.status for r in _quietly(watch)), daemon=True)
    reader.start()
    worker.signal(signal.SIGTERM)
    assert worker.wait(15) == 0  # well inside the 30 s grace period
    reader.join(10)
    assert health_pb2.HealthCheckResponse.NOT_SERVING in statuses
    worker.stop()


def _quietly(stream):  # type: ignore[no-untyped-def]
    try:
        yield from stream
    except grpc.RpcError:
        return


def test_reflection_lists_the_services(scripted_worker: WorkerProcess) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(scripted_worker.channel)
    replies = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=30
    )
    names = {s.name for reply in replies for s in reply.list_services_response.service}
    assert {"agentos.model.v1.ModelService", "grpc.health.v1.Health"} <= names


def test_metadata_limit_is_one_limit_not_a_random_zone(scripted_worker: WorkerProcess) -> None:
    """12 KiB of metadata always passes (grpc alone rejects about half such calls); over 16 KiB never does."""
    stub = model_pb2_grpc.ModelServiceStub(scripted_worker.channel)
    for _ in range(30):
        stub.ListModels(model_pb2.ListModelsRequest(), metadata=[("x-padding", "p" * 12 * 1024)], timeout=10)
    with pytest.raises(grpc.RpcError) as too_large:
        stub.ListModels(model_pb2.ListModelsRequest(), metadata=[("x-padding", "p" * 17 * 1024)], timeout=10)
    assert too_large.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def _model_worker_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m workers.model ARGS`` to its end (a bad setting exits before serving)."""
    return subprocess.run(
        [sys.executable, "-m", "workers.model", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=60,
    )


def test_flags_override_environment_and_bad_values_exit_2() -> None:
    shown = _model_worker_cli("--help", env={"AGENTOS_MODEL_MAX_QUEUE": "7", "PATH": ""})
    assert shown.returncode == 0 and "default 7" in shown.stdout
    bad = _model_worker_cli("--backend", "nope")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    env_bad = _model_worker_cli(env={"AGENTOS_PORT": "abc"})
    assert env_bad.returncode == 2 and "AGENTOS_PORT" in env_bad.stderr
    # argparse checks choices on the command line only: the environment is checked the same way.
    for env, needle in [
        ({"AGENTOS_MODEL_BACKEND": "lama"}, "AGENTOS_MODEL_BACKEND='lama': must be one of"),
        ({"AGENTOS_GRACE_PERIOD": "nan"}, "--grace-period must be a finite number"),
    ]:
        rejected = _model_worker_cli(env=env)
        assert rejected.returncode == 2 and needle in rejected.stderr, rejected.stderr
    nan_flag = _model_worker_cli("--backend", "synthetic", "--synthetic-rate", "nan")
    assert nan_flag.returncode == 2 and "--synthetic-rate must be a finite number" in nan_flag.stderr


def test_flag_wins_over_environment(script_file) -> None:  # type: ignore[no-untyped-def]
    worker = WorkerProcess(
        "model",
        ["--backend", "scripted", "--script", str(script_file)],
        env={"AGENTOS_MODEL_BACKEND": "synthetic"},
    )
    try:
        listed = model_pb2_grpc.ModelServiceStub(worker.channel).ListModels(
            model_pb2.ListModelsRequest(), timeout=30
        )
        assert listed.default_model == "scripted"
    finally:
        worker.stop()


def test_port_in_use_exits_1_with_a_clear_message(scripted_worker: WorkerProcess) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "workers.model",
            "--backend",
            "synthetic",
            "--port",
            str(scripted_worker.port),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    assert "cannot listen on" in done.stderr


SAMPLES = [
    model_pb2.GenerateRequest(),
    model_pb2.GenerateRequest(prompt="hi", messages=[model_pb2.ChatMessage(role=2, content="x")]),
    model_pb2.GenerateRequest(
        prompt="x",
        model="a b",
        sampling=model_pb2.SamplingParams(
            max_tokens=9000, temperature=-1, top_p=0, top_k=5000, stop=[""] * 9, repetition_penalty=3
        ),
        stream=model_pb2.StreamOptions(max_tokens_per_chunk=300),
    ),
    model_pb2.GenerateRequest(messages=[model_pb2.ChatMessage(role=9, content="x" * 70000, name="n" * 65)]),
    model_pb2.GenerateRequest(
        prompt="fine", sampling=model_pb2.SamplingParams(temperature=1.0, top_p=1.0, stop=["a"])
    ),
    model_pb2.CompleteRequest(prompt="é" * 100000),
    model_pb2.ClassifyRequest(),
    model_pb2.ClassifyRequest(model="m", texts=["", "x" * 9000]),
    embedding_pb2.EmbedRequest(texts=["ok"] * 513),
    embedding_pb2.EmbedRequest(texts=["ok"], model="x/y:z"),
    embedding_pb2.EmbedRequest(texts=["ok"], model="all-minilm-l6-v2\n"),  # RE2's $ is the very end
    model_pb2.CompleteRequest(prompt="hi", model="synthetic\n"),
    embedding_pb2.SimilarityRequest(query="", documents=[], top_k=600),
    spec_pb2.AgentSpec(),
    agent_service_pb2.CreateAgentRequest(),
    jobs_pb2.SubmitJobRequest(),
]


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: m.DESCRIPTOR.name)
def test_compiled_validation_agrees_with_protovalidate(message) -> None:  # type: ignore[no-untyped-def]
    mine = sorted((v.field, v.rule_id) for v in ContractValidator().violations(message))
    theirs = sorted(
        (field_path(v.proto.field), v.proto.rule_id)
        for v in protovalidate.Validator().collect_violations(message)
    )
    assert mine == theirs


def _one_problem_each() -> list[Message]:
    """A valid GenerateRequest, then copies of it that each break exactly one rule."""
    changes = [
        lambda m: setattr(m, "model", "a b"),
        lambda m: m.messages.add(role=2, content="both prompt and messages"),
        lambda m: m.ClearField("prompt"),
        lambda m: setattr(m.sampling, "temperature", -1),
        lambda m: setattr(m.sampling, "top_p", 0),
        lambda m: setattr(m.sampling, "top_k", 5000),
        lambda m: setattr(m.sampling, "max_tokens", 9000),
        lambda m: m.sampling.stop.extend([""] * 8),
        lambda m: setattr(m.sampling, "repetition_penalty", 3),
        lambda m: setattr(m.stream, "max_tokens_per_chunk", 300),
    ]
    base = model_pb2.GenerateRequest(
        prompt="fine", sampling=model_pb2.SamplingParams(temperature=1.0, top_p=1.0, stop=["a"])
    )
    out: list[Message] = [base]
    for change in changes:
        copy = model_pb2.GenerateRequest()
        copy.CopyFrom(base)
        change(copy)
        out.append(copy)
    chat = model_pb2.GenerateRequest(messages=[model_pb2.ChatMessage(role=2, content="hi")])
    out.append(chat)
    for change in [
        lambda m: setattr(m.messages[0], "role", 9),
        lambda m: setattr(m.messages[0], "content", "x" * 70000),
        lambda m: setattr(m.messages[0], "name", "n" * 65),
    ]:
        copy = model_pb2.GenerateRequest()
        copy.CopyFrom(chat)
        change(copy)
        out.append(copy)
    return out


@pytest.mark.parametrize("message", SAMPLES + _one_problem_each(), ids=lambda m: m.DESCRIPTOR.name)
def test_generated_accept_agrees_with_the_compiled_checks(message) -> None:  # type: ignore[no-untyped-def]
    validator = ContractValidator()
    accept = validator.accept(message.DESCRIPTOR)
    valid = not validator.violations(message)
    if accept is not None:
        assert accept(message) == valid
    if valid:
        validator.validate(message)
    else:
        with pytest.raises(InvalidInput):
            validator.validate(message)


def test_requests_of_the_workers_get_a_generated_accept() -> None:
    validator = ContractValidator()
    for message in (model_pb2.GenerateRequest, model_pb2.CompleteRequest, embedding_pb2.EmbedRequest):
        assert validator.accept(message.DESCRIPTOR) is not None
