/**
 * The TypeScript client for Terrain.
 *
 *   import { connect, isErrorCode } from './clients/ts/index.ts';
 *
 *   const terrain = connect();                      // TERRAIN_ADDRESS, the context file, or 127.0.0.1:1650
 *   await terrain.pfs.createRepo({ repo: { name: 'images' } });
 *   await terrain.pfs.putFile('images@master', '/hello.txt', new TextEncoder().encode('hi\n'));
 *   for await (const info of terrain.pfs.listCommit({ repo: { name: 'images' } })) {
 *     console.log(info.commit?.id, info.sizeBytes);
 *   }
 *   for await (const bytes of terrain.pfs.readFile('images@master:/hello.txt')) process.stdout.write(bytes);
 *   try {
 *     await terrain.pfs.inspectRepo({ repo: { name: 'nope' } });
 *   } catch (err) {
 *     if (isErrorCode(err, 'not_found')) console.error((err as Error).message); // pfs: repo "nope" not found
 *   }
 *   terrain.close();
 *
 * Every generated RPC is available on `pfs`, `pps`, `lineage` and `version` with its proto name in
 * camelCase: unary RPCs return promises, server streams are async iterables (lazy, with
 * backpressure, cancelled when the loop exits early), client streams take an (async) iterable.
 * Requests are deep partials of the generated request messages. Every method takes
 * `{ signal, timeoutMs, metadata }`. Every failure is a `TerrainError` with a `code`
 * (`not_found`, `invalid_argument`, `unavailable`, …).
 */
export { connect } from './client.ts';
export type { ConnectOptions, LineageApi, PpsApi, TerrainClient, VersionApi } from './client.ts';
export type {
  ByteSource,
  CommitInput,
  FileInput,
  FileOperation,
  PfsApi,
  PfsHelpers,
  PutFileOptions,
  ReadFileOptions,
} from './pfs.ts';
export { WRITE_CHUNK_BYTES, chunked, toCommitMessage, toFileMessage } from './pfs.ts';
export type { DeepPartial, RpcOptions, ServiceStub } from './rpc.ts';
export type { HealthStatus } from './health.ts';
export {
  DEFAULT_ADDRESS,
  GRPC_SERVICE_NAMES,
  SERVICES,
  envNameFor,
  normalizeAddress,
  resolveAddresses,
} from './address.ts';
export type {
  AddressInputs,
  AddressSource,
  ResolvedAddress,
  ResolvedAddresses,
  ServiceName,
} from './address.ts';
export { contextPath, readContext, updateContext, writeContext } from './context.ts';
export type { TerrainContext } from './context.ts';
export {
  DEFAULT_BRANCH,
  formatBranch,
  formatCommit,
  formatCommitRef,
  formatFileRef,
  isCommitId,
  isValidName,
  normalizePath,
  parseBranchRef,
  parseCommitRef,
  parseFileRef,
  parseRef,
  parseRepoName,
  parseRepoRef,
  toBranch,
  toCommit,
  toFile,
  toRepo,
} from './refs.ts';
export type { BranchRef, CommitRef, FileRef, ParsedRef, RefDefaults } from './refs.ts';
export { TerrainError, isErrorCode, isTerrainError } from '../../services/platform/errors.ts';
export type { ErrorCode } from '../../services/platform/errors.ts';
