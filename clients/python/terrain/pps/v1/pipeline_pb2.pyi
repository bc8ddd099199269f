from google.protobuf import timestamp_pb2 as _timestamp_pb2
from terrain.pfs.v1 import refs_pb2 as _refs_pb2
from terrain.pps.v1 import job_pb2 as _job_pb2
from terrain.pps.v1 import refs_pb2 as _refs_pb2_1
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
PIPELINE_STATE_CRASHING: PipelineState
PIPELINE_STATE_FAILURE: PipelineState
PIPELINE_STATE_PAUSED: PipelineState
PIPELINE_STATE_RUNNING: PipelineState
PIPELINE_STATE_STANDBY: PipelineState
PIPELINE_STATE_STARTING: PipelineState
PIPELINE_STATE_UNSPECIFIED: PipelineState

class CreatePipelineRequest(_message.Message):
    __slots__ = ["dry_run", "reprocess", "spec_json", "update"]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    REPROCESS_FIELD_NUMBER: _ClassVar[int]
    SPEC_JSON_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    dry_run: bool
    reprocess: bool
    spec_json: str
    update: bool
    def __init__(self, spec_json: _Optional[str] = ..., update: bool = ..., reprocess: bool = ..., dry_run: bool = ...) -> None: ...

class CreatePipelineResponse(_message.Message):
    __slots__ = ["pipeline_info"]
    PIPELINE_INFO_FIELD_NUMBER: _ClassVar[int]
    pipeline_info: PipelineInfo
    def __init__(self, pipeline_info: _Optional[_Union[PipelineInfo, _Mapping]] = ...) -> None: ...

class DeletePipelineRequest(_message.Message):
    __slots__ = ["force", "keep_repo", "pipeline"]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    KEEP_REPO_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    force: bool
    keep_repo: bool
    pipeline: _refs_pb2_1.Pipeline
    def __init__(self, pipeline: _Optional[_Union[_refs_pb2_1.Pipeline, _Mapping]] = ..., force: bool = ..., keep_repo: bool = ...) -> None: ...

class DeletePipelineResponse(_message.Message):
    __slots__ = ["deleted"]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: bool = ...) -> None: ...

class InspectPipelineRequest(_message.Message):
    __slots__ = ["pipeline", "version"]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    pipeline: _refs_pb2_1.Pipeline
    version: int
    def __init__(self, pipeline: _Optional[_Union[_refs_pb2_1.Pipeline, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class ListPipelineRequest(_message.Message):
    __slots__ = ["history", "pipeline"]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    history: int
    pipeline: _refs_pb2_1.Pipeline
    def __init__(self, pipeline: _Optional[_Union[_refs_pb2_1.Pipeline, _Mapping]] = ..., history: _Optional[int] = ...) -> None: ...

class PipelineInfo(_message.Message):
    __slots__ = ["created", "description", "input_branches", "last_job", "last_job_state", "output_branch", "pipeline", "reason", "salt", "spec_json", "state", "stopped", "version", "workers_available", "workers_requested"]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INPUT_BRANCHES_FIELD_NUMBER: _ClassVar[int]
    LAST_JOB_FIELD_NUMBER: _ClassVar[int]
    LAST_JOB_STATE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_BRANCH_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SALT_FIELD_NUMBER: _ClassVar[int]
    SPEC_JSON_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    WORKERS_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    WORKERS_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    created: _timestamp_pb2.Timestamp
    description: str
    input_branches: _containers.RepeatedCompositeFieldContainer[_refs_pb2.Branch]
    last_job: _refs_pb2_1.Job
    last_job_state: _job_pb2.JobState
    output_branch: _refs_pb2.Branch
    pipeline: _refs_pb2_1.Pipeline
    reason: str
    salt: str
    spec_json: str
    state: PipelineState
    stopped: bool
    version: int
    workers_available: int
    workers_requested: int
    def __init__(self, pipeline: _Optional[_Union[_refs_pb2_1.Pipeline, _Mapping]] = ..., version: _Optional[int] = ..., spec_json: _Optional[str] = ..., state: _Optional[_Union[PipelineState, str]] = ..., reason: _Optional[str] = ..., description: _Optional[str] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., salt: _Optional[str] = ..., output_branch: _Optional[_Union[_refs_pb2.Branch, _Mapping]] = ..., input_branches: _Optional[_Iterable[_Union[_refs_pb2.Branch, _Mapping]]] = ..., last_job: _Optional[_Union[_refs_pb2_1.Job, _Mapping]] = ..., last_job_state: _Optional[_Union[_job_pb2.JobState, str]] = ..., workers_requested: _Optional[int] = ..., workers_available: _Optional[int] = ..., stopped: bool = ...) -> None: ...

class StartPipelineRequest(_message.Message):
    __slots__ = ["pipeline"]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: _refs_pb2_1.Pipeline
    def __init__(self, pipeline: _Optional[_Union[_refs_pb2_1.Pipeline, _Mapping]] = ...) -> None: ...

class StartPipelineResponse(_message.Message):
    __slots__ = ["pipeline_info"]
    PIPELINE_INFO_FIELD_NUMBER: _ClassVar[int]
    pipeline_info: PipelineInfo
    def __init__(self, pipeline_info: _Optional[_Union[PipelineInfo, _Mapping]] = ...) -> None: ...

class StopPipelineRequest(_message.Message):
    __slots__ = ["pipeline"]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: _refs_pb2_1.Pipeline
    def __init__(self, pipeline: _Optional[_Union[_refs_pb2_1.Pipeline, _Mapping]] = ...) -> None: ...

class StopPipelineResponse(_message.Message):
    __slots__ = ["pipeline_info"]
    PIPELINE_INFO_FIELD_NUMBER: _ClassVar[int]
    pipeline_info: PipelineInfo
    def __init__(self, pipeline_info: _Optional[_Union[PipelineInfo, _Mapping]] = ...) -> None: ...

class PipelineState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
