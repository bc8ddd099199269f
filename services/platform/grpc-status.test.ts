import assert from 'node:assert/strict';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ERROR_CODES, TerrainError, errorFactory, isErrorCode } from './errors.ts';
import { codeForStatus, fromServiceError, statusForCode, toServiceError } from './grpc-status.ts';

/** What a client receives: the server's status and metadata, as grpc-js delivers them. */
function overTheWire(err: Partial<ServiceError>): ServiceError {
  return Object.assign(new Error(`${err.code} ${err.details}`), {
    code: err.code!,
    details: err.details!,
    metadata: err.metadata ?? new Metadata(),
  });
}

describe('errors and gRPC status', () => {
  it('maps every error family to a distinct status and back', () => {
    const statuses = ERROR_CODES.map(statusForCode);
    assert.equal(new Set(statuses).size, ERROR_CODES.length);
    for (const code of ERROR_CODES) assert.equal(codeForStatus(statusForCode(code)), code);
  });

  it('rebuilds the same typed error on the client, with service and details', () => {
    const pfs = errorFactory('pfs');
    const sent = toServiceError(pfs.notFound('repo "images" not found', { details: { repo: 'images' } }));
    assert.equal(sent.code, status.NOT_FOUND);
    const received = fromServiceError(overTheWire(sent));
    assert.ok(received instanceof TerrainError);
    assert.ok(isErrorCode(received, 'not_found'));
    assert.equal(received.service, 'pfs');
    assert.equal(received.message, 'pfs: repo "images" not found');
    assert.deepEqual(received.details, { repo: 'images' });
  });

  it('hides the message of an unexpected error behind INTERNAL', () => {
    const sent = toServiceError(new Error('secret path /etc/shadow'));
    assert.equal(sent.code, status.INTERNAL);
    assert.doesNotMatch(String(sent.details), /shadow/);
  });

  it('turns an abort into CANCELLED', () => {
    const sent = toServiceError(new DOMException('stop', 'AbortError'));
    assert.equal(sent.code, status.CANCELLED);
  });

  it('prefixes messages with the service name once', () => {
    assert.equal(new TerrainError('pps', 'aborted', 'pps: retry').message, 'pps: retry');
    assert.equal(new TerrainError('pps', 'aborted', 'retry').message, 'pps: retry');
  });
});

describe('error messages on the wire', () => {
  it('escapes control characters, which HTTP/2 trailers cannot carry', () => {
    const sent = toServiceError(
      errorFactory('pfs').invalidArgument('invalid path "/a\u0000b"', { details: { path: '/a\u0000b/é' } }),
    );
    assert.equal(sent.details, 'pfs: invalid path "/a\\u0000b"');
    assert.deepEqual(sent.metadata!.get('terrain-error-detail-path'), ['/a\\u0000b/\\u00e9']);
  });
});
