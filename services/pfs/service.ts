/**
 * Composes the pfs service from one deps object: the commit layer over etcd, the file layer over
 * the object store, the background finisher and garbage collector, and the gRPC handlers.
 */
import type { Logger } from 'pino';
import { PfsService, type PfsServer } from '../../proto/gen/terrain/pfs/v1/pfs.ts';
import type { Kv } from '../platform/etcd/index.ts';
import type { GrpcServer } from '../platform/grpc-server.ts';
import type { ObjectStore } from '../platform/object-store/object-store.ts';
import { commitHandlers } from './api/commit-handlers.ts';
import { branchHandlers, repoHandlers } from './api/repo-handlers.ts';
import { transactionHandlers } from './api/transaction-handlers.ts';
import { fileHandlers } from './api/file-handlers.ts';
import { fileSetHandlers } from './api/file-set-handlers.ts';
import { gcHandlers } from './api/gc-handlers.ts';
import { FileSetHandles, FileSets } from './file-sets.ts';
import { Files } from './files.ts';
import { GarbageCollector } from './gc.ts';
import { StagedTransactions, Transactions } from './transactions.ts';
import { Branches } from './branches.ts';
import { CommitSets } from './commit-sets.ts';
import { CommitStore } from './commit-store.ts';
import { Commits } from './commits.ts';
import { Repos } from './repos.ts';
import { FileSetStorage, type FileSetStorageOptions } from './storage/index.ts';

export const PFS_SERVICE_NAME = 'terrain.pfs.v1.Pfs';

export interface PfsConfig {
  /** Format and cache parameters of the storage library (tests shrink chunks). */
  storage?: FileSetStorageOptions;
  /** How often garbage collection runs by itself; 0 turns the periodic run off. Default 1 h. */
  gcIntervalMs?: number;
}

export interface PfsDeps {
  /** The cluster's etcd namespace; pfs keeps its records under `pfs/` in it. */
  kv: Kv;
  objects: ObjectStore;
  server: GrpcServer;
  logger: Logger;
}

export interface RunningPfs {
  files: Files;
  gc: GarbageCollector;
  commits: Commits;
  repos: Repos;
  branches: Branches;
  commitSets: CommitSets;
  storage: FileSetStorage;
  /** Stops the background work (finisher, GC). The gRPC server is stopped by its owner. */
  stop(): Promise<void>;
}

export async function startPfs(config: PfsConfig, deps: PfsDeps): Promise<RunningPfs> {
  const logger = deps.logger.child({ service: 'pfs' });
  const store = new CommitStore(deps.kv.child('pfs/'));
  const storage = new FileSetStorage(deps.objects, config.storage);
  const commits = new Commits({ store, storage, logger });
  const repos = new Repos({ store, logger });
  const branches = new Branches({ store, commits });
  const commitSets = new CommitSets({ store, commits });
  const handles = new FileSetHandles({ kv: store.kv.child('filesets/') });
  const files = new Files({ commits, storage, handles });
  const fileSets = new FileSets({ handles, files, commits, storage });
  const gc = new GarbageCollector({ storage, commits, handles, logger });
  const transactions = new Transactions({
    store,
    commits,
    branches,
    fileSetLayers: async (id, options) => [...(await handles.layers(id, options))],
  });
  const staged = new StagedTransactions({ transactions, store });

  const handlers: Partial<PfsServer> = {
    ...repoHandlers({ repos, logger }),
    ...branchHandlers({ branches, logger }),
    ...commitHandlers({ commits, commitSets, logger }),
    ...transactionHandlers({ transactions, staged, branches, logger }),
    ...fileHandlers({ files, logger }),
    ...fileSetHandlers({ fileSets, logger }),
    ...gcHandlers({ gc, logger }),
  };
  deps.server.addService(PFS_SERVICE_NAME, PfsService, handlers as PfsServer);

  const background = new AbortController();
  await repos.resumeDeletes({ signal: background.signal });
  const finisher = commits.runFinisher(background.signal).catch((err: unknown) => {
    if (!background.signal.aborted) logger.error({ err }, 'commit finisher stopped');
  });

  const periodicGc = config.gcIntervalMs === 0 ? undefined : gc.startPeriodic(config.gcIntervalMs);

  return {
    files,
    gc,
    commits,
    repos,
    branches,
    commitSets,
    storage,
    stop: async () => {
      background.abort();
      await periodicGc?.stop();
      await finisher;
    },
  };
}
