from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SplitterKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPLITTER_KIND_UNSPECIFIED: _ClassVar[SplitterKind]
    SPLITTER_KIND_RECURSIVE_CHARACTER: _ClassVar[SplitterKind]
    SPLITTER_KIND_MARKDOWN: _ClassVar[SplitterKind]
    SPLITTER_KIND_CHARACTER: _ClassVar[SplitterKind]
SPLITTER_KIND_UNSPECIFIED: SplitterKind
SPLITTER_KIND_RECURSIVE_CHARACTER: SplitterKind
SPLITTER_KIND_MARKDOWN: SplitterKind
SPLITTER_KIND_CHARACTER: SplitterKind

class Document(_message.Message):
    __slots__ = ("id", "text", "data", "media_type", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    text: str
    data: bytes
    media_type: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[str] = ..., text: _Optional[str] = ..., data: _Optional[bytes] = ..., media_type: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SplitterConfig(_message.Message):
    __slots__ = ("chunk_size", "chunk_overlap", "kind", "separators")
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_OVERLAP_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SEPARATORS_FIELD_NUMBER: _ClassVar[int]
    chunk_size: int
    chunk_overlap: int
    kind: SplitterKind
    separators: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, chunk_size: _Optional[int] = ..., chunk_overlap: _Optional[int] = ..., kind: _Optional[_Union[SplitterKind, str]] = ..., separators: _Optional[_Iterable[str]] = ...) -> None: ...

class SplitDocumentsRequest(_message.Message):
    __slots__ = ("documents", "splitter", "embed", "embedding_model")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    SPLITTER_FIELD_NUMBER: _ClassVar[int]
    EMBED_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[Document]
    splitter: SplitterConfig
    embed: bool
    embedding_model: str
    def __init__(self, documents: _Optional[_Iterable[_Union[Document, _Mapping]]] = ..., splitter: _Optional[_Union[SplitterConfig, _Mapping]] = ..., embed: _Optional[bool] = ..., embedding_model: _Optional[str] = ...) -> None: ...

class SplitDocumentsResponse(_message.Message):
    __slots__ = ("chunks",)
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    chunks: _containers.RepeatedCompositeFieldContainer[Chunk]
    def __init__(self, chunks: _Optional[_Iterable[_Union[Chunk, _Mapping]]] = ...) -> None: ...

class Chunk(_message.Message):
    __slots__ = ("document_id", "document_index", "chunk_index", "text", "start_offset", "metadata", "embedding")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_INDEX_FIELD_NUMBER: _ClassVar[int]
    CHUNK_INDEX_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    START_OFFSET_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    document_index: int
    chunk_index: int
    text: str
    start_offset: int
    metadata: _containers.ScalarMap[str, str]
    embedding: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, document_id: _Optional[str] = ..., document_index: _Optional[int] = ..., chunk_index: _Optional[int] = ..., text: _Optional[str] = ..., start_offset: _Optional[int] = ..., metadata: _Optional[_Mapping[str, str]] = ..., embedding: _Optional[_Iterable[float]] = ...) -> None: ...
