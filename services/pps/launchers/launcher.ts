/**
 * What pps asks of a worker launcher (local processes, Kubernetes Deployments). The scheduler
 * calls `start` when a pipeline is created, updated or started, and `stop` when it is stopped or
 * deleted. Both must be idempotent: `start` of a running pipeline with the same spec version does
 * nothing; with a newer version it replaces the workers. Errors are reported on the pipeline
 * (state CRASHING / FAILURE with the message) and retried on the next change.
 */
export interface LaunchedPipeline {
  name: string;
  specVersion: number;
  parallelism: number;
  /** Where workers reach the Worker service. */
  ppsAddress: string;
  /** Where workers reach pfs. */
  pfsAddress: string;
}

export interface Launcher {
  start(p: LaunchedPipeline): Promise<void>;
  stop(pipelineName: string): Promise<void>;
}
