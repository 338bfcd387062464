from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExchangeRequest(_message.Message):
    __slots__ = ("calls", "cancelled", "credits")
    CALLS_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[LinkCall]
    cancelled: _containers.RepeatedScalarFieldContainer[int]
    credits: _containers.RepeatedCompositeFieldContainer[LinkCredit]
    def __init__(self, calls: _Optional[_Iterable[_Union[LinkCall, _Mapping]]] = ..., cancelled: _Optional[_Iterable[int]] = ..., credits: _Optional[_Iterable[_Union[LinkCredit, _Mapping]]] = ...) -> None: ...

class LinkCredit(_message.Message):
    __slots__ = ("id", "bytes")
    ID_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    id: int
    bytes: int
    def __init__(self, id: _Optional[int] = ..., bytes: _Optional[int] = ...) -> None: ...

class LinkCall(_message.Message):
    __slots__ = ("id", "method", "request", "timeout_us", "metadata", "window")
    ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_US_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    id: int
    method: str
    request: bytes
    timeout_us: int
    metadata: _containers.RepeatedCompositeFieldContainer[LinkMetadata]
    window: int
    def __init__(self, id: _Optional[int] = ..., method: _Optional[str] = ..., request: _Optional[bytes] = ..., timeout_us: _Optional[int] = ..., metadata: _Optional[_Iterable[_Union[LinkMetadata, _Mapping]]] = ..., window: _Optional[int] = ...) -> None: ...

class LinkMetadata(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: bytes
    def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...

class ExchangeResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[LinkResult]
    def __init__(self, results: _Optional[_Iterable[_Union[LinkResult, _Mapping]]] = ...) -> None: ...

class LinkResult(_message.Message):
    __slots__ = ("id", "code", "response", "message", "trailers", "refused", "more")
    ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TRAILERS_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    MORE_FIELD_NUMBER: _ClassVar[int]
    id: int
    code: int
    response: bytes
    message: str
    trailers: _containers.RepeatedCompositeFieldContainer[LinkMetadata]
    refused: bool
    more: bool
    def __init__(self, id: _Optional[int] = ..., code: _Optional[int] = ..., response: _Optional[bytes] = ..., message: _Optional[str] = ..., trailers: _Optional[_Iterable[_Union[LinkMetadata, _Mapping]]] = ..., refused: _Optional[bool] = ..., more: _Optional[bool] = ...) -> None: ...
