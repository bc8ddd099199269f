import assert from 'node:assert/strict';
import { errorFactory } from '../platform/errors.ts';
import { errorXml, S3_ERRORS, s3Error, toS3Error } from './errors.ts';

describe('s3gateway errors', () => {
  it('gives each required S3 error its HTTP status', () => {
    const expected: Record<string, number> = {
      NoSuchBucket: 404,
      NoSuchKey: 404,
      NoSuchUpload: 404,
      InvalidPart: 400,
      InvalidPartOrder: 400,
      InvalidRange: 416,
      PreconditionFailed: 412,
      AccessDenied: 403,
      SignatureDoesNotMatch: 403,
      InvalidAccessKeyId: 403,
      RequestTimeTooSkewed: 403,
      InvalidBucketName: 400,
      BadDigest: 400,
      MalformedXML: 400,
      NotImplemented: 501,
      MethodNotAllowed: 405,
      BucketNotEmpty: 409,
      BucketAlreadyOwnedByYou: 409,
      InvalidArgument: 400,
      EntityTooLarge: 400,
      XAmzContentSHA256Mismatch: 400,
    };
    for (const [code, status] of Object.entries(expected))
      assert.equal(S3_ERRORS[code as keyof typeof S3_ERRORS][0], status, code);
  });

  it('maps Terrain error families, making retryable ones 503 and hiding internal details', () => {
    const pfs = errorFactory('pfs');
    assert.equal(toS3Error(pfs.invalidArgument('bad path "/x"')).code, 'InvalidArgument');
    assert.equal(toS3Error(pfs.invalidArgument('bad path "/x"')).message, 'pfs: bad path "/x"');
    assert.equal(toS3Error(pfs.unavailable('etcd down')).status, 503);
    assert.equal(toS3Error(pfs.aborted('lost a race')).status, 503);
    const internal = toS3Error(pfs.internal('secret detail'));
    assert.equal(internal.code, 'InternalError');
    assert.ok(!internal.message.includes('secret'));
    assert.equal(toS3Error(new Error('boom')).code, 'InternalError');
  });

  it('renders the S3 XML error document with extra elements escaped', () => {
    const xml = errorXml(s3Error('NoSuchKey', undefined, { Key: 'a<b' }), '/b/a<b', 'REQ1');
    assert.equal(
      xml,
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&lt;b</Key><Resource>/b/a&lt;b</Resource><RequestId>REQ1</RequestId></Error>',
    );
  });
});
