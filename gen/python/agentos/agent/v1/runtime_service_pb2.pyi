from agentos.agent.v1 import events_pb2 as _events_pb2
from agentos.agent.v1 import spec_pb2 as _spec_pb2
from agentos.model.v1 import model_pb2 as _model_pb2
from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AgentRuntimeServiceRunRequest(_message.Message):
    __slots__ = ("run_id", "spec", "input", "history", "include_tokens")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    spec: _spec_pb2.AgentSpec
    input: str
    history: _containers.RepeatedCompositeFieldContainer[_model_pb2.ChatMessage]
    include_tokens: bool
    def __init__(self, run_id: _Optional[str] = ..., spec: _Optional[_Union[_spec_pb2.AgentSpec, _Mapping]] = ..., input: _Optional[str] = ..., history: _Optional[_Iterable[_Union[_model_pb2.ChatMessage, _Mapping]]] = ..., include_tokens: _Optional[bool] = ...) -> None: ...

class AgentRuntimeServiceRunResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _events_pb2.RunEvent
    def __init__(self, event: _Optional[_Union[_events_pb2.RunEvent, _Mapping]] = ...) -> None: ...
