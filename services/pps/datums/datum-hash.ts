/**
 * Datum IDs and hashes (DESIGN.md, pps):
 *
 *   datum ID   = SHA-256 over the datum's (input name, repo, branch, matched path) tuples, sorted
 *   datum hash = SHA-256 over the datum ID, then per match (same order) its tuple and its content
 *                hash (which covers every file beneath a directory match: path and content hash),
 *                then the pipeline salt
 *
 * Every string is written length-prefixed (4-byte big-endian byte length, then UTF-8), after a
 * versioned domain tag, so no two different tuple lists hash the same bytes. Sorting makes the ID
 * independent of input order; the commit is not part of either, so the same inputs give the same ID
 * and hash in every job, which is what lets `until_success` skip them.
 */
import { createHash, type Hash } from 'node:crypto';
import { comparePaths } from '../../pfs/storage/index.ts';
import type { DatumHash, DatumId } from './types.ts';

export interface MatchTuple {
  name: string;
  repo: string;
  branch: string;
  path: string;
}

const ID_TAG = 'terrain/datum-id/v1';
const HASH_TAG = 'terrain/datum-hash/v1';
const DIR_TAG = 'terrain/match-directory/v1';

/** Appends one length-prefixed string. */
export function writeField(h: Hash, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(bytes.length);
  h.update(len);
  h.update(bytes);
}

export function compareTuples(a: MatchTuple, b: MatchTuple): number {
  return (
    comparePaths(a.name, b.name) ||
    comparePaths(a.repo, b.repo) ||
    comparePaths(a.branch, b.branch) ||
    comparePaths(a.path, b.path)
  );
}

/** The datum ID of a list of matches (any order). */
export function datumId(matches: readonly MatchTuple[]): DatumId {
  const sorted = [...matches].sort(compareTuples);
  const h = createHash('sha256');
  writeField(h, ID_TAG);
  for (const m of sorted) {
    writeField(h, m.name);
    writeField(h, m.repo);
    writeField(h, m.branch);
    writeField(h, m.path);
  }
  return h.digest('hex') as DatumId;
}

/** The datum hash of a datum's matches (each with its content hash) and the pipeline salt. */
export function datumHash(
  id: DatumId,
  matches: readonly (MatchTuple & { hash: string })[],
  salt: string,
): DatumHash {
  const sorted = [...matches].sort(compareTuples);
  const h = createHash('sha256');
  writeField(h, HASH_TAG);
  writeField(h, id);
  for (const m of sorted) {
    writeField(h, m.name);
    writeField(h, m.repo);
    writeField(h, m.branch);
    writeField(h, m.path);
    writeField(h, m.hash);
  }
  writeField(h, salt);
  return h.digest('hex') as DatumHash;
}

/**
 * Incremental content hash of a directory match: each file beneath it, in path order, as its path
 * relative to the directory and its content hash.
 */
export class DirectoryHasher {
  readonly #h = createHash('sha256');
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    writeField(this.#h, DIR_TAG);
  }

  add(path: string, contentHash: string): void {
    writeField(this.#h, path.slice(this.#dir.length));
    writeField(this.#h, contentHash);
  }

  digest(): string {
    return this.#h.digest('hex');
  }
}
