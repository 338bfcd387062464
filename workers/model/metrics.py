"""The model worker's counters. Other suites read these names from /metrics: keep them stable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workers.runtime.metrics import DURATION_BUCKETS, Counter, Gauge, Histogram

if TYPE_CHECKING:
    from workers.model.admission import Admission

TOKENS_GENERATED = Counter("agentos_model_tokens_generated", "Tokens generated, over all generations")
GENERATIONS = Counter(
    "agentos_model_generations",
    "Generations that ended, by outcome (completed, cancelled, deadline_exceeded, error)",
    ["outcome"],
)
ACTIVE_GENERATIONS = Gauge("agentos_model_active_generations", "Generations holding a slot now")
QUEUE_DEPTH = Gauge("agentos_model_queue_depth", "Generations waiting for a slot now")
TIME_TO_FIRST_TOKEN = Histogram(
    "agentos_model_time_to_first_token_seconds",
    "From the start of a generation (after queueing) to its first token",
    buckets=DURATION_BUCKETS,
)
QUEUE_TIME = Histogram(
    "agentos_model_queue_time_seconds", "Time generations waited for a slot", buckets=DURATION_BUCKETS
)

OUTCOMES = ("completed", "cancelled", "deadline_exceeded", "error")
# Every series exported from the start, at 0; resolved once (labels() per call is slow).
GENERATIONS_BY_OUTCOME = {outcome: GENERATIONS.labels(outcome) for outcome in OUTCOMES}


def watch_admission(admission: Admission) -> None:
    """Makes the two gauges read ``admission`` when scraped (nothing to update per generation)."""
    ACTIVE_GENERATIONS.set_function(lambda: admission.active)
    QUEUE_DEPTH.set_function(lambda: admission.queued)
