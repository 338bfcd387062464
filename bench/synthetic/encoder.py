"""A model-free sentence encoder of fixed, small cost, for benchmarking transports rather than models.

Both stacks of the benchmark run it behind the embedding worker's own :class:`~workers.embedding.batcher.Batcher`,
so their model work is identical and tiny and the figures show what the transport costs. It has
MiniLM's interface (``dimensions``, ``max_seq_length``, ``embed``).
"""

from __future__ import annotations

import hashlib

import numpy as np

from workers.embedding.minilm import Embeddings

MODEL_ID = "synthetic-embedding"


class SyntheticEncoder:
    """Deterministic unit vectors seeded by a hash of each text; thread-safe."""

    def __init__(self, dimensions: int = 384, max_seq_length: int = 256) -> None:
        self.dimensions = dimensions
        self.max_seq_length = max_seq_length

    def embed(self, texts: list[str], normalize: bool = True, max_batch_tokens: int = 8192) -> Embeddings:
        """One ``dimensions``-long float32 row per text; unit length unless ``normalize`` is False."""
        rows = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            rows[i] = np.random.default_rng(seed).standard_normal(self.dimensions, dtype=np.float32)
        if normalize:
            rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        lengths = [min(len(t.split()) + 2, self.max_seq_length) for t in texts]
        return Embeddings(rows, lengths, [False] * len(texts))
