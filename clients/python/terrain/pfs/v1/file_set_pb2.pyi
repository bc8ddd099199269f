from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from terrain.pfs.v1 import file_pb2 as _file_pb2
from terrain.pfs.v1 import refs_pb2 as _refs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AddFileSetRequest(_message.Message):
    __slots__ = ["commit", "file_set_id"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    FILE_SET_ID_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    file_set_id: str
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., file_set_id: _Optional[str] = ...) -> None: ...

class AddFileSetResponse(_message.Message):
    __slots__ = ["commit"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ...) -> None: ...

class ComposeFileSetRequest(_message.Message):
    __slots__ = ["file_set_ids", "ttl"]
    FILE_SET_IDS_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    file_set_ids: _containers.RepeatedScalarFieldContainer[str]
    ttl: _duration_pb2.Duration
    def __init__(self, file_set_ids: _Optional[_Iterable[str]] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ComposeFileSetResponse(_message.Message):
    __slots__ = ["file_set"]
    FILE_SET_FIELD_NUMBER: _ClassVar[int]
    file_set: FileSetInfo
    def __init__(self, file_set: _Optional[_Union[FileSetInfo, _Mapping]] = ...) -> None: ...

class CreateFileSetRequest(_message.Message):
    __slots__ = ["copy_file", "data", "delete_file", "put_file"]
    COPY_FILE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    DELETE_FILE_FIELD_NUMBER: _ClassVar[int]
    PUT_FILE_FIELD_NUMBER: _ClassVar[int]
    copy_file: _file_pb2.CopyFile
    data: bytes
    delete_file: _file_pb2.DeleteFile
    put_file: _file_pb2.PutFile
    def __init__(self, put_file: _Optional[_Union[_file_pb2.PutFile, _Mapping]] = ..., data: _Optional[bytes] = ..., delete_file: _Optional[_Union[_file_pb2.DeleteFile, _Mapping]] = ..., copy_file: _Optional[_Union[_file_pb2.CopyFile, _Mapping]] = ...) -> None: ...

class CreateFileSetResponse(_message.Message):
    __slots__ = ["file_set"]
    FILE_SET_FIELD_NUMBER: _ClassVar[int]
    file_set: FileSetInfo
    def __init__(self, file_set: _Optional[_Union[FileSetInfo, _Mapping]] = ...) -> None: ...

class FileSetInfo(_message.Message):
    __slots__ = ["expires", "file_set_id", "layers"]
    EXPIRES_FIELD_NUMBER: _ClassVar[int]
    FILE_SET_ID_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    expires: _timestamp_pb2.Timestamp
    file_set_id: str
    layers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, file_set_id: _Optional[str] = ..., layers: _Optional[_Iterable[str]] = ..., expires: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetFileSetRequest(_message.Message):
    __slots__ = ["commit", "ttl"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    ttl: _duration_pb2.Duration
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetFileSetResponse(_message.Message):
    __slots__ = ["file_set"]
    FILE_SET_FIELD_NUMBER: _ClassVar[int]
    file_set: FileSetInfo
    def __init__(self, file_set: _Optional[_Union[FileSetInfo, _Mapping]] = ...) -> None: ...

class RegisterFileSetRequest(_message.Message):
    __slots__ = ["layers", "ttl"]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    layers: _containers.RepeatedScalarFieldContainer[str]
    ttl: _duration_pb2.Duration
    def __init__(self, layers: _Optional[_Iterable[str]] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RegisterFileSetResponse(_message.Message):
    __slots__ = ["file_set"]
    FILE_SET_FIELD_NUMBER: _ClassVar[int]
    file_set: FileSetInfo
    def __init__(self, file_set: _Optional[_Union[FileSetInfo, _Mapping]] = ...) -> None: ...

class RenewFileSetRequest(_message.Message):
    __slots__ = ["file_set_id", "ttl"]
    FILE_SET_ID_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    file_set_id: str
    ttl: _duration_pb2.Duration
    def __init__(self, file_set_id: _Optional[str] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RenewFileSetResponse(_message.Message):
    __slots__ = ["file_set"]
    FILE_SET_FIELD_NUMBER: _ClassVar[int]
    file_set: FileSetInfo
    def __init__(self, file_set: _Optional[_Union[FileSetInfo, _Mapping]] = ...) -> None: ...
