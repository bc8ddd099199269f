/**
 * Finding the system programs Terrain runs (etcd, and for the test suite Swift and protoc), and
 * installing Debian's packages for them when that is possible: as root, with apt-get on the machine.
 *
 * Otherwise the caller gets one line saying what to install — never a half-working start.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { platformErrors } from './errors.ts';

export interface SystemRequirement {
  /** A program that must be found on PATH (or at this absolute path), or a file that must exist. */
  binary: string;
  /** True when `binary` names a plain file (a Python module), not an executable. */
  isFile?: boolean;
  /** The Debian package that provides it. */
  debianPackage: string;
}

/** Absolute path of `binary` on PATH (or the path itself when absolute and executable), else undefined. */
export function findBinary(binary: string, path = process.env['PATH'] ?? ''): string | undefined {
  const candidates = binary.startsWith('/')
    ? [binary]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, binary));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

function present(r: SystemRequirement): boolean {
  return r.isFile ? existsSync(r.binary) : findBinary(r.binary) !== undefined;
}

export interface EnsureOptions {
  /** Progress lines ("installing etcd-server with apt-get…"). */
  log?: (line: string) => void;
}

/**
 * Makes sure every requirement's binary exists, installing the missing Debian packages with
 * apt-get when running as root. Throws FAILED_PRECONDITION with the exact install command otherwise.
 */
export function ensureSystemPackages(requirements: SystemRequirement[], options: EnsureOptions = {}): void {
  const missing = requirements.filter((r) => !present(r));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((r) => r.debianPackage))];
  const command = `apt-get install -y ${packages.join(' ')}`;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !findBinary('apt-get')) {
    throw platformErrors.failedPrecondition(
      `missing ${missing.map((r) => r.binary).join(', ')}: install them with \`${command}\` (as root)`,
    );
  }
  options.log?.(
    `installing ${packages.join(', ')} with apt-get (missing: ${missing.map((r) => r.binary).join(', ')})`,
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]): boolean =>
    spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0;
  // Install from the current lists first; refresh them only when that fails (fresh machines have none).
  if (
    !run(['install', '-y', '-q', ...packages]) &&
    !(run(['update', '-q']) && run(['install', '-y', '-q', ...packages]))
  ) {
    throw platformErrors.failedPrecondition(`\`${command}\` failed; run it by hand to see why`);
  }
  const stillMissing = missing.filter((r) => !present(r));
  if (stillMissing.length > 0) {
    throw platformErrors.failedPrecondition(
      `installed ${packages.join(' ')} but ${stillMissing.map((r) => r.binary).join(', ')} is still not on PATH`,
    );
  }
}

/** What a running cluster needs. */
export const CLUSTER_REQUIREMENTS: SystemRequirement[] = [{ binary: 'etcd', debianPackage: 'etcd-server' }];

/** What the whole test suite needs on top: Swift as the S3 server, real S3 clients, protoc for Python stubs. */
export const TEST_REQUIREMENTS: SystemRequirement[] = [
  ...CLUSTER_REQUIREMENTS,
  { binary: 'etcdctl', debianPackage: 'etcd-client' },
  { binary: 'swift-proxy-server', debianPackage: 'swift-proxy' },
  { binary: 'swift-object-server', debianPackage: 'swift-object' },
  { binary: 'swift-container-server', debianPackage: 'swift-container' },
  { binary: 'swift-account-server', debianPackage: 'swift-account' },
  { binary: 'memcached', debianPackage: 'memcached' },
  { binary: '/usr/bin/protoc', debianPackage: 'protobuf-compiler' },
  { binary: '/usr/bin/grpc_python_plugin', debianPackage: 'protobuf-compiler-grpc' },
  {
    binary: '/usr/lib/python3/dist-packages/grpc/__init__.py',
    isFile: true,
    debianPackage: 'python3-grpcio',
  },
];
