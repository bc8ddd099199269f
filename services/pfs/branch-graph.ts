/**
 * The branch provenance graph: pure functions over a snapshot of every branch.
 *
 * Branch counts are small (repos × branches, not data), so pfs loads the whole graph for the
 * operations that need it (start commit, create/delete branch) — a paged etcd scan, read at one
 * revision so it is consistent.
 */
import type { BranchRecord } from './records.ts';
import { pfsErrors } from './errors.ts';

export type BranchId = string; // `${repo}@${branch}`

export function branchId(repo: string, name: string): BranchId {
  return `${repo}@${name}`;
}

export interface GraphBranch {
  record: BranchRecord;
  /** etcd mod revision of the branch key (for compare-and-swap). */
  modRevision: number;
}

export class BranchGraph {
  readonly branches: ReadonlyMap<BranchId, GraphBranch>;
  readonly #subvenance = new Map<BranchId, BranchId[]>();

  constructor(branches: Iterable<GraphBranch>) {
    const map = new Map<BranchId, GraphBranch>();
    for (const b of branches) map.set(branchId(b.record.repo, b.record.name), b);
    this.branches = map;
    for (const [id, b] of map) {
      for (const p of b.record.directProvenance) {
        const pid = branchId(p.repo, p.name);
        const list = this.#subvenance.get(pid) ?? [];
        list.push(id);
        this.#subvenance.set(pid, list);
      }
    }
  }

  get(id: BranchId): GraphBranch | undefined {
    return this.branches.get(id);
  }

  /** Branches that have `id` directly in their provenance. */
  directSubvenance(id: BranchId): BranchId[] {
    return this.#subvenance.get(id) ?? [];
  }

  /**
   * Every branch downstream of `starts` (excluding them), in topological order: each branch comes
   * after every branch of the closure it depends on.
   */
  downstream(starts: readonly BranchId[]): BranchId[] {
    const reached = new Set<BranchId>();
    const stack = [...starts];
    while (stack.length > 0) {
      const id = stack.pop()!;
      for (const down of this.directSubvenance(id)) {
        if (!reached.has(down)) {
          reached.add(down);
          stack.push(down);
        }
      }
    }
    for (const s of starts) reached.delete(s);
    return this.topoSort(reached);
  }

  /** Every branch upstream of `id` (its full provenance), excluding itself. */
  upstream(id: BranchId): BranchId[] {
    const seen = new Set<BranchId>();
    const stack = [id];
    while (stack.length > 0) {
      const cur = this.branches.get(stack.pop()!);
      for (const p of cur?.record.directProvenance ?? []) {
        const pid = branchId(p.repo, p.name);
        if (!seen.has(pid)) {
          seen.add(pid);
          stack.push(pid);
        }
      }
    }
    seen.delete(id);
    return [...seen].sort();
  }

  /** Orders `ids` so that provenance comes first (Kahn's algorithm over the induced subgraph). */
  topoSort(ids: Iterable<BranchId>): BranchId[] {
    const set = new Set(ids);
    const indegree = new Map<BranchId, number>();
    for (const id of set) {
      const deps = (this.branches.get(id)?.record.directProvenance ?? []).filter((p) =>
        set.has(branchId(p.repo, p.name)),
      );
      indegree.set(id, deps.length);
    }
    const ready = [...set].filter((id) => indegree.get(id) === 0).sort();
    const out: BranchId[] = [];
    while (ready.length > 0) {
      const id = ready.shift()!;
      out.push(id);
      for (const down of this.directSubvenance(id)) {
        if (!set.has(down)) continue;
        const left = indegree.get(down)! - 1;
        indegree.set(down, left);
        if (left === 0) ready.push(down);
      }
    }
    if (out.length !== set.size) throw pfsErrors.internal('branch provenance graph has a cycle');
    return out;
  }

  /**
   * Throws INVALID_ARGUMENT when giving `id` the provenance `provenance` would make a cycle.
   * (A branch cannot be downstream of itself.)
   */
  checkNoCycle(id: BranchId, provenance: readonly BranchId[]): void {
    if (provenance.includes(id)) {
      throw pfsErrors.invalidArgument(`branch ${id} cannot have itself as provenance`);
    }
    const below = new Set(this.downstream([id]));
    for (const p of provenance) {
      if (below.has(p)) {
        throw pfsErrors.invalidArgument(
          `provenance on ${p} would make a cycle: ${p} is already downstream of ${id}`,
        );
      }
    }
  }
}
