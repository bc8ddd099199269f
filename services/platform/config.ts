/**
 * Configuration, read once in a `main.ts` and passed down explicitly (no service reads the
 * environment on its own).
 *
 * Precedence, lowest first: built-in defaults < config file (JSON or YAML, from `--config` or
 * `TERRAIN_CONFIG`) < `TERRAIN_*` environment variables < flags the caller parsed. Unknown keys in
 * a file or unknown `TERRAIN_*` variables that look like config are errors naming the key, so a typo
 * never silently falls back to a default.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { platformErrors } from './errors.ts';

export interface PlatformConfig {
  /** host:port the gRPC server listens on. */
  grpcAddress: string;
  /** Comma-separated etcd client URLs. */
  etcdEndpoints: string[];
  /** Prefix under which every etcd key lives (tests and tenants share one etcd). */
  etcdPrefix: string;
  /** `local:DIR`, `s3://BUCKET[/PREFIX]?endpoint=URL&region=R`, or `memory:`. */
  storage: string;
  /** Where local state lives (embedded etcd data, local object store, context). */
  dataDir: string;
  /** trace | debug | info | warn | error | silent */
  logLevel: string;
  /** TTL of the leases that mark live members and held shards. */
  leaseTtlSeconds: number;
  /** Largest value written to etcd; kept well below etcd's 1.5 MiB request limit. */
  maxRecordBytes: number;
}

export const DEFAULT_CONFIG: PlatformConfig = {
  grpcAddress: '127.0.0.1:1650',
  etcdEndpoints: ['http://127.0.0.1:2379'],
  etcdPrefix: '/terrain/',
  storage: 'local:~/.terrain/objects',
  dataDir: '~/.terrain',
  logLevel: 'info',
  leaseTtlSeconds: 30,
  maxRecordBytes: 1024 * 1024,
};

type Key = keyof PlatformConfig;

/** The environment variable for each key: `TERRAIN_GRPC_ADDRESS`, `TERRAIN_ETCD_ENDPOINTS`, … */
export function envName(key: Key): string {
  return 'TERRAIN_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

/** Env vars read by other parts of Terrain (CLI context, tests); not config keys, not errors. */
const OTHER_TERRAIN_VARS = new Set([
  'TERRAIN_CONFIG',
  'TERRAIN_ADDRESS',
  'TERRAIN_CONTEXT',
  'TERRAIN_TEST',
  'TERRAIN_TEST_BACKEND',
  'TERRAIN_PFS_ADDRESS',
  'TERRAIN_PPS_ADDRESS',
  'TERRAIN_LINEAGE_ADDRESS',
  'TERRAIN_TRANSACTION',
  'TERRAIN_SUITE',
  'TERRAIN_GIT_COMMIT',
  'TERRAIN_ETCD_BIN',
]);

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON or YAML config file; defaults to `TERRAIN_CONFIG` when set. */
  file?: string;
  /** Values from flags; they win over everything else. */
  overrides?: Partial<PlatformConfig>;
  /** Extra `TERRAIN_*` names the caller reads itself (so they are not reported as unknown). */
  knownEnv?: string[];
}

export function loadConfig(options: LoadConfigOptions = {}): PlatformConfig {
  const env = options.env ?? process.env;
  const config: PlatformConfig = { ...DEFAULT_CONFIG, etcdEndpoints: [...DEFAULT_CONFIG.etcdEndpoints] };
  const file = options.file ?? env['TERRAIN_CONFIG'];
  if (file) applyRecord(config, readConfigFile(file), `config file ${file}`);

  const known = new Set([...OTHER_TERRAIN_VARS, ...(options.knownEnv ?? [])]);
  const byEnv = new Map((Object.keys(DEFAULT_CONFIG) as Key[]).map((k) => [envName(k), k]));
  const fromEnv: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('TERRAIN_') || value === undefined || known.has(name)) continue;
    const key = byEnv.get(name);
    if (!key) {
      throw platformErrors.invalidArgument(
        `unknown environment variable ${name}; known ones are ${[...byEnv.keys()].join(', ')}`,
      );
    }
    fromEnv[key] = value;
  }
  applyRecord(config, fromEnv, 'environment');
  if (options.overrides) applyRecord(config, options.overrides as Record<string, unknown>, 'flags');
  return config;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw platformErrors.invalidArgument(`cannot read config file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw platformErrors.invalidArgument(
      `config file ${path} is not valid JSON/YAML: ${(err as Error).message}`,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw platformErrors.invalidArgument(`config file ${path} must hold a mapping of settings`);
  }
  return parsed as Record<string, unknown>;
}

function applyRecord(config: PlatformConfig, record: Record<string, unknown>, source: string): void {
  for (const [key, raw] of Object.entries(record)) {
    if (raw === undefined) continue;
    if (!(key in DEFAULT_CONFIG)) {
      throw platformErrors.invalidArgument(
        `unknown setting "${key}" in ${source}; known settings are ${Object.keys(DEFAULT_CONFIG).join(', ')}`,
      );
    }
    const k = key as Key;
    const expected = DEFAULT_CONFIG[k];
    const bad = (): never => {
      throw platformErrors.invalidArgument(
        `setting "${key}" in ${source} has invalid value ${JSON.stringify(raw)}`,
      );
    };
    if (Array.isArray(expected)) {
      const list =
        typeof raw === 'string'
          ? raw
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : raw;
      if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string')) bad();
      (config as unknown as Record<string, unknown>)[k] = list;
    } else if (typeof expected === 'number') {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n) || n <= 0) bad();
      (config as unknown as Record<string, unknown>)[k] = n;
    } else {
      if (typeof raw !== 'string' || raw === '') bad();
      (config as unknown as Record<string, unknown>)[k] = raw;
    }
  }
}

/** Expands a leading `~` to the home directory. */
export function expandHome(path: string, home = process.env['HOME'] ?? '/root'): string {
  return path === '~' ? home : path.startsWith('~/') ? home + path.slice(1) : path;
}
