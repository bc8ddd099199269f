/**
 * Canonical serialization of a validated spec: compact JSON with object keys sorted at every level
 * (arrays keep their order: it is meaningful), defaults filled in, durations in Go's canonical
 * form. Two documents that mean the same pipeline serialize to the same bytes, so `specHash` tells
 * whether an update changed anything, and the Kubernetes launcher labels pods with it.
 */
import { createHash } from 'node:crypto';
import type { PipelineSpec } from './types.ts';

/** Compact JSON with sorted keys (undefined fields omitted). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The canonical JSON of a validated spec (Pachyderm field names). */
export function canonicalSpecJson(spec: PipelineSpec): string {
  return canonicalJson(spec);
}

/** SHA-256 (lower-case hex) of the canonical JSON. */
export function specHash(spec: PipelineSpec): string {
  return createHash('sha256').update(canonicalSpecJson(spec), 'utf8').digest('hex');
}
