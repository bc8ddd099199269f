/**
 * Datums: a pipeline's input tree + its input commits → a stream of datums with stable IDs and
 * hashes (see docs/design/pps-datums.md).
 *
 * @example
 * ```ts
 * import { iterateDatums } from './services/pps/datums/index.ts';
 *
 * const readers = new Map([['images@master', { reader: storage.reader(root), commit: jobId }]]);
 * for await (const datum of iterateDatums(spec.input, {
 *   resolve: ({ repo, branch }) => readers.get(`${repo}@${branch}`),
 *   salt: pipeline.salt,
 *   signal,
 * })) {
 *   if (previouslySucceeded.has(datum.hash)) skip(datum); else pending(datum);
 * }
 * ```
 */
export { iterateDatums } from './iterate.ts';
export type {
  Datum,
  DatumId,
  DatumHash,
  DatumInput,
  DatumFile,
  InputCommit,
  InputResolver,
  DatumIterationOptions,
} from './types.ts';
export { datumId, datumHash, compareTuples, DirectoryHasher, type MatchTuple } from './datum-hash.ts';
export {
  compileCaptureGlob,
  parseTemplate,
  expandTemplate,
  type CaptureGlob,
  type TemplatePart,
} from './capture-glob.ts';
export { globMatches, type GlobMatch } from './glob-matches.ts';
export { matchFiles, matchContent, type MatchContent } from './match-files.ts';
export { externalSort, type ExternalSortOptions } from './external-sort.ts';
