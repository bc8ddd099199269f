import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Output, TABLE_WINDOW } from './output.ts';

function capture(): { output: Output; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { output: new Output(stream), text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('command output', () => {
  it('aligns table columns to the widest cell', async () => {
    const { output, text } = capture();
    const table = output.table(['NAME', 'SIZE']);
    await table.row(['images', '1.0 KiB']);
    await table.row(['a', '12 B']);
    await table.end();
    assert.equal(text(), 'NAME    SIZE\nimages  1.0 KiB\na       12 B\n');
  });

  it('prints the header of an empty table', async () => {
    const { output, text } = capture();
    const table = output.table(['NAME', 'SIZE']);
    await table.end();
    assert.equal(text(), 'NAME  SIZE\n');
  });

  it('aligns cells holding wide characters', async () => {
    const { output, text } = capture();
    const table = output.table(['NAME', 'TYPE']);
    await table.row(['/日本.txt', 'file']);
    await table.row(['/ab', 'dir']);
    await table.end();
    assert.equal(text(), 'NAME       TYPE\n/日本.txt  file\n/ab        dir\n');
  });

  it('stops holding rows back after the first window, keeping those widths', async () => {
    const { output, text } = capture();
    const table = output.table(['N', 'X']);
    for (let i = 0; i < TABLE_WINDOW; i++) await table.row(['a', 'x']);
    const printedBeforeEnd = text().split('\n').length - 1;
    assert.equal(printedBeforeEnd, TABLE_WINDOW + 1, 'a full window is printed without waiting for the end');
    await table.row(['longer', 'y']);
    await table.end();
    const lines = text().trimEnd().split('\n');
    assert.equal(lines.at(-1), 'longer  y');
    assert.equal(lines[1], 'a  x');
  });

  it('writes each JSON value on its own parseable line', async () => {
    const { output, text } = capture();
    await output.json({ a: 'multi\nline' });
    await output.json([1, 2]);
    const lines = text().trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as unknown),
      [{ a: 'multi\nline' }, [1, 2]],
    );
  });

  it('aligns inspect fields after their keys', async () => {
    const { output, text } = capture();
    await output.fields([
      ['Name', 'images'],
      ['Description', 'cats'],
    ]);
    assert.equal(text(), 'Name:        images\nDescription: cats\n');
  });
});
