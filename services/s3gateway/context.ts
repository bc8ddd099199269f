/**
 * What every operation handler receives: the parsed request, the authenticated caller, the
 * gateway's dependencies, and helpers that write S3 responses. One per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Bucket } from './buckets.ts';
import type { S3GatewayConfig } from './config.ts';
import { verifiedBody, type VerifiedBody } from './payload.ts';
import type { PfsForS3 } from './pfs-port.ts';
import type { Query } from './router.ts';
import type { AuthResult } from './sigv4.ts';
import type { UploadStore } from './uploads.ts';
import type { Owner } from './xml.ts';

export interface GatewayDeps {
  pfs: PfsForS3;
  uploads: UploadStore;
  config: S3GatewayConfig;
  owner: Owner;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  deps: GatewayDeps;
  requestId: string;
  logger: Logger;
  /** Aborts when the client goes away or the gateway stops. */
  signal: AbortSignal;
  auth: AuthResult;
  /** The bucket as named in the request, parsed (undefined for ListBuckets). */
  bucket: Bucket | undefined;
  key: string | undefined;
  query: Query;
  /** The request's body, verified (see payload.ts). Sends `100 Continue` first when the client waits for it. */
  body(maxBytes: number): VerifiedBody;
}

/** Lower-cased request header (joined when repeated). */
export function requestHeader(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function makeBody(
  req: IncomingMessage,
  res: ServerResponse,
  auth: AuthResult,
  expectsContinue: boolean,
): (maxBytes: number) => VerifiedBody {
  let used = false;
  return (maxBytes) => {
    if (used) throw new Error('s3gateway: the request body was already consumed');
    used = true;
    const body = verifiedBody(req, req.headers, auth.payload, maxBytes);
    if (expectsContinue) res.writeContinue();
    return body;
  };
}

export function sendXml(
  ctx: RequestContext,
  status: number,
  xml: string,
  headers: Record<string, string> = {},
): void {
  const body = Buffer.from(xml, 'utf8');
  ctx.res.writeHead(status, {
    ...headers,
    'content-type': 'application/xml',
    'content-length': String(body.length),
  });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
}

export function sendEmpty(ctx: RequestContext, status: number, headers: Record<string, string> = {}): void {
  ctx.res.writeHead(status, { ...headers, 'content-length': '0' });
  ctx.res.end();
}
