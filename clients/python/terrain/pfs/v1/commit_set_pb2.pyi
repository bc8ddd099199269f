from google.protobuf import timestamp_pb2 as _timestamp_pb2
from terrain.pfs.v1 import commit_pb2 as _commit_pb2
from terrain.pfs.v1 import refs_pb2 as _refs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CommitSetInfo(_message.Message):
    __slots__ = ["commit_set", "commits", "created"]
    COMMITS_FIELD_NUMBER: _ClassVar[int]
    COMMIT_SET_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    commit_set: _refs_pb2.CommitSet
    commits: _containers.RepeatedCompositeFieldContainer[_commit_pb2.CommitInfo]
    created: _timestamp_pb2.Timestamp
    def __init__(self, commit_set: _Optional[_Union[_refs_pb2.CommitSet, _Mapping]] = ..., commits: _Optional[_Iterable[_Union[_commit_pb2.CommitInfo, _Mapping]]] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class InspectCommitSetRequest(_message.Message):
    __slots__ = ["commit_set", "wait"]
    COMMIT_SET_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    commit_set: _refs_pb2.CommitSet
    wait: bool
    def __init__(self, commit_set: _Optional[_Union[_refs_pb2.CommitSet, _Mapping]] = ..., wait: bool = ...) -> None: ...

class ListCommitSetRequest(_message.Message):
    __slots__ = ["created_before", "number", "repo"]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    created_before: _timestamp_pb2.Timestamp
    number: int
    repo: _refs_pb2.Repo
    def __init__(self, repo: _Optional[_Union[_refs_pb2.Repo, _Mapping]] = ..., number: _Optional[int] = ..., created_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
