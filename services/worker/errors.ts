/** Errors raised by the worker sidecar (`worker: …`). Families map to gRPC codes in platform. */
import { errorFactory } from '../platform/errors.ts';

export const workerErrors = errorFactory('worker');
