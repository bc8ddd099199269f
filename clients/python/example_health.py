#!/usr/bin/python3
"""Asks a Terrain server whether it is healthy, using the generated gRPC stubs.

    /usr/bin/python3 clients/python/example_health.py [ADDRESS] [SERVICE]

ADDRESS defaults to $TERRAIN_ADDRESS, then localhost:1650. SERVICE is a fully qualified gRPC service
name such as terrain.pfs.v1.Pfs; empty (the default) asks about the server as a whole.
Prints the serving status (e.g. SERVING) and exits 0 when it is SERVING, 1 otherwise.
"""
import os
import sys

# The stubs are generated next to this file (clients/python/terrain, clients/python/grpc_health).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402  (Debian: python3-grpcio)

from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402


def main(argv):
    address = argv[1] if len(argv) > 1 else os.environ.get("TERRAIN_ADDRESS", "localhost:1650")
    service = argv[2] if len(argv) > 2 else ""
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        except grpc.RpcError as err:
            print(f"terrain: health check of {address} failed: {err.code().name}: {err.details()}",
                  file=sys.stderr)
            return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(status)
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
