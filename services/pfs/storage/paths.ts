/**
 * Paths inside file sets: normalized absolute strings (`/a/b.txt`). Directories are implied by file
 * paths and are written with a trailing slash (`/a/`) wherever the library names one.
 *
 * Order: paths are ordered by their UTF-8 bytes (the order S3 listings use). JavaScript's `<` orders
 * by UTF-16 code units, which differs only when one side has a surrogate pair and the other a
 * character in U+E000–U+FFFF; `comparePaths` corrects exactly that case.
 */
import { storageErrors } from './errors.ts';

export const MAX_PATH_BYTES = 4096;
export const MAX_SEGMENT_BYTES = 255;

// A surrogate half without its partner cannot be encoded as UTF-8.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Checks that `path` is a normalized absolute path and returns it unchanged.
 *
 * Rules: starts with `/`; no empty, `.` or `..` segments (so no `//` and no trailing `/` except
 * the root `/` itself); no NUL; well-formed Unicode (encodable as UTF-8); at most 4096 bytes in
 * total and 255 bytes per segment.
 *
 * @throws INVALID_ARGUMENT naming the offending path and the rule it breaks.
 */
export function validatePath(path: string): string {
  const bad = (why: string): never => {
    throw storageErrors.invalidArgument(`invalid path ${JSON.stringify(path)}: ${why}`, {
      details: { path },
    });
  };
  if (typeof path !== 'string') bad('a path must be a string');
  if (!path.startsWith('/')) bad('a path must be absolute (start with "/")');
  if (path === '/') return path;
  if (path.includes('\0')) bad('a path must not contain NUL');
  if (LONE_SURROGATE.test(path)) bad('a path must be valid Unicode (it contains a lone surrogate)');
  const total = Buffer.byteLength(path, 'utf8');
  if (total > MAX_PATH_BYTES) bad(`a path must be at most ${MAX_PATH_BYTES} bytes (it has ${total})`);
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '')
      bad(
        i === segments.length - 1
          ? 'a path must not end with "/"'
          : 'a path must not contain empty segments ("//")',
      );
    if (seg === '.' || seg === '..') bad(`a path must not contain "${seg}" segments`);
    const n = Buffer.byteLength(seg, 'utf8');
    if (n > MAX_SEGMENT_BYTES)
      bad(`a path segment must be at most ${MAX_SEGMENT_BYTES} bytes ("${seg.slice(0, 32)}…" has ${n})`);
  }
  return path;
}

/** Checks that `dir` is a directory path: `/`, or a valid path followed by `/`. */
export function validateDirectory(dir: string): string {
  if (dir === '/') return dir;
  if (typeof dir !== 'string' || !dir.endsWith('/')) {
    throw storageErrors.invalidArgument(
      `invalid directory ${JSON.stringify(dir)}: a directory must end with "/"`,
      {
        details: { path: String(dir) },
      },
    );
  }
  validatePath(dir.slice(0, -1));
  return dir;
}

/** Orders two paths by their UTF-8 bytes; negative, zero or positive. */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  let x = a.charCodeAt(i);
  let y = b.charCodeAt(i);
  // Surrogates (U+D800–U+DFFF) encode code points above U+FFFF, so they sort after U+E000–U+FFFF.
  if (x >= 0xd800 && y >= 0xd800) {
    x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
  }
  return x - y;
}

/**
 * The smallest string greater than every string that starts with `prefix` (so the half-open range
 * [prefix, prefixEnd(prefix)) is exactly the strings under `prefix`). `prefix` must end with `/`,
 * which makes the successor a simple increment of the last character ('/' → '0').
 */
export function prefixEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

/** The directories a path implies, outermost first: `/a/b/c` → `/`, `/a/`, `/a/b/`. */
export function parentDirectories(path: string): string[] {
  const out: string[] = [];
  let i = 0;
  while ((i = path.indexOf('/', i)) !== -1) {
    out.push(path.slice(0, i + 1));
    i++;
  }
  return out;
}
