import assert from 'node:assert/strict';
import { isS3Error } from './errors.ts';
import { verifyRequest, type VerifyOptions } from './sigv4.ts';
import { TEST_ACCESS_KEY, TEST_SECRET } from './test-signing.ts';

const options = (now: string): VerifyOptions => ({
  secretFor: (id) => (id === TEST_ACCESS_KEY ? TEST_SECRET : undefined),
  allowAnonymous: false,
  now: new Date(now),
});

function raw(headers: Record<string, string>): string[] {
  return Object.entries(headers).flat();
}

function refused(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => isS3Error(err) && err.code === code);
}

describe('sigv2 (legacy signatures)', () => {
  it("verifies AWS's published GET Object example (virtual-host style)", () => {
    const req = {
      method: 'GET',
      url: '/photos/puppy.jpg',
      hostBucket: 'awsexamplebucket1',
      rawHeaders: raw({
        Host: 'awsexamplebucket1.us-west-1.s3.amazonaws.com',
        Date: 'Tue, 27 Mar 2007 19:36:42 +0000',
        Authorization: `AWS ${TEST_ACCESS_KEY}:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=`,
      }),
    };
    assert.equal(verifyRequest(req, options('2007-03-27T19:40:00Z')).accessKeyId, TEST_ACCESS_KEY);
    refused(() => verifyRequest(req, options('2007-03-27T20:00:00Z')), 'RequestTimeTooSkewed');
    refused(
      () => verifyRequest({ ...req, url: '/photos/kitten.jpg' }, options('2007-03-27T19:40:00Z')),
      'SignatureDoesNotMatch',
    );
  });

  // Vectors made with botocore's HmacV1Auth / HmacV1QueryAuth (an independent implementation).
  it('verifies a header signature over subresources, content headers and x-amz-meta-* (botocore)', () => {
    const headers = {
      Host: '127.0.0.1:9000',
      'Content-Type': 'image/jpeg',
      'Content-MD5': '4gJE4saaMU4BqNR0kLY+lw==',
      'x-amz-meta-b': 'two',
      'X-Amz-Meta-A': 'one',
      Date: 'Sat, 28 Nov 2026 02:23:23 GMT',
      Authorization: `AWS ${TEST_ACCESS_KEY}:bV/k1DyR0VJVfhxWI2pxNaDuZQA=`,
    };
    const req = {
      method: 'PUT',
      url: '/master.repo/dir/a%20b.txt?uploadId=XYZ&partNumber=2',
      rawHeaders: raw(headers),
    };
    const result = verifyRequest(req, options('2026-11-28T02:25:00Z'));
    assert.deepEqual(result.payload, { kind: 'unsigned' });
    refused(
      () =>
        verifyRequest(
          { ...req, rawHeaders: raw({ ...headers, 'x-amz-meta-b': 'changed' }) },
          options('2026-11-28T02:25:00Z'),
        ),
      'SignatureDoesNotMatch',
    );
    refused(
      () =>
        verifyRequest(
          { ...req, url: '/master.repo/dir/a%20b.txt?uploadId=XYZ&partNumber=3' },
          options('2026-11-28T02:25:00Z'),
        ),
      'SignatureDoesNotMatch',
    );
  });

  it('verifies a presigned URL until it expires (botocore)', () => {
    const url = `/master.repo/k%2Bey.txt?AWSAccessKeyId=${TEST_ACCESS_KEY}&Signature=qLwXouRN%2BSlqL4eR3DNcN6i3AsA%3D&Expires=1795836199`;
    const req = { method: 'GET', url, rawHeaders: raw({ Host: '127.0.0.1:9000' }) };
    assert.equal(verifyRequest(req, options('2026-11-28T02:30:00Z')).via, 'presigned');
    refused(() => verifyRequest(req, options('2026-11-28T03:30:00Z')), 'AccessDenied');
    refused(
      () => verifyRequest({ ...req, method: 'PUT' }, options('2026-11-28T02:30:00Z')),
      'SignatureDoesNotMatch',
    );
    refused(
      () =>
        verifyRequest(
          { ...req, url: url.replace(TEST_ACCESS_KEY, 'NOBODY') },
          options('2026-11-28T02:30:00Z'),
        ),
      'InvalidAccessKeyId',
    );
  });
});
