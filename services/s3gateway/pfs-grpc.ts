/**
 * PfsForS3 over pfs's gRPC API (the generated client, wrapped by clients/ts's promise stubs, which
 * give every call an AbortSignal, backpressure on streams and typed Terrain errors).
 *
 *   const pfs = connectPfsForS3('127.0.0.1:1650');
 *   const gateway = await startS3Gateway(config, { pfs, logger });
 *
 * Bytes stream through ModifyFile / GetFile in messages of at most 1 MiB; nothing is collected in
 * memory. See pfs-port.ts for the error and concurrency contract.
 */
import { Client, credentials } from '@grpc/grpc-js';
import { PFS_MESSAGE_MODULES } from '../../clients/ts/client.ts';
import { chunked } from '../../clients/ts/pfs.ts';
import { makeStub, type DeepPartial, type ServiceStub } from '../../clients/ts/rpc.ts';
import { CommitState, type CommitInfo } from '../../proto/gen/terrain/pfs/v1/commit.ts';
import {
  FileChange,
  FileType,
  type FileInfo,
  type ModifyFileRequest,
} from '../../proto/gen/terrain/pfs/v1/file.ts';
import type { CreateFileSetRequest, FileSetInfo } from '../../proto/gen/terrain/pfs/v1/file_set.ts';
import { PfsService } from '../../proto/gen/terrain/pfs/v1/pfs.ts';
import type { Commit, File } from '../../proto/gen/terrain/pfs/v1/refs.ts';
import { RepoType, type RepoInfo } from '../../proto/gen/terrain/pfs/v1/repo.ts';
import { isErrorCode, TerrainError } from '../platform/errors.ts';
import type {
  BranchEntry,
  CommitEntry,
  CommitRef,
  DiffEntry,
  FileEntry,
  FileSetHandle,
  FileSource,
  PfsForS3,
  RepoEntry,
  SignalOptions,
  WriteOp,
} from './pfs-port.ts';

export type PfsStub = ServiceStub<PfsService>;

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Connects to pfs at `address` (host:port). `close()` ends the channel. */
export function connectPfsForS3(address: string): PfsForS3 & { close(): void } {
  const channel = new Client(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    // The gateway is a bulk client of pfs (see test/bench/pfs.ts): grpc-js's per-call retry buffer
    // copies its remainder for every sent message (pfs has no retry policy, so it buys nothing),
    // and the default 64 KiB HTTP/2 window makes GetFile wait for a WINDOW_UPDATE every 64 KiB.
    'grpc.per_rpc_retry_buffer_size': 0,
    'grpc-node.flow_control_window': 16 * 1024 * 1024,
  });
  const stub = makeStub(PfsService, PFS_MESSAGE_MODULES, { channel, service: 'pfs', address });
  return Object.assign(pfsForS3OverGrpc(stub), { close: () => channel.close() });
}

function toCommit(ref: CommitRef): DeepPartial<Commit> {
  return { repo: { name: ref.repo }, id: ref.id ?? '', branch: ref.branch ?? '' };
}

function toFile(src: FileSource, path: string): DeepPartial<File> {
  return src.fileSetId !== undefined
    ? { fileSetId: src.fileSetId, path }
    : { commit: toCommit(src.commit), path };
}

function repoEntry(info: RepoInfo): RepoEntry {
  return {
    name: info.repo?.name ?? '',
    created: info.created ?? new Date(0),
    branches: info.branches.map((b) => b.name).sort(),
    type: info.type === RepoType.PIPELINE ? 'pipeline' : 'user',
  };
}

function commitEntry(info: CommitInfo): CommitEntry {
  const state =
    info.state === CommitState.FINISHED
      ? 'finished'
      : info.state === CommitState.FINISHING
        ? 'finishing'
        : 'started';
  return {
    repo: info.commit?.repo?.name ?? '',
    id: info.commit?.id ?? '',
    branch: info.commit?.branch ?? '',
    parent: info.parentCommit?.id || undefined,
    state,
    started: info.started ?? new Date(0),
    finished: info.finished,
    error: info.error,
  };
}

function fileEntry(info: FileInfo): FileEntry {
  return {
    path: info.file?.path ?? '',
    kind: info.fileType === FileType.DIR ? 'dir' : 'file',
    size: Number(info.sizeBytes),
    hash: info.hash,
    committed: info.committed ?? new Date(0),
    metadata: info.metadata,
    commitId: info.file?.commit?.id ?? '',
  };
}

function fileSetHandle(info: FileSetInfo | undefined): FileSetHandle {
  return { id: info?.fileSetId ?? '', expires: info?.expires ?? new Date(0) };
}

function ttl(ms: number): { seconds: bigint; nanos: number } {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return { seconds: BigInt(seconds), nanos: 0 };
}

/** Missing directories list as empty (S3 has no directories to be missing). */
async function* emptyWhenMissing<T>(
  source: AsyncGenerator<T, void, undefined>,
): AsyncGenerator<T, void, undefined> {
  try {
    yield* source;
  } catch (err) {
    if (!isErrorCode(err, 'not_found')) throw err;
  }
}

/**
 * Joins the small pieces a socket hands over (~64 KiB) into messages of about 1 MiB: per-message
 * costs in grpc-js and in pfs dominate a bulk put made of 64 KiB messages. Holds at most one
 * message's worth of bytes.
 */
async function* coalesced(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  target = 1024 * 1024,
): AsyncGenerator<Uint8Array, void, undefined> {
  let pending: Uint8Array[] = [];
  let bytes = 0;
  for await (const piece of source) {
    if (bytes === 0 && piece.byteLength >= target) {
      yield piece;
      continue;
    }
    pending.push(piece);
    bytes += piece.byteLength;
    if (bytes >= target) {
      yield Buffer.concat(pending, bytes);
      pending = [];
      bytes = 0;
    }
  }
  if (bytes > 0) yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, bytes);
}

type Body<R> = R extends { body?: infer B } ? DeepPartial<NonNullable<B>> : never;

async function* writeBodies(
  ops: AsyncIterable<WriteOp> | Iterable<WriteOp>,
): AsyncGenerator<Body<ModifyFileRequest> & Body<CreateFileSetRequest>, void, undefined> {
  for await (const op of ops) {
    switch (op.op) {
      case 'put':
        yield {
          $case: 'putFile',
          value: {
            path: op.path,
            append: op.append ?? false,
            metadata: op.metadata,
            ifNotExists: op.ifNotExists ?? false,
          },
        };
        for await (const data of chunked(coalesced(op.data))) yield { $case: 'data', value: data };
        break;
      case 'delete':
        yield { $case: 'deleteFile', value: { path: op.path } };
        break;
      case 'copy':
        yield {
          $case: 'copyFile',
          value: { dst: op.dst, src: toFile(op.src, op.src.path), append: op.append ?? false },
        };
        break;
    }
  }
}

export function pfsForS3OverGrpc(pfs: PfsStub): PfsForS3 {
  return {
    listRepos: async function* (options: SignalOptions = {}) {
      for await (const info of pfs.listRepo({}, { signal: options.signal })) yield repoEntry(info);
    },
    inspectRepo: async (name, options = {}) =>
      repoEntry(await pfs.inspectRepo({ repo: { name } }, { signal: options.signal })),
    createRepo: async (name, options = {}) => {
      await pfs.createRepo({ repo: { name } }, { signal: options.signal });
    },
    deleteRepo: async (name, options = {}) => {
      await pfs.deleteRepo({ repo: { name } }, { signal: options.signal });
    },
    listBranches: async function* (options: SignalOptions = {}) {
      for await (const info of pfs.listBranch({}, { signal: options.signal })) {
        yield {
          repo: info.branch?.repo?.name ?? '',
          name: info.branch?.name ?? '',
          head: info.head?.id || undefined,
        };
      }
    },
    inspectBranch: async (repo, branch, options = {}): Promise<BranchEntry> => {
      const info = await pfs.inspectBranch(
        { branch: { repo: { name: repo }, name: branch } },
        { signal: options.signal },
      );
      return { repo, name: branch, head: info.head?.id || undefined };
    },
    createBranch: async (repo, branch, options = {}) => {
      await pfs.createBranch({ branch: { repo: { name: repo }, name: branch } }, { signal: options.signal });
    },
    deleteBranch: async (repo, branch, options = {}) => {
      await pfs.deleteBranch({ branch: { repo: { name: repo }, name: branch } }, { signal: options.signal });
    },
    inspectCommit: async (ref, options = {}) =>
      commitEntry(await pfs.inspectCommit({ commit: toCommit(ref) }, { signal: options.signal })),
    listCommits: async function* (to, options: SignalOptions = {}) {
      for await (const info of pfs.listCommit(
        { repo: { name: to.repo }, to: toCommit(to) },
        { signal: options.signal },
      ))
        yield commitEntry(info);
    },

    inspectFile: async (src, path, options = {}) =>
      fileEntry(await pfs.inspectFile({ file: toFile(src, path) }, { signal: options.signal })),
    readFile: async function* (src, path, range, options: SignalOptions = {}) {
      const request = { file: toFile(src, path), offset: BigInt(range.offset), length: BigInt(range.length) };
      for await (const response of pfs.getFile(request, { signal: options.signal })) yield response.data;
    },
    walkFiles: async function* (commit, dir, options: SignalOptions & { after?: string | undefined } = {}) {
      const request = { file: toFile({ commit }, dir), filesOnly: true, pageToken: options.after ?? '' };
      for await (const info of emptyWhenMissing(pfs.walkFile(request, { signal: options.signal }))) {
        if (info.fileType === FileType.FILE) yield fileEntry(info);
      }
    },
    listDir: async function* (commit, dir, options: SignalOptions & { after?: string | undefined } = {}) {
      const request = { file: toFile({ commit }, dir), pageToken: options.after ?? '' };
      for await (const info of emptyWhenMissing(pfs.listFile(request, { signal: options.signal }))) {
        const entry = fileEntry(info);
        // Listing a path that is a file returns the file itself, not a directory level.
        if (entry.kind === 'file' && !entry.path.startsWith(dir)) return;
        yield entry;
      }
    },
    diffWithParent: async function* (commit, path, options: SignalOptions = {}) {
      const request = { newFile: toFile({ commit }, path) };
      for await (const d of emptyWhenMissing(pfs.diffFile(request, { signal: options.signal }))) {
        const change =
          d.change === FileChange.ADDED ? 'added' : d.change === FileChange.DELETED ? 'deleted' : 'changed';
        const newFile = d.newFile ? fileEntry(d.newFile) : undefined;
        const oldFile = d.oldFile ? fileEntry(d.oldFile) : undefined;
        const entry: DiffEntry = { change, path: (newFile ?? oldFile)?.path ?? '', newFile, oldFile };
        yield entry;
      }
    },

    modify: async (commit, ops, options = {}) => {
      const requests = (async function* () {
        yield { body: { $case: 'setCommit' as const, value: toCommit(commit) } };
        for await (const body of writeBodies(ops)) yield { body };
      })();
      const response = await pfs.modifyFile(requests as AsyncIterable<DeepPartial<ModifyFileRequest>>, {
        signal: options.signal,
      });
      const written = response.commit;
      if (!written) throw new TerrainError('pfs', 'internal', 'ModifyFile answered without a commit');
      // A commit made for this stream is FINISHING now: wait until it is readable, and surface a
      // failed finish. A commit that was already open (STARTED, someone else's) stays open.
      const info = await pfs.inspectCommit({ commit: written }, { signal: options.signal });
      if (info.state === CommitState.STARTED) return { commitId: written.id };
      const finished = await pfs.inspectCommit(
        { commit: written, wait: CommitState.FINISHED },
        { signal: options.signal },
      );
      if (finished.error)
        throw new TerrainError(
          'pfs',
          'failed_precondition',
          `commit ${written.repo?.name ?? ''}@${written.id} finished with an error: ${finished.error}`,
        );
      return { commitId: written.id };
    },
    createFileSet: async (ops, ttlMs, options = {}) => {
      const requests = (async function* () {
        for await (const body of writeBodies(ops)) yield { body };
      })();
      const response = await pfs.createFileSet(requests as AsyncIterable<DeepPartial<CreateFileSetRequest>>, {
        signal: options.signal,
      });
      const handle = fileSetHandle(response.fileSet);
      // CreateFileSet gives the default TTL; ask for the one the caller needs.
      return (
        fileSetHandle(
          (await pfs.renewFileSet({ fileSetId: handle.id, ttl: ttl(ttlMs) }, { signal: options.signal }))
            .fileSet,
        ) ?? handle
      );
    },
    renewFileSet: async (id, ttlMs, options = {}) =>
      fileSetHandle(
        (await pfs.renewFileSet({ fileSetId: id, ttl: ttl(ttlMs) }, { signal: options.signal })).fileSet,
      ),
  };
}
