"""Stop sequences over a token stream: text is released as soon as it cannot start a stop string."""

from __future__ import annotations


class StopMatcher:
    """Feeds streamed text; holds back a tail that may be the start of a stop string.

    ``feed`` returns the text that is safe to emit and whether a stop string was found (the stop string
    and anything after it are dropped).
    """

    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = tuple(s for s in stops if s)
        self._held = ""

    def feed(self, text: str) -> tuple[str, bool]:
        if not self.stops:
            return text, False
        buffer = self._held + text
        # The stop string that completes first ends the text (then the one that starts first): the
        # same cut whether the text came in one piece or token by token.
        found = [(i + len(s), i) for s in self.stops if (i := buffer.find(s)) >= 0]
        if found:
            self._held = ""
            return buffer[: min(found)[1]], True
        keep = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(buffer)), 0, -1):
                if buffer.endswith(stop[:size]):
                    keep = max(keep, size)
                    break
        self._held = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep], False

    def flush(self) -> str:
        """The held-back text, at the end of a generation that found no stop string."""
        held, self._held = self._held, ""
        return held
