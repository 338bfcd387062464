"""A small OpenAI-compatible HTTP server for the ``openai`` backend tests (the real API is offline here).

It speaks the real wire protocol (``/v1/chat/completions`` and ``/v1/completions``, JSON or server-sent
events, bearer-token auth) and answers deterministically: the reply echoes the last user message word by
word, so a test can tell exactly what the worker sent and what it streamed back.

    python workers/tests/openai_stub_server.py PORT API_KEY
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse

MODEL = "stub-gpt"


def build(api_key: str) -> FastAPI:
    app = FastAPI()
    app.state.requests = []

    def check(authorization: str | None) -> JSONResponse | None:
        if authorization != f"Bearer {api_key}":
            return JSONResponse(
                {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}, 401
            )
        return None

    def reply_words(text: str, max_tokens: int) -> tuple[list[str], str]:
        words = [f" {w}" if i else w for i, w in enumerate(f"You said: {text}".split())]
        if len(words) > max_tokens:
            return words[:max_tokens], "length"
        return words, "stop"

    async def events(
        words: list[str], finish: str, prompt_tokens: int, chat: bool, delay: float
    ) -> AsyncIterator[str]:
        base = {"id": "cmpl-stub", "created": int(time.time()), "model": MODEL}
        for word in words:
            if delay:
                await asyncio.sleep(delay)
            choice: dict[str, Any] = {"index": 0, "finish_reason": None}
            if chat:
                choice["delta"] = {"content": word}
            else:
                choice["text"] = word
            yield f"data: {json.dumps({**base, 'choices': [choice]})}\n\n"
        last: dict[str, Any] = {"index": 0, "finish_reason": finish}
        last["delta" if chat else "text"] = {} if chat else ""
        yield f"data: {json.dumps({**base, 'choices': [last]})}\n\n"
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(words),
            "total_tokens": prompt_tokens + len(words),
        }
        yield f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n"
        yield "data: [DONE]\n\n"

    async def complete(request: Request, authorization: str | None, chat: bool) -> Any:
        denied = check(authorization)
        if denied:
            return denied
        body = await request.json()
        app.state.requests.append(body)
        if body.get("model") != MODEL:
            return JSONResponse(
                {"error": {"message": f"The model `{body.get('model')}` does not exist"}}, 404
            )
        text = body["messages"][-1]["content"] if chat else body["prompt"]
        if text == "please fail":
            return JSONResponse({"error": {"message": "the stub server failed on purpose"}}, 503)
        words, finish = reply_words(text, int(body.get("max_tokens") or 16))
        prompt_tokens = len(text.split())
        delay = 0.05 if text.startswith("slowly") else 0.0
        if body.get("stream") and text == "please stop short":  # two tokens, then the connection ends
            cut = [e async for e in events(words, finish, prompt_tokens, chat, 0)][:2]
            return StreamingResponse(iter(cut), media_type="text/event-stream")
        if body.get("stream") and text == "please send a number":  # an event that is JSON but no object
            return StreamingResponse(iter(["data: 42\n\n"]), media_type="text/event-stream")
        if body.get("stream") and text == "please send bad choices":  # an object with the wrong field types
            return StreamingResponse(iter(['data: {"choices": 5}\n\n']), media_type="text/event-stream")
        if body.get("stream") and text != "please ignore stream":
            return StreamingResponse(
                events(words, finish, prompt_tokens, chat, delay), media_type="text/event-stream"
            )
        content = "".join(words)
        choice = {
            "index": 0,
            "finish_reason": finish,
            **({"message": {"role": "assistant", "content": content}} if chat else {"text": content}),
        }
        return {
            "id": "cmpl-stub",
            "model": MODEL,
            "choices": [choice],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(words)},
        }

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request, authorization: str | None = Header(default=None)) -> Any:
        return await complete(request, authorization, chat=True)

    @app.post("/v1/completions")
    async def completions(request: Request, authorization: str | None = Header(default=None)) -> Any:
        return await complete(request, authorization, chat=False)

    @app.get("/v1/last-request")
    async def last_request() -> Any:
        return app.state.requests[-1] if app.state.requests else {}

    return app


if __name__ == "__main__":
    port, key = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(build(key), host="127.0.0.1", port=port, log_level="warning")
