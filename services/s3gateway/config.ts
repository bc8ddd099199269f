/**
 * The S3 gateway's configuration: where it listens, who may call it, and its limits. Built by
 * `main.ts` (or `terrain up`) with `s3GatewayConfig(partial)`, which fills defaults and validates;
 * `s3ConfigFromEnv` reads the `TERRAIN_S3_*` variables.
 *
 * Credentials: a map of access key ID → secret. Anonymous access is off unless `anonymous` says
 * `read-only` or `read-write`; then requests that carry no signature at all are served (a request
 * with a bad signature is still refused).
 */
import { errorFactory } from '../platform/errors.ts';

export const s3gatewayErrors = errorFactory('s3gateway');

export type AnonymousAccess = 'off' | 'read-only' | 'read-write';

export interface S3GatewayConfig {
  /** host:port to listen on; port 0 picks a free one. */
  address: string;
  /** Region reported by GetBucketLocation. Requests signed for any region are accepted. */
  region: string;
  /** Access key ID → secret. */
  credentials: Record<string, string>;
  anonymous: AnonymousAccess;
  /** Base domain for virtual-host-style requests (`bucket.<domain>`); unset: path style only. */
  domain?: string | undefined;
  /** Largest single PUT (S3: 5 GiB). */
  maxObjectBytes: number;
  /** Largest part (S3: 5 GiB). */
  maxPartBytes: number;
  /** Smallest part other than the last (S3: 5 MiB). */
  minPartBytes: number;
  /** An upload without activity for this long is aborted and its parts collected. */
  uploadTimeoutMs: number;
  /** TTL of the file-set handles that hold staged parts; renewed every third of it while the upload lives. */
  partTtlMs: number;
  /** How long `stop()` waits for requests in flight before closing connections. */
  shutdownGraceMs: number;
}

export const DEFAULT_S3_CONFIG: S3GatewayConfig = {
  address: '127.0.0.1:1600',
  region: 'us-east-1',
  credentials: {},
  anonymous: 'off',
  maxObjectBytes: 5 * 1024 ** 3,
  maxPartBytes: 5 * 1024 ** 3,
  minPartBytes: 5 * 1024 ** 2,
  uploadTimeoutMs: 24 * 3600 * 1000,
  partTtlMs: 10 * 60 * 1000,
  shutdownGraceMs: 10_000,
};

/** Fills defaults and validates. @throws invalid_argument naming the setting. */
export function s3GatewayConfig(partial: Partial<S3GatewayConfig> = {}): S3GatewayConfig {
  const config: S3GatewayConfig = {
    ...DEFAULT_S3_CONFIG,
    ...partial,
    credentials: { ...(partial.credentials ?? {}) },
  };
  if (!/^[^:]*:\d+$/.test(config.address) && !/^\[[^\]]+\]:\d+$/.test(config.address)) {
    throw s3gatewayErrors.invalidArgument(`address ${JSON.stringify(config.address)} is not host:port`);
  }
  if (!['off', 'read-only', 'read-write'].includes(config.anonymous)) {
    throw s3gatewayErrors.invalidArgument(
      `anonymous must be off, read-only or read-write (got ${JSON.stringify(config.anonymous)})`,
    );
  }
  for (const [id, secret] of Object.entries(config.credentials)) {
    if (!/^[A-Za-z0-9._~+=-]{3,128}$/.test(id))
      throw s3gatewayErrors.invalidArgument(
        `access key ID ${JSON.stringify(id)} must be 3-128 characters of A-Z a-z 0-9 . _ ~ + = -`,
      );
    if (typeof secret !== 'string' || secret.length < 8)
      throw s3gatewayErrors.invalidArgument(`the secret of access key ${id} must be at least 8 characters`);
  }
  if (Object.keys(config.credentials).length === 0 && config.anonymous === 'off') {
    throw s3gatewayErrors.invalidArgument(
      'no credentials are configured and anonymous access is off: nobody could use the gateway (set TERRAIN_S3_CREDENTIALS=KEY:SECRET)',
    );
  }
  for (const key of [
    'maxObjectBytes',
    'maxPartBytes',
    'minPartBytes',
    'uploadTimeoutMs',
    'partTtlMs',
    'shutdownGraceMs',
  ] as const) {
    if (!Number.isFinite(config[key]) || config[key] < 0)
      throw s3gatewayErrors.invalidArgument(`${key} must be a non-negative number (got ${config[key]})`);
  }
  if (config.partTtlMs < 3000)
    throw s3gatewayErrors.invalidArgument(`partTtlMs must be at least 3000 (got ${config.partTtlMs})`);
  return config;
}

/** Parses `KEY:SECRET[,KEY:SECRET…]`. */
export function parseCredentials(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const colon = pair.indexOf(':');
    if (colon <= 0)
      throw s3gatewayErrors.invalidArgument('credentials must be KEY:SECRET pairs separated by commas');
    out[pair.slice(0, colon)] = pair.slice(colon + 1);
  }
  return out;
}

/** The `TERRAIN_S3_*` environment variables this module reads. */
export const S3_ENV = [
  'TERRAIN_S3_ADDRESS',
  'TERRAIN_S3_REGION',
  'TERRAIN_S3_CREDENTIALS',
  'TERRAIN_S3_ANONYMOUS',
  'TERRAIN_S3_DOMAIN',
] as const;

/** Reads `TERRAIN_S3_*` into a partial config (validate with s3GatewayConfig). */
export function s3ConfigFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<S3GatewayConfig> {
  const out: Partial<S3GatewayConfig> = {};
  if (env['TERRAIN_S3_ADDRESS']) out.address = env['TERRAIN_S3_ADDRESS'];
  if (env['TERRAIN_S3_REGION']) out.region = env['TERRAIN_S3_REGION'];
  if (env['TERRAIN_S3_CREDENTIALS']) out.credentials = parseCredentials(env['TERRAIN_S3_CREDENTIALS']);
  if (env['TERRAIN_S3_ANONYMOUS']) out.anonymous = env['TERRAIN_S3_ANONYMOUS'] as AnonymousAccess;
  if (env['TERRAIN_S3_DOMAIN']) out.domain = env['TERRAIN_S3_DOMAIN'];
  return out;
}
