from terrain.pfs.v1 import refs_pb2 as _refs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BranchInfo(_message.Message):
    __slots__ = ["branch", "direct_provenance", "head", "provenance", "subvenance"]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    DIRECT_PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    HEAD_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    SUBVENANCE_FIELD_NUMBER: _ClassVar[int]
    branch: _refs_pb2.Branch
    direct_provenance: _containers.RepeatedCompositeFieldContainer[_refs_pb2.Branch]
    head: _refs_pb2.Commit
    provenance: _containers.RepeatedCompositeFieldContainer[_refs_pb2.Branch]
    subvenance: _containers.RepeatedCompositeFieldContainer[_refs_pb2.Branch]
    def __init__(self, branch: _Optional[_Union[_refs_pb2.Branch, _Mapping]] = ..., head: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., direct_provenance: _Optional[_Iterable[_Union[_refs_pb2.Branch, _Mapping]]] = ..., provenance: _Optional[_Iterable[_Union[_refs_pb2.Branch, _Mapping]]] = ..., subvenance: _Optional[_Iterable[_Union[_refs_pb2.Branch, _Mapping]]] = ...) -> None: ...

class CreateBranchRequest(_message.Message):
    __slots__ = ["branch", "head", "provenance"]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    HEAD_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    branch: _refs_pb2.Branch
    head: _refs_pb2.Commit
    provenance: _containers.RepeatedCompositeFieldContainer[_refs_pb2.Branch]
    def __init__(self, branch: _Optional[_Union[_refs_pb2.Branch, _Mapping]] = ..., head: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., provenance: _Optional[_Iterable[_Union[_refs_pb2.Branch, _Mapping]]] = ...) -> None: ...

class CreateBranchResponse(_message.Message):
    __slots__ = ["branch_info"]
    BRANCH_INFO_FIELD_NUMBER: _ClassVar[int]
    branch_info: BranchInfo
    def __init__(self, branch_info: _Optional[_Union[BranchInfo, _Mapping]] = ...) -> None: ...

class DeleteBranchRequest(_message.Message):
    __slots__ = ["branch", "force"]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    branch: _refs_pb2.Branch
    force: bool
    def __init__(self, branch: _Optional[_Union[_refs_pb2.Branch, _Mapping]] = ..., force: bool = ...) -> None: ...

class DeleteBranchResponse(_message.Message):
    __slots__ = ["deleted"]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: bool = ...) -> None: ...

class InspectBranchRequest(_message.Message):
    __slots__ = ["branch"]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    branch: _refs_pb2.Branch
    def __init__(self, branch: _Optional[_Union[_refs_pb2.Branch, _Mapping]] = ...) -> None: ...

class ListBranchRequest(_message.Message):
    __slots__ = ["repo"]
    REPO_FIELD_NUMBER: _ClassVar[int]
    repo: _refs_pb2.Repo
    def __init__(self, repo: _Optional[_Union[_refs_pb2.Repo, _Mapping]] = ...) -> None: ...
