/**
 * The pps records kept in etcd (under the cluster namespace's `pps/`), and their keys. Every record
 * is small and bounded: a pipeline version, a job, one datum, one shard (≤ MAX_SHARD_DATUMS datums,
 * ≤ MAX_SHARD_BYTES), one claim, one worker, one batch of log lines. Nothing grows with the number
 * of datums or files except the number of records.
 *
 * Records are JSON (not protobuf as DESIGN.md suggests): they are internal to pps, and JSON kept
 * this first version simple. Serialization lives only here (encode/decode).
 */
import type { Datum } from './datums/index.ts';

export const PIPELINE_STATES = ['STARTING', 'RUNNING', 'PAUSED', 'STANDBY', 'FAILURE', 'CRASHING'] as const;
export type PipelineStateName = (typeof PIPELINE_STATES)[number];

export const JOB_STATES = [
  'CREATED',
  'STARTING',
  'RUNNING',
  'FINISHING',
  'SUCCESS',
  'FAILURE',
  'KILLED',
  'UNRUNNABLE',
] as const;
export type JobStateName = (typeof JOB_STATES)[number];
export const TERMINAL_JOB_STATES: ReadonlySet<JobStateName> = new Set([
  'SUCCESS',
  'FAILURE',
  'KILLED',
  'UNRUNNABLE',
]);

export const DATUM_STATES = [
  'PENDING',
  'STARTING',
  'RUNNING',
  'SUCCESS',
  'FAILED',
  'SKIPPED',
  'RECOVERED',
] as const;
export type DatumStateName = (typeof DATUM_STATES)[number];

/** A branch as stored: `repo@branch`. */
export interface BranchRecord {
  repo: string;
  branch: string;
}

/** The current version of a pipeline (`pipelines/<name>`). */
export interface PipelineRecord {
  name: string;
  version: number;
  /** Canonical spec JSON (defaults filled in). */
  specJson: string;
  salt: string;
  description: string;
  state: PipelineStateName;
  reason: string;
  stopped: boolean;
  created: string;
  outputBranch: string;
  inputBranches: BranchRecord[];
  lastJobId?: string;
  lastJobState?: JobStateName;
}

/** One kept spec version (`specs/<name>/<version>`). */
export interface SpecVersionRecord {
  version: number;
  specJson: string;
  salt: string;
  created: string;
}

export interface StatsRecord {
  downloadMs: number;
  processMs: number;
  uploadMs: number;
  downloadBytes: number;
  uploadBytes: number;
}

export function emptyStats(): StatsRecord {
  return { downloadMs: 0, processMs: 0, uploadMs: 0, downloadBytes: 0, uploadBytes: 0 };
}

export function addStats(a: StatsRecord, b: StatsRecord): StatsRecord {
  return {
    downloadMs: a.downloadMs + b.downloadMs,
    processMs: a.processMs + b.processMs,
    uploadMs: a.uploadMs + b.uploadMs,
    downloadBytes: a.downloadBytes + b.downloadBytes,
    uploadBytes: a.uploadBytes + b.uploadBytes,
  };
}

/** A job (`jobs/<pipeline>/<id>`): one run, named by its output commit's global ID. */
export interface JobRecord {
  pipeline: string;
  id: string;
  pipelineVersion: number;
  salt: string;
  state: JobStateName;
  reason: string;
  outputRepo: string;
  outputBranch: string;
  inputCommits: { repo: string; id: string }[];
  created: string;
  started?: string;
  finished?: string;
  total: number;
  processed: number;
  skipped: number;
  failed: number;
  recovered: number;
  stats: StatsRecord;
  /** Set once the job's datums and shards were written (a restarted pps does not compute them again). */
  datumsReady?: boolean;
}

/** One datum of one job (`datums/<pipeline>/<job>/<datumId>`). */
export interface DatumRecord {
  id: string;
  hash: string;
  state: DatumStateName;
  inputs: Datum['inputs'];
  attempts: number;
  error: string;
  workerId: string;
  outputFileSetId: string;
  stats: StatsRecord;
  started?: string;
  finished?: string;
  skippedFrom?: string;
  inputFiles?: {
    inputName: string;
    repo: string;
    commit: string;
    path: string;
    hash: string;
    sizeBytes: number;
  }[];
}

/** One datum as handed out in a shard. */
export interface ShardDatumRecord {
  id: string;
  hash: string;
  /** 1-based attempt number of the next try. */
  attempt: number;
}

/**
 * A batch of pending datums (`shards/<pipeline>/<job>/<shardId>`). The datums' inputs are in their
 * datum records; the shard lists IDs only so it stays small.
 */
export interface ShardRecord {
  id: string;
  pipeline: string;
  jobId: string;
  datums: ShardDatumRecord[];
}

/** A live worker (`workers/<id>`, attached to the worker's lease). */
export interface WorkerRecord {
  id: string;
  pipeline: string;
  name: string;
  leaseId: string;
  ttlSeconds: number;
  registered: string;
}

/** A batch of log lines (`logs/<pipeline>/<sortable time>-<random>`). */
export interface LogBatchRecord {
  lines: LogLineRecord[];
}

export interface LogLineRecord {
  pipeline: string;
  jobId: string;
  datumId: string;
  workerId: string;
  /** ISO time. */
  time: string;
  source: 'STDOUT' | 'STDERR' | 'WORKER' | 'PPS';
  message: string;
}

/** Shards hold at most this many datums, and their records at most MAX_SHARD_BYTES. */
export const MAX_SHARD_DATUMS = 100;
export const MAX_SHARD_BYTES = 256 * 1024;

export const keys = {
  pipeline: (name: string) => `pipelines/${name}`,
  pipelines: () => 'pipelines/',
  spec: (name: string, version: number) => `specs/${name}/${String(version).padStart(10, '0')}`,
  specs: (name: string) => `specs/${name}/`,
  job: (pipeline: string, id: string) => `jobs/${pipeline}/${id}`,
  jobs: (pipeline?: string) => (pipeline ? `jobs/${pipeline}/` : 'jobs/'),
  datum: (pipeline: string, job: string, id: string) => `datums/${pipeline}/${job}/${id}`,
  datums: (pipeline: string, job: string) => `datums/${pipeline}/${job}/`,
  /** Shards and claims of a pipeline share one prefix so a worker's long poll is one watch. */
  work: (pipeline: string) => `work/${pipeline}/`,
  shard: (pipeline: string, job: string, id: string) => `work/${pipeline}/s/${job}/${id}`,
  shards: (pipeline: string, job?: string) => (job ? `work/${pipeline}/s/${job}/` : `work/${pipeline}/s/`),
  claim: (pipeline: string, job: string, shard: string) => `work/${pipeline}/c/${job}/${shard}`,
  claims: (pipeline: string, job?: string) => (job ? `work/${pipeline}/c/${job}/` : `work/${pipeline}/c/`),
  worker: (id: string) => `workers/${id}`,
  workers: () => 'workers/',
  logs: (pipeline: string) => `logs/${pipeline}/`,
};

export function encode(record: unknown): string {
  return JSON.stringify(record);
}

export function decode<T>(bytes: Uint8Array): T {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
}
