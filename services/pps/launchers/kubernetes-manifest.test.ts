import assert from 'node:assert/strict';
import { isErrorCode } from '../../platform/errors.ts';
import { specHash } from '../spec/canonical.ts';
import { validatePipelineSpec } from '../spec/validate.ts';
import {
  cpuQuantity,
  deploymentName,
  pipelineDeployment,
  RUNNER_DEFAULTS,
  type Container,
  type Deployment,
} from './kubernetes-manifest.ts';

const options = {
  namespace: 'terrain',
  workerImage: 'terrain/worker:1.0',
  ppsAddress: 'pps:650',
  pfsAddress: 'pfs:650',
};

function spec(extra: Record<string, unknown> = {}, transform: Record<string, unknown> = {}) {
  return validatePipelineSpec({
    pipeline: { name: 'edges' },
    transform: { cmd: ['python3', '/edges.py'], image: 'pachyderm/opencv:1.0', ...transform },
    input: { pfs: { repo: 'images', glob: '/*' } },
    ...extra,
  }).spec;
}

const container = (d: Deployment, name: string): Container => {
  const c = d.spec.template.spec.containers.find((x) => x.name === name);
  assert.ok(c, `no container ${name}`);
  return c;
};
const env = (c: Container): Record<string, string> =>
  Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? `<${e.valueFrom?.fieldRef.fieldPath}>`]));

describe('kubernetes manifest', () => {
  it('runs the worker sidecar and the user image side by side, sharing /pfs', () => {
    const s = spec({ parallelism_spec: { constant: 3 } });
    const d = pipelineDeployment(s, options);
    assert.equal(d.apiVersion, 'apps/v1');
    assert.equal(d.kind, 'Deployment');
    assert.equal(d.metadata.name, 'pipeline-edges');
    assert.equal(d.metadata.namespace, 'terrain');
    assert.equal(d.spec.replicas, 3);
    const pod = d.spec.template.spec;
    assert.deepEqual(
      pod.containers.map((c) => [c.name, c.image]),
      [
        ['worker', 'terrain/worker:1.0'],
        ['user', 'pachyderm/opencv:1.0'],
      ],
    );
    assert.deepEqual(pod.volumes, [
      { name: 'pfs', emptyDir: {} },
      { name: 'terrain', emptyDir: {} },
    ]);
    for (const c of pod.containers)
      assert.deepEqual(
        c.volumeMounts?.find((m) => m.name === 'pfs'),
        { name: 'pfs', mountPath: '/pfs' },
      );
    assert.deepEqual(
      pod.initContainers.map((c) => [c.name, c.image, c.command]),
      [['install-runner', 'terrain/worker:1.0', RUNNER_DEFAULTS.installCommand]],
    );
    assert.deepEqual(container(d, 'user').command, RUNNER_DEFAULTS.command);
  });

  it('tells the worker where pps and pfs are, which pipeline and spec it serves, and its own pod name', () => {
    const s = spec();
    const d = pipelineDeployment(s, {
      ...options,
      workerEnv: { TERRAIN_LOG_LEVEL: 'debug' },
      workerEnvFromSecrets: ['object-store'],
    });
    const w = container(d, 'worker');
    assert.deepEqual(env(w), {
      TERRAIN_LOG_LEVEL: 'debug',
      TERRAIN_PPS_ADDRESS: 'pps:650',
      TERRAIN_PFS_ADDRESS: 'pfs:650',
      TERRAIN_PIPELINE: 'edges',
      TERRAIN_PIPELINE_SPEC_HASH: specHash(s),
      TERRAIN_PFS_ROOT: '/pfs',
      TERRAIN_RUNNER_SOCKET: '/terrain/runner.sock',
      TERRAIN_WORKER_ID: '<metadata.name>',
      TERRAIN_NAMESPACE: '<metadata.namespace>',
    });
    assert.deepEqual(w.envFrom, [{ secretRef: { name: 'object-store' } }]);
  });

  it('labels objects with the pipeline and the pod template with the spec hash, keeping the selector stable', () => {
    const a = pipelineDeployment(spec(), options);
    const b = pipelineDeployment(spec({ datum_tries: 7 }), options);
    assert.deepEqual(a.spec.selector, b.spec.selector, 'the selector must not change between versions');
    assert.deepEqual(a.spec.selector.matchLabels, {
      'app.kubernetes.io/managed-by': 'terrain',
      'terrain.dev/pipeline': 'edges',
    });
    for (const [k, v] of Object.entries(a.spec.selector.matchLabels))
      assert.equal(a.spec.template.metadata.labels?.[k], v, 'the template matches its selector');
    const hashA = a.spec.template.metadata.labels?.['terrain.dev/spec-hash'];
    assert.equal(hashA, specHash(spec()).slice(0, 32));
    assert.notEqual(
      b.spec.template.metadata.labels?.['terrain.dev/spec-hash'],
      hashA,
      'a spec change rolls the pods',
    );
    assert.equal(a.metadata.annotations?.['terrain.dev/spec-hash'], specHash(spec()));
    assert.equal(a.metadata.annotations?.['terrain.dev/pipeline-name'], 'edges');
  });

  it('passes the spec metadata, env, working dir, user and pull secrets through', () => {
    const s = spec(
      { metadata: { labels: { team: 'vision' }, annotations: { owner: 'ml' } } },
      { env: { MODE: 'fast' }, working_dir: '/app', user: '1000', image_pull_secrets: ['regcred'] },
    );
    const d = pipelineDeployment(s, {
      ...options,
      serviceAccountName: 'terrain-worker',
      imagePullPolicy: 'IfNotPresent',
    });
    assert.equal(d.spec.template.metadata.labels?.team, 'vision');
    assert.equal(d.metadata.annotations?.owner, 'ml');
    const u = container(d, 'user');
    assert.deepEqual(env(u), {
      MODE: 'fast',
      PPS_PIPELINE_NAME: 'edges',
      TERRAIN_RUNNER_SOCKET: '/terrain/runner.sock',
    });
    assert.equal(u.workingDir, '/app');
    assert.deepEqual(u.securityContext, { runAsUser: 1000 });
    assert.equal(u.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(d.spec.template.spec.imagePullSecrets, [{ name: 'regcred' }]);
    assert.equal(d.spec.template.spec.serviceAccountName, 'terrain-worker');
    assert.equal(
      container(pipelineDeployment(spec({}, { user: 'nobody' }), options), 'user').securityContext,
      undefined,
    );
  });

  it('turns resource requests and limits into Kubernetes quantities, GPUs as limits', () => {
    const s = spec({
      resource_requests: {
        cpu: 0.5,
        memory: '512Mi',
        disk: '1Gi',
        gpu: { type: 'nvidia.com/gpu', number: 1 },
      },
      resource_limits: { cpu: 2, memory: '1Gi' },
      sidecar_resource_requests: { cpu: 0.1, memory: '64Mi' },
    });
    const d = pipelineDeployment(s, options);
    assert.deepEqual(container(d, 'user').resources, {
      requests: { cpu: '500m', memory: '512Mi', 'ephemeral-storage': '1Gi', 'nvidia.com/gpu': '1' },
      limits: { cpu: '2', memory: '1Gi', 'nvidia.com/gpu': '1' },
    });
    assert.deepEqual(container(d, 'worker').resources, { requests: { cpu: '100m', memory: '64Mi' } });
    assert.equal(container(pipelineDeployment(spec(), options), 'user').resources, undefined);
    assert.equal(cpuQuantity(0.25), '250m');
    assert.equal(cpuQuantity(1.0001), '1001m');
    assert.equal(cpuQuantity(3), '3');
  });

  it('makes valid, distinct object names from any pipeline name', () => {
    assert.equal(deploymentName('edges'), 'pipeline-edges');
    const a = deploymentName('My_Pipe');
    const b = deploymentName('my-pipe');
    assert.notEqual(a, b);
    assert.match(a, /^pipeline-my-pipe-[0-9a-f]{8}$/);
    const long = deploymentName(`_${'X'.repeat(62)}`);
    assert.ok(long.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(long), long);
    const d = pipelineDeployment(
      validatePipelineSpec({
        pipeline: { name: '_odd' },
        transform: { cmd: ['sh'], image: 'x' },
        input: { pfs: { repo: 'a', glob: '/' } },
      }).spec,
      options,
    );
    assert.match(
      d.spec.selector.matchLabels['terrain.dev/pipeline']!,
      /^odd-[0-9a-f]{8}$/,
      'label values must start with a letter or digit',
    );
  });

  it('refuses a spec without transform.image and malformed options', () => {
    const noImage = validatePipelineSpec({
      pipeline: { name: 'p' },
      transform: { cmd: ['sh'] },
      input: { pfs: { repo: 'a', glob: '/' } },
    }).spec;
    assert.throws(
      () => pipelineDeployment(noImage, options),
      (e: unknown) =>
        isErrorCode(e, 'invalid_argument') && /has no transform.image/.test((e as Error).message),
    );
    assert.throws(
      () => pipelineDeployment(spec(), { ...options, namespace: 'Bad_NS' }),
      /invalid Kubernetes namespace/,
    );
    assert.throws(() => pipelineDeployment(spec(), { ...options, workerImage: '' }), /needs workerImage/);
  });

  it('is pure: the same spec and options give the same object, and the spec is not modified', () => {
    const s = spec({ metadata: { labels: { a: 'b' }, annotations: {} } });
    const before = JSON.stringify(s);
    assert.deepEqual(pipelineDeployment(s, options), pipelineDeployment(s, options));
    assert.equal(JSON.stringify(s), before);
  });
});
