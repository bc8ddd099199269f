/** Records ↔ proto messages. Proto types stop here. */
import type { Duration } from '../../../proto/gen/google/protobuf/duration.ts';
import {
  DatumState,
  type DatumInfo,
  type ProcessStats,
  type DatumInput as DatumInputMsg,
} from '../../../proto/gen/terrain/pps/v1/datum.ts';
import { JobState, type JobInfo } from '../../../proto/gen/terrain/pps/v1/job.ts';
import { LogSource, type LogMessage } from '../../../proto/gen/terrain/pps/v1/logs.ts';
import { PipelineState, type PipelineInfo } from '../../../proto/gen/terrain/pps/v1/pipeline.ts';
import type { ShardDatum, Shard, Transform } from '../../../proto/gen/terrain/pps/v1/worker.ts';
import type { DatumRecord, JobRecord, LogLineRecord, PipelineRecord, StatsRecord } from '../records.ts';
import type { AcquiredShard } from '../worker-service.ts';
import { durationMs } from '../spec/index.ts';

export function toDuration(ms: number): Duration {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: Math.round((ms % 1000) * 1e6) };
}

export function fromDuration(d: Duration | undefined): number {
  if (!d) return 0;
  return Number(d.seconds) * 1000 + d.nanos / 1e6;
}

export function toStats(s: StatsRecord): ProcessStats {
  return {
    downloadTime: toDuration(s.downloadMs),
    processTime: toDuration(s.processMs),
    uploadTime: toDuration(s.uploadMs),
    downloadBytes: BigInt(s.downloadBytes),
    uploadBytes: BigInt(s.uploadBytes),
  };
}

export function fromStats(s: ProcessStats | undefined): StatsRecord {
  return {
    downloadMs: fromDuration(s?.downloadTime),
    processMs: fromDuration(s?.processTime),
    uploadMs: fromDuration(s?.uploadTime),
    downloadBytes: Number(s?.downloadBytes ?? 0),
    uploadBytes: Number(s?.uploadBytes ?? 0),
  };
}

export function toPipelineInfo(p: PipelineRecord, workersAvailable = 0): PipelineInfo {
  return {
    pipeline: { name: p.name },
    version: BigInt(p.version),
    specJson: p.specJson,
    state: PipelineState[p.state],
    reason: p.reason,
    description: p.description,
    created: new Date(p.created),
    salt: p.salt,
    outputBranch: { repo: { name: p.name }, name: p.outputBranch },
    inputBranches: p.inputBranches.map((b) => ({ repo: { name: b.repo }, name: b.branch })),
    lastJob: p.lastJobId ? { pipeline: { name: p.name }, id: p.lastJobId } : undefined,
    lastJobState: p.lastJobState ? JobState[p.lastJobState] : JobState.UNSPECIFIED,
    workersRequested:
      (JSON.parse(p.specJson) as { parallelism_spec?: { constant?: number } }).parallelism_spec?.constant ??
      1,
    workersAvailable,
    stopped: p.stopped,
  };
}

export function toJobInfo(j: JobRecord): JobInfo {
  return {
    job: { pipeline: { name: j.pipeline }, id: j.id },
    pipelineVersion: BigInt(j.pipelineVersion),
    state: JobState[j.state],
    reason: j.reason,
    outputCommit: { repo: { name: j.outputRepo }, id: j.id, branch: j.outputBranch, ancestors: 0 },
    inputCommits: j.inputCommits.map((c) => ({ repo: { name: c.repo }, id: c.id, branch: '', ancestors: 0 })),
    created: new Date(j.created),
    started: j.started ? new Date(j.started) : undefined,
    finished: j.finished ? new Date(j.finished) : undefined,
    dataTotal: BigInt(j.total),
    dataProcessed: BigInt(j.processed),
    dataSkipped: BigInt(j.skipped),
    dataFailed: BigInt(j.failed),
    dataRecovered: BigInt(j.recovered),
    stats: toStats(j.stats),
    salt: j.salt,
  };
}

function toDatumInputs(d: DatumRecord): DatumInputMsg[] {
  return d.inputs.map((i) => ({
    name: i.name,
    file: {
      commit: { repo: { name: i.repo }, id: i.commit, branch: i.branch, ancestors: 0 },
      path: i.path,
      fileSetId: '',
    },
    hash: i.hash,
    sizeBytes: BigInt(i.sizeBytes),
    glob: i.glob,
    joinKey: i.joinKey ?? i.groupKey ?? '',
    emptyFiles: i.emptyFiles,
  }));
}

export function toDatumInfo(pipeline: string, job: string, d: DatumRecord): DatumInfo {
  return {
    datum: { job: { pipeline: { name: pipeline }, id: job }, id: d.id },
    state: DatumState[d.state],
    hash: d.hash,
    inputs: toDatumInputs(d),
    stats: toStats(d.stats),
    error: d.error,
    attempts: d.attempts,
    workerId: d.workerId,
    started: d.started ? new Date(d.started) : undefined,
    finished: d.finished ? new Date(d.finished) : undefined,
    skippedFrom: d.skippedFrom ? { pipeline: { name: pipeline }, id: d.skippedFrom } : undefined,
    inputFiles: (d.inputFiles ?? []).map((f) => ({
      inputName: f.inputName,
      file: {
        commit: { repo: { name: f.repo }, id: f.commit, branch: '', ancestors: 0 },
        path: f.path,
        fileSetId: '',
      },
      hash: f.hash,
      sizeBytes: BigInt(f.sizeBytes),
    })),
  };
}

export function toShard(a: AcquiredShard): Shard {
  const t = a.spec.transform;
  const transform: Transform = {
    cmd: t.cmd,
    stdin: t.stdin,
    env: t.env,
    image: t.image ?? '',
    workingDir: t.working_dir ?? '',
    errCmd: t.err_cmd,
    errStdin: t.err_stdin,
    acceptReturnCode: t.accept_return_code,
    user: t.user ?? '',
  };
  const datums: ShardDatum[] = a.datums.map((d) => ({
    id: d.id,
    hash: d.hash,
    inputs: toDatumInputs(d),
    attempt: d.attempt,
  }));
  return {
    id: a.shard.id,
    job: { pipeline: { name: a.job.pipeline }, id: a.job.id },
    pipelineVersion: BigInt(a.job.pipelineVersion),
    outputCommit: {
      repo: { name: a.job.outputRepo },
      id: a.job.id,
      branch: a.job.outputBranch,
      ancestors: 0,
    },
    transform,
    datums,
    datumTimeout: a.spec.datum_timeout ? toDuration(durationMs(a.spec.datum_timeout)) : undefined,
    datumTries: a.spec.datum_tries,
  };
}

const SOURCES = ['STDOUT', 'STDERR', 'WORKER', 'PPS'] as const;

export function toLogMessage(l: LogLineRecord): LogMessage {
  return {
    pipeline: { name: l.pipeline },
    jobId: l.jobId,
    datumId: l.datumId,
    workerId: l.workerId,
    time: new Date(l.time),
    source: LogSource[l.source],
    message: l.message,
  };
}

export function fromLogMessage(m: LogMessage): LogLineRecord {
  const source = SOURCES.find((s) => LogSource[s] === m.source) ?? 'WORKER';
  return {
    pipeline: m.pipeline?.name ?? '',
    jobId: m.jobId,
    datumId: m.datumId,
    workerId: m.workerId,
    time: (m.time ?? new Date()).toISOString(),
    source,
    message: m.message,
  };
}

export function datumStateName(state: DatumState): DatumRecord['state'] | undefined {
  const names = ['PENDING', 'STARTING', 'RUNNING', 'SUCCESS', 'FAILED', 'SKIPPED', 'RECOVERED'] as const;
  return names.find((n) => DatumState[n] === state);
}

export function jobStateName(state: JobState): JobRecord['state'] | undefined {
  const names = [
    'CREATED',
    'STARTING',
    'RUNNING',
    'FINISHING',
    'SUCCESS',
    'FAILURE',
    'KILLED',
    'UNRUNNABLE',
  ] as const;
  return names.find((n) => JobState[n] === state);
}
