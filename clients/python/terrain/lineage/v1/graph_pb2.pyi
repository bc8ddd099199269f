from terrain.pfs.v1 import commit_pb2 as _commit_pb2
from terrain.pfs.v1 import refs_pb2 as _refs_pb2
from terrain.pps.v1 import datum_pb2 as _datum_pb2
from terrain.pps.v1 import job_pb2 as _job_pb2
from terrain.pps.v1 import refs_pb2 as _refs_pb2_1
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
EDGE_KIND_CONTAINS: EdgeKind
EDGE_KIND_COPY: EdgeKind
EDGE_KIND_INPUT: EdgeKind
EDGE_KIND_OUTPUT: EdgeKind
EDGE_KIND_PROVENANCE: EdgeKind
EDGE_KIND_UNSPECIFIED: EdgeKind
NODE_KIND_COMMIT: NodeKind
NODE_KIND_DATUM: NodeKind
NODE_KIND_FILE: NodeKind
NODE_KIND_JOB: NodeKind
NODE_KIND_UNSPECIFIED: NodeKind

class Edge(_message.Message):
    __slots__ = ["from_key", "kind", "to_key"]
    FROM_KEY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TO_KEY_FIELD_NUMBER: _ClassVar[int]
    from_key: str
    kind: EdgeKind
    to_key: str
    def __init__(self, from_key: _Optional[str] = ..., to_key: _Optional[str] = ..., kind: _Optional[_Union[EdgeKind, str]] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ["commit", "commit_error", "commit_origin", "commit_state", "datum", "datum_hash", "datum_state", "depth", "file", "file_hash", "job", "job_state", "key", "kind", "pipeline_version"]
    COMMIT_ERROR_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    COMMIT_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    COMMIT_STATE_FIELD_NUMBER: _ClassVar[int]
    DATUM_FIELD_NUMBER: _ClassVar[int]
    DATUM_HASH_FIELD_NUMBER: _ClassVar[int]
    DATUM_STATE_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    FILE_HASH_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    JOB_STATE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_VERSION_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    commit_error: str
    commit_origin: _commit_pb2.CommitOrigin
    commit_state: _commit_pb2.CommitState
    datum: _refs_pb2_1.Datum
    datum_hash: str
    datum_state: _datum_pb2.DatumState
    depth: int
    file: _refs_pb2.File
    file_hash: str
    job: _refs_pb2_1.Job
    job_state: _job_pb2.JobState
    key: str
    kind: NodeKind
    pipeline_version: int
    def __init__(self, key: _Optional[str] = ..., kind: _Optional[_Union[NodeKind, str]] = ..., depth: _Optional[int] = ..., commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., commit_state: _Optional[_Union[_commit_pb2.CommitState, str]] = ..., commit_origin: _Optional[_Union[_commit_pb2.CommitOrigin, str]] = ..., commit_error: _Optional[str] = ..., job: _Optional[_Union[_refs_pb2_1.Job, _Mapping]] = ..., job_state: _Optional[_Union[_job_pb2.JobState, str]] = ..., pipeline_version: _Optional[int] = ..., datum: _Optional[_Union[_refs_pb2_1.Datum, _Mapping]] = ..., datum_state: _Optional[_Union[_datum_pb2.DatumState, str]] = ..., datum_hash: _Optional[str] = ..., file: _Optional[_Union[_refs_pb2.File, _Mapping]] = ..., file_hash: _Optional[str] = ...) -> None: ...

class NodeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class EdgeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
