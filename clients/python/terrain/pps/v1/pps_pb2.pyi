from terrain.pps.v1 import datum_pb2 as _datum_pb2
from terrain.pps.v1 import job_pb2 as _job_pb2
from terrain.pps.v1 import logs_pb2 as _logs_pb2
from terrain.pps.v1 import pipeline_pb2 as _pipeline_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
