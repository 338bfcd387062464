"""The model engine in-process: stop sequences (the same text and usage however tokens are batched), outcomes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

import pytest

from workers.model.admission import Admission
from workers.model.backends import Backend, Outcome
from workers.model.domain import Chunk, FinishReason, GenerationRequest, ModelDescriptor, Sampling, Token
from workers.model.engine import ModelEngine
from workers.model.stops import StopMatcher
from workers.runtime.errors import InvalidInput

TOKENS = ["Hel", "lo", " E", "ND", " more", " text"]


class Batched(Backend):
    """Yields TOKENS in batches of the given sizes."""

    name = "batched"

    def __init__(self, sizes: list[int]) -> None:
        self.sizes = sizes

    def models(self) -> list[ModelDescriptor]:
        return [ModelDescriptor("m", self.name, 0, True, {})]

    async def load(self) -> None:
        pass

    async def _emit(self, outcome: Outcome) -> AsyncGenerator[list[Token], None]:
        outcome.finish_reason = FinishReason.LENGTH
        i = 0
        for size in self.sizes:
            yield [Token(t, id=n) for n, t in enumerate(TOKENS[i : i + size], i)]
            i += size

    def generate(self, request: GenerationRequest, outcome: Outcome) -> AsyncGenerator[list[Token], None]:
        return self._emit(outcome)


def run(sizes: list[int], stop: tuple[str, ...], per_chunk: int = 0) -> tuple[list[Chunk], Chunk]:
    chunks: list[Chunk] = []

    async def emit(chunk: Chunk) -> None:
        chunks.append(chunk)

    request = GenerationRequest(
        "m", "p", (), Sampling(max_tokens=100, stop=stop), max_tokens_per_chunk=per_chunk
    )
    final = asyncio.run(ModelEngine(Batched(sizes), Admission(1, 1)).generate(request, emit))
    return chunks, final


@pytest.mark.parametrize("sizes", [[1] * 6, [6], [2, 4], [3, 3], [4, 2]])
@pytest.mark.parametrize("per_chunk", [0, 1, 2])
def test_stop_gives_the_same_text_and_usage_however_tokens_are_batched(
    sizes: list[int], per_chunk: int
) -> None:
    chunks, final = run(sizes, ("END",), per_chunk)
    assert "".join(c.text for c in chunks) + final.text == "Hello "
    assert final.finish_reason is FinishReason.STOP_SEQUENCE
    assert (
        final.usage is not None and final.usage.completion_tokens == 4
    )  # up to the token completing the stop
    assert sum(c.token_count for c in chunks) == 4


@pytest.mark.parametrize(
    ("stops", "pieces", "text"),
    [
        (("abc", "b"), ["abc"], "a"),
        (("abc", "b"), ["a", "b", "c"], "a"),
        (("abcd", "bc"), ["abcd"], "a"),
        (("abcd", "bc"), ["a", "b", "c", "d"], "a"),
        (("xy", "y"), ["xy"], ""),  # both complete at once: the one that starts first wins
        (("xy", "y"), ["x", "y"], ""),
        (("END",), ["x", "EN", "D", "z"], "x"),
        (("END",), ["xEN"], "xEN"),  # never completed: the held tail is released at the end
    ],
)
def test_the_stop_that_completes_first_ends_the_text(
    stops: tuple[str, ...], pieces: list[str], text: str
) -> None:
    matcher = StopMatcher(stops)
    out = ""
    for piece in pieces:
        released, hit = matcher.feed(piece)
        out += released
        if hit:
            break
    else:
        out += matcher.flush()
    assert out == text


class FakeLlamaServer:
    """llama.cpp's server interface as the llama backend calls it: a stream of one-token chunks."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def handle_completions(self, body: dict, on_chunk=None):  # type: ignore[no-untyped-def]
        if on_chunk is None:  # the prompt-size probe
            self.calls.append(("probe", body["max_tokens"]))
            return {"usage": {"prompt_tokens": 7}}
        self.calls.append(("stream", body["max_tokens"]))
        for i in range(body["max_tokens"]):
            if on_chunk({"choices": [{"text": f"t{i} "}]}):
                return {}
            time.sleep(0.001)
        return {}


def llama_with(server: FakeLlamaServer):  # type: ignore[no-untyped-def]
    from workers.model.backends.llama import LlamaBackend

    backend = LlamaBackend(None, slots=1, threads=1, context_length=512)
    backend._server = server
    return backend


def test_llama_counts_the_prompt_of_a_generation_stopped_early_but_not_of_a_cancelled_one() -> None:
    async def stopped() -> Chunk:
        backend = llama_with(FakeLlamaServer())
        request = GenerationRequest("", "p", (), Sampling(max_tokens=50, stop=("t3",)))
        final = await ModelEngine(backend, Admission(1, 1)).generate(request, lambda c: asyncio.sleep(0))
        assert backend._server.calls == [("stream", 50), ("probe", 1)]
        return final

    final = asyncio.run(stopped())
    assert final.usage is not None and final.usage.prompt_tokens == 7

    async def cancelled() -> list[tuple[str, int]]:
        server = FakeLlamaServer()
        request = GenerationRequest("", "p", (), Sampling(max_tokens=1000))
        first = asyncio.Event()

        async def emit(chunk: Chunk) -> None:
            first.set()
            await asyncio.sleep(10)  # cancelled while writing: the engine then closes the backend's stream

        task = asyncio.create_task(ModelEngine(llama_with(server), Admission(1, 1)).generate(request, emit))
        await first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return server.calls

    assert asyncio.run(cancelled()) == [("stream", 1000)]


class Refusing(Batched):
    """Refuses every request before streaming, as the scripted backend does with a bad script."""

    def generate(self, request: GenerationRequest, outcome: Outcome) -> AsyncGenerator[list[Token], None]:
        raise InvalidInput("bad script")


def test_a_generation_the_backend_refuses_counts_as_an_error_and_frees_its_slot() -> None:
    from workers.model.metrics import GENERATIONS_BY_OUTCOME

    errors = GENERATIONS_BY_OUTCOME["error"]
    before = errors._value.get()
    admission = Admission(1, 1)
    request = GenerationRequest("", "p", (), Sampling())
    with pytest.raises(InvalidInput):
        asyncio.run(ModelEngine(Refusing([]), admission).generate(request, lambda c: asyncio.sleep(0)))
    assert errors._value.get() == before + 1
    assert admission.active == 0
