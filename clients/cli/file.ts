/**
 * `put|get|list|glob|diff|inspect|delete|copy file`.
 *
 * `put file` sends every source in ONE ModifyFile stream, so a whole directory tree lands in one
 * commit (or in the open commit the ref names). `get file` first resolves the ref to a commit ID,
 * so a recursive download reads one consistent snapshot even while the branch moves.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import type { FileChange } from '../../proto/gen/terrain/pfs/v1/file.ts';
import {
  DiffFileResponse,
  FileInfo,
  FileType,
  fileChangeToJSON,
  fileTypeToJSON,
} from '../../proto/gen/terrain/pfs/v1/file.ts';
import type { Commit, File } from '../../proto/gen/terrain/pfs/v1/refs.ts';
import type { FileOperation } from '../ts/pfs.ts';
import {
  DEFAULT_BRANCH,
  formatCommit,
  normalizePath,
  parseCommitRef,
  parseFileRef,
  parseRef,
  toCommit,
  toFile,
} from '../ts/refs.ts';
import { cliErrors, withJson, type Cli } from './cli.ts';
import { humanSize, relativeTime } from './format.ts';
import {
  download,
  isUrl,
  localTarget,
  measureTree,
  readLocalFile,
  readStream,
  urlFileName,
  walkFiles,
  writeLocalFile,
} from './local-files.ts';
import { writeWithBackpressure } from './output.ts';
import { createProgress, type TransferProgress } from './progress.ts';

export function fileTypeLabel(type: FileType): string {
  return fileTypeToJSON(type)
    .replace(/^FILE_TYPE_/, '')
    .toLowerCase();
}

export function fileChangeLabel(change: FileChange): string {
  return fileChangeToJSON(change)
    .replace(/^FILE_CHANGE_/, '')
    .toLowerCase();
}

const FILE_HEADERS = ['NAME', 'TYPE', 'SIZE', 'COMMITTED'];

function fileRow(info: FileInfo, now: Date): string[] {
  return [
    info.file?.path ?? '',
    fileTypeLabel(info.fileType),
    humanSize(info.sizeBytes),
    relativeTime(info.committed, now),
  ];
}

/** Joins a pfs directory path and a relative path ("/a/" + "b/c" = "/a/b/c"). */
export function joinPfsPath(directory: string, rel: string): string {
  return normalizePath(`${directory.replace(/\/+$/, '')}/${rel}`);
}

/**
 * Where one `-f` source goes. Without a path in the ref, or with a path ending in "/", or with
 * several sources, the path is a directory and the source keeps its own name; otherwise the path
 * is the file itself. A directory source (-r) lands beneath the path, or beneath /NAME without one.
 */
export function destinationFor(options: {
  refPath: string | undefined;
  sourceName: string;
  isDirectory: boolean;
  multipleSources: boolean;
}): string {
  const { refPath, sourceName, isDirectory, multipleSources } = options;
  if (refPath === undefined) return normalizePath(`/${sourceName}${isDirectory ? '/' : ''}`);
  if (isDirectory) return normalizePath(refPath.endsWith('/') ? refPath : `${refPath}/`);
  if (refPath.endsWith('/') || multipleSources) return joinPfsPath(refPath, sourceName);
  return refPath;
}

interface PutOptions {
  file: string[];
  recursive?: boolean;
  append?: boolean;
}

interface PlannedSource {
  kind: 'stdin' | 'url' | 'file' | 'directory';
  source: string;
  destination: string;
  size?: number;
}

async function planSources(
  cli: Cli,
  command: Command,
  refPath: string | undefined,
  opts: PutOptions,
): Promise<PlannedSource[]> {
  const multipleSources = opts.file.length > 1;
  const plans: PlannedSource[] = [];
  for (const source of opts.file) {
    if (source === '-') {
      if (refPath === undefined || refPath.endsWith('/') || multipleSources) {
        cli.usageError(
          command,
          'reading stdin (-f -) needs the file path in the ref (REPO@BRANCH:/PATH) and no other -f',
        );
      }
      plans.push({ kind: 'stdin', source, destination: refPath });
    } else if (isUrl(source)) {
      plans.push({
        kind: 'url',
        source,
        destination: destinationFor({
          refPath,
          sourceName: urlFileName(source),
          isDirectory: false,
          multipleSources,
        }),
      });
    } else {
      const info = await stat(source).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOENT' ? cliErrors.notFound(`${source}: no such file or directory`) : err;
      });
      if (info.isDirectory()) {
        if (!opts.recursive)
          cli.usageError(command, `${source} is a directory: add -r to put everything beneath it`);
        plans.push({
          kind: 'directory',
          source,
          destination: destinationFor({
            refPath,
            sourceName: basename(source),
            isDirectory: true,
            multipleSources,
          }),
        });
      } else {
        plans.push({
          kind: 'file',
          source,
          size: info.size,
          destination: destinationFor({
            refPath,
            sourceName: basename(source),
            isDirectory: false,
            multipleSources,
          }),
        });
      }
    }
  }
  return plans;
}

/** Yields one put operation per file, streaming each file's bytes; progress counts as bytes are sent. */
async function* putOperations(
  cli: Cli,
  plans: PlannedSource[],
  append: boolean,
  progress: TransferProgress,
): AsyncGenerator<FileOperation, void, undefined> {
  const signal = cli.signal;
  const onBytes = (n: number): void => progress.addBytes(n);
  const counted = async function* (
    source: AsyncIterable<Uint8Array>,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    yield* source;
    progress.fileDone();
  };
  for (const plan of plans) {
    switch (plan.kind) {
      case 'stdin':
        yield {
          op: 'put',
          path: plan.destination,
          append,
          source: counted(readStream(cli.io.stdin, { onBytes })),
        };
        break;
      case 'url': {
        const body = await download(plan.source, { signal, onBytes });
        yield { op: 'put', path: plan.destination, append, source: counted(body.body) };
        break;
      }
      case 'file':
        yield {
          op: 'put',
          path: plan.destination,
          append,
          source: counted(readLocalFile(plan.source, { signal, onBytes })),
        };
        break;
      case 'directory': {
        const onSkip = (path: string, why: string): void => cli.note(`terrain: skipping ${path}: ${why}`);
        for await (const file of walkFiles(plan.source, { signal, onSkip })) {
          const path = joinPfsPath(plan.destination, file.relative);
          yield { op: 'put', path, append, source: counted(readLocalFile(file.path, { signal, onBytes })) };
        }
        break;
      }
    }
  }
}

/** Resolves a ref to the exact commit (by ID), so several reads see one snapshot. */
async function resolveCommit(cli: Cli, commit: Commit): Promise<Commit> {
  const info = await cli.client().pfs.inspectCommit({ commit }, { signal: cli.signal });
  return info.commit ?? commit;
}

async function getFile(
  cli: Cli,
  command: Command,
  ref: string,
  opts: { output?: string; recursive?: boolean },
): Promise<void> {
  const parsed = parseFileRef(ref, { defaultPath: '/' });
  const pfs = cli.client().pfs;
  const commit = await resolveCommit(cli, toCommit(parsed.commit));
  const file: File = { commit, path: parsed.path, fileSetId: '' };
  const info = await pfs.inspectFile({ file }, { signal: cli.signal });
  const progress = createProgress({ label: 'get', stream: cli.io.stderr });
  try {
    if (info.fileType === FileType.DIR) {
      if (!opts.recursive) cli.usageError(command, `${ref} is a directory: add -r and -o DIR to download it`);
      if (opts.output === undefined)
        cli.usageError(command, 'get file -r needs -o DIR (where to write the tree)');
      const prefix = parsed.path.endsWith('/') ? parsed.path : `${parsed.path}/`;
      progress.setTotals({ bytes: Number(info.sizeBytes) });
      if (cli.io.stderr.isTTY) {
        let files = 0;
        for await (const _ of pfs.walkFile({ file, filesOnly: true }, { signal: cli.signal })) files++;
        progress.setTotals({ files });
      }
      for await (const entry of pfs.walkFile({ file, filesOnly: true }, { signal: cli.signal })) {
        if (entry.fileType !== FileType.FILE) continue;
        const target = localTarget(opts.output, prefix, entry.file?.path ?? '');
        await writeLocalFile(
          target,
          countBytes(
            pfs.readFile({ commit, path: entry.file?.path ?? '' }, { signal: cli.signal }),
            progress,
          ),
          {
            signal: cli.signal,
          },
        );
        progress.fileDone();
      }
      return;
    }
    progress.setTotals({ bytes: Number(info.sizeBytes), files: 1 });
    const bytes = countBytes(pfs.readFile(file, { signal: cli.signal }), progress);
    if (opts.output === undefined || opts.output === '-') {
      for await (const chunk of bytes) await writeWithBackpressure(cli.io.stdout, chunk);
    } else {
      const existing = await stat(opts.output).catch(() => undefined);
      const target = existing?.isDirectory() ? join(opts.output, basename(parsed.path)) : opts.output;
      await writeLocalFile(target, bytes, { signal: cli.signal });
    }
    progress.fileDone();
  } finally {
    progress.stop();
  }
}

async function* countBytes(
  source: AsyncIterable<Uint8Array>,
  progress: TransferProgress,
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of source) {
    progress.addBytes(chunk.byteLength);
    yield chunk;
  }
}

export function registerFileCommands(cli: Cli): void {
  cli
    .verb('put')
    .command('file')
    .description(
      'write local files, a directory tree (-r), stdin (-f -) or a URL into a commit, all in one commit',
    )
    .argument('<dest>', 'REPO@BRANCH[:/PATH] (or an open commit REPO@COMMIT_ID[:/PATH])')
    .requiredOption(
      '-f, --file <source>',
      'a local file or directory, - for stdin, or an http(s) URL (repeatable)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('-r, --recursive', 'put every file beneath a directory source')
    .option('-a, --append', 'append to existing files instead of replacing them')
    .addHelpText(
      'after',
      `
Where files land: REPO@BRANCH:/dir/ -f a.txt puts /dir/a.txt; REPO@BRANCH:/b.txt -f a.txt puts /b.txt;
REPO@BRANCH -f a.txt puts /a.txt; -r -f photos with :/imgs puts /imgs/<tree>, without a path /photos/<tree>.`,
    )
    .action(async (dest: string, opts: PutOptions, command: Command) => {
      const parsed = parseRef(dest);
      const commitRef = toCommit(
        parseCommitRef(dest.split(':')[0] ?? dest, { defaultBranch: DEFAULT_BRANCH }),
      );
      const plans = await planSources(cli, command, parsed.path, opts);
      const progress = createProgress({ label: 'put', stream: cli.io.stderr });
      try {
        if (cli.io.stderr.isTTY) {
          let bytes = 0;
          let files = 0;
          let known = true;
          for (const plan of plans) {
            if (plan.kind === 'file') {
              files++;
              bytes += plan.size ?? 0;
            } else if (plan.kind === 'directory') {
              const measured = await measureTree(plan.source, { signal: cli.signal });
              files += measured.files;
              bytes += measured.bytes;
            } else {
              files++;
              known = false;
            }
          }
          progress.setTotals(known ? { bytes, files } : { files });
        }
        await cli.client().pfs.modify(commitRef, putOperations(cli, plans, opts.append ?? false, progress), {
          signal: cli.signal,
        });
      } finally {
        progress.stop();
      }
    });

  cli
    .verb('get')
    .command('file')
    .description('read a file (to stdout or -o) or, with -r, a directory tree (to -o DIR)')
    .argument('<file>', 'REPO@REF:/PATH')
    .option('-o, --output <path>', 'where to write: a file, or the directory for -r')
    .option('-r, --recursive', 'download every file beneath a directory')
    .action(async (ref: string, opts: { output?: string; recursive?: boolean }, command: Command) =>
      getFile(cli, command, ref, opts),
    );

  withJson(
    cli
      .verb('list')
      .command('file')
      .description('list one directory level')
      .argument('<dir>', 'REPO@REF[:/PATH] (default /)'),
  ).action(async (ref: string, opts: { json?: boolean }) => {
    const file = toFile(parseFileRef(ref, { defaultPath: '/' }));
    const now = new Date();
    await cli.printList(
      opts.json,
      cli.client().pfs.listFile({ file }, { signal: cli.signal }),
      (i) => FileInfo.toJSON(i),
      FILE_HEADERS,
      (i) => fileRow(i, now),
    );
  });

  withJson(
    cli
      .verb('glob')
      .command('file')
      .description('list the files and directories matching a glob (*, **, ?, [..], {a,b})')
      .argument('<pattern>', 'REPO@REF:PATTERN, e.g. "images@master:/**.png"'),
  ).action(async (ref: string, opts: { json?: boolean }) => {
    const colon = ref.indexOf(':');
    if (colon === -1)
      throw cliErrors.invalidArgument(`glob file needs REPO@REF:PATTERN, got ${JSON.stringify(ref)}`);
    const commit = toCommit(
      parseFileRef(ref.slice(0, colon), { defaultBranch: 'master', defaultPath: '/' }).commit,
    );
    const pattern = ref.slice(colon + 1) || '/';
    const now = new Date();
    await cli.printList(
      opts.json,
      cli
        .client()
        .pfs.globFile(
          { commit, pattern: pattern.startsWith('/') ? pattern : `/${pattern}` },
          { signal: cli.signal },
        ),
      (i) => FileInfo.toJSON(i),
      FILE_HEADERS,
      (i) => fileRow(i, now),
    );
  });

  withJson(
    cli
      .verb('diff')
      .command('file')
      .description('list the files that differ between two commits (default: the commit and its parent)')
      .argument('<new>', 'REPO@REF[:/PATH]')
      .argument('[old]', 'REPO@REF[:/PATH] (default: the same path in the parent commit)'),
  ).action(async (newRef: string, oldRef: string | undefined, opts: { json?: boolean }) => {
    const request = {
      newFile: toFile(parseFileRef(newRef, { defaultPath: '/' })),
      ...(oldRef !== undefined ? { oldFile: toFile(parseFileRef(oldRef, { defaultPath: '/' })) } : {}),
    };
    await cli.printList(
      opts.json,
      cli.client().pfs.diffFile(request, { signal: cli.signal }),
      (d) => DiffFileResponse.toJSON(d),
      ['CHANGE', 'PATH', 'OLD SIZE', 'NEW SIZE'],
      (d) => [
        fileChangeLabel(d.change),
        d.newFile?.file?.path ?? d.oldFile?.file?.path ?? '',
        d.oldFile ? humanSize(d.oldFile.sizeBytes) : '-',
        d.newFile ? humanSize(d.newFile.sizeBytes) : '-',
      ],
    );
  });

  withJson(
    cli
      .verb('inspect')
      .command('file')
      .description('describe a file or directory')
      .argument('<file>', 'REPO@REF:/PATH'),
    'one JSON object',
  ).action(async (ref: string, opts: { json?: boolean }) => {
    const info = await cli
      .client()
      .pfs.inspectFile({ file: toFile(parseFileRef(ref, { defaultPath: '/' })) }, { signal: cli.signal });
    await cli.printOne(
      opts.json,
      info,
      (i) => FileInfo.toJSON(i),
      (i) => [
        ['Path', i.file?.path ?? ''],
        ['Commit', formatCommit(i.file?.commit)],
        ['Type', fileTypeLabel(i.fileType)],
        ['Size', `${humanSize(i.sizeBytes)} (${i.sizeBytes} bytes)`],
        ['Hash', i.hash || '-'],
        ['Committed', i.committed ? `${relativeTime(i.committed)} (${i.committed.toISOString()})` : '-'],
        ...(i.datum ? ([['Datum', i.datum]] as [string, string][]) : []),
        ...Object.entries(i.metadata).map(([k, v]): [string, string] => [`Metadata ${k}`, v]),
      ],
    );
  });

  cli
    .verb('delete')
    .command('file')
    .description('delete a file, or a directory with everything beneath it (a new commit, or in an open one)')
    .argument('<file>', 'REPO@BRANCH:/PATH')
    .action(async (ref: string) => {
      const parsed = parseFileRef(ref);
      await cli
        .client()
        .pfs.modify(toCommit(parsed.commit), [{ op: 'delete', path: parsed.path }], { signal: cli.signal });
    });

  cli
    .verb('copy')
    .command('file')
    .description('copy a file or directory by reference (no bytes move), from any commit into a branch')
    .argument('<src>', 'REPO@REF:/PATH')
    .argument('<dst>', 'REPO@BRANCH:/PATH')
    .option('-a, --append', 'append to existing files instead of replacing them')
    .action(async (srcRef: string, dstRef: string, opts: { append?: boolean }) => {
      const src = parseFileRef(srcRef);
      const dst = parseFileRef(dstRef);
      const source = toFile({ commit: src.commit, path: src.path });
      if (src.commit.branch !== undefined && src.commit.id === undefined) {
        source.commit = await resolveCommit(cli, toCommit(src.commit)); // copy from a fixed snapshot
      }
      await cli
        .client()
        .pfs.modify(
          toCommit(dst.commit),
          [{ op: 'copy', src: source, dst: dst.path, append: opts.append ?? false }],
          {
            signal: cli.signal,
          },
        );
    });
}
