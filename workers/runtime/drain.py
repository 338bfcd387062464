"""Counts the calls in flight that a drain waits for (health watches and reflection excepted), for its log."""

from __future__ import annotations

# Streams that a drain does not count: health watches end with the drain, reflection is tooling.
UNTRACKED_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def is_tracked(method: str) -> bool:
    """Whether calls of ``method`` are counted (health and reflection excluded)."""
    return not method.startswith(UNTRACKED_PREFIXES)


class DrainTracker:
    """Counts calls in flight. The call guard calls :meth:`enter`/:meth:`leave`."""

    def __init__(self) -> None:
        self.in_flight = 0

    def enter(self) -> None:
        """One more call in flight."""
        self.in_flight += 1

    def leave(self) -> None:
        """One call finished (however it ended)."""
        self.in_flight -= 1
