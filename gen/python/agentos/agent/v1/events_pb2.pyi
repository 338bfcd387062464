import datetime

from agentos.model.v1 import model_pb2 as _model_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunStepPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_STEP_PHASE_UNSPECIFIED: _ClassVar[RunStepPhase]
    RUN_STEP_PHASE_STARTED: _ClassVar[RunStepPhase]
    RUN_STEP_PHASE_FINISHED: _ClassVar[RunStepPhase]
RUN_STEP_PHASE_UNSPECIFIED: RunStepPhase
RUN_STEP_PHASE_STARTED: RunStepPhase
RUN_STEP_PHASE_FINISHED: RunStepPhase

class RunEvent(_message.Message):
    __slots__ = ("sequence", "time", "agent", "step", "message", "tool_call", "tool_result", "token", "final")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    TOOL_RESULT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    time: _timestamp_pb2.Timestamp
    agent: str
    step: RunStep
    message: AgentMessage
    tool_call: ToolCall
    tool_result: ToolResult
    token: TokenDelta
    final: RunFinal
    def __init__(self, sequence: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent: _Optional[str] = ..., step: _Optional[_Union[RunStep, _Mapping]] = ..., message: _Optional[_Union[AgentMessage, _Mapping]] = ..., tool_call: _Optional[_Union[ToolCall, _Mapping]] = ..., tool_result: _Optional[_Union[ToolResult, _Mapping]] = ..., token: _Optional[_Union[TokenDelta, _Mapping]] = ..., final: _Optional[_Union[RunFinal, _Mapping]] = ...) -> None: ...

class RunStep(_message.Message):
    __slots__ = ("name", "phase")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    name: str
    phase: RunStepPhase
    def __init__(self, name: _Optional[str] = ..., phase: _Optional[_Union[RunStepPhase, str]] = ...) -> None: ...

class AgentMessage(_message.Message):
    __slots__ = ("role", "content")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    role: _model_pb2.ChatRole
    content: str
    def __init__(self, role: _Optional[_Union[_model_pb2.ChatRole, str]] = ..., content: _Optional[str] = ...) -> None: ...

class ToolCall(_message.Message):
    __slots__ = ("call_id", "name", "arguments_json")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_JSON_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    name: str
    arguments_json: str
    def __init__(self, call_id: _Optional[str] = ..., name: _Optional[str] = ..., arguments_json: _Optional[str] = ...) -> None: ...

class ToolResult(_message.Message):
    __slots__ = ("call_id", "output", "is_error")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    IS_ERROR_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    output: str
    is_error: bool
    def __init__(self, call_id: _Optional[str] = ..., output: _Optional[str] = ..., is_error: _Optional[bool] = ...) -> None: ...

class TokenDelta(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class RunFinal(_message.Message):
    __slots__ = ("output", "usage", "model_calls")
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    MODEL_CALLS_FIELD_NUMBER: _ClassVar[int]
    output: str
    usage: _model_pb2.Usage
    model_calls: int
    def __init__(self, output: _Optional[str] = ..., usage: _Optional[_Union[_model_pb2.Usage, _Mapping]] = ..., model_calls: _Optional[int] = ...) -> None: ...
