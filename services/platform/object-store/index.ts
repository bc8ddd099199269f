/**
 * The object store: where every byte of Terrain's data lives (chunks and index pages).
 *
 *   import { openObjectStore } from '../platform/object-store/index.ts';
 *   const store = await openObjectStore('local:/var/lib/terrain');   // or 's3://bucket/prefix?endpoint=…', 'memory:'
 *   await store.put('chunks/ab12…', bodyGenerator(), { signal });
 *   for await (const bytes of store.get('chunks/ab12…', { range: { start: 0, end: 4096 }, signal })) use(bytes);
 *   for await (const info of store.list('chunks/', { signal })) console.log(info.key, info.size);
 *
 * Backends implement `ObjectStore` and pass `objectStoreConformance` (conformance.ts, test-only).
 */
export type {
  ByteRange,
  GetOptions,
  ListOptions,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutResult,
  SignalOptions,
} from './object-store.ts';
export { LocalObjectStore } from './local.ts';
export { MemoryObjectStore } from './memory.ts';
export { S3ObjectStore, type S3Credentials, type S3ObjectStoreOptions } from './s3.ts';
export { openObjectStore, type OpenObjectStoreOptions } from './open.ts';
