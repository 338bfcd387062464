"""Rejects requests that break their contract's protovalidate rules with INVALID_ARGUMENT.

The message names every invalid field (``invalid GenerateRequest: sampling.temperature: must be ...``);
the same violations travel as a ``google.rpc.BadRequest`` detail (added by the error interceptor).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import Message

from workers.runtime.handlers import WrappingInterceptor
from workers.runtime.validation import ContractValidator


class ValidationInterceptor(WrappingInterceptor):
    """Validates every unary request message before the servicer sees it."""

    def __init__(self, validator: ContractValidator | None = None) -> None:
        super().__init__()
        self._validator = validator or ContractValidator()

    async def around(
        self, call: Callable[[], Awaitable[Any]], request: Any, context: grpc.aio.ServicerContext, method: str
    ) -> Any:
        if isinstance(request, Message):
            self._validator.validate(request)
        return await call()
