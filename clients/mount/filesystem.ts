/**
 * The mounted filesystem, independent of the FUSE binding: every operation is an async method that
 * resolves to a value or throws an `FsError` carrying a positive errno. `fuse-adapter.ts` turns
 * these into fuse-native callbacks.
 *
 * Reading: directory listings come from ListFile pages (PAGE entries per call, each call with its
 * own timeout); file bytes come from GetFile byte ranges through a bounded block cache keyed by
 * content hash, with read-ahead for sequential readers.
 *
 * Writing (+w mounts): changes are staged in a spool directory on local disk (whole files, or
 * "copy from the base commit" for renamed files that were never opened for writing) and sent as
 * ONE commit by `commit()` — StartCommit with `expected_head` = the head the changes were based
 * on, one ModifyFile stream, FinishCommit. If that fails the changes stay staged, the failure is
 * kept in `pendingErrors()` and written to `pending.json` in the spool: never dropped silently.
 *
 * Concurrency: JS is single-threaded, but FUSE calls interleave at every await. Commits of one repo
 * are serialized; writes that arrive while a commit streams land in the spool and are included in
 * the next commit (a file whose spool copy changes during the upload may be committed with either
 * content — the next commit then carries the newer one).
 */
import { constants as osConstants } from 'node:os';
import { createReadStream } from 'node:fs';
import {
  mkdir,
  open,
  readFile,
  readdir,
  rm,
  stat,
  truncate,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { isErrorCode, isTerrainError } from '../../services/platform/errors.ts';
import type { FileInfo } from '../../proto/gen/terrain/pfs/v1/file.ts';
import { RepoType } from '../../proto/gen/terrain/pfs/v1/repo.ts';
import type { FileOperation, TerrainClient } from '../ts/index.ts';
import { BlockCache } from './block-cache.ts';
import type { RepoSpec } from './mount-spec.ts';

const E = osConstants.errno;

/** A failure with the errno the kernel should see. */
export class FsError extends Error {
  readonly errno: number;
  constructor(errno: number, message: string) {
    super(message);
    this.errno = errno;
  }
}

export interface Attr {
  mode: number;
  size: number;
  mtime: Date;
  atime: Date;
  ctime: Date;
  nlink: number;
  uid: number;
  gid: number;
}

export interface FilesystemOptions {
  /** Deadline of every pfs call except commit uploads (default 10 s). */
  timeoutMs?: number;
  /** Deadline of a commit upload (default 10 min). */
  commitTimeoutMs?: number;
  /** Block cache size (default 64 MiB). */
  cacheBytes?: number;
  blockBytes?: number;
  /** Commit a repo's staged changes when a file written through it is closed. */
  commitOnClose?: boolean;
  /** Where staged writes live (one subdirectory per repo). */
  spoolDir: string;
  /** Called with one line for humans (commit results, failures). */
  log?: (line: string) => void;
}

const PAGE = 1000;
const ATTR_TTL_MS = 2000;
const ATTR_CACHE_ENTRIES = 200_000;
const READ_AHEAD_BLOCKS = 4;
const O_ACCMODE = 3;
const O_TRUNC = 0o1000;

interface RemoteEntry {
  dir: boolean;
  size: number;
  hash: string;
  mtime: Date;
}

type Staged = { kind: 'spool'; file: string } | { kind: 'copy'; src: string; size: number };

interface RepoMount {
  spec: RepoSpec;
  writable: boolean;
  /** Why a +w request was refused (pipeline output, provenance). */
  readOnlyReason?: string;
  /** The branch head the staged changes are based on ('' = the branch had no commit). */
  base?: string;
  staged: Map<string, Staged>;
  deleted: Set<string>;
  mkdirs: Set<string>;
  spool: string;
  committing?: Promise<void>;
  lastError?: string;
}

interface Handle {
  repo: RepoMount;
  path: string;
  file?: FileHandle;
  remote?: { ref: RefMessage; hash: string; size: number };
  wrote: boolean;
}

interface RefMessage {
  repo: { name: string };
  branch?: string;
  id?: string;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function isUnder(path: string, dir: string): boolean {
  return dir === '/' ? path !== '/' : path.startsWith(`${dir}/`);
}

/** Maps a pfs/client error to an errno; the message is kept for the log. */
export function toFsError(err: unknown): FsError {
  if (err instanceof FsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isTerrainError(err)) {
    if (err.code === 'not_found') return new FsError(E.ENOENT, message);
    if (err.code === 'invalid_argument') return new FsError(E.EINVAL, message);
  }
  return new FsError(E.EIO, message);
}

export class Filesystem {
  readonly #client: TerrainClient;
  readonly #options: Required<Omit<FilesystemOptions, 'log'>> & { log: (line: string) => void };
  readonly #cache: BlockCache;
  readonly #repos = new Map<string, RepoMount>();
  /** Explicit specs; undefined = every repo at master, read-only, listed live. */
  readonly #explicit: boolean;
  readonly #attrs = new Map<string, { at: number; entry: RemoteEntry | null }>();
  readonly #handles = new Map<number, Handle>();
  #nextFd = 10;
  #repoListAt = 0;
  readonly #started = new Date();

  constructor(client: TerrainClient, specs: RepoSpec[], options: FilesystemOptions) {
    this.#client = client;
    this.#options = {
      timeoutMs: options.timeoutMs ?? 10_000,
      commitTimeoutMs: options.commitTimeoutMs ?? 600_000,
      cacheBytes: options.cacheBytes ?? 64 * 1024 * 1024,
      blockBytes: options.blockBytes ?? 2 * 1024 * 1024,
      commitOnClose: options.commitOnClose ?? false,
      spoolDir: options.spoolDir,
      log: options.log ?? (() => {}),
    };
    this.#cache = new BlockCache(this.#options.cacheBytes, this.#options.blockBytes);
    this.#explicit = specs.length > 0;
    for (const spec of specs) {
      if (this.#repos.has(spec.name)) {
        throw new FsError(E.EINVAL, `repo "${spec.name}" is mounted twice: give each repo one -r`);
      }
      this.#repos.set(spec.name, this.#newRepo(spec));
    }
  }

  get cache(): BlockCache {
    return this.#cache;
  }

  #newRepo(spec: RepoSpec): RepoMount {
    return {
      spec,
      writable: false,
      staged: new Map(),
      deleted: new Set(),
      mkdirs: new Set(),
      spool: join(this.#options.spoolDir, spec.name),
    };
  }

  #rpc() {
    return { timeoutMs: this.#options.timeoutMs };
  }

  /**
   * Checks every explicit spec against the server and decides which mounts are writable. Throws
   * the server's error (e.g. `not_found` for a missing repo) so `terrain mount` fails up front.
   */
  async prepare(): Promise<string[]> {
    const notes: string[] = [];
    for (const repo of this.#repos.values()) {
      const { spec } = repo;
      const info = await this.#client.pfs.inspectRepo({ repo: { name: spec.repo } }, this.#rpc());
      if (spec.commitId) {
        await this.#client.pfs.inspectCommit(
          { commit: { repo: { name: spec.repo }, id: spec.commitId } },
          this.#rpc(),
        );
        continue;
      }
      if (!spec.writeRequested) continue;
      if (info.type === RepoType.PIPELINE) {
        repo.readOnlyReason = `repo "${spec.repo}" is the output of pipeline "${info.pipeline}"`;
      } else {
        try {
          const branch = await this.#client.pfs.inspectBranch(
            { branch: { repo: { name: spec.repo }, name: spec.branch ?? 'master' } },
            this.#rpc(),
          );
          if (branch.provenance.length > 0) {
            repo.readOnlyReason = `branch ${spec.repo}@${spec.branch} has provenance (its commits come from upstream)`;
          }
        } catch (err) {
          if (!isErrorCode(err, 'not_found')) throw err;
        }
      }
      if (repo.readOnlyReason) {
        notes.push(`mounting ${spec.repo}@${spec.branch} read-only: ${repo.readOnlyReason}`);
      } else {
        repo.writable = true;
        await mkdir(repo.spool, { recursive: true });
        await this.#loadPending(repo, notes);
      }
    }
    return notes;
  }

  /** Staged changes left by an earlier mount that could not commit them are picked up again. */
  async #loadPending(repo: RepoMount, notes: string[]): Promise<void> {
    let text: string;
    try {
      text = await readFile(join(repo.spool, 'pending.json'), 'utf8');
    } catch {
      return;
    }
    const pending = JSON.parse(text) as {
      branch: string;
      base?: string;
      staged: [string, Staged][];
      deleted: string[];
      error?: string;
    };
    if (pending.branch !== repo.spec.branch) return;
    repo.base = pending.base;
    repo.staged = new Map(pending.staged);
    repo.deleted = new Set(pending.deleted);
    notes.push(
      `${repo.spec.repo}@${repo.spec.branch}: ${repo.staged.size + repo.deleted.size} uncommitted change(s) from an earlier mount are staged again (last error: ${pending.error ?? 'none'}); run \`terrain commit-mount\` to retry`,
    );
  }

  async #savePending(repo: RepoMount): Promise<void> {
    const pending = {
      branch: repo.spec.branch,
      base: repo.base,
      staged: [...repo.staged],
      deleted: [...repo.deleted],
      error: repo.lastError,
    };
    await writeFile(join(repo.spool, 'pending.json'), JSON.stringify(pending, null, 2));
  }

  // ---- path resolution ----

  async #repoNames(): Promise<string[]> {
    if (!this.#explicit && Date.now() - this.#repoListAt > ATTR_TTL_MS) {
      const seen = new Set<string>();
      for await (const info of this.#client.pfs.listRepo({}, this.#rpc())) {
        const name = info.repo?.name;
        if (!name) continue;
        seen.add(name);
        if (!this.#repos.has(name)) {
          this.#repos.set(name, this.#newRepo({ name, repo: name, branch: 'master', writeRequested: false }));
        }
      }
      for (const name of [...this.#repos.keys()]) if (!seen.has(name)) this.#repos.delete(name);
      this.#repoListAt = Date.now();
    }
    return [...this.#repos.keys()];
  }

  async #split(path: string): Promise<{ repo: RepoMount; inner: string } | undefined> {
    if (path === '/') return undefined;
    const slash = path.indexOf('/', 1);
    const name = slash < 0 ? path.slice(1) : path.slice(1, slash);
    let repo = this.#repos.get(name);
    if (!repo && !this.#explicit) {
      await this.#repoNames();
      repo = this.#repos.get(name);
    }
    if (!repo) throw new FsError(E.ENOENT, `no repo "${name}" is mounted`);
    return { repo, inner: slash < 0 ? '/' : path.slice(slash) };
  }

  #ref(repo: RepoMount): RefMessage {
    const { spec } = repo;
    return spec.commitId
      ? { repo: { name: spec.repo }, id: spec.commitId }
      : { repo: { name: spec.repo }, branch: spec.branch ?? 'master' };
  }

  #baseRef(repo: RepoMount): RefMessage {
    return repo.base ? { repo: { name: repo.spec.repo }, id: repo.base } : this.#ref(repo);
  }

  #toEntry(info: FileInfo): RemoteEntry {
    return {
      dir: info.fileType === 2,
      size: Number(info.sizeBytes),
      hash: info.hash,
      mtime: info.committed ?? this.#started,
    };
  }

  #remember(key: string, entry: RemoteEntry | null): void {
    if (this.#attrs.size >= ATTR_CACHE_ENTRIES) {
      const oldest = this.#attrs.keys().next().value;
      if (oldest !== undefined) this.#attrs.delete(oldest);
    }
    this.#attrs.set(key, { at: Date.now(), entry });
  }

  async #remote(repo: RepoMount, inner: string): Promise<RemoteEntry | null> {
    if (inner === '/') return { dir: true, size: 0, hash: '', mtime: this.#started };
    const key = `${repo.spec.name}\0${inner}`;
    const cached = this.#attrs.get(key);
    if (cached && Date.now() - cached.at < ATTR_TTL_MS) return cached.entry;
    try {
      const info = await this.#client.pfs.inspectFile(
        { file: { commit: this.#ref(repo), path: inner } },
        this.#rpc(),
      );
      const entry = this.#toEntry(info);
      this.#remember(key, entry);
      return entry;
    } catch (err) {
      if (isErrorCode(err, 'not_found')) {
        this.#remember(key, null);
        return null;
      }
      throw toFsError(err);
    }
  }

  #deletedCovers(repo: RepoMount, inner: string): boolean {
    for (let p = inner; p !== '/'; p = parentOf(p)) if (repo.deleted.has(p)) return true;
    return false;
  }

  #hasStagedUnder(repo: RepoMount, inner: string): boolean {
    for (const p of repo.staged.keys()) if (isUnder(p, inner)) return true;
    for (const p of repo.mkdirs) if (isUnder(p, inner)) return true;
    return false;
  }

  /** What `inner` is in this repo, staged changes first. */
  async #lookup(
    repo: RepoMount,
    inner: string,
  ): Promise<{ attr: Attr; staged?: Staged; remote?: RemoteEntry } | null> {
    const staged = repo.staged.get(inner);
    if (staged) {
      if (staged.kind === 'spool') {
        const s = await stat(staged.file);
        return { attr: this.#attr(false, s.size, s.mtime), staged };
      }
      return { attr: this.#attr(false, staged.size, new Date()), staged };
    }
    if (repo.mkdirs.has(inner) || (inner !== '/' && this.#hasStagedUnder(repo, inner))) {
      return { attr: this.#attr(true, 0, new Date()) };
    }
    if (this.#deletedCovers(repo, inner)) return null;
    const remote = await this.#remote(repo, inner);
    if (!remote) return null;
    return { attr: this.#attr(remote.dir, remote.size, remote.mtime), remote };
  }

  #attr(dir: boolean, size: number, mtime: Date): Attr {
    return {
      mode: dir ? 0o40755 : 0o100644,
      size,
      mtime,
      atime: mtime,
      ctime: mtime,
      nlink: dir ? 2 : 1,
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
    };
  }

  // ---- reading ----

  async getattr(path: string): Promise<Attr> {
    const where = await this.#split(path);
    if (!where) return this.#attr(true, 0, this.#started);
    const found = await this.#lookup(where.repo, where.inner);
    if (!found) throw new FsError(E.ENOENT, `${path} does not exist`);
    return found.attr;
  }

  /** Entry names of a directory, streamed page by page from ListFile. */
  async readdir(path: string): Promise<string[]> {
    const where = await this.#split(path);
    if (!where) return this.#repoNames();
    const { repo, inner } = where;
    const found = await this.#lookup(repo, inner);
    if (!found) throw new FsError(E.ENOENT, `${path} does not exist`);
    if (!found.attr.mode || (found.attr.mode & 0o170000) !== 0o040000) {
      throw new FsError(E.ENOTDIR, `${path} is a file`);
    }
    const names = new Set<string>();
    if (found.remote && !this.#deletedCovers(repo, inner)) {
      const dir = inner === '/' ? '/' : `${inner}/`;
      let token = '';
      for (;;) {
        let count = 0;
        let last = '';
        try {
          for await (const info of this.#client.pfs.listFile(
            { file: { commit: this.#ref(repo), path: dir }, pageSize: PAGE, pageToken: token },
            this.#rpc(),
          )) {
            count++;
            const full = info.file?.path ?? '';
            last = full;
            const trimmed = full.endsWith('/') ? full.slice(0, -1) : full;
            if (repo.deleted.has(trimmed)) continue;
            names.add(baseName(trimmed));
            this.#remember(`${repo.spec.name}\0${trimmed}`, this.#toEntry(info));
          }
        } catch (err) {
          throw toFsError(err);
        }
        if (count < PAGE || last === '') break;
        token = last;
      }
    }
    for (const p of [...repo.staged.keys(), ...repo.mkdirs]) {
      if (!isUnder(p, inner)) continue;
      const rest = p.slice(inner === '/' ? 1 : inner.length + 1);
      names.add(rest.split('/')[0] ?? rest);
    }
    return [...names];
  }

  async open(path: string, flags: number): Promise<number> {
    const where = await this.#split(path);
    if (!where) throw new FsError(E.EISDIR, `${path} is a directory`);
    const { repo, inner } = where;
    const writing = (flags & O_ACCMODE) !== 0;
    if (writing) this.#checkWritable(repo, path);
    const found = await this.#lookup(repo, inner);
    if (!found) throw new FsError(E.ENOENT, `${path} does not exist`);
    if ((found.attr.mode & 0o170000) === 0o040000) throw new FsError(E.EISDIR, `${path} is a directory`);
    const handle: Handle = { repo, path: inner, wrote: false };
    if (writing) {
      const file = await this.#materialize(repo, inner, (flags & O_TRUNC) !== 0);
      handle.file = await open(file, 'r+');
    } else if (found.staged?.kind === 'spool') {
      handle.file = await open(found.staged.file, 'r');
    } else if (found.staged?.kind === 'copy') {
      const src = await this.#remote(repo, found.staged.src);
      handle.remote = { ref: this.#baseRef(repo), hash: src?.hash ?? '', size: found.staged.size };
      handle.path = found.staged.src;
    } else if (found.remote) {
      handle.remote = { ref: this.#ref(repo), hash: found.remote.hash, size: found.remote.size };
    }
    const fd = this.#nextFd++;
    this.#handles.set(fd, handle);
    return fd;
  }

  async read(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
    const handle = this.#handles.get(fd);
    if (!handle) throw new FsError(E.EBADF, `no open file ${fd}`);
    if (handle.file) {
      const { bytesRead } = await handle.file.read(buffer, 0, length, position);
      return bytesRead;
    }
    const remote = handle.remote;
    if (!remote || position >= remote.size) return 0;
    const end = Math.min(remote.size, position + length);
    const blockBytes = this.#cache.blockBytes;
    let copied = 0;
    for (let at = position; at < end;) {
      const index = Math.floor(at / blockBytes);
      const block = await this.#block(handle, remote, index);
      const from = at - index * blockBytes;
      const take = Math.min(end - at, block.byteLength - from);
      if (take <= 0) break;
      block.copy(buffer, copied, from, from + take);
      copied += take;
      at += take;
    }
    // Read-ahead: sequential readers find the next blocks already on their way.
    const last = Math.floor((end - 1) / blockBytes);
    for (let i = last + 1; i <= last + READ_AHEAD_BLOCKS && i * blockBytes < remote.size; i++) {
      if (!this.#cache.has(this.#blockKey(handle, remote, i))) {
        this.#block(handle, remote, i).catch(() => {});
      }
    }
    return copied;
  }

  #blockKey(handle: Handle, remote: NonNullable<Handle['remote']>, index: number): string {
    // Files without a hash (should not happen) are keyed by path, per open.
    return remote.hash ? `${remote.hash}:${index}` : `${handle.repo.spec.name}:${handle.path}:${index}`;
  }

  #block(handle: Handle, remote: NonNullable<Handle['remote']>, index: number): Promise<Buffer> {
    const blockBytes = this.#cache.blockBytes;
    return this.#cache.get(this.#blockKey(handle, remote, index), async () => {
      const parts: Uint8Array[] = [];
      try {
        for await (const piece of this.#client.pfs.readFile(
          { commit: remote.ref, path: handle.path },
          { offset: index * blockBytes, length: blockBytes, timeoutMs: this.#options.timeoutMs },
        )) {
          parts.push(piece);
        }
      } catch (err) {
        throw toFsError(err);
      }
      return Buffer.concat(parts);
    });
  }

  // ---- writing ----

  #checkWritable(repo: RepoMount, path: string): void {
    if (!repo.writable) {
      const why = repo.spec.commitId
        ? 'commits are read-only'
        : (repo.readOnlyReason ?? 'mounted read-only (use -r repo@branch+w)');
      throw new FsError(E.EROFS, `${path}: ${why}`);
    }
  }

  async #writableAt(path: string): Promise<{ repo: RepoMount; inner: string }> {
    if (path.indexOf('/', 1) < 0) {
      throw new FsError(E.EACCES, `${path}: repos cannot be created, renamed or removed through the mount`);
    }
    const where = await this.#split(path);
    if (!where) throw new FsError(E.EACCES, 'repos cannot be created or removed through the mount');
    this.#checkWritable(where.repo, path);
    if (where.inner === '/') throw new FsError(E.EACCES, `${path}: the repo directory itself cannot change`);
    return where;
  }

  /** Records the branch head the first change is based on (used as expected_head). */
  async #noteBase(repo: RepoMount): Promise<void> {
    if (repo.base !== undefined) return;
    try {
      const info = await this.#client.pfs.inspectBranch(
        { branch: { repo: { name: repo.spec.repo }, name: repo.spec.branch ?? 'master' } },
        this.#rpc(),
      );
      repo.base = info.head?.id ?? '';
    } catch (err) {
      if (!isErrorCode(err, 'not_found')) throw toFsError(err);
      repo.base = '';
    }
  }

  #spoolName(repo: RepoMount): string {
    return join(repo.spool, `f-${Date.now().toString(36)}-${(this.#nextFd++).toString(36)}`);
  }

  /** A local, writable copy of `inner` (downloaded unless `empty`). */
  async #materialize(repo: RepoMount, inner: string, empty: boolean): Promise<string> {
    await this.#noteBase(repo);
    const staged = repo.staged.get(inner);
    if (staged?.kind === 'spool') {
      if (empty) await truncate(staged.file, 0);
      return staged.file;
    }
    const file = this.#spoolName(repo);
    const out = await open(file, 'w');
    try {
      if (!empty) {
        const src =
          staged?.kind === 'copy' ? staged.src : this.#deletedCovers(repo, inner) ? undefined : inner;
        const ref = staged?.kind === 'copy' ? this.#baseRef(repo) : this.#ref(repo);
        if (src && (await this.#remote(repo, src))) {
          try {
            for await (const piece of this.#client.pfs.readFile(
              { commit: ref, path: src },
              { timeoutMs: this.#options.commitTimeoutMs },
            )) {
              await out.write(piece);
            }
          } catch (err) {
            throw toFsError(err);
          }
        }
      }
    } finally {
      await out.close();
    }
    repo.staged.set(inner, { kind: 'spool', file });
    return file;
  }

  async create(path: string): Promise<number> {
    const { repo, inner } = await this.#writableAt(path);
    const parent = await this.#lookup(repo, parentOf(inner));
    if (!parent) throw new FsError(E.ENOENT, `${parentOf(path)} does not exist`);
    const file = await this.#materialize(repo, inner, true);
    const fd = this.#nextFd++;
    this.#handles.set(fd, { repo, path: inner, file: await open(file, 'r+'), wrote: true });
    return fd;
  }

  async write(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
    const handle = this.#handles.get(fd);
    if (!handle?.file) throw new FsError(E.EBADF, `file ${fd} is not open for writing`);
    this.#checkWritable(handle.repo, handle.path);
    const { bytesWritten } = await handle.file.write(buffer, 0, length, position);
    handle.wrote = true;
    return bytesWritten;
  }

  async truncate(path: string, size: number): Promise<void> {
    const { repo, inner } = await this.#writableAt(path);
    const found = await this.#lookup(repo, inner);
    if (!found) throw new FsError(E.ENOENT, `${path} does not exist`);
    const file = await this.#materialize(repo, inner, size === 0);
    await truncate(file, size);
  }

  async ftruncate(fd: number, size: number): Promise<void> {
    const handle = this.#handles.get(fd);
    if (!handle?.file) throw new FsError(E.EBADF, `file ${fd} is not open for writing`);
    await handle.file.truncate(size);
    handle.wrote = true;
  }

  async release(fd: number): Promise<void> {
    const handle = this.#handles.get(fd);
    if (!handle) return;
    this.#handles.delete(fd);
    await handle.file?.close();
    if (handle.wrote && this.#options.commitOnClose) {
      // A failed commit is logged and kept staged; close itself succeeds (the bytes are safe locally).
      await this.commitRepo(handle.repo).catch(() => {});
    }
  }

  async unlink(path: string): Promise<void> {
    const { repo, inner } = await this.#writableAt(path);
    const found = await this.#lookup(repo, inner);
    if (!found) throw new FsError(E.ENOENT, `${path} does not exist`);
    if ((found.attr.mode & 0o170000) === 0o040000) throw new FsError(E.EISDIR, `${path} is a directory`);
    await this.#noteBase(repo);
    await this.#dropStaged(repo, inner);
    if (!this.#deletedCovers(repo, inner) && (await this.#remote(repo, inner))) repo.deleted.add(inner);
  }

  async #dropStaged(repo: RepoMount, inner: string): Promise<void> {
    const staged = repo.staged.get(inner);
    repo.staged.delete(inner);
    if (staged?.kind === 'spool') await rm(staged.file, { force: true });
  }

  async mkdir(path: string): Promise<void> {
    const { repo, inner } = await this.#writableAt(path);
    if (await this.#lookup(repo, inner)) throw new FsError(E.EEXIST, `${path} exists`);
    if (!(await this.#lookup(repo, parentOf(inner))))
      throw new FsError(E.ENOENT, `${parentOf(path)} does not exist`);
    repo.mkdirs.add(inner);
  }

  async rmdir(path: string): Promise<void> {
    const { repo, inner } = await this.#writableAt(path);
    const found = await this.#lookup(repo, inner);
    if (!found) throw new FsError(E.ENOENT, `${path} does not exist`);
    if ((found.attr.mode & 0o170000) !== 0o040000) throw new FsError(E.ENOTDIR, `${path} is a file`);
    if ((await this.readdir(path)).length > 0) throw new FsError(E.ENOTEMPTY, `${path} is not empty`);
    await this.#noteBase(repo);
    repo.mkdirs.delete(inner);
    if (found.remote && !this.#deletedCovers(repo, inner)) repo.deleted.add(inner);
  }

  async rename(from: string, to: string): Promise<void> {
    const src = await this.#writableAt(from);
    const dst = await this.#writableAt(to);
    if (src.repo !== dst.repo) throw new FsError(E.EXDEV, `${from} and ${to} are in different repos`);
    const { repo } = src;
    const found = await this.#lookup(repo, src.inner);
    if (!found) throw new FsError(E.ENOENT, `${from} does not exist`);
    if (isUnder(dst.inner, src.inner)) throw new FsError(E.EINVAL, `cannot move ${from} into itself`);
    await this.#noteBase(repo);
    const moves: [string, string][] = [];
    if ((found.attr.mode & 0o170000) === 0o040000) {
      for (const p of [...repo.staged.keys()])
        if (isUnder(p, src.inner)) moves.push([p, dst.inner + p.slice(src.inner.length)]);
      for (const p of [...repo.mkdirs]) {
        if (p === src.inner || isUnder(p, src.inner)) {
          repo.mkdirs.delete(p);
          repo.mkdirs.add(dst.inner + p.slice(src.inner.length));
        }
      }
      if (found.remote && !this.#deletedCovers(repo, src.inner)) {
        // Every committed file beneath moves by reference (a copy op), page by page.
        let token = '';
        for (;;) {
          let count = 0;
          let last = '';
          try {
            for await (const info of this.#client.pfs.walkFile(
              {
                file: { commit: this.#ref(repo), path: `${src.inner}/` },
                pageSize: PAGE,
                pageToken: token,
                filesOnly: true,
              },
              this.#rpc(),
            )) {
              count++;
              last = info.file?.path ?? '';
              if (!last || repo.staged.has(last) || this.#deletedCovers(repo, last)) continue;
              repo.staged.set(dst.inner + last.slice(src.inner.length), {
                kind: 'copy',
                src: last,
                size: Number(info.sizeBytes),
              });
            }
          } catch (err) {
            throw toFsError(err);
          }
          if (count < PAGE || last === '') break;
          token = last;
        }
        repo.deleted.add(src.inner);
      }
    } else {
      if (found.staged) moves.push([src.inner, dst.inner]);
      else if (found.remote) {
        await this.#dropStaged(repo, dst.inner);
        repo.staged.set(dst.inner, { kind: 'copy', src: src.inner, size: found.remote.size });
        repo.deleted.add(src.inner);
      }
    }
    for (const [a, b] of moves) {
      const entry = repo.staged.get(a);
      if (!entry) continue;
      await this.#dropStaged(repo, b);
      repo.staged.delete(a);
      repo.staged.set(b, entry);
      if (!this.#deletedCovers(repo, a) && (await this.#remote(repo, a))) repo.deleted.add(a);
    }
    for (const h of this.#handles.values()) if (h.repo === repo && h.path === src.inner) h.path = dst.inner;
  }

  // ---- committing ----

  /** Repos with staged changes and the last commit error of each (for `commit-mount` and unmount). */
  status(): { repo: string; branch?: string; changes: number; error?: string; spool: string }[] {
    return [...this.#repos.values()]
      .filter((r) => r.writable)
      .map((r) => ({
        repo: r.spec.repo,
        branch: r.spec.branch,
        changes: r.staged.size + r.deleted.size,
        ...(r.lastError ? { error: r.lastError } : {}),
        spool: r.spool,
      }));
  }

  /** Commits every writable repo; resolves with one line per repo; throws if any failed. */
  async commitAll(): Promise<string[]> {
    const lines: string[] = [];
    const failures: string[] = [];
    for (const repo of this.#repos.values()) {
      if (!repo.writable) continue;
      try {
        lines.push(await this.commitRepo(repo));
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    if (failures.length > 0) throw new FsError(E.EIO, failures.join('; '));
    return lines;
  }

  async commitRepo(repo: RepoMount): Promise<string> {
    while (repo.committing) await repo.committing.catch(() => {});
    let line = '';
    const run = this.#commitOnce(repo).then((l) => {
      line = l;
    });
    repo.committing = run;
    try {
      await run;
      return line;
    } finally {
      repo.committing = undefined;
    }
  }

  async #commitOnce(repo: RepoMount): Promise<string> {
    const where = `${repo.spec.repo}@${repo.spec.branch}`;
    if (repo.staged.size === 0 && repo.deleted.size === 0) return `${where}: nothing to commit`;
    const staged = [...repo.staged];
    const deleted = [...repo.deleted];
    const pfs = this.#client.pfs;
    let commitId: string | undefined;
    try {
      const started = await pfs.startCommit(
        {
          branch: { repo: { name: repo.spec.repo }, name: repo.spec.branch ?? 'master' },
          description: 'terrain mount',
          ...(repo.base ? { expectedHead: { repo: { name: repo.spec.repo }, id: repo.base } } : {}),
        },
        this.#rpc(),
      );
      commitId = started.commit?.id ?? '';
      const base = this.#baseRef(repo);
      const ops = async function* (): AsyncGenerator<FileOperation> {
        for (const path of deleted) yield { op: 'delete', path };
        for (const [path, entry] of staged) {
          if (entry.kind === 'spool') yield { op: 'put', path, source: createReadStream(entry.file) };
          else yield { op: 'copy', src: { commit: base, path: entry.src }, dst: path };
        }
      };
      const commit = { repo: { name: repo.spec.repo }, id: commitId };
      await pfs.modify(commit, ops(), { timeoutMs: this.#options.commitTimeoutMs });
      await pfs.finishCommit({ commit }, this.#rpc());
    } catch (err) {
      if (commitId) {
        await pfs
          .dropCommit({ commit: { repo: { name: repo.spec.repo }, id: commitId } }, this.#rpc())
          .catch(() => {});
      }
      const reason = err instanceof Error ? err.message : String(err);
      repo.lastError = isErrorCode(err, 'failed_precondition')
        ? `${where} moved since these changes were based on it (${reason}); changes kept in ${repo.spool}`
        : `could not commit to ${where}: ${reason}; changes kept in ${repo.spool}`;
      await this.#savePending(repo).catch(() => {});
      this.#options.log(repo.lastError);
      throw new FsError(E.EIO, repo.lastError);
    }
    // Only what was sent is cleared: changes made during the upload stay for the next commit.
    for (const [path, entry] of staged) {
      if (repo.staged.get(path) !== entry) continue;
      const open = [...this.#handles.values()].some((h) => h.repo === repo && h.path === path && h.file);
      if (open) continue;
      repo.staged.delete(path);
      if (entry.kind === 'spool') await rm(entry.file, { force: true });
    }
    for (const path of deleted) repo.deleted.delete(path);
    repo.base = commitId;
    repo.lastError = undefined;
    await rm(join(repo.spool, 'pending.json'), { force: true });
    for (const key of [...this.#attrs.keys()])
      if (key.startsWith(`${repo.spec.name}\0`)) this.#attrs.delete(key);
    const line = `${where}: committed ${staged.length + deleted.length} change(s) as ${commitId}`;
    this.#options.log(line);
    return line;
  }

  /** Spool files no longer referenced (after a crash) are removed; staged ones are kept. */
  async tidySpool(): Promise<void> {
    for (const repo of this.#repos.values()) {
      if (!repo.writable) continue;
      const keep = new Set([...repo.staged.values()].flatMap((s) => (s.kind === 'spool' ? [s.file] : [])));
      for (const name of await readdir(repo.spool).catch(() => [] as string[])) {
        const file = join(repo.spool, name);
        if (name.startsWith('f-') && !keep.has(file)) await rm(file, { force: true });
      }
    }
  }
}
