from agentos.model.v1 import model_pb2 as _model_pb2
from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Framework(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FRAMEWORK_UNSPECIFIED: _ClassVar[Framework]
    FRAMEWORK_LANGCHAIN: _ClassVar[Framework]
    FRAMEWORK_CREWAI: _ClassVar[Framework]
    FRAMEWORK_SWARMS: _ClassVar[Framework]
    FRAMEWORK_AUTOGEN: _ClassVar[Framework]

class LangChainChainType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LANG_CHAIN_CHAIN_TYPE_UNSPECIFIED: _ClassVar[LangChainChainType]
    LANG_CHAIN_CHAIN_TYPE_CHAT: _ClassVar[LangChainChainType]
    LANG_CHAIN_CHAIN_TYPE_TOOL_CALLING: _ClassVar[LangChainChainType]
    LANG_CHAIN_CHAIN_TYPE_RETRIEVAL: _ClassVar[LangChainChainType]

class CrewProcess(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREW_PROCESS_UNSPECIFIED: _ClassVar[CrewProcess]
    CREW_PROCESS_SEQUENTIAL: _ClassVar[CrewProcess]
    CREW_PROCESS_HIERARCHICAL: _ClassVar[CrewProcess]

class SwarmArchitecture(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SWARM_ARCHITECTURE_UNSPECIFIED: _ClassVar[SwarmArchitecture]
    SWARM_ARCHITECTURE_SEQUENTIAL: _ClassVar[SwarmArchitecture]
    SWARM_ARCHITECTURE_CONCURRENT: _ClassVar[SwarmArchitecture]
    SWARM_ARCHITECTURE_REARRANGE: _ClassVar[SwarmArchitecture]
    SWARM_ARCHITECTURE_MAJORITY_VOTING: _ClassVar[SwarmArchitecture]
    SWARM_ARCHITECTURE_MIXTURE_OF_AGENTS: _ClassVar[SwarmArchitecture]

class AutoGenTeam(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUTO_GEN_TEAM_UNSPECIFIED: _ClassVar[AutoGenTeam]
    AUTO_GEN_TEAM_ROUND_ROBIN: _ClassVar[AutoGenTeam]
    AUTO_GEN_TEAM_SELECTOR: _ClassVar[AutoGenTeam]
FRAMEWORK_UNSPECIFIED: Framework
FRAMEWORK_LANGCHAIN: Framework
FRAMEWORK_CREWAI: Framework
FRAMEWORK_SWARMS: Framework
FRAMEWORK_AUTOGEN: Framework
LANG_CHAIN_CHAIN_TYPE_UNSPECIFIED: LangChainChainType
LANG_CHAIN_CHAIN_TYPE_CHAT: LangChainChainType
LANG_CHAIN_CHAIN_TYPE_TOOL_CALLING: LangChainChainType
LANG_CHAIN_CHAIN_TYPE_RETRIEVAL: LangChainChainType
CREW_PROCESS_UNSPECIFIED: CrewProcess
CREW_PROCESS_SEQUENTIAL: CrewProcess
CREW_PROCESS_HIERARCHICAL: CrewProcess
SWARM_ARCHITECTURE_UNSPECIFIED: SwarmArchitecture
SWARM_ARCHITECTURE_SEQUENTIAL: SwarmArchitecture
SWARM_ARCHITECTURE_CONCURRENT: SwarmArchitecture
SWARM_ARCHITECTURE_REARRANGE: SwarmArchitecture
SWARM_ARCHITECTURE_MAJORITY_VOTING: SwarmArchitecture
SWARM_ARCHITECTURE_MIXTURE_OF_AGENTS: SwarmArchitecture
AUTO_GEN_TEAM_UNSPECIFIED: AutoGenTeam
AUTO_GEN_TEAM_ROUND_ROBIN: AutoGenTeam
AUTO_GEN_TEAM_SELECTOR: AutoGenTeam

class AgentSpec(_message.Message):
    __slots__ = ("display_name", "description", "model", "sampling", "langchain", "crewai", "swarms", "autogen")
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SAMPLING_FIELD_NUMBER: _ClassVar[int]
    LANGCHAIN_FIELD_NUMBER: _ClassVar[int]
    CREWAI_FIELD_NUMBER: _ClassVar[int]
    SWARMS_FIELD_NUMBER: _ClassVar[int]
    AUTOGEN_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    description: str
    model: str
    sampling: _model_pb2.SamplingParams
    langchain: LangChainSpec
    crewai: CrewAISpec
    swarms: SwarmsSpec
    autogen: AutoGenSpec
    def __init__(self, display_name: _Optional[str] = ..., description: _Optional[str] = ..., model: _Optional[str] = ..., sampling: _Optional[_Union[_model_pb2.SamplingParams, _Mapping]] = ..., langchain: _Optional[_Union[LangChainSpec, _Mapping]] = ..., crewai: _Optional[_Union[CrewAISpec, _Mapping]] = ..., swarms: _Optional[_Union[SwarmsSpec, _Mapping]] = ..., autogen: _Optional[_Union[AutoGenSpec, _Mapping]] = ...) -> None: ...

class ToolRef(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class LangChainSpec(_message.Message):
    __slots__ = ("chain_type", "system_prompt", "tools", "documents", "retrieval_top_k", "max_iterations")
    CHAIN_TYPE_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_PROMPT_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    RETRIEVAL_TOP_K_FIELD_NUMBER: _ClassVar[int]
    MAX_ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    chain_type: LangChainChainType
    system_prompt: str
    tools: _containers.RepeatedCompositeFieldContainer[ToolRef]
    documents: _containers.RepeatedScalarFieldContainer[str]
    retrieval_top_k: int
    max_iterations: int
    def __init__(self, chain_type: _Optional[_Union[LangChainChainType, str]] = ..., system_prompt: _Optional[str] = ..., tools: _Optional[_Iterable[_Union[ToolRef, _Mapping]]] = ..., documents: _Optional[_Iterable[str]] = ..., retrieval_top_k: _Optional[int] = ..., max_iterations: _Optional[int] = ...) -> None: ...

class CrewAISpec(_message.Message):
    __slots__ = ("agents", "tasks", "process")
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[CrewAgent]
    tasks: _containers.RepeatedCompositeFieldContainer[CrewTask]
    process: CrewProcess
    def __init__(self, agents: _Optional[_Iterable[_Union[CrewAgent, _Mapping]]] = ..., tasks: _Optional[_Iterable[_Union[CrewTask, _Mapping]]] = ..., process: _Optional[_Union[CrewProcess, str]] = ...) -> None: ...

class CrewAgent(_message.Message):
    __slots__ = ("role", "goal", "backstory", "tools", "allow_delegation")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    BACKSTORY_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    ALLOW_DELEGATION_FIELD_NUMBER: _ClassVar[int]
    role: str
    goal: str
    backstory: str
    tools: _containers.RepeatedCompositeFieldContainer[ToolRef]
    allow_delegation: bool
    def __init__(self, role: _Optional[str] = ..., goal: _Optional[str] = ..., backstory: _Optional[str] = ..., tools: _Optional[_Iterable[_Union[ToolRef, _Mapping]]] = ..., allow_delegation: _Optional[bool] = ...) -> None: ...

class CrewTask(_message.Message):
    __slots__ = ("description", "expected_output", "agent_role")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    AGENT_ROLE_FIELD_NUMBER: _ClassVar[int]
    description: str
    expected_output: str
    agent_role: str
    def __init__(self, description: _Optional[str] = ..., expected_output: _Optional[str] = ..., agent_role: _Optional[str] = ...) -> None: ...

class SwarmsSpec(_message.Message):
    __slots__ = ("architecture", "agents", "flow", "max_loops")
    ARCHITECTURE_FIELD_NUMBER: _ClassVar[int]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    MAX_LOOPS_FIELD_NUMBER: _ClassVar[int]
    architecture: SwarmArchitecture
    agents: _containers.RepeatedCompositeFieldContainer[SwarmAgent]
    flow: str
    max_loops: int
    def __init__(self, architecture: _Optional[_Union[SwarmArchitecture, str]] = ..., agents: _Optional[_Iterable[_Union[SwarmAgent, _Mapping]]] = ..., flow: _Optional[str] = ..., max_loops: _Optional[int] = ...) -> None: ...

class SwarmAgent(_message.Message):
    __slots__ = ("name", "system_prompt", "max_loops")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_PROMPT_FIELD_NUMBER: _ClassVar[int]
    MAX_LOOPS_FIELD_NUMBER: _ClassVar[int]
    name: str
    system_prompt: str
    max_loops: int
    def __init__(self, name: _Optional[str] = ..., system_prompt: _Optional[str] = ..., max_loops: _Optional[int] = ...) -> None: ...

class AutoGenSpec(_message.Message):
    __slots__ = ("team", "agents", "max_messages", "termination_text")
    TEAM_FIELD_NUMBER: _ClassVar[int]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    TERMINATION_TEXT_FIELD_NUMBER: _ClassVar[int]
    team: AutoGenTeam
    agents: _containers.RepeatedCompositeFieldContainer[AutoGenAgent]
    max_messages: int
    termination_text: str
    def __init__(self, team: _Optional[_Union[AutoGenTeam, str]] = ..., agents: _Optional[_Iterable[_Union[AutoGenAgent, _Mapping]]] = ..., max_messages: _Optional[int] = ..., termination_text: _Optional[str] = ...) -> None: ...

class AutoGenAgent(_message.Message):
    __slots__ = ("name", "description", "system_message", "tools")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    system_message: str
    tools: _containers.RepeatedCompositeFieldContainer[ToolRef]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., system_message: _Optional[str] = ..., tools: _Optional[_Iterable[_Union[ToolRef, _Mapping]]] = ...) -> None: ...
