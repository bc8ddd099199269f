/**
 * An in-memory PfsForS3 for unit tests: repos, branches, a linear history of finished commits per
 * branch, and file-set handles with TTLs — following pfs's contract (pfs-port.ts) closely enough
 * that the gateway's behaviour can be tested without a cluster: atomic writes (nothing applied
 * when the op source throws), create-only puts, path validation, byte-ordered listings.
 *
 * Not for production: it keeps every byte in memory. Counters (`modifyCalls`) let tests assert
 * that a refused request wrote nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { errorFactory } from '../platform/errors.ts';
import { comparePaths, validatePath } from '../pfs/storage/paths.ts';
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

const errors = errorFactory('pfs');
const NAME = /^[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62}$/;

interface FakeFile {
  data: Buffer;
  metadata: Record<string, string>;
  committed: Date;
  hash: string;
}

interface FakeCommit {
  repo: string;
  id: string;
  branch: string;
  parent?: string | undefined;
  files: Map<string, FakeFile>;
  started: Date;
  finished: Date;
}

interface FakeRepo {
  created: Date;
  type: 'user' | 'pipeline';
  branches: Map<string, string | undefined>;
}

export class FakePfs implements PfsForS3 {
  readonly repos = new Map<string, FakeRepo>();
  readonly commits = new Map<string, FakeCommit>();
  readonly fileSets = new Map<string, { files: Map<string, FakeFile>; expires: number }>();
  /** Successful modify calls (a refused request must not add one). */
  modifyCalls = 0;
  now: () => number;
  #clock = 0;

  constructor(options: { now?: () => number } = {}) {
    // A strictly increasing default clock keeps commit times distinct.
    this.now = options.now ?? (() => Math.max(Date.now(), ++this.#clock + 1_700_000_000_000));
  }

  /** Test helper: makes a pipeline output repo (read-only for users). */
  addPipelineRepo(name: string): void {
    this.repos.set(name, {
      created: new Date(this.now()),
      type: 'pipeline',
      branches: new Map([['master', undefined]]),
    });
  }

  #repo(name: string): FakeRepo {
    const repo = this.repos.get(name);
    if (!repo) throw errors.notFound(`repo "${name}" not found`);
    return repo;
  }

  #resolve(ref: CommitRef): FakeCommit {
    const repo = this.#repo(ref.repo);
    if (ref.id) {
      const commit = this.commits.get(ref.id);
      if (!commit || commit.repo !== ref.repo)
        throw errors.notFound(`commit ${ref.repo}@${ref.id} not found`);
      return commit;
    }
    const branch = ref.branch ?? '';
    if (!repo.branches.has(branch)) throw errors.notFound(`branch ${ref.repo}@${branch} not found`);
    const head = repo.branches.get(branch);
    if (!head) throw errors.notFound(`branch ${ref.repo}@${branch} has no head commit`);
    return this.commits.get(head)!;
  }

  #files(src: FileSource): Map<string, FakeFile> {
    if (src.fileSetId !== undefined) {
      const set = this.fileSets.get(src.fileSetId);
      if (!set || set.expires <= this.now())
        throw errors.notFound(`file set ${src.fileSetId} not found (expired?)`);
      return set.files;
    }
    return this.#resolve(src.commit).files;
  }

  #entry(path: string, file: FakeFile, commitId: string): FileEntry {
    return {
      path,
      kind: 'file',
      size: file.data.length,
      hash: file.hash,
      committed: file.committed,
      metadata: { ...file.metadata },
      commitId,
    };
  }

  #sorted(files: Map<string, FakeFile>): string[] {
    return [...files.keys()].sort(comparePaths);
  }

  async *listRepos(_options: SignalOptions = {}): AsyncGenerator<RepoEntry, void, undefined> {
    for (const name of [...this.repos.keys()].sort()) yield await this.inspectRepo(name);
  }

  async inspectRepo(name: string): Promise<RepoEntry> {
    const repo = this.#repo(name);
    return { name, created: repo.created, branches: [...repo.branches.keys()].sort(), type: repo.type };
  }

  async createRepo(name: string): Promise<void> {
    if (!NAME.test(name)) throw errors.invalidArgument(`invalid repo name "${name}"`);
    if (this.repos.has(name)) throw errors.alreadyExists(`repo "${name}" already exists`);
    this.repos.set(name, { created: new Date(this.now()), type: 'user', branches: new Map() });
  }

  async deleteRepo(name: string): Promise<void> {
    this.#repo(name);
    this.repos.delete(name);
    for (const [id, c] of this.commits) if (c.repo === name) this.commits.delete(id);
  }

  async *listBranches(): AsyncGenerator<BranchEntry, void, undefined> {
    for (const repo of [...this.repos.keys()].sort()) {
      const r = this.repos.get(repo)!;
      for (const name of [...r.branches.keys()].sort()) yield { repo, name, head: r.branches.get(name) };
    }
  }

  async inspectBranch(repo: string, branch: string): Promise<BranchEntry> {
    const r = this.#repo(repo);
    if (!r.branches.has(branch)) throw errors.notFound(`branch ${repo}@${branch} not found`);
    return { repo, name: branch, head: r.branches.get(branch) };
  }

  async createBranch(repo: string, branch: string): Promise<void> {
    if (!NAME.test(branch)) throw errors.invalidArgument(`invalid branch name "${branch}"`);
    const r = this.#repo(repo);
    if (!r.branches.has(branch)) r.branches.set(branch, undefined);
  }

  async deleteBranch(repo: string, branch: string): Promise<void> {
    const r = this.#repo(repo);
    if (!r.branches.delete(branch)) throw errors.notFound(`branch ${repo}@${branch} not found`);
  }

  async inspectCommit(ref: CommitRef): Promise<CommitEntry> {
    const c = this.#resolve(ref);
    return {
      repo: c.repo,
      id: c.id,
      branch: c.branch,
      parent: c.parent,
      state: 'finished',
      started: c.started,
      finished: c.finished,
      error: '',
    };
  }

  async *listCommits(to: CommitRef): AsyncGenerator<CommitEntry, void, undefined> {
    let commit: FakeCommit | undefined = this.#resolve(to);
    while (commit) {
      yield await this.inspectCommit({ repo: commit.repo, id: commit.id });
      commit = commit.parent ? this.commits.get(commit.parent) : undefined;
    }
  }

  async inspectFile(src: FileSource, path: string): Promise<FileEntry> {
    const files = this.#files(src);
    const commitId = src.commit ? this.#resolve(src.commit).id : '';
    const file = files.get(path);
    if (file) return this.#entry(path, file, commitId);
    const dir = path.endsWith('/') ? path : `${path}/`;
    let size = 0;
    let found = path === '/';
    for (const [p, f] of files) {
      if (p.startsWith(dir === '//' ? '/' : dir)) {
        found = true;
        size += f.data.length;
      }
    }
    if (!found) throw errors.notFound(`file ${path} not found`);
    return {
      path: dir === '//' ? '/' : dir,
      kind: 'dir',
      size,
      hash: '',
      committed: new Date(0),
      metadata: {},
      commitId,
    };
  }

  async *readFile(
    src: FileSource,
    path: string,
    range: { offset: number; length: number },
  ): AsyncGenerator<Uint8Array, void, undefined> {
    const file = this.#files(src).get(path);
    if (!file) throw errors.notFound(`file ${path} not found`);
    const end = range.length > 0 ? Math.min(file.data.length, range.offset + range.length) : file.data.length;
    // Several pieces, as a real stream would have.
    for (let i = range.offset; i < end; i += 4096) yield file.data.subarray(i, Math.min(end, i + 4096));
  }

  async *walkFiles(
    commit: CommitRef,
    dir: string,
    options: SignalOptions & { after?: string | undefined } = {},
  ): AsyncGenerator<FileEntry, void, undefined> {
    let c: FakeCommit;
    try {
      c = this.#resolve(commit);
    } catch (err) {
      if ((err as { code?: string }).code === 'not_found' && !commit.id) return;
      throw err;
    }
    for (const path of this.#sorted(c.files)) {
      if (!path.startsWith(dir)) continue;
      if (options.after !== undefined && comparePaths(path, options.after) <= 0) continue;
      yield this.#entry(path, c.files.get(path)!, c.id);
    }
  }

  async *listDir(
    commit: CommitRef,
    dir: string,
    options: SignalOptions & { after?: string | undefined } = {},
  ): AsyncGenerator<FileEntry, void, undefined> {
    let c: FakeCommit;
    try {
      c = this.#resolve(commit);
    } catch (err) {
      if ((err as { code?: string }).code === 'not_found' && !commit.id) return;
      throw err;
    }
    // As pfs does: resume strictly after `after` (a token ending with "/" skips that directory),
    // and report a subdirectory once, where its first remaining file is.
    let lastDir = '';
    for (const path of this.#sorted(c.files)) {
      if (!path.startsWith(dir)) continue;
      if (
        options.after !== undefined &&
        (comparePaths(path, options.after) <= 0 ||
          (options.after.endsWith('/') && path.startsWith(options.after)))
      )
        continue;
      const slash = path.indexOf('/', dir.length);
      if (slash < 0) yield this.#entry(path, c.files.get(path)!, c.id);
      else {
        const entryPath = path.slice(0, slash + 1);
        if (entryPath !== lastDir) {
          lastDir = entryPath;
          yield {
            path: entryPath,
            kind: 'dir',
            size: 0,
            hash: '',
            committed: new Date(0),
            metadata: {},
            commitId: c.id,
          };
        }
      }
    }
  }

  async *diffWithParent(commit: CommitRef, path: string): AsyncGenerator<DiffEntry, void, undefined> {
    const c = this.#resolve(commit);
    const parent = c.parent ? this.commits.get(c.parent)!.files : new Map<string, FakeFile>();
    const under = (p: string): boolean => p === path || p.startsWith(path.endsWith('/') ? path : `${path}/`);
    const paths = new Set([...c.files.keys(), ...parent.keys()].filter(under));
    for (const p of [...paths].sort(comparePaths)) {
      const now = c.files.get(p);
      const before = parent.get(p);
      if (
        now &&
        before &&
        now.hash === before.hash &&
        JSON.stringify(now.metadata) === JSON.stringify(before.metadata)
      )
        continue;
      yield {
        change: now && before ? 'changed' : now ? 'added' : 'deleted',
        path: p,
        newFile: now && this.#entry(p, now, c.id),
        oldFile: before && this.#entry(p, before, c.parent ?? ''),
      };
    }
  }

  async #apply(
    base: Map<string, FakeFile>,
    ops: AsyncIterable<WriteOp> | Iterable<WriteOp>,
    withCommit: boolean,
    when: Date,
  ): Promise<Map<string, FakeFile>> {
    const files = new Map(base);
    const createOnly: string[] = [];
    for await (const op of ops) {
      if (op.op === 'put') {
        validatePath(op.path);
        const pieces: Buffer[] = [];
        for await (const piece of op.data) pieces.push(Buffer.from(piece));
        if (op.ifNotExists) {
          if (!withCommit) throw errors.invalidArgument('if_not_exists needs a commit');
          createOnly.push(op.path);
        }
        const previous = files.get(op.path);
        const data =
          op.append && previous ? Buffer.concat([previous.data, ...pieces]) : Buffer.concat(pieces);
        const metadata =
          op.append && previous && Object.keys(op.metadata).length === 0
            ? previous.metadata
            : { ...op.metadata };
        if (JSON.stringify(metadata).length > 8192)
          throw errors.invalidArgument(`metadata of ${op.path} exceeds 8 KiB`);
        files.set(op.path, {
          data,
          metadata,
          committed: when,
          hash: createHash('sha256').update(data).digest('hex'),
        });
      } else if (op.op === 'delete') {
        const dir = op.path.endsWith('/') ? op.path : `${op.path}/`;
        for (const p of [...files.keys()])
          if (p === op.path || p.startsWith(dir) || op.path === '/') files.delete(p);
      } else {
        validatePath(op.dst);
        const srcFiles = this.#files(op.src);
        const src = srcFiles.get(op.src.path);
        if (!src) throw errors.notFound(`copy source ${op.src.path} not found`);
        const previous = files.get(op.dst);
        const data = op.append && previous ? Buffer.concat([previous.data, src.data]) : src.data;
        files.set(op.dst, {
          data,
          metadata: op.append && previous ? previous.metadata : { ...src.metadata },
          committed: when,
          hash: createHash('sha256').update(data).digest('hex'),
        });
      }
    }
    for (const path of createOnly) {
      if (base.has(path))
        throw errors.failedPrecondition(
          `file ${path} already exists and the put asked for if_not_exists; nothing from this stream was applied`,
        );
    }
    // pfs refuses a tree where a file is also a directory.
    const sorted = this.#sorted(files);
    for (let i = 0; i + 1 < sorted.length; i++) {
      if (sorted.some((p) => p.startsWith(`${sorted[i]}/`)))
        throw errors.invalidArgument(`path ${sorted[i]} is a file and a directory`);
    }
    return files;
  }

  async modify(
    commit: CommitRef,
    ops: AsyncIterable<WriteOp> | Iterable<WriteOp>,
  ): Promise<{ commitId: string }> {
    const repo = this.#repo(commit.repo);
    if (repo.type === 'pipeline')
      throw errors.failedPrecondition(
        `repo "${commit.repo}" is a pipeline output repo; it is written by its pipeline only`,
      );
    if (commit.id) throw errors.failedPrecondition(`commit ${commit.repo}@${commit.id} is finished`);
    const branch = commit.branch ?? 'master';
    const head = repo.branches.get(branch);
    const base = head ? this.commits.get(head)!.files : new Map<string, FakeFile>();
    const when = new Date(this.now());
    const files = await this.#apply(base, ops, true, when);
    const id = randomBytes(16).toString('hex');
    this.commits.set(id, {
      repo: commit.repo,
      id,
      branch,
      parent: head,
      files,
      started: when,
      finished: when,
    });
    repo.branches.set(branch, id);
    this.modifyCalls++;
    return { commitId: id };
  }

  async createFileSet(
    ops: AsyncIterable<WriteOp> | Iterable<WriteOp>,
    ttlMs: number,
  ): Promise<FileSetHandle> {
    const files = await this.#apply(new Map(), ops, false, new Date(this.now()));
    const id = randomBytes(16).toString('hex');
    const expires = this.now() + ttlMs;
    this.fileSets.set(id, { files, expires });
    return { id, expires: new Date(expires) };
  }

  async renewFileSet(id: string, ttlMs: number): Promise<FileSetHandle> {
    const set = this.fileSets.get(id);
    if (!set || set.expires <= this.now()) throw errors.notFound(`file set ${id} not found (expired?)`);
    set.expires = this.now() + ttlMs;
    return { id, expires: new Date(set.expires) };
  }

  /** Test helper: file sets whose handles are still alive. */
  liveFileSets(): number {
    let n = 0;
    for (const set of this.fileSets.values()) if (set.expires > this.now()) n++;
    return n;
  }
}
