"""The ``openai`` backend: any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server).

Chats go to ``POST {base}/chat/completions``, raw prompts to ``POST {base}/completions``, both with
``stream: true``; the server-sent events are read as they arrive and each content delta is one token.
Stop sequences are applied by the worker's engine (the same for every backend), so they are not sent.
Upstream failures map to precise codes: 400 → INVALID_ARGUMENT, 404 → NOT_FOUND, 429 →
RESOURCE_EXHAUSTED, 401/403/5xx/unreachable → UNAVAILABLE, upstream timeout → DEADLINE_EXCEEDED.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator
from typing import Any

import httpx

from workers.model.backends import Backend, Outcome
from workers.model.domain import (
    ChatMessage,
    FinishReason,
    GenerationRequest,
    ModelDescriptor,
    Role,
    Sampling,
    Token,
)
from workers.runtime.errors import (
    DeadlineExceeded,
    InvalidInput,
    NotFound,
    Overloaded,
    StartupError,
    Unavailable,
    WorkerError,
)

log = logging.getLogger("workers.model.openai")


class OpenAIBackend(Backend):
    """Streams from an OpenAI-compatible HTTP API with one pooled HTTP client."""

    name = "openai"

    def __init__(self, base_url: str, api_key: str, model: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        headers = {"Accept": "text/event-stream"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )

    def models(self) -> list[ModelDescriptor]:
        return [ModelDescriptor(self.model, self.name, 0, True, {"base_url": self.base_url})]

    async def load(self) -> None:
        probe = GenerationRequest(
            "", "", (ChatMessage(Role.USER, "Say OK."),), Sampling(max_tokens=1, temperature=0.0)
        )
        try:
            async for _ in self.generate(probe, Outcome()):
                pass
        except WorkerError as err:
            raise StartupError(f"warm-up request to {self.base_url} failed: {err.message}") from None

    def _body(self, request: GenerationRequest) -> tuple[str, dict[str, Any]]:
        s = request.sampling
        body: dict[str, Any] = {
            "model": self.model,
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": s.max_tokens,
        }
        for key, value in (("temperature", s.temperature), ("top_p", s.top_p), ("seed", s.seed)):
            if value is not None:
                body[key] = value
        if request.prompt:
            body["prompt"] = request.prompt
            return "/completions", body
        messages = []
        for m in request.messages:
            message: dict[str, Any] = {"role": m.role.value, "content": m.content}
            if m.name and m.role is not Role.TOOL:
                message["name"] = m.name
            if m.role is Role.TOOL:  # a tool message needs a tool_call_id upstream: send it as a user turn
                message = {
                    "role": "user",
                    "content": f"Tool result{f' ({m.name})' if m.name else ''}: {m.content}",
                }
            messages.append(message)
        body["messages"] = messages
        return "/chat/completions", body

    def generate(self, request: GenerationRequest, outcome: Outcome) -> AsyncGenerator[list[Token], None]:
        path, body = self._body(request)
        return self._stream(path, body, outcome, chat=not request.prompt)

    async def _stream(
        self, path: str, body: dict[str, Any], outcome: Outcome, chat: bool
    ) -> AsyncGenerator[list[Token], None]:
        finish = None
        done = False
        try:
            async with self._client.stream("POST", path, json=body) as response:
                if response.status_code != 200:
                    raise _http_error(
                        response.status_code, (await response.aread()).decode(errors="replace"), self.base_url
                    )
                kind = response.headers.get("content-type", "")
                if not kind.startswith("text/event-stream"):
                    raise Unavailable(
                        f"{self.base_url} answered a streaming request with {kind or 'no content type'}, "
                        "not an event stream (text/event-stream)"
                    )
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        done = True
                        break
                    try:
                        event = json.loads(data)
                    except json.JSONDecodeError:
                        raise Unavailable(
                            f"{self.base_url} sent an event that is not JSON: {data[:200]!r}"
                        ) from None
                    if not isinstance(event, dict):
                        raise Unavailable(
                            f"{self.base_url} sent an event that is not a JSON object: {data[:200]!r}"
                        )
                    if "error" in event:
                        raise Unavailable(f"{self.base_url} failed mid-stream: {str(event['error'])[:500]}")
                    try:
                        tokens, reason, prompt_tokens = _read_event(event, chat)
                    except (TypeError, AttributeError, ValueError) as err:
                        raise Unavailable(
                            f"{self.base_url} sent an event out of the OpenAI format ({err}): {data[:200]!r}"
                        ) from None
                    if reason:
                        finish = reason
                    if prompt_tokens is not None:
                        outcome.prompt_tokens = prompt_tokens
                    if tokens:
                        yield tokens
        except httpx.TimeoutException as err:
            raise DeadlineExceeded(f"{self.base_url} did not answer in time ({type(err).__name__})") from None
        except httpx.HTTPError as err:
            raise Unavailable(f"{self.base_url} is unreachable: {type(err).__name__}: {err}") from None
        if not done and finish is None:
            # A connection that closed mid-answer (the upstream crashed, a proxy timed out): not a short answer.
            raise Unavailable(
                f"{self.base_url}'s stream ended before the answer finished (no finish reason, no [DONE])"
            )
        outcome.finish_reason = FinishReason.LENGTH if finish == "length" else FinishReason.STOP

    async def close(self) -> None:
        await self._client.aclose()


def _read_event(event: dict[str, Any], chat: bool) -> tuple[list[Token], str | None, int | None]:
    """An event's tokens, finish reason and prompt tokens; TypeError/AttributeError/ValueError when malformed."""
    tokens: list[Token] = []
    finish = None
    choices = event.get("choices") or []
    if not isinstance(choices, list):
        raise TypeError("choices is not a list")
    for choice in choices:
        if not isinstance(choice, dict):
            raise TypeError("a choice is not an object")
        if chat:
            delta = choice.get("delta") or {}
            if not isinstance(delta, dict):
                raise TypeError("delta is not an object")
            text = delta.get("content")
        else:
            text = choice.get("text")
        if text is not None and not isinstance(text, str):
            raise TypeError("the text is not a string")
        if text:
            tokens.append(Token(text))
        if choice.get("finish_reason"):
            finish = str(choice["finish_reason"])
    usage = event.get("usage")
    prompt_tokens = None
    if usage:
        if not isinstance(usage, dict):
            raise TypeError("usage is not an object")
        prompt_tokens = int(usage.get("prompt_tokens") or 0)
    return tokens, finish, prompt_tokens


def _http_error(status: int, text: str, base_url: str) -> WorkerError:
    try:
        detail = json.loads(text).get("error", text)
        if isinstance(detail, dict):
            detail = detail.get("message", detail)
    except (json.JSONDecodeError, AttributeError):
        detail = text
    message = f"{base_url} answered HTTP {status}: {str(detail)[:500]}"
    if status == 400 or status == 422:
        return InvalidInput(message)
    if status == 404:
        return NotFound(message)
    if status == 429:
        return Overloaded(message)
    return Unavailable(message)
