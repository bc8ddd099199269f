from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Branch(_message.Message):
    __slots__ = ["name", "repo"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    name: str
    repo: Repo
    def __init__(self, repo: _Optional[_Union[Repo, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class Commit(_message.Message):
    __slots__ = ["ancestors", "branch", "id", "repo"]
    ANCESTORS_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    ancestors: int
    branch: str
    id: str
    repo: Repo
    def __init__(self, repo: _Optional[_Union[Repo, _Mapping]] = ..., id: _Optional[str] = ..., branch: _Optional[str] = ..., ancestors: _Optional[int] = ...) -> None: ...

class CommitSet(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class File(_message.Message):
    __slots__ = ["commit", "file_set_id", "path"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    FILE_SET_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    commit: Commit
    file_set_id: str
    path: str
    def __init__(self, commit: _Optional[_Union[Commit, _Mapping]] = ..., path: _Optional[str] = ..., file_set_id: _Optional[str] = ...) -> None: ...

class Repo(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...
