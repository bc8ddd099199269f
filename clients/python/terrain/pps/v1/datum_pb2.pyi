from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from terrain.pfs.v1 import refs_pb2 as _refs_pb2
from terrain.pps.v1 import refs_pb2 as _refs_pb2_1
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DATUM_STATE_FAILED: DatumState
DATUM_STATE_PENDING: DatumState
DATUM_STATE_RECOVERED: DatumState
DATUM_STATE_RUNNING: DatumState
DATUM_STATE_SKIPPED: DatumState
DATUM_STATE_STARTING: DatumState
DATUM_STATE_SUCCESS: DatumState
DATUM_STATE_UNSPECIFIED: DatumState
DESCRIPTOR: _descriptor.FileDescriptor

class DatumInfo(_message.Message):
    __slots__ = ["attempts", "datum", "error", "finished", "hash", "input_files", "inputs", "skipped_from", "started", "state", "stats", "worker_id"]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    DATUM_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    INPUT_FILES_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FROM_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    attempts: int
    datum: _refs_pb2_1.Datum
    error: str
    finished: _timestamp_pb2.Timestamp
    hash: str
    input_files: _containers.RepeatedCompositeFieldContainer[InputFile]
    inputs: _containers.RepeatedCompositeFieldContainer[DatumInput]
    skipped_from: _refs_pb2_1.Job
    started: _timestamp_pb2.Timestamp
    state: DatumState
    stats: ProcessStats
    worker_id: str
    def __init__(self, datum: _Optional[_Union[_refs_pb2_1.Datum, _Mapping]] = ..., state: _Optional[_Union[DatumState, str]] = ..., hash: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[DatumInput, _Mapping]]] = ..., stats: _Optional[_Union[ProcessStats, _Mapping]] = ..., error: _Optional[str] = ..., attempts: _Optional[int] = ..., worker_id: _Optional[str] = ..., started: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., finished: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., skipped_from: _Optional[_Union[_refs_pb2_1.Job, _Mapping]] = ..., input_files: _Optional[_Iterable[_Union[InputFile, _Mapping]]] = ...) -> None: ...

class DatumInput(_message.Message):
    __slots__ = ["empty_files", "file", "glob", "hash", "join_key", "name", "size_bytes"]
    EMPTY_FILES_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    GLOB_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    JOIN_KEY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    empty_files: bool
    file: _refs_pb2.File
    glob: str
    hash: str
    join_key: str
    name: str
    size_bytes: int
    def __init__(self, name: _Optional[str] = ..., file: _Optional[_Union[_refs_pb2.File, _Mapping]] = ..., hash: _Optional[str] = ..., size_bytes: _Optional[int] = ..., glob: _Optional[str] = ..., join_key: _Optional[str] = ..., empty_files: bool = ...) -> None: ...

class InputFile(_message.Message):
    __slots__ = ["file", "hash", "input_name", "size_bytes"]
    FILE_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    INPUT_NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    file: _refs_pb2.File
    hash: str
    input_name: str
    size_bytes: int
    def __init__(self, input_name: _Optional[str] = ..., file: _Optional[_Union[_refs_pb2.File, _Mapping]] = ..., hash: _Optional[str] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class ProcessStats(_message.Message):
    __slots__ = ["download_bytes", "download_time", "process_time", "upload_bytes", "upload_time"]
    DOWNLOAD_BYTES_FIELD_NUMBER: _ClassVar[int]
    DOWNLOAD_TIME_FIELD_NUMBER: _ClassVar[int]
    PROCESS_TIME_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_BYTES_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_TIME_FIELD_NUMBER: _ClassVar[int]
    download_bytes: int
    download_time: _duration_pb2.Duration
    process_time: _duration_pb2.Duration
    upload_bytes: int
    upload_time: _duration_pb2.Duration
    def __init__(self, download_time: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., process_time: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., upload_time: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., download_bytes: _Optional[int] = ..., upload_bytes: _Optional[int] = ...) -> None: ...

class DatumState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
