/**
 * Test support for the datum tests (not exported from index.ts): input commits built with the pfs
 * storage library over an in-memory object store, and a resolver over them.
 */
import { MemoryObjectStore } from '../../platform/object-store/memory.ts';
import {
  EMPTY_ROOT,
  FileSetStorage,
  type FileSetStorageOptions,
  type RootHash,
} from '../../pfs/storage/index.ts';
import { validatePipelineSpec } from '../spec/validate.ts';
import type { InputSpec } from '../spec/types.ts';
import { iterateDatums } from './iterate.ts';
import type { Datum, DatumIterationOptions, InputCommit } from './types.ts';

export class TestRepos {
  readonly storage: FileSetStorage;
  /** `repo@branch` → the commit's tree and ID. */
  readonly heads = new Map<string, { root: RootHash; commit: string }>();
  #seq = 0;

  constructor(options: FileSetStorageOptions = {}) {
    this.storage = new FileSetStorage(new MemoryObjectStore(), {
      tree: { leafBits: 4, innerBits: 3 },
      ...options,
    });
  }

  /** Commits `files` (path → content; null deletes) on top of the branch head. */
  async commit(
    repoBranch: string,
    files: Record<string, string | null> | Iterable<[string, string]>,
  ): Promise<RootHash> {
    const key = repoBranch.includes('@') ? repoBranch : `${repoBranch}@master`;
    const w = this.storage.writer();
    const entries = Symbol.iterator in files ? files : Object.entries(files);
    for (const [path, body] of entries as Iterable<[string, string | null]>) {
      if (body === null) await w.delete(path);
      else await w.put(path, Buffer.from(body));
    }
    const staged = (await w.finish()).root;
    const parent = this.heads.get(key)?.root ?? EMPTY_ROOT;
    const { root } = await this.storage.applyStaged(parent, [staged]);
    this.heads.set(key, { root, commit: (++this.#seq).toString(16).padStart(32, '0') });
    return root;
  }

  resolve = ({ repo, branch }: { repo: string; branch: string }): InputCommit | undefined => {
    const head = this.heads.get(`${repo}@${branch}`);
    return head ? { reader: this.storage.reader(head.root), commit: head.commit } : undefined;
  };

  async datums(input: InputSpec, options: Partial<DatumIterationOptions> = {}): Promise<Datum[]> {
    const out: Datum[] = [];
    for await (const d of iterateDatums(input, { resolve: this.resolve, ...options })) out.push(d);
    return out;
  }
}

/** A validated input tree from its JSON form. */
export function input(value: unknown): InputSpec {
  return validatePipelineSpec({ pipeline: { name: 'p' }, transform: { cmd: ['sh'] }, input: value }).spec
    .input;
}

/** One line per datum: `name:path` of each input, in input order. */
export function show(datums: readonly Datum[]): string[] {
  return datums.map((d) => d.inputs.map((i) => `${i.name}:${i.path}`).join(' '));
}
