/**
 * Pachyderm's glob syntax over absolute, '/'-separated paths (pfs GlobFile, pps datums).
 *
 *   const g = compileGlob('/data/*.{csv,tsv}');
 *   g.matches('/data/a.csv');          // true
 *   g.matches('/data/sub/a.csv');      // false: `*` stays inside one segment
 *   g.matchesDirectory('/data/');      // directories are matched by their path without the '/'
 *   g.prefix;                          // '/data/': every match starts with it (narrows a listing)
 *   g.maxDepth;                        // 2: no match has more segments (undefined with `**`)
 *
 * Syntax (as gobwas/glob with '/' as the separator, which Pachyderm uses):
 *   `*`        any run of characters other than '/' (possibly empty)
 *   `**`       any run of characters, '/' included (possibly empty); so `/a/**` does not match `/a`
 *              itself, and `/a/** /b` (without the space) needs at least one segment between
 *   `?`        one character other than '/'
 *   `[abc]`, `[a-z]`, `[!a-z]` (or `[^a-z]`)  one character (never '/') in / not in the class;
 *              a class must not be empty
 *   `{a,b*,c}` one of the alternatives, each a pattern itself (nesting allowed)
 *   `\c`       the character c literally
 *   A stray `}` outside braces is malformed (escape it as `\}`); `]` and `,` outside a class or
 *   braces are literal.
 *
 * Normalization: a pattern without a leading '/' gets one (Pachyderm accepts "*" for "/*"); a
 * trailing '/' is dropped (except for "/" itself). Paths are matched without their trailing '/'
 * (directories), and the root directory "/" is matched only by the pattern "/" (so "/**" yields
 * everything beneath the root, not the root itself, as Pachyderm's datums do).
 *
 * Errors: a malformed pattern (empty, an unclosed `[` or `{`, an empty class, a reversed range, a
 * stray `}`, a trailing `\`) throws INVALID_ARGUMENT (platformErrors) naming the pattern and the
 * problem. A compiled matcher is immutable and safe to share.
 */
import { platformErrors } from './errors.ts';

export interface GlobMatcher {
  /** The normalized pattern. */
  readonly pattern: string;
  /**
   * Literal text every match starts with (a file path, or a directory path without its trailing
   * '/'). Narrow a sorted listing to paths starting with it.
   */
  readonly prefix: string;
  /** `prefix` cut after its last '/': the deepest directory containing every match. */
  readonly directoryPrefix: string;
  /** The most segments a matching path can have; undefined when the pattern contains `**`. */
  readonly maxDepth: number | undefined;
  /** Whether a path matches; a trailing '/' (a directory path) is ignored. */
  matches(path: string): boolean;
  /** Whether a directory matches (`/a/` or `/a`; `/` is the root). Same rule as `matches`. */
  matchesDirectory(dir: string): boolean;
}

type Node =
  | { kind: 'lit'; text: string }
  | { kind: 'star' }
  | { kind: 'super' }
  | { kind: 'any' }
  | { kind: 'class'; negated: boolean; ranges: [number, number][] }
  | { kind: 'alt'; branches: Node[][] };

/** Compiles a pattern. @throws INVALID_ARGUMENT for a malformed pattern, naming it. */
export function compileGlob(pattern: string): GlobMatcher {
  if (typeof pattern !== 'string' || pattern === '') {
    throw platformErrors.invalidArgument(
      'invalid glob pattern "": a pattern must not be empty (use "/" for everything as one match)',
      {
        details: { pattern: String(pattern) },
      },
    );
  }
  let normalized = pattern.startsWith('/') ? pattern : `/${pattern}`;
  if (normalized.length > 1 && normalized.endsWith('/') && !normalized.endsWith('\\/'))
    normalized = normalized.slice(0, -1);
  const parser = new Parser(pattern, normalized);
  const nodes = parser.parseSequence(false);
  if (parser.pos < normalized.length)
    parser.fail(`unexpected "${normalized[parser.pos]!}" at offset ${parser.pos}`);
  const regex = new RegExp(`^${toRegex(nodes)}$`, 'su');
  const prefix = literalPrefix(nodes);
  const matchesRoot = normalized === '/';
  const maxDepth = matchesRoot ? 0 : depthOf(nodes);
  const matches = (path: string): boolean => {
    if (path === '/' || path === '') return matchesRoot;
    const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    return regex.test(p);
  };
  return {
    pattern: normalized,
    prefix,
    directoryPrefix: prefix.slice(0, prefix.lastIndexOf('/') + 1) || '/',
    maxDepth,
    matches,
    matchesDirectory: matches,
  };
}

class Parser {
  readonly original: string;
  readonly src: string;
  pos = 0;

  constructor(original: string, src: string) {
    this.original = original;
    this.src = src;
  }

  fail(why: string): never {
    throw platformErrors.invalidArgument(`invalid glob pattern ${JSON.stringify(this.original)}: ${why}`, {
      details: { pattern: this.original },
    });
  }

  /** A sequence up to the end, or (inside braces) up to an unescaped ',' or '}'. */
  parseSequence(inBraces: boolean): Node[] {
    const nodes: Node[] = [];
    let text = '';
    const flush = (): void => {
      if (text) nodes.push({ kind: 'lit', text });
      text = '';
    };
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (inBraces && (c === ',' || c === '}')) break;
      switch (c) {
        case '\\': {
          const next = this.src.codePointAt(this.pos + 1);
          if (next === undefined) this.fail('it ends with an unescaped "\\"');
          const ch = String.fromCodePoint(next);
          text += ch;
          this.pos += 1 + ch.length;
          break;
        }
        case '*': {
          flush();
          let n = 0;
          while (this.src[this.pos] === '*') {
            n++;
            this.pos++;
          }
          nodes.push(n >= 2 ? { kind: 'super' } : { kind: 'star' });
          break;
        }
        case '?':
          flush();
          nodes.push({ kind: 'any' });
          this.pos++;
          break;
        case '[':
          flush();
          nodes.push(this.parseClass());
          break;
        case '{':
          flush();
          nodes.push(this.parseAlternatives());
          break;
        case '}':
          this.fail(`unmatched "}" at offset ${this.pos} (escape it as "\\}")`);
          break;
        default: {
          const ch = String.fromCodePoint(this.src.codePointAt(this.pos)!);
          text += ch;
          this.pos += ch.length;
        }
      }
    }
    flush();
    return nodes;
  }

  parseClass(): Node {
    const start = this.pos;
    this.pos++; // '['
    let negated = false;
    if (this.src[this.pos] === '!' || this.src[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    const ranges: [number, number][] = [];
    const readChar = (): number => {
      if (this.pos >= this.src.length) this.fail(`unclosed "[" at offset ${start}`);
      let cp = this.src.codePointAt(this.pos)!;
      if (cp === 0x5c /* \ */) {
        this.pos++;
        if (this.pos >= this.src.length) this.fail(`unclosed "[" at offset ${start}`);
        cp = this.src.codePointAt(this.pos)!;
      }
      this.pos += cp > 0xffff ? 2 : 1;
      return cp;
    };
    for (;;) {
      if (this.pos >= this.src.length) this.fail(`unclosed "[" at offset ${start}`);
      if (this.src[this.pos] === ']') {
        this.pos++;
        break;
      }
      const from = readChar();
      let to = from;
      if (this.src[this.pos] === '-' && this.pos + 1 < this.src.length && this.src[this.pos + 1] !== ']') {
        this.pos++;
        to = readChar();
        if (to < from)
          this.fail(
            `reversed range "${String.fromCodePoint(from)}-${String.fromCodePoint(to)}" in the class at offset ${start}`,
          );
      }
      ranges.push([from, to]);
    }
    if (ranges.length === 0) this.fail(`empty character class at offset ${start}`);
    return { kind: 'class', negated, ranges };
  }

  parseAlternatives(): Node {
    const start = this.pos;
    this.pos++; // '{'
    const branches: Node[][] = [];
    for (;;) {
      branches.push(this.parseSequence(true));
      if (this.pos >= this.src.length) this.fail(`unclosed "{" at offset ${start}`);
      const c = this.src[this.pos];
      this.pos++;
      if (c === '}') break;
    }
    return { kind: 'alt', branches };
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function classChar(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

function toRegex(nodes: readonly Node[]): string {
  let out = '';
  for (const n of nodes) {
    switch (n.kind) {
      case 'lit':
        out += escapeRegex(n.text);
        break;
      case 'star':
        out += '[^/]*';
        break;
      case 'super':
        out += '.*';
        break;
      case 'any':
        out += '[^/]';
        break;
      case 'class': {
        const body = n.ranges
          .map(([a, b]) => (a === b ? classChar(a) : `${classChar(a)}-${classChar(b)}`))
          .join('');
        // A class never matches the separator: segments stay segments.
        out += n.negated ? `[^/${body}]` : `(?!/)[${body}]`;
        break;
      }
      case 'alt':
        out += `(?:${n.branches.map(toRegex).join('|')})`;
        break;
    }
  }
  return out;
}

function literalPrefix(nodes: readonly Node[]): string {
  let prefix = '';
  for (const n of nodes) {
    if (n.kind !== 'lit') break;
    prefix += n.text;
  }
  return prefix;
}

/** Segments of the longest match (the number of '/' it holds), or undefined when unbounded. */
function depthOf(nodes: readonly Node[]): number | undefined {
  let depth = 0;
  for (const n of nodes) {
    if (n.kind === 'super') return undefined;
    if (n.kind === 'lit') {
      for (const ch of n.text) if (ch === '/') depth++;
    } else if (n.kind === 'alt') {
      let max = 0;
      for (const b of n.branches) {
        const d = depthOf(b);
        if (d === undefined) return undefined;
        max = Math.max(max, d);
      }
      depth += max;
    }
  }
  return depth;
}
