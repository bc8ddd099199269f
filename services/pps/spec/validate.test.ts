import assert from 'node:assert/strict';
import { isErrorCode } from '../../platform/errors.ts';
import { specIssues, type SpecIssue } from './errors.ts';
import { checkPipelineSpec, validatePipelineSpec } from './validate.ts';

const minimal = (input: unknown = { pfs: { repo: 'images', glob: '/*' } }): Record<string, unknown> => ({
  pipeline: { name: 'edges' },
  transform: { cmd: ['python3', '/edges.py'], image: 'pachyderm/opencv' },
  input,
});

function issues(doc: unknown): SpecIssue[] {
  const r = checkPipelineSpec(doc);
  assert.equal(r.spec, undefined, 'the spec should be refused');
  return r.issues;
}

function issueAt(doc: unknown, path: string): string {
  const found = issues(doc).find((i) => i.path === path);
  assert.ok(found, `expected an issue at ${path}, got ${JSON.stringify(issues(doc))}`);
  return found.message;
}

describe('pipeline spec validation', () => {
  it("fills in Pachyderm's defaults for a minimal spec", () => {
    const { spec, ignoredFields } = validatePipelineSpec(minimal());
    assert.deepEqual(ignoredFields, []);
    assert.deepEqual(spec, {
      pipeline: { name: 'edges' },
      description: '',
      transform: {
        cmd: ['python3', '/edges.py'],
        stdin: [],
        err_cmd: [],
        err_stdin: [],
        env: {},
        image: 'pachyderm/opencv',
        accept_return_code: [],
        image_pull_secrets: [],
      },
      input: {
        pfs: {
          name: 'images',
          repo: 'images',
          branch: 'master',
          glob: '/*',
          outer_join: false,
          empty_files: false,
          lazy: false,
        },
      },
      parallelism_spec: { constant: 1 },
      datum_tries: 3,
      reprocess_spec: 'until_success',
      output_branch: 'master',
      autoscaling: false,
    });
  });

  it('reads every supported field', () => {
    const { spec } = validatePipelineSpec({
      pipeline: { name: 'train', project: { name: 'default' } },
      description: 'trains',
      metadata: { labels: { team: 'ml' }, annotations: { 'example.com/owner': 'someone@example.com' } },
      transform: {
        cmd: ['sh'],
        stdin: ['python train.py'],
        err_cmd: ['true'],
        err_stdin: ['echo recovered'],
        env: { MODE: 'fast' },
        image: 'python:3.12',
        working_dir: '/work',
        accept_return_code: [1, '2'],
        user: '1000',
        image_pull_secrets: ['regcred'],
      },
      input: {
        cross: [
          { pfs: { repo: 'data', branch: 'dev', glob: '/(*)', name: 'd', empty_files: true, lazy: true } },
          { cron: { name: 'tick', spec: '@every 1h', overwrite: true, start: '2024-01-01T00:00:00Z' } },
        ],
      },
      parallelism_spec: { constant: '4' },
      resource_requests: { cpu: 0.5, memory: '512Mi', disk: '1Gi' },
      resource_limits: { cpu: 2, memory: '2G', gpu: { type: 'nvidia.com/gpu', number: 1 } },
      sidecar_resource_requests: { cpu: 0.1, memory: '64Mi' },
      datum_tries: 5,
      datum_timeout: '90s',
      job_timeout: '1h',
      reprocess_spec: 'every_job',
      output_branch: 'out-v1',
      salt: 'abc',
      autoscaling: true,
    });
    assert.equal(spec.parallelism_spec.constant, 4, 'int64 fields accept protojson strings');
    assert.deepEqual(spec.transform.accept_return_code, [1, 2]);
    assert.equal(spec.datum_timeout, '1m30s', 'durations are canonical');
    assert.equal(spec.job_timeout, '1h0m0s');
    assert.equal(spec.reprocess_spec, 'every_job');
    assert.equal(spec.output_branch, 'out-v1');
    assert.equal(spec.salt, 'abc');
    assert.equal(spec.autoscaling, true);
    assert.deepEqual(spec.resource_limits, {
      cpu: 2,
      memory: '2G',
      gpu: { type: 'nvidia.com/gpu', number: 1 },
    });
    assert.deepEqual(spec.input, {
      cross: [
        {
          pfs: {
            name: 'd',
            repo: 'data',
            branch: 'dev',
            glob: '/(*)',
            outer_join: false,
            empty_files: true,
            lazy: true,
          },
        },
        {
          cron: {
            name: 'tick',
            repo: 'train_tick',
            spec: '@every 1h',
            overwrite: true,
            start: '2024-01-01T00:00:00Z',
          },
        },
      ],
    });
  });

  it('names the JSON path of a bad glob deep in the input tree', () => {
    const doc = minimal({
      cross: [{ pfs: { repo: 'a', glob: '/*' } }, { pfs: { repo: 'b', glob: '/[' } }],
    });
    assert.match(issueAt(doc, 'input.cross[1].pfs.glob'), /invalid glob pattern "\/\[": unclosed "\["/);
  });

  it('reports every problem at once, in one INVALID_ARGUMENT error', () => {
    const doc = {
      pipeline: { name: 'bad name!' },
      transform: { cmd: 'python', colour: 'red' },
      input: { union: [{ pfs: { repo: 'a', glob: '' } }, { cross: 'x' }] },
      parallelism_spec: { constant: 0 },
      datum_tries: 'many',
      datum_timeout: '5 minutes',
      reprocess_spec: 'sometimes',
      output_branch: 'a..b',
    };
    let thrown: unknown;
    try {
      validatePipelineSpec(doc);
    } catch (err) {
      thrown = err;
    }
    assert.ok(isErrorCode(thrown, 'invalid_argument'));
    const list = specIssues(thrown)!;
    const paths = list.map((i) => i.path).sort();
    assert.deepEqual(paths, [
      'datum_timeout',
      'datum_tries',
      'input.union[0].pfs.glob',
      'input.union[1].cross',
      'output_branch',
      'parallelism_spec.constant',
      'pipeline.name',
      'reprocess_spec',
      'transform.cmd',
      'transform.colour',
    ]);
    const err = thrown as Error & { details: Record<string, string> };
    assert.match(err.message, /^pps: invalid pipeline spec "bad name!": 10 problems: /);
    assert.ok(
      err.message.includes('parallelism_spec.constant: the number of workers must be at least 1, got 0'),
    );
    assert.equal(err.details.json_path, list[0]!.path);
  });

  it('refuses unknown fields, suggesting the nearest known one', () => {
    assert.equal(
      issueAt(minimal({ pfs: { repo: 'a', glob: '/*', brnach: 'x' } }), 'input.pfs.brnach'),
      'unknown field (did you mean "branch"?)',
    );
    assert.equal(
      issueAt({ ...minimal(), paralelism_spec: {} }, 'paralelism_spec'),
      'unknown field (did you mean "parallelism_spec"?)',
    );
    assert.equal(issueAt({ ...minimal(), zzz: 1 }, 'zzz'), 'unknown field');
  });

  it('refuses wrong types with the offending value', () => {
    assert.equal(
      issueAt({ ...minimal(), datum_tries: true }, 'datum_tries'),
      'expected an integer, got true',
    );
    assert.equal(
      issueAt({ ...minimal(), autoscaling: 'yes' }, 'autoscaling'),
      'expected true or false, got the string "yes"',
    );
    assert.equal(
      issueAt({ ...minimal(), transform: { cmd: ['sh', 3] } }, 'transform.cmd[1]'),
      'expected a string, got the number 3',
    );
    assert.equal(
      issueAt({ ...minimal(), transform: { cmd: ['sh'], env: { A: 1 } } }, 'transform.env.A'),
      'expected a string, got the number 1',
    );
    assert.equal(
      issueAt(minimal([]), 'input'),
      'expected an input object (with one of pfs, cron, cross, union, join, group), got an array',
    );
    assert.deepEqual(issues('spec'), [
      { path: '', message: 'a pipeline spec must be an object, got the string "spec"' },
    ]);
  });

  it('refuses missing required fields', () => {
    const doc = { pipeline: {}, transform: {} };
    const got = issues(doc).map((i) => `${i.path}: ${i.message}`);
    assert.ok(got.includes('pipeline.name: required field is missing'));
    assert.ok(got.some((m) => m.startsWith('transform.cmd: required field is missing')));
    assert.ok(got.some((m) => m.startsWith('input: required field is missing')));
    assert.equal(issueAt(minimal({ pfs: { glob: '/*' } }), 'input.pfs.repo'), 'required field is missing');
    assert.equal(issueAt(minimal({ pfs: { repo: 'a' } }), 'input.pfs.glob'), 'required field is missing');
    assert.equal(issueAt(minimal({ cross: [] }), 'input.cross'), 'a cross needs at least one input');
    assert.equal(issueAt(minimal({}), 'input'), 'an input needs one of pfs, cron, cross, union, join, group');
    assert.match(
      issueAt(minimal({ pfs: { repo: 'a', glob: '/' }, cross: [] }), 'input'),
      /exactly one of .*; found pfs and cross/,
    );
  });

  it('validates repo, branch and input names with the pfs rules', () => {
    assert.match(
      issueAt(minimal({ pfs: { repo: 'my repo', glob: '/' } }), 'input.pfs.repo'),
      /invalid repo name "my repo"/,
    );
    assert.match(
      issueAt(minimal({ pfs: { repo: 'a', branch: 'x/y', glob: '/' } }), 'input.pfs.branch'),
      /invalid branch name "x\/y"/,
    );
    assert.match(
      issueAt(minimal({ pfs: { repo: 'a', name: 'in put', glob: '/' } }), 'input.pfs.name'),
      /invalid input name "in put"/,
    );
    assert.match(
      issueAt(minimal({ pfs: { repo: 'out', glob: '/' } }), 'input.pfs.repo'),
      /cannot be named "out"/,
    );
  });

  it('refuses an input name used twice anywhere in the tree, naming both places', () => {
    const doc = minimal({
      cross: [{ pfs: { repo: 'a', glob: '/*' } }, { union: [{ pfs: { repo: 'b', name: 'a', glob: '/*' } }] }],
    });
    assert.equal(
      issueAt(doc, 'input.cross[1].union[0].pfs.name'),
      'input name "a" is already used at input.cross[0].pfs.repo; give one of them another "name"',
    );
  });

  it("lets the branches of a union share a name, but not with inputs outside it (Pachyderm's rule)", () => {
    const shared = minimal({
      union: [{ pfs: { repo: 'a', name: 'in', glob: '/*' } }, { pfs: { repo: 'b', name: 'in', glob: '/*' } }],
    });
    assert.ok(checkPipelineSpec(shared).spec);
    const clash = minimal({
      cross: [
        {
          union: [
            { pfs: { repo: 'a', name: 'in', glob: '/*' } },
            { pfs: { repo: 'b', name: 'in', glob: '/*' } },
          ],
        },
        { pfs: { repo: 'c', name: 'in', glob: '/*' } },
      ],
    });
    assert.match(
      issueAt(clash, 'input.cross[1].pfs.name'),
      /already used at input.cross\[0\].union\[0\].pfs.name/,
    );
  });

  it('requires join_on on every join input and group_by on every group input', () => {
    const join = minimal({
      join: [{ pfs: { repo: 'a', glob: '/(*)', join_on: '$1' } }, { pfs: { repo: 'b', glob: '/(*)' } }],
    });
    assert.match(issueAt(join, 'input.join[1].pfs.join_on'), /required for an input of a join/);
    const group = minimal({ group: [{ pfs: { repo: 'a', glob: '/(*)' } }] });
    assert.match(issueAt(group, 'input.group[0].pfs.group_by'), /required for an input of a group/);
    const nested = minimal({
      join: [
        { pfs: { repo: 'a', glob: '/(*)', join_on: '$1' } },
        { cross: [{ pfs: { repo: 'b', glob: '/' } }] },
      ],
    });
    assert.match(issueAt(nested, 'input.join[1].cross'), /a join combines pfs inputs/);
  });

  it('refuses a join_on that refers to capture groups the glob lacks', () => {
    const doc = minimal({
      join: [
        { pfs: { repo: 'a', glob: '/*', join_on: '$1' } },
        { pfs: { repo: 'b', glob: '/(*)-(*)', join_on: '$2$3' } },
      ],
    });
    assert.match(
      issueAt(doc, 'input.join[0].pfs.join_on'),
      /"\$1" refers to \$1, but the glob "\/\*" has 0 capture groups/,
    );
    assert.match(
      issueAt(doc, 'input.join[1].pfs.join_on'),
      /refers to \$3, but the glob "\/\(\*\)-\(\*\)" has 2 capture groups/,
    );
  });

  it('refuses bad cron specs, durations, resources and parallelism', () => {
    assert.match(
      issueAt(minimal({ cron: { name: 'tick', spec: 'every hour' } }), 'input.cron.spec'),
      /invalid cron spec "every hour"/,
    );
    assert.match(
      issueAt(minimal({ cron: { name: 'tick', spec: '@daily', start: 'yesterday' } }), 'input.cron.start'),
      /RFC 3339/,
    );
    assert.match(issueAt({ ...minimal(), job_timeout: '0s' }, 'job_timeout'), /must be positive/);
    assert.match(
      issueAt({ ...minimal(), datum_timeout: '10 s' }, 'datum_timeout'),
      /invalid duration "10 s"/,
    );
    assert.match(
      issueAt({ ...minimal(), resource_limits: { memory: 'lots' } }, 'resource_limits.memory'),
      /invalid quantity "lots"/,
    );
    assert.match(
      issueAt({ ...minimal(), resource_limits: { cpu: -1 } }, 'resource_limits.cpu'),
      /non-negative number of cores/,
    );
    assert.match(
      issueAt({ ...minimal(), resource_limits: { gpu: { number: 1 } } }, 'resource_limits.gpu.type'),
      /required/,
    );
    assert.match(
      issueAt({ ...minimal(), parallelism_spec: { constant: -2 } }, 'parallelism_spec.constant'),
      /at least 1, got -2/,
    );
    assert.match(
      issueAt({ ...minimal(), parallelism_spec: { constant: 1.5 } }, 'parallelism_spec.constant'),
      /expected an integer/,
    );
    assert.match(issueAt({ ...minimal(), datum_tries: 0 }, 'datum_tries'), /at least 1/);
  });

  it('derives the cron repo from the pipeline and input names and checks it', () => {
    const long = { ...minimal({ cron: { name: 'x'.repeat(60), spec: '@daily' } }) };
    assert.match(
      issueAt(long, 'input.cron.name'),
      /cron repo name .* is not a valid repo name; shorten the names or set "repo"/,
    );
    const { spec } = validatePipelineSpec({
      ...long,
      input: { cron: { name: 'x'.repeat(60), spec: '@daily', repo: 'ticks' } },
    });
    assert.deepEqual(spec.input, {
      cron: { name: 'x'.repeat(60), repo: 'ticks', spec: '@daily', overwrite: false },
    });
  });

  it('accepts and reports ignored Pachyderm fields, refuses unsupported ones with a reason', () => {
    const { ignoredFields } = validatePipelineSpec({
      ...minimal({ pfs: { repo: 'a', glob: '/*', repo_type: 'user' } }),
      pod_spec: '{}',
      scheduling_spec: { node_selector: { disk: 'ssd' } },
      datum_set_spec: { number: 10 },
      transform: { cmd: ['sh'], debug: true },
    });
    assert.deepEqual(ignoredFields.sort(), [
      'datum_set_spec',
      'input.pfs.repo_type',
      'pod_spec',
      'scheduling_spec',
      'transform.debug',
    ]);
    assert.match(issueAt({ ...minimal(), egress: { URL: 's3://x' } }, 'egress'), /egress .* not supported/);
    assert.match(
      issueAt({ ...minimal(), transform: { cmd: ['sh'], secrets: [] } }, 'transform.secrets'),
      /secrets are not supported/,
    );
    assert.match(
      issueAt(minimal({ pfs: { repo: 'a', glob: '/*', s3: true } }), 'input.pfs.s3'),
      /S3 input is not supported/,
    );
    assert.match(
      issueAt({ ...minimal(), parallelism_spec: { coefficient: 0.5 } }, 'parallelism_spec.coefficient'),
      /use "constant"/,
    );
  });

  it('accepts only the default project', () => {
    assert.match(
      issueAt(
        { ...minimal(), pipeline: { name: 'p', project: { name: 'research' } } },
        'pipeline.project.name',
      ),
      /no projects/,
    );
    assert.ok(
      checkPipelineSpec({ ...minimal(), pipeline: { name: 'p', project: { name: 'default' } } }).spec,
    );
  });

  it('treats null as an absent field, as protojson output has them', () => {
    const { spec } = validatePipelineSpec({
      ...minimal(),
      description: null,
      salt: null,
      datum_timeout: null,
    });
    assert.equal(spec.description, '');
    assert.equal(spec.salt, undefined);
  });

  it('validates Kubernetes label keys and values in metadata', () => {
    assert.match(
      issueAt({ ...minimal(), metadata: { labels: { team: 'has space' } } }, 'metadata.labels.team'),
      /invalid Kubernetes label value/,
    );
    assert.match(
      issueAt({ ...minimal(), metadata: { labels: { 'bad key!': 'x' } } }, 'metadata.labels.bad key!'),
      /invalid Kubernetes label or annotation key/,
    );
  });
});
