"""Builds template rings for a one-node Swift: one device, one replica, 2^8 partitions.

    make-rings.py OUT_DIR

What `swift-ring-builder create 8 1 1; add; rebalance` does, for account, container and object.
The device port in the templates is a placeholder (1): ../swift.ts caches the templates per Swift
version and rewrites the port in each ring's JSON header per instance, which takes milliseconds
instead of the second that importing the ring builder takes.
"""
import os
import sys

from swift.common.ring import RingBuilder

out = sys.argv[1]
for name in ('account', 'container', 'object'):
    builder = RingBuilder(8, 1, 1)  # part_power, replicas, min_part_hours
    builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': 1,
                     'replication_ip': '127.0.0.1', 'replication_port': 1,
                     'device': 'd1', 'weight': 1.0, 'meta': ''})
    builder.rebalance()
    builder.get_ring().save(os.path.join(out, name + '.ring.gz'))
