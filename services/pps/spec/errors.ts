/**
 * pps errors for pipeline specs. Every message starts with `pps: `.
 *
 * A spec that fails validation is one INVALID_ARGUMENT (or NOT_FOUND, for missing input repos)
 * TerrainError carrying every problem found, each with the JSON path of the offending value
 * (`input.cross[1].pfs.glob`), so a user fixes them all in one round. The first problem's path is
 * also in `details.json_path` (the proto's ErrorInfo detail).
 */
import { errorFactory, TerrainError } from '../../platform/errors.ts';

// The pps service may later define its own errors.ts one level up; this factory makes the same shape.
export const ppsErrors = errorFactory('pps');

/** One problem in a spec: where it is (a JSON path, '' for the document) and what is wrong. */
export interface SpecIssue {
  path: string;
  message: string;
}

/** A TerrainError that carries the spec issues it reports. */
export type SpecError = TerrainError & { readonly issues: readonly SpecIssue[] };

/** Formats one issue as `path: message` (or the bare message for the document itself). */
export function formatIssue(issue: SpecIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/**
 * Builds the error for a list of issues (at least one). `what` names the spec (`pipeline "edges"`
 * or `pipeline spec`).
 */
export function specError(
  issues: readonly SpecIssue[],
  what: string,
  code: 'invalid_argument' | 'not_found' = 'invalid_argument',
): SpecError {
  const first = issues[0];
  const lines = issues.map(formatIssue);
  const summary =
    issues.length === 1
      ? `invalid ${what}: ${lines[0] ?? 'unknown problem'}`
      : `invalid ${what}: ${issues.length} problems: ${lines.join('; ')}`;
  const make = code === 'not_found' ? ppsErrors.notFound : ppsErrors.invalidArgument;
  const err = make(`${summary} (fix the spec and try again)`, {
    details: { json_path: first?.path ?? '', problems: String(issues.length) },
  });
  Object.defineProperty(err, 'issues', { value: Object.freeze([...issues]), enumerable: false });
  return err as SpecError;
}

/** The issues carried by a spec error, or undefined for any other value. */
export function specIssues(err: unknown): readonly SpecIssue[] | undefined {
  if (err instanceof TerrainError || (typeof err === 'object' && err !== null)) {
    const issues = (err as { issues?: unknown }).issues;
    if (Array.isArray(issues)) return issues as SpecIssue[];
  }
  return undefined;
}
