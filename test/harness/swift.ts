/**
 * A real S3 server for tests: OpenStack Swift (Debian's 2.30) with its S3 layer (s3api) and
 * tempauth, run as plain child processes on free loopback ports — no /etc/swift, no systemd.
 *
 *   const s3 = await startSwift({ baseDir: '/dev/shm/terrain-test-x/swift' });
 *   // s3.endpoint, s3.accessKeyId ('test:tester'), s3.secretAccessKey ('testing'), s3.region
 *   await s3.stop();
 *
 * Layout under `baseDir`: `etc/` (swift.conf, rings, one conf per server), `srv/d1/` (the one
 * device), `log/` (one file per process). Put `baseDir` on tmpfs (/dev/shm): Swift keeps object
 * metadata in xattrs, and ext4's ~4 KiB of xattr space per inode makes objects with more than about
 * 1.5 KiB of user metadata fail.
 *
 * Processes: memcached (when installed) and the account, container, object and proxy servers, each
 * in its own process group, each started through `swift/launch.py`, which has the kernel SIGKILL it
 * when this Node process dies (even by SIGKILL). `stop()` ends exactly these processes; a
 * `process.on('exit')` hook kills whatever is left if the caller never calls it. Only the main
 * thread may call `startSwift` (PR_SET_PDEATHSIG fires when the spawning *thread* exits).
 *
 * The proxy pipeline adds `swift/s3compat.py`, which supplies the Content-MD5 that s3api 2.30 demands
 * on DeleteObjects and current AWS SDKs no longer send. Readiness is each server's /healthcheck,
 * then a real SigV4-signed ListBuckets. Startup takes about 2.5 s (about 1 s more the first time on a
 * machine, when the template rings are built into ~/.cache/terrain). A server that loses its port to
 * another process (ports are probed, then released) fails within 3 s and startup retries on new ones.
 *
 * The configuration follows the reference launcher the project was designed with (one-device rings,
 * tempauth user `test:tester`/`testing`, s3api with region us-east-1, memcached when installed).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync, statfsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3Server {
  /** `http://127.0.0.1:PORT` of the proxy (path-style addressing). */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  baseDir: string;
  /** Ends exactly this instance's processes (TERM, then KILL after 5 s). Idempotent. Leaves baseDir in place. */
  stop(): Promise<void>;
}

export interface StartSwiftOptions {
  /** Directory for configs, data and logs; created if missing. Prefer /dev/shm (see the file comment). */
  baseDir: string;
  /** Proxy (S3) port; a free one when omitted. */
  port?: number;
  /** Readiness deadline; default 60 s. */
  timeoutMs?: number;
  /** Swift log level (default INFO: one line per request in log/proxy-server.log). */
  logLevel?: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
}

const PYTHON = '/usr/bin/python3'; // the distro Python that sees Debian's swift modules
const SWIFT_BINARIES = ['account', 'container', 'object', 'proxy'].map((s) => `/usr/bin/swift-${s}-server`);
const INSTALL_HINT =
  'apt-get install -y swift swift-proxy swift-object swift-container swift-account memcached';
const ACCESS_KEY = 'test:tester';
const SECRET_KEY = 'testing';
const REGION = 'us-east-1';
const HERE = dirname(fileURLToPath(import.meta.url));
const SCRIPTS = join(HERE, 'swift');
const SERVERS = ['account', 'container', 'object', 'proxy'] as const;
type ServerName = (typeof SERVERS)[number];
const TMPFS_MAGIC = 0x01021994;

/** Starts one Swift instance in `baseDir` and resolves once a signed S3 request succeeds. */
export async function startSwift(options: StartSwiftOptions): Promise<S3Server> {
  checkInstalled();
  const baseDir = resolve(options.baseDir);
  await Promise.all(['etc', 'log', 'srv/d1'].map((d) => mkdir(join(baseDir, d), { recursive: true })));
  warnIfNotTmpfs(baseDir);
  // Free ports are found by binding and releasing them, so another process (the etcd harness
  // starting next to us) can take one before our server binds it. Then we start again on new ones.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(baseDir, options);
    } catch (err) {
      const retry = err instanceof PortConflictError && options.port === undefined && attempt < 3;
      if (!retry) throw err;
    }
  }
}

class PortConflictError extends Error {}

async function startOnce(baseDir: string, options: StartSwiftOptions): Promise<S3Server> {
  const etc = join(baseDir, 'etc');
  const logDir = join(baseDir, 'log');
  const [account, container, object, memcache, freeProxy] = await freePorts(5);
  const ports: Record<ServerName, number> & { memcache: number } = {
    account: account!,
    container: container!,
    object: object!,
    proxy: options.port ?? freeProxy!,
    memcache: memcache!,
  };
  const memcached = findMemcached();
  await writeConfigs(etc, baseDir, ports, {
    memcached: memcached !== undefined,
    logLevel: options.logLevel ?? 'INFO',
  });
  await installRings(etc, baseDir, ports);

  const processes: { name: string; child: ChildProcess }[] = [];
  const killAll = (signal: NodeJS.Signals): void => {
    for (const { child } of processes) {
      // Each child leads its own process group (detached), so -pid reaches only it and its forks.
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // Already gone.
        }
      }
    }
  };
  const onExit = (): void => killAll('SIGKILL');
  process.on('exit', onExit);

  const launch = (name: string, args: string[]): void => {
    const log = openSync(join(logDir, `${name}.log`), 'w');
    try {
      const child = spawn(PYTHON, [join(SCRIPTS, 'launch.py'), String(process.pid), ...args], {
        detached: true,
        stdio: ['ignore', log, log],
        cwd: baseDir,
      });
      child.on('error', () => {}); // a failed spawn shows as an exit, which startup checks
      child.unref(); // a forgotten stop() must not keep the test run alive; the exit hook kills them
      processes.push({ name, child });
    } finally {
      closeSync(log);
    }
  };

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      for (const { child } of processes) child.ref(); // keep the loop alive while we wait for exits
      killAll('SIGTERM');
      const exited = Promise.all(processes.map(({ child }) => waitForExit(child)));
      const timer = setTimeout(() => killAll('SIGKILL'), 5000);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
        process.off('exit', onExit);
      }
    })();
    return stopped;
  };

  try {
    if (memcached) {
      const user = userInfo().username;
      const args = ['-l', '127.0.0.1', '-p', String(ports.memcache), '-U', '0', '-m', '64', '-u', user];
      launch('memcached', ['exec', memcached, ...args]);
    }
    for (const server of SERVERS) {
      launch(`${server}-server`, ['swift', etc, `${server}-server`, join(etc, `${server}-server.conf`)]);
    }
    const endpoint = `http://127.0.0.1:${ports.proxy}`;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    const assertAlive = (): void => {
      const dead = processes.find(({ child }) => child.exitCode !== null || child.signalCode !== null);
      if (dead) {
        const log = tail(join(logDir, `${dead.name}.log`));
        const status = dead.child.exitCode ?? dead.child.signalCode;
        const message = `swift: ${dead.name} exited during startup (${status}); last log lines:\n${log}`;
        throw /address already in use|could not bind|failed to listen/i.test(log)
          ? new PortConflictError(message)
          : new Error(message);
      }
      if (Date.now() > deadline)
        throw new Error(`swift: not ready within ${timeoutMs} ms (logs in ${logDir})`);
    };
    await Promise.all(SERVERS.map((s) => waitUntil(() => healthy(ports[s]), assertAlive)));
    await waitUntil(() => s3Answers(endpoint), assertAlive);
    return {
      endpoint,
      accessKeyId: ACCESS_KEY,
      secretAccessKey: SECRET_KEY,
      region: REGION,
      baseDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function checkInstalled(): void {
  const missing = [PYTHON, ...SWIFT_BINARIES].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(`swift: ${missing.join(', ')} not found; install OpenStack Swift with: ${INSTALL_HINT}`);
  }
}

function findMemcached(): string | undefined {
  return ['/usr/bin/memcached', '/usr/local/bin/memcached'].find((f) => existsSync(f));
}

function warnIfNotTmpfs(dir: string): void {
  try {
    if (statfsSync(dir).type !== TMPFS_MAGIC) {
      console.warn(
        `swift: ${dir} is not on tmpfs; objects with more than ~1.5 KiB of user metadata may fail there (use /dev/shm)`,
      );
    }
  } catch {
    // statfs is advisory only.
  }
}

async function freePorts(n: number): Promise<number[]> {
  // Hold all sockets open at once so the ports are distinct, then release them for the servers.
  const servers = await Promise.all(
    Array.from({ length: n }, async () => {
      const server = createServer();
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(0, '127.0.0.1', () => ok());
      });
      return server;
    }),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('swift: no TCP address');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((ok) => s.close(() => ok()))));
  return ports;
}

async function writeConfigs(
  etc: string,
  baseDir: string,
  ports: Record<ServerName, number> & { memcache: number },
  options: { memcached: boolean; logLevel: string },
): Promise<void> {
  const hex = (): string => randomBytes(8).toString('hex');
  const swiftConf = `[swift-hash]
swift_hash_path_prefix = ${hex()}
swift_hash_path_suffix = ${hex()}

[storage-policy:0]
name = Policy-0
default = yes

[swift-constraints]
# S3 allows 2 KiB of user metadata per object (Swift's default: 256 B per value, 4 KiB overall).
# An overall cap of 2 KiB also keeps the pickled metadata inside ext4's ~4 KiB of xattr space.
max_meta_value_length = 2048
max_meta_overall_size = 2048
max_meta_count = 1024
`;
  const common = (server: ServerName): string => `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${ports[server]}
# Fail fast when another process took the port; startSwift then retries on fresh ports.
bind_timeout = 3
# workers = 0: serve in the launched process itself, so its pid is the whole server
workers = 0
user = ${userInfo().username}
swift_dir = ${etc}
devices = ${join(baseDir, 'srv')}
mount_check = false
log_level = ${options.logLevel}
log_name = ${server}-server
`;
  const backend = (
    server: 'account' | 'container' | 'object',
    sections: string[],
  ): string => `${common(server)}
[pipeline:main]
pipeline = healthcheck ${server}-server
[filter:healthcheck]
use = egg:swift#healthcheck
[app:${server}-server]
use = egg:swift#${server}
${sections.map((s) => `[${s}]`).join('\n')}
`;
  const proxy = `${common('proxy')}
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging ${options.memcached ? 'cache ' : ''}listing_formats bulk s3compat s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = false
# One node: never "error-limit" the only device for 60 s after one failure.
error_suppression_interval = 0
error_suppression_limit = 1000000
[filter:s3compat]
paste.filter_factory = s3compat:filter_factory
[filter:s3api]
use = egg:swift#s3api
location = ${REGION}
max_upload_part_num = 10000
max_multi_delete_objects = 1000
allowable_clock_skew = 900
s3_acl = false
[filter:tempauth]
use = egg:swift#tempauth
user_admin_admin = admin .admin .reseller_admin
user_test_tester = ${SECRET_KEY} .admin
user_test2_tester2 = testing2 .admin
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:${ports.memcache}
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
allow_object_versioning = true
[filter:symlink]
use = egg:swift#symlink
`;
  await Promise.all([
    writeFile(join(etc, 'swift.conf'), swiftConf),
    writeFile(
      join(etc, 'account-server.conf'),
      backend('account', ['account-replicator', 'account-auditor', 'account-reaper']),
    ),
    writeFile(
      join(etc, 'container-server.conf'),
      backend('container', [
        'container-replicator',
        'container-updater',
        'container-auditor',
        'container-sync',
        'container-sharder',
      ]),
    ),
    writeFile(
      join(etc, 'object-server.conf'),
      backend('object', ['object-replicator', 'object-reconstructor', 'object-updater', 'object-auditor']),
    ),
    writeFile(join(etc, 'proxy-server.conf'), proxy),
  ]);
}

/**
 * Rings: template rings are built once per Swift version with Swift's RingBuilder (about a second)
 * and cached; each instance gets copies whose device port is rewritten in the ring's JSON header.
 */
async function installRings(etc: string, baseDir: string, ports: Record<ServerName, number>): Promise<void> {
  const templates = await ringTemplates(baseDir);
  await Promise.all(
    (['account', 'container', 'object'] as const).map(async (name) => {
      const ring = gunzipSync(await readFile(join(templates, `${name}.ring.gz`)));
      // Format (swift/common/ring/ring.py serialize_v1): 'R1NG', u16 version 1, u32 JSON length, JSON, arrays.
      if (ring.toString('latin1', 0, 4) !== 'R1NG' || ring.readUInt16BE(4) !== 1) {
        throw new Error(`swift: unexpected ring format in ${templates}/${name}.ring.gz`);
      }
      const jsonLength = ring.readUInt32BE(6);
      const header = JSON.parse(ring.toString('ascii', 10, 10 + jsonLength)) as {
        devs: ({ port: number; replication_port: number } | null)[];
      };
      for (const dev of header.devs) {
        if (dev) dev.port = dev.replication_port = ports[name];
      }
      const json = Buffer.from(JSON.stringify(header), 'ascii');
      const prefix = Buffer.alloc(10);
      prefix.write('R1NG', 0, 'latin1');
      prefix.writeUInt16BE(1, 4);
      prefix.writeUInt32BE(json.length, 6);
      await writeFile(
        join(etc, `${name}.ring.gz`),
        gzipSync(Buffer.concat([prefix, json, ring.subarray(10 + jsonLength)])),
      );
    }),
  );
}

async function ringTemplates(baseDir: string): Promise<string> {
  const version = spawnSync(PYTHON, ['-c', 'import importlib.metadata as m; print(m.version("swift"))'], {
    encoding: 'utf8',
  });
  if (version.status !== 0) {
    throw new Error(
      `swift: ${PYTHON} cannot find the swift modules (${version.stderr.trim()}); install with: ${INSTALL_HINT}`,
    );
  }
  const cacheRoot = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  for (const root of [join(cacheRoot, 'terrain'), join(baseDir, 'cache')]) {
    const dir = join(root, `swift-rings-${version.stdout.trim()}`);
    if (existsSync(join(dir, 'object.ring.gz'))) return dir;
    try {
      await mkdir(root, { recursive: true });
      const tmp = await mkdtemp(join(root, '.rings-'));
      const built = spawnSync(PYTHON, [join(SCRIPTS, 'make-rings.py'), tmp], { encoding: 'utf8' });
      if (built.status !== 0) {
        await rm(tmp, { recursive: true, force: true });
        throw new Error(`swift: building rings failed: ${built.stderr.trim()}`);
      }
      try {
        await rename(tmp, dir); // atomic publish; a concurrent builder may have won, which is fine
      } catch {
        await rm(tmp, { recursive: true, force: true });
      }
      if (existsSync(join(dir, 'object.ring.gz'))) return dir;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('swift:')) throw err;
      // Cache directory not writable: fall back to the next root.
    }
  }
  throw new Error(`swift: could not build rings under ${cacheRoot}/terrain or ${baseDir}/cache`);
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthcheck`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** A real SigV4-signed ListBuckets: exercises proxy, s3api, tempauth and the account server. */
async function s3Answers(endpoint: string): Promise<boolean> {
  const client = new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    maxAttempts: 1,
  });
  try {
    await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(5000) });
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

async function waitUntil(ready: () => Promise<boolean>, check: () => void): Promise<void> {
  for (;;) {
    check();
    if (await ready()) return;
    check();
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  return new Promise((ok) => child.once('exit', () => ok()));
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
