/**
 * The context file: where `terrain up` records the cluster it started, so that every later command
 * (and any program using this client) finds it without flags. It also remembers the CLI's active
 * transaction, as pachctl's config does.
 *
 * Location: `$TERRAIN_CONTEXT`, else `~/.terrain/context.json`. The file is small JSON; it is
 * read and written synchronously because it is read once at start-up and written rarely.
 * Writes go to a temporary file that is renamed over the old one, so a reader never sees half a
 * file; two concurrent writers race and the last rename wins (each write is a whole context).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { clientErrors } from './errors.ts';

export interface TerrainContext {
  /** `host:port` of the cluster's gRPC endpoint (every service when not split). */
  grpcAddress?: string;
  /** Per-service addresses for split deployments; each falls back to `grpcAddress`. */
  addresses?: { pfs?: string; pps?: string; lineage?: string };
  /** `http://host:port` of the S3 gateway, when one runs. */
  s3Endpoint?: string;
  /** The etcd client URL the cluster uses. */
  etcdEndpoint?: string;
  /** The object store: `local:DIR` or `s3://BUCKET?endpoint=URL`. */
  storage?: string;
  /** The data directory of a cluster started by `terrain up` (holds terrain.pid and terrain.log). */
  dataDir?: string;
  /** Process ID of that cluster. */
  pid?: number;
  /** ISO time the cluster started. */
  startedAt?: string;
  /** The active transaction: `start commit`, `finish commit` and branch commands join it. */
  transaction?: string;
}

type Env = Record<string, string | undefined>;

/** Where the context file lives for this environment. */
export function contextPath(env: Env = process.env): string {
  const explicit = env['TERRAIN_CONTEXT'];
  if (explicit) return explicit;
  return join(env['HOME'] || homedir(), '.terrain', 'context.json');
}

/**
 * Reads the context file; undefined when it does not exist. Throws `invalid_argument` naming the
 * file when it exists but is not a JSON object (a silently ignored broken context would send
 * commands to the wrong cluster).
 */
export function readContext(path: string): TerrainContext | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw clientErrors.invalidArgument(`cannot read context file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw clientErrors.invalidArgument(`context file ${path} is not valid JSON; fix or delete it`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw clientErrors.invalidArgument(`context file ${path} must hold a JSON object; fix or delete it`);
  }
  return parsed as TerrainContext;
}

/** Replaces the context file atomically (creating its directory). */
export function writeContext(path: string, context: TerrainContext): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(context, null, 2) + '\n', { mode: 0o600 });
  renameSync(temp, path);
}

/**
 * Merges `patch` into the current context (keys set to undefined are removed) and writes it back.
 * Read-modify-write without a lock: concurrent updaters may lose each other's change.
 */
export function updateContext(path: string, patch: Partial<TerrainContext>): TerrainContext {
  const next: Record<string, unknown> = { ...(readContext(path) ?? {}) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  writeContext(path, next as TerrainContext);
  return next as TerrainContext;
}
