"""Start a worker as its own process on a free port and talk to it (used by the tests and the tools)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
SERVING_LINE = re.compile(r"serving .* on [^:]+:(\d+)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WorkerProcess:
    """``python -m workers.<name> --port 0`` with /metrics on a free port; its log is kept.

    Raises RuntimeError (with the log) when the worker exits or does not serve within ``timeout``.
    """

    channel: grpc.Channel
    start_seconds: float
    port: int
    address: str

    def __init__(
        self,
        name: str,
        args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        timeout: float = 120.0,
        python: str = sys.executable,
    ) -> None:
        self.name = name
        self.metrics_port = free_port()
        command = [python, "-m", f"workers.{name}", "--port", "0", "--metrics-port", str(self.metrics_port)]
        self.started = time.perf_counter()
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
        if not self._ready.wait(timeout) or self._port is None:
            self.stop()
            raise RuntimeError(f"{name} worker did not start:\n{self.log}")
        self.start_seconds = time.perf_counter() - self.started
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
        return int(stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status)

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
