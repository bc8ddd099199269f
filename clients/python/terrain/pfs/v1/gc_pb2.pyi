from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunGCRequest(_message.Message):
    __slots__ = ["dry_run", "grace"]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    GRACE_FIELD_NUMBER: _ClassVar[int]
    dry_run: bool
    grace: _duration_pb2.Duration
    def __init__(self, grace: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., dry_run: bool = ...) -> None: ...

class RunGCResponse(_message.Message):
    __slots__ = ["bytes_freed", "duration", "objects_deleted", "objects_reachable", "objects_scanned"]
    BYTES_FREED_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_DELETED_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_REACHABLE_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_SCANNED_FIELD_NUMBER: _ClassVar[int]
    bytes_freed: int
    duration: _duration_pb2.Duration
    objects_deleted: int
    objects_reachable: int
    objects_scanned: int
    def __init__(self, objects_scanned: _Optional[int] = ..., objects_reachable: _Optional[int] = ..., objects_deleted: _Optional[int] = ..., bytes_freed: _Optional[int] = ..., duration: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...
