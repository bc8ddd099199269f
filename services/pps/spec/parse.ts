/**
 * Reading spec files: JSON or YAML text → validated specs. As Pachyderm does, text whose first
 * non-blank character is `{` is read as JSON (one object, or several concatenated), anything else as
 * YAML (one document, or several separated by `---`). Empty YAML documents are skipped.
 *
 * Errors are INVALID_ARGUMENT: a syntax error names the document and the line/column; a
 * validation error is the SpecError of validate.ts (every issue with its JSON path). Pure.
 */
import { parseAllDocuments } from 'yaml';
import { ppsErrors, specError, type SpecIssue } from './errors.ts';
import { checkPipelineSpec, validatePipelineSpec, type ValidatedSpec } from './validate.ts';

/**
 * Splits spec text into its documents (parsed JSON values).
 * @throws INVALID_ARGUMENT on a syntax error, naming the document and position.
 */
export function parseSpecDocuments(text: string): unknown[] {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (src.trimStart().startsWith('{')) return parseJsonStream(src);
  const docs = parseAllDocuments(src, { uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(docs)) return []; // an empty stream
  const out: unknown[] = [];
  docs.forEach((doc, i) => {
    const first = doc.errors[0];
    if (first) {
      throw ppsErrors.invalidArgument(
        `invalid YAML in pipeline spec document ${i + 1}: ${(first.message.split('\n')[0] ?? '').replace(/:$/, '')}`,
        {
          details: { document: String(i + 1) },
        },
      );
    }
    // maxAliasCount bounds alias expansion ("billion laughs").
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value !== null && value !== undefined) out.push(value);
  });
  return out;
}

function parseJsonStream(src: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) {
        out.push(parseJson(src.slice(start, i + 1), src, start, out.length + 1));
        start = -1;
      } else if (depth < 0) {
        throw jsonError(src, i, out.length + 1, `unexpected "${ch}"`);
      }
    } else if (depth === 0 && !/\s/.test(ch)) {
      throw jsonError(src, i, out.length + 1, `unexpected ${JSON.stringify(ch)} between documents`);
    }
  }
  if (depth > 0 || inString)
    throw jsonError(
      src,
      src.length,
      out.length + 1,
      'unexpected end of the text (an unclosed object or string)',
    );
  return out;
}

function parseJson(piece: string, src: string, offset: number, n: number): unknown {
  try {
    return JSON.parse(piece);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const at = m ? offset + Number(m[1]) : offset;
    throw jsonError(
      src,
      at,
      n,
      (err as Error).message
        .replace(/ in JSON at position \d+.*$/, '')
        .replace(/\s*\(line \d+ column \d+\)$/, ''),
    );
  }
}

function jsonError(src: string, offset: number, n: number, why: string): Error {
  const before = src.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return ppsErrors.invalidArgument(
    `invalid JSON in pipeline spec document ${n} at line ${line}, column ${column}: ${why}`,
    {
      details: { document: String(n), line: String(line), column: String(column) },
    },
  );
}

/**
 * Parses and validates every spec in the text (at least one).
 * @throws INVALID_ARGUMENT for a syntax error, an empty text, or invalid specs (a SpecError; with
 *   several documents each issue's message starts with `(document n)`).
 */
export function parsePipelineSpecs(text: string): ValidatedSpec[] {
  const docs = parseSpecDocuments(text);
  if (docs.length === 0)
    throw ppsErrors.invalidArgument('the pipeline spec is empty: write a JSON or YAML pipeline spec');
  if (docs.length === 1) return [validatePipelineSpec(docs[0])];
  const out: ValidatedSpec[] = [];
  const issues: SpecIssue[] = [];
  docs.forEach((doc, i) => {
    const r = checkPipelineSpec(doc);
    if (r.spec) out.push({ spec: r.spec, ignoredFields: r.ignoredFields });
    else issues.push(...r.issues.map((x) => ({ ...x, message: `(document ${i + 1}) ${x.message}` })));
  });
  if (issues.length > 0) throw specError(issues, 'pipeline specs');
  return out;
}

/**
 * Parses and validates exactly one spec.
 * @throws INVALID_ARGUMENT as parsePipelineSpecs, and when the text holds several specs.
 */
export function parsePipelineSpec(text: string): ValidatedSpec {
  const docs = parseSpecDocuments(text);
  if (docs.length > 1)
    throw ppsErrors.invalidArgument(
      `expected one pipeline spec, found ${docs.length} documents; create them one at a time`,
    );
  const [one] = parsePipelineSpecs(text);
  return one!;
}
