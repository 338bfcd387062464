"""The model worker's domain: what a generation asks for and what it produces, free of protobuf.

``from_pb``/``to_pb`` at the edges convert to and from ``agentos.model.v1`` messages; the engine and the
backends only see these types.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from agentos.model.v1 import model_pb2
from google.protobuf.duration_pb2 import Duration

DEFAULT_MAX_TOKENS = 256


class Role(enum.Enum):
    """Author of a chat message; values are the chat-template role names."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"

    @classmethod
    def from_pb(cls, value: int) -> Role:
        return _ROLES[value]


_ROLES = {
    model_pb2.CHAT_ROLE_SYSTEM: Role.SYSTEM,
    model_pb2.CHAT_ROLE_USER: Role.USER,
    model_pb2.CHAT_ROLE_ASSISTANT: Role.ASSISTANT,
    model_pb2.CHAT_ROLE_TOOL: Role.TOOL,
}


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One turn of a conversation."""

    role: Role
    content: str
    name: str = ""

    @classmethod
    def from_pb(cls, pb: model_pb2.ChatMessage) -> ChatMessage:
        return cls(Role.from_pb(pb.role), pb.content, pb.name)


@dataclass(frozen=True, slots=True)
class Sampling:
    """How tokens are chosen; None means the backend's default."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float | None = None
    top_p: float | None = None
    top_k: int = 0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    repetition_penalty: float | None = None

    @classmethod
    def from_pb(cls, pb: model_pb2.SamplingParams) -> Sampling:
        return cls(
            max_tokens=pb.max_tokens or DEFAULT_MAX_TOKENS,
            temperature=pb.temperature if pb.HasField("temperature") else None,
            top_p=pb.top_p if pb.HasField("top_p") else None,
            top_k=pb.top_k,
            stop=tuple(pb.stop),
            seed=pb.seed if pb.HasField("seed") else None,
            repetition_penalty=pb.repetition_penalty if pb.HasField("repetition_penalty") else None,
        )


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """A validated request: exactly one of ``prompt`` and ``messages`` is set."""

    model: str
    prompt: str
    messages: tuple[ChatMessage, ...]
    sampling: Sampling
    include_tokens: bool = False
    max_tokens_per_chunk: int = 0
    # Per-request script of the scripted backend (``x-agentos-script`` metadata), raw JSON.
    script: str | None = None

    @classmethod
    def from_pb(
        cls, pb: model_pb2.GenerateRequest | model_pb2.CompleteRequest, script: str | None = None
    ) -> GenerationRequest:
        stream = pb.stream if isinstance(pb, model_pb2.GenerateRequest) else None
        return cls(
            model=pb.model,
            prompt=pb.prompt,
            messages=tuple(ChatMessage.from_pb(m) for m in pb.messages),
            sampling=Sampling.from_pb(pb.sampling),
            include_tokens=bool(stream and stream.include_tokens),
            max_tokens_per_chunk=stream.max_tokens_per_chunk if stream else 0,
            script=script,
        )

    def text(self) -> str:
        """The whole input as plain text (prompt, or every message's content joined by newlines)."""
        return self.prompt if self.prompt else "\n".join(m.content for m in self.messages)


@dataclass(slots=True)
class Token:
    """One generated token (``id`` is -1 when the backend does not report ids)."""

    text: str
    id: int = -1
    logprob: float | None = None
    special: bool = False

    def to_pb(self) -> model_pb2.Token:
        pb = model_pb2.Token(id=self.id, text=self.text, special=self.special)
        if self.logprob is not None:
            pb.logprob = self.logprob
        return pb


class FinishReason(enum.Enum):
    """Why a generation ended."""

    STOP = model_pb2.FINISH_REASON_STOP
    LENGTH = model_pb2.FINISH_REASON_LENGTH
    STOP_SEQUENCE = model_pb2.FINISH_REASON_STOP_SEQUENCE


@dataclass(slots=True)
class Usage:
    """Token counts of one generation."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def to_pb(self) -> model_pb2.Usage:
        return model_pb2.Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_tokens=self.prompt_tokens + self.completion_tokens,
        )


def _duration(seconds: float) -> Duration:
    nanos = int(seconds * 1e9) if seconds > 0 else 0
    return Duration(seconds=nanos // 1_000_000_000, nanos=nanos % 1_000_000_000)


@dataclass(slots=True)
class Timing:
    """Where the time of one generation went, in seconds."""

    queue_time: float = 0.0
    time_to_first_token: float = 0.0
    generation_time: float = 0.0
    tokens_per_second: float = 0.0

    def to_pb(self) -> model_pb2.GenerationTiming:
        return model_pb2.GenerationTiming(
            queue_time=_duration(self.queue_time),
            time_to_first_token=_duration(self.time_to_first_token),
            generation_time=_duration(self.generation_time),
            tokens_per_second=self.tokens_per_second,
        )


@dataclass(slots=True)
class Chunk:
    """Text produced since the previous chunk; the last chunk of a stream has ``finish_reason`` set."""

    text: str
    token_count: int
    tokens: list[Token] = field(default_factory=list)
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    timing: Timing | None = None
    model: str = ""

    def to_pb(self) -> model_pb2.GenerateResponse:
        if self.model:
            pb = model_pb2.GenerateResponse(text=self.text, token_count=self.token_count, model=self.model)
        else:  # every chunk but the first and the last
            pb = model_pb2.GenerateResponse(text=self.text, token_count=self.token_count)
        if self.tokens:
            pb.tokens.extend(t.to_pb() for t in self.tokens)
        if self.finish_reason is not None:
            pb.finish_reason = self.finish_reason.value
        if self.usage is not None:
            pb.usage.CopyFrom(self.usage.to_pb())
        if self.timing is not None:
            pb.timing.CopyFrom(self.timing.to_pb())
        return pb


@dataclass(frozen=True, slots=True)
class ModelDescriptor:
    """A model a backend serves (what ListModels reports)."""

    id: str
    backend: str
    context_length: int = 0
    ready: bool = True
    details: dict[str, str] = field(default_factory=dict)

    def to_pb(self) -> model_pb2.ModelInfo:
        return model_pb2.ModelInfo(
            id=self.id,
            kind=model_pb2.MODEL_KIND_GENERATIVE,
            backend=self.backend,
            context_length=self.context_length,
            ready=self.ready,
            details=self.details,
        )


def first_text(value: Any) -> str:
    """``value`` as text for error messages, shortened."""
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "..."
