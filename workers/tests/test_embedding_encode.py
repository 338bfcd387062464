"""The wire-level EmbedResponse builder gives exactly the message protobuf builds from Python floats."""

from __future__ import annotations

import numpy as np
import pytest
from agentos.embedding.v1 import embedding_pb2

from workers.embedding.encode import embed_response


def _reference(
    model: str, vectors: np.ndarray, truncated: list[bool], tokens: int
) -> embedding_pb2.EmbedResponse:
    return embedding_pb2.EmbedResponse(
        model=model,
        dimensions=vectors.shape[1],
        embeddings=[
            embedding_pb2.Embedding(values=row, truncated=cut)
            for row, cut in zip(vectors.tolist(), truncated, strict=True)
        ],
        total_tokens=tokens,
    )


@pytest.mark.parametrize(("rows", "dims"), [(32, 384), (1, 1), (3, 200), (0, 384), (2, 0)])
def test_matches_the_message_built_from_floats(rows: int, dims: int) -> None:
    rng = np.random.default_rng(rows * 1000 + dims)
    vectors = rng.standard_normal((rows, dims)).astype(np.float32)
    truncated = [i % 3 == 1 for i in range(rows)]
    built = embed_response("all-MiniLM-L6-v2", vectors, truncated, 77)
    assert built == _reference("all-MiniLM-L6-v2", vectors, truncated, 77)
    assert built.SerializeToString(deterministic=True) == _reference(
        "all-MiniLM-L6-v2", vectors, truncated, 77
    ).SerializeToString(deterministic=True)


def test_float64_and_strided_input_is_converted() -> None:
    vectors = np.arange(24, dtype=np.float64).reshape(4, 6)[:, ::2]  # not contiguous, not float32
    built = embed_response("m", vectors, [False] * 4, 0)
    assert [list(e.values) for e in built.embeddings] == vectors.astype(np.float32).tolist()


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="one truncated flag per row"):
        embed_response("m", np.zeros((2, 3), np.float32), [False], 0)
