"""Domain errors that carry their gRPC status code.

Workers raise these from anywhere below the servicer; :class:`~workers.runtime.error_status.ErrorStatus`
turns them into a status with the same message. Never raise a bare ``Exception`` across a service boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field of a request: its path (``sampling.temperature``) and what is wrong with it."""

    field: str
    description: str
    rule_id: str = ""


class WorkerError(Exception):
    """Base of every error a worker reports to its caller; ``code`` is the gRPC status it maps to."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(WorkerError):
    """The request cannot be served as sent (bad field, prompt too long, unknown option)."""

    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, message: str, violations: list[FieldViolation] | None = None) -> None:
        super().__init__(message)
        self.violations: list[FieldViolation] = list(violations or [])


class NotFound(WorkerError):
    """The request names something this worker does not have (a model, a classifier)."""

    code = grpc.StatusCode.NOT_FOUND


class Overloaded(WorkerError):
    """Every slot is busy and the queue is full: the caller should retry later or elsewhere."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(WorkerError):
    """A dependency (an upstream API, the model runtime) cannot serve right now; retrying may help."""

    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceeded(WorkerError):
    """The call's deadline passed before the work finished."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


class Cancelled(WorkerError):
    """The work was cancelled (by the caller or by a shutdown)."""

    code = grpc.StatusCode.CANCELLED


class FailedPrecondition(WorkerError):
    """The worker is not in a state to serve this request (e.g. a backend without a script)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class StartupError(Exception):
    """The worker cannot start (model missing, bad flag value, upstream unreachable): exit status 1."""
