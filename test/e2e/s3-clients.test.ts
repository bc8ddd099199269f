/**
 * The S3 gateway end to end with the real clients from Debian (issue 7): the aws CLI, rclone,
 * s3cmd and boto3 against one `bin/terrain up --detach` cluster in a temporary data directory,
 * with the credentials `terrain s3 info --json` prints. Every client is spawned as a user would
 * run it; what each one writes is read back through another path (the same client, `terrain get
 * file`, or another client) and compared by sha256.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LAUNCHER,
  freePort,
  isolatedEnv,
  jsonLines,
  sha256,
  sha256File,
  terrain,
  treeDigest,
  type TerrainResult,
} from './terrain.ts';

const AWS = '/usr/bin/aws';
const PYTHON = '/usr/bin/python3';
const MiB = 1024 * 1024;

interface S3Info {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

function assertOk(result: TerrainResult, what: string): void {
  assert.equal(result.code, 0, `${what} failed (exit ${result.code}): ${result.stderr}`);
}

function assertRan(result: SpawnSyncReturns<string>, what: string): void {
  assert.equal(
    result.status,
    0,
    `${what} failed (status ${result.status}, ${result.error?.message ?? 'no spawn error'}):\n${result.stdout}\n${result.stderr}`,
  );
}

/** Writes `bytes` random bytes to `path`, 4 MiB at a time. */
function writeRandomFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += 4 * MiB)
      writeFileSync(fd, randomBytes(Math.min(4 * MiB, bytes - written)));
  } finally {
    closeSync(fd);
  }
}

describe('S3 gateway with real clients against `terrain up --detach`', () => {
  let scratch: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let info: S3Info;
  let awsEnv: NodeJS.ProcessEnv;

  const run = (args: string[], input?: Buffer | string) =>
    terrain(args, { env, ...(input !== undefined ? { input } : {}) });
  const sh = (cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}, timeout = 90_000) =>
    spawnSync(cmd, args, {
      env: { ...awsEnv, ...extra },
      encoding: 'utf8',
      timeout,
      maxBuffer: 16 * MiB,
    });
  const aws = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    sh(AWS, ['--endpoint-url', info.endpoint, ...args], extra);
  const awsJson = <T>(args: string[]): T => {
    const result = aws([...args, '--output', 'json']);
    assertRan(result, `aws ${args.join(' ')}`);
    return JSON.parse(result.stdout) as T;
  };
  /** A Python program run with boto3; its last stdout line is parsed as JSON. */
  const python = <T>(program: string, extra: NodeJS.ProcessEnv = {}): T => {
    const prelude = [
      'import boto3, json, sys, time, urllib.request, urllib.error, io, hashlib',
      'from botocore.config import Config',
      `ENDPOINT = ${JSON.stringify(info.endpoint)}`,
      's3 = boto3.client("s3", endpoint_url=ENDPOINT, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))',
    ].join('\n');
    const result = sh(PYTHON, ['-c', `${prelude}\n${program}`], extra);
    assertRan(result, 'python3 with boto3');
    const lines = result.stdout.trim().split('\n');
    return JSON.parse(lines[lines.length - 1] ?? 'null') as T;
  };
  const commitIds = async (repo: string): Promise<string[]> => {
    const listed = await run(['list', 'commit', repo, '--json']);
    assertOk(listed, `list commit ${repo}`);
    return jsonLines<{ commit: { id: string } }>(listed).map((c) => c.commit.id);
  };
  /** `terrain get file REF` straight into a file (the bytes never sit in this process). */
  const getFileTo = (ref: string, path: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const fd = openSync(path, 'w');
      const child = spawn(LAUNCHER, ['get', 'file', ref], { env, stdio: ['ignore', fd, 'inherit'] });
      child.on('error', reject);
      child.on('close', (code) => {
        closeSync(fd);
        resolve(code ?? 1);
      });
    });

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'terrain-e2e-s3-'));
    dataDir = join(scratch, 'data');
    env = isolatedEnv(join(scratch, 'context.json'));
    const up = await terrain(
      [
        'up',
        '--detach',
        '--data-dir',
        dataDir,
        '--grpc-address',
        `127.0.0.1:${await freePort()}`,
        '--s3-address',
        `127.0.0.1:${await freePort()}`,
      ],
      { env, timeoutMs: 110_000 },
    );
    assertOk(up, 'terrain up --detach');
    const shown = await run(['s3', 'info', '--json']);
    assertOk(shown, 's3 info --json');
    const [parsed] = jsonLines<S3Info>(shown);
    assert.ok(parsed, 's3 info --json printed one object');
    info = parsed;
    awsEnv = {
      ...env,
      AWS_ACCESS_KEY_ID: info.accessKeyId,
      AWS_SECRET_ACCESS_KEY: info.secretAccessKey,
      AWS_DEFAULT_REGION: info.region,
      // No ~/.aws of the machine's user may change what is measured.
      AWS_CONFIG_FILE: join(scratch, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'aws-credentials'),
      AWS_PAGER: '',
    };
  });

  after(async () => {
    if (env) await terrain(['down', '--data-dir', dataDir], { env });
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('syncs, lists and removes a directory tree with aws s3 cp, sync, ls and rm', async () => {
    assertRan(aws(['s3', 'mb', 's3://master.awstree']), 'aws s3 mb');
    const tree = join(scratch, 'tree');
    mkdirSync(join(tree, 'a', 'b'), { recursive: true });
    mkdirSync(join(tree, 'c'), { recursive: true });
    writeFileSync(join(tree, 'top.txt'), 'top\n');
    writeFileSync(join(tree, 'a', 'one.txt'), 'one\n');
    writeFileSync(join(tree, 'a', 'b', 'two.bin'), randomBytes(300_000));
    writeFileSync(join(tree, 'c', 'space name.txt'), 'spaces\n');
    assertRan(aws(['s3', 'sync', tree, 's3://master.awstree/tree/']), 'aws s3 sync up');
    assertRan(
      aws(['s3', 'cp', join(tree, 'top.txt'), 's3://master.awstree/single/top-copy.txt']),
      'aws s3 cp',
    );

    const listed = aws(['s3', 'ls', '--recursive', 's3://master.awstree/']);
    assertRan(listed, 'aws s3 ls --recursive');
    const keys = listed.stdout
      .trim()
      .split('\n')
      .map((line) => line.replace(/^\S+\s+\S+\s+\d+\s+/, ''))
      .sort();
    assert.deepEqual(keys, [
      'single/top-copy.txt',
      'tree/a/b/two.bin',
      'tree/a/one.txt',
      'tree/c/space name.txt',
      'tree/top.txt',
    ]);

    const down = join(scratch, 'tree-down');
    assertRan(aws(['s3', 'sync', 's3://master.awstree/tree/', down]), 'aws s3 sync down');
    assert.deepEqual(await treeDigest(down), await treeDigest(tree));
    // A second sync finds nothing to do: sizes and times the gateway reports are consistent.
    const again = aws(['s3', 'sync', tree, 's3://master.awstree/tree/']);
    assertRan(again, 'aws s3 sync (nothing to do)');
    assert.equal(again.stdout.trim(), '');

    assertRan(aws(['s3', 'rm', '--recursive', 's3://master.awstree/tree/']), 'aws s3 rm --recursive');
    const after = aws(['s3', 'ls', '--recursive', 's3://master.awstree/']);
    assertRan(after, 'aws s3 ls after rm');
    assert.deepEqual(
      after.stdout
        .trim()
        .split('\n')
        .map((line) => line.replace(/^\S+\s+\S+\s+\d+\s+/, '')),
      ['single/top-copy.txt'],
    );
  });

  it('answers aws s3api put-object, head-object, ranged get-object, paginated list-objects-v2 and delete-objects', () => {
    assertRan(aws(['s3', 'mb', 's3://master.awsapi']), 'aws s3 mb');
    const body = join(scratch, 'api-body.txt');
    writeFileSync(body, '0123456789abcdefghijklmnopqrstuvwxyz');
    const put = awsJson<{ ETag: string }>([
      's3api',
      'put-object',
      '--bucket',
      'master.awsapi',
      '--key',
      'docs/alpha.txt',
      '--body',
      body,
      '--content-type',
      'text/plain',
      '--metadata',
      'owner=e2e',
    ]);
    assert.match(put.ETag, /^"[0-9a-f]{32}"$/);
    const head = awsJson<{
      ContentLength: number;
      ETag: string;
      ContentType: string;
      Metadata: Record<string, string>;
    }>(['s3api', 'head-object', '--bucket', 'master.awsapi', '--key', 'docs/alpha.txt']);
    assert.equal(head.ContentLength, 36);
    assert.equal(head.ETag, put.ETag);
    assert.equal(head.ContentType, 'text/plain');
    assert.deepEqual(head.Metadata, { owner: 'e2e' });

    const ranged = join(scratch, 'ranged.out');
    const got = awsJson<{ ContentRange: string; ContentLength: number }>([
      's3api',
      'get-object',
      '--bucket',
      'master.awsapi',
      '--key',
      'docs/alpha.txt',
      '--range',
      'bytes=10-19',
      ranged,
    ]);
    assert.equal(got.ContentRange, 'bytes 10-19/36');
    assert.equal(got.ContentLength, 10);
    assert.equal(readFileSync(ranged, 'utf8'), 'abcdefghij');

    for (let i = 0; i < 5; i++) writeFileSync(join(scratch, `page-${i}.txt`), `page ${i}\n`);
    for (let i = 0; i < 5; i++)
      assertRan(
        aws([
          's3api',
          'put-object',
          '--bucket',
          'master.awsapi',
          '--key',
          `pages/p${i}.txt`,
          '--body',
          join(scratch, `page-${i}.txt`),
        ]),
        `put-object pages/p${i}.txt`,
      );
    // Page by hand (--no-paginate) so each request's IsTruncated and token are what is checked.
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    for (;;) {
      const page = awsJson<{
        Contents?: { Key: string }[];
        IsTruncated: boolean;
        NextContinuationToken?: string;
        KeyCount: number;
      }>([
        's3api',
        'list-objects-v2',
        '--no-paginate',
        '--bucket',
        'master.awsapi',
        '--prefix',
        'pages/',
        '--max-keys',
        '2',
        ...(token ? ['--continuation-token', token] : []),
      ]);
      pages++;
      seen.push(...(page.Contents ?? []).map((c) => c.Key));
      assert.ok(page.KeyCount <= 2);
      if (!page.IsTruncated) break;
      assert.ok(page.NextContinuationToken, 'a truncated page carries a continuation token');
      token = page.NextContinuationToken;
      assert.ok(pages < 10, 'pagination ends');
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, ['pages/p0.txt', 'pages/p1.txt', 'pages/p2.txt', 'pages/p3.txt', 'pages/p4.txt']);
    // The CLI's own paginator (--page-size) agrees.
    const all = awsJson<{ Contents: { Key: string }[] }>([
      's3api',
      'list-objects-v2',
      '--bucket',
      'master.awsapi',
      '--prefix',
      'pages/',
      '--page-size',
      '2',
    ]);
    assert.deepEqual(
      all.Contents.map((c) => c.Key),
      seen,
    );

    const deleted = awsJson<{ Deleted: { Key: string }[]; Errors?: unknown[] }>([
      's3api',
      'delete-objects',
      '--bucket',
      'master.awsapi',
      '--delete',
      JSON.stringify({ Objects: [{ Key: 'pages/p0.txt' }, { Key: 'pages/p3.txt' }] }),
    ]);
    assert.deepEqual(deleted.Deleted.map((d) => d.Key).sort(), ['pages/p0.txt', 'pages/p3.txt']);
    assert.equal(deleted.Errors, undefined);
    const left = awsJson<{ Contents: { Key: string }[] }>([
      's3api',
      'list-objects-v2',
      '--bucket',
      'master.awsapi',
      '--prefix',
      'pages/',
    ]);
    assert.deepEqual(
      left.Contents.map((c) => c.Key),
      ['pages/p1.txt', 'pages/p2.txt', 'pages/p4.txt'],
    );
  });

  it('reads a 100 MiB multipart upload from aws s3 cp back byte-identical through S3 and terrain get file', async () => {
    assertRan(aws(['s3', 'mb', 's3://master.awsbig']), 'aws s3 mb');
    const big = join(scratch, 'big-100m.bin');
    writeRandomFile(big, 100 * MiB);
    const want = await sha256File(big);
    // The CLI's defaults: 8 MiB threshold and parts, so 13 parts.
    assertRan(aws(['s3', 'cp', big, 's3://master.awsbig/data/big.bin']), 'aws s3 cp (multipart)');
    const head = awsJson<{ ContentLength: number; ETag: string }>([
      's3api',
      'head-object',
      '--bucket',
      'master.awsbig',
      '--key',
      'data/big.bin',
    ]);
    assert.equal(head.ContentLength, 100 * MiB);
    assert.match(head.ETag, /^"[0-9a-f]{32}-13"$/);

    const viaS3 = join(scratch, 'big-s3.bin');
    assertRan(aws(['s3', 'cp', 's3://master.awsbig/data/big.bin', viaS3]), 'aws s3 cp down');
    assert.equal(await sha256File(viaS3), want);
    rmSync(viaS3);
    const viaPfs = join(scratch, 'big-pfs.bin');
    assert.equal(await getFileTo('awsbig@master:/data/big.bin', viaPfs), 0, 'terrain get file exits 0');
    assert.equal(await sha256File(viaPfs), want);
    rmSync(viaPfs);
    rmSync(big);
  });

  it('copies, checks and reads at an offset with rclone', () => {
    const rcloneEnv = {
      AWS_CA_BUNDLE: undefined,
      RCLONE_CONFIG_T_TYPE: 's3',
      RCLONE_CONFIG_T_PROVIDER: 'Other',
      RCLONE_CONFIG_T_ENDPOINT: info.endpoint,
      RCLONE_CONFIG_T_ACCESS_KEY_ID: info.accessKeyId,
      RCLONE_CONFIG_T_SECRET_ACCESS_KEY: info.secretAccessKey,
      RCLONE_CONFIG_T_REGION: info.region,
      RCLONE_CONFIG: join(scratch, 'rclone.conf'),
    };
    const rclone = (args: string[]) => sh('/usr/bin/rclone', args, rcloneEnv);
    const src = join(scratch, 'rclone-src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'hello.txt'), 'hello from rclone\n');
    writeFileSync(join(src, 'sub', 'numbers.txt'), '0123456789'.repeat(100));
    writeFileSync(join(src, 'sub', 'blob.bin'), randomBytes(2 * MiB + 7));
    assertRan(rclone(['mkdir', 't:master.rclonerepo']), 'rclone mkdir');
    assertRan(rclone(['copy', src, 't:master.rclonerepo/data']), 'rclone copy');
    assertRan(rclone(['check', src, 't:master.rclonerepo/data']), 'rclone check');
    const cat = rclone(['cat', '--offset', '15', '--count', '7', 't:master.rclonerepo/data/sub/numbers.txt']);
    assertRan(cat, 'rclone cat --offset --count');
    assert.equal(cat.stdout, '5678901');
    // check must fail when the remote differs, or it proves nothing.
    writeFileSync(join(src, 'hello.txt'), 'changed locally\n');
    const differs = rclone(['check', src, 't:master.rclonerepo/data']);
    assert.notEqual(differs.status, 0, 'rclone check notices a changed file');
  });

  it('puts, gets, lists and multipart-puts with s3cmd', async () => {
    const host = info.endpoint.replace(/^https?:\/\//, '');
    const config = join(scratch, 's3cmd.cfg');
    writeFileSync(
      config,
      [
        '[default]',
        `access_key = ${info.accessKeyId}`,
        `secret_key = ${info.secretAccessKey}`,
        `host_base = ${host}`,
        `host_bucket = ${host}`,
        'use_https = False',
        `bucket_location = ${info.region}`,
        'signature_v2 = False',
        '',
      ].join('\n'),
    );
    const s3cmd = (args: string[]) => sh('/usr/bin/s3cmd', ['-c', config, ...args]);
    assertRan(s3cmd(['mb', 's3://master.s3cmdrepo']), 's3cmd mb');
    const small = join(scratch, 's3cmd-small.txt');
    writeFileSync(small, 'small through s3cmd\n');
    assertRan(s3cmd(['put', small, 's3://master.s3cmdrepo/small.txt']), 's3cmd put');
    const large = join(scratch, 's3cmd-large.bin');
    writeRandomFile(large, 20 * MiB + 4321);
    assertRan(
      s3cmd(['put', '--multipart-chunk-size-mb=5', large, 's3://master.s3cmdrepo/large.bin']),
      's3cmd multipart put',
    );
    const listed = s3cmd(['ls', 's3://master.s3cmdrepo/']);
    assertRan(listed, 's3cmd ls');
    assert.match(listed.stdout, /\s20975841\s+s3:\/\/master\.s3cmdrepo\/large\.bin$/m);
    assert.match(listed.stdout, /\s20\s+s3:\/\/master\.s3cmdrepo\/small\.txt$/m);
    const buckets = s3cmd(['ls']);
    assertRan(buckets, 's3cmd ls (buckets)');
    assert.match(buckets.stdout, /s3:\/\/master\.s3cmdrepo$/m);

    const back = join(scratch, 's3cmd-large.back');
    assertRan(s3cmd(['get', 's3://master.s3cmdrepo/large.bin', back]), 's3cmd get');
    assert.equal(await sha256File(back), await sha256File(large));
    const head = awsJson<{ ETag: string }>([
      's3api',
      'head-object',
      '--bucket',
      'master.s3cmdrepo',
      '--key',
      'large.bin',
    ]);
    assert.match(head.ETag, /-5"$/, 'five 5 MiB parts');
    const smallBack = join(scratch, 's3cmd-small.back');
    assertRan(s3cmd(['get', 's3://master.s3cmdrepo/small.txt', smallBack]), 's3cmd get small');
    assert.equal(readFileSync(smallBack, 'utf8'), 'small through s3cmd\n');
  });

  it('uploads, downloads, pages and presigns with boto3', async () => {
    const payload = randomBytes(7 * MiB + 3);
    const source = join(scratch, 'boto-source.bin');
    writeFileSync(source, payload);
    const result = python<{
      sha: string;
      pages: number[];
      keys: string[];
      presigned: string;
      status: number;
    }>(
      [
        's3.create_bucket(Bucket="master.botorepo")',
        // upload_fileobj switches to multipart above 8 MiB by default; 5 MiB keeps 2 parts.
        'from boto3.s3.transfer import TransferConfig',
        'tc = TransferConfig(multipart_threshold=5*1024*1024, multipart_chunksize=5*1024*1024)',
        `with open(${JSON.stringify(source)}, "rb") as f: s3.upload_fileobj(f, "master.botorepo", "blobs/payload.bin", Config=tc)`,
        'buf = io.BytesIO()',
        's3.download_fileobj("master.botorepo", "blobs/payload.bin", buf, Config=tc)',
        'for i in range(7): s3.put_object(Bucket="master.botorepo", Key=f"list/k{i}", Body=f"v{i}".encode())',
        'pages, keys = [], []',
        'for page in s3.get_paginator("list_objects_v2").paginate(Bucket="master.botorepo", Prefix="list/", PaginationConfig={"PageSize": 3}):',
        '    pages.append(page["KeyCount"]); keys += [o["Key"] for o in page.get("Contents", [])]',
        'url = s3.generate_presigned_url("get_object", Params={"Bucket": "master.botorepo", "Key": "list/k4"}, ExpiresIn=300)',
        'r = urllib.request.urlopen(url)',
        'print(json.dumps({"sha": hashlib.sha256(buf.getvalue()).hexdigest(), "pages": pages, "keys": keys, "presigned": r.read().decode(), "status": r.status}))',
      ].join('\n'),
    );
    assert.equal(result.sha, sha256(payload));
    assert.deepEqual(result.pages, [3, 3, 1]);
    assert.deepEqual(result.keys, [
      'list/k0',
      'list/k1',
      'list/k2',
      'list/k3',
      'list/k4',
      'list/k5',
      'list/k6',
    ]);
    assert.equal(result.status, 200);
    assert.equal(result.presigned, 'v4');
    const back = join(scratch, 'boto-pfs.bin');
    assert.equal(await getFileTo('botorepo@master:/blobs/payload.bin', back), 0);
    assert.equal(await sha256File(back), sha256(payload));
  });

  it('refuses a wrong secret, a tampered signed header and an expired presigned URL, writing nothing', async () => {
    assertRan(aws(['s3', 'mb', 's3://master.refusals']), 'aws s3 mb');
    const file = join(scratch, 'refused.txt');
    writeFileSync(file, 'must not land\n');
    const commitsBefore = await commitIds('refusals');

    const wrong = aws(['s3', 'cp', file, 's3://master.refusals/wrong-secret.txt'], {
      AWS_SECRET_ACCESS_KEY: `${info.secretAccessKey}x`,
    });
    assert.notEqual(wrong.status, 0, 'a wrong secret is refused');
    assert.match(wrong.stderr, /SignatureDoesNotMatch/);

    const refused = python<{
      tampered: [number, string];
      expiredPut: [number, string];
      expiredGet: [number, string];
    }>(
      [
        'def call(fn):',
        '    try:',
        '        fn(); return [200, "accepted"]',
        '    except urllib.error.HTTPError as e:',
        '        return [e.code, e.read().decode()]',
        '    except Exception as e:',
        '        r = getattr(e, "response", {}) or {}',
        '        return [r.get("ResponseMetadata", {}).get("HTTPStatusCode", 0), r.get("Error", {}).get("Code", str(e))]',
        // Changes a header covered by the signature after botocore signed the request.
        'def tamper(request, **kwargs):',
        '    request.headers["x-amz-meta-owner"] = "mallory"',
        'tampering = boto3.client("s3", endpoint_url=ENDPOINT, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))',
        'tampering.meta.events.register("before-send.s3.PutObject", tamper)',
        'tampered = call(lambda: tampering.put_object(Bucket="master.refusals", Key="tampered.txt", Body=b"x", Metadata={"owner": "alice"}))',
        'put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "master.refusals", "Key": "expired.txt"}, ExpiresIn=1)',
        'get_url = s3.generate_presigned_url("get_object", Params={"Bucket": "master.refusals", "Key": "expired.txt"}, ExpiresIn=1)',
        'time.sleep(2)',
        'expired_put = call(lambda: urllib.request.urlopen(urllib.request.Request(put_url, data=b"late", method="PUT")))',
        'expired_get = call(lambda: urllib.request.urlopen(get_url))',
        'print(json.dumps({"tampered": tampered, "expiredPut": expired_put, "expiredGet": expired_get}))',
      ].join('\n'),
    );
    assert.equal(refused.tampered[0], 403);
    assert.equal(refused.tampered[1], 'SignatureDoesNotMatch');
    assert.equal(refused.expiredPut[0], 403);
    assert.match(refused.expiredPut[1], /<Code>AccessDenied<\/Code>/);
    assert.match(refused.expiredPut[1], /expired/i);
    assert.equal(refused.expiredGet[0], 403);

    assert.deepEqual(await commitIds('refusals'), commitsBefore, 'no refused request made a commit');
    // --no-paginate: the CLI's paginator prints nothing at all for an empty listing.
    const listed = awsJson<{ KeyCount: number }>([
      's3api',
      'list-objects-v2',
      '--no-paginate',
      '--bucket',
      'master.refusals',
    ]);
    assert.equal(listed.KeyCount, 0);
  });

  it('serves a commit-pinned bucket with that commit’s bytes after the branch moved on', async () => {
    assertRan(aws(['s3', 'mb', 's3://master.pinned']), 'aws s3 mb');
    const file = join(scratch, 'pinned.txt');
    writeFileSync(file, 'first version\n');
    assertRan(aws(['s3', 'cp', file, 's3://master.pinned/doc.txt']), 'put first version');
    const [first] = await commitIds('pinned');
    assert.ok(first, 'the put made a commit');
    writeFileSync(file, 'second version, longer\n');
    assertRan(aws(['s3', 'cp', file, 's3://master.pinned/doc.txt']), 'put second version');
    assert.notEqual((await commitIds('pinned'))[0], first, 'the branch moved on');

    const pinnedOut = join(scratch, 'pinned.out');
    assertRan(
      aws(['s3', 'cp', `s3://${first}.master.pinned/doc.txt`, pinnedOut]),
      'get from the pinned bucket',
    );
    assert.equal(readFileSync(pinnedOut, 'utf8'), 'first version\n');
    const headOut = join(scratch, 'head.out');
    assertRan(aws(['s3', 'cp', 's3://master.pinned/doc.txt', headOut]), 'get from the branch bucket');
    assert.equal(readFileSync(headOut, 'utf8'), 'second version, longer\n');
    // The pinned bucket is read-only.
    const write = aws(['s3', 'cp', file, `s3://${first}.master.pinned/other.txt`]);
    assert.notEqual(write.status, 0, 'a write to a pinned bucket is refused');
  });
});
