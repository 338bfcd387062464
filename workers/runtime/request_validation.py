"""Rejects requests that break their contract's protovalidate rules with INVALID_ARGUMENT.

The message names every invalid field (``invalid GenerateRequest: sampling.temperature: must be ...``);
the same violations travel as a ``google.rpc.BadRequest`` detail (added by
:class:`~workers.runtime.error_status.ErrorStatus`). The request type of a method is known from its
handler's deserializer, so its compiled checks are looked up once per method, not per call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf.message import Message

from workers.runtime.errors import InvalidInput
from workers.runtime.validation import ContractValidator, describe_violations

RequestCheck = Callable[[Any], None]


class RequestValidation:
    """Makes the per-method check of every unary request message (None when there is nothing to check)."""

    def __init__(self, validator: ContractValidator | None = None) -> None:
        self._validator = validator or ContractValidator()

    def check_for(self, handler: grpc.RpcMethodHandler) -> RequestCheck | None:
        """The check of ``handler``'s requests; streamed requests are not messages and are not checked."""
        if handler.request_streaming:
            return None
        cls = getattr(handler.request_deserializer, "__self__", None)
        if not (isinstance(cls, type) and issubclass(cls, Message)):
            return self._check_any
        descriptor = cls.DESCRIPTOR  # type: ignore[attr-defined]
        plan = self._validator.plan(descriptor)
        if not plan.checks:
            return None
        name = descriptor.name
        accept = self._validator.accept(descriptor)
        if accept is None:
            return self._validator.validate

        def check(request: Any) -> None:
            if accept(request):  # the common case: valid, decided by one generated function
                return
            out: list[Any] = []
            plan.run(request, "", out)
            if out:
                raise InvalidInput(describe_violations(name, out), out)

        return check

    def _check_any(self, request: Any) -> None:
        if isinstance(request, Message):
            self._validator.validate(request)
