import datetime

from agentos.agent.v1 import events_pb2 as _events_pb2
from agentos.agent.v1 import spec_pb2 as _spec_pb2
from agentos.model.v1 import model_pb2 as _model_pb2
from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Agent(_message.Message):
    __slots__ = ("agent_id", "spec", "framework", "create_time")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    spec: _spec_pb2.AgentSpec
    framework: _spec_pb2.Framework
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, agent_id: _Optional[str] = ..., spec: _Optional[_Union[_spec_pb2.AgentSpec, _Mapping]] = ..., framework: _Optional[_Union[_spec_pb2.Framework, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateAgentRequest(_message.Message):
    __slots__ = ("agent_id", "spec")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    spec: _spec_pb2.AgentSpec
    def __init__(self, agent_id: _Optional[str] = ..., spec: _Optional[_Union[_spec_pb2.AgentSpec, _Mapping]] = ...) -> None: ...

class CreateAgentResponse(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    def __init__(self, agent: _Optional[_Union[Agent, _Mapping]] = ...) -> None: ...

class GetAgentRequest(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class GetAgentResponse(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    def __init__(self, agent: _Optional[_Union[Agent, _Mapping]] = ...) -> None: ...

class ListAgentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "framework")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    framework: _spec_pb2.Framework
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., framework: _Optional[_Union[_spec_pb2.Framework, str]] = ...) -> None: ...

class ListAgentsResponse(_message.Message):
    __slots__ = ("agents", "next_page_token")
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[Agent]
    next_page_token: str
    def __init__(self, agents: _Optional[_Iterable[_Union[Agent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteAgentRequest(_message.Message):
    __slots__ = ("agent_id", "allow_missing")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    allow_missing: bool
    def __init__(self, agent_id: _Optional[str] = ..., allow_missing: _Optional[bool] = ...) -> None: ...

class DeleteAgentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RunRequest(_message.Message):
    __slots__ = ("agent_id", "input", "history")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    input: str
    history: _containers.RepeatedCompositeFieldContainer[_model_pb2.ChatMessage]
    def __init__(self, agent_id: _Optional[str] = ..., input: _Optional[str] = ..., history: _Optional[_Iterable[_Union[_model_pb2.ChatMessage, _Mapping]]] = ...) -> None: ...

class RunResponse(_message.Message):
    __slots__ = ("run_id", "output", "events", "usage")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    output: str
    events: _containers.RepeatedCompositeFieldContainer[_events_pb2.RunEvent]
    usage: _model_pb2.Usage
    def __init__(self, run_id: _Optional[str] = ..., output: _Optional[str] = ..., events: _Optional[_Iterable[_Union[_events_pb2.RunEvent, _Mapping]]] = ..., usage: _Optional[_Union[_model_pb2.Usage, _Mapping]] = ...) -> None: ...

class RunStreamRequest(_message.Message):
    __slots__ = ("agent_id", "input", "history", "include_tokens")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    input: str
    history: _containers.RepeatedCompositeFieldContainer[_model_pb2.ChatMessage]
    include_tokens: bool
    def __init__(self, agent_id: _Optional[str] = ..., input: _Optional[str] = ..., history: _Optional[_Iterable[_Union[_model_pb2.ChatMessage, _Mapping]]] = ..., include_tokens: _Optional[bool] = ...) -> None: ...

class RunStreamResponse(_message.Message):
    __slots__ = ("run_id", "event")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    event: _events_pb2.RunEvent
    def __init__(self, run_id: _Optional[str] = ..., event: _Optional[_Union[_events_pb2.RunEvent, _Mapping]] = ...) -> None: ...
