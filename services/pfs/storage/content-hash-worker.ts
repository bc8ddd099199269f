/**
 * The thread that computes files' content hashes (SHA-256 of each file's bytes) from slices of
 * chunks, so the main thread only chunks. Loaded by content-hasher.ts as a worker; `SliceHasher`
 * is the same logic for the in-thread fallback.
 */
import { createHash, type Hash } from 'node:crypto';
import { isMainThread, parentPort } from 'node:worker_threads';

/** Bytes [from, to) of a chunk belong to file `file` (a writer-assigned id). */
export interface FileSlice {
  file: number;
  from: number;
  to: number;
}

export interface HashRequest {
  seq: number;
  /** The chunk, transferred to the worker and back; absent for a message with finals only. */
  buffer?: ArrayBuffer;
  slices: FileSlice[];
  /** Files whose last bytes have been sliced: their digests are returned. */
  finals: number[];
  /** Files abandoned by an aborted writer. */
  discard: number[];
}

export interface HashResponse {
  seq: number;
  buffer?: ArrayBuffer;
  digests: [number, string][];
  error?: string;
}

/** Running SHA-256 per file, fed slice by slice in stream order. */
export class SliceHasher {
  readonly #hashers = new Map<number, Hash>();

  apply(
    bytes: Uint8Array | undefined,
    slices: readonly FileSlice[],
    finals: readonly number[],
    discard: readonly number[],
  ): [number, string][] {
    for (const s of slices) {
      let h = this.#hashers.get(s.file);
      if (!h) this.#hashers.set(s.file, (h = createHash('sha256')));
      h.update(bytes!.subarray(s.from, s.to));
    }
    const digests: [number, string][] = [];
    for (const f of finals) {
      const h = this.#hashers.get(f) ?? createHash('sha256');
      this.#hashers.delete(f);
      digests.push([f, h.digest('hex')]);
    }
    for (const f of discard) this.#hashers.delete(f);
    return digests;
  }

  get openFiles(): number {
    return this.#hashers.size;
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const hasher = new SliceHasher();
  port.on('message', (req: HashRequest) => {
    const transfer = req.buffer ? [req.buffer] : [];
    try {
      const digests = hasher.apply(
        req.buffer ? new Uint8Array(req.buffer) : undefined,
        req.slices,
        req.finals,
        req.discard,
      );
      port.postMessage({ seq: req.seq, buffer: req.buffer, digests } satisfies HashResponse, transfer);
    } catch (err) {
      port.postMessage(
        { seq: req.seq, buffer: req.buffer, digests: [], error: String(err) } satisfies HashResponse,
        transfer,
      );
    }
  });
}
