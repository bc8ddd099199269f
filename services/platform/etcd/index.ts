/**
 * Terrain's etcd layer: a namespaced KV with compare-and-swap, watches that resume, leases with a
 * lost signal, elections, record-size limits, and the embedded etcd launcher.
 *
 *   import { Kv, watchPrefix, grantLease, campaign, startEtcd } from '../platform/etcd/index.ts';
 *
 *   const etcd = await startEtcd({ dataDir });                 // or an external cluster
 *   const kv = Kv.connect({ endpoints: etcd.endpoint, prefix: '/terrain/' });
 *   const rev = await kv.revision();
 *   for await (const e of kv.list('repos/', { revision: rev })) load(e);
 *   for await (const ev of watchPrefix(kv, 'repos/', { fromRevision: rev + 1, signal })) apply(ev);
 *   await kv.casUpdate('repos/images', (old) => encode(next(decode(old))));
 *   const lease = await grantLease(kv, { ttlSeconds: 30 });
 *   const leadership = await campaign(kv, 'pps-scheduler', podName, { signal });
 *   kv.close(); await etcd.stop();
 */
export {
  cancelledError,
  connectEtcd,
  etcdCall,
  isCompactedError,
  parseRevision,
  toTerrainError,
  type EtcdConnectOptions,
} from './client.ts';
export {
  campaign,
  currentLeader,
  electionPrefix,
  observeLeader,
  type CampaignOptions,
  type LeaderInfo,
  type Leadership,
} from './election.ts';
export {
  etcdArgs,
  findEtcdBinary,
  freeLoopbackPort,
  startEtcd,
  type AutoCompaction,
  type EmbeddedEtcd,
  type StartEtcdOptions,
} from './embedded.ts';
export { prefixEnd, toBytes } from './keys.ts';
export {
  CAS_DELETE,
  CAS_KEEP,
  DEFAULT_NAMESPACE,
  Kv,
  Txn,
  type CasDecision,
  type CasOptions,
  type CasResult,
  type GetOptions,
  type KvEntry,
  type KvOptions,
  type ListOptions,
  type PutOptions,
  type SignalOption,
  type TxnResult,
} from './kv.ts';
export { DEFAULT_LEASE_TTL_SECONDS, grantLease, Lease, type LeaseOptions } from './lease.ts';
export { DEFAULT_LIMITS, checkRecordSize, checkTxnLimits, type EtcdLimits } from './records.ts';
export { watchKey, watchPrefix, type WatchEvent, type WatchOptions } from './watch.ts';
