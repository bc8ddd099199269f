/**
 * Commit sets: every commit that shares one global ID, across repos.
 */
import { CommitState } from '../../proto/gen/terrain/pfs/v1/commit.ts';
import type { CommitStore, SignalOptions } from './commit-store.ts';
import type { Commits } from './commits.ts';
import { pfsErrors } from './errors.ts';
import { commitId, repoName } from './names.ts';
import { keys, lastSegment, type CommitRecord } from './records.ts';

export class CommitSets {
  readonly #store: CommitStore;
  readonly #commits: Commits;

  constructor(deps: { store: CommitStore; commits: Commits }) {
    this.#store = deps.store;
    this.#commits = deps.commits;
  }

  /**
   * The commits of one global ID, sorted by repo. With `wait`, each is yielded once FINISHED (in
   * the order they finish is not promised; repo order is). NOT_FOUND for an unknown ID.
   */
  async *inspect(
    idArg: string,
    options: SignalOptions & { wait?: boolean } = {},
  ): AsyncGenerator<CommitRecord> {
    const id = commitId(idArg);
    if (!(await this.#store.findCommitSet(id, options))) {
      throw pfsErrors.notFound(`commit set ${id} not found`, { details: { commitSet: id } });
    }
    for await (const e of this.#store.kv.list(keys.commitSetMembers(id), { ...options, keysOnly: true })) {
      const repo = lastSegment(e.key);
      yield options.wait
        ? await this.#commits.inspect({ repo, id }, { ...options, wait: CommitState.FINISHED })
        : (await this.#store.getCommit(repo, id, options)).record;
    }
  }

  /** Commit sets, newest first, optionally only those touching `repo`; `limit` 0 means all. */
  async *list(
    options: SignalOptions & { repo?: string; limit?: number } = {},
  ): AsyncGenerator<{ id: string; createdMs: bigint; commits: CommitRecord[] }> {
    const repo = options.repo ? repoName(options.repo) : undefined;
    if (repo) await this.#store.getRepo(repo, options);
    let count = 0;
    for await (const e of this.#store.kv.list(keys.allCommitSetTimes(), { ...options, keysOnly: true })) {
      if (options.limit && count >= options.limit) return;
      const id = lastSegment(e.key);
      const set = await this.#store.findCommitSet(id, options);
      if (!set) continue;
      const commits: CommitRecord[] = [];
      for await (const m of this.#store.kv.list(keys.commitSetMembers(id), { ...options, keysOnly: true })) {
        const c = await this.#store.findCommit(lastSegment(m.key), id, options);
        if (c) commits.push(c.record);
      }
      if (repo && !commits.some((c) => c.repo === repo)) continue;
      count++;
      yield { id, createdMs: set.record.createdMs, commits };
    }
  }
}
