/**
 * gRPC handlers of the file-set RPCs (CreateFileSet, RegisterFileSet, AddFileSet, RenewFileSet,
 * GetFileSet, ComposeFileSet) over `FileSets`. Conversion in convert-files.ts.
 *
 *   const server = { ...fileSetHandlers({ fileSets, logger }), … } satisfies PfsServer;
 */
import type { Logger } from 'pino';
import type { PfsServer } from '../../../proto/gen/terrain/pfs/v1/pfs.ts';
import { clientStream, unary } from '../../platform/grpc-handlers.ts';
import type { FileSets } from '../file-sets.ts';
import {
  commitRefFromProto,
  commitToProto,
  createFileSetOps,
  durationToMs,
  fileSetInfoToProto,
} from './convert-files.ts';

export interface FileSetHandlerDeps {
  fileSets: FileSets;
  logger: Logger;
}

export type FileSetHandlers = Pick<
  PfsServer,
  'createFileSet' | 'registerFileSet' | 'addFileSet' | 'renewFileSet' | 'getFileSet' | 'composeFileSet'
>;

export function fileSetHandlers(deps: FileSetHandlerDeps): FileSetHandlers {
  const { fileSets, logger } = deps;
  return {
    createFileSet: clientStream(logger, 'CreateFileSet', async (requests, ctx) => ({
      fileSet: fileSetInfoToProto(await fileSets.create(createFileSetOps(requests), { signal: ctx.signal })),
    })),

    registerFileSet: unary(logger, 'RegisterFileSet', async (req, ctx) => ({
      fileSet: fileSetInfoToProto(
        await fileSets.register(req.layers, { ttlMs: durationToMs(req.ttl, 'ttl'), signal: ctx.signal }),
      ),
    })),

    addFileSet: unary(logger, 'AddFileSet', async (req, ctx) => ({
      commit: commitToProto(
        await fileSets.add(commitRefFromProto(req.commit, 'commit'), req.fileSetId, { signal: ctx.signal }),
      ),
    })),

    renewFileSet: unary(logger, 'RenewFileSet', async (req, ctx) => ({
      fileSet: fileSetInfoToProto(
        await fileSets.renew(req.fileSetId, { ttlMs: durationToMs(req.ttl, 'ttl'), signal: ctx.signal }),
      ),
    })),

    getFileSet: unary(logger, 'GetFileSet', async (req, ctx) => {
      const { handle } = await fileSets.getForCommit(commitRefFromProto(req.commit, 'commit'), {
        ttlMs: durationToMs(req.ttl, 'ttl'),
        signal: ctx.signal,
      });
      return { fileSet: fileSetInfoToProto(handle) };
    }),

    composeFileSet: unary(logger, 'ComposeFileSet', async (req, ctx) => ({
      fileSet: fileSetInfoToProto(
        await fileSets.compose(req.fileSetIds, { ttlMs: durationToMs(req.ttl, 'ttl'), signal: ctx.signal }),
      ),
    })),
  };
}
