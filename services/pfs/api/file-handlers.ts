/**
 * gRPC handlers of the file RPCs (ModifyFile, GetFile, InspectFile, ListFile, WalkFile, GlobFile,
 * DiffFile): convert the request (convert-files.ts), call `Files`, convert the result. Errors are
 * translated to gRPC statuses by the platform adapters; every call's AbortSignal goes down to etcd
 * and the object store.
 *
 *   const server = { ...repoHandlers(deps), ...fileHandlers({ files, logger }), … } satisfies PfsServer;
 */
import type { Logger } from 'pino';
import type { GetFileResponse } from '../../../proto/gen/terrain/pfs/v1/file.ts';
import type { PfsServer } from '../../../proto/gen/terrain/pfs/v1/pfs.ts';
import { clientStream, serverStream, unary } from '../../platform/grpc-handlers.ts';
import type { Files } from '../files.ts';
import {
  fileDiffToProto,
  fileInfoToProto,
  fileRefFromProto,
  globSourceFromProto,
  modifyResultToProto,
  nonNegative,
  optionalFileRefFromProto,
  readModifyFileRequests,
  splitBytes,
} from './convert-files.ts';

/** GetFile sends at most this many bytes per message (well under gRPC's 4 MiB default). */
export const GET_FILE_MESSAGE_BYTES = 1024 * 1024;

export interface FileHandlerDeps {
  files: Files;
  logger: Logger;
}

export type FileHandlers = Pick<
  PfsServer,
  'modifyFile' | 'getFile' | 'inspectFile' | 'listFile' | 'walkFile' | 'globFile' | 'diffFile'
>;

export function fileHandlers(deps: FileHandlerDeps): FileHandlers {
  const { files, logger } = deps;
  return {
    modifyFile: clientStream(logger, 'ModifyFile', async (requests, ctx) => {
      const { target, ops } = await readModifyFileRequests(requests);
      return modifyResultToProto(await files.modifyFile(target, ops, { signal: ctx.signal }));
    }),

    getFile: serverStream(logger, 'GetFile', async function* (req, ctx): AsyncGenerator<GetFileResponse> {
      const ref = fileRefFromProto(req.file, 'file');
      const offset = nonNegative(req.offset, 'offset');
      const length = nonNegative(req.length, 'length');
      for await (const bytes of files.getFile(ref, { offset, length, signal: ctx.signal })) {
        for (const data of splitBytes(bytes, GET_FILE_MESSAGE_BYTES)) yield { data };
      }
    }),

    inspectFile: unary(logger, 'InspectFile', async (req, ctx) =>
      fileInfoToProto(await files.inspectFile(fileRefFromProto(req.file, 'file'), { signal: ctx.signal })),
    ),

    listFile: serverStream(logger, 'ListFile', async function* (req, ctx) {
      const ref = fileRefFromProto(req.file, 'file');
      for await (const info of files.listFile(ref, {
        pageSize: req.pageSize,
        pageToken: req.pageToken,
        signal: ctx.signal,
      }))
        yield fileInfoToProto(info);
    }),

    walkFile: serverStream(logger, 'WalkFile', async function* (req, ctx) {
      const ref = fileRefFromProto(req.file, 'file');
      for await (const info of files.walkFile(ref, {
        pageSize: req.pageSize,
        pageToken: req.pageToken,
        filesOnly: req.filesOnly,
        signal: ctx.signal,
      })) {
        yield fileInfoToProto(info);
      }
    }),

    globFile: serverStream(logger, 'GlobFile', async function* (req, ctx) {
      const source = globSourceFromProto(req);
      for await (const info of files.globFile(source, req.pattern, { signal: ctx.signal }))
        yield fileInfoToProto(info);
    }),

    diffFile: serverStream(logger, 'DiffFile', async function* (req, ctx) {
      const newRef = fileRefFromProto(req.newFile, 'new_file');
      const oldRef = optionalFileRefFromProto(req.oldFile, 'old_file');
      for await (const d of files.diffFile(newRef, oldRef, { signal: ctx.signal })) yield fileDiffToProto(d);
    }),
  };
}
