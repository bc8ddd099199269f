from google.protobuf import timestamp_pb2 as _timestamp_pb2
from terrain.pfs.v1 import refs_pb2 as _refs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
FILE_CHANGE_ADDED: FileChange
FILE_CHANGE_CHANGED: FileChange
FILE_CHANGE_DELETED: FileChange
FILE_CHANGE_UNSPECIFIED: FileChange
FILE_TYPE_DIR: FileType
FILE_TYPE_FILE: FileType
FILE_TYPE_UNSPECIFIED: FileType

class CopyFile(_message.Message):
    __slots__ = ["append", "datum", "dst", "src"]
    APPEND_FIELD_NUMBER: _ClassVar[int]
    DATUM_FIELD_NUMBER: _ClassVar[int]
    DST_FIELD_NUMBER: _ClassVar[int]
    SRC_FIELD_NUMBER: _ClassVar[int]
    append: bool
    datum: str
    dst: str
    src: _refs_pb2.File
    def __init__(self, dst: _Optional[str] = ..., src: _Optional[_Union[_refs_pb2.File, _Mapping]] = ..., append: bool = ..., datum: _Optional[str] = ...) -> None: ...

class DeleteFile(_message.Message):
    __slots__ = ["datum", "path"]
    DATUM_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    datum: str
    path: str
    def __init__(self, path: _Optional[str] = ..., datum: _Optional[str] = ...) -> None: ...

class DiffFileRequest(_message.Message):
    __slots__ = ["new_file", "old_file"]
    NEW_FILE_FIELD_NUMBER: _ClassVar[int]
    OLD_FILE_FIELD_NUMBER: _ClassVar[int]
    new_file: _refs_pb2.File
    old_file: _refs_pb2.File
    def __init__(self, new_file: _Optional[_Union[_refs_pb2.File, _Mapping]] = ..., old_file: _Optional[_Union[_refs_pb2.File, _Mapping]] = ...) -> None: ...

class DiffFileResponse(_message.Message):
    __slots__ = ["change", "new_file", "old_file"]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    NEW_FILE_FIELD_NUMBER: _ClassVar[int]
    OLD_FILE_FIELD_NUMBER: _ClassVar[int]
    change: FileChange
    new_file: FileInfo
    old_file: FileInfo
    def __init__(self, change: _Optional[_Union[FileChange, str]] = ..., new_file: _Optional[_Union[FileInfo, _Mapping]] = ..., old_file: _Optional[_Union[FileInfo, _Mapping]] = ...) -> None: ...

class FileInfo(_message.Message):
    __slots__ = ["committed", "datum", "file", "file_type", "hash", "metadata", "size_bytes"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COMMITTED_FIELD_NUMBER: _ClassVar[int]
    DATUM_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    FILE_TYPE_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    committed: _timestamp_pb2.Timestamp
    datum: str
    file: _refs_pb2.File
    file_type: FileType
    hash: str
    metadata: _containers.ScalarMap[str, str]
    size_bytes: int
    def __init__(self, file: _Optional[_Union[_refs_pb2.File, _Mapping]] = ..., file_type: _Optional[_Union[FileType, str]] = ..., size_bytes: _Optional[int] = ..., hash: _Optional[str] = ..., committed: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., datum: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetFileRequest(_message.Message):
    __slots__ = ["file", "length", "offset"]
    FILE_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    file: _refs_pb2.File
    length: int
    offset: int
    def __init__(self, file: _Optional[_Union[_refs_pb2.File, _Mapping]] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ...) -> None: ...

class GetFileResponse(_message.Message):
    __slots__ = ["data"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class GlobFileRequest(_message.Message):
    __slots__ = ["commit", "file_set_id", "pattern"]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    FILE_SET_ID_FIELD_NUMBER: _ClassVar[int]
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    commit: _refs_pb2.Commit
    file_set_id: str
    pattern: str
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., pattern: _Optional[str] = ..., file_set_id: _Optional[str] = ...) -> None: ...

class InspectFileRequest(_message.Message):
    __slots__ = ["file"]
    FILE_FIELD_NUMBER: _ClassVar[int]
    file: _refs_pb2.File
    def __init__(self, file: _Optional[_Union[_refs_pb2.File, _Mapping]] = ...) -> None: ...

class ListFileRequest(_message.Message):
    __slots__ = ["file", "page_size", "page_token"]
    FILE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    file: _refs_pb2.File
    page_size: int
    page_token: str
    def __init__(self, file: _Optional[_Union[_refs_pb2.File, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ModifyFileRequest(_message.Message):
    __slots__ = ["copy_file", "data", "delete_file", "put_file", "set_commit"]
    COPY_FILE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    DELETE_FILE_FIELD_NUMBER: _ClassVar[int]
    PUT_FILE_FIELD_NUMBER: _ClassVar[int]
    SET_COMMIT_FIELD_NUMBER: _ClassVar[int]
    copy_file: CopyFile
    data: bytes
    delete_file: DeleteFile
    put_file: PutFile
    set_commit: _refs_pb2.Commit
    def __init__(self, set_commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., put_file: _Optional[_Union[PutFile, _Mapping]] = ..., data: _Optional[bytes] = ..., delete_file: _Optional[_Union[DeleteFile, _Mapping]] = ..., copy_file: _Optional[_Union[CopyFile, _Mapping]] = ...) -> None: ...

class ModifyFileResponse(_message.Message):
    __slots__ = ["bytes_written", "commit", "files_written"]
    BYTES_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    FILES_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    bytes_written: int
    commit: _refs_pb2.Commit
    files_written: int
    def __init__(self, commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., files_written: _Optional[int] = ..., bytes_written: _Optional[int] = ...) -> None: ...

class PutFile(_message.Message):
    __slots__ = ["append", "data", "datum", "if_not_exists", "metadata", "path"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    APPEND_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    DATUM_FIELD_NUMBER: _ClassVar[int]
    IF_NOT_EXISTS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    append: bool
    data: bytes
    datum: str
    if_not_exists: bool
    metadata: _containers.ScalarMap[str, str]
    path: str
    def __init__(self, path: _Optional[str] = ..., append: bool = ..., data: _Optional[bytes] = ..., datum: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., if_not_exists: bool = ...) -> None: ...

class WalkFileRequest(_message.Message):
    __slots__ = ["file", "files_only", "page_size", "page_token"]
    FILES_ONLY_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    file: _refs_pb2.File
    files_only: bool
    page_size: int
    page_token: str
    def __init__(self, file: _Optional[_Union[_refs_pb2.File, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., files_only: bool = ...) -> None: ...

class FileType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class FileChange(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
