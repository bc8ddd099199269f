/**
 * Opens an ObjectStore from the one-string form used in config, flags and `TERRAIN_OBJECT_STORE`:
 *
 *   local:/var/lib/terrain        a directory (also a bare path: `/var/lib/terrain`, `./data`)
 *   memory:                       a new, empty in-memory store (tests)
 *   s3://bucket                   AWS S3, region and credentials from the standard AWS variables
 *   s3://bucket/some/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1
 *                                 any S3-compatible server (path-style addressing unless
 *                                 `forcePathStyle=false`)
 *
 * S3 settings, first found wins: the URL, then `options`, then `AWS_ENDPOINT_URL_S3` /
 * `AWS_ENDPOINT_URL`, `AWS_REGION` / `AWS_DEFAULT_REGION` (else us-east-1). Credentials come from
 * `options.credentials`, else the AWS SDK's default chain (AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, profiles, instance roles). Secrets never go in the URL.
 *
 * Throws INVALID_ARGUMENT naming the value for anything it cannot parse. Opening does not contact
 * the server; the first operation reports an unreachable one (UNAVAILABLE) or a missing bucket.
 */
import { resolve } from 'node:path';
import { platformErrors } from '../errors.ts';
import { LocalObjectStore } from './local.ts';
import { MemoryObjectStore } from './memory.ts';
import type { ObjectStore } from './object-store.ts';
import type { S3Credentials, S3ObjectStore } from './s3.ts';

export interface OpenObjectStoreOptions {
  /** S3 credentials; omitted: the AWS SDK's default chain. */
  credentials?: S3Credentials;
  /** S3 region when the URL has none. */
  region?: string;
  /** S3 endpoint when the URL has none. */
  endpoint?: string;
  /** Environment to read AWS_* variables from; default `process.env` (tests pass their own). */
  env?: Record<string, string | undefined>;
}

const QUERY_KEYS = new Set(['endpoint', 'region', 'forcePathStyle']);

export async function openObjectStore(
  url: string,
  options: OpenObjectStoreOptions = {},
): Promise<ObjectStore> {
  const invalid = (why: string): Error =>
    platformErrors.invalidArgument(
      `object store URL ${JSON.stringify(url)} ${why}; use local:DIR, memory: or s3://BUCKET[/PREFIX][?endpoint=URL&region=R]`,
      { details: { url } },
    );
  if (typeof url !== 'string' || url.trim() === '') throw invalid('is empty');
  if (url === 'memory:' || url === 'memory://') return new MemoryObjectStore();
  if (url.startsWith('local:')) {
    const dir = url.slice('local:'.length).replace(/^\/\/(?=\/)/, ''); // local:///x is local:/x
    if (dir === '') throw invalid('names no directory');
    return new LocalObjectStore(resolve(dir));
  }
  if (url.startsWith('s3://')) return openS3(url, options, invalid);
  // A scheme we do not know (http:, gs:, file:…) is a mistake, not a relative directory named "gs:".
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url)) throw invalid('has an unknown scheme');
  return new LocalObjectStore(resolve(url));
}

/** The AWS SDK (~40 MiB of memory) is loaded only when an S3 store is asked for. */
async function openS3(
  url: string,
  options: OpenObjectStoreOptions,
  invalid: (why: string) => Error,
): Promise<S3ObjectStore> {
  const { S3ObjectStore } = await import('./s3.ts');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('is not a valid URL');
  }
  const bucket = parsed.hostname;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw invalid(`has bucket name "${bucket}", which is not 3-63 lowercase letters, digits, '.' or '-'`);
  }
  if (parsed.username || parsed.password)
    throw invalid('contains credentials; pass them through AWS_* variables');
  if (parsed.port) throw invalid('has a port after the bucket; put the server in ?endpoint=');
  for (const key of parsed.searchParams.keys()) {
    if (!QUERY_KEYS.has(key))
      throw invalid(`has unknown parameter "${key}" (known: ${[...QUERY_KEYS].join(', ')})`);
  }
  const env = options.env ?? process.env;
  const endpoint =
    parsed.searchParams.get('endpoint') ??
    options.endpoint ??
    env['AWS_ENDPOINT_URL_S3'] ??
    env['AWS_ENDPOINT_URL'];
  if (endpoint !== undefined) {
    try {
      const e = new URL(endpoint);
      if (e.protocol !== 'http:' && e.protocol !== 'https:') throw new Error('not http');
    } catch {
      throw invalid(`has endpoint "${endpoint}", which is not an http(s) URL`);
    }
  }
  const region =
    parsed.searchParams.get('region') ??
    options.region ??
    env['AWS_REGION'] ??
    env['AWS_DEFAULT_REGION'] ??
    'us-east-1';
  const pathStyle = parsed.searchParams.get('forcePathStyle');
  if (pathStyle !== null && pathStyle !== 'true' && pathStyle !== 'false') {
    throw invalid(`has forcePathStyle="${pathStyle}"; use true or false`);
  }
  let prefix: string;
  try {
    prefix = decodeURIComponent(parsed.pathname).replace(/^\/+/, '');
  } catch {
    throw invalid('has a malformed %-escape in its prefix');
  }
  try {
    return new S3ObjectStore({
      bucket,
      prefix,
      region,
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(pathStyle !== null ? { forcePathStyle: pathStyle === 'true' } : {}),
    });
  } catch (err) {
    throw invalid(`is not usable: ${err instanceof Error ? err.message : String(err)}`);
  }
}
