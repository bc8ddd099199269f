from terrain.pfs.v1 import commit_pb2 as _commit_pb2
from terrain.pfs.v1 import repo_pb2 as _repo_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BranchKey(_message.Message):
    __slots__ = ["name", "repo"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    name: str
    repo: str
    def __init__(self, repo: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class BranchRecord(_message.Message):
    __slots__ = ["created_ms", "direct_provenance", "head", "name", "repo"]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    DIRECT_PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    HEAD_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    created_ms: int
    direct_provenance: _containers.RepeatedCompositeFieldContainer[BranchKey]
    head: str
    name: str
    repo: str
    def __init__(self, repo: _Optional[str] = ..., name: _Optional[str] = ..., head: _Optional[str] = ..., direct_provenance: _Optional[_Iterable[_Union[BranchKey, _Mapping]]] = ..., created_ms: _Optional[int] = ...) -> None: ...

class CommitKey(_message.Message):
    __slots__ = ["id", "repo"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    id: str
    repo: str
    def __init__(self, repo: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class CommitRecord(_message.Message):
    __slots__ = ["branch", "description", "direct_provenance", "error", "file_count", "finished_ms", "finishing_ms", "id", "origin", "parent", "repo", "root", "size_bytes", "started_ms", "state"]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DIRECT_PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FILE_COUNT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_MS_FIELD_NUMBER: _ClassVar[int]
    FINISHING_MS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    STARTED_MS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    branch: str
    description: str
    direct_provenance: _containers.RepeatedCompositeFieldContainer[CommitKey]
    error: str
    file_count: int
    finished_ms: int
    finishing_ms: int
    id: str
    origin: _commit_pb2.CommitOrigin
    parent: str
    repo: str
    root: str
    size_bytes: int
    started_ms: int
    state: _commit_pb2.CommitState
    def __init__(self, repo: _Optional[str] = ..., id: _Optional[str] = ..., branch: _Optional[str] = ..., parent: _Optional[str] = ..., state: _Optional[_Union[_commit_pb2.CommitState, str]] = ..., origin: _Optional[_Union[_commit_pb2.CommitOrigin, str]] = ..., description: _Optional[str] = ..., direct_provenance: _Optional[_Iterable[_Union[CommitKey, _Mapping]]] = ..., started_ms: _Optional[int] = ..., finishing_ms: _Optional[int] = ..., finished_ms: _Optional[int] = ..., error: _Optional[str] = ..., root: _Optional[str] = ..., size_bytes: _Optional[int] = ..., file_count: _Optional[int] = ...) -> None: ...

class CommitSetRecord(_message.Message):
    __slots__ = ["created_ms", "id"]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    created_ms: int
    id: str
    def __init__(self, id: _Optional[str] = ..., created_ms: _Optional[int] = ...) -> None: ...

class FileSetRecord(_message.Message):
    __slots__ = ["expires_ms", "id", "layers"]
    EXPIRES_MS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    expires_ms: int
    id: str
    layers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., layers: _Optional[_Iterable[str]] = ..., expires_ms: _Optional[int] = ...) -> None: ...

class RepoRecord(_message.Message):
    __slots__ = ["created_ms", "description", "name", "pipeline", "type"]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    created_ms: int
    description: str
    name: str
    pipeline: str
    type: _repo_pb2.RepoType
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[_repo_pb2.RepoType, str]] = ..., description: _Optional[str] = ..., created_ms: _Optional[int] = ..., pipeline: _Optional[str] = ...) -> None: ...

class StagedRecord(_message.Message):
    __slots__ = ["added_ms", "root"]
    ADDED_MS_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    added_ms: int
    root: str
    def __init__(self, root: _Optional[str] = ..., added_ms: _Optional[int] = ...) -> None: ...
