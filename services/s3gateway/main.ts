// The S3 gateway as its own process: reads TERRAIN_S3_* (and the platform's TERRAIN_* settings for
// the log level), connects to pfs over gRPC (TERRAIN_PFS_ADDRESS, else TERRAIN_ADDRESS, else
// 127.0.0.1:1650) and serves S3 until SIGINT/SIGTERM.
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logging.ts';
import { S3_ENV, s3ConfigFromEnv, s3GatewayConfig } from './config.ts';
import { connectPfsForS3 } from './pfs-grpc.ts';
import { startS3Gateway } from './server.ts';
import { stopOnSignals } from '../platform/shutdown.ts';

const platform = loadConfig({ knownEnv: [...S3_ENV, 'TERRAIN_PFS_ADDRESS'] });
const logger = createLogger({ level: platform.logLevel });
const config = s3GatewayConfig(s3ConfigFromEnv());
const pfsAddress =
  process.env['TERRAIN_PFS_ADDRESS'] ?? process.env['TERRAIN_ADDRESS'] ?? platform.grpcAddress;
const pfs = connectPfsForS3(pfsAddress);
const gateway = await startS3Gateway(config, { pfs, logger });
logger.info({ endpoint: gateway.endpoint, pfs: pfsAddress }, 's3gateway ready');

stopOnSignals(logger, 's3gateway', async () => {
  await gateway.stop();
  pfs.close();
});
