/**
 * ObjectStore: the one interface every byte of Terrain's data passes through.
 *
 * Keys are '/'-separated strings without a leading slash (`chunks/<sha256>`, `index/<sha256>`): no
 * empty, '.' or '..' segment, no NUL, at most 1,024 UTF-8 bytes; any other key is INVALID_ARGUMENT
 * on every backend. Listings are ordered by the keys' UTF-8 bytes (as S3 orders them).
 * Backends: `local` (a directory), `s3` (any S3-compatible server), `memory` (unit tests).
 * Every backend passes the one conformance suite in `conformance.ts`.
 *
 * Error contract (all errors are `TerrainError`s from `../errors.ts`):
 * - a missing key on get/head → `NOT_FOUND` (code `not_found`);
 * - a range that starts at or past the end of the object → `INVALID_ARGUMENT` (S3's 416), except
 *   start 0, which reads an empty object; a negative or fractional range, or end < start, too;
 * - an aborted signal → the signal's reason (an `AbortError`), and the transfer stops;
 * - anything the backend cannot reach → `UNAVAILABLE`.
 *
 * Concurrency: a put is atomic. Readers see either the old object or the whole new one, never a
 * mixture; of two concurrent puts of one key, one writer's full content wins. `delete` of a missing
 * key succeeds (S3 semantics).
 */
export interface ObjectStore {
  /** Short description for logs and `terrain status`, e.g. `local:/data` or `s3://bucket`. */
  readonly description: string;

  /** Streams `body` (any length, unknown in advance) into `key`, replacing any existing object. */
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult>;

  /** Streams an object's bytes, optionally a byte range. The iterator must be consumed or returned. */
  get(key: string, options?: GetOptions): AsyncIterable<Uint8Array>;

  /** Size and modification time of an object; `NOT_FOUND` when it is missing. */
  head(key: string, options?: SignalOptions): Promise<ObjectInfo>;

  /** Removes an object; succeeds when it does not exist. */
  delete(key: string, options?: SignalOptions): Promise<void>;

  /**
   * Lists keys under `prefix` in lexicographic order, page by page (never the whole listing at
   * once). `startAfter` resumes a listing after a key.
   */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo>;
}

/**
 * What a put accepts: a whole buffer, or a stream of chunks of unknown total length. A stream may
 * reuse a chunk's buffer once the store asks for the next chunk; the store stops the stream
 * (`return()`) when the put fails or is aborted, without draining it.
 */
export type ObjectBody = Uint8Array | AsyncIterable<Uint8Array>;

export interface SignalOptions {
  signal?: AbortSignal;
}

// An interface (not an alias) so that put-only options can be added without touching callers.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PutOptions extends SignalOptions {}

export interface PutResult {
  size: number;
}

export interface GetOptions extends SignalOptions {
  /** A byte range [start, end) — end is exclusive and is clamped to the object's size. */
  range?: ByteRange;
}

export interface ByteRange {
  start: number;
  /** Exclusive. Omitted: to the end of the object. */
  end?: number;
}

export interface ListOptions extends SignalOptions {
  startAfter?: string;
  /** Keys fetched per backend request; the iterator still yields every key. */
  pageSize?: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}
