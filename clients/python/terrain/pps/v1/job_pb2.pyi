from google.protobuf import timestamp_pb2 as _timestamp_pb2
from terrain.pfs.v1 import refs_pb2 as _refs_pb2
from terrain.pps.v1 import datum_pb2 as _datum_pb2
from terrain.pps.v1 import refs_pb2 as _refs_pb2_1
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
JOB_STATE_CREATED: JobState
JOB_STATE_FAILURE: JobState
JOB_STATE_FINISHING: JobState
JOB_STATE_KILLED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_STARTING: JobState
JOB_STATE_SUCCESS: JobState
JOB_STATE_UNRUNNABLE: JobState
JOB_STATE_UNSPECIFIED: JobState

class InspectDatumRequest(_message.Message):
    __slots__ = ["datum"]
    DATUM_FIELD_NUMBER: _ClassVar[int]
    datum: _refs_pb2_1.Datum
    def __init__(self, datum: _Optional[_Union[_refs_pb2_1.Datum, _Mapping]] = ...) -> None: ...

class InspectJobRequest(_message.Message):
    __slots__ = ["job", "wait"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    job: _refs_pb2_1.Job
    wait: bool
    def __init__(self, job: _Optional[_Union[_refs_pb2_1.Job, _Mapping]] = ..., wait: bool = ...) -> None: ...

class JobInfo(_message.Message):
    __slots__ = ["created", "data_failed", "data_processed", "data_recovered", "data_skipped", "data_total", "finished", "input_commits", "job", "output_commit", "pipeline_version", "reason", "salt", "started", "state", "stats"]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DATA_FAILED_FIELD_NUMBER: _ClassVar[int]
    DATA_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    DATA_RECOVERED_FIELD_NUMBER: _ClassVar[int]
    DATA_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    DATA_TOTAL_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    INPUT_COMMITS_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_COMMIT_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SALT_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    created: _timestamp_pb2.Timestamp
    data_failed: int
    data_processed: int
    data_recovered: int
    data_skipped: int
    data_total: int
    finished: _timestamp_pb2.Timestamp
    input_commits: _containers.RepeatedCompositeFieldContainer[_refs_pb2.Commit]
    job: _refs_pb2_1.Job
    output_commit: _refs_pb2.Commit
    pipeline_version: int
    reason: str
    salt: str
    started: _timestamp_pb2.Timestamp
    state: JobState
    stats: _datum_pb2.ProcessStats
    def __init__(self, job: _Optional[_Union[_refs_pb2_1.Job, _Mapping]] = ..., pipeline_version: _Optional[int] = ..., state: _Optional[_Union[JobState, str]] = ..., reason: _Optional[str] = ..., output_commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., input_commits: _Optional[_Iterable[_Union[_refs_pb2.Commit, _Mapping]]] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., started: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., finished: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., data_total: _Optional[int] = ..., data_processed: _Optional[int] = ..., data_skipped: _Optional[int] = ..., data_failed: _Optional[int] = ..., data_recovered: _Optional[int] = ..., stats: _Optional[_Union[_datum_pb2.ProcessStats, _Mapping]] = ..., salt: _Optional[str] = ...) -> None: ...

class ListDatumRequest(_message.Message):
    __slots__ = ["job", "page_size", "page_token", "state"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    job: _refs_pb2_1.Job
    page_size: int
    page_token: str
    state: _datum_pb2.DatumState
    def __init__(self, job: _Optional[_Union[_refs_pb2_1.Job, _Mapping]] = ..., state: _Optional[_Union[_datum_pb2.DatumState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListJobRequest(_message.Message):
    __slots__ = ["created_before", "input_commits", "number", "pipeline", "state"]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    INPUT_COMMITS_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    created_before: _timestamp_pb2.Timestamp
    input_commits: _containers.RepeatedCompositeFieldContainer[_refs_pb2.Commit]
    number: int
    pipeline: _refs_pb2_1.Pipeline
    state: JobState
    def __init__(self, pipeline: _Optional[_Union[_refs_pb2_1.Pipeline, _Mapping]] = ..., input_commits: _Optional[_Iterable[_Union[_refs_pb2.Commit, _Mapping]]] = ..., state: _Optional[_Union[JobState, str]] = ..., number: _Optional[int] = ..., created_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RestartDatumRequest(_message.Message):
    __slots__ = ["datum_ids", "job"]
    DATUM_IDS_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    datum_ids: _containers.RepeatedScalarFieldContainer[str]
    job: _refs_pb2_1.Job
    def __init__(self, job: _Optional[_Union[_refs_pb2_1.Job, _Mapping]] = ..., datum_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RestartDatumResponse(_message.Message):
    __slots__ = ["restarted"]
    RESTARTED_FIELD_NUMBER: _ClassVar[int]
    restarted: int
    def __init__(self, restarted: _Optional[int] = ...) -> None: ...

class StopJobRequest(_message.Message):
    __slots__ = ["job", "reason"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    job: _refs_pb2_1.Job
    reason: str
    def __init__(self, job: _Optional[_Union[_refs_pb2_1.Job, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class StopJobResponse(_message.Message):
    __slots__ = ["job_info"]
    JOB_INFO_FIELD_NUMBER: _ClassVar[int]
    job_info: JobInfo
    def __init__(self, job_info: _Optional[_Union[JobInfo, _Mapping]] = ...) -> None: ...

class SubscribeJobRequest(_message.Message):
    __slots__ = ["include_existing", "pipeline"]
    INCLUDE_EXISTING_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    include_existing: bool
    pipeline: _refs_pb2_1.Pipeline
    def __init__(self, pipeline: _Optional[_Union[_refs_pb2_1.Pipeline, _Mapping]] = ..., include_existing: bool = ...) -> None: ...

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
