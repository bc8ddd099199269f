/**
 * The gRPC server every Terrain service runs in.
 *
 * It always serves `grpc.health.v1.Health` (one status per registered service, plus "" for the
 * whole server) and gRPC server reflection (v1 and v1alpha) over the committed descriptor set, so
 * `grpcurl`-style tools and clients in any language can discover the API. Shutdown is graceful:
 * health turns NOT_SERVING, in-flight calls get `graceMs` to finish, then the rest are cancelled.
 *
 *   const server = new GrpcServer({ logger });
 *   server.addService('terrain.pfs.v1.Pfs', PfsService, impl);
 *   const { port } = await server.listen('127.0.0.1:0');
 *   await server.shutdown();
 */
import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { platformErrors } from './errors.ts';

/** The descriptor set `npm run gen` writes; reflection serves every service in it. */
export const DEFAULT_DESCRIPTOR_SET = fileURLToPath(
  new URL('../../proto/gen/descriptors.binpb', import.meta.url),
);

/** Big enough for file-set batches; file bytes themselves are streamed in much smaller messages. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface GrpcServerOptions {
  logger: Logger;
  /** Binary FileDescriptorSets to serve through reflection; defaults to the committed one when present. */
  descriptorSets?: string[];
}

export class GrpcServer {
  readonly #server: Server;
  readonly #health = new HealthImplementation({ '': 'NOT_SERVING' });
  readonly #logger: Logger;
  readonly #serviceNames: string[] = [];
  #port: number | undefined;

  constructor(options: GrpcServerOptions) {
    this.#logger = options.logger;
    this.#server = new Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.keepalive_permit_without_calls': 1,
    });
    this.#health.addToServer(this.#server);
    const sets =
      options.descriptorSets ?? (existsSync(DEFAULT_DESCRIPTOR_SET) ? [DEFAULT_DESCRIPTOR_SET] : []);
    const loaderOptions = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true };
    let definitions: protoLoader.PackageDefinition = protoLoader.loadSync(healthProtoPath, loaderOptions);
    for (const path of sets) {
      definitions = {
        ...definitions,
        ...protoLoader.loadFileDescriptorSetFromBuffer(readFileSync(path), loaderOptions),
      };
    }
    new ReflectionService(definitions).addToServer(this.#server);
  }

  /** Registers a service implementation; `name` is its fully-qualified proto name (for health). */
  addService(
    name: string,
    definition: ServiceDefinition,
    implementation: UntypedServiceImplementation,
  ): void {
    this.#server.addService(definition, implementation);
    this.#serviceNames.push(name);
    this.#health.setStatus(name, 'NOT_SERVING');
  }

  /** Binds and starts serving; every registered service turns SERVING. Port 0 picks a free port. */
  async listen(address: string): Promise<{ port: number }> {
    const port = await new Promise<number>((resolve, reject) => {
      this.#server.bindAsync(address, ServerCredentials.createInsecure(), (err, boundPort) => {
        if (err) {
          reject(platformErrors.unavailable(`cannot listen on ${address}: ${err.message}`, { cause: err }));
        } else resolve(boundPort);
      });
    });
    this.#port = port;
    this.setServing(true);
    this.#logger.info({ address, port, services: this.#serviceNames }, 'gRPC server listening');
    return { port };
  }

  get port(): number | undefined {
    return this.#port;
  }

  /** Flips health for every service (e.g. NOT_SERVING while etcd is unreachable). */
  setServing(serving: boolean, serviceName?: string): void {
    const state = serving ? 'SERVING' : 'NOT_SERVING';
    const names = serviceName ? [serviceName] : ['', ...this.#serviceNames];
    for (const name of names) this.#health.setStatus(name, state);
  }

  /** Stops accepting calls, lets in-flight calls finish for `graceMs`, then cancels what is left. */
  async shutdown(graceMs = 5000): Promise<void> {
    this.setServing(false);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#logger.warn({ graceMs }, 'gRPC calls still running after the grace period; cancelling them');
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
