/**
 * Pfs helpers on top of the generated RPCs: writing files from byte sources and reading a file as
 * a stream of bytes. Refs may be given as strings (`"images@master"`, `"images@master:/a.png"`)
 * or as proto messages.
 *
 * Concurrency: each helper call is one independent gRPC call. Two `modify` calls on the same
 * branch race like any two writers (each is atomic; see ModifyFile in pfs.proto).
 */
import type {
  ModifyFileRequest,
  ModifyFileResponse,
  GetFileResponse,
} from '../../proto/gen/terrain/pfs/v1/file.ts';
import type { Commit, File } from '../../proto/gen/terrain/pfs/v1/refs.ts';
import type { PfsService } from '../../proto/gen/terrain/pfs/v1/pfs.ts';
import { DEFAULT_BRANCH, parseCommitRef, parseFileRef, toCommit, toFile } from './refs.ts';
import type { DeepPartial, RpcOptions, ServiceStub } from './rpc.ts';

/** Largest `data` message sent; the proto asks for messages well under 4 MiB. */
export const WRITE_CHUNK_BYTES = 1024 * 1024;

/** A commit: a ref string (`repo@branch`, `repo@id`, `repo` = master) or a proto Commit. */
export type CommitInput = string | DeepPartial<Commit>;
/** A file: a ref string (`repo@ref:/path`) or a proto File. */
export type FileInput = string | DeepPartial<File>;
/** File bytes: all at once, or as a stream of chunks (read lazily, with backpressure). */
export type ByteSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** One operation of a `modify` stream, applied in order. */
export type FileOperation =
  | { op: 'put'; path: string; source: ByteSource; append?: boolean; metadata?: Record<string, string> }
  | { op: 'delete'; path: string }
  | { op: 'copy'; src: FileInput; dst: string; append?: boolean };

export interface PutFileOptions extends RpcOptions {
  append?: boolean;
  metadata?: Record<string, string>;
}

export interface ReadFileOptions extends RpcOptions {
  /** First byte to read. */
  offset?: bigint | number;
  /** Number of bytes; 0 or unset reads to the end. */
  length?: bigint | number;
}

export interface PfsHelpers {
  /**
   * Applies `operations` to a commit in ONE ModifyFile stream: atomic as a whole (on a branch whose
   * head is finished, the result is exactly one new commit). Operations are pulled from the
   * iterable one at a time and each put's bytes are streamed, so memory stays bounded whatever the
   * sizes. Throws the server's error (e.g. `not_found` for a missing repo) or the source's error
   * (then nothing is applied).
   */
  modify(
    commit: CommitInput,
    operations: AsyncIterable<FileOperation> | Iterable<FileOperation>,
    options?: RpcOptions,
  ): Promise<ModifyFileResponse>;
  /** Writes one file (one-operation `modify`). */
  putFile(
    commit: CommitInput,
    path: string,
    source: ByteSource,
    options?: PutFileOptions,
  ): Promise<ModifyFileResponse>;
  /** Streams a file's bytes (or a range). `not_found` when missing; `data_loss` on a corrupt chunk. */
  readFile(file: FileInput, options?: ReadFileOptions): AsyncGenerator<Uint8Array, void, undefined>;
}

export type PfsApi = ServiceStub<PfsService> & PfsHelpers;

export function toCommitMessage(commit: CommitInput): DeepPartial<Commit> {
  return typeof commit === 'string'
    ? toCommit(parseCommitRef(commit, { defaultBranch: DEFAULT_BRANCH }))
    : commit;
}

export function toFileMessage(file: FileInput): DeepPartial<File> {
  return typeof file === 'string' ? toFile(parseFileRef(file, { defaultBranch: DEFAULT_BRANCH })) : file;
}

/** Splits a source into Buffers of at most `WRITE_CHUNK_BYTES`, without copying bytes. */
export async function* chunked(
  source: ByteSource,
  max = WRITE_CHUNK_BYTES,
): AsyncGenerator<Buffer, void, undefined> {
  const pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array> =
    source instanceof Uint8Array ? [source] : source;
  for await (const piece of pieces) {
    for (let offset = 0; offset < piece.byteLength; offset += max) {
      const end = Math.min(piece.byteLength, offset + max);
      yield Buffer.from(piece.buffer, piece.byteOffset + offset, end - offset);
    }
  }
}

async function* modifyRequests(
  commit: CommitInput,
  operations: AsyncIterable<FileOperation> | Iterable<FileOperation>,
): AsyncGenerator<DeepPartial<ModifyFileRequest>, void, undefined> {
  yield { body: { $case: 'setCommit', value: toCommitMessage(commit) } };
  for await (const operation of operations) {
    switch (operation.op) {
      case 'put': {
        const putFile = {
          path: operation.path,
          append: operation.append ?? false,
          metadata: operation.metadata ?? {},
        };
        yield { body: { $case: 'putFile', value: putFile } };
        for await (const data of chunked(operation.source)) yield { body: { $case: 'data', value: data } };
        break;
      }
      case 'delete':
        yield { body: { $case: 'deleteFile', value: { path: operation.path } } };
        break;
      case 'copy':
        yield {
          body: {
            $case: 'copyFile',
            value: {
              dst: operation.dst,
              src: toFileMessage(operation.src),
              append: operation.append ?? false,
            },
          },
        };
        break;
    }
  }
}

export function pfsHelpers(stub: ServiceStub<PfsService>): PfsHelpers {
  return {
    modify: (commit, operations, options) => stub.modifyFile(modifyRequests(commit, operations), options),
    putFile: (commit, path, source, options = {}) => {
      const { append, metadata, ...rpc } = options;
      const operation: FileOperation = {
        op: 'put',
        path,
        source,
        append: append ?? false,
        metadata: metadata ?? {},
      };
      return stub.modifyFile(modifyRequests(commit, [operation]), rpc);
    },
    readFile: async function* (file, options = {}) {
      const { offset, length, ...rpc } = options;
      const request = { file: toFileMessage(file), offset: BigInt(offset ?? 0), length: BigInt(length ?? 0) };
      for await (const response of stub.getFile(request, rpc) as AsyncGenerator<
        GetFileResponse,
        void,
        undefined
      >) {
        yield response.data;
      }
    },
  };
}
