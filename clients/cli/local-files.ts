/**
 * Local byte sources for `put file` (files, directory trees, stdin, http(s) URLs) and local
 * targets for `get file`, all streamed: a file is read in 1 MiB pieces with `fs.createReadStream`
 * as the gRPC stream asks for them, a directory is walked entry by entry with `fs.opendir`, so
 * neither a large file nor a large tree is ever held in memory.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, opendir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { cliErrors } from './cli.ts';

export const READ_CHUNK_BYTES = 1024 * 1024;

export interface LocalFile {
  /** Absolute local path. */
  path: string;
  /** Path relative to the walked root, with "/" separators. */
  relative: string;
  size: number;
}

export interface WalkOptions {
  signal?: AbortSignal;
  /** Called for entries that are skipped (symlinked directories, sockets, …). */
  onSkip?: (path: string, why: string) => void;
}

/**
 * Every regular file beneath `root` (following symlinks to files, not to directories, so a link
 * cycle cannot loop), depth first. Order within a directory is the file system's: sorting would
 * need the whole directory in memory.
 */
export async function* walkFiles(
  root: string,
  options: WalkOptions = {},
): AsyncGenerator<LocalFile, void, undefined> {
  const absoluteRoot = resolve(root);
  async function* visit(directory: string): AsyncGenerator<LocalFile, void, undefined> {
    const dir = await opendir(directory, { bufferSize: 64 });
    for await (const entry of dir) {
      options.signal?.throwIfAborted();
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        yield* visit(path);
        continue;
      }
      if (!entry.isSymbolicLink() && !entry.isFile()) {
        options.onSkip?.(path, 'not a regular file');
        continue;
      }
      const info = await stat(path).catch(() => undefined);
      if (!info) {
        options.onSkip?.(path, 'broken symbolic link');
        continue;
      }
      if (!info.isFile()) {
        options.onSkip?.(path, info.isDirectory() ? 'symbolic link to a directory' : 'not a regular file');
        continue;
      }
      const size = info.size;
      yield { path, relative: relative(absoluteRoot, path).split(sep).join('/'), size };
    }
  }
  yield* visit(absoluteRoot);
}

/** Counts files and bytes beneath `root` (for progress totals); nothing is kept but two numbers. */
export async function measureTree(
  root: string,
  options: WalkOptions = {},
): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for await (const file of walkFiles(root, { signal: options.signal })) {
    files++;
    bytes += file.size;
  }
  return { files, bytes };
}

/** A local file's bytes, 1 MiB at a time, reporting each piece to `onBytes`. */
export async function* readLocalFile(
  path: string,
  options: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES, signal: options.signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    options.onBytes?.(chunk.byteLength);
    yield chunk;
  }
}

/** Standard input as byte chunks. */
export async function* readStream(
  stream: NodeJS.ReadableStream,
  options: { onBytes?: (n: number) => void } = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    options.onBytes?.(bytes.byteLength);
    yield bytes;
  }
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** The last path segment of a URL (decoded), for naming the file it is stored as. */
export function urlFileName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? '');
  if (!name)
    throw cliErrors.invalidArgument(
      `cannot name a file after ${url}: give the destination path explicitly (REPO@BRANCH:/PATH)`,
    );
  return name;
}

export interface Download {
  /** Content-Length, when the server sent one. */
  size: number | undefined;
  body: AsyncGenerator<Uint8Array, void, undefined>;
}

/** Starts an http(s) download; the body is streamed as the consumer reads it. */
export async function download(
  url: string,
  options: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
): Promise<Download> {
  let response: Response;
  try {
    response = await fetch(url, { signal: options.signal ?? null, redirect: 'follow' });
  } catch (err) {
    throw cliErrors.unavailable(
      `cannot download ${url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (!response.ok || !response.body) {
    const make = response.status === 404 ? cliErrors.notFound : cliErrors.failedPrecondition;
    throw make(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  const length = Number(response.headers.get('content-length') ?? NaN);
  const body = response.body;
  return {
    size: Number.isFinite(length) ? length : undefined,
    body: (async function* () {
      for await (const chunk of Readable.fromWeb(body as WebReadableStream<Uint8Array>)) {
        const bytes = chunk as Uint8Array;
        options.onBytes?.(bytes.byteLength);
        yield bytes;
      }
    })(),
  };
}

/**
 * Writes `source` to `path` through a temporary name that is renamed into place once complete,
 * so an interrupted download never leaves a truncated file under the real name.
 */
export async function writeLocalFile(
  path: string,
  source: AsyncIterable<Uint8Array>,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.terrain-${process.pid}.part`);
  try {
    await pipeline(Readable.from(source, { objectMode: false }), createWriteStream(temp), {
      signal: options.signal,
    });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Where a pfs path beneath `prefix` lands under the local directory `out`. Refuses paths that would
 * escape `out` (a defence against a misbehaving server; valid pfs paths never do).
 */
export function localTarget(out: string, prefix: string, pfsPath: string): string {
  const rel = pfsPath.startsWith(prefix) ? pfsPath.slice(prefix.length) : pfsPath.replace(/^\/+/, '');
  const target = resolve(out, ...rel.split('/').filter(Boolean));
  const root = resolve(out);
  if (target !== root && !target.startsWith(root + sep)) {
    throw cliErrors.dataLoss(`refusing to write ${JSON.stringify(pfsPath)} outside ${out}`);
  }
  return target;
}
