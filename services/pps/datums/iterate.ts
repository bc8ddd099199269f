/**
 * Streams a pipeline input's datums (Pachyderm's semantics; see docs/design/pps-datums.md):
 *
 * - pfs:   one datum per glob match, in path order; cron: the same over the cron repo with glob `/*`
 *          (one datum per tick file).
 * - union: the datums of each input in turn.
 * - cross: every combination, one datum from each input, the first input varying slowest; no datums
 *          when any input has none.
 * - join:  matches grouped by their `join_on` key (in key order); a key that every input has yields
 *          the cross product of its matches; a key missing from some inputs yields the cross product
 *          of the matches of its `outer_join` inputs that have it (nothing when there are none).
 * - group: one datum per `group_by` key (in key order) with every match of every input that has
 *          that key.
 *
 * Memory: pfs/cron inputs stream (O(path depth) plus one match's file list, at most
 * `maxFilesPerInput`). cross keeps each input after the first in memory when its datums hold at
 * most `crossBufferFiles` files, and otherwise reads it again per datum of the inputs before it.
 * join and group sort (key, path) records externally (`sortBufferRecords` in memory, sorted runs
 * on disk), then hold one key's matches at a time: the bound is the largest key group, which is
 * also the size of that key's datum (group) or of one factor of its product (join).
 *
 * The generator reads input commits through the resolver's readers and never writes anything
 * except join/group sort runs under `tmpDir` (removed when it ends). It is not safe to iterate one
 * generator concurrently; independent generators over the same readers are fine.
 */
import { comparePaths } from '../../pfs/storage/index.ts';
import { inputLeaves } from '../spec/inputs.ts';
import { CRON_BRANCH, CRON_GLOB, inputChildren, inputKind, type InputSpec } from '../spec/types.ts';
import { compileCaptureGlob, type CaptureGlob } from './capture-glob.ts';
import { datumHash, datumId } from './datum-hash.ts';
import { externalSort } from './external-sort.ts';
import { globMatches } from './glob-matches.ts';
import { matchContent } from './match-files.ts';
import type { Datum, DatumInput, DatumIterationOptions, InputCommit } from './types.ts';

/** A datum under construction: its matches so far. */
type Part = DatumInput[];

interface Leaf {
  name: string;
  repo: string;
  branch: string;
  glob: CaptureGlob;
  joinOn?: string;
  groupBy?: string;
  outerJoin: boolean;
  emptyFiles: boolean;
  lazy: boolean;
  commit: InputCommit | undefined;
}

interface Context {
  leaves: Map<string, Leaf>;
  salt: string;
  signal: AbortSignal | undefined;
  maxFiles: number;
  sortBuffer: number;
  crossBufferFiles: number;
  tmpDir: string | undefined;
}

/**
 * The datums of `input` (a validated spec's input tree), in a deterministic order.
 * @throws whatever the readers throw (DATA_LOSS, …); INVALID_ARGUMENT for an input tree that did not
 *   come from validatePipelineSpec (a bad glob); cancellation when the signal aborts.
 */
export async function* iterateDatums(
  input: InputSpec,
  options: DatumIterationOptions,
): AsyncGenerator<Datum> {
  const leaves = new Map<string, Leaf>();
  for (const leaf of inputLeaves(input)) {
    const base =
      leaf.kind === 'pfs'
        ? {
            name: leaf.input.name,
            repo: leaf.repo,
            branch: leaf.branch,
            glob: compileCaptureGlob(leaf.input.glob),
            ...(leaf.input.join_on ? { joinOn: leaf.input.join_on } : {}),
            ...(leaf.input.group_by ? { groupBy: leaf.input.group_by } : {}),
            outerJoin: leaf.input.outer_join,
            emptyFiles: leaf.input.empty_files,
            lazy: leaf.input.lazy,
          }
        : {
            name: leaf.input.name,
            repo: leaf.repo,
            branch: CRON_BRANCH,
            glob: compileCaptureGlob(CRON_GLOB),
            outerJoin: false,
            emptyFiles: false,
            lazy: false,
          };
    const commit = options.resolve({
      name: base.name,
      repo: base.repo,
      branch: base.branch,
      jsonPath: leaf.path,
    });
    leaves.set(leaf.path, { ...base, commit });
  }
  const ctx: Context = {
    leaves,
    salt: options.salt ?? '',
    signal: options.signal,
    maxFiles: options.maxFilesPerInput ?? 10_000,
    sortBuffer: options.sortBufferRecords ?? 100_000,
    crossBufferFiles: options.crossBufferFiles ?? 100_000,
    tmpDir: options.tmpDir,
  };
  for await (const inputs of parts(input, 'input', ctx)) {
    // Storage reads check the signal only when they do I/O; cached pages never would.
    ctx.signal?.throwIfAborted();
    const id = datumId(inputs);
    yield { id, hash: datumHash(id, inputs, ctx.salt), inputs };
  }
}

function parts(node: InputSpec, path: string, ctx: Context): AsyncGenerator<Part> {
  const kind = inputKind(node);
  const childPath = (i: number): string => `${path}.${kind}[${i}]`;
  switch (kind) {
    case 'pfs':
    case 'cron':
      return leafParts(leafAt(ctx, `${path}.${kind}`), ctx);
    case 'union':
      return unionParts(inputChildren(node).map((child, i) => () => parts(child, childPath(i), ctx)));
    case 'cross':
      return crossParts(
        inputChildren(node).map((child, i) => () => parts(child, childPath(i), ctx)),
        ctx,
      );
    case 'join':
    case 'group':
      return keyedParts(
        kind,
        inputChildren(node).map((_, i) => leafAt(ctx, `${childPath(i)}.pfs`)),
        ctx,
      );
  }
}

function leafAt(ctx: Context, path: string): Leaf {
  const leaf = ctx.leaves.get(path);
  if (!leaf) throw new Error(`internal: no input leaf at ${path}`);
  return leaf;
}

async function toInput(
  leaf: Leaf,
  commit: InputCommit,
  match: Parameters<typeof matchContent>[1],
  ctx: Context,
  key?: { joinKey?: string; groupKey?: string },
): Promise<DatumInput> {
  const content = await matchContent(commit.reader, match, { maxFiles: ctx.maxFiles, signal: ctx.signal });
  return {
    name: leaf.name,
    repo: leaf.repo,
    branch: leaf.branch,
    commit: commit.commit,
    glob: leaf.glob.pattern,
    path: match.path,
    kind: match.kind,
    hash: content.hash,
    sizeBytes: content.sizeBytes,
    fileCount: content.fileCount,
    files: content.files,
    filesTruncated: content.filesTruncated,
    ...key,
    emptyFiles: leaf.emptyFiles,
    lazy: leaf.lazy,
    outerJoin: leaf.outerJoin,
  };
}

async function* leafParts(leaf: Leaf, ctx: Context): AsyncGenerator<Part> {
  const commit = leaf.commit;
  if (!commit) return;
  for await (const m of globMatches(commit.reader, leaf.glob, { signal: ctx.signal })) {
    yield [await toInput(leaf, commit, m, ctx)];
  }
}

async function* unionParts(sources: (() => AsyncGenerator<Part>)[]): AsyncGenerator<Part> {
  for (const source of sources) yield* source();
}

/**
 * An input of a cross product read several times: kept in memory after the first complete pass
 * when it is small enough, otherwise read again from storage each time.
 */
class Replayable {
  readonly #source: () => AsyncGenerator<Part>;
  readonly #limit: number;
  #buffer: Part[] | undefined;
  #tooBig = false;

  constructor(source: () => AsyncGenerator<Part>, limitFiles: number) {
    this.#source = source;
    this.#limit = limitFiles;
  }

  async *iterate(): AsyncGenerator<Part> {
    if (this.#buffer) {
      yield* this.#buffer;
      return;
    }
    if (this.#tooBig) {
      yield* this.#source();
      return;
    }
    let buffer: Part[] | undefined = [];
    let files = 0;
    let complete = false;
    try {
      for await (const part of this.#source()) {
        if (buffer) {
          for (const input of part) files += input.files.length + 1;
          if (files > this.#limit) {
            buffer = undefined;
            this.#tooBig = true;
          } else buffer.push(part);
        }
        yield part;
      }
      complete = true;
    } finally {
      if (complete && buffer) this.#buffer = buffer;
    }
  }

  async nonEmpty(): Promise<boolean> {
    for await (const _ of this.iterate()) return true;
    return false;
  }
}

async function* crossParts(sources: (() => AsyncGenerator<Part>)[], ctx: Context): AsyncGenerator<Part> {
  const [first, ...rest] = sources;
  if (!first) return;
  const replays = rest.map((s) => new Replayable(s, ctx.crossBufferFiles));
  // An empty factor empties the product: find out before reading the first input at all.
  for (const r of replays) if (!(await r.nonEmpty())) return;
  async function* extend(level: number, prefix: Part): AsyncGenerator<Part> {
    if (level === replays.length) {
      yield prefix;
      return;
    }
    for await (const part of replays[level]!.iterate()) yield* extend(level + 1, [...prefix, ...part]);
  }
  for await (const part of first()) yield* extend(0, part);
}

interface KeyRecord {
  /** The key. */
  k: string;
  /** The child input's index. */
  c: number;
  /** The matched path (directories end with '/'). */
  p: string;
}

function compareRecords(a: KeyRecord, b: KeyRecord): number {
  return comparePaths(a.k, b.k) || a.c - b.c || comparePaths(a.p, b.p);
}

async function* keyedParts(mode: 'join' | 'group', leaves: Leaf[], ctx: Context): AsyncGenerator<Part> {
  async function* records(): AsyncGenerator<KeyRecord> {
    for (let c = 0; c < leaves.length; c++) {
      const leaf = leaves[c]!;
      if (!leaf.commit) continue;
      const template = (mode === 'join' ? leaf.joinOn : leaf.groupBy) ?? '';
      for await (const m of globMatches(leaf.commit.reader, leaf.glob, { signal: ctx.signal })) {
        yield { k: leaf.glob.replace(m.path, template) ?? '', c, p: m.path };
      }
    }
  }
  const sorted = externalSort(records(), {
    compare: compareRecords,
    maxInMemory: ctx.sortBuffer,
    tmpDir: ctx.tmpDir,
    signal: ctx.signal,
  });
  let key: string | undefined;
  let group: KeyRecord[] = [];
  for await (const r of sorted) {
    if (key !== undefined && r.k !== key) {
      yield* emitKey(mode, leaves, key, group, ctx);
      group = [];
    }
    key = r.k;
    group.push(r);
  }
  if (key !== undefined) yield* emitKey(mode, leaves, key, group, ctx);
}

async function* emitKey(
  mode: 'join' | 'group',
  leaves: Leaf[],
  key: string,
  group: KeyRecord[],
  ctx: Context,
): AsyncGenerator<Part> {
  const lists: KeyRecord[][] = leaves.map(() => []);
  for (const r of group) lists[r.c]!.push(r);
  const materialize = async (c: number): Promise<DatumInput[]> => {
    const leaf = leaves[c]!;
    const out: DatumInput[] = [];
    for (const r of lists[c]!) {
      const kind = r.p.endsWith('/') ? 'directory' : 'file';
      out.push(
        await toInput(
          leaf,
          leaf.commit!,
          { kind, path: r.p },
          ctx,
          mode === 'join' ? { joinKey: key } : { groupKey: key },
        ),
      );
    }
    return out;
  };
  if (mode === 'group') {
    const all: DatumInput[] = [];
    for (let c = 0; c < leaves.length; c++) all.push(...(await materialize(c)));
    yield all;
    return;
  }
  let selected = leaves.map((_, c) => c);
  if (lists.some((l) => l.length === 0))
    selected = selected.filter((c) => leaves[c]!.outerJoin && lists[c]!.length > 0);
  if (selected.length === 0) return;
  const factors: DatumInput[][] = [];
  for (const c of selected) factors.push(await materialize(c));
  function* product(level: number, prefix: Part): Generator<Part> {
    if (level === factors.length) {
      yield prefix;
      return;
    }
    for (const input of factors[level]!) yield* product(level + 1, [...prefix, input]);
  }
  yield* product(0, []);
}
