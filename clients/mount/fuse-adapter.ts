/**
 * Binds a `Filesystem` to the kernel through `fuse-native` (a prebuilt N-API addon over libfuse2,
 * loaded with createRequire because it is CommonJS). Every operation's promise becomes the
 * callback fuse-native expects: a negative errno on failure.
 *
 * fuse-native also answers EIO-like timeouts itself after `opTimeoutMs`, a backstop above the
 * per-call pfs deadline so that no kernel request can wait forever.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { FsError, toFsError, type Attr, type Filesystem } from './filesystem.ts';

type Callback = (code: number, ...rest: unknown[]) => void;

interface FuseInstance {
  mount(cb: (err: Error | null) => void): void;
  unmount(cb: (err: Error | null) => void): void;
}
interface FuseConstructor {
  new (mnt: string, ops: Record<string, unknown>, opts: Record<string, unknown>): FuseInstance;
}

/** Loads fuse-native; throws with the reason when it cannot load here (no libfuse, wrong ABI). */
export function loadFuse(): FuseConstructor {
  const require = createRequire(import.meta.url);
  return require('fuse-native') as FuseConstructor;
}

/** True when `dir` is a mount point in /proc/mounts. */
export function isMounted(dir: string): boolean {
  const target = resolve(dir);
  try {
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .some((line) => line.split(' ')[1]?.replace(/\\040/g, ' ') === target);
  } catch {
    return false;
  }
}

/** Unmounts `dir` (a stale FUSE mount included): fusermount, fusermount3, then a lazy umount. */
export function forceUnmount(dir: string): void {
  const target = resolve(dir);
  for (const [cmd, args] of [
    ['fusermount', ['-u', '-z', target]],
    ['fusermount3', ['-u', '-z', target]],
    ['umount', ['-l', target]],
  ] as const) {
    if (!isMounted(target)) return;
    try {
      execFileSync(cmd, [...args], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // try the next tool
    }
  }
}

function reply<T>(cb: Callback, work: Promise<T>, ok: (value: T) => unknown[]): void {
  work.then(
    (value) => cb(0, ...ok(value)),
    (err: unknown) => {
      const fsErr = err instanceof FsError ? err : toFsError(err);
      cb(-fsErr.errno);
    },
  );
}

/** fuse-native's read/write callbacks take the byte count (or a negative errno) first. */
function replyCount(cb: Callback, work: Promise<number>): void {
  work.then(
    (n) => cb(n),
    (err: unknown) => cb(-(err instanceof FsError ? err : toFsError(err)).errno),
  );
}

export interface FuseMountOptions {
  opTimeoutMs?: number;
  debug?: boolean;
}

/** Mounts `fs` at `dir`; resolves once the kernel serves it. Returns the unmount function. */
export async function mountFuse(
  fs: Filesystem,
  dir: string,
  options: FuseMountOptions = {},
): Promise<{ unmount: () => Promise<void> }> {
  const Fuse = loadFuse();
  const attr = (a: Attr) => [a];
  const ops: Record<string, unknown> = {
    getattr: (path: string, cb: Callback) => reply(cb, fs.getattr(path), attr),
    fgetattr: (path: string, _fd: number, cb: Callback) => reply(cb, fs.getattr(path), attr),
    readdir: (path: string, cb: Callback) => reply(cb, fs.readdir(path), (names) => [names]),
    open: (path: string, flags: number, cb: Callback) => reply(cb, fs.open(path, flags), (fd) => [fd]),
    create: (path: string, _mode: number, cb: Callback) => reply(cb, fs.create(path), (fd) => [fd]),
    read: (_p: string, fd: number, buf: Buffer, len: number, pos: number, cb: Callback) =>
      replyCount(cb, fs.read(fd, buf, len, pos)),
    write: (_p: string, fd: number, buf: Buffer, len: number, pos: number, cb: Callback) =>
      replyCount(cb, fs.write(fd, buf, len, pos)),
    release: (_p: string, fd: number, cb: Callback) => reply(cb, fs.release(fd), () => []),
    truncate: (path: string, size: number, cb: Callback) => reply(cb, fs.truncate(path, size), () => []),
    ftruncate: (_p: string, fd: number, size: number, cb: Callback) =>
      reply(cb, fs.ftruncate(fd, size), () => []),
    unlink: (path: string, cb: Callback) => reply(cb, fs.unlink(path), () => []),
    rename: (a: string, b: string, cb: Callback) => reply(cb, fs.rename(a, b), () => []),
    mkdir: (path: string, _mode: number, cb: Callback) => reply(cb, fs.mkdir(path), () => []),
    rmdir: (path: string, cb: Callback) => reply(cb, fs.rmdir(path), () => []),
    // Times and modes are pfs's; accepting these keeps `cp -p`, `touch` and editors working.
    utimens: (_p: string, _a: unknown, _m: unknown, cb: Callback) => cb(0),
    chmod: (_p: string, _m: number, cb: Callback) => cb(0),
    chown: (_p: string, _u: number, _g: number, cb: Callback) => cb(0),
    flush: (_p: string, _fd: number, cb: Callback) => cb(0),
    fsync: (_p: string, _d: unknown, _fd: number, cb: Callback) => cb(0),
  };
  const fuse = new Fuse(resolve(dir), ops, {
    force: true,
    mkdir: true,
    timeout: options.opTimeoutMs ?? 30_000,
    fsname: 'terrain',
    debug: options.debug ?? false,
  });
  await new Promise<void>((done, fail) => fuse.mount((err) => (err ? fail(err) : done())));
  return {
    unmount: () =>
      new Promise<void>((done, fail) =>
        fuse.unmount((err) => {
          if (err && isMounted(dir)) fail(err);
          else done();
        }),
      ),
  };
}
