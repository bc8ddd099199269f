/** gRPC handlers for commits and commit sets. */
import type { Logger } from 'pino';
import type { PfsServer } from '../../../proto/gen/terrain/pfs/v1/pfs.ts';
import { serverStream, unary } from '../../platform/grpc-handlers.ts';
import type { CommitSets } from '../commit-sets.ts';
import type { Commits } from '../commits.ts';
import { pfsErrors } from '../errors.ts';
import { branchFrom, msToDate, repoNameFrom, toCommit, toCommitInfo } from './convert.ts';
import { commitRefFromProto } from './convert-files.ts';

type CommitMethods =
  | 'startCommit'
  | 'finishCommit'
  | 'inspectCommit'
  | 'listCommit'
  | 'subscribeCommit'
  | 'squashCommit'
  | 'dropCommit'
  | 'inspectCommitSet'
  | 'listCommitSet';

export function commitHandlers(deps: {
  commits: Commits;
  commitSets: CommitSets;
  logger: Logger;
}): Pick<PfsServer, CommitMethods> {
  const { commits, commitSets, logger } = deps;
  return {
    startCommit: unary(logger, 'StartCommit', async (req, { signal }) => {
      const { repo, name } = branchFrom(req.branch);
      const c = await commits.start({
        signal,
        repo,
        branch: name,
        ...(req.parent?.id ? { parent: req.parent.id } : {}),
        description: req.description,
        ...(req.expectedHead ? { expectedHead: req.expectedHead.id } : {}),
      });
      return { commit: toCommit(c.repo, c.id, c.branch) };
    }),
    finishCommit: unary(logger, 'FinishCommit', async (req, { signal }) => {
      const c = await commits.finish(commitRefFromProto(req.commit, 'commit'), {
        signal,
        ...(req.error ? { error: req.error } : {}),
        ...(req.description ? { description: req.description } : {}),
        force: req.force,
      });
      return { commit: toCommit(c.repo, c.id, c.branch) };
    }),
    inspectCommit: unary(logger, 'InspectCommit', async (req, { signal }) => {
      return toCommitInfo(
        await commits.inspect(commitRefFromProto(req.commit, 'commit'), {
          signal,
          ...(req.wait ? { wait: req.wait } : {}),
        }),
      );
    }),
    listCommit: serverStream(logger, 'ListCommit', async function* (req, { signal }) {
      const repo = repoNameFrom(req.repo);
      // `from` may be any ref (repo@branch, repo@id, repo@branch^N): resolve it to a commit first.
      const plainBranch =
        req.from && req.from.branch && !req.from.id && !req.from.ancestors ? req.from.branch : undefined;
      const from =
        !plainBranch && req.from && (req.from.id || req.from.branch)
          ? await commits.resolve(
              commitRefFromProto({ ...req.from, repo: req.from.repo ?? { name: repo } }, 'from'),
              { signal },
            )
          : undefined;
      const to =
        req.to && (req.to.id || req.to.branch)
          ? await commits.resolve(
              commitRefFromProto({ ...req.to, repo: req.to.repo ?? { name: repo } }, 'to'),
              { signal },
            )
          : undefined;
      for await (const c of commits.list(
        {
          repo,
          ...(plainBranch ? { branch: plainBranch } : {}),
          ...(from ? { from: from.id } : {}),
          ...(to ? { to: to.id } : {}),
          limit: Number(req.number),
        },
        { signal },
      )) {
        if (req.origin && c.origin !== req.origin) continue;
        if (req.startedBefore && Number(c.startedMs) >= req.startedBefore.getTime()) continue;
        yield toCommitInfo(c);
      }
    }),
    subscribeCommit: serverStream(logger, 'SubscribeCommit', async function* (req, { signal }) {
      for await (const c of commits.subscribe(
        {
          repo: repoNameFrom(req.repo),
          ...(req.branch ? { branch: req.branch } : {}),
          ...(req.from?.id ? { from: req.from.id } : {}),
          ...(req.state ? { state: req.state } : {}),
        },
        { signal },
      )) {
        if (req.origin && c.origin !== req.origin) continue;
        yield toCommitInfo(c);
      }
    }),
    squashCommit: unary(logger, 'SquashCommit', async (req, { signal }) => {
      const removed = await commits.squash(commitRefFromProto(req.commit, 'commit'), {
        signal,
        recursive: req.recursive,
      });
      return { squashed: removed.map((c) => toCommit(c.repo, c.id, c.branch)) };
    }),
    dropCommit: unary(logger, 'DropCommit', async (req, { signal }) => {
      const removed = await commits.drop(commitRefFromProto(req.commit, 'commit'), {
        signal,
        recursive: req.recursive,
      });
      return { dropped: removed.map((c) => toCommit(c.repo, c.id, c.branch)) };
    }),
    inspectCommitSet: serverStream(logger, 'InspectCommitSet', async function* (req, { signal }) {
      if (!req.commitSet?.id) throw pfsErrors.invalidArgument('commit set ID is missing');
      for await (const c of commitSets.inspect(req.commitSet.id, { signal, wait: req.wait }))
        yield toCommitInfo(c);
    }),
    listCommitSet: serverStream(logger, 'ListCommitSet', async function* (req, { signal }) {
      for await (const set of commitSets.list({
        signal,
        ...(req.repo?.name ? { repo: req.repo.name } : {}),
        limit: Number(req.number),
      })) {
        if (req.createdBefore && Number(set.createdMs) >= req.createdBefore.getTime()) continue;
        yield {
          commitSet: { id: set.id },
          commits: set.commits.map(toCommitInfo),
          created: msToDate(set.createdMs),
        };
      }
    }),
  };
}
