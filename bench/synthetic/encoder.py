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
    """Deterministic unit vectors chosen by a hash of each text; thread-safe.

    The vectors are rows of a table drawn once at start-up, so a text costs one hash and one row copy
    (a few microseconds for a batch of 32, against ~430 µs when each text seeded its own generator):
    what is left of a benchmarked call is the transport.
    """

    def __init__(self, dimensions: int = 384, max_seq_length: int = 256, table_rows: int = 4096) -> None:
        self.dimensions = dimensions
        self.max_seq_length = max_seq_length
        table = np.random.default_rng(0).standard_normal((table_rows, dimensions), dtype=np.float32)
        table /= np.linalg.norm(table, axis=1, keepdims=True)
        self._table = table

    def embed(self, texts: list[str], normalize: bool = True, max_batch_tokens: int = 8192) -> Embeddings:
        """One ``dimensions``-long float32 row per text, of unit length (``normalize`` changes nothing)."""
        rows = len(self._table)
        index = [
            int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") % rows
            for text in texts
        ]
        lengths = [min(len(t.split()) + 2, self.max_seq_length) for t in texts]
        return Embeddings(self._table[index], lengths, [False] * len(texts))
