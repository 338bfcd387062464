"""``python -m workers.model``: the model worker process."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from agentos.model.v1 import model_pb2, model_pb2_grpc

from workers.model.admission import Admission
from workers.model.backends import Backend
from workers.model.config import parse_config
from workers.model.engine import ModelEngine
from workers.model.metrics import watch_admission
from workers.model.servicer import ModelServicer
from workers.runtime.server import Registration, run, serve

SERVICE = model_pb2.DESCRIPTOR.services_by_name["ModelService"].full_name


def build_backend(config) -> Backend:  # type: ignore[no-untyped-def]
    """The backend named by ``--backend`` (imported lazily: each has its own dependencies)."""
    if config.backend == "llama":
        from workers.model.backends.llama import LlamaBackend

        return LlamaBackend(
            model_file=config.model_file or None,
            slots=config.max_concurrency,
            threads=config.threads,
            context_length=config.context_length,
        )
    if config.backend == "openai":
        from workers.model.backends.openai import OpenAIBackend

        return OpenAIBackend(
            config.openai_base_url, config.openai_api_key, config.openai_model, config.openai_timeout
        )
    if config.backend == "scripted":
        from workers.model.backends.scripted import ScriptedBackend

        return ScriptedBackend(config.script or None)
    from workers.model.backends.synthetic import SyntheticBackend

    return SyntheticBackend(config.synthetic_rate)


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_config(argv)
    backend = build_backend(config)
    admission = Admission(config.max_concurrency, config.max_queue)
    watch_admission(admission)
    servicer = ModelServicer(ModelEngine(backend, admission))
    registration = Registration(
        SERVICE, lambda server: model_pb2_grpc.add_ModelServiceServicer_to_server(servicer, server)
    )
    return run(lambda: serve(config, [registration], load=backend.load, close=backend.close), config)


if __name__ == "__main__":
    sys.exit(main())
