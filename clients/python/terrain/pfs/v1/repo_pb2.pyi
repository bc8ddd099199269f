from google.protobuf import timestamp_pb2 as _timestamp_pb2
from terrain.pfs.v1 import refs_pb2 as _refs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
REPO_TYPE_PIPELINE: RepoType
REPO_TYPE_UNSPECIFIED: RepoType
REPO_TYPE_USER: RepoType

class CreateRepoRequest(_message.Message):
    __slots__ = ["description", "pipeline", "repo", "type", "update"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    description: str
    pipeline: str
    repo: _refs_pb2.Repo
    type: RepoType
    update: bool
    def __init__(self, repo: _Optional[_Union[_refs_pb2.Repo, _Mapping]] = ..., description: _Optional[str] = ..., update: bool = ..., type: _Optional[_Union[RepoType, str]] = ..., pipeline: _Optional[str] = ...) -> None: ...

class CreateRepoResponse(_message.Message):
    __slots__ = ["repo_info"]
    REPO_INFO_FIELD_NUMBER: _ClassVar[int]
    repo_info: RepoInfo
    def __init__(self, repo_info: _Optional[_Union[RepoInfo, _Mapping]] = ...) -> None: ...

class DeleteRepoRequest(_message.Message):
    __slots__ = ["force", "repo"]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    force: bool
    repo: _refs_pb2.Repo
    def __init__(self, repo: _Optional[_Union[_refs_pb2.Repo, _Mapping]] = ..., force: bool = ...) -> None: ...

class DeleteRepoResponse(_message.Message):
    __slots__ = ["deleted"]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: bool = ...) -> None: ...

class InspectRepoRequest(_message.Message):
    __slots__ = ["repo"]
    REPO_FIELD_NUMBER: _ClassVar[int]
    repo: _refs_pb2.Repo
    def __init__(self, repo: _Optional[_Union[_refs_pb2.Repo, _Mapping]] = ...) -> None: ...

class ListRepoRequest(_message.Message):
    __slots__ = ["type"]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    type: RepoType
    def __init__(self, type: _Optional[_Union[RepoType, str]] = ...) -> None: ...

class RepoInfo(_message.Message):
    __slots__ = ["branches", "created", "description", "pipeline", "repo", "size_bytes", "type"]
    BRANCHES_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    branches: _containers.RepeatedCompositeFieldContainer[_refs_pb2.Branch]
    created: _timestamp_pb2.Timestamp
    description: str
    pipeline: str
    repo: _refs_pb2.Repo
    size_bytes: int
    type: RepoType
    def __init__(self, repo: _Optional[_Union[_refs_pb2.Repo, _Mapping]] = ..., type: _Optional[_Union[RepoType, str]] = ..., description: _Optional[str] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., branches: _Optional[_Iterable[_Union[_refs_pb2.Branch, _Mapping]]] = ..., size_bytes: _Optional[int] = ..., pipeline: _Optional[str] = ...) -> None: ...

class RepoType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
