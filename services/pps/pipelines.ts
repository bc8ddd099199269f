/**
 * Pipelines: validated specs, kept as versioned records under `pps/pipelines/` and `pps/specs/`,
 * each with an output repo (type PIPELINE) and an output branch whose provenance is the input
 * branches (so pfs opens an output commit — and pps a job — for every input commit).
 *
 * Concurrency: every change is a compare-and-swap on the pipeline record; two concurrent creates of
 * one name give one ALREADY_EXISTS. The pfs side effects (repo, branch) are idempotent and made
 * after validation, so a failed create leaves at most an empty output repo behind.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { isErrorCode } from '../platform/errors.ts';
import type { Kv } from '../platform/etcd/index.ts';
import { RepoType } from '../../proto/gen/terrain/pfs/v1/repo.ts';
import type { PfsApi } from './pfs-client.ts';
import {
  decode,
  encode,
  keys,
  type JobStateName,
  type PipelineRecord,
  type PipelineStateName,
  type SpecVersionRecord,
} from './records.ts';
import {
  assertDag,
  canonicalSpecJson,
  inputBranches,
  inputRepos,
  parsePipelineSpec,
  ppsErrors,
  type PipelineSpec,
} from './spec/index.ts';

export interface CreatePipelineOptions {
  update?: boolean;
  reprocess?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface PipelinesDeps {
  kv: Kv;
  pfs: () => PfsApi;
  logger: Logger;
}

/** Pipeline records and their life cycle. Throws Terrain errors (`pps` service). */
export class Pipelines {
  readonly #kv: Kv;
  readonly #pfs: () => PfsApi;
  readonly #logger: Logger;

  constructor(deps: PipelinesDeps) {
    this.#kv = deps.kv;
    this.#pfs = deps.pfs;
    this.#logger = deps.logger;
  }

  /**
   * Validates the spec fully (fields, DAG against pfs and pps state), then records a new version and
   * makes the output repo and branch. INVALID_ARGUMENT / NOT_FOUND naming the JSON path for a bad
   * spec; ALREADY_EXISTS without update when it exists; NOT_FOUND with update when it does not.
   */
  async create(specText: string, options: CreatePipelineOptions = {}): Promise<PipelineRecord> {
    const { signal } = options;
    const { spec } = parsePipelineSpec(specText);
    const name = spec.pipeline.name;
    const repos = new Set<string>();
    for await (const info of this.#pfs().listRepo({}, { ...(signal ? { signal } : {}) })) {
      if (info.repo?.name) repos.add(info.repo.name);
    }
    const pipelineOutputs = new Map<string, readonly string[]>();
    for await (const p of this.list({ ...(signal ? { signal } : {}) })) {
      if (p.name === name) continue;
      const other = JSON.parse(p.specJson) as PipelineSpec;
      pipelineOutputs.set(p.name, inputRepos(other.input));
    }
    assertDag(spec, { repos, pipelineOutputs });

    const existing = await this.get(name, { ...(signal ? { signal } : {}) });
    if (existing && !options.update) {
      throw ppsErrors.alreadyExists(
        `pps: pipeline "${name}" already exists; use update pipeline to change its spec`,
      );
    }
    if (!existing && options.update) {
      throw ppsErrors.notFound(`pps: pipeline "${name}" not found; create it first`);
    }
    if (!existing && repos.has(name)) {
      throw ppsErrors.alreadyExists(
        `pps: a repo named "${name}" already exists; a pipeline's output repo takes the pipeline's name — choose another name or delete the repo`,
      );
    }
    const salt =
      existing && !options.reprocess ? existing.salt : (spec.salt ?? randomBytes(16).toString('hex'));
    const now = new Date().toISOString();
    const record: PipelineRecord = {
      name,
      version: (existing?.version ?? 0) + 1,
      specJson: canonicalSpecJson(spec),
      salt,
      description: spec.description,
      state: existing?.stopped ? 'PAUSED' : 'STARTING',
      reason: '',
      stopped: existing?.stopped ?? false,
      created: now,
      outputBranch: spec.output_branch,
      inputBranches: inputBranches(spec.input).map((b) => ({ repo: b.repo, branch: b.branch })),
      ...(existing?.lastJobId ? { lastJobId: existing.lastJobId } : {}),
      ...(existing?.lastJobState ? { lastJobState: existing.lastJobState } : {}),
    };
    if (options.dryRun) return record;

    const pfs = this.#pfs();
    const rpc = signal ? { signal } : {};
    if (!existing) {
      try {
        await pfs.createRepo(
          {
            repo: { name },
            type: RepoType.PIPELINE,
            pipeline: name,
            description: `output of pipeline ${name}`,
          },
          rpc,
        );
      } catch (err) {
        if (!isErrorCode(err, 'already_exists')) throw err;
      }
    }
    // The branch before the record: the scheduler follows the branch as soon as it sees the record
    // (from the start of its history, so the first commit is not missed).
    await pfs.createBranch(
      {
        branch: { repo: { name }, name: spec.output_branch },
        provenance: record.inputBranches.map((b) => ({ repo: { name: b.repo }, name: b.branch })),
      },
      rpc,
    );
    const version: SpecVersionRecord = {
      version: record.version,
      specJson: record.specJson,
      salt,
      created: now,
    };
    const txn = this.#kv.txn();
    if (existing) txn.ifValue(keys.pipeline(name), encode(existing));
    else txn.ifAbsent(keys.pipeline(name));
    const res = await txn
      .put(keys.pipeline(name), encode(record))
      .put(keys.spec(name, record.version), encode(version))
      .commit(rpc);
    if (!res.succeeded) {
      throw ppsErrors.aborted(`pps: pipeline "${name}" changed while it was being created or updated; retry`);
    }
    this.#logger.info(
      { pipeline: name, version: record.version },
      existing ? 'pipeline updated' : 'pipeline created',
    );
    return record;
  }

  async get(name: string, options: { signal?: AbortSignal } = {}): Promise<PipelineRecord | undefined> {
    const entry = await this.#kv.get(keys.pipeline(name), options);
    return entry ? decode<PipelineRecord>(entry.value) : undefined;
  }

  /** The pipeline, or NOT_FOUND. */
  async inspect(name: string, options: { signal?: AbortSignal } = {}): Promise<PipelineRecord> {
    const record = await this.get(name, options);
    if (!record) throw ppsErrors.notFound(`pps: pipeline "${name}" not found`);
    return record;
  }

  /** One spec version (0 = current). NOT_FOUND when it does not exist. */
  async inspectVersion(
    name: string,
    version: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<PipelineRecord> {
    const current = await this.inspect(name, options);
    if (version === 0 || version === current.version) return current;
    const entry = await this.#kv.get(keys.spec(name, version), options);
    if (!entry)
      throw ppsErrors.notFound(
        `pps: pipeline "${name}" has no version ${version} (current: ${current.version})`,
      );
    const v = decode<SpecVersionRecord>(entry.value);
    const spec = JSON.parse(v.specJson) as PipelineSpec;
    return {
      ...current,
      version: v.version,
      specJson: v.specJson,
      salt: v.salt,
      created: v.created,
      description: spec.description,
    };
  }

  /** Every pipeline's current version, by name. */
  async *list(options: { signal?: AbortSignal } = {}): AsyncGenerator<PipelineRecord> {
    for await (const e of this.#kv.list(keys.pipelines(), options)) yield decode<PipelineRecord>(e.value);
  }

  /** Earlier versions of a pipeline, newest first (`history` of them; -1 = all). */
  async *history(
    name: string,
    history: number,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<PipelineRecord> {
    const versions: number[] = [];
    for await (const e of this.#kv.list(keys.specs(name), { ...options, keysOnly: true })) {
      versions.push(Number(e.key.slice(keys.specs(name).length)));
    }
    versions.sort((a, b) => b - a);
    let n = 0;
    for (const v of versions.slice(1)) {
      if (history >= 0 && n++ >= history) break;
      yield await this.inspectVersion(name, v, options);
    }
  }

  /** Changes a pipeline record with compare-and-swap; NOT_FOUND when missing. */
  async update(
    name: string,
    fn: (p: PipelineRecord) => PipelineRecord,
    options: { signal?: AbortSignal } = {},
  ): Promise<PipelineRecord> {
    let out: PipelineRecord | undefined;
    await this.#kv.casUpdate(
      keys.pipeline(name),
      (entry) => {
        if (!entry) throw ppsErrors.notFound(`pps: pipeline "${name}" not found`);
        out = fn(decode<PipelineRecord>(entry.value));
        return encode(out);
      },
      options,
    );
    return out!;
  }

  async setState(
    name: string,
    state: PipelineStateName,
    reason = '',
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    try {
      await this.#kv.casUpdate(
        keys.pipeline(name),
        (entry) => {
          if (!entry) throw ppsErrors.notFound(`pps: pipeline "${name}" not found`);
          const p = decode<PipelineRecord>(entry.value);
          if (p.stopped && state !== 'PAUSED') return encode({ ...p, state: 'PAUSED' });
          if (p.state === state && p.reason === reason) return encode(p);
          return encode({ ...p, state, reason });
        },
        options,
      );
    } catch (err) {
      if (!isErrorCode(err, 'not_found')) throw err;
    }
  }

  async noteJob(name: string, jobId: string, state: JobStateName): Promise<void> {
    try {
      await this.#kv.casUpdate(keys.pipeline(name), (entry) => {
        if (!entry) throw ppsErrors.notFound(`pps: pipeline "${name}" not found`);
        const p = decode<PipelineRecord>(entry.value);
        const running =
          state === 'RUNNING' || state === 'STARTING' || state === 'FINISHING' || state === 'CREATED';
        const next: PipelineRecord = {
          ...p,
          lastJobId: jobId,
          lastJobState: state,
          state: p.stopped ? 'PAUSED' : running ? 'RUNNING' : p.state === 'FAILURE' ? 'FAILURE' : 'STANDBY',
        };
        return encode(next);
      });
    } catch (err) {
      if (!isErrorCode(err, 'not_found')) throw err;
    }
  }

  async stop(name: string, options: { signal?: AbortSignal } = {}): Promise<PipelineRecord> {
    return this.update(name, (p) => ({ ...p, stopped: true, state: 'PAUSED' }), options);
  }

  async start(name: string, options: { signal?: AbortSignal } = {}): Promise<PipelineRecord> {
    return this.update(
      name,
      (p) => ({ ...p, stopped: false, state: p.state === 'PAUSED' ? 'STANDBY' : p.state }),
      options,
    );
  }

  /**
   * Deletes the pipeline's records (jobs, datums, shards, specs) and, unless keepRepo, its output
   * repo. FAILED_PRECONDITION naming the readers when other pipelines read its output and not force.
   */
  async delete(
    name: string,
    options: { force?: boolean; keepRepo?: boolean; signal?: AbortSignal } = {},
  ): Promise<boolean> {
    const rpc = options.signal ? { signal: options.signal } : {};
    const existing = await this.get(name, rpc);
    if (!existing) throw ppsErrors.notFound(`pps: pipeline "${name}" not found`);
    const readers: string[] = [];
    for await (const p of this.list(rpc)) {
      if (p.inputBranches.some((b) => b.repo === name)) readers.push(p.name);
    }
    if (readers.length > 0 && !options.force) {
      throw ppsErrors.failedPrecondition(
        `pps: pipeline "${name}" is read by ${readers.map((r) => `"${r}"`).join(', ')}; delete those first or pass --force`,
      );
    }
    const txn = this.#kv
      .txn()
      .delete(keys.pipeline(name))
      .deletePrefix(keys.specs(name))
      .deletePrefix(keys.jobs(name))
      .deletePrefix(`datums/${name}/`)
      .deletePrefix(keys.work(name))
      .deletePrefix(keys.logs(name));
    await txn.commit(rpc);
    if (!options.keepRepo) {
      try {
        await this.#pfs().deleteRepo({ repo: { name }, force: true }, rpc);
      } catch (err) {
        if (!isErrorCode(err, 'not_found')) throw err;
      }
    }
    return true;
  }
}
