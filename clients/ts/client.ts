/**
 * `connect()`: one object with a typed sub-client per Terrain service.
 *
 * Channels are opened lazily by grpc-js and shared between services at the same address, so a
 * single-process cluster (`terrain up`) costs one HTTP/2 connection. Calls fail fast with
 * `unavailable` when nothing listens (no waiting for the server to appear). `close()` closes every
 * channel; calls in flight are cancelled.
 */
import { CLIENT_CHANNEL_OPTIONS } from '../../services/platform/grpc-channel.ts';
import { Client, credentials, type ChannelOptions } from '@grpc/grpc-js';
import * as versionMessages from '../../proto/gen/terrain/common/v1/version.ts';
import { VersionService } from '../../proto/gen/terrain/common/v1/version.ts';
import * as lineageGraph from '../../proto/gen/terrain/lineage/v1/graph.ts';
import * as lineageMessages from '../../proto/gen/terrain/lineage/v1/lineage.ts';
import { LineageService } from '../../proto/gen/terrain/lineage/v1/lineage.ts';
import * as pfsBranch from '../../proto/gen/terrain/pfs/v1/branch.ts';
import * as pfsCommit from '../../proto/gen/terrain/pfs/v1/commit.ts';
import * as pfsCommitSet from '../../proto/gen/terrain/pfs/v1/commit_set.ts';
import * as pfsFile from '../../proto/gen/terrain/pfs/v1/file.ts';
import * as pfsFileSet from '../../proto/gen/terrain/pfs/v1/file_set.ts';
import * as pfsGc from '../../proto/gen/terrain/pfs/v1/gc.ts';
import { PfsService } from '../../proto/gen/terrain/pfs/v1/pfs.ts';
import * as pfsRepo from '../../proto/gen/terrain/pfs/v1/repo.ts';
import * as pfsTransaction from '../../proto/gen/terrain/pfs/v1/transaction.ts';
import * as ppsDatum from '../../proto/gen/terrain/pps/v1/datum.ts';
import * as ppsJob from '../../proto/gen/terrain/pps/v1/job.ts';
import * as ppsLogs from '../../proto/gen/terrain/pps/v1/logs.ts';
import * as ppsPipeline from '../../proto/gen/terrain/pps/v1/pipeline.ts';
import { PpsService } from '../../proto/gen/terrain/pps/v1/pps.ts';
import { GRPC_SERVICE_NAMES, resolveAddresses, type ResolvedAddresses, type ServiceName } from './address.ts';
import { contextPath, readContext, type TerrainContext } from './context.ts';
import { checkHealth, type HealthStatus } from './health.ts';
import { pfsHelpers, type PfsApi } from './pfs.ts';
import { makeStub, type RpcOptions, type ServiceStub } from './rpc.ts';

/** The generated modules holding each service's request messages (see makeStub). */
export const PFS_MESSAGE_MODULES: object[] = [
  pfsRepo,
  pfsBranch,
  pfsCommit,
  pfsCommitSet,
  pfsFile,
  pfsFileSet,
  pfsGc,
  pfsTransaction,
];
export const PPS_MESSAGE_MODULES: object[] = [ppsPipeline, ppsJob, ppsDatum, ppsLogs];
export const LINEAGE_MESSAGE_MODULES: object[] = [lineageMessages, lineageGraph];
export const VERSION_MESSAGE_MODULES: object[] = [versionMessages];

/** Same ceiling as the server (services/platform/grpc-server.ts). */

export interface ConnectOptions {
  /** Per-service addresses for split deployments; they win over everything else. */
  addresses?: Partial<Record<ServiceName, string>>;
  /** Environment to read `TERRAIN_*` from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** The context to use instead of reading the context file; `null` ignores the context file. */
  context?: TerrainContext | null;
  /** Extra grpc-js channel options. */
  channelOptions?: ChannelOptions;
}

export type PpsApi = ServiceStub<typeof PpsService>;
export type LineageApi = ServiceStub<typeof LineageService>;
export type VersionApi = ServiceStub<typeof VersionService>;

export interface TerrainClient {
  /** Where each service is reached, and why (explicit, env, context, default). */
  readonly addresses: ResolvedAddresses;
  readonly pfs: PfsApi;
  readonly pps: PpsApi;
  readonly lineage: LineageApi;
  /** The Version service of the main endpoint. */
  readonly version: VersionApi;
  /**
   * grpc.health.v1 status of a service at its address ("" or omitted: the main endpoint's whole
   * process). Never throws for unreachable or unknown services; see HealthStatus.
   */
  health(service?: ServiceName | '', options?: RpcOptions): Promise<HealthStatus>;
  /** Closes every channel. The client must not be used afterwards. */
  close(): void;
}

/**
 * Connects to a Terrain cluster. `address` (`host:port`) is optional: see address.ts for the order
 * in which explicit values, `TERRAIN_*ADDRESS` variables and the context file are consulted.
 * Throws `invalid_argument` for a malformed address or context file; never contacts the server.
 */
export function connect(address?: string, options: ConnectOptions = {}): TerrainClient {
  const env = options.env ?? process.env;
  const context = options.context === null ? undefined : (options.context ?? readContext(contextPath(env)));
  const addresses = resolveAddresses({ address, addresses: options.addresses, env, context });

  const channels = new Map<string, Client>();
  const channelFor = (target: string): Client => {
    let channel = channels.get(target);
    if (!channel) {
      channel = new Client(target, credentials.createInsecure(), {
        ...CLIENT_CHANNEL_OPTIONS,
        ...options.channelOptions,
      });
      channels.set(target, channel);
    }
    return channel;
  };
  const target = (service: string, at: string) => ({ channel: channelFor(at), service, address: at });

  const pfsStub = makeStub(PfsService, PFS_MESSAGE_MODULES, target('pfs', addresses.pfs.address));
  return {
    addresses,
    pfs: Object.assign(pfsStub, pfsHelpers(pfsStub)) as PfsApi,
    pps: makeStub(PpsService, PPS_MESSAGE_MODULES, target('pps', addresses.pps.address)),
    lineage: makeStub(LineageService, LINEAGE_MESSAGE_MODULES, target('lineage', addresses.lineage.address)),
    version: makeStub(VersionService, VERSION_MESSAGE_MODULES, target('cluster', addresses.main.address)),
    health: (service = '', rpc = {}) => {
      const at = service === '' ? addresses.main.address : addresses[service].address;
      return checkHealth(channelFor(at), at, service === '' ? '' : GRPC_SERVICE_NAMES[service], rpc);
    },
    close: () => {
      for (const channel of channels.values()) channel.close();
      channels.clear();
    },
  };
}
