/**
 * Pipeline specs: Pachyderm-compatible JSON/YAML → a validated, typed `PipelineSpec`.
 *
 * @example
 * ```ts
 * import { parsePipelineSpec, assertDag, canonicalSpecJson, specHash, inputBranches } from './services/pps/spec/index.ts';
 *
 * const { spec, ignoredFields } = parsePipelineSpec(fs.readFileSync('edges.yaml', 'utf8'));
 * // INVALID_ARGUMENT listing every problem with its JSON path, e.g. "input.cross[1].pfs.glob: …"
 * assertDag(spec, { repos, pipelineOutputs });   // NOT_FOUND for missing repos, INVALID_ARGUMENT for cycles
 * store(canonicalSpecJson(spec), specHash(spec));
 * for (const { repo, branch } of inputBranches(spec.input)) provenance.push(`${repo}@${branch}`);
 * ```
 */
export type {
  PipelineSpec,
  TransformSpec,
  ResourceSpec,
  ReprocessSpec,
  InputSpec,
  InputKind,
  PfsInputNode,
  CronInputNode,
  CrossInputNode,
  UnionInputNode,
  JoinInputNode,
  GroupInputNode,
  PfsInputSpec,
  CronInputSpec,
} from './types.ts';
export { inputKind, inputChildren, CRON_BRANCH, CRON_GLOB } from './types.ts';
export {
  validatePipelineSpec,
  checkPipelineSpec,
  IGNORED_PACHYDERM_FIELDS,
  UNSUPPORTED_PACHYDERM_FIELDS,
  type ValidatedSpec,
  type SpecCheck,
} from './validate.ts';
export { parsePipelineSpec, parsePipelineSpecs, parseSpecDocuments } from './parse.ts';
export { checkDag, assertDag, type DagState, type DagIssues } from './dag.ts';
export { canonicalJson, canonicalSpecJson, specHash } from './canonical.ts';
export { inputLeaves, inputBranches, inputRepos, type InputLeaf } from './inputs.ts';
export { parseGoDuration, formatGoDuration, durationMs } from './duration.ts';
export { parseCronSchedule, type CronSchedule } from './cron-schedule.ts';
export { ppsErrors, specError, specIssues, formatIssue, type SpecIssue, type SpecError } from './errors.ts';
