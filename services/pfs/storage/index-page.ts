/**
 * Index pages: the immutable, content-addressed nodes of a file set's prolly tree.
 *
 * A leaf page holds entries (path → op, content hash, chunk refs, tag) in path order; an inner page
 * holds, per child page, its first key, its hash and the number of entries and bytes below it.
 * A page's name is the SHA-256 of its encoding (`index/<sha256>`), so equal pages are shared between
 * versions and every read can be verified.
 *
 * Encoding (version 1), all integers unsigned LEB128 varints (up to 2^53):
 *   u8 version=1, u8 kind (0 leaf, 1 inner), varint level
 *   leaf:  varint nChunks, nChunks × 32-byte chunk hashes (the page's chunk table: packed small files
 *          share chunks, so a ref costs a small index instead of 32 bytes),
 *          varint nEntries, per entry:
 *            key: varint shared (UTF-16 units shared with the previous key), varint n, n UTF-8 bytes
 *            u8 flags: bits 0–1 op (0 put, 1 append, 2 delete, 3 deletePrefix), bit 2 has content
 *               hash, bit 3 has tag
 *            [32-byte content hash] [varint n, n UTF-8 bytes of tag]
 *            varint nRefs, per ref: varint chunk-table index, varint offset, varint length
 *   inner: varint nChildren, per child: key as above (the child's first key), 32-byte page hash,
 *          varint entry count, varint byte count
 * A file's size is the sum of its refs' lengths, so it is not stored.
 */
import type { ChunkRef } from './chunks.ts';
import { storageErrors } from './errors.ts';
import type { Sha256Hex } from './hash.ts';

export const PAGE_FORMAT_VERSION = 1;

/**
 * What an entry does when a staged file set is applied to a parent tree. A committed tree holds only
 * `put` entries.
 * - put: the file is exactly `refs`.
 * - append: the file is the parent's refs (if any) followed by `refs`.
 * - delete: the file at `path` is removed.
 * - deletePrefix: `path` ends with `/`; every file under it is removed (applied before the set's
 *   own entries, so files re-added under it in the same set survive).
 */
export type EntryOp = 'put' | 'append' | 'delete' | 'deletePrefix';

const OPS: readonly EntryOp[] = ['put', 'append', 'delete', 'deletePrefix'];

export interface IndexEntry {
  path: string;
  op: EntryOp;
  /** Sum of the refs' lengths; 0 for deletes. */
  size: number;
  /**
   * SHA-256 (hex) of the file's bytes. For an append entry: of the appended bytes. '' when not known
   * yet (a staged put+append composed without reading bytes); merge fills it in.
   */
  contentHash: Sha256Hex | '';
  refs: ChunkRef[];
  /** Free-form label carried with the file (pps: the datum that wrote it); '' for none. */
  tag: string;
}

export interface ChildRef {
  /** The first key in the child's subtree. */
  firstKey: string;
  hash: Sha256Hex;
  /** Entries in the child's subtree. */
  count: number;
  /** Sum of entry sizes in the child's subtree. */
  bytes: number;
}

export interface LeafPage {
  kind: 'leaf';
  level: 0;
  entries: IndexEntry[];
}

export interface InnerPage {
  kind: 'inner';
  level: number;
  children: ChildRef[];
}

export type IndexPage = LeafPage | InnerPage;

class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial: number) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    while (v >= 0x80) {
      b[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[this.pos++] = v;
  }

  hex32(hex: string): void {
    this.ensure(32);
    const n = this.buf.write(hex, this.pos, 32, 'hex');
    if (n !== 32) throw storageErrors.internal(`not a SHA-256 hex digest: ${JSON.stringify(hex)}`);
    this.pos += 32;
  }

  str(s: string): void {
    this.ensure(5 + s.length * 3);
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
  }

  key(prev: string, key: string): void {
    const max = Math.min(prev.length, key.length);
    let shared = 0;
    while (shared < max && prev.charCodeAt(shared) === key.charCodeAt(shared)) shared++;
    // Never split a surrogate pair: the suffix must be encodable as UTF-8 on its own.
    if (shared > 0) {
      const c = key.charCodeAt(shared - 1);
      if (c >= 0xd800 && c <= 0xdbff) shared--;
    }
    this.varint(shared);
    this.str(key.slice(shared));
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

class ByteReader {
  readonly buf: Buffer;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #malformed(what: string): never {
    throw storageErrors.dataLoss(
      `index page is malformed (${what} at byte ${this.pos}); the page verified, so this is a format bug or an unknown version`,
    );
  }

  u8(): number {
    if (this.pos >= this.buf.length) this.#malformed('truncated');
    return this.buf[this.pos++]!;
  }

  varint(): number {
    const b = this.buf;
    let v = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= b.length) this.#malformed('truncated varint');
      const byte = b[this.pos++]!;
      v += (byte & 0x7f) * mul;
      if (byte < 0x80) return v;
      mul *= 0x80;
      if (mul > 2 ** 56) this.#malformed('varint too long');
    }
  }

  hex32(): string {
    const end = this.pos + 32;
    if (end > this.buf.length) this.#malformed('truncated hash');
    const s = this.buf.toString('hex', this.pos, end);
    this.pos = end;
    return s;
  }

  str(): string {
    const n = this.varint();
    const end = this.pos + n;
    if (end > this.buf.length) this.#malformed('truncated string');
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  key(prev: string): string {
    const shared = this.varint();
    if (shared > prev.length) this.#malformed('bad key prefix');
    const suffix = this.str();
    return shared === 0 ? suffix : prev.slice(0, shared) + suffix;
  }

  get done(): boolean {
    return this.pos === this.buf.length;
  }
}

/** Serializes a page (deterministically: equal pages give equal bytes). */
export function encodePage(page: IndexPage): Uint8Array {
  const w = new ByteWriter(
    page.kind === 'leaf' ? 64 + page.entries.length * 64 : 64 + page.children.length * 64,
  );
  w.u8(PAGE_FORMAT_VERSION);
  if (page.kind === 'leaf') {
    w.u8(0);
    w.varint(0);
    const table = new Map<string, number>();
    for (const e of page.entries)
      for (const r of e.refs) if (!table.has(r.chunk)) table.set(r.chunk, table.size);
    w.varint(table.size);
    for (const h of table.keys()) w.hex32(h);
    w.varint(page.entries.length);
    let prev = '';
    for (const e of page.entries) {
      w.key(prev, e.path);
      prev = e.path;
      const op = OPS.indexOf(e.op);
      if (op < 0) throw storageErrors.internal(`unknown entry op ${JSON.stringify(e.op)} for ${e.path}`);
      w.u8(op | (e.contentHash ? 4 : 0) | (e.tag ? 8 : 0));
      if (e.contentHash) w.hex32(e.contentHash);
      if (e.tag) w.str(e.tag);
      w.varint(e.refs.length);
      for (const r of e.refs) {
        w.varint(table.get(r.chunk)!);
        w.varint(r.offset);
        w.varint(r.length);
      }
    }
  } else {
    w.u8(1);
    w.varint(page.level);
    w.varint(page.children.length);
    let prev = '';
    for (const c of page.children) {
      w.key(prev, c.firstKey);
      prev = c.firstKey;
      w.hex32(c.hash);
      w.varint(c.count);
      w.varint(c.bytes);
    }
  }
  return w.bytes();
}

/** Parses a page. @throws DATA_LOSS when the bytes are not a valid page. */
export function decodePage(bytes: Uint8Array): IndexPage {
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== PAGE_FORMAT_VERSION) {
    throw storageErrors.dataLoss(
      `index page has format version ${version}; this build reads version ${PAGE_FORMAT_VERSION}`,
    );
  }
  const kind = r.u8();
  const level = r.varint();
  let page: IndexPage;
  if (kind === 0) {
    const nChunks = r.varint();
    const table: string[] = new Array<string>(nChunks);
    for (let i = 0; i < nChunks; i++) table[i] = r.hex32();
    const n = r.varint();
    const entries: IndexEntry[] = new Array<IndexEntry>(n);
    let prev = '';
    for (let i = 0; i < n; i++) {
      const path = r.key(prev);
      prev = path;
      const flags = r.u8();
      const contentHash = flags & 4 ? r.hex32() : '';
      const tag = flags & 8 ? r.str() : '';
      const nRefs = r.varint();
      const refs: ChunkRef[] = new Array<ChunkRef>(nRefs);
      let size = 0;
      for (let j = 0; j < nRefs; j++) {
        const idx = r.varint();
        const chunk = table[idx];
        if (chunk === undefined)
          throw storageErrors.dataLoss(`index page entry ${path} names chunk #${idx} of ${nChunks}`);
        const offset = r.varint();
        const length = r.varint();
        size += length;
        refs[j] = { chunk, offset, length };
      }
      entries[i] = { path, op: OPS[flags & 3]!, size, contentHash, refs, tag };
    }
    page = { kind: 'leaf', level: 0, entries };
  } else if (kind === 1) {
    const n = r.varint();
    const children: ChildRef[] = new Array<ChildRef>(n);
    let prev = '';
    for (let i = 0; i < n; i++) {
      const firstKey = r.key(prev);
      prev = firstKey;
      const hash = r.hex32();
      const count = r.varint();
      const bytesBelow = r.varint();
      children[i] = { firstKey, hash, count, bytes: bytesBelow };
    }
    page = { kind: 'inner', level, children };
  } else {
    throw storageErrors.dataLoss(`index page has unknown kind ${kind}`);
  }
  if (!r.done) throw storageErrors.dataLoss(`index page has ${bytes.length - r.pos} trailing bytes`);
  return page;
}

/** Entry count and bytes of a page's subtree (from the page alone). */
export function pageTotals(page: IndexPage): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  if (page.kind === 'leaf') {
    count = page.entries.length;
    for (const e of page.entries) bytes += e.size;
  } else {
    for (const c of page.children) {
      count += c.count;
      bytes += c.bytes;
    }
  }
  return { count, bytes };
}
