from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from terrain.pfs.v1 import refs_pb2 as _refs_pb2
from terrain.pps.v1 import datum_pb2 as _datum_pb2
from terrain.pps.v1 import logs_pb2 as _logs_pb2
from terrain.pps.v1 import refs_pb2 as _refs_pb2_1
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AcquireShardRequest(_message.Message):
    __slots__ = ["max_datums", "wait", "worker_id"]
    MAX_DATUMS_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    max_datums: int
    wait: _duration_pb2.Duration
    worker_id: str
    def __init__(self, worker_id: _Optional[str] = ..., wait: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., max_datums: _Optional[int] = ...) -> None: ...

class AcquireShardResponse(_message.Message):
    __slots__ = ["drain", "shard"]
    DRAIN_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    drain: bool
    shard: Shard
    def __init__(self, shard: _Optional[_Union[Shard, _Mapping]] = ..., drain: bool = ...) -> None: ...

class CompleteShardRequest(_message.Message):
    __slots__ = ["partial", "results", "shard_id", "worker_id"]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    partial: bool
    results: _containers.RepeatedCompositeFieldContainer[DatumResult]
    shard_id: str
    worker_id: str
    def __init__(self, worker_id: _Optional[str] = ..., shard_id: _Optional[str] = ..., results: _Optional[_Iterable[_Union[DatumResult, _Mapping]]] = ..., partial: bool = ...) -> None: ...

class CompleteShardResponse(_message.Message):
    __slots__ = ["accepted"]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    def __init__(self, accepted: _Optional[int] = ...) -> None: ...

class DatumResult(_message.Message):
    __slots__ = ["datum_id", "error", "exit_code", "finished", "input_files", "output_file_set_id", "started", "state", "stats"]
    DATUM_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    INPUT_FILES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FILE_SET_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    datum_id: str
    error: str
    exit_code: int
    finished: _timestamp_pb2.Timestamp
    input_files: _containers.RepeatedCompositeFieldContainer[_datum_pb2.InputFile]
    output_file_set_id: str
    started: _timestamp_pb2.Timestamp
    state: _datum_pb2.DatumState
    stats: _datum_pb2.ProcessStats
    def __init__(self, datum_id: _Optional[str] = ..., state: _Optional[_Union[_datum_pb2.DatumState, str]] = ..., output_file_set_id: _Optional[str] = ..., error: _Optional[str] = ..., exit_code: _Optional[int] = ..., stats: _Optional[_Union[_datum_pb2.ProcessStats, _Mapping]] = ..., started: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., finished: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., input_files: _Optional[_Iterable[_Union[_datum_pb2.InputFile, _Mapping]]] = ...) -> None: ...

class PushLogsRequest(_message.Message):
    __slots__ = ["lines", "worker_id"]
    LINES_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[_logs_pb2.LogMessage]
    worker_id: str
    def __init__(self, worker_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[_logs_pb2.LogMessage, _Mapping]]] = ...) -> None: ...

class PushLogsResponse(_message.Message):
    __slots__ = ["stored"]
    STORED_FIELD_NUMBER: _ClassVar[int]
    stored: int
    def __init__(self, stored: _Optional[int] = ...) -> None: ...

class RegisterWorkerRequest(_message.Message):
    __slots__ = ["concurrency", "name", "pipeline", "version"]
    CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    concurrency: int
    name: str
    pipeline: _refs_pb2_1.Pipeline
    version: str
    def __init__(self, pipeline: _Optional[_Union[_refs_pb2_1.Pipeline, _Mapping]] = ..., name: _Optional[str] = ..., concurrency: _Optional[int] = ..., version: _Optional[str] = ...) -> None: ...

class RegisterWorkerResponse(_message.Message):
    __slots__ = ["lease_expires", "lease_ttl", "worker_id"]
    LEASE_EXPIRES_FIELD_NUMBER: _ClassVar[int]
    LEASE_TTL_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    lease_expires: _timestamp_pb2.Timestamp
    lease_ttl: _duration_pb2.Duration
    worker_id: str
    def __init__(self, worker_id: _Optional[str] = ..., lease_ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., lease_expires: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RenewLeaseRequest(_message.Message):
    __slots__ = ["worker_id"]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    def __init__(self, worker_id: _Optional[str] = ...) -> None: ...

class RenewLeaseResponse(_message.Message):
    __slots__ = ["cancelled_shard_ids", "drain", "lease_expires"]
    CANCELLED_SHARD_IDS_FIELD_NUMBER: _ClassVar[int]
    DRAIN_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_FIELD_NUMBER: _ClassVar[int]
    cancelled_shard_ids: _containers.RepeatedScalarFieldContainer[str]
    drain: bool
    lease_expires: _timestamp_pb2.Timestamp
    def __init__(self, lease_expires: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., cancelled_shard_ids: _Optional[_Iterable[str]] = ..., drain: bool = ...) -> None: ...

class Shard(_message.Message):
    __slots__ = ["datum_timeout", "datum_tries", "datums", "id", "job", "output_commit", "pipeline_version", "transform"]
    DATUMS_FIELD_NUMBER: _ClassVar[int]
    DATUM_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    DATUM_TRIES_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_COMMIT_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRANSFORM_FIELD_NUMBER: _ClassVar[int]
    datum_timeout: _duration_pb2.Duration
    datum_tries: int
    datums: _containers.RepeatedCompositeFieldContainer[ShardDatum]
    id: str
    job: _refs_pb2_1.Job
    output_commit: _refs_pb2.Commit
    pipeline_version: int
    transform: Transform
    def __init__(self, id: _Optional[str] = ..., job: _Optional[_Union[_refs_pb2_1.Job, _Mapping]] = ..., pipeline_version: _Optional[int] = ..., output_commit: _Optional[_Union[_refs_pb2.Commit, _Mapping]] = ..., transform: _Optional[_Union[Transform, _Mapping]] = ..., datums: _Optional[_Iterable[_Union[ShardDatum, _Mapping]]] = ..., datum_timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., datum_tries: _Optional[int] = ...) -> None: ...

class ShardDatum(_message.Message):
    __slots__ = ["attempt", "hash", "id", "inputs"]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    hash: str
    id: str
    inputs: _containers.RepeatedCompositeFieldContainer[_datum_pb2.DatumInput]
    def __init__(self, id: _Optional[str] = ..., hash: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[_datum_pb2.DatumInput, _Mapping]]] = ..., attempt: _Optional[int] = ...) -> None: ...

class Transform(_message.Message):
    __slots__ = ["accept_return_code", "cmd", "env", "err_cmd", "err_stdin", "image", "stdin", "user", "working_dir"]
    class EnvEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ACCEPT_RETURN_CODE_FIELD_NUMBER: _ClassVar[int]
    CMD_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    ERR_CMD_FIELD_NUMBER: _ClassVar[int]
    ERR_STDIN_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    WORKING_DIR_FIELD_NUMBER: _ClassVar[int]
    accept_return_code: _containers.RepeatedScalarFieldContainer[int]
    cmd: _containers.RepeatedScalarFieldContainer[str]
    env: _containers.ScalarMap[str, str]
    err_cmd: _containers.RepeatedScalarFieldContainer[str]
    err_stdin: _containers.RepeatedScalarFieldContainer[str]
    image: str
    stdin: _containers.RepeatedScalarFieldContainer[str]
    user: str
    working_dir: str
    def __init__(self, cmd: _Optional[_Iterable[str]] = ..., stdin: _Optional[_Iterable[str]] = ..., env: _Optional[_Mapping[str, str]] = ..., image: _Optional[str] = ..., working_dir: _Optional[str] = ..., err_cmd: _Optional[_Iterable[str]] = ..., err_stdin: _Optional[_Iterable[str]] = ..., accept_return_code: _Optional[_Iterable[int]] = ..., user: _Optional[str] = ...) -> None: ...
