import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { LocalObjectStore } from './local.ts';
import { MemoryObjectStore } from './memory.ts';
import { openObjectStore } from './open.ts';
import { S3ObjectStore } from './s3.ts';

describe('openObjectStore', function () {
  const noEnv = { env: {} };

  it('opens memory:, local:DIR and a bare path', async function () {
    assert.ok((await openObjectStore('memory:')) instanceof MemoryObjectStore);
    const local = await openObjectStore('local:/var/lib/terrain');
    assert.ok(local instanceof LocalObjectStore);
    assert.equal(local.description, 'local:/var/lib/terrain');
    assert.equal((await openObjectStore('local:///srv/x')).description, 'local:/srv/x');
    assert.equal((await openObjectStore('./data')).description, `local:${resolve('data')}`);
    assert.equal((await openObjectStore('/abs/dir')).description, 'local:/abs/dir');
  });

  it('opens s3://BUCKET/PREFIX with the endpoint and region from the URL', async function () {
    const store = await openObjectStore(
      's3://my-bucket/some/prefix?endpoint=http://127.0.0.1:9000&region=eu-west-1',
      noEnv,
    );
    assert.ok(store instanceof S3ObjectStore);
    assert.equal(store.description, 's3://my-bucket/some/prefix/ at http://127.0.0.1:9000');
    store.destroy();
  });

  it('takes the endpoint from options, then AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL', async function () {
    const fromOptions = await openObjectStore('s3://bkt', {
      env: { AWS_ENDPOINT_URL: 'http://env:1' },
      endpoint: 'http://opt:2',
    });
    assert.match(fromOptions.description, /at http:\/\/opt:2$/);
    const fromS3Env = await openObjectStore('s3://bkt', {
      env: { AWS_ENDPOINT_URL_S3: 'http://s3env:3', AWS_ENDPOINT_URL: 'http://env:1' },
    });
    assert.match(fromS3Env.description, /at http:\/\/s3env:3$/);
    const aws = await openObjectStore('s3://bkt', noEnv);
    assert.equal(aws.description, 's3://bkt/');
    for (const s of [fromOptions, fromS3Env, aws]) (s as S3ObjectStore).destroy();
  });

  it('refuses what it cannot parse with INVALID_ARGUMENT naming the value', async function () {
    const bad = [
      '',
      'local:',
      'gs://bucket',
      'file:///x',
      's3://',
      's3://UpperCase',
      's3://ab',
      's3://bucket?color=blue',
      's3://key:secret@bucket',
      's3://bucket:9000/x',
      's3://bucket?endpoint=ftp://host',
      's3://bucket?endpoint=not a url',
      's3://bucket?forcePathStyle=maybe',
      's3://bucket/%E0%A4%A',
      's3://bucket/a//b',
    ];
    for (const url of bad) {
      await assert.rejects(openObjectStore(url, noEnv), (err: { code?: string; message?: string }) => {
        assert.equal(err.code, 'invalid_argument', url);
        assert.ok(err.message?.includes(JSON.stringify(url)), `message does not name ${url}: ${err.message}`);
        return true;
      });
    }
  });
});
