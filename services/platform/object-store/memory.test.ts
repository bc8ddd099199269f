import { objectStoreConformance } from './conformance.ts';
import { MemoryObjectStore } from './memory.ts';

objectStoreConformance('memory', async () => ({ store: new MemoryObjectStore(), cleanup: async () => {} }), {
  keepsObjectsInMemory: true,
});
