import assert from 'node:assert/strict';
import type { ModifyFileRequest } from '../../../proto/gen/terrain/pfs/v1/file.ts';
import { isErrorCode } from '../../platform/errors.ts';
import type { ModifyOp } from '../files.ts';
import {
  createFileSetOps,
  durationToMs,
  fileRefFromProto,
  msToDuration,
  nonNegative,
  optionalFileRefFromProto,
  readModifyFileRequests,
  splitBytes,
} from './convert-files.ts';

const commit = { repo: { name: 'images' }, id: '', branch: 'master', ancestors: 0 };
const putFile = (
  path: string,
  data = '',
  extra: Partial<{
    append: boolean;
    datum: string;
    ifNotExists: boolean;
    metadata: Record<string, string>;
  }> = {},
) => ({
  body: {
    $case: 'putFile' as const,
    value: {
      path,
      data: Buffer.from(data),
      append: false,
      datum: '',
      metadata: {},
      ifNotExists: false,
      ...extra,
    },
  },
});
const data = (s: string) => ({ body: { $case: 'data' as const, value: Buffer.from(s) } });
const del = (path: string) => ({ body: { $case: 'deleteFile' as const, value: { path, datum: '' } } });

async function* stream<T>(...items: T[]): AsyncGenerator<T> {
  for (const i of items) yield i;
}

/** Consumes ops as Files does: each put's body fully before the next op. */
async function consume(ops: AsyncIterable<ModifyOp>): Promise<string[]> {
  const out: string[] = [];
  for await (const op of ops) {
    if (op.op === 'put') {
      const parts: Uint8Array[] = [];
      for await (const b of op.data as AsyncIterable<Uint8Array>) parts.push(b);
      out.push(`put ${op.path}=${Buffer.concat(parts).toString()}${op.append ? ' (append)' : ''}`);
    } else if (op.op === 'delete') {
      out.push(`delete ${op.path}`);
    } else {
      out.push(`copy ${op.src.path}->${op.dst}`);
    }
  }
  return out;
}

const invalid = (fragment: string) => (e: unknown) =>
  isErrorCode(e, 'invalid_argument') && (e as Error).message.includes(fragment);

describe('file RPC conversion', () => {
  it('splits a ModifyFile stream into its target and operations, joining data messages to their put', async () => {
    const { target, ops } = await readModifyFileRequests(
      stream<ModifyFileRequest>(
        { body: { $case: 'setCommit', value: commit } },
        putFile('/a', 'he'),
        data('ll'),
        data(''),
        data('o'),
        del('/old'),
        putFile('/b', '', { append: true }),
        putFile('/c', 'x'),
        data('y'),
      ),
    );
    assert.deepEqual(target, { repo: 'images', branch: 'master' });
    assert.deepEqual(await consume(ops), ['put /a=hello', 'delete /old', 'put /b= (append)', 'put /c=xy']);
  });

  it('drains the rest of a put body the consumer did not read', async () => {
    const { ops } = await readModifyFileRequests(
      stream<ModifyFileRequest>(
        { body: { $case: 'setCommit', value: commit } },
        putFile('/a', '1'),
        data('2'),
        del('/x'),
      ),
    );
    const seen: string[] = [];
    for await (const op of ops) seen.push(`${op.op} ${op.op === 'copy' ? op.dst : op.path}`);
    assert.deepEqual(seen, ['put /a', 'delete /x']);
  });

  it('carries datum, metadata and if_not_exists of a put', async () => {
    const { ops } = await readModifyFileRequests(
      stream<ModifyFileRequest>(
        { body: { $case: 'setCommit', value: commit } },
        putFile('/a', '', { datum: 'd', ifNotExists: true, metadata: { k: 'v' } }),
      ),
    );
    for await (const op of ops) {
      assert.equal(op.op, 'put');
      if (op.op === 'put') {
        assert.equal(op.datum, 'd');
        assert.equal(op.ifNotExists, true);
        assert.deepEqual(op.metadata, { k: 'v' });
      }
    }
  });

  it('refuses a stream that does not start with set_commit, a second set_commit and data without a put', async () => {
    await assert.rejects(
      readModifyFileRequests(stream<ModifyFileRequest>(putFile('/a'))),
      invalid('must start with set_commit'),
    );
    await assert.rejects(readModifyFileRequests(stream<ModifyFileRequest>()), invalid('empty stream'));
    await assert.rejects(
      readModifyFileRequests(
        stream<ModifyFileRequest>({ body: { $case: 'setCommit', value: { ...commit, repo: undefined } } }),
      ),
      invalid('repo'),
    );
    const twice = await readModifyFileRequests(
      stream<ModifyFileRequest>(
        { body: { $case: 'setCommit', value: commit } },
        { body: { $case: 'setCommit', value: commit } },
      ),
    );
    await assert.rejects(consume(twice.ops), invalid('only be the first'));
    await assert.rejects(consume(createFileSetOps(stream(data('x')))), invalid('must follow put_file'));
    await assert.rejects(consume(createFileSetOps(stream({ body: undefined }))), invalid('empty message'));
  });

  it('requires exactly one of commit and file_set_id in a File', () => {
    assert.deepEqual(fileRefFromProto({ commit, path: '/a', fileSetId: '' }, 'file'), {
      source: { kind: 'commit', ref: { repo: 'images', branch: 'master' } },
      path: '/a',
    });
    assert.deepEqual(fileRefFromProto({ commit: undefined, path: '/a', fileSetId: 'abc' }, 'file'), {
      source: { kind: 'fileSet', id: 'abc' },
      path: '/a',
    });
    assert.throws(
      () => fileRefFromProto({ commit, path: '/a', fileSetId: 'abc' }, 'file'),
      invalid('not both'),
    );
    assert.throws(
      () => fileRefFromProto({ commit: undefined, path: '/a', fileSetId: '' }, 'file'),
      invalid('required'),
    );
    assert.equal(optionalFileRefFromProto(undefined, 'old_file'), undefined);
    assert.equal(
      optionalFileRefFromProto({ commit: undefined, path: '', fileSetId: '' }, 'old_file'),
      undefined,
    );
  });

  it('converts int64s and durations, refusing negative values', () => {
    assert.equal(nonNegative(5n, 'offset'), 5);
    assert.throws(() => nonNegative(-1n, 'offset'), invalid('offset'));
    assert.equal(durationToMs(undefined, 'ttl'), undefined);
    assert.equal(
      durationToMs({ seconds: 0n, nanos: 0 }, 'ttl'),
      0,
      'an explicit zero stays zero (RunGC grace 0)',
    );
    assert.equal(durationToMs({ seconds: 90n, nanos: 500_000_000 }, 'ttl'), 90_500);
    assert.throws(() => durationToMs({ seconds: -1n, nanos: 0 }, 'ttl'), invalid('ttl'));
    assert.deepEqual(msToDuration(1500), { seconds: 1n, nanos: 500_000_000 });
  });

  it('splits bytes into messages of at most the given size, covering every byte', () => {
    const bytes = Buffer.from('abcdefghij');
    assert.deepEqual(
      [...splitBytes(bytes.subarray(1), 4)].map((b) => b.toString()),
      ['bcde', 'fghi', 'j'],
    );
    assert.deepEqual([...splitBytes(new Uint8Array(0), 4)], []);
  });
});
