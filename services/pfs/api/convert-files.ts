/**
 * Proto ↔ domain conversion for the file, file-set and GC RPCs: the only place where the file
 * layer's handlers touch generated types. Requests become domain calls' arguments (validated
 * shapes, numbers instead of int64, ms instead of Durations); domain results become responses.
 *
 * Every function throws INVALID_ARGUMENT naming the field for a request that cannot be converted
 * (a missing commit, both or neither of commit and file_set_id, a negative int64, a stream that does
 * not start with set_commit, a `data` message without a file to continue).
 */
import { toCommit } from './convert.ts';
import type { Duration } from '../../../proto/gen/google/protobuf/duration.ts';
import type { CreateFileSetRequest, FileSetInfo } from '../../../proto/gen/terrain/pfs/v1/file_set.ts';
import {
  FileChange,
  FileType,
  type CopyFile,
  type DeleteFile,
  type DiffFileResponse,
  type FileInfo as FileInfoProto,
  type GlobFileRequest,
  type ModifyFileRequest,
  type ModifyFileResponse,
  type PutFile,
} from '../../../proto/gen/terrain/pfs/v1/file.ts';
import type { RunGCResponse } from '../../../proto/gen/terrain/pfs/v1/gc.ts';
import type { Commit, File } from '../../../proto/gen/terrain/pfs/v1/refs.ts';
import type { CommitRecord, CommitRef } from '../commit-access.ts';
import { pfsErrors } from '../errors.ts';
import { layerKey, type FileSetHandle } from '../file-sets.ts';
import type {
  FileDiff,
  FileInfo,
  FileRef,
  FileSource,
  ModifyOp,
  ModifyResult,
  ResolvedSource,
} from '../files.ts';
import type { GcReport } from '../gc.ts';

// -----------------------------------------------------------------------------------------------
// Requests

/** A commit reference as sent. @throws INVALID_ARGUMENT when missing or without a repo. */
export function commitRefFromProto(commit: Commit | undefined, field: string): CommitRef {
  if (!commit) throw pfsErrors.invalidArgument(`${field} is required`, { details: { field } });
  const repo = commit.repo?.name ?? '';
  if (!repo) throw pfsErrors.invalidArgument(`${field}.repo.name is required`, { details: { field } });
  return {
    repo,
    ...(commit.branch ? { branch: commit.branch } : {}),
    ...(commit.id ? { id: commit.id } : {}),
    ...(commit.ancestors ? { ancestors: commit.ancestors } : {}),
  };
}

function sourceFromProto(commit: Commit | undefined, fileSetId: string, field: string): FileSource {
  if (commit && fileSetId)
    throw pfsErrors.invalidArgument(`${field}: set either a commit or a file_set_id, not both`, {
      details: { field },
    });
  if (fileSetId) return { kind: 'fileSet', id: fileSetId };
  if (!commit)
    throw pfsErrors.invalidArgument(`${field}: a commit or a file_set_id is required`, {
      details: { field },
    });
  return { kind: 'commit', ref: commitRefFromProto(commit, `${field}.commit`) };
}

/** A File (commit or handle + path). */
export function fileRefFromProto(file: File | undefined, field: string): FileRef {
  if (!file) throw pfsErrors.invalidArgument(`${field} is required`, { details: { field } });
  return { source: sourceFromProto(file.commit, file.fileSetId, field), path: file.path };
}

/** The old side of a DiffFile: unset (or entirely empty) means "the parent commit". */
export function optionalFileRefFromProto(file: File | undefined, field: string): FileRef | undefined {
  if (!file || (!file.commit && !file.fileSetId && !file.path)) return undefined;
  return fileRefFromProto(file, field);
}

export function globSourceFromProto(req: GlobFileRequest): FileSource {
  return sourceFromProto(req.commit, req.fileSetId, 'glob');
}

/** An int64 that must be a non-negative safe integer. */
export function nonNegative(value: bigint, field: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw pfsErrors.invalidArgument(`invalid ${field} ${value}: must be between 0 and 2^53`, {
      details: { [field]: value.toString() },
    });
  }
  return Number(value);
}

/** A Duration in ms; undefined when unset or zero (callers apply their default). */
export function durationToMs(d: Duration | undefined, field: string): number | undefined {
  if (!d) return undefined;
  const ms = Number(d.seconds) * 1000 + Math.trunc(d.nanos / 1e6);
  if (d.seconds < 0n || d.nanos < 0 || !Number.isFinite(ms)) {
    throw pfsErrors.invalidArgument(`invalid ${field} ${d.seconds}s ${d.nanos}ns: must not be negative`, {
      details: { field },
    });
  }
  return ms;
}

type OpBody =
  | { $case: 'putFile'; value: PutFile }
  | { $case: 'data'; value: Buffer }
  | { $case: 'deleteFile'; value: DeleteFile }
  | { $case: 'copyFile'; value: CopyFile }
  | { $case: 'setCommit'; value: Commit };

/**
 * Splits a ModifyFile stream into its target (the first message, set_commit) and the operations
 * that follow. Reads only the first message now; the rest is read as the operations are consumed.
 */
export async function readModifyFileRequests(
  requests: AsyncIterable<ModifyFileRequest>,
): Promise<{ target: CommitRef; ops: AsyncIterable<ModifyOp> }> {
  // The request stream is read with next() only, never return(): ending a grpc-js call's readable
  // side early would tear the call down before the handler can answer with the real error.
  const it = requests[Symbol.asyncIterator]();
  const first = await it.next();
  const body = first.done ? undefined : first.value.body;
  if (!body || body.$case !== 'setCommit') {
    throw pfsErrors.invalidArgument(
      `a ModifyFile stream must start with set_commit (got ${first.done ? 'an empty stream' : (body?.$case ?? 'an empty message')})`,
    );
  }
  const target = commitRefFromProto(body.value, 'set_commit');
  return { target, ops: opsFromBodies(async () => nextBody(it)) };
}

/** The operations of a CreateFileSet stream. */
export function createFileSetOps(requests: AsyncIterable<CreateFileSetRequest>): AsyncIterable<ModifyOp> {
  const it = requests[Symbol.asyncIterator]();
  return opsFromBodies(async () => nextBody(it));
}

async function nextBody(it: AsyncIterator<{ body?: OpBody | undefined }>): Promise<OpBody | undefined> {
  const r = await it.next();
  if (r.done) return undefined;
  if (!r.value.body)
    throw pfsErrors.invalidArgument(
      'empty message in a file-operation stream: set one of put_file, data, delete_file, copy_file',
    );
  return r.value.body;
}

async function* opsFromBodies(next: () => Promise<OpBody | undefined>): AsyncGenerator<ModifyOp> {
  let lookahead: OpBody | undefined;
  const take = async (): Promise<OpBody | undefined> => {
    if (lookahead) {
      const b = lookahead;
      lookahead = undefined;
      return b;
    }
    return await next();
  };
  for (;;) {
    const body = await take();
    if (!body) return;
    switch (body.$case) {
      case 'putFile': {
        const p = body.value;
        // The file's bytes: the inline first piece, then `data` messages until the next operation
        // (which is pushed back for the outer loop).
        const data = (async function* (): AsyncGenerator<Uint8Array> {
          if (p.data.length > 0) yield p.data;
          for (;;) {
            const b = await take();
            if (!b) return;
            if (b.$case !== 'data') {
              lookahead = b;
              return;
            }
            if (b.value.length > 0) yield b.value;
          }
        })();
        yield {
          op: 'put',
          path: p.path,
          data,
          append: p.append,
          ...(p.datum ? { datum: p.datum } : {}),
          ...(Object.keys(p.metadata).length > 0 ? { metadata: p.metadata } : {}),
          ...(p.ifNotExists ? { ifNotExists: true } : {}),
        };
        // A consumer that stopped reading the body early (it should not) must not see its rest as
        // operations.
        for await (const _ of data) {
          // drain
        }
        break;
      }
      case 'data':
        throw pfsErrors.invalidArgument(
          'a data message must follow put_file (or another data message): there is no file to continue',
        );
      case 'deleteFile':
        yield {
          op: 'delete',
          path: body.value.path,
          ...(body.value.datum ? { datum: body.value.datum } : {}),
        };
        break;
      case 'copyFile': {
        const c = body.value;
        yield {
          op: 'copy',
          src: fileRefFromProto(c.src, 'copy_file.src'),
          dst: c.dst,
          append: c.append,
          ...(c.datum ? { datum: c.datum } : {}),
        };
        break;
      }
      case 'setCommit':
        throw pfsErrors.invalidArgument('set_commit may only be the first message of a ModifyFile stream');
      default:
        throw pfsErrors.invalidArgument(
          `unknown file operation ${JSON.stringify((body as { $case?: unknown }).$case)}`,
        );
    }
  }
}

// -----------------------------------------------------------------------------------------------
// Responses

/** A resolved commit: every field set, ancestors 0. */
export function commitToProto(c: CommitRecord): Commit {
  return toCommit(c.repo, c.id, c.branch);
}

function fileToProto(source: ResolvedSource, path: string): File {
  return source.kind === 'commit'
    ? { commit: commitToProto(source.commit), path, fileSetId: '' }
    : { commit: undefined, path, fileSetId: source.id };
}

export function fileInfoToProto(info: FileInfo): FileInfoProto {
  return {
    file: fileToProto(info.source, info.path),
    fileType: info.type === 'dir' ? FileType.DIR : FileType.FILE,
    sizeBytes: BigInt(info.sizeBytes),
    hash: info.hash,
    committed: info.committed,
    datum: info.datum,
    metadata: { ...info.metadata },
  };
}

export function fileDiffToProto(d: FileDiff): DiffFileResponse {
  const change =
    d.change === 'added'
      ? FileChange.ADDED
      : d.change === 'changed'
        ? FileChange.CHANGED
        : FileChange.DELETED;
  return {
    change,
    newFile: d.newFile ? fileInfoToProto(d.newFile) : undefined,
    oldFile: d.oldFile ? fileInfoToProto(d.oldFile) : undefined,
  };
}

export function modifyResultToProto(r: ModifyResult): ModifyFileResponse {
  return {
    commit: commitToProto(r.commit),
    filesWritten: BigInt(r.filesWritten),
    bytesWritten: BigInt(r.bytesWritten),
  };
}

/** A handle as clients see it: layers are object-store keys (`index/<sha256>`). */
export function fileSetInfoToProto(h: FileSetHandle): FileSetInfo {
  return { fileSetId: h.id, layers: h.layers.map(layerKey), expires: h.expires };
}

export function msToDuration(ms: number): Duration {
  const whole = Math.floor(ms / 1000);
  return { seconds: BigInt(whole), nanos: Math.round((ms - whole * 1000) * 1e6) };
}

export function gcReportToProto(r: GcReport): RunGCResponse {
  return {
    objectsScanned: BigInt(r.objectsScanned),
    objectsReachable: BigInt(r.objectsReachable),
    objectsDeleted: BigInt(r.objectsDeleted),
    bytesFreed: BigInt(r.bytesFreed),
    duration: msToDuration(r.durationMs),
  };
}

/** Splits byte pieces into messages of at most `max` bytes, without copying. */
export function* splitBytes(bytes: Uint8Array, max: number): Generator<Buffer> {
  for (let off = 0; off < bytes.length; off += max) {
    yield Buffer.from(bytes.buffer, bytes.byteOffset + off, Math.min(max, bytes.length - off));
  }
}
