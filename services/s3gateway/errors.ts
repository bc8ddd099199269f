/**
 * S3 errors: the codes and HTTP statuses S3 clients act on, rendered as S3's XML error document,
 * and the mapping from Terrain error families (what pfs answers over gRPC) to them.
 *
 * Handlers throw `S3Error`; the server renders it. Anything else thrown is mapped by
 * `toS3Error`: a Terrain error by its `code` family (retryable families become 503 so SDKs retry),
 * anything unknown becomes InternalError with a generic message (the cause is logged, never sent).
 */
import { isTerrainError, type ErrorCode } from '../platform/errors.ts';
import { xmlEscape } from './xml.ts';

/** Every S3 error code the gateway sends, with its HTTP status and default message. */
export const S3_ERRORS = {
  AccessDenied: [403, 'Access Denied'],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed.'],
  AuthorizationQueryParametersError: [400, 'Error parsing the X-Amz-Credential parameter.'],
  BadDigest: [400, 'The Content-MD5 or checksum you specified did not match what we received.'],
  BucketAlreadyExists: [409, 'The requested bucket name is not available.'],
  BucketAlreadyOwnedByYou: [
    409,
    'Your previous request to create the named bucket succeeded and you already own it.',
  ],
  BucketNotEmpty: [409, 'The bucket you tried to delete is not empty.'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed object size.'],
  EntityTooSmall: [400, 'Your proposed upload is smaller than the minimum allowed object size.'],
  IncompleteBody: [
    400,
    'You did not provide the number of bytes specified by the Content-Length HTTP header.',
  ],
  InternalError: [500, 'We encountered an internal error. Please try again.'],
  InvalidAccessKeyId: [403, 'The AWS Access Key Id you provided does not exist in our records.'],
  InvalidArgument: [400, 'Invalid Argument'],
  InvalidBucketName: [400, 'The specified bucket is not valid.'],
  InvalidDigest: [400, 'The Content-MD5 you specified is not valid.'],
  InvalidPart: [400, 'One or more of the specified parts could not be found.'],
  InvalidPartOrder: [400, 'The list of parts was not in ascending order.'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  InvalidRequest: [400, 'Invalid Request'],
  KeyTooLongError: [400, 'Your key is too long.'],
  MalformedXML: [
    400,
    'The XML you provided was not well-formed or did not validate against our published schema.',
  ],
  MetadataTooLarge: [400, 'Your metadata headers exceed the maximum allowed metadata size.'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource.'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header.'],
  NoSuchBucket: [404, 'The specified bucket does not exist.'],
  NoSuchKey: [404, 'The specified key does not exist.'],
  NoSuchUpload: [
    404,
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  ],
  NoSuchVersion: [404, 'The specified version does not exist.'],
  NotImplemented: [501, 'A header or query you provided implies functionality that is not implemented.'],
  NotModified: [304, 'Not Modified'],
  OperationAborted: [
    409,
    'A conflicting conditional operation is currently in progress against this resource. Try again.',
  ],
  PreconditionFailed: [412, 'At least one of the preconditions you specified did not hold.'],
  RequestTimeTooSkewed: [403, 'The difference between the request time and the current time is too large.'],
  ServiceUnavailable: [503, 'Service is unable to handle request.'],
  SignatureDoesNotMatch: [
    403,
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  ],
  SlowDown: [503, 'Please reduce your request rate.'],
  XAmzContentSHA256Mismatch: [
    400,
    "The provided 'x-amz-content-sha256' header does not match what was computed.",
  ],
} as const satisfies Record<string, readonly [number, string]>;

export type S3ErrorCode = keyof typeof S3_ERRORS;

/** An S3 error to send to the client. `extra` becomes additional XML elements (e.g. `Key`, `UploadId`). */
export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  readonly extra: Record<string, string>;
  /** Response headers that go with the error (e.g. `x-amz-delete-marker`). */
  readonly headers: Record<string, string>;

  constructor(
    code: S3ErrorCode,
    message?: string,
    options: { extra?: Record<string, string>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message ?? S3_ERRORS[code][1], { cause: options.cause });
    this.name = 'S3Error';
    this.code = code;
    this.status = S3_ERRORS[code][0];
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

export function s3Error(code: S3ErrorCode, message?: string, extra?: Record<string, string>): S3Error {
  return new S3Error(code, message, extra ? { extra } : {});
}

export function isS3Error(err: unknown): err is S3Error {
  return err instanceof S3Error;
}

/** What a Terrain error of each family means to an S3 client when no handler gave it a meaning. */
const FAMILY_TO_S3: Record<ErrorCode, S3ErrorCode> = {
  not_found: 'NoSuchKey',
  already_exists: 'OperationAborted',
  invalid_argument: 'InvalidArgument',
  failed_precondition: 'OperationAborted',
  // Safe to retry (pfs says so): 503 makes every SDK back off and retry.
  aborted: 'SlowDown',
  unavailable: 'ServiceUnavailable',
  resource_exhausted: 'SlowDown',
  deadline_exceeded: 'ServiceUnavailable',
  data_loss: 'InternalError',
  cancelled: 'InternalError',
  unimplemented: 'NotImplemented',
  internal: 'InternalError',
};

/**
 * Converts anything thrown while serving a request into an S3Error. Terrain errors keep their
 * message (it names the offending value and is safe to show); internal and unknown errors get S3's
 * generic message so no server detail leaks.
 */
export function toS3Error(err: unknown): S3Error {
  if (isS3Error(err)) return err;
  if (isTerrainError(err)) {
    const code = FAMILY_TO_S3[err.code];
    const message = code === 'InternalError' ? undefined : err.message;
    return new S3Error(code, message, { cause: err });
  }
  return new S3Error('InternalError', undefined, { cause: err });
}

/** The XML body of an error response. */
export function errorXml(err: S3Error, resource: string, requestId: string): string {
  const extra = Object.entries(err.extra)
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message>${extra}` +
    `<Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`
  );
}
