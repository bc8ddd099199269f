/**
 * Globs with capture groups, as Pachyderm's datum code uses them (its `ohmyglob` library): the glob
 * syntax of `services/platform/glob.ts` plus groups whose text `join_on` / `group_by` templates
 * refer to as `$1`, `$2`, …
 *
 *   const g = compileCaptureGlob('/*\/(*).txt');
 *   g.capture('/a/b.txt');              // ['/a/b.txt', 'b']
 *   g.replace('/a/b.txt', 'key-$1');    // 'key-b'
 *
 * Syntax, beyond `*`, `**`, `?`, `[...]`, `{a,b}` and `\c` (same meaning as in platform/glob.ts):
 *   `(a|b)`, `@(a|b)`  a capture group: exactly one of the `|`-separated alternatives
 *   `?(a|b)`           a capture group: zero or one of them
 *   `*(a|b)`, `+(a|b)` a capture group: zero or more / one or more of them
 *   `!(…)` (negation) is refused; write `\(` for a literal parenthesis. The body of a `*(…)` or
 *   `+(…)` group is a single `*`, or alternatives that all have one fixed length (`*(a|b)`,
 *   `+(ab|c?)`): anything else could split a path in many ways and backtrack exponentially. Several stars in one segment (`*a*a*`)
 *   still cost polynomial time, as with platform/glob.ts; segments are at most 255 bytes.
 * Groups are numbered by their opening parenthesis, left to right.
 *
 * Why a second parser: platform/glob.ts reads `(` literally and exposes no captures, while every
 * Pachyderm join or group spec needs them (`"glob": "/(*).csv", "join_on": "$1"`). The unit tests
 * check that both agree on every pattern without parentheses.
 *
 * Templates follow the substitution rules of Pachyderm's regex engine (.NET's): `$n` and `${n}` are
 * group n (digits read greedily while they name a group), `$$` is `$`, `$&` and `$_` the whole
 * path; anything else after `$` is literal text.
 *
 * Errors: a malformed pattern throws INVALID_ARGUMENT (platform family, as platform/glob.ts) naming
 * it. A compiled glob is immutable and safe to share.
 */
import { platformErrors } from '../../platform/errors.ts';

export interface CaptureGlob {
  /** The normalized pattern (leading '/' added, trailing '/' dropped). */
  readonly pattern: string;
  /** Literal text every match starts with; use it to narrow a listing. */
  readonly prefix: string;
  /** The most segments a match can have; undefined when unbounded (`**`, repeated groups with '/'). */
  readonly maxDepth: number | undefined;
  /** Number of capture groups. */
  readonly groups: number;
  /** Whether the path (a trailing '/' is ignored; '/' is the root) matches. */
  matches(path: string): boolean;
  /** `[whole path, group 1, …]` when the path matches (unmatched optional groups are ''), else undefined. */
  capture(path: string): string[] | undefined;
  /** The template expanded with the path's groups, or undefined when the path does not match. */
  replace(path: string, template: string): string | undefined;
}

type Node =
  | { kind: 'lit'; text: string }
  | { kind: 'star' }
  | { kind: 'super' }
  | { kind: 'any' }
  | { kind: 'class'; negated: boolean; ranges: [number, number][] }
  | { kind: 'alt'; branches: Node[][] }
  | { kind: 'group'; quantifier: '' | '?' | '*' | '+'; branches: Node[][] };

/** Compiles a pattern. @throws INVALID_ARGUMENT for a malformed pattern, naming it. */
export function compileCaptureGlob(pattern: string): CaptureGlob {
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
  const nodes = parser.parseSequence('');
  if (parser.pos < normalized.length)
    parser.fail(`unexpected "${normalized[parser.pos]!}" at offset ${parser.pos}`);
  const emitter: Emitter = { nextGroup: 1, userGroups: [] };
  const regex = new RegExp(`^${toRegex(nodes, emitter)}$`, 'su');
  const userGroups = emitter.userGroups;
  const matchesRoot = normalized === '/';
  const strip = (path: string): string => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
  const capture = (path: string): string[] | undefined => {
    if (path === '/' || path === '') return matchesRoot ? [path === '' ? '/' : path] : undefined;
    if (matchesRoot) return undefined;
    const m = regex.exec(strip(path));
    return m ? [m[0], ...userGroups.map((g) => m[g] ?? '')] : undefined;
  };
  return {
    pattern: normalized,
    prefix: literalPrefix(nodes),
    maxDepth: matchesRoot ? 0 : depthOf(nodes),
    groups: parser.groups,
    matches: (path) => capture(path) !== undefined,
    capture,
    replace: (path, template) => {
      const groups = capture(path);
      return groups === undefined ? undefined : expandTemplate(template, groups);
    },
  };
}

/** A piece of a parsed template: literal text or a reference to group n (0 = the whole match). */
export type TemplatePart = { text: string } | { group: number };

/**
 * Parses a substitution template for a glob with `groupCount` groups (see the module comment).
 * References to groups that do not exist stay literal text, as in .NET; `unknownGroups` lists them
 * so a spec validator can refuse them.
 */
export function parseTemplate(
  template: string,
  groupCount: number,
): { parts: TemplatePart[]; unknownGroups: string[] } {
  const parts: TemplatePart[] = [];
  const unknownGroups: string[] = [];
  let text = '';
  const flush = (): void => {
    if (text) parts.push({ text });
    text = '';
  };
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c !== '$' || i + 1 >= template.length) {
      text += c;
      i++;
      continue;
    }
    const n = template[i + 1]!;
    if (n === '$') {
      text += '$';
      i += 2;
    } else if (n === '&' || n === '_') {
      flush();
      parts.push({ group: 0 });
      i += 2;
    } else if (n === '{') {
      const close = template.indexOf('}', i + 2);
      const name = close < 0 ? '' : template.slice(i + 2, close);
      if (/^\d+$/.test(name) && Number(name) <= groupCount) {
        flush();
        parts.push({ group: Number(name) });
        i = close + 1;
      } else {
        if (/^\d+$/.test(name)) unknownGroups.push(`\${${name}}`);
        text += '$';
        i++;
      }
    } else if (n >= '0' && n <= '9') {
      // Greedy while the digits still name an existing group.
      let j = i + 1;
      let num = -1;
      let end = -1;
      while (j < template.length && template[j]! >= '0' && template[j]! <= '9') {
        const candidate = Number(template.slice(i + 1, j + 1));
        if (candidate > groupCount) break;
        num = candidate;
        end = j + 1;
        j++;
      }
      if (num >= 0) {
        flush();
        parts.push({ group: num });
        i = end;
      } else {
        const digits = /^\d+/.exec(template.slice(i + 1))![0];
        unknownGroups.push(`$${digits}`);
        text += '$';
        i++;
      }
    } else {
      text += '$';
      i++;
    }
  }
  flush();
  return { parts, unknownGroups };
}

/** Expands a template with `groups` (`[whole, g1, …]`). */
export function expandTemplate(template: string, groups: readonly string[]): string {
  const { parts } = parseTemplate(template, groups.length - 1);
  let out = '';
  for (const p of parts) out += 'text' in p ? p.text : (groups[p.group] ?? '');
  return out;
}

class Parser {
  readonly original: string;
  readonly src: string;
  pos = 0;
  groups = 0;

  constructor(original: string, src: string) {
    this.original = original;
    this.src = src;
  }

  fail(why: string): never {
    throw platformErrors.invalidArgument(`invalid glob pattern ${JSON.stringify(this.original)}: ${why}`, {
      details: { pattern: this.original },
    });
  }

  /** A sequence up to the end, or up to an unescaped terminator of the enclosing construct. */
  parseSequence(terminators: string): Node[] {
    const nodes: Node[] = [];
    let text = '';
    const flush = (): void => {
      if (text) nodes.push({ kind: 'lit', text });
      text = '';
    };
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (terminators.includes(c)) break;
      const next = this.src[this.pos + 1];
      // An extglob group; `**(` never gets here: the '*' case below consumes a run of stars, so it
      // reads as a super-asterisk followed by a plain group.
      if ((c === '@' || c === '?' || c === '*' || c === '+' || c === '!') && next === '(') {
        if (c === '!') this.fail(`negated groups "!(…)" are not supported (offset ${this.pos})`);
        flush();
        this.pos++;
        nodes.push(this.parseGroup(c === '@' ? '' : c));
        continue;
      }
      switch (c) {
        case '\\': {
          const cp = this.src.codePointAt(this.pos + 1);
          if (cp === undefined) this.fail('it ends with an unescaped "\\"');
          const ch = String.fromCodePoint(cp);
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
        case '(':
          flush();
          nodes.push(this.parseGroup(''));
          break;
        case '}':
          this.fail(`unmatched "}" at offset ${this.pos} (escape it as "\\}")`);
          break;
        case ')':
          this.fail(`unmatched ")" at offset ${this.pos} (escape it as "\\)")`);
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
      branches.push(this.parseSequence(',}'));
      if (this.pos >= this.src.length) this.fail(`unclosed "{" at offset ${start}`);
      const c = this.src[this.pos];
      this.pos++;
      if (c === '}') break;
    }
    return { kind: 'alt', branches };
  }

  parseGroup(quantifier: '' | '?' | '*' | '+'): Node {
    const start = this.pos;
    this.pos++; // '('
    this.groups++;
    const branches: Node[][] = [];
    for (;;) {
      branches.push(this.parseSequence('|)'));
      if (this.pos >= this.src.length) this.fail(`unclosed "(" at offset ${start}`);
      const c = this.src[this.pos];
      this.pos++;
      if (c === ')') break;
    }
    const freeRepeat =
      branches.length === 1 &&
      branches[0]!.length === 1 &&
      (branches[0]![0]!.kind === 'star' || branches[0]![0]!.kind === 'super');
    if ((quantifier === '*' || quantifier === '+') && !freeRepeat) {
      // A repeated body that can split a text in several ways (`(a|aa)`, `(a*)`) makes a regex engine
      // try exponentially many splits of a path that does not match, stalling the datum iteration.
      // Alternatives of one fixed length consume the same number of characters per repetition, so
      // the split is unique.
      const lengths = new Set(branches.map(fixedLength));
      const [len] = lengths;
      if (lengths.size !== 1 || len === undefined || len === 0) {
        this.fail(
          `the repeated group at offset ${start - 1} must be a single "*", or alternatives of one fixed length (literal text, "?" and classes), such as "*(a|b)"`,
        );
      }
    }
    return { kind: 'group', quantifier, branches };
  }
}

/** The number of characters every match of a sequence has, or undefined when it varies. */
function fixedLength(nodes: readonly Node[]): number | undefined {
  let n = 0;
  for (const node of nodes) {
    switch (node.kind) {
      case 'lit':
        n += [...node.text].length;
        break;
      case 'any':
      case 'class':
        n += 1;
        break;
      case 'alt':
      case 'group': {
        if (node.kind === 'group' && node.quantifier !== '') return undefined;
        const lengths = new Set(node.branches.map(fixedLength));
        const [len] = lengths;
        if (lengths.size !== 1 || len === undefined) return undefined;
        n += len;
        break;
      }
      default:
        return undefined;
    }
  }
  return n;
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function classChar(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/** Regex generation state: regex group numbers, and which of them are the user's groups. */
interface Emitter {
  nextGroup: number;
  /** userGroups[i] is the regex group holding user group i + 1. */
  userGroups: number[];
}

function toRegex(nodes: readonly Node[], e: Emitter): string {
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
        out += `(?:${n.branches.map((b) => toRegex(b, e)).join('|')})`;
        break;
      case 'group': {
        const own = e.nextGroup++;
        e.userGroups.push(own);
        const freeRepeat =
          n.branches.length === 1 &&
          n.branches[0]!.length === 1 &&
          (n.branches[0]![0]!.kind === 'star' || n.branches[0]![0]!.kind === 'super');
        if (n.quantifier === '' || freeRepeat) {
          // `(x*)*`, `(x*)+` and `(x*)?` all match what `(x*)` matches.
          out += `(${n.branches.map((b) => toRegex(b, e)).join('|')})`;
        } else if (n.quantifier === '?') {
          out += `((?:${n.branches.map((b) => toRegex(b, e)).join('|')})?)`;
        } else {
          // The parser allows only alternatives of one fixed length here, so committing to the first
          // alternative that matches at a position loses no match. `(?=(…))\k` is an atomic group:
          // without it, overlapping alternatives (`[a-c]|?`) backtrack exponentially.
          const atomic = e.nextGroup++;
          out += `((?:(?=(${n.branches.map((b) => toRegex(b, e)).join('|')}))\\${atomic})${n.quantifier})`;
        }
        break;
      }
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

/** Segments of the longest match (the '/' it holds), or undefined when unbounded. */
function depthOf(nodes: readonly Node[]): number | undefined {
  let depth = 0;
  for (const n of nodes) {
    if (n.kind === 'super') return undefined;
    if (n.kind === 'lit') {
      for (const ch of n.text) if (ch === '/') depth++;
    } else if (n.kind === 'alt' || n.kind === 'group') {
      let max = 0;
      for (const b of n.branches) {
        const d = depthOf(b);
        if (d === undefined) return undefined;
        max = Math.max(max, d);
      }
      if (n.kind === 'group' && (n.quantifier === '*' || n.quantifier === '+') && max > 0) return undefined;
      depth += max;
    }
  }
  return depth;
}
