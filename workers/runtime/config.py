"""Configuration from command-line flags and ``AGENTOS_*`` environment variables; a flag wins.

Every flag ``--some-flag`` of worker ``model`` can also be set as ``AGENTOS_MODEL_SOME_FLAG`` or, for all
workers at once, ``AGENTOS_SOME_FLAG``::

    parser = WorkerArgumentParser("model", "The model worker.", default_port=50051)
    parser.add("--backend", default="llama", choices=[...], help="...")
    config = parser.parse(argv)
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Sequence
from typing import Any

_BOOL_TRUE = {"1", "true", "yes", "on"}
_BOOL_FALSE = {"0", "false", "no", "off", ""}


def parse_bool(text: str) -> bool:
    """Parses an environment-style boolean ("1", "true", "yes", "on" and their opposites)."""
    value = text.strip().lower()
    if value in _BOOL_TRUE:
        return True
    if value in _BOOL_FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected a boolean (true/false), got {text!r}")


class WorkerArgumentParser:
    """An ``argparse`` parser whose defaults come from the environment, with the runtime's own flags."""

    def __init__(self, worker: str, description: str, *, default_port: int) -> None:
        self.worker = worker
        self._parser = argparse.ArgumentParser(
            prog=f"python -m workers.{worker}",
            description=description,
            epilog=f"Every flag can also be set in the environment as AGENTOS_{worker.upper()}_<FLAG> or "
            "AGENTOS_<FLAG> (e.g. --metrics-port as AGENTOS_METRICS_PORT); a flag on the command line wins.",
        )
        self._env_errors: list[str] = []
        runtime = self._parser.add_argument_group("server")
        self.add(
            "--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)", group=runtime
        )
        self.add(
            "--port", type=int, default=default_port, help="gRPC port; 0 picks a free one", group=runtime
        )
        self.add(
            "--link-port",
            type=int,
            default=0,
            help="port of the gateway's link socket (the worker link without grpc core; the gateway "
            "learns it from the link stream); 0 picks a free one, -1 = off (the link stays on the gRPC port)",
            group=runtime,
        )
        self.add(
            "--metrics-port",
            type=int,
            default=0,
            help="Prometheus /metrics HTTP port; 0 = off",
            group=runtime,
        )
        self.add(
            "--grace-period",
            type=float,
            default=15.0,
            help="seconds in-flight calls may take to finish after SIGTERM/SIGINT",
            group=runtime,
        )
        self.add(
            "--max-message-bytes",
            type=int,
            default=32 * 1024 * 1024,
            help="largest request or response message, in bytes",
            group=runtime,
        )
        self.add(
            "--event-loop",
            default="auto",
            choices=["auto", "uvloop", "asyncio"],
            help="event loop: auto = uvloop when installed, else asyncio",
            group=runtime,
        )
        self.add("--log-level", default="info", choices=["debug", "info", "warning", "error"], group=runtime)

    def add(
        self,
        flag: str,
        *,
        default: Any,
        help: str = "",
        type: Callable[[str], Any] = str,
        choices: Sequence[Any] | None = None,
        group: Any = None,
        secret: bool = False,
    ) -> None:
        """Adds ``flag`` whose default is read from the environment (see the module doc)."""
        name = flag.lstrip("-").replace("-", "_").upper()
        env_names = [f"AGENTOS_{self.worker.upper()}_{name}", f"AGENTOS_{name}"]
        value = default
        for env in env_names:
            if env in os.environ:
                try:
                    value = type(os.environ[env])
                except (ValueError, argparse.ArgumentTypeError) as err:
                    self._env_errors.append(f"{env}={os.environ[env]!r}: {err}")
                else:
                    # argparse checks choices on the command line only, never on a default.
                    if choices is not None and value not in choices:
                        self._env_errors.append(
                            f"{env}={os.environ[env]!r}: must be one of {', '.join(map(str, choices))}"
                        )
                break
        shown = "(set)" if secret and value else repr(value)
        target = group if group is not None else self._parser
        target.add_argument(
            flag,
            type=type,
            default=value,
            choices=choices,
            help=f"{help} [default {shown}; env {env_names[0]}]",
        )

    def parse(self, argv: Sequence[str] | None = None) -> argparse.Namespace:
        """Parses ``argv``; exits with a usage message (status 2) on a bad flag or environment value."""
        if self._env_errors:
            self._parser.error("bad environment value: " + "; ".join(self._env_errors))
        args = self._parser.parse_args(argv)
        args.worker = self.worker
        if not 0 <= args.port <= 65535:
            self._parser.error(f"--port must be 0..65535, got {args.port}")
        if not 0 <= args.metrics_port <= 65535:
            self._parser.error(f"--metrics-port must be 0..65535, got {args.metrics_port}")
        if args.grace_period < 0:
            self._parser.error(f"--grace-period must be >= 0, got {args.grace_period}")
        for name, value in vars(args).items():
            if isinstance(value, float) and not math.isfinite(value):
                self._parser.error(f"--{name.replace('_', '-')} must be a finite number, got {value}")
        return args

    def error(self, message: str) -> None:
        """Exits with a usage message (status 2)."""
        self._parser.error(message)
