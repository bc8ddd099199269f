/**
 * The one place pfs's etcd records are laid out and (de)serialized.
 *
 * Key layout under the pfs namespace (every record small and bounded; anything that grows with the
 * number of commits or files is one key per item, never a list inside a record):
 *
 *   repos/<repo>                         RepoRecord
 *   branches/<repo>/<branch>             BranchRecord
 *   commits/<repo>/<id>                  CommitRecord
 *   children/<repo>/<parentId>/<childId> ''             (who to wake when a parent finishes)
 *   staged/<repo>/<id>/<ms>-<rand>       StagedRecord   (open commits' staged file sets, in order)
 *   finishing/<repo>/<id>                ''             (commits the finisher must complete)
 *   commitsets/<id>                      CommitSetRecord
 *   commitset-members/<id>/<repo>        ''
 *   commitset-times/<inverted ms>/<id>   ''             (ListCommitSet: key order is newest first)
 *   commit-times/<repo>/<inverted ms>/<id> ''           (ListCommit of a whole repo, newest first)
 *   provenant/<repo>/<id>/<repo2>/<id2>  ''             (repo2@id2 has repo@id in its direct provenance)
 *   deleting/<repo>                      ''             (a deleted repo whose keys are still being removed)
 *   filesets/<handle>                    FileSetRecord
 */
import {
  BranchRecord,
  CommitRecord,
  CommitSetRecord,
  RepoRecord,
  StagedRecord,
} from '../../proto/gen/terrain/pfs/internal/v1/records.ts';
import type { KvEntry } from '../platform/etcd/index.ts';
import { pfsErrors } from './errors.ts';

export { BranchRecord, CommitRecord, CommitSetRecord, RepoRecord, StagedRecord };

export const keys = {
  repo: (repo: string) => `repos/${repo}`,
  repos: () => 'repos/',
  branch: (repo: string, branch: string) => `branches/${repo}/${branch}`,
  branchesOf: (repo: string) => `branches/${repo}/`,
  allBranches: () => 'branches/',
  commit: (repo: string, id: string) => `commits/${repo}/${id}`,
  commitsOf: (repo: string) => `commits/${repo}/`,
  allCommits: () => 'commits/',
  child: (repo: string, parent: string, child: string) => `children/${repo}/${parent}/${child}`,
  childrenOf: (repo: string, parent: string) => `children/${repo}/${parent}/`,
  staged: (repo: string, id: string, seq: string) => `staged/${repo}/${id}/${seq}`,
  stagedOf: (repo: string, id: string) => `staged/${repo}/${id}/`,
  allStaged: () => 'staged/',
  finishing: (repo: string, id: string) => `finishing/${repo}/${id}`,
  allFinishing: () => 'finishing/',
  commitSet: (id: string) => `commitsets/${id}`,
  commitSetMember: (id: string, repo: string) => `commitset-members/${id}/${repo}`,
  commitSetMembers: (id: string) => `commitset-members/${id}/`,
  commitSetTime: (createdMs: bigint, id: string) => `commitset-times/${invertedTime(createdMs)}/${id}`,
  allCommitSetTimes: () => 'commitset-times/',
  commitTime: (repo: string, startedMs: bigint, id: string) =>
    `commit-times/${repo}/${invertedTime(startedMs)}/${id}`,
  commitTimesOf: (repo: string) => `commit-times/${repo}/`,
  provenant: (repo: string, id: string, downRepo: string, downId: string) =>
    `provenant/${repo}/${id}/${downRepo}/${downId}`,
  provenantsOf: (repo: string, id: string) => `provenant/${repo}/${id}/`,
  provenantsOfRepo: (repo: string) => `provenant/${repo}/`,
  deleting: (repo: string) => `deleting/${repo}`,
  allDeleting: () => 'deleting/',
} as const;

/** Milliseconds counted down from a far future, zero-padded, so ascending key order is newest first. */
function invertedTime(ms: bigint): string {
  return (9_999_999_999_999n - ms).toString().padStart(13, '0');
}

/** The last segment of a key (`commitset-members/<id>/<repo>` → `<repo>`). */
export function lastSegment(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

function decoder<T>(codec: Codec<T>, kind: string) {
  return (entry: KvEntry): T => {
    try {
      return codec.decode(entry.value);
    } catch (err) {
      throw pfsErrors.dataLoss(
        `${kind} record at "${entry.key}" cannot be decoded: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  };
}

export const encode = {
  repo: (r: RepoRecord) => RepoRecord.encode(r).finish(),
  branch: (r: BranchRecord) => BranchRecord.encode(r).finish(),
  commit: (r: CommitRecord) => CommitRecord.encode(r).finish(),
  staged: (r: StagedRecord) => StagedRecord.encode(r).finish(),
  commitSet: (r: CommitSetRecord) => CommitSetRecord.encode(r).finish(),
};

export const decode = {
  repo: decoder(RepoRecord, 'repo'),
  branch: decoder(BranchRecord, 'branch'),
  commit: decoder(CommitRecord, 'commit'),
  staged: decoder(StagedRecord, 'staged file set'),
  commitSet: decoder(CommitSetRecord, 'commit set'),
};

export function nowMs(): bigint {
  return BigInt(Date.now());
}
