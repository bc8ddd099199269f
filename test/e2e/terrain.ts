/**
 * Helpers for the end-to-end suite: run the real `bin/terrain` launcher as a user would, pick free
 * loopback ports, and hash directory trees.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAUNCHER = fileURLToPath(new URL('../../bin/terrain', import.meta.url));

export interface TerrainResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  /** stdout as text. */
  out: string;
}

export interface TerrainRunOptions {
  env: NodeJS.ProcessEnv;
  input?: Buffer | string;
  timeoutMs?: number;
}

/** Runs `bin/terrain ARGS…` and collects its output; never rejects for a non-zero exit. */
export function terrain(args: string[], options: TerrainRunOptions): Promise<TerrainResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(LAUNCHER, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `terrain ${args.join(' ')} did not finish within ${options.timeoutMs ?? 90_000} ms; stderr: ${err}`,
        ),
      );
    }, options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: err, out: stdout.toString('utf8') });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Parses every non-empty stdout line as JSON (the `--json` contract). */
export function jsonLines<T = Record<string, unknown>>(result: TerrainResult): T[] {
  return result.out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** relative path → sha256 of every file beneath `root`, sorted by path. */
export async function treeDigest(root: string): Promise<Record<string, string>> {
  const digest: Record<string, string> = {};
  async function visit(dir: string, prefix: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(path, rel);
      else digest[rel] = await sha256File(path);
    }
  }
  await visit(root, '');
  return Object.fromEntries(Object.entries(digest).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The environment for the CLI under test: its own context file, no inherited Terrain addresses. */
export function isolatedEnv(contextFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERRAIN_CONTEXT: contextFile };
  for (const name of Object.keys(env)) {
    if (/^TERRAIN_(ADDRESS|PFS_ADDRESS|PPS_ADDRESS|LINEAGE_ADDRESS|TRANSACTION)$/.test(name))
      delete env[name];
  }
  return env;
}

export function stderrLines(result: TerrainResult): string[] {
  return result.stderr.split('\n').filter((line) => line.trim() !== '');
}
