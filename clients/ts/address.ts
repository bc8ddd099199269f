/**
 * Which `host:port` each service is reached at.
 *
 * For each service (pfs, pps, lineage) the first of these wins:
 *   1. an explicit per-service address (`connect(addr, { addresses: { pfs } })`);
 *   2. an explicit address (`connect(addr)`): the caller decided, so the environment is ignored;
 *   3. `TERRAIN_PFS_ADDRESS` / `TERRAIN_PPS_ADDRESS` / `TERRAIN_LINEAGE_ADDRESS` (split deployments);
 *   4. `TERRAIN_ADDRESS`;
 *   5. the context file's per-service `addresses`, then its `grpcAddress` (written by `terrain up`);
 *   6. `127.0.0.1:1650`.
 * The "main" address (Version, health of the whole process) follows the same order without step 1
 * and 3. Pure: it reads only what it is given.
 */
import type { TerrainContext } from './context.ts';
import { clientErrors } from './errors.ts';

export const DEFAULT_ADDRESS = '127.0.0.1:1650';

export const SERVICES = ['pfs', 'pps', 'lineage'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Fully qualified gRPC service names, as registered with grpc.health.v1. */
export const GRPC_SERVICE_NAMES: Record<ServiceName, string> = {
  pfs: 'terrain.pfs.v1.Pfs',
  pps: 'terrain.pps.v1.Pps',
  lineage: 'terrain.lineage.v1.Lineage',
};

export type AddressSource = 'explicit' | 'env' | 'context' | 'default';

export interface ResolvedAddress {
  address: string;
  source: AddressSource;
}

export interface ResolvedAddresses {
  /** The main endpoint (Version, whole-process health). */
  main: ResolvedAddress;
  pfs: ResolvedAddress;
  pps: ResolvedAddress;
  lineage: ResolvedAddress;
}

export interface AddressInputs {
  address?: string | undefined;
  addresses?: Partial<Record<ServiceName, string>> | undefined;
  env?: Record<string, string | undefined>;
  context?: TerrainContext | undefined;
}

export function envNameFor(service: ServiceName): string {
  return `TERRAIN_${service.toUpperCase()}_ADDRESS`;
}

export function resolveAddresses(inputs: AddressInputs): ResolvedAddresses {
  const env = inputs.env ?? {};
  const pick = (candidates: [string | undefined, AddressSource, string][]): ResolvedAddress => {
    for (const [value, source, origin] of candidates) {
      if (value !== undefined && value !== '') return { address: normalizeAddress(value, origin), source };
    }
    return { address: DEFAULT_ADDRESS, source: 'default' };
  };
  const main = pick([
    [inputs.address, 'explicit', 'the address given to connect()'],
    [env['TERRAIN_ADDRESS'], 'env', 'TERRAIN_ADDRESS'],
    [inputs.context?.grpcAddress, 'context', 'the context file'],
  ]);
  const forService = (service: ServiceName): ResolvedAddress =>
    pick([
      [inputs.addresses?.[service], 'explicit', `the ${service} address given to connect()`],
      [inputs.address, 'explicit', 'the address given to connect()'],
      [env[envNameFor(service)], 'env', envNameFor(service)],
      [env['TERRAIN_ADDRESS'], 'env', 'TERRAIN_ADDRESS'],
      [inputs.context?.addresses?.[service], 'context', 'the context file'],
      [inputs.context?.grpcAddress, 'context', 'the context file'],
    ]);
  return { main, pfs: forService('pfs'), pps: forService('pps'), lineage: forService('lineage') };
}

/**
 * Accepts `host:port`, `[v6]:port`, or the same behind `grpc://`, `http://` or `dns:///`, and
 * returns the plain target gRPC takes. Throws `invalid_argument` naming where the value came from.
 */
export function normalizeAddress(value: string, origin = 'address'): string {
  const stripped = value
    .trim()
    .replace(/^(grpc|http|dns):\/{2,3}/, '')
    .replace(/\/+$/, '');
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(stripped);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw clientErrors.invalidArgument(
      `invalid address ${JSON.stringify(value)} from ${origin}: expected HOST:PORT, e.g. ${DEFAULT_ADDRESS}`,
    );
  }
  return stripped;
}
