"""Generation backends. Each one streams batches of tokens for a :class:`GenerationRequest`.

A backend's ``generate`` is an async generator: it yields every token available now as one list (so a
slow reader gets tokens coalesced), fills in the :class:`Outcome`, and stops its work when closed early
(``aclose``) or cancelled. ``load`` must end with a real inference, so a worker is healthy only when it can
really serve.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from workers.model.domain import FinishReason, GenerationRequest, ModelDescriptor, Token


@dataclass(slots=True)
class Outcome:
    """Set by a backend by the time its generator is exhausted."""

    finish_reason: FinishReason = FinishReason.STOP
    prompt_tokens: int = 0
    completion_tokens: int | None = None


class Backend(ABC):
    """A source of generated tokens."""

    name: str = ""
    # Whether generate() reads GenerationRequest.script (the ``x-agentos-script`` call metadata).
    reads_script: bool = False

    @abstractmethod
    def models(self) -> list[ModelDescriptor]:
        """The models this backend serves, default first."""

    @abstractmethod
    async def load(self) -> None:
        """Loads the model and runs one real inference; raises StartupError when it cannot."""

    @abstractmethod
    def generate(self, request: GenerationRequest, outcome: Outcome) -> AsyncGenerator[list[Token], None]:
        """Streams token batches for ``request``; honours ``request.sampling.max_tokens``."""

    async def close(self) -> None:
        """Frees the backend's resources (called once, after the server drained)."""
