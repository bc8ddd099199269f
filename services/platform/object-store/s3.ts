/**
 * ObjectStore on any S3-compatible server (AWS S3, MinIO, Ceph RGW, OpenStack Swift's s3api…),
 * written to the S3 API and nothing server-specific.
 *
 * Puts stream: the body is cut into parts of `partSize` (8 MiB) as it arrives; a body that ends
 * within the first part is one PutObject, anything longer a multipart upload with at most
 * `queueSize` (4) parts in flight. Part buffers come from a pool of `queueSize + 1`, so a put of any
 * length holds about (queueSize + 1) × partSize bytes. A failed or aborted put aborts its multipart
 * upload, so no object and no orphaned parts remain (best effort: if the server is unreachable at
 * that moment, the upload is left to the bucket's lifecycle rule for incomplete uploads).
 * A multipart upload has at most 10,000 parts, so one object is at most 10,000 × partSize
 * (80 GiB by default); a longer body fails with INVALID_ARGUMENT. Terrain's objects are chunks
 * and index pages of a few MiB.
 *
 * Error mapping: NoSuchKey/404 → NOT_FOUND; a range the object cannot satisfy (416) →
 * INVALID_ARGUMENT; NoSuchBucket and credential/permission refusals → FAILED_PRECONDITION (they
 * need an operator, not a retry) — except on `head`, whose bodiless 404 cannot tell a missing
 * bucket from a missing key (NOT_FOUND); network errors, timeouts, 5xx and throttling → UNAVAILABLE;
 * an aborted signal → the signal's reason. Concurrency: as S3 — a put is atomic, the last completed
 * put of a key wins.
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { isTerrainError, platformErrors } from '../errors.ts';
import {
  bodyChunks,
  putFailure,
  resolveRange,
  validateKey,
  validatePrefix,
  validateRange,
} from './backend-support.ts';
import type {
  GetOptions,
  ListOptions,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutResult,
  SignalOptions,
} from './object-store.ts';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Keys are stored under this prefix (a '/' is added when missing); listings strip it. */
  prefix?: string;
  /** e.g. `http://127.0.0.1:9000` for MinIO or Swift; omitted for AWS. */
  endpoint?: string;
  region: string;
  /** Omitted: the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, roles). */
  credentials?: S3Credentials;
  /** Path-style URLs (`endpoint/bucket/key`), which most non-AWS servers need. Default: true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Multipart part size in bytes, at least 5 MiB (S3's minimum). Default 8 MiB. */
  partSize?: number;
  /** Parts uploaded concurrently. Default 4. */
  queueSize?: number;
}

const MIB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MIB;
const MAX_PARTS = 10_000;
/** How long cleanup of a failed upload may take; it runs after the caller's signal may have fired. */
const CLEANUP_TIMEOUT_MS = 30_000;

export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #partSize: number;
  readonly #queueSize: number;

  constructor(options: S3ObjectStoreOptions) {
    if (!options.bucket) throw platformErrors.invalidArgument('s3 object store: bucket is empty');
    const prefix = (options.prefix ?? '').replace(/^\/+/, '');
    if (prefix !== '') validateKey(prefix.replace(/\/+$/, ''));
    this.#prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.#bucket = options.bucket;
    this.#partSize = options.partSize ?? 8 * MIB;
    this.#queueSize = options.queueSize ?? 4;
    if (!Number.isSafeInteger(this.#partSize) || this.#partSize < MIN_PART_SIZE) {
      throw platformErrors.invalidArgument(
        `s3 object store: partSize ${options.partSize} is below S3's minimum of 5 MiB`,
      );
    }
    if (!Number.isSafeInteger(this.#queueSize) || this.#queueSize < 1) {
      throw platformErrors.invalidArgument(
        `s3 object store: queueSize ${options.queueSize} must be a positive integer`,
      );
    }
    this.description = `s3://${this.#bucket}/${this.#prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    this.#client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      // Only the checksums S3 requires: servers that predate the 2024 checksum headers (Swift 2.30,
      // older MinIO and Ceph) refuse requests that carry them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
    });
  }

  /** Closes the client's idle connections. The store must not be used afterwards. */
  destroy(): void {
    this.#client.destroy();
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    validateKey(key);
    const { signal } = options;
    signal?.throwIfAborted();
    const Key = this.#prefix + key;
    // Cancels in-flight part uploads when one fails, as the caller's signal does on abort.
    const failed = new AbortController();
    const abortSignal = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
    // The body stops on the caller's abort and on a failed part alike (failed.abort(error)).
    const reader = new PartReader(bodyChunks(body, abortSignal));
    const pool: Buffer[] = [];
    const takeBuffer = (): Buffer => pool.pop() ?? Buffer.allocUnsafe(this.#partSize);
    let uploadId: string | undefined;
    const inFlight = new Set<Promise<void>>();
    try {
      let buffer = takeBuffer();
      let part = await reader.fill(buffer);
      if (part.last) {
        await this.#client.send(
          new PutObjectCommand({
            Bucket: this.#bucket,
            Key,
            Body: buffer.subarray(0, part.length),
            ContentLength: part.length,
          }),
          { abortSignal },
        );
        return { size: part.length };
      }
      const created = await this.#client.send(
        new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key }),
        {
          abortSignal,
        },
      );
      uploadId = created.UploadId;
      if (!uploadId)
        throw platformErrors.unavailable(`S3 returned no upload ID for "${key}" in ${this.description}`);
      const completed: CompletedPart[] = [];
      let size = 0;
      for (let partNumber = 1; ; partNumber++) {
        if (partNumber > MAX_PARTS) {
          throw platformErrors.invalidArgument(
            `object "${key}" is larger than ${MAX_PARTS} parts of ${this.#partSize} bytes; configure a larger partSize`,
          );
        }
        const bytes = buffer.subarray(0, part.length);
        const partBuffer = buffer;
        size += part.length;
        const upload = this.#client
          .send(
            new UploadPartCommand({
              Bucket: this.#bucket,
              Key,
              UploadId: uploadId,
              PartNumber: partNumber,
              Body: bytes,
              ContentLength: bytes.length,
            }),
            { abortSignal },
          )
          .then((res) => {
            completed.push({ PartNumber: partNumber, ETag: res.ETag });
            pool.push(partBuffer); // the request is finished with it
          })
          .finally(() => inFlight.delete(upload));
        // Seen by Promise.race below and by the cleanup's allSettled; never left unobserved.
        upload.catch((error: unknown) => failed.abort(error));
        inFlight.add(upload);
        if (part.last) break;
        while (inFlight.size >= this.#queueSize) await Promise.race(inFlight);
        buffer = takeBuffer();
        part = await reader.fill(buffer);
      }
      await Promise.all(inFlight);
      completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
      await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.#bucket,
          Key,
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
        }),
        { abortSignal },
      );
      uploadId = undefined;
      return { size };
    } catch (err) {
      // The first failure is the one to report; later ones are its consequences (aborted parts).
      const cause: unknown = signal?.aborted
        ? signal.reason
        : failed.signal.aborted
          ? failed.signal.reason
          : err;
      failed.abort(cause);
      await Promise.allSettled(inFlight);
      await reader.close();
      if (uploadId) await this.#abortUpload(Key, uploadId);
      throw putFailure(cause, signal, (e) => this.#translate(e, key));
    }
  }

  async *get(key: string, options: GetOptions = {}): AsyncIterable<Uint8Array> {
    validateKey(key);
    const { signal, range } = options;
    validateRange(key, range);
    signal?.throwIfAborted();
    if (range && range.end === range.start) {
      // HTTP cannot ask for zero bytes; the answer is empty if the object exists and start is valid.
      resolveRange(key, range, (await this.head(key, { signal })).size);
      return;
    }
    const start = range?.start ?? 0;
    let body: Readable;
    let expected: number | undefined;
    try {
      const res = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#prefix + key,
          ...(range ? { Range: `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}` } : {}),
        }),
        { abortSignal: signal },
      );
      body = res.Body as Readable;
      expected = res.ContentLength;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (statusOf(err) === 416 || nameOf(err) === 'InvalidRange') {
        // Servers refuse every range of an empty object; start 0 of an empty object is simply empty.
        if (start === 0) return;
        throw platformErrors.invalidArgument(`byte range start ${start} is past the end of "${key}"`, {
          details: { key },
        });
      }
      throw this.#translate(err, key);
    }
    const onAbort = (): void => {
      body.destroy(signal?.reason instanceof Error ? signal.reason : undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let received = 0;
    try {
      for await (const chunk of body) {
        signal?.throwIfAborted();
        received += (chunk as Uint8Array).length;
        yield chunk as Uint8Array;
      }
      if (expected !== undefined && received !== expected) {
        throw platformErrors.unavailable(
          `reading "${key}" from ${this.description} ended after ${received} of ${expected} bytes; retry`,
        );
      }
    } catch (err) {
      throw signal?.aborted ? signal.reason : this.#translate(err, key);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      body.destroy(); // releases the connection when the consumer stops early
    }
  }

  async head(key: string, options: SignalOptions = {}): Promise<ObjectInfo> {
    validateKey(key);
    options.signal?.throwIfAborted();
    try {
      const res = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }),
        {
          abortSignal: options.signal,
        },
      );
      return { key, size: res.ContentLength ?? 0, lastModified: res.LastModified ?? new Date(0) };
    } catch (err) {
      throw options.signal?.aborted ? options.signal.reason : this.#translate(err, key);
    }
  }

  async delete(key: string, options: SignalOptions = {}): Promise<void> {
    validateKey(key);
    options.signal?.throwIfAborted();
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }), {
        abortSignal: options.signal,
      });
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      const translated = this.#translate(err, key);
      if (isTerrainError(translated) && translated.code === 'not_found') return; // S3 semantics
      throw translated;
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    validatePrefix(prefix);
    const { signal } = options;
    signal?.throwIfAborted();
    const pageSize = Math.max(1, Math.min(options.pageSize ?? 1000, 1000));
    let startAfter = options.startAfter ? this.#prefix + options.startAfter : undefined;
    let token: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#prefix + prefix,
            MaxKeys: pageSize,
            ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
          }),
          { abortSignal: signal },
        );
      } catch (err) {
        throw signal?.aborted ? signal.reason : this.#translate(err, prefix);
      }
      let last: string | undefined;
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        last = object.Key;
        yield {
          key: object.Key.slice(this.#prefix.length),
          size: object.Size ?? 0,
          lastModified: object.LastModified ?? new Date(0),
        };
      }
      if (!page.IsTruncated) return;
      token = page.NextContinuationToken;
      if (!token) {
        // A server that truncates without a token: resume after the last key instead of looping.
        if (last === undefined) return;
        startAfter = last;
      }
      signal?.throwIfAborted();
    }
  }

  async #abortUpload(Key: string, UploadId: string): Promise<void> {
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key, UploadId }), {
        abortSignal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
      });
    } catch {
      // Best effort (see the file comment); the put's own error is what the caller needs.
    }
  }

  #translate(err: unknown, key: string): unknown {
    if (isTerrainError(err) || nameOf(err) === 'AbortError') return err;
    const name = nameOf(err) ?? 'Error';
    const status = statusOf(err);
    const message = err instanceof Error ? err.message : String(err);
    const where = `"${key}" in ${this.description}`;
    const options = { cause: err, details: { key } };
    if (name === 'NoSuchBucket') {
      return platformErrors.failedPrecondition(
        `bucket "${this.#bucket}" does not exist (${this.description}); create it`,
        options,
      );
    }
    if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
      return platformErrors.notFound(`object ${where} not found`, options);
    }
    if (status === undefined || status >= 500 || status === 429 || status === 408) {
      return platformErrors.unavailable(
        `S3 request for ${where} failed: ${name}: ${message}; retry when the server is reachable`,
        options,
      );
    }
    if (status === 401 || status === 403) {
      return platformErrors.failedPrecondition(
        `S3 refused access to ${where}: ${name}: ${message}; check the credentials and the bucket's permissions`,
        options,
      );
    }
    return platformErrors.failedPrecondition(
      `S3 request for ${where} failed: ${name} (HTTP ${status}): ${message}`,
      options,
    );
  }
}

/**
 * Cuts a stream of chunks into parts, copying into buffers the caller supplies (so the caller can
 * pool them). Looks one chunk ahead, so a part knows whether it is the last: a body that ends
 * exactly at a part boundary needs no empty trailing part.
 */
class PartReader {
  readonly #source: AsyncGenerator<Uint8Array>;
  #pending: Uint8Array = new Uint8Array(0);
  #offset = 0;
  #done = false;

  constructor(source: AsyncGenerator<Uint8Array>) {
    this.#source = source;
  }

  async fill(into: Buffer): Promise<{ length: number; last: boolean }> {
    let length = 0;
    for (;;) {
      if (this.#offset < this.#pending.length) {
        if (length === into.length) break;
        const n = Math.min(into.length - length, this.#pending.length - this.#offset);
        into.set(this.#pending.subarray(this.#offset, this.#offset + n), length);
        length += n;
        this.#offset += n;
        continue;
      }
      if (this.#done) break;
      // The current chunk is fully copied, so the source may now reuse its buffer.
      const next = await this.#source.next();
      if (next.done) this.#done = true;
      else {
        this.#pending = next.value;
        this.#offset = 0;
      }
    }
    return { length, last: this.#done && this.#offset >= this.#pending.length };
  }

  async close(): Promise<void> {
    await this.#source.return(undefined).catch(() => undefined);
  }
}

function nameOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string'
    ? (err as { name: string }).name
    : undefined;
}

function statusOf(err: unknown): number | undefined {
  const metadata =
    typeof err === 'object' && err !== null
      ? (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata
      : undefined;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}
