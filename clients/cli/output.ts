/**
 * Writing command output: newline-delimited JSON (`--json`) or aligned tables.
 *
 * JSON: every object is written on its own line, with the generated `toJSON` mapping (proto3 JSON:
 * camelCase fields, enums by name, 64-bit integers as strings, times as ISO 8601, default values
 * omitted). A list prints one line per item as items arrive; an inspect prints one line. So every
 * line of `--json` output is one `JSON.parse`-able value, and listings of any length stream.
 *
 * Tables: column widths are computed from the first `TABLE_WINDOW` rows, which are held back until
 * the window is full or the listing ends; later rows keep those widths (a longer cell just pushes
 * its row to the right), so memory stays bounded on listings of any size.
 *
 * All writes wait for 'drain', so a slow pipe (`| less`) slows the listing instead of buffering it.
 */
import { displayWidth } from './format.ts';

export const TABLE_WINDOW = 1000;

export interface WritableLike {
  write(chunk: string | Uint8Array): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

export async function writeWithBackpressure(stream: WritableLike, chunk: string | Uint8Array): Promise<void> {
  if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', resolve));
}

export class Output {
  readonly stream: WritableLike;

  constructor(stream: WritableLike) {
    this.stream = stream;
  }

  async line(text = ''): Promise<void> {
    await writeWithBackpressure(this.stream, text + '\n');
  }

  /** One JSON value on one line. */
  async json(value: unknown): Promise<void> {
    await this.line(JSON.stringify(value));
  }

  /** "KEY: value" lines with aligned values, for inspect commands. */
  async fields(rows: [string, string][]): Promise<void> {
    const width = Math.max(0, ...rows.map(([key]) => displayWidth(key)));
    for (const [key, value] of rows)
      await this.line(`${key}:${' '.repeat(width - displayWidth(key) + 1)}${value}`);
  }

  table(headers: string[]): TableWriter {
    return new TableWriter(this, headers);
  }
}

export class TableWriter {
  readonly #output: Output;
  readonly #headers: string[];
  #pending: string[][] | undefined = [];
  #widths: number[] = [];
  #rows = 0;

  constructor(output: Output, headers: string[]) {
    this.#output = output;
    this.#headers = headers;
  }

  get rowCount(): number {
    return this.#rows;
  }

  async row(cells: string[]): Promise<void> {
    this.#rows++;
    if (this.#pending) {
      this.#pending.push(cells);
      if (this.#pending.length >= TABLE_WINDOW) await this.#flush();
      return;
    }
    await this.#write(cells);
  }

  /** Writes what is held back (and the header, even for an empty table). */
  async end(): Promise<void> {
    if (this.#pending) await this.#flush();
  }

  async #flush(): Promise<void> {
    const rows = this.#pending ?? [];
    this.#pending = undefined;
    this.#widths = this.#headers.map((header, i) =>
      Math.max(displayWidth(header), ...rows.map((row) => displayWidth(row[i] ?? ''))),
    );
    await this.#write(this.#headers);
    for (const row of rows) await this.#write(row);
  }

  async #write(cells: string[]): Promise<void> {
    const last = cells.length - 1;
    const text = cells
      .map((cell, i) =>
        i === last ? cell : cell + ' '.repeat(Math.max(0, (this.#widths[i] ?? 0) - displayWidth(cell))),
      )
      .join('  ')
      .trimEnd();
    await this.#output.line(text);
  }
}
