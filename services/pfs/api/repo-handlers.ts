/** gRPC handlers for repos and branches. */
import type { Logger } from 'pino';
import type { PfsServer } from '../../../proto/gen/terrain/pfs/v1/pfs.ts';
import { serverStream, unary } from '../../platform/grpc-handlers.ts';
import type { Branches } from '../branches.ts';
import type { Repos } from '../repos.ts';
import { branchFrom, repoNameFrom, toBranchInfo, toRepoInfo } from './convert.ts';
import { commitRefFromProto } from './convert-files.ts';

type RepoMethods = 'createRepo' | 'inspectRepo' | 'listRepo' | 'deleteRepo';
type BranchMethods = 'createBranch' | 'inspectBranch' | 'listBranch' | 'deleteBranch';

export function repoHandlers(deps: { repos: Repos; logger: Logger }): Pick<PfsServer, RepoMethods> {
  const { repos, logger } = deps;
  return {
    createRepo: unary(logger, 'CreateRepo', async (req, { signal }) => {
      const record = await repos.create(repoNameFrom(req.repo), {
        signal,
        description: req.description,
        update: req.update,
        type: req.type,
        pipeline: req.pipeline,
      });
      return { repoInfo: toRepoInfo(record) };
    }),
    inspectRepo: unary(logger, 'InspectRepo', async (req, { signal }) => {
      const { repo, branches, sizeBytes } = await repos.inspect(repoNameFrom(req.repo), { signal });
      return toRepoInfo(repo, branches, sizeBytes);
    }),
    listRepo: serverStream(logger, 'ListRepo', async function* (req, { signal }) {
      for await (const r of repos.list({ signal, ...(req.type ? { type: req.type } : {}) }))
        yield toRepoInfo(r);
    }),
    deleteRepo: unary(logger, 'DeleteRepo', async (req, { signal }) => {
      return { deleted: await repos.delete(repoNameFrom(req.repo), { signal, force: req.force }) };
    }),
  };
}

export function branchHandlers(deps: { branches: Branches; logger: Logger }): Pick<PfsServer, BranchMethods> {
  const { branches, logger } = deps;
  return {
    createBranch: unary(logger, 'CreateBranch', async (req, { signal }) => {
      const { repo, name } = branchFrom(req.branch);
      const info = await branches.create(repo, name, {
        signal,
        ...(req.head
          ? { head: commitRefFromProto({ ...req.head, repo: req.head.repo ?? { name: repo } }, 'head') }
          : {}),
        provenance: req.provenance.map(branchFrom),
      });
      return { branchInfo: toBranchInfo(info) };
    }),
    inspectBranch: unary(logger, 'InspectBranch', async (req, { signal }) => {
      const { repo, name } = branchFrom(req.branch);
      return toBranchInfo(await branches.inspect(repo, name, { signal }));
    }),
    listBranch: serverStream(logger, 'ListBranch', async function* (req, { signal }) {
      for await (const b of branches.list(req.repo?.name || undefined, { signal })) yield toBranchInfo(b);
    }),
    deleteBranch: unary(logger, 'DeleteBranch', async (req, { signal }) => {
      const { repo, name } = branchFrom(req.branch);
      await branches.delete(repo, name, { signal, force: req.force });
      return { deleted: true };
    }),
  };
}
