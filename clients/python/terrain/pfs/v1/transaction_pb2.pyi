from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from terrain.pfs.v1 import branch_pb2 as _branch_pb2
from terrain.pfs.v1 import commit_pb2 as _commit_pb2
from terrain.pfs.v1 import file_set_pb2 as _file_set_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AppendTransactionRequest(_message.Message):
    __slots__ = ["ops", "transaction"]
    OPS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    ops: _containers.RepeatedCompositeFieldContainer[TransactionOp]
    transaction: Transaction
    def __init__(self, transaction: _Optional[_Union[Transaction, _Mapping]] = ..., ops: _Optional[_Iterable[_Union[TransactionOp, _Mapping]]] = ...) -> None: ...

class AppendTransactionResponse(_message.Message):
    __slots__ = ["results", "transaction_info"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_INFO_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[TransactionOpResult]
    transaction_info: TransactionInfo
    def __init__(self, results: _Optional[_Iterable[_Union[TransactionOpResult, _Mapping]]] = ..., transaction_info: _Optional[_Union[TransactionInfo, _Mapping]] = ...) -> None: ...

class DeleteTransactionRequest(_message.Message):
    __slots__ = ["transaction"]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: Transaction
    def __init__(self, transaction: _Optional[_Union[Transaction, _Mapping]] = ...) -> None: ...

class DeleteTransactionResponse(_message.Message):
    __slots__ = ["deleted"]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: bool = ...) -> None: ...

class FinishTransactionRequest(_message.Message):
    __slots__ = ["transaction"]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: Transaction
    def __init__(self, transaction: _Optional[_Union[Transaction, _Mapping]] = ...) -> None: ...

class FinishTransactionResponse(_message.Message):
    __slots__ = ["results", "transaction"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[TransactionOpResult]
    transaction: Transaction
    def __init__(self, transaction: _Optional[_Union[Transaction, _Mapping]] = ..., results: _Optional[_Iterable[_Union[TransactionOpResult, _Mapping]]] = ...) -> None: ...

class InspectTransactionRequest(_message.Message):
    __slots__ = ["transaction"]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: Transaction
    def __init__(self, transaction: _Optional[_Union[Transaction, _Mapping]] = ...) -> None: ...

class ListTransactionRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class RunTransactionRequest(_message.Message):
    __slots__ = ["ops"]
    OPS_FIELD_NUMBER: _ClassVar[int]
    ops: _containers.RepeatedCompositeFieldContainer[TransactionOp]
    def __init__(self, ops: _Optional[_Iterable[_Union[TransactionOp, _Mapping]]] = ...) -> None: ...

class RunTransactionResponse(_message.Message):
    __slots__ = ["results", "transaction"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[TransactionOpResult]
    transaction: Transaction
    def __init__(self, transaction: _Optional[_Union[Transaction, _Mapping]] = ..., results: _Optional[_Iterable[_Union[TransactionOpResult, _Mapping]]] = ...) -> None: ...

class StartTransactionRequest(_message.Message):
    __slots__ = ["ttl"]
    TTL_FIELD_NUMBER: _ClassVar[int]
    ttl: _duration_pb2.Duration
    def __init__(self, ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class StartTransactionResponse(_message.Message):
    __slots__ = ["transaction"]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: Transaction
    def __init__(self, transaction: _Optional[_Union[Transaction, _Mapping]] = ...) -> None: ...

class Transaction(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class TransactionInfo(_message.Message):
    __slots__ = ["expires", "ops", "started", "transaction"]
    EXPIRES_FIELD_NUMBER: _ClassVar[int]
    OPS_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    expires: _timestamp_pb2.Timestamp
    ops: _containers.RepeatedCompositeFieldContainer[TransactionOp]
    started: _timestamp_pb2.Timestamp
    transaction: Transaction
    def __init__(self, transaction: _Optional[_Union[Transaction, _Mapping]] = ..., ops: _Optional[_Iterable[_Union[TransactionOp, _Mapping]]] = ..., started: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., expires: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TransactionOp(_message.Message):
    __slots__ = ["add_file_set", "create_branch", "delete_branch", "finish_commit", "start_commit"]
    ADD_FILE_SET_FIELD_NUMBER: _ClassVar[int]
    CREATE_BRANCH_FIELD_NUMBER: _ClassVar[int]
    DELETE_BRANCH_FIELD_NUMBER: _ClassVar[int]
    FINISH_COMMIT_FIELD_NUMBER: _ClassVar[int]
    START_COMMIT_FIELD_NUMBER: _ClassVar[int]
    add_file_set: _file_set_pb2.AddFileSetRequest
    create_branch: _branch_pb2.CreateBranchRequest
    delete_branch: _branch_pb2.DeleteBranchRequest
    finish_commit: _commit_pb2.FinishCommitRequest
    start_commit: _commit_pb2.StartCommitRequest
    def __init__(self, start_commit: _Optional[_Union[_commit_pb2.StartCommitRequest, _Mapping]] = ..., finish_commit: _Optional[_Union[_commit_pb2.FinishCommitRequest, _Mapping]] = ..., add_file_set: _Optional[_Union[_file_set_pb2.AddFileSetRequest, _Mapping]] = ..., create_branch: _Optional[_Union[_branch_pb2.CreateBranchRequest, _Mapping]] = ..., delete_branch: _Optional[_Union[_branch_pb2.DeleteBranchRequest, _Mapping]] = ...) -> None: ...

class TransactionOpResult(_message.Message):
    __slots__ = ["add_file_set", "create_branch", "delete_branch", "finish_commit", "start_commit"]
    ADD_FILE_SET_FIELD_NUMBER: _ClassVar[int]
    CREATE_BRANCH_FIELD_NUMBER: _ClassVar[int]
    DELETE_BRANCH_FIELD_NUMBER: _ClassVar[int]
    FINISH_COMMIT_FIELD_NUMBER: _ClassVar[int]
    START_COMMIT_FIELD_NUMBER: _ClassVar[int]
    add_file_set: _file_set_pb2.AddFileSetResponse
    create_branch: _branch_pb2.CreateBranchResponse
    delete_branch: _branch_pb2.DeleteBranchResponse
    finish_commit: _commit_pb2.FinishCommitResponse
    start_commit: _commit_pb2.StartCommitResponse
    def __init__(self, start_commit: _Optional[_Union[_commit_pb2.StartCommitResponse, _Mapping]] = ..., finish_commit: _Optional[_Union[_commit_pb2.FinishCommitResponse, _Mapping]] = ..., add_file_set: _Optional[_Union[_file_set_pb2.AddFileSetResponse, _Mapping]] = ..., create_branch: _Optional[_Union[_branch_pb2.CreateBranchResponse, _Mapping]] = ..., delete_branch: _Optional[_Union[_branch_pb2.DeleteBranchResponse, _Mapping]] = ...) -> None: ...
