/**
 * pfs: the versioned file store — repos, branches, commits with global IDs, files, file sets.
 *
 * @example
 * ```ts
 * import { startPfs } from './services/pfs/index.ts';
 *
 * const server = new GrpcServer({ logger });
 * const pfs = await startPfs({}, { kv, objects, server, logger });  // registers terrain.pfs.v1.Pfs
 * await server.listen('127.0.0.1:1650');
 * const commit = await pfs.commits.start({ repo: 'images', branch: 'master' });
 * ```
 * Run alone with `node services/pfs/main.ts` (flags and TERRAIN_* variables: see platform/config.ts).
 */
export { startPfs, PFS_SERVICE_NAME, type PfsConfig, type PfsDeps, type RunningPfs } from './service.ts';
export type { CommitAccess, CommitRef } from './commit-access.ts';
export {
  repoName,
  branchName,
  commitId,
  newCommitId,
  type RepoName,
  type BranchName,
  type CommitId,
} from './names.ts';
