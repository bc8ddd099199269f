/**
 * UploadStore: the multipart uploads in progress and their staged parts.
 *
 * Each part is a pfs file set (one file, `/part`) written with CreateFileSet; its handle is kept
 * alive by renewing it every third of `partTtlMs` while the upload lives. Completing an upload
 * copies the parts by reference into one commit. Aborting, completing, replacing a part, or
 * `uploadTimeoutMs` without activity releases the handles (their TTL is cut to a second), and
 * pfs's garbage collector then reclaims the parts' chunks. If the gateway process dies, the handles
 * simply expire: staged parts are never leaked.
 *
 * The registry of uploads is in this process's memory: uploads do not survive a gateway restart
 * (clients get NoSuchUpload and start over), and several gateway replicas need sticky routing by
 * upload ID. A store kept in pfs or etcd can replace this class behind the same methods.
 *
 * Concurrency: methods are synchronous on the registry (one JS thread), so concurrent UploadPart
 * calls for different part numbers never lose each other; for the same part number the last to
 * finish wins, as in S3.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bucket } from './buckets.ts';
import type { PfsForS3 } from './pfs-port.ts';

export interface Part {
  number: number;
  /** Quoted ETag (MD5 of the part, or the copy source's ETag for a whole-object copy). */
  etag: string;
  size: number;
  fileSetId: string;
  lastModified: Date;
}

export interface Upload {
  id: string;
  repo: string;
  branch: string;
  key: string;
  initiated: Date;
  /** Metadata to store with the object (content headers, x-amz-meta-*). */
  metadata: Record<string, string>;
  parts: Map<number, Part>;
  lastActivity: number;
}

export interface UploadStoreOptions {
  pfs: PfsForS3;
  logger: Logger;
  partTtlMs: number;
  uploadTimeoutMs: number;
  now?: () => number;
}

/** How long a released handle lives: long enough for in-flight reads, short enough to be collected soon. */
const RELEASE_TTL_MS = 1000;

export class UploadStore {
  readonly #uploads = new Map<string, Upload>();
  readonly #pfs: PfsForS3;
  readonly #logger: Logger;
  readonly #partTtlMs: number;
  readonly #uploadTimeoutMs: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;

  constructor(options: UploadStoreOptions) {
    this.#pfs = options.pfs;
    this.#logger = options.logger;
    this.#partTtlMs = options.partTtlMs;
    this.#uploadTimeoutMs = options.uploadTimeoutMs;
    this.#now = options.now ?? Date.now;
  }

  get partTtlMs(): number {
    return this.#partTtlMs;
  }

  /** Starts renewing handles and expiring idle uploads in the background. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(
      () => {
        this.#sweeping ??= this.sweep().finally(() => (this.#sweeping = undefined));
      },
      Math.max(1000, Math.floor(this.#partTtlMs / 3)),
    );
    this.#timer.unref();
  }

  /** Stops the background work (handles then expire on their own). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }

  create(bucket: Bucket, key: string, metadata: Record<string, string>): Upload {
    const upload: Upload = {
      id: randomBytes(24).toString('base64url'),
      repo: bucket.repo,
      branch: bucket.branch,
      key,
      initiated: new Date(this.#now()),
      metadata,
      parts: new Map(),
      lastActivity: this.#now(),
    };
    this.#uploads.set(upload.id, upload);
    return upload;
  }

  /** The upload, when it exists and belongs to this bucket and key. */
  get(bucket: Bucket, key: string, id: string): Upload | undefined {
    const upload = this.#uploads.get(id);
    if (!upload || upload.repo !== bucket.repo || upload.branch !== bucket.branch || upload.key !== key)
      return undefined;
    upload.lastActivity = this.#now();
    return upload;
  }

  /** Uploads of a bucket, by key then initiation time. */
  list(bucket: Bucket): Upload[] {
    return [...this.#uploads.values()]
      .filter((u) => u.repo === bucket.repo && u.branch === bucket.branch)
      .sort((a, b) =>
        a.key < b.key
          ? -1
          : a.key > b.key
            ? 1
            : a.initiated.getTime() - b.initiated.getTime() || (a.id < b.id ? -1 : 1),
      );
  }

  /**
   * Records a part. Returns false (and releases the part's handle) when the upload is gone —
   * aborted or completed while the part was uploading.
   */
  async addPart(upload: Upload, part: Part): Promise<boolean> {
    if (this.#uploads.get(upload.id) !== upload) {
      await this.#release(part.fileSetId);
      return false;
    }
    const previous = upload.parts.get(part.number);
    upload.parts.set(part.number, part);
    upload.lastActivity = this.#now();
    if (previous) await this.#release(previous.fileSetId);
    return true;
  }

  /** Forgets an upload and releases its parts. Returns false when it was already gone. */
  async remove(upload: Upload): Promise<boolean> {
    if (this.#uploads.get(upload.id) !== upload) return false;
    this.#uploads.delete(upload.id);
    for (const part of upload.parts.values()) await this.#release(part.fileSetId);
    return true;
  }

  /** Renews the handles of live uploads and aborts idle ones. Called periodically; safe to call any time. */
  async sweep(options: { signal?: AbortSignal } = {}): Promise<void> {
    const now = this.#now();
    for (const upload of [...this.#uploads.values()]) {
      if (now - upload.lastActivity > this.#uploadTimeoutMs) {
        this.#logger.info({ uploadId: upload.id, key: upload.key }, 'aborting idle multipart upload');
        await this.remove(upload);
        continue;
      }
      for (const part of [...upload.parts.values()]) {
        try {
          await this.#pfs.renewFileSet(part.fileSetId, this.#partTtlMs, options);
        } catch (err) {
          // An expired part cannot come back: drop it so Complete reports InvalidPart for it.
          this.#logger.warn({ err, uploadId: upload.id, part: part.number }, 'could not renew a staged part');
          if ((err as { code?: string }).code === 'not_found' && upload.parts.get(part.number) === part)
            upload.parts.delete(part.number);
        }
      }
    }
  }

  async #release(fileSetId: string): Promise<void> {
    try {
      await this.#pfs.renewFileSet(fileSetId, RELEASE_TTL_MS);
    } catch (err) {
      if ((err as { code?: string }).code !== 'not_found')
        this.#logger.warn({ err, fileSetId }, 'could not release a staged part');
    }
  }

  /** Number of uploads in progress (tests, metrics). */
  get size(): number {
    return this.#uploads.size;
  }
}
