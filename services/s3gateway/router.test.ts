import assert from 'node:assert/strict';
import { isS3Error } from './errors.ts';
import { parseTarget, route } from './router.ts';

const op = (method: string, url: string, copySource = false): string =>
  route(method, parseTarget(url, 'localhost', undefined), { copySource });

function refused(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => isS3Error(err) && err.code === code);
}

describe('s3gateway router', () => {
  it('splits path-style and virtual-host-style targets, decoding the key', () => {
    assert.deepEqual(
      { ...parseTarget('/master.images/a%20b/c%2Bd?x=1', 'h', undefined), query: undefined },
      { bucket: 'master.images', key: 'a b/c+d', query: undefined },
    );
    const vh = parseTarget('/a/b.txt', 'master.images.s3.local:9000', 's3.local');
    assert.equal(vh.bucket, 'master.images');
    assert.equal(vh.key, 'a/b.txt');
    assert.equal(parseTarget('/', 'h', undefined).bucket, undefined);
    assert.equal(parseTarget('/bucket/', 'h', undefined).key, undefined);
  });

  it('routes every supported operation', () => {
    const cases: [string, string, boolean, string][] = [
      ['GET', '/', false, 'ListBuckets'],
      ['HEAD', '/b', false, 'HeadBucket'],
      ['PUT', '/b', false, 'CreateBucket'],
      ['DELETE', '/b', false, 'DeleteBucket'],
      ['GET', '/b?location', false, 'GetBucketLocation'],
      ['GET', '/b?versioning', false, 'GetBucketVersioning'],
      ['PUT', '/b?versioning', false, 'PutBucketVersioning'],
      ['GET', '/b', false, 'ListObjects'],
      ['GET', '/b?list-type=2', false, 'ListObjectsV2'],
      ['GET', '/b?versions', false, 'ListObjectVersions'],
      ['GET', '/b?uploads', false, 'ListMultipartUploads'],
      ['POST', '/b?delete', false, 'DeleteObjects'],
      ['GET', '/b/k', false, 'GetObject'],
      ['HEAD', '/b/k', false, 'HeadObject'],
      ['PUT', '/b/k', false, 'PutObject'],
      ['PUT', '/b/k', true, 'CopyObject'],
      ['DELETE', '/b/k', false, 'DeleteObject'],
      ['POST', '/b/k?uploads', false, 'CreateMultipartUpload'],
      ['PUT', '/b/k?partNumber=1&uploadId=u', false, 'UploadPart'],
      ['PUT', '/b/k?partNumber=1&uploadId=u', true, 'UploadPartCopy'],
      ['POST', '/b/k?uploadId=u', false, 'CompleteMultipartUpload'],
      ['DELETE', '/b/k?uploadId=u', false, 'AbortMultipartUpload'],
      ['GET', '/b/k?uploadId=u', false, 'ListParts'],
    ];
    for (const [method, url, copy, expected] of cases)
      assert.equal(op(method, url, copy), expected, `${method} ${url}`);
  });

  it('refuses unsupported subresources with NotImplemented and other methods with MethodNotAllowed', () => {
    for (const sub of ['acl', 'tagging', 'policy', 'cors', 'lifecycle', 'website', 'object-lock'])
      refused(() => op('GET', `/b?${sub}`), 'NotImplemented');
    refused(() => op('PUT', '/b/k?tagging'), 'NotImplemented');
    refused(() => op('POST', '/'), 'MethodNotAllowed');
    refused(() => op('PATCH', '/b/k'), 'MethodNotAllowed');
    refused(() => op('POST', '/b/k'), 'MethodNotAllowed');
    refused(() => op('OPTIONS', '/b'), 'MethodNotAllowed');
    refused(() => op('PUT', '/b/k?partNumber=1'), 'InvalidArgument');
    refused(() => op('GET', '/b?list-type=3'), 'InvalidArgument');
  });
});
