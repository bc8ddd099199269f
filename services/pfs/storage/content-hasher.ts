/**
 * Content hashes of files written through a FileSetWriter, computed from slices of the chunks the
 * files were cut into.
 *
 * Why a worker: on the write path every byte is gear-hashed (chunking), SHA-256-hashed as part of
 * its chunk (the chunk's name) and SHA-256-hashed as part of its file (the content hash users see).
 * The chunk hash runs on the libuv pool; this moves the file hash to its own thread, leaving the
 * main thread only the chunking. Each chunk is transferred to the worker and back (no copy).
 *
 * Messages are answered in order, so slices of one file are hashed in stream order even when
 * several writers share the hasher (file ids are unique per hasher). The worker is referenced
 * (keeps the process alive) only while requests are outstanding.
 *
 * Concurrency: any number of concurrent callers. If the worker dies, outstanding requests fail
 * with INTERNAL, and so does any later request for a file whose earlier slices died with it (its
 * hash state is lost); new files get a new worker.
 */
import { Worker } from 'node:worker_threads';
import { SliceHasher, type FileSlice, type HashRequest, type HashResponse } from './content-hash-worker.ts';
import { storageErrors } from './errors.ts';

export type { FileSlice } from './content-hash-worker.ts';

export interface HashResult {
  /** The chunk's bytes (the same memory, returned from the worker). */
  chunk: Uint8Array | undefined;
  digests: [number, string][];
}

export class ContentHasher {
  readonly #useWorker: boolean;
  #worker: Worker | undefined;
  #inThread: SliceHasher | undefined;
  /** Bumped when a worker dies: files begun under an older generation cannot be finished. */
  #generation = 0;
  readonly #fileGeneration = new Map<number, number>();
  #seq = 0;
  #nextFile = 1;
  readonly #pending = new Map<number, { resolve: (r: HashResponse) => void; reject: (e: Error) => void }>();

  constructor(options: { useWorker?: boolean } = {}) {
    this.#useWorker = options.useWorker ?? true;
  }

  /** A new file id. */
  newFile(): number {
    return this.#nextFile++;
  }

  /**
   * Feeds `slices` of `chunk` to their files, then finishes `finals`. The chunk must not be used
   * until the promise resolves (it is transferred to the worker); use the returned `chunk`.
   */
  async process(
    chunk: Uint8Array | undefined,
    slices: FileSlice[],
    finals: number[],
    discard: number[] = [],
  ): Promise<HashResult> {
    if (!this.#useWorker) {
      this.#inThread ??= new SliceHasher();
      return { chunk, digests: this.#inThread.apply(chunk, slices, finals, discard) };
    }
    for (const s of slices) this.#checkGeneration(s.file, false);
    for (const f of finals) this.#checkGeneration(f, true);
    for (const f of discard) this.#fileGeneration.delete(f);
    let buffer: ArrayBuffer | undefined;
    if (chunk) {
      const owned =
        chunk.byteOffset === 0 &&
        chunk.byteLength === chunk.buffer.byteLength &&
        chunk.buffer instanceof ArrayBuffer;
      buffer = (owned ? chunk : chunk.slice()).buffer as ArrayBuffer;
    }
    const worker = this.#start();
    const seq = this.#seq++;
    const response = new Promise<HashResponse>((resolve, reject) =>
      this.#pending.set(seq, { resolve, reject }),
    );
    if (this.#pending.size === 1) worker.ref();
    worker.postMessage(
      { seq, buffer, slices, finals, discard } satisfies HashRequest,
      buffer ? [buffer] : [],
    );
    const r = await response;
    if (r.error) throw storageErrors.internal(`content hashing failed: ${r.error}`);
    return { chunk: r.buffer ? new Uint8Array(r.buffer) : undefined, digests: r.digests };
  }

  #checkGeneration(file: number, last: boolean): void {
    const g = this.#fileGeneration.get(file);
    if (g !== undefined && g !== this.#generation) {
      this.#fileGeneration.delete(file);
      throw storageErrors.internal(
        `content-hash worker stopped while file #${file} was being hashed; write the file again`,
      );
    }
    if (last) this.#fileGeneration.delete(file);
    else if (g === undefined) this.#fileGeneration.set(file, this.#generation);
  }

  /** Stops the worker (outstanding requests fail). Idempotent. */
  async close(): Promise<void> {
    const w = this.#worker;
    if (w) await w.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./content-hash-worker.ts', import.meta.url));
    worker.unref();
    worker.on('message', (r: HashResponse) => {
      const p = this.#pending.get(r.seq);
      this.#pending.delete(r.seq);
      if (this.#pending.size === 0) worker.unref();
      p?.resolve(r);
    });
    const fail = (err: Error): void => {
      if (this.#worker !== worker) return;
      const failure = storageErrors.internal(`content-hash worker stopped: ${err.message}`, { cause: err });
      this.#worker = undefined;
      this.#generation++;
      for (const p of this.#pending.values()) p.reject(failure);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }
}

let shared: ContentHasher | undefined;

/** The process-wide hasher (one worker per process, however many storages and writers use it). */
export function sharedContentHasher(): ContentHasher {
  return (shared ??= new ContentHasher());
}
