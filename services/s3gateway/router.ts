/**
 * Request routing: which bucket and key a request names (path style `/bucket/key`, or virtual-host
 * style `bucket.<domain>/key` when a domain is configured) and which S3 operation it is, from the
 * method, the presence of a key, the subresource query parameters and a few headers. Pure.
 *
 * Unsupported subresources (`?acl`, `?tagging`, `?policy`, `?cors`, `?lifecycle`, …) are
 * NotImplemented; a method that no operation takes on a resource is MethodNotAllowed.
 */
import { s3Error } from './errors.ts';
import { parseQuery, splitUrl } from './sigv4.ts';

export type Operation =
  | 'ListBuckets'
  | 'HeadBucket'
  | 'CreateBucket'
  | 'DeleteBucket'
  | 'GetBucketLocation'
  | 'GetBucketVersioning'
  | 'PutBucketVersioning'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'ListObjectVersions'
  | 'ListMultipartUploads'
  | 'DeleteObjects'
  | 'GetObject'
  | 'HeadObject'
  | 'PutObject'
  | 'CopyObject'
  | 'DeleteObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts';

/** Operations that change the store (refused on read-only buckets and for read-only anonymous access). */
export const WRITE_OPERATIONS: ReadonlySet<Operation> = new Set<Operation>([
  'CreateBucket',
  'DeleteBucket',
  'PutBucketVersioning',
  'DeleteObjects',
  'PutObject',
  'CopyObject',
  'DeleteObject',
  'CreateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
]);

/** Subresources S3 has and the gateway does not implement. */
const UNSUPPORTED_SUBRESOURCES = [
  'accelerate',
  'acl',
  'analytics',
  'attributes',
  'cors',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'lifecycle',
  'logging',
  'metadataTable',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'tagging',
  'torrent',
  'website',
];

export interface Query {
  has(name: string): boolean;
  get(name: string): string | undefined;
}

export function makeQuery(pairs: [string, string][]): Query {
  const map = new Map<string, string>();
  for (const [k, v] of pairs) if (!map.has(k)) map.set(k, v);
  return { has: (name) => map.has(name), get: (name) => map.get(name) };
}

export interface Target {
  bucket?: string | undefined;
  /** The bucket came from the Host header. */
  virtualHost?: boolean | undefined;
  key?: string | undefined;
  query: Query;
}

/**
 * Splits a request target into bucket, key and query.
 * @param domain virtual-host base (e.g. `s3.example.com`); when the Host header is a subdomain of
 *   it, the subdomain is the bucket.
 * @throws S3Error InvalidArgument for a malformed percent-encoding in the path.
 */
export function parseTarget(url: string, host: string | undefined, domain: string | undefined): Target {
  const { path, query } = splitUrl(url);
  const q = makeQuery(parseQuery(query));
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw s3Error(
      'InvalidArgument',
      `The request path ${JSON.stringify(path.slice(0, 200))} is not valid percent-encoding.`,
    );
  }
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (domain && hostname.endsWith(`.${domain.toLowerCase()}`)) {
    const bucket = hostname.slice(0, -(domain.length + 1));
    const key = decoded.startsWith('/') ? decoded.slice(1) : decoded;
    return { bucket, virtualHost: true, key: key === '' ? undefined : key, query: q };
  }
  const rest = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  if (rest === '') return { query: q };
  const slash = rest.indexOf('/');
  if (slash < 0) return { bucket: rest, query: q };
  const key = rest.slice(slash + 1);
  return { bucket: rest.slice(0, slash), key: key === '' ? undefined : key, query: q };
}

/**
 * The operation a request asks for.
 * @throws S3Error NotImplemented (unsupported subresource or feature), MethodNotAllowed.
 */
export function route(method: string, target: Target, headers: { copySource: boolean }): Operation {
  const { bucket, key, query } = target;
  for (const sub of UNSUPPORTED_SUBRESOURCES) {
    if (query.has(sub))
      throw s3Error('NotImplemented', `The ?${sub} subresource is not supported by the Terrain S3 gateway.`);
  }
  const notAllowed = (): never => {
    throw s3Error('MethodNotAllowed', `The method ${method} is not allowed on this resource.`, {
      Method: method,
      ResourceType: key ? 'OBJECT' : bucket ? 'BUCKET' : 'SERVICE',
    });
  };
  if (!bucket) {
    if (method === 'GET') return 'ListBuckets';
    return notAllowed();
  }
  if (key === undefined) {
    switch (method) {
      case 'GET':
        if (query.has('location')) return 'GetBucketLocation';
        if (query.has('versioning')) return 'GetBucketVersioning';
        if (query.has('versions')) return 'ListObjectVersions';
        if (query.has('uploads')) return 'ListMultipartUploads';
        if (query.get('list-type') === '2') return 'ListObjectsV2';
        if (query.has('list-type'))
          throw s3Error(
            'InvalidArgument',
            `list-type ${JSON.stringify(query.get('list-type'))} is not valid; use 2.`,
          );
        return 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        if (query.has('versioning')) return 'PutBucketVersioning';
        return 'CreateBucket';
      case 'DELETE':
        return 'DeleteBucket';
      case 'POST':
        if (query.has('delete')) return 'DeleteObjects';
        throw s3Error(
          'NotImplemented',
          'POST to a bucket is only supported for ?delete (browser-form POST uploads are not).',
        );
      default:
        return notAllowed();
    }
  }
  switch (method) {
    case 'GET':
      if (query.has('uploadId')) return 'ListParts';
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      if (query.has('partNumber') || query.has('uploadId')) {
        if (!query.has('partNumber') || !query.has('uploadId'))
          throw s3Error('InvalidArgument', 'UploadPart needs both partNumber and uploadId.');
        return headers.copySource ? 'UploadPartCopy' : 'UploadPart';
      }
      return headers.copySource ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      if (query.has('uploadId')) return 'CompleteMultipartUpload';
      return notAllowed();
    case 'DELETE':
      if (query.has('uploadId')) return 'AbortMultipartUpload';
      return 'DeleteObject';
    default:
      return notAllowed();
  }
}
