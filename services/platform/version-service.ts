/**
 * The Version service every Terrain process serves: its version, the git commit it was built from
 * (when known), the Node.js it runs on, and the services it hosts — for `terrain version` and
 * `terrain status`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { VersionService, type VersionServer } from '../../proto/gen/terrain/common/v1/version.ts';
import { unary } from './grpc-handlers.ts';
import type { GrpcServer } from './grpc-server.ts';

export const VERSION_SERVICE_NAME = 'terrain.common.v1.Version';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The package version from package.json. */
export function terrainVersion(): string {
  return (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;
}

function gitCommit(): string {
  if (process.env['TERRAIN_GIT_COMMIT']) return process.env['TERRAIN_GIT_COMMIT'];
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return ''; // not a git checkout (an image, a tarball): unknown
  }
}

/** Registers the Version service; `services` lists what this process serves. */
export function addVersionService(server: GrpcServer, services: () => string[], logger: Logger): void {
  const version = terrainVersion();
  const commit = gitCommit();
  const impl: VersionServer = {
    getVersion: unary(logger, 'GetVersion', async () => ({
      version,
      gitCommit: commit,
      nodeVersion: process.version,
      services: services(),
    })),
  };
  server.addService(VERSION_SERVICE_NAME, VersionService, impl);
}
