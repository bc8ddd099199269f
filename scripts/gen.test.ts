import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GEN = join(REPO, 'scripts', 'gen.ts');

interface RunResult {
  code: number;
  stderr: string;
}

/** Runs gen.ts as the CLI users run, against `root`, with the Node that runs this test. */
function gen(root: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [GEN, ...args, '--root', root],
      { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolvePromise({ code, stderr });
      },
    );
  });
}

describe('scripts/gen.ts', function () {
  // Each run invokes buf and protoc over every contract (about a second each).
  this.timeout(120_000);

  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'terrain-gen-test-'));
    // Only the sources and configs: the copy then generates its own baseline, so these tests do not
    // depend on whether the checkout's committed output happens to be fresh.
    await cp(join(REPO, 'proto'), join(root, 'proto'), {
      recursive: true,
      filter: (src) => !src.startsWith(join(REPO, 'proto', 'gen')),
    });
    await cp(join(REPO, 'buf.yaml'), join(root, 'buf.yaml'));
    await cp(join(REPO, 'buf.gen.yaml'), join(root, 'buf.gen.yaml'));
    const first = await gen(root, []);
    assert.equal(first.code, 0, first.stderr);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reports no drift for freshly generated output, because generation is deterministic', async () => {
    const check = await gen(root, ['--check']);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stderr, /up to date/);
  });

  it('writes TypeScript, the descriptor set and importable Python packages', async () => {
    const pfs = await readFile(join(root, 'proto/gen/terrain/pfs/v1/pfs.ts'), 'utf8');
    assert.match(pfs, /export class PfsClient|export const PfsClient/);
    assert.match(pfs, /from "\.\/repo\.ts"/, 'relative imports must carry the .ts suffix');
    assert.doesNotMatch(pfs, /^export enum /m, 'no TypeScript enums: Node strips types natively');
    assert.ok((await readFile(join(root, 'proto/gen/descriptors.binpb'))).length > 1000);
    // Debian's Python (with python3-grpcio) imports every stub module, and the health module does not
    // shadow the grpc library.
    const imported = await new Promise<string>((resolvePromise, reject) => {
      execFile(
        '/usr/bin/python3',
        [
          '-B',
          '-c',
          'import sys; sys.path.insert(0, sys.argv[1]); import grpc; ' +
            'import terrain.pfs.v1.pfs_pb2_grpc, terrain.pps.v1.pps_pb2_grpc, terrain.pps.v1.worker_pb2_grpc, ' +
            'terrain.lineage.v1.lineage_pb2_grpc, grpc_health.v1.health_pb2_grpc; ' +
            'print(terrain.pfs.v1.pfs_pb2_grpc.PfsStub.__name__, grpc.insecure_channel.__name__)',
          join(root, 'clients/python'),
        ],
        (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolvePromise(stdout)),
      );
    });
    assert.equal(imported.trim(), 'PfsStub insecure_channel');
  });

  it('fails the check and names the files when a .proto file changes without regenerating', async () => {
    const repoProto = join(root, 'proto/terrain/pfs/v1/repo.proto');
    const source = await readFile(repoProto, 'utf8');
    const edited = source.replace(
      'message InspectRepoRequest {',
      'message InspectRepoRequest {\n  // Added by the drift test.\n  bool drift_probe = 99;',
    );
    assert.notEqual(edited, source);
    await writeFile(repoProto, edited);

    const check = await gen(root, ['--check']);
    assert.equal(check.code, 1, check.stderr);
    assert.match(check.stderr, /changed: proto\/gen\/terrain\/pfs\/v1\/repo\.ts/);
    assert.match(check.stderr, /changed: proto\/gen\/descriptors\.binpb/);
    assert.match(check.stderr, /changed: clients\/python\/terrain\/pfs\/v1\/repo_pb2\.py/);
    // A check never writes.
    assert.doesNotMatch(await readFile(join(root, 'proto/gen/terrain/pfs/v1/repo.ts'), 'utf8'), /driftProbe/);

    const write = await gen(root, []);
    assert.equal(write.code, 0, write.stderr);
    assert.match(await readFile(join(root, 'proto/gen/terrain/pfs/v1/repo.ts'), 'utf8'), /driftProbe/);
    const again = await gen(root, ['--check']);
    assert.equal(again.code, 0, again.stderr);
  });

  it('reports a stale generated file and deletes it on the next write', async () => {
    const stale = join(root, 'proto/gen/terrain/pfs/v1/removed.ts');
    await writeFile(stale, 'export {};\n');
    const check = await gen(root, ['--check']);
    assert.equal(check.code, 1, check.stderr);
    assert.match(check.stderr, /stale: +proto\/gen\/terrain\/pfs\/v1\/removed\.ts/);

    assert.equal((await gen(root, [])).code, 0);
    await assert.rejects(readFile(stale), { code: 'ENOENT' });
  });

  it('leaves hand-written files in clients/python alone', async () => {
    const readme = join(root, 'clients/python/README.md');
    await writeFile(readme, 'hand-written\n');
    const check = await gen(root, ['--check']);
    assert.equal(check.code, 0, check.stderr);
    assert.equal((await gen(root, [])).code, 0);
    assert.equal(await readFile(readme, 'utf8'), 'hand-written\n');
  });

  it('fails the check loudly instead of skipping Python when protoc is missing', async () => {
    const missing = { TERRAIN_PROTOC: join(root, 'no-such-protoc') };
    const check = await gen(root, ['--check'], missing);
    assert.equal(check.code, 1, check.stderr);
    assert.match(check.stderr, /cannot verify clients\/python/);

    // A write still regenerates the TypeScript, says what it skipped, and keeps the Python stubs.
    const write = await gen(root, [], missing);
    assert.equal(write.code, 0, write.stderr);
    assert.match(write.stderr, /Python stubs were NOT generated/);
    await readFile(join(root, 'clients/python/terrain/pfs/v1/pfs_pb2.py'));
  });
});
