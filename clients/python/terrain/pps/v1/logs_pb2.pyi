from google.protobuf import timestamp_pb2 as _timestamp_pb2
from terrain.pps.v1 import refs_pb2 as _refs_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
LOG_SOURCE_PPS: LogSource
LOG_SOURCE_STDERR: LogSource
LOG_SOURCE_STDOUT: LogSource
LOG_SOURCE_UNSPECIFIED: LogSource
LOG_SOURCE_WORKER: LogSource

class GetLogsRequest(_message.Message):
    __slots__ = ["datum_id", "follow", "job", "pipeline", "since", "tail"]
    DATUM_ID_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    TAIL_FIELD_NUMBER: _ClassVar[int]
    datum_id: str
    follow: bool
    job: _refs_pb2.Job
    pipeline: _refs_pb2.Pipeline
    since: _timestamp_pb2.Timestamp
    tail: int
    def __init__(self, pipeline: _Optional[_Union[_refs_pb2.Pipeline, _Mapping]] = ..., job: _Optional[_Union[_refs_pb2.Job, _Mapping]] = ..., datum_id: _Optional[str] = ..., follow: bool = ..., since: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., tail: _Optional[int] = ...) -> None: ...

class LogMessage(_message.Message):
    __slots__ = ["datum_id", "job_id", "message", "pipeline", "source", "time", "worker_id"]
    DATUM_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    datum_id: str
    job_id: str
    message: str
    pipeline: _refs_pb2.Pipeline
    source: LogSource
    time: _timestamp_pb2.Timestamp
    worker_id: str
    def __init__(self, pipeline: _Optional[_Union[_refs_pb2.Pipeline, _Mapping]] = ..., job_id: _Optional[str] = ..., datum_id: _Optional[str] = ..., worker_id: _Optional[str] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[_Union[LogSource, str]] = ..., message: _Optional[str] = ...) -> None: ...

class LogSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
