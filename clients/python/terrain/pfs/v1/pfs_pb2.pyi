from terrain.pfs.v1 import branch_pb2 as _branch_pb2
from terrain.pfs.v1 import commit_pb2 as _commit_pb2
from terrain.pfs.v1 import commit_set_pb2 as _commit_set_pb2
from terrain.pfs.v1 import file_pb2 as _file_pb2
from terrain.pfs.v1 import file_set_pb2 as _file_set_pb2
from terrain.pfs.v1 import gc_pb2 as _gc_pb2
from terrain.pfs.v1 import repo_pb2 as _repo_pb2
from terrain.pfs.v1 import transaction_pb2 as _transaction_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
