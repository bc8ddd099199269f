/**
 * The Kubernetes Deployment for one pipeline (the `kubernetes` launcher applies it; this file only
 * builds it, as a pure function, so it is unit-tested without a cluster).
 *
 * Each pod has:
 * - an init container (`install-runner`, the worker image) that copies Terrain's datum runner into
 *   the shared `terrain` volume, so the user's image needs nothing of Terrain's;
 * - the worker sidecar (`worker`, the worker image): leases datum shards from pps, materializes
 *   inputs under /pfs/<input>, asks the runner to execute the datum, uploads /pfs/out;
 * - the user container (`user`, `transform.image`) running the runner, which executes
 *   `transform.cmd` for each datum the worker hands it over a Unix socket in the shared volume.
 * Both long-running containers mount the same `emptyDir` at /pfs, so the user code sees its inputs
 * and its output directory at Pachyderm's literal paths.
 *
 * Replicas are `parallelism_spec.constant`. The pod template carries the spec hash (label: its
 * first 32 hex characters; annotation: all of it), so an update that changes the spec rolls the
 * workers; the selector does not (it is immutable).
 *
 * The runner's paths and commands are options with defaults (RUNNER_DEFAULTS): they are the
 * contract with services/worker, which provides both programs.
 */
import { createHash } from 'node:crypto';
import { ppsErrors } from '../spec/errors.ts';
import { specHash as hashOfSpec } from '../spec/canonical.ts';
import type { PipelineSpec, ResourceSpec } from '../spec/types.ts';

// A structural subset of the Kubernetes apps/v1 Deployment (compatible with
// @kubernetes/client-node's V1Deployment), so this file needs no client library.
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef: { fieldPath: string } };
}
export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}
export interface VolumeMount {
  name: string;
  mountPath: string;
}
export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  command?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: { secretRef: { name: string } }[];
  resources?: ResourceRequirements;
  volumeMounts?: VolumeMount[];
  securityContext?: { runAsUser?: number };
}
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface Deployment {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: ObjectMeta;
      spec: {
        serviceAccountName?: string;
        imagePullSecrets?: { name: string }[];
        initContainers: Container[];
        containers: Container[];
        volumes: { name: string; emptyDir: Record<string, never> }[];
      };
    };
  };
}

export interface RunnerOptions {
  /** Run by the init container (worker image): installs the runner into the `terrain` volume. */
  installCommand: string[];
  /** Run by the user container (user image): the installed runner. */
  command: string[];
  /** The Unix socket, in the `terrain` volume, over which the worker hands datums to the runner. */
  socket: string;
}

export const TERRAIN_VOLUME_PATH = '/terrain';
export const PFS_PATH = '/pfs';

export const RUNNER_DEFAULTS: RunnerOptions = {
  installCommand: ['/opt/terrain/bin/install-runner', `${TERRAIN_VOLUME_PATH}/bin`],
  command: [`${TERRAIN_VOLUME_PATH}/bin/runner`],
  socket: `${TERRAIN_VOLUME_PATH}/runner.sock`,
};

export interface PipelineDeploymentOptions {
  namespace: string;
  /** Image holding the Terrain worker sidecar and the runner installer. */
  workerImage: string;
  /** gRPC address of pps (`host:port`) the worker leases shards from. */
  ppsAddress: string;
  /** gRPC address of pfs. */
  pfsAddress: string;
  /** Default: specHash(spec). */
  specHash?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  serviceAccountName?: string;
  /** More environment for the worker (object-store settings, log level…). */
  workerEnv?: Record<string, string>;
  /** Secrets whose keys become worker environment variables (object-store credentials). */
  workerEnvFromSecrets?: string[];
  runner?: Partial<RunnerOptions>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  instance: 'app.kubernetes.io/instance',
  pipeline: 'terrain.dev/pipeline',
  specHash: 'terrain.dev/spec-hash',
} as const;

export const ANNOTATIONS = {
  pipeline: 'terrain.dev/pipeline-name',
  specHash: 'terrain.dev/spec-hash',
} as const;

/**
 * The Deployment name of a pipeline: `pipeline-<name>` when the name is already a valid DNS label
 * in lower case; otherwise the name lower-cased with other characters as '-', plus 8 hex characters
 * of its SHA-256, so `My_Pipe` and `my-pipe` never collide. At most 63 characters.
 */
export function deploymentName(pipeline: string): string {
  const plain = `pipeline-${pipeline}`;
  if (DNS_LABEL.test(plain)) return plain;
  const safe = pipeline
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 44)
    .replace(/-+$/, '');
  const suffix = createHash('sha256').update(pipeline).digest('hex').slice(0, 8);
  return safe ? `pipeline-${safe}-${suffix}` : `pipeline-${suffix}`;
}

/** A label value for the pipeline name (names may start with '_' or '-', which labels refuse). */
function pipelineLabel(pipeline: string, name: string): string {
  return LABEL_VALUE.test(pipeline) ? pipeline : name.slice('pipeline-'.length);
}

/** Kubernetes quantity for a number of cores: whole cores, or millicores rounded up. */
export function cpuQuantity(cores: number): string {
  const milli = Math.ceil(cores * 1000 - 1e-9);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

function resources(
  requests: ResourceSpec | undefined,
  limits: ResourceSpec | undefined,
): ResourceRequirements | undefined {
  const convert = (r: ResourceSpec | undefined): Record<string, string> => {
    const out: Record<string, string> = {};
    if (r?.cpu !== undefined) out.cpu = cpuQuantity(r.cpu);
    if (r?.memory !== undefined) out.memory = r.memory;
    if (r?.disk !== undefined) out['ephemeral-storage'] = r.disk;
    if (r?.gpu) out[r.gpu.type] = String(r.gpu.number);
    return out;
  };
  const req = convert(requests);
  const lim = convert(limits);
  // Kubernetes takes extended resources (GPUs) from limits: a GPU only requested goes there too.
  if (requests?.gpu && lim[requests.gpu.type] === undefined)
    lim[requests.gpu.type] = String(requests.gpu.number);
  const out: ResourceRequirements = {};
  if (Object.keys(req).length > 0) out.requests = req;
  if (Object.keys(lim).length > 0) out.limits = lim;
  return out.requests || out.limits ? out : undefined;
}

function envList(values: Record<string, string>): EnvVar[] {
  return Object.keys(values)
    .sort()
    .map((name) => ({ name, value: values[name]! }));
}

/**
 * Builds the pipeline's Deployment.
 * @throws INVALID_ARGUMENT when the spec has no `transform.image` (the local launcher does not need
 *   one, Kubernetes does) or an option is malformed (namespace not a DNS label, empty image or
 *   address).
 */
export function pipelineDeployment(spec: PipelineSpec, options: PipelineDeploymentOptions): Deployment {
  const pipeline = spec.pipeline.name;
  const image = spec.transform.image;
  if (!image) {
    throw ppsErrors.invalidArgument(
      `pipeline ${JSON.stringify(pipeline)} has no transform.image: the kubernetes launcher runs the user code in that image; set it in the spec`,
      {
        details: { json_path: 'transform.image' },
      },
    );
  }
  if (!DNS_LABEL.test(options.namespace)) {
    throw ppsErrors.invalidArgument(
      `invalid Kubernetes namespace ${JSON.stringify(options.namespace)}: use lower-case letters, digits and "-" (at most 63)`,
    );
  }
  for (const key of ['workerImage', 'ppsAddress', 'pfsAddress'] as const) {
    if (!options[key]) throw ppsErrors.invalidArgument(`the kubernetes launcher needs ${key}; configure it`);
  }
  const runner: RunnerOptions = { ...RUNNER_DEFAULTS, ...options.runner };
  const hash = options.specHash ?? hashOfSpec(spec);
  const name = deploymentName(pipeline);
  const pullPolicy = options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {};

  const selector = {
    [LABELS.managedBy]: 'terrain',
    [LABELS.pipeline]: pipelineLabel(pipeline, name),
  };
  const userLabels = spec.metadata?.labels ?? {};
  const labels = { ...userLabels, [LABELS.name]: 'terrain-worker', [LABELS.instance]: name, ...selector };
  const annotations = {
    ...(spec.metadata?.annotations ?? {}),
    [ANNOTATIONS.pipeline]: pipeline,
    [ANNOTATIONS.specHash]: hash,
  };

  const pfsMount: VolumeMount = { name: 'pfs', mountPath: PFS_PATH };
  const terrainMount: VolumeMount = { name: 'terrain', mountPath: TERRAIN_VOLUME_PATH };

  const workerEnv: EnvVar[] = [
    ...envList(options.workerEnv ?? {}),
    { name: 'TERRAIN_PPS_ADDRESS', value: options.ppsAddress },
    { name: 'TERRAIN_PFS_ADDRESS', value: options.pfsAddress },
    { name: 'TERRAIN_PIPELINE', value: pipeline },
    { name: 'TERRAIN_PIPELINE_SPEC_HASH', value: hash },
    { name: 'TERRAIN_PFS_ROOT', value: PFS_PATH },
    { name: 'TERRAIN_RUNNER_SOCKET', value: runner.socket },
    { name: 'TERRAIN_WORKER_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'TERRAIN_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  ];
  const worker: Container = {
    name: 'worker',
    image: options.workerImage,
    ...pullPolicy,
    env: workerEnv,
    ...(options.workerEnvFromSecrets?.length
      ? { envFrom: options.workerEnvFromSecrets.map((s) => ({ secretRef: { name: s } })) }
      : {}),
    volumeMounts: [pfsMount, terrainMount],
  };
  const workerResources = resources(spec.sidecar_resource_requests, spec.sidecar_resource_limits);
  if (workerResources) worker.resources = workerResources;

  const user: Container = {
    name: 'user',
    image,
    ...pullPolicy,
    command: runner.command,
    ...(spec.transform.working_dir ? { workingDir: spec.transform.working_dir } : {}),
    env: [
      ...envList(spec.transform.env),
      { name: 'PPS_PIPELINE_NAME', value: pipeline },
      { name: 'TERRAIN_RUNNER_SOCKET', value: runner.socket },
    ],
    volumeMounts: [pfsMount, terrainMount],
  };
  const userResources = resources(spec.resource_requests, spec.resource_limits);
  if (userResources) user.resources = userResources;
  if (spec.transform.user !== undefined && /^\d+$/.test(spec.transform.user)) {
    // A numeric user can be enforced by Kubernetes; a user name is left to the runner.
    user.securityContext = { runAsUser: Number(spec.transform.user) };
  }

  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: options.namespace, labels, annotations },
    spec: {
      replicas: spec.parallelism_spec.constant,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...labels, [LABELS.specHash]: hash.slice(0, 32) }, annotations },
        spec: {
          ...(options.serviceAccountName ? { serviceAccountName: options.serviceAccountName } : {}),
          ...(spec.transform.image_pull_secrets.length
            ? { imagePullSecrets: spec.transform.image_pull_secrets.map((n) => ({ name: n })) }
            : {}),
          initContainers: [
            {
              name: 'install-runner',
              image: options.workerImage,
              ...pullPolicy,
              command: runner.installCommand,
              volumeMounts: [terrainMount],
            },
          ],
          containers: [worker, user],
          volumes: [
            { name: 'pfs', emptyDir: {} },
            { name: 'terrain', emptyDir: {} },
          ],
        },
      },
    },
  };
}
