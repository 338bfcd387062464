"""Maps domain errors to precise gRPC status codes with messages a caller can act on.

:class:`~workers.runtime.errors.WorkerError` subclasses carry their code; invalid fields also travel as a
``google.rpc.BadRequest`` detail (``grpc-status-details-bin``). Timeouts map to DEADLINE_EXCEEDED. Only a
genuine bug (an exception nobody expected) becomes INTERNAL, and it is logged with its traceback.
"""

from __future__ import annotations

import asyncio
import logging

import grpc
from google.rpc import error_details_pb2, status_pb2

from workers.runtime.errors import InvalidInput, WorkerError

log = logging.getLogger("workers.errors")

STATUS_DETAILS_KEY = "grpc-status-details-bin"

# Raised through unchanged: the call was cut short, or a status was already set.
PASS_THROUGH = (asyncio.CancelledError, grpc.aio.AbortError, GeneratorExit)


#: Longest status message sent, in UTF-8 bytes (percent-encoding in grpc-message can triple non-ASCII
#: ones); longer ones are cut with an ellipsis.
MAX_MESSAGE_BYTES = 1024
#: Largest ``grpc-status-details-bin`` sent (bytes before base64). With the message, a status stays
#: well inside the 8 KiB of metadata a gRPC client accepts without complaint.
MAX_DETAILS_BYTES = 2048


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` UTF-8 bytes (cut on a character boundary, ending with an ellipsis)."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def status_details(code: grpc.StatusCode, message: str, error: WorkerError) -> bytes | None:
    """A serialized ``google.rpc.Status`` with a BadRequest detail for invalid fields, else None.

    The detail lists violations while it stays under :data:`MAX_DETAILS_BYTES` (the message counts the
    rest); a status too large for the trailers would reach the client as RESOURCE_EXHAUSTED instead.
    """
    if not isinstance(error, InvalidInput) or not error.violations:
        return None
    bad = error_details_pb2.BadRequest()
    size = 0
    for v in error.violations:
        item = error_details_pb2.BadRequest.FieldViolation(
            field=_cut(v.field, 256), description=_cut(v.description, 256)
        )
        size += item.ByteSize() + 4
        if size > MAX_DETAILS_BYTES - len(message.encode()) - 16:
            break
        bad.field_violations.append(item)
    status = status_pb2.Status(code=code.value[0], message=message)
    status.details.add().Pack(bad)
    return status.SerializeToString()


class ErrorStatus:
    """Turns an exception raised by a servicer into a gRPC status (never a blanket INTERNAL)."""

    async def abort(self, context: grpc.aio.ServicerContext, method: str, err: Exception) -> None:
        """Ends the call with the status ``err`` maps to (raises ``grpc.aio.AbortError``)."""
        if isinstance(err, WorkerError):
            message = _cut(err.message, MAX_MESSAGE_BYTES)
            details = status_details(err.code, message, err)
            metadata = ((STATUS_DETAILS_KEY, details),) if details else ()
            log.info("%s -> %s: %s", method, err.code.name, message)
            await context.abort(err.code, message, trailing_metadata=metadata)
        elif isinstance(err, TimeoutError):
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, f"{method}: the call's deadline passed")
        else:  # a bug: say what broke, keep serving
            log.error("%s failed unexpectedly", method, exc_info=err)
            await context.abort(
                grpc.StatusCode.INTERNAL,
                _cut(f"{method} failed unexpectedly: {type(err).__name__}: {err}", MAX_MESSAGE_BYTES),
            )
