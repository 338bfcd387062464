"""The generated Python code imports cleanly and carries the contracts' validation rules."""

from __future__ import annotations

import importlib
import pathlib

import protovalidate
import pytest

GEN = pathlib.Path(__file__).resolve().parents[2] / "gen" / "python"
MODULES = sorted(
    ".".join(p.relative_to(GEN).with_suffix("").parts) for p in GEN.rglob("*.py") if p.name != "__init__.py"
)


def test_generated_code_exists() -> None:
    assert any(m.startswith("agentos.model.v1") for m in MODULES), MODULES


@pytest.mark.parametrize("module", MODULES)
def test_generated_module_imports(module: str) -> None:
    importlib.import_module(module)


def test_generate_request_requires_exactly_one_input() -> None:
    from agentos.model.v1 import model_pb2

    with pytest.raises(protovalidate.ValidationError) as err:
        protovalidate.validate(model_pb2.GenerateRequest())
    assert [v.proto.rule_id for v in err.value.violations] == ["generate.input"]
    protovalidate.validate(model_pb2.GenerateRequest(prompt="hello"))


def test_sampling_ranges_are_enforced() -> None:
    from agentos.model.v1 import model_pb2

    bad = model_pb2.GenerateRequest(prompt="x", sampling=model_pb2.SamplingParams(temperature=2.5))
    with pytest.raises(protovalidate.ValidationError) as err:
        protovalidate.validate(bad)
    assert [v.proto.field.elements[-1].field_name for v in err.value.violations] == ["temperature"]


def test_agent_spec_requires_a_framework() -> None:
    from agentos.agent.v1 import spec_pb2

    with pytest.raises(protovalidate.ValidationError):
        protovalidate.validate(spec_pb2.AgentSpec(display_name="a"))
