"""The ``scripted`` backend: replays given responses, for deterministic tests through the real RPC path.

A script is JSON, from ``--script FILE.json`` or per request in the ``x-agentos-script`` metadata (which
wins)::

    {"tokens": ["Hello", ",", " world"],      # or "text": "Hello, world" (split at word starts)
     "finish_reason": "stop",                  # stop | length | stop_sequence (default stop)
     "token_delay_ms": 20,                     # pause before each token (default 0)
     "prompt_tokens": 7,                       # default: words in the input
     "error": {"code": "UNAVAILABLE", "message": "upstream down", "after_tokens": 2}}

A file may also hold ``{"responses": [ ... ]}``: a response with ``"match": "text"`` answers inputs that
contain that text; the others answer in turn.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from workers.model.backends import Backend, Outcome
from workers.model.domain import FinishReason, GenerationRequest, ModelDescriptor, Token
from workers.runtime.errors import FailedPrecondition, InvalidInput, StartupError, WorkerError

MODEL_ID = "scripted"
_WORD = re.compile(r"\s*\S+|\s+")
_FINISH = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "stop_sequence": FinishReason.STOP_SEQUENCE,
}


class ScriptError(ValueError):
    """A script that does not follow the format in the module doc."""


@dataclass(frozen=True)
class ScriptedResponse:
    """One response of a script."""

    tokens: tuple[str, ...]
    finish_reason: FinishReason
    token_delay: float
    prompt_tokens: int | None
    error: WorkerError | None
    error_after: int
    match: str | None

    @classmethod
    def parse(cls, data: Any) -> ScriptedResponse:
        if not isinstance(data, dict):
            raise ScriptError(f"a response must be a JSON object, got {type(data).__name__}")
        unknown = set(data) - {
            "tokens",
            "text",
            "finish_reason",
            "token_delay_ms",
            "prompt_tokens",
            "error",
            "match",
        }
        if unknown:
            raise ScriptError(f"unknown field(s) {sorted(unknown)}")
        if "tokens" in data:
            tokens = data["tokens"]
            if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
                raise ScriptError("tokens must be a list of strings")
        else:
            text = data.get("text", "")
            if not isinstance(text, str):
                raise ScriptError("text must be a string")
            tokens = _WORD.findall(text)
        finish = data.get("finish_reason", "stop")
        if finish not in _FINISH:
            raise ScriptError(f"finish_reason must be one of {sorted(_FINISH)}, got {finish!r}")
        delay = data.get("token_delay_ms", 0)
        if (
            isinstance(delay, bool)
            or not isinstance(delay, int | float)
            or not math.isfinite(delay)
            or delay < 0
        ):
            raise ScriptError("token_delay_ms must be a finite number >= 0")
        prompt_tokens = data.get("prompt_tokens")
        if prompt_tokens is not None and (not isinstance(prompt_tokens, int) or prompt_tokens < 0):
            raise ScriptError("prompt_tokens must be an integer >= 0")
        error, after = None, 0
        if "error" in data:
            spec = data["error"]
            if not isinstance(spec, dict):
                raise ScriptError("error must be an object with code and message")
            name = str(spec.get("code", "UNAVAILABLE")).upper()
            code = getattr(grpc.StatusCode, name, None)
            if code is None or code is grpc.StatusCode.OK:
                raise ScriptError(f"error.code must be a gRPC status code name, got {name!r}")
            error = WorkerError(str(spec.get("message", "scripted error")))
            error.code = code
            after = spec.get("after_tokens", 0)
            if isinstance(after, bool) or not isinstance(after, int) or after < 0:
                raise ScriptError("error.after_tokens must be an integer >= 0")
        match = data.get("match")
        if match is not None and not isinstance(match, str):
            raise ScriptError("match must be a string")
        return cls(tuple(tokens), _FINISH[finish], float(delay) / 1000, prompt_tokens, error, after, match)


class Script:
    """Responses chosen by ``match`` or in turn."""

    def __init__(self, responses: list[ScriptedResponse]) -> None:
        self.matching = [r for r in responses if r.match is not None]
        rest = [r for r in responses if r.match is None]
        self._turns = itertools.cycle(rest) if rest else None

    @classmethod
    def parse(cls, text: str) -> Script:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ScriptError(f"not valid JSON: {err}") from None
        items = data["responses"] if isinstance(data, dict) and "responses" in data else [data]
        if not isinstance(items, list) or not items:
            raise ScriptError("responses must be a non-empty list")
        return cls([ScriptedResponse.parse(item) for item in items])

    def choose(self, text: str) -> ScriptedResponse | None:
        for response in self.matching:
            if response.match and response.match in text:
                return response
        return next(self._turns) if self._turns is not None else None


class ScriptedBackend(Backend):
    """Replays scripted tokens with an optional per-token delay."""

    name = "scripted"
    reads_script = True

    def __init__(self, script_file: str | None) -> None:
        self.script_file = script_file
        self.script: Script | None = None

    def models(self) -> list[ModelDescriptor]:
        details = {"script": self.script_file or "(per request: x-agentos-script metadata)"}
        return [ModelDescriptor(MODEL_ID, self.name, 0, True, details)]

    async def load(self) -> None:
        if self.script_file:
            try:
                self.script = Script.parse(Path(self.script_file).read_text())
            except (OSError, ScriptError) as err:
                raise StartupError(f"--script {self.script_file}: {err}") from None
        # Warm-up: one real pass through the replay path.
        async for _ in self._replay(ScriptedResponse.parse({"tokens": ["ok"]}), 1, Outcome(), ""):
            pass

    def generate(self, request: GenerationRequest, outcome: Outcome) -> AsyncGenerator[list[Token], None]:
        text = request.text()
        if request.script is not None:
            try:
                script = Script.parse(request.script)
            except ScriptError as err:
                raise InvalidInput(f"x-agentos-script metadata: {err}") from None
        elif self.script is not None:
            script = self.script
        else:
            raise FailedPrecondition(
                "the scripted backend has no script: start it with --script FILE.json or send the "
                "x-agentos-script metadata (JSON) with the request"
            )
        response = script.choose(text)
        if response is None:
            raise FailedPrecondition("no scripted response matches this input and none answers in turn")
        return self._replay(response, request.sampling.max_tokens, outcome, text)

    async def _replay(
        self, response: ScriptedResponse, max_tokens: int, outcome: Outcome, text: str
    ) -> AsyncGenerator[list[Token], None]:
        outcome.prompt_tokens = (
            response.prompt_tokens if response.prompt_tokens is not None else len(text.split())
        )
        outcome.finish_reason = response.finish_reason
        for i, piece in enumerate(response.tokens):
            if response.error is not None and i == response.error_after:
                raise response.error
            if i >= max_tokens:
                outcome.finish_reason = FinishReason.LENGTH
                return
            if response.token_delay:
                await asyncio.sleep(response.token_delay)
            yield [Token(piece, id=i)]
        if response.error is not None:
            raise response.error
