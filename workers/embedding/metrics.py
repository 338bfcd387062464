"""The embedding worker's counters."""

from __future__ import annotations

from workers.runtime.metrics import Counter, Gauge, Histogram

TEXTS_EMBEDDED = Counter("agentos_embedding_texts", "Texts embedded")
TOKENS_READ = Counter("agentos_embedding_tokens", "Word pieces read by the model")
BATCH_SIZE = Histogram(
    "agentos_embedding_batch_texts",
    "Texts per model run (requests merged)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
)
QUEUED_CHARS = Gauge(
    "agentos_embedding_queued_chars",
    "Characters of text waiting for a model run (requests past --max-queued-chars are refused)",
)
