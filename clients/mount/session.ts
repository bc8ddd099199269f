/**
 * One `terrain mount` process: mounts, serves a control socket (for `terrain commit-mount` and
 * `terrain unmount` from other shells), and on unmount (control request, Ctrl-C, SIGTERM) commits
 * staged writes, then unmounts. Changes that cannot be committed stay in the spool directory with
 * a `pending.json`, are reported, and are staged again by the next mount of the same directory.
 *
 * Per mount point, state lives beside the context file: `<context dir>/mounts/<hash of DIR>/`
 * (`control.sock`, `spool/`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { errorFactory } from '../../services/platform/errors.ts';
import type { TerrainClient } from '../ts/index.ts';
import { Filesystem } from './filesystem.ts';
import { forceUnmount, isMounted, mountFuse } from './fuse-adapter.ts';
import type { RepoSpec } from './mount-spec.ts';

const mountErrors = errorFactory('mount');

export function mountStateDir(contextFile: string, dir: string): string {
  const key = createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 16);
  return join(dirname(contextFile), 'mounts', key);
}

export interface MountSessionOptions {
  specs: RepoSpec[];
  contextFile: string;
  commitOnClose?: boolean;
  timeoutMs?: number;
  cacheBytes?: number;
  signal: AbortSignal;
  log: (line: string) => void;
  /** Called once the filesystem is served. */
  onReady?: () => void;
}

interface ControlRequest {
  cmd: 'commit' | 'unmount' | 'status';
}
interface ControlReply {
  ok: boolean;
  lines: string[];
  error?: string;
}

/**
 * Runs until unmounted. Resolves with the lines to print; rejects (`unavailable`,
 * `failed_precondition`) when mounting fails or when staged changes could not be committed at
 * unmount (they are kept, and the error says where).
 */
export async function runMountSession(
  client: TerrainClient,
  dir: string,
  options: MountSessionOptions,
): Promise<string[]> {
  const target = resolve(dir);
  const state = mountStateDir(options.contextFile, target);
  const sock = join(state, 'control.sock');
  mkdirSync(state, { recursive: true });
  if (existsSync(sock) && (await isAlive(sock))) {
    throw mountErrors.alreadyExists(
      `${target} is already mounted by a running \`terrain mount\`; unmount it first`,
    );
  }
  if (isMounted(target)) {
    options.log(`cleaning up a stale mount at ${target}`);
    forceUnmount(target);
  }
  rmSync(sock, { force: true });

  const fs = new Filesystem(client, options.specs, {
    spoolDir: join(state, 'spool'),
    commitOnClose: options.commitOnClose ?? false,
    timeoutMs: options.timeoutMs ?? 10_000,
    cacheBytes: options.cacheBytes ?? 64 * 1024 * 1024,
    log: options.log,
  });
  for (const note of await fs.prepare()) options.log(note);
  await fs.tidySpool();

  const fuse = await mountFuse(fs, target, {
    opTimeoutMs: Math.max(30_000, 3 * (options.timeoutMs ?? 10_000)),
  });
  let finish!: (request: 'unmount') => void;
  const done = new Promise<'unmount'>((r) => (finish = r));
  const onAbort = () => finish('unmount');
  options.signal.addEventListener('abort', onAbort, { once: true });
  let unmountReply: ((reply: ControlReply) => void) | undefined;

  const server: Server = createServer((socket) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (!text.includes('\n')) return;
      const request = JSON.parse(text.slice(0, text.indexOf('\n'))) as ControlRequest;
      const send = (reply: ControlReply) => socket.end(`${JSON.stringify(reply)}\n`);
      if (request.cmd === 'commit') {
        fs.commitAll().then(
          (lines) => send({ ok: true, lines }),
          (err: unknown) => send({ ok: false, lines: [], error: (err as Error).message }),
        );
      } else if (request.cmd === 'status') {
        send({ ok: true, lines: fs.status().map((s) => JSON.stringify(s)) });
      } else {
        unmountReply = send;
        finish('unmount');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(sock, r));
  options.log(`mounted at ${target}; unmount with Ctrl-C or \`terrain unmount ${dir}\``);
  options.onReady?.();

  await done;
  options.signal.removeEventListener('abort', onAbort);
  let lines: string[] = [];
  let failure: string | undefined;
  try {
    lines = await fs.commitAll();
  } catch (err) {
    failure = (err as Error).message;
  }
  try {
    await fuse.unmount();
  } catch {
    forceUnmount(target);
  }
  lines.push(`unmounted ${target}`);
  // Reply first: server.close waits for open connections, the requester's included.
  unmountReply?.({ ok: failure === undefined, lines, ...(failure ? { error: failure } : {}) });
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(sock, { force: true });
  if (failure)
    throw mountErrors.failedPrecondition(
      `${failure} (unmounted; the changes will be staged again by the next mount of ${target})`,
    );
  // Commit lines were already logged as they happened.
  return [`unmounted ${target}`];
}

function isAlive(sock: string): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection(sock);
    socket.once('connect', () => {
      socket.end(`${JSON.stringify({ cmd: 'status' })}\n`);
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/**
 * Sends a control request to the `terrain mount` serving `dir`. Resolves with its reply, or
 * undefined when no live mount process answers (then the caller may clean up a stale mount).
 */
export function sendControl(
  contextFile: string,
  dir: string,
  cmd: ControlRequest['cmd'],
  timeoutMs: number,
): Promise<ControlReply | undefined> {
  const sock = join(mountStateDir(contextFile, dir), 'control.sock');
  if (!existsSync(sock)) return Promise.resolve(undefined);
  return new Promise((done, fail) => {
    const socket = createConnection(sock);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      fail(
        mountErrors.deadlineExceeded(
          `the mount process at ${dir} did not answer "${cmd}" within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    socket.once('connect', () => socket.write(`${JSON.stringify({ cmd })}\n`));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.once('end', () => {
      clearTimeout(timer);
      try {
        done(JSON.parse(text) as ControlReply);
      } catch {
        fail(mountErrors.internal(`the mount process at ${dir} sent an unreadable reply: ${text}`));
      }
    });
    socket.once('error', () => {
      clearTimeout(timer);
      done(undefined);
    });
  });
}

export { forceUnmount, isMounted };
