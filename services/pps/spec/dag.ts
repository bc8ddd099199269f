/**
 * The checks on a new pipeline spec that need pfs / pps state: every input repo must exist (cron
 * repos are created by pps, so they need not), and the pipeline must not read, directly or through
 * other pipelines, from its own output (a cycle in the DAG). The caller gathers the state in one
 * consistent read (an etcd revision) and passes it in; the function is pure.
 */
import { specError, type SpecError, type SpecIssue } from './errors.ts';
import { inputLeaves } from './inputs.ts';
import type { PipelineSpec } from './types.ts';

export interface DagState {
  /** Every existing repo (user repos and pipeline output repos). */
  repos: ReadonlySet<string>;
  /**
   * Every existing pipeline → the repos it reads. An existing version of the pipeline being
   * checked (an update) is replaced by the new spec.
   */
  pipelineOutputs: ReadonlyMap<string, readonly string[]>;
}

export interface DagIssues {
  /** Inputs whose repo does not exist (NOT_FOUND). */
  missing: SpecIssue[];
  /** Inputs through which the pipeline would read its own output (INVALID_ARGUMENT). */
  cycles: SpecIssue[];
}

/** Reports missing input repos and cycles, each at the JSON path of the input's `repo`. */
export function checkDag(spec: PipelineSpec, existing: DagState): DagIssues {
  const self = spec.pipeline.name;
  const missing: SpecIssue[] = [];
  const cycles: SpecIssue[] = [];
  for (const leaf of inputLeaves(spec.input)) {
    if (leaf.kind === 'cron') continue;
    const p = `${leaf.path}.repo`;
    if (leaf.repo === self) {
      cycles.push({
        path: p,
        message: `pipeline ${JSON.stringify(self)} cannot read its own output repo (a cycle: ${self} → ${self})`,
      });
      continue;
    }
    if (!existing.repos.has(leaf.repo) && !existing.pipelineOutputs.has(leaf.repo)) {
      missing.push({
        path: p,
        message: `input repo ${JSON.stringify(leaf.repo)} not found; create it first (terrain create repo ${leaf.repo})`,
      });
      continue;
    }
    const cycle = pathTo(leaf.repo, self, existing.pipelineOutputs);
    if (cycle) {
      cycles.push({
        path: p,
        message: `reading ${JSON.stringify(leaf.repo)} makes a cycle: ${[self, ...cycle].join(' → ')} (a pipeline cannot depend on its own output)`,
      });
    }
  }
  return { missing, cycles };
}

/**
 * Throws when checkDag finds anything: INVALID_ARGUMENT listing the cycles (and missing repos) when
 * there is a cycle, otherwise NOT_FOUND listing the missing repos.
 */
export function assertDag(spec: PipelineSpec, existing: DagState): void {
  const { missing, cycles } = checkDag(spec, existing);
  const what = `pipeline ${JSON.stringify(spec.pipeline.name)}`;
  let err: SpecError | undefined;
  if (cycles.length > 0) err = specError([...cycles, ...missing], what);
  else if (missing.length > 0) err = specError(missing, what, 'not_found');
  if (err) throw err;
}

/**
 * The chain of repos from `start` to `target` following "pipeline reads repo" edges, `start`
 * first and `target` last, or undefined. Depth-first with a visited set: O(pipelines + edges).
 */
function pathTo(
  start: string,
  target: string,
  reads: ReadonlyMap<string, readonly string[]>,
): string[] | undefined {
  const visited = new Set<string>();
  const walk = (repo: string): string[] | undefined => {
    if (repo === target) return [repo];
    if (visited.has(repo)) return undefined;
    visited.add(repo);
    // The walk stops at `target`, so a stored older version of the pipeline being checked is never
    // followed: only its new inputs count.
    for (const next of reads.get(repo) ?? []) {
      const rest = walk(next);
      if (rest) return [repo, ...rest];
    }
    return undefined;
  };
  return walk(start);
}
