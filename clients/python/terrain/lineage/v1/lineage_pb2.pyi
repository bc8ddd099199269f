from terrain.lineage.v1 import graph_pb2 as _graph_pb2
from terrain.pfs.v1 import refs_pb2 as _refs_pb2
from terrain.pps.v1 import datum_pb2 as _datum_pb2
from terrain.pps.v1 import refs_pb2 as _refs_pb2_1
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
FILE_ORIGIN_PIPELINE: FileOrigin
FILE_ORIGIN_UNSPECIFIED: FileOrigin
FILE_ORIGIN_USER: FileOrigin

class DownstreamRequest(_message.Message):
    __slots__ = ["commit", "consistent", "depth", "path"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    CONSISTENT_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    consistent: bool
    depth: int
    path: str
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., path: _Optional[str] = ..., depth: _Optional[int] = ..., consistent: bool = ...) -> None: ...

class DownstreamResponse(_message.Message):
    __slots__ = ["edges", "nodes"]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    edges: _containers.RepeatedCompositeFieldContainer[_graph_pb2.Edge]
    nodes: _containers.RepeatedCompositeFieldContainer[_graph_pb2.Node]
    def __init__(self, nodes: _Optional[_Iterable[_Union[_graph_pb2.Node, _Mapping]]] = ..., edges: _Optional[_Iterable[_Union[_graph_pb2.Edge, _Mapping]]] = ...) -> None: ...

class ExportOpenLineageRequest(_message.Message):
    __slots__ = ["consistent", "job", "namespace"]
    CONSISTENT_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    consistent: bool
    job: _refs_pb2_1.Job
    namespace: str
    def __init__(self, job: _Optional[_Union[_refs_pb2_1.Job, _Mapping]] = ..., namespace: _Optional[str] = ..., consistent: bool = ...) -> None: ...

class ExportOpenLineageResponse(_message.Message):
    __slots__ = ["event_json"]
    EVENT_JSON_FIELD_NUMBER: _ClassVar[int]
    event_json: str
    def __init__(self, event_json: _Optional[str] = ...) -> None: ...

class FileLineageRequest(_message.Message):
    __slots__ = ["consistent", "file"]
    CONSISTENT_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    consistent: bool
    file: _refs_pb2.File
    def __init__(self, file: _Optional[_Union[_refs_pb2.File, _Mapping]] = ..., consistent: bool = ...) -> None: ...

class FileLineageResponse(_message.Message):
    __slots__ = ["copied_from", "datum", "datum_hash", "file", "hash", "inputs", "job", "origin", "written_in"]
    COPIED_FROM_FIELD_NUMBER: _ClassVar[int]
    DATUM_FIELD_NUMBER: _ClassVar[int]
    DATUM_HASH_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    WRITTEN_IN_FIELD_NUMBER: _ClassVar[int]
    copied_from: _refs_pb2.File
    datum: _refs_pb2_1.Datum
    datum_hash: str
    file: _refs_pb2.File
    hash: str
    inputs: _containers.RepeatedCompositeFieldContainer[_datum_pb2.InputFile]
    job: _refs_pb2_1.Job
    origin: FileOrigin
    written_in: _refs_pb2.Commit
    def __init__(self, file: _Optional[_Union[_refs_pb2.File, _Mapping]] = ..., hash: _Optional[str] = ..., origin: _Optional[_Union[FileOrigin, str]] = ..., written_in: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., job: _Optional[_Union[_refs_pb2_1.Job, _Mapping]] = ..., datum: _Optional[_Union[_refs_pb2_1.Datum, _Mapping]] = ..., datum_hash: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[_datum_pb2.InputFile, _Mapping]]] = ..., copied_from: _Optional[_Union[_refs_pb2.File, _Mapping]] = ...) -> None: ...

class InspectCommitSetRequest(_message.Message):
    __slots__ = ["commit_set", "consistent"]
    COMMIT_SET_FIELD_NUMBER: _ClassVar[int]
    CONSISTENT_FIELD_NUMBER: _ClassVar[int]
    commit_set: _refs_pb2.CommitSet
    consistent: bool
    def __init__(self, commit_set: _Optional[_Union[_refs_pb2.CommitSet, _Mapping]] = ..., consistent: bool = ...) -> None: ...

class InspectCommitSetResponse(_message.Message):
    __slots__ = ["commit_set", "edges", "nodes"]
    COMMIT_SET_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    commit_set: _refs_pb2.CommitSet
    edges: _containers.RepeatedCompositeFieldContainer[_graph_pb2.Edge]
    nodes: _containers.RepeatedCompositeFieldContainer[_graph_pb2.Node]
    def __init__(self, commit_set: _Optional[_Union[_refs_pb2.CommitSet, _Mapping]] = ..., nodes: _Optional[_Iterable[_Union[_graph_pb2.Node, _Mapping]]] = ..., edges: _Optional[_Iterable[_Union[_graph_pb2.Edge, _Mapping]]] = ...) -> None: ...

class UpstreamRequest(_message.Message):
    __slots__ = ["commit", "consistent", "depth", "path"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    CONSISTENT_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    consistent: bool
    depth: int
    path: str
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., path: _Optional[str] = ..., depth: _Optional[int] = ..., consistent: bool = ...) -> None: ...

class UpstreamResponse(_message.Message):
    __slots__ = ["edges", "nodes"]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    edges: _containers.RepeatedCompositeFieldContainer[_graph_pb2.Edge]
    nodes: _containers.RepeatedCompositeFieldContainer[_graph_pb2.Node]
    def __init__(self, nodes: _Optional[_Iterable[_Union[_graph_pb2.Node, _Mapping]]] = ..., edges: _Optional[_Iterable[_Union[_graph_pb2.Edge, _Mapping]]] = ...) -> None: ...

class FileOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
