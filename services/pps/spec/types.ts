/**
 * The typed pipeline spec. Field names are Pachyderm's, exactly as in the JSON/YAML document
 * (snake_case), so a spec reads the same in a file, in `inspect pipeline` and in code, and the
 * canonical serialization is the object itself with sorted keys.
 *
 * A value of these types was produced by `validatePipelineSpec` (or `parsePipelineSpec`): every
 * default is filled in, names are validated, globs compile, durations are in Go's canonical form.
 * Treat it as immutable.
 */
import type { BranchName, RepoName } from '../../pfs/names.ts';

export type ReprocessSpec = 'until_success' | 'every_job';

export interface PipelineSpec {
  pipeline: { name: RepoName };
  /** Default ''. */
  description: string;
  /** Labels and annotations put on the pipeline's Kubernetes objects. */
  metadata?: { labels: Record<string, string>; annotations: Record<string, string> };
  transform: TransformSpec;
  input: InputSpec;
  /** Number of workers. Default `{ constant: 1 }`. */
  parallelism_spec: { constant: number };
  /** Per-worker resources of the user container (Kubernetes launcher). */
  resource_requests?: ResourceSpec;
  resource_limits?: ResourceSpec;
  /** Per-worker resources of the Terrain worker sidecar (Kubernetes launcher). */
  sidecar_resource_requests?: ResourceSpec;
  sidecar_resource_limits?: ResourceSpec;
  /** Attempts per datum before the job fails. Default 3. */
  datum_tries: number;
  /** Go duration in canonical form (`1h5m0s`); unset = no limit. */
  datum_timeout?: string;
  /** Go duration in canonical form; unset = no limit. */
  job_timeout?: string;
  /** Default `until_success`: datums whose hash succeeded before are skipped. */
  reprocess_spec: ReprocessSpec;
  /** Branch of the output repo. Default `master`. */
  output_branch: BranchName;
  /** Mixed into datum hashes; unset = pps chooses one when it creates the pipeline. */
  salt?: string;
  /** Scale workers down when idle. Default false. */
  autoscaling: boolean;
}

export interface TransformSpec {
  /** The command (argv), at least one element. */
  cmd: string[];
  /** Lines written to the command's standard input. Default []. */
  stdin: string[];
  /** Run when `cmd` fails; success makes the datum RECOVERED. Default []. */
  err_cmd: string[];
  /** Lines written to `err_cmd`'s standard input. Default []. */
  err_stdin: string[];
  /** Extra environment variables. Default {}. */
  env: Record<string, string>;
  /** The container image (Kubernetes launcher; the local launcher ignores it). */
  image?: string;
  /** Working directory of the command. */
  working_dir?: string;
  /** Exit codes besides 0 that count as success. Default []. */
  accept_return_code: number[];
  /** User (name or uid) to run the command as. */
  user?: string;
  /** Kubernetes image pull secrets for `image`. Default []. */
  image_pull_secrets: string[];
}

/** Kubernetes-style resources: `cpu` in cores, `memory` / `disk` as quantities (`1Gi`, `500M`). */
export interface ResourceSpec {
  cpu?: number;
  memory?: string;
  disk?: string;
  gpu?: { type: string; number: number };
}

export type InputSpec =
  PfsInputNode | CronInputNode | CrossInputNode | UnionInputNode | JoinInputNode | GroupInputNode;

export interface PfsInputNode {
  pfs: PfsInputSpec;
}
export interface CronInputNode {
  cron: CronInputSpec;
}
export interface CrossInputNode {
  cross: InputSpec[];
}
export interface UnionInputNode {
  union: InputSpec[];
}
export interface JoinInputNode {
  join: InputSpec[];
}
export interface GroupInputNode {
  group: InputSpec[];
}

export interface PfsInputSpec {
  /** The directory under /pfs and the environment variable naming it. Default: the repo name. */
  name: string;
  repo: RepoName;
  /** Default `master`. */
  branch: BranchName;
  /** Normalized glob (leading '/'), possibly with capture groups. */
  glob: string;
  /** Join key template (`$1`), for inputs of a `join`. */
  join_on?: string;
  /** Group key template, for inputs of a `group`. */
  group_by?: string;
  /** Keep this input's datums that match nothing in the other join inputs. Default false. */
  outer_join: boolean;
  /** Materialize files with no content (names only). Default false. */
  empty_files: boolean;
  /** Pachyderm's lazy (streamed) materialization hint. Default false. */
  lazy: boolean;
}

export interface CronInputSpec {
  /** The input name (directory under /pfs). */
  name: string;
  /** The repo pps commits tick files to. Default `<pipeline>_<name>`. */
  repo: RepoName;
  /** robfig/cron schedule (see cron-schedule.ts). */
  spec: string;
  /** Replace the previous tick file instead of adding one per tick. Default false. */
  overwrite: boolean;
  /** RFC 3339 time of the first tick; unset = when the pipeline is created. */
  start?: string;
}

/** Kind of input node, by its single key. */
export type InputKind = 'pfs' | 'cron' | 'cross' | 'union' | 'join' | 'group';

export function inputKind(input: InputSpec): InputKind {
  if ('pfs' in input) return 'pfs';
  if ('cron' in input) return 'cron';
  if ('cross' in input) return 'cross';
  if ('union' in input) return 'union';
  if ('join' in input) return 'join';
  return 'group';
}

/** The children of a composite input node ([] for pfs and cron). */
export function inputChildren(input: InputSpec): InputSpec[] {
  if ('cross' in input) return input.cross;
  if ('union' in input) return input.union;
  if ('join' in input) return input.join;
  if ('group' in input) return input.group;
  return [];
}

/** The branch cron inputs read and pps writes ticks to (Pachyderm's). */
export const CRON_BRANCH = 'master' as BranchName;

/** The glob a cron input's datums use: one datum per tick file (Pachyderm's). */
export const CRON_GLOB = '/*';
