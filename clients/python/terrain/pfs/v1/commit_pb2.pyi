from google.protobuf import timestamp_pb2 as _timestamp_pb2
from terrain.pfs.v1 import refs_pb2 as _refs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

COMMIT_ORIGIN_ALIAS: CommitOrigin
COMMIT_ORIGIN_AUTO: CommitOrigin
COMMIT_ORIGIN_UNSPECIFIED: CommitOrigin
COMMIT_ORIGIN_USER: CommitOrigin
COMMIT_STATE_FINISHED: CommitState
COMMIT_STATE_FINISHING: CommitState
COMMIT_STATE_STARTED: CommitState
COMMIT_STATE_UNSPECIFIED: CommitState
DESCRIPTOR: _descriptor.FileDescriptor

class CommitInfo(_message.Message):
    __slots__ = ["child_commits", "commit", "description", "direct_provenance", "error", "file_count", "finished", "finishing", "origin", "parent_commit", "size_bytes", "started", "state"]
    CHILD_COMMITS_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DIRECT_PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FILE_COUNT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    FINISHING_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    PARENT_COMMIT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    child_commits: _containers.RepeatedCompositeFieldContainer[_refs_pb2.Commit]
    commit: _refs_pb2.Commit
    description: str
    direct_provenance: _containers.RepeatedCompositeFieldContainer[_refs_pb2.Commit]
    error: str
    file_count: int
    finished: _timestamp_pb2.Timestamp
    finishing: _timestamp_pb2.Timestamp
    origin: CommitOrigin
    parent_commit: _refs_pb2.Commit
    size_bytes: int
    started: _timestamp_pb2.Timestamp
    state: CommitState
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., origin: _Optional[_Union[CommitOrigin, str]] = ..., state: _Optional[_Union[CommitState, str]] = ..., description: _Optional[str] = ..., parent_commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., child_commits: _Optional[_Iterable[_Union[_refs_pb2.Commit, _Mapping]]] = ..., direct_provenance: _Optional[_Iterable[_Union[_refs_pb2.Commit, _Mapping]]] = ..., started: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., finishing: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., finished: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[str] = ..., size_bytes: _Optional[int] = ..., file_count: _Optional[int] = ...) -> None: ...

class DropCommitRequest(_message.Message):
    __slots__ = ["commit", "recursive"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    RECURSIVE_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    recursive: bool
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., recursive: bool = ...) -> None: ...

class DropCommitResponse(_message.Message):
    __slots__ = ["dropped"]
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    dropped: _containers.RepeatedCompositeFieldContainer[_refs_pb2.Commit]
    def __init__(self, dropped: _Optional[_Iterable[_Union[_refs_pb2.Commit, _Mapping]]] = ...) -> None: ...

class FinishCommitRequest(_message.Message):
    __slots__ = ["commit", "description", "error", "force"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    description: str
    error: str
    force: bool
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., description: _Optional[str] = ..., error: _Optional[str] = ..., force: bool = ...) -> None: ...

class FinishCommitResponse(_message.Message):
    __slots__ = ["commit"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ...) -> None: ...

class InspectCommitRequest(_message.Message):
    __slots__ = ["commit", "wait"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    wait: CommitState
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., wait: _Optional[_Union[CommitState, str]] = ...) -> None: ...

class ListCommitRequest(_message.Message):
    __slots__ = ["all", "number", "origin", "repo", "reverse", "started_before", "to"]
    ALL_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    REVERSE_FIELD_NUMBER: _ClassVar[int]
    STARTED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    all: bool
    number: int
    origin: CommitOrigin
    repo: _refs_pb2.Repo
    reverse: bool
    started_before: _timestamp_pb2.Timestamp
    to: _refs_pb2.Commit
    def __init__(self, repo: _Optional[_Union[_refs_pb2.Repo, _Mapping]] = ..., to: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., number: _Optional[int] = ..., reverse: bool = ..., all: bool = ..., origin: _Optional[_Union[CommitOrigin, str]] = ..., started_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., **kwargs) -> None: ...

class SquashCommitRequest(_message.Message):
    __slots__ = ["commit", "recursive"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    RECURSIVE_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    recursive: bool
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., recursive: bool = ...) -> None: ...

class SquashCommitResponse(_message.Message):
    __slots__ = ["squashed"]
    SQUASHED_FIELD_NUMBER: _ClassVar[int]
    squashed: _containers.RepeatedCompositeFieldContainer[_refs_pb2.Commit]
    def __init__(self, squashed: _Optional[_Iterable[_Union[_refs_pb2.Commit, _Mapping]]] = ...) -> None: ...

class StartCommitRequest(_message.Message):
    __slots__ = ["branch", "description", "expected_head", "parent"]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_HEAD_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    branch: _refs_pb2.Branch
    description: str
    expected_head: _refs_pb2.Commit
    parent: _refs_pb2.Commit
    def __init__(self, branch: _Optional[_Union[_refs_pb2.Branch, _Mapping]] = ..., parent: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., description: _Optional[str] = ..., expected_head: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ...) -> None: ...

class StartCommitResponse(_message.Message):
    __slots__ = ["commit"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ...) -> None: ...

class SubscribeCommitRequest(_message.Message):
    __slots__ = ["all", "branch", "origin", "repo", "state"]
    ALL_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    all: bool
    branch: str
    origin: CommitOrigin
    repo: _refs_pb2.Repo
    state: CommitState
    def __init__(self, repo: _Optional[_Union[_refs_pb2.Repo, _Mapping]] = ..., branch: _Optional[str] = ..., state: _Optional[_Union[CommitState, str]] = ..., all: bool = ..., origin: _Optional[_Union[CommitOrigin, str]] = ..., **kwargs) -> None: ...

class CommitState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class CommitOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
