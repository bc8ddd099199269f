/**
 * S3's XML: response builders and small, strict parsers for the request bodies the gateway reads
 * (CompleteMultipartUpload, Delete, CreateBucketConfiguration, VersioningConfiguration).
 *
 * The parser accepts the XML subset S3 clients send: an optional declaration, comments, elements
 * (namespace prefixes and attributes ignored), text with the five predefined entities and numeric
 * character references, and CDATA. It refuses DOCTYPE (no entity expansion), unbalanced tags,
 * trailing garbage, and documents deeper than 16 levels, always with MalformedXML. Bodies are bounded
 * by the caller (`readBoundedBody`) before they reach it.
 */
import { s3Error } from './errors.ts';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

// XML 1.0 cannot carry most control characters even as references; S3 clients expect them escaped
// as numeric references (S3 does the same for keys with such characters).
export function xmlEscape(value: string): string {
  return value.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\r]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#${c.charCodeAt(0)};`;
    }
  });
}

/** `<name>escaped value</name>`. */
export function tag(name: string, value: string | number | boolean): string {
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** `<name>children…</name>` from already rendered children (undefined ones are skipped). */
export function node(name: string, ...children: (string | undefined | false)[]): string {
  return `<${name}>${children.filter((c): c is string => typeof c === 'string').join('')}</${name}>`;
}

/** A whole document whose root element carries S3's namespace. */
export function document(root: string, ...children: (string | undefined | false)[]): string {
  return `${XML_DECL}<${root} xmlns="${S3_XMLNS}">${children.filter((c): c is string => typeof c === 'string').join('')}</${root}>`;
}

/** ISO-8601 with milliseconds, as S3 writes timestamps in XML. */
export function isoDate(date: Date): string {
  return date.toISOString();
}

/** The owner S3 clients expect in listings; the gateway has one tenant. */
export interface Owner {
  id: string;
  displayName: string;
}

export function ownerXml(owner: Owner, name = 'Owner'): string {
  return node(name, tag('ID', owner.id), tag('DisplayName', owner.displayName));
}

// ---- response builders -------------------------------------------------------------------------

export function listAllMyBucketsXml(owner: Owner, buckets: { name: string; created: Date }[]): string {
  return document(
    'ListAllMyBucketsResult',
    ownerXml(owner),
    node(
      'Buckets',
      ...buckets.map((b) => node('Bucket', tag('Name', b.name), tag('CreationDate', isoDate(b.created)))),
    ),
  );
}

export interface ObjectSummary {
  key: string;
  lastModified: Date;
  etag: string;
  size: number;
}

/** How listing values are encoded: `url` when the client asked for `encoding-type=url`. */
export type KeyEncoder = (value: string) => string;

export const identityEncoder: KeyEncoder = (v) => v;

/** S3's `encoding-type=url`: percent-encoding of everything but unreserved characters and `/`. */
export const urlEncoder: KeyEncoder = (v) =>
  encodeURIComponent(v)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface ListObjectsPage {
  bucket: string;
  prefix: string;
  delimiter?: string | undefined;
  maxKeys: number;
  encodingType?: 'url' | undefined;
  contents: ObjectSummary[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

export interface ListObjectsV1Extra {
  marker: string;
  /** Sent only when truncated and a delimiter was given (S3's rule; otherwise clients use the last key). */
  nextMarker?: string | undefined;
}

export interface ListObjectsV2Extra {
  continuationToken?: string | undefined;
  nextContinuationToken?: string | undefined;
  startAfter?: string | undefined;
  keyCount: number;
  fetchOwner: boolean;
}

function listingCommon(page: ListObjectsPage, enc: KeyEncoder, owner: Owner | undefined): string[] {
  return [
    ...page.contents.map((o) =>
      node(
        'Contents',
        tag('Key', enc(o.key)),
        tag('LastModified', isoDate(o.lastModified)),
        tag('ETag', o.etag),
        tag('Size', o.size),
        owner && ownerXml(owner),
        tag('StorageClass', 'STANDARD'),
      ),
    ),
    ...page.commonPrefixes.map((p) => node('CommonPrefixes', tag('Prefix', enc(p)))),
  ];
}

export function listBucketV1Xml(page: ListObjectsPage, extra: ListObjectsV1Extra, owner: Owner): string {
  const enc = page.encodingType === 'url' ? urlEncoder : identityEncoder;
  return document(
    'ListBucketResult',
    tag('Name', page.bucket),
    tag('Prefix', enc(page.prefix)),
    tag('Marker', enc(extra.marker)),
    extra.nextMarker !== undefined && tag('NextMarker', enc(extra.nextMarker)),
    tag('MaxKeys', page.maxKeys),
    page.delimiter !== undefined && tag('Delimiter', enc(page.delimiter)),
    page.encodingType && tag('EncodingType', page.encodingType),
    tag('IsTruncated', page.isTruncated),
    ...listingCommon(page, enc, owner),
  );
}

export function listBucketV2Xml(page: ListObjectsPage, extra: ListObjectsV2Extra, owner: Owner): string {
  const enc = page.encodingType === 'url' ? urlEncoder : identityEncoder;
  return document(
    'ListBucketResult',
    tag('Name', page.bucket),
    tag('Prefix', enc(page.prefix)),
    extra.startAfter !== undefined && tag('StartAfter', enc(extra.startAfter)),
    extra.continuationToken !== undefined && tag('ContinuationToken', extra.continuationToken),
    extra.nextContinuationToken !== undefined && tag('NextContinuationToken', extra.nextContinuationToken),
    tag('KeyCount', extra.keyCount),
    tag('MaxKeys', page.maxKeys),
    page.delimiter !== undefined && tag('Delimiter', enc(page.delimiter)),
    page.encodingType && tag('EncodingType', page.encodingType),
    tag('IsTruncated', page.isTruncated),
    ...listingCommon(page, enc, extra.fetchOwner ? owner : undefined),
  );
}

export interface VersionEntry {
  key: string;
  versionId: string;
  isLatest: boolean;
  lastModified: Date;
  /** Absent for a delete marker. */
  object?: { etag: string; size: number } | undefined;
}

export interface ListVersionsPage {
  bucket: string;
  prefix: string;
  keyMarker: string;
  versionIdMarker: string;
  maxKeys: number;
  delimiter?: string | undefined;
  encodingType?: 'url' | undefined;
  entries: VersionEntry[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string | undefined;
  nextVersionIdMarker?: string | undefined;
}

export function listVersionsXml(page: ListVersionsPage, owner: Owner): string {
  const enc = page.encodingType === 'url' ? urlEncoder : identityEncoder;
  return document(
    'ListVersionsResult',
    tag('Name', page.bucket),
    tag('Prefix', enc(page.prefix)),
    tag('KeyMarker', enc(page.keyMarker)),
    tag('VersionIdMarker', page.versionIdMarker),
    page.nextKeyMarker !== undefined && tag('NextKeyMarker', enc(page.nextKeyMarker)),
    page.nextVersionIdMarker !== undefined && tag('NextVersionIdMarker', page.nextVersionIdMarker),
    tag('MaxKeys', page.maxKeys),
    page.delimiter !== undefined && tag('Delimiter', enc(page.delimiter)),
    page.encodingType && tag('EncodingType', page.encodingType),
    tag('IsTruncated', page.isTruncated),
    ...page.entries.map((v) =>
      v.object
        ? node(
            'Version',
            tag('Key', enc(v.key)),
            tag('VersionId', v.versionId),
            tag('IsLatest', v.isLatest),
            tag('LastModified', isoDate(v.lastModified)),
            tag('ETag', v.object.etag),
            tag('Size', v.object.size),
            ownerXml(owner),
            tag('StorageClass', 'STANDARD'),
          )
        : node(
            'DeleteMarker',
            tag('Key', enc(v.key)),
            tag('VersionId', v.versionId),
            tag('IsLatest', v.isLatest),
            tag('LastModified', isoDate(v.lastModified)),
            ownerXml(owner),
          ),
    ),
    ...page.commonPrefixes.map((p) => node('CommonPrefixes', tag('Prefix', enc(p)))),
  );
}

export function initiateMultipartUploadXml(bucket: string, key: string, uploadId: string): string {
  return document(
    'InitiateMultipartUploadResult',
    tag('Bucket', bucket),
    tag('Key', key),
    tag('UploadId', uploadId),
  );
}

export function completeMultipartUploadXml(
  location: string,
  bucket: string,
  key: string,
  etag: string,
): string {
  return document(
    'CompleteMultipartUploadResult',
    tag('Location', location),
    tag('Bucket', bucket),
    tag('Key', key),
    tag('ETag', etag),
  );
}

export interface PartSummary {
  partNumber: number;
  lastModified: Date;
  etag: string;
  size: number;
}

export interface ListPartsPage {
  bucket: string;
  key: string;
  uploadId: string;
  partNumberMarker: number;
  nextPartNumberMarker?: number | undefined;
  maxParts: number;
  isTruncated: boolean;
  parts: PartSummary[];
  initiator: Owner;
}

export function listPartsXml(page: ListPartsPage): string {
  return document(
    'ListPartsResult',
    tag('Bucket', page.bucket),
    tag('Key', page.key),
    tag('UploadId', page.uploadId),
    ownerXml(page.initiator, 'Initiator'),
    ownerXml(page.initiator),
    tag('StorageClass', 'STANDARD'),
    tag('PartNumberMarker', page.partNumberMarker),
    page.nextPartNumberMarker !== undefined && tag('NextPartNumberMarker', page.nextPartNumberMarker),
    tag('MaxParts', page.maxParts),
    tag('IsTruncated', page.isTruncated),
    ...page.parts.map((p) =>
      node(
        'Part',
        tag('PartNumber', p.partNumber),
        tag('LastModified', isoDate(p.lastModified)),
        tag('ETag', p.etag),
        tag('Size', p.size),
      ),
    ),
  );
}

export interface UploadSummary {
  key: string;
  uploadId: string;
  initiated: Date;
}

export interface ListUploadsPage {
  bucket: string;
  prefix: string;
  delimiter?: string | undefined;
  keyMarker: string;
  uploadIdMarker: string;
  nextKeyMarker?: string | undefined;
  nextUploadIdMarker?: string | undefined;
  maxUploads: number;
  isTruncated: boolean;
  encodingType?: 'url' | undefined;
  uploads: UploadSummary[];
  commonPrefixes: string[];
  owner: Owner;
}

export function listMultipartUploadsXml(page: ListUploadsPage): string {
  const enc = page.encodingType === 'url' ? urlEncoder : identityEncoder;
  return document(
    'ListMultipartUploadsResult',
    tag('Bucket', page.bucket),
    tag('KeyMarker', enc(page.keyMarker)),
    tag('UploadIdMarker', page.uploadIdMarker),
    page.nextKeyMarker !== undefined && tag('NextKeyMarker', enc(page.nextKeyMarker)),
    page.nextUploadIdMarker !== undefined && tag('NextUploadIdMarker', page.nextUploadIdMarker),
    tag('Prefix', enc(page.prefix)),
    page.delimiter !== undefined && tag('Delimiter', enc(page.delimiter)),
    tag('MaxUploads', page.maxUploads),
    page.encodingType && tag('EncodingType', page.encodingType),
    tag('IsTruncated', page.isTruncated),
    ...page.uploads.map((u) =>
      node(
        'Upload',
        tag('Key', enc(u.key)),
        tag('UploadId', u.uploadId),
        ownerXml(page.owner, 'Initiator'),
        ownerXml(page.owner),
        tag('StorageClass', 'STANDARD'),
        tag('Initiated', isoDate(u.initiated)),
      ),
    ),
    ...page.commonPrefixes.map((p) => node('CommonPrefixes', tag('Prefix', enc(p)))),
  );
}

export function copyObjectResultXml(etag: string, lastModified: Date): string {
  return document('CopyObjectResult', tag('LastModified', isoDate(lastModified)), tag('ETag', etag));
}

export function copyPartResultXml(etag: string, lastModified: Date): string {
  return document('CopyPartResult', tag('LastModified', isoDate(lastModified)), tag('ETag', etag));
}

export interface DeleteOutcome {
  key: string;
  versionId?: string | undefined;
  error?: { code: string; message: string } | undefined;
}

/** DeleteResult: in quiet mode only the errors are listed. */
export function deleteResultXml(outcomes: DeleteOutcome[], quiet: boolean): string {
  return document(
    'DeleteResult',
    ...outcomes
      .filter((o) => !quiet || o.error)
      .map((o) =>
        o.error
          ? node(
              'Error',
              tag('Key', o.key),
              o.versionId !== undefined && tag('VersionId', o.versionId),
              tag('Code', o.error.code),
              tag('Message', o.error.message),
            )
          : node('Deleted', tag('Key', o.key), o.versionId !== undefined && tag('VersionId', o.versionId)),
      ),
  );
}

export function versioningConfigurationXml(status: 'Enabled' | 'Suspended' | undefined): string {
  return document('VersioningConfiguration', status && tag('Status', status));
}

export function locationConstraintXml(region: string): string {
  // us-east-1 is reported as an empty constraint, as S3 does.
  return `${XML_DECL}<LocationConstraint xmlns="${S3_XMLNS}">${region === 'us-east-1' ? '' : xmlEscape(region)}</LocationConstraint>`;
}

// ---- parser -------------------------------------------------------------------------------------

/** A parsed element: local name (namespace prefix dropped), children in order, and its text. */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

const MAX_DEPTH = 16;

/**
 * Parses a small XML document into elements.
 * @throws S3Error MalformedXML for anything outside the accepted subset.
 */
export function parseXml(source: string): XmlElement {
  let i = 0;
  const bad = (why: string): never => {
    throw s3Error('MalformedXML', `The XML you provided was not well-formed: ${why} (at offset ${i}).`);
  };
  const skipMisc = (): void => {
    for (;;) {
      while (i < source.length && /\s/.test(source[i]!)) i++;
      if (source.startsWith('<?', i)) {
        const end = source.indexOf('?>', i);
        if (end < 0) bad('unterminated processing instruction');
        i = end + 2;
      } else if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i);
        if (end < 0) bad('unterminated comment');
        i = end + 3;
      } else if (source.startsWith('<!', i)) {
        bad('DOCTYPE and declarations are not accepted');
      } else return;
    }
  };
  const localName = (qname: string): string => qname.slice(qname.indexOf(':') + 1);
  const parseElement = (depth: number): XmlElement => {
    if (depth > MAX_DEPTH) bad('document too deep');
    if (source[i] !== '<') bad('expected an element');
    const nameMatch = /^<([A-Za-z_][\w.:-]*)/.exec(source.slice(i, i + 256));
    if (!nameMatch) bad('invalid element name');
    const qname = nameMatch![1]!;
    i += nameMatch![0].length;
    // Attributes are skipped (only xmlns appears in S3 requests), but must be well-formed.
    for (;;) {
      while (i < source.length && /\s/.test(source[i]!)) i++;
      if (source.startsWith('/>', i)) {
        i += 2;
        return { name: localName(qname), children: [], text: '' };
      }
      if (source[i] === '>') {
        i++;
        break;
      }
      const attr = /^[A-Za-z_][\w.:-]*\s*=\s*("[^"<]*"|'[^'<]*')/.exec(source.slice(i, i + 4096));
      if (!attr) bad('malformed attribute');
      i += attr![0].length;
    }
    const element: XmlElement = { name: localName(qname), children: [], text: '' };
    let text = '';
    for (;;) {
      if (i >= source.length) bad(`element <${qname}> is not closed`);
      if (source.startsWith('</', i)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(source.slice(i, i + 260));
        if (!close || close[1] !== qname) bad(`expected </${qname}>`);
        i += close![0].length;
        element.text = text;
        return element;
      }
      if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i);
        if (end < 0) bad('unterminated comment');
        i = end + 3;
      } else if (source.startsWith('<![CDATA[', i)) {
        const end = source.indexOf(']]>', i);
        if (end < 0) bad('unterminated CDATA');
        text += source.slice(i + 9, end);
        i = end + 3;
      } else if (source[i] === '<') {
        element.children.push(parseElement(depth + 1));
      } else {
        const next = source.indexOf('<', i);
        const raw = source.slice(i, next < 0 ? source.length : next);
        text += decodeEntities(raw, bad);
        i += raw.length;
      }
    }
  };
  skipMisc();
  const root = parseElement(0);
  skipMisc();
  if (i !== source.length) bad('content after the root element');
  return root;
}

function decodeEntities(raw: string, bad: (why: string) => never): string {
  return raw.replace(/&([^;]{0,10});?/g, (match, name: string) => {
    if (!match.endsWith(';')) bad('unterminated entity');
    switch (name) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    const num = /^#(x[0-9a-fA-F]{1,6}|[0-9]{1,7})$/.exec(name);
    if (!num) bad(`unknown entity &${name};`);
    const code = num![1]!.startsWith('x') ? parseInt(num![1]!.slice(1), 16) : parseInt(num![1]!, 10);
    if (code > 0x10ffff || code === 0) bad('invalid character reference');
    return String.fromCodePoint(code);
  });
}

function children(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

function onlyChild(el: XmlElement, name: string, required: boolean): XmlElement | undefined {
  const found = children(el, name);
  if (found.length > 1 || (required && found.length === 0)) {
    throw s3Error(
      'MalformedXML',
      `The XML you provided was not well-formed: expected exactly one <${name}> in <${el.name}>.`,
    );
  }
  return found[0];
}

function expectRoot(el: XmlElement, name: string): void {
  if (el.name !== name)
    throw s3Error(
      'MalformedXML',
      `The XML you provided was not well-formed: expected <${name}>, got <${el.name}>.`,
    );
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/** Parses CompleteMultipartUpload. @throws MalformedXML (InvalidPartOrder is the caller's check). */
export function parseCompleteMultipartUpload(body: string): CompletedPart[] {
  const root = parseXml(body);
  expectRoot(root, 'CompleteMultipartUpload');
  const parts = children(root, 'Part').map((p) => {
    const num = onlyChild(p, 'PartNumber', true)!.text.trim();
    const etag = onlyChild(p, 'ETag', true)!.text.trim();
    if (!/^[0-9]{1,5}$/.test(num))
      throw s3Error(
        'MalformedXML',
        `The XML you provided was not well-formed: invalid PartNumber ${JSON.stringify(num)}.`,
      );
    return { partNumber: Number(num), etag };
  });
  if (parts.length === 0)
    throw s3Error('MalformedXML', 'The XML you provided was not well-formed: no <Part> given.');
  return parts;
}

export interface DeleteRequest {
  quiet: boolean;
  objects: { key: string; versionId?: string | undefined }[];
}

/** Parses a DeleteObjects body (at most 1000 keys, as in S3). @throws MalformedXML. */
export function parseDeleteRequest(body: string): DeleteRequest {
  const root = parseXml(body);
  expectRoot(root, 'Delete');
  const quietEl = onlyChild(root, 'Quiet', false);
  const quietText = quietEl?.text.trim().toLowerCase();
  if (quietText !== undefined && quietText !== 'true' && quietText !== 'false') {
    throw s3Error('MalformedXML', 'The XML you provided was not well-formed: <Quiet> must be true or false.');
  }
  const objects = children(root, 'Object').map((o) => {
    const key = onlyChild(o, 'Key', true)!.text;
    const versionId = onlyChild(o, 'VersionId', false)?.text.trim();
    return { key, versionId };
  });
  if (objects.length === 0 || objects.length > 1000) {
    throw s3Error(
      'MalformedXML',
      `The XML you provided was not well-formed: a Delete request names 1 to 1000 objects (got ${objects.length}).`,
    );
  }
  return { quiet: quietText === 'true', objects };
}

/** Parses PutBucketVersioning's body; returns its Status. */
export function parseVersioningConfiguration(body: string): string | undefined {
  const root = parseXml(body);
  expectRoot(root, 'VersioningConfiguration');
  return onlyChild(root, 'Status', false)?.text.trim();
}

/** Parses CreateBucket's optional body; returns its LocationConstraint (empty body: undefined). */
export function parseCreateBucketConfiguration(body: string): string | undefined {
  if (body.trim() === '') return undefined;
  const root = parseXml(body);
  expectRoot(root, 'CreateBucketConfiguration');
  return onlyChild(root, 'LocationConstraint', false)?.text.trim();
}
