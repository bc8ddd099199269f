/**
 * Limits on what Terrain sends to etcd, checked before anything is sent.
 *
 * etcd refuses requests over 1.5 MiB (`--max-request-bytes`) and transactions with more than 128
 * operations (`--max-txn-ops`); worse, a value over about 2 MiB makes gRPC reject the message and, with
 * the etcd3 client's default fault handling, fails every later call for 5 s. Records are therefore
 * capped well below that (1 MiB by default), and a too-large record or transaction is refused here
 * with RESOURCE_EXHAUSTED naming the key, the size and the limit. RESOURCE_EXHAUSTED rather than
 * INVALID_ARGUMENT because the request is well-formed, only too big for the store — the same code
 * gRPC itself uses for oversized messages; the fix is a smaller record (split it or move the bulk to
 * the object store), not a different argument.
 */
import { platformErrors } from '../errors.ts';

export interface EtcdLimits {
  /** Largest value one key may hold (default 1 MiB). */
  maxRecordBytes: number;
  /** Largest number of compares, and of operations, in one transaction (etcd's default: 128). */
  maxTxnOps: number;
  /** Largest estimated request (keys + values + per-operation overhead); default 1.5 MiB less 64 KiB of headroom. */
  maxRequestBytes: number;
}

export const DEFAULT_LIMITS: EtcdLimits = Object.freeze({
  maxRecordBytes: 1024 * 1024,
  maxTxnOps: 128,
  maxRequestBytes: 1.5 * 1024 * 1024 - 64 * 1024,
});

/** Bytes of protobuf framing assumed per operation when estimating a request's size. */
export const PER_OP_OVERHEAD_BYTES = 32;

export function resolveLimits(partial: Partial<EtcdLimits> = {}): EtcdLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw platformErrors.invalidArgument(
        `etcd limit ${name} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  return limits;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(2)} MiB (${n} bytes)`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB (${n} bytes)`;
  return `${n} bytes`;
}

/** Throws RESOURCE_EXHAUSTED when `value` is over the record limit. `key` is the full etcd key. */
export function checkRecordSize(key: string, value: Uint8Array, limits: EtcdLimits): void {
  if (value.byteLength > limits.maxRecordBytes) {
    throw platformErrors.resourceExhausted(
      `etcd record "${key}" is ${formatBytes(value.byteLength)}, over the limit of ${formatBytes(limits.maxRecordBytes)}; nothing was written. Keep records small: split the record or store its bulk in the object store`,
      { details: { key, size: String(value.byteLength), limit: String(limits.maxRecordBytes) } },
    );
  }
}

/**
 * Throws RESOURCE_EXHAUSTED when a transaction has too many compares or operations, or is
 * estimated to be larger than a request may be. `firstKey` names the transaction in the message.
 */
export function checkTxnLimits(
  shape: {
    compares: number;
    successOps: number;
    failureOps: number;
    estimatedBytes: number;
    firstKey: string;
  },
  limits: EtcdLimits,
): void {
  const worst = Math.max(shape.compares, shape.successOps, shape.failureOps);
  if (worst > limits.maxTxnOps) {
    throw platformErrors.resourceExhausted(
      `etcd transaction on "${shape.firstKey}" has ${shape.compares} compares and ${shape.successOps} operations, over etcd's limit of ${limits.maxTxnOps} each; nothing was written. Split it into smaller transactions`,
      {
        details: {
          key: shape.firstKey,
          compares: String(shape.compares),
          operations: String(shape.successOps),
          limit: String(limits.maxTxnOps),
        },
      },
    );
  }
  if (shape.estimatedBytes > limits.maxRequestBytes) {
    throw platformErrors.resourceExhausted(
      `etcd transaction on "${shape.firstKey}" is about ${formatBytes(shape.estimatedBytes)}, over the request limit of ${formatBytes(limits.maxRequestBytes)}; nothing was written. Write fewer or smaller records per transaction`,
      {
        details: {
          key: shape.firstKey,
          size: String(shape.estimatedBytes),
          limit: String(limits.maxRequestBytes),
        },
      },
    );
  }
}
