/**
 * The S3 gateway's HTTP server: authenticates each request (SigV4), routes it to an operation,
 * runs the handler, and turns every failure into an S3 XML error. Each request gets an ID
 * (`x-amz-request-id`), a child logger, and an AbortSignal that fires when the client goes away or
 * the gateway stops, which cancels the pfs calls made for it.
 *
 *   const gateway = await startS3Gateway(s3GatewayConfig({ credentials: { key: 'secret' } }), { pfs, logger });
 *   console.log(gateway.port);
 *   await gateway.stop();
 *
 * stop(): stops accepting connections, lets requests in flight finish for `shutdownGraceMs`, then
 * aborts the rest and closes every connection; staged multipart parts are left to expire.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { parseBucket, type Bucket } from './buckets.ts';
import * as buckets from './bucket-handlers.ts';
import type { S3GatewayConfig } from './config.ts';
import { makeBody, type GatewayDeps, type RequestContext } from './context.ts';
import { errorXml, s3Error, toS3Error, type S3Error } from './errors.ts';
import * as lists from './list-handlers.ts';
import * as multipart from './multipart-handlers.ts';
import * as objects from './object-handlers.ts';
import type { PfsForS3 } from './pfs-port.ts';
import { parseTarget, route, WRITE_OPERATIONS, type Operation } from './router.ts';
import { verifyRequest, type AuthResult } from './sigv4.ts';
import { UploadStore } from './uploads.ts';

export interface S3GatewayDeps {
  pfs: PfsForS3;
  logger: Logger;
  /** Clock for signature checks (tests). */
  now?: () => Date;
}

export interface RunningS3Gateway {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** `http://host:port`. */
  endpoint: string;
  uploads: UploadStore;
  stop(): Promise<void>;
}

type Handler = (ctx: RequestContext) => Promise<void>;

const HANDLERS: Record<Operation, Handler> = {
  ListBuckets: buckets.listBuckets,
  HeadBucket: buckets.headBucket,
  CreateBucket: buckets.createBucket,
  DeleteBucket: buckets.deleteBucket,
  GetBucketLocation: buckets.getBucketLocation,
  GetBucketVersioning: buckets.getBucketVersioning,
  PutBucketVersioning: buckets.putBucketVersioning,
  ListObjects: lists.listObjectsV1,
  ListObjectsV2: lists.listObjectsV2,
  ListObjectVersions: lists.listObjectVersions,
  ListMultipartUploads: multipart.listMultipartUploads,
  DeleteObjects: objects.deleteObjects,
  GetObject: objects.getObject,
  HeadObject: objects.getObject,
  PutObject: objects.putObject,
  CopyObject: objects.copyObject,
  DeleteObject: objects.deleteObject,
  CreateMultipartUpload: multipart.createMultipartUpload,
  UploadPart: multipart.uploadPart,
  UploadPartCopy: multipart.uploadPartCopy,
  CompleteMultipartUpload: multipart.completeMultipartUpload,
  AbortMultipartUpload: multipart.abortMultipartUpload,
  ListParts: multipart.listParts,
};

function requestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

export async function startS3Gateway(
  config: S3GatewayConfig,
  deps: S3GatewayDeps,
): Promise<RunningS3Gateway> {
  const logger = deps.logger.child({ component: 's3gateway' });
  const uploads = new UploadStore({
    pfs: deps.pfs,
    logger,
    partTtlMs: config.partTtlMs,
    uploadTimeoutMs: config.uploadTimeoutMs,
  });
  const gatewayDeps: GatewayDeps = {
    pfs: deps.pfs,
    uploads,
    config,
    owner: { id: 'terrain', displayName: 'terrain' },
  };
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const handle = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void => {
    const done = serve(req, res, expectsContinue, gatewayDeps, logger, stopping.signal, deps.now).catch(
      (err: unknown) => {
        logger.error({ err }, 'unhandled error while serving a request');
        res.destroy();
      },
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  const server: Server = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => handle(req, res, false));
  // Answer `Expect: 100-continue` only once the request is authenticated and routed (ctx.body()).
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => handle(req, res, true));

  const [host, portText] = splitAddress(config.address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(portText), host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  uploads.start();
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ endpoint }, 'S3 gateway listening');

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
      await Promise.race([Promise.allSettled([...inFlight]), grace]);
      stopping.abort(new Error('s3gateway: stopping'));
      server.closeAllConnections();
      await Promise.allSettled([...inFlight]);
      await closed;
      await uploads.stop();
      logger.info('S3 gateway stopped');
    })();
    return stopped;
  };
  return { port, endpoint, uploads, stop };
}

function splitAddress(address: string): [string, string] {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '');
  return [host || '0.0.0.0', address.slice(at + 1)];
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  expectsContinue: boolean,
  deps: GatewayDeps,
  rootLogger: Logger,
  stopping: AbortSignal,
  now: (() => Date) | undefined,
): Promise<void> {
  const id = requestId();
  const started = Date.now();
  res.setHeader('x-amz-request-id', id);
  res.setHeader('x-amz-id-2', id);
  res.setHeader('server', 'TerrainS3');
  const controller = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) controller.abort(new Error('s3gateway: the client went away'));
  };
  res.on('close', onClose);
  const signal = AbortSignal.any([controller.signal, stopping]);
  const logger = rootLogger.child({ requestId: id });
  const url = req.url ?? '/';
  let operation: Operation | undefined;
  let bucketName: string | undefined;
  let key: string | undefined;
  try {
    const target = parseTarget(url, req.headers.host, deps.config.domain);
    bucketName = target.bucket;
    key = target.key;
    const auth: AuthResult = verifyRequest(
      {
        method: req.method ?? 'GET',
        url,
        rawHeaders: req.rawHeaders,
        hostBucket: target.virtualHost ? target.bucket : undefined,
      },
      {
        secretFor: (accessKeyId) =>
          Object.hasOwn(deps.config.credentials, accessKeyId)
            ? deps.config.credentials[accessKeyId]
            : undefined,
        allowAnonymous: deps.config.anonymous !== 'off',
        now: now?.(),
      },
    );
    operation = route(req.method ?? 'GET', target, {
      copySource: req.headers['x-amz-copy-source'] !== undefined,
    });
    if (
      auth.via === 'anonymous' &&
      deps.config.anonymous === 'read-only' &&
      WRITE_OPERATIONS.has(operation)
    ) {
      throw s3Error('AccessDenied', 'Access Denied: anonymous access is read-only.');
    }
    const bucket: Bucket | undefined = target.bucket !== undefined ? parseBucket(target.bucket) : undefined;
    const ctx: RequestContext = {
      req,
      res,
      deps,
      requestId: id,
      logger,
      signal,
      auth,
      bucket,
      key: target.key,
      query: target.query,
      body: makeBody(req, res, auth, expectsContinue),
    };
    await HANDLERS[operation](ctx);
  } catch (err) {
    const s3err = toS3Error(err);
    if (s3err.status >= 500) logger.error({ err, operation }, 'request failed');
    else logger.debug({ err: s3err.message, code: s3err.code, operation }, 'request refused');
    sendError(req, res, s3err, resourceOf(bucketName, key, url), id);
  } finally {
    res.off('close', onClose);
    logger.debug(
      { method: req.method, url, operation, status: res.statusCode, ms: Date.now() - started },
      'request served',
    );
  }
}

function resourceOf(bucket: string | undefined, key: string | undefined, url: string): string {
  if (bucket === undefined) return url.split('?')[0] ?? '/';
  return key === undefined ? `/${bucket}` : `/${bucket}/${key}`;
}

function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  err: S3Error,
  resource: string,
  id: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(errorXml(err, resource, id), 'utf8');
  const headers: Record<string, string> = {
    ...err.headers,
    'content-type': 'application/xml',
    'content-length': String(body.length),
  };
  // A client that is still sending a body it will never need gets the answer and a closed connection
  // (draining an unbounded body would let it keep the gateway busy).
  if (!req.complete) headers['connection'] = 'close';
  res.writeHead(err.status, headers);
  res.end(req.method === 'HEAD' || err.status === 304 ? undefined : body);
}
