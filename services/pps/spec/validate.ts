/**
 * Validates a parsed pipeline spec document (any JSON value) into a typed `PipelineSpec`, filling in
 * Pachyderm's defaults. Validation is complete before anything is created: every problem found is
 * reported at once, each with the JSON path of the offending value (`input.cross[1].pfs.glob`).
 *
 * Checked here (pure, no pfs state): unknown fields, wrong types (int64 fields also accept integer
 * strings, as protojson writes them, so `inspect pipeline --raw` output from Pachyderm parses),
 * missing required fields, repo / branch / input names, globs (compiled, with capture groups),
 * `join_on` / `group_by` on every join / group input and their `$n` references, input names used
 * twice in the input tree (inputs in different branches of one `union` may share a name, as in
 * Pachyderm), cron specs, durations, parallelism, resources. Missing input repos and DAG cycles need
 * pfs state: see dag.ts.
 *
 * Pachyderm fields Terrain knows but does not implement are either accepted and ignored (listed in
 * IGNORED_PACHYDERM_FIELDS: they only tune Pachyderm's own deployment or bookkeeping, so ignoring
 * them cannot change a pipeline's results; their paths are returned in `ignoredFields` so the CLI
 * can say so), or refused with a reason (UNSUPPORTED_PACHYDERM_FIELDS: ignoring them would silently
 * change what the pipeline does). Anything else is an unknown field.
 */
import { branchName, DEFAULT_BRANCH, repoName, type BranchName, type RepoName } from '../../pfs/names.ts';
import { compileCaptureGlob, parseTemplate } from '../datums/capture-glob.ts';
import { parseCronSchedule } from './cron-schedule.ts';
import { formatGoDuration, parseGoDuration } from './duration.ts';
import { specError, type SpecIssue } from './errors.ts';
import type {
  CronInputSpec,
  InputSpec,
  PfsInputSpec,
  PipelineSpec,
  ReprocessSpec,
  ResourceSpec,
  TransformSpec,
} from './types.ts';

/**
 * Pachyderm fields accepted and ignored, by the object they belong to ('' is the document). Each
 * only affects how Pachyderm deploys or accounts for a pipeline, never which datums run or what
 * they output.
 */
export const IGNORED_PACHYDERM_FIELDS: Readonly<Record<string, readonly string[]>> = {
  '': [
    'spec_commit', // Pachyderm's pointer to where it stored the spec
    'update', // `pachctl update pipeline` sets it; Terrain uses the request's flag
    'reprocess', // ditto, for `--reprocess`
    'pod_spec', // raw Kubernetes pod overrides
    'pod_patch',
    'scheduling_spec', // node selector / priority class
    'tolerations',
    'datum_set_spec', // how Pachyderm batches datums per task; Terrain cuts its own shards
    'standby', // Pachyderm 1.x; autoscaling replaces it
    'enable_stats', // Pachyderm 1.x stats branch
    'cache_size', // Pachyderm 1.x worker cache
    'max_queue_size',
    'chunk_spec', // Pachyderm 1.x datum chunking
    'hashtree_spec', // Pachyderm 1.x hashtree sharding
    'maximum_expected_uptime',
  ],
  transform: ['debug', 'dockerfile', 'memory_volume'],
  'input.pfs': ['repo_type'],
};

/** Pachyderm fields refused, with the reason: ignoring them would change what the pipeline does. */
export const UNSUPPORTED_PACHYDERM_FIELDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '': {
    egress: 'egress to external storage is not supported; add a pipeline step that copies /pfs/out out',
    service: 'service pipelines are not supported',
    spout: 'spout pipelines are not supported',
    s3_out: 'S3 output is not supported; write files to /pfs/out',
    tf_job: 'TFJob pipelines are not supported',
    determined: 'Determined integration is not supported',
  },
  transform: {
    secrets: 'Kubernetes secrets are not supported; pass values through transform.env',
    datum_batching: 'datum batching is not supported; each datum runs the command once',
  },
  parallelism_spec: { coefficient: 'a coefficient of the cluster size is not supported; use "constant"' },
  'input.pfs': {
    commit: 'pinning an input commit is not supported; use a branch',
    s3: 'S3 input is not supported; inputs are files under /pfs',
    trigger: 'branch triggers are not supported',
  },
  'input.cron': { commit: 'pinning an input commit is not supported' },
  input: { git: 'git inputs are not supported (Pachyderm removed them too)' },
};

const TOP_FIELDS = [
  'pipeline',
  'description',
  'metadata',
  'transform',
  'input',
  'parallelism_spec',
  'resource_requests',
  'resource_limits',
  'sidecar_resource_requests',
  'sidecar_resource_limits',
  'datum_tries',
  'datum_timeout',
  'job_timeout',
  'reprocess_spec',
  'output_branch',
  'salt',
  'autoscaling',
];
const TRANSFORM_FIELDS = [
  'cmd',
  'stdin',
  'err_cmd',
  'err_stdin',
  'env',
  'image',
  'working_dir',
  'accept_return_code',
  'user',
  'image_pull_secrets',
];
const PFS_FIELDS = [
  'name',
  'repo',
  'branch',
  'glob',
  'join_on',
  'group_by',
  'outer_join',
  'empty_files',
  'lazy',
  'project',
];
const CRON_FIELDS = ['name', 'repo', 'spec', 'overwrite', 'start', 'project'];
const INPUT_KINDS = ['pfs', 'cron', 'cross', 'union', 'join', 'group'] as const;
const RESOURCE_FIELDS = ['cpu', 'memory', 'disk', 'gpu'];

/** Input names become /pfs/<name> and environment variable names. */
const INPUT_NAME = /^[a-zA-Z0-9_-]{1,63}$/;
/** Kubernetes quantity (`500m`, `1.5Gi`, `1e3`). */
const QUANTITY = /^(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export interface ValidatedSpec {
  spec: PipelineSpec;
  /** JSON paths of Pachyderm fields that were accepted and ignored. */
  ignoredFields: string[];
}

export interface SpecCheck {
  /** Set when there are no issues. */
  spec?: PipelineSpec;
  issues: SpecIssue[];
  ignoredFields: string[];
}

/**
 * Validates a spec document.
 * @throws INVALID_ARGUMENT (a SpecError carrying every issue, `details.json_path` = the first one).
 */
export function validatePipelineSpec(value: unknown): ValidatedSpec {
  const r = checkPipelineSpec(value);
  if (!r.spec) {
    const name = pipelineNameOf(value);
    throw specError(r.issues, name ? `pipeline spec ${JSON.stringify(name)}` : 'pipeline spec');
  }
  return { spec: r.spec, ignoredFields: r.ignoredFields };
}

/** Like validatePipelineSpec, but returns the issues instead of throwing. */
export function checkPipelineSpec(value: unknown): SpecCheck {
  const c = new Checker();
  const spec = checkDocument(c, value);
  return c.issues.length === 0 && spec
    ? { spec, issues: [], ignoredFields: c.ignored }
    : { issues: c.issues, ignoredFields: c.ignored };
}

function pipelineNameOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const p = value.pipeline;
  if (!isObject(p)) return undefined;
  return typeof p.name === 'string' && p.name ? p.name : undefined;
}

// ---------------------------------------------------------------------------------------------
// Checker: issue collection and typed field access.

class Checker {
  issues: SpecIssue[] = [];
  ignored: string[] = [];

  problem(path: string, message: string): void {
    this.issues.push({ path, message });
  }
}

const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `${v}`;
  return typeof v;
}

function editDistance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

function suggestion(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(key.toLowerCase(), k);
    if (dist < bestD) {
      bestD = dist;
      best = k;
    }
  }
  if (best !== undefined && bestD <= Math.max(1, Math.floor(key.length / 3)))
    return ` (did you mean "${best}"?)`;
  return '';
}

/** Flags unknown, ignored and unsupported keys of an object. `kind` keys the two tables. */
function checkKeys(
  c: Checker,
  obj: Record<string, unknown>,
  path: string,
  known: readonly string[],
  kind: string,
): void {
  const ignored = IGNORED_PACHYDERM_FIELDS[kind] ?? [];
  const unsupported = UNSUPPORTED_PACHYDERM_FIELDS[kind] ?? {};
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    if (ignored.includes(key)) {
      c.ignored.push(at(path, key));
      continue;
    }
    const reason = Object.hasOwn(unsupported, key) ? unsupported[key] : undefined;
    if (reason !== undefined) c.problem(at(path, key), reason);
    else c.problem(at(path, key), `unknown field${suggestion(key, [...known, ...ignored])}`);
  }
}

/** The value at key, with null read as absent (protojson writes defaults as null at times). */
function get(obj: Record<string, unknown>, key: string): unknown {
  const v = obj[key];
  return v === null ? undefined : v;
}

function objectField(
  c: Checker,
  obj: Record<string, unknown>,
  key: string,
  path: string,
  required = false,
): Record<string, unknown> | undefined {
  const v = get(obj, key);
  const p = at(path, key);
  if (v === undefined) {
    if (required) c.problem(p, 'required field is missing');
    return undefined;
  }
  if (!isObject(v)) {
    c.problem(p, `expected an object, got ${describe(v)}`);
    return undefined;
  }
  return v;
}

function stringField(
  c: Checker,
  obj: Record<string, unknown>,
  key: string,
  path: string,
  required = false,
): string | undefined {
  const v = get(obj, key);
  const p = at(path, key);
  if (v === undefined || (required && v === '')) {
    if (required) c.problem(p, v === '' ? 'must not be empty' : 'required field is missing');
    return undefined;
  }
  if (typeof v !== 'string') {
    c.problem(p, `expected a string, got ${describe(v)}`);
    return undefined;
  }
  return v;
}

function boolField(c: Checker, obj: Record<string, unknown>, key: string, path: string): boolean {
  const v = get(obj, key);
  if (v === undefined) return false;
  if (typeof v !== 'boolean') {
    c.problem(at(path, key), `expected true or false, got ${describe(v)}`);
    return false;
  }
  return v;
}

/** An integer: a JSON number, or a string of digits (protojson's int64). */
function intValue(c: Checker, v: unknown, p: string): number | undefined {
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^-?\d+$/.test(v)) n = Number(v);
  if (n === undefined || !Number.isSafeInteger(n)) {
    c.problem(p, `expected an integer, got ${describe(v)}`);
    return undefined;
  }
  return n;
}

function intField(
  c: Checker,
  obj: Record<string, unknown>,
  key: string,
  path: string,
  min: number,
  what: string,
): number | undefined {
  const v = get(obj, key);
  if (v === undefined) return undefined;
  const p = at(path, key);
  const n = intValue(c, v, p);
  if (n !== undefined && n < min) {
    c.problem(p, `${what} must be at least ${min}, got ${n}`);
    return undefined;
  }
  return n;
}

function stringArrayField(c: Checker, obj: Record<string, unknown>, key: string, path: string): string[] {
  const v = get(obj, key);
  const p = at(path, key);
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    c.problem(p, `expected an array of strings, got ${describe(v)}`);
    return [];
  }
  const out: string[] = [];
  v.forEach((item, i) => {
    if (typeof item === 'string') out.push(item);
    else c.problem(`${p}[${i}]`, `expected a string, got ${describe(item)}`);
  });
  return out;
}

function stringMapField(
  c: Checker,
  obj: Record<string, unknown>,
  key: string,
  path: string,
  checkKey?: (k: string) => string | undefined,
  checkValue?: (v: string) => string | undefined,
): Record<string, string> {
  const v = get(obj, key);
  const p = at(path, key);
  if (v === undefined) return {};
  if (!isObject(v)) {
    c.problem(p, `expected an object of strings, got ${describe(v)}`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, item] of Object.entries(v)) {
    const ip = at(p, k);
    const keyProblem = checkKey?.(k);
    if (keyProblem) c.problem(ip, keyProblem);
    if (typeof item !== 'string') c.problem(ip, `expected a string, got ${describe(item)}`);
    else {
      const valueProblem = checkValue?.(item);
      if (valueProblem) c.problem(ip, valueProblem);
      out[k] = item;
    }
  }
  return out;
}

function durationField(
  c: Checker,
  obj: Record<string, unknown>,
  key: string,
  path: string,
): string | undefined {
  const s = stringField(c, obj, key, path);
  if (s === undefined) return undefined;
  const d = parseGoDuration(s);
  if ('error' in d) {
    c.problem(at(path, key), d.error);
    return undefined;
  }
  if (d.ns <= 0n) {
    c.problem(at(path, key), `must be positive, got ${JSON.stringify(s)} (omit it for no limit)`);
    return undefined;
  }
  return formatGoDuration(d.ns);
}

/** A validator from pfs/names.ts, its message turned into an issue (without the `pfs: ` prefix). */
function named<T>(c: Checker, p: string, value: string, make: (v: string) => T): T | undefined {
  try {
    return make(value);
  } catch (err) {
    c.problem(p, (err as Error).message.replace(/^pfs: /, ''));
    return undefined;
  }
}

function checkProject(c: Checker, obj: Record<string, unknown>, path: string): void {
  const project = objectField(c, obj, 'project', path);
  if (!project) return;
  const p = at(path, 'project');
  checkKeys(c, project, p, ['name'], 'project');
  const name = stringField(c, project, 'name', p);
  if (name !== undefined && name !== '' && name !== 'default') {
    c.problem(
      at(p, 'name'),
      `Terrain has no projects; only "default" is accepted, got ${JSON.stringify(name)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The document.

function checkDocument(c: Checker, value: unknown): PipelineSpec | undefined {
  if (!isObject(value)) {
    c.problem('', `a pipeline spec must be an object, got ${describe(value)}`);
    return undefined;
  }
  checkKeys(c, value, '', TOP_FIELDS, '');

  const pipelineObj = objectField(c, value, 'pipeline', '', true);
  let name: RepoName | undefined;
  if (pipelineObj) {
    checkKeys(c, pipelineObj, 'pipeline', ['name', 'project'], 'pipeline');
    const raw = stringField(c, pipelineObj, 'name', 'pipeline', true);
    if (raw !== undefined) {
      name = named(c, 'pipeline.name', raw, (v) => {
        repoName(v); // the output repo has the pipeline's name
        return v as RepoName;
      });
    }
    checkProject(c, pipelineObj, 'pipeline');
  }

  const description = stringField(c, value, 'description', '') ?? '';
  const metadata = checkMetadata(c, value);
  const transform = checkTransform(c, value);

  let input: InputSpec | undefined;
  const inputValue = get(value, 'input');
  if (inputValue === undefined)
    c.problem('input', 'required field is missing (a pipeline needs at least one input)');
  else
    input = checkInput(c, inputValue, 'input', { pipelineName: name, names: new Map(), parent: undefined });

  let constant = 1;
  const par = objectField(c, value, 'parallelism_spec', '');
  if (par) {
    checkKeys(c, par, 'parallelism_spec', ['constant'], 'parallelism_spec');
    constant = intField(c, par, 'constant', 'parallelism_spec', 1, 'the number of workers') ?? 1;
  }

  const datumTries = intField(c, value, 'datum_tries', '', 1, 'the number of tries per datum') ?? 3;
  const datumTimeout = durationField(c, value, 'datum_timeout', '');
  const jobTimeout = durationField(c, value, 'job_timeout', '');

  let reprocess: ReprocessSpec = 'until_success';
  const rp = stringField(c, value, 'reprocess_spec', '');
  if (rp !== undefined && rp !== '') {
    if (rp === 'until_success' || rp === 'every_job') reprocess = rp;
    else c.problem('reprocess_spec', `expected "until_success" or "every_job", got ${JSON.stringify(rp)}`);
  }

  let outputBranch: BranchName = DEFAULT_BRANCH;
  const ob = stringField(c, value, 'output_branch', '');
  if (ob !== undefined && ob !== '')
    outputBranch = named(c, 'output_branch', ob, branchName) ?? DEFAULT_BRANCH;

  const salt = stringField(c, value, 'salt', '');
  const autoscaling = boolField(c, value, 'autoscaling', '');

  const resources: Partial<
    Record<
      'resource_requests' | 'resource_limits' | 'sidecar_resource_requests' | 'sidecar_resource_limits',
      ResourceSpec
    >
  > = {};
  for (const key of [
    'resource_requests',
    'resource_limits',
    'sidecar_resource_requests',
    'sidecar_resource_limits',
  ] as const) {
    const r = checkResources(c, value, key);
    if (r) resources[key] = r;
  }

  if (c.issues.length > 0 || !name || !transform || !input) return undefined;
  const spec: PipelineSpec = {
    pipeline: { name },
    description,
    ...(metadata ? { metadata } : {}),
    transform,
    input,
    parallelism_spec: { constant },
    ...resources,
    datum_tries: datumTries,
    ...(datumTimeout ? { datum_timeout: datumTimeout } : {}),
    ...(jobTimeout ? { job_timeout: jobTimeout } : {}),
    reprocess_spec: reprocess,
    output_branch: outputBranch,
    ...(salt ? { salt } : {}),
    autoscaling,
  };
  return spec;
}

function checkMetadata(c: Checker, doc: Record<string, unknown>): PipelineSpec['metadata'] {
  const m = objectField(c, doc, 'metadata', '');
  if (!m) return undefined;
  checkKeys(c, m, 'metadata', ['labels', 'annotations'], 'metadata');
  const keyProblem = (k: string): string | undefined =>
    LABEL_KEY.test(k) && k.length <= 317
      ? undefined
      : `invalid Kubernetes label or annotation key ${JSON.stringify(k)}`;
  const labels = stringMapField(c, m, 'labels', 'metadata', keyProblem, (v) =>
    LABEL_VALUE.test(v)
      ? undefined
      : `invalid Kubernetes label value ${JSON.stringify(v)}: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`,
  );
  const annotations = stringMapField(c, m, 'annotations', 'metadata', keyProblem);
  return { labels, annotations };
}

function checkTransform(c: Checker, doc: Record<string, unknown>): TransformSpec | undefined {
  const t = objectField(c, doc, 'transform', '', true);
  if (!t) return undefined;
  checkKeys(c, t, 'transform', TRANSFORM_FIELDS, 'transform');
  const cmd = stringArrayField(c, t, 'cmd', 'transform');
  if (get(t, 'cmd') === undefined)
    c.problem('transform.cmd', 'required field is missing (the command to run, e.g. ["sh"])');
  else if (Array.isArray(get(t, 'cmd')) && (get(t, 'cmd') as unknown[]).length === 0)
    c.problem('transform.cmd', 'must name a command');
  else if (cmd[0] === '') c.problem('transform.cmd[0]', 'the command must not be empty');
  const env = stringMapField(c, t, 'env', 'transform', (k) =>
    k === '' || k.includes('=') || k.includes('\0')
      ? `invalid environment variable name ${JSON.stringify(k)}`
      : undefined,
  );
  const acceptValue = get(t, 'accept_return_code');
  const accept: number[] = [];
  if (acceptValue !== undefined) {
    if (!Array.isArray(acceptValue))
      c.problem(
        'transform.accept_return_code',
        `expected an array of integers, got ${describe(acceptValue)}`,
      );
    else
      acceptValue.forEach((v, i) => {
        const n = intValue(c, v, `transform.accept_return_code[${i}]`);
        if (n !== undefined) accept.push(n);
      });
  }
  const image = stringField(c, t, 'image', 'transform');
  const workingDir = stringField(c, t, 'working_dir', 'transform');
  const user = stringField(c, t, 'user', 'transform');
  return {
    cmd,
    stdin: stringArrayField(c, t, 'stdin', 'transform'),
    err_cmd: stringArrayField(c, t, 'err_cmd', 'transform'),
    err_stdin: stringArrayField(c, t, 'err_stdin', 'transform'),
    env,
    ...(image ? { image } : {}),
    ...(workingDir ? { working_dir: workingDir } : {}),
    accept_return_code: accept,
    ...(user ? { user } : {}),
    image_pull_secrets: stringArrayField(c, t, 'image_pull_secrets', 'transform'),
  };
}

function checkResources(c: Checker, doc: Record<string, unknown>, key: string): ResourceSpec | undefined {
  const r = objectField(c, doc, key, '');
  if (!r) return undefined;
  checkKeys(c, r, key, RESOURCE_FIELDS, 'resources');
  const out: ResourceSpec = {};
  const cpu = get(r, 'cpu');
  if (cpu !== undefined) {
    if (typeof cpu !== 'number' || !Number.isFinite(cpu) || cpu < 0)
      c.problem(at(key, 'cpu'), `expected a non-negative number of cores, got ${describe(cpu)}`);
    else out.cpu = cpu;
  }
  for (const q of ['memory', 'disk'] as const) {
    const s = stringField(c, r, q, key);
    if (s === undefined || s === '') continue;
    if (!QUANTITY.test(s))
      c.problem(
        at(key, q),
        `invalid quantity ${JSON.stringify(s)}: use a number with an optional unit, such as "512Mi" or "2G"`,
      );
    else out[q] = s;
  }
  const gpu = objectField(c, r, 'gpu', key);
  if (gpu) {
    const gp = at(key, 'gpu');
    checkKeys(c, gpu, gp, ['type', 'number'], 'gpu');
    const type = stringField(c, gpu, 'type', gp, true);
    const number = intField(c, gpu, 'number', gp, 1, 'the number of GPUs');
    if (get(gpu, 'number') === undefined) c.problem(at(gp, 'number'), 'required field is missing');
    if (type && number !== undefined) out.gpu = { type, number };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Inputs.

interface InputContext {
  pipelineName: RepoName | undefined;
  /** Input names in scope → the path that first used them. */
  names: Map<string, string>;
  parent: 'cross' | 'union' | 'join' | 'group' | undefined;
}

function checkInput(c: Checker, value: unknown, path: string, ctx: InputContext): InputSpec | undefined {
  if (!isObject(value)) {
    c.problem(
      path,
      `expected an input object (with one of ${INPUT_KINDS.join(', ')}), got ${describe(value)}`,
    );
    return undefined;
  }
  checkKeys(c, value, path, INPUT_KINDS, 'input');
  const kinds = INPUT_KINDS.filter((k) => get(value, k) !== undefined);
  if (kinds.length === 0) {
    c.problem(path, `an input needs one of ${INPUT_KINDS.join(', ')}`);
    return undefined;
  }
  if (kinds.length > 1) {
    c.problem(path, `an input has exactly one of ${INPUT_KINDS.join(', ')}; found ${kinds.join(' and ')}`);
    return undefined;
  }
  const kind = kinds[0]!;
  const p = at(path, kind);
  if ((ctx.parent === 'join' || ctx.parent === 'group') && kind !== 'pfs') {
    c.problem(
      p,
      `a ${ctx.parent} combines pfs inputs (each with ${ctx.parent === 'join' ? 'join_on' : 'group_by'}); put the ${kind} around the ${ctx.parent}, not inside it`,
    );
    return undefined;
  }
  if (kind === 'pfs') {
    const pfs = checkPfs(c, get(value, 'pfs'), p, ctx);
    return pfs ? { pfs } : undefined;
  }
  if (kind === 'cron') {
    const cron = checkCron(c, get(value, 'cron'), p, ctx);
    return cron ? { cron } : undefined;
  }
  const list = get(value, kind);
  if (!Array.isArray(list)) {
    c.problem(p, `expected an array of inputs, got ${describe(list)}`);
    return undefined;
  }
  if (list.length === 0) {
    c.problem(p, `a ${kind} needs at least one input`);
    return undefined;
  }
  const children: (InputSpec | undefined)[] = [];
  if (kind === 'union') {
    // Pachyderm's rule: the branches of a union may reuse a name among themselves (the user code sees
    // one directory whichever branch a datum comes from), but not a name used elsewhere.
    const merged = new Map<string, string>();
    list.forEach((child, i) => {
      const names = new Map(ctx.names);
      children.push(checkInput(c, child, `${p}[${i}]`, { ...ctx, names, parent: 'union' }));
      for (const [n, where] of names) if (!merged.has(n)) merged.set(n, where);
    });
    for (const [n, where] of merged) if (!ctx.names.has(n)) ctx.names.set(n, where);
  } else {
    list.forEach((child, i) => children.push(checkInput(c, child, `${p}[${i}]`, { ...ctx, parent: kind })));
  }
  if (children.some((ch) => ch === undefined)) return undefined;
  const inputs = children as InputSpec[];
  switch (kind) {
    case 'cross':
      return { cross: inputs };
    case 'union':
      return { union: inputs };
    case 'join':
      return { join: inputs };
    case 'group':
      return { group: inputs };
  }
}

function claimName(c: Checker, name: string, p: string, ctx: InputContext): void {
  if (!INPUT_NAME.test(name)) {
    c.problem(
      p,
      `invalid input name ${JSON.stringify(name)}: use 1-63 letters, digits, "_" or "-" (it becomes /pfs/<name> and an environment variable)`,
    );
    return;
  }
  if (name === 'out') {
    c.problem(p, 'an input cannot be named "out": /pfs/out is the output directory (set "name")');
    return;
  }
  const previous = ctx.names.get(name);
  if (previous !== undefined) {
    c.problem(
      p,
      `input name ${JSON.stringify(name)} is already used at ${previous}; give one of them another "name"`,
    );
    return;
  }
  ctx.names.set(name, p);
}

function checkPfs(c: Checker, value: unknown, path: string, ctx: InputContext): PfsInputSpec | undefined {
  if (!isObject(value)) {
    c.problem(path, `expected an object, got ${describe(value)}`);
    return undefined;
  }
  const before = c.issues.length;
  checkKeys(c, value, path, PFS_FIELDS, 'input.pfs');
  checkProject(c, value, path);
  const rawRepo = stringField(c, value, 'repo', path, true);
  const repo = rawRepo === undefined ? undefined : named(c, at(path, 'repo'), rawRepo, repoName);
  const rawBranch = stringField(c, value, 'branch', path);
  const branch = rawBranch ? named(c, at(path, 'branch'), rawBranch, branchName) : DEFAULT_BRANCH;
  const rawName = stringField(c, value, 'name', path);
  const name = rawName || rawRepo;
  if (name !== undefined) claimName(c, name, at(path, rawName ? 'name' : 'repo'), ctx);

  const rawGlob = stringField(c, value, 'glob', path, true);
  let glob: string | undefined;
  let groups = 0;
  if (rawGlob !== undefined) {
    try {
      const g = compileCaptureGlob(rawGlob);
      glob = g.pattern;
      groups = g.groups;
    } catch (err) {
      c.problem(at(path, 'glob'), (err as Error).message.replace(/^platform: /, ''));
    }
  }
  const template = (key: 'join_on' | 'group_by', needed: boolean): string | undefined => {
    const t = stringField(c, value, key, path);
    if (!t) {
      if (needed) {
        c.problem(
          at(path, key),
          `required for an input of a ${key === 'join_on' ? 'join' : 'group'}: a key built from the glob's capture groups, such as "$1"`,
        );
      }
      return undefined;
    }
    if (glob !== undefined) {
      const { unknownGroups } = parseTemplate(t, groups);
      if (unknownGroups.length > 0) {
        c.problem(
          at(path, key),
          `${JSON.stringify(t)} refers to ${unknownGroups.join(', ')}, but the glob ${JSON.stringify(glob)} has ${groups} capture group${groups === 1 ? '' : 's'} (write them with parentheses, as in "/(*).csv")`,
        );
      }
    }
    return t;
  };
  const joinOn = template('join_on', ctx.parent === 'join');
  const groupBy = template('group_by', ctx.parent === 'group');
  const outerJoin = boolField(c, value, 'outer_join', path);
  const emptyFiles = boolField(c, value, 'empty_files', path);
  const lazy = boolField(c, value, 'lazy', path);
  if (c.issues.length > before || !repo || !branch || !name || glob === undefined) return undefined;
  return {
    name,
    repo,
    branch,
    glob,
    ...(joinOn ? { join_on: joinOn } : {}),
    ...(groupBy ? { group_by: groupBy } : {}),
    outer_join: outerJoin,
    empty_files: emptyFiles,
    lazy,
  };
}

function checkCron(c: Checker, value: unknown, path: string, ctx: InputContext): CronInputSpec | undefined {
  if (!isObject(value)) {
    c.problem(path, `expected an object, got ${describe(value)}`);
    return undefined;
  }
  const before = c.issues.length;
  checkKeys(c, value, path, CRON_FIELDS, 'input.cron');
  checkProject(c, value, path);
  const name = stringField(c, value, 'name', path, true);
  if (name !== undefined) claimName(c, name, at(path, 'name'), ctx);
  const spec = stringField(c, value, 'spec', path, true);
  if (spec !== undefined) {
    const s = parseCronSchedule(spec);
    if ('error' in s) c.problem(at(path, 'spec'), s.error);
  }
  const rawRepo = stringField(c, value, 'repo', path);
  let repo: RepoName | undefined;
  if (rawRepo) repo = named(c, at(path, 'repo'), rawRepo, repoName);
  else if (name !== undefined && ctx.pipelineName !== undefined) {
    const derived = `${ctx.pipelineName}_${name}`;
    repo = named(c, at(path, 'name'), derived, (v) => {
      try {
        return repoName(v);
      } catch {
        throw new Error(
          `the cron repo name ${JSON.stringify(derived)} (<pipeline>_<name>) is not a valid repo name; shorten the names or set "repo"`,
        );
      }
    });
  }
  const overwrite = boolField(c, value, 'overwrite', path);
  const start = stringField(c, value, 'start', path);
  if (start !== undefined && start !== '' && (!RFC3339.test(start) || Number.isNaN(Date.parse(start)))) {
    c.problem(
      at(path, 'start'),
      `expected an RFC 3339 time such as "2024-01-01T00:00:00Z", got ${JSON.stringify(start)}`,
    );
  }
  if (c.issues.length > before || !name || !repo || !spec) return undefined;
  return { name, repo, spec, overwrite, ...(start ? { start } : {}) };
}
