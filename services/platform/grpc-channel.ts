/**
 * Channel options for every Terrain gRPC client (CLI, TS client, S3 gateway, pps, workers).
 *
 * Measured on loopback (docs/design/pfs-bench.md): with grpc-js defaults, tiny puts ran at 7.5k
 * files/s and a listing at 39k entries/s; with these, 46.5k files/s and 100k entries/s.
 * - `grpc.per_rpc_retry_buffer_size: 0`: grpc-js otherwise keeps sent messages for retries and
 *   copies that buffer on every message of a long client stream. Terrain retries at the
 *   application level (CAS + ABORTED), never by replaying a stream.
 * - a 16 MiB HTTP/2 flow-control window, so one stream of file bytes is not throttled to 64 KiB
 *   in flight.
 */
import type { ChannelOptions } from '@grpc/grpc-js';

/** Messages may carry batches; file bytes are streamed in much smaller pieces. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export const CLIENT_CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.per_rpc_retry_buffer_size': 0,
  'grpc-node.flow_control_window': 16 * 1024 * 1024,
};
