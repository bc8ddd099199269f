/**
 * Pipeline, job, datum and log commands: `create|update|delete|list|inspect|stop|start pipeline`,
 * `list|inspect|wait|stop job`, `list|inspect|restart datum`, `logs`, `draw pipeline`.
 * Jobs are written `pipeline@jobID` (the job ID is the output commit's global ID).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { DatumInfo, datumStateToJSON } from '../../proto/gen/terrain/pps/v1/datum.ts';
import { JobInfo, jobStateToJSON } from '../../proto/gen/terrain/pps/v1/job.ts';
import { PipelineInfo, pipelineStateToJSON } from '../../proto/gen/terrain/pps/v1/pipeline.ts';
import { logSourceToJSON } from '../../proto/gen/terrain/pps/v1/logs.ts';
import { withJson, cliErrors, type Cli } from './cli.ts';
import { relativeTime, truncate } from './format.ts';

const label = (s: string, prefix: string): string => s.replace(prefix, '').toLowerCase();

/** `pipeline@id` → job ref. */
export function parseJobRef(text: string): { pipeline: { name: string }; id: string } {
  const at = text.indexOf('@');
  if (at <= 0 || at === text.length - 1) {
    throw cliErrors.invalidArgument(`job ${JSON.stringify(text)} must be written pipeline@jobID`);
  }
  return { pipeline: { name: text.slice(0, at) }, id: text.slice(at + 1) };
}

/** Spec text (JSON or YAML) → the JSON text the server takes (one document). */
export function specToJson(text: string): string {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) return text;
  const docs = parseAllDocuments(text);
  if (docs.length !== 1)
    throw cliErrors.invalidArgument(`expected one pipeline spec, found ${docs.length} YAML documents`);
  const doc = docs[0]!;
  if ('errors' in doc && doc.errors.length > 0)
    throw cliErrors.invalidArgument(`spec is not valid YAML: ${doc.errors[0]!.message}`);
  return JSON.stringify(doc.toJSON());
}

/**
 * An ASCII picture of the DAG: each repo, then its pipelines indented beneath it, recursively.
 * Pure, so it is unit-testable.
 */
export function drawDag(pipelines: { name: string; inputs: string[] }[]): string {
  const byInput = new Map<string, string[]>();
  const names = new Set(pipelines.map((p) => p.name));
  for (const p of pipelines) for (const i of p.inputs) byInput.set(i, [...(byInput.get(i) ?? []), p.name]);
  const roots = [...new Set(pipelines.flatMap((p) => p.inputs))].filter((r) => !names.has(r)).sort();
  const lines: string[] = [];
  const walk = (node: string, prefix: string, last: boolean, depth: number, seen: Set<string>): void => {
    lines.push(depth === 0 ? node : `${prefix}${last ? '└─▶ ' : '├─▶ '}${node}`);
    if (seen.has(node)) return;
    const kids = (byInput.get(node) ?? []).sort();
    const next = depth === 0 ? '' : `${prefix}${last ? '    ' : '│   '}`;
    kids.forEach((k, i) => walk(k, next, i === kids.length - 1, depth + 1, new Set([...seen, node])));
  };
  for (const r of roots) walk(r, '', true, 0, new Set());
  return lines.join('\n');
}

export function registerPpsCommands(cli: Cli): void {
  for (const [verb, update] of [
    ['create', false],
    ['update', true],
  ] as const) {
    cli
      .verb(verb)
      .command('pipeline')
      .description(
        update
          ? 'update a pipeline to a new spec version (keeps the salt unless --reprocess)'
          : 'create a pipeline from a spec',
      )
      .requiredOption('-f, --file <spec>', 'the spec, JSON or YAML (Pachyderm field names)')
      .option('--reprocess', 'with update: change the salt so every datum runs again')
      .option('--dry-run', 'validate and show what would be created, changing nothing')
      .action(async (opts: { file: string; reprocess?: boolean; dryRun?: boolean }) => {
        const res = await cli.client().pps.createPipeline(
          {
            specJson: specToJson(readFileSync(opts.file, 'utf8')),
            update,
            reprocess: opts.reprocess ?? false,
            dryRun: opts.dryRun ?? false,
          },
          { signal: cli.signal },
        );
        const p = res.pipelineInfo;
        if (opts.dryRun) cli.note(`dry run: pipeline ${p?.pipeline?.name} version ${p?.version} is valid`);
      });
  }

  withJson(
    cli
      .verb('list')
      .command('pipeline')
      .description('list pipelines')
      .option('--history <n>', 'earlier versions too (-1: all)', '0'),
  ).action(async (opts: { history: string; json?: boolean }) => {
    const now = new Date();
    await cli.printList(
      opts.json,
      cli.client().pps.listPipeline({ history: BigInt(opts.history) }, { signal: cli.signal }),
      (i) => PipelineInfo.toJSON(i),
      ['NAME', 'VERSION', 'INPUT', 'CREATED', 'STATE', 'LAST JOB', 'DESCRIPTION'],
      (i) => [
        i.pipeline?.name ?? '',
        String(i.version),
        i.inputBranches.map((b) => `${b.repo?.name}@${b.name}`).join(', '),
        relativeTime(i.created, now),
        label(pipelineStateToJSON(i.state), 'PIPELINE_STATE_'),
        label(jobStateToJSON(i.lastJobState), 'JOB_STATE_'),
        truncate(i.description, 40),
      ],
    );
  });

  withJson(
    cli
      .verb('inspect')
      .command('pipeline')
      .description('describe a pipeline version')
      .argument('<pipeline>')
      .option('--version <n>', 'spec version (default: current)', '0'),
  ).action(async (name: string, opts: { version: string; json?: boolean }) => {
    const i = await cli
      .client()
      .pps.inspectPipeline({ pipeline: { name }, version: BigInt(opts.version) }, { signal: cli.signal });
    await cli.printOne(
      opts.json,
      i,
      (x) => PipelineInfo.toJSON(x),
      (x) => [
        ['Name', x.pipeline?.name ?? ''],
        ['Version', String(x.version)],
        [
          'State',
          label(pipelineStateToJSON(x.state), 'PIPELINE_STATE_') + (x.reason ? ` (${x.reason})` : ''),
        ],
        ['Stopped', String(x.stopped)],
        ['Salt', x.salt],
        ['Inputs', x.inputBranches.map((b) => `${b.repo?.name}@${b.name}`).join(', ')],
        ['Output', `${x.outputBranch?.repo?.name}@${x.outputBranch?.name}`],
        ['Workers', `${x.workersAvailable}/${x.workersRequested}`],
        [
          'Last job',
          x.lastJob
            ? `${x.lastJob.pipeline?.name}@${x.lastJob.id} (${label(jobStateToJSON(x.lastJobState), 'JOB_STATE_')})`
            : '-',
        ],
        ['Spec', x.specJson],
      ],
    );
  });

  cli
    .verb('delete')
    .command('pipeline')
    .description('delete a pipeline, its jobs and (unless --keep-repo) its output repo')
    .argument('<pipeline>')
    .option('-f, --force', 'delete even when other pipelines read its output')
    .option('--keep-repo', 'keep the output repo')
    .action(async (name: string, opts: { force?: boolean; keepRepo?: boolean }) => {
      await cli
        .client()
        .pps.deletePipeline(
          { pipeline: { name }, force: opts.force ?? false, keepRepo: opts.keepRepo ?? false },
          { signal: cli.signal },
        );
    });
  cli
    .verb('stop')
    .command('pipeline')
    .description('pause a pipeline')
    .argument('<pipeline>')
    .action(async (name: string) => {
      await cli.client().pps.stopPipeline({ pipeline: { name } }, { signal: cli.signal });
    });
  cli
    .verb('start')
    .command('pipeline')
    .description('resume a paused pipeline')
    .argument('<pipeline>')
    .action(async (name: string) => {
      await cli.client().pps.startPipeline({ pipeline: { name } }, { signal: cli.signal });
    });
  cli
    .verb('draw', 'draw a picture')
    .command('pipeline')
    .description('draw the pipeline DAG in ASCII')
    .action(async () => {
      const all: { name: string; inputs: string[] }[] = [];
      for await (const p of cli.client().pps.listPipeline({}, { signal: cli.signal })) {
        all.push({
          name: p.pipeline?.name ?? '',
          inputs: [...new Set(p.inputBranches.map((b) => b.repo?.name ?? ''))],
        });
      }
      await cli.out.line(drawDag(all));
    });

  const jobRow = (j: JobInfo, now: Date): string[] => [
    `${j.job?.pipeline?.name}@${j.job?.id}`,
    label(jobStateToJSON(j.state), 'JOB_STATE_'),
    relativeTime(j.created, now),
    `${j.dataProcessed + j.dataSkipped + j.dataFailed + j.dataRecovered}/${j.dataTotal} (${j.dataSkipped} skipped, ${j.dataFailed} failed)`,
    truncate(j.reason, 60),
  ];
  withJson(
    cli
      .verb('list')
      .command('job')
      .description('list jobs, newest first')
      .option('-p, --pipeline <name>', 'only this pipeline'),
  ).action(async (opts: { pipeline?: string; json?: boolean }) => {
    const now = new Date();
    await cli.printList(
      opts.json,
      cli
        .client()
        .pps.listJob(opts.pipeline ? { pipeline: { name: opts.pipeline } } : {}, { signal: cli.signal }),
      (j) => JobInfo.toJSON(j),
      ['JOB', 'STATE', 'CREATED', 'DATUMS', 'REASON'],
      (j) => jobRow(j, now),
    );
  });
  for (const [verb, wait] of [
    ['inspect', false],
    ['wait', true],
  ] as const) {
    withJson(
      cli
        .verb(verb)
        .command('job')
        .description(wait ? 'wait until a job ends, then describe it' : 'describe a job')
        .argument('<pipeline@job>'),
    ).action(async (ref: string, opts: { json?: boolean }) => {
      const j = await cli.client().pps.inspectJob({ job: parseJobRef(ref), wait }, { signal: cli.signal });
      await cli.printOne(
        opts.json,
        j,
        (x) => JobInfo.toJSON(x),
        (x) => [
          ['Job', `${x.job?.pipeline?.name}@${x.job?.id}`],
          ['State', label(jobStateToJSON(x.state), 'JOB_STATE_')],
          ['Reason', x.reason || '-'],
          ['Pipeline version', String(x.pipelineVersion)],
          ['Inputs', x.inputCommits.map((c) => `${c.repo?.name}@${c.id}`).join(', ')],
          [
            'Datums',
            `total ${x.dataTotal}, processed ${x.dataProcessed}, skipped ${x.dataSkipped}, failed ${x.dataFailed}, recovered ${x.dataRecovered}`,
          ],
          ['Created', x.created?.toISOString() ?? '-'],
          ['Finished', x.finished?.toISOString() ?? '-'],
        ],
      );
    });
  }
  cli
    .verb('stop')
    .command('job')
    .description('kill a job')
    .argument('<pipeline@job>')
    .option('--reason <text>', 'recorded as the reason', '')
    .action(async (ref: string, opts: { reason: string }) => {
      await cli.client().pps.stopJob({ job: parseJobRef(ref), reason: opts.reason }, { signal: cli.signal });
    });

  withJson(
    cli.verb('list').command('datum').description("list a job's datums").argument('<pipeline@job>'),
  ).action(async (ref: string, opts: { json?: boolean }) => {
    await cli.printList(
      opts.json,
      cli.client().pps.listDatum({ job: parseJobRef(ref) }, { signal: cli.signal }),
      (d) => DatumInfo.toJSON(d),
      ['ID', 'STATE', 'ATTEMPTS', 'INPUTS', 'ERROR'],
      (d) => [
        d.datum?.id ?? '',
        label(datumStateToJSON(d.state), 'DATUM_STATE_'),
        String(d.attempts),
        d.inputs.map((i) => `${i.name}:${i.file?.path}`).join(', '),
        truncate(d.error, 50),
      ],
    );
  });
  withJson(
    cli
      .verb('inspect')
      .command('datum')
      .description('describe a datum')
      .argument('<pipeline@job>')
      .argument('<datum>'),
  ).action(async (ref: string, id: string, opts: { json?: boolean }) => {
    const d = await cli
      .client()
      .pps.inspectDatum({ datum: { job: parseJobRef(ref), id } }, { signal: cli.signal });
    await cli.printOne(
      opts.json,
      d,
      (x) => DatumInfo.toJSON(x),
      (x) => [
        ['Datum', x.datum?.id ?? ''],
        ['State', label(datumStateToJSON(x.state), 'DATUM_STATE_')],
        ['Hash', x.hash],
        ['Attempts', String(x.attempts)],
        ['Error', x.error || '-'],
        [
          'Inputs',
          x.inputs
            .map((i) => `${i.name}: ${i.file?.commit?.repo?.name}@${i.file?.commit?.id}:${i.file?.path}`)
            .join('\n'),
        ],
      ],
    );
  });
  cli
    .verb('restart')
    .command('datum')
    .description('send datums of a running job back to pending (default: every failed one)')
    .argument('<pipeline@job>')
    .argument('[datums...]')
    .action(async (ref: string, datums: string[]) => {
      const res = await cli
        .client()
        .pps.restartDatum({ job: parseJobRef(ref), datumIds: datums }, { signal: cli.signal });
      cli.note(`${res.restarted} datums restarted`);
    });

  cli.program
    .command('logs')
    .description('print the logs of a pipeline, a job or a datum')
    .option('-p, --pipeline <name>', 'the pipeline')
    .option('--job <pipeline@job|job>', 'only this job')
    .option('--datum <id>', 'only this datum (needs --job)')
    .option('-f, --follow', 'keep printing new lines')
    .option('--tail <n>', 'only the last n lines', '0')
    .action(
      async (opts: { pipeline?: string; job?: string; datum?: string; follow?: boolean; tail: string }) => {
        const job = opts.job
          ? opts.job.includes('@')
            ? parseJobRef(opts.job)
            : { pipeline: { name: opts.pipeline ?? '' }, id: opts.job }
          : undefined;
        for await (const l of cli.client().pps.getLogs(
          {
            ...(opts.pipeline ? { pipeline: { name: opts.pipeline } } : {}),
            ...(job ? { job } : {}),
            datumId: opts.datum ?? '',
            follow: opts.follow ?? false,
            tail: BigInt(opts.tail),
          },
          { signal: cli.signal },
        )) {
          const src = label(logSourceToJSON(l.source), 'LOG_SOURCE_');
          await cli.out.line(
            `${l.time?.toISOString() ?? ''} ${src}${l.datumId ? ` ${l.datumId.slice(0, 12)}` : ''} ${l.message}`,
          );
        }
      },
    );
}
