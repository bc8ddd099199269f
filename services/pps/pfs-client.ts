/**
 * pps talks to pfs only over gRPC (the service-to-service rule), through the TypeScript client.
 */
import { connect, type PfsApi, type TerrainClient } from '../../clients/ts/index.ts';

export type { PfsApi };

/** A client for the pfs at `address`, ignoring the user's context file and TERRAIN_* variables. */
export function connectPfs(address: string): TerrainClient {
  return connect(address, { context: null, env: {} });
}
