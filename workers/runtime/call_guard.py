"""Every call's runtime behaviour, composed into one coroutine per method.

Outermost first: the drain tracker counts the call, metrics see every outcome, errors become statuses,
validation runs before the servicer. Each concern is its own class (:class:`DrainTracker`,
:class:`MethodMetrics`, :class:`ErrorStatus`, :class:`RequestValidation`); this module only composes
them. The composition is done once per method, when the method is registered, so a call pays for one
coroutine frame and no lookups. Streaming handlers written as coroutines (``await context.write``) are
wrapped as coroutines, so wrapping adds nothing per streamed message; async-generator handlers are
drained into ``context.write``.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import grpc

from workers.runtime.call_metrics import MethodMetrics, code_of
from workers.runtime.drain import DrainTracker, is_tracked
from workers.runtime.error_status import PASS_THROUGH, ErrorStatus
from workers.runtime.errors import InvalidInput
from workers.runtime.handlers import Behavior, Undecodable, behavior_of, replace_behavior, tolerant
from workers.runtime.request_validation import RequestValidation


def _as_coroutine(behavior: Behavior) -> Behavior:
    if not inspect.isasyncgenfunction(behavior):
        return behavior

    async def write_all(request: Any, context: grpc.aio.ServicerContext) -> None:
        async for item in behavior(request, context):
            await context.write(item)

    return write_all


class CallGuard:
    """Wraps a method handler with drain tracking, metrics, error mapping and request validation."""

    def __init__(
        self,
        tracker: DrainTracker | None = None,
        errors: ErrorStatus | None = None,
        validation: RequestValidation | None = None,
    ) -> None:
        self.tracker = tracker or DrainTracker()
        self.errors = errors or ErrorStatus()
        self.validation = validation or RequestValidation()

    def wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        """``handler`` running inside every runtime concern (``method`` is ``/package.Service/Method``).

        A single request that does not decode reaches the guard as :class:`Undecodable` and is answered
        INVALID_ARGUMENT (and counted) like any invalid request; grpc itself would answer UNKNOWN.
        """
        single_request = not handler.request_streaming
        deserializer = tolerant(handler.request_deserializer) if single_request else None
        return replace_behavior(handler, self._compose(handler, method), deserializer)

    def _compose(self, handler: grpc.RpcMethodHandler, method: str) -> Behavior:
        behavior = _as_coroutine(behavior_of(handler))
        check = self.validation.check_for(handler)
        message_type = getattr(getattr(handler.request_deserializer, "__self__", None), "DESCRIPTOR", None)
        type_name = message_type.name if message_type is not None else "request"
        metrics = MethodMetrics(method)
        tracker = self.tracker if is_tracked(method) else None
        abort = self.errors.abort
        perf_counter = time.perf_counter

        async def guarded(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if tracker is not None:
                tracker.enter()
            metrics.in_flight += 1
            start = perf_counter()
            ended: BaseException | None = None
            try:
                try:
                    if type(request) is Undecodable:
                        raise InvalidInput(f"the request is not a valid {type_name}: {request.error}")
                    if check is not None:
                        check(request)
                    return await behavior(request, context)
                except PASS_THROUGH:
                    raise
                except Exception as err:
                    await abort(context, method, err)
                    raise  # abort always raises; this only satisfies the type checker
            except BaseException as err:
                ended = err
                raise
            finally:
                metrics.finished(code_of(context, ended), perf_counter() - start)
                if tracker is not None:
                    tracker.leave()

        return guarded
